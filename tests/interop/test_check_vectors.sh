#!/usr/bin/env bash
# Real Go libraries (bbolt tx.Check, the stack's raft-boltdb + raft decoders)
# accept every node of the Go tool's reference vectors, and lived/three
# (state after a real raft cluster ran: compacted logs, configuration only in
# snapshots). Inputs are opened read-only and must be unchanged afterwards.
. "$(dirname "$0")/lib.sh"
need_vectors
need_harness

before=$(cd "$VECTORS" && find gen lived -type f -exec sha256sum {} + | sort)
n=0
for d in "$VECTORS"/gen/*/*/; do
	d=${d%/}
	"$H" check "$d" >"$TMP/check.json" || die "check $d"
	json_has "$TMP/check.json" bbolt_check '"ok"'
	json_has "$TMP/check.json" first_index 1
	json_has "$TMP/check.json" last_index 1
	json_has "$TMP/check.json" LogConfiguration 1
	json_has "$TMP/check.json" source '"log"'
	json_has "$TMP/check.json" rw_reopen_copy '"ok"'
	n=$((n + 1))
done
say "ok: $n generated nodes pass bbolt tx.Check, raft-boltdb GetLog and DecodeConfiguration"

for d in "$VECTORS"/lived/three/*/; do
	d=${d%/}
	"$H" check "$d" >"$TMP/check.json" || die "check $d"
	! grep -q '"LogConfiguration"' "$TMP/check.json" || die "$d: unexpected LogConfiguration entry"
	grep -q '"source": "snapshot:' "$TMP/check.json" || die "$d: configuration should come from a snapshot"
	json_has "$TMP/check.json" crc_ok true
	json_has "$TMP/check.json" last_vote_cand '"127.0.0.1:37211"'
	say "ok: lived $(basename "$d"): $(grep -E '"(first_index|last_index)"' "$TMP/check.json" | tr -d ' \n') configuration only in $(grep -m1 '"source"' "$TMP/check.json" | tr -d ' ')"
done

after=$(cd "$VECTORS" && find gen lived -type f -exec sha256sum {} + | sort)
[ "$before" = "$after" ] || die "check modified the vectors"
say "ok: vectors unchanged"
