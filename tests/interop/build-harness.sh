#!/usr/bin/env bash
# build-harness.sh OUTDIR [STACK] — build the Go interop harness for one raft stack.
#
#   raft-1.1.2 (default) -> OUTDIR/oci-harness
#       GOPATH mode against Debian's packaged Go sources only (/usr/share/gocode):
#       golang-github-hashicorp-raft-dev (raft 1.1.2), golang-github-hashicorp-raft-boltdb-dev
#       (raft-boltdb v1 on boltdb/bolt, go-msgpack 0.5.5), golang-github-coreos-bbolt-dev.
#       No network.
#   raft-1.7.2 -> OUTDIR/oci-harness-raft-1.7.2
#       module mode, -tags raft17, harness/go.mod + go.sum: hashicorp/raft v1.7.2,
#       raft-boltdb/v2 v2.3.1, go-msgpack/v2 v2.1.2, go.etcd.io/bbolt v1.3.5 (what
#       op-conductor runs), fetched through the Go module proxy ($GOPROXY) into the
#       module cache once, verified against go.sum, never upgraded (-mod=readonly).
#
# Go: both builds need Go >= 1.19 (go-msgpack/v2's go.mod floor; raft v1.7.2 says 1.20
# but builds with 1.19.8, Debian 12's golang-go, as does everything else here; GOPATH
# mode still works on 1.26). $OCI_GO if set, else the newest Go found among `go` on
# PATH, /usr/local/go/bin/go and /usr/lib/go-*/bin/go is used, and named.
#
# Exit 77 (= skipped) when Go, a Debian package or the module proxy is missing, with
# one line on stderr saying which; lib.sh turns that into a failure under CI=true.
# Idempotent and safe to run concurrently: a flock per stack serialises builds and
# the binary is only rebuilt when the sources, go.mod/go.sum or the Go version change.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [raft-1.1.2|raft-1.7.2]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
stack=${2:-raft-1.1.2}
mkdir -p "$1"
out=$(cd "$1" && pwd)
debs="golang-go golang-github-hashicorp-raft-dev golang-github-hashicorp-raft-boltdb-dev golang-github-coreos-bbolt-dev"

case $stack in
raft-1.1.2) bin=$out/oci-harness ;;
raft-1.7.2) bin=$out/oci-harness-raft-1.7.2 ;;
*)
	echo "build-harness: unknown stack '$stack' (raft-1.1.2 or raft-1.7.2)" >&2
	exit 2
	;;
esac

# pick_go: the newest Go >= 1.19 among the candidates.
pick_go() {
	local c v best= bestv=0 major minor cands
	if [ -n "${OCI_GO:-}" ]; then
		cands=("$OCI_GO") # chosen by the caller: that one or none
	else
		cands=("$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go /usr/lib/go/bin/go /usr/lib/go-1.*/bin/go)
	fi
	for c in "${cands[@]}"; do
		[ -n "$c" ] && [ -x "$c" ] || continue
		v=$(GOTOOLCHAIN=local "$c" env GOVERSION 2>/dev/null) || continue
		v=${v#go}
		major=${v%%.*}
		minor=${v#*.}
		minor=${minor%%[!0-9]*}
		[[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || continue
		[ "$major" -eq 1 ] && [ "$minor" -ge 19 ] || continue
		if [ "$minor" -gt "$bestv" ]; then
			best=$c bestv=$minor
		fi
	done
	[ -n "$best" ] && echo "$best"
}
GO=$(pick_go) || {
	echo "build-harness: no Go toolchain >= 1.19 found (apt-get install golang-go)" >&2
	exit 77
}
gover=$(GOTOOLCHAIN=local "$GO" env GOVERSION)

exec 9>"$bin.lock"
flock -w 600 9 || {
	echo "build-harness: timed out waiting for $bin.lock" >&2
	exit 1
}

if [ $stack = raft-1.1.2 ]; then
	gocode=/usr/share/gocode/src
	missing=
	for p in github.com/hashicorp/raft github.com/hashicorp/raft-boltdb github.com/boltdb/bolt \
		go.etcd.io/bbolt github.com/hashicorp/go-msgpack/codec github.com/hashicorp/go-hclog github.com/armon/go-metrics; do
		[ -d "$gocode/$p" ] || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "build-harness: Go packages missing under $gocode:$missing (apt-get install $debs)" >&2
		exit 77
	fi
	stamp=$( { echo "$stack $gover"; cat "$here"/harness/*.go; } | sha256sum | cut -d' ' -f1)
	if [ -x "$bin" ] && [ "$(cat "$bin.stamp" 2>/dev/null)" = "$stamp" ]; then
		exit 0
	fi
	src="$out/gopath/src/oci-harness"
	rm -rf "$src"
	mkdir -p "$src"
	cp "$here"/harness/*.go "$src"/
	echo "build-harness: building $bin: stack $stack (GOPATH mode, Debian Go packages) with $gover ($GO)" >&2
	(
		cd "$src"
		export GO111MODULE=off GOFLAGS= GOPROXY=off GOTOOLCHAIN=local GOPATH="$out/gopath:/usr/share/gocode" \
			GOCACHE="$out/gocache" CGO_ENABLED=0
		"$GO" build -o "$bin.tmp.$$" .
	)
else
	stamp=$( { echo "$stack $gover"; cat "$here"/harness/*.go "$here"/harness/go.mod "$here"/harness/go.sum; } | sha256sum | cut -d' ' -f1)
	if [ -x "$bin" ] && [ "$(cat "$bin.stamp" 2>/dev/null)" = "$stamp" ]; then
		exit 0
	fi
	export GO111MODULE=on GOFLAGS=-mod=readonly GOTOOLCHAIN=local GOCACHE="$out/gocache" CGO_ENABLED=0
	if [ -z "$(GOTOOLCHAIN=local "$GO" env GOMODCACHE 2>/dev/null)" ]; then
		export GOMODCACHE="$out/gomodcache" # no HOME/GOPATH: keep the module cache beside the build
	fi
	cd "$here/harness"
	# The modules come from the module cache or the proxy; go.sum verifies them.
	# A proxy that answers "no" does so at once; one that hangs gets 180 s.
	if ! timeout 180 "$GO" mod download >"$out/go-mod-download.log" 2>&1; then
		if grep -Eqi 'dial tcp|no such host|connection refused|i/o timeout|network is unreachable|TLS handshake|proxyconnect|GOPROXY=off|disabled by GOPROXY|Temporary failure|context deadline|certificate' "$out/go-mod-download.log" ||
			! [ -s "$out/go-mod-download.log" ]; then
			echo "build-harness: the Go module proxy ($(GOTOOLCHAIN=local "$GO" env GOPROXY)) cannot be reached, so the raft-1.7.2 stack cannot be built: $(grep -m1 . "$out/go-mod-download.log" || echo 'timed out after 180 s')" >&2
			exit 77
		fi
		echo "build-harness: go mod download failed:" >&2
		cat "$out/go-mod-download.log" >&2
		exit 1
	fi
	echo "build-harness: building $bin: stack $stack (Go modules, go.sum-pinned) with $gover ($GO)" >&2
	"$GO" build -tags raft17 -o "$bin.tmp.$$" .
fi
mv -f "$bin.tmp.$$" "$bin"
echo "$stamp" >"$bin.stamp"
