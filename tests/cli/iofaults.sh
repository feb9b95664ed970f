# Sourced by tests/cli/test_io_faults*.sh (not a test itself), after lib.sh:
# the sweep that runs a real command of the real binary once per chosen
# call of each libc function tests/cli/failcall.so wraps, with exactly that
# call failing, and judges each run.
#
#   iofaults_init [alloc]
#                        compiles failcall.so into $tmp (bad and finish on
#                        failure), or with "alloc" failalloc.so, the same
#                        with the allocator's wrappers (-DFAILCALL_ALLOC:
#                        malloc, calloc, realloc, and what glibc builds on
#                        them, strdup, fopen, opendir, ...); $SHIM is the one
#                        the sweep preloads; needs OCI_SRC
#   sweep NAME VERB SETUP CHECK CMD...
#                        SETUP prepares a fresh case; a counting run learns
#                        how many calls of each function CMD makes; then,
#                        for every function of FAULTS in order, calls
#                        picks(count) of them fail one at a time (fixed
#                        order, no randomness). Each run must exit 0 or 1,
#                        never 2 and never a signal; with 1, stderr is one
#                        line "op-conductor-init: VERB: ..." (with
#                        VERDICT=stdout, a command whose exit 1 is its
#                        verdict, as compare's, may instead leave stderr
#                        empty and name the failure, the errno's text, in
#                        its report on stdout); no sanitizer report; then
#                        CHECK judges what is left
#                        (returns non-zero after calling bad). A sweep in
#                        which no fault made the command fail is itself a
#                        failure (the shim would not be working).
#   picks COUNT FN       which of the calls 1..COUNT of FN fail: all of
#                        them up to SAMPLES (default 12, 6 under the
#                        sanitizers) or when FN is in
#                        $EVERY (set per sweep), else SAMPLES of them evenly
#                        spaced, the first and the last included
#   no_leftovers WHAT DIR...
#                        none of the DIRs holds what a run makes for itself
#                        and must not leave, failed or not (bad, non-zero)
#   gen_check WHAT     generate's rule for what a run into $tmp/g left:
#                        every node directory holds both database files or
#                        neither, every one that holds them verifies (all
#                        three after exit 0), nothing left behind
#   inject FN NTH ERRNO CMD...
#                        one run with the NTH call of FN failing; sets rc,
#                        $tmp/out, $tmp/err
#
# FAULTS: each wrapped function with the errno a real failure of it would
# carry (ENOSPC for what writes or creates, EIO for what reads, the errno of
# the fallback a function takes where there is one: renameat2 EINVAL,
# preadv2 EAGAIN, pthread_create EAGAIN, getrandom ENOSYS).
FAULTS="openat:5 open:5 read:5 pread:5 write:28 pwrite:28 fsync:5 fdatasync:28 ftruncate:28
mkdir:28 mkdirat:28 rename:5 renameat:5 renameat2:5 renameat2:22 unlinkat:5 fstat:5 fstatat:5
fchmodat:5 flock:5 fdopendir:5 opendir:5 close:5 stat:5 lstat:5 statx:5
mmap:12 munmap:22 fchmod:1 fchownat:1 readdir:5 readlink:5 unlink:5 symlink:28 mkdtemp:28
mkostemp:28 statvfs:5 preadv2:11 preadv2:5 dup:24 fcntl:5 pthread_create:11 posix_fadvise:22
madvise:22 fclose:5 fopen:5 faccessat:13 execv:5 getrandom:38"
# 6 under the sanitizers (scripts/test.sh sets ASAN_OPTIONS), where each
# run costs about 2.5 times the CPU: the writing sweep stays near 3 minutes
# on a loaded 2-core box
if [ -n "${ASAN_OPTIONS:-}" ]; then
	SAMPLES=${SAMPLES:-6}
else
	SAMPLES=${SAMPLES:-12}
fi

SHIM=
iofaults_init() {
	local flags=
	SHIM=$tmp/failcall.so
	[ "${1:-}" = alloc ] && flags=-DFAILCALL_ALLOC SHIM=$tmp/failalloc.so
	# under ASan the runtime must come first unless told not to check
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	if ! cc -std=c11 -shared -fPIC -O1 -Wall -Wextra -Werror $flags "$OCI_SRC/tests/cli/failcall.c" \
		-o "$SHIM" -ldl 2>"$tmp/cc.err"; then
		bad "compile tests/cli/failcall.c $flags: $(head -c 600 "$tmp/cc.err")"
		finish
	fi
}

# a stage (.<id>.<verb>-tmp-*, .<verb>-tmp-*), a partly written file
# (.<name>.tmp-*, .raft-backup-*.tmp-*), a cluster.json temporary, an empty
# keep directory
no_leftovers() {
	local what=$1 left
	shift
	left=$(find "$@" -mindepth 1 \( -name '*tmp-*' -o -name '.cluster.json.*' -o \
		\( -name '*pre-*' -type d -empty \) \) -printf '%P ' 2>/dev/null)
	if [ -n "$left" ]; then
		bad "$what: exit $rc, left behind: $left(stderr: $(head -c 300 "$tmp/err"))"
		return 1
	fi
}

inject() {
	local fn=$1 nth=$2 en=$3
	shift 3
	# the shim goes into the tool only, not into timeout
	timeout 60 env OCI_FAIL_CALL="$fn" OCI_FAIL_NTH="$nth" OCI_FAIL_ERRNO="$en" \
		LD_PRELOAD="$SHIM" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

EVERY=
picks() {
	local count=$1 fn=${2:-}
	if [ "$count" -le "$SAMPLES" ] || [[ -n $fn && " $EVERY " == *" $fn "* ]]; then
		seq 1 "$count"
	else
		for i in $(seq 0 $((SAMPLES - 1))); do
			echo $((1 + i * (count - 1) / (SAMPLES - 1)))
		done
	fi
}

# the exit status and stderr rules; 0 when they hold
reported() {
	local what=$1 verb=$2 en=$3
	if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		bad "$what: exit $rc: $(head -c 300 "$tmp/err")"
		return 1
	fi
	if [ "$rc" = 1 ] && [ "${VERDICT:-}" = stdout ] && [ ! -s "$tmp/err" ]; then
		grep -qF "$(perl -e '$! = shift; print "$!"' "$en")" "$tmp/out" && return 0
		bad "$what: exit 1, nothing on stderr, and the report does not name the failure: $(head -c 400 "$tmp/out")"
		return 1
	fi
	if [ "$rc" = 1 ] && { [ "$(wc -l <"$tmp/err")" != 1 ] ||
		! grep -q "^op-conductor-init: $verb: " "$tmp/err"; }; then
		bad "$what: stderr is not one line 'op-conductor-init: $verb: ...': $(head -c 400 "$tmp/err")"
		return 1
	fi
	if grep -Eq 'Sanitizer|runtime error:' "$tmp/err"; then
		bad "$what: a sanitizer report: $(head -c 400 "$tmp/err")"
		return 1
	fi
	return 0
}

sweep() {
	local name=$1 verb=$2 setup=$3 check=$4 fn en count n runs=0 faulted=0 failed=$fail
	shift 4
	$setup
	OCI_FAIL_COUNT=$tmp/count LD_PRELOAD=$SHIM "$@" </dev/null >/dev/null 2>&1 || {
		bad "$name: the run without a fault failed"
		return
	}
	cp "$tmp/count" "$tmp/count.$name"
	for f in $FAULTS; do
		fn=${f%:*} en=${f#*:}
		count=$(awk -v f="$fn" '$1 == f { print $2 }' "$tmp/count.$name")
		[ "${count:-0}" -gt 0 ] || continue
		for n in $(picks "$count" "$fn"); do
			$setup
			inject "$fn" "$n" "$en" "$@"
			runs=$((runs + 1))
			[ "$rc" = 1 ] && faulted=$((faulted + 1))
			reported "$name, call $n of $count of $fn failing (errno $en)" "$verb" "$en" &&
				$check "$name, call $n of $count of $fn failing (errno $en)"
		done
	done
	if [ "$faulted" = 0 ]; then
		bad "$name: no injected fault made the command fail ($runs runs)"
	elif [ "$fail" = "$failed" ]; then
		ok "$name: $runs runs with one failing call, $faulted of them reported as one line, exit 1; every result intact"
	fi
}

# short_sweep NAME SETUP CHECK DONE CMD...: each read and pread of CMD cut
# short in turn (failcall's OCI_FAIL_SHORT: half the bytes asked for, as a
# signal or a network file system may return), SETUP before each run,
# CHECK WHAT judging it ($rc, $tmp/out, $tmp/err); DONE ends the ok line
short_sweep() {
	local name=$1 setup=$2 check=$3 done=$4 fn count n runs=0 failed=$fail
	shift 4
	$setup
	OCI_FAIL_COUNT=$tmp/count LD_PRELOAD=$SHIM "$@" </dev/null >/dev/null 2>&1
	export OCI_FAIL_SHORT=1
	for fn in read pread; do
		count=$(awk -v f="$fn" '$1 == f { print $2 }' "$tmp/count")
		for n in $(seq 1 "${count:-0}"); do
			$setup
			inject "$fn" "$n" 0 "$@"
			runs=$((runs + 1))
			$check "$name, $fn call $n of $count cut short"
		done
	done
	unset OCI_FAIL_SHORT
	if [ "$runs" = 0 ]; then
		bad "$name: no read or pread to cut short"
	elif [ "$fail" = "$failed" ]; then
		ok "$name: $runs runs with one read cut short, $done"
	fi
}

verifies() { "$B" raft verify --state-dir "$1" >/dev/null 2>&1; }

gen_check() {
	local n nodes=0
	for n in s1 s2 s3; do
		local d=$tmp/g/$n has=0
		[ -e "$d/raft-log.db" ] && has=$((has + 1))
		[ -e "$d/raft-stable.db" ] && has=$((has + 1))
		if [ "$has" = 1 ]; then
			bad "$1: $n holds one database file of two"
			return 1
		fi
		if [ "$has" = 2 ]; then
			nodes=$((nodes + 1))
			verifies "$d" || {
				bad "$1: $n does not verify"
				return 1
			}
		fi
	done
	if [ "$rc" = 0 ] && [ "$nodes" != 3 ]; then
		bad "$1: exit 0 with $nodes nodes written"
		return 1
	fi
	no_leftovers "$1" "$tmp/g"
}
