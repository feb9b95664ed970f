# Sourced by tests/cli/test_*.sh (not a test itself):
#	. "$(dirname "$0")/lib.sh"
# Environment from CMake: OCI_BIN, OCI_SRC, OCI_TESTDATA, OCI_SHARED,
# OCI_BUILD; a test names the ones it needs with need_env.
#
# Gives every test set -u, umask 022 (the modes the Go tool's files are
# compared with), the counters pass and fail, and:
#   need_env VAR...      exit 1 unless every VAR is set and not empty
#   default_shared       OCI_SHARED defaults to the shared/ tree beside the
#                        source tree (for tests run by hand)
#   unset_env REGEX...   unset every environment variable whose whole name
#                        matches one of the extended regexps, so that the
#                        caller's environment cannot steer the tool
#   make_tmp PREFIX      a private directory $tmp, removed on exit; the
#                        test's function cleanup_hook, if it defines one
#                        (kill a lock holder, unmount), runs first
#   eq NAME GOT WANT     ok "NAME = WANT" when GOT is WANT, else bad with both
#   ok MSG / bad MSG     count a pass / a failure and print "ok   MSG" /
#                        "FAIL MSG" ("ok: MSG" / "FAIL: MSG" after
#                        output_style colon)
#   finish               print "N passed, M failed"; exit 1 if M > 0, else 0
#   hold FILE / release  another process takes (and keeps) an exclusive
#                        flock on FILE, as a running op-conductor does /
#                        ends it; call release from cleanup_hook
#   listing DIR          the whole tree under DIR (names, types, modes,
#                        sizes, sha256), for comparing before with after
#   build_jget           compiles a JSON reader: jget FILE PATH prints one value
#                        (PATH /-separated, numbers index arrays, a trailing
#                        "#" gives an array's length; strings bare, integral
#                        numbers as integers, else the JSON text)
#   build_mknode         sets $MKNODE to tests/cli/mknode.c as CMake built it
#                        (op-conductor-shaped node directories through our
#                        writer); needs OCI_BUILD
#   refuse_restore WHAT PATTERN BACKUP [ARGS...]
#                        `$B raft restore --backup-dir BACKUP --state-dir
#                        $tmp/target ARGS` must exit 1 with stderr matching
#                        PATTERN and leave $tmp/target as it was; with
#                        REFUSE_ONE_LINE=1, stderr must be that one line;
#                        RESTORE_TARGET / RESTORE_WATCH: another --state-dir
#                        / tree that must not change
set -u
umask 022

pass=0
fail=0
_ok_tag='ok   '
_bad_tag='FAIL '

need_env() {
	local v
	for v; do
		if [ -z "${!v:-}" ]; then
			echo "$0: $v is not set" >&2
			exit 1
		fi
	done
}

default_shared() {
	OCI_SHARED=${OCI_SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
}

unset_env() {
	local re v
	re=$(IFS='|' && echo "$*")
	for v in $(env | grep -oE "^($re)="); do unset "${v%=}"; done
}

make_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
	trap _lib_exit EXIT
}

# The EXIT trap: bash keeps the test's exit status through it.
_lib_exit() {
	if declare -F cleanup_hook >/dev/null; then
		cleanup_hook
	fi
	chmod -R u+rwx "$tmp" 2>/dev/null
	rm -rf "$tmp"
}

# output_style colon|spaced: how ok and bad tag their lines
output_style() {
	case $1 in
	colon) _ok_tag='ok: ' _bad_tag='FAIL: ' ;;
	spaced) _ok_tag='ok   ' _bad_tag='FAIL ' ;;
	*)
		echo "$0: output_style: unknown style '$1'" >&2
		exit 1
		;;
	esac
}

ok() {
	pass=$((pass + 1))
	echo "$_ok_tag$*"
}

bad() {
	fail=$((fail + 1))
	echo "$_bad_tag$*"
}

eq() {
	if [ "$2" = "$3" ]; then
		ok "$1 = $3"
	else
		bad "$1: got '$2', want '$3'"
	fi
}

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] || exit 1
	exit 0
}

# hold FILE: one background process takes LOCK_EX on FILE with flock(1) on
# its own descriptor, then becomes `sleep` (which keeps the lock); no
# output pipe is inherited, so nothing outlives the test. Returns once the
# lock is seen taken (bad and 1 after 5 s). release ends it.
holder=
hold() {
	release
	(
		exec 9<"$1"
		flock -x 9
		exec sleep 60
	) </dev/null >/dev/null 2>&1 &
	holder=$!
	for _ in $(seq 1 100); do
		flock -n -s "$1" true 2>/dev/null || return 0
		sleep 0.05
	done
	bad "could not take the lock on $1 for the test"
	return 1
}

release() {
	if [ -n "$holder" ]; then
		kill "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
		holder=
	fi
}

listing() { (cd "$1" && find . -printf '%p %y %m %s\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); }

refuse_restore() {
	local what=$1 pat=$2 bk=$3 rc target=${RESTORE_TARGET:-$tmp/target}
	local watch=${RESTORE_WATCH:-${RESTORE_TARGET:-$tmp/target}}
	shift 3
	listing "$watch" >"$tmp/before"
	"$B" raft restore --backup-dir "$bk" --state-dir "$target" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	listing "$watch" >"$tmp/after"
	if [ "$rc" != 1 ]; then
		bad "$what: exit $rc (want 1): $(head -c 300 "$tmp/err")"
	elif ! grep -Eq "^op-conductor-init: raft restore: .*$pat" "$tmp/err"; then
		bad "$what: stderr does not match /$pat/: $(head -c 300 "$tmp/err")"
	elif [ "${REFUSE_ONE_LINE:-0}" = 1 ] && [ "$(wc -l <"$tmp/err")" != 1 ]; then
		bad "$what: more than one line on stderr: $(cat "$tmp/err")"
	elif ! cmp -s "$tmp/before" "$tmp/after"; then
		bad "$what: the target changed"
	else
		ok "$what: $(head -n1 "$tmp/err" | cut -c1-170)"
	fi
}

build_mknode() {
	# built by CMake (target mknode) with the flags of the libraries it links
	MKNODE=$OCI_BUILD/mknode
	[ -x "$MKNODE" ] || {
		bad "tests/cli/mknode.c is not built at $MKNODE (cmake --build the tree first)"
		finish
	}
}

# build_fake_oc: tests/cli/fake-op-conductor.c built as $tmp/fake/op-conductor
# and named by OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN (bad and finish when it
# does not compile); needs OCI_SRC
build_fake_oc() {
	mkdir -p "$tmp/fake"
	if ! cc -std=c11 -O1 -Wall -Wextra -Werror -o "$tmp/fake/op-conductor" \
		"$OCI_SRC/tests/cli/fake-op-conductor.c" 2>"$tmp/cc.err"; then
		bad "compile the fake op-conductor: $(cat "$tmp/cc.err")"
		finish
	fi
	export OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$tmp/fake/op-conductor
}

build_jget() {
cat >"$tmp/jget.c" <<'EOF'
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv)
{
	FILE *f; long n; char *buf, *p, *tok; cJSON *doc, *j;
	if (argc != 3 || (f = fopen(argv[1], "rb")) == NULL) return 2;
	fseek(f, 0, SEEK_END); n = ftell(f); rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) return 2;
	if ((doc = cJSON_Parse(buf)) == NULL) { puts("UNPARSABLE"); return 1; }
	j = doc; p = strdup(argv[2]);
	for (tok = strtok(p, "/"); tok != NULL && j != NULL; tok = strtok(NULL, "/")) {
		if (strcmp(tok, "#") == 0) { printf("%d\n", cJSON_GetArraySize(j)); return 0; }
		if (cJSON_IsArray(j)) j = cJSON_GetArrayItem(j, atoi(tok));
		else j = cJSON_GetObjectItemCaseSensitive(j, tok);
	}
	if (j == NULL) { puts("MISSING"); return 1; }
	if (cJSON_IsString(j)) puts(j->valuestring);
	else if (cJSON_IsNumber(j) && j->valuedouble == (double)(long long)j->valuedouble)
		printf("%lld\n", (long long)j->valuedouble);
	else { char *s = cJSON_PrintUnformatted(j); puts(s); }
	return 0;
}
EOF
if ! cc -std=c11 -O1 -Wall -Werror -o "$tmp/jget" "$tmp/jget.c" $(pkg-config --cflags --libs libcjson) 2>"$tmp/cc.err"; then
	bad "compile the JSON reader: $(cat "$tmp/cc.err")"
	finish
fi
}
jget() { "$tmp/jget" "$@"; }
