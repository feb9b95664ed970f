#!/usr/bin/env bash
# Proves: a backup of lived/three (compacted logs + snapshots/) restores to a
# state real raft starts from. backup -> remove/damage the state -> restore
# --force -> every file cmp-equal to the original, the harness `check`
# passes on every node, and `cluster --in-place` on the restored copy elects
# a leader and applies commands. Then the same for a --live backup taken
# while the harness `append` holds one node's log (LOCK_EX): the restored
# compact copy starts too.
# ctest-resource-lock: lived-three-ports
. "$(dirname "$0")/lib.sh"
need_harness
need_vectors

st=$TMP/state
mkdir -p "$st"
for d in "$VECTORS"/lived/three/*/; do cp -a "$d" "$st/"; done
chmod -R u+w "$st" # the vectors are read-only; this copy is restored over
cp -a "$st" "$TMP/orig"

"$OCI_BIN" raft backup --state-dir "$st" --backup-dir "$TMP/bk" >"$TMP/b.out" 2>"$TMP/b.err" || die "backup: $(cat "$TMP/b.err")"
bk=$(ls -d "$TMP"/bk/raft-backup-*)
rm -rf "$st/sequencer-1" "$st/sequencer-2/snapshots"
printf 'xxxx' | dd of="$st/sequencer-3/raft-log.db" bs=1 seek=40000 conv=notrunc status=none
"$OCI_BIN" raft restore --backup-dir "$bk" --state-dir "$st" --force >"$TMP/r.out" 2>"$TMP/r.err" || die "restore: $(cat "$TMP/r.err")"
(cd "$TMP/orig" && find . -type f | LC_ALL=C sort) >"$TMP/want"
(cd "$st" && find . -path ./.pre-restore-\* -prune -o -type f -print | LC_ALL=C sort) >"$TMP/got"
cmp -s "$TMP/want" "$TMP/got" || die "restored file set differs: $(diff "$TMP/want" "$TMP/got" | head)"
while read -r f; do cmp -s "$TMP/orig/$f" "$st/$f" || die "$f differs after restore"; done <"$TMP/want"
say "ok: restored lived/three is cmp-equal ($(wc -l <"$TMP/want") files incl. snapshots/)"
for n in sequencer-1 sequencer-2 sequencer-3; do
	"$H" check "$st/$n" >"$TMP/check-$n.json" 2>"$TMP/check.err" || die "check $n: $(cat "$TMP/check.err")"
done
rm -rf "$st"/.pre-restore-*
"$H" cluster "$st" --fsm chain --in-place --applies 5 --timeout 30s >"$TMP/cluster.json" 2>"$TMP/cluster.err" ||
	die "raft on the restored state: $(tail -n3 "$TMP/cluster.err")"
grep -q '"leader": "sequencer-' "$TMP/cluster.json" || die "no leader: $(head -c 400 "$TMP/cluster.json")"
say "ok: real raft on the restored copy elected $(grep -m1 '"leader"' "$TMP/cluster.json" | tr -d ' ,') and applied 5 commands"

# --live: sequencer-2's log is held by a writer while the backup is taken
st2=$TMP/state2
mkdir -p "$st2"
for d in "$VECTORS"/lived/three/*/; do cp -a "$d" "$st2/"; done
chmod -R u+w "$st2"
: >"$TMP/append.out"
"$H" append "$st2/sequencer-2/raft-log.db" --rate 100 --seconds 20 >"$TMP/append.out" 2>&1 &
apid=$!
trap 'kill $apid 2>/dev/null || true; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do grep -q '^locked' "$TMP/append.out" && break; sleep 0.1; done
sleep 0.5
before=$(grep '^committed ' "$TMP/append.out" | tail -n1 | cut -d' ' -f2)
"$OCI_BIN" raft backup --live --state-dir "$st2" --backup-dir "$TMP/lbk" >"$TMP/lb.out" 2>"$TMP/lb.err" || die "live backup: $(cat "$TMP/lb.err")"
kill $apid 2>/dev/null || true
wait $apid 2>/dev/null || true
grep -q 'live compact copy' "$TMP/lb.out" || die "the live backup did not copy without the lock"
lbk=$(ls -d "$TMP"/lbk/raft-backup-*)
st3=$TMP/state3
"$OCI_BIN" raft restore --backup-dir "$lbk" --state-dir "$st3" >"$TMP/r3.out" 2>"$TMP/r3.err" || die "restore of the live backup: $(cat "$TMP/r3.err")"
"$H" check "$st3/sequencer-2" >"$TMP/c3.json" 2>"$TMP/c3.err" || die "check: $(cat "$TMP/c3.err")"
last=$(grep -m1 '"last_index"' "$TMP/c3.json" | tr -dc 0-9)
[ "$last" -ge "${before:-602}" ] || die "restored live copy ends at $last, but $before was committed before the backup"
# the appended commands were never replicated: the other nodes' logs are shorter;
# raft still elects (sequencer-2's log is the longest, in term 2) and catches the others up
"$H" cluster "$st3" --fsm chain --in-place --applies 5 --timeout 40s >"$TMP/cluster3.json" 2>"$TMP/cluster3.err" ||
	die "raft on the restored live copy: $(tail -n3 "$TMP/cluster3.err")"
grep -q '"leader": "sequencer-' "$TMP/cluster3.json" || die "no leader on the restored live copy"
say "ok: --live backup (writer at $before) restored into a new dir; sequencer-2 holds ..$last; raft elected $(grep -m1 '"leader"' "$TMP/cluster3.json" | tr -d ' ,')"
say "PASS"
