#!/usr/bin/env bash
# Proves that a system call failing part way through a state-changing
# command (a full or dying disk, a file system without an operation) is an
# error the command reports and survives, never a crash, a torn file or a
# node it broke: generate, restore, recover, compact and backup run as
# real processes on real files with tests/cli/failcall.so preloaded, which
# makes exactly one call of one libc function fail (the sweep and its
# list of functions and errnos: tests/cli/iofaults.sh; the reading
# commands: test_io_faults_read.sh). A counting run learns how many calls
# of each function the command makes; then every one of them, or SAMPLES
# evenly spaced when there are more, fail one at a time. After each run:
#   - the exit status is 0 or 1 (never 2, never a signal), and with 1
#     stderr is exactly one line "op-conductor-init: raft CMD: "; no
#     sanitizer report;
#   - generate: every node directory holds both database files or neither,
#     and every one that holds them verifies (all three after exit 0);
#   - restore, compact: the node verifies, and each database file is byte
#     for byte the old one or the new one (the new ones after exit 0);
#   - recover: the node verifies, its last index and CurrentTerm are the old
#     ones, the new ones, or the new CurrentTerm with the old log (never the
#     reverse), the new ones after exit 0;
#   - backup: the source is unchanged; a failed backup leaves no directory
#     with the final name raft-backup-*; a finished one passes restore
#     --dry-run;
#   - every command: nothing it made for itself is left behind, failed or
#     not: no stage or partly written file (a name holding "tmp-"), no
#     cluster.json temporary, no empty keep directory (".pre-*").
# The calls that put a staged node in place (fsync, renameat, renameat2,
# mkdirat, unlinkat: the swap, the keep, the syncs between them) fail at
# every one of their calls for the commands that replace a node, not a
# sample ($EVERY); restore runs twice, swapping the node directory and,
# when it holds another file, name by name inside it; generate also runs
# with --force over a cluster (each replaced node kept beside the output
# directory, in one keep directory, never left empty).
# restore also runs from a backup with two snapshots onto a node without
# any (the restored snapshots/ is the backup's whole, or absent after exit
# 1; test_io_faults_snap.sh sweeps the other snapshot paths); backup also
# runs with --live (6 calls of each function) and on a node of
# 78 MB, whose database is copied in two halves on two threads (the copy's
# calls: copy_file_range, pread, pwrite, fsync, pthread_create,
# posix_fadvise, 6 of each).
# A sweep in which no injected fault made the command fail is itself a
# failure (the shim would not be working).
#
# Env: OCI_BIN, OCI_SRC, OCI_BUILD; SAMPLES (default 12).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iofaults.sh"
need_env OCI_BIN OCI_SRC OCI_BUILD
B=$OCI_BIN
# the faults are injected, not the disk's: on a tmpfs the runs' fsyncs
# cost nothing (half the wall time on a loaded box)
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${OCI_IOFAULTS_TMPDIR:-/dev/shm}
make_tmp oci-iofaults
unset_env 'OP_CONDUCTOR_[A-Z_]*'

iofaults_init

NODES=(--nodes 127.0.0.1:50050,127.0.0.1:50051,127.0.0.1:50052 --server-ids s1,s2,s3)
"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$tmp/base" >/dev/null || {
	bad "generate the base cluster"
	finish
}
"$B" raft backup --state-dir "$tmp/base/s1" --backup-dir "$tmp/bk" >/dev/null || {
	bad "back up s1"
	finish
}
BK=$(echo "$tmp"/bk/raft-backup-*)
"$B" raft backup --state-dir "$tmp/base/s1" --backup-dir "$tmp/bkz" --compress >/dev/null || {
	bad "back up s1 compressed"
	finish
}
BKZ=$(echo "$tmp"/bkz/raft-backup-*)
# the target of restore, recover and compact: s1 one recovery ahead of the backup
"$B" raft recover --state-dir "$tmp/base/s1" "${NODES[@]}" >/dev/null || {
	bad "recover s1"
	finish
}


# same A B: the two files have the same bytes
same() { cmp -s "$1" "$2"; }

# generate
gen_setup() { rm -rf "$tmp/g"; }
EVERY="fsync renameat renameat2 mkdirat unlinkat"
sweep generate "raft generate" gen_setup gen_check \
	"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$tmp/g"
# with the owner set (fchownat) and cluster.json written (mkostemp, rename):
# cluster.json is whole or absent, and there after exit 0
gencj_check() {
	gen_check "$1" || return 1
	if [ -e "$tmp/g/cluster.json" ] &&
		! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/g/cluster.json" 2>/dev/null; then
		bad "$1: cluster.json is not whole JSON"
		return 1
	elif [ "$rc" = 0 ] && [ ! -e "$tmp/g/cluster.json" ]; then
		bad "$1: exit 0 without cluster.json"
		return 1
	fi
}
# (the swap's calls are swept at every call by the plain generate above)
EVERY= sweep "generate --chown --cluster-json" "raft generate" gen_setup gencj_check \
	"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$tmp/g" \
	--chown "$(id -u):$(id -g)" --cluster-json --network op-test
# --force over a cluster: each replaced node goes to one keep directory
# beside the output directory, .g.pre-generate-TS/<id>; a failed run leaves
# none of it empty (nor the keep directory itself)
force_setup() {
	rm -rf "$tmp/g" "$tmp"/.g.pre-generate-*
	cp -a "$tmp/base" "$tmp/g"
}
force_check() {
	local left
	gen_check "$1" || return 1
	left=$(find "$tmp" -maxdepth 2 -path "$tmp/.g.pre-generate-*" -type d -empty -printf '%P ')
	if [ -n "$left" ]; then
		bad "$1: exit $rc, left behind: $left(stderr: $(head -c 300 "$tmp/err"))"
		return 1
	fi
}
sweep "generate --force" "raft generate" force_setup force_check \
	"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$tmp/g" --force

# restore, recover, compact: a copy of base/s1 in $tmp/n/s1; "new" is what a
# run without a fault leaves
# as root the node belongs to another user, as op-conductor's does in a
# container: what replaces its files takes their owner (nodedir.c
# set_owners), the whole tree of them, or fails
OWNER=
[ "$(id -u)" = 0 ] && OWNER=4242:4242
node_setup() {
	rm -rf "$tmp/n"
	mkdir -p "$tmp/n"
	cp -a "$tmp/base/s1" "$tmp/n/s1"
	[ -z "$OWNER" ] || chown -R "$OWNER" "$tmp/n/s1"
}
# after exit 0, every file of the node still has its owner
owned() {
	local other
	[ -n "$OWNER" ] && [ "$rc" = 0 ] || return 0
	other=$(find "$tmp/n/s1" ! -user "${OWNER%:*}" -printf '%P ' 2>/dev/null)
	if [ -n "$other" ]; then
		bad "$1: exit 0 but not owned by $OWNER: $other"
		return 1
	fi
}
# new_state NAME CMD...: the files a clean run leaves, in $tmp/new.NAME
new_state() {
	local name=$1
	shift
	node_setup
	"$@" </dev/null >/dev/null 2>&1 || bad "$name: the clean run failed"
	rm -rf "$tmp/new.$name"
	cp -a "$tmp/n/s1" "$tmp/new.$name"
}
# the same with another file in the node directory: replaced name by name
node_setup_in_place() {
	node_setup
	echo "not state" >"$tmp/n/s1/notes.txt"
	[ -z "$OWNER" ] || chown "$OWNER" "$tmp/n/s1/notes.txt"
}
# node_check WHAT NAME: the node verifies; each file is the old or the new
# one, the new one after exit 0; nothing left behind
node_check() {
	local f d=$tmp/n/s1
	no_leftovers "$1" "$tmp/n" || return 1
	owned "$1" || return 1
	verifies "$d" || {
		bad "$1: the node does not verify"
		return 1
	}
	for f in raft-log.db raft-stable.db; do
		if same "$d/$f" "$tmp/new.$2/$f"; then
			continue
		elif [ "$rc" = 0 ]; then
			bad "$1: exit 0 but $f is not the new one"
			return 1
		elif ! same "$d/$f" "$tmp/base/s1/$f"; then
			bad "$1: $f is neither the old nor the new one"
			return 1
		fi
	done
}
# kept WHAT VERB: after exit 0 the replaced files are kept whole, once: in
# .s1.pre-VERB-*/ beside the node (swapped) or .pre-VERB-*/ in it (in place)
# (an old file not seen for a failed lookup would be renamed over, unkept)
kept() {
	local k f n=0 at
	[ "$rc" = 0 ] || return 0
	for k in "$tmp/n"/.s1.pre-"$2"-* "$tmp/n/s1"/.pre-"$2"-*; do
		[ -d "$k" ] && n=$((n + 1)) at=$k
	done
	if [ "$n" != 1 ]; then
		bad "$1: exit 0 with $n kept copies (.pre-$2-*) of the replaced state"
		return 1
	fi
	for f in raft-log.db raft-stable.db; do
		same "$at/$f" "$tmp/base/s1/$f" || {
			bad "$1: exit 0 but the kept $f is not the old one"
			return 1
		}
	done
}
restore_check() { node_check "$1" restore && kept "$1" restore; }
compact_check() { node_check "$1" compact && kept "$1" compact; }
# recover's entry carries the time it was appended (raft's AppendedAt), so
# its new files differ from run to run: the node is judged by its last log
# index and CurrentTerm, (2, 2) before and (3, 7) after; (2, 7) is the state
# recover leaves when stopped between its two files (raft-stable.db goes
# first, docs/design.md), never a log ahead of its CurrentTerm
recover_check() {
	local d=$tmp/n/s1 li ct
	no_leftovers "$1" "$tmp/n" || return 1
	owned "$1" || return 1
	verifies "$d" || {
		bad "$1: the node does not verify"
		return 1
	}
	"$B" raft info --state-dir "$d" --json >"$tmp/info.json" 2>/dev/null
	li=$(jget "$tmp/info.json" log/last_index) ct=$(jget "$tmp/info.json" stable/current_term)
	case "$rc:$li:$ct" in
	0:3:7 | 1:3:7 | 1:2:2 | 1:2:7) ;;
	*)
		bad "$1: exit $rc with last index $li, CurrentTerm $ct (want 2/2 or 3/7)"
		return 1
		;;
	esac
	kept "$1" recover
}

RESTORE=("$B" raft restore --backup-dir "$BK" --state-dir "$tmp/n/s1" --force)
new_state restore "${RESTORE[@]}"
sweep restore "raft restore" node_setup restore_check "${RESTORE[@]}"
# from a --compress backup: each .gz inflated into the stage (gzmember.c)
restore_gz_check() { node_check "$1" restore_gz && kept "$1" restore; }
RESTORE_GZ=("$B" raft restore --backup-dir "$BKZ" --state-dir "$tmp/n/s1" --force)
new_state restore_gz "${RESTORE_GZ[@]}"
# (the swap's calls: swept at every call by the restores above)
EVERY= sweep "restore of a compressed backup" "raft restore" node_setup restore_gz_check \
	"${RESTORE_GZ[@]}"
sweep "restore, in place" "raft restore" node_setup_in_place restore_check "${RESTORE[@]}"

# the same --term each time, so that a clean run's files are the new ones
RECOVER=("$B" raft recover --state-dir "$tmp/n/s1" "${NODES[@]}" --term 7)
build_jget
sweep recover "raft recover" node_setup recover_check "${RECOVER[@]}"

COMPACT=("$B" raft compact --state-dir "$tmp/n/s1")
new_state compact "${COMPACT[@]}"
sweep compact "raft compact" node_setup compact_check "${COMPACT[@]}"

# backup
EVERY=
listing "$tmp/base/s1" >"$tmp/src.before"
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
sweep backup "raft backup" backup_setup backup_check \
	"$B" raft backup --state-dir "$tmp/base/s1" --backup-dir "$tmp/k"
sweep "backup of a directory of three nodes" "raft backup" backup_setup backup_check \
	"$B" raft backup --state-dir "$tmp/base" --backup-dir "$tmp/k"
sweep "backup --compress" "raft backup" backup_setup backup_check \
	"$B" raft backup --state-dir "$tmp/base/s1" --backup-dir "$tmp/k" --compress
# each read and pread of a backup cut short in turn (failcall's
# OCI_FAIL_SHORT, as a signal or a network file system may): read on, the
# backup finishes and checks (the copy's check of the meta pages used to
# call a short read "shrank while it was read")
backup_short_check() {
	if [ "$rc" != 0 ]; then
		bad "$1: exit $rc: $(head -c 300 "$tmp/err")"
	else
		backup_check "$1"
	fi
}
short_sweep "backup" backup_setup backup_short_check "each finished and checked" \
	"$B" raft backup --state-dir "$tmp/base/s1" --backup-dir "$tmp/k"
short_sweep "backup --compress" backup_setup backup_short_check "each finished and checked" \
	"$B" raft backup --state-dir "$tmp/base/s1" --backup-dir "$tmp/k" --compress
# --live: the source read without its lock, as while op-conductor runs
SAMPLES=6 sweep "backup --live" "raft backup" backup_setup backup_check \
	"$B" raft backup --state-dir "$tmp/base/s1" --backup-dir "$tmp/k" --live
# raft's snapshots/ directory: a backup copies it, a restore puts it in
# place (a node made by tests/cli/mknode.c, s1 of the same cluster, with
# two snapshots); a restored snapshots/ is the backup's whole or, after
# exit 1, absent (the target had none)
build_mknode
mem=s1=127.0.0.1:50050,s2=127.0.0.1:50051,s3=127.0.0.1:50052
"$MKNODE" "$tmp/snap/s1" --members "$mem" --snapshot 20:2:block:20 --snapshot 30:2:block:30 \
	1-1:1:config 2-40:2:block >/dev/null &&
	"$B" raft backup --state-dir "$tmp/snap/s1" --backup-dir "$tmp/bks" >/dev/null || {
	bad "make and back up a node with snapshots"
	finish
}
BKS=$(echo "$tmp"/bks/raft-backup-*)
listing "$tmp/snap/s1" >"$tmp/snap.before"
restore_snap_check() {
	node_check "$1" restore_snap || return 1
	if [ -e "$tmp/n/s1/snapshots" ] || [ "$rc" = 0 ]; then
		diff -r "$tmp/snap/s1/snapshots" "$tmp/n/s1/snapshots" >/dev/null 2>&1 || {
			bad "$1: exit $rc, snapshots/ is not the backup's"
			return 1
		}
	fi
}
RESTORE_SNAP=("$B" raft restore --backup-dir "$BKS" --state-dir "$tmp/n/s1" --force)
new_state restore_snap "${RESTORE_SNAP[@]}"
EVERY= sweep "restore of a backup with snapshots" "raft restore" node_setup restore_snap_check \
	"${RESTORE_SNAP[@]}"
# a database of 64 MiB or more is copied in two halves on two threads
# (raftstate/filecopy.c): the calls of that copy, 6 of each
"$MKNODE" "$tmp/big/s1" --members "$mem" --tx-bytes 200000 --batch 100 1-1:1:config \
	2-360:2:block >/dev/null || {
	bad "make a node of 78 MB"
	finish
}
listing "$tmp/big/s1" >"$tmp/big.before"
EVERY= SAMPLES=6 FAULTS="copy_file_range:18 copy_file_range:5 pread:5 pwrite:28 fsync:5
pthread_create:11 posix_fadvise:22" sweep "backup of a node of 78 MB" "raft backup" \
	backup_setup backup_check "$B" raft backup --state-dir "$tmp/big/s1" --backup-dir "$tmp/k"
listing "$tmp/snap/s1" >"$tmp/snap.after"
listing "$tmp/big/s1" >"$tmp/big.after"
if cmp -s "$tmp/snap.before" "$tmp/snap.after" && cmp -s "$tmp/big.before" "$tmp/big.after"; then
	ok "backup: the nodes with snapshots and of 78 MB are unchanged"
else
	bad "backup: the node with snapshots or of 78 MB changed"
fi
listing "$tmp/base/s1" >"$tmp/src.after"
if cmp -s "$tmp/src.before" "$tmp/src.after"; then
	ok "backup: the source node is unchanged"
else
	bad "backup: the source node changed"
fi

finish
