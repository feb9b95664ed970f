#!/usr/bin/env bash
# Proves that running out of memory is an error the command reports, never
# a crash, a verdict of damage, or a change to the state: every command
# (info in its forms, verify, compare, logs, backup, backup --compress,
# restore, recover, compact, generate, generate --config, bootstrap
# cluster's preflight) runs as a real process on real node directories
# (with configuration entries and snapshots, tests/cli/mknode.c) with
# tests/cli/failcall.c built with -DFAILCALL_ALLOC preloaded into the tool
# only, and EVERY call of malloc, calloc and realloc it makes (glibc's
# strdup, fopen, opendir, ... and zlib's and cJSON's allocations included)
# fails in turn (or 30 evenly spaced ones, OOM_SAMPLES), one per run, with ENOMEM (the sweep:
# tests/cli/iofaults.sh). After each run:
#   - the exit status is 0 or 1, never 2 or a signal; with 1, stderr is one
#     line "op-conductor-init: CMD: ..." that says the process ran out of
#     memory, and neither stdout nor stderr holds a verdict of damage
#     (INVALID, "does not decode", "does not verify", "no configuration",
#     "problem"): an operator would take a healthy node for a broken one;
#   - with 0 (an allocation the command can do without, such as a helper
#     thread's), a reading command printed exactly what it prints without a
#     fault;
#   - what it read is as it was (names, modes, sizes, times; and sha256 at
#     the end of each sweep); a command that changes state left the node
#     byte for byte the old one after exit 1 (restore, recover, compact),
#     no backup directory (backup), no output directory (generate), nothing
#     it makes for itself (a stage, a partial file, an empty keep
#     directory); bootstrap cluster became op-conductor exactly when it
#     exited 0.
# Before the fixes: verify called a configuration it could not decode for
# want of memory a damaged entry, compare marked a node it could not read
# INVALID (924040d), compare and info read a snapshot whose listing or
# state.bin they could not allocate for as absent or damaged.
# Not under the sanitizers: their allocator cannot be interposed this way.
#
# Env: OCI_BIN, OCI_SRC, OCI_BUILD.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iofaults.sh"
need_env OCI_BIN OCI_SRC OCI_BUILD
B=$OCI_BIN
if [ -n "${ASAN_OPTIONS:-}" ]; then
	echo "skipped under the sanitizers (their allocator is not interposable)"
	exit 0
fi
# many short runs: a tmpfs keeps them off the disk
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${OCI_IOFAULTS_TMPDIR:-/dev/shm}
make_tmp oci-oom
unset_env 'OP_CONDUCTOR_[A-Z_]*' 'FAKE_OC_[A-Z_]*'
iofaults_init alloc
build_mknode
M=$MKNODE
FAULTS="malloc:12 calloc:12 realloc:12"
# every call up to this many of a function, else this many evenly spaced
SAMPLES=${OOM_SAMPLES:-30}

# three nodes with configuration entries, s1 and s2 with snapshots
S=$tmp/in/c
mem=s1=127.0.0.1:7001,s2=127.0.0.1:7002,s3=127.0.0.1:7003
"$M" "$S/s1" --members "$mem" --snapshot 20:2:block:20 1-1:1:config 2-30:2:block 31-31:2:config >/dev/null &&
	"$M" "$S/s2" --members "$mem" --snapshot 25:2:block:25 1-1:1:config 2-28:2:block >/dev/null &&
	"$M" "$S/s3" --members "$mem" 1-1:1:config 2-32:2:block >/dev/null || {
	bad "mknode failed"
	finish
}
"$B" raft backup --state-dir "$S/s1" --backup-dir "$tmp/in/bk" >/dev/null || {
	bad "back up s1"
	finish
}
BK=$(echo "$tmp"/in/bk/raft-backup-*)
NODES=(--nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --server-ids s1,s2,s3)
printf '{"nodes":[{"id":"s1","address":"127.0.0.1:7001"},{"id":"s2","address":"127.0.0.1:7002"},{"id":"s3","address":"127.0.0.1:7003"}]}\n' \
	>"$tmp/in/cluster.json"

# the run's verdict: out of memory said in one line, never damage; after
# exit 0 the clean run's output ($CLEAN, when set)
DAMAGE='INVALID|does not decode|does not verify|no configuration|[0-9]+ problems?\b|"problems?":[[:space:]]*"'
CLEAN=
said() {
	if [ "$rc" = 1 ]; then
		if ! grep -Eqi 'out of memory|cannot allocate memory' "$tmp/err"; then
			bad "$1: exit 1 without saying it ran out of memory: $(head -c 300 "$tmp/err")"
			return 1
		fi
		if cat "$tmp/out" "$tmp/err" | grep -Eq "$DAMAGE"; then
			bad "$1: out of memory reported as damage: $(cat "$tmp/out" "$tmp/err" | grep -Em1 "$DAMAGE" | head -c 300)"
			return 1
		fi
	elif [ -n "$CLEAN" ] && ! cmp -s "$CLEAN" "$tmp/out"; then
		bad "$1: exit 0 with another output than without a fault: $(diff "$CLEAN" "$tmp/out" | head -c 300)"
		return 1
	fi
}
# clean NAME CMD...: the output of a run without a fault, in $tmp/clean.NAME
clean() {
	local name=$1
	shift
	"$@" </dev/null >"$tmp/clean.$name" 2>/dev/null || bad "$name: the run without a fault failed"
	CLEAN=$tmp/clean.$name
}

# what the reading commands read, all below $tmp/in: each run compares
# names, modes, sizes and times (a write changes them), each sweep also
# the sha256 of every file
quick() { find "$tmp/in" -printf '%p %y %m %s %T@\n' | LC_ALL=C sort; }
listing "$tmp/in" >"$tmp/before"
quick >"$tmp/quick.before"
read_check() {
	said "$1" || return 1
	quick >"$tmp/quick.after"
	if ! cmp -s "$tmp/quick.before" "$tmp/quick.after"; then
		bad "$1: what it read changed: $(diff "$tmp/quick.before" "$tmp/quick.after" | head -c 400)"
		return 1
	fi
}
nothing() { :; }
# rsweep NAME VERB CMD...: a reading command's sweep
rsweep() {
	local name=$1 verb=$2
	shift 2
	clean "$name" "$@"
	sweep "$name" "$verb" nothing read_check "$@"
	listing "$tmp/in" >"$tmp/after"
	cmp -s "$tmp/before" "$tmp/after" || bad "$name: what it read changed: $(diff "$tmp/before" "$tmp/after" | head -c 400)"
}

rsweep info "raft info" "$B" raft info --state-dir "$S/s1"
rsweep "info --json --full --entries all" "raft info" "$B" raft info --state-dir "$S/s1" --json --full --entries all
rsweep "info --json of a directory of nodes" "raft info" "$B" raft info --state-dir "$S" --json
rsweep verify "raft verify" "$B" raft verify --state-dir "$S/s1"
rsweep "verify of a directory of nodes" "raft verify" "$B" raft verify --state-dir "$S"
rsweep compare "raft compare" "$B" raft compare --state-dir "$S"
rsweep "logs --payload json" "raft logs" "$B" raft logs --state-dir "$S/s1" --payload json
rsweep "restore --dry-run" "raft restore" "$B" raft restore --backup-dir "$BK" --state-dir "$S/s1" --dry-run --force
rsweep "recover --dry-run" "raft recover" "$B" raft recover --state-dir "$S/s2" "${NODES[@]}" --dry-run
rsweep "generate --if-absent" "raft generate" \
	"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$S" --node-id s3 --if-absent

# the commands that write
CLEAN=
# generate: each node whole or absent, as for any failure part way
# (tests/cli/iofaults.sh gen_check)
gen_setup() { rm -rf "$tmp/g"; }
oom_gen_check() { said "$1" && gen_check "$1"; }
sweep generate "raft generate" gen_setup oom_gen_check \
	"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$tmp/g"
sweep "generate --config --cluster-json" "raft generate" gen_setup oom_gen_check \
	"$B" raft generate --config "$tmp/in/cluster.json" --initial-leader s1 --output-dir "$tmp/g" --cluster-json

# restore, recover, compact: a copy of s1 in $tmp/n/s1, byte for byte the
# old one after exit 1, one that verifies after exit 0
node_setup() {
	rm -rf "$tmp/n"
	mkdir -p "$tmp/n"
	cp -a "$S/s1" "$tmp/n/s1"
}
node_check() {
	said "$1" || return 1
	no_leftovers "$1" "$tmp/n" || return 1
	if [ "$rc" = 1 ]; then
		listing "$tmp/n/s1" >"$tmp/node.after"
		cmp -s "$tmp/node.before" "$tmp/node.after" || {
			bad "$1: exit 1 but the node changed: $(diff "$tmp/node.before" "$tmp/node.after" | head -c 300)"
			return 1
		}
	elif ! "$B" raft verify --state-dir "$tmp/n/s1" >/dev/null 2>&1; then
		bad "$1: exit 0 but the node does not verify"
		return 1
	fi
}
listing "$S/s1" >"$tmp/node.before"
sweep restore "raft restore" node_setup node_check \
	"$B" raft restore --backup-dir "$BK" --state-dir "$tmp/n/s1" --force
sweep recover "raft recover" node_setup node_check \
	"$B" raft recover --state-dir "$tmp/n/s1" "${NODES[@]}" --term 7
sweep compact "raft compact" node_setup node_check "$B" raft compact --state-dir "$tmp/n/s1"

# backup: no backup directory after exit 1
backup_setup() { rm -rf "$tmp/k"; }
backup_check() {
	said "$1" || return 1
	no_leftovers "$1" "$tmp/k" || return 1
	if [ "$rc" = 1 ] && [ -n "$(find "$tmp/k" -mindepth 1 -name 'raft-backup-*' 2>/dev/null)" ]; then
		bad "$1: the failed backup left $(find "$tmp/k" -mindepth 1 -printf '%P ')"
		return 1
	fi
	read_check "$1"
}
sweep backup "raft backup" backup_setup backup_check \
	"$B" raft backup --state-dir "$S/s1" --backup-dir "$tmp/k"
sweep "backup --compress" "raft backup" backup_setup backup_check \
	"$B" raft backup --state-dir "$S/s1" --backup-dir "$tmp/k" --compress

# bootstrap cluster becomes the stand-in op-conductor only after exit 0
build_fake_oc
export OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$tmp/fake/op-conductor FAKE_OC_RECORD=$tmp/rec
boot_setup() { rm -f "$tmp"/rec*; }
boot_check() {
	read_check "$1" || return 1
	if [ "$rc" = 0 ] && [ ! -e "$tmp/rec" ]; then
		bad "$1: exit 0 but op-conductor did not run"
		return 1
	elif [ "$rc" = 1 ] && [ -e "$tmp/rec" ]; then
		bad "$1: exit 1 but op-conductor ran"
		return 1
	fi
}
sweep "bootstrap cluster" "bootstrap cluster" boot_setup boot_check \
	"$B" bootstrap cluster --raft.storage.dir "$S" --raft.server.id s2
listing "$tmp/in" >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" || bad "the reading sweeps: what they read changed"

finish
