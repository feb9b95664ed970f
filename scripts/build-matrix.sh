#!/usr/bin/env bash
# scripts/build-matrix.sh — compile-only: the product binary in every build
# type (Debug, RelWithDebInfo, Release, MinSizeRel) with gcc and clang, with
# -DOCI_WERROR=ON, so that a warning any of them gives fails here (`just
# build-matrix`; a step of scripts/test.sh). The combinations the suite
# already builds in full are left out: gcc RelWithDebInfo (build/, every
# target) and gcc Debug (build-asan/, every target, with the sanitizers).
# Each combination has its own tree, build-matrix/<cc>-<type>/, kept between
# runs so that a rerun only recompiles what changed. CC_GCC and CC_CLANG
# name the compilers (default gcc and clang: Debian 12's gcc 12 and clang 14).
# Prints the seconds each combination took.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
gcc=${CC_GCC:-gcc}
clang=${CC_CLANG:-clang}
for cc in "$gcc" "$clang"; do
	command -v "$cc" >/dev/null || { echo "build-matrix: $cc is missing (run.sh installs build-essential and clang)" >&2; exit 1; }
done

total=$SECONDS
for cc in "$gcc" "$clang"; do
	for type in Debug RelWithDebInfo Release MinSizeRel; do
		[ "$cc" = "$gcc" ] && { [ $type = RelWithDebInfo ] || [ $type = Debug ]; } && continue
		dir=build-matrix/$(basename "$cc")-$type
		start=$SECONDS
		CC=$cc cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=$type -DOCI_WERROR=ON >/dev/null
		if ! out=$(cmake --build "$dir" -j "$jobs" --target op-conductor-init 2>&1); then
			printf '%s\n' "$out" | grep -v '^\[' >&2
			echo "build-matrix: $cc $type does not build without a warning (above)" >&2
			exit 1
		fi
		echo "build-matrix: $("$cc" --version | head -1), $type: ok ($((SECONDS - start)) s)"
	done
done
echo "build-matrix: every combination built without a warning ($((SECONDS - total)) s)"
