#!/usr/bin/env bash
# info's fast scan (raftstate/summary.c: the entries after the snapshot
# index read by pread on two threads, from each entry's first and last
# bytes) gives exactly what the scan through the mapping gives, field by
# field (tests/cli/scanboth.c), on every node of testdata/ and ../shared's
# vectors, and on nodes built by tests/cli/mknode.c in the shapes where the
# two could part: large entries over many leaves (both threads), a
# configuration after the snapshot (the newest 256 commands in full, the
# rest by block number), rewinds, entries that are no payload, the early-2024
# form, noops, gaps, no snapshot, a snapshot past the log's end, and small
# entries many to a leaf. On the large shapes the fast scan must have run
# (preads counted), and `raft info` prints the same bytes as before it.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_BUILD
B=$OCI_BIN
make_tmp oci-infofast
build_mknode
M=$MKNODE
S=$OCI_BUILD/scanboth
[ -x "$S" ] || bad "tests/cli/scanboth.c is not built at $S"
MEM3=sequencer-1=127.0.0.1:50051,sequencer-2=127.0.0.1:50052,sequencer-3=127.0.0.1:50053

# mk NAME ARGS...: a node $tmp/NAME/sequencer-1 from mknode
mk() {
	local name=$1
	shift
	"$M" "$tmp/$name/sequencer-1" --members "$MEM3" "$@" >/dev/null || bad "mknode $name $*"
}

mk big --tx-bytes 20000 1-1:1:config 2-400:1:block3 401-600:2:block --snapshot 300:2:block:300
mk config-after --tx-bytes 6000 1-1:1:config 2-300:1:block 301-301:2:config 302-900:2:block --snapshot 250:2:block:250
mk rewind --tx-bytes 8000 1-1:1:config 2-600:1:block 601-610:2:junk 611-615:2:legacy:1000 616-620:2:noop 621-900:2:block:-500 --snapshot 150:1:block:150
mk rewind-nosnap --tx-bytes 8000 1-1:1:config 2-300:1:block 301-700:2:block3:-250 701-703:2:junk
mk gaps --tx-bytes 9000 1-1:1:config 2-500:1:block --snapshot 200:1:block:200 --delete 20-60
mk gap-after --tx-bytes 9000 1-1:1:config 2-500:1:block --snapshot 200:1:block:200 --delete 300-310
mk past-end --tx-bytes 9000 1-1:1:config 2-300:1:block --snapshot 400:1:block:400
mk small 1-1:1:config 2-3000:1:block 3001-3001:2:config 3002-6000:2:block3 --snapshot 2500:1:block:2500
mk small-nocfg 1-1:1:config 2-6000:1:block --snapshot 2500:1:block:2500
mk equal --tx-bytes 9000 1-1:1:config 2-300:1:block 301-400:2:block:-100 --snapshot 100:1:block:100
# op-conductor's shape in small: entries of ~20 KB, two to a leaf, most of
# them before the snapshot (counted from the branch keys, not read)
mk counted --tx-bytes 20000 1-1:1:config 2-1500:1:block 1501-1600:2:block --snapshot 1400:2:block:1400

dirs=()
for d in "$tmp"/*/sequencer-1; do dirs+=("$d"); done
for d in "$OCI_TESTDATA"/opconductor/*/sequencer-* "$OCI_TESTDATA"/gen/*/sequencer-* \
	"${OCI_SHARED:-/nonexistent}"/vectors/gen/*/sequencer-* \
	"${OCI_SHARED:-/nonexistent}"/vectors/corrupt/*/sequencer-* \
	"${OCI_SHARED:-/nonexistent}"/vectors/lived/*/sequencer-*; do
	[ -d "$d" ] && dirs+=("$d")
done
"$S" "${dirs[@]}" >"$tmp/both.out" 2>&1
rc=$?
eq "scanboth exit over ${#dirs[@]} nodes" "$rc" 0
[ $rc = 0 ] || sed -n '1,60p' "$tmp/both.out" >&2
n=$(grep -c ': same' "$tmp/both.out")
eq "every node: the fast scan's answer is the mapped scan's" "$n" "${#dirs[@]}"
for name in big config-after rewind rewind-nosnap gaps gap-after small small-nocfg equal counted; do
	grep -q "^$tmp/$name/sequencer-1: same, fast [1-9]" "$tmp/both.out" &&
		ok "$name: the fast scan ran" || bad "$name: $(grep "/$name/" "$tmp/both.out")"
done

# the leaves before the snapshot are counted without a read: two 8-byte keys
# one or two apart hold that many entries (summary.c keys_known, bbolt's
# split and rebalance rules); 200 entries after the snapshot take ~200
# preads, one a leaf before it would be 700 more
p=$(sed -n "s|^$tmp/counted/sequencer-1: same, fast \([0-9]*\) preads .*|\1|p" "$tmp/both.out")
[ -n "$p" ] && [ "$p" -lt 400 ] && ok "counted: $p preads for 200 entries after the snapshot and 1400 before" ||
	bad "counted: ${p:-no} preads (the leaves before the snapshot were read)"
"$B" raft info --state-dir "$tmp/counted/sequencer-1" >"$tmp/out" 2>&1
grep -q "^  Log:           1..1600 (1600 entries)" "$tmp/out" && ok "counted: info counts 1600 entries" ||
	bad "counted: $(grep 'Log:' "$tmp/out")"

# a log cached 4 KB at a time (as bbolt's mmap leaves it) with 1 MB of it
# evicted where the scan's first thread starts: the miss makes the reader
# cold (summary.c then asks for the leaves ahead, posix_fadvise WILLNEED,
# and reads by pread), and reads that find all their bytes make it warm
# again (bolt/leafread.c, BOLT_COLD_CLEAR): ~1,700 hints here; a reader that
# stayed cold to the end made ~4,900 (3 for each leaf after the miss)
mk evicted --tx-bytes 20000 1-1:1:config 2-4400:1:block --snapshot 300:1:block:300
L=$tmp/evicted/sequencer-1/raft-log.db
[ -x "$OCI_BUILD/pagecache" ] || bad "bench/pagecache.c is not built at $OCI_BUILD/pagecache"
sync "$L" && "$OCI_BUILD/pagecache" warm4k "$L" || bad "cannot read $L into the page cache"
# entry ~330 of 4,400, written in order: the first leaves after the snapshot
at=$(($(stat -c %s "$L") * 75 / 1000 / 4096 * 4096))
dd if="$L" of=/dev/null iflag=nocache,skip_bytes,count_bytes skip="$at" count=1048576 status=none ||
	bad "dd cannot drop 1 MB of $L from the page cache"
"$S" "$tmp/evicted/sequencer-1" >"$tmp/evicted.out" 2>&1 || bad "scanboth evicted: $(cat "$tmp/evicted.out")"
h=$(sed -n "s|^.*/evicted/sequencer-1: same, fast [0-9]* preads \([0-9]*\) hints$|\1|p" "$tmp/evicted.out")
if [ "${h:-0}" = 0 ] && [ "$(fincore -nb -o RES "$L" 2>/dev/null)" = "$(stat -c %s "$L")" ]; then
	echo "skip: evicted: this file system keeps every page cached (tmpfs?): the cold path is not reached"
else
	[ -n "$h" ] && [ "$h" -gt 0 ] && [ "$h" -lt 3000 ] &&
		ok "evicted: $h hints after a 1 MB miss among 2,050 leaves" ||
		bad "evicted: ${h:-no} hints ($(cat "$tmp/evicted.out"))"
fi

# what info prints of the rewind: the head is the first of the highest
"$B" raft info --state-dir "$tmp/rewind/sequencer-1" >"$tmp/out" 2>&1
grep -q "^  Unsafe head:   600 " "$tmp/out" && ok "rewind: info names block 600" ||
	bad "rewind: $(grep -A1 'Unsafe head' "$tmp/out")"

# reads leave the log's access time alone (bolt/view.c opens the view
# O_NOATIME, which spares each of the scan's preads the relatime check):
# an access time older than the file's change would be moved to now
L=$tmp/big/sequencer-1/raft-log.db
touch -a -d '2001-02-03 04:05:06' "$L" || bad "cannot set the access time of $L"
before=$(stat -c %X "$L")
"$B" raft info --state-dir "$tmp/big/sequencer-1" >"$tmp/out" 2>&1 || bad "info big: $(cat "$tmp/out")"
"$B" raft info --state-dir "$tmp/big/sequencer-1" --json --entries all >"$tmp/out" 2>&1 ||
	bad "info big --entries all: $(head -c 300 "$tmp/out")"
eq "info leaves raft-log.db's access time as it was" "$(stat -c %X "$L")" "$before"
finish
