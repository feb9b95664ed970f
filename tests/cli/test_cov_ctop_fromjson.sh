#!/usr/bin/env bash
# Proves: `raft compare --from-json` reads back exactly what `raft info
# --json` wrote, bytes that are not UTF-8 included, and refuses a document
# that is not one with a sentence about the document (issue 25 point 4,
# present/nodejson.c and cmd/compare.c):
#   - two nodes whose server IDs are not UTF-8 (0xff, 0xfe: info --json
#     writes them as U+00FF/U+00FE text plus "<key>_hex"): compare of their
#     info --json documents prints what compare of their directories prints,
#     text and JSON (the IDs come from the _hex bytes, or the configuration
#     and the vote would name other nodes);
#   - seven more states alone and together (only a snapshot, an empty and an
#     undecodable state.bin, early-2024 payloads in the log and in a
#     snapshot, V3 payloads, a nonvoter, a Staging node in a configuration
#     that also has a suffrage raft does not have): the same report either way;
#   - one value changed at a time (an odd-length, upper-case or non-hex
#     *_hex, a vote candidate holding a NUL, a short hash, a payload version
#     of 256, 2^32 transactions) -> exit 1, one line naming the member that
#     is not valid;
#   - a document of another schema_version, one that is not a JSON object,
#     one that is not valid JSON, a directory, a device: exit 1, one line
#     saying what to give instead; never "the node's state is damaged ...
#     restore it from a backup" (the advice for a node, which a bad document
#     used to get).
#
# Env: OCI_BIN, OCI_BUILD (mknode).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD
B=$OCI_BIN
make_tmp oci-ctop-fromjson
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_mknode
command -v python3 >/dev/null || { echo "skip: python3 is needed to change the documents"; finish; }

id1=$'n\xff1'
id2=$'n\xfe2'
MB="$id1=10.0.0.1:1,$id2=10.0.0.2:1"
mkdir -p "$tmp/U"
"$MKNODE" "$tmp/U/$id1" --members "$MB" --vote "1:$id2" 1-1:1:config 2-5:1:block >/dev/null &&
	"$MKNODE" "$tmp/U/$id2" --members "$MB" 1-1:1:config 2-4:1:block >/dev/null || { bad "mknode"; finish; }
"$B" raft info --state-dir "$tmp/U/$id1" --json >"$tmp/1.json" &&
	"$B" raft info --state-dir "$tmp/U/$id2" --json >"$tmp/2.json" || { bad "info --json"; finish; }
grep -q '"node_hex":	"6eff31"' "$tmp/1.json" && grep -q '"invalid_utf8":	true' "$tmp/1.json" &&
	ok "info --json: an ID that is not UTF-8 is written with its bytes in node_hex" ||
	bad "info --json: no node_hex: $(head -c 400 "$tmp/1.json")"

"$B" raft compare --state-dir "$tmp/U" >"$tmp/dirs.txt" 2>"$tmp/err"
rc1=$?
"$B" raft compare --from-json "$tmp/1.json" --from-json "$tmp/2.json" >"$tmp/docs.txt" 2>>"$tmp/err"
rc2=$?
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] && cmp -s "$tmp/dirs.txt" "$tmp/docs.txt" && [ ! -s "$tmp/err" ] &&
	grep -q "^  Most up to date voter (last entry term 1, index 5): $id1\\.\$" "$tmp/docs.txt" &&
	ok "compare: the documents give what the directories give (IDs 0xff/0xfe, the vote for $id2)" ||
	bad "compare: directories (exit $rc1) and documents (exit $rc2) differ: $(diff "$tmp/dirs.txt" "$tmp/docs.txt" | head -c 600) $(head -c 300 "$tmp/err")"
"$B" raft compare --state-dir "$tmp/U" --json >"$tmp/dirs.json"
"$B" raft compare --from-json "$tmp/1.json" --from-json "$tmp/2.json" --json >"$tmp/docs.json"
# without "origin" and "origin_hex" (where each node was read from), recursively
strip_origin() {
	python3 -c '
import json, sys
def strip(o):
    if isinstance(o, dict):
        return {k: strip(v) for k, v in o.items() if k not in ("origin", "origin_hex")}
    if isinstance(o, list):
        return [strip(v) for v in o]
    return o
raw = open(sys.argv[1], "rb").read().decode("utf-8", "surrogateescape")
print(json.dumps(strip(json.loads(raw)), sort_keys=True, indent=1))' "$1"
}
strip_origin "$tmp/dirs.json" >"$tmp/dirs.cmp" && strip_origin "$tmp/docs.json" >"$tmp/docs.cmp" &&
	cmp -s "$tmp/dirs.cmp" "$tmp/docs.cmp" && grep -q '"6eff31"' "$tmp/docs.cmp" &&
	ok "compare --json: the same document from either input (but where each node was read from)" ||
	bad "compare --json differs: $(diff "$tmp/dirs.cmp" "$tmp/docs.cmp" | head -c 600)"

# more states, each compared alone and all together, from directories and
# from documents: a node with only a snapshot (its unsafe head from
# state.bin), a snapshot whose state.bin is empty or undecodable, early-2024
# payloads, a nonvoter, a log that is empty
MS='t1=10.0.0.1:1,t2=10.0.0.2:1,t3=10.0.0.3:1,t4=10.0.0.4:1,~t5=10.0.0.5:1,t6=10.0.0.6:1,^t7=10.0.0.7:1,!t8=10.0.0.8:1'
mkdir -p "$tmp/W"
"$MKNODE" "$tmp/W/t1" --members "$MS" --snapshot 5:1:block:5 --term 1 >/dev/null &&
	"$MKNODE" "$tmp/W/t2" --members "$MS" --snapshot 5:1:empty 6-8:1:block >/dev/null &&
	"$MKNODE" "$tmp/W/t3" --members "$MS" --snapshot 5:1:garbage 1-1:1:config 2-8:1:block >/dev/null &&
	"$MKNODE" "$tmp/W/t4" --members "$MS" 1-1:1:config 2-6:1:legacy >/dev/null &&
	"$MKNODE" "$tmp/W/t5" --members "$MS" 1-1:1:config 2-7:1:block3 >/dev/null &&
	"$MKNODE" "$tmp/W/t6" --members "$MS" --snapshot 3:1:legacy:3 --term 2 >/dev/null &&
	"$MKNODE" "$tmp/W/t7" --members "$MS" 1-1:1:config 2-3:1:block >/dev/null || bad "mknode W"
docs=()
for t in t1 t2 t3 t4 t5 t6 t7; do
	"$B" raft info --state-dir "$tmp/W/$t" --json >"$tmp/W-$t.json" 2>/dev/null
	docs+=(--from-json "$tmp/W-$t.json")
	"$B" raft compare --state-dir "$tmp/W/$t" >"$tmp/d.txt" 2>&1
	rc1=$?
	"$B" raft compare --from-json "$tmp/W-$t.json" >"$tmp/j.txt" 2>&1
	rc2=$?
	[ "$rc1" = "$rc2" ] && cmp -s "$tmp/d.txt" "$tmp/j.txt" &&
		ok "compare $t alone: the document gives what the directory gives (exit $rc1)" ||
		bad "compare $t: directory exit $rc1, document exit $rc2: $(diff "$tmp/d.txt" "$tmp/j.txt" | head -c 500)"
done
"$B" raft compare --state-dir "$tmp/W" --json >"$tmp/dirs.json" 2>/dev/null
rc1=$?
"$B" raft compare "${docs[@]}" --json >"$tmp/docs.json" 2>/dev/null
rc2=$?
strip_origin "$tmp/dirs.json" >"$tmp/dirs.cmp" && strip_origin "$tmp/docs.json" >"$tmp/docs.cmp" &&
	[ "$rc1" = "$rc2" ] && cmp -s "$tmp/dirs.cmp" "$tmp/docs.cmp" &&
	ok "compare --json of the seven together: the same from either input (exit $rc1)" ||
	bad "compare --json of the seven: exits $rc1/$rc2: $(diff "$tmp/dirs.cmp" "$tmp/docs.cmp" | head -c 600)"

# set DOC PATH VALUE: DOC with the member at PATH (/-separated) set to VALUE
# (JSON text) on stdout
set_member() {
	python3 - "$@" <<'PY'
import json, sys
raw = open(sys.argv[1], 'rb').read().decode('utf-8', 'surrogateescape')
doc = json.loads(raw)
keys = sys.argv[2].split('/')
o = doc
for k in keys[:-1]:
    o = o[int(k)] if isinstance(o, list) else o[k]
o[keys[-1]] = json.loads(sys.argv[3])
sys.stdout.buffer.write(json.dumps(doc).encode('utf-8', 'surrogateescape'))
PY
}
# refused NAME PATTERN ARGS...: compare ARGS exits 1 with one line matching
# PATTERN, nothing on stdout, and no advice for a damaged node
refused() {
	local name=$1 pat=$2 rc
	shift 2
	"$B" raft compare "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != 1 ] || [ -s "$tmp/out" ] || [ "$(wc -l <"$tmp/err")" != 1 ]; then
		bad "$name: exit $rc, stdout $(wc -c <"$tmp/out") bytes, stderr: $(head -c 400 "$tmp/err")"
	elif ! grep -Eq "^op-conductor-init: raft compare: --from-json $pat" "$tmp/err"; then
		bad "$name: stderr does not match /$pat/: $(cat "$tmp/err")"
	elif grep -q "state is damaged" "$tmp/err"; then
		bad "$name: a document called a damaged node: $(cat "$tmp/err")"
	else
		ok "$name: $(cut -c1-170 "$tmp/err")"
	fi
}
FIX='; give the file `raft info --json` wrote, unchanged \(run it again on the node directory\)$'
n=0
while IFS='|' read -r path value what; do
	n=$((n + 1))
	set_member "$tmp/1.json" "$path" "$value" >"$tmp/m$n.json" || { bad "cannot change $path"; continue; }
	refused "$path = $value" "$tmp/m$n.json is not a \`raft info --json\` document: node 1 has no valid $what$FIX" \
		--from-json "$tmp/m$n.json" --from-json "$tmp/2.json"
done <<'EOF'
configuration/servers/0/id_hex|"6eff3"|configuration/servers
configuration/servers/0/id_hex|"6EFF31"|configuration/servers
configuration/servers/0/id_hex|"6gff31"|configuration/servers
vote/candidate_hex|"6e0032"|vote/candidate
unsafe_head/hash|"0x12"|unsafe_head
unsafe_head/version|256|unsafe_head
unsafe_head/transactions|4294967296|unsafe_head
EOF

set_member "$tmp/1.json" schema_version 1 >"$tmp/old.json"
refused "schema_version 1" "$tmp/old.json has JSON schema_version 1; compare reads version 2; write it with this release's \`raft info --json\`\$" \
	--from-json "$tmp/old.json"
echo '[]' >"$tmp/arr.json"
refused "not an object" "$tmp/arr.json is not a \`raft info --json\` document \\(not a JSON object\\)$FIX" --from-json "$tmp/arr.json"
echo '{"nodes": [' >"$tmp/cut.json"
refused "not valid JSON" "$tmp/cut.json: nodes\\[0\\] is not valid JSON: the document ends early .*$FIX" --from-json "$tmp/cut.json"
refused "a directory" "$tmp/U is a directory, not a regular file$FIX" --from-json "$tmp/U"
refused "a device" "/dev/null is a character device, not a regular file$FIX" --from-json /dev/null
finish
