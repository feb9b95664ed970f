#!/usr/bin/env bash
# Proves that `raft compare --from-json` reads a document that is not what
# `raft info --json` wrote as an error or as a node it cannot use, never a
# crash, a hang or a wrong read taken for a sound one: three real documents
# (info --json of the op-conductor vectors v4 and legacy, whose unsafe
# heads carry blocks, and of the lived node sequencer-1, with snapshots)
# are changed one value at a time, in a fixed order: every member of every
# object (the first element of each array) is removed, and replaced
# by null, "x", "", "0xzz", -1, 1.5, 2^64, {}, [] and, for an array, the
# array reversed. Each variant is compared with another node's document
# (lived sequencer-2). Each run must exit 0, 1 or 2 within 60 s (never a
# signal); with 1 or 2 and anything on stderr, its first line is
# "op-conductor-init: raft compare: ..."; no sanitizer report. The
# unchanged documents are compared (exit 0 or 1, nothing on stderr).
#
# Env: OCI_BIN, OCI_SRC, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_SHARED
B=$OCI_BIN
[ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=${OCI_FROMJSON_TMPDIR:-/dev/shm}
make_tmp oci-fromjson
unset_env 'OP_CONDUCTOR_[A-Z_]*'

for v in v4 legacy; do
	"$B" raft info --state-dir "$OCI_SRC/testdata/opconductor/$v/sequencer-1" --json >"$tmp/$v.json"
done
"$B" raft info --state-dir "$OCI_SHARED/vectors/lived/three/sequencer-1" --json >"$tmp/lived.json"
# the other node of every comparison
"$B" raft info --state-dir "$OCI_SHARED/vectors/lived/three/sequencer-2" --json >"$tmp/other.json"

# variants DOC OUTDIR: one file per change, named by its number; the index
# (number, what changed) on stdout
variants() {
	python3 - "$1" "$2" <<'PY'
import copy, json, sys

doc = json.load(open(sys.argv[1]))
out = sys.argv[2]
values = [None, "x", "", "0xzz", -1, 1.5, 2**64, {}, []]
n = 0


def emit(d, what):
    global n
    n += 1
    with open("%s/%d.json" % (out, n), "w") as f:
        json.dump(d, f)
    print(n, what)


def paths(x, p):
    if isinstance(x, dict):
        for k in x:
            yield p + [k], x[k]
            yield from paths(x[k], p + [k])
    elif isinstance(x, list):
        for i, v in enumerate(x[:1]):
            yield p + [i], v
            yield from paths(v, p + [i])


def at(d, p):
    for k in p[:-1]:
        d = d[k]
    return d


for p, v in list(paths(doc, [])):
    name = "/".join(str(k) for k in p)
    d = copy.deepcopy(doc)
    del at(d, p)[p[-1]]
    emit(d, name + " removed")
    for r in values:
        d = copy.deepcopy(doc)
        at(d, p)[p[-1]] = r
        emit(d, "%s = %s" % (name, json.dumps(r)))
    if isinstance(v, list) and len(v) > 1:
        d = copy.deepcopy(doc)
        at(d, p)[p[-1]] = v[::-1]
        emit(d, name + " reversed")
PY
}

for doc in v4 legacy lived; do
	failed=$fail runs=0 refused=0
	"$B" raft compare --from-json "$tmp/$doc.json" --from-json "$tmp/other.json" >/dev/null 2>"$tmp/err"
	rc=$?
	{ [ "$rc" -le 1 ] && [ ! -s "$tmp/err" ]; } ||
		bad "$doc: the unchanged document is not compared (exit $rc): $(head -c 300 "$tmp/err")"
	mkdir -p "$tmp/var.$doc"
	variants "$tmp/$doc.json" "$tmp/var.$doc" >"$tmp/index.$doc" || {
		bad "$doc: python3 could not make the variants"
		continue
	}
	while read -r n what; do
		timeout 60 "$B" raft compare --from-json "$tmp/var.$doc/$n.json" \
			--from-json "$tmp/other.json" </dev/null >"$tmp/out" 2>"$tmp/err"
		rc=$?
		runs=$((runs + 1))
		[ -s "$tmp/err" ] && refused=$((refused + 1))
		if [ "$rc" -gt 2 ]; then
			bad "$doc, $what: exit $rc: $(head -c 300 "$tmp/err")"
		elif grep -Eq 'Sanitizer|runtime error:' "$tmp/err"; then
			bad "$doc, $what: a sanitizer report: $(head -c 300 "$tmp/err")"
		elif [ "$rc" != 0 ] && [ -s "$tmp/err" ] &&
			! head -n 1 "$tmp/err" | grep -q '^op-conductor-init: raft compare: '; then
			bad "$doc, $what: stderr does not start with the command: $(head -c 300 "$tmp/err")"
		fi
	done <"$tmp/index.$doc"
	[ "$fail" = "$failed" ] && ok "$doc: $runs changed documents, $refused refused with a sentence, the others read or judged unusable; none crashed"
done
finish
