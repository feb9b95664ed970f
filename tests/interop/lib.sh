# Sourced by tests/interop/test_*.sh (not a test itself).
# Environment from CMake: OCI_BIN, OCI_SRC, OCI_SHARED, OCI_BUILD, and OCI_STACK:
# which build of the Go harness $H is (CMake registers every test once per stack).
#   raft-1.1.2  Debian's raft 1.1.2 + raft-boltdb v1 (boltdb/bolt, go-msgpack 0.5.5)
#   raft-1.7.2  op-conductor's raft v1.7.2 + raft-boltdb/v2 v2.3.1 (bbolt, go-msgpack/v2)
#   opc-1.19.6  op-conductor v1.19.6's own consensus package (tests/interop/opc/, its
#               tests only: $H is oci-opc, whose commands differ from oci-harness's)
set -euo pipefail

OCI_SRC=${OCI_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
OCI_SHARED=${OCI_SHARED:-$OCI_SRC/../shared}
OCI_BUILD=${OCI_BUILD:-$OCI_SRC/build}
VECTORS=$OCI_SHARED/vectors
HARNESS_DIR=$OCI_BUILD/interop
OCI_STACK=${OCI_STACK:-raft-1.1.2}
case $OCI_STACK in
raft-1.1.2) H=$HARNESS_DIR/oci-harness ;;
raft-1.7.2) H=$HARNESS_DIR/oci-harness-raft-1.7.2 ;;
opc-1.19.6) H=$HARNESS_DIR/oci-opc ;;
*)
	echo "OCI_STACK=$OCI_STACK: want raft-1.1.2, raft-1.7.2 or opc-1.19.6" >&2
	exit 2
	;;
esac
TEST_NAME=$(basename "$0" .sh)@$OCI_STACK

# say MSG: one line of progress; a line starting "ok" counts as a passed
# check. die MSG: the failure, the count so far, exit 1. passed: the count
# at the end of a test whose checks all passed.
PASSED=0
say() {
	echo "[$TEST_NAME] $*"
	case $* in ok*) PASSED=$((PASSED + 1)) ;; esac
}
die() {
	echo "[$TEST_NAME] FAIL: $*" >&2
	echo "$PASSED passed, 1 failed"
	exit 1
}
passed() { echo "$PASSED passed, 0 failed"; }
# count FILE PATTERN: lines of FILE matching PATTERN (0 when none)
count() { grep -c "$2" "$1" || true; }
skip() {
	echo "[$TEST_NAME] SKIP: $*"
	exit 77
}

# need_harness: build this stack's harness (once, shared by all tests) or skip
# with one line saying why. With CI=true a missing Go toolchain, Debian package or
# module proxy is a failure, not a skip. Says which stack the test runs on.
need_harness() {
	local rc=0
	mkdir -p "$HARNESS_DIR"
	bash "$OCI_SRC/tests/interop/build-harness.sh" "$HARNESS_DIR" "$OCI_STACK" 2>"$TMP/build-harness.err" || rc=$?
	if [ "$rc" = 77 ]; then
		[ "${CI:-}" = true ] && die "CI=true but the $OCI_STACK harness cannot be built: $(tail -n1 "$TMP/build-harness.err")"
		skip "$(tail -n1 "$TMP/build-harness.err" | sed 's/^build-harness: //')"
	fi
	cat "$TMP/build-harness.err" >&2
	[ "$rc" = 0 ] || die "building the $OCI_STACK Go harness failed (exit $rc)"
	say "stack: $("$H" stack)"
}

need_vectors() {
	[ -d "$VECTORS/gen" ] || skip "reference vectors not found at $VECTORS"
}

# A private temp dir, removed on exit.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oci-interop.XXXXXX")
# (copies of the read-only vectors may be read-only: make the tree removable first)
trap 'chmod -R u+rwx "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT

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
