#!/usr/bin/env bash
# Outage drills end to end on op-conductor v1.19.6's own consensus
# (RaftConsensus): a 3-node cluster commits payloads and snapshots; two nodes
# are lost for good; `raft compare` names the node to recover from; `raft
# recover` gives it a new configuration with two new members; op-conductor
# starts on it and keeps the same head (LatestUnsafePayload); the new members
# start with empty directories and catch up by snapshot (raft's
# InstallSnapshot: the source's log is truncated); more payloads commit;
# `compare` is CONSISTENT at the end and every tool names the head op-conductor
# restores. Three ways in:
#   A. the survivor's own state;
#   B. a backup of it, restored into an emptied directory;
#   C. a cluster formed from our generated state with `generate --if-absent`
#      re-run over it while op-conductor runs (must change nothing), then A.
. "$(dirname "$0")/opc_lib.sh"
need_harness

snap=(--threshold 64 --trailing 32 --interval 100ms)

# drill NAME SRC_ROOT: the two others of $ST lost; compare names the source
# among the three (read before they are lost); recover it to {source, n4, n5};
# start; catch up; commit; CONSISTENT.
drill() {
	local name=$1 before src p4 p5 i nodes4
	before=$(jget "$TMP/$name.json" 'd["head"]["hash"]')
	"$OCI_BIN" raft compare --state-dir "${DIRS[0]}" --state-dir "${DIRS[1]}" --state-dir "${DIRS[2]}" --json \
		>"$TMP/$name-cmp.json" 2>"$TMP/$name-cmp.err" || die "$name: compare failed: $(cat "$TMP/$name-cmp.err")"
	src=$(jget "$TMP/$name-cmp.json" 'd["source"]')
	[ -d "$ST/$src" ] || die "$name: compare names no source ($src)"
	say "ok: $name: compare names $src as the node to recover from"
	for i in n1 n2 n3; do [ $i = "$src" ] || rm -rf "${ST:?}/$i"; done
	read -r p4 p5 < <("$H" ports 2)
	local srcport
	srcport=$(echo "$NODES" | tr , '\n' | sed -n "s/^$src=//p")
	"$OCI_BIN" raft recover --state-dir "$ST/$src" --nodes "$src=127.0.0.1:$srcport,n4=127.0.0.1:$p4,n5=127.0.0.1:$p5" \
		>"$TMP/$name-rec.out" 2>&1 || die "$name: recover failed: $(cat "$TMP/$name-rec.out")"
	say "ok: $name: $src recovered to {$src, n4, n5}"
	NODES="$src=$srcport,n4=$p4,n5=$p5"
	DIRS=("$ST/$src" "$ST/n4" "$ST/n5")
	# catch-up at op-conductor's default threshold (8192): n4 and n5 cannot
	# snapshot by themselves, so a snapshot there came from the leader
	opc_run "$name-catchup"
	[ "$(jget "$TMP/$name-catchup.json" 'd["leader"]')" = "$src" ] || die "$name: $src did not lead"
	[ "$(jget "$TMP/$name-catchup.json" 'd["head"]["hash"]')" = "$before" ] ||
		die "$name: op-conductor on the recovered node holds another head than before the outage"
	for i in 1 2; do
		[ "$(jget "$TMP/$name-catchup.json" "d['nodes'][$i]['snapshot_index'] > 0 and d['nodes'][$i]['applied_index'] == d['nodes'][0]['applied_index']")" = true ] ||
			die "$name: new member n$((i + 3)) did not catch up by snapshot: $(jget "$TMP/$name-catchup.json" "d['nodes'][$i]")"
	done
	[ -n "$(ls "$ST/n4/snapshots")" ] || die "$name: n4 has no snapshot on disk"
	say "ok: $name: $src leads with the same head; n4, n5 started empty and caught up by snapshot"
	opc_run "$name-more" --blocks 1001-1040 "${snap[@]}" --wait-snapshot
	"$OCI_BIN" raft compare --state-dir "${DIRS[0]}" --state-dir "${DIRS[1]}" --state-dir "${DIRS[2]}" >"$TMP/$name-end.out" 2>&1 ||
		die "$name: compare at the end failed: $(tail -n 5 "$TMP/$name-end.out")"
	tail -n1 "$TMP/$name-end.out" | grep -qx CONSISTENT || die "$name: compare at the end: $(tail -n1 "$TMP/$name-end.out")"
	say "ok: $name: 40 more payloads committed; compare CONSISTENT"
	opc_expect "$name" 1040
}

# A. the survivor's own state
opc_new outage bootstrap 3 --blocks 1-300 "${snap[@]}" --wait-snapshot
drill outage

# B. backup -> restore -> restart
opc_new backup bootstrap 3 --blocks 1-300 "${snap[@]}" --wait-snapshot
"$OCI_BIN" raft backup --state-dir "$ST/n1" --backup-dir "$TMP/bk" >"$TMP/bk.out" 2>&1 || die "backup failed: $(cat "$TMP/bk.out")"
bk=$(ls -d "$TMP"/bk/raft-backup-*)
rm -rf "${ST:?}/n1"
mkdir "$ST/n1"
"$OCI_BIN" raft restore --backup-dir "$bk" --state-dir "$ST/n1" >"$TMP/rs.out" 2>&1 || die "restore failed: $(cat "$TMP/rs.out")"
say "ok: backup: n1 backed up, emptied, restored"
drill backup

# C. generated state, generate --if-absent re-run while op-conductor runs
opc_new ifabsent generate 3 --blocks 1-200 "${snap[@]}" --wait-snapshot
"$H" run --storage "$ST" --nodes "$NODES" --blocks 201-300 "${snap[@]}" --stay 6s >"$TMP/ifabsent.json" 2>"$TMP/ifabsent-live.err" &
runpid=$!
sleep 3
rc=0
"$OCI_BIN" raft generate --nodes "$GEN" --initial-leader n1 --output-dir "$ST" --if-absent >"$TMP/ia.out" 2>&1 || rc=$?
wait $runpid || die "ifabsent: op-conductor failed while generate --if-absent ran: $(tail -c 600 "$TMP/ifabsent-live.err")"
[ $rc = 0 ] || die "ifabsent: generate --if-absent over the live state: exit $rc: $(cat "$TMP/ia.out")"
say "ok: ifabsent: generate --if-absent over the running cluster exits 0: $(head -n1 "$TMP/ia.out")"
[ "$(jget "$TMP/ifabsent.json" 'd["head"]["number"]')" = 300 ] || die "ifabsent: the running cluster's head is not 300"
drill ifabsent
passed
