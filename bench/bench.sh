#!/usr/bin/env bash
# bench/bench.sh [BIN] — the `just bench` benchmark (method: docs/testing.md, "Benchmark").
#
# 1. Builds the Go interop harness (tests/interop/build-harness.sh) and the
#    snapshot helper (bench/mksnap.go) into .bench/.
# 2. Generates, once (cached under .bench/data/, keyed by the parameters),
#    a realistic node directory around a >= 1 GB raft-log.db written by real
#    raft-boltdb (`oci-harness biglog`), with a matching snapshot and
#    raft-stable.db, and a mostly-free (heavily compacted) node for the
#    --live compact backup. The Go stack (`oci-harness check`) checks both
#    once, when they are made.
# 3. Measures, interleaved round by round (A B C, A B C, ...) with a warm
#    page cache, and reports medians and ratios taken in this same run:
#    verify vs cat, verify vs the Go reference reader (on both harness stacks:
#    raft 1.1.2 + raft-boltdb v1, and raft v1.7.2 + raft-boltdb/v2), info (absolute),
#    compare of 3 such nodes (absolute, interleaved with info of one node;
#    the 3 nodes are hard links of the >= 1 GB node: 3 x the files, no extra disk),
#    peak anonymous memory of verify and info, backup and restore vs cp (beside cp +
#    sync, and zlib's crc32 of the log alone, bench/crc32file.c, whose value
#    must equal the backup manifest's crc32 of that file).
# Writes the table to stdout, to .bench/results.md and into bench/RESULTS.md
# (its latest-run block; BENCH_WRITE_RESULTS=0 skips that).
#
# Environment:
#   BENCH_ROUNDS (7)         rounds for the large measurements (>= 5)
#   BENCH_INFO_ROUNDS (21)   rounds for info
#   BENCH_ENTRIES (250000) BENCH_SIZE (4000) BENCH_KEEP (245000) BENCH_SEED (7)
#   BENCH_TERM_EVERY (50000) BENCH_BARRIER_EVERY (10000) BENCH_CONFIG_EVERY (100000)
#   BENCH_FREE_ENTRIES (120000) BENCH_FREE_KEEP (6000)  the mostly-free node
#   BENCH_MIN_BYTES (1000000000)  refuse a smaller main log (set 0 for a quick try)
#   BENCH_MASSIF (1)         0 skips the valgrind/massif heap measurement
#   BENCH_GO_CHECK (1)       0 skips the one-time Go check of a new dataset
#   BENCH_COMPRESS_ROUNDS (0) rounds of backup --compress vs gzip -6 of the
#                            log (off by default: ~90 s a round)
set -euo pipefail
export LC_ALL=C

src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
bin=${1:-build/op-conductor-init}
case $bin in /*) ;; *) bin=$src/$bin ;; esac
out=$src/.bench
mkdir -p "$out"

rounds=${BENCH_ROUNDS:-7}
info_rounds=${BENCH_INFO_ROUNDS:-21}
entries=${BENCH_ENTRIES:-250000}
size=${BENCH_SIZE:-4000}
keep=${BENCH_KEEP:-245000}
seed=${BENCH_SEED:-7}
term_every=${BENCH_TERM_EVERY:-50000}
barrier_every=${BENCH_BARRIER_EVERY:-10000}
config_every=${BENCH_CONFIG_EVERY:-100000}
free_entries=${BENCH_FREE_ENTRIES:-120000}
free_keep=${BENCH_FREE_KEEP:-6000}
min_bytes=${BENCH_MIN_BYTES:-1000000000}
compress_rounds=${BENCH_COMPRESS_ROUNDS:-0}

say() { echo "bench: $*" >&2; }
die() {
	echo "bench: error: $*" >&2
	exit 1
}

[ "$rounds" -ge 5 ] || die "BENCH_ROUNDS must be at least 5 (medians of >= 5 runs)"
[ -x "$bin" ] || die "$bin not found: run 'just build' first (a RelWithDebInfo/Release build)"
if ldd "$bin" 2>/dev/null | grep -Eq 'lib(a|ub|t)san'; then
	die "$bin is a sanitizer build; benchmark a RelWithDebInfo/Release build (just build)"
fi
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$(dirname "$bin")/CMakeCache.txt" 2>/dev/null || true)
case $btype in
Release | RelWithDebInfo | MinSizeRel) ;;
*) die "$bin was built with CMAKE_BUILD_TYPE='$btype'; benchmark a RelWithDebInfo/Release build" ;;
esac

# ---------------------------------------------------------------- tools ----
bash "$src/tests/interop/build-harness.sh" "$out/harness" ||
	die "cannot build the Go harness (exit $?): install golang-go and the golang-github-hashicorp-raft*/coreos-bbolt -dev packages (./run.sh does)"
H=$out/harness/oci-harness
# The same reference reader on op-conductor's stack (raft v1.7.2, raft-boltdb/v2 v2.3.1
# on bbolt v1.3.5, go-msgpack/v2): a second row when the module proxy can be reached.
H2=$out/harness/oci-harness-raft-1.7.2
have_go2=0
if bash "$src/tests/interop/build-harness.sh" "$out/harness" raft-1.7.2 2>"$out/harness/build-raft17.err"; then
	have_go2=1
else
	say "SKIP the raft-1.7.2 Go reference row: $(tail -n1 "$out/harness/build-raft17.err")"
fi
mksnap=$out/harness/mksnap
if [ ! -x "$mksnap" ] || [ "$src/bench/mksnap.go" -nt "$mksnap" ]; then
	say "building $mksnap"
	(cd "$src/bench" && GO111MODULE=off GOFLAGS= GOPROXY=off GOCACHE="$out/harness/gocache" CGO_ENABLED=0 \
		go build -o "$mksnap.tmp" mksnap.go) && mv -f "$mksnap.tmp" "$mksnap"
fi

crcref=$out/crc32file
if [ ! -x "$crcref" ] || [ "$src/bench/crc32file.c" -nt "$crcref" ]; then
	say "building $crcref"
	${CC:-cc} -O2 -o "$crcref" "$src/bench/crc32file.c" -lz || die "cannot build bench/crc32file.c (needs zlib1g-dev)"
fi

# -------------------------------------------------------------- dataset ----
# make_node NAME ENTRIES KEEP: .bench/data/NAME-<params>/sequencer-1/
#   raft-log.db     oci-harness biglog (raft-boltdb v1 StoreLogs + DeleteRange)
#   snapshots/      FileSnapshotStore snapshot at index ENTRIES-KEEP (bench/mksnap.go)
#   raft-stable.db  from our `raft generate --initial-term <last log term>`
# Prints the node directory.
make_node() {
	local name=$1 n=$2 k=$3
	local args=(--entries "$n" --size "$size" --keep "$k" --seed "$seed"
		--term-every "$term_every" --barrier-every "$barrier_every" --config-every "$config_every")
	local key
	key=$(echo "${args[*]}" | sha256sum | cut -c1-12)
	local d=$out/data/$name-$key node
	node=$d/sequencer-1
	if [ -f "$d/.done" ]; then
		echo "$node"
		return
	fi
	rm -rf "$d"
	mkdir -p "$node"
	say "generating $name dataset in $d (once): oci-harness biglog ${args[*]}"
	"$H" biglog --out "$node/raft-log.db" "${args[@]}" >"$d/biglog.json" || die "biglog failed"
	echo "oci-harness biglog --out raft-log.db ${args[*]}" >"$d/biglog.args"
	local last_term
	last_term=$("$mksnap" --dir "$node" --entries "$n" --keep "$k" --term-every "$term_every" \
		--barrier-every "$barrier_every" --config-every "$config_every" | tee "$d/mksnap.out" |
		sed -n 's/^last_term //p')
	[ -n "$last_term" ] || die "mksnap failed"
	local a=sequencer-headless.default.svc.cluster.local:50050
	"$bin" raft generate --nodes "sequencer-1.$a,sequencer-2.$a,sequencer-3.$a" \
		--server-ids sequencer-1,sequencer-2,sequencer-3 --initial-leader sequencer-1 \
		--initial-term "$last_term" --output-dir "$d/gen" >/dev/null || die "raft generate failed"
	mv "$d/gen/sequencer-1/raft-stable.db" "$node/raft-stable.db"
	rm -rf "$d/gen"
	if [ "${BENCH_GO_CHECK:-1}" = 1 ]; then
		say "checking the $name node with the Go stack (oci-harness check: bbolt tx.Check, raft-boltdb, snapshot CRC, NewRaft invariants)"
		if TMPDIR=$d "$H" check "$node" >"$d/go-check.json" 2>"$d/go-check.err"; then
			echo "ok (read-only checks and read-write reopen of a copy)" >"$d/go-check.verdict"
		elif grep -q 'after read-write reopen of a copy' "$d/go-check.err"; then
			# steps 1-4 (read-only: tx.Check, raft-boltdb GetLog of every index,
			# snapshot CRC, NewRaft invariants) passed; only step 5 failed
			echo "read-only checks ok; the read-write reopen step failed: $(head -n1 "$d/go-check.err" | sed "s|$d/||g")" >"$d/go-check.verdict"
		else
			echo "FAILED: $(head -n1 "$d/go-check.err" | sed "s|$d/||g")" >"$d/go-check.verdict"
		fi
		rm -rf "$d"/oci-check-*
	else
		echo "not run" >"$d/go-check.verdict"
	fi
	touch "$d/.done"
	echo "$node"
}

node=$(make_node big "$entries" "$keep")
free_node=$(make_node free "$free_entries" "$free_keep")
log=$node/raft-log.db
log_bytes=$(stat -c %s "$log")
[ "$log_bytes" -ge "$min_bytes" ] || die "$log is $log_bytes bytes, below BENCH_MIN_BYTES=$min_bytes"
node_bytes=$(du -sb "$node" | cut -f1)
free_bytes=$(du -sb "$free_node" | cut -f1)

# ---------------------------------------------------------- measurement ----
scratch=$out/scratch
rm -rf "$scratch"
mkdir -p "$scratch"

# run_timed NAME CMD... : runs CMD once, appends its wall time in ms to
# $scratch/NAME.ms and its exit status to $scratch/NAME.rc. Output goes to
# /dev/null except for our own commands (kept for the verdict line).
run_timed() {
	local name=$1 t0 t1 rc=0 o=/dev/null
	shift
	case $name in verify | info | compare | backup | livebk | crc | restore | bkgz) o=$scratch/$name.out ;; esac
	t0=$EPOCHREALTIME
	"$@" >>"$o" 2>"$scratch/$name.err" || rc=$?
	t1=$EPOCHREALTIME
	echo $(((${t1/./} - ${t0/./}))) | awk '{printf "%.3f\n", $1 / 1000}' >>"$scratch/$name.ms"
	echo "$rc" >>"$scratch/$name.rc"
}
# stat NAME -> "median min max n"
stats() {
	sort -n "$scratch/$1.ms" | awk '{v[NR] = $1} END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f %.1f %d\n", m, v[1], v[NR], NR }'
}
median() { stats "$1" | cut -d' ' -f1; }
rcs() { sort -u "$scratch/$1.rc" | paste -sd, -; }
has_cmd() { "$bin" raft "$1" --help >/dev/null 2>&1; }

say "warming the page cache (cat once)"
cat "$log" "$node/raft-stable.db" >/dev/null
cat "$free_node/raft-log.db" >/dev/null

have_verify=0 have_info=0 have_backup=0 have_compare=0
has_cmd verify && have_verify=1 || say "SKIP verify: not implemented ($bin raft verify --help fails)"
has_cmd info && have_info=1 || say "SKIP info: not implemented ($bin raft info --help fails)"
has_cmd backup && have_backup=1 || say "SKIP backup: not implemented ($bin raft backup --help fails)"

say "verify / cat / Go reference: $rounds interleaved rounds"
for ((r = 1; r <= rounds; r++)); do
	run_timed cat cat "$log"
	((have_verify)) && run_timed verify "$bin" raft verify --state-dir "$node"
	run_timed goscan "$H" scan --check "$log"
	((have_go2)) && run_timed goscan2 "$H2" scan --check "$log"
	say "  round $r/$rounds: cat $(tail -n1 "$scratch/cat.ms") ms$( ((have_verify)) && echo ", verify $(tail -n1 "$scratch/verify.ms") ms"), go $(tail -n1 "$scratch/goscan.ms") ms$( ((have_go2)) && echo ", go raft-1.7.2 $(tail -n1 "$scratch/goscan2.ms") ms")"
done
has_cmd compare && have_compare=1 || say "SKIP compare: not implemented ($bin raft compare --help fails)"
have_logs=0
has_cmd logs && [ -x "$(dirname "$bin")/mknode" ] && have_logs=1 || say "SKIP logs: raft logs or the build's mknode is missing"
if ((have_compare)); then
	# three nodes of >= 1 GB each: hard links of the benchmark node (same
	# bytes, so the same log; each is summarized on its own, as three pods' are)
	cluster3=$(dirname "$node")/cluster3
	if [ ! -d "$cluster3/sequencer-3" ]; then
		rm -rf "$cluster3"
		mkdir -p "$cluster3"
		for k in 1 2 3; do cp -al "$node" "$cluster3/sequencer-$k"; done
	fi
fi
if ((have_info)); then
	say "info$( ((have_compare)) && echo " and compare (3 nodes)"): $info_rounds interleaved rounds"
	for ((r = 1; r <= info_rounds; r++)); do
		run_timed info "$bin" raft info --state-dir "$node"
		((have_compare)) && run_timed compare "$bin" raft compare --state-dir "$cluster3"
	done
fi

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
if [ "${BENCH_MASSIF:-1}" = 1 ]; then
	if command -v valgrind >/dev/null 2>&1; then do_massif=1; else say "SKIP massif: valgrind not installed (apt-get install valgrind)"; fi
fi
declare -A mem_anon mem_hwm mem_heap mem_samples
# columns: verify and info on the >= 1 GB node, verify on the mostly-free node
# (another file size: the peak must not grow with the file)
for col in verify info verify_free; do
	c=${col%_free} d=$node
	[ "$col" = verify_free ] && d=$free_node
	[ "$c" = verify ] && ((!have_verify)) && continue
	[ "$c" = info ] && ((!have_info)) && continue
	best=0 hwm=0 ns=
	for ((r = 1; r <= 5; r++)); do
		read -r a h n < <(sample_anon "$bin" raft "$c" --state-dir "$d")
		((a > best)) && best=$a
		((h > hwm)) && hwm=$h
		ns=${ns:+$ns/}$n
	done
	mem_anon[$col]=$best mem_hwm[$col]=$hwm mem_samples[$col]=$ns
	if ((do_massif)); then
		say "massif on $c --state-dir $d (slow under valgrind)"
		mem_heap[$col]=$(massif_peak "$bin" raft "$c" --state-dir "$d")
	fi
done

# ---- backup vs cp ----
wl_pid=
cleanup() {
	if [ -n "$wl_pid" ]; then kill "$wl_pid" 2>/dev/null && wait "$wl_pid" 2>/dev/null || true; fi
	rm -rf "$scratch"
}
trap cleanup EXIT
if ((have_backup)); then
	# --live is measured the way it is meant to be used: while a writer holds
	# the exclusive flock on the mostly-free log (as a running op-conductor
	# does), so backup must take its consistent compact copy without the lock.
	# wait-lock opens the file read-write with boltdb/bolt but writes nothing.
	"$H" wait-lock "$free_node/raft-log.db" 3600 >"$scratch/wait-lock.out" 2>&1 &
	wl_pid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q '^locked' "$scratch/wait-lock.out" && break
		sleep 0.1
	done
	grep -q '^locked' "$scratch/wait-lock.out" || die "oci-harness wait-lock did not take the lock: $(cat "$scratch/wait-lock.out")"
	say "backup vs cp: $rounds interleaved rounds (outputs removed and synced between runs, untimed); $free_node/raft-log.db held locked by oci-harness wait-lock (pid $wl_pid)"
	bk=$scratch/bk
	# one backup of the node, made once, for the restore rows
	rbk=$scratch/restore-src
	mkdir -p "$rbk"
	"$bin" raft backup --state-dir "$node" --backup-dir "$rbk" >/dev/null || die "the backup for the restore rows failed"
	rbk=$(ls -d "$rbk"/raft-backup-*)
	rdst=$scratch/restored
	for ((r = 1; r <= rounds; r++)); do
		rm -rf "$bk" && mkdir -p "$bk" && sync
		run_timed backup "$bin" raft backup --state-dir "$node" --backup-dir "$bk"
		# the manifest's crc32 of raft-log.db, for the check against crc32file
		awk '/"path":[[:space:]]*"raft-log.db"/ {f = 1} f && /"crc32":/ {sub(/.*"crc32":[[:space:]]*/, ""); sub(/[^0-9].*/, ""); print; exit}' \
			"$bk"/raft-backup-*/MANIFEST.json >>"$scratch/manifest.crc" 2>/dev/null || true
		rm -rf "$bk" && mkdir -p "$bk" && sync
		run_timed crc "$crcref" "$log"
		rm -rf "$bk" && mkdir -p "$bk" && sync
		run_timed cp cp -r "$node" "$bk/"
		rm -rf "$bk" && mkdir -p "$bk" && sync
		run_timed cpsync sh -c 'cp -r "$1" "$2/" && sync -f "$2"' sh "$node" "$bk"
		# restore reads a warm backup, like every other row reads warm files
		rm -rf "$bk" "$rdst" && mkdir -p "$bk" && cat "$rbk/raft-log.db" >/dev/null && sync
		run_timed restore "$bin" raft restore --backup-dir "$rbk" --state-dir "$rdst"
		rm -rf "$rdst" && mkdir -p "$bk" && sync
		run_timed livebk "$bin" raft backup --live --state-dir "$free_node" --backup-dir "$bk"
		livebk_bytes=$(du -sb "$bk" | cut -f1)
		rm -rf "$bk" && mkdir -p "$bk" && sync
		run_timed cpfree cp -r "$free_node" "$bk/"
		say "  round $r/$rounds: backup $(tail -n1 "$scratch/backup.ms") ms, cp $(tail -n1 "$scratch/cp.ms") ms, cp+sync $(tail -n1 "$scratch/cpsync.ms") ms, restore $(tail -n1 "$scratch/restore.ms") ms, live $(tail -n1 "$scratch/livebk.ms") ms, cp free $(tail -n1 "$scratch/cpfree.ms") ms"
	done
	rm -rf "$bk"
	kill "$wl_pid" 2>/dev/null && wait "$wl_pid" 2>/dev/null || true
	wl_pid=
	if [ "$compress_rounds" -gt 0 ]; then
		say "backup --compress vs gzip -6: $compress_rounds interleaved rounds (about 90 s each)"
		for ((r = 1; r <= compress_rounds; r++)); do
			rm -rf "$bk" && mkdir -p "$bk" && sync
			run_timed bkgz "$bin" raft backup --compress --state-dir "$node" --backup-dir "$bk"
			rm -rf "$bk" && mkdir -p "$bk" && sync
			run_timed gzip sh -c 'gzip -6 -c "$1" >"$2/raft-log.db.gz"' sh "$log" "$bk"
			say "  round $r/$compress_rounds: backup --compress $(tail -n1 "$scratch/bkgz.ms") ms, gzip -6 $(tail -n1 "$scratch/gzip.ms") ms"
		done
		rm -rf "$bk"
	fi
fi

# ------------------------------------------------------ raft logs export ----
# 10,000 LogCommand entries of ~50 KB (V4 envelopes, 2 transactions of 25 KB,
# written by the build's mknode: tests/cli/mknode.c), exported as NDJSON with
# and without --payload json (output to /dev/null), against cat of the file;
# warm cache, interleaved rounds.
if ((have_logs)); then
	logs_node=$out/data/logs-10000x50k/sequencer-1
	if [ ! -f "$out/data/logs-10000x50k/.done" ]; then
		rm -rf "$(dirname "$logs_node")"
		say "generating the raft logs dataset (once): mknode --tx-bytes 50000, 10,000 blocks"
		"$(dirname "$bin")/mknode" "$logs_node" --tx-bytes 50000 1-1:1:config 2-10001:2:block >/dev/null ||
			die "mknode failed"
		touch "$out/data/logs-10000x50k/.done"
	fi
	logs_bytes=$(stat -c %s "$logs_node/raft-log.db")
	cat "$logs_node/raft-log.db" >/dev/null
	for ((r = 1; r <= rounds; r++)); do
		run_timed catlogs cat "$logs_node/raft-log.db"
		run_timed logs "$bin" raft logs --state-dir "$logs_node"
		run_timed logsjson "$bin" raft logs --state-dir "$logs_node" --payload json
	done
	say "raft logs: cat $(median catlogs) ms, logs $(median logs) ms, logs --payload json $(median logsjson) ms (medians of $rounds)"
fi

# --------------------------------------------------------------- report ----
# rratio A B -> median over rounds of A_r / B_r (pairs from the same round;
# robust when the machine's load drifts between rounds)
rratio() {
	paste "$scratch/$1.ms" "$scratch/$2.ms" | awk '$2 > 0 {print $1 / $2}' | sort -g |
		awk '{v[NR] = $1} END { if (NR == 0) { print "n/a"; exit }
			printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
meets() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "<=") ? (v <= t) : (v >= t); print ok ? "yes" : "**no**" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
row() { # name label cmd
	local s
	s=$(stats "$1")
	set -- "$@" $s
	echo "| $2 | \`$3\` | $4 | $5 | $6 | $7 | $(rcs "$1") |"
}
short() { echo "$1" | sed "s|$src/||g"; }
crc_verdict=
if ((have_backup)); then
	if [ "$(sort -u "$scratch/crc.out" | wc -l)" = 1 ] && [ -s "$scratch/manifest.crc" ] &&
		[ "$(cat "$scratch/crc.out" "$scratch/manifest.crc" | sort -u | wc -l)" = 1 ] &&
		[ "$(wc -l <"$scratch/manifest.crc")" = "$rounds" ]; then
		crc_verdict="agree in every round"
	else
		crc_verdict="**DISAGREE** (a wrong manifest checksum)"
	fi
fi
B=$(short "$bin")
N=$(short "$node")
F=$(short "$free_node")
L=$(short "$log")
HS=$(short "$H")
{
	echo "## Benchmark results"
	echo
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$src" diff --quiet HEAD 2>/dev/null || echo ' (+ uncommitted changes)')"
	echo "- machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(awk '/MemTotal/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo), kernel $(uname -r); shared and noisy: medians of interleaved rounds"
	echo "- binary: $B ($btype)"
	echo "- dataset: $N — raft-log.db $log_bytes bytes ($(awk -v b="$log_bytes" 'BEGIN { printf "%.2f GiB", b / 1073741824 }')), $(cat "$(dirname "$node")/biglog.args"); snapshot $(sed -n 's/^snapshot //p' "$(dirname "$node")/mksnap.out"); Go check: $(cat "$(dirname "$node")/go-check.verdict")"
	echo "- mostly-free dataset: $F — raft-log.db $(stat -c %s "$free_node/raft-log.db") bytes, $(cat "$(dirname "$free_node")/biglog.args"); Go check: $(cat "$(dirname "$free_node")/go-check.verdict")"
	if ((have_verify)); then
		echo "- verify verdict on the dataset: exit $(rcs verify) — $(tail -n1 "$scratch/verify.out" 2>/dev/null)"
	fi
	if ((have_backup)); then
		echo "- crc32 of raft-log.db: bench/crc32file gave $(sort -u "$scratch/crc.out" | paste -sd, -), the backups' MANIFEST.json $(sort -u "$scratch/manifest.crc" | paste -sd, -): $crc_verdict"
	fi
	echo
	echo "| measurement | command | median ms | min ms | max ms | runs | exit |"
	echo "|---|---|---:|---:|---:|---:|---|"
	row cat "cat (warm cache)" "cat $L >/dev/null"
	((have_verify)) && row verify "verify" "$B raft verify --state-dir $N"
	row goscan "Go reference reader (raft 1.1.2 stack: bbolt tx.Check + raft-boltdb v1 GetLog of every entry)" "$HS scan --check $L"
	((have_go2)) && row goscan2 "Go reference reader (raft v1.7.2 stack: bbolt v1.3.5 tx.Check + raft-boltdb/v2 v2.3.1 GetLog of every entry)" "$(short "$H2") scan --check $L"
	((have_info)) && row info "info" "$B raft info --state-dir $N"
	((have_info && have_compare)) && row compare "compare, 3 nodes of that size (hard links of N)" "$B raft compare --state-dir $(short "$cluster3")"
	if ((have_backup)); then
		row backup "backup" "$B raft backup --state-dir $N --backup-dir DIR"
		row cp "cp" "cp -r $N DIR/"
		row cpsync "cp + sync" "cp -r $N DIR/ && sync -f DIR"
		row restore "restore (of a backup of that node, into a new directory)" "$B raft restore --backup-dir DIR/raft-backup-* --state-dir NEW"
		row crc "zlib crc32 of raft-log.db, one thread (the checksum a backup must compute)" "$(short "$crcref") $L"
		row livebk "backup --live (mostly free, locked by a writer)" "$B raft backup --live --state-dir $F --backup-dir DIR"
		row cpfree "cp (mostly free)" "cp -r $F DIR/"
		if [ "$compress_rounds" -gt 0 ]; then
			row bkgz "backup --compress" "$B raft backup --compress --state-dir $N --backup-dir DIR"
			row gzip "gzip -6 of raft-log.db (one thread, no sync, no read-back)" "gzip -6 -c $L >DIR/raft-log.db.gz"
		fi
	fi
	if ((have_logs)); then
		LN=$(short "$logs_node")
		row catlogs "cat of a log of 10,000 ~50 KB payloads ($logs_bytes bytes, warm)" "cat $LN/raft-log.db >/dev/null"
		row logs "raft logs of that log (NDJSON, payload fields)" "$B raft logs --state-dir $LN >/dev/null"
		row logsjson "raft logs --payload json of that log (whole envelopes, hex)" "$B raft logs --state-dir $LN --payload json >/dev/null"
	fi
	echo
	echo "| ratio (same run) | ratio of medians | median of per-round ratios | target | met (ratio of medians) |"
	echo "|---|---:|---:|---|---|"
	if ((have_verify)); then
		v=$(ratio "$(median verify)" "$(median cat)")
		echo "| verify / cat | ${v}× | $(rratio verify cat)× | ≤ 0.5× | $(meets "$v" "<=" 0.5) |"
		v=$(ratio "$(median goscan)" "$(median verify)")
		echo "| Go reference / verify (speed-up) | ${v}× | $(rratio goscan verify)× | ≥ 5× | $(meets "$v" ">=" 5) |"
		if ((have_go2)); then
			v=$(ratio "$(median goscan2)" "$(median verify)")
			echo "| Go reference (raft v1.7.2 stack) / verify (speed-up) | ${v}× | $(rratio goscan2 verify)× | ≥ 5× | $(meets "$v" ">=" 5) |"
		fi
	else
		echo "| verify | SKIP: not implemented | | | |"
	fi
	if ((have_info)); then
		v=$(median info)
		echo "| info (absolute median, incl. process start) | $v ms | | ≤ 20 ms | $(meets "$v" "<=" 20) |"
		if ((have_compare)); then
			v=$(median compare)
			echo "| compare of 3 nodes (absolute median, incl. process start) | $v ms | | ≤ 20 ms | $(meets "$v" "<=" 20) |"
		fi
	else
		echo "| info | SKIP: not implemented | | | |"
	fi
	if ((have_backup)); then
		v=$(ratio "$(median backup)" "$(median cp)")
		echo "| backup / cp | ${v}× | $(rratio backup cp)× | ≤ 1.2× | $(meets "$v" "<=" 1.2) |"
		v=$(ratio "$(median backup)" "$(median cpsync)")
		echo "| backup / (cp + sync) | ${v}× | $(rratio backup cpsync)× | (reference: a durable copy) | |"
		v=$(ratio "$(median restore)" "$(median cpsync)")
		echo "| restore / (cp + sync) | ${v}× | $(rratio restore cpsync)× | (no target: it checks the backup's crc32s, verifies it, copies it durably and verifies the copy) | |"
		v=$(ratio "$(median crc)" "$(median cp)")
		echo "| crc32 alone (one thread) / cp | ${v}× | $(rratio crc cp)× | (reference: the checksum's cost) | |"
		v=$(ratio "$(median livebk)" "$(median cpfree)")
		echo "| backup --live (mostly free) / cp | ${v}× | $(rratio livebk cpfree)× | < 1× | $(meets "$v" "<=" 0.999) |"
		if [ "$compress_rounds" -gt 0 ]; then
			v=$(ratio "$(median bkgz)" "$(median gzip)")
			echo "| backup --compress / gzip -6 | ${v}× | $(rratio bkgz gzip)× | (no target; backup also copies, verifies, reads every .gz back and syncs) | |"
		fi
		echo "| backup --live output size / source size | $(ratio "$livebk_bytes" "$free_bytes")× | ($livebk_bytes of $free_bytes bytes) | | |"
	else
		echo "| backup | SKIP: not implemented | | | |"
	fi
	if ((have_logs)); then
		echo "| raft logs / cat (10,000 ~50 KB payloads) | $(ratio "$(median logs)" "$(median catlogs)")× | $(rratio logs catlogs)× | (no target) | |"
		echo "| raft logs --payload json / cat | $(ratio "$(median logsjson)" "$(median catlogs)")× | $(rratio logsjson catlogs)× | (no target; it writes 2 hex digits per byte) | |"
	fi
	if ((have_verify || have_info)); then
		echo
		echo "| peak memory (MiB) | verify, $(awk -v b="$log_bytes" 'BEGIN { printf "%.2f GiB", b / 1073741824 }') node | info, same node | verify, mostly-free node ($(awk -v b="$(stat -c %s "$free_node/raft-log.db")" 'BEGIN { printf "%.2f GiB", b / 1073741824 }')) | target |"
		echo "|---|---:|---:|---:|---|"
		line="| RssAnon, highest sampled value over 5 runs |"
		for col in verify info verify_free; do line="$line ${mem_anon[$col]:+$(mib "${mem_anon[$col]}")} |"; done
		echo "$line ≤ 16 MiB |"
		line="| heap peak (malloc'd + allocator overhead), valgrind massif |"
		for col in verify info verify_free; do
			h=${mem_heap[$col]:-}
			if [[ $h =~ ^[0-9]+$ ]]; then h=$(awk -v b="$h" 'BEGIN { printf "%.2f", b / 1048576 }'); else h=n/a; fi
			line="$line $h |"
		done
		echo "$line ≤ 16 MiB |"
		line="| VmHWM = peak RSS incl. mapped file pages |"
		for col in verify info verify_free; do line="$line ${mem_hwm[$col]:+$(mib "${mem_hwm[$col]}")} |"; done
		echo "$line (not anonymous; context only) |"
		line="| /proc samples taken per run |"
		for col in verify info verify_free; do line="$line ${mem_samples[$col]:-} |"; done
		echo "$line (few samples = short run; massif is the exact figure) |"
	fi
} >"$scratch/results.md"
cp "$scratch/results.md" "$out/results.md"
cat "$out/results.md"
say "written to $out/results.md"
# bench/RESULTS.md keeps the latest run: its block between the two markers is
# replaced by this run's table (the hand-written text around it stays).
# BENCH_WRITE_RESULTS=0 leaves the file alone (e.g. for a quick try).
if [ "${BENCH_WRITE_RESULTS:-1}" != 0 ]; then
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
case $crc_verdict in *DISAGREE*) die "the backup's manifest crc32 of raft-log.db disagrees with zlib's crc32 of the file" ;; esac
