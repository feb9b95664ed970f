#!/usr/bin/env bash
# `raft recover` against real HashiCorp Raft (each stack: raft 1.1.2 or v1.7.2,
# never BootstrapCluster):
#   A. outage: a 3-node cluster from our generated state runs and applies 30
#      commands; two node directories are deleted; the survivor is recovered
#      to a 1-node configuration; started alone it elects itself and all 30
#      earlier commands are applied again from its log (FSM replay), plus 5;
#   B. growth: a healthy stopped 3-node cluster (40 commands) has every node
#      recovered to a 5-member configuration (same --term on all); the two
#      new members start with EMPTY directories (harness --peer); a leader is
#      elected among the old members and the new members receive every entry
#      (same FSM chain, same last index, configuration learned from the leader);
#   C. lived/three (compacted logs, configuration only in snapshots): every
#      node recovered to {sequencer-1, sequencer-3}; those two start, elect,
#      restore their snapshots and replay to 600 + 5 commands; sequencer-2
#      recovered alone to {sequencer-2} starts alone the same way.
# Every recovered node passes our raft verify and the harness check.
# ctest-resource-lock: lived-three-ports
. "$(dirname "$0")/lib.sh"
need_harness
[ -x "${OCI_BIN:-}" ] || die "OCI_BIN is not set to the op-conductor-init binary"

# Every step below is one check; the first failure ends the test (lib.sh).

recover() { # recover NODE_DIR ARGS... (must succeed, state must verify and check)
	local d=$1
	shift
	"$OCI_BIN" raft recover --state-dir "$d" "$@" >"$TMP/recover.out" 2>&1 ||
		die "recover $d failed: $(cat "$TMP/recover.out")"
	grep -q "The previous state was kept in: " "$TMP/recover.out" || die "recover $d: no kept path printed"
	"$OCI_BIN" raft verify --state-dir "$d" >"$TMP/verify.out" 2>&1 ||
		die "recovered $d does not verify: $(tail -n 5 "$TMP/verify.out")"
	"$H" check "$d" >"$TMP/check.json" 2>"$TMP/check.err" ||
		die "recovered $d: harness check: $(cat "$TMP/check.err")"
}

# A fresh 3-node cluster that has run with N commands; sets DIR, PORTS, T.
fresh_cluster() { # fresh_cluster NAME N
	local name=$1 n=$2 attempt rc
	for attempt in 1 2 3; do
		PORTS=($("$H" ports 5))
		DIR=$TMP/$name-$attempt
		"$OCI_BIN" raft generate --nodes "n1=127.0.0.1:${PORTS[0]},n2=127.0.0.1:${PORTS[1]},n3=127.0.0.1:${PORTS[2]}" \
			--initial-leader n1 --output-dir "$DIR" >"$TMP/gen.out" 2>&1 ||
			die "$name: raft generate failed: $(cat "$TMP/gen.out")"
		rc=0
		"$H" cluster "$DIR" --in-place --keep --applies "$n" --timeout 30s >"$TMP/c0.json" 2>"$TMP/c0.err" || rc=$?
		if [ $rc != 0 ] && grep -Eq 'TCP transport|address already in use' "$TMP/c0.err"; then
			say "port clash, retrying"
			continue
		fi
		[ $rc = 0 ] || die "$name: first cluster run failed: $(cat "$TMP/c0.err")"
		[ "$(count "$TMP/c0.json" "\"applied_commands\": $n,")" = 3 ] || die "$name: not all 3 applied $n"
		T=$(grep -m1 '"term"' "$TMP/c0.json" | tr -dc 0-9)
		return 0
	done
	die "$name: no free ports after 3 attempts"
}

# ---- A. one survivor ------------------------------------------------------
fresh_cluster outage 30
say "ok: A: 3 nodes ran in term $T and applied 30 commands (indexes 3..32)"
rm -rf "$DIR/n2" "$DIR/n3"
before=$(find "$DIR/n1" -type f -exec sha256sum {} + | sort)
"$OCI_BIN" raft recover --state-dir "$DIR/n1" --nodes "n1=127.0.0.1:${PORTS[0]}" --dry-run >"$TMP/dry.out" 2>&1 ||
	die "A: dry run failed: $(cat "$TMP/dry.out")"
grep -q -- "- n2 127.0.0.1:${PORTS[1]} Voter" "$TMP/dry.out" || die "A: dry run does not show n2 removed: $(cat "$TMP/dry.out")"
grep -q "Dry run: nothing was written." "$TMP/dry.out" || die "A: dry run verdict missing"
[ "$before" = "$(find "$DIR/n1" -type f -exec sha256sum {} + | sort)" ] || die "A: --dry-run changed files"
[ -z "$(find "$DIR" -maxdepth 1 -name '.*pre-recover*')" ] || die "A: --dry-run kept a copy"
recover "$DIR/n1" --nodes "n1=127.0.0.1:${PORTS[0]}"
json_has "$TMP/check.json" last_index 33
json_has "$TMP/check.json" current_term $((T + 1))
json_has "$TMP/check.json" LogCommand 30
say "ok: A: n1 recovered to {n1}: configuration entry at 33, term $((T + 1)); verify + harness check pass"
"$H" cluster "$DIR" --in-place --keep --start n1 --applies 5 --timeout 30s >"$TMP/c1.json" 2>"$TMP/c1.err" ||
	die "A: the survivor did not start alone: $(cat "$TMP/c1.err")"
json_has "$TMP/c1.json" leader '"n1"'
json_has "$TMP/c1.json" applied_commands 35
json_has "$TMP/c1.json" last_apply_index 39
say "ok: A: n1 alone elected itself in term $(grep -m1 '"term"' "$TMP/c1.json" | tr -dc 0-9); all 30 earlier commands applied from its log + 5 new (35)"

# ---- B. three old members become five --------------------------------------
fresh_cluster grow 40
say "ok: B: 3 nodes ran in term $T and applied 40 commands (indexes 3..42)"
five="n1=127.0.0.1:${PORTS[0]},n2=127.0.0.1:${PORTS[1]},n3=127.0.0.1:${PORTS[2]},n4=127.0.0.1:${PORTS[3]},n5=127.0.0.1:${PORTS[4]}"
for i in 1 2 3; do
	recover "$DIR/n$i" --nodes "$five" --term $((T + 1))
	json_has "$TMP/check.json" last_index 43
	json_has "$TMP/check.json" current_term $((T + 1))
done
[ ! -e "$DIR/n4" ] && [ ! -e "$DIR/n5" ] || die "B: recover created state for the new members"
say "ok: B: n1..n3 recovered to 5 members (entry 43, term $((T + 1))); n4, n5 have no state"
"$H" cluster "$DIR" --in-place --keep --applies 10 --timeout 60s \
	--peer "n4=127.0.0.1:${PORTS[3]},n5=127.0.0.1:${PORTS[4]}" >"$TMP/c2.json" 2>"$TMP/c2.err" ||
	die "B: the 5-member cluster failed: $(cat "$TMP/c2.err")"
leader=$(grep -m1 '"leader"' "$TMP/c2.json" | cut -d'"' -f4)
case $leader in n1 | n2 | n3) ;; *) die "B: leader $leader is not an old member" ;; esac
[ "$(count "$TMP/c2.json" '"applied_commands": 50,')" = 5 ] || die "B: not all 5 nodes applied 40 + 10 commands"
[ "$(count "$TMP/c2.json" '"configuration_ok": true')" = 5 ] || die "B: a live configuration differs"
[ "$(count "$TMP/c2.json" '"peer": true')" = 2 ] || die "B: the harness did not start 2 peers"
json_has "$TMP/c2.json" last_apply_index 54
for i in 1 2 3 4 5; do
	"$H" check "$DIR/n$i" >"$TMP/check.json" 2>"$TMP/check.err" || die "B: n$i after the run: $(cat "$TMP/check.err")"
	json_has "$TMP/check.json" first_index 1
	json_has "$TMP/check.json" last_index 54
	json_has "$TMP/check.json" LogCommand 50
	"$OCI_BIN" raft verify --state-dir "$DIR/n$i" >"$TMP/verify.out" 2>&1 || die "B: n$i does not verify after the run"
done
say "ok: B: 5 members, leader $leader (old member); n4 and n5 started empty and hold every entry 1..54 (50 commands, same FSM chain)"

# ---- C. lived/three: compacted logs, configuration only in snapshots -------
[ -d "$VECTORS/lived/three" ] || skip "lived/three not found at $VECTORS"
L=$TMP/lived
mkdir -p "$L"
cp -r "$VECTORS/lived/three" "$L/three"
cp -r "$VECTORS/lived/three" "$L/solo"
chmod -R u+w "$L"
two="sequencer-1=127.0.0.1:37211,sequencer-3=127.0.0.1:37213"
for s in 1 2 3; do
	if [ $s = 2 ]; then
		expect_fail "lived: sequencer-2 is not in {sequencer-1, sequencer-3}" 'sequencer-2.*is not in the new configuration' \
			"$OCI_BIN" raft recover --state-dir "$L/three/sequencer-2" --nodes "$two"
		recover "$L/three/sequencer-2" --nodes "$two" --force --term 3
	else
		recover "$L/three/sequencer-$s" --nodes "$two" --term 3
	fi
	json_has "$TMP/check.json" last_index 603
	json_has "$TMP/check.json" current_term 3
done
say "ok: C: lived/three recovered to {sequencer-1, sequencer-3} at index 603 (after compacted logs 465/539/423..602)"
rc=0
"$H" cluster "$L/three" --fsm chain --in-place --start sequencer-1,sequencer-3 --applies 5 --timeout 30s >"$TMP/c3.json" 2>"$TMP/c3.err" || rc=$?
[ $rc = 0 ] || die "C: recovered lived/three did not start: $(cat "$TMP/c3.err")"
[ "$(count "$TMP/c3.json" '"applied_commands": 605,')" = 2 ] || die "C: not 600 + 5 commands on both nodes"
[ "$(count "$TMP/c3.json" '"restored_snapshot": "2-')" = 2 ] || die "C: snapshots not restored"
say "ok: C: sequencer-1 + sequencer-3 restored their snapshots, elected $(grep -m1 '"leader"' "$TMP/c3.json" | cut -d'"' -f4), 605 commands on both"
recover "$L/solo/sequencer-2" --nodes "sequencer-2=127.0.0.1:37212"
grep -q "removed (not in the new configuration)" "$TMP/recover.out" || die "C: the vote for sequencer-1 was not removed"
json_has "$TMP/check.json" last_vote_cand null
"$H" cluster "$L/solo" --fsm chain --in-place --start sequencer-2 --applies 5 --timeout 30s >"$TMP/c4.json" 2>"$TMP/c4.err" ||
	die "C: sequencer-2 alone did not start: $(cat "$TMP/c4.err")"
json_has "$TMP/c4.json" leader '"sequencer-2"'
json_has "$TMP/c4.json" applied_commands 605
say "ok: C: sequencer-2 (snapshot at its last index 602) recovered alone: vote for the removed sequencer-1 cleared, elected itself, 605 commands"
passed
