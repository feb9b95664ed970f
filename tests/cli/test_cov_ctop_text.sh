#!/usr/bin/env bash
# Proves: what the commands print for states the other tests do not build
# (issue 25 point 4: present/compare.c, info.c, restore.c, recover.c), on
# node directories written by tests/cli/mknode.c:
#   compare
#   - nodes that are all nonvoters of their own configuration: no leader can
#     be elected, recover them (with the term to use);
#   - a nonvoter whose log diverges from the voters' and runs further: NONVOTER
#     AHEAD names the entries it would lose and what recovering from it would
#     cost; its unsafe head is on the lost tail;
#   - one node of a one-voter configuration ("Comparing 1 node", "1 voter";
#     both used to be plural), its
#     only snapshot unusable (no other is usable); two unusable snapshots
#     ("and more");
#   info
#   - a node that is a nonvoter of its configuration; --entries all as text:
#     each entry's type, size, block number and hash prefix (the hash
#     computed by mknode --hash), the configuration under its entry,
#     "not a payload", "(legacy form)";
#   restore --dry-run
#   - into a directory that does not exist (create), an empty one (fill),
#     one named for another node (--into-other-node: a note);
#   recover --dry-run
#   - this node made a nonvoter (--force): the warning; the vote kept, in
#     the JSON too; a node whose log is empty (only a snapshot).
#
# Env: OCI_BIN, OCI_BUILD (mknode).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD
B=$OCI_BIN
make_tmp oci-ctop-text
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_mknode
build_jget

mk() { "$MKNODE" "$@" >/dev/null 2>"$tmp/mk.err" || { bad "mknode $*: $(cat "$tmp/mk.err")"; finish; }; }
hash() { "$MKNODE" --hash "$@"; }
# has NAME FILE LINE: FILE holds LINE exactly (a whole line)
has() {
	if grep -qxF -- "$3" "$2"; then
		ok "$1"
	else
		bad "$1: no line '$3' in: $(head -c 1500 "$2")"
	fi
}
# run WANT ARGS...: the tool's exit status must be WANT; $tmp/out, $tmp/err
run() {
	local want=$1 rc
	shift
	"$B" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = "$want" ] || bad "$*: exit $rc, want $want: $(head -c 400 "$tmp/err")"
}

echo "# compare"
NV='~s1=10.0.0.1:1,~s2=10.0.0.2:1'
mk "$tmp/A/s1" --members "$NV" 1-1:1:config 2-3:1:block
mk "$tmp/A/s2" --members "$NV" 1-1:1:config 2-2:1:block
run 1 raft compare --state-dir "$tmp/A"
has "compare: every node a nonvoter: no leader, recover with the next term" "$tmp/out" \
	"  No valid node is a voter of its own configuration, so none starts an election: raft elects no leader from these nodes. \`raft recover\` them with a configuration that lists them as voters, with --term 2 on every one."

MB='s1=10.0.0.1:1,s2=10.0.0.2:1,~s3=10.0.0.3:1'
mk "$tmp/C/s1" --members "$MB" 1-1:1:config 2-5:1:block
mk "$tmp/C/s2" --members "$MB" 1-1:1:config 2-5:1:block
mk "$tmp/C/s3" --members "$MB" 1-1:1:config 2-3:1:block 4-8:2:block:0:1
run 1 raft compare --state-dir "$tmp/C"
has "compare: a nonvoter ahead on a diverging tail" "$tmp/out" \
	"  NONVOTER AHEAD: s3 holds more than every voter (last entry term 2, index 8), but a nonvoter never starts an election, so raft elects s1. Its entries 4..8 differ from s1's and are discarded when it follows s1. Recovering from s3 instead (listed as a voter) would keep them and lose s1's entries 4..5."
has "compare: the diverging nonvoter's line" "$tmp/out" \
	"  s3: DIVERGES from s1 after index 3: its entries 4..8 (term 2; s1 has term 1 there) are not on s1 and are discarded when it follows s1."
has "compare: its unsafe head (block 8 of fork 1) is lost with that tail" "$tmp/out" \
	"    Its unsafe head (block 8 $(hash 8 1), entry 8) is on that tail: it is lost when it follows s1."

mk "$tmp/F/s1" --members 's1=10.0.0.1:1' --snapshot 5:1:block:5 1-1:1:config 2-8:1:block
echo '{"Version":1' >"$(echo "$tmp"/F/s1/snapshots/*/)meta.json"
run 1 raft compare --state-dir "$tmp/F/s1"
has "compare: one node: 'Comparing 1 node:' (was '1 nodes')" "$tmp/out" "Comparing 1 node:"
has "compare: one node, a one-voter configuration" "$tmp/out" \
	"  One node: the only survivor compared. Its configuration has 1 voter; a leader needs 1."
has "compare: no recovery: '1 voter' (was '1 voters')" "$tmp/out" \
	"  No recovery is needed: 1 of its configuration's 1 voter is here and valid (a leader needs 1), and each grants s1 its vote: raft elects a leader by itself when they start."
has "compare: the only snapshot unusable" "$tmp/out" \
	"  UNUSABLE SNAPSHOT on s1: 1-5-1700000000000: meta.json is not a JSON object; raft does not restore it (no other snapshot is usable)."
mk "$tmp/G/s1" --members 's1=10.0.0.1:1' --snapshot 5:1:block:5 --snapshot 6:1:block:6 1-1:1:config 2-8:1:block
for m in "$tmp"/G/s1/snapshots/*/meta.json; do echo '[]' >"$m"; done
run 1 raft compare --state-dir "$tmp/G/s1"
has "compare: two unusable snapshots: the newest named, 'and more'" "$tmp/out" \
	"  UNUSABLE SNAPSHOT on s1: 1-6-1700000000000: meta.json is not a JSON object (and more: run raft verify); raft does not restore it (no other snapshot is usable)."

echo "# info"
mk "$tmp/I/s2" --members 's1=10.0.0.1:50050,~s2=10.0.0.2:50050' 1-1:1:config 2-2:1:block 3-3:1:legacy 4-4:2:junk 5-5:2:noop
run 0 raft info --state-dir "$tmp/I/s2" --entries all
has "info: the node is a nonvoter of its configuration" "$tmp/out" "Node s2 ($tmp/I/s2): Nonvoter (does not vote)"
h2=$(hash 2)
h3=$(hash 3)
has "info --entries: the configuration entry" "$tmp/out" \
	"           1       1  LogConfiguration         90  2023-11-14T22:13:21.000000000Z"
has "info --entries: its members under it (1 of 2)" "$tmp/out" "              s1  10.0.0.1:50050  Voter"
has "info --entries: its members under it (2 of 2)" "$tmp/out" "              s2  10.0.0.2:50050  Nonvoter"
grep -Eq "^           2       1  LogCommand +[0-9]+  2023-11-14T22:13:22\\.000000000Z  block 2 ${h2:0:12}\$" "$tmp/out" &&
	ok "info --entries: a payload entry: block 2 and its hash's first 12 characters" ||
	bad "info --entries: entry 2 (want block 2 ${h2:0:12}): $(grep '^           2 ' "$tmp/out")"
grep -Eq "^           3       1  LogCommand +[0-9]+  2023-11-14T22:13:23\\.000000000Z  block 3 ${h3:0:12} \\(legacy form\\)\$" "$tmp/out" &&
	ok "info --entries: an early-2024 payload: (legacy form)" ||
	bad "info --entries: entry 3: $(grep '^           3 ' "$tmp/out")"
grep -Eq '^           4       2  LogCommand +[0-9]+  2023-11-14T22:13:24\.000000000Z  not a payload$' "$tmp/out" &&
	ok "info --entries: a command that is no payload" || bad "info --entries: entry 4: $(grep '^           4 ' "$tmp/out")"
has "info --entries: a LogNoop" "$tmp/out" \
	"           5       2  LogNoop                   0  2023-11-14T22:13:25.000000000Z"

echo "# restore --dry-run"
mk "$tmp/R/s1" --members 's1=10.0.0.1:1' 1-1:1:config 2-4:1:block
run 0 raft backup --state-dir "$tmp/R/s1" --backup-dir "$tmp/bk"
BK=$(echo "$tmp"/bk/raft-backup-*)
mkdir -p "$tmp/T/s1e" "$tmp/T/s1f"
listing "$tmp/T" >"$tmp/before"
run 0 raft restore --backup-dir "$BK" --state-dir "$tmp/T/s1" --dry-run
has "restore --dry-run into a new directory: create" "$tmp/out" "  create $tmp/T/s1 with node s1's state"
run 1 raft restore --backup-dir "$BK" --state-dir "$tmp/T/s1e" --dry-run
grep -q "holds node s1's state, but --state-dir $tmp/T/s1e is named for node s1e" "$tmp/err" &&
	ok "restore --dry-run into another node's directory: refused without --into-other-node" ||
	bad "restore into s1e: $(cat "$tmp/err")"
run 0 raft restore --backup-dir "$BK" --state-dir "$tmp/T/s1e" --dry-run --into-other-node
has "restore --dry-run into an empty directory: fill" "$tmp/out" "  fill $tmp/T/s1e with node s1's state"
has "restore --dry-run --into-other-node: the note" "$tmp/out" \
	"Note: $tmp/T/s1e is named for another node than s1 (--into-other-node)."
has "restore --dry-run: nothing changed" "$tmp/out" "Nothing was changed."
run 0 raft restore --backup-dir "$BK" --state-dir "$tmp/T/s1e" --dry-run --into-other-node --json
[ "$(jget "$tmp/out" nodes/0/action)" = fill ] && [ "$(jget "$tmp/out" into_other_node)" = true ] &&
	ok "restore --dry-run --json: action fill, into_other_node" ||
	bad "restore --dry-run --json: $(head -c 600 "$tmp/out")"
listing "$tmp/T" >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && [ ! -e "$tmp/T/s1" ] && ok "restore --dry-run: the targets are as they were" ||
	bad "restore --dry-run changed the targets"

echo "# recover --dry-run"
mk "$tmp/V/s1" --members 's1=10.0.0.1:1,s2=10.0.0.2:1' --vote 1:s2 1-1:1:config 2-4:1:block
RV=(raft recover --state-dir "$tmp/V/s1" --nodes 10.0.0.1:1,10.0.0.2:1 --server-ids s1,s2 --nonvoters s1 --dry-run)
run 1 "${RV[@]}"
grep -q 'is only a nonvoter in the new configuration: .* or use --force' "$tmp/err" && ok "recover: this node a nonvoter needs --force" ||
	bad "recover without --force: $(cat "$tmp/err")"
run 0 "${RV[@]}" --force
has "recover --force: the node's change" "$tmp/out" "  ~ s1 10.0.0.1:1 Voter -> 10.0.0.1:1 Nonvoter   (changed)"
has "recover --force: the vote is kept" "$tmp/out" \
	"Change: append LogConfiguration at index 5, term 2; CurrentTerm 1 -> 2; vote for s2 kept (for term 1, now past)."
has "recover --force: the warning" "$tmp/out" "Warning: s1 is a nonvoter in the new configuration (--force)."
run 0 "${RV[@]}" --force --json
[ "$(jget "$tmp/out" vote)" = kept ] && [ "$(jget "$tmp/out" dry_run)" = true ] &&
	ok "recover --json: vote kept" || bad "recover --json: vote $(jget "$tmp/out" vote)"
mk "$tmp/V/s3" --members 's3=10.0.0.3:1' --snapshot 5:1:block --term 1
run 0 raft recover --state-dir "$tmp/V/s3" --nodes s3=10.0.0.3:1,s4=10.0.0.4:1 --dry-run
has "recover of a node with only a snapshot: log empty" "$tmp/out" \
	"  CurrentTerm 1, log empty, newest snapshot 1-5-1700000000000 (index 5)"
has "recover of a node with only a snapshot: the entry right after it" "$tmp/out" \
	"Change: append LogConfiguration at index 6, term 2 (the log is empty: right after the snapshot); CurrentTerm 1 -> 2; no vote recorded."
finish
