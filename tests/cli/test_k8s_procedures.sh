#!/usr/bin/env bash
# Proves (issue 26, point 2): the Kubernetes procedure of docs/operations.md
# ("Kubernetes: after a recovery or a membership change") is safe when
# followed literally with the shipped manifests. Its ```sh k8s-procedure
# block is taken from the doc and run as it stands (bash -e, in a copy of
# examples/kubernetes/) against tests/cli/fake-kubectl, which runs the
# manifests' real container commands (the binary under test) on
# directories standing for the pods' volumes, and keeps the rules the
# procedure relies on (one running pod per ReadWriteOnce claim, a deleted
# claim comes back empty, init containers run on every start, exec only in
# a running pod and only what its image holds). First the cluster is
# deployed as the docs say (the ConfigMap, then pregenerated.yaml). Checked:
#   - the block runs to the end (exit 0), every step as written;
#   - its last compare says CONSISTENT;
#   - the survivors verify, hold the recovered configuration (2 members),
#     their backup and their kept copy;
#   - sequencer-2, started again on a new empty volume, holds no Raft state
#     (no stale member), and its pod runs;
#   - the block with its step 2 (the ConfigMap marked "formed": true)
#     skipped stops at recover, which refuses in the maintenance pod, with
#     the survivors unchanged: no volume ends up with other members than
#     the cluster's (today's main ran it to the end and re-created
#     sequencer-2 with the old three members);
#   - the docs' membership-change block (sequencer-3 added) runs to the
#     end with compare CONSISTENT, every member holding the four, and
#     sequencer-3 running on an empty volume; without its step 2 it stops
#     at recover with the members unchanged;
#   - with the old ConfigMap ("formed" left false) the same restart would
#     have re-created the stale member (the trap the step guards against).
# Env: OCI_BIN, OCI_SRC.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
output_style colon
unset_env 'OP_CONDUCTOR_[A-Z_]*'
make_tmp oci-k8s
python3 -c 'import yaml' 2>/dev/null || { echo "python3-yaml is missing (run.sh installs it)" >&2; exit 1; }

mkdir -p "$tmp/bin" "$tmp/work"
ln -s "$OCI_SRC/tests/cli/fake-kubectl" "$tmp/bin/kubectl"
ln -s "$OCI_BIN" "$tmp/bin/op-conductor-init"
cp -r "$OCI_SRC/examples/kubernetes" "$tmp/work/"
export PATH="$tmp/bin:$PATH" KSIM="$tmp/k8s" KSIM_BIN="$OCI_BIN"
mkdir -p "$KSIM"
W=$tmp/work/kubernetes

# the block, exactly as the doc has it
awk '/^```sh k8s-procedure$/ {on=1; next} on && /^```$/ {exit} on' "$OCI_SRC/docs/operations.md" >"$tmp/procedure.sh"
[ -s "$tmp/procedure.sh" ] && ok "docs/operations.md has the k8s-procedure block ($(wc -l <"$tmp/procedure.sh") lines)" ||
	{ bad "no k8s-procedure block in docs/operations.md"; finish; }

# the cluster as deployed
(cd "$W" && kubectl -n optimism apply -f cluster-configmap.yaml && kubectl -n optimism apply -f pregenerated.yaml) \
	>"$tmp/deploy.out" 2>&1 || { bad "deploying the manifests: $(cat "$tmp/deploy.out")"; finish; }
for n in 0 1 2; do
	[ -f "$KSIM/pvc/conductor-data-sequencer-$n/raft/sequencer-$n/raft-log.db" ] ||
		bad "deployed: sequencer-$n has no generated state: $(cat "$tmp/deploy.out")"
done
cp -a "$KSIM" "$tmp/k8s-deployed"

(cd "$W" && bash -e "$tmp/procedure.sh") >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
if [ "$rc" = 0 ]; then
	ok "the procedure runs as written to the end"
else
	bad "the procedure stopped (exit $rc): $(tail -n 5 "$tmp/run.err")"
fi
last=$(grep -n "^Verdict\|CONSISTENT" "$tmp/run.out" | tail -n 1)
if echo "$last" | grep -q "CONSISTENT" && ! echo "$last" | grep -q "NOT CONSISTENT"; then
	ok "its last compare: $(echo "$last" | cut -c1-100)"
else
	bad "last compare is not CONSISTENT: $last"
fi
for n in 0 1; do
	v=$KSIM/pvc/conductor-data-sequencer-$n
	"$OCI_BIN" raft info --json --state-dir "$v/raft/sequencer-$n" >"$tmp/i$n.json" 2>&1
	if "$OCI_BIN" raft verify --state-dir "$v/raft/sequencer-$n" >/dev/null 2>&1 &&
		python3 - "$tmp/i$n.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
n = d['nodes'][0] if 'nodes' in d else d
ids = sorted(s['id'] for s in n['configuration']['servers'])
sys.exit(0 if ids == ['sequencer-0', 'sequencer-1'] else 1)
EOF
	then
		ok "sequencer-$n verifies and holds the recovered configuration (sequencer-0, sequencer-1)"
	else
		bad "sequencer-$n: $(head -c 300 "$tmp/i$n.json")"
	fi
	ls -d "$v"/backup/raft-backup-* >/dev/null 2>&1 && ls -d "$v"/raft/.sequencer-$n.pre-recover-* >/dev/null 2>&1 &&
		ok "sequencer-$n: its backup and the kept copy are in its volume" || bad "sequencer-$n: backup or kept copy missing"
done
v2=$KSIM/pvc/conductor-data-sequencer-2
if [ -d "$v2" ] && [ -z "$(find "$v2" -name 'raft-*.db')" ] &&
	python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["pods"]["sequencer-2"]["running"] else 1)' "$KSIM/state.json"; then
	ok "sequencer-2 came back on an empty volume, runs, and holds no Raft state (no stale member)"
else
	bad "sequencer-2 after the procedure: $(find "$v2" 2>&1 | head -5 | tr '\n' ' ') $(grep sequencer-2 "$tmp/run.err")"
fi

# the same block with its step 2 skipped (the ConfigMap left "formed":
# false): recover refuses in the maintenance pod (which names the ConfigMap
# in OP_CONDUCTOR_INIT_CONFIG) before anything changes, so no volume can be
# generated from members older than the cluster's
ids_of() {
	"$OCI_BIN" raft info --json --state-dir "$1" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
n = d["nodes"][0] if "nodes" in d else d
print(",".join(sorted(s["id"] for s in n["configuration"]["servers"])))'
}
export KSIM="$tmp/k8s-skip"
cp -a "$tmp/k8s-deployed" "$KSIM"
awk '/^# 2\./ {skip=1; next} /^# 3\./ {skip=0} !skip' "$tmp/procedure.sh" >"$tmp/skip2.sh"
rm -rf "$tmp/work2" && mkdir "$tmp/work2" && cp -r "$OCI_SRC/examples/kubernetes" "$tmp/work2/"
for n in 0 1; do
	listing "$KSIM/pvc/conductor-data-sequencer-$n/raft/sequencer-$n" >"$tmp/skip-before-$n"
done
(cd "$tmp/work2/kubernetes" && bash -e "$tmp/skip2.sh") >"$tmp/skip.out" 2>"$tmp/skip.err"
rc=$?
if ! grep -q "formed" "$tmp/skip2.sh" && [ "$rc" != 0 ] &&
	grep -q 'OP_CONDUCTOR_INIT_CONFIG=/etc/cluster/cluster.json does not say "formed": true, .*set "formed": true in it .*nothing was changed' "$tmp/skip.err"; then
	ok "step 2 skipped: recover refuses in the maintenance pod ($(grep -o 'does not say.\{0,60\}' "$tmp/skip.err" | head -n 1)...)"
else
	bad "step 2 skipped: exit $rc: $(tail -n 3 "$tmp/skip.err")"
fi
same=1
for n in 0 1; do
	listing "$KSIM/pvc/conductor-data-sequencer-$n/raft/sequencer-$n" >"$tmp/skip-after-$n"
	cmp -s "$tmp/skip-before-$n" "$tmp/skip-after-$n" || same=0
done
stale=""
for n in 0 1 2; do
	d=$KSIM/pvc/conductor-data-sequencer-$n/raft/sequencer-$n
	[ -f "$d/raft-log.db" ] && stale="$stale $n:$(ids_of "$d")"
done
want=" 0:sequencer-0,sequencer-1,sequencer-2 1:sequencer-0,sequencer-1,sequencer-2"
if [ "$same" = 1 ] && [ "$stale" = "$want" ]; then
	ok "step 2 skipped: the survivors are unchanged and no volume holds other members than theirs"
else
	bad "step 2 skipped: survivors unchanged=$same, configurations:$stale (want$want)"
fi

# the membership change (a fourth member added), the docs' second block:
# as written, and without its step 2
awk '/^```sh k8s-membership$/ {on=1; next} on && /^```$/ {exit} on' "$OCI_SRC/docs/operations.md" >"$tmp/member.sh"
awk '/^# 2\./ {skip=1; next} /^# 3\./ {skip=0} !skip' "$tmp/member.sh" >"$tmp/member-skip2.sh"
for variant in member member-skip2; do
	export KSIM="$tmp/k8s-$variant"
	cp -a "$tmp/k8s-deployed" "$KSIM"
	rm -rf "$tmp/w-$variant" && mkdir "$tmp/w-$variant" && cp -r "$OCI_SRC/examples/kubernetes" "$tmp/w-$variant/"
	for n in 0 1 2; do
		listing "$KSIM/pvc/conductor-data-sequencer-$n/raft/sequencer-$n" >"$tmp/$variant-before-$n"
	done
	(cd "$tmp/w-$variant/kubernetes" && bash -e "$tmp/$variant.sh") >"$tmp/$variant.out" 2>"$tmp/$variant.err"
	rc=$?
	conf=""
	for n in 0 1 2 3; do
		d=$KSIM/pvc/conductor-data-sequencer-$n/raft/sequencer-$n
		[ -f "$d/raft-log.db" ] && conf="$conf $n:$(ids_of "$d")"
	done
	if [ "$variant" = member ]; then
		last=$(grep -n "^Verdict\|CONSISTENT" "$tmp/$variant.out" | tail -n 1)
		all4=sequencer-0,sequencer-1,sequencer-2,sequencer-3
		if [ -s "$tmp/member.sh" ] && [ "$rc" = 0 ] && echo "$last" | grep -q "CONSISTENT" &&
			! echo "$last" | grep -q "NOT CONSISTENT" && [ "$conf" = " 0:$all4 1:$all4 2:$all4" ] &&
			python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["pods"]["sequencer-3"]["running"] else 1)' "$KSIM/state.json"; then
			ok "k8s-membership block: runs to the end, compare CONSISTENT, three members with four, sequencer-3 runs on an empty volume"
		else
			bad "k8s-membership: exit $rc, last: $last, configurations:$conf, $(tail -n 3 "$tmp/$variant.err")"
		fi
	else
		same=1
		for n in 0 1 2; do
			listing "$KSIM/pvc/conductor-data-sequencer-$n/raft/sequencer-$n" >"$tmp/$variant-after-$n"
			cmp -s "$tmp/$variant-before-$n" "$tmp/$variant-after-$n" || same=0
		done
		if ! grep -q formed "$tmp/$variant.sh" && [ "$rc" != 0 ] && [ "$same" = 1 ] &&
			grep -q 'does not say "formed": true' "$tmp/$variant.err"; then
			ok "k8s-membership without step 2: recover refuses, the members unchanged"
		else
			bad "k8s-membership without step 2: exit $rc, unchanged=$same, $(tail -n 2 "$tmp/$variant.err")"
		fi
	fi
done

# the trap: the same restart of sequencer-2 with "formed" left false
export KSIM="$tmp/k8s-trap"
cp -a "$tmp/k8s-deployed" "$KSIM"
(cd "$W" && sed -i 's/"formed": true/"formed": false/' cluster-configmap.yaml &&
	kubectl -n optimism apply -f cluster-configmap.yaml && kubectl -n optimism scale statefulset sequencer --replicas=0 &&
	kubectl -n optimism delete pvc conductor-data-sequencer-2 && kubectl -n optimism scale statefulset sequencer --replicas=3) \
	>"$tmp/trap.out" 2>&1
if [ -f "$KSIM/pvc/conductor-data-sequencer-2/raft/sequencer-2/raft-log.db" ]; then
	ok "without \"formed\": true, the same restart re-creates sequencer-2 from the old ConfigMap (the trap)"
else
	bad "trap not reproduced: $(cat "$tmp/trap.out")"
fi
finish
