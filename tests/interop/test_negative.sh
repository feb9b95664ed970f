#!/usr/bin/env bash
# The harness must be able to say "no": damaged files fail `check`/`scan
# --check`, and a cluster without a quorum must not elect a leader.
# ctest-resource-lock: lived-three-ports
. "$(dirname "$0")/lib.sh"
need_vectors
need_harness

C=$VECTORS/corrupt
stable=$VECTORS/gen/three/sequencer-1/raft-stable.db
node_with_log() { # node_with_log NAME LOGFILE -> a node dir with that raft-log.db
	mkdir -p "$TMP/$1"
	cp "$2" "$TMP/$1/raft-log.db"
	cp "$stable" "$TMP/$1/raft-stable.db"
	echo "$TMP/$1"
}

expect_fail "both meta checksums bad" 'checksum error' "$H" check "$(node_with_log b "$C/b-both-meta-checksums.db")"
expect_fail "truncated to 8192 bytes" 'truncated' "$H" check "$(node_with_log c "$C/c-truncated-8192.db")"
expect_fail "entry 1 bad msgpack" 'GetLog\(1\)' "$H" check "$(node_with_log e "$C/e-entry1-bad-msgpack.db")"
expect_fail "newest meta bad (bbolt falls back to the empty log)" 'no configuration' "$H" check "$(node_with_log a2 "$C/a2-meta1-checksum.db")"
expect_fail "compacted log without a snapshot" 'NewRaft would panic' "$H" check "$(node_with_log m "$VECTORS/big/medium-raft-log.db")"
expect_fail "missing files" 'no such file' "$H" check "$TMP/does-not-exist"

# A snapshot whose state.bin does not match its meta.json CRC.
cp -r "$VECTORS/lived/three/sequencer-1" "$TMP/snapbad"
chmod -R u+w "$TMP/snapbad" # the vectors are read-only; this copy is damaged below
sb=$(ls -d "$TMP"/snapbad/snapshots/*/ | tail -n1)
printf 'X' | dd of="${sb}state.bin" bs=1 seek=5 conv=notrunc status=none
expect_fail "snapshot state.bin CRC mismatch" 'CRC' "$H" check "$TMP/snapbad"

# The undamaged medium log reads completely; the two patched copies do not.
"$H" scan --check "$VECTORS/big/medium-raft-log.db" >"$TMP/scan.json" || die "scan --check medium"
json_has "$TMP/scan.json" count 2000
json_has "$TMP/scan.json" data_bytes 8009285
json_has "$TMP/scan.json" first 1001
json_has "$TMP/scan.json" last 3000
say "ok: scan --check of the medium log: 2000 entries, 8009285 data bytes"
if command -v xxd >/dev/null 2>&1; then
	apply_patch() { grep -v '^#' "$1" | while read -r off hex _; do printf '%s' "$hex" | xxd -r -p | dd of="$2" bs=1 seek="$off" conv=notrunc status=none; done; }
	for p in d-medium-leaf-key-order f-medium-leaf-in-freelist; do
		cp "$VECTORS/big/medium-raft-log.db" "$TMP/$p.db"
		chmod u+w "$TMP/$p.db" # the vectors are read-only; this copy is patched
		apply_patch "$C/$p.patch" "$TMP/$p.db"
	done
	expect_fail "leaf keys out of order" 'log not found|needs to be' "$H" scan --check "$TMP/d-medium-leaf-key-order.db"
	expect_fail "live leaf page on the freelist" 'reachable freed' "$H" scan --check "$TMP/f-medium-leaf-in-freelist.db"
else
	say "SKIP patch cases: xxd not installed"
fi

# 1 of 3 nodes cannot elect a leader (lived/three: real raft state, loopback).
t0=$(date +%s)
expect_fail "1 of 3 nodes started" 'no leader' "$H" cluster "$VECTORS/lived/three" --fsm chain --start sequencer-2 --timeout 4s
[ $(($(date +%s) - t0)) -lt 30 ] || die "cluster --start took too long to give up"
# ...but 2 of 3 can.
"$H" cluster "$VECTORS/lived/three" --fsm chain --start sequencer-2,sequencer-3 --applies 5 --timeout 20s >"$TMP/c2.json" || die "2 of 3 nodes did not elect a leader"
say "ok: 2 of 3 nodes elect $(grep -m1 '"leader"' "$TMP/c2.json" | tr -d ' ,')"
