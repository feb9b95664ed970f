#!/usr/bin/env bash
# Proves: `raft verify --threads N` prints exactly what one thread prints
# (stdout, stderr, exit code; text and --json) for every N, on
#   - every node of the shared vectors and of testdata/ (sound states);
#   - logs with a branch root (~3000 entries, so the walk is split into
#     parts: bolt/check.h "Parallel walk") that are broken at many places,
#     so that some defect sits on a part boundary and the merge has to
#     refuse (raftstate/verify.c part_merge: one-thread walk again) or list
#     the capped reports by their place in the whole log: gaps, a term
#     going down, blocks going backwards, more than 16 non-payload and
#     early-2024 entries, configuration entries below and above a snapshot.
# The split itself (parts opened and merged, each page's problems in their
# place) is proven at the bolt level by tests/bolt/test_writer.c.
#
# Env: OCI_BIN, OCI_SHARED, OCI_TESTDATA, OCI_BUILD.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SHARED OCI_TESTDATA OCI_BUILD
B=$OCI_BIN
make_tmp oci-vthreads
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_mknode
M=$MKNODE

# same DIR NAME [FLAGS...]: --threads 2, 3 and 4 against --threads 1
same() {
	local d=$1 name=$2 t rc1 rc
	shift 2
	timeout 120 "$B" raft verify --state-dir "$d" --threads 1 "$@" >"$tmp/o1" 2>"$tmp/e1"
	rc1=$?
	if [ "$rc1" -gt 1 ]; then
		bad "$name: verify --threads 1 exited $rc1: $(head -c 300 "$tmp/e1")"
		return
	fi
	for t in 2 3 4; do
		timeout 120 "$B" raft verify --state-dir "$d" --threads "$t" "$@" >"$tmp/o" 2>"$tmp/e"
		rc=$?
		if [ "$rc" = "$rc1" ] && cmp -s "$tmp/o1" "$tmp/o" && cmp -s "$tmp/e1" "$tmp/e"; then
			ok "$name $*: --threads $t prints what one thread prints (exit $rc)"
		else
			bad "$name $*: --threads $t differs from one thread (exit $rc vs $rc1): $(diff "$tmp/o1" "$tmp/o" | head -5)"
		fi
	done
}

# every sound node we have
n=0
while read -r log; do
	d=$(dirname "$log")
	case $d in */corrupt/*) continue ;; esac
	same "$d" "${d#"$OCI_SHARED"/}"
	n=$((n + 1))
done < <(find "$OCI_SHARED/vectors" "$OCI_TESTDATA" -name raft-log.db | sort)
[ "$n" -ge 10 ] && ok "$n vector nodes compared" || bad "only $n vector nodes found"

A=sequencer-headless.default.svc.cluster.local:50050
MEMBERS="sequencer-1=sequencer-1.$A,sequencer-2=sequencer-2.$A,sequencer-3=sequencer-3.$A"

# mk NAME [MKNODE ARGS...]: a node built by mknode; prints its directory
mk() {
	local d=$tmp/$1/sequencer-1
	shift
	"$M" "$d" --members "$MEMBERS" "$@" >/dev/null 2>"$tmp/mk.err" ||
		{ bad "mknode $*: $(head -c 300 "$tmp/mk.err")"; return 1; }
	printf '%s' "$d"
}

check_node() {
	local name=$1 d
	shift
	d=$(mk "$name" "$@") || return
	same "$d" "$name"
	same "$d" "$name" --json
}

# a sound log, and the same with a snapshot whose index is in the middle
check_node sound 1-1:1:config 2-3000:1:block
check_node snapshot --snapshot 1700:1:block:1700 1-1:1:config 2-3000:1:block
# its walk is split: more than one branch page
d=$tmp/sound/sequencer-1
br=$("$B" raft verify --state-dir "$d" | sed -n '/Log Store/,/entries:/s/.*pages: \([0-9]*\) branch.*/\1/p')
[ "${br:-0}" -ge 3 ] && ok "the sound log has $br branch pages (its walk is split)" ||
	bad "the sound log has ${br:-no} branch pages: the walk is not split"

# a gap at each of these places (raft reads it: an error)
for g in 2 90 175 333 512 1001 1499 1777 2222 2999; do
	check_node "gap$g" 1-1:1:config "2-$((g - 1)):1:block" "$((g + 1))-3000:1:block"
done
# 20 gaps: more than the 16 listed
r=(1-1:1:config)
for ((i = 0; i < 20; i++)); do r+=("$((i * 140 + 2))-$((i * 140 + 140)):1:block"); done
check_node gaps20 "${r[@]}"
# a gap below the snapshot (not read by raft: counted only) and one above
check_node gapsnap --snapshot 1500:1:block:1500 1-1:1:config 2-700:1:block 702-2100:1:block 2102-3000:1:block
# the term goes down at each of these places
for t in 3 250 1234 2500; do
	check_node "term$t" "1-$((t - 1)):2:block" "$t-3000:1:block"
done
# blocks go backwards (more than 16 times), at two places
check_node back 1-1:1:config 2-1500:1:block:5000 1501-3000:1:block
check_node back2 1-1:1:config 2-900:1:block:3000 901-2000:1:block 2001-3000:1:block:-1500
# entries that are no payload / the early-2024 form, spread over the log
r=(1-1:1:config)
for ((i = 0; i < 12; i++)); do
	r+=("$((i * 240 + 2))-$((i * 240 + 238)):1:block" "$((i * 240 + 239))-$((i * 240 + 239)):1:junk" "$((i * 240 + 240))-$((i * 240 + 241)):1:legacy")
done
r+=("2882-3000:1:block")
check_node mixed "${r[@]}"
check_node junk 1-1:1:config 2-1000:1:block 1001-1040:1:junk 1041-2000:1:block 2001-2030:1:legacy 2031-3000:1:block
# configuration entries below the snapshot (shadowed) and above it, noops
check_node configs --snapshot 1500:1:block:1500 --snapshot-members "sequencer-1=sequencer-1.$A" \
	1-1:1:config 2-999:1:block 1000-1000:1:config 1001-1600:1:block 1601-1601:1:noop \
	1602-2400:1:block 2401-2401:1:config 2402-3000:1:block
# a log only of entries no payload decodes (another FSM's)
check_node otherfsm 1-1:1:config 2-3000:1:junk

finish
