#!/usr/bin/env bash
# Proves: how the commands report states with many faults or leftovers
# (issue 25 point 4, present/nodetext.c np_print_errors and
# np_print_snapshots, cmd/recover.c and cmd/compact.c refusals):
#   - a log whose terms go down 13 times (13 errors): verify lists all 13;
#     recover and compact refuse it (exit 1, nothing changed) listing the
#     first 10 and "... and 3 more (run raft verify)";
#   - compact --trailing that would remove entries, without --force and with
#     no terminal: refused (the --json document says why), also when the
#     trailing count comes from OP_CONDUCTOR_INIT_TRAILING;
#   - raft logs --from-block over block numbers that go down (the note), and
#     8 MB of entries to /dev/full (stops at the failed write, one sentence);
#   - a node whose snapshots/ holds only two unfinished *.tmp directories:
#     info and verify name the newest "and more beside it" and do not say
#     "(none)"; verify warns and stays VALID.
#
# Env: OCI_BIN, OCI_BUILD (mknode).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD
B=$OCI_BIN
make_tmp oci-ctop-state
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_mknode

# entries 1 (config, term 1), then 2k at term 5 and 2k+1 at term 1 for k = 1..13
ranges=(1-1:1:config)
for i in $(seq 2 2 26); do ranges+=("$i-$i:5:block" "$((i + 1))-$((i + 1)):1:block"); done
"$MKNODE" "$tmp/Z/s1" --members s1=10.0.0.1:1 "${ranges[@]}" >/dev/null 2>"$tmp/mk.err" || {
	bad "mknode: $(cat "$tmp/mk.err")"
	finish
}
"$B" raft verify --state-dir "$tmp/Z/s1" >"$tmp/out" 2>"$tmp/err"
rc=$?
n=$(grep -c 'term 1 is lower than the previous entry.s term 5$' "$tmp/out")
[ "$rc" = 1 ] && [ "$n" = 13 ] && grep -q '^INVALID: s1: 13 problems$' "$tmp/out" &&
	ok "verify: 13 term decreases, each listed, INVALID" || bad "verify: exit $rc, $n listed: $(tail -n 3 "$tmp/out")"

# refused NAME ARGS...: exit 1, the 10 first of the errors then the count of
# the others with where to see them, the node unchanged
refused() {
	local name=$1 rc n
	shift
	listing "$tmp/Z" >"$tmp/before"
	"$B" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	listing "$tmp/Z" >"$tmp/after"
	n=$(grep -c '^  raft-log.db: index [0-9]*: term 1 is lower than the previous entry.s term 5$' "$tmp/err")
	if [ "$rc" = 1 ] && [ "$n" = 10 ] && grep -qx '  ... and 3 more (run raft verify)' "$tmp/err" &&
		grep -q '^  raft-log.db: index 3: ' "$tmp/err" && ! grep -q 'index 23: ' "$tmp/err" &&
		cmp -s "$tmp/before" "$tmp/after"; then
		ok "$name: refused (exit 1), the first 10 errors and '... and 3 more (run raft verify)', nothing changed"
	else
		bad "$name: exit $rc, $n errors listed, changed: $(cmp -s "$tmp/before" "$tmp/after" && echo no || echo yes): $(head -c 600 "$tmp/err")"
	fi
}
refused "recover of a node with 13 errors" raft recover --state-dir "$tmp/Z/s1" --nodes s1=10.0.0.1:1,s2=10.0.0.2:1
refused "compact of a node with 13 errors" raft compact --state-dir "$tmp/Z/s1"

# compact --trailing that would remove entries, without --force and no
# terminal to ask on: refused, nothing changed; with --json the document says
# why; OP_CONDUCTOR_INIT_TRAILING counts as the flag
"$MKNODE" "$tmp/Q/s1" --members s1=10.0.0.1:1 --snapshot 5:1:block:5 1-1:1:config 2-8:1:block >/dev/null || bad "mknode Q"
listing "$tmp/Q" >"$tmp/before"
"$B" raft compact --state-dir "$tmp/Q/s1" --trailing 2 --json </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
why='--trailing would remove 5 entries and stdin is not a terminal; give --force (or OP_CONDUCTOR_INIT_COMPACT_FORCE=true) to remove them'
[ "$rc" = 1 ] && grep -qF "\"error\":	\"$why\"" "$tmp/out" && [ "$(cat "$tmp/err")" = "op-conductor-init: raft compact: $why; nothing was changed" ] &&
	ok "compact --trailing 2 --json, no terminal: refused, the document and the sentence say why" ||
	bad "compact --trailing --json: exit $rc: $(head -c 300 "$tmp/out") / $(cat "$tmp/err")"
OP_CONDUCTOR_INIT_TRAILING=2 "$B" raft compact --state-dir "$tmp/Q/s1" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] && grep -q '^--trailing 2: remove entries 1\.\.5 (5 entries, ' "$tmp/out" && grep -qF -- "$why" "$tmp/err" &&
	ok "compact with OP_CONDUCTOR_INIT_TRAILING=2: the same plan and refusal" ||
	bad "compact with the variable: exit $rc: $(cat "$tmp/out" "$tmp/err" | head -c 400)"
listing "$tmp/Q" >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok "compact refusals: nothing changed" || bad "compact refusal changed the node"

# raft logs: block numbers that go down (105 at index 5, then 6): --from-block
# prints what the binary search finds and a note saying where they decrease
"$MKNODE" "$tmp/D/s1" --members s1=10.0.0.1:1 1-1:1:config 2-5:1:block:100 6-8:1:block:0 >/dev/null || bad "mknode D"
"$B" raft logs --state-dir "$tmp/D/s1" --from-block 100 >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && [ "$(grep -o '"index":[0-9]*' "$tmp/out" | cut -d: -f2 | tr '\n' ' ')" = "2 3 4 5 " ] &&
	grep -q '^op-conductor-init: raft logs: note: block numbers decrease at index 6 (6 after 105); the block range assumes they do not' "$tmp/err" &&
	ok "logs --from-block over decreasing block numbers: entries 2..5 and the note" ||
	bad "logs --from-block, decreasing: exit $rc, $(grep -c index "$tmp/out") entries: $(cat "$tmp/err")"
# more than the 1 MiB stdout buffer to a full device: the write fails inside
# the listing, which stops and says so once
if [ -w /dev/full ]; then
	"$MKNODE" "$tmp/L/s1" --members s1=10.0.0.1:1 1-1:1:config 2-21:1:block --tx-bytes 200000 >/dev/null || bad "mknode L"
	"$B" raft logs --state-dir "$tmp/L/s1" --payload json >/dev/full 2>"$tmp/err"
	rc=$?
	[ "$rc" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
		grep -q '^op-conductor-init: raft logs: cannot write the entries to stdout: No space left on device' "$tmp/err" &&
		ok "logs of 8 MB to /dev/full: stops at the failed write, one sentence" || bad "logs 8 MB to /dev/full: exit $rc: $(cat "$tmp/err")"
fi

"$MKNODE" "$tmp/Y/s1" --members s1=10.0.0.1:1 1-1:1:config 2-4:1:block >/dev/null || bad "mknode Y"
mkdir -p "$tmp/Y/s1/snapshots/1-3-1700000000000.tmp" "$tmp/Y/s1/snapshots/1-4-1700000000001.tmp"
tmpline="1-4-1700000000001.tmp  unfinished (a *.tmp directory: raft ignores it), and more beside it"
"$B" raft info --state-dir "$tmp/Y/s1" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && grep -qxF "    $tmpline" "$tmp/out" && ! grep -q '(none)' "$tmp/out" &&
	ok "info: two *.tmp snapshot directories: the newest named, 'and more beside it', no '(none)'" ||
	bad "info with *.tmp: exit $rc: $(sed -n '/Snapshots/,/Unsafe/p' "$tmp/out")"
"$B" raft verify --state-dir "$tmp/Y/s1" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && grep -qxF "  $tmpline" "$tmp/out" && grep -qx 'VALID: s1 (1 warning)' "$tmp/out" &&
	grep -q '^  warning snapshots/1-4-1700000000001.tmp: an unfinished snapshot (and more \*.tmp beside it)' "$tmp/out" &&
	ok "verify: *.tmp directories are a warning, the node VALID" ||
	bad "verify with *.tmp: exit $rc: $(tail -n 5 "$tmp/out")"
finish
