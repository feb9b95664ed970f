#!/usr/bin/env bash
# The io-fault sweep (tests/cli/iofaults.sh, as test_io_faults.sh judges
# it) on what test_io_faults.sh's nodes lack: snapshots. Its commands run
# on a node op-conductor ran (../shared/vectors/lived/three/sequencer-1:
# a 4 MiB log, raft-stable.db and two snapshots in snapshots/), with
# tests/cli/failcall.so making one call of one libc function fail:
#   - backup, backup --live, backup --compress: each snapshot file copied
#     and listed, the lock-free copy with its space check (--live), the
#     gzip members;
#   - restore --force of that backup (and of the compressed one) over the
#     node compacted and missing a snapshot: the stage's snapshots/ filled
#     and fsynced;
#   - recover and compact of the node: the stage that copies snapshots/
#     beside the databases, compact's check that a snapshot covers what it
#     drops.
# After each run:
#   - the exit status is 0 or 1 (never 2, never a signal); with 1, stderr
#     is one line "op-conductor-init: raft CMD: "; no sanitizer report;
#   - backup: the source node is unchanged; a failed backup leaves no
#     raft-backup-*; a finished one passes restore --dry-run;
#   - restore, compact: the node verifies, and each of raft-log.db,
#     raft-stable.db and snapshots/ (as a tree) is the old one or the new
#     one (the new one after exit 0);
#   - recover: the node verifies; its last index and CurrentTerm are the
#     old ones or the new ones (or the new CurrentTerm with the old log,
#     the state between recover's two files); snapshots/ is unchanged;
#   - nothing a run makes for itself is left behind (a name holding
#     "tmp-", an empty keep directory ".pre-*").
# Cost: SAMPLES (default 4 here; 3 under the sanitizers) calls of each
# function; docs/testing.md says the time.
#
# Env: OCI_BIN, OCI_SRC, OCI_SHARED; SAMPLES.
. "$(dirname "$0")/lib.sh"
if [ -n "${ASAN_OPTIONS:-}" ]; then
	SAMPLES=${SAMPLES:-3}
else
	SAMPLES=${SAMPLES:-4}
fi
. "$(dirname "$0")/iofaults.sh"
need_env OCI_BIN OCI_SRC OCI_SHARED
B=$OCI_BIN
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${OCI_IOFAULTS_TMPDIR:-/dev/shm}
make_tmp oci-iofaults-snap
unset_env 'OP_CONDUCTOR_[A-Z_]*'
LIVED=$OCI_SHARED/vectors/lived/three
if [ ! -d "$LIVED/sequencer-1/snapshots" ]; then
	bad "no node with snapshots at $LIVED/sequencer-1"
	finish
fi
iofaults_init
build_jget

# the source: sequencer-1 as op-conductor left it (the vectors are read-only)
# (restore and recover check that the directory is named after the node)
mkdir "$tmp/src" "$tmp/old"
SRC=$tmp/src/sequencer-1 OLD=$tmp/old/sequencer-1 N=$tmp/n/sequencer-1
cp -r "$LIVED/sequencer-1" "$SRC"
chmod -R u+w "$SRC"
NODES=(--nodes 127.0.0.1:37211,127.0.0.1:37212,127.0.0.1:37213
	--server-ids sequencer-1,sequencer-2,sequencer-3)
"$B" raft backup --state-dir "$SRC" --backup-dir "$tmp/bk" >/dev/null &&
	"$B" raft backup --state-dir "$SRC" --backup-dir "$tmp/bkz" --compress >/dev/null || {
	bad "back up the node with snapshots"
	finish
}
BK=$(echo "$tmp"/bk/raft-backup-*)
BKZ=$(echo "$tmp"/bkz/raft-backup-*)
# the target of restore: the source compacted (other database bytes) and
# without its older snapshot (another snapshots/; the newer one covers
# where the compacted log starts)
cp -a "$SRC" "$OLD"
"$B" raft compact --state-dir "$OLD" >/dev/null || {
	bad "compact the restore target"
	finish
}
rm -rf "$(ls -d "$OLD"/snapshots/* | LC_ALL=C sort | head -n 1)"

verifies() { "$B" raft verify --state-dir "$1" >/dev/null 2>&1; }

# as test_io_faults.sh's: what a run makes for itself and must not leave
no_leftovers() {
	local what=$1 left
	shift
	left=$(find "$@" -mindepth 1 \( -name '*tmp-*' -o \
		\( -name '*pre-*' -type d -empty \) \) -printf '%P ' 2>/dev/null)
	if [ -n "$left" ]; then
		bad "$what: exit $rc, left behind: $left(stderr: $(head -c 300 "$tmp/err"))"
		return 1
	fi
}

# part DIR NAME: one digest of DIR/NAME, a file or a tree (names, types,
# sizes, contents)
part() {
	if [ -d "$1/$2" ]; then
		listing "$1/$2" | sha256sum
	elif [ -e "$1/$2" ]; then
		sha256sum <"$1/$2"
	else
		echo absent
	fi
}

# backup
listing "$SRC" >"$tmp/src.before"
backup_setup() { rm -rf "$tmp/k"; }
backup_check() {
	local d
	no_leftovers "$1" "$tmp/k" || return 1
	for d in "$tmp"/k/raft-backup-*; do
		[ -e "$d" ] || continue
		if [ "$rc" != 0 ]; then
			bad "$1: the failed backup left $(basename "$d")"
			return 1
		fi
		"$B" raft restore --backup-dir "$d" --dry-run >/dev/null 2>&1 || {
			bad "$1: the finished backup does not pass restore --dry-run"
			return 1
		}
	done
}
sweep "backup with snapshots" "raft backup" backup_setup backup_check \
	"$B" raft backup --state-dir "$SRC" --backup-dir "$tmp/k"
sweep "backup --live with snapshots" "raft backup" backup_setup backup_check \
	"$B" raft backup --state-dir "$SRC" --backup-dir "$tmp/k" --live
sweep "backup --compress with snapshots" "raft backup" backup_setup backup_check \
	"$B" raft backup --state-dir "$SRC" --backup-dir "$tmp/k" --compress
listing "$SRC" >"$tmp/src.after"
if cmp -s "$tmp/src.before" "$tmp/src.after"; then
	ok "backup: the source node is unchanged"
else
	bad "backup: the source node changed"
fi

# restore, compact: $N a copy of $node_from/sequencer-1; $tmp/new.NAME what a clean run
# leaves
node_from=old
node_setup() {
	rm -rf "$tmp/n"
	mkdir -p "$tmp/n"
	cp -a "$tmp/$node_from/sequencer-1" "$N"
}
new_state() {
	local name=$1
	shift
	node_setup
	"$@" </dev/null >/dev/null 2>&1 || bad "$name: the clean run failed"
	rm -rf "$tmp/new.$name"
	cp -a "$N" "$tmp/new.$name"
}
# node_check WHAT NAME: the node verifies; each part is the old or the new
# one, the new one after exit 0
node_check() {
	local f d=$N now
	no_leftovers "$1" "$tmp/n" || return 1
	verifies "$d" || {
		bad "$1: the node does not verify"
		return 1
	}
	for f in raft-log.db raft-stable.db snapshots; do
		now=$(part "$d" "$f")
		if [ "$now" = "$(part "$tmp/new.$2" "$f")" ]; then
			continue
		elif [ "$rc" = 0 ]; then
			bad "$1: exit 0 but $f is not the new one"
			return 1
		elif [ "$now" != "$(part "$tmp/$node_from/sequencer-1" "$f")" ]; then
			bad "$1: $f is neither the old nor the new one"
			return 1
		fi
	done
}
restore_check() { node_check "$1" restore; }
restore_gz_check() { node_check "$1" restore_gz; }
compact_check() { node_check "$1" compact; }

# (the swap's calls at every call: test_io_faults.sh's restores)
RESTORE=("$B" raft restore --backup-dir "$BK" --state-dir "$N" --force)
new_state restore "${RESTORE[@]}"
sweep "restore with snapshots" "raft restore" node_setup restore_check "${RESTORE[@]}"
RESTORE_GZ=("$B" raft restore --backup-dir "$BKZ" --state-dir "$N" --force)
new_state restore_gz "${RESTORE_GZ[@]}"
sweep "restore of a compressed backup with snapshots" "raft restore" node_setup \
	restore_gz_check "${RESTORE_GZ[@]}"

node_from=src
COMPACT=("$B" raft compact --state-dir "$N")
new_state compact "${COMPACT[@]}"
sweep "compact with snapshots" "raft compact" node_setup compact_check "${COMPACT[@]}"

# recover: entries carry the time they were appended, so the new files
# differ from run to run; judged by last index and CurrentTerm
"$B" raft info --state-dir "$SRC" --json >"$tmp/info.json" || bad "info of the source"
LI0=$(jget "$tmp/info.json" log/last_index) CT0=$(jget "$tmp/info.json" stable/current_term)
RECOVER=("$B" raft recover --state-dir "$N" "${NODES[@]}" --term $((CT0 + 5)))
node_setup
"${RECOVER[@]}" </dev/null >/dev/null 2>&1 || bad "recover: the clean run failed"
"$B" raft info --state-dir "$N" --json >"$tmp/info.json" || bad "info of the recovered node"
LI1=$(jget "$tmp/info.json" log/last_index) CT1=$(jget "$tmp/info.json" stable/current_term)
SNAPS=$(part "$SRC" snapshots)
recover_check() {
	local d=$N li ct
	no_leftovers "$1" "$tmp/n" || return 1
	verifies "$d" || {
		bad "$1: the node does not verify"
		return 1
	}
	if [ "$(part "$d" snapshots)" != "$SNAPS" ]; then
		bad "$1: snapshots/ changed"
		return 1
	fi
	"$B" raft info --state-dir "$d" --json >"$tmp/info.json" 2>/dev/null
	li=$(jget "$tmp/info.json" log/last_index) ct=$(jget "$tmp/info.json" stable/current_term)
	case "$rc:$li:$ct" in
	0:$LI1:$CT1 | 1:$LI1:$CT1 | 1:$LI0:$CT0 | 1:$LI0:$CT1) ;;
	*)
		bad "$1: exit $rc with last index $li, CurrentTerm $ct (want $LI0/$CT0 or $LI1/$CT1)"
		return 1
		;;
	esac
}
sweep "recover with snapshots" "raft recover" node_setup recover_check "${RECOVER[@]}"

finish
