#!/usr/bin/env bash
# lived/three is real raft state written by raft v1.7.3 (compacted logs, the
# configuration only in snapshots). On a copy, each stack's raft (OCI_STACK)
# restore the newest snapshot on every node, elect a leader, keep the
# configuration and replicate more commands; the goref chain FSM state in the
# snapshots is continued, so all nodes must end with the same chain. (--fsm
# chain: these snapshots hold goref's JSON chain state, not a payload.)
# ctest-resource-lock: lived-three-ports
. "$(dirname "$0")/lib.sh"
need_vectors
need_harness

"$H" cluster "$VECTORS/lived/three" --fsm chain --applies 20 --timeout 30s >"$TMP/cluster.json" 2>"$TMP/cluster.err" ||
	die "cluster on a copy of lived/three: $(cat "$TMP/cluster.err")"
[ "$(grep -c '"configuration_ok": true' "$TMP/cluster.json")" = 3 ] || die "configuration_ok not true on all 3 nodes"
[ "$(grep -c '"restored_snapshot": "2-' "$TMP/cluster.json")" = 3 ] || die "not every node restored a snapshot"
[ "$(grep -c '"applied_commands": 620,' "$TMP/cluster.json")" = 3 ] || die "not every node reached 600 + 20 applied commands"
json_has "$TMP/cluster.json" last_apply_index 623
grep -q '"source": "snapshot:' "$TMP/cluster.json" || die "configuration did not come from a snapshot"
t=$(grep -m1 '"term"' "$TMP/cluster.json" | tr -dc 0-9)
[ "$t" -ge 3 ] || die "term $t, expected >= 3"
say "ok: elected $(grep -m1 '"leader"' "$TMP/cluster.json" | tr -d ' ,') in term $t, 3 nodes restored snapshots and applied 620 commands (600 + 20), same chain"
