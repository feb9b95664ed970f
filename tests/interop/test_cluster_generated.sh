#!/usr/bin/env bash
# OUR `raft generate` output, on 127.0.0.1, started as real HashiCorp Raft
# nodes (each stack: raft 1.1.2 or v1.7.2, no BootstrapCluster): for 1, 3 and 5
# nodes the files pass bbolt tx.Check and raft-boltdb reads, a leader is
# elected from the configuration in the files, the live configuration equals
# it, 50 commands (V4 payload envelopes, the op-conductor FSM) replicate to
# every node with identical FSM chains and unsafe heads, and the
# files raft wrote afterwards still check (and pass our own `raft verify`)
# and restart (a second cluster run on them).
. "$(dirname "$0")/lib.sh"
need_harness
[ -x "${OCI_BIN:-}" ] || die "OCI_BIN is not set to the op-conductor-init binary"

verify_impl=yes
vh=$("$OCI_BIN" raft verify --help 2>&1) || verify_impl=no
[ -n "$vh" ] || verify_impl=no

run_case() { # run_case NODES TERM
	local n=$1 term=$2 attempt ids addrs ports dir i rc
	for attempt in 1 2 3; do
		ports=($("$H" ports "$n"))
		ids= addrs=
		for ((i = 1; i <= n; i++)); do
			ids="${ids:+$ids,}n$i"
			addrs="${addrs:+$addrs,}127.0.0.1:${ports[$((i - 1))]}"
		done
		dir=$TMP/gen$n-$attempt
		"$OCI_BIN" raft generate --nodes "$addrs" --server-ids "$ids" --initial-leader n1 \
			--initial-term "$term" --output-dir "$dir" >"$TMP/gen.out" 2>&1 ||
			die "$n nodes: our raft generate failed: $(head -c 400 "$TMP/gen.out")"
		for ((i = 1; i <= n; i++)); do
			[ -f "$dir/n$i/raft-log.db" ] && [ -f "$dir/n$i/raft-stable.db" ] ||
				die "$n nodes: raft generate did not write $dir/n$i/raft-{log,stable}.db"
			"$H" check "$dir/n$i" >"$TMP/check.json" || die "$n nodes: check n$i (fresh from generate)"
			json_has "$TMP/check.json" first_index 1
			json_has "$TMP/check.json" last_index 1
			json_has "$TMP/check.json" current_term "$term"
			json_has "$TMP/check.json" LogConfiguration 1
			if [ $i = 1 ]; then
				json_has "$TMP/check.json" last_vote_term "$term"
				json_has "$TMP/check.json" last_vote_cand '"n1"'
			else
				json_has "$TMP/check.json" last_vote_cand null
			fi
		done
		say "ok: $n nodes: generated files pass bbolt tx.Check + raft-boltdb reads (term $term)"

		rc=0
		"$H" cluster "$dir" --in-place --applies 50 --timeout 30s >"$TMP/cluster.json" 2>"$TMP/cluster.err" || rc=$?
		if [ $rc != 0 ] && grep -Eq 'TCP transport|address already in use' "$TMP/cluster.err"; then
			say "port clash ($(head -n1 "$TMP/cluster.err")), retrying with new ports"
			continue
		fi
		[ $rc = 0 ] || die "$n nodes: cluster failed: $(cat "$TMP/cluster.err")"
		[ "$(grep -c '"configuration_ok": true' "$TMP/cluster.json")" = "$n" ] || die "$n nodes: configuration_ok not true on every node"
		[ "$(grep -c '"applied_commands": 50,' "$TMP/cluster.json")" = "$n" ] || die "$n nodes: not every node applied 50 commands"
		[ "$(grep -c '"bbolt_check": "ok"' "$TMP/cluster.json")" = "$n" ] || die "$n nodes: bbolt check after the run"
		local t
		t=$(grep -m1 '"term"' "$TMP/cluster.json" | tr -dc 0-9)
		[ "$t" -gt "$term" ] || die "$n nodes: leader term $t not above the initial term $term"
		say "ok: $n nodes: elected $(grep -m1 '"leader"' "$TMP/cluster.json" | tr -d ' ,') in term $t after $(grep -m1 election_ms "$TMP/cluster.json" | tr -dc 0-9) ms, 50 commands on every node, no bootstrap"

		for ((i = 1; i <= n; i++)); do
			"$H" check "$dir/n$i" >"$TMP/check.json" || die "$n nodes: check n$i after raft ran"
			json_has "$TMP/check.json" last_index 52
			json_has "$TMP/check.json" LogCommand 50
			json_has "$TMP/check.json" current_term "$t"
			if [ $verify_impl = yes ]; then
				"$OCI_BIN" raft verify --state-dir "$dir/n$i" >"$TMP/verify.out" 2>&1 ||
					die "$n nodes: our raft verify rejects n$i after raft ran: $(tail -n 3 "$TMP/verify.out")"
			fi
		done
		# The state raft wrote must restart: a second run re-elects from the
		# files, replays the 50 committed commands into the fresh FSMs and
		# adds 50 more (index 2 noop, 3..52, new noop 53, 54..103).
		"$H" cluster "$dir" --in-place --applies 50 --timeout 30s >"$TMP/cluster2.json" 2>"$TMP/cluster.err" ||
			die "$n nodes: restart on the files raft wrote: $(cat "$TMP/cluster.err")"
		[ "$(grep -c '"applied_commands": 100,' "$TMP/cluster2.json")" = "$n" ] || die "$n nodes: restart: not every node applied 50 + 50 commands"
		json_has "$TMP/cluster2.json" last_apply_index 103
		# op-conductor FSM: blocks 135000000..049, then after the restart (each
		# node replayed its log) 050..099 continuing from the leader's head
		[ "$(grep -c '"number": 135000099,' "$TMP/cluster2.json")" = "$n" ] ||
			die "$n nodes: restart: the unsafe head is not block 135000099 on every node"
		# ...and our `raft info --json` on the files this stack's raft wrote names
		# the block the harness applied last (number and hash)
		local hh
		hh=$(sed -n '/"unsafe_head": {/,/}/s/^ *"hash": "\(0x[0-9a-f]*\)",/\1/p' "$TMP/cluster2.json" | sort -u)
		[ "$(echo "$hh" | wc -l)" = 1 ] && [ -n "$hh" ] || die "$n nodes: the nodes' unsafe heads differ: $hh"
		for ((i = 1; i <= n; i++)); do
			"$OCI_BIN" raft info --json --state-dir "$dir/n$i" >"$TMP/info.json" 2>"$TMP/info.err" ||
				die "$n nodes: raft info n$i: $(cat "$TMP/info.err")"
			tr -d ' \t\n' <"$TMP/info.json" | grep -q "\"unsafe_head\":{\"number\":135000099,\"hash\":\"$hh\"" ||
				die "$n nodes: raft info on n$i does not name block 135000099 $hh: $(tr -d ' \t\n' <"$TMP/info.json" | grep -o '"unsafe_head":[^}]*' | head -c 300)"
		done
		say "ok: $n nodes: our raft info names the last applied block 135000099 ${hh:0:12} on every node"
		say "ok: $n nodes: restart elected $(grep -m1 '"leader"' "$TMP/cluster2.json" | tr -d ' ,') in term $(grep -m1 '"term"' "$TMP/cluster2.json" | tr -dc 0-9), replayed 50 + applied 50 more"
		if [ $verify_impl = yes ]; then
			say "ok: $n nodes: files raft wrote still check, and our raft verify accepts them"
		else
			say "ok: $n nodes: files raft wrote still check"
			say "SKIP verify step: not implemented (\`$OCI_BIN raft verify --help\` failed or printed nothing)"
		fi
		return 0
	done
	die "$n nodes: no free ports after 3 attempts"
}

run_case 1 1
run_case 3 1
run_case 5 7
