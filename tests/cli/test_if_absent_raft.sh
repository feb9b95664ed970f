#!/usr/bin/env bash
# Proves the --if-absent rule of issue 16: once raft has written to the
# state, the volume's state is the cluster's own and wins.
#  - a member added after the init container ran, as op-conductor's
#    conductor_addServerAsVoter does it (a LogConfiguration entry appended
#    at a higher term and index; here written by `raft recover`, the
#    project's own writer): the same `raft generate --if-absent` the init
#    container runs on every pod restart exits 0, names the difference on
#    stderr (- raft's configuration now, + the given one) and writes
#    nothing;
#  - refused (exit 1, nothing written) stays only what no run of this
#    cluster could have produced: raft-written state whose configuration
#    shares no server with the given one (another cluster's), and generated
#    state with other members that raft never touched.
# Env: OCI_BIN.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
B=$OCI_BIN
make_tmp oci-ifabsent-raft
unset_env 'OP_CONDUCTOR_INIT_[A-Z_]*'
snap() { (cd "$1" && find . -printf '%p %y %s %T@\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); }

A1=seq-1=seq-1.ns.svc:50050
A2=seq-2=seq-2.ns.svc:50050
A3=seq-3=seq-3.ns.svc:50050
A4=seq-4=seq-4.ns.svc:50050
G=(raft generate --nodes "$A1,$A2,$A3" --initial-leader seq-1 --if-absent)

"$B" "${G[@]}" --output-dir "$tmp/out" >/dev/null 2>&1 || { bad "first --if-absent run failed"; finish; }
# raft adds seq-4 as a voter (a configuration entry at a higher term/index)
if "$B" raft recover --state-dir "$tmp/out/seq-1" --nodes "$A1,$A2,$A3,$A4" >"$tmp/rec.out" 2>&1; then
	ok "a configuration entry adding seq-4 appended to seq-1 (raft recover)"
else
	bad "raft recover failed: $(cat "$tmp/rec.out")"
fi
snap "$tmp/out" >"$tmp/before"
(cd "$tmp" && "$B" "${G[@]}" --output-dir out) >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ "$rc" != 0 ]; then
	bad "--if-absent after raft added a member: exit $rc (want 0): $(cat "$tmp/e")"
elif ! grep -q 'raft has changed the configuration in out since it was initialized' "$tmp/e" ||
	! grep -q '^  seq-1: - member "seq-4" "seq-4.ns.svc:50050" voter$' "$tmp/e"; then
	bad "--if-absent after raft added a member: the difference is not on stderr: $(cat "$tmp/e")"
elif grep -q 'seq-[23]: ' "$tmp/e"; then
	bad "--if-absent after raft added a member: nodes raft did not change are reported: $(cat "$tmp/e")"
elif ! snap "$tmp/out" | cmp -s - "$tmp/before"; then
	bad "--if-absent after raft added a member: the state changed"
elif ! grep -q 'seq-1: already initialized: raft has moved on .* and changed the configuration' "$tmp/o"; then
	bad "--if-absent after raft added a member: stdout does not say the state is kept: $(cat "$tmp/o")"
else
	ok "--if-absent after raft added a member: exit 0, the difference on stderr, nothing written"
fi

# another cluster's state that raft has written to: refused
"$B" raft generate --nodes "seq-1=other-1:7000,seq-2=other-2:7000" --initial-leader seq-1 \
	--output-dir "$tmp/other" >/dev/null 2>&1
"$B" raft recover --state-dir "$tmp/other/seq-1" --nodes "seq-1=other-1:7000,seq-2=other-2:7000,seq-5=other-5:7000" >/dev/null 2>&1 ||
	bad "raft recover of the other cluster failed"
snap "$tmp/other" >"$tmp/before"
(cd "$tmp" && "$B" "${G[@]}" --output-dir other --node-id seq-1) >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ "$rc" = 1 ] && grep -q "seq-1: no server of raft's configuration is in the given one" "$tmp/e" &&
	snap "$tmp/other" | cmp -s - "$tmp/before"; then
	ok "--if-absent on another cluster's raft-written state: exit 1, nothing written"
else
	bad "--if-absent on another cluster's raft-written state: exit $rc: $(cat "$tmp/e")"
fi

# generated with other members, untouched by raft: refused as before
"$B" raft generate --nodes "$A1,$A2,$A4" --initial-leader seq-1 --output-dir "$tmp/gen" >/dev/null 2>&1
snap "$tmp/gen" >"$tmp/before"
(cd "$tmp" && "$B" "${G[@]}" --output-dir gen --node-id seq-1) >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ "$rc" = 1 ] && grep -q '^  seq-1: - member "seq-4"' "$tmp/e" && grep -q '^  seq-1: + member "seq-3"' "$tmp/e" &&
	snap "$tmp/gen" | cmp -s - "$tmp/before"; then
	ok "--if-absent on generated state with other members: exit 1 with the diff, nothing written"
else
	bad "--if-absent on generated state with other members: exit $rc: $(cat "$tmp/e")"
fi
finish
