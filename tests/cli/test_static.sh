#!/usr/bin/env bash
# Proves `just static` (scripts/build-static.sh) gives a fully static
# op-conductor-init that works where there are no shared libraries at all:
# ldd/readelf find no dynamic loader, and inside an empty chroot (the binary
# alone, env -i) it generates gen/three cmp-identical to the Go tool's files,
# reads a --config file (cJSON linked in), records sha256 sums in
# cluster.json (libmd linked in) that match, chowns numerically, and --if-absent
# accepts its own output. `raft verify` runs there too when the binary has it.
#
# The static binary is built into $OCI_BUILD/static (once; the first build
# fetches Debian's cJSON source package). Where it cannot be built or a
# chroot is not allowed, the test says so and passes only outside CI.
# Env: OCI_SRC, OCI_BUILD, OCI_TESTDATA.
. "$(dirname "$0")/lib.sh"
need_env OCI_SRC OCI_BUILD OCI_TESTDATA
V3=$OCI_TESTDATA/gen/three
make_tmp oci-static
cannot() {
	echo "SKIP: $*"
	if [ "${CI:-}" = true ]; then
		bad "CI=true: $*"
	fi
	finish
}

S=$OCI_BUILD/static/op-conductor-init
if ! bash "$OCI_SRC/scripts/build-static.sh" "$OCI_BUILD/static" >"$tmp/build.log" 2>&1; then
	cat "$tmp/build.log"
	cannot "the static binary could not be built (see above)"
fi
ok "scripts/build-static.sh built $S"

if ldd "$S" 2>&1 | grep -q "not a dynamic executable" && ! readelf -l "$S" | grep -q INTERP &&
	[ -z "$(readelf -d "$S" 2>/dev/null | grep NEEDED)" ]; then
	ok "no program interpreter, no NEEDED libraries (ldd: not a dynamic executable)"
else
	bad "the binary is dynamic: $(ldd "$S" 2>&1 | head -n 3 | tr '\n' ' ')"
fi

root=$tmp/root
mkdir -p "$root"
cp "$S" "$root/op-conductor-init"
A=sequencer-1.ns.svc.cluster.local:50050,sequencer-2.ns.svc.cluster.local:50050,sequencer-3.ns.svc.cluster.local:50050
I=sequencer-1,sequencer-2,sequencer-3
cat >"$root/cluster-in.json" <<JSON
{"nodes": [{"id": "sequencer-1", "address": "sequencer-1.ns.svc.cluster.local:50050"},
           {"id": "sequencer-2", "address": "sequencer-2.ns.svc.cluster.local:50050"},
           {"id": "sequencer-3", "address": "sequencer-3.ns.svc.cluster.local:50050"}],
 "initial_leader": "sequencer-1", "network": "op-mainnet"}
JSON
# in_root CMD...: run inside the empty root, no environment
CHROOT=$(command -v chroot || echo /usr/sbin/chroot)
UNSHARE=$(command -v unshare || echo /usr/bin/unshare)
# (the probes by the same paths: a non-root user's PATH has no /usr/sbin)
if "$CHROOT" "$root" /op-conductor-init --version >/dev/null 2>&1; then
	in_root() { env -i "$CHROOT" "$root" "$@"; }
	how="chroot (only the binary inside), env -i"
	owner=4321:8765 owner_outside=4321:8765
elif "$UNSHARE" -r "$CHROOT" "$root" /op-conductor-init --version >/dev/null 2>&1; then
	in_root() { env -i "$UNSHARE" -r "$CHROOT" "$root" "$@"; }
	how="unshare -r + chroot (only the binary inside), env -i"
	# the user namespace maps only its root (to this user): the one owner to give
	owner=0:0 owner_outside=$(id -u):$(id -g)
else
	cannot "neither chroot nor unshare -r chroot is permitted here"
fi
ok "runs in an empty root: $how"

same3() {
	local f
	[ "$( (cd "$V3" && find . -name '*.db') | LC_ALL=C sort)" = "$( (cd "$1" && find . -mindepth 1 -not -type d ! -name cluster.json) | LC_ALL=C sort)" ] || return 1
	for f in $(cd "$V3" && find . -name '*.db'); do cmp -s "$V3/$f" "$1/$f" || return 1; done
}
if in_root /op-conductor-init raft generate --nodes "$A" --server-ids "$I" --initial-leader sequencer-1 --output-dir /flags >"$tmp/out" 2>&1 &&
	same3 "$root/flags" && [ ! -e "$root/flags/cluster.json" ]; then
	ok "generate with flags in the empty root: cmp-identical to gen/three"
else
	bad "generate with flags in the empty root: $(head -c 400 "$tmp/out")"
fi
if in_root /op-conductor-init raft generate --config /cluster-in.json --chown "$owner" --output-dir /cfg >"$tmp/out" 2>&1 &&
	same3 "$root/cfg" && [ -z "$(find "$root/cfg" ! -user "${owner_outside%:*}" -o ! -group "${owner_outside#*:}")" ]; then
	ok "generate --config --chown $owner in the empty root: cmp-identical, owned by $owner_outside"
else
	bad "generate --config --chown in the empty root: $(head -c 400 "$tmp/out")"
fi
n=0
while read -r p h; do
	[ "$(sha256sum <"$root/cfg/$p" | cut -d' ' -f1)" = "$h" ] && n=$((n + 1))
done < <(tr -d '\t\n ' <"$root/cfg/cluster.json" | grep -o '"path":"[^"]*","size":[0-9]*,"sha256":"[0-9a-f]*"' |
	sed 's/"path":"\([^"]*\)","size":[0-9]*,"sha256":"\([0-9a-f]*\)"/\1 \2/')
if [ "$n" = 6 ]; then
	ok "cluster.json written in the empty root: 6 sha256 sums, all match"
else
	bad "cluster.json in the empty root: $n of 6 sha256 sums match"
fi
if in_root /op-conductor-init raft generate --config /cluster-in.json --node-id sequencer-2 --if-absent --output-dir /cfg >"$tmp/out" 2>&1 &&
	grep -q "nothing was written" "$tmp/out"; then
	ok "--if-absent on its own output in the empty root: exit 0, nothing written"
else
	bad "--if-absent in the empty root: $(head -c 400 "$tmp/out")"
fi
if in_root /op-conductor-init raft verify --help >/dev/null 2>&1; then
	for id in sequencer-1 sequencer-2 sequencer-3; do
		if in_root /op-conductor-init raft verify --state-dir "/flags/$id" >"$tmp/out" 2>&1; then
			ok "raft verify $id in the empty root"
		else
			bad "raft verify $id in the empty root: $(tail -n 3 "$tmp/out")"
		fi
	done
else
	echo "note: this binary has no raft verify yet; the output was checked byte for byte instead"
fi

finish
