#!/usr/bin/env bash
# Proves what restore and generate --if-absent say about odd states that
# are not damage, each case one run of the real binary on real files:
#   - restore: a backup directory nested deeper than a backup ever is (the
#     depth limit of its walk), --state-dir a regular file, --node-id
#     naming another node than a node backup holds: exit 1, one line
#     naming the cause and the fix, nothing changed;
#   - generate --if-absent over a tree with cluster.json whose network,
#     initial term or initial leader differ from the flags: exit 1, a
#     sentence, then each difference ("-" what is there, "+" what this run
#     would write), nothing written; the same flags: exit 0, nothing to do.
#
#   - info of a node whose snapshots/ holds unfinished *.tmp directories
#     (raft's snapshot store leaves one when it dies mid-write) names the
#     newest and says there are more, and ignores them;
#   - --log.pid adds the pid to each logfmt, json and terminal record.
#
# Env: OCI_BIN, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SHARED
B=$OCI_BIN
make_tmp oci-odd
unset_env 'OP_CONDUCTOR_[A-Z_]*'

NODES=(--nodes 127.0.0.1:50050,127.0.0.1:50051,127.0.0.1:50052 --server-ids s1,s2,s3)
"$B" raft generate "${NODES[@]}" --initial-leader s1 --output-dir "$tmp/g" --network op-a \
	--cluster-json >/dev/null &&
	"$B" raft backup --state-dir "$tmp/g/s1" --backup-dir "$tmp/bk" >/dev/null || {
	bad "set up a cluster and a backup"
	finish
}
BK=$(echo "$tmp"/bk/raft-backup-*)
listing "$tmp/g" >"$tmp/g.before"

# expect NAME RC REGEX... -- CMD...: CMD exits RC, its stdout and stderr
# together match every REGEX (grep -E), with RC 1 stderr is one line (with
# LISTED=1: a sentence, then the list of differences) starting with the
# command's name (with RECORD=1: a log record), and the generated tree is
# as it was
expect() {
	local name=$1 want=$2 re=() r
	shift 2
	while [ "$1" != -- ]; do
		re+=("$1")
		shift
	done
	shift
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$name: exit $rc, want $want: $(head -c 400 "$tmp/err")"
		return
	fi
	if [ "$rc" = 1 ] && [ -z "${LISTED:-}" ] && [ "$(wc -l <"$tmp/err")" != 1 ]; then
		bad "$name: stderr is not one line: $(head -c 400 "$tmp/err")"
		return
	fi
	if [ "$rc" = 1 ] && [ -z "${RECORD:-}" ] &&
		! head -n 1 "$tmp/err" | grep -q '^op-conductor-init: raft [a-z]*: '; then
		bad "$name: stderr does not start with the command's sentence: $(head -c 400 "$tmp/err")"
		return
	fi
	for r in "${re[@]}"; do
		cat "$tmp/out" "$tmp/err" | grep -Eq -- "$r" || {
			bad "$name: the output lacks /$r/: $(cat "$tmp/out" "$tmp/err" | head -c 600)"
			return
		}
	done
	listing "$tmp/g" >"$tmp/g.after"
	cmp -s "$tmp/g.before" "$tmp/g.after" || {
		bad "$name: the generated tree changed"
		return
	}
	ok "$name"
}

cp -r "$BK" "$tmp/deep"
mkdir -p "$tmp/deep/a/b/c/d/e/f/g/h"
expect "restore: a backup nested too deep" 1 'nests directories too deep at a/b/c/d/e/f/g' \
	'restore another backup' -- "$B" raft restore --backup-dir "$tmp/deep" --dry-run
echo x >"$tmp/file"
expect "restore: --state-dir a regular file" 1 "cannot read $tmp/file: Not a directory" \
	'nothing was changed' -- "$B" raft restore --backup-dir "$BK" --state-dir "$tmp/file" --dry-run
expect "restore: --node-id another node than the backup's" 1 \
	'--node-id s2: backup .* holds only node s1 \(a node backup\); give --node-id s1 or leave it out' \
	-- "$B" raft restore --backup-dir "$BK" --state-dir "$tmp/t/s2" --node-id s2 --dry-run

G=("$B" raft generate "${NODES[@]}" --output-dir "$tmp/g" --cluster-json --if-absent)
LISTED=1 expect "generate --if-absent: another network" 1 'cluster.json: - network "op-a"' \
	'cluster.json: \+ network "op-b"' -- "${G[@]}" --initial-leader s1 --network op-b
LISTED=1 expect "generate --if-absent: another initial term" 1 's3: - current term 1' 's3: \+ current term 3' \
	'cluster.json: - initial_term 1' 'cluster.json: \+ initial_term 3' \
	-- "${G[@]}" --initial-leader s1 --network op-a --initial-term 3
LISTED=1 expect "generate --if-absent: another initial leader" 1 's2: \+ vote for "s2" in term 1' \
	'cluster.json: - initial_leader "s1"' 'cluster.json: \+ initial_leader "s2"' \
	-- "${G[@]}" --initial-leader s2 --network op-a
expect "generate --if-absent: the same flags" 0 'Nothing to do: .* already holds the state of 3 nodes' \
	-- "${G[@]}" --initial-leader s1 --network op-a

# unfinished snapshots beside the real ones
L=$tmp/lived/sequencer-1
mkdir -p "$tmp/lived"
cp -r "$OCI_SHARED/vectors/lived/three/sequencer-1" "$L"
chmod -R u+w "$L"
mkdir "$L/snapshots/2-998-1795355419998.tmp" "$L/snapshots/2-999-1795355419999.tmp"
expect "info: two unfinished snapshots" 0 \
	'2-999-1795355419999\.tmp  unfinished \(a \*\.tmp directory: raft ignores it\), and more beside it' \
	'2-527-1795355416795  index 527  term 2' -- "$B" raft info --state-dir "$L"
rmdir "$L/snapshots/2-998-1795355419998.tmp"
expect "info: one unfinished snapshot" 0 \
	'2-999-1795355419999\.tmp  unfinished \(a \*\.tmp directory: raft ignores it\)$' \
	-- "$B" raft info --state-dir "$L"

# --log.pid in each record format
for f in logfmt json terminal; do
	RECORD=1 expect "--log.format $f --log.pid" 1 '(pid=|"pid":)[0-9]+' '(cmd=|"cmd":)"raft info"' \
		-- "$B" raft info --state-dir "$tmp/nowhere" --log.format "$f" --log.pid
done

finish
