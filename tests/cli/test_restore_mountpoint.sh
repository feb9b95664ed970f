#!/usr/bin/env bash
# Proves: `raft restore` into a node directory that is a mount point (a
# Kubernetes volume mounted at the node dir; here a tmpfs) works: the
# directory cannot be renamed, so the node is staged inside it and
# raft-log.db, raft-stable.db and snapshots/ are replaced one by one.
#  - the node dir is still the same mount point afterwards (mountpoint -q,
#    same st_dev), its files are cmp-equal to the backup, verify passes;
#  - the replaced files are in NODE/.pre-restore-*/ (inside the mount, as
#    printed), cmp-equal to the state before the restore; no stage is left;
#  - snapshots/ is put back when the backup has it, and moved to the keep
#    directory when the backup has none;
#  - an unrelated file (and directory) in the node dir stays untouched, on a
#    mount point and in a plain directory (which is then not swapped whole);
#  - a compressed backup (backup --compress) restores into the mount point;
#  - a target database locked by another process (flock) is refused with a
#    clear error and the mount is unchanged;
#  - killed (SIGKILL) at random points 30 times: each of raft-log.db and
#    raft-stable.db is always exactly its old or its restored file, and the
#    unrelated file is untouched.
# Needs root (mount -t tmpfs); prints SKIP and passes only when mounting is
# not permitted. Env: OCI_BIN, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
default_shared
output_style colon
B=$OCI_BIN
make_tmp oci-rmount
mounts=()
lockpid=
# run on exit, before $tmp is removed
cleanup_hook() {
	[ -n "$lockpid" ] && kill "$lockpid" 2>/dev/null && wait "$lockpid" 2>/dev/null
	for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
}

# mnt DIR: a fresh tmpfs mounted at DIR (registered for the trap)
mnt() {
	mkdir -p "$1" && mount -t tmpfs -o size=64m,mode=0755 tmpfs "$1" 2>"$tmp/mount.err" || return 1
	mounts+=("$1")
}
mkdir -p "$tmp/probe"
if ! mnt "$tmp/probe"; then
	echo "SKIP: mount -t tmpfs is not permitted here ($(cat "$tmp/mount.err")); the mount-point restore was not tested"
	exit 0
fi

ARGS=(--nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --server-ids s1,s2,s3 --initial-leader s1)
same_state() { # A B: both databases and snapshots/ cmp-equal
	local a=$1 b=$2 f
	for f in raft-log.db raft-stable.db; do cmp -s "$a/$f" "$b/$f" || { echo "  $f differs"; return 1; }; done
	diff <(cd "$a" && find snapshots -type f 2>/dev/null | LC_ALL=C sort) <(cd "$b" && find snapshots -type f 2>/dev/null | LC_ALL=C sort) >/dev/null ||
		{ echo "  snapshots/ file sets differ"; return 1; }
	while read -r f; do cmp -s "$a/$f" "$b/$f" || { echo "  $f differs"; return 1; }; done < <(cd "$a" && find snapshots -type f 2>/dev/null)
}
# restore_ok NAME BACKUP NODE WANT PRE: restore --force succeeded, NODE is
# the same mount point, equals WANT, verifies, PRE's state is in the printed
# keep dir inside NODE, no stage is left.
restore_ok() {
	local what=$1 bk=$2 node=$3 want=$4 pre=$5 dev kept
	dev=$(stat -c %d "$node")
	if ! "$B" raft restore --backup-dir "$bk" --state-dir "$node" --into-other-node --force </dev/null >"$tmp/out" 2>"$tmp/err"; then
		bad "$what: restore failed: $(cat "$tmp/err")"
		return 1
	fi
	if ! mountpoint -q "$node" || [ "$(stat -c %d "$node")" != "$dev" ]; then
		bad "$what: $node is no longer the same mount point"
		return 1
	fi
	same_state "$want" "$node" || { bad "$what: the restored state differs from the backup"; return 1; }
	"$B" raft verify --state-dir "$node" >/dev/null 2>&1 || { bad "$what: the restored node does not verify"; return 1; }
	grep -q 'files put in one by one (it is a mount point)' "$tmp/out" || { bad "$what: output does not say the files were replaced one by one: $(cat "$tmp/out")"; return 1; }
	kept=$(sed -n 's/^The replaced state was kept in: //p' "$tmp/out")
	case $kept in
	"$node"/.pre-restore-*) ;;
	*) bad "$what: the keep dir '$kept' is not inside the mount point"; return 1 ;;
	esac
	same_state "$pre" "$kept" || { bad "$what: $kept does not hold the state before the restore"; return 1; }
	if ls -A "$node" | grep -q 'restore-tmp'; then bad "$what: a stage was left: $(ls -A "$node")"; return 1; fi
	ok "$what (kept: ${kept#"$node"/})"
}

# --- 1. generate into a mount point, back up, regenerate, restore ----------
root=$tmp/root
node=$root/s1
mkdir -p "$root"
mnt "$node" || { bad "cannot mount $node"; exit 1; }
"$B" raft generate "${ARGS[@]}" --output-dir "$root" >/dev/null 2>"$tmp/err" || bad "generate into the mount point: $(cat "$tmp/err")"
"$B" raft backup --state-dir "$node" --backup-dir "$tmp/bk" >/dev/null 2>"$tmp/err" || bad "backup: $(cat "$tmp/err")"
bk=$(ls -d "$tmp"/bk/raft-backup-* | head -n1)
"$B" raft generate "${ARGS[@]}" --initial-term 9 --initial-leader s1 --output-dir "$root" --force >/dev/null 2>"$tmp/err" ||
	bad "regenerate into the mount point: $(cat "$tmp/err")"
cmp -s "$node/raft-stable.db" "$bk/raft-stable.db" && bad "the regenerated state equals the backup (test setup)"
rm -rf "$tmp/pre1" && cp -a "$node" "$tmp/pre1"
outside() { (cd "$root" && find . -path ./s1 -prune -o -printf '%p %y %m %s %T@\n' | LC_ALL=C sort); }
outside >"$tmp/outside.before"
restore_ok "restore into a mount point" "$bk" "$node" "$bk" "$tmp/pre1"
outside >"$tmp/outside.after"
cmp -s "$tmp/outside.before" "$tmp/outside.after" && ok "nothing outside the node directory changed" || bad "something outside the node dir changed"

# --- 2. an unrelated file and directory in the mount stay untouched --------
echo "operator notes" >"$node/extra.txt"
mkdir -p "$node/lost+found" && echo x >"$node/lost+found/keep"
ino=$(stat -c %i "$node/extra.txt")
"$B" raft generate "${ARGS[@]}" --initial-term 12 --output-dir "$root" --force >/dev/null 2>"$tmp/err" || bad "regenerate: $(cat "$tmp/err")"
rm -rf "$tmp/pre2" && cp -a "$node" "$tmp/pre2"
restore_ok "restore into a mount point holding other files" "$bk" "$node" "$bk" "$tmp/pre2"
if [ "$(cat "$node/extra.txt" 2>/dev/null)" = "operator notes" ] && [ "$(stat -c %i "$node/extra.txt")" = "$ino" ] &&
	[ -f "$node/lost+found/keep" ]; then
	ok "extra.txt and lost+found/ untouched (same inode, same content)"
else
	bad "the unrelated files changed: $(ls -A "$node")"
fi

# --- 3. a plain directory with an unrelated file: replaced file by file too
gen3=$tmp/g3
"$B" raft generate "${ARGS[@]}" --initial-term 4 --output-dir "$gen3" >/dev/null
echo keep-me >"$gen3/s1/notes.txt"
ino=$(stat -c %i "$gen3/s1")
if "$B" raft restore --backup-dir "$bk" --state-dir "$gen3/s1" --into-other-node --force </dev/null >"$tmp/out" 2>"$tmp/err" &&
	same_state "$bk" "$gen3/s1" && [ "$(cat "$gen3/s1/notes.txt")" = keep-me ] && [ "$(stat -c %i "$gen3/s1")" = "$ino" ] &&
	grep -q 'it holds other files' "$tmp/out"; then
	ok "a plain node dir with another file: restored file by file, notes.txt stays"
else
	bad "plain dir with another file: $(cat "$tmp/err" "$tmp/out")"
fi

# --- 4. snapshots/: put back, and moved away --------------------------------
lived=$OCI_SHARED/vectors/lived/three/sequencer-1
if [ -d "$lived/snapshots" ]; then
	snode=$tmp/sroot/sequencer-1
	mnt "$snode" || bad "cannot mount $snode"
	cp -a "$lived/." "$snode/"
	cp -a "$snode" "$tmp/lived-orig"
	"$B" raft backup --state-dir "$snode" --backup-dir "$tmp/sbk" >/dev/null 2>"$tmp/err" || bad "backup of lived: $(cat "$tmp/err")"
	sbk=$(ls -d "$tmp"/sbk/raft-backup-* | head -n1)
	# replace the node by generated state without snapshots/
	find "$snode" -mindepth 1 -delete
	cp "$bk/raft-log.db" "$bk/raft-stable.db" "$snode/"
	rm -rf "$tmp/pre4" && cp -a "$snode" "$tmp/pre4"
	restore_ok "snapshots/ restored into a mount point" "$sbk" "$snode" "$tmp/lived-orig" "$tmp/pre4"
	# and back: the backup has no snapshots/, the target has: snapshots/ goes to the keep dir
	rm -rf "$tmp/pre5" && cp -a "$snode" "$tmp/pre5"
	rm -rf "$tmp/want5" && mkdir "$tmp/want5" && cp "$bk/raft-log.db" "$bk/raft-stable.db" "$tmp/want5/"
	if restore_ok "a backup without snapshots/ into a mount point holding them" "$bk" "$snode" "$tmp/want5" "$tmp/pre5"; then
		[ ! -e "$snode/snapshots" ] && ok "snapshots/ left the node dir (kept)" || bad "snapshots/ still in the node dir"
	fi
else
	echo "skip: lived/three not found at $lived (snapshots/ case)"
fi

# --- 5. a compressed backup into the mount point ------------------------------
"$B" raft backup --compress --state-dir "$node" --backup-dir "$tmp/cbk" >/dev/null 2>"$tmp/err" || bad "backup --compress: $(cat "$tmp/err")"
cbk=$(ls -d "$tmp"/cbk/raft-backup-* 2>/dev/null | head -n1)
rm -rf "$tmp/want6" && cp -a "$node" "$tmp/want6"
"$B" raft generate "${ARGS[@]}" --initial-term 20 --output-dir "$root" --force >/dev/null
rm -rf "$tmp/pre6" && cp -a "$node" "$tmp/pre6"
[ -n "$cbk" ] && restore_ok "compressed backup into a mount point" "$cbk" "$node" "$tmp/want6" "$tmp/pre6"

# --- 6. a locked target database is refused, nothing changes -----------------
"$B" raft generate "${ARGS[@]}" --initial-term 30 --output-dir "$root" --force >/dev/null
listing "$node" >"$tmp/before"
(
	exec 9<"$node/raft-log.db"
	flock -x 9
	exec sleep 30
) &
lockpid=$!
sleep 0.3
"$B" raft restore --backup-dir "$bk" --state-dir "$node" --into-other-node --force --timeout 0.5 </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
lockpid=
listing "$node" >"$tmp/after"
if [ "$rc" = 1 ] && grep -q 'op-conductor-init: raft restore: .*s1/raft-log.db is locked by another process (is op-conductor running?)' "$tmp/err" &&
	cmp -s "$tmp/before" "$tmp/after" && mountpoint -q "$node"; then
	ok "locked raft-log.db: exit 1, '$(head -n1 "$tmp/err" | cut -c1-120)...', mount untouched"
else
	bad "locked target: rc=$rc err=$(cat "$tmp/err") changed=$(cmp -s "$tmp/before" "$tmp/after" && echo no || echo yes)"
fi

# --- 7. killed part way: every name is its old or its new entry -------------
# With strace: SIGKILL injected at the entry of the 1st, 2nd, ... call of each
# syscall that changes the node (mkdirat, fsync, renameat(2), unlinkat), so
# every step is hit once. Without strace: 30 kills at random times (those
# mostly land before or after the renames, which take microseconds).
if [ -d "${sbk:-}" ]; then cbk7=$sbk want7=$tmp/lived-orig; else cbk7=$bk want7=$bk; fi
cur=$tmp/cur
rm -rf "$cur" && mkdir "$cur" && cp "$tmp/pre1/raft-log.db" "$tmp/pre1/raft-stable.db" "$cur/"
mkdir -p "$cur/snapshots/1-2-3" && echo '{"old":1}' >"$cur/snapshots/1-2-3/meta.json"
echo "operator notes" >"$cur/extra.txt"
snaps() { (cd "$1" && find snapshots -type f 2>/dev/null | LC_ALL=C sort | while read -r f; do echo "$f $(sha256sum <"$f")"; done); }
snaps "$cur" >"$tmp/snaps.old"
snaps "$want7" >"$tmp/snaps.new"
node=$tmp/root/s1
# check_kill WHAT: each state name holds its old or its new content; other
# files untouched; a second restore then completes and gives the backup
check_kill() {
	local what=$1 f st=
	for f in raft-log.db raft-stable.db; do
		if cmp -s "$node/$f" "$cur/$f"; then st+=o
		elif cmp -s "$node/$f" "$want7/$f"; then st+=n
		else bad "$what: $f is neither its old nor its restored file ($(ls -A "$node" | tr '\n' ' '))"; st+=x; fi
	done
	snaps "$node" >"$tmp/snaps.now"
	if cmp -s "$tmp/snaps.now" "$tmp/snaps.old"; then st+=o
	elif cmp -s "$tmp/snaps.now" "$tmp/snaps.new"; then st+=n
	else bad "$what: snapshots/ is neither the old nor the restored one"; st+=x; fi
	[ "$(cat "$node/extra.txt" 2>/dev/null)" = "operator notes" ] || bad "$what: extra.txt changed"
	mountpoint -q "$node" || bad "$what: not a mount point any more"
	if ! "$B" raft restore --backup-dir "$cbk7" --state-dir "$node" --into-other-node --force </dev/null >/dev/null 2>"$tmp/err2" ||
		! same_state "$want7" "$node" >/dev/null; then
		bad "$what: restoring again did not complete: $(cat "$tmp/err2")"
	fi
	states+=("$st")
}
reset_node() { find "$node" -mindepth 1 -delete && cp -a "$cur/." "$node/"; }
states=()
kills=0
if strace -f -qq -o /dev/null -e inject=getpid:retval=1 true >/dev/null 2>&1; then
	for sc in mkdirat fsync renameat renameat2 rename unlinkat; do
		for n in $(seq 1 200); do
			reset_node
			# (a subshell: the shell's "Killed" notice goes to /dev/null;
			# LeakSanitizer cannot run under ptrace in an ASan build)
			(ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc":signal=KILL:when="$n" \
				"$B" raft restore --backup-dir "$cbk7" --state-dir "$node" --into-other-node --force </dev/null >/dev/null 2>&1; exit $?) 2>/dev/null
			rc=$?
			[ "$rc" = 0 ] && break # the n-th call never came: every call of $sc was hit
			if [ "$rc" != 137 ]; then
				bad "restore under strace ($sc #$n) failed with exit $rc, not killed"
				break
			fi
			kills=$((kills + 1))
			check_kill "killed at $sc #$n"
		done
	done
	ok "$kills kills (strace, at every mkdirat/fsync/rename/unlinkat): each name was its old or restored entry, extra.txt untouched, a second restore completed; states (log,stable,snapshots):$(printf '%s\n' "${states[@]}" | sort | uniq -c | tr -s ' \n' ' ')"
else
	for i in $(seq 1 30); do
		reset_node
		"$B" raft restore --backup-dir "$cbk7" --state-dir "$node" --into-other-node --force </dev/null >/dev/null 2>&1 &
		pid=$!
		sleep "0.00$((RANDOM % 4))"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		kills=$((kills + 1))
		check_kill "kill $i"
	done
	ok "$kills random kills (no strace: install it to hit every step): each name was its old or restored entry; states:$(printf '%s\n' "${states[@]}" | sort | uniq -c | tr -s ' \n' ' ')"
fi

finish
