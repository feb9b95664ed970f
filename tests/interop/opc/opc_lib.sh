# Sourced by tests/interop/opc/test_*.sh (not a test itself): ../lib.sh, plus the
# steps every test on op-conductor's own consensus (the opc-1.19.6 stack, $H =
# oci-opc, tests/interop/opc/*.go) is made of. JSON is read with python3.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
[ "$OCI_STACK" = opc-1.19.6 ] || die "these tests run on the opc-1.19.6 stack only (OCI_STACK=$OCI_STACK)"
[ -x "${OCI_BIN:-}" ] || die "OCI_BIN is not set to the op-conductor-init binary"

# jget FILE EXPR: EXPR (Python, the document is d) evaluated on the JSON in FILE;
# None prints as "none", True/False as true/false.
jget() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
r=eval(sys.argv[2])
print("none" if r is None else ("true" if r is True else ("false" if r is False else r)))' "$1" "$2"
}

# opc_new NAME MODE N RUNARGS...: a fresh cluster of N nodes n1..nN on free ports,
# formed by MODE: "generate" (our `raft generate` state, every node started with
# it) or "bootstrap" (n1 with --raft.bootstrap=true, the others empty, added by
# the leader's AddVoter, as op-conductor's docs form a cluster); it then runs
# `oci-opc run` RUNARGS (payloads, thresholds) and stops. Sets ST (the storage
# dir), NODES (ID=PORT,...), GEN (ID=ADDR,...), DIRS (node dirs); the run's JSON
# is $TMP/NAME.json. A port taken between choosing and binding is retried.
opc_new() {
	local name=$1 mode=$2 n=$3 attempt i rc ports extra
	shift 3
	for attempt in 1 2 3; do
		ports=($("$H" ports "$n"))
		ST=$TMP/$name-$attempt NODES= GEN= DIRS=() extra=()
		for ((i = 1; i <= n; i++)); do
			NODES+="${NODES:+,}n$i=${ports[i - 1]}"
			GEN+="${GEN:+,}n$i=127.0.0.1:${ports[i - 1]}"
			DIRS+=("$ST/n$i")
		done
		if [ "$mode" = generate ]; then
			"$OCI_BIN" raft generate --nodes "$GEN" --initial-leader n1 --output-dir "$ST" >"$TMP/gen.out" 2>&1 ||
				die "$name: raft generate failed: $(cat "$TMP/gen.out")"
		else
			extra=(--bootstrap n1)
			[ "$n" -gt 1 ] && extra+=(--join "$(seq -s, -f 'n%g' 2 "$n")")
		fi
		rc=0
		"$H" run --storage "$ST" --nodes "$NODES" "${extra[@]}" "$@" >"$TMP/$name.json" 2>"$TMP/$name.err" || rc=$?
		if [ $rc != 0 ] && grep -Eq 'tcp transport|address already in use' "$TMP/$name.err"; then
			say "port clash, retrying"
			continue
		fi
		[ $rc = 0 ] || die "$name: oci-opc run failed: $(tail -c 800 "$TMP/$name.err")"
		return 0
	done
	die "$name: no free ports after 3 attempts"
}

# opc_run NAME ARGS...: `oci-opc run --storage $ST --nodes $NODES ARGS` on the
# existing state (the same ports: they are in its configuration); JSON in $TMP/NAME.json.
opc_run() {
	local name=$1
	shift
	"$H" run --storage "$ST" --nodes "$NODES" "$@" >"$TMP/$name.json" 2>"$TMP/$name.err" ||
		die "$name: oci-opc run failed: $(tail -c 800 "$TMP/$name.err")"
}

# opc_restart_head NAME: what op-conductor restores: every node of a copy of $ST
# started again (NewRaftConsensus, no bootstrap), a leader elected, its
# LatestUnsafePayload. Sets RNUM and RHASH ("none none" without a head); $ST
# itself is not touched.
opc_restart_head() {
	local name=$1 copy=$TMP/$1-restart
	rm -rf "$copy"
	cp -a "$ST" "$copy"
	"$H" run --storage "$copy" --nodes "$NODES" >"$TMP/$name-restart.json" 2>"$TMP/$name-restart.err" ||
		die "$name: restarting op-conductor on a copy failed: $(tail -c 800 "$TMP/$name-restart.err")"
	RNUM=$(jget "$TMP/$name-restart.json" '(d["head"] or {}).get("number")')
	RHASH=$(jget "$TMP/$name-restart.json" '(d["head"] or {}).get("hash")')
}

# opc_tool_heads NAME NUM HASH DIR...: plain info, info --full, verify (text and
# --json) of every DIR, and compare over all of them, each name the unsafe head
# NUM HASH, and verify says VALID.
opc_tool_heads() {
	local name=$1 num=$2 hash=$3 d i=0 line cmp=
	shift 3
	[ $# -ge 2 ] && cmp=" and compare"
	for d in "$@"; do
		i=$((i + 1))
		for f in "" --full; do
			"$OCI_BIN" raft info --state-dir "$d" $f >"$TMP/info.out" 2>&1 || die "$name: info $f $d failed: $(tail -n 3 "$TMP/info.out")"
			line=$(grep -m1 '^  Unsafe head:' "$TMP/info.out" || true)
			[[ $line =~ ^"  Unsafe head:"\ +"$num $hash"$ ]] ||
				die "$name: info $f of $(basename "$d") says '${line# }', op-conductor restores $num $hash"
			# plain info counts the leaves before the snapshot from their
			# parents' keys, --full reads every entry: the same count
			grep -m1 '^  Log:' "$TMP/info.out" >"$TMP/info$f.log" || true
		done
		cmp -s "$TMP/info.log" "$TMP/info--full.log" && [ -s "$TMP/info.log" ] ||
			die "$name: $(basename "$d"): plain info's '$(cat "$TMP/info.log")' against --full's '$(cat "$TMP/info--full.log")'"
		"$OCI_BIN" raft verify --state-dir "$d" >"$TMP/verify.out" 2>&1 || die "$name: verify $d is not VALID: $(tail -n 4 "$TMP/verify.out")"
		tail -n1 "$TMP/verify.out" | grep -q '^VALID' || die "$name: verify $d: $(tail -n1 "$TMP/verify.out")"
		line=$(grep -m1 '^  Unsafe head:' "$TMP/verify.out" || true)
		[[ $line =~ ^"  Unsafe head:"\ +"$num $hash"$ ]] ||
			die "$name: verify of $(basename "$d") says '${line# }', op-conductor restores $num $hash"
		"$OCI_BIN" raft verify --state-dir "$d" --json >"$TMP/verify.json" 2>"$TMP/verify.err" || die "$name: verify --json $d failed"
		[ "$(jget "$TMP/verify.json" 'd["valid"]')" = true ] || die "$name: verify --json $d: valid is not true"
		[ "$(jget "$TMP/verify.json" '(d["unsafe_head"] or {}).get("number")') $(jget "$TMP/verify.json" '(d["unsafe_head"] or {}).get("hash")')" = "$num $hash" ] ||
			die "$name: verify --json of $(basename "$d"): unsafe_head is not $num $hash"
	done
	if [ $# -ge 2 ]; then
		local args=()
		for d in "$@"; do args+=(--state-dir "$d"); done
		"$OCI_BIN" raft compare "${args[@]}" >"$TMP/compare.out" 2>&1 || die "$name: compare failed: $(tail -n 4 "$TMP/compare.out")"
		grep -q "^  Highest unsafe head: $num $hash on " "$TMP/compare.out" ||
			die "$name: compare: $(grep -m1 'Highest unsafe head' "$TMP/compare.out" || echo 'no highest unsafe head'), op-conductor restores $num $hash"
		"$OCI_BIN" raft compare "${args[@]}" --json >"$TMP/compare.json" 2>/dev/null || die "$name: compare --json failed"
		[ "$(jget "$TMP/compare.json" 'sorted(set("%s %s" % (n["unsafe_head"]["number"], n["unsafe_head"]["hash"]) for n in d["nodes"] if n["unsafe_head"]))')" = "['$num $hash']" ] ||
			die "$name: compare --json: the nodes' unsafe heads are not all $num $hash"
	fi
	say "ok: $name: info, info --full, verify (text, --json) of $i node(s)$cmp name $num ${hash:0:18}.., the head op-conductor restores; VALID; info's log line is --full's"
}

# opc_expect NAME: the restart's head is the one the tools name on $ST's nodes,
# and (a check on the test) the payload SPEC's highest accepted block is EXPECT_NUM.
opc_expect() {
	local name=$1 want=$2
	opc_restart_head "$name"
	[ "$RNUM" = "$want" ] || die "$name: op-conductor restored head $RNUM, the scenario expects block $want"
	opc_tool_heads "$name" "$RNUM" "$RHASH" "${DIRS[@]}"
}
