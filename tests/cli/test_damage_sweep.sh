#!/usr/bin/env bash
# Proves that a damaged page anywhere in a real node's database files is an
# error the reading commands report, never a crash, a hang, a sanitizer
# report or a write: a copy of the lived vector sequencer-1 (a node
# op-conductor ran: 4 MiB log with branch, leaf, overflow and freelist
# pages, and snapshots; ../shared/vectors/lived) is damaged one field at a
# time, in a fixed order with no randomness:
#   - each meta page of raft-log.db and raft-stable.db: magic, version,
#     page size, flags, root, freelist, high-water mark, txid, checksum;
#   - each page of the tree and the freelist of raft-log.db (the branch,
#     the freelist page, the first, last and every 16th leaf, the first page
#     of an overflow run and the one after it) and of raft-stable.db: the
#     page id, flags, count and overflow fields of its header, each field
#     of its first element, the last element's, a byte of its first key and
#     a byte in its first value (a log entry's msgpack);
#   - the newest snapshot's meta.json and state.bin: every 8th byte, and
#     each cut to half and to nothing;
# then `raft verify`, `raft info --json --full --entries all`, `raft logs
# --payload json` and `raft backup` (into a directory of its own) read it. Each run must exit 0 or 1 within 60 s
# (never 2, never a signal), print no sanitizer report, and leave the
# damaged file byte for byte as it was; a damage of a meta page must make
# verify say so (exit 1 when both metas are damaged alike is not asked:
# one meta damaged leaves the other, and verify exit 0 with a warning).
#
# Env: OCI_BIN, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SHARED
B=$OCI_BIN
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${OCI_DAMAGE_TMPDIR:-/dev/shm}
make_tmp oci-damage
unset_env 'OP_CONDUCTOR_[A-Z_]*'

SRC=$OCI_SHARED/vectors/lived/three/sequencer-1
N=$tmp/sequencer-1
cp -r "$SRC" "$N"
chmod -R u+w "$N"
cp "$N/raft-log.db" "$tmp/log.pristine"
cp "$N/raft-stable.db" "$tmp/stable.pristine"

# poke FILE OFFSET HEX: overwrite bytes in place
poke() { printf '%s' "$3" | xxd -r -p | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
u16() { od -An -tu2 -j "$2" -N2 "$1" | tr -d ' '; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
# flip FILE OFFSET LEN: every bit of LEN bytes inverted
flip() {
	local b out=
	for b in $(od -An -tx1 -j "$2" -N "$3" "$1"); do
		out+=$(printf '%02x' $((0xff ^ 0x$b)))
	done
	poke "$1" "$2" "$out"
}

# pages FILE: "PGID FLAGS COUNT OVERFLOW" of every page that starts a run
# below the high-water mark (meta 0's)
pages() {
	local f=$1 ps hwm p=0 fl cnt ov
	ps=$(u32 "$f" 24)
	hwm=$(u64 "$f" 56)
	while [ "$p" -lt "$hwm" ]; do
		fl=$(u16 "$f" $((p * ps + 8)))
		cnt=$(u16 "$f" $((p * ps + 10)))
		ov=$(u32 "$f" $((p * ps + 12)))
		echo "$p $fl $cnt $ov"
		[ "$ov" -lt "$hwm" ] || ov=0
		p=$((p + 1 + ov))
	done
}

runs=0
# judge WHAT FILE PRISTINE: every reading command on the damaged node
judge() {
	local what=$1 file=$2 sum cmd rc
	sum=$(sha256sum <"$file")
	for cmd in "verify" "info --json --full --entries all" "logs --payload json" "backup --backup-dir $tmp/k"; do
		# shellcheck disable=SC2086
		timeout 60 "$B" raft $cmd --state-dir "$N" </dev/null >"$tmp/out" 2>"$tmp/err"
		rc=$?
		rm -rf "$tmp/k"
		runs=$((runs + 1))
		if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
			bad "$what: raft $cmd: exit $rc: $(head -c 300 "$tmp/err")"
		elif grep -Eq 'Sanitizer|runtime error:' "$tmp/err"; then
			bad "$what: raft $cmd: a sanitizer report: $(head -c 300 "$tmp/err")"
		elif [ "$(sha256sum <"$file")" != "$sum" ]; then
			bad "$what: raft $cmd changed the damaged file"
		elif [ "$cmd" = verify ] && [ "${META:-}" = 1 ] && ! grep -q 'meta' "$tmp/out"; then
			bad "$what: verify does not name the damaged meta page: $(head -c 300 "$tmp/out")"
		else
			continue
		fi
		return 1
	done
	return 0
}

# damage FILE PRISTINE WHAT OFFSET LEN: flip LEN bytes at OFFSET of a fresh
# copy and judge it
damage() {
	cp "$2" "$1"
	flip "$1" "$4" "$5"
	if cmp -s "$1" "$2"; then
		bad "$3: the copy was not damaged"
		return 1
	fi
	judge "$3" "$1"
}

sweep_file() {
	local name=$1 f=$N/$1 pristine=$2 ps failed=$fail cases=0 p fl cnt ov k base e leaves=0 last_leaf=
	ps=$(u32 "$pristine" 24)
	# the meta pages: magic 16, version 20, page size 24, flags 28, root
	# 32, freelist 48, pgid 56, txid 64, checksum 72
	for p in 0 1; do
		for k in 16:4 20:4 24:4 28:4 32:8 48:8 56:8 64:8 72:8; do
			META=1 damage "$f" "$pristine" "$name meta $p at +${k%:*}" $((p * ps + ${k%:*})) "${k#*:}"
			cases=$((cases + 1))
		done
	done
	pages "$pristine" >"$tmp/pages"
	last_leaf=$(awk '$2 == 2 { p = $1 } END { print p }' "$tmp/pages")
	while read -r p fl cnt ov; do
		case $fl in
		1 | 16) ;; # branch, freelist
		2)
			leaves=$((leaves + 1))
			[ "$leaves" = 1 ] || [ "$p" = "$last_leaf" ] || [ $((leaves % 16)) = 0 ] || continue
			;;
		*) continue ;;
		esac
		base=$((p * ps))
		# header: id, flags, count, overflow
		for k in 0:8 8:2 10:2 12:4; do
			damage "$f" "$pristine" "$name page $p (flags $fl) header +${k%:*}" $((base + ${k%:*})) "${k#*:}"
			cases=$((cases + 1))
		done
		[ "$fl" = 16 ] && continue
		# the first and the last element (leaf: flags, pos, ksize, vsize;
		# branch: pos, ksize, pgid)
		for e in 0 $((cnt - 1)); do
			[ "$e" -ge 0 ] || continue
			for k in 0:4 4:4 8:4 12:4; do
				damage "$f" "$pristine" "$name page $p element $e +${k%:*}" \
					$((base + 16 + e * 16 + ${k%:*})) "${k#*:}"
				cases=$((cases + 1))
			done
		done
		if [ "$cnt" -gt 0 ]; then
			local pos ksz vsz kat
			if [ "$fl" = 2 ]; then
				pos=$(u32 "$pristine" $((base + 20))) ksz=$(u32 "$pristine" $((base + 24)))
				vsz=$(u32 "$pristine" $((base + 28)))
			else
				pos=$(u32 "$pristine" $((base + 16))) ksz=$(u32 "$pristine" $((base + 20))) vsz=0
			fi
			kat=$((base + 16 + pos))
			damage "$f" "$pristine" "$name page $p first key" $((kat + ksz - 1)) 1
			cases=$((cases + 1))
			if [ "$vsz" -gt 4 ]; then
				damage "$f" "$pristine" "$name page $p first value, start" $((kat + ksz)) 1
				damage "$f" "$pristine" "$name page $p first value, middle" $((kat + ksz + vsz / 2)) 2
				cases=$((cases + 2))
			fi
		fi
		# an overflow run: its second page's first bytes
		if [ "$ov" -gt 0 ]; then
			damage "$f" "$pristine" "$name page $p overflow page 2" $((base + ps)) 16
			cases=$((cases + 1))
		fi
	done <"$tmp/pages"
	cp "$pristine" "$f"
	[ "$fail" = "$failed" ] && ok "$name: $cases damaged copies, each read by verify, info, logs and backup: exit 0 or 1, no crash, nothing written"
}

sweep_file raft-log.db "$tmp/log.pristine"
sweep_file raft-stable.db "$tmp/stable.pristine"

# the newest snapshot's files: every 8th byte of meta.json and state.bin
# (the snapshot's configuration and op-conductor's state), and each file
# cut to half and to nothing
snap=$(ls -d "$N"/snapshots/* | sort | tail -n 1)
failed=$fail cases=0
for f in meta.json state.bin; do
	cp "$snap/$f" "$tmp/$f.pristine"
	size=$(stat -c %s "$tmp/$f.pristine")
	for ((off = 0; off < size; off += 8)); do
		damage "$snap/$f" "$tmp/$f.pristine" "snapshot $f byte $off" "$off" 1
		cases=$((cases + 1))
	done
	for cut in $((size / 2)) 0; do
		head -c "$cut" "$tmp/$f.pristine" >"$snap/$f"
		judge "snapshot $f cut to $cut bytes" "$snap/$f"
		cases=$((cases + 1))
	done
	cp "$tmp/$f.pristine" "$snap/$f"
done
[ "$fail" = "$failed" ] && ok "snapshot files: $cases damaged copies, each read by verify, info, logs and backup: exit 0 or 1, no crash, nothing written"
echo "($runs runs)"
finish
