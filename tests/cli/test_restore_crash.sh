#!/usr/bin/env bash
# restore --force killed (SIGKILL) at random points, 50 times: every node of
# the target must hold exactly its old files or exactly the restored ones,
# and verify.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
output_style colon
B=$OCI_BIN
make_tmp oci-rcrash
T=$tmp
ARGS=(--nodes 127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103 --server-ids a,b,c --initial-leader a)
"$B" raft generate "${ARGS[@]}" --output-dir "$T/backed" >/dev/null || exit 1
"$B" raft backup --state-dir "$T/backed" --backup-dir "$T/bk" >/dev/null || exit 1
BK=$(ls -d "$T"/bk/raft-backup-*)
"$B" raft generate "${ARGS[@]}" --initial-term 9 --output-dir "$T/current" >/dev/null || exit 1
olds=0 news=0
same_node() { cmp -s "$1/raft-log.db" "$2/raft-log.db" && cmp -s "$1/raft-stable.db" "$2/raft-stable.db"; }
for i in $(seq 1 50); do
	rm -rf "$T/s"
	cp -a "$T/current" "$T/s"
	"$B" raft restore --backup-dir "$BK" --state-dir "$T/s" --force </dev/null >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 25)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for n in a b c; do
		if same_node "$T/s/$n" "$T/current/$n"; then
			olds=$((olds + 1))
		elif same_node "$T/s/$n" "$T/backed/$n"; then
			news=$((news + 1))
		else
			bad "kill $i: node $n holds neither its old nor its restored files"
			continue
		fi
		if "$B" raft verify --state-dir "$T/s/$n" >/dev/null 2>&1; then
			pass=$((pass + 1))
		else
			bad "kill $i: node $n does not verify"
		fi
	done
done
echo "node states after kills: $olds old, $news restored"
finish
