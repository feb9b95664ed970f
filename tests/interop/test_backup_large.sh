#!/usr/bin/env bash
# Proves, on a raft-log.db real raft-boltdb wrote that is large enough
# (>= 64 MiB: many 8 MiB chunks, the crc32-only read and the drop from the
# page cache in two halves on two threads):
#   - the finished backup leaves its copy out of the page cache (fincore);
#   - the manifest's crc32 and size of that file are right: `restore` reads
#     every file back and checks them against the manifest, and the restored
#     file is byte-identical to the source (cmp);
#   - a damaged byte three quarters into the backup's copy is caught by
#     that crc check;
#   - progress goes to stderr when it is a terminal (script(1) gives one),
#     and nothing but errors when it is not: backup's copy, restore's
#     staging copy (its only read of the backup: no checksum pass of its
#     own), and with --compress the compression, the check of the .gz and
#     the inflation into the stage;
#   - the copy reads each byte of the source once and writes every byte of
#     the copy from the buffer it checksummed, on one thread (strace: pread
#     of the source and pwrite of the copy each cover the file once, no
#     copy_file_range,
#     whose copy had to be read back for its crc32), on one file system
#     and into another one (a tmpfs; needs root, else that half is skipped).
. "$(dirname "$0")/lib.sh"
need_harness

node=$TMP/state/sequencer-1
mkdir -p "$node"
"$H" biglog --out "$node/raft-log.db" --entries 19000 --size 4000 --seed 3 \
	--config-every 5000 >"$TMP/biglog.json" || die "biglog failed"
a=sequencer-headless.default.svc.cluster.local:50050
"$OCI_BIN" raft generate --nodes "sequencer-1.$a" --server-ids sequencer-1 \
	--initial-leader sequencer-1 --output-dir "$TMP/gen" >/dev/null || die "raft generate failed"
mv "$TMP/gen/sequencer-1/raft-stable.db" "$node/raft-stable.db"
size=$(stat -c %s "$node/raft-log.db")
[ "$size" -ge $((64 << 20)) ] || die "the log is only $size bytes; the test needs >= 64 MiB"
"$OCI_BIN" raft verify --state-dir "$node" >/dev/null || die "the source does not verify"

# not a terminal: no progress, only the report on stdout
"$OCI_BIN" raft backup --state-dir "$node" --backup-dir "$TMP/bk1" >"$TMP/b1.out" 2>"$TMP/b1.err" ||
	die "backup failed: $(cat "$TMP/b1.err")"
[ ! -s "$TMP/b1.err" ] || die "backup wrote to a non-terminal stderr: $(head -c 300 "$TMP/b1.err")"
bk=$(ls -d "$TMP/bk1"/raft-backup-*)
# the finished backup's pages were dropped from the page cache (before cmp
# reads them again): at most 1% of the copy is still resident
command -v fincore >/dev/null || die "fincore is missing (package util-linux)"
resident=$(fincore --noheadings --bytes --output RES "$bk/raft-log.db" | tr -d ' ')
[ "$resident" -le $((size / 100)) ] ||
	die "$resident of the backup's $size bytes are still in the page cache"
cmp "$node/raft-log.db" "$bk/raft-log.db" || die "the backup's raft-log.db differs from the source"
say "ok: $size-byte log backed up, byte-identical, no progress on a non-terminal"

"$OCI_BIN" raft restore --backup-dir "$bk" --state-dir "$TMP/restored" --into-other-node >"$TMP/r.out" 2>"$TMP/r.err" ||
	die "restore failed: $(cat "$TMP/r.err")"
cmp "$node/raft-log.db" "$TMP/restored/raft-log.db" || die "restored raft-log.db differs"
say "ok: restore checked the manifest's crc32 and sizes and restored identical files"

# one byte flipped three quarters into the copy: caught by its crc32
off=$((size * 3 / 4))
b=$(od -An -tu1 -j "$off" -N1 "$bk/raft-log.db" | tr -d ' ')
printf "$(printf '\\%03o' $(((b + 1) % 256)))" | dd of="$bk/raft-log.db" bs=1 seek="$off" conv=notrunc status=none
expect_fail "restore of a backup damaged in the second half" 'crc32' \
	"$OCI_BIN" raft restore --backup-dir "$bk" --state-dir "$TMP/restored2" --into-other-node
[ ! -e "$TMP/restored2/raft-log.db" ] || die "a refused restore wrote $TMP/restored2/raft-log.db"

# a terminal: progress lines on stderr, ending at 100%
command -v script >/dev/null || die "script(1) is missing (package bsdutils)"
# the terminal's output (stderr; stdout goes to /dev/null) lands in $TMP/tty
script -qec "'$OCI_BIN' raft backup --state-dir '$node' --backup-dir '$TMP/bk2' >/dev/null" "$TMP/tty" >/dev/null ||
	die "backup on a terminal failed: $(tail -c 300 "$TMP/tty")"
tr '\r' '\n' <"$TMP/tty" | grep -q 'copying .*raft-log.db: [0-9]* of [0-9]* MiB' ||
	die "no progress on a terminal: $(head -c 300 "$TMP/tty")"
tr '\r' '\n' <"$TMP/tty" | grep -q '(100%)' || die "progress did not reach 100%: $(tail -c 200 "$TMP/tty")"
say "ok: progress on a terminal: $(tr '\r' '\n' <"$TMP/tty" | grep -c copying) updates, ending at 100%"

# restore on a terminal: the staging copy shows progress ending at 100% (it
# reads the backup once: each file's crc32 is taken from the bytes it stages,
# so there is no checksum pass of its own); on a non-terminal stderr (above)
# nothing
# tty_run NAME CMD: CMD (a shell string) on a terminal; its terminal output in $TMP/NAME.tty
tty_run() {
	script -qec "$2" "$TMP/$1.tty" >/dev/null || die "$1 on a terminal failed: $(tail -c 300 "$TMP/$1.tty")"
	tr '\r' '\n' <"$TMP/$1.tty" >"$TMP/$1.lines"
}
# saw NAME VERB: a progress line of VERB for raft-log.db ending at 100%
saw() {
	grep -Eq "^  $2 .*raft-log\.db(\.gz)?: [0-9]+ of [0-9]+ MiB \(100%\)" "$TMP/$1.lines" ||
		die "$1: no '$2' progress reaching 100%: $(grep MiB "$TMP/$1.lines" | tail -n 3)"
}
[ ! -s "$TMP/r.err" ] || die "restore wrote to a non-terminal stderr: $(head -c 300 "$TMP/r.err")"
bk2=$(ls -d "$TMP/bk2"/raft-backup-*)
tty_run restore "'$OCI_BIN' raft restore --backup-dir '$bk2' --state-dir '$TMP/restored4' --into-other-node >/dev/null"
saw restore copying
cmp "$node/raft-log.db" "$TMP/restored4/raft-log.db" || die "the log restored on a terminal differs"
grep -q "checking .*raft-log\.db" "$TMP/restore.lines" && die "restore read the backup twice: a 'checking' pass before the copy"
say "ok: restore on a terminal: one copying progress ending at 100%, no separate checking pass"

# --compress on a terminal: compressing and checking the .gz; its restore:
# inflating into the stage (once: the crc32 and size come from that pass)
tty_run bkgz "'$OCI_BIN' raft backup --compress --state-dir '$node' --backup-dir '$TMP/bk5' >/dev/null"
saw bkgz copying
saw bkgz compressing
saw bkgz checking
bk5=$(ls -d "$TMP/bk5"/raft-backup-*)
# a sequence of gzip members (one per 8 MiB block, deflated two at a time)
# is one gzip file to the standard tool too
gzip -t "$bk5/raft-log.db.gz" || die "gzip -t rejects the backup's raft-log.db.gz"
gzip -dc "$bk5/raft-log.db.gz" | cmp - "$node/raft-log.db" || die "gzip -dc of raft-log.db.gz differs from the log"
tty_run rsgz "'$OCI_BIN' raft restore --backup-dir '$bk5' --state-dir '$TMP/restored5' --into-other-node >/dev/null"
saw rsgz inflating
cmp "$node/raft-log.db" "$TMP/restored5/raft-log.db" || die "the log restored from the .gz backup differs"
grep -q "checking .*raft-log\.db" "$TMP/rsgz.lines" && die "restore of the .gz read it twice: a 'checking' pass before inflating"
say "ok: backup --compress (gzip -dc gives the log back) and its restore on a terminal: copying, compressing, checking; inflating once, each to 100%"
# the copy seen with strace, on the same file system and into another one
command -v strace >/dev/null || die "strace is missing (package strace)"
src_log=$(realpath "$node/raft-log.db")
# traced_backup DIR: backup into DIR under strace (one trace file a thread:
# no call split across lines); checks what the copy read and wrote; the
# restore of it checks every crc32 and size of the manifest; the restored
# log is cmp-equal
traced_backup() {
	local dir=$1 b io read written
	rm -f "$TMP"/io.trace.*
	# (LeakSanitizer cannot run under ptrace: off, should OCI_BIN be an ASan build)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -ff -qq -y -e trace=pread64,pwrite64,copy_file_range -o "$TMP/io.trace" \
		"$OCI_BIN" raft backup --state-dir "$node" --backup-dir "$dir" >/dev/null 2>"$TMP/bt.err" ||
		die "backup into $dir failed: $(cat "$TMP/bt.err")"
	b=$(ls -d "$dir"/raft-backup-*)
	cat "$TMP"/io.trace.* >"$TMP/io.trace"
	! grep -Eq '^copy_file_range\(.*= [1-9][0-9]*$' "$TMP/io.trace" ||
		die "into $dir: copy_file_range copied bytes: $(grep copy_file_range "$TMP/io.trace" | head -c 300)"
	# bytes read from the source's log, and written to the backup's
	io=$(awk -v src="$src_log" '
		/ = [0-9]+$/ {
			n = $NF; p = $0; sub(/^[a-z0-9]+\([0-9]+</, "", p); sub(/>.*/, "", p)
			if ($0 ~ /^pread64/ && p == src) r += n
			if ($0 ~ /^pwrite64/ && p ~ /\/[.]raft-backup-[^\/]*\/raft-log[.]db$/) w += n
		}
		END { printf "%d %d\n", r, w }' "$TMP/io.trace")
	read -r read written <<<"$io"
	[ "$written" -eq "$size" ] ||
		die "into $dir: pwrite wrote $written bytes of the backup's raft-log.db, not its $size (the rest not from a checksummed buffer)"
	[ "$read" -ge "$size" ] && [ "$read" -lt $((size + (1 << 20))) ] ||
		die "into $dir: $read bytes read from the source's raft-log.db for a $size-byte copy (each byte should be read once)"
	# one thread writes the copy (two writers of one file contend for its lock)
	writers=$(grep -l '^pwrite64([0-9]*<[^>]*/[.]raft-backup-[^/>]*/raft-log[.]db>' "$TMP"/io.trace.* | wc -l)
	[ "$writers" -eq 1 ] || die "into $dir: $writers threads wrote the backup's raft-log.db (want 1)"
	cmp "$node/raft-log.db" "$b/raft-log.db" || die "the backup in $dir differs from the source"
	rm -rf "$TMP/restored3"
	"$OCI_BIN" raft restore --backup-dir "$b" --state-dir "$TMP/restored3" --into-other-node >/dev/null 2>"$TMP/rt.err" ||
		die "restore of the backup in $dir failed: $(cat "$TMP/rt.err")"
	cmp "$node/raft-log.db" "$TMP/restored3/raft-log.db" || die "the log restored from $dir differs"
	say "ok: into $dir: the source read once ($read bytes), the copy written from the checksummed buffer ($written bytes), no copy_file_range; manifest crc32 checked by restore"
}
traced_backup "$TMP/bk3"
if [ "$(id -u)" = 0 ] && mkdir -p "$TMP/tmpfs" && mount -t tmpfs -o size=512m tmpfs "$TMP/tmpfs" 2>/dev/null; then
	trap 'umount "$TMP/tmpfs" 2>/dev/null || umount -l "$TMP/tmpfs"; rm -rf "$TMP"' EXIT
	traced_backup "$TMP/tmpfs"
else
	say "SKIP part: cannot mount a tmpfs (not root?); the copy into another file system was not run"
fi
say "PASS"
