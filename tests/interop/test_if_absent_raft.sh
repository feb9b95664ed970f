#!/usr/bin/env bash
# `raft generate --if-absent` after real HashiCorp Raft changed the
# membership (issue 16): the init container's own command, rerun on every
# pod restart with the unchanged 3-node flags, must keep the volume's state
# and start the pod.
#   1. a 3-node cluster generated with --if-absent runs under real raft
#      (harness cluster) and applies 10 commands;
#   2. every node gets a 4-member configuration (raft recover, same term) and
#      the cluster runs again with n4 started empty (--peer): a leader is
#      elected among the old members, replicates to n4 and applies 5 more
#      commands: raft itself wrote entries and terms after the change;
#   3. the same `raft generate --if-absent` (3 members) exits 0, writes
#      nothing, and names on stderr the member raft has and the flags lack
#      (- member "n4" ...), for every node raft changed.
. "$(dirname "$0")/lib.sh"
need_harness
[ -x "${OCI_BIN:-}" ] || die "OCI_BIN is not set to the op-conductor-init binary"

snap() { (cd "$1" && find . -printf '%p %y %s %T@\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); }

for attempt in 1 2 3; do
	PORTS=($("$H" ports 4))
	DIR=$TMP/c-$attempt
	THREE="n1=127.0.0.1:${PORTS[0]},n2=127.0.0.1:${PORTS[1]},n3=127.0.0.1:${PORTS[2]}"
	"$OCI_BIN" raft generate --nodes "$THREE" --initial-leader n1 --if-absent --output-dir "$DIR" >"$TMP/gen.out" 2>&1 ||
		die "raft generate failed: $(cat "$TMP/gen.out")"
	rc=0
	"$H" cluster "$DIR" --in-place --keep --applies 10 --timeout 30s >"$TMP/c0.json" 2>"$TMP/c0.err" || rc=$?
	if [ $rc != 0 ] && grep -Eq 'TCP transport|address already in use' "$TMP/c0.err"; then
		say "port clash, retrying"
		continue
	fi
	[ $rc = 0 ] || die "the first cluster run failed: $(cat "$TMP/c0.err")"
	break
done
[ "$(count "$TMP/c0.json" '"applied_commands": 10,')" = 3 ] || die "not all 3 nodes applied 10 commands"
T=$(grep -m1 '"term"' "$TMP/c0.json" | tr -dc 0-9)
say "ok: 3 generated nodes ran under raft in term $T and applied 10 commands"

FOUR="$THREE,n4=127.0.0.1:${PORTS[3]}"
for i in 1 2 3; do
	"$OCI_BIN" raft recover --state-dir "$DIR/n$i" --nodes "$FOUR" --term $((T + 1)) >"$TMP/rec.out" 2>&1 ||
		die "recover n$i failed: $(cat "$TMP/rec.out")"
done
"$H" cluster "$DIR" --in-place --keep --applies 5 --timeout 60s --peer "n4=127.0.0.1:${PORTS[3]}" \
	>"$TMP/c1.json" 2>"$TMP/c1.err" || die "the 4-member cluster failed: $(cat "$TMP/c1.err")"
[ "$(count "$TMP/c1.json" '"applied_commands": 15,')" = 4 ] || die "not all 4 nodes applied 10 + 5 commands"
[ "$(count "$TMP/c1.json" '"configuration_ok": true')" = 4 ] || die "a live configuration differs"
say "ok: raft ran with n4 added (started empty), every node applied 15 commands"

snap "$DIR" >"$TMP/before"
rc=0
(cd "$TMP" && "$OCI_BIN" raft generate --nodes "$THREE" --initial-leader n1 --if-absent \
	--output-dir "$DIR") >"$TMP/o" 2>"$TMP/e" || rc=$?
[ "$rc" = 0 ] || die "--if-absent after raft added n4: exit $rc (want 0): $(cat "$TMP/e")"
grep -q 'raft has changed the configuration in .* since it was initialized' "$TMP/e" ||
	die "--if-absent: stderr does not say raft changed the configuration: $(cat "$TMP/e")"
for i in 1 2 3; do
	grep -q "^  n$i: - member \"n4\" \"127.0.0.1:${PORTS[3]}\" voter\$" "$TMP/e" ||
		die "--if-absent: n$i's difference (- member n4) is not on stderr: $(cat "$TMP/e")"
done
snap "$DIR" | cmp -s - "$TMP/before" || die "--if-absent changed the state"
say "ok: the init container's --if-absent run exits 0, writes nothing, and names n4 for n1..n3"
passed
