# Sourced by tests/interop/test_*.sh (not a test itself).
# Environment from CMake: OCI_BIN, OCI_SRC, OCI_SHARED, OCI_BUILD.
set -euo pipefail

OCI_SRC=${OCI_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
OCI_SHARED=${OCI_SHARED:-$OCI_SRC/../shared}
OCI_BUILD=${OCI_BUILD:-$OCI_SRC/build}
VECTORS=$OCI_SHARED/vectors
HARNESS_DIR=$OCI_BUILD/interop
H=$HARNESS_DIR/oci-harness
TEST_NAME=$(basename "$0" .sh)

say() { echo "[$TEST_NAME] $*"; }
die() {
	echo "[$TEST_NAME] FAIL: $*" >&2
	exit 1
}
skip() {
	echo "[$TEST_NAME] SKIP: $*"
	exit 77
}

# need_harness: build (once, shared by all tests) or skip. With CI=true a
# missing Go toolchain or package is a failure, not a skip.
need_harness() {
	local rc=0
	bash "$OCI_SRC/tests/interop/build-harness.sh" "$HARNESS_DIR" || rc=$?
	if [ "$rc" = 77 ]; then
		[ "${CI:-}" = true ] && die "CI=true but the Go harness cannot be built (see above); install the Go packages"
		skip "Go harness unavailable (see above)"
	fi
	[ "$rc" = 0 ] || die "building the Go harness failed (exit $rc)"
}

need_vectors() {
	[ -d "$VECTORS/gen" ] || skip "reference vectors not found at $VECTORS"
}

# A private temp dir, removed on exit.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oci-interop.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# expect_fail DESCRIPTION PATTERN CMD...: CMD must exit non-zero and its
# stderr must match PATTERN (extended regexp).
expect_fail() {
	local what=$1 pat=$2
	shift 2
	local rc=0
	"$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" != 0 ] || die "$what: expected failure, got exit 0"
	grep -Eq "$pat" "$TMP/err" || die "$what: exit $rc but stderr does not match /$pat/: $(head -c 400 "$TMP/err")"
	say "ok (refused, exit $rc): $what: $(head -n1 "$TMP/err")"
}

# json_has FILE KEY VALUE: the harness's indented JSON has "KEY": VALUE somewhere.
json_has() {
	grep -Eq "\"$2\": $3,?\$" "$1" || die "$1: expected \"$2\": $3"
}
