#!/usr/bin/env bash
# Proves: `raft generate` treats snapshots/ as existing state. Over
# lived/three (logs compacted, configuration in snapshots/): refused without
# --force (also for a node holding only snapshots/, which is named); with
# --force every node is replaced whole - snapshots/ included, the old one
# kept beside the output directory - and real HashiCorp Raft (the harness
# `cluster`) then starts from the generated configuration: no snapshot is
# restored, every node's configuration is the generated members at their new
# addresses, a leader is elected and commands apply. Before, the fresh log
# sat beside the old snapshots/ and raft started from the snapshot's members
# (FORMAT.md, "The configuration it starts with").
. "$(dirname "$0")/lib.sh"
need_harness
need_vectors
IDS=sequencer-1,sequencer-2,sequencer-3

for attempt in 1 2 3; do
	st=$TMP/try$attempt/state
	mkdir -p "$st"
	for d in "$VECTORS"/lived/three/*/; do cp -a "$d" "$st/"; done
	chmod -R u+w "$st"
	ports=($("$H" ports 3))
	nodes=127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}
	G=("$OCI_BIN" raft generate --nodes "$nodes" --server-ids "$IDS" --initial-leader sequencer-1 --output-dir "$st")
	if [ $attempt = 1 ]; then
		"${G[@]}" >/dev/null 2>"$TMP/e1" && die "generate over lived/three without --force succeeded"
		rm -f "$st"/sequencer-1/raft-*.db
		"${G[@]}" >/dev/null 2>"$TMP/e2" && die "generate beside sequencer-1's snapshots/ without --force succeeded"
		grep -q 'sequencer-1/snapshots' "$TMP/e2" || die "the refusal does not name sequencer-1/snapshots: $(cat "$TMP/e2")"
		[ -z "$(ls "$st/sequencer-1" | grep -v snapshots)" ] || die "the refused run wrote into sequencer-1"
		say "ok: refused without --force, naming sequencer-1/snapshots; nothing written"
	fi
	"${G[@]}" --force >"$TMP/g.out" 2>"$TMP/g.err" || die "generate --force: $(cat "$TMP/g.err")"
	for n in sequencer-1 sequencer-2 sequencer-3; do
		[ ! -e "$st/$n/snapshots" ] || die "$n still has a snapshots/ after generate --force"
	done
	kept=$(sed -n 's/^The replaced state (snapshots\/ included) was kept in: //p' "$TMP/g.out")
	[ -n "$kept" ] && diff -r "$VECTORS/lived/three/sequencer-2/snapshots" "$kept/sequencer-2/snapshots" >/dev/null ||
		die "the old snapshots/ were not kept (kept: '$kept')"
	rc=0
	"$H" cluster "$st" --in-place --applies 5 --timeout 30s >"$TMP/cluster.json" 2>"$TMP/cluster.err" || rc=$?
	if [ $rc != 0 ] && grep -Eq 'TCP transport|address already in use' "$TMP/cluster.err"; then
		say "port clash ($(head -n1 "$TMP/cluster.err")), retrying with new ports"
		continue
	fi
	[ $rc = 0 ] || die "raft on the generated state: $(tail -n3 "$TMP/cluster.err")"
	grep -q '"leader": "sequencer-' "$TMP/cluster.json" || die "no leader: $(head -c 400 "$TMP/cluster.json")"
	[ "$(grep -c '"restored_snapshot": ""' "$TMP/cluster.json")" = 3 ] || die "a node restored a snapshot: $(grep restored_snapshot "$TMP/cluster.json")"
	[ "$(grep -c '"config_source": "log"' "$TMP/cluster.json")" = 3 ] || die "a node took its configuration from elsewhere than the log"
	[ "$(grep -c '"configuration_ok": true' "$TMP/cluster.json")" = 3 ] || die "configuration_ok is not true on every node"
	for p in "${ports[@]}"; do
		grep -q "\"address\": \"127.0.0.1:$p\"" "$TMP/cluster.json" || die "the live configuration lacks the generated address 127.0.0.1:$p"
	done
	grep -q '"address": "127.0.0.1:3721' "$TMP/cluster.json" && die "the live configuration still has lived/three's old addresses"
	say "ok: generate --force replaced snapshots/ too; raft started from the generated members ($nodes), elected $(grep -m1 '"leader"' "$TMP/cluster.json" | tr -d ' ,'), applied 5"
	exit 0
done
die "three port clashes in a row"
