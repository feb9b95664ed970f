#!/usr/bin/env bash
# The unsafe head, on state op-conductor v1.19.6's own consensus wrote: every
# scenario commits payloads through RaftConsensus.CommitUnsafePayload on a real
# 3-node cluster (raft snapshots and truncates by itself, with lowered thresholds
# where the scenario says so), stops it, starts it again on a copy and reads the
# head op-conductor restores (LatestUnsafePayload on the new leader); plain
# `raft info`, `info --full`, `verify` (text and --json) of every node and
# `compare` must name exactly that head, and verify must say VALID.
. "$(dirname "$0")/opc_lib.sh"
need_harness

snap=(--threshold 64 --trailing 32 --interval 100ms --wait-snapshot)

# snapshots and truncation, all 3 nodes snapshotted; formed with --raft.bootstrap
opc_new snapshots bootstrap 3 --blocks 1-400 "${snap[@]}"
for i in 0 1 2; do
	[ "$(jget "$TMP/snapshots.json" "d['nodes'][$i]['snapshot_index'] > 0")" = true ] || die "snapshots: node $((i + 1)) has no snapshot"
done
opc_expect snapshots 400

# equal and lower block numbers after the head, no snapshot (op-conductor's
# default threshold 8192): the FSM keeps the first of the highest
opc_new equal-lower generate 3 --blocks 1-50,50,50,49,3,50
opc_expect equal-lower 50
[ "$RHASH" = "$(jget "$TMP/equal-lower.json" 'd["head"]["hash"]')" ] || die "equal-lower: the restart's head differs from the running one's"

# a rewind of more than 256 blocks after the head, no snapshot: the head is
# the first of the two 600s, followed by payloads the FSM rejects (V1, 33-byte
# extra data, 17 withdrawals) with higher numbers and 350 lower blocks
opc_new rewind generate 3 --blocks 1-600,600,700:v1,701:extra33,702:w17,599-250
opc_expect rewind 600
# the same after a snapshot: the snapshot's head (800) stays, 500 lower follow
opc_new rewind-snap generate 3 --blocks 1-800,799-300 --threshold 700 --trailing 64 --interval 100ms --wait-snapshot
opc_expect rewind-snap 800

# payloads the FSM rejects, with higher block numbers than the head, after a snapshot
opc_new rejected generate 3 --blocks 1-100,101:v1,102:v2,103:extra33,104:w17,105:v1:5000 "${snap[@]}"
opc_expect rejected 100

# V4 with the empty withdrawals root (op-service encodes it in the V3 form)
opc_new v4empty generate 3 --blocks 1-80:v4,81-90:v4empty "${snap[@]}"
opc_expect v4empty 90
[ "$(jget "$TMP/v4empty-restart.json" 'd["head"]["form"]')" = V3 ] || die "v4empty: the head is not decoded in the V3 form"

# V4 only
opc_new v4only bootstrap 3 --blocks 1-150:v4 "${snap[@]}"
opc_expect v4only 150
[ "$(jget "$TMP/v4only-restart.json" 'd["head"]["form"]')" = V4 ] || die "v4only: the head is not V4"

# large payloads (2 MB transactions), snapshotted
opc_new large generate 3 --blocks 1-12:v3:2000000 --threshold 8 --trailing 4 --interval 100ms --wait-snapshot
opc_expect large 12
# op-conductor's default shape in small: ~20 KB payloads (two to a leaf), raft
# keeping the trailing entries before its snapshot, which plain info counts
# from the leaves' keys (checked against --full's count by opc_tool_heads)
opc_new trailing generate 3 --blocks 1-400:v4:20000 --threshold 150 --trailing 200 --interval 100ms --wait-snapshot
opc_expect trailing 400

# --raft.bootstrap=true on our generated state: raft refuses (ErrCantBootstrap),
# op-conductor ignores that and runs on with the generated configuration
opc_new gen-bootstrap generate 3 --bootstrap n1 --blocks 1-30
[ "$(jget "$TMP/gen-bootstrap.json" 'd.get("bootstrap_ignored")')" = "['n1']" ] || die "gen-bootstrap: raft did not refuse the bootstrap"
opc_run gen-bootstrap-again --bootstrap n1 --blocks 31-40
opc_expect gen-bootstrap 40
passed
