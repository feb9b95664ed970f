#!/usr/bin/env bash
# Self-test of the harness tools other tests and benchmarks rely on:
# biglog is deterministic and readable, scan counts what biglog wrote,
# append commits entries that a later scan sees, wait-lock holds the
# exclusive bolt flock so other opens time out.
. "$(dirname "$0")/lib.sh"
need_harness

args=(--entries 3000 --size 4000 --keep 2000 --seed 42 --term-every 700 --barrier-every 900 --config-every 1000)
"$H" biglog --out "$TMP/a.db" "${args[@]}" >"$TMP/biglog.json" || die "biglog"
"$H" biglog --out "$TMP/b.db" "${args[@]}" >/dev/null || die "biglog (2nd run)"
cmp -s "$TMP/a.db" "$TMP/b.db" || die "biglog is not deterministic for the same seed"
json_has "$TMP/biglog.json" first_index 1001
json_has "$TMP/biglog.json" last_index 3000
json_has "$TMP/biglog.json" LogCommand 1993
json_has "$TMP/biglog.json" LogConfiguration 2
expect_fail "biglog refuses an existing file" 'already exists' "$H" biglog --out "$TMP/a.db" "${args[@]}"
"$H" scan --check "$TMP/a.db" >"$TMP/scan.json" || die "scan --check"
json_has "$TMP/scan.json" count 2000
db=$(grep -m1 '"data_bytes"' "$TMP/biglog.json" | tr -dc 0-9)
json_has "$TMP/scan.json" data_bytes "$db"
pages=$(grep -m1 '"file_size"' "$TMP/biglog.json" | tr -dc 0-9)
[ "$pages" -gt $((8 * 1024 * 1024)) ] || die "biglog file unexpectedly small ($pages B)"
say "ok: biglog deterministic ($(sha256sum "$TMP/a.db" | cut -c1-16)...), scan --check reads 2000 entries, $db data bytes"

"$H" append "$TMP/a.db" --rate 40 --seconds 1 >"$TMP/append.out" || die "append"
n=$(grep -c '^committed ' "$TMP/append.out")
last=$(grep '^committed ' "$TMP/append.out" | tail -n1 | cut -d' ' -f2)
[ "$n" -ge 10 ] || die "append committed only $n entries in 1 s at 40/s"
[ "$last" = $((3000 + n)) ] || die "append: last committed $last, expected $((3000 + n))"
"$H" scan --check "$TMP/a.db" >"$TMP/scan.json" || die "scan after append"
json_has "$TMP/scan.json" last "$last"
say "ok: append committed $n entries (3001..$last), scan sees them"

"$H" wait-lock "$TMP/a.db" 20 >"$TMP/lock.out" &
lockpid=$!
for _ in $(seq 100); do grep -q '^locked' "$TMP/lock.out" && break; sleep 0.1; done
grep -q '^locked' "$TMP/lock.out" || die "wait-lock did not report the lock"
expect_fail "read-only scan while locked" 'timeout' "$H" scan "$TMP/a.db"
kill "$lockpid"
wait "$lockpid" || die "wait-lock did not exit cleanly on SIGTERM"
grep -q '^released' "$TMP/lock.out" || die "wait-lock did not release"
"$H" scan "$TMP/a.db" >/dev/null || die "scan after the lock was released"
say "ok: wait-lock holds LOCK_EX (a read-only open times out), releases on SIGTERM"
