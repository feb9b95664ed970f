#!/usr/bin/env bash
# scripts/fresh-check.sh [root] [user] — the README's quick start on a fresh
# Debian 12 (`./run.sh fresh-check`, `just fresh-check`; default: both modes).
#
# For each mode a new bookworm root is made with debootstrap (minbase, plus
# sudo and ca-certificates, which a machine behind a TLS-inspecting proxy has
# anyway: see CA below); the base is cached as a tarball in $OCI_FRESH_CACHE
# (default /var/cache/oci-fresh-check), so only its unpacking is repeated;
# everything the project needs is then installed anew by run.sh inside.
# The current commit (HEAD of this tree; uncommitted changes are not in it) is
# cloned into the root with a copy of ../shared beside the clone, and
#   ./run.sh example   and   ./run.sh test
# run there with no stdin:
#   root  as root, in /root/op-conductor-init;
#   user  as the user "fresh" (sudo without a password, not root), in
#         /home/fresh/op-conductor-init: run.sh installs through sudo.
# Each command is run through `su -l`, so it gets a login environment of the
# root (PATH, HOME) and nothing of this machine's (no /usr/local/go, no CA
# variables, no proxy settings).
# In the root mode, `./run.sh help` runs last: the one command that takes the
# npx path (Debian's nodejs/npm, rust-just pinned in run.sh).
#
# What goes in from this machine: the clone, ../shared and CA: the locally
# added CA certificates, the ones update-ca-certificates takes from
# /usr/local/share/ca-certificates (our build network presents its own CA);
# update-ca-certificates is then run in the root. Nothing else.
#
# The commands run in private mount, PID and network namespaces (the network
# through slirp4netns: own loopback, NAT to the outside, DNS at 10.0.2.3)
# whose root is the new root (pivot_root, not chroot, so unshare(2) of user
# namespaces works in it as on a real machine), with /proc, /sys, /dev (and
# /dev/pts, /dev/shm) and /run mounted as a machine has them (/tmp is on the
# root's disk, as on Debian 12): the tests' strace, tmpfs mounts, flock,
# script(1) and namespaces then work and nothing is skipped because of the
# check. Every mount lives in that namespace and goes with it; the trap
# checks that nothing is left mounted under the root before removing it.
#
# Prints, per command, one line "fresh-check: MODE: COMMAND: ok|FAILED (exit N)
# in MmSSs", then the tests' SKIP lines, and exits 1 if any command failed.
# Logs: $OCI_FRESH_CACHE/logs/. OCI_FRESH_KEEP=1 keeps the roots.
set -euo pipefail

mirror=http://deb.debian.org/debian
suite=bookworm
base_pkgs=sudo,ca-certificates
user=fresh
sys_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---- inside the namespaces (called by the outer part below) -------------------
# enter ROOT CMD: mount what a machine has, make ROOT the root, run CMD with bash
if [ "${1:-}" = --enter ]; then
	root=$2 cmd=$3
	# the network namespace's own loopback, and tap0 from slirp4netns (run_in)
	ip link set lo up
	for _ in $(seq 200); do
		ip -4 addr show dev tap0 2>/dev/null | grep -q inet && break
		sleep 0.05
	done
	ip -4 addr show dev tap0 2>/dev/null | grep -q inet || {
		echo "fresh-check: no network in the namespace (slirp4netns did not configure tap0)" >&2
		exit 1
	}
	mount --make-rprivate /
	mount --bind "$root" "$root"
	mount -t proc proc "$root/proc"
	mount -t sysfs sysfs "$root/sys"
	mount -t tmpfs -o mode=0755,size=64k dev "$root/dev"
	for d in null zero full random urandom tty; do
		touch "$root/dev/$d"
		mount --bind "/dev/$d" "$root/dev/$d"
	done
	mkdir -p "$root/dev/pts" "$root/dev/shm"
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$root/dev/pts"
	ln -s pts/ptmx "$root/dev/ptmx"
	ln -s /proc/self/fd "$root/dev/fd"
	ln -s /proc/self/fd/0 "$root/dev/stdin"
	ln -s /proc/self/fd/1 "$root/dev/stdout"
	ln -s /proc/self/fd/2 "$root/dev/stderr"
	mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
	mount -t tmpfs -o mode=0755 run "$root/run"
	mkdir -p "$root/run/lock"
	chmod 1777 "$root/run/lock"
	mkdir -p "$root/.fresh-old-root"
	cd "$root"
	pivot_root . .fresh-old-root
	cd /
	umount -l /.fresh-old-root
	rmdir /.fresh-old-root
	exec env -i PATH=$sys_path /bin/bash -c "$cmd"
fi

# ---- outside ------------------------------------------------------------------
modes=("$@")
((${#modes[@]})) || modes=(root user)
for m in "${modes[@]}"; do
	case $m in
	root | user) ;;
	*)
		echo "fresh-check: unknown mode '$m' (expected root and/or user)" >&2
		exit 2
		;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || {
		echo "fresh-check: needs root (debootstrap, mounts); run it as root" >&2
		exit 1
	}
	exec sudo "$0" "$@"
fi
for t in debootstrap unshare pivot_root git slirp4netns ip pgrep; do
	command -v "$t" >/dev/null || {
		echo "fresh-check: $t is missing (./run.sh fresh-check installs debootstrap and slirp4netns)" >&2
		exit 1
	}
done

src=${OCI_FRESH_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
cache=${OCI_FRESH_CACHE:-/var/cache/oci-fresh-check}
mkdir -p "$cache/logs" "$cache/apt-archives/partial"
# run from a private copy: the tree may change (a commit, a rebase) while this runs
if [ -z "${OCI_FRESH_SELF:-}" ]; then
	self=$(mktemp "$cache/fresh-check.XXXXXX.sh")
	cp "$0" "$self"
	OCI_FRESH_SRC=$src OCI_FRESH_SELF=$self exec bash "$self" "$@"
fi
self=$OCI_FRESH_SELF
shared=$(cd "$src/../shared" 2>/dev/null && pwd) || {
	echo "fresh-check: ../shared (the vectors) not found beside $src" >&2
	exit 1
}
commit=$(git -C "$src" rev-parse HEAD)
tarball=$cache/$suite-minbase-${base_pkgs//,/-}.tgz
# the commit as it is now, cloned from in every mode
bundle=$cache/head.$$.bundle
git -C "$src" bundle create -q "$bundle" HEAD

root=
# remove_root: nothing may be mounted under it any more (they are all in the
# namespace, gone with it); anything found is unmounted first, and a root that
# still has a mount is left alone rather than removed through it.
remove_root() {
	[ -n "$root" ] && [ -d "$root" ] || return 0
	local m left
	for m in $(findmnt -rn -o TARGET | grep -F "$root" | sort -r); do
		umount -l "$m" || true
	done
	left=$(findmnt -rn -o TARGET | grep -F "$root" || true)
	if [ -n "$left" ]; then
		echo "fresh-check: still mounted under $root, not removed: $left" >&2
		return 1
	fi
	if [ "${OCI_FRESH_KEEP:-}" = 1 ]; then
		echo "fresh-check: kept $root" >&2
	else
		rm -rf --one-file-system "$root"
	fi
	root=
}
trap 'remove_root; rm -f "$bundle" "$self"' EXIT
trap '[ -z "$child" ] || kill -KILL "$child" 2>/dev/null; [ -z "$slirp" ] || kill "$slirp" 2>/dev/null; wait; exit 130' INT TERM

if [ ! -s "$tarball" ]; then
	echo "fresh-check: caching the $suite minbase packages in $tarball" >&2
	tmp=$(mktemp -d "$cache/mk.XXXXXX")
	debootstrap --variant=minbase --include="$base_pkgs" --make-tarball="$tarball.tmp" \
		"$suite" "$tmp" "$mirror" >"$cache/logs/make-tarball.log" 2>&1 || {
		tail -n 20 "$cache/logs/make-tarball.log" >&2
		exit 1
	}
	rm -rf "$tmp"
	mv "$tarball.tmp" "$tarball"
fi

# new_root MODE: a fresh root in $root with the clone and ../shared in HOME
new_root() {
	local mode=$1 home
	root=$(mktemp -d "$cache/root-$mode.XXXXXX")
	chmod 0755 "$root"
	echo "fresh-check: $mode: debootstrap $suite into $root (base from $tarball)" >&2
	debootstrap --variant=minbase --include="$base_pkgs" --unpack-tarball="$tarball" \
		"$suite" "$root" "$mirror" >"$cache/logs/$mode-debootstrap.log" 2>&1 || {
		tail -n 20 "$cache/logs/$mode-debootstrap.log" >&2
		return 1
	}
	# what a Debian 12 installation has by default, not this machine's settings
	cat >"$root/etc/apt/sources.list" <<-EOF
		deb $mirror $suite main
		deb $mirror $suite-updates main
		deb http://deb.debian.org/debian-security $suite-security main
	EOF
	echo fresh-check >"$root/etc/hostname"
	echo "nameserver 10.0.2.3" >"$root/etc/resolv.conf" # slirp4netns's DNS forwarder
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tfresh-check\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
	# CA: only the locally added certificates
	if [ -d /usr/local/share/ca-certificates ]; then
		cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
	fi
	run_in "update-ca-certificates" >>"$cache/logs/$mode-debootstrap.log" 2>&1
	if [ "$mode" = user ]; then
		run_in "useradd --create-home --shell /bin/bash $user && usermod -aG sudo $user &&
			echo '$user ALL=(ALL:ALL) NOPASSWD: ALL' >/etc/sudoers.d/$user && chmod 0440 /etc/sudoers.d/$user"
		home=$root/home/$user
	else
		home=$root/root
	fi
	git -c advice.detachedHead=false clone -q "$bundle" "$home/op-conductor-init"
	[ "$(git -C "$home/op-conductor-init" rev-parse HEAD)" = "$commit" ]
	cp -a "$shared" "$home/shared"
	if [ "$mode" = user ]; then
		run_in "chown -R $user:$user /home/$user"
	fi
}

# run_in CMD: CMD (bash) as root in the root, in new mount and PID namespaces
# and a network namespace: its own loopback (the tests' fixed and random ports
# cannot meet other processes of this machine) and, through slirp4netns (user-
# mode NAT, no access to this machine's loopback), the outside world, as a
# machine of its own would have it.
# (unshare runs in the background and is waited for, so that INT/TERM reach the
# trap at once; the trap kills it, and --kill-child takes the namespace's
# processes with it)
child= slirp=
run_in() {
	local rc=0 inner=
	unshare --mount --pid --net --fork --kill-child -- bash "$self" --enter "$root" "$1" </dev/null &
	child=$!
	for _ in $(seq 200); do
		inner=$(pgrep -P "$child" | head -n1) && [ -n "$inner" ] && break
		sleep 0.05
	done
	if [ -n "$inner" ]; then
		slirp4netns --configure --mtu=65520 --disable-host-loopback "$inner" tap0 >/dev/null 2>&1 &
		slirp=$!
	fi
	wait "$child" || rc=$?
	[ -z "$slirp" ] || { kill "$slirp" 2>/dev/null; wait "$slirp" 2>/dev/null || true; }
	child= slirp=
	return "$rc"
}

summary=()
failed=0
# check MODE COMMAND: `su -l` to the mode's user, cd to the clone, run COMMAND
check() {
	local mode=$1 cmd=$2 who log t0 rc=0 took res
	who=root
	[ "$mode" = user ] && who=$user
	log=$cache/logs/$mode-${cmd//[^a-z-]/}.log
	echo "fresh-check: $mode: $cmd (as $who; log $log)" >&2
	t0=$(date +%s)
	run_in "su -l $who -c 'cd op-conductor-init && $cmd'" >"$log" 2>&1 || rc=$?
	took=$(($(date +%s) - t0))
	if [ "$rc" = 0 ]; then res=ok; else
		res="FAILED (exit $rc)"
		failed=1
		tail -n 40 "$log" | sed 's/^/  | /' >&2
	fi
	summary+=("$(printf 'fresh-check: %s: %s: %s in %dm%02ds' "$mode" "$cmd" "$res" $((took / 60)) $((took % 60)))")
	echo "${summary[-1]}" >&2
	return "$rc"
}

skips=()
for mode in "${modes[@]}"; do
	new_root "$mode"
	# downloaded .debs are cached outside the root (the packages are still installed anew)
	mkdir -p "$root/var/cache/apt/archives"
	cp -a "$cache/apt-archives/." "$root/var/cache/apt/archives/" 2>/dev/null || true
	home=/root
	[ "$mode" = user ] && home=/home/$user
	if check "$mode" "./run.sh example"; then
		check "$mode" "./run.sh test" || true
		# the tests' own skip lines (ctest keeps every test's output in LastTest.log)
		while IFS= read -r l; do skips+=("$mode: $l"); done < <(
			cat "$root$home"/op-conductor-init/build*/Testing/Temporary/LastTest*.log 2>/dev/null |
				grep -E -i '^(\[[a-z_]+\] )?skip' | sort | uniq -c | sed 's/^ *//'
		)
		while IFS= read -r l; do skips+=("$mode: ctest: $l"); done < <(
			grep -E '\*\*\*Skipped|Not Run' "$cache/logs/$mode-runshtest.log" || true
		)
		[ "$mode" = root ] && check "$mode" "./run.sh help" >/dev/null || true
	fi
	cp -a "$root/var/cache/apt/archives/." "$cache/apt-archives/" 2>/dev/null || true
	remove_root
done

echo
echo "fresh-check of commit $commit ($suite minbase + $base_pkgs):"
printf '%s\n' "${summary[@]}"
if ((${#skips[@]})); then
	echo "skips reported by the tests (count: line):"
	printf '  %s\n' "${skips[@]}"
else
	echo "skips reported by the tests: none"
fi
if [ "$failed" = 0 ]; then
	echo "fresh-check: passed (${#summary[@]} commands)"
else
	echo "fresh-check: FAILED (logs in $cache/logs)"
fi
exit "$failed"
