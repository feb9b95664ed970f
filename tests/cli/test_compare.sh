#!/usr/bin/env bash
# raft compare: nodes built by tests/cli/mknode.c (our bolt writer and
# raft.Log encoder), each case a cluster state Raft has a clear answer for:
# identical nodes, a follower behind, a deposed leader with an uncommitted
# divergent tail, one height with two hashes, a member mismatch, an invalid
# node, logs that do not overlap; the nodes read at once, on threads, the
# output in the order given; --from-json documents must give what the
# directories give; bad input is one clear line and exit 2 or 1 (also a
# directory without state and more than 64 nodes); every node unreadable.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_BUILD
default_shared
B=$OCI_BIN
make_tmp oci-compare
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_jget
build_mknode
M=$MKNODE

# cmp_json NAME ARGS...: runs compare --json into $tmp/NAME.json, echoes the exit code
cmp_json() {
	local name=$1
	shift
	"$B" raft compare --json "$@" >"$tmp/$name.json" 2>"$tmp/$name.err"
	echo $?
}
rel() { jget "$1" "nodes/$2/relation"; }

# 1. identical nodes
C=$tmp/same
for n in 1 2 3; do "$M" "$C/sequencer-$n" 1-1:1:config 2-80:1:block 81-90:2:block --vote 2:sequencer-1; done
eq "identical: exit" "$(cmp_json same --state-dir "$C")" 0
J=$tmp/same.json
eq "identical: relations" "$(rel "$J" 0) $(rel "$J" 1) $(rel "$J" 2)" "source same same"
eq "identical: source, consistent" "$(jget "$J" source) $(jget "$J" consistent) $(jget "$J" tie)" "sequencer-1 true true"
eq "identical: head" "$(jget "$J" unsafe_heads/highest/number) $(jget "$J" unsafe_heads/highest/hash)" "90 $("$M" --hash 90)"
"$B" raft compare --state-dir "$C" >"$tmp/out"
grep -q "^CONSISTENT$" "$tmp/out" && ok "identical: text verdict" || bad "identical: $(tail -n 3 "$tmp/out")"

# 1b. the nodes are read at once, on threads of their own (issue 27): under
# strace -f, the three raft-log.db files are opened by more than one thread,
# and the output is the same as when each is compared from its own JSON
if strace -f -qq -o /dev/null true >/dev/null 2>&1; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=openat \
		-o "$tmp/cmp.trace" "$B" raft compare --state-dir "$C" >"$tmp/traced.out" 2>&1
	tids=$(grep '/raft-log.db"' "$tmp/cmp.trace" | awk '{print $1}' | sort -u | wc -l)
	[ "$tids" -ge 2 ] && ok "identical: the 3 nodes are read on $tids threads" ||
		bad "identical: the nodes were read by $tids thread(s): $(grep raft-log.db "$tmp/cmp.trace" | head -3)"
	cmp -s "$tmp/out" "$tmp/traced.out" && ok "identical: the same output, read on threads, twice" ||
		bad "identical: output differs between two runs"
else
	echo "skip: strace cannot run here (the threads of compare)"
fi

# 2. a follower behind (a prefix of the leader's log)
C=$tmp/behind
"$M" "$C/sequencer-1" 1-1:1:config 2-200:1:block 201-300:2:block --vote 2:sequencer-1
"$M" "$C/sequencer-2" 1-1:1:config 2-200:1:block 201-300:2:block --vote 2:sequencer-1
"$M" "$C/sequencer-3" 1-1:1:config 2-200:1:block 201-250:2:block --vote 2:sequencer-1
eq "behind: exit" "$(cmp_json behind --state-dir "$C")" 0
J=$tmp/behind.json
eq "behind: sequencer-3" "$(rel "$J" 2) $(jget "$J" nodes/2/behind_by) $(jget "$J" nodes/2/common_index)" "behind 50 250"
"$B" raft compare --state-dir "$C" >"$tmp/out"
grep -q "sequencer-3: behind sequencer-1 by 50 entries: its log is a prefix (they agree up to index 250)" "$tmp/out" &&
	ok "behind: text names it" || bad "behind: $(grep sequencer-3: "$tmp/out")"

# 3. a deposed leader with an uncommitted divergent tail: sequencer-1 led
# term 2 and appended 101..120 alone; sequencer-2 won term 3 with
# sequencer-3 and wrote 101..110 (other blocks: fork 1)
C=$tmp/deposed
"$M" "$C/sequencer-1" 1-1:1:config 2-100:1:block 101-120:2:block --vote 2:sequencer-1
"$M" "$C/sequencer-2" 1-1:1:config 2-100:1:block 101-110:3:block:0:1 --vote 3:sequencer-2
"$M" "$C/sequencer-3" 1-1:1:config 2-100:1:block 101-108:3:block:0:1 --vote 3:sequencer-2
eq "deposed: exit" "$(cmp_json deposed --state-dir "$C")" 1
J=$tmp/deposed.json
eq "deposed: winner (last term 3)" "$(jget "$J" source)" sequencer-2
eq "deposed: sequencer-1 diverged" "$(rel "$J" 0) $(jget "$J" nodes/0/common_index)" "diverged 100"
eq "deposed: discarded tail" "$(jget "$J" nodes/0/discarded/from)..$(jget "$J" nodes/0/discarded/to) term $(jget "$J" nodes/0/discarded/term) vs $(jget "$J" nodes/0/discarded/source_term)" \
	"101..120 term 2 vs 3"
eq "deposed: sequencer-3 behind" "$(rel "$J" 2) $(jget "$J" nodes/2/behind_by)" "behind 2"
"$B" raft compare --state-dir "$C" >"$tmp/out"
grep -q "sequencer-1: DIVERGES from sequencer-2 after index 100: its entries 101..120 (term 2; sequencer-2 has term 3 there)" "$tmp/out" &&
	ok "deposed: the point is named" || bad "deposed: $(grep DIVERGES "$tmp/out")"
grep -q "Most up to date voter (last entry term 3, index 110): sequencer-2." "$tmp/out" &&
	ok "deposed: the recovery source is named" || bad "deposed: $(grep 'Most up' "$tmp/out")"
# the same cluster from the pods' info --json documents, and mixed
for n in 1 2 3; do "$B" raft info --state-dir "$C/sequencer-$n" --json >"$tmp/pod$n.json"; done
eq "deposed --from-json: exit" "$(cmp_json deposed_j --from-json "$tmp/pod1.json" --from-json "$tmp/pod2.json" --from-json "$tmp/pod3.json")" 1
if diff <(grep -v '"origin"' "$tmp/deposed.json") <(grep -v '"origin"' "$tmp/deposed_j.json") >"$tmp/diff"; then
	ok "--from-json documents give what the directories give"
else
	bad "--from-json differs: $(head -c 600 "$tmp/diff")"
fi
"$B" raft info --state-dir "$C" --json >"$tmp/root.json"
cmp_json deposed_r --from-json "$tmp/root.json" >/dev/null
diff <(grep -v '"origin"' "$tmp/deposed.json") <(grep -v '"origin"' "$tmp/deposed_r.json") >/dev/null &&
	ok "--from-json of a cluster root's document" || bad "cluster-root document differs"
cmp_json deposed_m --state-dir "$C/sequencer-1" --from-json "$tmp/pod2.json" --state-dir "$C/sequencer-3" >/dev/null
diff <(grep -v '"origin"' "$tmp/deposed.json") <(grep -v '"origin"' "$tmp/deposed_m.json") >/dev/null &&
	ok "directories and documents mixed" || bad "mixed inputs differ"

# 4. one height, two hashes: the same raft log shape, different blocks
C=$tmp/reorg
"$M" "$C/sequencer-1" 1-1:1:config 2-50:1:block
"$M" "$C/sequencer-2" 1-1:1:config 2-50:1:block:0:7
eq "reorg: exit" "$(cmp_json reorg --state-dir "$C")" 1
J=$tmp/reorg.json
eq "reorg risk" "$(jget "$J" unsafe_heads/reorg_risk/number) $(jget "$J" unsafe_heads/reorg_risk/nodes)" '50 ["sequencer-1","sequencer-2"]'
"$B" raft compare --state-dir "$C" >"$tmp/out"
grep -q "UNSAFE REORG RISK: sequencer-1 and sequencer-2 both hold block 50 with different hashes ($("$M" --hash 50) vs $("$M" --hash 50 7))" "$tmp/out" &&
	ok "reorg: text names both hashes" || bad "reorg: $(grep -i reorg "$tmp/out")"

# 5. a member mismatch
C=$tmp/members
"$M" "$C/sequencer-1" 1-1:1:config 2-20:1:block
"$M" "$C/sequencer-2" 1-1:1:config 2-20:1:block
"$M" "$C/sequencer-3" 1-1:1:config 2-20:1:block --members "sequencer-1=127.0.0.1:50051,sequencer-3=127.0.0.1:50053"
eq "members: exit" "$(cmp_json members --state-dir "$C")" 1
J=$tmp/members.json
eq "members: mismatch" "$(jget "$J" config_mismatch) $(jget "$J" nodes/2/config_differs) $(jget "$J" nodes/1/config_differs)" "true true false"
"$B" raft compare --state-dir "$C" >"$tmp/out"
grep -q "CONFIGURATION MISMATCH: sequencer-3 starts with sequencer-1=127.0.0.1:50051, sequencer-3=127.0.0.1:50053; sequencer-1 with" "$tmp/out" &&
	ok "members: text" || bad "members: $(grep -i mismatch "$tmp/out")"

# 6. an invalid node (op-conductor cannot restore its snapshot) is named
C=$tmp/invalid
"$M" "$C/sequencer-1" 1-1:1:config 2-60:1:block
"$M" "$C/sequencer-2" 1-1:1:config 2-60:1:block --snapshot 50:1:garbage
eq "invalid: exit" "$(cmp_json invalid --state-dir "$C")" 1
eq "invalid: relation" "$(rel "$tmp/invalid.json" 1) $(jget "$tmp/invalid.json" source)" "invalid sequencer-1"

# 7. logs that do not overlap: the follower needs the leader's snapshot
C=$tmp/gap
"$M" "$C/sequencer-1" 500-600:2:block --snapshot 499:2:block:499
"$M" "$C/sequencer-2" 1-1:1:config 2-10:1:block
eq "no overlap: exit" "$(cmp_json gap --state-dir "$C")" 0
eq "no overlap: relation" "$(rel "$tmp/gap.json" 1) $(jget "$tmp/gap.json" nodes/1/behind_by)" "no_overlap 590"

# 8. a cluster real HashiCorp Raft wrote (../shared/vectors/lived/three: three
# nodes, each compacted to a different first index and snapshot)
L=$OCI_SHARED/vectors/lived/three
eq "lived: exit" "$(cmp_json lived --state-dir "$L")" 0
J=$tmp/lived.json
eq "lived: relations" "$(rel "$J" 0) $(rel "$J" 1) $(rel "$J" 2)" "source same same"
eq "lived: logs" "$(jget "$J" nodes/0/log/first_index)..$(jget "$J" nodes/0/log/last_index) $(jget "$J" nodes/1/log/first_index) $(jget "$J" nodes/2/log/first_index)" \
	"$("$B" raft info --state-dir "$L/sequencer-1" --json >"$tmp/l1.json" && jget "$tmp/l1.json" log/first_index)..$(jget "$tmp/l1.json" log/last_index) $("$B" raft info --state-dir "$L/sequencer-2" --json >"$tmp/l2.json" && jget "$tmp/l2.json" log/first_index) $("$B" raft info --state-dir "$L/sequencer-3" --json >"$tmp/l3.json" && jget "$tmp/l3.json" log/first_index)"
cmp_json lived_j --from-json "$tmp/l1.json" --from-json "$tmp/l2.json" --from-json "$tmp/l3.json" >/dev/null
diff <(grep -v '"origin"' "$tmp/lived.json") <(grep -v '"origin"' "$tmp/lived_j.json") >/dev/null &&
	ok "lived: --from-json gives what the directories give" || bad "lived: --from-json differs"

# 8b. snapshots raft does not restore: a copy of lived/three where
# sequencer-1's newest meta.json is cut short (raft restores the older
# one, which does not reach its log's start: raft panics, so INVALID) and
# sequencer-3's older one is (it still starts, but the verdict names it)
D=$tmp/unusable
mkdir -p "$D" && cp -r "$L"/sequencer-* "$D/" && chmod -R u+w "$D"
S1=$(ls "$D/sequencer-1/snapshots" | sort -t- -k2,2n | tail -n 1)
S3=$(ls "$D/sequencer-3/snapshots" | sort -t- -k2,2n | head -n 1)
printf '{"Version": 1, "ID": ' >"$D/sequencer-1/snapshots/$S1/meta.json"
printf '{"Version": 1, "ID": ' >"$D/sequencer-3/snapshots/$S3/meta.json"
eq "unusable: exit" "$(cmp_json unusable --state-dir "$D")" 1
J=$tmp/unusable.json
eq "unusable: relations" "$(rel "$J" 0) $(rel "$J" 1) $(rel "$J" 2)" "invalid source same"
jget "$J" nodes/0/invalid_reason | grep -q '^its log starts at index [0-9]* but no usable snapshot covers index' &&
	ok "unusable: sequencer-1 is invalid: no usable snapshot covers its log's start" ||
	bad "unusable: invalid_reason: $(jget "$J" nodes/0/invalid_reason | head -c 300)"
eq "unusable: counts" "$(jget "$J" nodes/0/unusable_snapshots/count) $(jget "$J" nodes/2/unusable_snapshots/count) $(jget "$J" unusable_snapshots) $(jget "$J" consistent)" "1 1 true false"
"$B" raft compare --state-dir "$D" >"$tmp/out"
grep -q "^  UNUSABLE SNAPSHOT on sequencer-3: $S3: .*raft does not restore it" "$tmp/out" &&
	grep -q "^NOT CONSISTENT$" "$tmp/out" && ok "unusable: text names each unusable snapshot" ||
	bad "unusable: $(grep -E 'UNUSABLE|CONSISTENT' "$tmp/out")"
for n in 1 2 3; do "$B" raft info --state-dir "$D/sequencer-$n" --json >"$tmp/u$n.json"; done
cmp_json unusable_j --from-json "$tmp/u1.json" --from-json "$tmp/u2.json" --from-json "$tmp/u3.json" >/dev/null
diff <(grep -v '"origin"' "$J") <(grep -v '"origin"' "$tmp/unusable_j.json") >/dev/null &&
	ok "unusable: --from-json gives what the directories give" || bad "unusable: --from-json differs"

# 9. bad input: one clear line each
one_line() { # NAME WANT_RC PATTERN ARGS...
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$B" raft compare "$@" >"$tmp/o" 2>"$tmp/e"
	rc=$?
	if [ "$rc" = "$want" ] && [ "$(wc -l <"$tmp/e")" = 1 ] && grep -q "$pat" "$tmp/e" && [ ! -s "$tmp/o" ]; then
		ok "$name: exit $rc, $(cat "$tmp/e")"
	else
		bad "$name: exit $rc (want $want), stderr: $(head -c 300 "$tmp/e"), stdout: $(head -c 200 "$tmp/o")"
	fi
}
one_line "no nodes" 2 "give the nodes to compare"
echo '{"nodes": [' >"$tmp/broken.json"
one_line "unreadable JSON" 1 "is not valid JSON" --state-dir "$tmp/same/sequencer-1" --from-json "$tmp/broken.json"
echo '{"schema_version": 2, "node": "sequencer-9", "log": {}}' >"$tmp/partial.json"
one_line "not an info document" 1 "is not a \`raft info --json\` document: node 1 has no valid" \
	--state-dir "$tmp/same/sequencer-1" --from-json "$tmp/partial.json"
echo '{"schema_version": 1, "node": "sequencer-9"}' >"$tmp/old.json"
one_line "an older schema_version" 1 "has JSON schema_version 1; compare reads version 2" \
	--state-dir "$tmp/same/sequencer-1" --from-json "$tmp/old.json"
one_line "missing JSON file" 1 "from-json cannot open" --state-dir "$tmp/same/sequencer-1" --from-json "$tmp/nope.json"
one_line "the same node twice" 2 "node sequencer-1 is given twice" --state-dir "$tmp/same/sequencer-1" --state-dir "$tmp/same/sequencer-1"
one_line "one ID from two inputs" 2 "node sequencer-1 is given twice" --state-dir "$tmp/same/sequencer-1" --from-json "$tmp/l1.json"
one_line "missing directory" 1 "cannot open --state-dir" --state-dir "$tmp/nope" --state-dir "$tmp/same"
mkdir -p "$tmp/emptyroot"
one_line "a directory without Raft state" 1 "holds no Raft state" --state-dir "$tmp/emptyroot"
# a root of 65 node directories: above the bound of 64, a usage error
# before any is read; and 16 + 1 --state-dir flags
for n in $(seq 1 65); do cp -r "$tmp/same/sequencer-1" "$tmp/many/s$n" 2>/dev/null ||
	{ mkdir -p "$tmp/many" && cp -r "$tmp/same/sequencer-1" "$tmp/many/s$n"; }; done
one_line "more than 64 nodes" 2 "more than 64 nodes to compare" --state-dir "$tmp/many"
many=()
for n in $(seq 1 17); do many+=(--state-dir "$tmp/many/s$n"); done
one_line "--state-dir 17 times" 2 "is given more than 16 times" "${many[@]}"

# 10. every node unreadable (zeroed files): named, and no node is the source
C=$tmp/allbad
for n in a b; do
	mkdir -p "$C/$n"
	head -c 8192 /dev/zero >"$C/$n/raft-log.db"
	head -c 8192 /dev/zero >"$C/$n/raft-stable.db"
done
"$B" raft compare --state-dir "$C" >"$tmp/out" 2>"$tmp/err"
eq "all invalid: exit" "$?" 1
grep -q "^  No node can be compared: every one is invalid.$" "$tmp/out" && grep -q "^NOT CONSISTENT$" "$tmp/out" &&
	ok "all invalid: said so" || bad "all invalid: $(cat "$tmp/out" "$tmp/err")"
eq "all invalid --json: exit" "$(cmp_json allbad --state-dir "$C")" 1
J=$tmp/allbad.json
eq "all invalid --json: source, relations" "$(jget "$J" source) $(rel "$J" 0) $(rel "$J" 1)" "null invalid invalid"
case "$(jget "$J" nodes/0/error)" in
*"both meta pages are invalid"*) ok "all invalid --json: the error is named" ;;
*) bad "all invalid --json: nodes/0/error is '$(jget "$J" nodes/0/error)'" ;;
esac

# names from the files (a node directory's name, a server ID and address in
# a configuration, a vote's candidate) are shown quoted in the text when a
# control byte is in them: no line broken, no escape sequence to the terminal
C=$tmp/hostile
esc=$'\e[31m' bel=$'\a'
"$M" "$C/s2" --members "sequencer-1=127.0.0.1:1,s2=127.0.0.1:2" 1-1:1:config 2-9:1:block
"$M" "$C/n${esc}x" --members "bad${esc}id=127.0.0.1:3${bel},n${esc}x=127.0.0.1:4" 1-1:1:config 2-9:1:block \
	--vote "1:bad${esc}id"
"$B" raft compare --state-dir "$C" >"$tmp/out" 2>&1
if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$tmp/out"; then
	bad "hostile names: a control byte reached the output: $(cat -v "$tmp/out" | grep -m3 '\^\[\|\^G')"
else
	ok "hostile names: no control byte in the text"
fi
grep -q 'MISMATCH: .*"bad\\x1b\[31mid"="127.0.0.1:3\\x07"' "$tmp/out" &&
	ok "hostile names: the configuration's ID and address quoted" ||
	bad "hostile names: $(grep MISMATCH "$tmp/out" | cat -v)"
[ "$(grep -c '^"n\\x1b\[31mx" ' "$tmp/out")" = 1 ] &&
	ok "hostile names: the node directory's name quoted in the table" ||
	bad "hostile names: $(sed -n 3,6p "$tmp/out" | cat -v)"

finish
