#!/usr/bin/env bash
# Our bolt writer against go.etcd.io/bbolt, byte for byte: the same
# deterministic workload (batched appends with overflow values, a
# DeleteRange of a prefix that merges nodes and fills the freelist, more
# appends reusing freed pages, a second bucket) written by both must give
# identical files; and the Go stack must read ours (tx.Check).
source "$(dirname "$0")/lib.sh"
need_harness

cc -std=c11 -D_GNU_SOURCE -O2 -I"$OCI_SRC" "$OCI_SRC/tests/interop/boltwrite.c" \
	"$OCI_BUILD/libbolt.a" $(pkg-config --libs libbsd zlib) -pthread \
	$(grep -q '^CMAKE_C_FLAGS:STRING=.*--coverage' "$OCI_BUILD/CMakeCache.txt" 2>/dev/null && echo --coverage) \
	-o "$TMP/boltwrite" ||
	die "cannot build boltwrite.c"

pass=0
fail=0
run_case() { # name entries batch maxvalue deleteto after seed
	local name=$1
	shift
	"$H" boltwrite --out "$TMP/$name.go.db" --entries "$1" --batch "$2" --max-value "$3" \
		--delete-to "$4" --after "$5" --seed "$6" >/dev/null || die "$name: harness boltwrite failed"
	"$TMP/boltwrite" "$TMP/$name.c.db" "$@" >/dev/null || die "$name: C boltwrite failed"
	local gs cs
	gs=$(stat -c %s "$TMP/$name.go.db")
	cs=$(stat -c %s "$TMP/$name.c.db")
	if cmp -s "$TMP/$name.go.db" "$TMP/$name.c.db"; then
		say "ok: $name: identical ($cs bytes)"
		pass=$((pass + 1))
	elif [ "$gs" -gt "$cs" ] && [ "$cs" -ge $((16 << 20)) ] &&
		cmp -s -n "$cs" "$TMP/$name.go.db" "$TMP/$name.c.db" &&
		[ -z "$(tail -c +$((cs + 1)) "$TMP/$name.go.db" | tr -d '\0' | head -c 1)" ]; then
		# bbolt 1.3.6 (Debian) grows a file whose mmap size is exactly 16 MiB by
		# another AllocSize; 1.3.9 (what op-conductor-init pins, and we follow)
		# stops at 16 MiB (see vectors/big: medium-raft-log.db is 16 MiB). The
		# pages are identical; only the zero tail differs.
		say "ok: $name: identical pages; Go 1.3.6 file has $((gs - cs)) more zero bytes (1.3.6 growth rule)"
		pass=$((pass + 1))
	else
		say "FAIL: $name: files differ: $(cmp "$TMP/$name.go.db" "$TMP/$name.c.db" 2>&1 | head -1)"
		fail=$((fail + 1))
	fi
}
run_case small 40 8 300 10 5 7
run_case overflow 300 16 9000 100 50 42
run_case big 1500 64 9000 1000 200 42
run_case tiny-batches 400 1 5000 399 30 99
run_case delete-all 200 50 2000 200 20 5

# the Go stack reads what we wrote: bbolt tx.Check on each of our files
for f in "$TMP"/*.c.db; do
	if "$H" boltcheck "$f" >"$TMP/check.json" 2>"$TMP/check.err"; then
		say "ok: bbolt tx.Check accepts $(basename "$f")"
		pass=$((pass + 1))
	else
		say "FAIL: bbolt tx.Check on $(basename "$f"): $(head -c 300 "$TMP/check.err")"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
