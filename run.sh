#!/usr/bin/env bash
# run.sh RECIPE [ARGS...] — install whatever is missing on a Debian machine
# (apt packages, the `just` runner), then run `just RECIPE ARGS...`.
#   ./run.sh example   build, generate the 3-node example and show it
#   ./run.sh test      the whole test suite (unit, CLI, interop, sanitizers)
set -euo pipefail
cd "$(dirname "$0")"

packages=(build-essential cmake pkg-config libbsd-dev libmd-dev libcjson-dev zlib1g-dev check
	clang libclang-rt-14-dev clang-format cppcheck xxd util-linux util-linux-extra bsdutils strace valgrind dpkg-dev
	golang-go golang-github-hashicorp-raft-dev golang-github-hashicorp-raft-boltdb-dev
	golang-github-coreos-bbolt-dev man-db python3-yaml
	ca-certificates)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	echo "run.sh: installing ${missing[*]}" >&2
	$sudo apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

if command -v just >/dev/null 2>&1; then
	exec just "$@"
fi
export npm_config_yes=true npm_config_update_notifier=false npm_config_fund=false
exec npx --yes rust-just "$@"
