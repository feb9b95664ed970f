#!/usr/bin/env bash
# Runs the fuzz targets: run.sh [SECONDS] [TARGET...]
#   SECONDS  per target (default 60); TARGET: bolt log config snapshot_meta
#            flags gunzip payload json json_out (default: all).
# Builds first (build.sh). Each target starts from its seeds
# (tests/fuzz/corpus/<t>/) and its regression files
# (testdata/fuzz-regress/<t>/), so old crashes are replayed on every run;
# new interesting inputs go to build-fuzz/work/<t>/ (not to the tree),
# crashes, leaks and timeouts to build-fuzz/artifacts/<t>/.
# Runs under nice (FUZZ_NICE, default 19), one job per target.
# FUZZ_RUNS=N also stops a target after N executions (whichever comes first),
# e.g. FUZZ_RUNS=10000000 tests/fuzz/run.sh 1800 for "10 million or 30 min".
# Prints one line per target with the executions done; exit 1 if any target
# found a crash, a leak, a timeout or an out-of-memory.
set -uo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$src/build-fuzz}
secs=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(bolt log config snapshot_meta flags gunzip payload json json_out)

FUZZ_OUT=$out "$src/tests/fuzz/build.sh" || exit 1

status=0
summary=()
for t in "${targets[@]}"; do
	bin=$out/fuzz_$t
	[[ -x $bin ]] || { echo "no such target: $t" >&2; exit 2; }
	work=$out/work/$t art=$out/artifacts/$t log=$out/logs/$t.log
	mkdir -p "$work" "$art" "$out/logs"
	dirs=("$work" "$src/tests/fuzz/corpus/$t")
	[[ -d $src/testdata/fuzz-regress/$t ]] && dirs+=("$src/testdata/fuzz-regress/$t")
	maxlen=8192
	[[ $t == bolt ]] && maxlen=65536
	echo "== fuzz_$t for ${secs}s" >&2
	t0=$SECONDS
	nice -n "${FUZZ_NICE:-19}" "$bin" -max_total_time="$secs" -runs="${FUZZ_RUNS:--1}" -timeout=10 \
		-rss_limit_mb=2048 -max_len="$maxlen" -print_final_stats=1 \
		-artifact_prefix="$art/" "${dirs[@]}" >"$log" 2>&1
	rc=$?
	took=$((SECONDS - t0))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if ((rc != 0)); then
		status=1
		grep -E "ERROR|SUMMARY|Test unit written" "$log" >&2
		summary+=("fuzz_$t: FAILED after ${execs:-?} executions (rc $rc, see $log)")
	else
		summary+=("fuzz_$t: ok, ${execs:-?} executions in ${took}s, 0 crashes")
	fi
done
printf '%s\n' "${summary[@]}"
exit $status
