#!/usr/bin/env bash
# `raft compare` on files real raft wrote (issue 15, point 3): three nodes from our
# `raft generate` run as real HashiCorp Raft (this stack) with the op-conductor
# FSM; after 10 payloads reached every node, one follower is shut down cleanly
# and the other two go on with 20 more (harness cluster --stop-follower-after).
# compare must call the stopped node behind (its log a prefix, 20 entries short,
# agreeing up to its last index), name a running node as the one `raft recover`
# should start from (the highest last term, then last index), report the block
# the harness applied last as the highest unsafe head and the stopped node's as
# its own, exit 0 (a follower behind is consistent), and say the same from the
# nodes' `raft info --json` documents (--from-json) as from the directories.
. "$(dirname "$0")/lib.sh"
need_harness
[ -x "${OCI_BIN:-}" ] || die "OCI_BIN is not set to the op-conductor-init binary"

for attempt in 1 2 3; do
	ports=($("$H" ports 3))
	dir=$TMP/c$attempt
	"$OCI_BIN" raft generate --nodes "127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}" \
		--server-ids n1,n2,n3 --initial-leader n1 --output-dir "$dir" >"$TMP/gen.out" 2>&1 ||
		die "raft generate: $(cat "$TMP/gen.out")"
	rc=0
	"$H" cluster "$dir" --in-place --applies 30 --stop-follower-after 10 --timeout 30s \
		>"$TMP/cluster.json" 2>"$TMP/cluster.err" || rc=$?
	if [ $rc != 0 ] && grep -Eq 'TCP transport|address already in use' "$TMP/cluster.err"; then
		say "port clash ($(head -n1 "$TMP/cluster.err")), retrying with new ports"
		continue
	fi
	[ $rc = 0 ] || die "cluster: $(cat "$TMP/cluster.err")"
	break
done
[ $rc = 0 ] || die "no free ports after 3 attempts"
stopped=$(sed -n 's/^  "stopped": "\(.*\)",$/\1/p' "$TMP/cluster.json")
leader=$(sed -n 's/^  "leader": "\(.*\)",$/\1/p' "$TMP/cluster.json")
[ -n "$stopped" ] && [ "$stopped" != "$leader" ] || die "the harness did not stop a follower: $(head -c 300 "$TMP/cluster.json")"
json_has "$TMP/cluster.json" last_apply_index 32
json_has "$TMP/cluster.json" stopped_at_index 12
# the harness's heads: the last block applied (on the running nodes), and the stopped node's
last_hash=$(sed -n '/"unsafe_head": {/,/}/s/^ *"hash": "\(0x[0-9a-f]*\)",/\1/p' "$TMP/cluster.json" | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
[ "$(grep -c '"number": 135000029,' "$TMP/cluster.json")" = 2 ] || die "the running nodes do not hold block 135000029"
[ "$(grep -c '"number": 135000009,' "$TMP/cluster.json")" = 1 ] || die "the stopped node does not hold block 135000009"
say "ok: 3 real raft nodes, leader $leader; $stopped stopped after index 12 (block 135000009), the others went on to index 32 (block 135000029 ${last_hash:0:12})"

# node_field DOC NODE KEY: the value of "KEY": in NODE's object of a compare --json document.
node_field() {
	tr -d '\t\n' <"$1" | sed 's/{"node":/\n{"node":/g' | grep "^{\"node\":\"$2\"" |
		sed -n "s/.*\"$3\":\\(\"[^\"]*\"\\|[0-9a-z]*\\).*/\\1/p" | head -n1 | tr -d '"'
}

check_compare() { # check_compare WHAT DOC
	local what=$1 doc=$2 src n
	src=$(tr -d '\t\n' <"$doc" | sed -n 's/.*"source":"\([^"]*\)","tie".*/\1/p')
	[ -n "$src" ] && [ "$src" != "$stopped" ] || die "$what: recovery source '$src' (the stopped node is $stopped)"
	[ "$(node_field "$doc" "$src" last_index)" = 32 ] || die "$what: the source $src does not end at index 32"
	[ "$(node_field "$doc" "$stopped" relation)" = behind ] || die "$what: $stopped is '$(node_field "$doc" "$stopped" relation)', not behind"
	[ "$(node_field "$doc" "$stopped" behind_by)" = 20 ] || die "$what: $stopped behind by $(node_field "$doc" "$stopped" behind_by), not 20"
	[ "$(node_field "$doc" "$stopped" common_index)" = 12 ] || die "$what: $stopped agrees up to $(node_field "$doc" "$stopped" common_index), not 12"
	for n in n1 n2 n3; do
		[ "$n" = "$stopped" ] && continue
		case $(node_field "$doc" "$n" relation) in source | same) ;; *) die "$what: running node $n is '$(node_field "$doc" "$n" relation)'" ;; esac
	done
	tr -d '\t\n' <"$doc" | grep -q "\"highest\":{\"node\":\"[^\"]*\",\"number\":135000029,\"hash\":\"$last_hash\"}" ||
		die "$what: the highest unsafe head is not the harness's last block 135000029 $last_hash"
	tr -d '\t\n' <"$doc" | grep -q '"reorg_risk":null' || die "$what: a reorg risk reported"
	tr -d '\t\n' <"$doc" | grep -q '"consistent":true' || die "$what: not consistent"
	say "ok: $what: $stopped behind by 20 (agrees up to 12), recovery source $src (index 32), highest unsafe head 135000029 ${last_hash:0:12}"
}

rc=0
"$OCI_BIN" raft compare --json --state-dir "$dir" >"$TMP/cmp.json" 2>"$TMP/cmp.err" || rc=$?
[ $rc = 0 ] || die "raft compare --state-dir exited $rc: $(cat "$TMP/cmp.err")"
check_compare "compare --state-dir" "$TMP/cmp.json"
"$OCI_BIN" raft compare --state-dir "$dir" >"$TMP/cmp.txt" 2>&1 || die "raft compare (text) failed: $(cat "$TMP/cmp.txt")"
grep -Eq "^  $stopped: behind [^ ]+ by 20 entries" "$TMP/cmp.txt" || die "text: $stopped not named behind by 20: $(cat "$TMP/cmp.txt")"
grep -q 'Start `raft recover`' "$TMP/cmp.txt" && die "text: recovery advised although the three voters elect by themselves"
grep -q "^  No recovery is needed: 3 of its configuration's 3 voters are here and valid" "$TMP/cmp.txt" ||
	die "text: does not say that no recovery is needed: $(cat "$TMP/cmp.txt")"
say "ok: the text output names $stopped behind by 20 entries and says no recovery is needed"
# the stopped node alone: one survivor of three voters cannot elect; the
# advice names it with a --term above every term it holds
"$OCI_BIN" raft compare --json --state-dir "$dir/$stopped" >"$TMP/one.json" 2>"$TMP/one.err" ||
	die "compare of one node exited non-zero: $(cat "$TMP/one.err")"
tr -d '\t\n' <"$TMP/one.json" | grep -q '"recovery":{"needed":true,"voters":3,"voters_present":1,"quorum":2' ||
	die "compare of one node: recovery not needed: $(tr -d '\t\n' <"$TMP/one.json" | grep -o '"recovery":{[^}]*}')"
say "ok: compare of the stopped node alone says a recovery is needed (1 of 3 voters)"

for n in n1 n2 n3; do
	"$OCI_BIN" raft info --json --state-dir "$dir/$n" >"$TMP/$n.info.json" 2>"$TMP/info.err" || die "raft info $n: $(cat "$TMP/info.err")"
done
"$OCI_BIN" raft compare --json --from-json "$TMP/n1.info.json" --from-json "$TMP/n2.info.json" \
	--from-json "$TMP/n3.info.json" >"$TMP/cmpj.json" 2>"$TMP/cmp.err" || die "raft compare --from-json: $(cat "$TMP/cmp.err")"
check_compare "compare --from-json (3 raft info --json documents)" "$TMP/cmpj.json"
say "PASS"
