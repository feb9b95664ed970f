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
#   opc-1.19.6 -> OUTDIR/oci-opc
#       module mode, opc/go.mod + go.sum: op-conductor v1.19.6's own consensus package
#       (github.com/ethereum-optimism/optimism v1.19.6 op-conductor/consensus, with
#       optimism's own replace of go-ethereum by op-geth v1.101702.3-rc.7, which a
#       dependency's go.mod cannot pass on), so hashicorp/raft v1.7.3, raft-boltdb/v2
#       v2.3.1, go-msgpack/v2 v2.1.2, go.etcd.io/bbolt v1.3.6. Needs Go >= 1.26
#       (optimism's go.mod says go 1.26.0); ~1 GB of module cache; a cold build takes
#       minutes (docs/testing.md), later runs reuse OUTDIR/gocache.
#
# Go: the first two builds need Go >= 1.19 (go-msgpack/v2's go.mod floor; raft v1.7.2 says 1.20
# but builds with 1.19.8, Debian 12's golang-go, as does everything else here; GOPATH
# mode still works on 1.26). $OCI_GO if set, else the newest Go found among `go` on
# PATH, /usr/local/go/bin/go and /usr/lib/go-*/bin/go is used, and named; for
# opc-1.19.6, when none of them is >= 1.26, Go 1.26.6 itself is fetched through the
# module proxy with the Go found (fetch_go below), so a fresh Debian 12 builds it too.
#
# Exit 77 (= skipped) when Go, a Debian package or the module proxy is missing, with
# one line on stderr saying which; lib.sh turns that into a failure under CI=true.
# Idempotent and safe to run concurrently: a flock per stack serialises builds and
# the binary is only rebuilt when the sources, go.mod/go.sum or the Go version change.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [raft-1.1.2|raft-1.7.2|opc-1.19.6]" >&2
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
opc-1.19.6) bin=$out/oci-opc ;;
*)
	echo "build-harness: unknown stack '$stack' (raft-1.1.2, raft-1.7.2 or opc-1.19.6)" >&2
	exit 2
	;;
esac

# pick_go: the newest Go >= $minor_min among the candidates.
minor_min=19
[ $stack = opc-1.19.6 ] && minor_min=26
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
		[ "$major" -eq 1 ] && [ "$minor" -ge $minor_min ] || continue
		if [ "$minor" -gt "$bestv" ]; then
			best=$c bestv=$minor
		fi
	done
	[ -n "$best" ] && echo "$best"
}
# fetch_go: when no local Go is new enough for opc-1.19.6 (Debian 12's golang-go is
# 1.19), the Go toolchain optimism v1.19.6's go.mod names (toolchain go1.26.6) comes
# from the Go module proxy as the module golang.org/toolchain, as Go >= 1.21 itself
# does for GOTOOLCHAIN=auto: downloaded by the older Go (verified by the checksum
# database, and here against the hash pinned below), copied to OUTDIR/go1.26.6 with
# its programs made executable (a module zip keeps no modes). Prints its go.
toolchain_ver=v0.0.1-go1.26.6
toolchain_sum_amd64=h1:owmNw4SPM9h46FGOeGJVUWzFEEDSmO6g7gAtWoXp28s=
fetch_go() {
	local old arch want dir info got dest=$1/go1.26.6
	[ -x "$dest/bin/go" ] && echo "$dest/bin/go" && return 0
	case $(uname -m) in
	x86_64) arch=amd64 want=$toolchain_sum_amd64 ;;
	*) return 1 ;; # only amd64's hash is pinned
	esac
	minor_min=19 old=$(pick_go) || return 1
	minor_min=26
	info=$(GOTOOLCHAIN=local GOFLAGS= GOMODCACHE="$1/toolchain-dl" timeout 600 "$old" mod download -json \
		"golang.org/toolchain@$toolchain_ver.linux-$arch" 2>&1) || {
		echo "build-harness: fetching Go 1.26.6 through the module proxy failed: $(echo "$info" | grep -m1 -i err)" >&2
		return 1
	}
	got=$(echo "$info" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",*$/\1/p')
	dir=$(echo "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
	if [ "$got" != "$want" ] || [ ! -f "$dir/bin/go" ]; then
		echo "build-harness: golang.org/toolchain@$toolchain_ver.linux-$arch has hash '$got', pinned '$want'" >&2
		return 1
	fi
	rm -rf "$dest.tmp.$$"
	cp -r "$dir" "$dest.tmp.$$"
	chmod -R u+w "$dest.tmp.$$"
	chmod a+x "$dest.tmp.$$"/bin/* "$dest.tmp.$$"/pkg/tool/*/*
	mv -T "$dest.tmp.$$" "$dest" 2>/dev/null || rm -rf "$dest.tmp.$$" # a concurrent run won
	chmod -R u+w "$1/toolchain-dl" && rm -rf "$1/toolchain-dl" # read-only, as every module cache
	echo "$dest/bin/go"
}
GO=$(pick_go) || { [ $minor_min = 26 ] && [ -z "${OCI_GO:-}" ] && GO=$(fetch_go "$out"); } || {
	if [ $minor_min = 19 ]; then
		echo "build-harness: no Go toolchain >= 1.19 found (apt-get install golang-go)" >&2
	else
		echo "build-harness: the $stack stack needs Go >= 1.$minor_min (optimism v1.19.6's go.mod) and none was found: install it from go.dev/dl into /usr/local/go, or set OCI_GO" >&2
	fi
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
	moddir=$here/harness tags=raft17
	if [ $stack = opc-1.19.6 ]; then
		moddir=$here/opc tags=
	fi
	stamp=$( { echo "$stack $gover"; cat "$moddir"/*.go "$moddir"/go.mod "$moddir"/go.sum; } | sha256sum | cut -d' ' -f1)
	if [ -x "$bin" ] && [ "$(cat "$bin.stamp" 2>/dev/null)" = "$stamp" ]; then
		exit 0
	fi
	export GO111MODULE=on GOFLAGS=-mod=readonly GOTOOLCHAIN=local GOCACHE="$out/gocache" CGO_ENABLED=0
	if [ -z "$(GOTOOLCHAIN=local "$GO" env GOMODCACHE 2>/dev/null)" ]; then
		export GOMODCACHE="$out/gomodcache" # no HOME/GOPATH: keep the module cache beside the build
	fi
	cd "$moddir"
	# The modules come from the module cache or the proxy; go.sum verifies them.
	# A proxy that answers "no" does so at once; one that hangs gets 180 s (opc-1.19.6:
	# 900 s, its cold download is ~1 GB).
	dl_timeout=180 dl_log=$bin.mod-download.log
	[ $stack = opc-1.19.6 ] && dl_timeout=900
	if ! timeout $dl_timeout "$GO" mod download >"$dl_log" 2>&1; then
		if grep -Eqi 'dial tcp|no such host|connection refused|i/o timeout|network is unreachable|TLS handshake|proxyconnect|GOPROXY=off|disabled by GOPROXY|Temporary failure|context deadline|certificate' "$dl_log" ||
			! [ -s "$dl_log" ]; then
			echo "build-harness: the Go module proxy ($(GOTOOLCHAIN=local "$GO" env GOPROXY)) cannot be reached, so the $stack stack cannot be built: $(grep -m1 . "$dl_log" || echo "timed out after $dl_timeout s")" >&2
			exit 77
		fi
		echo "build-harness: go mod download failed:" >&2
		cat "$dl_log" >&2
		exit 1
	fi
	echo "build-harness: building $bin: stack $stack (Go modules, go.sum-pinned) with $gover ($GO)" >&2
	"$GO" build -tags "$tags" -o "$bin.tmp.$$" .
fi
mv -f "$bin.tmp.$$" "$bin"
echo "$stamp" >"$bin.stamp"
