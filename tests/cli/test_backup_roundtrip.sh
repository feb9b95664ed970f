#!/usr/bin/env bash
# Proves: `raft backup` then `raft restore` round-trips Raft state exactly.
#  - generate (3 nodes) -> backup -> every .db cmp-identical to its source,
#    MANIFEST.json sizes/crc32s right, backup-metadata.txt as the Go tool's;
#  - damage one node, remove another -> restore --force -> cmp equal to the
#    backup, verify passes, the replaced state kept in .pre-restore-*;
#  - node-directory layout round trip; lived/three (snapshots/) round trip;
#  - restore opens each backup file once (crc32 and verify of the staged copy);
#  - every file and directory of a backup fsynced before its rename, each
#    raft-log.db copy verified before its fsync (strace);
#  - a second backup in the same second gets a -2 suffix;
#  - env: OP_CONDUCTOR_INIT_STATE_DIR / _BACKUP_DIR / _RESTORE_FORCE, flag
#    beats env;
#  - a locked .db without --live: a clear error within --timeout, no backup
#    directory (nor temp directory) left; with --live: a compact copy that
#    verifies.
# Env: OCI_BIN, OCI_SHARED (shared/ tree with vectors/).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
default_shared
output_style colon
B=$OCI_BIN
make_tmp oci-backup
lockpid=
cleanup_hook() { [ -n "$lockpid" ] && kill "$lockpid" 2>/dev/null; }

gen() { "$B" raft generate --nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 \
	--server-ids s1,s2,s3 --initial-leader s1 --output-dir "$1" >/dev/null; }

# same files (relative, state only), same bytes
same_tree() { # A B
	local a=$1 b=$2 f
	(cd "$a" && find . -path ./.pre-restore-\* -prune -o -type f \( -name '*.db' -o -path '*/snapshots/*' \) -print | LC_ALL=C sort) >"$tmp/ta"
	(cd "$b" && find . -path ./.pre-restore-\* -prune -o -type f \( -name '*.db' -o -path '*/snapshots/*' \) -print | LC_ALL=C sort) >"$tmp/tb"
	cmp -s "$tmp/ta" "$tmp/tb" || { echo "  file sets differ: $(diff "$tmp/ta" "$tmp/tb" | grep '^[<>]' | head -5 | tr '\n' ' ')"; return 1; }
	while read -r f; do cmp -s "$a/$f" "$b/$f" || { echo "  $f differs"; return 1; }; done <"$tmp/ta"
	[ -s "$tmp/ta" ] || { echo "  no files"; return 1; }
}

# --- 1. cluster round trip ------------------------------------------------
gen "$tmp/st"
cp -a "$tmp/st" "$tmp/orig"
if "$B" raft backup --state-dir "$tmp/st" --backup-dir "$tmp/bk" >"$tmp/out" 2>"$tmp/err"; then
	bk=$(ls -d "$tmp"/bk/raft-backup-* | head -n1)
	if same_tree "$tmp/st" "$bk"; then ok "backup of a cluster root is cmp-identical"; else bad "backup differs from the source"; fi
else
	bk=
	bad "backup failed: $(cat "$tmp/err")"
fi
if [ -n "$bk" ]; then
	[[ $(basename "$bk") =~ ^raft-backup-[0-9]{8}-[0-9]{6}$ ]] && ok "backup name $(basename "$bk")" || bad "backup name $(basename "$bk")"
	ls -a "$tmp/bk" | grep -q '\.tmp' && bad "temporary directory left in the backup dir" || ok "no temporary directory left"
	m=$bk/backup-metadata.txt
	if grep -Eq '^Backup created: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(Z|[+-][0-9]{2}:[0-9]{2})$' "$m" &&
		grep -qx "Source directory: $tmp/st" "$m" && grep -qx 'Files backed up: 6' "$m" && [ "$(wc -l <"$m")" = 3 ]; then
		ok "backup-metadata.txt has the Go tool's three lines"
	else
		bad "backup-metadata.txt: $(cat "$m")"
	fi
	# manifest: every file's size and crc32 (python-free: use the restore check later); spot check one with gzip's crc
	if command -v python3 >/dev/null; then
		if python3 - "$bk" <<'PY'
import json, sys, zlib, os
d = sys.argv[1]
m = json.load(open(os.path.join(d, "MANIFEST.json")))
assert m["layout"] == "cluster" and m["nodes"] == ["s1", "s2", "s3"], m
assert len(m["files"]) == 6
for f in m["files"]:
    b = open(os.path.join(d, f["path"]), "rb").read()
    assert f["size"] == len(b) and f["crc32"] == zlib.crc32(b), f
    assert f["txid"] >= 3 and f["pages"] == 6 and f["copy"] == "locked", f
PY
		then ok "MANIFEST.json: layout, nodes, size, crc32 (zlib), txid, pages"; else bad "MANIFEST.json content"; fi
	fi
	# a restore reads the backup once: each file is opened once (the copy,
	# whose crc32 is taken of the bytes written), and the staged copy, not
	# the backup, is what verify opens (issue 27; before: crc32, verify and
	# copy each opened every backup file)
	if strace -f -qq -o /dev/null true >/dev/null 2>&1; then
		if ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=open,openat \
			-o "$tmp/trace" "$B" raft restore --backup-dir "$bk" --state-dir "$tmp/once" >"$tmp/out" 2>"$tmp/err" &&
			grep -q "6 files match their size and crc32; every node verifies" "$tmp/out"; then
			n=0
			for f in s1/raft-log.db s1/raft-stable.db s2/raft-log.db s2/raft-stable.db s3/raft-log.db s3/raft-stable.db; do
				c=$(grep -c "\"$bk/$f\"" "$tmp/trace")
				[ "$c" = 1 ] && n=$((n + 1)) || bad "restore opened $bk/$f $c times (want 1)"
			done
			[ "$n" = 6 ] && ok "restore opens each backup file once (its checks are of the staged copies)"
			same_tree "$tmp/orig" "$tmp/once" && ok "... and restores it cmp-equal" || bad "restore (traced): differs"
		else
			bad "restore (traced) failed: $(cat "$tmp/err")"
		fi
	else
		echo "skip: strace cannot run here (how often restore opens the backup)"
	fi
	# second backup in the same second -> -2 (force the clash by pre-creating the name)
	name=$(basename "$bk")
	"$B" raft backup --state-dir "$tmp/st" --backup-dir "$tmp/bk2" >/dev/null 2>&1
	first=$(ls "$tmp/bk2")
	mkdir -p "$tmp/bk3/$first"
	: # a pre-existing name: the new one must get a suffix and the old stay empty
	"$B" raft backup --state-dir "$tmp/st" --backup-dir "$tmp/bk3" >"$tmp/out" 2>&1
	if [ -z "$(ls -A "$tmp/bk3/$first")" ] && ls "$tmp/bk3" | grep -Eq -- '-[0-9]+$'; then
		ok "an existing backup directory is never overwritten (suffix: $(ls "$tmp/bk3" | tr '\n' ' '))"
	else
		bad "suffix: $(ls "$tmp/bk3" | tr '\n' ' ')"
	fi

	# damage s1, remove s2's log, remove s3 entirely; restore
	printf 'garbage' | dd of="$tmp/st/s1/raft-log.db" bs=1 seek=5000 conv=notrunc status=none
	rm "$tmp/st/s2/raft-log.db"
	rm -rf "$tmp/st/s3"
	if "$B" raft restore --backup-dir "$bk" --state-dir "$tmp/st" --force >"$tmp/out" 2>"$tmp/err"; then
		if same_tree "$tmp/orig" "$tmp/st"; then ok "restore --force: state cmp-equal to before the damage"; else bad "restored state differs"; fi
		"$B" raft verify --state-dir "$tmp/st" >/dev/null 2>&1 && ok "restored state verifies" || bad "restored state does not verify"
		kept=$(sed -n 's/^The replaced state was kept in: //p' "$tmp/out")
		if [ -n "$kept" ] && [ -f "$kept/s1/raft-log.db" ] && [ -f "$kept/s2/raft-stable.db" ] && [ ! -e "$kept/s3" ]; then
			ok "replaced state kept in $(basename "$kept") (s1 damaged file, s2 remains; s3 was absent)"
		else
			bad "kept dir: '$kept' $(ls -R "$kept" 2>&1 | head -5 | tr '\n' ' ')"
		fi
	else
		bad "restore --force failed: $(cat "$tmp/err")"
	fi
fi

# --- 2. node directory layout -----------------------------------------------
gen "$tmp/n"
node=$tmp/n/s2
if "$B" raft backup --state-dir "$node" --backup-dir "$tmp/nbk" >/dev/null 2>"$tmp/err"; then
	nbk=$(ls -d "$tmp"/nbk/raft-backup-*)
	[ -f "$nbk/raft-log.db" ] && [ -f "$nbk/raft-stable.db" ] && ok "node-dir backup has the files at its top" || bad "node-dir backup layout: $(ls "$nbk")"
	cp -a "$node" "$tmp/norig"
	rm "$node/raft-stable.db"
	if "$B" raft restore --backup-dir "$nbk" --state-dir "$node" --force >"$tmp/out" 2>"$tmp/err" && same_tree "$tmp/norig" "$node"; then
		kept=$(sed -n 's/^The replaced state was kept in: //p' "$tmp/out")
		[ -f "$kept/raft-log.db" ] && ok "node-dir restore round trip (kept: $(basename "$kept"))" || bad "node-dir kept: '$kept'"
	else
		bad "node-dir restore: $(cat "$tmp/err")"
	fi
	# restore into a directory that does not exist yet
	if "$B" raft restore --backup-dir "$nbk" --state-dir "$tmp/fresh/s2" >/dev/null 2>"$tmp/err" && same_tree "$tmp/norig" "$tmp/fresh/s2" 2>/dev/null; then
		ok "restore into a missing node dir (no prompt needed)"
	else
		# the parent must exist for a node-layout restore; accept a clear error too
		mkdir -p "$tmp/fresh"
		if "$B" raft restore --backup-dir "$nbk" --state-dir "$tmp/fresh/s2" >/dev/null 2>"$tmp/err" && same_tree "$tmp/norig" "$tmp/fresh/s2"; then
			ok "restore into a missing node dir (existing parent)"
		else
			bad "restore into a missing node dir: $(cat "$tmp/err")"
		fi
	fi
else
	bad "node-dir backup: $(cat "$tmp/err")"
fi

# --- 3. lived/three: snapshots survive ---------------------------------------
lived=$OCI_SHARED/vectors/lived/three
if [ -d "$lived" ]; then
	mkdir -p "$tmp/lv"
	for d in "$lived"/*/; do cp -a "$d" "$tmp/lv/"; done
	chmod -R u+w "$tmp/lv" # the vectors are read-only; this copy is restored over
	cp -a "$tmp/lv" "$tmp/lvorig"
	if "$B" raft backup --state-dir "$tmp/lv" --backup-dir "$tmp/lvbk" >/dev/null 2>"$tmp/err"; then
		lbk=$(ls -d "$tmp"/lvbk/raft-backup-*)
		n=$(find "$lbk" -path '*/snapshots/*' -type f | wc -l)
		[ "$n" = 12 ] && ok "lived/three backup holds all 12 snapshot files" || bad "lived backup has $n snapshot files"
		rm -rf "$tmp/lv/sequencer-1/snapshots" "$tmp/lv/sequencer-2/raft-log.db"
		if "$B" raft restore --backup-dir "$lbk" --state-dir "$tmp/lv" --force >/dev/null 2>"$tmp/err" &&
			same_tree "$tmp/lvorig" "$tmp/lv" && "$B" raft verify --state-dir "$tmp/lv" >/dev/null 2>&1; then
			ok "lived/three round trip: cmp-equal with snapshots/, verifies"
		else
			bad "lived/three round trip: $(cat "$tmp/err")"
		fi
	else
		bad "lived/three backup: $(cat "$tmp/err")"
	fi
else
	echo "skip: lived/three not found at $lived"
fi

# --- 3b. durable before renamed; verified while the disk writes ---------------
# Under strace (the calls' order): before the finished backup is renamed, every
# file and every directory of it was fsynced (its temporary name), and the
# backup directory is fsynced after the rename; each raft-log.db copy is mapped
# by the verify before it is fsynced, so the verify runs while the disk still
# writes the copy's last chunks (issue 27: before, each copy was fsynced first)
if [ -d "$tmp/lvorig" ] && strace -f -qq -o "$tmp/strace.probe" true >/dev/null 2>&1; then
	if ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -y \
		-e trace=fsync,renameat2,mmap -o "$tmp/sync.trace" \
		"$B" raft backup --state-dir "$tmp/lvorig" --backup-dir "$tmp/lvsync" >/dev/null 2>"$tmp/err"; then
		sbk=$(ls -d "$tmp"/lvsync/raft-backup-*)
		root=$(realpath "$tmp/lvsync")
		# one line each: S REL (fsynced before the rename, REL "." for the
		# backup's root), M REL (raft-log.db mapped before its fsync), P (the
		# backup directory fsynced after the rename)
		awk -v root="$root" '
			function path(s) { sub(/^[^<]*</, "", s); sub(/>.*/, "", s); return s }
			function rel(p) {
				if (index(p, root "/.raft-backup-") != 1) return ""
				p = substr(p, length(root) + 2); sub(/^[^\/]*/, "", p); sub(/^\//, "", p)
				return p == "" ? "." : p
			}
			/renameat2\(/ { renamed = 1; next }
			/fsync\(/ { p = path($0)
				if (renamed) { if (p == root) print "P"; next }
				r = rel(p); if (r == "") next
				print "S " r; synced[r] = 1 }
			/mmap\(.*raft-log\.db>/ && !renamed { r = rel(path($0))
				if (r != "" && !(r in synced) && !(r in mapped)) { mapped[r] = 1; print "M " r } }
		' "$tmp/sync.trace" >"$tmp/sync.facts"
		missing=$(cd "$sbk" && find . -mindepth 1 | sed 's|^\./||' | while read -r f; do
			grep -qxF "S $f" "$tmp/sync.facts" || echo "$f"
		done)
		grep -qx 'S \.' "$tmp/sync.facts" || missing="$missing (the backup's root)"
		if [ -z "$missing" ] && grep -qx P "$tmp/sync.facts"; then
			ok "every file and directory of the backup fsynced before its rename, the backup directory after"
		else
			bad "not fsynced before the rename: ${missing:-none}; backup directory after it: $(grep -cx P "$tmp/sync.facts")"
		fi
		nlog=$(cd "$sbk" && find . -name raft-log.db | wc -l)
		nmap=$(grep -c '^M .*raft-log\.db$' "$tmp/sync.facts")
		[ "$nlog" = 3 ] && [ "$nmap" = "$nlog" ] &&
			ok "each of the $nlog raft-log.db copies verified (mapped) before its fsync" ||
			bad "$nmap of $nlog raft-log.db copies mapped before their fsync: $(head -c 400 "$tmp/sync.facts")"
	else
		bad "traced backup: $(cat "$tmp/err")"
	fi
else
	echo "skip: strace cannot run here, or no lived/three (the backup's fsyncs)"
fi

# --- 4. environment variables; flag beats env --------------------------------
gen "$tmp/e"
if OP_CONDUCTOR_INIT_STATE_DIR=$tmp/e OP_CONDUCTOR_INIT_BACKUP_DIR=$tmp/ebk "$B" raft backup >/dev/null 2>"$tmp/err" && ls -d "$tmp"/ebk/raft-backup-* >/dev/null 2>&1; then
	ok "backup from OP_CONDUCTOR_INIT_STATE_DIR / _BACKUP_DIR"
else
	bad "backup from env: $(cat "$tmp/err")"
fi
if OP_CONDUCTOR_INIT_BACKUP_DIR=$tmp/nowhere "$B" raft backup --state-dir "$tmp/e" --backup-dir "$tmp/ebk2" >/dev/null 2>&1 && [ -d "$tmp/ebk2" ] && [ ! -e "$tmp/nowhere" ]; then
	ok "--backup-dir beats OP_CONDUCTOR_INIT_BACKUP_DIR"
else
	bad "flag vs env"
fi
ebk=$(ls -d "$tmp"/ebk/raft-backup-* | head -n1)
if OP_CONDUCTOR_INIT_RESTORE_FORCE=true "$B" raft restore --backup-dir "$ebk" --state-dir "$tmp/e" </dev/null >/dev/null 2>"$tmp/err"; then
	ok "OP_CONDUCTOR_INIT_RESTORE_FORCE=true acts as --force"
else
	bad "RESTORE_FORCE env: $(cat "$tmp/err")"
fi
if OP_CONDUCTOR_INIT_RESTORE_FORCE=true "$B" raft restore --force=false --backup-dir "$ebk" --state-dir "$tmp/e" </dev/null >/dev/null 2>"$tmp/err"; then
	bad "--force=false did not beat OP_CONDUCTOR_INIT_RESTORE_FORCE=true"
else
	grep -q 'not a terminal' "$tmp/err" && ok "--force=false beats OP_CONDUCTOR_INIT_RESTORE_FORCE" || bad "force=false: $(cat "$tmp/err")"
fi

# --- 5. locked source -----------------------------------------------------------
gen "$tmp/l"
( exec 9<"$tmp/l/s2/raft-log.db"; flock -x 9; exec sleep 30 ) &
lockpid=$!
sleep 0.3
start=$(date +%s%N)
"$B" raft backup --state-dir "$tmp/l" --backup-dir "$tmp/lbk" --timeout 1 >"$tmp/out" 2>"$tmp/err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$rc" = 1 ] && grep -q 'op-conductor-init: raft backup: .*raft-log.db is locked by another process (is op-conductor running?)' "$tmp/err" &&
	[ "$ms" -lt 5000 ] && [ -z "$(ls -A "$tmp/lbk" 2>/dev/null)" ] && [ "$(wc -l <"$tmp/err")" = 1 ]; then
	ok "locked .db without --live: exit 1 after ${ms} ms, one line, nothing left in the backup dir"
else
	bad "locked: rc=$rc ${ms}ms err=$(cat "$tmp/err") left=$(ls -A "$tmp/lbk" 2>/dev/null)"
fi
if "$B" raft backup --live --state-dir "$tmp/l" --backup-dir "$tmp/lbk" --timeout 1 >"$tmp/out" 2>"$tmp/err" && grep -q 'live compact copy' "$tmp/out"; then
	lbk=$(ls -d "$tmp"/lbk/raft-backup-*)
	"$B" raft verify --state-dir "$lbk" >/dev/null 2>&1 && ok "--live: locked log copied as a compact copy that verifies" || bad "--live copy does not verify"
else
	bad "--live: $(cat "$tmp/err")"
fi
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
lockpid=

# --- 6. usage ----------------------------------------------------------------------
"$B" raft backup --backup-dir "$tmp/x" >/dev/null 2>&1
[ $? = 2 ] && ok "missing --state-dir: exit 2" || bad "missing --state-dir"
"$B" raft backup --state-dir "$tmp/nope" --backup-dir "$tmp/x" >/dev/null 2>"$tmp/err"
[ $? = 1 ] && [ ! -e "$tmp/x" ] && ok "missing state dir: exit 1, no backup dir created ($(cat "$tmp/err"))" || bad "missing state dir: $(cat "$tmp/err")"

finish
