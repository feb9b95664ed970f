# op-conductor-init — common tasks. `./run.sh RECIPE` installs what is missing first.

build_dir := "build"
asan_dir := "build-asan"
bin := build_dir / "op-conductor-init"
jobs := num_cpus()

# list the recipes
help:
    @just --list --unsorted

# configure and build the release binary (build/op-conductor-init)
build:
    bash scripts/build.sh

# the whole test suite: unit, CLI and interop tests, a fuzz smoke of every target, then all unit+CLI tests and the large backup test again under ASan+UBSan (scripts/test.sh)
test:
    bash scripts/test.sh

# run only the unit tests
test-unit: build
    cd {{build_dir}} && ctest --output-on-failure -j {{jobs}} -L unit

# run only the interop tests against real HashiCorp Raft, on both harness stacks (Debian's raft 1.1.2; raft v1.7.2 + raft-boltdb/v2 from the Go module proxy), in parallel
interop: build
    cd {{build_dir}} && ctest --output-on-failure -L interop -j {{jobs}} --timeout 1200

# build, generate the Go README's 3-node example into ./example-state, and show it (scripts/example.sh)
example:
    bash scripts/example.sh

# verify every node of ./example-state
verify-example: build
    for d in example-state/*/; do {{bin}} raft verify --state-dir "$d" || exit 1; done

# a quick end-to-end run: generate into a temp dir, verify and inspect every node
test-run: build
    #!/usr/bin/env bash
    set -euo pipefail
    d=$(mktemp -d)
    trap 'rm -rf "$d"' EXIT
    {{bin}} raft generate --nodes 127.0.0.1:50050,127.0.0.1:50051,127.0.0.1:50052 \
        --server-ids node-1,node-2,node-3 --initial-leader node-1 --output-dir "$d"
    for n in "$d"/*/; do {{bin}} raft verify --state-dir "$n"; done

# re-render the man page, the bash, zsh and fish completions and README's command block from the tables in cmd/
docs: build
    bash scripts/render-docs.sh {{bin}}

# compile-only: every build type (Debug, RelWithDebInfo, Release, MinSizeRel) with gcc and clang, -Werror, into build-matrix/ (a step of `just test`)
build-matrix:
    bash scripts/build-matrix.sh

# a Debian package (build/op-conductor-init_<version>-<release>_<arch>.deb: binary, gzip'd man page, bash/zsh/fish completions, systemd unit, /etc/default conffile, copyright, changelogs; Depends from dpkg-shlibdeps), then lintian on it
deb: build
    cd {{build_dir}} && rm -f op-conductor-init_*.deb && cpack -G DEB && lintian --fail-on error,warning --display-info op-conductor-init_*.deb

# remove build trees and generated state
clean:
    rm -rf {{build_dir}} {{asan_dir}} build-* example-state raft-state .bench

# format the C sources in place
fmt:
    clang-format -i cmd/*.[ch] present/*.[ch] bolt/*.[ch] raftstate/*.[ch] tests/*/*.[ch]

# clang-format check + cppcheck
lint:
    clang-format --dry-run --Werror cmd/*.[ch] present/*.[ch] bolt/*.[ch] raftstate/*.[ch]
    cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --inline-suppr --std=c11 -I . cmd present bolt raftstate

# differential msgpack decoding, ours vs go-msgpack/v2 (raft-boltdb/v2 GetLog), on 1,500,000 inputs (CI runs 150,000)
diff-msgpack: build
    OCI_DIFF_MSGPACK_COUNT=1500000 OCI_BIN={{bin}} OCI_SRC=$PWD OCI_BUILD=$PWD/{{build_dir}} bash tests/interop/diff_msgpack.sh

# benchmark verify/info/backup on a cached >= 1 GB raft log vs cat, cp and the Go reader (method: docs/testing.md, "Benchmark"); table in .bench/results.md and bench/RESULTS.md
bench: build
    bash bench/bench.sh {{bin}}

# build the libFuzzer targets (clang) and run each for SECONDS (default 60) under nice; exit 1 on any crash/leak/timeout
fuzz SECONDS="60":
    tests/fuzz/run.sh {{SECONDS}}

# the acceptance run: every target until 10 million executions or 30 minutes, whichever comes first
fuzz-long:
    FUZZ_RUNS=10000000 tests/fuzz/run.sh 1800

# CI smoke: every fuzz target for 30 s (seeds + testdata/fuzz-regress replayed first)
fuzz-smoke:
    tests/fuzz/run.sh 30

# a fully static binary (glibc -static; cJSON from Debian's source package) in build-static/op-conductor-init
static:
    bash scripts/build-static.sh build-static
    ldd build-static/op-conductor-init || true

# the README's quick start (./run.sh example, ./run.sh test) in fresh Debian 12 roots, as root and as a sudo user; MODES: root user
fresh-check *MODES:
    bash scripts/fresh-check.sh {{MODES}}

# line and branch coverage of bolt/, raftstate/, present/ and cmd/ by the unit and CLI tests (ARGS=all: the interop tests too): gcov + gcovr, Debug build in build-cov/ (scripts/coverage.sh; numbers in docs/testing.md, "Coverage")
coverage *ARGS:
    bash scripts/coverage.sh {{ARGS}}
