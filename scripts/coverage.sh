#!/usr/bin/env bash
# scripts/coverage.sh [all] — line and branch coverage of bolt/, raftstate/,
# present/ and cmd/ by the test suite (`just coverage`): a Debug build instrumented
# with gcc's --coverage in build-cov/, the unit and CLI tests through ctest
# (`all`: the interop tests too, which need the Go harness and take far
# longer), then gcovr's summary, one line per file and a total, restricted to
# the three product directories (tests/ and the generated header are not
# counted), and scripts/coverage-gaps.py's list of what no test reached,
# grouped by why. The HTML report is build-cov/coverage/index.html. CPU heavy: it
# runs under nice.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v gcovr >/dev/null 2>&1; then
	echo "coverage.sh: gcovr is not installed; run ./run.sh coverage (it installs it) or apt-get install gcovr" >&2
	exit 2
fi
labels=(-LE interop)
case ${1:-} in
'') ;;
all) labels=() ;;
*)
	echo "coverage.sh: unknown argument '$1'; usage: scripts/coverage.sh [all]" >&2
	exit 2
	;;
esac
jobs=$(nproc)
dir=build-cov
# no hardening (-fstack-protector's branches are not ours) and no -O (gcov's
# line counts follow the source only unoptimised)
nice cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DOCI_WERROR=ON -DOCI_HARDENING=OFF \
	-DCMAKE_C_FLAGS="--coverage -fprofile-update=atomic -DOCI_COVERAGE" -DCMAKE_EXE_LINKER_FLAGS="--coverage" >/dev/null
nice cmake --build "$dir" -j "$jobs"
# counts of an earlier run would be added to this one's
find "$dir" -name '*.gcda' -delete
# an instrumented -O0 build under nice on a shared machine runs several times
# slower than the Release build the unit tests' own timeouts are set for
(cd "$dir" && CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-5} nice ctest --output-on-failure -j "$jobs" --timeout 2400 "${labels[@]}")
mkdir -p "$dir/coverage"
# gcov runs once (into coverage.json); the reports are made from that.
# --exclude-unreachable-branches: the branches gcc adds for code it
# generates itself (no source line of ours can take them) are not counted.
nice gcovr --root . --object-directory "$dir" --filter 'bolt/' --filter 'raftstate/' --filter 'present/' --filter 'cmd/' \
	--exclude-unreachable-branches -j "$jobs" --json "$dir/coverage/coverage.json"
report() { gcovr --root . --add-tracefile "$dir/coverage/coverage.json" "$@"; }
# Never an output path of /dev/null: gcovr 5.2 checks each output path by
# opening it and then unlinks it (gcovr/configuration.py, OutputOrDefault), so
# as root it deletes the device and the next '>/dev/null' anywhere on the
# machine makes a regular file in its place (tests/cli/test_coverage_outputs.sh).
report --print-summary --txt "$dir/coverage/lines.txt" >"$dir/coverage/totals.txt"
report --branches --txt "$dir/coverage/branches.txt"
report --html-details "$dir/coverage/index.html"
# every line and branch no test reached, grouped by why (docs/coverage.md is
# this report at a measured commit)
python3 scripts/coverage-gaps.py "$dir/coverage/coverage.json" \
	"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" >"$dir/coverage/gaps.md"
echo "coverage.sh: per file: $dir/coverage/lines.txt, $dir/coverage/branches.txt; HTML: $dir/coverage/index.html; gaps by reason: $dir/coverage/gaps.md"
cat "$dir/coverage/totals.txt"
