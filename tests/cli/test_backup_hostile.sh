#!/usr/bin/env bash
# Proves, for `raft backup` and `raft restore` (issue 17, "Backups"):
#  - a backup whose MANIFEST.json exists but is not a regular file (a
#    directory, a FIFO) is refused, never restored as a manifest-less Go
#    backup (which skips every checksum); the target is unchanged and the
#    FIFO does not block;
#  - source and target must not contain each other, compared by device and
#    inode (also when spelled through a symbolic link or with ".."):
#    restore --backup-dir B --state-dir B, a target inside the backup, the
#    backup inside the target, and backup with --backup-dir inside
#    --state-dir, equal to it, or holding it: each exit 1 with one sentence,
#    nothing written;
#  - backup checks each database before a byte is copied: a huge sparse file
#    that is not a bbolt file (raft-log.db of 64 GiB) is refused at once
#    into a small tmpfs, which stays empty; a real bbolt file that does not
#    fit in the backup's file system (statvfs) is refused with one sentence
#    saying how much it needs and has; with --live, a database a writer
#    holds locked is refused the same way before the lock-free copy starts
#    (it needs at most its newest meta's high-water mark, pgid * page size),
#    and the small tmpfs stays empty.
# The tmpfs cases need root (mount); they print SKIP when it is not
# permitted. Env: OCI_BIN.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
output_style colon
B=$OCI_BIN
make_tmp oci-bk-hostile
mounts=()
cleanup_hook() {
	release
	for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
}

"$B" raft generate --nodes s1=127.0.0.1:7001,s2=127.0.0.1:7002,s3=127.0.0.1:7003 \
	--initial-leader s1 --output-dir "$tmp/src" >/dev/null || { echo "generate failed"; exit 1; }
"$B" raft backup --state-dir "$tmp/src" --backup-dir "$tmp/bk" >/dev/null || { echo "backup failed"; exit 1; }
good=$(ls -d "$tmp"/bk/raft-backup-*)
"$B" raft generate --nodes s1=127.0.0.1:7001,s2=127.0.0.1:7002,s3=127.0.0.1:7003 \
	--initial-leader s2 --initial-term 9 --output-dir "$tmp/target" >/dev/null
fresh() { # NAME: a copy of the good backup to break
	rm -rf "${tmp:?}/$1"
	cp -a "$good" "$tmp/$1"
	echo "$tmp/$1"
}

echo "# a MANIFEST.json that is not a regular file"
b=$(fresh mdir)
rm "$b/MANIFEST.json" && mkdir "$b/MANIFEST.json"
# damage a value byte the structural verify cannot see: only the checksums would
printf 'X' | dd of="$b/s1/raft-log.db" bs=1 seek=$(($(stat -c %s "$b/s1/raft-log.db") - 100)) conv=notrunc status=none
REFUSE_ONE_LINE=1 refuse_restore "MANIFEST.json is a directory" "MANIFEST.json is a directory, not a regular file" "$b" --force
b=$(fresh mfifo)
rm "$b/MANIFEST.json" && mkfifo "$b/MANIFEST.json"
listing "$tmp/target" >"$tmp/before"
timeout 20 "$B" raft restore --backup-dir "$b" --state-dir "$tmp/target" --force </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
listing "$tmp/target" >"$tmp/after"
if [ "$rc" = 1 ] && grep -q 'MANIFEST.json is a FIFO, not a regular file' "$tmp/err" && cmp -s "$tmp/before" "$tmp/after"; then
	ok "MANIFEST.json is a FIFO: refused at once, target unchanged"
else
	bad "MANIFEST.json is a FIFO: exit $rc (124 = hung): $(head -c 300 "$tmp/err")"
fi

echo "# source and target apart"
# refuse_cmd WHAT PATTERN DIR-THAT-MUST-NOT-CHANGE CMD...: exit 1, one line matching, DIR unchanged
refuse_cmd() {
	local what=$1 pat=$2 watch=$3 rc
	shift 3
	listing "$watch" >"$tmp/before"
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	listing "$watch" >"$tmp/after"
	if [ "$rc" != 1 ]; then
		bad "$what: exit $rc (want 1): $(head -c 300 "$tmp/err")"
	elif ! grep -Eq -- "$pat" "$tmp/err" || [ "$(wc -l <"$tmp/err")" != 1 ]; then
		bad "$what: stderr does not match /$pat/ in one line: $(cat "$tmp/err")"
	elif ! cmp -s "$tmp/before" "$tmp/after"; then
		bad "$what: $watch changed"
	else
		ok "$what: $(cut -c1-160 "$tmp/err")"
	fi
}
b=$(fresh same)
refuse_cmd "restore --state-dir = --backup-dir" "are the same directory" "$b" \
	"$B" raft restore --backup-dir "$b" --state-dir "$b" --force
ln -s "$b" "$tmp/same-link"
refuse_cmd "restore --state-dir = --backup-dir through a symlink and .." "are the same directory" "$b" \
	"$B" raft restore --backup-dir "$tmp/same-link" --state-dir "$b/s1/.." --force
refuse_cmd "restore into a target inside the backup (existing)" "--state-dir .* is inside --backup-dir" "$b" \
	"$B" raft restore --backup-dir "$b" --state-dir "$b/s1" --force
refuse_cmd "restore into a target inside the backup (to be created)" "--state-dir .* is inside --backup-dir" "$b" \
	"$B" raft restore --backup-dir "$b" --state-dir "$b/new/deeper" --force
mkdir -p "$tmp/outer"
cp -a "$tmp/target" "$tmp/outer/state"
cp -a "$good" "$tmp/outer/state/bk-inside"
refuse_cmd "restore of a backup inside the target" "--backup-dir .* is inside --state-dir" "$tmp/outer" \
	"$B" raft restore --backup-dir "$tmp/outer/state/bk-inside" --state-dir "$tmp/outer/state" --force
refuse_cmd "backup into a directory inside --state-dir" "--backup-dir .* is inside --state-dir" "$tmp/src" \
	"$B" raft backup --state-dir "$tmp/src" --backup-dir "$tmp/src/backups"
refuse_cmd "backup into --state-dir itself" "are the same directory" "$tmp/src" \
	"$B" raft backup --state-dir "$tmp/src" --backup-dir "$tmp/src/s1/.."
cp -a "$tmp/src" "$tmp/bk/nested-state"
refuse_cmd "backup of a state inside --backup-dir" "--state-dir .* is inside --backup-dir" "$tmp/bk" \
	"$B" raft backup --state-dir "$tmp/bk/nested-state" --backup-dir "$tmp/bk"
rm -rf "$tmp/bk/nested-state"

echo "# databases checked before they are copied"
mkdir -p "$tmp/small"
if ! mount -t tmpfs -o size=8m,mode=0755 tmpfs "$tmp/small" 2>"$tmp/mount.err"; then
	echo "SKIP: mount -t tmpfs is not permitted here ($(cat "$tmp/mount.err")); the small-disk cases were not run"
	finish
fi
mounts+=("$tmp/small")
used() { df --output=used -B1 "$tmp/small" | tail -1 | tr -d ' '; }
u0=$(used)
cp -a "$tmp/src" "$tmp/huge"
rm "$tmp/huge/s2/raft-log.db"
head -c 65536 /dev/urandom >"$tmp/huge/s2/raft-log.db"
truncate -s 64G "$tmp/huge/s2/raft-log.db"
t0=$(date +%s%N)
timeout 60 "$B" raft backup --state-dir "$tmp/huge" --backup-dir "$tmp/small" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$rc" = 1 ] && grep -q 's2/raft-log.db is not a bbolt database' "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ] &&
	[ "$ms" -lt 5000 ] && [ -z "$(ls -A "$tmp/small")" ] && [ "$(used)" -le "$((u0 + 65536))" ]; then
	ok "a 64 GiB sparse non-bolt raft-log.db: refused in ${ms} ms, the 8 MiB tmpfs left empty: $(cut -c1-150 "$tmp/err")"
else
	bad "a 64 GiB sparse non-bolt raft-log.db: exit $rc after ${ms} ms, tmpfs used $(used) (was $u0), holds [$(ls -A "$tmp/small")]: $(head -c 300 "$tmp/err")"
fi
rm -rf "$tmp/huge"
cp -a "$tmp/src" "$tmp/big"
truncate -s 32M "$tmp/big/s3/raft-log.db" # still a bbolt file: bbolt may grow a file past its pages
"$B" raft verify --state-dir "$tmp/big/s3" >/dev/null 2>&1 || bad "the grown raft-log.db does not verify (test setup)"
timeout 60 "$B" raft backup --state-dir "$tmp/big" --backup-dir "$tmp/small" </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && grep -Eq 's3/raft-log.db needs 33554432 bytes, but the file system of .* has only [0-9]+ free' "$tmp/err" &&
	[ "$(wc -l <"$tmp/err")" = 1 ] && [ -z "$(ls -A "$tmp/small")" ]; then
	ok "a bbolt file larger than the free space: refused before copying, nothing left: $(cut -c1-150 "$tmp/err")"
else
	bad "a bbolt file larger than the free space: exit $rc, tmpfs holds [$(ls -A "$tmp/small")]: $(head -c 300 "$tmp/err")"
fi

echo "# backup --live: a locked database's copy is checked to fit first"
mkdir -p "$tmp/tiny"
if mount -t tmpfs -o size=1m,mode=0755 tmpfs "$tmp/tiny" 2>"$tmp/mount.err"; then
	mounts+=("$tmp/tiny")
	build_mknode
	"$MKNODE" "$tmp/live/s3" --members s1=127.0.0.1:7001,s2=127.0.0.1:7002,s3=127.0.0.1:7003 \
		1-1:1:config 2-3000:1:block >/dev/null || bad "mknode could not write $tmp/live/s3 (test setup)"
	f=$tmp/live/s3/raft-log.db
	# bbolt's meta (page 0 and 1, after the 16-byte page header): pageSize at
	# +8, pgid (the high-water mark) at +40, txid at +48; the newest txid wins
	u8() { od -An -t u8 -j "$1" -N 8 "$f" | tr -d ' '; }
	ps=$(od -An -t u4 -j 24 -N 4 "$f" | tr -d ' ')
	if [ "$(u8 $((16 + 48)))" -gt "$(u8 $((ps + 16 + 48)))" ]; then hwm=$(u8 $((16 + 40))); else hwm=$(u8 $((ps + 16 + 40))); fi
	need=$((hwm * ps))
	[ "$need" -gt 1048576 ] || bad "the test database's high-water mark ($need bytes) fits in 1 MiB (test setup)"
	hold "$f"
	timeout 60 "$B" raft backup --live --state-dir "$tmp/live" --backup-dir "$tmp/tiny" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	release
	if [ "$rc" = 1 ] && grep -Eq "s3/raft-log.db needs $need bytes, but the file system of .* has only [0-9]+ free" "$tmp/err" &&
		[ "$(wc -l <"$tmp/err")" = 1 ] && [ -z "$(ls -A "$tmp/tiny")" ]; then
		ok "--live, a locked database larger than the free space: refused before copying, nothing left: $(cut -c1-150 "$tmp/err")"
	else
		bad "--live, a locked database larger than the free space ($need bytes): exit $rc, tmpfs holds [$(ls -A "$tmp/tiny")]: $(head -c 300 "$tmp/err")"
	fi
else
	echo "SKIP: a second tmpfs could not be mounted ($(cat "$tmp/mount.err")); the --live case was not run"
fi
finish
