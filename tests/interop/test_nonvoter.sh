#!/usr/bin/env bash
# OUR `raft generate --nonvoters` (and a --config file with "suffrage":
# "nonvoter"), started as real HashiCorp Raft nodes (no BootstrapCluster):
#   - the files check, and raft.DecodeConfiguration reads the nonvoter as
#     Nonvoter on every node;
#   - 2 voters + 1 nonvoter elect a voter as leader, every node's live
#     configuration equals the files' (suffrage included), 20 commands
#     replicate to all three, the nonvoter included;
#   - the nonvoter never votes: its stable store records no vote, and with
#     one voter down the remaining voter + the nonvoter (2 of 3 nodes up)
#     elect no leader — the nonvoter's vote does not count.
# Each run uses --node-id per node (one call per pod, as in a StatefulSet)
# for the id=address form and a full run for the flag form.
. "$(dirname "$0")/lib.sh"
need_harness
[ -x "${OCI_BIN:-}" ] || die "OCI_BIN is not set to the op-conductor-init binary"

run_case() { # run_case FORM: flags | config
	local form=$1 attempt ports dir i rc t leader
	for attempt in 1 2 3; do
		ports=($("$H" ports 3))
		dir=$TMP/$form-$attempt
		if [ "$form" = flags ]; then
			"$OCI_BIN" raft generate --nodes "127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}" \
				--server-ids n1,n2,n3 --nonvoters n3 --initial-leader n1 --output-dir "$dir" >"$TMP/gen.out" 2>&1 ||
				die "$form: raft generate failed: $(head -c 400 "$TMP/gen.out")"
		else
			cat >"$TMP/cluster-$attempt.json" <<EOF
{"nodes": [{"id": "n1", "address": "127.0.0.1:${ports[0]}"},
           {"id": "n2", "address": "127.0.0.1:${ports[1]}"},
           {"id": "n3", "address": "127.0.0.1:${ports[2]}", "suffrage": "nonvoter"}],
 "initial_leader": "n2", "initial_term": 4, "network": "interop"}
EOF
			for i in 1 2 3; do
				"$OCI_BIN" raft generate --config "$TMP/cluster-$attempt.json" --node-id "n$i" \
					--if-absent --output-dir "$dir" >"$TMP/gen.out" 2>&1 ||
					die "$form: raft generate --node-id n$i failed: $(head -c 400 "$TMP/gen.out")"
			done
		fi
		for i in 1 2 3; do
			"$H" check "$dir/n$i" >"$TMP/check.json" || die "$form: check n$i (fresh from generate)"
			grep -q '"suffrage": "Nonvoter"' "$TMP/check.json" || die "$form: n$i: raft does not read a Nonvoter in the configuration"
			[ "$(grep -c '"suffrage": "Voter"' "$TMP/check.json")" -ge 2 ] || die "$form: n$i: fewer than 2 voters read"
		done
		say "ok: $form: files check; raft.DecodeConfiguration reads n3 as Nonvoter on every node"

		rc=0
		"$H" cluster "$dir" --in-place --applies 20 --timeout 30s >"$TMP/cluster.json" 2>"$TMP/cluster.err" || rc=$?
		if [ $rc != 0 ] && grep -Eq 'TCP transport|address already in use' "$TMP/cluster.err"; then
			say "port clash ($(head -n1 "$TMP/cluster.err")), retrying with new ports"
			continue
		fi
		[ $rc = 0 ] || die "$form: cluster failed: $(cat "$TMP/cluster.err")"
		leader=$(grep -m1 '"leader"' "$TMP/cluster.json" | sed 's/.*: "\(.*\)".*/\1/')
		[ "$leader" = n1 ] || [ "$leader" = n2 ] || die "$form: leader is $leader, not a voter"
		[ "$(grep -c '"configuration_ok": true' "$TMP/cluster.json")" = 3 ] || die "$form: live configuration differs from the files on some node"
		[ "$(grep -c '"applied_commands": 20,' "$TMP/cluster.json")" = 3 ] || die "$form: not every node (nonvoter included) applied 20 commands"
		t=$(grep -m1 '"term"' "$TMP/cluster.json" | tr -dc 0-9)
		say "ok: $form: voter $leader elected in term $t; live configuration = files (with the Nonvoter) on all 3; 20 commands replicated to the nonvoter too"

		"$H" check "$dir/n3" >"$TMP/check.json" || die "$form: check n3 after raft ran"
		json_has "$TMP/check.json" last_vote_cand null
		json_has "$TMP/check.json" last_vote_term null
		json_has "$TMP/check.json" current_term "$t"
		say "ok: $form: the nonvoter recorded no vote (LastVoteCand/LastVoteTerm absent) and follows term $t"

		# one voter down: the other voter + the nonvoter are 2 of 3 nodes,
		# but only 1 of 2 votes: no leader
		local down=n2
		[ "$leader" = n2 ] && down=n1
		local up
		up=$([ $down = n1 ] && echo n2 || echo n1)
		rc=0
		"$H" cluster "$dir" --start "$up,n3" --applies 0 --timeout 4s >"$TMP/cluster2.json" 2>"$TMP/cluster.err" || rc=$?
		if [ $rc != 0 ] && grep -Eq 'TCP transport|address already in use' "$TMP/cluster.err"; then
			say "port clash ($(head -n1 "$TMP/cluster.err")), retrying with new ports"
			continue
		fi
		[ $rc != 0 ] || die "$form: $up + nonvoter n3 elected a leader without $down: the nonvoter's vote counted"
		grep -q 'no leader elected' "$TMP/cluster.err" || die "$form: expected 'no leader elected', got: $(cat "$TMP/cluster.err")"
		say "ok: $form: $up + nonvoter n3 (2 of 3 nodes up, $down down) elect no leader: the nonvoter does not vote"
		return 0
	done
	die "$form: no free ports after 3 attempts"
}

run_case flags
run_case config
