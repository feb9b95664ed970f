#!/usr/bin/env bash
# build-harness.sh OUTDIR — build the Go interop harness into OUTDIR/oci-harness.
#
# GOPATH mode against Debian's packaged Go sources only (/usr/share/gocode):
# golang-go, golang-github-hashicorp-raft-dev, golang-github-hashicorp-raft-boltdb-dev,
# golang-github-coreos-bbolt-dev (plus their packaged dependencies). No network,
# no modules. Exit 77 (= skipped) when Go or a package is missing.
# Idempotent and safe to run concurrently: a flock serialises builds and the
# binary is only rebuilt when the sources or the Go version change.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
gocode=/usr/share/gocode/src
debs="golang-go golang-github-hashicorp-raft-dev golang-github-hashicorp-raft-boltdb-dev golang-github-coreos-bbolt-dev"

if ! command -v go >/dev/null 2>&1; then
	echo "build-harness: the Go toolchain is missing (apt-get install $debs)" >&2
	exit 77
fi
missing=
for p in github.com/hashicorp/raft github.com/hashicorp/raft-boltdb github.com/boltdb/bolt \
	go.etcd.io/bbolt github.com/hashicorp/go-msgpack/codec github.com/hashicorp/go-hclog github.com/armon/go-metrics; do
	[ -d "$gocode/$p" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "build-harness: Go packages missing under $gocode:$missing (apt-get install $debs)" >&2
	exit 77
fi

exec 9>"$out/.oci-harness.lock"
flock -w 600 9 || { echo "build-harness: timed out waiting for $out/.oci-harness.lock" >&2; exit 1; }

stamp=$( { go version; cat "$here"/harness/*.go; } | sha256sum | cut -d' ' -f1)
if [ -x "$out/oci-harness" ] && [ "$(cat "$out/oci-harness.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

src="$out/gopath/src/oci-harness"
rm -rf "$src"
mkdir -p "$src"
cp "$here"/harness/*.go "$src"/
echo "build-harness: building $out/oci-harness (GOPATH mode, Debian Go packages)" >&2
(
	cd "$src"
	export GO111MODULE=off GOFLAGS= GOPROXY=off GOPATH="$out/gopath:/usr/share/gocode" \
		GOCACHE="$out/gocache" CGO_ENABLED=0
	go build -o "$out/oci-harness.tmp.$$" .
)
mv -f "$out/oci-harness.tmp.$$" "$out/oci-harness"
echo "$stamp" >"$out/oci-harness.stamp"
