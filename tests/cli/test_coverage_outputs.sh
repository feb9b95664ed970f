#!/usr/bin/env bash
# scripts/coverage.sh never gives gcovr a device (e.g. /dev/null) as an output
# file: gcovr 5.2 (Debian 12) validates every output path by opening it for
# writing and then unlinking it (gcovr/configuration.py, OutputOrDefault), so
# run as root it deleted /dev/null, and the next '>/dev/null' on the machine
# created a regular file there (seen on 2026-12-07: every benchmark yardstick
# then timed writes into a file). When gcovr is installed and we are root, the
# upstream behaviour is shown on a private device node first.
. "$(dirname "$0")/lib.sh"
need_env OCI_SRC
make_tmp coverage-outputs

# every gcovr call of coverage.sh (direct, or through its report function)
calls=$(grep -E '^[[:space:]]*(nice +)?(gcovr|report) ' "$OCI_SRC/scripts/coverage.sh")
n=$(printf '%s\n' "$calls" | grep -c .)
if [ "$n" -ge 4 ]; then ok "coverage.sh has $n gcovr calls to check"; else bad "coverage.sh: found only $n gcovr calls"; fi
dev=$(printf '%s\n' "$calls" | grep -E '(^|[[:space:]"=])/dev/' || true)
if [ -z "$dev" ]; then ok "no gcovr call of coverage.sh writes to a path under /dev/"; else bad "a gcovr call writes under /dev/: $dev"; fi

if command -v gcovr >/dev/null && [ "$(id -u)" = 0 ] && mknod -m 666 "$tmp/null" c 1 3 2>/dev/null; then
	gcovr --root "$tmp" --txt "$tmp/null" --add-tracefile "$tmp/none.json" >/dev/null 2>&1 || true
	if [ -c "$tmp/null" ]; then
		echo "note: this gcovr ($(gcovr --version | head -n1)) leaves a device given as --txt in place"
	else
		echo "note: this gcovr ($(gcovr --version | head -n1)) removed the device node given as --txt (why the check above exists)"
	fi
fi
finish
