#!/usr/bin/env bash
# Proves: `raft verify` reports every damaged state with a specific reason
# (file, where, reason), exits 1 for invalid state and 0 for meta-0-only
# damage (a warning), and never crashes or hangs (each run is bounded by
# `timeout`; exit codes above 1 are failures).
#   - the shared vectors ../shared/vectors/corrupt/ a, a2, b, c, e (whole
#     files) and d, f (byte patches applied to a copy of big/medium);
#   - with --threads 3 every case prints what the default (one thread: the
#     files are small) prints;
#   - our own corruptions, made here with dd on copies of good files:
#     cycle, out-of-range page id, page reachable twice, reachable and free,
#     key order (leaf and branch), a log key below its parent's, of 7 and
#     of 0 bytes, a log value past its page, overflow past EOF, inline bucket with a
#     bad page type and with too many elements, truncated value (vsize cut),
#     snapshot CRC mismatch, snapshot meta.json broken, snapshot size wrong,
#     meta page bad magic, freelist id out of range, stable value of the
#     wrong size, bucket `logs` missing.
# (Raft-level corruptions that need the writer — gaps, Index != key,
# decreasing terms, CurrentTerm below the last term, ... — are in
# tests/raftstate/test_verify.c.)
#
# Env: OCI_BIN, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SHARED
B=$OCI_BIN
V=$OCI_SHARED/vectors
make_tmp oci-vcorrupt

unset_env 'OP_CONDUCTOR_[A-Z_]*'

# poke FILE OFFSET HEX: overwrite bytes in place
poke() { printf '%s' "$3" | xxd -r -p | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# le VALUE BYTES: little-endian hex of VALUE
le() {
	local h out= i
	h=$(printf "%0$(($2 * 2))x" "$1")
	for ((i = ${#h} - 2; i >= 0; i -= 2)); do out+=${h:i:2}; done
	printf '%s' "$out"
}
u16() { od -An -tu2 -j "$2" -N2 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
apply_patch() {
	grep -v '^#' "$1" | while read -r off hex _; do poke "$2" "$off" "$hex"; done
}

# node NAME SRC: a copy of the node directory SRC as $tmp/NAME/sequencer-1;
# prints the new directory
node() {
	local d=$tmp/$1/sequencer-1
	mkdir -p "$tmp/$1"
	cp -r "$2" "$d"
	chmod -R u+w "$d"
	printf '%s' "$d"
}

# run DIR [FLAGS...]: verify with a time bound; sets rc, $tmp/out, $tmp/err.
# The same with --threads 3 must print the same (bolt/check.h, "Parallel walk").
run() {
	local d=$1 rc3
	shift
	timeout 120 "$B" raft verify --state-dir "$d" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	timeout 120 "$B" raft verify --state-dir "$d" --threads 3 "$@" >"$tmp/out3" 2>"$tmp/err3"
	rc3=$?
	if [ "$rc3" != "$rc" ] || ! cmp -s "$tmp/out" "$tmp/out3" || ! cmp -s "$tmp/err" "$tmp/err3"; then
		bad "$(basename "$(dirname "$d")"): --threads 3 differs from the default (exit $rc3 vs $rc): $(diff "$tmp/out" "$tmp/out3" | head -3)"
	fi
}

# expect NAME WANT-RC DIR REGEX...: exit code WANT-RC, each extended regex
# found in the text output (one problem line), the same problem in --json
expect() {
	local name=$1 want=$2 dir=$3 re
	shift 3
	run "$dir"
	if [ "$rc" -ne "$want" ]; then
		bad "$name: exit $rc, want $want; $(grep -E '^  (error|warning)|VALID' "$tmp/out" | head -5 | tr '\n' '|') $(head -c 300 "$tmp/err")"
		return
	fi
	for re in "$@"; do
		if ! grep -Eq -- "$re" "$tmp/out"; then
			bad "$name: no problem matching /$re/ in: $(grep -E '^  (error|warning)' "$tmp/out" | head -8 | tr '\n' '|')"
			return
		fi
	done
	[ -n "${SHOW_PROBLEMS-}" ] && grep -E '^  (error|warning)' "$tmp/out" | head -4
	if ! tail -n 1 "$tmp/out" | grep -Eq "^(IN)?VALID: sequencer-1"; then
		bad "$name: last line is not the verdict: $(tail -n 1 "$tmp/out")"
		return
	fi
	run "$dir" --json
	if [ "$rc" -ne "$want" ] || ! grep -q '"problems":' "$tmp/out"; then
		bad "$name: --json exit $rc, want $want, or no problems list"
		return
	fi
	ok "$name"
}

GOOD3=$V/gen/three/sequencer-1
LIVED=$V/lived/three/sequencer-1
MEDIUM=$V/big/medium-raft-log.db

# ---- the shared vectors -------------------------------------------------
# node dir = the corrupt file as raft-log.db beside gen/three's good stable file
shared() {
	local d
	d=$(node "$1" "$GOOD3")
	cp "$V/corrupt/$1.db" "$d/raft-log.db"
	chmod u+w "$d/raft-log.db"
	printf '%s' "$d"
}
expect "a: meta 0 checksum -> valid with a warning" 0 "$(shared a-meta0-checksum)" \
	'^  warning raft-log\.db: page 0: meta page 0 is invalid \(checksum mismatch\)' \
	'^VALID: sequencer-1 \(1 warning\)$'
expect "a2: meta 1 checksum -> newest transaction lost" 1 "$(shared a2-meta1-checksum)" \
	'^  error   raft-log\.db: page 1: meta page 1 \(txid 3\) is invalid \(checksum mismatch\).*newest transaction is lost' \
	'no configuration in the log or in a snapshot'
expect "b: both meta checksums" 1 "$(shared b-both-meta-checksums)" \
	'^  error   raft-log\.db: .*both meta pages are invalid'
expect "c: truncated to 8192 bytes" 1 "$(shared c-truncated-8192)" \
	'^  error   raft-log\.db: .*truncated or damaged: meta 1 says the file has 6 pages but it holds 2'
expect "e: entry 1 bad msgpack" 1 "$(shared e-entry1-bad-msgpack)" \
	'^  error   raft-log\.db: index 1: the value does not decode as a raft log entry: .*0xc1'

# d and f: patches against a copy of the medium log; the stable file of
# gen/five (CurrentTerm 7 >= the log's last term 5) so that the only
# problem of the undamaged file is the missing snapshot
medium() {
	local d
	d=$(node "$1" "$V/gen/five/sequencer-1")
	cp "$MEDIUM" "$d/raft-log.db"
	chmod u+w "$d/raft-log.db"
	[ -n "${2-}" ] && apply_patch "$2" "$d/raft-log.db"
	printf '%s' "$d"
}
d=$(medium medium-undamaged)
run "$d"
if [ "$rc" -eq 1 ] && [ "$(grep -c '^  error' "$tmp/out")" -eq 1 ] &&
	grep -q 'no snapshot covers index 1000' "$tmp/out"; then
	ok "medium undamaged: only 'no snapshot covers index 1000'"
else
	bad "medium undamaged: rc=$rc $(grep '^  error' "$tmp/out" | tr '\n' '|')"
fi
d=$(medium d "$V/corrupt/d-medium-leaf-key-order.patch")
if [ "$(sha256sum <"$d/raft-log.db" | cut -c1-8)" != cc16f1e8 ]; then
	bad "d: patch did not give the documented sha256"
fi
expect "d: medium leaf key order" 1 "$d" \
	'^  error   raft-log\.db: page 2508: key 0000000000000fa0 \(element 0\) on leaf page 2508 is not below the key 00000000000007d1 of the next element' \
	'^  error   raft-log\.db: page 2508: key 00000000000007d0 \(element 1\) on leaf page 2508 is not greater than the previous key 0000000000000fa0' \
	'^  error   raft-log\.db: index 4000: the entry stored under index 4000 says Index 1999' \
	'no snapshot covers index 1000'
d=$(medium f "$V/corrupt/f-medium-leaf-in-freelist.patch")
if [ "$(sha256sum <"$d/raft-log.db" | cut -c1-8)" != 4500f667 ]; then
	bad "f: patch did not give the documented sha256"
fi
expect "f: medium live leaf in the freelist" 1 "$d" \
	'^  error   raft-log\.db: page 1882: page 1882 is both reachable and listed as free'

# ---- our own: lived/three/sequencer-1's raft-log.db ---------------------
# active meta 0 (txid 608): root leaf page 14, bucket logs -> branch page 13
# (68 elements; element i at 13*4096+16+16i: pos u32, ksize u32, pgid u64),
# freelist page 15 (261 ids). Checked here so that a changed vector fails
# loudly instead of corrupting the wrong bytes.
P=4096
L=$LIVED/raft-log.db
if [ "$(u64 "$L" 32)" != 14 ] || [ "$(u16 "$L" $((13 * P + 8)))" != 1 ] ||
	[ "$(u16 "$L" $((13 * P + 10)))" != 68 ] || [ "$(u64 "$L" $((13 * P + 16 + 8)))" != 263 ] ||
	[ "$(u16 "$L" $((15 * P + 8)))" != 16 ]; then
	bad "lived/three/sequencer-1/raft-log.db is not the expected vector"
	finish
fi
BR=$((13 * P + 16)) # first branch element of the logs bucket
lived() { node "$1" "$LIVED"; }

d=$(lived cycle)
poke "$d/raft-log.db" $((BR + 8)) "$(le 13 8)" # child 0 -> the branch itself
expect "cycle: a branch element pointing at its own page" 1 "$d" \
	'^  error   raft-log\.db: page 13: page 13 is reachable twice \(again from page 13\): a shared page or a cycle'

d=$(lived out-of-range)
poke "$d/raft-log.db" $((BR + 16 + 8)) "$(le 100000 8)" # child 1 -> past the hwm (555)
expect "out-of-range page id in a branch" 1 "$d" \
	'^  error   raft-log\.db: page 100000: page 13 refers to page 100000, outside the valid range 2\.\.554'

d=$(lived twice)
poke "$d/raft-log.db" $((BR + 32 + 8)) "$(le 263 8)" # child 2 -> child 0's page
expect "page reachable twice" 1 "$d" \
	'^  error   raft-log\.db: page 263: page 263 is reachable twice \(again from page 13\)'

d=$(lived reachable-free)
n=$(u16 "$d/raft-log.db" $((15 * P + 10)))
poke "$d/raft-log.db" $((15 * P + 16 + (n - 1) * 8)) "$(le 272 8)" # last free id -> live leaf 272
expect "page both reachable and free" 1 "$d" \
	'^  error   raft-log\.db: page 272: page 272 is both reachable and listed as free'

d=$(lived leaf-key-order)
# leaf 263 holds 465, 466: make the second key 464
e1=$((263 * P + 16 + 16))
poke "$d/raft-log.db" $((e1 + $(u32 "$d/raft-log.db" $((e1 + 4))))) 00000000000001d0
expect "key order inside a leaf" 1 "$d" \
	'^  error   raft-log\.db: page 263: key 00000000000001d0 \(element 1\) on leaf page 263 is not greater than the previous key 00000000000001d1'

# Every page of a raft log has 8-byte keys and 8-byte bounds: bolt/check.c
# checks such a page in one pass (elems_sound8) and hands any page that
# fails a check to the loop that reports it. Each check, on a log's page:
d=$(lived leaf-key-below-parent)
# leaf 263's first key 465 (its parent's key for it) becomes 464
e0=$((263 * P + 16))
poke "$d/raft-log.db" $((e0 + $(u32 "$d/raft-log.db" $((e0 + 4))))) 00000000000001d0
expect "key below its parent branch's key" 1 "$d" \
	'^  error   raft-log\.db: page 263: key 00000000000001d0 \(element 0\) on leaf page 263 is below the key 00000000000001d1 its parent branch starts at'

d=$(lived leaf-key-7-bytes)
# leaf 263's element 1 (key 466) gets a 7-byte key: 00..01, below 465's 8 bytes
e1=$((263 * P + 16 + 16))
poke "$d/raft-log.db" $((e1 + 8)) "$(le 7 4)"
expect "a 7-byte key in the log" 1 "$d" \
	'^  error   raft-log\.db: page 263: key 00000000000001 \(element 1\) on leaf page 263 is not greater than the previous key 00000000000001d1' \
	'^  error   raft-log\.db: a key of 7 bytes in bucket logs'

d=$(lived leaf-key-empty)
e1=$((263 * P + 16 + 16))
poke "$d/raft-log.db" $((e1 + 8)) "$(le 0 4)"
expect "an empty key in the log" 1 "$d" \
	'^  error   raft-log\.db: page 263: element 1 of leaf page 263 has an empty key'

d=$(lived leaf-value-past-page)
e1=$((263 * P + 16 + 16))
poke "$d/raft-log.db" $((e1 + 12)) "$(le 1000000 4)"
expect "a log value past its page" 1 "$d" \
	'^  error   raft-log\.db: page 263: element 1 of leaf page 263 lies outside the page \(12288 bytes\)'

d=$(lived branch-key-order)
# branch element 1 (key 467) gets key 999 > element 2's 469
e1=$((BR + 16))
poke "$d/raft-log.db" $((e1 + $(u32 "$d/raft-log.db" "$e1"))) 00000000000003e7
expect "key order inside a branch" 1 "$d" \
	'^  error   raft-log\.db: page 13: key 00000000000001d5 \(element 2\) on branch page 13 is not greater than the previous key 00000000000003e7'

d=$(lived overflow)
poke "$d/raft-log.db" $((263 * P + 12)) "$(le 1048576 4)" # page 263 spans 1 Mi pages
expect "overflow past the end of the file" 1 "$d" \
	'^  error   raft-log\.db: page 263: page 263 claims 1048576 overflow pages, past the high-water mark 555'

d=$(lived truncated-value)
# leaf 263 element 0: vsize 3443 -> 3000 (the msgpack value is cut short)
poke "$d/raft-log.db" $((263 * P + 16 + 12)) "$(le 3000 4)"
expect "truncated msgpack value" 1 "$d" \
	'^  error   raft-log\.db: index 465: the value does not decode as a raft log entry: .*claims 3374 bytes, only 2964 remain'

d=$(lived freelist-range)
poke "$d/raft-log.db" $((15 * P + 16)) "$(le 90000 8)" # first free id past the hwm
expect "freelist id out of range" 1 "$d" \
	'^  error   raft-log\.db: page 15: the freelist lists page 90000, outside the valid range 2\.\.554'

d=$(lived meta-checksum)
# meta 0 (the active one, txid 608) gets a bad checksum: bbolt falls back to
# meta 1 (txid 607) and silently loses the last transaction
poke "$d/raft-log.db" 72 "$(printf '%02x' $((0x$(xxd -p -s 72 -l 1 "$d/raft-log.db") ^ 0xff)))"
expect "active meta page with a bad checksum (multi-page file)" 1 "$d" \
	'^  error   raft-log\.db: page 0: meta page 0 \(txid 608\) is invalid \(checksum mismatch\): bbolt falls back to meta page 1 \(txid 607\)'

d=$(lived snapshot-crc)
s=$(ls -d "$d"/snapshots/2-527-*)
printf 'X' | dd of="$s/state.bin" bs=1 seek=10 conv=notrunc status=none
expect "snapshot CRC mismatch" 1 "$d" \
	'^  error   snapshots/2-527-1795355416795: state\.bin CRC-64 is [0-9a-f]{16} but meta\.json says 05b03f7062778e9a' \
	'^  2-527-1795355416795  index 527  term 2  size 178  CRC MISMATCH$'

d=$(lived snapshot-size)
s=$(ls -d "$d"/snapshots/2-347-*)
printf 'more' >>"$s/state.bin"
expect "snapshot state.bin longer than its Size" 1 "$d" \
	'^  error   snapshots/2-347-1795355415547: state\.bin holds 182 bytes but meta\.json says 178'

d=$(lived snapshot-meta)
s=$(ls -d "$d"/snapshots/2-527-*)
printf '{"Version":1,"ID":' >"$s/meta.json"
expect "snapshot meta.json not JSON" 1 "$d" \
	'^  error   snapshots/2-527-1795355416795: meta\.json is not a JSON object'

# ---- our own: gen/three's files -----------------------------------------
# raft-log.db page 2 = root leaf: element 1 = bucket logs, inline, its page
# header at byte 8296 (flags at 8304, count at 8306)
d=$(node inline-type "$GOOD3")
poke "$d/raft-log.db" 8304 0100 # inline page claims to be a branch
expect "inline bucket whose page is not a leaf" 1 "$d" \
	'^  error   raft-log\.db: page 2: inline bucket on page 2 is not a leaf image \(flags 0x1\)'
d=$(node inline-count "$GOOD3")
poke "$d/raft-log.db" 8306 c800 # 200 elements in a 358-byte value
expect "inline bucket with elements past its value" 1 "$d" \
	'^  error   raft-log\.db: page 2: element 1 of the inline bucket on page 2 lies outside the page'

d=$(node stable-size "$GOOD3")
# raft-stable.db (leader): root leaf page 2, bucket conf inline with its leaf
# image at 8260; element 0 (CurrentTerm, ksize 11, vsize 8) at 8276
if [ "$(u32 "$d/raft-stable.db" 8284)" = 11 ] && [ "$(u32 "$d/raft-stable.db" 8288)" = 8 ]; then
	poke "$d/raft-stable.db" 8288 "$(le 4 4)"
	expect "stable CurrentTerm of 4 bytes" 1 "$d" \
		'^  error   raft-stable\.db: CurrentTerm: CurrentTerm holds 4 bytes'
else
	bad "stable-size: gen/three/sequencer-1/raft-stable.db is not the expected vector"
fi

d=$(node no-logs "$GOOD3")
# rename bucket "logs" -> "logz" in raft-log.db's root leaf (keys stay sorted)
off=$(grep -obUaP 'logs' "$d/raft-log.db" | head -n 1 | cut -d: -f1)
poke "$d/raft-log.db" $((off + 3)) 7a
expect "bucket logs missing" 1 "$d" \
	'^  error   raft-log\.db: bucket logs is missing'

# ---- garbage and empty files never crash --------------------------------
d=$(node zero "$GOOD3")
: >"$d/raft-log.db"
expect "empty raft-log.db" 1 "$d" '^  error   raft-log\.db: .*is not a bolt database: 0 bytes is too short \(bbolt would initialize it as a new, empty database: op-conductor would start with nothing in it\)'
d=$(node random "$GOOD3")
head -c 65536 /dev/urandom >"$d/raft-log.db"
expect "random bytes as raft-log.db" 1 "$d" '^  error   raft-log\.db: .*both meta pages are invalid'
d=$(node missing "$GOOD3")
rm "$d/raft-log.db"
expect "raft-log.db missing" 1 "$d" '^  error   raft-log\.db: raft-log\.db is missing'

finish
