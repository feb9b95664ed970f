#!/usr/bin/env bash
# Proves, for `raft compact`:
#   - bad input is refused with one clear sentence and NOTHING changes (the
#     whole state root listed with sha256 before and after): no --state-dir
#     (exit 2), a missing directory, a directory without both databases, a
#     locked database (op-conductor running), a node that does not verify;
#     --trailing that would remove entries with stdin not a terminal and no
#     --force;
#   - --dry-run (text and --json) says how many entries and bytes would go
#     and changes nothing;
#   - compacting a log that raft truncated (free pages) gives a file with no
#     free page, no more pages than the live ones plus 2 metas and the
#     freelist page, the same entries (first/last index, unsafe head), a
#     node that verifies, and keeps the old directory byte for byte;
#   - --trailing N removes exactly raft's range: from the first entry to
#     min(newest snapshot index, last - N); a node whose newest snapshot is
#     old keeps every entry after it; no usable snapshot: nothing removed;
#     N >= last index: nothing removed;
#   - a log with a gap of a billion indexes below its snapshot (raft-boltdb
#     is not monotonic: raft leaves such logs) is trimmed by its keys, at once;
#   - --json prints sizes before and after;
#   - a held run lock fails at once without --timeout (the default 5 s is
#     the databases' lock wait only) and is waited for with --timeout.
#
# Env: OCI_BIN, OCI_BUILD.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD
B=$OCI_BIN
make_tmp oci-compact
cleanup_hook() { release; }
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_mknode
build_jget

M=n1=127.0.0.1:41001,n2=127.0.0.1:41002,n3=127.0.0.1:41003

# run ARGS...: sets rc, $tmp/out, $tmp/err (stdin never a terminal)
run() {
	timeout 120 "$B" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# refused NAME EXIT PATTERN ROOT ARGS...: exits EXIT with stderr opening
# with the one sentence and matching PATTERN (a node that does not verify
# has its problems listed after it), ROOT unchanged
refused() {
	local name=$1 want=$2 pat=$3 root=$4
	shift 4
	listing "$root" >"$tmp/before"
	run raft compact "$@"
	listing "$root" >"$tmp/after"
	if [ "$rc" != "$want" ]; then
		bad "$name: exit $rc, want $want: $(head -c 300 "$tmp/err")"
	elif ! grep -Eq -- "$pat" "$tmp/err"; then
		bad "$name: stderr does not match /$pat/: $(head -c 300 "$tmp/err")"
	elif [ "$(head -n1 "$tmp/err" | grep -c "^op-conductor-init: raft compact: ")" != 1 ]; then
		bad "$name: stderr does not start with the sentence: $(cat "$tmp/err")"
	elif ! cmp -s "$tmp/before" "$tmp/after"; then
		bad "$name: the state root changed"
	else
		ok "$name (exit $rc): $(head -n1 "$tmp/err" | cut -c1-150)"
	fi
}

# mk DIR ARGS...: a node through mknode
mk() {
	local d=$1
	shift
	"$MKNODE" "$d" --members "$M" "$@" >/dev/null || bad "mknode $d $*"
}

# info KEY DIR: a value of `raft info --json` for node DIR
info() {
	"$B" raft info --state-dir "$2" --json >"$tmp/info.json" 2>/dev/null
	jget "$tmp/info.json" "$1"
}

# ---- refusals ----------------------------------------------------------
R=$tmp/r
mk "$R/n1" --snapshot 300:2:block:300 1-1:1:config 2-400:2:block
mkdir -p "$R/empty"
run raft compact
eq "no --state-dir: exit" "$rc" 2
refused "a missing directory" 1 "does not exist" "$R" --state-dir "$R/nope"
refused "no databases" 1 "does not hold both raft-log.db and raft-stable.db" "$R" --state-dir "$R/empty"
hold "$R/n1/raft-log.db"
refused "a locked database" 1 "locked by another process \(is op-conductor running\?\)" "$R" \
	--state-dir "$R/n1" --timeout 0.2
release
mk "$tmp/bad/n1" --snapshot 300:2:block:300 1-1:1:config 2-400:2:block
truncate -s 8192 "$tmp/bad/n1/raft-stable.db"
refused "a node that does not verify (truncated raft-stable.db)" 1 "does not verify" "$tmp/bad" --state-dir "$tmp/bad/n1"
refused "--trailing without --force, stdin not a terminal" 1 \
	"--trailing would remove 300 entries and stdin is not a terminal; give --force" "$R" \
	--state-dir "$R/n1" --trailing 10

# ---- --dry-run -------------------------------------------------------------
listing "$R" >"$tmp/before"
run raft compact --state-dir "$R/n1" --trailing 10 --dry-run
listing "$R" >"$tmp/after"
eq "dry run: exit" "$rc" 0
cmp -s "$tmp/before" "$tmp/after" && ok "dry run: nothing changed" || bad "dry run changed the state root"
grep -q "^--trailing 10: remove entries 1..300 (300 entries, [0-9]* bytes of keys and values); keep 301..400 (newest snapshot index 300)" "$tmp/out" &&
	ok "dry run names the range, the count and the bytes" || bad "dry run output: $(cat "$tmp/out")"
run raft compact --state-dir "$R/n1" --trailing 10 --dry-run --json
cp "$tmp/out" "$tmp/dry.json"
eq "dry run --json: removed_entries" "$(jget "$tmp/dry.json" trailing/removed_entries)" 300
eq "dry run --json: removed_to" "$(jget "$tmp/dry.json" trailing/removed_to)" 300
eq "dry run --json: kept" "$(jget "$tmp/dry.json" kept)" null
listing "$R" >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok "dry run --json: nothing changed" || bad "dry run --json changed the state root"

# ---- compact without --trailing: a log raft truncated -----------------------
C=$tmp/c
mk "$C/n1" --snapshot 1500:3:block:1500 --delete 1-1400 1-1:1:config 2-2000:3:block
listing "$C/n1" >"$tmp/old.listing"
first=$(info log/first_index "$C/n1")
last=$(info log/last_index "$C/n1")
head_old=$(info unsafe_head/hash "$C/n1")
run raft compact --state-dir "$C/n1" --dry-run --json
cp "$tmp/out" "$tmp/before.json"
free_before=$(jget "$tmp/before.json" files/0/free_pages_before)
size_before=$(jget "$tmp/before.json" files/0/size_before)
[ "$free_before" -gt 100 ] && ok "the truncated log has $free_before free pages" ||
	bad "the test node has only $free_before free pages"
run raft compact --state-dir "$C/n1" --json
eq "compact: exit" "$rc" 0
cp "$tmp/out" "$tmp/after.json"
kept=$(jget "$tmp/after.json" kept)
size_after=$(jget "$tmp/after.json" files/0/size_after)
eq "compact --json: size_before" "$(jget "$tmp/after.json" files/0/size_before)" "$size_before"
eq "compact: the file has the size printed" "$(stat -c %s "$C/n1/raft-log.db")" "$size_after"
[ "$size_after" -lt "$size_before" ] && ok "raft-log.db shrank: $size_before -> $size_after bytes" ||
	bad "raft-log.db did not shrink: $size_before -> $size_after"
run raft compact --state-dir "$C/n1" --dry-run --json
cp "$tmp/out" "$tmp/again.json"
eq "compacted: free pages" "$(jget "$tmp/again.json" files/0/free_pages_before)" 0
eq "compacted: free pages (stable)" "$(jget "$tmp/again.json" files/1/free_pages_before)" 0
pages=$(jget "$tmp/again.json" files/0/pages_before)
est=$(jget "$tmp/before.json" files/0/size_after_estimate)
eq "compacted: pages = live pages + 2 metas + freelist (the estimate)" "$((pages * 4096))" "$est"
eq "compacted: first index" "$(info log/first_index "$C/n1")" "$first"
eq "compacted: last index" "$(info log/last_index "$C/n1")" "$last"
eq "compacted: unsafe head" "$(info unsafe_head/hash "$C/n1")" "$head_old"
"$B" raft verify --state-dir "$C/n1" >/dev/null 2>&1 && ok "compacted node verifies" || bad "compacted node does not verify"
listing "$kept" >"$tmp/kept.listing"
cmp -s "$tmp/old.listing" "$tmp/kept.listing" && ok "the old state is kept byte for byte in $(basename "$kept")" ||
	bad "the kept directory differs from the old state"
case $kept in "$C"/.n1.pre-compact-*) ok "kept beside the node as .n1.pre-compact-*" ;; *) bad "kept at $kept" ;; esac
[ -z "$(find "$C" -maxdepth 1 -name '.n1.compact-tmp-*')" ] && ok "no stage left" || bad "a stage was left"

# ---- --trailing ---------------------------------------------------------------
# raft's range: first .. min(snapshot index, last - N)
T=$tmp/t
mk "$T/n1" --snapshot 700:2:block:700 1-1:1:config 2-1000:2:block
run raft compact --state-dir "$T/n1" --trailing 100 --force
eq "--trailing 100 (snapshot 700, last 1000): exit" "$rc" 0
eq "--trailing 100: first index = snapshot + 1" "$(info log/first_index "$T/n1")" 701
eq "--trailing 100: last index" "$(info log/last_index "$T/n1")" 1000
"$B" raft verify --state-dir "$T/n1" >/dev/null 2>&1 && ok "--trailing: the node verifies" || bad "--trailing: does not verify"
mk "$T/n2" --snapshot 700:2:block:700 1-1:1:config 2-1000:2:block
run raft compact --state-dir "$T/n2" --trailing 500 --force
eq "--trailing 500 (last - N = 500 < snapshot 700): first index" "$(info log/first_index "$T/n2")" 501
# an old snapshot: every entry after it stays, whatever N
mk "$T/n3" --snapshot 50:2:block:50 1-1:1:config 2-1000:2:block
run raft compact --state-dir "$T/n3" --trailing 0 --force
eq "an old snapshot (50), --trailing 0: first index" "$(info log/first_index "$T/n3")" 51
eq "an old snapshot: last index" "$(info log/last_index "$T/n3")" 1000
# no usable snapshot: nothing goes
mk "$T/n4" 1-1:1:config 2-300:2:block
run raft compact --state-dir "$T/n4" --trailing 0
eq "no snapshot: exit" "$rc" 0
grep -q "no entry to remove: there is no usable snapshot" "$tmp/out" && ok "no snapshot: nothing removed, said why" ||
	bad "no snapshot: $(cat "$tmp/out")"
eq "no snapshot: first index" "$(info log/first_index "$T/n4")" 1
# N >= last index: nothing goes
mk "$T/n5" --snapshot 200:2:block:200 1-1:1:config 2-300:2:block
run raft compact --state-dir "$T/n5" --trailing 300
grep -q "no entry to remove: the last index 300 is not above --trailing 300" "$tmp/out" &&
	ok "--trailing >= last index: nothing removed" || bad "--trailing 300: $(cat "$tmp/out")"
eq "--trailing >= last: first index" "$(info log/first_index "$T/n5")" 1

# a log that starts after its snapshot (raft compacted it already), and an
# empty log beside a snapshot: nothing to remove, said why; both still shrink
mk "$T/n7" --snapshot 700:2:block:700 --delete 1-700 1-1:1:config 2-1000:2:block
run raft compact --state-dir "$T/n7" --trailing 0 --force
eq "a log after its snapshot: exit" "$rc" 0
grep -q "no entry to remove: every entry is after index 700 (the newest snapshot's)" "$tmp/out" &&
	ok "a log after its snapshot: nothing removed, said why" || bad "a log after its snapshot: $(cat "$tmp/out")"
eq "a log after its snapshot: first index" "$(info log/first_index "$T/n7")" 701
mk "$T/n8" --snapshot 700:2:block:700 --delete 1-700 1-1:1:config 2-700:2:block
run raft compact --state-dir "$T/n8" --trailing 0 --force
eq "an empty log: exit" "$rc" 0
grep -q "no entry to remove: the log is empty" "$tmp/out" &&
	ok "an empty log: nothing removed, said why" || bad "an empty log: $(cat "$tmp/out")"
"$B" raft verify --state-dir "$T/n8" >/dev/null 2>&1 && ok "an empty log: the node verifies" || bad "an empty log: does not verify"

# a snapshot at the last index, --trailing 0: every entry goes (raft's own
# compactLogs does the same: min(snapshot, last - 0)); the log left is empty
# and the node verifies (CI met this in the opc-1.19.6 harness, when the
# newest snapshot covered the whole log, and the copy's check refused it)
mk "$T/n9" --snapshot 300:2:block:300 1-1:1:config 2-300:2:block
run raft compact --state-dir "$T/n9" --trailing 0 --force
eq "a snapshot at the last index, --trailing 0: exit" "$rc" 0
eq "a snapshot at the last index: entries left" "$(info log/count "$T/n9")" 0
grep -q "all of them: the log is left empty and raft starts from the newest snapshot (index 300)" "$tmp/out" &&
	ok "a snapshot at the last index: says the log is left empty" || bad "a snapshot at the last index: $(cat "$tmp/out")"
"$B" raft verify --state-dir "$T/n9" >/dev/null 2>&1 && ok "a snapshot at the last index: the node verifies" ||
	bad "a snapshot at the last index: does not verify"

# a gap of 10^9 indexes below the snapshot: the removal walks keys, not indexes
mk "$T/n6" --snapshot 1000000050:2:block:1000000050 1-10:1:block 1000000000-1000000100:2:block
SECONDS=0
run raft compact --state-dir "$T/n6" --trailing 0 --force
eq "a gap below the snapshot: exit" "$rc" 0
[ "$SECONDS" -le 30 ] && ok "a gap of 10^9 indexes: done in ${SECONDS}s" || bad "a gap of 10^9 indexes took ${SECONDS}s"
eq "a gap: the entries left" "$(info log/first_index "$T/n6") $(info log/count "$T/n6")" "1000000051 50"

# ---- the run lock: no wait unless --timeout is given (as generate,
# restore, recover and backup) ------------------------------------------
L=$tmp/lk
mk "$L/n1" 1-1:1:config 2-20:2:block
flock -x "$L" sleep 60 &
hp=$!
for _ in $(seq 1 100); do grep -q "$(stat -c %i "$L")" /proc/locks && break; sleep 0.05; done
t0=$(date +%s%N)
refused "a held run lock, no --timeout: fails at once naming the holder" 1 \
	"is in use by another run \(pid $hp: flock -x .* sleep 60\); wait for it to finish, or give --timeout SECONDS to wait; nothing" \
	"$L" --state-dir "$L/n1"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# the default --timeout (5 s) is the databases' lock wait only: the old
# code waited it for the run lock too
[ "$ms" -lt 4000 ] && ok "no --timeout: did not wait for the run lock (${ms} ms)" ||
	bad "no --timeout: waited ${ms} ms for the run lock"
refused "a held run lock, --timeout 0.3: waits, then fails" 1 \
	"is in use by another run \(pid $hp: .*\); wait for it to finish, or give --timeout SECONDS to wait longer" \
	"$L" --state-dir "$L/n1" --timeout 0.3
kill $hp 2>/dev/null
wait $hp 2>/dev/null

finish
