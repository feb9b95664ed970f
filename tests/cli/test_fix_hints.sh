#!/usr/bin/env bash
# Proves (issue 26, point 4): an error the user can fix says how, in its
# one sentence: which file, flag or next command. A representative set of
# such errors, one per kind (a path that holds no state, a database a
# running op-conductor holds, state that does not verify, a compacted node
# whose snapshots/ was left behind, a wrong --term, a cluster file not
# marked formed, a backup directory that is not there or sits inside the
# node, a damaged backup, a symbolic link in the way, a bad --node-id, a reversed range, a
# failed system call, an unknown help topic, a nonvoter named leader, a
# full stdout, a damaged node read by info, logs and backup, a path over
# PATH_MAX, out of memory): each must exit as documented and its sentence
# must hold the fix. On the main of 2026-12-07 09:15 all but the --force
# one lacked it (20 of 21 checks failed); on 075b90e (10:46) the damaged
# node, PATH_MAX and out-of-memory ones did (6 of 28).
# Env: OCI_BIN, OCI_BUILD.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD
output_style colon
unset_env 'OP_CONDUCTOR_.*'
B=$OCI_BIN
make_tmp oci-hints
build_mknode
cleanup_hook() { release; }

# hint NAME EXIT FIX-REGEX CMD...: CMD exits EXIT, its first stderr line is
# the tool's sentence and matches FIX-REGEX (extended)
hint() {
	local name=$1 want=$2 fix=$3
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$?
	local first
	first=$(head -n 1 "$tmp/err")
	if [ "$rc" = "$want" ] && echo "$first" | grep -q '^op-conductor-init: ' &&
		echo "$first" | grep -Eq -- "$fix"; then
		ok "$name: ...$(echo "$first" | grep -Eo -- ".{0,30}$fix.{0,20}" | head -n 1)"
	else
		bad "$name: exit $rc (want $want), no /$fix/ in: $first"
	fi
}

"$B" raft generate --nodes s1=h1:1,s2=h2:2 --initial-leader s1 --output-dir "$tmp/g" >/dev/null ||
	bad "generate"
N=$tmp/g/s1
mkdir "$tmp/empty"
hint "no Raft state in --state-dir" 1 'give a node directory \(<raft.storage.dir>/<server-id>\)' \
	"$B" raft verify --state-dir "$tmp/empty"
hint "a path through a file (ENOTDIR)" 1 'Not a directory \(check the path\)' \
	"$B" raft verify --state-dir "$N/raft-log.db/x"

# a database op-conductor holds
hold "$N/raft-log.db"
hint "verify of a locked node" 1 'give --live to read it while op-conductor runs' \
	"$B" raft verify --state-dir "$N" --timeout 0.2
hint "info of a locked node" 1 'give --live to read it while op-conductor runs' \
	"$B" raft info --state-dir "$N" --timeout 0.2
hint "logs of a locked node" 1 'give --live to read it while op-conductor runs' \
	"$B" raft logs --state-dir "$N" --timeout 0.2
hint "recover of a locked node" 1 'stop op-conductor on this node first' \
	"$B" raft recover --state-dir "$N" --nodes s1=h1:1 --timeout 0.2
release

# state that does not verify
cp -r "$N" "$tmp/bad"
printf '\xff\xff\xff\xff' | dd of="$tmp/bad/raft-log.db" bs=1 seek=16 conv=notrunc status=none
printf '\xff\xff\xff\xff' | dd of="$tmp/bad/raft-log.db" bs=1 seek=4112 conv=notrunc status=none
hint "recover of a node that does not verify" 1 'restore the node from a backup \(raft restore\) first' \
	"$B" raft recover --state-dir "$tmp/bad" --nodes s1=h1:1
hint "compact of a node that does not verify" 1 'restore the node from a backup \(raft restore\) first' \
	"$B" raft compact --state-dir "$tmp/bad" --trailing 0 --force

# a compacted log without its snapshots/ (what restoring a Go-tool backup
# of a compacted node leaves): the problem line says what to bring back
"$MKNODE" "$tmp/c/s1" --members s1=h1:1 465-465:2:config 466-470:2:noop >/dev/null || bad "mknode"
"$B" raft verify --state-dir "$tmp/c/s1" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q "no snapshot covers index 464: .*bring back the node's snapshots/ (a backup made by the Go tool leaves it out" "$tmp/out"; then
	ok "a log starting at 465 without snapshots/: the problem names snapshots/ and the Go tool's backups"
else
	bad "uncovered log start: exit $rc: $(cat "$tmp/out")"
fi

hint "recover --term too low" 1 'give every survivor the same --term above all their CurrentTerms .*at least 2' \
	"$B" raft recover --state-dir "$N" --nodes s1=h1:1 --term 1 --dry-run
printf '{"nodes": [{"id": "s1", "address": "h1:1"}]}\n' >"$tmp/c.json"
hint "recover from a cluster file not marked formed" 1 'set "formed": true in it' \
	"$B" raft recover --state-dir "$N" --config "$tmp/c.json" --dry-run
hint "restore from a backup directory that is not there" 1 'give a raft-backup-\.\.\. directory that raft backup wrote' \
	"$B" raft restore --backup-dir "$tmp/nonexistent" --state-dir "$N"
hint "backup into the node itself" 1 'give a directory outside it' \
	"$B" raft backup --state-dir "$N" --backup-dir "$N/bk"
hint "restore --node-id that is no server ID" 2 'give the name of one node directory in the backup' \
	"$B" raft restore --backup-dir "$tmp/nonexistent" --state-dir "$N" --node-id 'a/b'
"$B" raft backup --state-dir "$N" --backup-dir "$tmp/bk" >/dev/null 2>&1 || bad "backup"
hint "restore over existing state, stdin not a terminal" 1 'refusing to replace it without --force' \
	"$B" raft restore --backup-dir "$(ls -d "$tmp"/bk/raft-backup-* | head -n 1)" --state-dir "$N"
cp -r "$(ls -d "$tmp"/bk/raft-backup-* | head -n 1)" "$tmp/damaged"
printf '\xff' | dd of="$tmp/damaged/raft-log.db" bs=1 seek=5000 conv=notrunc status=none
hint "restore of a damaged backup" 1 'restore another backup' \
	"$B" raft restore --backup-dir "$tmp/damaged" --dry-run
mkdir "$tmp/l"
ln -s "$tmp/g/s1" "$tmp/l/s1"
hint "generate through a symbolic link" 1 'give --output-dir where the link points, or remove the link' \
	"$B" raft generate --nodes s1=h1:1 --initial-leader s1 --output-dir "$tmp/l"
hint "logs --from above --to" 2 'give --from <= --to' \
	"$B" raft logs --state-dir "$N" --from 5 --to 2
hint "help for an unknown command" 2 'see op-conductor-init raft --help' \
	"$B" help raft bogus
hint "a nonvoter as initial leader" 2 'name a voter' \
	"$B" raft generate --nodes s1=h1:1,s2=h2:2 --initial-leader s2 --nonvoters s2 --output-dir "$tmp/nv"

# A damaged node: a real bbolt file whose page 2 (the root of its buckets)
# has a page type bbolt never writes. Every command that reads it fails on
# a corrupt page deep inside raftstate/, where the fix is not known: it is
# given by class and command at print time (np_err_fix) and ends the
# sentence: verify names the faults, then a backup or the leader restores.
cp -r "$N" "$tmp/dmg"
printf '\x77\x77' | dd of="$tmp/dmg/raft-log.db" bs=1 seek=$((2 * 4096 + 8)) conv=notrunc status=none
damaged="the node's state is damaged \(op-conductor-init raft verify --state-dir $tmp/dmg names every fault\): restore it from a backup \(raft restore\), or, while a majority of its cluster is healthy, start it with an empty state directory and let the leader fill it\$"
hint "info of a damaged node" 1 "$damaged" "$B" raft info --state-dir "$tmp/dmg"
hint "info --json of a damaged node" 1 "$damaged" "$B" raft info --state-dir "$tmp/dmg" --json
hint "logs of a damaged node" 1 "$damaged" "$B" raft logs --state-dir "$tmp/dmg"
hint "backup of a damaged node" 1 "$damaged" "$B" raft backup --state-dir "$tmp/dmg" --backup-dir "$tmp/bkd"
# a fix the site gives itself is not doubled
"$B" raft compact --state-dir "$tmp/dmg" --trailing 0 --force >/dev/null 2>"$tmp/err"
if [ "$(grep -c 'restore' "$tmp/err")" = 1 ] && ! grep -q 'names every fault' "$tmp/err"; then
	ok "compact of a damaged node: its own fix, not a second one"
else
	bad "compact of a damaged node: $(head -n 1 "$tmp/err")"
fi
# over a bound no flag raises: a --backup-dir longer than PATH_MAX
long=$tmp
while [ ${#long} -lt 4200 ]; do long=$long/$(printf 'd%.0s' {1..200}); done
hint "backup into a path over PATH_MAX" 1 'too long; no flag raises this bound: give a shorter path, or, for a file, check that it is one raft wrote \(one beyond the bound is damaged or something else\)$' \
	"$B" raft backup --state-dir "$N" --backup-dir "$long"
# out of memory: a 56 MB log under a 40 MB address-space limit fails to be
# mapped (or, were the limit higher, its 40 MB entry to be copied); both
# end with the fix. A sanitizer build reserves terabytes of address space
# and cannot start under any such limit: there the check is not made.
if grep -qa __asan_init "$B"; then
	ok "out of memory: not checked under a sanitizer build"
else
	"$MKNODE" "$tmp/big/s1" --members s1=h1:1 --tx-bytes 40000000 1-1:1:config 2-2:1:block >/dev/null ||
		bad "mknode big"
	hint "logs out of memory" 1 "free memory, or raise the memory limit: the container's, or ulimit -v\)?\$" \
		bash -c 'ulimit -v 40000 && exec "$@"' - "$B" raft logs --state-dir "$tmp/big/s1"
	rm -rf "$tmp/big"
fi
if [ -w /dev/full ]; then
	"$B" raft info --state-dir "$N" >/dev/full 2>"$tmp/err"
	rc=$?
	[ "$rc" = 1 ] && grep -q 'error writing to standard output (is the disk or pipe it goes to full or closed?)' "$tmp/err" &&
		ok "stdout full: says where to look" || bad "stdout full: exit $rc $(cat "$tmp/err")"
fi
finish
