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
#   - a document of no nodes; two roots that hold 66 nodes together;
#   info
#   - a node that is a nonvoter of its configuration; --entries all as text:
#     each entry's type, size, block number and hash prefix (the hash
#     computed by mknode --hash), the configuration under its entry,
#     "not a payload", "(legacy form)"; a vote term without a candidate
#     (raft writes them in two transactions) and a candidate without a term;
#     --entries 0 (no table), --entries all of an empty log ("(none)");
#     a Staging node, a member of a suffrage raft does not have (Suffrage(7)),
#     a LogConfiguration entry that does not decode;
#   restore --dry-run
#   - into a directory that does not exist (create), an empty one (fill),
#     one named for another node (--into-other-node: a note);
#   - compressed backups: one holding an invalid node (refused after
#     inflating, its errors listed), one whose manifest crc32 is wrong (dry
#     run, and a restore onto existing state without --force: damaged,
#     nothing changed);
#   generate: the summary of one node, with and without a --network name;
#   recover --dry-run
#   - this node made a nonvoter (--force): the warning; the vote kept, in
#     the JSON too; a node whose log is empty (only a snapshot); members of
#     a suffrage raft has no name for, removed and moved (Suffrage(7), was "?").
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

echo '{"schema_version": 2, "nodes": []}' >"$tmp/none.json"
run 2 raft compare --from-json "$tmp/none.json"
grep -qx 'op-conductor-init: raft compare: the inputs hold no node to compare; give node directories (--state-dir) or raft info --json documents (--from-json)' "$tmp/err" &&
	ok "compare: a document of no nodes: usage error" || bad "compare of no nodes: $(cat "$tmp/err")"
# two roots of 33 nodes each: 66, over the bound of 64 only together
for i in $(seq 1 33); do cp -r "$tmp/F/s1" "$tmp/M1/a$i" 2>/dev/null || { mkdir -p "$tmp/M1" && cp -r "$tmp/F/s1" "$tmp/M1/a$i"; }; done
cp -r "$tmp/M1" "$tmp/M2"
run 2 raft compare --state-dir "$tmp/M1" --state-dir "$tmp/M2"
grep -qx 'op-conductor-init: raft compare: more than 64 nodes to compare; compare them in groups of at most 64' "$tmp/err" &&
	ok "compare: two roots of 33 nodes: more than 64, usage error" || bad "compare of 66 nodes: $(cat "$tmp/err")"

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

# raft's persistVote writes LastVoteTerm, then LastVoteCand, in two
# transactions (raft v1.7.3 raft.go; raft-boltdb BoltStore.SetUint64/Set):
# a node can hold the first without the second
mk "$tmp/I/s3" --members 's1=10.0.0.1:50050,s3=10.0.0.3:50050' --vote 3: 1-1:1:config
run 0 raft info --state-dir "$tmp/I/s3"
has "info: LastVoteTerm without LastVoteCand" "$tmp/out" "  Vote:          term 3, no candidate recorded"
run 0 raft info --state-dir "$tmp/I/s3" --json
[ "$(jget "$tmp/out" vote/term)" = 3 ] && [ "$(jget "$tmp/out" vote/candidate)" = null ] &&
	ok "info --json: vote term 3, candidate null" || bad "info --json vote: $(jget "$tmp/out" vote)"
# and raft starts on it: verify says VALID, with a warning (CurrentTerm 3:
# raft sets the term before it votes in it)
mk "$tmp/I/s3t" --members 's1=10.0.0.1:50050,s3t=10.0.0.3:50050' --term 3 --vote 3: 1-1:1:config
run 0 raft verify --state-dir "$tmp/I/s3t"
tail -n1 "$tmp/out" | grep -q '^VALID' && grep -q 'LastVoteTerm is set but LastVoteCand is not (raft writes the term first' "$tmp/out" &&
	ok "verify: LastVoteTerm without LastVoteCand is VALID with a warning" || bad "verify s3t: $(cat "$tmp/out")"
mk "$tmp/I/s4" --members 's1=10.0.0.1:50050,s4=10.0.0.4:50050' --vote :s1 1-1:1:config
run 0 raft info --state-dir "$tmp/I/s4"
has "info: LastVoteCand without LastVoteTerm" "$tmp/out" "  Vote:          term not set for s1"

# suffrages beside Voter and Nonvoter: Staging (raft v1.7.3 configuration.go)
# and one raft does not have; a LogConfiguration entry that does not decode
mk "$tmp/I/s6" --members 's1=10.0.0.1:1,^s6=10.0.0.6:1,!s7=10.0.0.7:1' 1-1:1:config 2-2:1:badconfig
run 0 raft info --state-dir "$tmp/I/s6" --entries all
has "info: a Staging node" "$tmp/out" "Node s6 ($tmp/I/s6): Staging (does not vote yet)"
has "info: a suffrage raft does not have, by its number" "$tmp/out" "    s7  10.0.0.7:1  Suffrage(7)"
has "info --entries: a configuration entry that does not decode" "$tmp/out" "              (the configuration does not decode; run verify)"
mk "$tmp/I/s7" --members 's1=10.0.0.1:1,^s6=10.0.0.6:1,!s7=10.0.0.7:1' 1-1:1:config
run 0 raft info --state-dir "$tmp/I/s7"
has "info: a node of an unknown suffrage" "$tmp/out" "Node s7 ($tmp/I/s7): member with an unknown suffrage"
run 0 raft info --state-dir "$tmp/I/s2" --entries 0
grep -q 'Entries' "$tmp/out" && bad "info --entries 0 printed an entries table" || ok "info --entries 0: no entries table"
mk "$tmp/I/s5" --members 's5=10.0.0.5:1' --snapshot 5:1:block --term 1
run 0 raft info --state-dir "$tmp/I/s5" --entries all
has "info --entries all of a node whose log is empty: (none)" "$tmp/out" "  (none)"

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

# compressed backups: the manifest is checked when the files are inflated
# (deferred), the nodes on their inflated copies
# gzbackup NAME: a --compress backup of $tmp/R/s1 in $tmp/NAME; its path in $GZ
gzbackup() {
	"$B" raft backup --state-dir "$tmp/R/s1" --backup-dir "$tmp/$1" --compress >/dev/null 2>&1 || bad "backup --compress $1"
	GZ=$(echo "$tmp/$1"/raft-backup-*)
}
# manifest_log BACKUP [DB]: raft-log.db's crc32 in BACKUP's manifest off by
# one, or (DB given) raft-log.db.gz holding DB with a manifest that matches it
manifest_log() {
	python3 - "$@" <<'PY'
import gzip, json, os, sys, zlib
bk = sys.argv[1]
m = json.load(open(os.path.join(bk, "MANIFEST.json")))
for f in m["files"]:
    if f["path"] != "raft-log.db":
        continue
    if len(sys.argv) > 2:
        data = open(sys.argv[2], "rb").read()
        gz = gzip.compress(data, mtime=0)
        open(os.path.join(bk, "raft-log.db.gz"), "wb").write(gz)
        f["size"], f["crc32"], f["stored_size"] = len(data), zlib.crc32(data), len(gz)
    else:
        f["crc32"] = (f["crc32"] + 1) % 2**32
json.dump(m, open(os.path.join(bk, "MANIFEST.json"), "w"), indent="\t")
PY
}
ranges=(1-1:1:config)
for i in $(seq 2 2 26); do ranges+=("$i-$i:5:block" "$((i + 1))-$((i + 1)):1:block"); done
mk "$tmp/Z/s1" --members s1=10.0.0.1:1 "${ranges[@]}"
gzbackup gzbad
manifest_log "$GZ" "$tmp/Z/s1/raft-log.db"
run 1 raft restore --backup-dir "$GZ" --state-dir "$tmp/T/s1" --dry-run
[ "$(grep -c '^  raft-log.db: index [0-9]*: term 1 is lower than the previous entry.s term 5$' "$tmp/err")" = 10 ] &&
	grep -q '^op-conductor-init: raft restore: backup of the node does not verify (inflated); .*; nothing was changed$' "$tmp/err" &&
	ok "restore --dry-run of a compressed backup of an invalid node: refused after inflating, the errors listed" ||
	bad "restore --dry-run, invalid node inside: $(head -c 500 "$tmp/err")"
gzbackup gzcrc
manifest_log "$GZ"
mkdir -p "$tmp/T2"
cp -r "$tmp/R/s1" "$tmp/T2/s1"
listing "$tmp/T2" >"$tmp/before"
for how in "--dry-run" "(onto existing state, no --force)"; do
	args=()
	[ "$how" = --dry-run ] && args=(--dry-run)
	run 1 raft restore --backup-dir "$GZ" --state-dir "$tmp/T2/s1" "${args[@]}" </dev/null
	grep -Eq '^op-conductor-init: raft restore: backup .* is damaged: raft-log\.db\.gz has crc32 [0-9a-f]{8}, the manifest says [0-9a-f]{8}; .*nothing was changed$' "$tmp/err" &&
		ok "restore $how of a compressed backup whose manifest crc32 is wrong: damaged, nothing changed" ||
		bad "restore $how, crc32 off: $(head -c 400 "$tmp/err")"
done
listing "$tmp/T2" >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok "restore of the damaged backups: the existing state is as it was" ||
	bad "restore of a damaged backup changed the existing state"

echo "# generate"
run 0 raft generate --nodes 10.0.0.1:1 --server-ids s1 --initial-leader s1 --output-dir "$tmp/gen1" --network ''
has "generate of one node, an empty --network: not named" "$tmp/out" "Generated Raft state for 1 node in $tmp/gen1 (initial term 1):"
run 0 raft generate --nodes 10.0.0.1:1 --server-ids s1 --initial-leader s1 --output-dir "$tmp/gen2" --network op-x
has "generate with --network: named" "$tmp/out" "Generated Raft state for 1 node in $tmp/gen2 (initial term 1, network op-x):"

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
# members of a suffrage raft has no name for, removed and moved: named by
# number as info names them (they used to print as "?")
mk "$tmp/V/s5" --members 's5=10.0.0.5:1,!s7=10.0.0.7:1,!s8=10.0.0.8:1' 1-1:1:config 2-3:1:block
run 0 raft recover --state-dir "$tmp/V/s5" --nodes s5=10.0.0.5:1,s7=10.0.0.9:1 --dry-run
has "recover: a removed member of suffrage 7" "$tmp/out" "  - s8 10.0.0.8:1 Suffrage(7)   (removed)"
has "recover: a member of suffrage 7 made a voter at a new address" "$tmp/out" \
	"  ~ s7 10.0.0.7:1 Suffrage(7) -> 10.0.0.9:1 Voter   (changed)"
mk "$tmp/V/s3" --members 's3=10.0.0.3:1' --snapshot 5:1:block --term 1
run 0 raft recover --state-dir "$tmp/V/s3" --nodes s3=10.0.0.3:1,s4=10.0.0.4:1 --dry-run
has "recover of a node with only a snapshot: log empty" "$tmp/out" \
	"  CurrentTerm 1, log empty, newest snapshot 1-5-1700000000000 (index 5)"
has "recover of a node with only a snapshot: the entry right after it" "$tmp/out" \
	"Change: append LogConfiguration at index 6, term 2 (the log is empty: right after the snapshot); CurrentTerm 1 -> 2; no vote recorded."
finish
