#!/usr/bin/env bash
# Proves `raft backup --compress` and restoring such a backup:
#  - the backup holds every file as <file>.gz (gzip -t passes, gunzip gives
#    the source bytes), MANIFEST.json and backup-metadata.txt stay plain, no
#    plain .db is left; the manifest keeps path/size/crc32 of the
#    uncompressed content and adds compression, stored_path (= path + .gz)
#    and stored_size (checked with python3 when present);
#  - snapshots/ (lived/three) are compressed and come back;
#  - restore into an empty dir and over existing state (--force): cmp-equal,
#    verify passes, and the output does not claim an in-place verification
#    (it says the staged, inflated copy is verified);
#  - a node-layout compressed backup restores;
#  - damaged backups are refused with exit 1, one line naming the file, and
#    the target unchanged: a truncated .gz, a truncated .gz whose
#    stored_size was fixed up, a flipped byte, an edited crc32, an edited
#    size, a .gz that is not gzip, a stored_path that escapes or is not
#    path + ".gz", a symlinked .gz, both the plain file and its .gz;
#  - --compress --live copies a database a writer holds (flock) and the
#    result restores and verifies; without --live it fails and leaves
#    nothing behind;
#  - a failure while compressing (unlink fails, injected with strace when
#    present) leaves no backup directory and no temporary directory;
#  - a multi-block node (~36 MiB, nine 4 MiB members) backed up with
#    --threads 1 and --threads 2: the same .gz bytes, gzip -d reads them,
#    both restore cmp-equal and verify; one member per 4 MiB, each with its length
#    field; a flipped byte in the third member and a cut inside it are
#    refused with one line naming the member; a .gz as gzip writes it (no
#    length fields: backups before them) still restores; --threads without
#    --compress and --threads 0 are usage errors.
# Env: OCI_BIN, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
default_shared
output_style colon
B=$OCI_BIN
make_tmp oci-bkgz
lockpid=
cleanup_hook() { [ -n "$lockpid" ] && kill "$lockpid" 2>/dev/null; }

ARGS=(--nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --server-ids s1,s2,s3 --initial-leader s1)
# same state files (relative), same bytes; ignores .pre-restore-* dirs
same_tree() { # A B
	local a=$1 b=$2 f
	(cd "$a" && find . -path ./.pre-restore-\* -prune -o -type f \( -name '*.db' -o -path '*/snapshots/*' \) -print | LC_ALL=C sort) >"$tmp/ta"
	(cd "$b" && find . -path ./.pre-restore-\* -prune -o -type f \( -name '*.db' -o -path '*/snapshots/*' \) -print | LC_ALL=C sort) >"$tmp/tb"
	cmp -s "$tmp/ta" "$tmp/tb" || { echo "  file sets differ: $(diff "$tmp/ta" "$tmp/tb" | grep '^[<>]' | head -5 | tr '\n' ' ')"; return 1; }
	[ -s "$tmp/ta" ] || { echo "  no files"; return 1; }
	while read -r f; do cmp -s "$a/$f" "$b/$f" || { echo "  $f differs"; return 1; }; done <"$tmp/ta"
}
# every file of a compressed backup: .gz except the two plain ones
check_layout() { # BACKUP SOURCE WHAT
	local bk=$1 src=$2 what=$3 f n=0 plain
	plain=$(cd "$bk" && find . -type f ! -name '*.gz' ! -name MANIFEST.json ! -name backup-metadata.txt | head -3)
	[ -z "$plain" ] || { bad "$what: plain files left in the backup: $plain"; return; }
	[ -f "$bk/MANIFEST.json" ] && [ -f "$bk/backup-metadata.txt" ] || { bad "$what: MANIFEST.json or backup-metadata.txt missing"; return; }
	while read -r f; do
		n=$((n + 1))
		gzip -t "$bk/$f" 2>/dev/null || { bad "$what: gzip -t fails on $f"; return; }
		gzip -dc "$bk/$f" | cmp -s - "$src/${f%.gz}" || { bad "$what: gunzip of $f differs from the source"; return; }
	done < <(cd "$bk" && find . -type f -name '*.gz' | sed 's|^\./||' | LC_ALL=C sort)
	[ "$n" -gt 0 ] || { bad "$what: no .gz files"; return; }
	ok "$what: $n .gz files pass gzip -t and inflate to the source bytes; only MANIFEST.json and backup-metadata.txt are plain"
}

# --- 1. cluster backup --compress ---------------------------------------------
"$B" raft generate "${ARGS[@]}" --output-dir "$tmp/st" >/dev/null || { echo "generate failed"; exit 1; }
if "$B" raft backup --compress --state-dir "$tmp/st" --backup-dir "$tmp/bk" >"$tmp/out" 2>"$tmp/err"; then
	bk=$(ls -d "$tmp"/bk/raft-backup-*)
	ok "backup --compress: exit 0 ($(grep -c '^  .*\.gz ' "$tmp/out") .gz files listed)"
else
	bad "backup --compress failed: $(cat "$tmp/err")"
	finish
fi
check_layout "$bk" "$tmp/st" "cluster backup"
ls -A "$tmp/bk" | grep -q '^\.' && bad "a temporary directory was left: $(ls -A "$tmp/bk")" || ok "no temporary directory left"
grep -qx 'Files backed up: 6' "$bk/backup-metadata.txt" && ok "backup-metadata.txt counts the 6 databases" || bad "backup-metadata.txt: $(cat "$bk/backup-metadata.txt")"
if command -v python3 >/dev/null; then
	if python3 - "$bk" "$tmp/st" <<'PY'; then
import json, os, sys, zlib, gzip
d, src = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(d, "MANIFEST.json")))
assert m["format"] == "op-conductor-init-backup/1", m["format"]
assert len(m["files"]) == 6, m["files"]
for f in m["files"]:
    assert f["compression"] == "gzip", f
    assert f["stored_path"] == f["path"] + ".gz", f
    assert f["stored_size"] == os.path.getsize(os.path.join(d, f["stored_path"])), f
    raw = open(os.path.join(src, f["path"]), "rb").read()
    assert f["size"] == len(raw) and f["crc32"] == zlib.crc32(raw), f
    assert gzip.decompress(open(os.path.join(d, f["stored_path"]), "rb").read()) == raw, f
    assert f["copy"] == "locked" and f["txid"] >= 3, f
PY
		ok "MANIFEST.json: path/size/crc32 of the uncompressed content, compression, stored_path, stored_size"
	else
		bad "MANIFEST.json fields"
	fi
else
	grep -q '"stored_path":.*"s1/raft-log.db.gz"' "$bk/MANIFEST.json" && ok "MANIFEST.json names s1/raft-log.db.gz (no python3)" || bad "MANIFEST.json lacks stored_path"
fi

# --- 2. restore it: into an empty dir, and over existing state ------------------
if "$B" raft restore --backup-dir "$bk" --state-dir "$tmp/new" </dev/null >"$tmp/out" 2>"$tmp/err" && same_tree "$tmp/st" "$tmp/new" &&
	"$B" raft verify --state-dir "$tmp/new" >/dev/null 2>&1; then
	ok "restore into an empty dir: cmp-equal to the source, verifies"
else
	bad "restore into an empty dir: $(cat "$tmp/err")"
fi
if grep -q 'every node verifies' "$tmp/out"; then
	bad "the check claims every node verifies although it could not verify compressed nodes in place"
elif grep -q 'verified on their inflated staged copies before anything is replaced' "$tmp/out" &&
	grep -q 'Verified: every staged node (inflated from the backup) is valid' "$tmp/out"; then
	ok "the output says the nodes were verified on the inflated staged copy"
else
	bad "restore output: $(cat "$tmp/out")"
fi
"$B" raft generate "${ARGS[@]}" --initial-term 9 --output-dir "$tmp/target" >/dev/null
cp -a "$tmp/target" "$tmp/target.orig"
if "$B" raft restore --backup-dir "$bk" --state-dir "$tmp/target" --force </dev/null >"$tmp/out" 2>"$tmp/err" && same_tree "$tmp/st" "$tmp/target"; then
	kept=$(sed -n 's/^The replaced state was kept in: //p' "$tmp/out")
	[ -n "$kept" ] && same_tree "$tmp/target.orig" "$kept" && ok "restore --force over existing state: cmp-equal; old state kept in $(basename "$kept")" ||
		bad "kept state: '$kept'"
else
	bad "restore --force: $(cat "$tmp/err")"
fi
rm -rf "$tmp/target" && cp -a "$tmp/target.orig" "$tmp/target"

# --- 3. node layout and snapshots (lived/three) ----------------------------------
"$B" raft backup --compress --state-dir "$tmp/st/s2" --backup-dir "$tmp/nbk" >/dev/null 2>"$tmp/err" || bad "node backup --compress: $(cat "$tmp/err")"
nbk=$(ls -d "$tmp"/nbk/raft-backup-* 2>/dev/null | head -n1)
if [ -n "$nbk" ] && [ -f "$nbk/raft-log.db.gz" ] && "$B" raft restore --backup-dir "$nbk" --state-dir "$tmp/nroot/s2" </dev/null >/dev/null 2>"$tmp/err" &&
	same_tree "$tmp/st/s2" "$tmp/nroot/s2"; then
	ok "node-layout compressed backup: raft-log.db.gz at the top, restores cmp-equal"
else
	bad "node-layout compressed backup: $(cat "$tmp/err")"
fi
lived=$OCI_SHARED/vectors/lived/three
if [ -d "$lived" ]; then
	mkdir -p "$tmp/lv"
	for d in "$lived"/*/; do cp -a "$d" "$tmp/lv/"; done
	if "$B" raft backup --compress --state-dir "$tmp/lv" --backup-dir "$tmp/lvbk" >/dev/null 2>"$tmp/err"; then
		lbk=$(ls -d "$tmp"/lvbk/raft-backup-*)
		n=$(find "$lbk" -path '*/snapshots/*' -type f -name '*.gz' | wc -l)
		[ "$n" = 12 ] && ok "lived/three: all 12 snapshot files stored as .gz" || bad "lived/three: $n snapshot .gz files"
		check_layout "$lbk" "$tmp/lv" "lived/three backup"
		if "$B" raft restore --backup-dir "$lbk" --state-dir "$tmp/lvnew" </dev/null >/dev/null 2>"$tmp/err" && same_tree "$tmp/lv" "$tmp/lvnew" &&
			"$B" raft verify --state-dir "$tmp/lvnew" >/dev/null 2>&1; then
			ok "lived/three compressed round trip: cmp-equal with snapshots/, verifies"
		else
			bad "lived/three compressed restore: $(cat "$tmp/err")"
		fi
	else
		bad "lived/three backup --compress: $(cat "$tmp/err")"
	fi
else
	echo "skip: lived/three not found at $lived"
fi

# --- 4. damaged compressed backups are refused, the target untouched ---------------
fresh() { rm -rf "$tmp/$1" && cp -a "${2:-$bk}" "$tmp/$1" && echo "$tmp/$1"; } # NAME [BACKUP]
# set_field BACKUP PATH FIELD VALUE: the manifest entry of PATH gets FIELD = VALUE
set_field() {
	sed -i "/\"path\":\t\"${2//\//\\/}\"/,/\"stored_size\"/ s/\"$3\":\t[^,]*/\"$3\":\t$4/" "$1/MANIFEST.json"
}
# refuse WHAT PATTERN BACKUP: restore --force exits 1 with one stderr line
# matching PATTERN and saying nothing was changed, target unchanged (lib.sh)
refuse() { REFUSE_ONE_LINE=1 refuse_restore "$1" "$2.*nothing was changed" "$3" --force; }

b=$(fresh trunc); truncate -s 200 "$b/s2/raft-log.db.gz"
refuse "truncated .gz" "s2/raft-log.db.gz has 200 bytes, the manifest says" "$b"

b=$(fresh trunc2); truncate -s 200 "$b/s2/raft-log.db.gz"; set_field "$b" s2/raft-log.db stored_size 200
grep -q '"stored_size":	200' "$b/MANIFEST.json" || bad "could not edit stored_size"
refuse "truncated .gz, stored_size edited to match" "s2/raft-log.db.gz is truncated" "$b"

b=$(fresh flip); sz=$(stat -c %s "$b/s3/raft-stable.db.gz")
printf '\x5a' | dd of="$b/s3/raft-stable.db.gz" bs=1 seek=$((sz / 2)) conv=notrunc status=none
cmp -s "$b/s3/raft-stable.db.gz" "$bk/s3/raft-stable.db.gz" && { printf '\xa5' | dd of="$b/s3/raft-stable.db.gz" bs=1 seek=$((sz / 2)) conv=notrunc status=none; }
refuse "a flipped byte in a .gz" "s3/raft-stable.db.gz (holds damaged gzip data|has crc32|inflates to)" "$b"

b=$(fresh crc); set_field "$b" s1/raft-log.db crc32 12345
grep -q '"crc32":	12345' "$b/MANIFEST.json" || bad "could not edit crc32"
refuse "manifest crc32 edited" "s1/raft-log.db.gz has crc32 [0-9a-f]{8}, the manifest says 00003039" "$b"

b=$(fresh size); set_field "$b" s1/raft-stable.db size 4096
refuse "manifest size edited (smaller)" "s1/raft-stable.db.gz inflates to more than the 4096 bytes" "$b"

b=$(fresh notgz); cp "$tmp/st/s1/raft-log.db" "$b/s1/raft-log.db.gz"; set_field "$b" s1/raft-log.db stored_size "$(stat -c %s "$b/s1/raft-log.db.gz")"
refuse "a .gz that is not gzip data" "s1/raft-log.db.gz is not gzip data" "$b"

b=$(fresh escape); set_field "$b" s1/raft-log.db stored_path '"..\/..\/etc\/passwd.gz"'
grep -q 'etc/passwd.gz' "$b/MANIFEST.json" || bad "could not plant the escaping stored_path"
refuse "stored_path that escapes the backup" "the \"stored_path\" of s1/raft-log.db is \"\.\./\.\./etc/passwd\.gz\", not s1/raft-log\.db\.gz" "$b"

b=$(fresh other); set_field "$b" s1/raft-log.db stored_path '"s1\/raft-stable.db.gz"'
refuse "stored_path that is not path + .gz" "the \"stored_path\" of s1/raft-log.db is \"s1/raft-stable\.db\.gz\"" "$b"

b=$(fresh symlink); rm "$b/s2/raft-stable.db.gz"; ln -s "$bk/s2/raft-stable.db.gz" "$b/s2/raft-stable.db.gz"
refuse "symlinked .gz" "s2/raft-stable.db.gz is a symbolic link" "$b"

b=$(fresh both); cp "$tmp/st/s3/raft-log.db" "$b/s3/raft-log.db"
refuse "both the plain file and its .gz" "holds both s3/raft-log.db and s3/raft-log.db.gz" "$b"

b=$(fresh nocomp); sed -i '/"path":\t"s1\/raft-log.db"/,/"stored_size"/ s/"compression":\t"gzip"/"compression":\t"zstd"/' "$b/MANIFEST.json"
refuse "unknown compression" "s1/raft-log.db has an unknown \"compression\"" "$b"

# --- 5. --compress --live against a locked database ---------------------------------
"$B" raft generate "${ARGS[@]}" --output-dir "$tmp/l" >/dev/null
(
	exec 9<"$tmp/l/s2/raft-log.db"
	flock -x 9
	exec sleep 30
) &
lockpid=$!
sleep 0.3
"$B" raft backup --compress --state-dir "$tmp/l" --backup-dir "$tmp/lbk0" --timeout 0.5 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && grep -q 'raft-log.db is locked by another process' "$tmp/err" && [ -z "$(ls -A "$tmp/lbk0" 2>/dev/null)" ]; then
	ok "--compress without --live on a locked db: exit 1, nothing left in the backup dir"
else
	bad "--compress, locked, no --live: rc=$rc $(cat "$tmp/err") left=$(ls -A "$tmp/lbk0" 2>/dev/null)"
fi
if "$B" raft backup --compress --live --state-dir "$tmp/l" --backup-dir "$tmp/lbk" --timeout 0.5 >"$tmp/out" 2>"$tmp/err" &&
	grep -q 's2/raft-log.db.gz .*live compact copy' "$tmp/out"; then
	lbk=$(ls -d "$tmp"/lbk/raft-backup-*)
	if gzip -t "$lbk/s2/raft-log.db.gz" && "$B" raft restore --backup-dir "$lbk" --state-dir "$tmp/lnew" </dev/null >/dev/null 2>"$tmp/err" &&
		"$B" raft verify --state-dir "$tmp/lnew" >/dev/null 2>&1; then
		ok "--compress --live: the locked log stored as a compact .gz copy; it restores and verifies"
	else
		bad "--compress --live result: $(cat "$tmp/err")"
	fi
else
	bad "--compress --live: $(cat "$tmp/err") $(cat "$tmp/out")"
fi
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
lockpid=

# --- 6. a failure while compressing leaves nothing ---------------------------------
if strace -f -qq -o /dev/null -e inject=getpid:retval=1 true >/dev/null 2>&1; then
	# the first unlink(2) is the removal of the first plain file once its .gz is written
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o /dev/null -e trace=unlink,unlinkat \
		-e inject=unlink,unlinkat:error=EIO:when=1 "$B" raft backup --compress --state-dir "$tmp/st" --backup-dir "$tmp/fbk" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q 'cannot remove .*raft-log.db: Input/output error' "$tmp/err" && [ -z "$(ls -A "$tmp/fbk" 2>/dev/null)" ]; then
		ok "an injected failure during compression: exit 1, '$(cut -c1-90 "$tmp/err")...', nothing left in the backup dir"
	else
		bad "injected failure: rc=$rc err=$(cat "$tmp/err") left=$(ls -A "$tmp/fbk" 2>/dev/null)"
	fi
else
	echo "skip: strace cannot run here (the compression failure case)"
fi

# --- 7. a multi-block node, 1 and 2 threads ----------------------------------------
# ~36 MiB of log: nine 4 MiB blocks, each its own gzip member with its length
# in the header (raftstate/gzmember.h)
build_mknode
"$MKNODE" "$tmp/mb/s1" --members s1=127.0.0.1:7001 --tx-bytes 20000 1-1:1:config 2-1000:1:block >/dev/null || bad "mknode of the multi-block node"
for t in 1 2; do
	if "$B" raft backup --compress --threads $t --state-dir "$tmp/mb/s1" --backup-dir "$tmp/mbk$t" >/dev/null 2>"$tmp/err"; then
		mb[$t]=$(ls -d "$tmp"/mbk$t/raft-backup-*)
	else
		bad "backup --compress --threads $t of the multi-block node: $(cat "$tmp/err")"
	fi
done
if [ -n "${mb[1]:-}" ] && [ -n "${mb[2]:-}" ]; then
	cmp -s "${mb[1]}/raft-log.db.gz" "${mb[2]}/raft-log.db.gz" &&
		ok "--threads 1 and --threads 2 store the same bytes ($(stat -c %s "${mb[1]}/raft-log.db.gz") of raft-log.db.gz)" ||
		bad "--threads 1 and --threads 2 stored different raft-log.db.gz"
	gzip -dc "${mb[2]}/raft-log.db.gz" | cmp -s - "$tmp/mb/s1/raft-log.db" && ok "gzip -d reads the multi-block raft-log.db.gz back to the source" ||
		bad "gzip -d of the multi-block raft-log.db.gz differs from the source"
	for t in 1 2; do
		if "$B" raft restore --backup-dir "${mb[$t]}" --state-dir "$tmp/mbnew$t/s1" </dev/null >/dev/null 2>"$tmp/err" &&
			same_tree "$tmp/mb/s1" "$tmp/mbnew$t/s1" && "$B" raft verify --state-dir "$tmp/mbnew$t/s1" >/dev/null 2>&1; then
			ok "multi-block backup made with $t thread(s): restores cmp-equal, verifies"
		else
			bad "multi-block backup made with $t thread(s): $(cat "$tmp/err")"
		fi
	done
	# the members: offsets from the length fields (python3 when present)
	offs=
	command -v python3 >/dev/null && offs=$(python3 - "${mb[2]}/raft-log.db.gz" <<'PY'
import struct, sys
g = open(sys.argv[1], "rb").read()
at, offs = 0, []
while at < len(g):
    assert g[at:at + 4] == b"\x1f\x8b\x08\x04" and g[at + 12:at + 14] == b"OC", at
    offs.append(at)
    at += struct.unpack_from("<I", g, at + 16)[0]
assert at == len(g)
print(" ".join(map(str, offs)))
PY
)
	if [ -n "$offs" ]; then
		set -- $offs
		want=$((($(stat -c %s "$tmp/mb/s1/raft-log.db") + 4194303) / 4194304))
		[ $# = "$want" ] && [ $# -ge 5 ] && ok "raft-log.db.gz holds $# members (one per 4 MiB), each with its length" || bad "raft-log.db.gz holds $# members (want $want, at least 5)"
		m3=$3
		b=$(fresh mbflip "${mb[2]}")
		printf '\x5a' | dd of="$b/raft-log.db.gz" bs=1 seek=$((m3 + 100)) conv=notrunc status=none
		RESTORE_TARGET=$tmp/mbt/s1 refuse "a flipped byte in the third member" "raft-log.db.gz holds damaged gzip data \(the member at byte $m3 " "$b"
		b=$(fresh mbtrunc "${mb[2]}")
		truncate -s $((m3 + 50)) "$b/raft-log.db.gz"
		set_field "$b" raft-log.db stored_size $((m3 + 50))
		RESTORE_TARGET=$tmp/mbt/s1 refuse "a multi-block .gz cut inside its third member" "raft-log.db.gz is truncated" "$b"
	else
		echo "skip: no python3 (the member walk and the damaged multi-block cases)"
	fi
	# a .gz of the form backups had before the sized members (one zlib
	# stream, as gzip writes it) is still read, on one thread
	b=$(fresh mbold "${mb[2]}")
	gzip -6 -c "$tmp/mb/s1/raft-log.db" >"$b/raft-log.db.gz"
	set_field "$b" raft-log.db stored_size "$(stat -c %s "$b/raft-log.db.gz")"
	if "$B" raft restore --backup-dir "$b" --state-dir "$tmp/mboldnew/s1" </dev/null >/dev/null 2>"$tmp/err" && same_tree "$tmp/mb/s1" "$tmp/mboldnew/s1"; then
		ok "a .gz written by gzip (no length fields) restores cmp-equal"
	else
		bad "a .gz written by gzip: $(cat "$tmp/err")"
	fi
fi
"$B" raft backup --threads 2 --state-dir "$tmp/mb/s1" --backup-dir "$tmp/mbk3" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q -- '--threads is for --compress' "$tmp/err" && [ ! -e "$tmp/mbk3" ] &&
	ok "--threads without --compress: exit 2, '$(cat "$tmp/err")'" || bad "--threads without --compress: rc=$rc $(cat "$tmp/err")"
"$B" raft backup --compress --threads 0 --state-dir "$tmp/mb/s1" --backup-dir "$tmp/mbk3" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && [ ! -e "$tmp/mbk3" ] && ok "--threads 0: exit 2" || bad "--threads 0: rc=$rc $(cat "$tmp/err")"

# --- 8. help ---------------------------------------------------------------------------
"$B" raft backup --help >"$tmp/out" 2>&1
grep -q -- '--compress' "$tmp/out" && ! grep -qi 'not supported' "$tmp/out" && ok "backup --help documents --compress" || bad "backup --help: $(grep -i compress "$tmp/out")"

finish
