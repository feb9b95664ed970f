#!/usr/bin/env bash
# Proves that a system call failing while a command only reads (a dying
# disk, a file system without an operation, a process out of descriptors
# or address space) is an error the command reports, never a crash, a
# silent exit or a change to what it read: info, verify, logs, compare,
# restore --dry-run, recover --dry-run, compact --dry-run, generate
# --if-absent on the state it would write, info --live and verify --live,
# and bootstrap cluster (which becomes a stand-in op-conductor,
# tests/cli/fake-op-conductor.c, named by its variable or found in PATH) run as
# real processes on real node directories (and one op-conductor ran,
# ../shared/vectors/lived, for info's leaf reader) and a real backup with
# tests/cli/failcall.so preloaded; the sweep (tests/cli/iofaults.sh) fails
# every call of every wrapped libc function one at a time (SAMPLES evenly
# spaced ones where there are more). After each run:
#   - the exit status is 0 or 1 (never 2, never a signal), and with 1
#     stderr is exactly one line "op-conductor-init: raft CMD: ..." (or,
#     for compare, whose exit 1 is its verdict, nothing, and its report
#     names the errno's text); no sanitizer report;
#   - every file and directory it read is as it was (names, modes, sizes,
#     sha256);
#   - bootstrap cluster: op-conductor was started exactly when the exit
#     status is 0, and then found both database files unlocked.
#
# Env: OCI_BIN, OCI_SRC, OCI_SHARED; SAMPLES (default 12).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iofaults.sh"
need_env OCI_BIN OCI_SRC OCI_SHARED
B=$OCI_BIN
# no fsync here, but many short runs: a tmpfs keeps them off the disk
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${OCI_IOFAULTS_TMPDIR:-/dev/shm}
make_tmp oci-iofaults-read
unset_env 'OP_CONDUCTOR_[A-Z_]*' 'FAKE_OC_[A-Z_]*'
iofaults_init

NODES=(--nodes 127.0.0.1:50050,127.0.0.1:50051,127.0.0.1:50052 --server-ids s1,s2,s3)
S=$tmp/in/base
"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$S" >/dev/null || {
	bad "generate the base cluster"
	finish
}
# s1 one recovery ahead, so that compare has an entry to rank and restore's
# dry run a node that differs from the backup
"$B" raft backup --state-dir "$S/s1" --backup-dir "$tmp/in/bk" >/dev/null || {
	bad "back up s1"
	finish
}
BK=$(echo "$tmp"/in/bk/raft-backup-*)
"$B" raft recover --state-dir "$S/s1" "${NODES[@]}" --term 3 >/dev/null || {
	bad "recover s1"
	finish
}
# a node op-conductor ran (../shared/vectors/lived): large enough for info's
# leaf reader (preadv2 RWF_NOWAIT, then pread when the file is cold)
cp -r "$OCI_SHARED/vectors/lived/three/sequencer-1" "$tmp/in/lived"
chmod -R u+w "$tmp/in/lived"
"$B" raft info --state-dir "$S/s2" --json >"$tmp/in/s2.json" || {
	bad "info --json of s2"
	finish
}

# what a run may read, all below $tmp/in: the cluster, the backup, a saved
# info document
listing "$tmp/in" >"$tmp/before"
unchanged() {
	listing "$tmp/in" >"$tmp/after"
	if ! cmp -s "$tmp/before" "$tmp/after"; then
		bad "$1: what it read changed: $(diff "$tmp/before" "$tmp/after" | head -c 400)"
		return 1
	fi
}
nothing() { :; }

# a directory of nodes: exit 0 only with every node in the output, exactly
# as the run without a fault prints it (a node skipped because looking at
# it failed, fstatat or openat, would leave a compare of two nodes CONSISTENT)
clean() { "$@" </dev/null >"$tmp/clean" 2>/dev/null; }
same_or_failed() {
	unchanged "$1" || return 1
	if [ "$rc" = 0 ] && ! cmp -s "$tmp/out" "$tmp/clean"; then
		bad "$1: exit 0 with other output than the run without a fault: $(diff "$tmp/clean" "$tmp/out" | head -c 400)"
		return 1
	fi
}

sweep info "raft info" nothing unchanged "$B" raft info --state-dir "$S/s1"
sweep "info of a node op-conductor ran" "raft info" nothing unchanged \
	"$B" raft info --state-dir "$tmp/in/lived"
sweep "info --json --full --entries all" "raft info" nothing unchanged \
	"$B" raft info --state-dir "$S/s1" --json --full --entries all
clean "$B" raft info --state-dir "$S"
EVERY="fstatat openat" sweep "info of a directory of nodes" "raft info" nothing same_or_failed \
	"$B" raft info --state-dir "$S"
clean "$B" raft compare --state-dir "$S"
EVERY="fstatat openat" VERDICT=stdout sweep "compare of a directory of nodes" "raft compare" \
	nothing same_or_failed "$B" raft compare --state-dir "$S"
sweep verify "raft verify" nothing unchanged "$B" raft verify --state-dir "$S/s1"
# --live: the files read without their lock, each read settled (read
# again until two agree)
sweep "info --live" "raft info" nothing unchanged "$B" raft info --state-dir "$S/s1" --live
sweep "verify --live" "raft verify" nothing unchanged "$B" raft verify --state-dir "$S/s1" --live
clean "$B" raft verify --state-dir "$S" --json
EVERY="fstatat openat" sweep "verify --json of a directory of nodes" "raft verify" nothing \
	same_or_failed "$B" raft verify --state-dir "$S" --json
sweep "logs --payload json" "raft logs" nothing unchanged \
	"$B" raft logs --state-dir "$S/s1" --payload json
# compare's exit 1 is its verdict: a node it could not read is named in
# its report
VERDICT=stdout sweep compare "raft compare" nothing unchanged \
	"$B" raft compare --state-dir "$S/s1" --state-dir "$S/s3" --from-json "$tmp/in/s2.json"
sweep "restore --dry-run" "raft restore" nothing unchanged \
	"$B" raft restore --backup-dir "$BK" --dry-run
sweep "restore --dry-run onto a node" "raft restore" nothing unchanged \
	"$B" raft restore --backup-dir "$BK" --state-dir "$S/s1" --dry-run --force
sweep "recover --dry-run" "raft recover" nothing unchanged \
	"$B" raft recover --state-dir "$S/s2" "${NODES[@]}" --dry-run
sweep "compact --dry-run" "raft compact" nothing unchanged \
	"$B" raft compact --state-dir "$S/s1" --dry-run
sweep "generate --if-absent" "raft generate" nothing unchanged \
	"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$S" --node-id s3 --if-absent

# a read or pread cut short (failcall's OCI_FAIL_SHORT: half the bytes asked
# for, as a signal or a network file system may return) is read on: every
# call in turn, and each run prints exactly what the run without it prints
# (it found generate --if-absent calling identical files different; compare
# and logs read through the mapping alone; backup: test_io_faults.sh)
# each run against the clean one, which cut_short runs first ($crc, $tmp/clean)
clean_out() {
	"$@" </dev/null >"$tmp/clean" 2>/dev/null
	crc=$?
}
same_as_clean() {
	if [ "$rc" != "$crc" ] || ! cmp -s "$tmp/out" "$tmp/clean"; then
		bad "$1: exit $rc (clean: $crc): $(head -c 300 "$tmp/err") $(diff "$tmp/clean" "$tmp/out" | head -c 300)"
	fi
}
cut_short() { # NAME CMD...
	local name=$1
	shift
	clean_out "$@"
	short_sweep "$name" nothing same_as_clean "each printing what the clean run prints" "$@"
	unchanged "$name, reads cut short"
}
cut_short "info of a node op-conductor ran" "$B" raft info --state-dir "$tmp/in/lived" --json --full
cut_short "verify --json" "$B" raft verify --state-dir "$tmp/in/lived" --json
cut_short "restore --dry-run" "$B" raft restore --backup-dir "$BK" --dry-run
cut_short "generate --if-absent" "$B" raft generate "${NODES[@]}" --initial-leader s1 \
	--output-dir "$S" --node-id s3 --if-absent

# bootstrap cluster becomes the stand-in op-conductor, which records that it
# ran and whether the database files were free
build_fake_oc
export OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$tmp/fake/op-conductor FAKE_OC_RECORD=$tmp/rec
export FAKE_OC_LOCK=$S/s3/raft-log.db:$S/s3/raft-stable.db
boot_setup() { rm -f "$tmp"/rec*; }
boot_check() {
	unchanged "$1" || return 1
	if [ "$rc" = 0 ] && [ ! -e "$tmp/rec" ]; then
		bad "$1: exit 0 but op-conductor did not run"
		return 1
	elif [ "$rc" = 1 ] && [ -e "$tmp/rec.argv" ]; then
		bad "$1: exit 1 but op-conductor ran"
		return 1
	elif [ "$rc" = 0 ] && grep -q '^lock=.*:\(busy\|error\)$' "$tmp/rec"; then
		bad "$1: op-conductor found a database file locked: $(grep '^lock=' "$tmp/rec" | tr '\n' ' ')"
		return 1
	fi
}
sweep "bootstrap cluster" "bootstrap cluster" boot_setup boot_check \
	"$B" bootstrap cluster --raft.storage.dir "$S" --raft.server.id s3
# the op-conductor binary found in PATH (bootstrap's own search, as
# execvp's), the stand-in under that name in the second of two entries
mkdir -p "$tmp/path1"
unset OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN
PATH=$tmp/path1:$tmp/fake:$PATH sweep "bootstrap cluster, op-conductor from PATH" \
	"bootstrap cluster" boot_setup boot_check \
	"$B" bootstrap cluster --raft.storage.dir "$S" --raft.server.id s3

finish
