#!/usr/bin/env bash
# Proves, for `raft recover` on states mknode builds (issue 25 point 4,
# raftstate/recover.c paths no other test took):
#   - a node whose CurrentTerm is 2^64-1 (no raft cluster reaches it: the
#     state is damaged) is refused with one sentence that says so and
#     points at raft restore, with or without --term; it used to say "no
#     flag raises this bound: give a shorter path" without --term, and "at
#     least 0 here" with one; nothing is changed;
#   - a vote for a candidate of 300 bytes (longer than raft-stable.db's
#     value is read whole) is removed by the recovery, as a vote for a
#     server outside the new configuration is; the node verifies after.
#
# Env: OCI_BIN, OCI_BUILD (mknode).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD
B=$OCI_BIN
make_tmp oci-cengine-recover
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_mknode
MEM=s1=127.0.0.1:7001,s2=127.0.0.1:7002,s3=127.0.0.1:7003

echo "# CurrentTerm 2^64-1"
mkdir -p "$tmp/a"
"$MKNODE" "$tmp/a/s1" --members "$MEM" --term 18446744073709551615 1-1:1:config || bad "mknode failed"
listing "$tmp/a" >"$tmp/before"
for extra in "" "--term 5" "--term 18446744073709551615"; do
	# shellcheck disable=SC2086
	"$B" raft recover --state-dir "$tmp/a/s1" --nodes "$MEM" $extra </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	listing "$tmp/a" >"$tmp/after"
	if [ "$rc" != 1 ]; then
		bad "term 2^64-1 ${extra:-(no --term)}: exit $rc, want 1: $(cat "$tmp/err")"
	elif [ "$(wc -l <"$tmp/err")" != 1 ] || [ -s "$tmp/out" ]; then
		bad "term 2^64-1 ${extra:-(no --term)}: not one line on stderr alone: $(cat "$tmp/out" "$tmp/err")"
	elif ! grep -q '^op-conductor-init: raft recover: the term cannot grow beyond 2^64-1: this node has seen term 2^64-1, which no raft cluster reaches, so its state is damaged; restore it from a backup (raft restore); nothing was changed$' "$tmp/err"; then
		bad "term 2^64-1 ${extra:-(no --term)}: $(cat "$tmp/err")"
	elif ! cmp -s "$tmp/before" "$tmp/after"; then
		bad "term 2^64-1 ${extra:-(no --term)}: the node changed"
	else
		ok "term 2^64-1 ${extra:-(no --term)}: refused, damaged state named, nothing changed"
	fi
done

echo "# a vote for a 300-byte candidate"
long=$(printf 'c%.0s' $(seq 300))
mkdir -p "$tmp/b"
"$MKNODE" "$tmp/b/s1" --members "$MEM" --vote "1:$long" 1-1:1:config || bad "mknode failed"
"$B" raft recover --state-dir "$tmp/b/s1" --nodes "$MEM" --dry-run </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && grep -q "vote for c\{255\}" "$tmp/out" && grep -q 'removed (not in the new configuration)' "$tmp/out"; then
	ok "--dry-run: the long vote would be removed"
else
	bad "--dry-run: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi
"$B" raft recover --state-dir "$tmp/b/s1" --nodes "$MEM" --json </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
"$B" raft info --state-dir "$tmp/b/s1" </dev/null >"$tmp/info" 2>&1
"$B" raft verify --state-dir "$tmp/b/s1" </dev/null >"$tmp/verify" 2>&1
vrc=$?
if [ "$rc" != 0 ]; then
	bad "recover: exit $rc: $(cat "$tmp/err")"
elif grep -q 'ccccc' "$tmp/info"; then
	bad "recover: the vote is still there: $(grep -i vote "$tmp/info")"
elif ! grep -q 'CurrentTerm: *2$' "$tmp/info"; then
	bad "recover: CurrentTerm not raised to 2: $(cat "$tmp/info")"
elif [ "$vrc" != 0 ]; then
	bad "recover: the node does not verify: $(cat "$tmp/verify")"
else
	ok "recover: the long vote is gone, CurrentTerm 2, the node verifies"
fi

finish
