#!/usr/bin/env bash
# Proves: plain `raft info` stays within issue 4's heap bound (16 MiB) on a
# log whose entries after the snapshot index are many more than op-conductor
# keeps (a node whose snapshots keep failing): 250,000 small entries after a
# snapshot at 5,000. The fast scan (raftstate/summary.c) keeps a bounded
# number of facts a thread and reads a longer log the old way; with 2^17
# facts a thread its peak was 19.5 MB here (massif), above the bound.
# The heap is measured by valgrind's massif (peak of the heap, not the file
# mapping); a sanitizer build cannot run under valgrind and is skipped.
#
# Env: OCI_BIN, OCI_BUILD.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD
B=$OCI_BIN
make_tmp oci-infoheap
build_mknode
M=$MKNODE
LIMIT=$((16 * 1024 * 1024))

if grep -qa __asan_init "$B"; then
	ok "heap: not measured under a sanitizer build (valgrind cannot run it)"
	finish
fi
command -v valgrind >/dev/null || { bad "valgrind is not installed (./run.sh installs it)"; finish; }

A=sequencer-headless.default.svc.cluster.local:50050
d=$tmp/n/sequencer-1
"$M" "$d" --members "sequencer-1=sequencer-1.$A" --batch 25000 \
	--snapshot 5000:1:block:5000 5001-255000:2:block >/dev/null 2>"$tmp/mk.err" ||
	{ bad "mknode: $(head -c 300 "$tmp/mk.err")"; finish; }

# the answer first: every entry after the snapshot index is counted
"$B" raft info --state-dir "$d" >"$tmp/out" 2>"$tmp/err"
rc=$?
eq "info exits 0" "$rc" 0
grep -q '5001\.\.255000 (250000 entries)' "$tmp/out" && ok "info counts the 250000 entries after the snapshot" ||
	bad "info: $(grep 'Log:' "$tmp/out") $(head -c 200 "$tmp/err")"

valgrind --tool=massif --massif-out-file="$tmp/massif" "$B" raft info --state-dir "$d" \
	>"$tmp/out2" 2>"$tmp/vg.err" || { bad "info under valgrind: $(tail -n 3 "$tmp/vg.err")"; finish; }
cmp -s "$tmp/out" "$tmp/out2" && ok "the same answer under valgrind" || bad "info's output differs under valgrind"
peak=$(awk -F= '/^mem_heap_B=/ { if ($2 > m) m = $2 } END { print m + 0 }' "$tmp/massif")
[ "$peak" -gt 0 ] && [ "$peak" -le "$LIMIT" ] &&
	ok "info's heap peaks at $peak bytes (<= 16 MiB)" ||
	bad "info's heap peaks at $peak bytes, above 16 MiB (issue 4's bound)"
finish
