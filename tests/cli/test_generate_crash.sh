#!/usr/bin/env bash
# generate --force killed (SIGKILL) at random points, 60 times: every node
# must hold exactly the old pair of files or exactly the new pair, never one
# of each, and the result must verify.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
output_style colon
B=$OCI_BIN
make_tmp oci-crash
T=$tmp
ARGS=(--nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --server-ids a,b,c --initial-leader a)
"$B" raft generate "${ARGS[@]}" --output-dir "$T/old" >/dev/null || exit 1
"$B" raft generate "${ARGS[@]}" --initial-term 5 --output-dir "$T/new" >/dev/null || exit 1
olds=0 news=0
for i in $(seq 1 60); do
	rm -rf "$T/s"
	cp -a "$T/old" "$T/s"
	"$B" raft generate "${ARGS[@]}" --initial-term 5 --output-dir "$T/s" --force >/dev/null 2>&1 &
	pid=$!
	# spread the kills over the run: 0 to ~12 ms
	sleep "0.$(printf '%03d' $((RANDOM % 13)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for n in a b c; do
		if cmp -s "$T/s/$n/raft-log.db" "$T/old/$n/raft-log.db" &&
			cmp -s "$T/s/$n/raft-stable.db" "$T/old/$n/raft-stable.db"; then
			olds=$((olds + 1))
		elif cmp -s "$T/s/$n/raft-log.db" "$T/new/$n/raft-log.db" &&
			cmp -s "$T/s/$n/raft-stable.db" "$T/new/$n/raft-stable.db"; then
			news=$((news + 1))
		else
			bad "kill $i: node $n holds neither the old nor the new pair"
			continue
		fi
		if "$B" raft verify --state-dir "$T/s/$n" >/dev/null 2>&1; then
			pass=$((pass + 1))
		else
			bad "kill $i: node $n does not verify"
		fi
	done
done
# a later run cleans up what a killed run left beside the node directories
"$B" raft generate "${ARGS[@]}" --initial-term 5 --output-dir "$T/s" --force >/dev/null || fail=$((fail + 1))
if ls -A "$T/s" | grep -q '\.gen-'; then
	bad "stale staging directories remain: $(ls -A "$T/s")"
else
	pass=$((pass + 1))
fi
echo "node states after kills: $olds old, $news new"
finish
