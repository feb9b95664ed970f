#!/usr/bin/env bash
# Proves that every command copes with a node directory whose path is near
# PATH_MAX (4,096 bytes with its NUL): the paths it builds from it (the
# database files, a stage ".s1.restore-tmp-XXXXXXXX", a kept
# ".s1.pre-restore-DATE", a backup's directory, cluster.json) may not fit,
# and must then be an error, never a cut path written to, a crash or a
# hang. Node directories named s1 sit at the end of a chain of directories
# made so that the path given on the command line (relative to the test's
# directory) is exactly L bytes long: 4,095, 4,000, 3,900, 3,840, every L
# from 3,826 down to 3,818 (node discovery takes at most RS_ND_FIND_MAX - 1
# = 3,823 bytes, raftstate/nodedir.h; generate's --output-dir leaves room
# for a server ID of 255 bytes), 3,800 and 3,700. info, info --json of the
# parent, verify, logs, compare, backup (of it, and into its parent),
# restore --dry-run, restore --force, recover, compact, generate
# --output-dir and bootstrap cluster run on it. Each run must exit 0 or 1
# within 60 s, or 2 with the one line "... is too long (N bytes)"; never a
# signal; with 1, one line "op-conductor-init: CMD: ..." on stderr (compare
# and verify may give their verdict on stdout instead); no sanitizer
# report; a writing run that exits 0 leaves a node that verifies.
#
# Env: OCI_BIN, OCI_SRC.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
B=$OCI_BIN
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${OCI_LONGPATH_TMPDIR:-/dev/shm}
make_tmp oci-longpath
unset_env 'OP_CONDUCTOR_[A-Z_]*' 'FAKE_OC_[A-Z_]*'
cd "$tmp" || exit 1

NODES=(--nodes 127.0.0.1:50050,127.0.0.1:50051,127.0.0.1:50052 --server-ids s1,s2,s3)
"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$tmp/base" >/dev/null &&
	"$B" raft backup --state-dir "$tmp/base/s1" --backup-dir "$tmp/bk" >/dev/null || {
	bad "set up a cluster and a backup"
	finish
}
BK=$(echo "$tmp"/bk/raft-backup-*)
build_fake_oc

# chain L: a relative path of exactly L bytes ending in "/s1" (components
# of at most 200 bytes); made, with the three nodes' parent holding s1
chain() {
	local len=$1 p=l$len left comp
	left=$((len - ${#p} - 3))
	while [ "$left" -gt 0 ]; do
		comp=$((left > 201 ? 200 : left - 1))
		[ "$comp" -ge 1 ] || { p=${p}x && left=$((left - 1)) && continue; }
		p=$p/$(printf "%${comp}s" | tr ' ' d)
		left=$((left - comp - 1))
	done
	printf '%s/s1' "$p"
}

# fill DIR: base/s1's files in DIR (made), copied from inside it, where a
# full path to the files may be longer than the kernel takes
fill() {
	mkdir -p "$1" && (cd "$1" && cp "$tmp"/base/s1/raft-*.db .)
}

runs=0 toolong=0
# check NAME VERB [verdict|write]: the rules for the run just made
check() {
	local what=$1 verb=$2 kind=${3:-}
	runs=$((runs + 1))
	if [ "$rc" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
		grep -q "^op-conductor-init: $verb: .* is too long ([0-9]* bytes)" "$tmp/err"; then
		toolong=$((toolong + 1))
		return 1
	elif [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		bad "$what: exit $rc: $(head -c 300 "$tmp/err")"
	elif grep -Eq 'Sanitizer|runtime error:' "$tmp/err"; then
		bad "$what: a sanitizer report: $(head -c 300 "$tmp/err")"
	elif [ "$rc" = 1 ] && [ "$kind" = verdict ] && [ ! -s "$tmp/err" ]; then
		return 0
	elif [ "$rc" = 1 ] && { [ "$(wc -l <"$tmp/err")" != 1 ] ||
		! grep -q "^op-conductor-init: $verb: " "$tmp/err"; }; then
		bad "$what: stderr is not one line 'op-conductor-init: $verb: ...': $(head -c 400 "$tmp/err")"
	else
		return 0
	fi
	return 1
}

# r CMD...: one run, bounded
r() {
	timeout 60 "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

verifies_at() { (cd "$1" && "$B" raft verify --state-dir . >/dev/null 2>&1); }

export OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$tmp/fake/op-conductor FAKE_OC_RECORD=$tmp/rec
failed=$fail
for len in 4095 4000 3900 3840 $(seq 3826 -1 3818) 3800 3700; do
	d=$(chain "$len")
	[ "${#d}" = "$len" ] || {
		bad "chain $len is ${#d} bytes"
		continue
	}
	parent=${d%/s1}
	rm -rf "l$len"
	fill "$d" || {
		bad "L=$len: cannot make the node"
		continue
	}
	w="L=$len"
	r "$B" raft info --state-dir "$d"
	check "$w: info" "raft info"
	r "$B" raft info --state-dir "$parent" --json
	check "$w: info --json of the parent" "raft info"
	r "$B" raft verify --state-dir "$d"
	check "$w: verify" "raft verify" verdict
	r "$B" raft logs --state-dir "$d"
	check "$w: logs" "raft logs"
	r "$B" raft compare --state-dir "$d" --state-dir "$tmp/base/s2"
	check "$w: compare" "raft compare" verdict
	r "$B" raft backup --state-dir "$d" --backup-dir "$tmp/k$len"
	check "$w: backup of it" "raft backup"
	r "$B" raft backup --state-dir "$tmp/base/s2" --backup-dir "$parent"
	check "$w: backup into it" "raft backup"
	r "$B" raft restore --backup-dir "$BK" --state-dir "$d" --dry-run --force
	check "$w: restore --dry-run" "raft restore"
	r "$B" raft restore --backup-dir "$BK" --state-dir "$d" --force
	check "$w: restore" "raft restore" && [ "$rc" = 0 ] && ! verifies_at "$d" &&
		bad "$w: restore exit 0, the node does not verify"
	r "$B" raft recover --state-dir "$d" "${NODES[@]}"
	check "$w: recover" "raft recover" && [ "$rc" = 0 ] && ! verifies_at "$d" &&
		bad "$w: recover exit 0, the node does not verify"
	r "$B" raft compact --state-dir "$d"
	check "$w: compact" "raft compact" && [ "$rc" = 0 ] && ! verifies_at "$d" &&
		bad "$w: compact exit 0, the node does not verify"
	r "$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$parent/g"
	check "$w: generate" "raft generate"
	r "$B" bootstrap cluster --raft.storage.dir "$parent" --raft.server.id s1
	check "$w: bootstrap cluster" "bootstrap cluster"
	rm -rf "l$len" "$tmp/k$len"
done
[ "$fail" = "$failed" ] && ok "$runs runs at 15 path lengths from 3,700 to 4,095 bytes: exit 0 or 1, one line, no crash; $toolong refused as too long (exit 2)"
finish
