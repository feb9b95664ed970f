#!/usr/bin/env bash
# `raft logs --payload json` against op-conductor v1.19.6's own code: clusters of
# op-conductor's RaftConsensus commit the scenario matrix's payloads (V3, V4, V4 with
# the empty withdrawals root, the forms the FSM rejects: V1, V2, 33 bytes of extra
# data, 17 withdrawals; 50 KB transactions; equal and lower block numbers after the
# head; raft's own snapshots and truncation), then for every node the NDJSON of the
# whole log is checked by `oci-opc logs-check` (logs_check.go): each entry as
# raft-boltdb/v2 reads it (index, term, type, appended_at, size), and each payload
# as op-conductor's FSM decodes it (V4, else V3) with its envelope the same JSON
# value as op-service's own encoding/json of it. --from-block/--to-block must give
# exactly the payload lines of that range.
. "$(dirname "$0")/opc_lib.sh"
need_harness

# logs_check NAME: every node of the last cluster
logs_check() {
	local name=$1 d n
	for d in "${DIRS[@]}"; do
		n=$(basename "$d")
		"$OCI_BIN" raft logs --state-dir "$d" --payload json >"$TMP/$name-$n.ndjson" 2>"$TMP/logs.err" ||
			die "$name: raft logs $n failed: $(cat "$TMP/logs.err")"
		"$H" logs-check --dir "$d" --ndjson "$TMP/$name-$n.ndjson" >"$TMP/check.json" 2>"$TMP/check.err" ||
			die "$name: $n: $(cat "$TMP/check.err")"
		say "ok: $name: $n: $(jget "$TMP/check.json" 'd["entries"]') entries ($(jget "$TMP/check.json" 'd["first_index"]')..$(jget "$TMP/check.json" 'd["last_index"]')), $(jget "$TMP/check.json" 'd["envelopes"]') envelopes: the same as raft-boltdb and op-service"
	done
}

opc_new matrix generate 3 --blocks 1-40:v3,41-80:v4,81-90:v4empty,91:v1,92:v2,93:extra33,94:w17,95-100:v3:50000,100,99,3
logs_check matrix

# --from-block/--to-block on real data: exactly the payload lines of that range
d=${DIRS[0]}
"$OCI_BIN" raft logs --state-dir "$d" --from-block 85 --to-block 97 >"$TMP/range.ndjson" 2>"$TMP/range.err" || die "range: $(cat "$TMP/range.err")"
want=$(python3 -c 'import json,sys
L=[json.loads(l) for l in open(sys.argv[1])]
print([e["index"] for e in L if e["payload"] and 85 <= e["payload"]["block_number"] <= 97])' "$TMP/matrix-n1.ndjson")
got=$(python3 -c 'import json,sys
print([json.loads(l)["index"] for l in open(sys.argv[1])])' "$TMP/range.ndjson")
[ "$got" = "$want" ] || die "range: --from-block 85 --to-block 97 gives $got, the full log's payloads of that range are $want"
grep -q "decrease at index" "$TMP/range.err" || die "range: the lower blocks after the head are not noted: $(cat "$TMP/range.err")"
say "ok: --from-block 85 --to-block 97: the $(wc -l <"$TMP/range.ndjson") payload lines of that range; the decrease is noted"

# raft's own snapshots and truncation: the log starts after a snapshot
opc_new truncated bootstrap 3 --blocks 1-300:v4 --threshold 64 --trailing 32 --interval 100ms --wait-snapshot
[ "$("$OCI_BIN" raft info --state-dir "${DIRS[0]}" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["log"]["first_index"] > 1)')" = True ] ||
	die "truncated: raft did not truncate n1's log"
logs_check truncated

# the leader hands over while a payload commits (as missed heartbeats on a
# loaded machine make it): the harness commits it again only if the new leader
# lacks it, so every block is in every log exactly once
opc_new stepdown generate 3 --blocks 1-120:v4 --step-down-at 60
logs_check stepdown
for d in "${DIRS[@]}"; do
	"$OCI_BIN" raft logs --state-dir "$d" >"$TMP/stepdown.ndjson" 2>"$TMP/stepdown.err" || die "stepdown: raft logs: $(cat "$TMP/stepdown.err")"
	r=$(python3 -c 'import json,sys
b=[json.loads(l)["payload"]["block_number"] for l in open(sys.argv[1]) if json.loads(l)["payload"]]
print("ok" if b == list(range(1, 121)) else "blocks %s" % b)' "$TMP/stepdown.ndjson")
	[ "$r" = ok ] || die "stepdown: $(basename "$d"): $r"
done
[ "$(jget "$TMP/stepdown.json" 'd["head"]["number"]')" = 120 ] || die "stepdown: head $(jget "$TMP/stepdown.json" 'd["head"]["number"]'), want 120"
say "ok: stepdown: the leader handed over at payload 60 ($(jget "$TMP/stepdown.json" 'd["lost_commits"]') commits lost with it); blocks 1..120 once each on every node, head 120"

# --live while op-conductor writes
opc_new live generate 3 --blocks 1-10
"$H" run --storage "$ST" --nodes "$NODES" --blocks 11-1010:v3:20000 --threshold 64 --trailing 32 \
	--interval 100ms >"$TMP/live-run.json" 2>"$TMP/live-run.err" &
run_pid=$!
reads=0 lines=0 cut=0
while kill -0 "$run_pid" 2>/dev/null; do
	# raft compacts the log's front while a read goes on (threshold 64): a
	# read whose next entries were removed stops with one sentence, exit 1,
	# and what it printed before is still contiguous (checked below)
	rc=0
	"$OCI_BIN" raft logs --state-dir "${DIRS[1]}" --live >"$TMP/live.ndjson" 2>"$TMP/live.err" || rc=$?
	if [ "$rc" != 0 ]; then
		grep -q "raft removed entries from index [0-9]* on (log compaction) while --live read them" "$TMP/live.err" &&
			[ "$rc" = 1 ] || { kill "$run_pid"; die "live read $((reads + 1)) failed (exit $rc): $(cat "$TMP/live.err")"; }
		cut=$((cut + 1))
	fi
	n=$(python3 -c 'import json,sys
L=[json.loads(l) for l in open(sys.argv[1])]
ix=[e["index"] for e in L]
assert ix == list(range(ix[0], ix[0] + len(ix))) if ix else True, "indexes not contiguous"
b=[e["payload"]["block_number"] for e in L if e["payload"]]
assert all(y == x + 1 for x, y in zip(b, b[1:])), "payload blocks not consecutive"
print(len(L))' "$TMP/live.ndjson" 2>&1) || { kill "$run_pid"; die "live read $((reads + 1)): $n"; }
	[ "$rc" = 0 ] && reads=$((reads + 1))
	lines=$((lines + n))
done
wait "$run_pid" || die "live: oci-opc run failed: $(tail -c 800 "$TMP/live-run.err")"
[ "$reads" -ge 3 ] || die "live: only $reads reads while op-conductor wrote"
say "ok: --live: $reads whole reads (and $cut stopped by raft's compaction, as they must) while op-conductor committed 1,000 payloads ($lines lines): every one settled, contiguous, blocks consecutive"
passed
