#!/usr/bin/env bash
# Proves (issue 26, point 3): the commands that change state, and bootstrap
# cluster's preflight, print one JSON document with --json (docs/json.md),
# holding what a script needs instead of scraping text; stdout holds only
# the document (python3's strict json reads all of it), whose first field
# is the schema_version docs/json.md names, and what it says is true on
# disk:
#   - generate: every file written, its size and sha256 (= sha256sum), and
#     an --if-absent rerun lists the node as left as it is;
#   - backup: the new backup's path (it exists) and its files as
#     MANIFEST.json lists them (the same objects);
#   - restore: each node's target and action, where the replaced state is
#     kept (it exists); --dry-run says dry_run and restores nothing;
#   - recover: old and new members, each change, the entry, the terms, the
#     variables used, the kept copy (it exists);
#   - bootstrap cluster --json: the preflight verdict on stderr (stdout is
#     op-conductor's), for valid state and for state it refuses;
#   - a failing run with --json still prints one document,
#     {"schema_version", "error"}, error being stderr's sentence.
# Env: OCI_BIN, OCI_SRC.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
output_style colon
unset_env 'OP_CONDUCTOR_[A-Z_]*'
B=$OCI_BIN
make_tmp oci-json-cmds
want=$(sed -n 's/.*first field is `"schema_version": \([0-9][0-9]*\)`.*/\1/p' "$OCI_SRC/docs/json.md" | head -1)

# jcheck NAME FILE PYTHON-EXPR: the document parses, starts with
# schema_version $want, and EXPR (over d, the document) is true
jcheck() {
	local name=$1 file=$2 expr=$3 out
	out=$(python3 - "$file" "$want" "$expr" 2>&1 <<'EOF'
import hashlib, json, os, sys
text = open(sys.argv[1]).read()
d = json.loads(text)
first = next(iter(d))
assert first == "schema_version" and d[first] == int(sys.argv[2]), "first field %s=%s" % (first, d[first])
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
ok = eval(sys.argv[3])
print("yes" if ok else "no: " + text[:600].replace("\n", " "))
EOF
)
	[ "$out" = yes ] && ok "$name" || bad "$name: $out"
}

"$B" raft generate --nodes s1=h1:50050,s2=h2:50050,s3=h3:50050 --initial-leader s1 --output-dir "$tmp/st" \
	--json >"$tmp/gen.json" 2>"$tmp/gen.err"
jcheck "generate --json: 3 nodes, every file with its size and sha256" "$tmp/gen.json" \
	'len(d["written"]) == 3 and all(f["size"] == os.path.getsize(f["path"]) and f["sha256"] == sha(f["path"]) for n in d["written"] for f in n["files"]) and [n["votes_for_itself"] for n in d["written"]] == [True, False, False] and d["left_as_is"] == [] and os.path.isfile(d["cluster_json"])'
"$B" raft generate --nodes s1=h1:50050,s2=h2:50050,s3=h3:50050 --initial-leader s1 --output-dir "$tmp/st" \
	--node-id s2 --if-absent --json >"$tmp/gen2.json" 2>"$tmp/gen2.err"
jcheck "generate --if-absent --json: the node is left as it is, nothing written" "$tmp/gen2.json" \
	'd["written"] == [] and [n["id"] for n in d["left_as_is"]] == ["s2"]'
grep -q "identical to what this command writes" "$tmp/gen2.err" && ok "generate --json: the notes go to stderr" ||
	bad "generate --json notes: $(cat "$tmp/gen2.err")"

"$B" raft backup --state-dir "$tmp/st" --backup-dir "$tmp/bk" --compress --json >"$tmp/bk.json" 2>/dev/null
jcheck "backup --json: the backup's path and its files as MANIFEST.json lists them" "$tmp/bk.json" \
	'os.path.isdir(d["backup"]) and d["files"] == json.load(open(d["manifest"]))["files"] and len(d["files"]) == 6 and d["layout"] == "cluster" and all(f["compression"] == "gzip" for f in d["files"])'
bk=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["backup"])' "$tmp/bk.json")

"$B" raft restore --backup-dir "$bk" --state-dir "$tmp/st" --dry-run --json >"$tmp/rd.json" 2>/dev/null
jcheck "restore --dry-run --json: each node would be replaced, nothing restored" "$tmp/rd.json" \
	'd["dry_run"] and [n["action"] for n in d["nodes"]] == ["replace"] * 3 and not any(n["restored"] for n in d["nodes"]) and d["kept"] is None'
"$B" raft restore --backup-dir "$bk" --state-dir "$tmp/st" --force --json >"$tmp/r.json" 2>/dev/null
jcheck "restore --json: each node replaced, the replaced state kept where it says" "$tmp/r.json" \
	'not d["dry_run"] and all(n["restored"] and os.path.isdir(n["kept"]) for n in d["nodes"]) and os.path.isdir(d["kept"]) and d["verified"] and d["files_compressed"] == 6'

OP_CONDUCTOR_INIT_TERM=7 "$B" raft recover --state-dir "$tmp/st/s1" --nodes s1=h1:50050,s2=h2:9999 --json \
	>"$tmp/rc.json" 2>/dev/null
jcheck "recover --json: members, changes, entry, terms, the variable used, the kept copy" "$tmp/rc.json" \
	'[(c["id"], c["change"]) for c in d["changes"]] == [("s3", "removed"), ("s1", "unchanged"), ("s2", "changed")] and d["changes"][2]["old"]["address"] == "h2:50050" and d["changes"][2]["new"]["address"] == "h2:9999" and (d["entry_index"], d["entry_term"], d["current_term_before"], d["current_term_after"]) == (2, 7, 1, 7) and d["from_environment"] == [{"variable": "OP_CONDUCTOR_INIT_TERM", "value": "7"}] and os.path.isdir(d["kept"]) and not d["same_members"]'
"$B" raft recover --state-dir "$tmp/st/s2" --nodes s1=h1:50050,s2=h2:50050,s3=h3:50050 --dry-run --json \
	>"$tmp/rc2.json" 2>/dev/null
jcheck "recover --dry-run --json: same members said, nothing kept" "$tmp/rc2.json" \
	'd["dry_run"] and d["same_members"] and d["kept"] is None'

# a failure with --json: still one document on stdout, {"error": the sentence stderr holds}
fails() { # NAME ARGS...: exit 1, stdout one document whose error is stderr's sentence
	local name=$1 rc r
	shift
	"$B" "$@" --json >"$tmp/f.json" 2>"$tmp/f.err"
	rc=$?
	r=$(python3 - "$tmp/f.json" "$tmp/f.err" "$want" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
err = open(sys.argv[2]).read().splitlines()[0]
ok = list(d) == ["schema_version", "error"] and d["schema_version"] == int(sys.argv[3]) and err.endswith(": " + d["error"])
print("yes" if ok else "no: %s / %s" % (d, err))
PY
)
	[ "$rc" = 1 ] && [ "$r" = yes ] && ok "$name --json, failing: exit 1, {\"error\": the sentence}" || bad "$name failing: exit $rc $r"
}
fails "restore" raft restore --backup-dir "$tmp/no-such" --state-dir "$tmp/st"
fails "backup" raft backup --state-dir "$tmp/no-such" --backup-dir "$tmp/bk2"
fails "recover" raft recover --state-dir "$tmp/no-such/s1" --nodes s1=h1:50050
fails "generate" raft generate --nodes s1=h1:50050,s2=h2:50050 --initial-leader s1 --output-dir "$tmp/st" --node-id s1
fails "verify" raft verify --state-dir "$tmp/no-such"

cc -std=c11 -O1 -o "$tmp/fake-oc" "$OCI_SRC/tests/cli/fake-op-conductor.c" 2>"$tmp/cc.err" || bad "fake op-conductor: $(cat "$tmp/cc.err")"
export OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$tmp/fake-oc FAKE_OC_RECORD=$tmp/rec
"$B" bootstrap cluster --json --raft.storage.dir "$tmp/st" --raft.server.id s3 --raft.bootstrap \
	>"$tmp/bs.out" 2>"$tmp/bs.err"
sed -n '/^{/,/^}/p' "$tmp/bs.err" >"$tmp/bs.json"
jcheck "bootstrap cluster --json: the verdict (valid, bootstrap on state, start) on stderr" "$tmp/bs.json" \
	'd["state"] == "valid" and d["verdict"] == "start" and d["raft_bootstrap"] and d["note"] == "bootstrap_on_state" and d["node_dir"].endswith("/st/s3")'
[ -f "$tmp/rec.argv" ] && ! grep -q -- --json "$tmp/rec.argv" && ok "bootstrap cluster --json: --json is not passed to op-conductor" ||
	bad "bootstrap --json: op-conductor not run, or got --json"
printf '\xff\xff\xff\xff' | dd of="$tmp/st/s3/raft-log.db" bs=1 seek=16 conv=notrunc status=none
printf '\xff\xff\xff\xff' | dd of="$tmp/st/s3/raft-log.db" bs=1 seek=4112 conv=notrunc status=none
"$B" bootstrap cluster --json --raft.storage.dir "$tmp/st" --raft.server.id s3 >"$tmp/bs.out" 2>"$tmp/bs.err"
rc=$?
sed -n '/^{/,/^}/p' "$tmp/bs.err" >"$tmp/bs.json"
[ "$rc" = 1 ] && ok "bootstrap cluster --json on broken state: exit 1" || bad "broken state: exit $rc"
jcheck "bootstrap cluster --json: the verdict on broken state (invalid, refused, the problems)" "$tmp/bs.json" \
	'd["state"] == "invalid" and d["verdict"] == "refused" and d["errors"] > 0 and len(d["problems"]) > 0'
finish
