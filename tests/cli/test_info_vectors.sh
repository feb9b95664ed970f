#!/usr/bin/env bash
# Proves: `raft info` (text and --json) and `raft verify --json` give the
# figures the reference vectors document:
#   - lived/three (real raft v1.7.3 state, compacted, configuration only in
#     the snapshots): per node first/last/count, terms, the vote (an address,
#     resolved to sequencer-1), the snapshots (ID, index, term, size), the
#     configuration from the newest snapshot, file size / hwm / free pages,
#     data bytes — against lived/README.md's table and the dump JSONs;
#   - big/medium: first 1001, last 3000, count 2000, per-type counts, data
#     bytes, configuration at index 2500 with the Nonvoter sequencer-4, the
#     bolt facts — against medium.summary.json;
#   - gen/*: the single configuration entry at index 1, vote, term;
#   - info's summary counts types only back to the newest configuration or
#     snapshot and says so; --full counts all; --entries N|all lists entries
#     with RFC 3339 nanosecond times equal to the dumps' AppendedAt;
#   - a cluster root summarizes every node.
#
# Env: OCI_BIN, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SHARED
B=$OCI_BIN
V=$OCI_SHARED/vectors
make_tmp oci-info

unset_env 'OP_CONDUCTOR_[A-Z_]*'

build_jget


LIVED=$V/lived/three
# README table: node first last count log-size hwm free current vote-term snapshots(newest first)
table=(
	"sequencer-1 465 602 138 4194304 555 261 2 2 2-527-1795355416795:527:2 2-347-1795355415547:347:2"
	"sequencer-2 539 602 64 2097152 507 394 2 2 2-602-1795355417481:602:2 2-454-1795355416284:454:2"
	"sequencer-3 423 602 180 4194304 577 199 2 2 2-485-1795355416500:485:2 2-306-1795355415275:306:2"
)
for row in "${table[@]}"; do
	read -r id first last count size hwm free cur vterm s1 s2 <<<"$row"
	d=$LIVED/$id
	dump=$LIVED/$id.dump.json
	J=$tmp/$id.info.json
	if ! "$B" raft info --state-dir "$d" --json --full >"$J" 2>"$tmp/err"; then
		bad "$id: info --json --full failed: $(head -c 300 "$tmp/err")"
		continue
	fi
	eq "$id info node" "$(jget "$J" node)" "$id"
	eq "$id info voter" "$(jget "$J" voter)" true
	eq "$id info first_index" "$(jget "$J" log/first_index)" "$first"
	eq "$id info first_index vs dump" "$(jget "$J" log/first_index)" "$(jget "$dump" files/raft-log.db/logs/first)"
	eq "$id info last_index" "$(jget "$J" log/last_index)" "$last"
	eq "$id info count" "$(jget "$J" log/count)" "$count"
	eq "$id info count vs dump" "$(jget "$J" log/count)" "$(jget "$dump" files/raft-log.db/logs/count)"
	eq "$id info LogCommand (--full)" "$(jget "$J" log/types/LogCommand)" "$count"
	eq "$id info types_complete (--full)" "$(jget "$J" log/types_complete)" true
	eq "$id info data_bytes vs dump" "$(jget "$J" log/data_bytes)" "$(jget "$dump" files/raft-log.db/logs/total_data_bytes)"
	eq "$id info last_term" "$(jget "$J" log/last_term)" 2
	eq "$id info current_term" "$(jget "$J" stable/current_term)" "$cur"
	eq "$id info current_term vs dump" "$(jget "$J" stable/current_term)" "$(jget "$dump" files/raft-stable.db/conf/0/value_uint64)"
	eq "$id info vote term" "$(jget "$J" vote/term)" "$vterm"
	eq "$id info vote candidate" "$(jget "$J" vote/candidate)" "127.0.0.1:37211"
	eq "$id info vote candidate vs dump" "$(jget "$J" vote/candidate)" "$(jget "$dump" files/raft-stable.db/conf/1/value_str)"
	eq "$id info vote resolved" "$(jget "$J" vote/candidate_id)" sequencer-1
	eq "$id info config source" "$(jget "$J" configuration/source)" snapshot
	eq "$id info config snapshot" "$(jget "$J" configuration/snapshot)" "${s1%%:*}"
	eq "$id info config index" "$(jget "$J" configuration/index)" 1
	eq "$id info config servers" "$(jget "$J" configuration/servers)" \
		'[{"id":"sequencer-1","address":"127.0.0.1:37211","suffrage":"Voter"},{"id":"sequencer-2","address":"127.0.0.1:37212","suffrage":"Voter"},{"id":"sequencer-3","address":"127.0.0.1:37213","suffrage":"Voter"}]'
	eq "$id info snapshots" "$(jget "$J" snapshots/#)" 2
	i=0
	for s in "$s1" "$s2"; do
		IFS=: read -r sid sidx sterm <<<"$s"
		meta=$d/snapshots/$sid/meta.json
		eq "$id snapshot $i id" "$(jget "$J" snapshots/$i/id)" "$sid"
		eq "$id snapshot $i index" "$(jget "$J" snapshots/$i/index)" "$sidx"
		eq "$id snapshot $i term" "$(jget "$J" snapshots/$i/term)" "$sterm"
		eq "$id snapshot $i size vs meta.json" "$(jget "$J" snapshots/$i/size)" "$(jget "$meta" Size)"
		i=$((i + 1))
	done
	eq "$id info log file size" "$(jget "$J" files/raft-log.db/size)" "$size"
	eq "$id info log hwm" "$(jget "$J" files/raft-log.db/hwm)" "$hwm"
	eq "$id info log txid vs dump" "$(jget "$J" files/raft-log.db/txid)" "$(jget "$dump" files/raft-log.db/txid)"

	# verify --json: the same figures, plus page counts
	VJ=$tmp/$id.verify.json
	"$B" raft verify --state-dir "$d" --json >"$VJ" 2>"$tmp/err"
	eq "$id verify exit" "$?" 0
	eq "$id verify valid" "$(jget "$VJ" valid)" true
	eq "$id verify errors" "$(jget "$VJ" errors)" 0
	eq "$id verify count" "$(jget "$VJ" log/count)" "$count"
	eq "$id verify free pages" "$(jget "$VJ" files/raft-log.db/pages/free)" "$free"
	eq "$id verify free pages vs dump" "$(jget "$VJ" files/raft-log.db/pages/free)" "$(jget "$dump" files/raft-log.db/page_types/free)"
	eq "$id verify leaf pages vs dump" "$(jget "$VJ" files/raft-log.db/pages/leaf)" "$(jget "$dump" files/raft-log.db/page_types/leaf)"
	eq "$id verify branch pages vs dump" "$(jget "$VJ" files/raft-log.db/pages/branch)" "$(jget "$dump" files/raft-log.db/page_types/branch)"
	eq "$id verify overflow pages vs dump" "$(jget "$VJ" files/raft-log.db/pages/overflow)" "$(jget "$dump" files/raft-log.db/overflow_pages)"
	eq "$id verify snapshot CRCs" "$(jget "$VJ" snapshots/0/crc_ok),$(jget "$VJ" snapshots/1/crc_ok)" true,true
	eq "$id verify config source" "$(jget "$VJ" configuration/source)" snapshot
	eq "$id verify config snapshot" "$(jget "$VJ" configuration/snapshot)" "${s1%%:*}"

	# the entries listing: AppendedAt as in the dump (RFC 3339, nanoseconds)
	EJ=$tmp/$id.entries.json
	"$B" raft info --state-dir "$d" --json --entries all >"$EJ"
	eq "$id entries listed" "$(jget "$EJ" entries/#)" "$count"
	eq "$id first entry index" "$(jget "$EJ" entries/0/index)" "$first"
	eq "$id first entry appended_at vs dump" "$(jget "$EJ" entries/0/appended_at)" "$(jget "$dump" files/raft-log.db/logs/entries/0/appended_at)"
	eq "$id first entry data_size vs dump" "$(jget "$EJ" entries/0/data_size)" "$(jget "$dump" files/raft-log.db/logs/entries/0/data_len)"
	eq "$id last entry index" "$(jget "$EJ" entries/$((count - 1))/index)" "$last"

	# text: one screen with the figures
	"$B" raft info --state-dir "$d" >"$tmp/out"
	if grep -q "^  Log:           $first\.\.$last ($count entries), last term 2$" "$tmp/out" &&
		grep -q "^  Vote:          term 2 for 127.0.0.1:37211 (= sequencer-1)$" "$tmp/out" &&
		grep -q "^  Configuration: snapshot ${s1%%:*} (configuration index 1)$" "$tmp/out" &&
		grep -q "^Node $id (.*): Voter$" "$tmp/out" && grep -q "^  CurrentTerm:   2$" "$tmp/out" &&
		grep -q "^    ${s1%%:*}  index $(cut -d: -f2 <<<"$s1")  term 2  size 178$" "$tmp/out" &&
		grep -Eq "^  Entry types:   LogCommand [0-9]+ \(counted over [0-9]+\.\.$last: [0-9]+ of $count entries; --full counts all\)$" "$tmp/out"; then
		ok "$id info text: node, vote, log range, configuration source, snapshots, counted range"
	else
		bad "$id info text: $(head -c 900 "$tmp/out" | tr '\n' '|')"
	fi
done

# cluster root
"$B" raft info --state-dir "$LIVED" --json >"$tmp/cluster.json"
eq "cluster info exit" "$?" 0
eq "cluster info nodes" "$(jget "$tmp/cluster.json" nodes/#)" 3
eq "cluster info node ids" "$(jget "$tmp/cluster.json" nodes/0/node),$(jget "$tmp/cluster.json" nodes/1/node),$(jget "$tmp/cluster.json" nodes/2/node)" \
	sequencer-1,sequencer-2,sequencer-3
"$B" raft verify --state-dir "$LIVED" --json >"$tmp/cluster.json"
eq "cluster verify valid" "$(jget "$tmp/cluster.json" valid)" true
eq "cluster verify nodes" "$(jget "$tmp/cluster.json" nodes/#)" 3
"$B" raft info --state-dir "$LIVED" >"$tmp/out"
eq "cluster info text nodes" "$(grep -c '^Node sequencer-[123] (.*): Voter$' "$tmp/out")" 3

# ---- big/medium --------------------------------------------------------
SUM=$V/big/medium.summary.json
M=$tmp/medium/sequencer-1
mkdir -p "$M"
cp "$V/big/medium-raft-log.db" "$M/raft-log.db" # a copy: state files are never followed as links
cp "$V/gen/five/sequencer-1/raft-stable.db" "$M/" # CurrentTerm 7 >= the log's 5
chmod u+w "$M/raft-stable.db"
J=$tmp/medium.json
"$B" raft info --state-dir "$M" --json --full >"$J"
eq "medium info exit" "$?" 0
eq "medium first_index" "$(jget "$J" log/first_index)" "$(jget "$SUM" first_index)"
eq "medium first_index" "$(jget "$J" log/first_index)" 1001
eq "medium last_index" "$(jget "$J" log/last_index)" "$(jget "$SUM" last_index)"
eq "medium last_index" "$(jget "$J" log/last_index)" 3000
eq "medium count" "$(jget "$J" log/count)" "$(jget "$SUM" entries_count)"
eq "medium count" "$(jget "$J" log/count)" 2000
eq "medium last_term" "$(jget "$J" log/last_term)" 5
for t in LogCommand LogNoop LogBarrier LogConfiguration; do
	eq "medium $t" "$(jget "$J" log/types/$t)" "$(jget "$SUM" count_per_type/$t)"
done
eq "medium data_bytes" "$(jget "$J" log/data_bytes)" "$(jget "$SUM" total_data_bytes)"
eq "medium config source" "$(jget "$J" configuration/source)" log
eq "medium config index" "$(jget "$J" configuration/index)" 2500
eq "medium config index vs summary" "$(jget "$J" configuration/index)" "$(jget "$SUM" configurations/1/index)"
eq "medium config servers" "$(jget "$J" configuration/servers/#)" 4
eq "medium config sequencer-4" "$(jget "$J" configuration/servers/3/id) $(jget "$J" configuration/servers/3/suffrage)" \
	"sequencer-4 Nonvoter"
eq "medium config sequencer-4 address vs summary" "$(jget "$J" configuration/servers/3/address)" \
	"$(jget "$SUM" configurations/1/servers/3/address)"
eq "medium hwm" "$(jget "$J" files/raft-log.db/hwm)" "$(jget "$SUM" bbolt/high_water_pgid)"
eq "medium txid" "$(jget "$J" files/raft-log.db/txid)" "$(jget "$SUM" bbolt/txid)"
eq "medium file size" "$(jget "$J" files/raft-log.db/size)" 16777216
# the summary without --full reads back from the newest entry until it has
# the newest configuration entry (2500) for the entry types; the unsafe head
# is read from every entry after the snapshot index (this log has none, so
# all: from its first), the newest 256 LogCommand entries in full
# (RS_HEAD_SCAN_DEFAULT), the others by block number.
J2=$tmp/medium-fast.json
"$B" raft info --state-dir "$M" --json >"$J2"
eq "medium fast count (from the keys)" "$(jget "$J2" log/count)" 2000
eq "medium fast types_complete" "$(jget "$J2" log/types_complete)" false
eq "medium fast types_from" "$(jget "$J2" log/types_from)" 2500
first=$(awk -F'\t' 'NR > 1 {print $1}' "$V/big/medium.entries.tsv" | sort -n | head -n 1)
eq "medium fast head range" "$(jget "$J2" head_scan/from)..$(jget "$J2" head_scan/to) $(jget "$J2" head_scan/complete) $(jget "$J2" head_scan/commands)" \
	"$first..3000 true 256"
eq "medium fast config index" "$(jget "$J2" configuration/index)" 2500
# entries: AppendedAt = 2024-05-01T12:00:00.123456789Z + index ms
"$B" raft info --state-dir "$M" --json --entries 3 >"$J2"
eq "medium entries 3" "$(jget "$J2" entries/#)" 3
eq "medium entry 2998" "$(jget "$J2" entries/0/index) $(jget "$J2" entries/0/appended_at)" \
	"2998 2024-05-01T12:00:03.121456789Z"
eq "medium entry 3000 term" "$(jget "$J2" entries/2/term)" 5
"$B" raft info --state-dir "$M" --json --entries all >"$J2"
eq "medium entries all" "$(jget "$J2" entries/#)" 2000
eq "medium entry 2500 configuration" "$(jget "$J2" entries/1499/index) $(jget "$J2" entries/1499/type) $(jget "$J2" entries/1499/configuration/#)" \
	"2500 LogConfiguration 4"
eq "medium entry 1001 appended_at" "$(jget "$J2" entries/0/appended_at)" "2024-05-01T12:00:01.124456789Z"
"$B" raft info --state-dir "$M" --entries 1 >"$tmp/out"
if grep -Eq '^ +3000 +5 +LogCommand +[0-9]+  2024-05-01T12:00:03\.123456789Z  not a payload$' "$tmp/out"; then
	ok "medium info --entries 1 text line"
else
	bad "medium info --entries 1: $(tail -n 3 "$tmp/out" | tr '\n' '|')"
fi
VJ=$tmp/medium.verify.json
"$B" raft verify --state-dir "$M" --json >"$VJ"
eq "medium verify exit (no snapshot covers 1000)" "$?" 1
eq "medium verify errors" "$(jget "$VJ" errors)" 1
eq "medium verify problem" "$(jget "$VJ" problems/0/reason)" \
	"the log starts at index 1001 but no snapshot covers index 1000: raft panics (log not found) when it starts; bring back the node's snapshots/ (a backup made by the Go tool leaves it out: restore one made by raft backup)"
eq "medium verify count" "$(jget "$VJ" log/count)" 2000
eq "medium verify LogCommand" "$(jget "$VJ" log/types/LogCommand)" 1993
eq "medium verify free pages" "$(jget "$VJ" files/raft-log.db/pages/free)" "$(jget "$SUM" bbolt/freelist_free_page_n)"

# ---- gen ------------------------------------------------------------------
for c in one three five thirteen seventeen; do
	term=$(sed -n 's/.*--initial-term[= ]\([0-9]*\).*/\1/p' "$V/gen/$c/CASE.args")
	leader=$(sed -n "s/.*--initial-leader[= ]'\{0,1\}\([^' ]*\).*/\1/p" "$V/gen/$c/CASE.args")
	n=$(ls -d "$V/gen/$c"/*/ | wc -l)
	J=$tmp/gen-$c.json
	"$B" raft info --state-dir "$V/gen/$c/$leader" --json >"$J"
	eq "gen/$c leader info" "$(jget "$J" log/first_index)..$(jget "$J" log/last_index) term $(jget "$J" stable/current_term) vote $(jget "$J" vote/term)/$(jget "$J" vote/candidate_id) config $(jget "$J" configuration/source)@$(jget "$J" configuration/index) servers $(jget "$J" configuration/servers/#)" \
		"1..1 term ${term:-1} vote ${term:-1}/$leader config log@1 servers $n"
	"$B" raft verify --state-dir "$V/gen/$c" >"$tmp/out" 2>&1
	eq "gen/$c verify cluster root exit" "$?" 0
	eq "gen/$c verify verdict" "$(tail -n 1 "$tmp/out")" "VALID: all $n nodes in $V/gen/$c"
done

finish
