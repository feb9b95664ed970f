#!/usr/bin/env bash
# The nil-head crash, predicted and then seen on op-conductor v1.19.6's own
# consensus (optimism issue 13363): a node whose FSM holds no unsafe head
# panics in snapshot.Persist (raft_fsm.go) as soon as raft snapshots it.
#   1. a fresh generated node: info and verify say it calmly (a note, no
#      warning); the bootstrap preflight says nothing about it;
#   2. a real one-node cluster with no payload, LatestUnsafePayload called 40
#      times (each a raft barrier entry), snapshot threshold 16: the process
#      dies with the panic in (*snapshot).Persist and leaves snapshots/*.tmp;
#   3. on the state it left: verify names the *.tmp as the trace of that crash;
#      the bootstrap preflight given op-conductor's --raft.snapshot-threshold 16
#      (or OP_CONDUCTOR_RAFT_SNAPSHOT_THRESHOLD=16) warns that it will panic at
#      its first snapshot check, naming the entry count; with the default 8192
#      it does not;
#   4. the prediction: op-conductor restarted there with threshold 16 panics
#      again (no new payload); started as the warning advises (threshold above
#      the count, a block committed first) it runs, holds that block, and the
#      nil-head warning is gone.
. "$(dirname "$0")/opc_lib.sh"
need_harness

preflight() { # preflight STORAGE ID ARGS...: the bootstrap preflight, op-conductor = /bin/true
	local st=$1 id=$2
	shift 2
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=/bin/true "$OCI_BIN" bootstrap cluster \
		--raft.storage.dir "$st" --raft.server.id "$id" "$@" >"$TMP/pf.out" 2>"$TMP/pf.err" ||
		die "preflight $*: exit $?: $(cat "$TMP/pf.err")"
}

# 1. fresh generated state
read -r p1 p2 p3 < <("$H" ports 3)
"$OCI_BIN" raft generate --nodes "n1=127.0.0.1:$p1,n2=127.0.0.1:$p2,n3=127.0.0.1:$p3" --initial-leader n1 \
	--output-dir "$TMP/fresh" >/dev/null 2>&1 || die "generate failed"
"$OCI_BIN" raft info --state-dir "$TMP/fresh/n1" >"$TMP/info.out" 2>&1 || die "info on a fresh node failed"
grep -q "note: no unsafe head yet: op-conductor <= v1.19.6 panics in snapshot.Persist" "$TMP/info.out" ||
	die "info on a fresh node does not say what no head means: $(grep -A3 'Unsafe head' "$TMP/info.out")"
! grep -q WARNING "$TMP/info.out" || die "info on a fresh node warns: $(grep WARNING "$TMP/info.out")"
"$OCI_BIN" raft verify --state-dir "$TMP/fresh/n1" >"$TMP/verify.out" 2>&1 || die "verify on a fresh node failed"
tail -n1 "$TMP/verify.out" | grep -qx "VALID: n1" || die "verify on a fresh node: $(tail -n1 "$TMP/verify.out")"
preflight "$TMP/fresh" n1
! grep -qi "unsafe head" "$TMP/pf.err" || die "the preflight alarms on a fresh node: $(cat "$TMP/pf.err")"
say "ok: a fresh node: info notes what no head means, verify VALID without warnings, the preflight is silent"

# 2. the real crash
P=$("$H" ports 1)
ST=$TMP/crash
rc=0
timeout 120 "$H" run --storage "$ST" --nodes "a=$P" --bootstrap a --barriers 40 --threshold 16 \
	--interval 200ms --stay 20s >"$TMP/crash.json" 2>"$TMP/crash.err" || rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || die "op-conductor with no head did not die (exit $rc)"
grep -q "nil pointer dereference" "$TMP/crash.err" && grep -q 'consensus.(\*snapshot).Persist' "$TMP/crash.err" ||
	die "op-conductor died (exit $rc) but not in snapshot.Persist: $(grep -m3 -E 'panic|Persist' "$TMP/crash.err")"
tmpdir=$(cd "$ST/a/snapshots" && ls -d ./*.tmp 2>/dev/null | head -n1)
[ -n "$tmpdir" ] || die "the crash left no snapshots/*.tmp: $(ls "$ST/a/snapshots")"
tmpdir=${tmpdir#./}
say "ok: op-conductor v1.19.6 with no head panicked in (*snapshot).Persist (exit $rc) and left snapshots/$tmpdir"

# 3. the state it left, read
"$OCI_BIN" raft verify --state-dir "$ST/a" >"$TMP/verify.out" 2>&1 || die "verify of the crashed node failed: $(tail -n3 "$TMP/verify.out")"
grep -q "warning snapshots/$tmpdir: an unfinished snapshot .*trace of op-conductor's nil-head panic in snapshot.Persist" "$TMP/verify.out" ||
	die "verify does not name snapshots/$tmpdir as the trace of the crash: $(sed -n '/Problems/,$p' "$TMP/verify.out")"
"$OCI_BIN" raft info --state-dir "$ST/a" >"$TMP/info.out" 2>&1 || die "info of the crashed node failed"
grep -q "$tmpdir  unfinished" "$TMP/info.out" || die "info does not list the unfinished snapshot"
N=$("$OCI_BIN" raft info --state-dir "$ST/a" --json | jget /dev/stdin 'd["log"]["last_index"]')
say "ok: verify and info name snapshots/$tmpdir, the trace of the crash ($N entries, no snapshot)"
for how in flag env; do
	if [ $how = flag ]; then
		preflight "$ST" a --raft.snapshot-threshold 16
	else
		OP_CONDUCTOR_RAFT_SNAPSHOT_THRESHOLD=16 preflight "$ST" a
	fi
	grep -q "no unsafe head (none in the snapshot or the log) and $N entries follow the last snapshot, at or above the snapshot threshold 16 .*panics in snapshot.Persist" "$TMP/pf.err" ||
		die "the preflight ($how) does not predict the panic: $(cat "$TMP/pf.err")"
done
preflight "$ST" a
! grep -q "at or above the snapshot threshold" "$TMP/pf.err" || die "the preflight predicts the panic at the default threshold 8192 with $N entries"
say "ok: the preflight predicts the panic from --raft.snapshot-threshold 16 and from OP_CONDUCTOR_RAFT_SNAPSHOT_THRESHOLD=16, not at the default"

# 4. the prediction, checked on the real consensus (copies of the state)
cp -a "$ST" "$TMP/again"
rc=0
timeout 120 "$H" run --storage "$TMP/again" --nodes "a=$P" --threshold 16 --interval 200ms --stay 20s \
	>/dev/null 2>"$TMP/again.err" || rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && grep -q 'consensus.(\*snapshot).Persist' "$TMP/again.err" ||
	die "restarted with threshold 16 and no head, op-conductor did not panic in Persist as predicted (exit $rc)"
say "ok: as predicted, op-conductor restarted with threshold 16 panicked in Persist again"
cp -a "$ST" "$TMP/advised"
"$H" run --storage "$TMP/advised" --nodes "a=$P" --threshold $((N + 100)) --interval 200ms --blocks 1-3 --stay 2s \
	>"$TMP/advised.json" 2>"$TMP/advised.err" || die "started as advised, op-conductor failed: $(tail -c 600 "$TMP/advised.err")"
[ "$(jget "$TMP/advised.json" 'd["head"]["number"]')" = 3 ] || die "started as advised: the head is not block 3"
"$OCI_BIN" raft info --state-dir "$TMP/advised/a" >"$TMP/info.out" 2>&1 || die "info after the advised start failed"
! grep -q "no unsafe head" "$TMP/info.out" || die "info still warns about no head after a block was committed"
say "ok: started as advised (threshold $((N + 100)), a block committed first) op-conductor runs and holds block 3; no warning left"
passed
