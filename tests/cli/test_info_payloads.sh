#!/usr/bin/env bash
# info and verify read op-conductor's own data as its FSM does
# (raft_fsm.go Apply/Restore): node directories built by tests/cli/mknode.c
# (our bolt writer + raft.Log encoder) with V3/V4 envelopes, the early-2024
# form, non-payload entries, and snapshots whose state.bin is a payload,
# empty, garbage or the legacy form. Expected numbers and hashes come from
# mknode itself (mknode --hash), never typed in.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_BUILD
B=$OCI_BIN
make_tmp oci-infopl
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_jget
build_mknode
M=$MKNODE

head_of() { # FILE: "number hash source entry_index|snapshot"
	local f=$1 src
	src=$(jget "$f" unsafe_head/source)
	if [ "$src" = snapshot ]; then
		echo "$(jget "$f" unsafe_head/number) $(jget "$f" unsafe_head/hash) snapshot $(jget "$f" unsafe_head/snapshot)"
	else
		echo "$(jget "$f" unsafe_head/number) $(jget "$f" unsafe_head/hash) log $(jget "$f" unsafe_head/entry_index)"
	fi
}

# 1. V4 envelopes, no snapshot: the head is the last entry's block
N=$tmp/v4/sequencer-1
"$M" "$N" 1-1:1:config 2-40:1:block:1000 41-60:2:block:1000 --vote 2:sequencer-1
"$B" raft info --state-dir "$N" --json >"$tmp/j"
eq "V4 head" "$(head_of "$tmp/j")" "1060 $("$M" --hash 1060) log 60"
eq "V4 head version, form" "$(jget "$tmp/j" unsafe_head/version) $(jget "$tmp/j" unsafe_head/form)" "4 envelope"
eq "V4 head parent" "$(jget "$tmp/j" unsafe_head/parent_hash)" "$("$M" --hash 1059)"
eq "V4 head range" "$(jget "$tmp/j" head_scan/from)..$(jget "$tmp/j" head_scan/to) $(jget "$tmp/j" head_scan/complete)" "1..60 true"
eq "V4 terms" "$(jget "$tmp/j" terms/starts)" "[[1,1],[41,2]]"
"$B" raft verify --state-dir "$N" >"$tmp/out" 2>&1 && ok "V4 node verifies" || bad "V4 node: $(tail -n 3 "$tmp/out")"

# 2. V3 then V4 (the Isthmus transition): the V4 block above wins, V3 decodes
N=$tmp/v3v4/sequencer-1
"$M" "$N" 1-1:1:config 2-30:1:block3:500 31-40:1:block:500
"$B" raft info --state-dir "$N" --json >"$tmp/j"
eq "V3->V4 head" "$(head_of "$tmp/j") V$(jget "$tmp/j" unsafe_head/version)" "540 $("$M" --hash 540) log 40 V4"
"$B" raft info --state-dir "$N" --entries 12 >"$tmp/out"
grep -Eq '^ +30 +1 +LogCommand .* block 530 0x' "$tmp/out" && ok "info --entries shows a V3 entry's block" ||
	bad "info --entries: $(grep -E '^ +30 ' "$tmp/out")"

# 3. snapshot above the later entries: Restore's block stays the head
N=$tmp/snaphigh/sequencer-1
"$M" "$N" 1-1:1:config 2-60:1:block:100 --snapshot 50:1:block:5000
"$B" raft info --state-dir "$N" --json >"$tmp/j"
eq "snapshot head" "$(head_of "$tmp/j")" "5000 $("$M" --hash 5000) snapshot 1-50-1700000000000"
eq "snapshot head range" "$(jget "$tmp/j" head_scan/from)..$(jget "$tmp/j" head_scan/to) $(jget "$tmp/j" head_scan/complete)" "51..60 true"
eq "snapshot state" "$(jget "$tmp/j" head_scan/snapshot_state/state)" payload
# 4. ... and entries after the snapshot above it: the entry wins
N=$tmp/snaplow/sequencer-1
"$M" "$N" 1-1:1:config 2-60:1:block:100 --snapshot 50:1:block:150
"$B" raft info --state-dir "$N" --json >"$tmp/j"
eq "entry above the snapshot" "$(head_of "$tmp/j")" "160 $("$M" --hash 160) log 60"
# entries at or below the snapshot index are never applied at start
N=$tmp/snapold/sequencer-1
"$M" "$N" 1-1:1:config 2-60:1:block:9000 61-62:1:block:0 --snapshot 60:1:block:100
"$B" raft info --state-dir "$N" --full --json >"$tmp/j"
eq "entries below the snapshot index are not the head" "$(head_of "$tmp/j")" "100 $("$M" --hash 100) snapshot 1-60-1700000000000"

# 5. the head is exact without --full: 5000 LogCommand entries, no snapshot; the
# newest 256 are decoded in full, the older ones by block number (summary.c head_rest)
N=$tmp/long/sequencer-1
"$M" "$N" 1-1:1:config 2-5001:1:block:0:0 --term 1
"$B" raft info --state-dir "$N" --json >"$tmp/j"
eq "head range without --full" "$(jget "$tmp/j" head_scan/from)..$(jget "$tmp/j" head_scan/to) $(jget "$tmp/j" head_scan/complete) $(jget "$tmp/j" head_scan/commands)" \
	"1..5001 true 256"
"$B" raft info --state-dir "$N" --full --json >"$tmp/j"
eq "--full head range" "$(jget "$tmp/j" head_scan/from)..$(jget "$tmp/j" head_scan/to) $(jget "$tmp/j" head_scan/complete)" "1..5001 true"
"$B" raft info --state-dir "$N" >"$tmp/out"
grep -q "entries 1..5001 read (the newest 256 LogCommand in full, 0 not a payload; 4744 older entries by block number), the whole log" "$tmp/out" &&
	ok "text says which range the head covers" || bad "head range text: $(grep -A3 'Unsafe head' "$tmp/out")"

# 6. verify: a state.bin op-conductor cannot restore is an error naming it
N=$tmp/garbage/sequencer-1
"$M" "$N" 1-1:1:config 2-60:1:block:0 --snapshot 50:1:garbage
"$B" raft verify --state-dir "$N" >"$tmp/out" 2>&1
rc=$?
eq "garbage state.bin: verify exit" "$rc" 1
grep -q "snapshots/1-50-1700000000000/state.bin: state.bin decodes neither as a V4 nor as a V3 payload" "$tmp/out" &&
	ok "garbage state.bin named" || bad "garbage state.bin: $(grep -i state.bin "$tmp/out")"
"$B" raft info --state-dir "$N" --json >"$tmp/j"
eq "garbage state.bin: info state" "$(jget "$tmp/j" head_scan/snapshot_state/state)" undecodable
eq "garbage state.bin: head from the log" "$(head_of "$tmp/j")" "60 $("$M" --hash 60) log 60"
N=$tmp/legacysnap/sequencer-1
"$M" "$N" 1-1:1:config 2-60:1:block:0 --snapshot 50:1:legacy:50
"$B" raft verify --state-dir "$N" >"$tmp/out" 2>&1
eq "legacy state.bin: verify exit" "$?" 1
grep -q "state.bin holds block 50 in the early-2024 form" "$tmp/out" && ok "legacy state.bin named as the early-2024 form" ||
	bad "legacy state.bin: $(grep -i state.bin "$tmp/out")"

# 7. a 0-byte state.bin: valid for PR 22908 builds only, said so
N=$tmp/empty/sequencer-1
"$M" "$N" 1-1:1:config 2-10:1:block:0 --snapshot 5:1:empty
"$B" raft verify --state-dir "$N" >"$tmp/out" 2>&1
eq "empty state.bin: verify exit (a warning)" "$?" 0
grep -q "snapshots/1-5-1700000000000/state.bin: state.bin is empty.*PR 22908.*issue 13363" "$tmp/out" &&
	ok "empty state.bin named, with the releases" || bad "empty state.bin: $(grep -i state.bin "$tmp/out")"

# 8. a LogCommand entry that is no payload, and blocks going backwards
N=$tmp/junk/sequencer-1
"$M" "$N" 1-1:1:config 2-20:1:block:100 21-21:1:junk 22-25:1:block:50
"$B" raft verify --state-dir "$N" --json >"$tmp/j"
eq "junk entry: verify still valid" "$(jget "$tmp/j" valid)" true
"$B" raft verify --state-dir "$N" >"$tmp/out" 2>&1
grep -q "raft-log.db: index 21: the LogCommand entry is not an op-conductor payload" "$tmp/out" &&
	ok "the non-payload entry's index is named" || bad "junk: $(grep -i payload "$tmp/out")"
grep -q "raft-log.db: index 22: block 72 is below block 120 of index 20" "$tmp/out" &&
	ok "blocks going backwards are named" || bad "backwards: $(grep -i backwards "$tmp/out")"
"$B" raft info --state-dir "$N" --json >"$tmp/j"
eq "junk: head and count" "$(head_of "$tmp/j") $(jget "$tmp/j" head_scan/not_payloads) $(jget "$tmp/j" head_scan/newest_not_payload/index)" \
	"120 $("$M" --hash 120) log 20 1 21"

# 9. the legacy form in the log: named, and the head says so
N=$tmp/legacylog/sequencer-1
"$M" "$N" 1-1:1:config 2-20:1:legacy:0
"$B" raft info --state-dir "$N" --json >"$tmp/j"
eq "legacy log: the head, marked legacy" "$(head_of "$tmp/j") $(jget "$tmp/j" unsafe_head/form)" "20 $("$M" --hash 20) log 20 legacy"
eq "legacy log: that era's head" "$(jget "$tmp/j" head_scan/legacy_head/number) $(jget "$tmp/j" head_scan/legacy_head/hash) $(jget "$tmp/j" head_scan/legacy_head/form) V$(jget "$tmp/j" head_scan/legacy_head/version) $(jget "$tmp/j" head_scan/legacy)" \
	"20 $("$M" --hash 20) legacy V2 19"

# 10. the configuration raft starts with: the snapshot's, not an older entry's
N=$tmp/cfg/sequencer-1
"$M" "$N" 1-1:1:config 2-60:1:block:0 --snapshot 50:1:block:50 \
	--members "sequencer-1=10.0.0.1:1,sequencer-2=10.0.0.2:1" \
	--snapshot-members "sequencer-1=10.0.0.1:1,sequencer-2=10.0.0.2:1,sequencer-3=10.0.0.3:1"
"$B" raft info --state-dir "$N" --json >"$tmp/j"
eq "configuration from the snapshot" "$(jget "$tmp/j" configuration/source) $(jget "$tmp/j" configuration/servers/#)" "snapshot 3"
"$B" raft verify --state-dir "$N" >"$tmp/out" 2>&1
grep -q "configuration entry (index 1) is at or below snapshot 1-50-1700000000000's index 50, so raft never reads it" "$tmp/out" &&
	ok "verify names the snapshot-vs-log configuration case" || bad "config case: $(grep -i configuration "$tmp/out")"
# a configuration entry after the snapshot index replaces the snapshot's
N=$tmp/cfg2/sequencer-1
"$M" "$N" 1-1:1:noop 2-60:1:block:0 61-61:1:config --snapshot 50:1:block:50 \
	--snapshot-members "sequencer-1=10.0.0.1:1"
"$B" raft info --state-dir "$N" --json >"$tmp/j"
eq "configuration entry after the snapshot" "$(jget "$tmp/j" configuration/source) $(jget "$tmp/j" configuration/index) $(jget "$tmp/j" configuration/servers/#)" "log 61 3"

finish
