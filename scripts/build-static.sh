#!/usr/bin/env bash
# Builds a fully static op-conductor-init (no shared libraries, no dynamic
# loader): scripts/build-static.sh [OUTDIR]   (default build-static/)
#
# glibc's static libraries are used, with Debian's static libbsd.a, libmd.a
# (SHA-256, libbsd's dependency), libz.a and libdeflate.a. Debian ships no static cJSON
# (libcjson-dev has only the .so), so cJSON is compiled from Debian's own
# source package: `apt-get source cjson` (Debian's patches applied), fetched
# once into OUTDIR/deps through a private deb-src list (the system's apt
# configuration is not touched). CJSON_SRC=DIR uses an unpacked cJSON
# source tree instead (offline builds).
#
# Why not musl: Debian's musl-tools has no musl builds of libbsd, libmd,
# zlib or cJSON; glibc -static gives the same result (one ELF, "not a
# dynamic executable"). The one glibc caveat: --chown USER:GROUP by *name*
# goes through NSS, which a static glibc binary can only use where the
# system's NSS modules exist; numeric --chown UID:GID always works (use it
# in minimal images).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$SRC/build-static}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CC=${CC:-gcc}

for lib in libc.a libbsd.a libmd.a libz.a libdeflate.a; do
	"$CC" -print-file-name="$lib" | grep -q / || {
		echo "build-static: $lib not found (install libc6-dev libbsd-dev libmd-dev zlib1g-dev libdeflate-dev)" >&2
		exit 1
	}
done

# --- cJSON from Debian's source package
if [ -n "${CJSON_SRC:-}" ]; then
	cjson=$CJSON_SRC
else
	cjson=$(ls -d "$OUT"/deps/cjson-*/ 2>/dev/null | head -n1 || true)
	if [ -z "$cjson" ] || [ ! -f "$cjson/cJSON.c" ]; then
		apt=$OUT/deps/apt
		rm -rf "$OUT/deps"
		mkdir -p "$apt/lists/partial"
		# deb-src entries for the archives this machine already uses (same
		# hosts and suites as its apt configuration; nothing else is named)
		mkdir -p "$apt/parts"
		: >"$apt/sources.list"
		[ -f /etc/apt/sources.list ] && sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >"$apt/sources.list"
		for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
			[ -f "$f" ] || continue
			case "$f" in
			*.sources) sed 's/^Types:.*/Types: deb-src/' "$f" >"$apt/parts/$(basename "$f")" ;;
			*.list) sed -n 's/^deb /deb-src /p' "$f" >"$apt/parts/$(basename "$f")" ;;
			esac
		done
		opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/parts"
			-o "Dir::State::Lists=$apt/lists" -o "APT::Sandbox::User=root")
		apt-get "${opts[@]}" -qq update >&2
		(cd "$OUT/deps" && apt-get "${opts[@]}" -qq source cjson >&2)
		cjson=$(ls -d "$OUT"/deps/cjson-*/ | head -n1)
	fi
fi
[ -f "$cjson/cJSON.c" ] || { echo "build-static: no cJSON.c in $cjson" >&2; exit 1; }
mkdir -p "$OUT/include/cjson"
cp "$cjson/cJSON.h" "$OUT/include/cjson/cJSON.h"

# --- compile and link
version=$(sed -n 's/^project(op-conductor-init VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
# cmd/version.c's commit, date and libbsd version, as the CMake build writes them
cmake -DSRC="$SRC" -DOUT="$OUT/include/oci_buildinfo.h" \
	-DLIBBSD_VERSION="$(pkg-config --modversion libbsd 2>/dev/null || echo unknown)" -P "$SRC/cmake/buildinfo.cmake"
flags=(-std=c11 -O2 -D_GNU_SOURCE "-DOCI_VERSION=\"$version\"" -I"$OUT/include" -I"$SRC")
warn=(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Werror)
objs=()
mkdir -p "$OUT/obj"
"$CC" "${flags[@]}" -c "$cjson/cJSON.c" -o "$OUT/obj/cJSON.o"
objs+=("$OUT/obj/cJSON.o")
for c in "$SRC"/bolt/*.c "$SRC"/raftstate/*.c "$SRC"/present/*.c "$SRC"/cmd/*.c; do
	o=$OUT/obj/$(basename "$(dirname "$c")")_$(basename "$c" .c).o
	"$CC" "${flags[@]}" "${warn[@]}" -c "$c" -o "$o"
	objs+=("$o")
done
# getpwnam/getgrnam in a static glibc binary: the linker warns (see above)
"$CC" -static -o "$OUT/op-conductor-init" "${objs[@]}" -lbsd -lmd -lz -ldeflate -pthread 2> >(grep -v -e "statically linked applications requires at runtime" -e "in function .owner_parse" >&2)
strip "$OUT/op-conductor-init" 2>/dev/null || true
echo "$OUT/op-conductor-init"
