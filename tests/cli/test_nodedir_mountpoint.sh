#!/usr/bin/env bash
# Proves: generate --force and recover into a node directory that is a
# mount point (a Kubernetes volume; here a tmpfs) work as restore does
# (test_restore_mountpoint.sh): the directory cannot be renamed, so the node
# is staged inside it and raft-log.db, raft-stable.db and snapshots/ are
# replaced one by one; the node dir is still the same mount point, holds the
# command's result, an unrelated file stays (same inode), the replaced files
# are in NODE/.pre-<verb>-*/ byte for byte, no stage is left. Then each is
# killed (SIGKILL, strace -e inject) before every rename and mkdir of its
# replace and run again with the same PID (unshare --pid): the re-run
# succeeds (raft-stable.db goes in first, so a kill between the names leaves
# a state recover accepts) and every file of the state before is still in
# NODE/.pre-*.
# Needs root (mount -t tmpfs, unshare); prints SKIP and passes otherwise.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
# LeakSanitizer cannot run under ptrace (strace), and a SIGKILLed run has no
# exit to check leaks at: in the sanitizer build, every run here skips it.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
output_style colon
B=$OCI_BIN
make_tmp oci-ndmount
mounts=()
cleanup_hook() { for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done; }
mkdir -p "$tmp/probe"
if ! mount -t tmpfs -o size=32m tmpfs "$tmp/probe" 2>"$tmp/mount.err"; then
	echo "SKIP: mount -t tmpfs is not permitted here ($(cat "$tmp/mount.err")); not tested"
	exit 0
fi
mounts+=("$tmp/probe")
build_jget
. "$(dirname "$0")/nodedir-states.sh"
nd_setup
R=$tmp/root/R
node=$R/s1
mkdir -p "$tmp/root" && cp -a "$tmp/O" "$R"
rm -rf "$node" && mkdir "$node" && mount -t tmpfs -o size=32m,mode=0755 tmpfs "$node" || { bad "cannot mount $node"; finish; }
mounts+=("$node")
dev=$(stat -c %d "$node")
reset_m() {
	find "$node" -mindepth 1 -delete
	cp -a "$tmp/O/s1/." "$node/"
	echo "operator notes" >"$node/extra.txt"
}
# in_keep FILE: FILE's bytes are in some NODE/.pre-*/ (same name)
in_keep() {
	local f=$1 k
	for k in "$node"/.pre-*/; do cmp -s "$tmp/O/s1/$f" "$k$f" && return 0; done
	return 1
}

for who in G5 C; do
	reset_m
	ino=$(stat -c %i "$node/extra.txt")
	if ! nd_run "$who" "$R" >"$tmp/out" 2>"$tmp/err"; then
		bad "$who into a mount point failed: $(cat "$tmp/err")"
		continue
	fi
	l=$(nd_label "$node")
	if mountpoint -q "$node" && [ "$(stat -c %d "$node")" = "$dev" ] && [ "$l" = "$(nd_after "$who" O)" ] &&
		[ "$(stat -c %i "$node/extra.txt")" = "$ino" ] && in_keep raft-log.db && in_keep raft-stable.db &&
		[ -z "$(ls -A "$node" | grep -- '-tmp-')" ]; then
		ok "$who into a mount point: same mount, s1 = $l, extra.txt untouched, old files in $(cd "$node" && ls -d .pre-*)"
	else
		bad "$who into a mount point: label $l, node: $(ls -A "$node" | tr '\n' ' ')"
	fi
done

kills=0
for who in G5 C; do
	for sc in mkdirat renameat renameat2 fsync; do
		for n in $(seq 1 30); do
			reset_m
			ND_PRE=(unshare --pid --fork strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc":signal=SIGKILL:when="$n" --)
			nd_run "$who" "$R" >/dev/null 2>&1
			rc=$?
			[ $rc = 0 ] && break
			what="$who into a mount point killed before $sc #$n"
			[ $rc = 137 ] || { bad "$what: exit $rc"; continue; }
			kills=$((kills + 1))
			ND_PRE=(unshare --pid --fork strace -f -qq -o /dev/null -e trace=none --)
			if ! nd_run "$who" "$R" >/dev/null 2>"$tmp/err"; then bad "$what: the re-run failed: $(cat "$tmp/err")"; continue; fi
			l=$(nd_label "$node")
			# recover re-run after a kill: before the swap C2:2, after it C3:3,
			# between the two names (new raft-stable.db, old log) C2:3
			case $l in "$(nd_after "$who" O)" | C3:3 | C2:3) ;; *) bad "$what: after the re-run s1 holds $l"; continue ;; esac
			if in_keep raft-log.db && in_keep raft-stable.db && [ "$(cat "$node/extra.txt")" = "operator notes" ] && mountpoint -q "$node"; then
				ok "$what, re-run: s1 = $l, every old file kept"
			else
				bad "$what: an old file is lost (node: $(ls -A "$node" | tr '\n' ' '))"
			fi
		done
	done
done
ND_PRE=()
[ "$kills" -ge 8 ] && ok "$kills kills in the mount point" || bad "only $kills kills happened"
finish
