#!/usr/bin/env bash
# scripts/test.sh — the whole test suite (`./run.sh test`, `just test`, .ci/run):
# the build-type x compiler compile matrix, unit, CLI and interop tests, a fuzz smoke of every target, then all unit+CLI
# tests and the large backup test again under ASan+UBSan. Stops at the first
# failing step.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
sanitizers=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)

bash scripts/build.sh
# every build type with gcc and clang, compile-only, -Werror (scripts/build-matrix.sh)
bash scripts/build-matrix.sh
(cd build && ctest --output-on-failure -j "$jobs" --timeout 1200)
tests/fuzz/run.sh 30
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DOCI_SANITIZE=ON -DOCI_WERROR=ON >/dev/null
cmake --build build-asan -j "$jobs"
(cd build-asan && env "${sanitizers[@]}" ctest --output-on-failure -j "$jobs" -LE interop --timeout 1200)
# the large-file paths (the chunked copy, the two-thread checksum and page-cache drop, compression, progress) under the sanitizers too
(cd build-asan && env "${sanitizers[@]}" ctest --output-on-failure -R '^interop/test_backup_large@raft-1.1.2$' --timeout 1200)
