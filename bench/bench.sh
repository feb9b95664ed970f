#!/usr/bin/env bash
# bench/bench.sh [BIN] — the `just bench` benchmark (method: docs/testing.md, "Benchmark").
#
# 1. Builds the Go interop harness on op-conductor's raft stack
#    (tests/interop/build-harness.sh raft-1.7.2: raft v1.7.2, raft-boltdb/v2,
#    bbolt v1.3.5), the snapshot helper (bench/mksnap.go) and two small C
#    helpers (bench/pagecache.c, bench/crc32file.c).
# 2. Generates once (cached under $BENCH_OUT/data/, keyed by the parameters)
#    one node directory per SHAPE, every raft-log.db written by that stack
#    (`oci-harness-raft-1.7.2 biglog`: raft-boltdb/v2 StoreLogs, AppendedAt set
#    as raft v1.7's leader sets it, DeleteRange as raft's compaction), with a
#    FileSnapshotStore snapshot (bench/mksnap.go) and raft-stable.db (our
#    `raft generate`); the Go stack checks each once (`oci-harness check`):
#      k4      245,000 entries of ~4 KB random bytes (the issue-4 shape)
#      k50     20,000 op-conductor envelopes of ~50 KB
#      v34     245,000 op-conductor V3/V4 envelopes of ~1.4 KB (no filler)
#      opcdef  op-conductor's defaults: envelopes of ~50 KB, a snapshot 8,192
#              entries before the end (SnapshotThreshold), 10,240 entries kept
#              before it (TrailingLogs), no configuration after it
#      free    the mostly-free node (95 % free pages), for backup --live
# 3. For each shape and each page-cache state, measures interleaved round by
#    round (A B C, A B C, ...), medians and same-run ratios:
#      large  the files dropped (posix_fadvise DONTNEED), then read by `cat`:
#             cached in large folios
#      4k     the files dropped, then read 4 KB at a time without readahead
#             (pagecache warm4k): cached in 4 KB folios, as bbolt's mmap
#             (MADV_RANDOM) leaves them
#    `pagecache stat` prints, before and after each block, how much of the log
#    is resident and in large folios. Commands: cat, verify (2 CPUs, and 1 CPU
#    by taskset), the Go reference reader (raft v1.7.2 stack), info, compare of
#    3 nodes of the shape; backup, restore, cp, cp + sync (BENCH_BACKUP_SHAPES);
#    cold (dropped before each run): cat and info. Then backup --compress
#    (2 CPUs and 1 CPU) vs gzip -6 and cp + sync, backup --live of the mostly-free
#    node while a writer holds its lock, raft logs, and peak memory.
# Writes the tables to stdout, to $BENCH_OUT/results.md and into bench/RESULTS.md
# (its latest-run block; BENCH_WRITE_RESULTS=0 skips that). Exits 1 when any of
# our commands fails or verify does not say VALID on a shape.
#
# Environment:
#   BENCH_QUICK (0)          1: shapes 100 x smaller, one round of everything, no
#                            massif, no raft logs rows, RESULTS.md untouched, any
#                            build type: the CTest `bench/quick` (seconds)
#   BENCH_OUT (.bench)       harness, datasets, results (quick: .bench/quick)
#   BENCH_HARNESS_DIR        where the Go harness is built (default $BENCH_OUT/harness)
#   BENCH_SHAPES ("k4 k50 v34 opcdef")  which shapes to measure
#   BENCH_STATES ("large 4k") which warm page-cache states
#   BENCH_ROUNDS (7)         rounds for the file-reading commands (>= 5 unless quick)
#   BENCH_INFO_ROUNDS (21)   rounds for info and compare
#   BENCH_COLD_ROUNDS (5)    rounds of cold cat / cold info
#   BENCH_BACKUP_ROUNDS (5)  rounds of backup / restore / cp / cp + sync
#   BENCH_BACKUP_SHAPES ("k4 opcdef")  shapes whose backup is measured (both states; empty: none)
#   BENCH_COMPRESS_ROUNDS (3) rounds of backup --compress; BENCH_COMPRESS_SHAPE (v34)
#   BENCH_SEED (7)  BENCH_MASSIF (1)  BENCH_GO_CHECK (1)  BENCH_LOGS (1)
#   BENCH_SETTLE (1; quick 0) seconds of pause after each delete in the backup
#                            rounds (the file system's discards of the freed blocks)
#   BENCH_RT (0)             1: once the datasets exist, the bench shell and so
#                            every timed command (ours and the references) runs
#                            at SCHED_FIFO priority 1 (root only), so on a machine
#                            shared with other work each gets the CPUs it asks
#                            for; the results say so
#
# Adding a case: a shape is one line of shape_args (biglog flags) and one of
# shape_snap; a command measured on every shape and state is one run_timed line
# in measure_warm plus one row line in report_shape (see bench/RESULTS.md's
# "How to add a case").
set -euo pipefail
export LC_ALL=C

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
bin=${1:-build/op-conductor-init}
case $bin in /*) ;; *) bin=$src/$bin ;; esac
quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
	out=${BENCH_OUT:-$src/.bench/quick}
	rounds=${BENCH_ROUNDS:-1} info_rounds=${BENCH_INFO_ROUNDS:-1} cold_rounds=${BENCH_COLD_ROUNDS:-1}
	backup_rounds=${BENCH_BACKUP_ROUNDS:-1} compress_rounds=${BENCH_COMPRESS_ROUNDS:-1}
	scale=100 BENCH_SETTLE=${BENCH_SETTLE:-0}
else
	out=${BENCH_OUT:-$src/.bench}
	rounds=${BENCH_ROUNDS:-7} info_rounds=${BENCH_INFO_ROUNDS:-21} cold_rounds=${BENCH_COLD_ROUNDS:-5}
	backup_rounds=${BENCH_BACKUP_ROUNDS:-5} compress_rounds=${BENCH_COMPRESS_ROUNDS:-3}
	scale=1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
hdir=${BENCH_HARNESS_DIR:-$out/harness}
shapes=${BENCH_SHAPES:-k4 k50 v34 opcdef}
states=${BENCH_STATES:-large 4k}
backup_shapes=${BENCH_BACKUP_SHAPES-k4 opcdef} # set and empty: none
compress_shape=${BENCH_COMPRESS_SHAPE:-v34}
seed=${BENCH_SEED:-7}

say() { echo "bench: $*" >&2; }
die() {
	echo "bench: error: $*" >&2
	exit 1
}
if [ "${BENCH_RT:-0}" = 1 ]; then
	chrt -f 1 true 2>/dev/null || die "BENCH_RT=1: cannot run under chrt -f 1 (root only)"
fi

if [ "$quick" != 1 ]; then
	[ "$rounds" -ge 5 ] && [ "$info_rounds" -ge 5 ] && [ "$cold_rounds" -ge 5 ] && [ "$backup_rounds" -ge 5 ] ||
		die "BENCH_*ROUNDS must be at least 5 (medians of >= 5 runs); BENCH_QUICK=1 for a quick try"
fi
for s in $shapes; do case $s in k4 | k50 | v34 | opcdef) ;; *) die "BENCH_SHAPES: unknown shape '$s' (k4 k50 v34 opcdef)" ;; esac done
for s in $states; do case $s in large | 4k) ;; *) die "BENCH_STATES: unknown state '$s' (large 4k)" ;; esac done
[ -x "$bin" ] || die "$bin not found: run 'just build' first (a RelWithDebInfo/Release build)"
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$bin")/CMakeCache.txt" 2>/dev/null || true)
if [ "$quick" != 1 ]; then
	if ldd "$bin" 2>/dev/null | grep -Eq 'lib(a|ub|t)san'; then
		die "$bin is a sanitizer build; benchmark a RelWithDebInfo/Release build (just build)"
	fi
	case $btype in
	Release | RelWithDebInfo | MinSizeRel) ;;
	*) die "$bin was built with CMAKE_BUILD_TYPE='$btype'; benchmark a RelWithDebInfo/Release build" ;;
	esac
fi

# Every yardstick writes to /dev/null: if something replaced the device by a
# regular file (a tool that renames its output over a path given as
# /dev/null), cat and gzip would time writes into a file, 3-4x slower (seen on
# the shared machine on 2026-12-07). Checked here and again at the end.
devnull_ok() { [ -c /dev/null ]; }
devnull_ok || die "/dev/null is not a character device ($(stat -c %F /dev/null)): the yardsticks would write into a file; restore it (mknod -m 666 /dev/null.new c 1 3 && mv -f /dev/null.new /dev/null, as root)"

# ---------------------------------------------------------------- tools ----
# exit 77 (skip) passes through: no Go, or no module proxy
rc=0
bash "$src/tests/interop/build-harness.sh" "$hdir" raft-1.7.2 2>"$out/build-harness.err" || rc=$?
if [ "$rc" != 0 ]; then
	cat "$out/build-harness.err" >&2
	[ "$rc" = 77 ] && [ "${CI:-}" != true ] && { say "SKIP: the raft-1.7.2 Go harness cannot be built"; exit 77; }
	die "cannot build the raft-1.7.2 Go harness (exit $rc)"
fi
H=$hdir/oci-harness-raft-1.7.2
go=${OCI_GO:-$(command -v go || echo /usr/local/go/bin/go)}
mksnap=$out/tools/mksnap
mkdir -p "$out/tools"
if [ ! -x "$mksnap" ] || [ "$src/bench/mksnap.go" -nt "$mksnap" ]; then
	say "building $mksnap"
	(cd "$src/bench" && GO111MODULE=off GOFLAGS= GOPROXY=off GOCACHE="$hdir/gocache" CGO_ENABLED=0 \
		"$go" build -o "$mksnap.tmp" mksnap.go) && mv -f "$mksnap.tmp" "$mksnap" || die "cannot build bench/mksnap.go with $go"
fi
ctool() { # ctool NAME LIBS...: $out/tools/NAME from bench/NAME.c
	local t=$out/tools/$1 n=$1
	shift
	if [ ! -x "$t" ] || [ "$src/bench/$n.c" -nt "$t" ]; then
		say "building $t"
		${CC:-cc} -O2 -o "$t.tmp" "$src/bench/$n.c" "$@" && mv -f "$t.tmp" "$t" || die "cannot build bench/$n.c"
	fi
}
ctool crc32file -lz
ctool pagecache -pthread
crcref=$out/tools/crc32file
PC=$out/tools/pagecache

# -------------------------------------------------------------- datasets ----
# shape_args SHAPE: biglog's flags (counts divided by $scale in quick mode)
d() { echo $(($1 / scale)); }
shape_args() {
	case $1 in
	k4) echo "--entries $(d 250000) --keep $(d 245000) --size 4000 --payload random --term-every $(d 50000) --barrier-every $(d 10000) --config-every $(d 100000)" ;;
	k50) echo "--entries $(d 21000) --keep $(d 20000) --size 50000 --payload opc --term-every $(d 5000) --barrier-every $(d 1000) --config-every $(d 10000)" ;;
	v34) echo "--entries $(d 250000) --keep $(d 245000) --size 1400 --payload opc --term-every $(d 50000) --barrier-every $(d 10000) --config-every $(d 100000)" ;;
	# op-conductor v1.19.6's defaults (op-conductor/flags/flags.go): raft.snapshot-threshold
	# 8192, raft.trailing-logs 10240. raft v1.7's compactLogs (snapshot.go) deletes up to
	# min(snapshot, last - TrailingLogs); just before the next snapshot the log holds the
	# 10,240 entries before the snapshot and the 8,192 after it.
	opcdef) echo "--entries $(d 20000) --keep $(($(d 8192) + $(d 10240))) --size 50000 --payload opc" ;;
	free) echo "--entries $(d 120000) --keep $(d 6000) --size 4000 --payload random --term-every $(d 50000) --barrier-every $(d 10000) --config-every $(d 100000)" ;;
	esac
}
# shape_snap SHAPE: the snapshot index (empty: entries - keep, the last removed entry)
shape_snap() { case $1 in opcdef) echo $(($(d 20000) - $(d 8192))) ;; esac }
shape_desc() {
	case $1 in
	k4) echo "245k x ~4 KB random payloads" ;;
	k50) echo "20k x ~50 KB op-conductor envelopes" ;;
	v34) echo "245k x ~1.4 KB op-conductor V3/V4 envelopes" ;;
	opcdef) echo "op-conductor default: 18,432 x ~50 KB envelopes, snapshot 8,192 before the end" ;;
	free) echo "mostly free (120k written, 6k kept)" ;;
	esac
}
appended_ms=1746806401000 # Isthmus on mainnet, 2025-05-09 16:00:01 UTC

# make_node SHAPE: $out/data/SHAPE-<key>/sequencer-1 (printed), cluster3/ (3 hard links)
make_node() {
	local shape=$1 args snap key dd node
	read -ra args <<<"$(shape_args "$shape") --seed $seed --appended-at-ms $appended_ms"
	snap=$(shape_snap "$shape")
	key=$(echo "${args[*]} snap=$snap $(sha256sum "$src/tests/interop/harness/biglog.go" "$src/tests/interop/harness/payload.go" "$src/bench/mksnap.go" | cut -c1-16)" | sha256sum | cut -c1-12)
	dd=$out/data/$shape-$key
	node=$dd/sequencer-1
	if [ -f "$dd/.done" ]; then
		echo "$node"
		return
	fi
	rm -rf "$dd"
	mkdir -p "$node"
	local n k fl=() ms=()
	n=$(echo "${args[*]}" | sed 's/.*--entries \([0-9]*\).*/\1/')
	k=$(echo "${args[*]}" | sed 's/.*--keep \([0-9]*\).*/\1/')
	[ -n "$snap" ] || snap=$((n - k))
	[[ " ${args[*]} " = *" --payload opc "* ]] && fl=(--state-out "$dd/state.bin" --state-at "$snap") ms=(--state "$dd/state.bin")
	say "generating the $shape dataset in $dd (once): oci-harness-raft-1.7.2 biglog ${args[*]}"
	"$H" biglog --out "$node/raft-log.db" "${args[@]}" "${fl[@]}" >"$dd/biglog.json" || die "biglog failed"
	echo "oci-harness-raft-1.7.2 biglog ${args[*]}" >"$dd/biglog.args"
	local mk=(--dir "$node" --entries "$n" --keep "$k" --snap-index "$snap" "${ms[@]}")
	for f in term-every barrier-every config-every; do
		[[ " ${args[*]} " = *" --$f "* ]] && mk+=(--"$f" "$(echo "${args[*]}" | sed "s/.*--$f \([0-9]*\).*/\1/")")
	done
	local last_term
	last_term=$("$mksnap" "${mk[@]}" | tee "$dd/mksnap.out" | sed -n 's/^last_term //p')
	[ -n "$last_term" ] || die "mksnap failed"
	rm -f "$dd/state.bin"
	local a=sequencer-headless.default.svc.cluster.local:50050
	"$bin" raft generate --nodes "sequencer-1.$a,sequencer-2.$a,sequencer-3.$a" \
		--server-ids sequencer-1,sequencer-2,sequencer-3 --initial-leader sequencer-1 \
		--initial-term "$last_term" --output-dir "$dd/gen" >/dev/null || die "raft generate failed"
	mv "$dd/gen/sequencer-1/raft-stable.db" "$node/raft-stable.db"
	rm -rf "$dd/gen"
	mkdir -p "$dd/cluster3"
	for i in 1 2 3; do cp -al "$node" "$dd/cluster3/sequencer-$i"; done
	if [ "${BENCH_GO_CHECK:-1}" = 1 ]; then
		say "checking the $shape node with the Go stack (oci-harness check: bbolt tx.Check, raft-boltdb GetLog of every index, snapshot CRC, NewRaft invariants, read-write reopen of a copy)"
		if TMPDIR=$dd "$H" check "$node" >"$dd/go-check.json" 2>"$dd/go-check.err"; then
			echo "ok" >"$dd/go-check.verdict"
		elif grep -q 'after read-write reopen of a copy' "$dd/go-check.err"; then
			echo "read-only checks ok; the read-write reopen step failed: $(head -n1 "$dd/go-check.err" | sed "s|$dd/||g")" >"$dd/go-check.verdict"
		else
			echo "FAILED: $(head -n1 "$dd/go-check.err" | sed "s|$dd/||g")" >"$dd/go-check.verdict"
		fi
		rm -rf "$dd"/oci-check-*
	else
		echo "not run" >"$dd/go-check.verdict"
	fi
	sync -f "$node/raft-log.db"
	touch "$dd/.done"
	echo "$node"
}

declare -A NODE
all_shapes=$shapes
[[ " $all_shapes " = *" $compress_shape "* ]] || all_shapes="$all_shapes $compress_shape"
for s in $all_shapes free; do NODE[$s]=$(make_node "$s") || exit 1; done

# ---------------------------------------------------------- measurement ----
scratch=$out/scratch
rm -rf "$scratch"
mkdir -p "$scratch"
wl_pid=
cleanup() {
	if [ -n "$wl_pid" ]; then kill "$wl_pid" 2>/dev/null && wait "$wl_pid" 2>/dev/null || true; fi
	rm -rf "$scratch/bk" "$scratch/restored" "$scratch/restore-src"
}
trap cleanup EXIT

# run_timed NAME CMD... : runs CMD once; appends its wall time in ms to
# $scratch/NAME.ms, its CPU time in s to NAME.cpu (not for info and compare), its exit status to NAME.rc, its stdout to NAME.out (our
# own commands, for the verdicts) or /dev/null.
run_timed() {
	local name=$1 t0 t1 rc=0 o=/dev/null
	shift
	case $name in *.cat | *.cpsync* | *.cp | *.gzip | *.catlogs | *.cpfree | *.logs | *.logsjson | *.rand) ;; *) o=$scratch/$name.out ;; esac
	local tm=() cf=$scratch/time.tmp
	# CPU time (user + system, 10 ms resolution) of the longer commands; info and
	# compare take a few ms, where time(1)'s own start would show in their wall
	# time: run_cpu measures theirs in a separate run
	case $name in *.info | *.compare) ;; *) [ -x /usr/bin/time ] && tm=(/usr/bin/time -f '%U %S' -o "$cf") ;; esac
	rm -f "$cf"
	t0=$EPOCHREALTIME
	"${tm[@]}" "$@" >>"$o" 2>>"$scratch/$name.err" || rc=$?
	t1=$EPOCHREALTIME
	echo $(((${t1/./} - ${t0/./}))) | awk '{printf "%.3f\n", $1 / 1000}' >>"$scratch/$name.ms"
	echo "$rc" >>"$scratch/$name.rc"
	[ -s "$cf" ] && tail -n1 "$cf" | awk '{printf "%.0f\n", ($1 + $2) * 1000}' >>"$scratch/$name.cpums"
	return 0
}
# run_cpu NAME CMD...: CPU time of one more run of CMD (perf stat's task-clock,
# all threads, ms) appended to NAME.cpums; nothing when perf cannot count
have_perf=0
perf stat -x, -e task-clock -o /dev/null true >/dev/null 2>&1 && have_perf=1
run_cpu() {
	local name=$1
	shift
	((have_perf)) || return 0
	perf stat -x, -e task-clock -o "$scratch/perf.tmp" "$@" >/dev/null 2>&1 || true
	awk -F, '$3 ~ /^task-clock/ {printf "%.2f\n", $1}' "$scratch/perf.tmp" >>"$scratch/$name.cpums"
}
have() { [ -s "$scratch/$1.ms" ]; }
# stats NAME -> "median min max n"
stats() {
	sort -n "$scratch/$1.ms" | awk '{v[NR] = $1} END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f %.1f %d\n", m, v[1], v[NR], NR }'
}
median() { stats "$1" | cut -d' ' -f1; }
rcs() { sort -u "$scratch/$1.rc" | paste -sd, -; }
node_files() { find "$1" -type f; }

# set_state STATE DIR...: every file under DIR dropped from the page cache,
# then (large) read by cat or (4k) read 4 KB at a time without readahead
set_state() {
	local st=$1 f
	shift
	local files
	mapfile -t files < <(for dir in "$@"; do node_files "$dir"; done)
	"$PC" drop "${files[@]}"
	case $st in
	large) cat "${files[@]}" >/dev/null ;;
	4k) "$PC" warm4k "${files[@]}" ;;
	cold) ;;
	esac
}
# pc_stat TAG FILE: one line in $scratch/pagecache.txt
pc_stat() { echo "$1: $("$PC" stat "$2" | sed "s|^$src/||")" >>"$scratch/pagecache.txt"; }

# the source tree at the start (the binary is assumed built from it)
commit_line="commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$src" diff --quiet HEAD -- . ':!bench/RESULTS.md' 2>/dev/null || echo ' (+ uncommitted changes)') at the start of the run"
uptime_line() { uptime | sed 's/.*load average: /load average /'; }
echo "start: $(uptime_line)" >"$scratch/load.txt"
# from here on (the datasets exist) every command measured, ours and the
# references, inherits SCHED_FIFO from this shell: no extra exec in a timing
if [ "${BENCH_RT:-0}" = 1 ]; then
	chrt -f -p 1 $$ >/dev/null || die "BENCH_RT=1: chrt -f -p 1 failed"
	echo "every timed command ran at SCHED_FIFO priority 1 (BENCH_RT=1: chrt -f -p 1 on the bench shell)" >>"$scratch/load.txt"
fi

# measure_warm SHAPE STATE: the file-reading commands, interleaved
measure_warm() {
	local s=$1 st=$2 node=${NODE[$1]} p=$1.$2 r
	local c3 log
	c3=$(dirname "$node")/cluster3
	log=$node/raft-log.db
	say "$s, $st: page state set; $rounds rounds of cat / verify / verify on 1 CPU / Go reader"
	set_state "$st" "$node"
	pc_stat "$p before" "$log"
	for ((r = 1; r <= rounds; r++)); do
		run_timed "$p.cat" cat "$log"
		run_timed "$p.verify" "$bin" raft verify --state-dir "$node"
		run_timed "$p.verify1" taskset -c 0 "$bin" raft verify --state-dir "$node"
		run_timed "$p.go" "$H" scan --check "$log"
	done
	say "$s, $st: $info_rounds rounds of info / compare (3 nodes)"
	for ((r = 1; r <= info_rounds; r++)); do
		run_timed "$p.info" "$bin" raft info --state-dir "$node"
		# the least any reader pays through read(2) for the pages the
		# default shape's answer lies in: one page per entry after the
		# snapshot index, 8,192 of them, on two threads (pagecache warmread)
		# (4 KB folios only: in large folios info reads through the mapping)
		[ "$s" = opcdef ] && [ "$st" = 4k ] && run_timed "$p.floor" "$PC" warmread "$log" "$(d 8192)" 64
		run_timed "$p.compare" "$bin" raft compare --state-dir "$c3"
		run_cpu "$p.info" "$bin" raft info --state-dir "$node"
		run_cpu "$p.compare" "$bin" raft compare --state-dir "$c3"
	done
	pc_stat "$p after" "$log"
	say "$s, $st: cat $(median "$p.cat") ms, verify $(median "$p.verify") ms, verify 1 CPU $(median "$p.verify1") ms, Go $(median "$p.go") ms, info $(median "$p.info") ms, compare $(median "$p.compare") ms"
}

# measure_cold SHAPE: cat and info with the node's files dropped before each run
measure_cold() {
	local s=$1 node=${NODE[$1]} p=$1.cold r
	say "$s, cold: $cold_rounds rounds of cat / info, the node's pages dropped before each"
	for ((r = 1; r <= cold_rounds; r++)); do
		set_state cold "$node"
		run_timed "$p.cat" cat "$node/raft-log.db"
		set_state cold "$node"
		run_timed "$p.info" "$bin" raft info --state-dir "$node"
		# the device's floor for the reads a cold info of the default shape
		# makes (the last page of one entry and the first of the next, for
		# each entry after the snapshot: 8 KB at 8,192 places), all asked at
		# once (pagecache randread)
		if [ "$s" = opcdef ]; then
			set_state cold "$node"
			run_timed "$p.rand" "$PC" randread "$node/raft-log.db" "$(d 8192)" 8192
		fi
	done
	pc_stat "$p after info" "$node/raft-log.db"
	say "$s, cold: cat $(median "$p.cat") ms, info $(median "$p.info") ms"
}

# fresh_dirs BK RESTORED: BK empty, RESTORED absent (its parent there), the
# deletes written back and a second for the discards they start
fresh_dirs() {
	rm -rf "$1" "$2" && mkdir -p "$1" "$(dirname "$2")" && sync && sleep "${BENCH_SETTLE:-1}"
}

# measure_backup SHAPE STATE: backup / cp / cp + sync / restore, interleaved;
# outputs removed and synced (untimed) between runs
measure_backup() {
	local s=$1 st=$2 node=${NODE[$1]} p=$1.$2 r
	local bk=$scratch/bk rbk=$scratch/restore-src rdst=$scratch/restored/sequencer-1
	rm -rf "$rbk" && mkdir -p "$rbk"
	"$bin" raft backup --state-dir "$node" --backup-dir "$rbk" >/dev/null || die "the backup for the restore rows failed"
	rbk=$(ls -d "$rbk"/raft-backup-*)
	say "$s, $st: $backup_rounds rounds of backup / crc32 / cp / cp + sync / restore"
	set_state "$st" "$node" "$rbk"
	pc_stat "$p before backup" "$node/raft-log.db"
	# The file system may discard the blocks a delete frees (ext4 mounted
	# with `discard`: the discards go out at the next journal commit): a
	# command timed right after deleting a 1 GB copy competes with them. So
	# each timed command starts on a clean directory after a pause, and the
	# order of the commands turns each round, so that no one of them is
	# always first.
	local steps=(backup crc cp cpsync restore) k
	for ((r = 1; r <= backup_rounds; r++)); do
		for ((k = 0; k < ${#steps[@]}; k++)); do
			fresh_dirs "$bk" "$rdst"
			case ${steps[(k + r) % ${#steps[@]}]} in
			backup)
				run_timed "$p.backup" "$bin" raft backup --state-dir "$node" --backup-dir "$bk"
				awk '/"path":[[:space:]]*"raft-log.db"/ {f = 1} f && /"crc32":/ {sub(/.*"crc32":[[:space:]]*/, ""); sub(/[^0-9].*/, ""); print; exit}' \
					"$bk"/raft-backup-*/MANIFEST.json >>"$scratch/$p.manifest.crc" 2>/dev/null || true
				;;
			crc) run_timed "$p.crc" "$crcref" "$node/raft-log.db" ;;
			cp) run_timed "$p.cp" cp -r "$node" "$bk/" ;;
			cpsync) run_timed "$p.cpsync" sh -c 'cp -r "$1" "$2/" && sync -f "$2"' sh "$node" "$bk" ;;
			restore) run_timed "$p.restore" "$bin" raft restore --backup-dir "$rbk" --state-dir "$rdst" ;;
			esac
		done
	done
	rm -rf "$rdst" && sync
	pc_stat "$p after backup" "$node/raft-log.db"
	rm -rf "$bk" "$scratch/restore-src"
	say "$s, $st: backup $(median "$p.backup") ms, cp $(median "$p.cp") ms, cp + sync $(median "$p.cpsync") ms, restore $(median "$p.restore") ms"
}

for s in $shapes; do
	for st in $states; do
		measure_warm "$s" "$st"
		[[ " $backup_shapes " = *" $s "* ]] && measure_backup "$s" "$st"
	done
	measure_cold "$s"
done
echo "after the per-shape blocks: $(uptime_line)" >>"$scratch/load.txt"

# ---- backup --compress: 2 CPUs and 1 CPU, vs gzip -6 (one core's deflate) and cp + sync ----
cs=$compress_shape
if [ "$compress_rounds" -gt 0 ]; then
	node=${NODE[$cs]} bk=$scratch/bk p=$cs.large
	set_state large "$node"
	say "backup --compress of $cs: $compress_rounds interleaved rounds"
	for ((r = 1; r <= compress_rounds; r++)); do
		rm -rf "$bk" && mkdir -p "$bk" && sync
		run_timed "$p.bkgz" "$bin" raft backup --compress --state-dir "$node" --backup-dir "$bk"
		rm -rf "$bk" && mkdir -p "$bk" && sync
		run_timed "$p.bkgz1" taskset -c 0 "$bin" raft backup --compress --state-dir "$node" --backup-dir "$bk"
		rm -rf "$bk" && mkdir -p "$bk" && sync
		run_timed "$p.gzip" sh -c 'gzip -6 -c "$1" >"$2/raft-log.db.gz"' sh "$node/raft-log.db" "$bk"
		rm -rf "$bk" && mkdir -p "$bk" && sync
		run_timed "$p.cpsyncz" sh -c 'cp -r "$1" "$2/" && sync -f "$2"' sh "$node" "$bk"
	done
	rm -rf "$bk"
	say "backup --compress $(median "$p.bkgz") ms, on 1 CPU $(median "$p.bkgz1") ms, gzip -6 $(median "$p.gzip") ms, cp + sync $(median "$p.cpsyncz") ms"
fi

# ---- backup --live of the mostly-free node while a writer holds its lock ----
free_node=${NODE[free]}
"$H" wait-lock "$free_node/raft-log.db" 3600 >"$scratch/wait-lock.out" 2>&1 &
wl_pid=$!
for ((i = 0; i < 100; i++)); do
	grep -q '^locked' "$scratch/wait-lock.out" && break
	sleep 0.1
done
grep -q '^locked' "$scratch/wait-lock.out" || die "oci-harness wait-lock did not take the lock: $(cat "$scratch/wait-lock.out")"
set_state large "$free_node"
livebk_bytes=0
for ((r = 1; r <= backup_rounds; r++)); do
	bk=$scratch/bk
	rm -rf "$bk" && mkdir -p "$bk" && sync
	run_timed free.large.livebk "$bin" raft backup --live --state-dir "$free_node" --backup-dir "$bk"
	livebk_bytes=$(du -sb "$bk" | cut -f1)
	rm -rf "$bk" && mkdir -p "$bk" && sync
	run_timed free.large.cpfree cp -r "$free_node" "$bk/"
done
rm -rf "$scratch/bk"
kill "$wl_pid" 2>/dev/null && wait "$wl_pid" 2>/dev/null || true
wl_pid=
free_bytes=$(du -sb "$free_node" | cut -f1)

# ---- raft logs export: 10,000 ~50 KB payloads written by our mknode, vs cat ----
have_logs=0
if [ "${BENCH_LOGS:-$((1 - quick))}" = 1 ] && [ -x "$(dirname "$bin")/mknode" ]; then
	have_logs=1
	logs_node=$out/data/logs-10000x50k/sequencer-1
	if [ ! -f "$out/data/logs-10000x50k/.done" ]; then
		rm -rf "$(dirname "$logs_node")"
		say "generating the raft logs dataset (once): mknode --tx-bytes 50000, 10,000 blocks"
		"$(dirname "$bin")/mknode" "$logs_node" --tx-bytes 50000 1-1:1:config 2-10001:2:block >/dev/null || die "mknode failed"
		touch "$out/data/logs-10000x50k/.done"
	fi
	logs_bytes=$(stat -c %s "$logs_node/raft-log.db")
	set_state large "$logs_node"
	for ((r = 1; r <= rounds; r++)); do
		run_timed logs.large.catlogs cat "$logs_node/raft-log.db"
		run_timed logs.large.logs "$bin" raft logs --state-dir "$logs_node"
		run_timed logs.large.logsjson "$bin" raft logs --state-dir "$logs_node" --payload json
	done
fi
echo "end: $(uptime_line)" >>"$scratch/load.txt"

# ---- memory: peak anonymous memory (see docs/testing.md, "Benchmark", "Memory") ----
# sample_anon CMD... -> "peak_RssAnon_kB VmHWM_kB samples": polls
# /proc/PID/status (bash builtins only, no fork per sample) until the process
# is a zombie; RssAnon excludes the mmap'ed file pages (RssFile), VmHWM does not.
sample_anon() {
	local pid k v _ peak=0 hwm=0 n=0 state
	"$@" >/dev/null 2>&1 &
	pid=$!
	while :; do
		state=
		{ while read -r k v _; do
			case $k in
			State:) state=$v ;;
			RssAnon:) ((v > peak)) && peak=$v ;;
			VmHWM:) hwm=$v ;;
			esac
		done </proc/$pid/status; } 2>/dev/null || break
		n=$((n + 1))
		[ "$state" = Z ] && break
	done
	wait "$pid" || true
	echo "$peak $hwm $n"
}
# massif_peak CMD... -> peak heap bytes (malloc'd + allocator overhead), exact
massif_peak() {
	local f=$scratch/massif.out
	rm -f "$f"
	valgrind --tool=massif --pages-as-heap=no --stacks=no --massif-out-file="$f" "$@" \
		>/dev/null 2>"$scratch/massif.err" || true
	[ -s "$f" ] || { echo "n/a"; return; }
	awk -F= '/^mem_heap_B=/ {h = $2} /^mem_heap_extra_B=/ {t = h + $2; if (t > m) m = t} END {print m + 0}' "$f"
}
do_massif=0
if [ "${BENCH_MASSIF:-$((1 - quick))}" = 1 ]; then
	if command -v valgrind >/dev/null 2>&1; then do_massif=1; else say "SKIP massif: valgrind not installed (apt-get install valgrind)"; fi
fi
declare -A mem_anon mem_hwm mem_heap
mem_cols=()
for s in $shapes free; do
	for c in verify info; do
		[ "$s" = free ] && [ "$c" = info ] && continue
		col=$s.$c best=0 hwm=0
		mem_cols+=("$col")
		for ((r = 1; r <= 3; r++)); do
			read -r a h _ < <(sample_anon "$bin" raft "$c" --state-dir "${NODE[$s]}")
			((a > best)) && best=$a
			((h > hwm)) && hwm=$h
		done
		mem_anon[$col]=$best mem_hwm[$col]=$hwm
		if ((do_massif)); then
			say "massif on $c of $s (slow under valgrind)"
			mem_heap[$col]=$(massif_peak "$bin" raft "$c" --state-dir "${NODE[$s]}")
		fi
	done
done

# --------------------------------------------------------------- report ----
# rratio A B -> median over rounds of A_r / B_r (pairs from the same round)
rratio() {
	paste "$scratch/$1.ms" "$scratch/$2.ms" | awk '$2 > 0 {print $1 / $2}' | sort -g |
		awk '{v[NR] = $1} END { if (NR == 0) { print "n/a"; exit }
			printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
meets() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "n/a" && v <= t) ? "yes" : "**no**" }'; }
short() { echo "$1" | sed "s|$src/||g"; }
statename() {
	case $1 in
	large) echo "warm, large folios (cat)" ;;
	4k) echo "warm, 4 KB folios (warm4k)" ;;
	cold) echo "cold (dropped before each run)" ;;
	esac
}
# cpu NAME -> median CPU ms (user + system), or – when not measured
cpu() {
	[ -s "$scratch/$1.cpums" ] || { echo –; return; }
	sort -g "$scratch/$1.cpums" | awk '{v[NR] = $1} END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf (m < 100 ? "%.1f\n" : "%.0f\n"), m }'
}
cpuratio() { # A B -> ratio of the CPU medians, or –
	local a b
	a=$(cpu "$1") b=$(cpu "$2")
	[ "$a" != – ] && [ "$b" != – ] && ratio "$a" "$b" | sed 's/^n\/a$/–/; s/[0-9]$/&×/' || echo –
}
row() { # NAME LABEL CMD
	have "$1" || return 0
	local s
	s=$(stats "$1")
	set -- "$@" $s
	echo "| $2 | \`$3\` | $4 | $5 | $6 | $7 | $(cpu "$1") | $(rcs "$1") |"
}
# target LABEL A B LIMIT STATE: a targets row, A / B by ratio of medians and per round
target() {
	have "$2" && have "$3" || return 0
	local v
	v=$(ratio "$(median "$2")" "$(median "$3")")
	if [ -n "$4" ]; then
		echo "| $1 | $5 | ${v}× | $(rratio "$2" "$3")× | $(cpuratio "$2" "$3") | ≤ $4× | $(meets "$v" "$4") |"
	else
		echo "| $1 | $5 | ${v}× | $(rratio "$2" "$3")× | $(cpuratio "$2" "$3") | (context) | |"
	fi
}
absolute() { # LABEL NAME LIMIT_MS STATE
	have "$2" || return 0
	local v
	v=$(median "$2")
	if [ -n "$3" ]; then
		echo "| $1 | $4 | $v ms | | CPU $(cpu "$2") ms | ≤ $3 ms | $(meets "$v" "$3") |"
	else
		echo "| $1 | $4 | $v ms | | CPU $(cpu "$2") ms | (context) | |"
	fi
}
B=$(short "$bin")
failed=
{
	echo "## Benchmark results"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); $commit_line$( [ "$quick" = 1 ] && echo "; QUICK MODE (shapes 1/100, one round: not figures to quote)")"
	echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo), kernel $(uname -r), $(df -T "$out" | awk 'NR == 2 {print $2}') file system; shared: medians of interleaved rounds"
	sed 's/^/- load, /' "$scratch/load.txt"
	echo "- binary: $B ($btype); Go reader and datasets: $("$H" stack 2>/dev/null | head -n1)"
	echo "- page-cache states: large = posix_fadvise(DONTNEED) of the node's files, then \`cat\`; 4k = DONTNEED, then \`pagecache warm4k\` (POSIX_FADV_RANDOM, 4 KB preads: no readahead, order-0 folios); cold = DONTNEED before each run. What the log's pages were (\`pagecache stat\`: mincore + /proc/kpageflags):"
	sed 's/^/  - /' "$scratch/pagecache.txt"
	echo
	echo "| shape | node (raft-log.db bytes) | biglog flags | snapshot | Go check | verify says |"
	echo "|---|---|---|---|---|---|"
	for s in $all_shapes free; do
		dd=$(dirname "${NODE[$s]}")
		vv=$(tail -n1 "$scratch/$s.large.verify.out" 2>/dev/null || true)
		echo "| $s: $(shape_desc "$s") | $(short "${NODE[$s]}") ($(stat -c %s "${NODE[$s]}/raft-log.db")) | \`$(sed 's/^oci-harness-raft-1.7.2 biglog //' "$dd/biglog.args")\` | $(sed -n 's/^snapshot //p' "$dd/mksnap.out") | $(cat "$dd/go-check.verdict") | ${vv:-–} |"
	done
	echo
	echo "| measurement | command | median ms | min ms | max ms | runs | CPU ms (median) | exit |"
	echo "|---|---|---:|---:|---:|---:|---:|---|"
	for s in $shapes; do
		N=$(short "${NODE[$s]}")
		for st in $states cold; do
			p=$s.$st sn="$s, $(statename "$st")"
			row "$p.cat" "$sn: cat" "cat $N/raft-log.db >/dev/null"
			row "$p.verify" "$sn: verify (2 CPUs)" "$B raft verify --state-dir $N"
			row "$p.verify1" "$sn: verify, 1 CPU" "taskset -c 0 $B raft verify --state-dir $N"
			row "$p.go" "$sn: Go reference reader (raft v1.7.2 stack: bbolt tx.Check + raft-boltdb/v2 GetLog of every entry)" "$(short "$H") scan --check $N/raft-log.db"
			row "$p.info" "$sn: info" "$B raft info --state-dir $N"
			row "$p.rand" "$sn: the device's floor for a cold info's reads (8 KB at $(d 8192) places, asked at once)" "$(short "$PC") randread $N/raft-log.db $(d 8192) 8192"
			row "$p.floor" "$sn: the floor of a warm info's reads (64 B from each of $(d 8192) pages, 2 threads, a whole process)" "$(short "$PC") warmread $N/raft-log.db $(d 8192) 64"
			row "$p.compare" "$sn: compare of 3 nodes (hard links)" "$B raft compare --state-dir $(short "$(dirname "${NODE[$s]}")")/cluster3"
			row "$p.backup" "$sn: backup" "$B raft backup --state-dir $N --backup-dir DIR"
			row "$p.crc" "$sn: zlib crc32 of raft-log.db, one thread" "$(short "$crcref") $N/raft-log.db"
			row "$p.cp" "$sn: cp" "cp -r $N DIR/"
			row "$p.cpsync" "$sn: cp + sync" "cp -r $N DIR/ && sync -f DIR"
			row "$p.restore" "$sn: restore of a backup of it (backup in the same state)" "$B raft restore --backup-dir BK --state-dir NEW"
		done
	done
	N=$(short "${NODE[$cs]}")
	row "$cs.large.bkgz" "$cs, warm: backup --compress (2 CPUs)" "$B raft backup --compress --state-dir $N --backup-dir DIR"
	row "$cs.large.bkgz1" "$cs, warm: backup --compress, 1 CPU" "taskset -c 0 $B raft backup --compress --state-dir $N --backup-dir DIR"
	row "$cs.large.gzip" "$cs, warm: gzip -6 of raft-log.db (one core's deflate, no sync)" "gzip -6 -c $N/raft-log.db >DIR/raft-log.db.gz"
	row "$cs.large.cpsyncz" "$cs, warm: cp + sync" "cp -r $N DIR/ && sync -f DIR"
	F=$(short "$free_node")
	row free.large.livebk "free, warm: backup --live (a writer holds the lock)" "$B raft backup --live --state-dir $F --backup-dir DIR"
	row free.large.cpfree "free, warm: cp" "cp -r $F DIR/"
	if ((have_logs)); then
		LN=$(short "$logs_node")
		row logs.large.catlogs "cat of a log of 10,000 ~50 KB payloads written by mknode ($logs_bytes bytes)" "cat $LN/raft-log.db >/dev/null"
		row logs.large.logs "raft logs of that log (NDJSON, payload fields)" "$B raft logs --state-dir $LN >/dev/null"
		row logs.large.logsjson "raft logs --payload json of that log" "$B raft logs --state-dir $LN --payload json >/dev/null"
	fi
	echo
	echo "Targets of issue 27 (ratio of medians decides; per-round: the median of each round's ratio):"
	echo
	echo "| target | page state | wall: ratio of medians | wall: per-round | CPU: ratio of medians | target (wall) | met |"
	echo "|---|---|---:|---:|---:|---|---|"
	for s in $shapes; do
		have "$s.large.verify" && target "verify / cat, $s" "$s.large.verify" "$s.large.cat" 0.5 "$(statename large)"
		have "$s.4k.verify" && target "verify / cat, $s" "$s.4k.verify" "$s.4k.cat" 0.75 "$(statename 4k)"
		for st in $states; do
			target "verify 1 CPU / cat, $s (scaling: compare with the 2-CPU row)" "$s.$st.verify1" "$s.$st.cat" "$([ "$st" = large ] && echo 0.5 || echo 0.75)" "$(statename "$st")"
		done
	done
	for s in $shapes; do
		for st in $states; do
			have "$s.$st.go" && echo "| Go reference reader / verify (speed-up), $s | $(statename "$st") | $(ratio "$(median "$s.$st.go")" "$(median "$s.$st.verify")")× | $(rratio "$s.$st.go" "$s.$st.verify")× | $(cpuratio "$s.$st.go" "$s.$st.verify") | (context) | |"
		done
	done
	for st in $states; do
		have "opcdef.$st.floor" && echo "| the floor of a warm info's reads ($(d 8192) pages, one 64-byte \`pread\` each, two threads: \`pagecache warmread\`), opcdef | $(statename "$st") | $(median "opcdef.$st.floor") ms | | | (context: with pages cached 4 KB at a time info reads by pread, and its 5 ms cannot be met where this floor is above it) | |"
		absolute "info, opcdef" opcdef.$st.info 5 "$(statename "$st")"
		absolute "compare of 3 nodes, opcdef" opcdef.$st.compare 20 "$(statename "$st")"
	done
	target "cold info / cold cat, opcdef" opcdef.cold.info opcdef.cold.cat 0.1 "$(statename cold)"
	have opcdef.cold.rand && echo "| cold info / the device's floor for its reads ($(d 8192) scattered 8 KB reads asked at once: \`pagecache randread\`), opcdef | $(statename cold) | $(ratio "$(median opcdef.cold.info)" "$(median opcdef.cold.rand)")× | $(rratio opcdef.cold.info opcdef.cold.rand)× | | (context) | |"
	for s in $shapes; do
		[ "$s" = opcdef ] && continue
		for st in $states; do
			absolute "info, $s" "$s.$st.info" "" "$(statename "$st")"
			absolute "compare of 3 nodes, $s" "$s.$st.compare" "" "$(statename "$st")"
		done
		target "cold info / cold cat, $s" "$s.cold.info" "$s.cold.cat" "" "$(statename cold)"
	done
	for s in $backup_shapes; do
		for st in $states; do
			target "backup / (cp + sync), $s" "$s.$st.backup" "$s.$st.cpsync" 1.0 "$(statename "$st")"
			target "restore / (cp + sync), $s" "$s.$st.restore" "$s.$st.cpsync" 1.5 "$(statename "$st")"
			have "$s.$st.backup" && echo "| backup / cp (context), $s | $(statename "$st") | $(ratio "$(median "$s.$st.backup")" "$(median "$s.$st.cp")")× | $(rratio "$s.$st.backup" "$s.$st.cp")× | $(cpuratio "$s.$st.backup" "$s.$st.cp") | | |"
		done
	done
	if have "$cs.large.bkgz"; then
		echo "| backup --compress / gzip -6 (one core's deflate), $cs | $(statename large) | $(ratio "$(median "$cs.large.bkgz")" "$(median "$cs.large.gzip")")× | $(rratio "$cs.large.bkgz" "$cs.large.gzip")× | $(cpuratio "$cs.large.bkgz" "$cs.large.gzip") | ≤ 1× (as fast as one core's deflate allows) | $(meets "$(ratio "$(median "$cs.large.bkgz")" "$(median "$cs.large.gzip")")" 1) |"
		echo "| backup --compress 2 CPUs / 1 CPU (scaling), $cs | $(statename large) | $(ratio "$(median "$cs.large.bkgz")" "$(median "$cs.large.bkgz1")")× | $(rratio "$cs.large.bkgz" "$cs.large.bkgz1")× | $(cpuratio "$cs.large.bkgz" "$cs.large.bkgz1") | ≤ 0.6× (scales with cores) | $(meets "$(ratio "$(median "$cs.large.bkgz")" "$(median "$cs.large.bkgz1")")" 0.6) |"
		echo "| backup --compress / (cp + sync), $cs | $(statename large) | $(ratio "$(median "$cs.large.bkgz")" "$(median "$cs.large.cpsyncz")")× | $(rratio "$cs.large.bkgz" "$cs.large.cpsyncz")× | $(cpuratio "$cs.large.bkgz" "$cs.large.cpsyncz") | (context) | |"
	fi
	echo "| backup --live (mostly free) / cp | $(statename large) | $(ratio "$(median free.large.livebk)" "$(median free.large.cpfree)")× | $(rratio free.large.livebk free.large.cpfree)× | $(cpuratio free.large.livebk free.large.cpfree) | < 1× | $(meets "$(ratio "$(median free.large.livebk)" "$(median free.large.cpfree)")" 0.999) |"
	echo "| backup --live output / source size | | $(ratio "$livebk_bytes" "$free_bytes")× | ($livebk_bytes of $free_bytes bytes) | | | |"
	if ((have_logs)); then
		echo "| raft logs / cat (no target) | $(statename large) | $(ratio "$(median logs.large.logs)" "$(median logs.large.catlogs)")× | $(rratio logs.large.logs logs.large.catlogs)× | $(cpuratio logs.large.logs logs.large.catlogs) | | |"
		echo "| raft logs --payload json / cat (no target) | $(statename large) | $(ratio "$(median logs.large.logsjson)" "$(median logs.large.catlogs)")× | $(rratio logs.large.logsjson logs.large.catlogs)× | $(cpuratio logs.large.logsjson logs.large.catlogs) | | |"
	fi
	for s in $backup_shapes; do
		for st in $states; do
			have "$s.$st.crc" || continue
			if [ "$(cat "$scratch/$s.$st.crc.out" "$scratch/$s.$st.manifest.crc" 2>/dev/null | sort -u | wc -l)" = 1 ] &&
				[ "$(wc -l <"$scratch/$s.$st.manifest.crc")" = "$backup_rounds" ]; then
				echo "| backup manifest crc32 of raft-log.db = zlib crc32 ($s, $st) | | agree in every round | | | | yes |"
			else
				echo "| backup manifest crc32 of raft-log.db = zlib crc32 ($s, $st) | | **DISAGREE** | | | | **no** |"
			fi
		done
	done
	echo
	echo "| peak memory (MiB) | RssAnon, highest of 3 sampled runs | heap peak (valgrind massif) | VmHWM (incl. mapped file pages; context) | target |"
	echo "|---|---:|---:|---:|---|"
	for col in "${mem_cols[@]}"; do
		h=${mem_heap[$col]:-}
		if [[ $h =~ ^[0-9]+$ ]]; then h=$(awk -v b="$h" 'BEGIN { printf "%.2f", b / 1048576 }'); else h=n/a; fi
		echo "| ${col/./ } | $(awk -v k="${mem_anon[$col]}" 'BEGIN { printf "%.1f", k / 1024 }') | $h | $(awk -v k="${mem_hwm[$col]}" 'BEGIN { printf "%.1f", k / 1024 }') | $(case $col in *.verify) echo "heap ≤ 4 MiB (issue 27)" ;; *) echo "(context; issue 4: ≤ 16 MiB)" ;; esac) |"
	done
} >"$scratch/results.md"

# every run of our own commands must have succeeded, and verify said VALID
for f in "$scratch"/*.rc; do
	n=$(basename "$f" .rc)
	[ "$(sort -u "$f")" = 0 ] || failed="$failed $n (exit $(rcs "$n"): $(tail -n1 "$scratch/$n.err" 2>/dev/null))"
done
for s in $shapes; do
	for st in $states; do
		grep -q '^VALID' "$scratch/$s.$st.verify.out" || failed="$failed $s.$st.verify (not VALID: $(tail -n1 "$scratch/$s.$st.verify.out"))"
	done
done
grep -q 'DISAGREE' "$scratch/results.md" && failed="$failed backup-manifest-crc32"
devnull_ok || failed="$failed /dev/null-became-a-$(stat -c %F /dev/null | tr ' ' -)-during-the-run"
mkdir -p "$out"
cp "$scratch/results.md" "$out/results.md"
cat "$out/results.md"
say "written to $out/results.md"
if [ "$quick" != 1 ] && [ "${BENCH_WRITE_RESULTS:-1}" != 0 ] && [ -z "$failed" ]; then
	results=$src/bench/RESULTS.md
	begin='<!-- bench.sh: latest run begin -->'
	end='<!-- bench.sh: latest run end -->'
	if [ "$(grep -cxF -e "$begin" -e "$end" "$results")" = 2 ]; then
		awk -v b="$begin" -v e="$end" -v f="$scratch/results.md" '
			$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
			$0 == e { skip = 0 }
			!skip' "$results" >"$scratch/RESULTS.md"
		cat "$scratch/RESULTS.md" >"$results"
		say "latest run written to bench/RESULTS.md"
	else
		say "bench/RESULTS.md has not exactly one pair of bench.sh markers; not updated"
	fi
fi
[ -z "$failed" ] || die "failed:$failed"
