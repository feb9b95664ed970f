#!/usr/bin/env bash
# Raft's own rules, proven with real HashiCorp Raft (issue 24). The harness
# (lagging.go) runs five real raft nodes and makes n5 fall behind a compacted
# leader, so that raft itself sends it InstallSnapshot and keeps its old
# short log (compactLogsWithTrailing: not longer than TrailingLogs):
#  - right after the install, n5 holds log 1..7 and snapshot S (copied aside);
#  - after 5 more entries, n5 holds 1..7 and S+1..S+5: a gap at or below the
#    snapshot index, written by raft.
# Checks: verify calls the gap state VALID and counts what raft-boltdb holds
# (the harness's FirstIndex/LastIndex and our count), and raft restarts from
# it (harness cluster); compare of n4 (log 1..7, no snapshot) and the copied
# n5 names n5 (ranked by its snapshot) where it used to name n4, both recover
# (n5 after its snapshot's index), and real raft started on the two recovered
# nodes elects the node compare named (n4's vote request is refused, n5's
# granted); compare of the whole cluster names a node raft can elect.
. "$(dirname "$0")/lib.sh"
need_harness
[ -x "${OCI_BIN:-}" ] || die "OCI_BIN is not set to the op-conductor-init binary"
B=$OCI_BIN

jq_get() { # jq_get FILE PY-EXPR: python3 evaluates EXPR on the document d
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

for attempt in 1 2 3; do
	rm -rf "$TMP/root" "$TMP/n5snap"
	ports=$("$H" ports 5 | tr ' ' ',')
	rc=0
	"$H" lagging --out "$TMP/root" --snap-copy "$TMP/n5snap" --ports "$ports" --timeout 60s \
		>"$TMP/lag.json" 2>"$TMP/lag.err" || rc=$?
	if [ $rc != 0 ] && grep -Eq 'TCP transport|address already in use' "$TMP/lag.err"; then
		say "port clash ($(head -n1 "$TMP/lag.err")), retrying with new ports"
		continue
	fi
	[ $rc = 0 ] || die "lagging: $(cat "$TMP/lag.err")"
	break
done
[ $rc = 0 ] || die "no free ports after 3 attempts"
S=$(jq_get "$TMP/lag.json" 'd["snapshot_index"]')
last=$(jq_get "$TMP/lag.json" 'd["last_index"]["n5"]')
n4last=$(jq_get "$TMP/lag.json" 'd["last_index"]["n4"]')
[ "$(jq_get "$TMP/lag.json" 'd["first_index"]["n5"]')" = 1 ] && [ "$last" = $((S + 5)) ] ||
	die "n5 is not 'old log + entries after the snapshot': $(cat "$TMP/lag.json")"
say "ok: real raft: n5 installed snapshot $S (index $S) and kept its old log 1..$n4last; now it ends at $last"

# the gap state: VALID, counted as raft-boltdb holds it
"$B" raft verify --state-dir "$TMP/root/n5" >"$TMP/v.txt" 2>&1 || die "verify of n5 (gap below the snapshot): $(cat "$TMP/v.txt")"
present=$((n4last + 5))
grep -q "entries: 1..$last ($present entries present; $((last - present)) of the indexes between hold none)" "$TMP/v.txt" ||
	die "verify's count: $(grep entries: "$TMP/v.txt")"
"$B" raft info --json --state-dir "$TMP/root/n5" >"$TMP/i.json"
[ "$(jq_get "$TMP/i.json" 'd["log"]["count"]')" = $present ] || die "info count $(jq_get "$TMP/i.json" 'd["log"]["count"]'), want $present"
"$H" scan "$TMP/root/n5/raft-log.db" >"$TMP/scan.json" 2>"$TMP/scan.err" &&
	die "the harness's strict scan read n5's log without a gap" || true
say "ok: verify: n5 VALID with $present entries present (a gap of $((last - present)) at or below snapshot index $S); info counts $present"
for n in n1 n2 n3 n4 n5; do
	"$B" raft verify --state-dir "$TMP/root/$n" >"$TMP/v.txt" 2>&1 || die "verify $n: $(tail -n 3 "$TMP/v.txt")"
done
rc=0
"$H" cluster "$TMP/root" --fsm chain --applies 3 --timeout 60s >"$TMP/c.json" 2>"$TMP/c.err" || rc=$?
[ $rc = 0 ] || die "real raft does not restart the cluster with n5's gap: $(cat "$TMP/c.err")"
leader=$(jq_get "$TMP/c.json" 'd["leader"]')
"$B" raft compare --json --state-dir "$TMP/root" >"$TMP/cmp.json" 2>"$TMP/cmp.err" || true
rel=$(jq_get "$TMP/cmp.json" '[n["relation"] for n in d["nodes"] if n["node"] == "'"$leader"'"][0]')
case $rel in source | same) ;; *) die "raft elected $leader, which compare calls '$rel'" ;; esac
[ "$(jq_get "$TMP/cmp.json" 'd["recovery"]["needed"]')" = False ] || die "compare advises a recovery on a cluster raft elects in"
say "ok: real raft restarts all five (n5 with its gap) and elects $leader, which compare ranks most up to date ($rel), no recovery advised"

# the snapshot-with-short-log state: n4 (log 1..$n4last) against the copied n5
P=$TMP/pair
mkdir -p "$P" && cp -a "$TMP/root/n4" "$P/n4" && cp -a "$TMP/n5snap" "$P/n5"
"$B" raft compare --json --state-dir "$P" >"$TMP/p.json" 2>/dev/null || true
[ "$(jq_get "$TMP/p.json" 'd["source"]')" = n5 ] || die "compare names $(jq_get "$TMP/p.json" 'd["source"]'), not n5 (snapshot $S)"
[ "$(jq_get "$TMP/p.json" 'd["recovery"]["needed"]')" = True ] || die "2 of 5 voters: a recovery is needed"
T=$(jq_get "$TMP/p.json" 'd["recovery"]["term"]')
say "ok: compare of n4 and n5: source n5 (last entry its snapshot, index $S), recovery needed with --term $T"
addr() { "$B" raft info --json --state-dir "$P/$1" |
	python3 -c 'import json, sys; d = json.load(sys.stdin); print([s["address"] for s in d["configuration"]["servers"] if s["id"] == sys.argv[1]][0])' "$1"; }
members="n4=$(addr n4),n5=$(addr n5)"
for n in n4 n5; do
	"$B" raft recover --state-dir "$P/$n" --nodes "$members" --term "$T" >"$TMP/r.txt" 2>&1 ||
		die "recover $n: $(cat "$TMP/r.txt")"
done
grep -q "append LogConfiguration at index $((S + 1)), term $T (right after the snapshot" "$TMP/r.txt" ||
	die "n5's recovery entry is not right after its snapshot: $(grep Change "$TMP/r.txt")"
rc=0
"$H" cluster "$P" --start n4,n5 --fsm chain --applies 3 --timeout 60s >"$TMP/pc.json" 2>"$TMP/pc.err" || rc=$?
[ $rc = 0 ] || die "real raft on the recovered n4, n5: $(cat "$TMP/pc.err")"
[ "$(jq_get "$TMP/pc.json" 'd["leader"]')" = n5 ] || die "real raft elected $(jq_get "$TMP/pc.json" 'd["leader"]'), compare named n5"
say "ok: both recovered with --term $T (n5 at index $((S + 1))); real raft elects n5, the node compare named"
passed
