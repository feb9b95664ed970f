#!/usr/bin/env bash
# scripts/build.sh — configure and build the release binary, build/op-conductor-init
# (`just build`; the first step of scripts/example.sh and scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCI_WERROR=ON >/dev/null
cmake --build build -j "$(nproc)"
