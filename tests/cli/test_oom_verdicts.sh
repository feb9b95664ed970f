#!/usr/bin/env bash
# Proves that running out of memory is never reported as damage: verify of a
# node whose log holds configuration entries, and compare of three such nodes,
# run with each call of malloc, calloc and realloc failing in turn
# (tests/cli/failcall.c built with -DFAILCALL_ALLOC, preloaded into the tool
# only). A run may fail (exit 1, saying it is out of memory) but never says
# INVALID, "does not decode", "does not verify" or "no configuration" about a
# sound node: an operator would take a healthy node for a broken one. verify
# called a configuration that could not be decoded for want of memory a
# damaged entry, and compare marked a node it could not read for want of
# memory INVALID (10 and 34 such runs before the fix).
# Not under the sanitizers: their allocator cannot be interposed this way.
#
# Env: OCI_BIN, OCI_SRC.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
B=$OCI_BIN
if [ -n "${ASAN_OPTIONS:-}" ]; then
	echo "skipped under the sanitizers (their allocator is not interposable)"
	exit 0
fi
make_tmp oci-oom
build_mknode
M=$MKNODE
if ! cc -std=c11 -shared -fPIC -O1 -Wall -Wextra -Werror -DFAILCALL_ALLOC "$OCI_SRC/tests/cli/failcall.c" \
	-o "$tmp/failalloc.so" -ldl 2>"$tmp/cc.err"; then
	bad "compile tests/cli/failcall.c -DFAILCALL_ALLOC: $(head -c 600 "$tmp/cc.err")"
	finish
fi
mem=s1=127.0.0.1:7001,s2=127.0.0.1:7002,s3=127.0.0.1:7003
"$M" "$tmp/c/s1" --members "$mem" 1-1:1:config 2-300:2:block 301-301:2:config >/dev/null &&
	"$M" "$tmp/c/s2" --members "$mem" 1-1:1:config 2-290:2:block >/dev/null &&
	"$M" "$tmp/c/s3" --members "$mem" 1-1:1:config 2-310:2:block >/dev/null ||
	{ bad "mknode failed"; finish; }

sweep() { # NAME CMD...
	local name=$1 f c i n=0 wrong=0 first=
	shift
	OCI_FAIL_COUNT=$tmp/count OCI_FAIL_CALL=none LD_PRELOAD=$tmp/failalloc.so "$@" </dev/null >/dev/null 2>&1
	for f in malloc calloc realloc; do
		c=$(awk -v f="$f" '$1 == f {print $2}' "$tmp/count")
		for i in $(seq 1 "${c:-0}"); do
			n=$((n + 1))
			timeout 60 env OCI_FAIL_CALL=$f OCI_FAIL_NTH=$i OCI_FAIL_ERRNO=12 LD_PRELOAD="$tmp/failalloc.so" \
				"$@" </dev/null >"$tmp/out" 2>&1
			rc=$?
			if [ $rc -ge 2 ] || grep -q "INVALID\|does not decode\|does not verify\|no configuration" "$tmp/out"; then
				wrong=$((wrong + 1))
				[ -n "$first" ] || first="$f #$i (exit $rc): $(grep -m1 "INVALID\|does not decode\|does not verify\|no configuration\|." "$tmp/out" | head -c 300)"
			fi
		done
	done
	[ "$n" -ge 10 ] || { bad "$name: only $n allocator calls counted"; return; }
	if [ "$wrong" = 0 ]; then
		ok "$name: $n allocator failures, none reported as damage or a crash"
	else
		bad "$name: $wrong of $n allocator failures reported as damage or worse; first: $first"
	fi
}
sweep "verify" "$B" raft verify --state-dir "$tmp/c/s1"
sweep "compare" "$B" raft compare --state-dir "$tmp/c"
finish
