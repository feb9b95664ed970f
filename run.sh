#!/usr/bin/env bash
# run.sh COMMAND [ARGS...] — on Debian 12 (as root, or as a user with sudo),
# install the Debian packages the project needs that are missing, then run:
#   ./run.sh example       scripts/example.sh: build, generate the 3-node example, show it
#   ./run.sh test          scripts/test.sh: the whole test suite (unit, CLI, interop, fuzz, sanitizers)
#   ./run.sh fresh-check   scripts/fresh-check.sh: the two commands above in a fresh Debian 12 root
#   ./run.sh RECIPE        any other justfile recipe, through `just` (`./run.sh help` lists them)
# example, test and fresh-check need neither just nor Node.js. Other recipes use
# `just` when it is on PATH, else rust-just from npm through npx (Debian's
# nodejs and npm are installed for it when npx is missing).
set -euo pipefail
cd "$(dirname "$0")"

# Installed with --no-install-recommends, so everything needed is listed
# here, Recommends included (libclang-rt-14-dev: clang's libFuzzer and
# sanitizer runtimes; python3: the MANIFEST.json checks of the backup tests;
# file: CPack's DEB generator runs it to find the ELF files for dpkg-shlibdeps;
# lintian: tests/cli/test_deb.sh checks the .deb; zsh, fish: the completions
# are driven in them; gcovr: `just coverage`).
packages=(build-essential cmake pkg-config libbsd-dev libmd-dev libcjson-dev zlib1g-dev libdeflate-dev check
	clang libclang-rt-14-dev clang-format cppcheck xxd util-linux util-linux-extra bsdutils strace
	valgrind dpkg-dev python3 ca-certificates
	golang-go golang-github-hashicorp-raft-dev golang-github-hashicorp-raft-boltdb-dev
	golang-github-coreos-bbolt-dev man-db python3-yaml file
	lintian zsh fish gcovr)
# rust-just 1.40.0 runs on bookworm's Node.js 18 (its engines: node >= 18.19;
# the newest, 1.57.0, needs Node >= 20.19)
just_npm=rust-just@1.40.0

script=
case ${1:-} in
example | test) script=scripts/$1.sh ;;
fresh-check)
	script=scripts/fresh-check.sh
	packages+=(debootstrap slirp4netns iproute2 procps)
	;;
*) command -v just >/dev/null 2>&1 || command -v npx >/dev/null 2>&1 || packages+=(nodejs npm) ;;
esac

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "run.sh: installing ${missing[*]}" >&2
	$sudo apt-get update -q >&2
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

if [ -n "$script" ]; then
	shift
	exec bash "$script" "$@"
fi
if command -v just >/dev/null 2>&1; then
	exec just "$@"
fi
export npm_config_yes=true npm_config_update_notifier=false npm_config_fund=false
exec npx --yes "$just_npm" "$@"
