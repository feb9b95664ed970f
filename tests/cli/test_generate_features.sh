#!/usr/bin/env bash
# Proves the operator features of `raft generate` beyond the Go tool
# (docs/operations.md: "Operator features"), each also through its OP_CONDUCTOR_INIT_*
# variable:
#   --node-id/--only  one node, cmp-identical to the same node of a full run
#   --if-absent       a rerun writes nothing (tree listing with mtimes
#                     unchanged) and exits 0; raft's later state of the same
#                     cluster (shared/vectors/lived/three) is "already
#                     initialized" and wins even with other members (the
#                     difference on stderr); generated state of a different
#                     cluster exits 1 with a diff and changes nothing; a
#                     partial state is a conflict
#   id=address pairs  the same bytes as --nodes + --server-ids; mixing forms
#                     and disagreeing --server-ids are usage errors
#   --config FILE     the same bytes as the equivalent flags; flags override
#                     the file; errors name the JSON path; cluster.json is a
#                     valid --config
#   --nonvoters       Suffrage 1 in the configuration entry; never the leader
#   --chown           owner of every written dir and file (root only)
#   cluster.json      written when a feature is used, sha256 of each file
#                     matches, never written by a plain Go-style run
#
# Env: OCI_BIN, OCI_TESTDATA (gen/ vectors), OCI_SHARED (optional, lived/).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_TESTDATA
B=$OCI_BIN
V3=$OCI_TESTDATA/gen/three
V5=$OCI_TESTDATA/gen/five
LIVED=${OCI_SHARED:-/nonexistent}/vectors/lived/three
make_tmp oci-genfeat
unset_env 'OP_CONDUCTOR_INIT_[A-Z_]*'
check() { # check NAME CONDITION-SHELL-CODE
	if eval "$2"; then ok "$1"; else bad "$1"; fi
}

A1=sequencer-1.ns.svc.cluster.local:50050
A2=sequencer-2.ns.svc.cluster.local:50050
A3=sequencer-3.ns.svc.cluster.local:50050
A4=sequencer-4.ns.svc.cluster.local:50050
A5=sequencer-5.ns.svc.cluster.local:50050
N3=$A1,$A2,$A3
I3=sequencer-1,sequencer-2,sequencer-3
N5=$N3,$A4,$A5
I5=$I3,sequencer-4,sequencer-5
P3=sequencer-1=$A1,sequencer-2=$A2,sequencer-3=$A3
G3=(raft generate --nodes "$N3" --server-ids "$I3" --initial-leader sequencer-1)
G5=(raft generate --nodes "$N5" --server-ids "$I5" --initial-leader sequencer-1 --initial-term 7)

# run NAME WANT-RC CMD...: runs CMD in $tmp, output in $tmp/out, $tmp/err
run() {
	local name=$1 want=$2 got
	shift 2
	(cd "$tmp" && "$@") >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		bad "$name: exit $got, want $want: $(head -c 600 "$tmp/err")"
		return 1
	fi
	return 0
}
# same_node VEC DIR ID: DIR/ID/ holds exactly VEC/ID's two files, cmp-identical
same_node() {
	[ "$(ls "$2/$3" | LC_ALL=C sort | tr '\n' ' ')" = "raft-log.db raft-stable.db " ] &&
		cmp -s "$1/$3/raft-log.db" "$2/$3/raft-log.db" &&
		cmp -s "$1/$3/raft-stable.db" "$2/$3/raft-stable.db"
}
# same_all VEC DIR: every .db of VEC, cmp-identical, and nothing else but cluster.json
same_all() {
	local f
	[ "$( (cd "$1" && find . -name '*.db') | LC_ALL=C sort)" = "$( (cd "$2" && find . -mindepth 1 -not -type d ! -name cluster.json) | LC_ALL=C sort)" ] || return 1
	for f in $(cd "$1" && find . -name '*.db'); do cmp -s "$1/$f" "$2/$f" || return 1; done
}
snap() { (cd "$1" && find . -printf '%p %y %s %m %u %g %T@\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort); }
json_files_match() { # every "path"/"sha256" pair of DIR/cluster.json matches the file
	local dir=$1 p h n=0
	while read -r p h; do
		[ "$(sha256sum <"$dir/$p" | cut -d' ' -f1)" = "$h" ] || return 1
		n=$((n + 1))
	done < <(tr -d '\t\n ' <"$dir/cluster.json" | grep -o '"path":"[^"]*","size":[0-9]*,"sha256":"[0-9a-f]*"' |
		sed 's/"path":"\([^"]*\)","size":[0-9]*,"sha256":"\([0-9a-f]*\)"/\1 \2/')
	[ "$n" -gt 0 ]
}

echo "# --node-id / --only"
for id in sequencer-1 sequencer-2 sequencer-5; do
	run "--node-id $id (five)" 0 "$B" "${G5[@]}" --output-dir "n5-$id" --node-id "$id" &&
		check "--node-id $id: only DIR/$id/, cmp-identical to gen/five's $id" \
			'[ "$(ls "$tmp/n5-$id" | tr "\n" " ")" = "cluster.json $id " ] && same_node "$V5" "$tmp/n5-$id" "$id"'
done
run "--only alias" 0 "$B" "${G3[@]}" --output-dir only --only sequencer-3 &&
	check "--only sequencer-3 cmp-identical to gen/three" 'same_node "$V3" "$tmp/only" sequencer-3 && [ ! -e "$tmp/only/sequencer-1" ]'
run "OP_CONDUCTOR_INIT_NODE_ID" 0 env OP_CONDUCTOR_INIT_NODE_ID=sequencer-2 "$B" "${G3[@]}" --output-dir envnode &&
	check "OP_CONDUCTOR_INIT_NODE_ID=sequencer-2 writes only that node" 'same_node "$V3" "$tmp/envnode" sequencer-2 && [ ! -e "$tmp/envnode/sequencer-1" ]'
run "OP_CONDUCTOR_INIT_ONLY" 0 env OP_CONDUCTOR_INIT_ONLY=sequencer-1 "$B" "${G3[@]}" --output-dir envonly &&
	check "OP_CONDUCTOR_INIT_ONLY=sequencer-1 (leader) writes only that node" 'same_node "$V3" "$tmp/envonly" sequencer-1 && [ ! -e "$tmp/envonly/sequencer-2" ]'
run "--node-id not a member" 2 "$B" "${G3[@]}" --output-dir nx --node-id sequencer-9 &&
	check "--node-id sequencer-9: usage error naming it, nothing written" 'grep -q "sequencer-9" "$tmp/err" && [ ! -e "$tmp/nx" ]'
run "--node-id and --only disagree" 2 "$B" "${G3[@]}" --output-dir nx --node-id sequencer-1 --only sequencer-2 &&
	check "--node-id vs --only: usage error" 'grep -q "alias" "$tmp/err" && [ ! -e "$tmp/nx" ]'
run "per-node runs into one dir" 0 "$B" "${G3[@]}" --output-dir pods --node-id sequencer-1 &&
	run "per-node runs into one dir (2)" 0 "$B" "${G3[@]}" --output-dir pods --node-id sequencer-2 &&
	run "per-node runs into one dir (3)" 0 "$B" "${G3[@]}" --output-dir pods --node-id sequencer-3 &&
	check "three --node-id runs add up to gen/three" 'same_all "$V3" "$tmp/pods"'

echo "# --if-absent"
run "--if-absent first run" 0 "$B" "${G3[@]}" --output-dir ia --if-absent --network op-mainnet &&
	check "--if-absent on an empty dir writes gen/three + cluster.json" 'same_all "$V3" "$tmp/ia" && [ -f "$tmp/ia/cluster.json" ]'
snap "$tmp/ia" >"$tmp/before"
sleep 0.05
run "--if-absent second run" 0 "$B" "${G3[@]}" --output-dir ia --if-absent --network op-mainnet &&
	check "--if-absent rerun: exit 0, nothing written (names, sizes, modes, mtimes, contents)" 'snap "$tmp/ia" | cmp -s - "$tmp/before" && grep -q "nothing was written" "$tmp/out"'
run "--if-absent via env" 0 env OP_CONDUCTOR_INIT_IF_ABSENT=true "$B" "${G3[@]}" --output-dir ia --network op-mainnet &&
	check "OP_CONDUCTOR_INIT_IF_ABSENT=true rerun: nothing written" 'snap "$tmp/ia" | cmp -s - "$tmp/before"'
run "--if-absent, different address" 1 "$B" raft generate --nodes "$A1,$A2,other.example:50050" --server-ids "$I3" --initial-leader sequencer-1 --output-dir ia --if-absent --network op-mainnet &&
	check "--if-absent with a changed member: exit 1, diff names both, nothing changed" 'grep -q "^  sequencer-1: - member \"sequencer-3\" \"$A3\" voter" "$tmp/err" && grep -q "+ member \"sequencer-3\" \"other.example:50050\"" "$tmp/err" && snap "$tmp/ia" | cmp -s - "$tmp/before"'
run "--if-absent, different term" 1 "$B" "${G3[@]}" --initial-term 9 --output-dir ia --if-absent --network op-mainnet &&
	check "--if-absent with another term: exit 1, diff of the term, nothing changed" 'grep -q "+ current term 9" "$tmp/err" && snap "$tmp/ia" | cmp -s - "$tmp/before"'
run "--if-absent, different leader" 1 "$B" raft generate --nodes "$N3" --server-ids "$I3" --initial-leader sequencer-2 --output-dir ia --if-absent --network op-mainnet &&
	check "--if-absent with another initial leader: exit 1 (vote differs), nothing changed" 'grep -q "vote" "$tmp/err" && snap "$tmp/ia" | cmp -s - "$tmp/before"'
run "--if-absent, different network" 1 "$B" "${G3[@]}" --output-dir ia --if-absent --network op-sepolia &&
	check "--if-absent with another --network (cluster.json): exit 1, nothing changed" 'grep -q "cluster.json: + network \"op-sepolia\"" "$tmp/err" && snap "$tmp/ia" | cmp -s - "$tmp/before"'
run "--if-absent with --force" 2 "$B" "${G3[@]}" --output-dir ia --if-absent --force &&
	check "--if-absent --force: usage error" 'grep -q "contradict" "$tmp/err"'
mkdir -p "$tmp/part/sequencer-2" && cp "$V3/sequencer-2/raft-log.db" "$tmp/part/sequencer-2/"
snap "$tmp/part" >"$tmp/before"
run "--if-absent, partial state" 1 "$B" "${G3[@]}" --output-dir part --node-id sequencer-2 --if-absent &&
	check "--if-absent with only raft-log.db present: exit 1 (partial), nothing changed" 'grep -q "partial" "$tmp/err" && snap "$tmp/part" | cmp -s - "$tmp/before"'
mkdir -p "$tmp/half" && cp -r "$V3/sequencer-1" "$tmp/half/"
run "--if-absent, some nodes present" 0 "$B" "${G3[@]}" --output-dir half --if-absent &&
	check "--if-absent keeps the present node, writes the missing ones" 'same_all "$V3" "$tmp/half" && grep -q "sequencer-1: identical" "$tmp/out" && ! grep -q "half/sequencer-1/raft-log.db" "$tmp/out"'
if [ -d "$LIVED" ]; then
	cp -r "$LIVED" "$tmp/lived" && rm -f "$tmp/lived"/*.json
	snap "$tmp/lived" >"$tmp/before"
	LN=127.0.0.1:37211,127.0.0.1:37212,127.0.0.1:37213
	run "--if-absent on lived/three" 0 "$B" raft generate --nodes "$LN" --server-ids "$I3" --initial-leader sequencer-1 --output-dir lived --if-absent &&
		check "--if-absent on state raft has run on (lived/three): exit 0, already initialized, nothing written" 'grep -q "already initialized: raft has moved on (current term 2, last index 602)" "$tmp/out" && snap "$tmp/lived" | cmp -s - "$tmp/before"'
	# raft has run on this state: it is the cluster's own and wins (issue 16);
	# the difference is reported, nothing is written
	run "--if-absent on lived/three, other members" 0 "$B" raft generate --nodes "127.0.0.1:37211,127.0.0.1:37212,127.0.0.1:37299" --server-ids "$I3" --initial-leader sequencer-1 --output-dir lived --node-id sequencer-2 --if-absent &&
		check "--if-absent on lived/three with a changed member (config from the snapshot): exit 0, the difference on stderr, nothing written" 'grep -q "sequencer-2: - member \"sequencer-3\" \"127.0.0.1:37213\"" "$tmp/err" && grep -q "sequencer-2: + member \"sequencer-3\" \"127.0.0.1:37299\"" "$tmp/err" && snap "$tmp/lived" | cmp -s - "$tmp/before"'
	run "--if-absent on lived/three, higher term" 1 "$B" raft generate --nodes "$LN" --server-ids "$I3" --initial-leader sequencer-1 --output-dir lived --initial-term 5 --if-absent &&
		check "--if-absent on lived/three asking for term 5 > current 2: exit 1" 'grep -q "+ current term 5" "$tmp/err" && snap "$tmp/lived" | cmp -s - "$tmp/before"'
else
	echo "skip lived/three cases: $LIVED not found"
fi

echo "# id=address pairs"
run "pairs" 0 "$B" raft generate --nodes "$P3" --initial-leader sequencer-1 --output-dir pairs --cluster-json=false &&
	check "--nodes id=address pairs without --server-ids: cmp-identical to gen/three, no cluster.json with --cluster-json=false" 'same_all "$V3" "$tmp/pairs" && [ ! -e "$tmp/pairs/cluster.json" ]'
run "pairs + same --server-ids" 0 "$B" raft generate --nodes " sequencer-1 = $A1 ,sequencer-2=$A2,sequencer-3=$A3" --server-ids "$I3" --initial-leader sequencer-1 --output-dir pairs2 &&
	check "pairs (spaces trimmed) with the same --server-ids: cmp-identical to gen/three" 'same_all "$V3" "$tmp/pairs2"'
run "pairs via env" 0 env OP_CONDUCTOR_INIT_NODES="$P3" OP_CONDUCTOR_INIT_INITIAL_LEADER=sequencer-1 "$B" raft generate --output-dir pairs3 &&
	check "OP_CONDUCTOR_INIT_NODES as pairs: cmp-identical to gen/three" 'same_all "$V3" "$tmp/pairs3"'
run "pairs mixed with plain addresses" 2 "$B" raft generate --nodes "sequencer-1=$A1,$A2,sequencer-3=$A3" --server-ids "$I3" --initial-leader sequencer-1 --output-dir px &&
	check "mixing id=address and plain addresses: usage error naming both entries" 'grep -q "mixes id=address pairs (entry 1) and plain addresses (entry 2)" "$tmp/err" && [ ! -e "$tmp/px" ]'
run "pairs with disagreeing --server-ids" 2 "$B" raft generate --nodes "$P3" --server-ids sequencer-1,sequencer-3,sequencer-2 --initial-leader sequencer-1 --output-dir px &&
	check "pairs with other --server-ids: usage error" 'grep -q "server-ids entry 2" "$tmp/err" && [ ! -e "$tmp/px" ]'
run "pair with an empty id" 2 "$B" raft generate --nodes "=$A1" --initial-leader sequencer-1 --output-dir px &&
	check "pair with an empty ID: usage error" 'grep -q "entry 1 is empty" "$tmp/err" && [ ! -e "$tmp/px" ]'
run "plain --nodes without --server-ids" 2 "$B" raft generate --nodes "$N3" --initial-leader sequencer-1 --output-dir px &&
	check "plain --nodes without --server-ids: --server-ids is required" 'grep -q "server-ids is required" "$tmp/err"'

echo "# --config"
cat >"$tmp/c3.json" <<EOF
{"nodes": [{"id": "sequencer-1", "address": "$A1"}, {"id": "sequencer-2", "address": "$A2", "suffrage": "voter"},
 {"id": "sequencer-3", "address": "$A3"}], "initial_leader": "sequencer-1", "initial_term": 1, "network": "op-mainnet"}
EOF
run "--config" 0 "$B" raft generate --config c3.json --output-dir cf3 &&
	check "--config FILE: cmp-identical to gen/three (the equivalent flags)" 'same_all "$V3" "$tmp/cf3" && grep -q "\"network\":.*\"op-mainnet\"" "$tmp/cf3/cluster.json"'
run "--config via env" 0 env OP_CONDUCTOR_INIT_CONFIG=c3.json "$B" raft generate --output-dir cf3env &&
	check "OP_CONDUCTOR_INIT_CONFIG: cmp-identical to gen/three" 'same_all "$V3" "$tmp/cf3env"'
cat >"$tmp/c5.json" <<EOF
{"nodes": [{"id": "sequencer-1", "address": "$A1"}, {"id": "sequencer-2", "address": "$A2"},
 {"id": "sequencer-3", "address": "$A3"}, {"id": "sequencer-4", "address": "$A4"},
 {"id": "sequencer-5", "address": "$A5"}], "initial_leader": "sequencer-3", "initial_term": 2}
EOF
run "--config + flags override" 0 "$B" raft generate --config c5.json --initial-leader sequencer-1 --initial-term 7 --output-dir cf5 &&
	check "flags override the file (leader, term): cmp-identical to gen/five" 'same_all "$V5" "$tmp/cf5"'
run "--config nodes overridden by --nodes" 0 "$B" raft generate --config c5.json --nodes "$N3" --server-ids "$I3" --initial-leader sequencer-1 --initial-term 1 --output-dir cf5b &&
	check "--nodes overrides the file's nodes: cmp-identical to gen/three" 'same_all "$V3" "$tmp/cf5b"'
run "cluster.json as --config" 0 "$B" raft generate --config cf3/cluster.json --output-dir cfback &&
	check "a written cluster.json is a valid --config giving the same bytes" 'same_all "$V3" "$tmp/cfback" && cmp -s "$tmp/cf3/cluster.json" "$tmp/cfback/cluster.json"'
cfneg() { # cfneg NAME JSON KEYWORD
	printf '%s\n' "$2" >"$tmp/bad.json"
	kw=$3
	run "$1" 2 "$B" raft generate --config bad.json --output-dir cfbad &&
		check "--config $1: exit 2 naming $kw" 'grep -qF -- "$kw" "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ] && [ ! -e "$tmp/cfbad" ]'
}
cfneg "bad port" '{"nodes":[{"id":"a","address":"a:1"},{"id":"b","address":"b:2"},{"id":"c","address":"c:0"}],"initial_leader":"a"}' 'bad.json: nodes[2].address "c:0" has port 0'
cfneg "address not a string" '{"nodes":[{"id":"a","address":"a:1"},{"id":"b","address":7}],"initial_leader":"a"}' 'nodes[1].address must be a string'
cfneg "missing id" '{"nodes":[{"address":"a:1"}],"initial_leader":"a"}' 'nodes[0].id is missing'
cfneg "unknown node key" '{"nodes":[{"id":"a","adress":"a:1"}],"initial_leader":"a"}' 'nodes[0] has an unknown key "adress"'
cfneg "unknown key" '{"nodes":[{"id":"a","address":"a:1"}],"initial_leadr":"a"}' 'unknown key "initial_leadr"'
cfneg "bad suffrage" '{"nodes":[{"id":"a","address":"a:1"},{"id":"b","address":"b:1","suffrage":"staging"}],"initial_leader":"a"}' 'nodes[1].suffrage must be "voter" or "nonvoter"'
cfneg "duplicate id" '{"nodes":[{"id":"a","address":"a:1"},{"id":"a","address":"b:1"}],"initial_leader":"a"}' 'nodes[1].id repeats the server ID "a" of'
cfneg "duplicate address" '{"nodes":[{"id":"a","address":"a:1"},{"id":"b","address":"A:1"}],"initial_leader":"a"}' 'nodes[1].address "A:1" is the same address as'
cfneg "bad id" '{"nodes":[{"id":"a/b","address":"a:1"}],"initial_leader":"a/b"}' 'nodes[0].id "a/b" contains'
cfneg "bad term" '{"nodes":[{"id":"a","address":"a:1"}],"initial_leader":"a","initial_term":0}' 'initial_term must be'
cfneg "leader not a member" '{"nodes":[{"id":"a","address":"a:1"}],"initial_leader":"z"}' 'initial_leader "z" is not one of the server IDs'
cfneg "nonvoter leader" '{"nodes":[{"id":"a","address":"a:1","suffrage":"nonvoter"},{"id":"b","address":"b:1"}],"initial_leader":"a"}' 'nodes[0].suffrage); a nonvoter cannot be the initial leader'
cfneg "not JSON" '{"nodes": [' 'not valid JSON'
cfneg "empty nodes" '{"nodes": [], "initial_leader": "a"}' 'nodes is empty'
run "--config missing file" 2 "$B" raft generate --config nosuch.json --output-dir cfbad &&
	check "--config of a missing file: exit 2 naming it" 'grep -q "nosuch.json" "$tmp/err"'
printf '{"nodes":[{"id":"a","address":"a:1"}]}\n' >"$tmp/noleader.json"
run "--config without a leader" 2 "$B" raft generate --config noleader.json --output-dir cfbad &&
	check "--config without initial_leader and no flag: --initial-leader is required" 'grep -q "initial-leader is required" "$tmp/err"'
cat >"$tmp/big.json" <<EOF
{"nodes":[{"id":"n1","address":"a:1"}],"initial_leader":"n1","initial_term":"18446744073709551615"}
EOF
run "--config term as a decimal string" 0 "$B" raft generate --config big.json --output-dir cfbig &&
	check "initial_term as a decimal string (2^64-1) is accepted and recorded as a string" 'grep -q "\"initial_term\":.*\"18446744073709551615\"" "$tmp/cfbig/cluster.json"'

echo "# --nonvoters"
suff1() { LC_ALL=C grep -obUaP 'Suffrage\x01' "$1" | wc -l; }
run "--nonvoters" 0 "$B" "${G3[@]}" --nonvoters sequencer-3 --output-dir nv &&
	check "--nonvoters sequencer-3: one Suffrage 1 in every node's entry, same file size, not gen/three's bytes" '[ "$(suff1 "$tmp/nv/sequencer-1/raft-log.db")" = 1 ] && [ "$(suff1 "$tmp/nv/sequencer-3/raft-log.db")" = 1 ] && ! cmp -s "$tmp/nv/sequencer-1/raft-log.db" "$V3/sequencer-1/raft-log.db" && grep -q "\"suffrage\":.*\"nonvoter\"" "$tmp/nv/cluster.json"'
printf '{"nodes":[{"id":"sequencer-1","address":"%s"},{"id":"sequencer-2","address":"%s"},{"id":"sequencer-3","address":"%s","suffrage":"nonvoter"}],"initial_leader":"sequencer-1"}\n' "$A1" "$A2" "$A3" >"$tmp/nv.json"
run "nonvoter via --config" 0 "$B" raft generate --config nv.json --output-dir nvc &&
	check "suffrage nonvoter in --config: the same bytes as --nonvoters" 'for f in sequencer-1/raft-log.db sequencer-3/raft-log.db sequencer-1/raft-stable.db; do cmp -s "$tmp/nv/$f" "$tmp/nvc/$f" || exit 1; done'
run "nonvoter via env" 0 env OP_CONDUCTOR_INIT_NONVOTERS=sequencer-3 "$B" "${G3[@]}" --output-dir nve &&
	check "OP_CONDUCTOR_INIT_NONVOTERS: the same bytes as --nonvoters" 'cmp -s "$tmp/nv/sequencer-2/raft-log.db" "$tmp/nve/sequencer-2/raft-log.db"'
run "--nonvoters \"\" overrides the file" 0 "$B" raft generate --config nv.json --nonvoters "" --output-dir nvo &&
	check "--nonvoters \"\" makes every member of the file a voter: cmp-identical to gen/three" 'same_all "$V3" "$tmp/nvo"'
run "--nonvoters overrides the file (2)" 0 "$B" raft generate --config nv.json --nonvoters sequencer-2 --output-dir nvo2 &&
	check "--nonvoters replaces the file's suffrages" 'grep -c "\"nonvoter\"" "$tmp/nvo2/cluster.json" | grep -qx 1 && tr -d "\t\n " <"$tmp/nvo2/cluster.json" | grep -q "\"id\":\"sequencer-2\",\"address\":\"[^\"]*\",\"suffrage\":\"nonvoter\""'
run "nonvoter leader" 2 "$B" "${G3[@]}" --nonvoters sequencer-1 --output-dir nvx &&
	check "--nonvoters naming the initial leader: usage error" 'grep -q "cannot be the initial leader" "$tmp/err" && [ ! -e "$tmp/nvx" ]'
run "nonvoter unknown" 2 "$B" "${G3[@]}" --nonvoters sequencer-7 --output-dir nvx &&
	check "--nonvoters naming no member: usage error" 'grep -q "nonvoters entry 1 \"sequencer-7\" is not one of the server IDs" "$tmp/err"'
run "nonvoter twice" 2 "$B" "${G3[@]}" --nonvoters sequencer-2,sequencer-2 --output-dir nvx &&
	check "--nonvoters listing an ID twice: usage error" 'grep -q "twice" "$tmp/err"'

echo "# cluster.json"
check "cluster.json: the sha256 of every file recorded matches (full and --node-id runs)" 'json_files_match "$tmp/cf3" && json_files_match "$tmp/n5-sequencer-2" && json_files_match "$tmp/nv"'
check "cluster.json mode 0644, atomically written (no temporary left)" '[ "$(stat -c %a "$tmp/cf3/cluster.json")" = 644 ] && [ -z "$(ls -A "$tmp/cf3" | grep "^\.")" ]'
run "plain Go-style run with --network" 0 "$B" "${G3[@]}" --network op-mainnet --output-dir plain &&
	check "a Go-compatible invocation (even with --network) writes no cluster.json" '[ ! -e "$tmp/plain/cluster.json" ]'
run "--cluster-json=true" 0 env OP_CONDUCTOR_INIT_CLUSTER_JSON=true "$B" "${G3[@]}" --output-dir cj &&
	check "OP_CONDUCTOR_INIT_CLUSTER_JSON=true writes cluster.json for a plain run" 'json_files_match "$tmp/cj" && same_all "$V3" "$tmp/cj"'

echo "# --chown"
if [ "$(id -u)" = 0 ]; then
	run "--chown numbers" 0 "$B" "${G3[@]}" --output-dir own/state --chown 12345:23456 &&
		check "--chown 12345:23456: every written dir and file (and the created OUTPUT_DIR) owned so, the parent not" '[ -z "$(find "$tmp/own/state" ! -user 12345 -o ! -group 23456)" ] && [ "$(stat -c %u "$tmp/own")" = 0 ] && same_all "$V3" "$tmp/own/state"'
	run "--chown names" 0 env OP_CONDUCTOR_INIT_CHOWN=nobody "$B" "${G3[@]}" --output-dir ownn --node-id sequencer-1 &&
		check "OP_CONDUCTOR_INIT_CHOWN=nobody: owner nobody, its primary group" '[ -z "$(find "$tmp/ownn/sequencer-1" ! -user nobody)" ] && [ "$(stat -c %g "$tmp/ownn/sequencer-1/raft-log.db")" = "$(id -g nobody)" ]'
else
	echo "skip --chown positive cases: not root"
fi
run "--chown unknown user" 2 "$B" "${G3[@]}" --output-dir ownx --chown no-such-user-oci:0 &&
	check "--chown no-such-user: usage error, nothing written" 'grep -q "no such user" "$tmp/err" && [ ! -e "$tmp/ownx" ]'
run "--chown empty" 2 "$B" "${G3[@]}" --output-dir ownx --chown : &&
	check "--chown ':': usage error" 'grep -q "names neither" "$tmp/err"'

echo "# help"
run "--help" 0 "$B" raft generate --help &&
	check "--help lists every new flag and its variable" 'for f in node-id only if-absent nonvoters config chown cluster-json; do grep -q -- "--$f" "$tmp/out" || exit 1; done; grep -q OP_CONDUCTOR_INIT_IF_ABSENT "$tmp/out"'

finish
