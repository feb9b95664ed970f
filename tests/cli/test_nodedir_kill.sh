#!/usr/bin/env bash
# Proves: a replacing run (generate --force, restore --force, recover) on a
# node killed with SIGKILL at every step of its replace - before each mkdir,
# rename, fsync, fdatasync, unlink, chown and chmod system call it makes
# (strace -e inject=...:signal=SIGKILL:when=N, N = 1, 2, ... until the run
# completes) - and then run again with the SAME PID (each run is the first
# process after strace in a new PID namespace: unshare --pid --fork) loses
# nothing: the re-run succeeds, the node holds that command's result, and
# the state before the killed run is still in a kept copy that verifies
# (a stage a killed run left is kept or removed only when the node holds
# all of it). Needs root for unshare and strace's inject; prints SKIP and
# passes when they are not available.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
output_style colon
B=$OCI_BIN
make_tmp oci-ndkill
# LeakSanitizer cannot run under ptrace (strace), and a SIGKILLed run has no
# exit to check leaks at: in the sanitizer build, every run here skips it.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
if ! unshare --pid --fork strace -f -qq -o /dev/null -e trace=mkdir -e inject=mkdir:signal=SIGKILL:when=1 mkdir "$tmp/probe" 2>"$tmp/probe.err" &&
	[ ! -d "$tmp/probe" ]; then
	:
fi
if [ -d "$tmp/probe" ] || ! unshare --pid --fork true 2>>"$tmp/probe.err"; then
	echo "SKIP: unshare --pid or strace -e inject is not available here ($(head -c 300 "$tmp/probe.err")); the kill test was not run"
	exit 0
fi
build_jget
. "$(dirname "$0")/nodedir-states.sh"
nd_setup
R=$tmp/root/R
mkdir -p "$tmp/root"
STEPS=(mkdir mkdirat rename renameat renameat2 fsync fdatasync unlinkat fchownat fchmodat)

kills=0
for who in G5 S C; do
	done_after=$(nd_after "$who" O)
	again=$(nd_after "$who" "$done_after")
	for sc in "${STEPS[@]}"; do
		for n in $(seq 1 40); do
			nd_reset "$R"
			ND_PRE=(unshare --pid --fork strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc":signal=SIGKILL:when="$n" --)
			nd_run "$who" "$R" >/dev/null 2>"$tmp/k.err"
			rc=$?
			[ $rc = 0 ] && break # fewer than n such calls: every one was tried
			what="$who killed before $sc #$n"
			if [ $rc != 137 ]; then bad "$what: exit $rc, not killed: $(head -c 300 "$tmp/k.err")"; continue; fi
			kills=$((kills + 1))
			ND_PRE=(unshare --pid --fork strace -f -qq -o /dev/null -e trace=none --)
			if ! nd_run "$who" "$R" >"$tmp/r.out" 2>"$tmp/r.err"; then
				bad "$what: the re-run (same pid) failed: $(head -c 400 "$tmp/r.err")"
				continue
			fi
			final=$(nd_label "$R/s1")
			if [ "$final" != "$done_after" ] && [ "$final" != "$again" ]; then
				bad "$what: after the re-run s1 holds $final, not $done_after"
				continue
			fi
			found=
			while read -r d; do
				[ -n "$d" ] || continue
				if [ "$(nd_label "$d")" = O ] && "$B" raft verify --state-dir "$d" >/dev/null 2>&1; then found=$d; fi
			done < <(nd_kept "$R")
			if [ -z "$found" ]; then
				bad "$what: the state before it is lost (kept: $(nd_kept "$R" | tr '\n' ' '))"
				continue
			fi
			for s in s2 s3; do cmp -s "$R/$s/raft-stable.db" "$tmp/O/$s/raft-stable.db" || bad "$what: $s changed"; done
			ok "$what, re-run: s1 = $final, the old state kept in ${found#"$tmp"/}"
		done
	done
done
[ "$kills" -ge 30 ] && ok "$kills kills in all" || bad "only $kills kills happened: the injection did not reach the runs"
finish
