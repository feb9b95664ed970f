#!/usr/bin/env bash
# Raft's own rules (raftstate/raftrules.h, hashicorp/raft v1.7.3) as verify,
# info, compare and recover apply them, on nodes built by tests/cli/mknode.c:
#  - a gap at or below the snapshot index is normal (NewRaft reads only after
#    it; raft leaves such a gap after InstallSnapshot): VALID, counted as the
#    entries present; a gap above it stays INVALID;
#  - the last entry is the snapshot's when the log ends below it
#    (getLastEntry): compare ranks with it, recover appends after it;
#  - only voters campaign: compare's source is a voter, and a nonvoter that
#    holds more is named with what recovering from it would keep;
#  - recovery is advised only when the voters here cannot elect (with the
#    --term to use); one node compares; a head on a discarded tail is named
#    as a conflict with both hashes.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_BUILD
B=$OCI_BIN
make_tmp oci-rules
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_jget
build_mknode
M=$MKNODE
MEM3=sequencer-1=127.0.0.1:50051,sequencer-2=127.0.0.1:50052,sequencer-3=127.0.0.1:50053

# 1. a follower that installed snapshot 100 keeps its old log 1..5 (shorter
# than TrailingLogs, snapshot.go compactLogsWithTrailing) and appends 101..110
N=$tmp/below/sequencer-1
"$M" "$N" 1-1:1:config 2-5:1:block 101-110:2:block --snapshot 100:2:block:100 --members "$MEM3" --vote 2:sequencer-2
"$B" raft verify --state-dir "$N" >"$tmp/out" 2>&1
eq "gap below the snapshot: verify exit" "$?" 0
grep -q "^VALID: sequencer-1$" "$tmp/out" && ok "gap below the snapshot: VALID" || bad "gap below: $(tail -n 3 "$tmp/out")"
grep -q "entries: 1..110 (15 entries present; 95 of the indexes between hold none)" "$tmp/out" &&
	ok "verify counts the entries present" || bad "verify count: $(grep entries: "$tmp/out")"
"$B" raft info --state-dir "$N" >"$tmp/out" 2>&1
grep -q "Log: *1..110 (15 entries present; 95 of the indexes between hold none), last term 2" "$tmp/out" &&
	ok "info counts what raft-boltdb holds" || bad "info count: $(grep Log: "$tmp/out")"
"$B" raft info --json --state-dir "$N" >"$tmp/i.json"
eq "info --json count" "$(jget "$tmp/i.json" log/count)" 15

# the same with the gap reaching above the snapshot index: raft panics
N2=$tmp/above/sequencer-1
"$M" "$N2" 1-1:1:config 2-5:1:block 101-110:2:block --snapshot 99:2:block:99 --members "$MEM3"
"$B" raft verify --state-dir "$N2" >"$tmp/out" 2>&1
eq "gap above the snapshot: verify exit" "$?" 1
grep -q "index 101 follows index 5: a gap in the log" "$tmp/out" && ok "gap above the snapshot: INVALID, named" ||
	bad "gap above: $(grep -i gap "$tmp/out")"

# a gap wholly after the snapshot index (INVALID for verify): info still
# counts what raft-boltdb holds, not first..last
N3=$tmp/after/sequencer-1
"$M" "$N3" 1-1:1:config 2-30:1:block --snapshot 10:1:block:10 --members "$MEM3" --delete 20-22
"$B" raft info --json --state-dir "$N3" >"$tmp/i3.json"
eq "gap after the snapshot: info --json count (27 of 1..30)" "$(jget "$tmp/i3.json" log/count)" 27
"$B" raft info --state-dir "$N3" >"$tmp/out" 2>&1
grep -q "Log: *1..30 (27 entries present; 3 of the indexes between hold none)" "$tmp/out" &&
	ok "gap after the snapshot: info counts the entries present" || bad "info count: $(grep Log: "$tmp/out")"

# backup keeps the first (its verify accepts the gap)
"$B" raft backup --state-dir "$N" --backup-dir "$tmp/bk" >"$tmp/out" 2>&1
eq "gap below the snapshot: backup exit" "$?" 0

# 2. recover after the snapshot: the log ends below it
R=$tmp/rec/sequencer-1
"$M" "$R" 1-1:1:config 2-5:1:block --snapshot 100:2:block:100 --members "$MEM3" --term 2
"$B" raft recover --state-dir "$R" --nodes sequencer-1=127.0.0.1:50051 >"$tmp/out" 2>&1
eq "recover: log below the snapshot: exit" "$?" 0
grep -q "append LogConfiguration at index 101, term 3 (right after the snapshot" "$tmp/out" &&
	ok "recover appends after the snapshot's index" || bad "recover: $(cat "$tmp/out")"
"$B" raft verify --state-dir "$R" >"$tmp/out" 2>&1
eq "recover: the result verifies" "$?" 0

# 3. compare ranks with snapshots: sequencer-1 installed snapshot 100 (term 2)
# and holds its old log 1..5; sequencer-2 and -3 hold 1..80 of term 1 only.
# requestVote compares getLastEntry: (term 2, index 100) wins.
C=$tmp/snaprank
"$M" "$C/sequencer-1" 1-1:1:config 2-5:1:block --snapshot 100:2:block:100 --members "$MEM3" --term 2
"$M" "$C/sequencer-2" 1-1:1:config 2-80:1:block --members "$MEM3"
"$M" "$C/sequencer-3" 1-1:1:config 2-60:1:block --members "$MEM3"
"$B" raft compare --json --state-dir "$C" >"$tmp/c.json" 2>"$tmp/err"
J=$tmp/c.json
eq "snapshot ranks: source" "$(jget "$J" source)" sequencer-1
eq "snapshot ranks: last entry" "$(jget "$J" nodes/0/last_entry/index) $(jget "$J" nodes/0/last_entry/term) $(jget "$J" nodes/0/last_entry/from)" "100 2 snapshot"
eq "snapshot ranks: the others need its snapshot" "$(jget "$J" nodes/1/relation) $(jget "$J" nodes/1/behind_by) $(jget "$J" nodes/2/relation)" "no_overlap 20 no_overlap"
eq "snapshot ranks: no recovery needed" "$(jget "$J" recovery/needed) $(jget "$J" recovery/voters_present) $(jget "$J" recovery/quorum)" "false 3 2"
"$B" raft compare --state-dir "$C" >"$tmp/out" 2>&1
# one node ahead: it is the one every voter elects; equal logs: any of them
grep -q "each grants sequencer-1 its vote: raft elects a leader by itself" "$tmp/out" &&
	ok "no recovery: the one node ahead gets every vote" || bad "one ahead: $(grep -i 'no recovery' "$tmp/out")"
"$B" raft generate --nodes "$MEM3" --initial-leader sequencer-1 --output-dir "$tmp/equal" >/dev/null 2>&1
"$B" raft compare --state-dir "$tmp/equal" >"$tmp/eq.out" 2>&1
grep -q "its vote (and so each node with the same log: whichever campaigns first wins): raft elects a leader by itself" "$tmp/eq.out" &&
	ok "no recovery, equal logs: not one named winner" || bad "equal logs: $(grep -i 'no recovery' "$tmp/eq.out")"
grep -q "Most up to date voter (last entry term 2, index 100 (its snapshot 2-100-1700000000000)): sequencer-1." "$tmp/out" &&
	ok "snapshot ranks: text" || bad "snapshot ranks: $(grep 'Most up' "$tmp/out")"
grep -q 'Start `raft recover`' "$tmp/out" && bad "recovery advised on an electable cluster" ||
	ok "no recovery advice when the voters elect by themselves"
grep -q "^  No recovery is needed: 3 of its configuration's 3 voters are here and valid" "$tmp/out" &&
	ok "says no recovery is needed" || bad "no-recovery text: $(grep -i recover "$tmp/out")"

# 4. a nonvoter holding more than every voter is never the source
C=$tmp/nonvoter
MEMNV=sequencer-1=127.0.0.1:50051,sequencer-2=127.0.0.1:50052,~sequencer-3=127.0.0.1:50053
"$M" "$C/sequencer-1" 1-1:1:config 2-50:1:block --members "$MEMNV"
"$M" "$C/sequencer-2" 1-1:1:config 2-48:1:block --members "$MEMNV"
"$M" "$C/sequencer-3" 1-1:1:config 2-70:1:block --members "$MEMNV"
"$B" raft compare --json --state-dir "$C" >"$tmp/nv.json"
eq "nonvoter: exit" "$?" 1
J=$tmp/nv.json
eq "nonvoter: source is a voter" "$(jget "$J" source) $(jget "$J" nodes/2/candidate) $(jget "$J" nonvoter_ahead)" "sequencer-1 false sequencer-3"
eq "nonvoter: ahead" "$(jget "$J" nodes/2/relation) $(jget "$J" nodes/2/ahead_by) $(jget "$J" nodes/2/common_index)" "ahead 20 50"
"$B" raft compare --state-dir "$C" >"$tmp/out"
grep -q "NONVOTER AHEAD: sequencer-3 holds more than every voter (last entry term 1, index 70), but a nonvoter never starts an election, so raft elects sequencer-1. Its entries 51..70 are on no voter: they are discarded when it follows sequencer-1. Recovering from sequencer-3 instead (listed as a voter) would keep them" "$tmp/out" &&
	ok "nonvoter: what following and recovering from it keep" || bad "nonvoter: $(grep -A1 NONVOTER "$tmp/out")"

# 5. one node: exit 0, and what one survivor of three means
C=$tmp/one
"$M" "$C/sequencer-1" 1-1:1:config 2-40:1:block --members "$MEM3" --term 4 --vote 4:sequencer-1
"$B" raft compare --state-dir "$C/sequencer-1" >"$tmp/out" 2>"$tmp/err"
eq "one node: exit" "$?" 0
grep -q "One node: the only survivor compared. Its configuration has 3 voters; a leader needs 2." "$tmp/out" &&
	grep -q 'Recovery needed: 1 of its configuration.s 3 voters is here and valid; a leader needs 2. Start `raft recover` from sequencer-1, with --term 5 on every survivor.' "$tmp/out" &&
	ok "one node: the survivor, the recovery and its --term" || bad "one node: $(cat "$tmp/out" "$tmp/err")"
"$B" raft compare --json --state-dir "$C/sequencer-1" >"$tmp/one.json"
eq "one node: JSON recovery" "$(jget "$tmp/one.json" recovery/needed) $(jget "$tmp/one.json" recovery/term)" "true 5"

# 6. a deposed leader's head on its discarded tail, the other side holding
# the same block number with another hash: a conflict, both hashes named
C=$tmp/conflict
"$M" "$C/sequencer-1" 1-1:1:config 2-100:1:block 101-110:2:block --members "$MEM3"
"$M" "$C/sequencer-2" 1-1:1:config 2-100:1:block 101-110:3:block:0:1 --members "$MEM3"
"$M" "$C/sequencer-3" 1-1:1:config 2-100:1:block 101-105:3:block:0:1 --members "$MEM3"
"$B" raft compare --state-dir "$C" >"$tmp/out"
grep -q "CONFLICT: its unsafe head, block 110 $("$M" --hash 110) (entry 110), is on that tail; sequencer-2 holds block 110 with hash $("$M" --hash 110 1). The two blocks conflict" "$tmp/out" &&
	ok "a head on a discarded tail is a conflict with both hashes" || bad "conflict: $(grep -A1 DIVERGES "$tmp/out")"
"$B" raft compare --json --state-dir "$C" >"$tmp/cf.json"
eq "conflict: JSON" "$(jget "$tmp/cf.json" nodes/0/head_conflict/node) $(jget "$tmp/cf.json" nodes/0/head_conflict/other_hash)" "sequencer-2 $("$M" --hash 110 1)"


# 7. verify --json names a file that exists but whose meta pages are both
# damaged as present, with its state and why
D=$tmp/damaged/sequencer-1
"$M" "$D" 1-1:1:config 2-20:1:block
dd if=/dev/zero of="$D/raft-log.db" bs=1 seek=16 count=64 conv=notrunc 2>/dev/null
dd if=/dev/zero of="$D/raft-log.db" bs=1 seek=4112 count=64 conv=notrunc 2>/dev/null
"$B" raft verify --json --state-dir "$D" >"$tmp/dm.json"
eq "damaged file: exit" "$?" 1
eq "damaged file: present, unreadable" "$(jget "$tmp/dm.json" files/raft-log.db/present) $(jget "$tmp/dm.json" files/raft-log.db/state)" "true unreadable"
jget "$tmp/dm.json" files/raft-log.db/reason | grep -q "both meta pages are invalid" &&
	ok "damaged file: the reason is given" || bad "damaged file: reason $(jget "$tmp/dm.json" files/raft-log.db/reason)"
eq "missing file: not present" "$(rm "$D/raft-stable.db"; "$B" raft verify --json --state-dir "$D" >"$tmp/dm2.json"; jget "$tmp/dm2.json" files/raft-stable.db/present)" false

# 8. info prints what it can read when one file is missing, and exits 1
I=$tmp/partial/sequencer-1
"$M" "$I" 1-1:1:config 2-20:1:block
rm "$I/raft-stable.db"
"$B" raft info --state-dir "$I" >"$tmp/out" 2>"$tmp/err"
eq "info, stable file missing: exit" "$?" 1
grep -q "Log: *1..20 (20 entries), last term 1" "$tmp/out" && grep -q "Error: .*raft-stable.db" "$tmp/out" &&
	[ "$(wc -l <"$tmp/err")" = 1 ] && ok "info, stable file missing: the log is shown, the error named" ||
	bad "info partial: $(cat "$tmp/out" "$tmp/err")"
"$B" raft info --json --state-dir "$I" >"$tmp/p.json" 2>/dev/null
eq "info --json, stable file missing: log and error" "$(jget "$tmp/p.json" log/last_index) $(jget "$tmp/p.json" error | grep -c raft-stable.db)" "20 1"
I2=$tmp/partial2/sequencer-1
"$M" "$I2" 1-1:1:config 2-20:1:block --term 7
rm "$I2/raft-log.db"
"$B" raft info --state-dir "$I2" >"$tmp/out" 2>"$tmp/err"
eq "info, log file missing: exit" "$?" 1
grep -q "CurrentTerm: *7" "$tmp/out" && grep -q "Error: .*raft-log.db" "$tmp/out" &&
	ok "info, log file missing: the stable keys are shown, the error named" || bad "info partial log: $(cat "$tmp/out" "$tmp/err")"


# 9. a .gz whose gzip trailer (crc32 + length, the last 8 bytes) is cut by
# 1..8 bytes is refused even when MANIFEST.json's stored_size is edited to
# match: the inflated data would be whole, the trailer that proves it is not
G=$tmp/gz/sequencer-1
"$M" "$G" 1-1:1:config 2-200:1:block
"$B" raft backup --compress --state-dir "$G" --backup-dir "$tmp/gzb" >/dev/null 2>&1 || bad "backup --compress"
GB=$(ls -d "$tmp"/gzb/raft-backup-*)
refused=0
for cut in 1 2 3 4 5 6 7 8; do
	c=$tmp/gzcut$cut
	cp -a "$GB" "$c"
	sz=$(stat -c %s "$c/raft-log.db.gz")
	truncate -s $((sz - cut)) "$c/raft-log.db.gz"
	python3 - "$c/MANIFEST.json" $((sz - cut)) <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for f in m["files"]:
    if f["path"] == "raft-log.db":
        f["stored_size"] = int(sys.argv[2])
json.dump(m, open(sys.argv[1], "w"), indent="\t")
PY
	if "$B" raft restore --backup-dir "$c" --state-dir "$tmp/gzt$cut/sequencer-1" >"$tmp/out" 2>"$tmp/err"; then
		bad "gzip trailer cut by $cut bytes: restored"
	elif grep -q "raft-log.db.gz is truncated" "$tmp/err" && [ ! -e "$tmp/gzt$cut/sequencer-1/raft-log.db" ]; then
		refused=$((refused + 1))
	else
		bad "gzip trailer cut by $cut: $(cat "$tmp/err")"
	fi
done
eq "a gzip trailer cut by 1..8 bytes is refused" "$refused" 8
"$B" raft restore --backup-dir "$GB" --state-dir "$tmp/gzok/sequencer-1" >"$tmp/out" 2>&1 &&
	ok "the uncut backup restores (control)" || bad "uncut backup: $(cat "$tmp/out")"


# 10. backup and restore exclude each other: both take the run lock on the
# node's parent (or the cluster root). While another run holds it (a process
# here, as a restore would), a backup is refused and writes nothing; a
# restore is refused the same way; once it is free the backup says it held it.
Q=$tmp/lockq
"$M" "$Q/sequencer-1" 1-1:1:config 2-20:1:block
"$B" raft backup --state-dir "$Q/sequencer-1" --backup-dir "$tmp/lkb0" >/dev/null 2>&1 || bad "backup for the restore below"
# one process holds it (flock(1) would leave its child holding it)
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
time.sleep(60)' "$Q" &
holder=$!
for _ in $(seq 1 200); do flock -n "$Q" true 2>/dev/null || break; sleep 0.05; done
"$B" raft backup --state-dir "$Q/sequencer-1" --backup-dir "$tmp/lkb" >"$tmp/out" 2>"$tmp/err"
rc=$?
eq "backup while the run lock is held: exit" "$rc" 1
grep -q "is in use by another run" "$tmp/err" && [ -z "$(ls -A "$tmp/lkb" 2>/dev/null)" ] &&
	ok "backup while the run lock is held: refused, nothing written" || bad "backup under lock: $(cat "$tmp/err")"
"$B" raft backup --state-dir "$Q" --backup-dir "$tmp/lkb" >"$tmp/out" 2>"$tmp/err"
eq "backup of the cluster root while the lock is held: exit" "$?" 1
"$B" raft restore --force --backup-dir "$(ls -d "$tmp"/lkb0/raft-backup-*)" --state-dir "$Q/sequencer-1" >"$tmp/out" 2>"$tmp/err"
eq "restore while the run lock is held: exit" "$?" 1
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
"$B" raft backup --state-dir "$Q/sequencer-1" --backup-dir "$tmp/lkb" >"$tmp/out" 2>&1
eq "backup once the lock is free: exit" "$?" 0
grep -q "^One state per node: the run lock on $Q was held while copying" "$tmp/out" &&
	ok "backup says it held the run lock" || bad "backup output: $(tail -n 2 "$tmp/out")"


# 11. --from-json gives exactly what the directory gives: terms above 2^53
# (exact, from the number's text), IDs that are not UTF-8 (their *_hex
# bytes), and a file of two concatenated documents is refused by name
X=$tmp/big
"$M" "$X/sequencer-1" 1-1:9007199254740993:config 2-20:9007199254740993:block
"$M" "$X/sequencer-2" 1-1:9007199254740993:config 2-19:9007199254740993:block 20-20:9007199254740994:block
"$B" raft compare --json --state-dir "$X" >"$tmp/xd.json"
for n in 1 2; do "$B" raft info --json --state-dir "$X/sequencer-$n" >"$tmp/x$n.json"; done
"$B" raft compare --json --from-json "$tmp/x1.json" --from-json "$tmp/x2.json" >"$tmp/xj.json" 2>"$tmp/err"
eq "terms above 2^53: --from-json exit" "$?" 1
diff <(grep -v '"origin' "$tmp/xd.json") <(grep -v '"origin' "$tmp/xj.json") >/dev/null &&
	ok "terms above 2^53: --from-json gives what the directories give" || bad "big terms: $(cat "$tmp/err"; diff "$tmp/xd.json" "$tmp/xj.json" | head -5)"
eq "terms above 2^53: exact" "$(jget "$tmp/xj.json" nodes/1/last_entry/term)" 9007199254740994
cat "$tmp/x1.json" "$tmp/x2.json" >"$tmp/x12.json"
"$B" raft compare --from-json "$tmp/x12.json" >"$tmp/out" 2>"$tmp/err"
eq "two concatenated documents: exit" "$?" 1
grep -q "data after the JSON document (byte [0-9]*, line [0-9]*); a file holds one document" "$tmp/err" && [ ! -s "$tmp/out" ] &&
	ok "two concatenated documents: refused by name" || bad "concatenated: $(cat "$tmp/err")"
U=$tmp/utf
ID1=$(printf 'seq-\351')
"$M" "$U/$ID1" 1-1:1:config 2-20:1:block --members "$ID1=127.0.0.1:50051,seq-2=127.0.0.1:50052"
"$M" "$U/seq-2" 1-1:1:config 2-20:1:block --members "$ID1=127.0.0.1:50051,seq-2=127.0.0.1:50052"
"$B" raft compare --json --state-dir "$U" >"$tmp/ud.json"
eq "an ID that is not UTF-8: directories" "$?" 0
"$B" raft info --json --state-dir "$U/$ID1" >"$tmp/u1.json"
"$B" raft info --json --state-dir "$U/seq-2" >"$tmp/u2.json"
"$B" raft compare --json --from-json "$tmp/u1.json" --from-json "$tmp/u2.json" >"$tmp/uj.json"
eq "an ID that is not UTF-8: --from-json exit" "$?" 0
# (the origins differ: a directory's path is not UTF-8 either, so it has origin_hex)
python3 -c 'import json, sys
def strip(x):
    if isinstance(x, dict):
        return {k: strip(v) for k, v in x.items() if k not in ("origin", "origin_hex")}
    if isinstance(x, list):
        return [strip(v) for v in x]
    return x
sys.exit(strip(json.load(open(sys.argv[1]))) != strip(json.load(open(sys.argv[2]))))' "$tmp/ud.json" "$tmp/uj.json" &&
	ok "an ID that is not UTF-8: --from-json gives what the directories give" || bad "hex IDs: $(diff "$tmp/ud.json" "$tmp/uj.json" | head -6)"
"$B" raft compare --state-dir "$U/$ID1" --from-json "$tmp/u1.json" >"$tmp/out" 2>"$tmp/err"
eq "the same non-UTF-8 node twice: exit" "$?" 2
grep -q "is given twice" "$tmp/err" && ok "the same non-UTF-8 node twice is caught" || bad "twice: $(cat "$tmp/err")"


# 12. bootstrap cluster's preflight: the gap below the snapshot starts
# op-conductor (the fake one records it ran); the gap above does not
mkdir -p "$tmp/fake"
if cc -std=c11 -O1 -o "$tmp/fake/op-conductor" "$OCI_SRC/tests/cli/fake-op-conductor.c" 2>"$tmp/cc.err"; then
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$tmp/fake/op-conductor FAKE_OC_RECORD=$tmp/rec1 \
		"$B" bootstrap cluster --raft.storage.dir "$tmp/below" --raft.server.id sequencer-1 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 0 ] && [ -e "$tmp/rec1" ] && ok "bootstrap: a gap below the snapshot starts op-conductor" ||
		bad "bootstrap below: rc $rc, $(head -c 300 "$tmp/err")"
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$tmp/fake/op-conductor FAKE_OC_RECORD=$tmp/rec2 \
		"$B" bootstrap cluster --raft.storage.dir "$tmp/above" --raft.server.id sequencer-1 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 1 ] && [ ! -e "$tmp/rec2" ] && grep -q "a gap in the log" "$tmp/err" &&
		ok "bootstrap: a gap above the snapshot is refused" || bad "bootstrap above: rc $rc, $(head -c 300 "$tmp/err")"
else
	bad "compile the fake op-conductor: $(cat "$tmp/cc.err")"
fi


# 13. backups taken while restores swap the node back and forth between two
# states (A: log 1..20, CurrentTerm 2; B: log 1..40, CurrentTerm 5) each hold
# one of the two states, never A's log beside B's stable store: both wait
# for the run lock (--timeout)
R=$tmp/race
"$M" "$tmp/stA/sequencer-1" 1-1:1:config 2-20:2:block --term 2
"$M" "$tmp/stB/sequencer-1" 1-1:1:config 2-40:5:block --term 5
"$B" raft backup --state-dir "$tmp/stA/sequencer-1" --backup-dir "$tmp/bkA" >/dev/null 2>&1 || bad "backup A"
"$B" raft backup --state-dir "$tmp/stB/sequencer-1" --backup-dir "$tmp/bkB" >/dev/null 2>&1 || bad "backup B"
BA=$(ls -d "$tmp"/bkA/raft-backup-*)
BBK=$(ls -d "$tmp"/bkB/raft-backup-*)
mkdir -p "$R" && cp -a "$tmp/stA/sequencer-1" "$R/"
(
	for i in $(seq 1 12); do
		for b in "$BBK" "$BA"; do
			"$B" raft restore --force --timeout 30 --backup-dir "$b" --state-dir "$R/sequencer-1" >/dev/null 2>&1 &&
				echo restored >>"$tmp/restores"
		done
	done
) &
swapper=$!
mixed=0 taken=0
for i in $(seq 1 10); do
	if "$B" raft backup --timeout 30 --state-dir "$R/sequencer-1" --backup-dir "$tmp/rb$i" >/dev/null 2>&1; then
		taken=$((taken + 1))
		b=$(ls -d "$tmp/rb$i"/raft-backup-*)
		"$B" raft info --json --state-dir "$b" >"$tmp/ri.json" 2>/dev/null
		st="$(jget "$tmp/ri.json" log/last_index) $(jget "$tmp/ri.json" stable/current_term)"
		[ "$st" = "20 2" ] || [ "$st" = "40 5" ] || { mixed=$((mixed + 1)); echo "mixed backup: $st"; }
	fi
done
wait "$swapper"
restores=$(wc -l <"$tmp/restores" 2>/dev/null || echo 0)
[ "$taken" -gt 0 ] && [ "$restores" -gt 0 ] && [ "$mixed" = 0 ] &&
	ok "backups during restores: $taken backups and $restores restores, each backup holds one state" ||
	bad "backups during restores: $taken taken, $restores restores, $mixed mixed"

finish
