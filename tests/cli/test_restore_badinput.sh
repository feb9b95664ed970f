#!/usr/bin/env bash
# Proves: `raft restore` refuses bad backups and unsafe situations with one
# clear error (exit 1) and leaves the target untouched (find + sha256 of the
# whole target tree, before == after):
#   missing backup dir, partial backup (file missing), a file whose size or
#   crc32 differs from MANIFEST.json, a manifest path with "..", an absolute
#   manifest path, a symlink / fifo in the backup, a node directory whose name
#   is not a valid server ID, a backup that does not verify, a locked target
#   database ("is op-conductor running?"), existing state with a non-terminal
#   stdin and no --force. A Go-tool backup (no manifest) is accepted with a
#   note that no checksums were available.
# Env: OCI_BIN.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
output_style colon
B=$OCI_BIN
make_tmp oci-restore-bad
lockpid=
cleanup_hook() { [ -n "$lockpid" ] && kill "$lockpid" 2>/dev/null; }

"$B" raft generate --nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --server-ids s1,s2,s3 \
	--initial-leader s1 --output-dir "$tmp/src" >/dev/null || { echo "generate failed"; exit 1; }
"$B" raft backup --state-dir "$tmp/src" --backup-dir "$tmp/bk" >/dev/null || { echo "backup failed"; exit 1; }
good=$(ls -d "$tmp"/bk/raft-backup-*)
# the target: a different cluster state (term 9), so a restore would change it
"$B" raft generate --nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --server-ids s1,s2,s3 \
	--initial-leader s2 --initial-term 9 --output-dir "$tmp/target" >/dev/null


fresh() { # NAME: a copy of the good backup to break
	rm -rf "$tmp/$1"
	cp -a "$good" "$tmp/$1"
	echo "$tmp/$1"
}

# refuse WHAT PATTERN BACKUP [extra args...]: exit 1, stderr matching
# PATTERN, target unchanged (lib.sh)
refuse() { refuse_restore "$@"; }

refuse "missing backup" "does not exist" "$tmp/no-such-backup" --force

b=$(fresh partial); rm "$b/s2/raft-stable.db"
refuse "partial backup (a listed file missing)" "incomplete: s2/raft-stable.db is listed in the manifest but missing" "$b" --force

b=$(fresh crc); printf '\x01' | dd of="$b/s3/raft-log.db" bs=1 seek=9000 conv=notrunc status=none
refuse "checksum mismatch (same size)" "damaged: s3/raft-log.db has crc32 [0-9a-f]{8}, the manifest says" "$b" --force

b=$(fresh size); truncate -s 16384 "$b/s1/raft-log.db"
refuse "size mismatch (truncated file)" "damaged: s1/raft-log.db has 16384 bytes" "$b" --force

b=$(fresh unlisted); mkdir -p "$b/s1/snapshots/1-1-1"; echo '{}' >"$b/s1/snapshots/1-1-1/meta.json"
refuse "file not in the manifest" "not listed in the manifest" "$b" --force

b=$(fresh dotdot); sed -i 's#"path":\t"s1/raft-log.db"#"path":\t"../../etc/passwd"#' "$b/MANIFEST.json"
grep -q '\.\./\.\./etc/passwd' "$b/MANIFEST.json" || bad "could not plant the .. path"
refuse "manifest path with .." "unsafe path \"../../etc/passwd\"" "$b" --force

b=$(fresh abs); sed -i 's#"path":\t"s1/raft-log.db"#"path":\t"/etc/passwd"#' "$b/MANIFEST.json"
refuse "absolute manifest path" "unsafe path \"/etc/passwd\"" "$b" --force

b=$(fresh symlink); rm "$b/s2/raft-log.db"; ln -s "$tmp/src/s2/raft-log.db" "$b/s2/raft-log.db"
refuse "symlink in the backup" "s2/raft-log.db is a symbolic link" "$b" --force

b=$(fresh symdir); mv "$b/s3" "$tmp/s3-elsewhere"; ln -s "$tmp/s3-elsewhere" "$b/s3"
refuse "symlinked node directory" "s3 is a symbolic link" "$b" --force

b=$(fresh fifo); mkfifo "$b/s1/pipe"
refuse "fifo in the backup" "s1/pipe is not a regular file" "$b" --force

b=$(fresh badid); rm "$b/MANIFEST.json"; mv "$b/s2" "$b/$(printf 'bad\tid')"
refuse "node name that is not a server ID (control char)" "not a valid server ID|unsafe file name \"bad\\\\tid" "$b" --force

b=$(fresh corrupt); rm "$b/MANIFEST.json"; printf '\xff\xff\xff\xff' | dd of="$b/s1/raft-log.db" bs=1 seek=16 conv=notrunc status=none
printf '\xff\xff\xff\xff' | dd of="$b/s1/raft-log.db" bs=1 seek=4112 conv=notrunc status=none
refuse "backup that does not verify (no manifest, both metas broken)" "does not verify|meta" "$b" --force

mkdir -p "$tmp/empty"
refuse "directory without any state" "holds no Raft state" "$tmp/empty" --force

refuse "existing state, stdin not a terminal, no --force" "stdin is not a terminal; refusing to replace it without --force" "$good"

( exec 9<"$tmp/target/s2/raft-log.db"; flock -x 9; exec sleep 30 ) &
lockpid=$!
sleep 0.3
refuse "locked target database" "s2/raft-log.db is locked by another process \(is op-conductor running\?\)" "$good" --force
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
lockpid=

# the target and the backup themselves, and a node backup's --node-id
"$B" raft backup --state-dir "$tmp/src/s1" --backup-dir "$tmp/nbk" >/dev/null || bad "node backup failed"
nb=$(ls -d "$tmp"/nbk/raft-backup-*)
mkdir -p "$tmp/t2/real"
ln -s real "$tmp/t2/s1"
RESTORE_TARGET=$tmp/t2/s1 RESTORE_WATCH=$tmp/t2 refuse "target is a symbolic link" \
	"s1 is a symbolic link; refusing to restore through it" "$nb" --force
rm "$tmp/t2/s1"
echo x >"$tmp/t2/s1"
RESTORE_TARGET=$tmp/t2/s1 RESTORE_WATCH=$tmp/t2 refuse "target is a regular file" \
	"cannot read [^ ]*/t2/s1: Not a directory" "$nb" --force
RESTORE_TARGET=$tmp/target/s1 RESTORE_WATCH=$tmp/target refuse "--node-id of another node in a node backup" \
	"--node-id s2: backup .* holds only node s1 \(a node backup\); give --node-id s1 or leave it out" "$nb" --node-id s2 --force
echo x >"$tmp/afile"
refuse "--backup-dir is a regular file" "--backup-dir .*afile is not a directory" "$tmp/afile" --force
b=$(fresh lacks-s2); rm -r "$b/s2"
refuse "a cluster root holding a node the backup lacks" \
	"holds node s2, which backup .* does not have \(it holds s1, s3\)" "$b" --force
"$B" raft backup --state-dir "$tmp/src/s1" --backup-dir "$tmp/zbk" --compress >/dev/null || bad "compressed backup failed"
zb=$(ls -d "$tmp"/zbk/raft-backup-*)
gzip -dc "$zb/raft-log.db.gz" >"$tmp/log.db"
printf '\377' | dd of="$tmp/log.db" bs=1 seek=100 conv=notrunc 2>/dev/null
gzip -nc "$tmp/log.db" >"$zb/raft-log.db.gz"
RESTORE_TARGET=$tmp/target/s1 RESTORE_WATCH=$tmp/target refuse "a compressed file rewritten with other bytes" \
	"damaged: raft-log.db.gz has .*, the manifest says" "$zb" --force

# the Go tool's backup: only the .db files and backup-metadata.txt
b=$(fresh gotool); rm "$b/MANIFEST.json"
if "$B" raft restore --backup-dir "$b" --state-dir "$tmp/target" --force </dev/null >"$tmp/out" 2>"$tmp/err" &&
	grep -q 'no checksums were available' "$tmp/out" && cmp -s "$b/s2/raft-stable.db" "$tmp/target/s2/raft-stable.db"; then
	ok "Go-tool backup without manifest: verified, restored, says no checksums were available"
else
	bad "Go-tool backup: $(cat "$tmp/err") $(cat "$tmp/out")"
fi

finish
