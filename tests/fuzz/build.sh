#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined)
# into ${FUZZ_OUT:-build-fuzz}/: fuzz_bolt fuzz_log fuzz_config
# fuzz_snapshot_meta fuzz_flags fuzz_gunzip fuzz_payload fuzz_json fuzz_json_out. The project sources are compiled straight
# in (bolt/*.c raftstate/*.c, and present/ with cmd/ for fuzz_flags and fuzz_json_out),
# with the libraries from pkg-config. Run from anywhere; CC overrides clang.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$src/build-fuzz}
cc=${CC:-clang}
jobs=${FUZZ_BUILD_JOBS:-2}
mkdir -p "$out/obj"

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# OCI_GZ_CHUNK: raftstate/backupfile.c's inflate chunk, 1 MiB in the tool,
# 16 KiB here (fuzz_gunzip ran at ~1,000 inputs/s on fresh 1 MiB buffers)
# cmd/version.c's header of the commit and date (cmake/buildinfo.cmake, as the CMake build)
cmake -DSRC="$src" -DOUT="$out/gen/oci_buildinfo.h" -DLIBBSD_VERSION="$(pkg-config --modversion libbsd)" \
	-P "$src/cmake/buildinfo.cmake"
cflags="-std=c11 -D_GNU_SOURCE -DOCI_VERSION=\"fuzz\" -DOCI_GZ_CHUNK=16384 -g -O1 -Wall -Wextra -I$src -I$out/gen $san
        $(pkg-config --cflags libbsd libcjson zlib libdeflate)"
libs="$(pkg-config --libs libbsd libmd libcjson zlib libdeflate) -pthread"

core=()
for f in "$src"/bolt/*.c "$src"/raftstate/*.c; do
	core+=("$f")
done
# fuzz_flags needs the real flag table of `raft generate`, and generate.c
# needs present/ and the rest of cmd/: take all of both but main.c (which
# holds main()).
cmdsrc=()
for f in "$src"/present/*.c "$src"/cmd/*.c; do
	[[ $(basename "$f") == main.c ]] || cmdsrc+=("$f")
done

# Objects are instrumented for coverage (fuzzer-no-link) and rebuilt when
# their source is newer; headers are few, so any header change rebuilds all.
newest_h=$(ls -t "$src"/bolt/*.h "$src"/raftstate/*.h "$src"/present/*.h "$src"/cmd/*.h | head -1)
objs=()
compile() {
	local f=$1 o
	o="$out/obj/$(basename "$(dirname "$f")")_$(basename "${f%.c}").o"
	objs+=("$o")
	if [[ ! -e $o || $f -nt $o || $newest_h -nt $o ]]; then
		echo "$cc $f" >&2
		# shellcheck disable=SC2086
		$cc $cflags -fsanitize=fuzzer-no-link -c "$f" -o "$o" &
		while (($(jobs -rp | wc -l) >= jobs)); do wait -n; done
	fi
}
for f in "${core[@]}" "${cmdsrc[@]}"; do compile "$f"; done
wait
core_objs=("${objs[@]:0:${#core[@]}}")
cmd_objs=("${objs[@]:${#core[@]}}")

for t in bolt log config snapshot_meta flags gunzip payload json json_out; do
	extra=()
	[[ $t == flags || $t == json_out ]] && extra=("${cmd_objs[@]}")
	echo "link fuzz_$t" >&2
	# shellcheck disable=SC2086
	$cc $cflags -fsanitize=fuzzer "$src/tests/fuzz/fuzz_$t.c" "${extra[@]}" \
		"${core_objs[@]}" $libs -o "$out/fuzz_$t"
done
echo "built: $(cd "$out" && ls fuzz_* | tr '\n' ' ')" >&2
