#!/usr/bin/env bash
# Proves: a database that shrinks while the tool has it mapped (another
# process truncates it; a backup's file is cut under restore) is an error
# naming the file, never a SIGBUS with nothing on stderr. The moment is
# chosen, not raced: an LD_PRELOAD hook (tests/cli/shrink-after-map.c)
# truncates the file to 8192 bytes (both meta pages stay, every other page
# is gone) right after the tool maps it. For
#   - verify and info (each database), verify --live and info --live with
#     op-conductor's lock held by another process,
#   - backup --live (the lock held: the lock-free compact copy),
#   - restore (the backup's raft-log.db cut as restore starts to copy it:
#     OCI_SHRINK_ON=read, since restore reads a backup's files, never maps them),
# the command exits 1 with "<file> shrank while it was read" (or, for a
# --live read that retries, "<file> is truncated": the retry sees the
# shorter file), leaves no backup behind / the restore target unchanged.
#
# Env: OCI_BIN, OCI_SRC (the hook's source), OCI_SHARED (lived/three).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_SHARED
B=$OCI_BIN
make_tmp oci-shrink
cleanup_hook() { release; }
unset_env 'OP_CONDUCTOR_[A-Z_]*' 'OCI_SHRINK_[A-Z_]*'

if ! cc -shared -fPIC -O1 -o "$tmp/shrink.so" "$OCI_SRC/tests/cli/shrink-after-map.c" -ldl \
	2>"$tmp/cc.err"; then
	bad "compile the hook: $(cat "$tmp/cc.err")"
	finish
fi
# a sanitizer build wants its runtime first; the hook only wraps mmap
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

N=$tmp/st/sequencer-1
fresh() {
	release
	rm -rf "$tmp/st"
	mkdir -p "$tmp/st"
	cp -r "$OCI_SHARED/vectors/lived/three/sequencer-1" "$tmp/st/"
	chmod -R u+w "$tmp/st"
}

# shrunk NAME FILE PATTERN CMD...: runs CMD with the hook cutting FILE after
# its first mapping; exit 1, the hook ran, and the output (stderr, or for
# verify its report on stdout) matches PATTERN (grep -E)
shrunk() {
	local name=$1 file=$2 pat=$3 rc
	shift 3
	LD_PRELOAD=$tmp/shrink.so OCI_SHRINK_FILE=$file timeout 60 "$@" </dev/null \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	if ! grep -q '^shrink-after-map: truncated' "$tmp/err"; then
		bad "$name: the file was never mapped (rc $rc): $(head -c 300 "$tmp/err")"
	elif [ "$rc" != 1 ]; then
		bad "$name: exit $rc (want 1; 135 is SIGBUS): $(grep -v '^shrink-after-map' "$tmp/err" | head -c 300)"
	elif ! cat "$tmp/err" "$tmp/out" | grep -v '^shrink-after-map' | grep -Eq -- "$pat"; then
		bad "$name: output lacks /$pat/: $(head -c 400 "$tmp/err")"
	else
		ok "$name: $(cat "$tmp/err" "$tmp/out" | grep -Eo -- ".{0,60}$pat.{0,40}" | head -n 1)"
	fi
}

SHRANK='raft-(log|stable)\.db shrank while it was read'
LIVE='raft-(log|stable)\.db (shrank while it was read|is truncated)'
for db in raft-log.db raft-stable.db; do
	fresh
	shrunk "verify: $db cut after it was mapped" "$N/$db" "$N/$db shrank while it was read" \
		"$B" raft verify --state-dir "$N"
	fresh
	shrunk "verify --json: $db cut after it was mapped" "$N/$db" "$SHRANK" \
		"$B" raft verify --state-dir "$N" --json
	fresh
	shrunk "info: $db cut after it was mapped" "$N/$db" "$N/$db shrank while it was read" \
		"$B" raft info --state-dir "$N"
	fresh
	hold "$N/$db"
	shrunk "verify --live (lock held): $db cut after it was mapped" "$N/$db" "$LIVE" \
		"$B" raft verify --state-dir "$N" --live
	fresh
	hold "$N/$db"
	shrunk "info --live (lock held): $db cut after it was mapped" "$N/$db" "$LIVE" \
		"$B" raft info --state-dir "$N" --live
	fresh
	hold "$N/$db"
	mkdir -p "$tmp/bk"
	shrunk "backup --live (lock held): $db cut during the lock-free copy" "$N/$db" "$LIVE" \
		"$B" raft backup --state-dir "$N" --backup-dir "$tmp/bk" --live
	[ -z "$(ls -A "$tmp/bk")" ] && ok "backup --live: $db cut: no backup left behind" ||
		bad "backup --live: $db cut: left $(ls -A "$tmp/bk")"
	rm -rf "$tmp/bk"
done

# restore: a good backup, whose raft-log.db is cut while restore copies it
fresh
mkdir -p "$tmp/bk"
if ! "$B" raft backup --state-dir "$N" --backup-dir "$tmp/bk" >"$tmp/out" 2>&1; then
	bad "backup for the restore case: $(cat "$tmp/out")"
	finish
fi
BK=$(ls -d "$tmp/bk"/raft-backup-*)
mkdir -p "$tmp/target"
cp -r "$OCI_SHARED/vectors/lived/three/sequencer-1/." "$tmp/target/"
chmod -R u+w "$tmp/target"
BKLOG=$(find "$BK" -name raft-log.db | head -n 1)
listing "$tmp/target" >"$tmp/before"
# restore never maps a backup's file: it copies it (pread, then pwrite)
# into the stage, checksumming as it goes, so the cut comes before that read
export OCI_SHRINK_ON=read
shrunk "restore: the backup's raft-log.db cut while restore reads it" "$BKLOG" \
	"raft-log\.db (shrank while it was (read|copied)|is truncated|does not match)" \
	"$B" raft restore --backup-dir "$BK" --state-dir "$tmp/target" --into-other-node --force
listing "$tmp/target" >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok "restore: the target is unchanged" ||
	bad "restore: the target changed"

finish
