#!/usr/bin/env bash
# Proves, for `raft compact --trailing` (issue 25 point 4, raftstate/compact.c
# paths no other test took):
#   - a range of more than 100,000 entries (compact deletes at most 100,000
#     a transaction) is removed whole: 100,100 entries below a snapshot at
#     100,100 go, the 50 after it stay, the node verifies, the old state is
#     kept;
#   - when the last index minus --trailing is below the newest snapshot and
#     below the first entry, nothing is removed, and the message names the
#     last index minus --trailing as the bound (the lived vector: log
#     465..602, snapshot 527, --trailing 200 gives 402; --dry-run writes
#     nothing).
#
# Env: OCI_BIN, OCI_BUILD (mknode), OCI_SHARED (default ../shared).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD
default_shared
B=$OCI_BIN
make_tmp oci-cengine-compact
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_mknode
MEM=s1=127.0.0.1:7001,s2=127.0.0.1:7002,s3=127.0.0.1:7003

echo "# more entries than one delete transaction takes"
mkdir -p "$tmp/big"
"$MKNODE" "$tmp/big/s1" --members "$MEM" --batch 20000 --snapshot 100100:1:empty \
	1-1:1:config 2-100150:1:noop || bad "mknode failed"
timeout 120 "$B" raft compact --state-dir "$tmp/big/s1" --trailing 0 --force </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
"$B" raft info --state-dir "$tmp/big/s1" </dev/null >"$tmp/info" 2>&1
"$B" raft verify --state-dir "$tmp/big/s1" </dev/null >"$tmp/verify" 2>&1
vrc=$?
kept=$(ls -d "$tmp"/big/.s1.pre-compact-* 2>/dev/null | head -1)
if [ "$rc" != 0 ]; then
	bad "compact: exit $rc: $(cat "$tmp/err")"
elif ! grep -q '^Removed entries 1\.\.100100 (100100)\.$' "$tmp/out"; then
	bad "compact: $(cat "$tmp/out")"
elif ! grep -q 'Log: *100101\.\.100150 (50 entries), last term 1' "$tmp/info"; then
	bad "compact: the log is not 100101..100150: $(grep Log: "$tmp/info")"
elif [ "$vrc" != 0 ]; then
	bad "compact: the node does not verify: $(cat "$tmp/verify")"
elif [ -z "$kept" ] || ! "$B" raft info --state-dir "$kept" </dev/null 2>&1 | grep -q 'Log: *1\.\.100150 (100150 entries)'; then
	bad "compact: the old state is not kept whole (${kept:-none})"
else
	ok "100,100 entries removed in more than one transaction, 50 kept, verifies, old state kept"
fi

echo "# the bound is the last index minus --trailing"
mkdir -p "$tmp/lv"
cp -r "$OCI_SHARED/vectors/lived/three/sequencer-1" "$tmp/lv/" || bad "no lived vector"
listing "$tmp/lv" >"$tmp/before"
"$B" raft compact --state-dir "$tmp/lv/sequencer-1" --trailing 200 --dry-run </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
listing "$tmp/lv" >"$tmp/after"
if [ "$rc" = 0 ] && grep -q '^--trailing 200: no entry to remove: every entry is after index 402 (the last index minus --trailing)\.$' "$tmp/out" &&
	cmp -s "$tmp/before" "$tmp/after"; then
	ok "--trailing 200 on 465..602 (snapshot 527): nothing to remove, bound 402 named, nothing written"
else
	bad "--trailing 200: exit $rc: $(cat "$tmp/out" "$tmp/err")"
fi

finish
