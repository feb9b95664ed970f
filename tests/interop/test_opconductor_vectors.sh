#!/usr/bin/env bash
# op-conductor-shaped node directories (testdata/opconductor/, README there):
#   1. the harness writes every case anew on this stack (`opc-vectors`: a real raft
#      node, raft-boltdb, FileSnapshotStore retaining 1, the op-conductor FSM), and
#      its own reading (`opc-read`: by decoding, and by starting raft on a copy with
#      that FSM) names exactly the head its expected.json recorded at apply time,
#      rejects exactly the non-payload entries, and fails to start exactly where
#      op-conductor's Restore fails; bbolt tx.Check + raft-boltdb read every file;
#   2. the committed vectors (written by raft v1.7.2) are the same set of cases, and
#      this stack's reading of them agrees with their committed expected.json;
#   3. in both, our `raft info --json` names the head the harness recorded.
. "$(dirname "$0")/lib.sh"
need_harness

TD=${OCI_TESTDATA:-$OCI_SRC/testdata}/opconductor

# jget FILE KEY: the value of the first "KEY": VALUE line (quotes and comma removed).
jget() {
	sed -n "s/^ *\"$2\": \(.*\)\$/\1/p" "$1" | head -n1 | sed 's/,$//; s/^"//; s/"$//'
}

# agree CASE-DIR: the reading of CASE-DIR/sequencer-1 matches CASE-DIR/expected.json.
agree() {
	local c=$1 name ex rd want got info restore rrestore
	name=$(basename "$c")
	ex=$c/expected.json
	rd=$TMP/read-$name-$RANDOM.json
	"$H" opc-read "$c/sequencer-1" >"$rd" 2>"$TMP/read.err" || die "$name: opc-read: $(cat "$TMP/read.err")"
	"$H" check "$c/sequencer-1" >"$TMP/check.json" 2>"$TMP/check.err" || die "$name: check: $(cat "$TMP/check.err")"
	for k in number hash; do
		want=$(jget "$ex" head_$k)
		[ -n "$want" ] || die "$name: expected.json has no head_$k"
		got=$(jget "$rd" decoded_head_$k)
		[ "$got" = "$want" ] || die "$name: decoded head $k $got, expected.json says $want"
		got=$(jget "$rd" raft_head_$k)
		[ "$got" = "$want" ] || die "$name: raft's head $k $got, expected.json says $want"
	done
	restore=$(jget "$ex" op_conductor_restore)
	rrestore=$(jget "$rd" raft_restore)
	case $restore in
	ok) [ "$rrestore" = ok ] || die "$name: raft did not start: $rrestore" ;;
	fails*) [ "${rrestore#fails}" != "$rrestore" ] || die "$name: expected.json says Restore fails ($restore), but raft started" ;;
	*) die "$name: expected.json: op_conductor_restore '$restore'" ;;
	esac
	# the entries the FSM rejected are the non-payload ones (legacy: every entry)
	want=$(tr -d ' \n' <"$ex" | sed -n 's/.*"non_payload_indexes":\[\([0-9,]*\)\].*/\1/p')
	got=$(tr -d ' \n' <"$rd" | sed -n 's/.*"raft_rejected_indexes":\[\([0-9,]*\)\].*/\1/p')
	if [ "$(jget "$ex" legacy_head_number)" = null ] && [ "$rrestore" = ok ]; then
		[ "$got" = "$want" ] || die "$name: raft's FSM rejected [$got], expected.json's non-payload entries are [$want]"
	fi
	if [ "$(jget "$ex" legacy_head_number)" != null ]; then
		tr -d ' \n' <"$rd" | grep -q "\"form\":\"legacy-V[12]\",\"number\":$(jget "$ex" legacy_head_number),\"hash\":\"$(jget "$ex" legacy_head_hash)\"" ||
			die "$name: the legacy head $(jget "$ex" legacy_head_number) was not read as a legacy-form entry"
	fi
	# our `raft info --json` names the same unsafe head (the legacy form's
	# where only legacy entries follow the snapshot; none where neither does)
	"$OCI_BIN" raft info --json --state-dir "$c/sequencer-1" >"$TMP/info.json" 2>"$TMP/info.err" ||
		die "$name: raft info: $(cat "$TMP/info.err")"
	info=$(tr -d ' \t\n' <"$TMP/info.json" | sed -n 's/.*"unsafe_head":\(null\|{"number":[0-9]*,"hash":"0x[0-9a-f]*"\).*/\1/p')
	want=null
	if [ "$(jget "$ex" head_number)" != null ]; then
		want="{\"number\":$(jget "$ex" head_number),\"hash\":\"$(jget "$ex" head_hash)\""
	elif [ "$(jget "$rd" decoded_legacy_head)" != null ]; then
		[ -n "$(sed -n '/"decoded_legacy_head": {/,/}/p' "$rd")" ] || die "$name: opc-read: no decoded_legacy_head object"
		want="{\"number\":$(sed -n '/"decoded_legacy_head": {/,/}/s/^ *"number": \([0-9]*\),/\1/p' "$rd"),\"hash\":\"$(sed -n '/"decoded_legacy_head": {/,/}/s/^ *"hash": "\(0x[0-9a-f]*\)",/\1/p' "$rd")\""
	fi
	[ "$info" = "$want" ] || die "$name: raft info --json unsafe_head $info, the harness wrote $want"
	say "ok: $2 $name: head $(jget "$ex" head_number) $(jget "$ex" head_hash | cut -c1-12) (decoded, by raft, by our raft info), restore $rrestore, rejected [${got}]"
}

"$H" opc-vectors --out "$TMP/v" >"$TMP/gen.json" 2>"$TMP/gen.err" || die "opc-vectors: $(cat "$TMP/gen.err")"
n=0
for c in "$TMP"/v/*/; do
	agree "${c%/}" "written now by $OCI_STACK:"
	n=$((n + 1))
done
[ $n -ge 8 ] || die "opc-vectors wrote $n cases, want 8"

[ -d "$TD" ] || die "committed vectors not found at $TD"
(cd "$TMP/v" && ls -d -- */ | tr -d / | LC_ALL=C sort) >"$TMP/cases.now"
(cd "$TD" && ls -d -- */ | tr -d / | LC_ALL=C sort) >"$TMP/cases.committed"
cmp -s "$TMP/cases.now" "$TMP/cases.committed" ||
	die "testdata/opconductor holds other cases than opc-vectors writes: $(diff "$TMP/cases.committed" "$TMP/cases.now" | tr '\n' ' ') (regenerate, see its README)"
for c in "$TD"/*/; do
	grep -q '"stack": "raft-1.7.2"' "$c/expected.json" || die "$c: not written by the raft-1.7.2 stack"
	agree "${c%/}" "committed (raft-1.7.2), read by $OCI_STACK:"
done
say "PASS: $n cases written and read, $n committed cases read"
