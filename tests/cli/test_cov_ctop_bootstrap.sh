#!/usr/bin/env bash
# Proves: `bootstrap cluster`'s edges that test_bootstrap.sh and
# test_bootstrap_preflight.sh leave (issue 25 point 4, cmd/bootstrap.c):
#   - the variable naming something that is not a regular file (/dev/null);
#   - no PATH at all: the system's default path (getconf PATH) is searched,
#     as execvp does, and each place tried is named;
#   - a PATH entry whose name is too long for the system is listed with why
#     (File name too long) and skipped; a PATH whose only entry makes a path
#     longer than PATH_MAX says so ("tried nothing: ..."; it used to say
#     "PATH is empty"); entries that do not fit in the list are cut with
#     "..." (a list that ended just short of its 3000 bytes used to drop the
#     rest without it) and the message stays bounded;
#   - an executable that the kernel cannot run (no valid format): exit 1
#     naming it, the errno and what to check;
#   - --raft.storage.dir/--raft.server.id too long for a path: the start is
#     refused before anything is read, nothing executed;
#   - op-conductor's --log.pid and --log.color with a value op-conductor
#     would refuse count as false for our lines (no pid, no color);
#     true gives them.
# Every refusal: exit 1, nothing on stdout, the fake op-conductor not run.
#
# Env: OCI_BIN, OCI_SRC (the fake's source).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
B=$OCI_BIN
make_tmp oci-ctop-boot
unset_env 'OP_CONDUCTOR_[A-Z_]*' 'FAKE_OC_[A-Z_]*'
build_fake_oc
FAKE=$OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN
unset OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN
mkdir -p "$tmp/pathA"
cp "$FAKE" "$tmp/pathA/op-conductor"

n=0
# boot NAME PATTERN ENV... -- ARGS...: `env ENV... $B bootstrap cluster ARGS...`
# must exit 1 with one line on stderr matching PATTERN (grep -E), nothing
# on stdout, nothing executed
boot() {
	local name=$1 pat=$2 envs=() rc
	shift 2
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	n=$((n + 1))
	rec=$tmp/rec$n
	env ${envs[@]+"${envs[@]}"} FAKE_OC_RECORD="$rec" "$B" bootstrap cluster "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != 1 ]; then
		bad "$name: exit $rc, want 1: $(head -c 300 "$tmp/err")"
	elif [ -s "$tmp/out" ] || [ -e "$rec" ] || [ -e "$rec.argv" ]; then
		bad "$name: stdout written or op-conductor executed"
	elif [ "$(wc -l <"$tmp/err")" != 1 ]; then
		bad "$name: not one line on stderr: $(head -c 400 "$tmp/err")"
	elif ! grep -Eq "$pat" "$tmp/err"; then
		bad "$name: stderr does not match /$pat/: $(head -c 400 "$tmp/err")"
	else
		ok "$name: $(cut -c1-160 "$tmp/err")"
	fi
}

boot "the variable names a device" \
	'cannot run op-conductor: /dev/null \(from OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN\) is not a regular file; set ' \
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=/dev/null -- --raft.server.id s1

# no PATH: execvp's default, the system's (confstr _CS_PATH, what getconf PATH prints)
want=
IFS=: read -r -a dirs <<<"$(getconf PATH)"
for d in "${dirs[@]}"; do want+="${want:+, }${d:-.}/op-conductor"; [ -e "${d:-.}/op-conductor" ] && want=SKIP && break; done
if [ "$want" = SKIP ]; then
	echo "skip: no PATH: an op-conductor is installed in the default path"
else
	boot "no PATH: the system default path is searched" \
		"no executable op-conductor in PATH \\(tried ${want//./\\.}\\); install" -u PATH --
fi

long=$(printf 'n%.0s' $(seq 300))
boot "a PATH entry whose name is too long is listed with why" \
	"tried $tmp/$long/op-conductor \\(File name too long\\), $tmp/none/op-conductor\\); " \
	PATH="$tmp/$long:$tmp/none" --
n=$((n + 1))
rec=$tmp/rec$n
PATH="$tmp/$long:$tmp/pathA" FAKE_OC_RECORD=$rec "$B" bootstrap cluster x >"$tmp/out" 2>"$tmp/err"
[ "$(sed -n 's/^exe=//p' "$rec" 2>/dev/null)" = "$tmp/pathA/op-conductor" ] &&
	ok "a PATH entry whose name is too long is skipped: the next one's op-conductor runs" ||
	bad "too long PATH entry then a good one: did not run the good one (stderr: $(head -c 300 "$tmp/err"))"
huge=$tmp/$(printf 'd%.0s' $(seq 5000))
boot "PATH's only entry makes a path longer than PATH_MAX" \
	'no executable op-conductor in PATH \(tried nothing: every PATH entry makes a path longer than PATH_MAX\); install' \
	PATH="$huge" --
boot "the variable's bare name, PATH's only entry too long" \
	'OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="opc" is not an executable in PATH \(tried nothing: every PATH entry makes a path longer than PATH_MAX\); set ' \
	PATH="$huge" OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=opc --
# tried_add cuts the list at 3000 bytes with "..."; a list that ended 1 to 4
# bytes short of that used to drop every later entry without the "...".
# Entries 2..48 fixed, the first padded so that 48 entries fill the list to
# 2997 bytes exactly; entries 49.. then do not fit.
entries=()
for i in $(seq 2 60); do entries+=("$tmp/not-a-directory-$(printf %03d "$i")"); done
used=0
for i in $(seq 0 46); do used=$((used + ${#entries[$i]} + 13 + 2)); done # "/op-conductor", ", "
pad=$((2997 - used - ${#tmp} - 1 - 13))
first=$tmp/$(printf 'f%.0s' $(seq "$pad"))
many="$first:$(IFS=: && echo "${entries[*]}")"
boot "60 PATH entries: the list is cut with ..." \
	"tried $first/op-conductor, $tmp/not-a-directory-002/op-conductor, .*/not-a-directory-048/op-conduct[^,]*\\.\\.\\.\\); install op-conductor in PATH" \
	PATH="$many" --
len=$(wc -c <"$tmp/err")
[ "$len" -lt 3400 ] && ! grep -q 'not-a-directory-049' "$tmp/err" &&
	ok "60 PATH entries: the message stays bounded ($len bytes; the entries that did not fit are not named)" ||
	bad "60 PATH entries: $len bytes"

printf 'not a program\n\001\002' >"$tmp/junk"
chmod +x "$tmp/junk"
boot "an executable the kernel cannot run" \
	"cannot run $tmp/junk: Exec format error; check that it is an op-conductor binary for this system\$" \
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$tmp/junk" --

boot "storage dir and server ID too long for a path" \
	'refusing to start op-conductor: --raft.storage.dir/--raft.server.id is too long' \
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$FAKE" -- --raft.storage.dir="$huge" --raft.server.id=s1

# op-conductor's log flags shape our lines; a value it refuses is false here
boot "--log.pid=maybe: no pid" '^t=.* lvl=error msg="cannot run op-conductor: .*" cmd="bootstrap cluster"$' \
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$tmp/none" -- --log.format=logfmt --log.pid=maybe
boot "--log.pid=true: the pid" '^t=.* lvl=error msg="cannot run op-conductor: .*" pid=[0-9]+ cmd="bootstrap cluster"$' \
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$tmp/none" -- --log.format=logfmt --log.pid=true
esc=$(printf '\033')
boot "--log.color=maybe: no color" '^ERROR\[.*cannot run op-conductor' \
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$tmp/none" -- --log.format=terminal --log.color=maybe
grep -q "$esc" "$tmp/err" && bad "--log.color=maybe: escape sequences written" || ok "--log.color=maybe: no escape sequence"
boot "--log.color=true: color" "^${esc}\\[31mERROR${esc}\\[0m\\[.*cannot run op-conductor" \
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$tmp/none" -- --log.format=terminal --log.color=true
finish
