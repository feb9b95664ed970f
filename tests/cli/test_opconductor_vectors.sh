#!/usr/bin/env bash
# info and verify on the node directories the interop harness wrote the way
# op-conductor writes them (testdata/opconductor/, README there): for every
# case, `info --json` must name exactly the head the harness recorded in its
# expected.json (number, hash, where it came from), and `verify` must fail
# exactly where op-conductor's Restore fails, name the 0-byte state.bin and
# every LogCommand entry that is not a payload. Expected values are read from
# expected.json, never typed in here.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_TESTDATA
B=$OCI_BIN
D=$OCI_TESTDATA/opconductor
make_tmp oci-opcvec
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_jget

[ -d "$D" ] || {
	bad "no $D"
	finish
}
cases=0
for ex in "$D"/*/expected.json; do
	c=$(dirname "$ex")
	name=$(basename "$c")
	node=$c/$(jget "$ex" node)
	cases=$((cases + 1))
	"$B" raft info --state-dir "$node" --json >"$tmp/i.json" 2>"$tmp/i.err" || {
		bad "$name: info failed: $(cat "$tmp/i.err")"
		continue
	}
	hn=$(jget "$ex" head_number)
	if [ "$hn" != null ]; then
		eq "$name: unsafe head" "$(jget "$tmp/i.json" unsafe_head/number) $(jget "$tmp/i.json" unsafe_head/hash) $(jget "$tmp/i.json" unsafe_head/form)" \
			"$hn $(jget "$ex" head_hash) envelope"
		src=$(jget "$ex" head_source)
		case $src in
		entry\ *) got="entry $(jget "$tmp/i.json" unsafe_head/entry_index)" ;;
		snapshot\ *) got="snapshot $(jget "$tmp/i.json" unsafe_head/snapshot)" ;;
		*) got="?" ;;
		esac
		eq "$name: head source" "$got" "$src"
	elif [ "$(jget "$ex" legacy_head_number)" != null ] && [ "$(jget "$ex" snapshot)" = null ]; then
		# only early-2024 entries: their head, marked by its form
		eq "$name: the early-2024 entries' head" "$(jget "$tmp/i.json" unsafe_head/number) $(jget "$tmp/i.json" unsafe_head/form)" \
			"$(jget "$ex" legacy_head_number) legacy"
	else
		eq "$name: no unsafe head" "$(jget "$tmp/i.json" unsafe_head)" null
	fi
	ln=$(jget "$ex" legacy_head_number)
	if [ "$ln" != null ]; then
		eq "$name: early-2024 head" "$(jget "$tmp/i.json" head_scan/legacy_head/number) $(jget "$tmp/i.json" head_scan/legacy_head/hash)" \
			"$ln $(jget "$ex" legacy_head_hash)"
	fi
	eq "$name: log range" "$(jget "$tmp/i.json" log/first_index)..$(jget "$tmp/i.json" log/last_index)" \
		"$(jget "$ex" log_first_index)..$(jget "$ex" log_last_index)"

	"$B" raft verify --state-dir "$node" >"$tmp/v.out" 2>&1
	rc=$?
	restore=$(jget "$ex" op_conductor_restore)
	sid=$(jget "$ex" snapshot/id 2>/dev/null || true)
	case $restore in
	ok) eq "$name: verify exit (Restore succeeds)" "$rc" 0 ;;
	*)
		eq "$name: verify exit (Restore fails)" "$rc" 1
		grep -q "snapshots/$sid/state.bin: .*op-conductor's Restore fails and the node does not start" "$tmp/v.out" &&
			ok "$name: the undecodable state.bin is named" || bad "$name: $(grep -i state.bin "$tmp/v.out" | head -3)"
		;;
	esac
	if [ "$(jget "$ex" snapshot/state_bin_bytes 2>/dev/null)" = 0 ]; then
		grep -q "snapshots/$sid/state.bin: state.bin is empty" "$tmp/v.out" &&
			ok "$name: the 0-byte state.bin is named" || bad "$name: $(grep -i state.bin "$tmp/v.out" | head -3)"
	fi
	k=0
	while idx=$(jget "$ex" "non_payload_indexes/$k") && [ "$idx" != MISSING ]; do
		grep -q "raft-log.db: index $idx: the LogCommand entry is not an op-conductor payload" "$tmp/v.out" &&
			ok "$name: the non-payload entry $idx is named" || bad "$name: entry $idx not named: $(grep -i payload "$tmp/v.out" | head -3)"
		k=$((k + 1))
	done
done
[ "$cases" -ge 8 ] && ok "$cases harness cases" || bad "only $cases cases in $D"
finish
