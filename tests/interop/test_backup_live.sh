#!/usr/bin/env bash
# Proves: `raft backup --live` takes consistent copies while a real writer
# commits. The harness's `append` holds raft-log.db open read-write with
# raft-boltdb (LOCK_EX, as op-conductor does) and commits entries; meanwhile
# 20 live backups are taken. Every backup must pass the harness `check`
# (bbolt tx.Check, raft-boltdb GetLog of every index: contiguous) and our
# verify, and hold every entry committed before that backup started (the
# last `committed INDEX` line printed before it began). Without --live the
# same backup fails cleanly (locked), leaving nothing behind.
. "$(dirname "$0")/lib.sh"
need_harness
need_vectors

# lived/three's sequencer-3: a log raft wrote (branch, overflow and free
# pages, first index 423) with its snapshots/, so each copy must carry
# the tree of one transaction exactly and still start from the snapshot
node=$TMP/state/sequencer-3
mkdir -p "$TMP/state"
cp -a "$VECTORS/lived/three/sequencer-3" "$node"
chmod -R u+w "$node" # the vectors are read-only; this copy is written to
first=$(sed -n 's/.*"first_index": *\([0-9]*\).*/\1/p' "$VECTORS/lived/three/sequencer-3.dump.json" | head -n1)
first=${first:-423}
: >"$TMP/append.out"

"$H" append "$node/raft-log.db" --rate 300 --seconds 30 --size 3000 >"$TMP/append.out" 2>"$TMP/append.err" &
apid=$!
trap 'kill $apid 2>/dev/null || true; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do grep -q '^locked' "$TMP/append.out" && break; sleep 0.1; done
grep -q '^locked' "$TMP/append.out" || die "append did not start: $(cat "$TMP/append.err")"
sleep 0.5

expect_fail "backup without --live while the writer runs" 'is locked by another process \(is op-conductor running\?\)' \
	"$OCI_BIN" raft backup --state-dir "$TMP/state" --backup-dir "$TMP/nolive" --timeout 0.5
[ -z "$(ls -A "$TMP/nolive" 2>/dev/null)" ] || die "a failed backup left $(ls -A "$TMP/nolive")"

maxatt=1
for i in $(seq 1 20); do
	before=$(grep '^committed ' "$TMP/append.out" | tail -n1 | cut -d' ' -f2)
	before=${before:-602}
	"$OCI_BIN" raft backup --live --state-dir "$TMP/state" --backup-dir "$TMP/bk$i" >"$TMP/b$i.out" 2>"$TMP/b$i.err" ||
		die "live backup $i failed: $(cat "$TMP/b$i.err")"
	kill -0 $apid 2>/dev/null || die "the writer stopped before backup $i finished"
	bk=$(ls -d "$TMP/bk$i"/raft-backup-*)
	grep -q 'live compact copy' "$TMP/b$i.out" || die "backup $i did not take the live path: $(cat "$TMP/b$i.out")"
	a=$(sed -n 's/.*at most \([0-9]*\) attempt.*/\1/p' "$TMP/b$i.out")
	[ "${a:-1}" -gt "$maxatt" ] && maxatt=$a
	"$H" check "$bk/sequencer-3" >"$TMP/c$i.json" 2>"$TMP/c$i.err" || die "backup $i fails the harness check: $(cat "$TMP/c$i.err")"
	json_has "$TMP/c$i.json" first_index "$first"
	last=$(grep -m1 '"last_index"' "$TMP/c$i.json" | tr -dc 0-9)
	[ "$last" -ge "$before" ] || die "backup $i holds up to $last, but $before was committed before it started"
	grep -q '"bbolt_check": "ok"' "$TMP/c$i.json" || die "backup $i: bbolt check not ok"
	"$OCI_BIN" raft verify --state-dir "$bk/sequencer-3" >/dev/null 2>&1 || die "backup $i: our verify fails"
	say "ok: backup $i: committed-before $before, backup holds $first..$last, check + verify pass"
done
kill $apid 2>/dev/null || true
wait $apid 2>/dev/null || true
total=$(grep -c '^committed ' "$TMP/append.out")
say "ok: 20 live backups while the writer committed $total entries (most attempts for one file: $maxatt)"

say "PASS"
