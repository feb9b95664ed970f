#!/usr/bin/env bash
# Proves, for `raft recover`:
#   - bad input is refused with one clear sentence and NOTHING changes
#     (find + sha256 of the whole state root before/after, no staging or
#     kept directory left): unknown node directory, a directory without
#     Raft state, a locked database (op-conductor running), a configuration
#     without this node or with it as a nonvoter (unless --force), invalid
#     state (bad entry, truncated file), a --term not above CurrentTerm;
#     usage errors (no --state-dir, no members, bad address, no voter) exit 2;
#   - --dry-run prints old -> new members and the entry, and writes nothing;
#   - a recovery appends one LogConfiguration entry at last+1 in term
#     CurrentTerm+1 (or --term), raises CurrentTerm, keeps a vote for a
#     member and removes a vote for a removed server, keeps every entry,
#     verifies, and keeps the previous directory byte for byte as
#     .<id>.pre-recover-YYYYMMDD-HHMMSS beside it (printed);
#   - a compacted log (lived/three: configuration only in snapshots) gets
#     the entry right after its last index; --config FILE and the
#     OP_CONDUCTOR_INIT_RECOVER_FORCE variable work; recovering twice works.
#
# Env: OCI_BIN, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SHARED
B=$OCI_BIN
V=$OCI_SHARED/vectors
make_tmp oci-recover
cleanup_hook() { release; }

unset_env 'OP_CONDUCTOR_[A-Z_]*'

# snap DIR: every path (hidden ones too) with mode and size, and every
# file's sha256
snap() {
	(cd "$1" && find . -printf '%p %m %s %y\n' | sort && find . -type f -exec sha256sum {} + | sort)
}

# run ARGS...: sets rc, $tmp/out, $tmp/err
run() {
	timeout 60 "$B" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# refused NAME EXIT PATTERN ROOT ARGS...: exits EXIT, stderr one line
# matching PATTERN, ROOT unchanged
refused() {
	local name=$1 want=$2 pat=$3 root=$4 before
	shift 4
	before=$(snap "$root")
	run raft recover "$@"
	if [ "$rc" != "$want" ]; then
		bad "$name: exit $rc, want $want: $(head -c 300 "$tmp/err")"
	elif ! grep -Eq -- "$pat" "$tmp/err"; then
		bad "$name: stderr does not match /$pat/: $(head -c 300 "$tmp/err")"
	elif [ "$(grep -c . "$tmp/err")" != 1 ] && [ "$want" = 2 ]; then
		bad "$name: usage error is not one line: $(cat "$tmp/err")"
	elif [ "$before" != "$(snap "$root")" ]; then
		bad "$name: the state root changed"
	else
		ok "$name (exit $rc): $(head -n1 "$tmp/err" | cut -c1-160)"
	fi
}

# info_has DIR PATTERN: `raft info` of DIR matches PATTERN
info_has() {
	"$B" raft info --state-dir "$1" >"$tmp/info" 2>&1 && grep -Eq "$2" "$tmp/info"
}

if [ ! -f "$V/corrupt/e-entry1-bad-msgpack.db" ] || [ ! -d "$V/lived/three" ]; then
	bad "the shared vectors are missing under $V (OCI_SHARED)"
	finish
fi

G=$tmp/gen
A1=127.0.0.1:41001 A2=127.0.0.1:41002 A3=127.0.0.1:41003 A4=127.0.0.1:41004
if ! "$B" raft generate --nodes "$A1,$A2,$A3" --server-ids n1,n2,n3 --initial-leader n1 \
	--output-dir "$G" >/dev/null 2>&1; then
	bad "raft generate failed"
	finish
fi

# ---- help and usage -------------------------------------------------------
run raft recover --help
[ "$rc" = 0 ] && grep -q -- "--dry-run" "$tmp/out" && ok "--help exits 0 and lists --dry-run" || bad "--help: exit $rc"
refused "no --state-dir" 2 "state-dir" "$G" --nodes "n1=$A1"
refused "no members" 2 "new configuration is required" "$G" --state-dir "$G/n1"
refused "plain addresses without --server-ids" 2 "server-ids is required" "$G" --state-dir "$G/n1" --nodes "$A1"
refused "bad address" 2 "port|address" "$G" --state-dir "$G/n1" --nodes "n1=127.0.0.1:0"
refused "duplicate ID" 2 "twice" "$G" --state-dir "$G/n1" --nodes "n1=$A1,n1=$A2"
refused "every member a nonvoter" 2 "no voter" "$G" --state-dir "$G/n1" --nodes "n1=$A1,n2=$A2" --nonvoters n1,n2
refused "unknown flag" 2 "flag" "$G" --state-dir "$G/n1" --nodes "n1=$A1" --bogus

# ---- bad input: a clear error, nothing changed ------------------------------
refused "unknown node directory" 1 "does not exist.*nothing was changed" "$G" --state-dir "$G/n9" --nodes "n9=$A1"
mkdir "$tmp/empty-root" "$tmp/empty-root/n1"
refused "directory without Raft state" 1 "holds no Raft state" "$tmp/empty-root" --state-dir "$tmp/empty-root/n1" --nodes "n1=$A1"
refused "the state root itself (not a node directory)" 1 "holds no Raft state" "$G" --state-dir "$G" --nodes "n1=$A1"
refused "configuration without this node" 1 "n1: the directory name is its server ID\) is not in the new configuration.*--force" \
	"$G" --state-dir "$G/n1" --nodes "n2=$A2,n3=$A3"
refused "this node only a nonvoter" 1 "only a nonvoter" "$G" --state-dir "$G/n1" --nodes "n1=$A1,n2=$A2" --nonvoters n1
refused "--term not above CurrentTerm" 1 "--term 1 is not above" "$G" --state-dir "$G/n1" --nodes "n1=$A1" --term 1
if command -v flock >/dev/null; then
	hold "$G/n1/raft-log.db" &&
		refused "raft-log.db locked (op-conductor running)" 1 "raft-log.db.*(lock|op-conductor)" "$G" \
			--state-dir "$G/n1" --nodes "n1=$A1" --timeout 0.5
	hold "$G/n1/raft-stable.db" &&
		refused "raft-stable.db locked" 1 "raft-stable.db.*(lock|op-conductor)" "$G" \
			--state-dir "$G/n1" --nodes "n1=$A1" --timeout 0.5
	release
else
	bad "flock(1) (util-linux) is not installed"
fi
I=$tmp/invalid
mkdir -p "$I"
cp -r "$G/n2" "$I/n2"
cp "$V/corrupt/e-entry1-bad-msgpack.db" "$I/n2/raft-log.db"
refused "invalid state (entry 1 bad msgpack)" 1 "does not verify" "$I" --state-dir "$I/n2" --nodes "n2=$A2"
cp -r "$G/n3" "$I/n3"
truncate -s 8192 "$I/n3/raft-stable.db"
refused "invalid state (truncated raft-stable.db)" 1 "does not verify|truncat|short" "$I" --state-dir "$I/n3" --nodes "n3=$A3"

# ---- dry run -----------------------------------------------------------------
before=$(snap "$G")
run raft recover --state-dir "$G/n1" --nodes "n1=$A1,n2=$A2,n4=$A4" --dry-run
if [ "$rc" = 0 ] && grep -q -- "- n3 $A3 Voter   (removed)" "$tmp/out" &&
	grep -q -- "+ n4 $A4 Voter   (added: start it with an EMPTY state directory)" "$tmp/out" &&
	grep -q -- "= n1 $A1 Voter" "$tmp/out" &&
	grep -q "append LogConfiguration at index 2, term 2; CurrentTerm 1 -> 2" "$tmp/out" &&
	grep -q "Dry run: nothing was written." "$tmp/out" && [ "$before" = "$(snap "$G")" ]; then
	ok "--dry-run prints old -> new members and the entry, writes nothing"
else
	bad "--dry-run: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi

# ---- a recovery ----------------------------------------------------------------
orig=$(snap "$G/n1")
run raft recover --state-dir "$G/n1" --nodes "n1=$A1,n2=$A2,n4=$A4"
kept=$(sed -n 's/^The previous state was kept in: //p' "$tmp/out")
if [ "$rc" = 0 ] && [ -n "$kept" ] && [ -d "$kept" ]; then
	ok "recover n1 to {n1, n2, n4}: exit 0, previous state kept in $(basename "$kept")"
else
	bad "recover n1: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi
case $(basename "$kept") in
.n1.pre-recover-[0-9]*-[0-9]*) ok "kept directory named .n1.pre-recover-YYYYMMDD-HHMMSS beside the node" ;;
*) bad "kept directory name: $kept" ;;
esac
[ "$orig" = "$(snap "$kept")" ] && ok "kept directory is byte for byte the previous state" || bad "kept state differs from the original"
[ -z "$(find "$G" -maxdepth 1 -name '.*recover-tmp*')" ] && ok "no staging directory left" || bad "staging directory left behind"
"$B" raft verify --state-dir "$G/n1" >"$tmp/v" 2>&1 && ok "recovered n1 verifies" || bad "recovered n1 does not verify: $(tail -n 5 "$tmp/v")"
info_has "$G/n1" "Log: +1\.\.2 \(2 entries\), last term 2" && ok "log 1..2, entry 1 kept, new entry in term 2" || bad "log range: $(cat "$tmp/info")"
info_has "$G/n1" "CurrentTerm: +2" && ok "CurrentTerm raised to the entry's term" || bad "CurrentTerm: $(cat "$tmp/info")"
info_has "$G/n1" "Vote: +term 1 for n1" && ok "vote for n1 (still a member) kept" || bad "vote: $(cat "$tmp/info")"
info_has "$G/n1" "Configuration: log index 2" && grep -q "n4 *$A4 *Voter" "$tmp/info" && ! grep -q "n3 *$A3" "$tmp/info" &&
	ok "configuration from index 2: n1, n2, n4" || bad "configuration: $(cat "$tmp/info")"
"$B" raft verify --state-dir "$kept" >/dev/null 2>&1 && ok "kept previous state still verifies" || bad "kept state does not verify"

# twice: recover the recovered node again (n1 leaves: --force via the environment)
run raft recover --state-dir "$G/n1" --nodes "n2=$A2,n4=$A4"
[ "$rc" = 1 ] && ok "second recovery without n1 refused without --force" || bad "second recovery without n1: exit $rc"
OP_CONDUCTOR_INIT_RECOVER_FORCE=true timeout 60 "$B" raft recover --state-dir "$G/n1" --nodes "n2=$A2,n4=$A4" --term 7 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && grep -q "vote for n1 removed (not in the new configuration)" "$tmp/out" &&
	grep -q "Warning: n1 is not in the new configuration (--force)" "$tmp/out"; then
	ok "OP_CONDUCTOR_INIT_RECOVER_FORCE=true: n1 leaves; its own vote (n1, now removed) is cleared"
else
	bad "forced recovery: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi
info_has "$G/n1" "Log: +1\.\.3 \(3 entries\), last term 7" && info_has "$G/n1" "CurrentTerm: +7" &&
	info_has "$G/n1" "Vote: +none" && ok "second recovery: entry 3 in --term 7, CurrentTerm 7, no vote" ||
	bad "second recovery state: $(cat "$tmp/info")"
[ "$(find "$G" -maxdepth 1 -name '.n1.pre-recover-*' | wc -l)" = 2 ] && ok "each recovery kept its own previous state" ||
	bad "kept directories: $(ls -a "$G")"

# --config FILE: refused while the file lets generate create nodes (no
# "formed": true), with --nodes too, nothing changed; then taken
cat >"$tmp/cluster.json" <<EOF
{"nodes": [{"id": "n2", "address": "$A2"}, {"id": "n3", "address": "$A3"}, {"id": "n4", "address": "$A4", "suffrage": "nonvoter"}]}
EOF
listing "$G" >"$tmp/before"
for how in "--config $tmp/cluster.json" "--config $tmp/cluster.json --nodes n2=$A2"; do
	# shellcheck disable=SC2086
	run raft recover --state-dir "$G/n2" $how
	listing "$G" >"$tmp/after"
	if [ "$rc" = 1 ] && cmp -s "$tmp/before" "$tmp/after" && [ "$(wc -l <"$tmp/err")" = 1 ] &&
		grep -q -- '--config .*cluster.json does not say "formed": true, so raft generate would still re-create .*set "formed": true in it .*nothing was changed' "$tmp/err"; then
		ok "recover $how: a file without \"formed\": true refused, nothing changed"
	else
		bad "recover $how without formed: exit $rc: $(cat "$tmp/err")"
	fi
done
sed -i 's/^{/{"formed": true, /' "$tmp/cluster.json"
run raft recover --state-dir "$G/n2" --config "$tmp/cluster.json"
if [ "$rc" = 0 ] && info_has "$G/n2" "n4 *$A4 *Nonvoter"; then
	ok "--config FILE gives the configuration (n4 as nonvoter)"
else
	bad "--config: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi

# ---- lived/three: compacted log, configuration only in snapshots -----------
S=$tmp/three
cp -r "$V/lived/three" "$S"
rm -f "$S"/*.json
chmod -R u+w "$S"
run raft recover --state-dir "$S/sequencer-1" --nodes sequencer-1=127.0.0.1:37211,sequencer-2=127.0.0.1:37212
if [ "$rc" = 0 ] && grep -q "old (snapshot 2-527-1795355416795" "$tmp/out" &&
	grep -q "append LogConfiguration at index 603, term 3" "$tmp/out"; then
	ok "lived/three sequencer-1: old configuration from the snapshot, entry at 603 (log was 465..602)"
else
	bad "lived/three: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi
"$B" raft verify --state-dir "$S/sequencer-1" >"$tmp/v" 2>&1 && info_has "$S/sequencer-1" "Log: +465\.\.603" &&
	ok "lived/three sequencer-1 verifies after recovery, entries 465..602 kept" || bad "lived/three after recovery: $(tail -n 5 "$tmp/v")"
finish
