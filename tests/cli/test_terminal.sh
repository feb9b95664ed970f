#!/usr/bin/env bash
# Proves what the commands that replace or remove state do when a person
# answers on a terminal (script(1) gives the command a real pseudo-terminal
# as stdin; the answer is typed into it):
#   - restore onto existing state without --force asks "Continue with
#     restore? [y/N]" after listing what it replaces: "n", an empty line or
#     end of input cancel (exit 0, "Restore cancelled", the node byte for
#     byte as it was, nothing kept aside); "y" and "YES" restore (the node
#     holds the backup's files, the old ones kept aside);
#   - compact --trailing N on a node with a snapshot asks "Remove log
#     entries A..B of DIR": "n" cancels (files unchanged), "y" removes them
#     (the first index moves past the snapshot's);
#   - on a terminal, --log.format json (records, not questions) is refused
#     as a pipe is: it says why, exit 1, nothing changed.
#
# Env: OCI_BIN, OCI_SHARED, OCI_BUILD.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SHARED OCI_BUILD
B=$OCI_BIN
make_tmp oci-terminal
unset_env 'OP_CONDUCTOR_[A-Z_]*'

if ! script -qec true /dev/null </dev/null >/dev/null 2>&1; then
	bad "script(1) cannot run a command on a pseudo-terminal here"
	finish
fi

# tty ANSWER CMD...: runs CMD with a pseudo-terminal as stdin, stdout and
# stderr, ANSWER typed in (printf format, "" for end of input at once);
# sets rc and $tmp/tty (what the terminal showed)
tty() {
	local answer=$1 q
	shift
	q=$(printf '%q ' "$@")
	# shellcheck disable=SC2059
	printf "$answer" | timeout 60 script -qec "$q" /dev/null >"$tmp/tty" 2>&1
	rc=$?
}

NODES=(--nodes 127.0.0.1:50050,127.0.0.1:50051,127.0.0.1:50052 --server-ids s1,s2,s3)
"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$tmp/g" >/dev/null &&
	"$B" raft backup --state-dir "$tmp/g/s1" --backup-dir "$tmp/bk" >/dev/null &&
	"$B" raft recover --state-dir "$tmp/g/s1" "${NODES[@]}" --term 5 >/dev/null || {
	bad "set up a node one recovery ahead of its backup"
	finish
}
BK=$(echo "$tmp"/bk/raft-backup-*)
cp -a "$tmp/g/s1" "$tmp/s1.orig"

# restore: the node as it was, nothing kept aside (a cancelled run)
untouched() {
	if ! cmp -s "$tmp/g/s1/raft-log.db" "$tmp/s1.orig/raft-log.db" ||
		! cmp -s "$tmp/g/s1/raft-stable.db" "$tmp/s1.orig/raft-stable.db"; then
		bad "$1: the node changed"
	elif compgen -G "$tmp/g/.s1.pre-restore-*" >/dev/null; then
		bad "$1: something was kept aside"
	else
		ok "$1"
	fi
}
for a in 'n\n' '\n' '' 'yess\n'; do
	tty "$a" "$B" raft restore --backup-dir "$BK" --state-dir "$tmp/g/s1"
	if [ "$rc" != 0 ] || ! grep -q 'Continue with restore? \[y/N\]' "$tmp/tty" ||
		! grep -q 'Restore cancelled; nothing was changed' "$tmp/tty" ||
		! grep -q "^  - $tmp/g/s1" "$tmp/tty"; then
		bad "restore, answer '$a': want the question, the list and 'cancelled', exit 0; got $rc: $(tr '\r\n' '  ' <"$tmp/tty" | head -c 500)"
	else
		untouched "restore, answer '$a': asked, cancelled, exit 0"
	fi
done
for a in 'y\n' 'YES\n'; do
	rm -rf "$tmp/g/s1" "$tmp"/g/.s1.pre-restore-*
	cp -a "$tmp/s1.orig" "$tmp/g/s1"
	tty "$a" "$B" raft restore --backup-dir "$BK" --state-dir "$tmp/g/s1"
	if [ "$rc" != 0 ] || ! grep -q 'Restored 1 node' "$tmp/tty"; then
		bad "restore, answer '$a': want it restored; got $rc: $(tr '\r\n' '  ' <"$tmp/tty" | head -c 500)"
	elif ! cmp -s "$tmp/g/s1/raft-log.db" "$BK/raft-log.db" ||
		! cmp -s "$(echo "$tmp"/g/.s1.pre-restore-*)/raft-log.db" "$tmp/s1.orig/raft-log.db"; then
		bad "restore, answer '$a': the node is not the backup's, or the old state was not kept"
	else
		ok "restore, answer '$a': restored, the old state kept aside"
	fi
done

# records, not questions: refused on a terminal too
rm -rf "$tmp/g/s1" "$tmp"/g/.s1.pre-restore-*
cp -a "$tmp/s1.orig" "$tmp/g/s1"
tty 'y\n' "$B" raft restore --backup-dir "$BK" --state-dir "$tmp/g/s1" --log.format json
if [ "$rc" = 1 ] && grep -q -- '--log.format writes records, not questions' "$tmp/tty" &&
	! grep -q 'Continue with restore' "$tmp/tty"; then
	untouched "restore --log.format json on a terminal: refused without a question"
else
	bad "restore --log.format json on a terminal: got $rc: $(tr '\r\n' '  ' <"$tmp/tty" | head -c 500)"
fi

# compact --trailing on a node op-conductor ran (snapshot index 527, log
# 465..602)
C=$tmp/c/sequencer-1
mkdir -p "$tmp/c"
cp -r "$OCI_SHARED/vectors/lived/three/sequencer-1" "$C"
chmod -R u+w "$C"
cp "$C/raft-log.db" "$tmp/c.log"
tty 'n\n' "$B" raft compact --state-dir "$C" --trailing 10
if [ "$rc" = 0 ] && grep -q 'Remove log entries 465\.\.527 of .*\[y/N\]' "$tmp/tty" &&
	grep -q 'Compact cancelled; nothing was changed' "$tmp/tty" && cmp -s "$C/raft-log.db" "$tmp/c.log"; then
	ok "compact --trailing 10, answer n: asked, cancelled, the log unchanged"
else
	bad "compact --trailing 10, answer n: got $rc: $(tr '\r\n' '  ' <"$tmp/tty" | head -c 500)"
fi
tty 'y\n' "$B" raft compact --state-dir "$C" --trailing 10
"$B" raft info --state-dir "$C" --json >"$tmp/c.json" 2>/dev/null
build_jget
first=$(jget "$tmp/c.json" log/first_index)
if [ "$rc" = 0 ] && [ "$first" = 528 ]; then
	ok "compact --trailing 10, answer y: entries up to the snapshot removed (first index $first)"
else
	bad "compact --trailing 10, answer y: got $rc, first index $first: $(tr '\r\n' '  ' <"$tmp/tty" | head -c 500)"
fi

finish
