#!/usr/bin/env bash
# Proves: `--config FILE` (our own cluster.json format, raftstate/json.h) is
# read as strict JSON by `raft generate` and `raft recover`: a NUL inside a
# string (cJSON alone would cut "seq-1\u0000-old" to "seq-1"), a second
# document after the first, a key given twice (cJSON keeps the last), a
# lone surrogate, nesting past the bound, a number
# outside the JSON grammar and a value of the wrong type are each exit 2,
# one line on stderr naming the file and the JSON path, and nothing is
# written. The same documents without the flaw are accepted (so each case
# fails only for its flaw).
#
# Env: OCI_BIN.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
B=$OCI_BIN
make_tmp oci-cfstrict
unset_env 'OP_CONDUCTOR_INIT_[A-Z_]*'

N1='{"id":"seq-1","address":"a.example:50050"}'
N2='{"id":"seq-2","address":"b.example:50050"}'

# neg NAME CONTENT(printf format) PATTERN: generate and recover refuse it
neg() {
	local name=$1 fmt=$2 pat=$3 rc
	# shellcheck disable=SC2059
	printf "$fmt" >"$tmp/c.json"
	(cd "$tmp" && "$B" raft generate --config c.json --output-dir gen-out) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != 2 ]; then
		bad "generate --config $name: exit $rc (want 2): $(head -c 300 "$tmp/err")"
	elif ! grep -Eq -- "c\.json: .*$pat" "$tmp/err" || [ "$(wc -l <"$tmp/err")" != 1 ]; then
		bad "generate --config $name: stderr does not match /$pat/ in one line: $(cat "$tmp/err")"
	elif [ -e "$tmp/gen-out" ]; then
		bad "generate --config $name: the output directory was created"
	else
		ok "generate --config $name: $(cut -c1-150 "$tmp/err")"
	fi
	rm -rf "$tmp/gen-out"
	cp -a "$tmp/node0" "$tmp/node"
	(cd "$tmp" && "$B" raft recover --state-dir node --config c.json --force) >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != 2 ]; then
		bad "recover --config $name: exit $rc (want 2): $(head -c 300 "$tmp/err")"
	elif ! grep -Eq -- "c\.json: .*$pat" "$tmp/err"; then
		bad "recover --config $name: stderr does not match /$pat/: $(cat "$tmp/err")"
	elif ! diff -r "$tmp/node0" "$tmp/node" >/dev/null; then
		bad "recover --config $name: the node changed"
	else
		ok "recover --config $name refused, node unchanged"
	fi
	rm -rf "$tmp/node"
}

# pos NAME CONTENT: generate accepts it
pos() {
	# shellcheck disable=SC2059
	printf "$2" >"$tmp/c.json"
	if (cd "$tmp" && "$B" raft generate --config c.json --output-dir gen-out) >"$tmp/out" 2>"$tmp/err"; then
		ok "generate --config $1 (the control) is accepted"
	else
		bad "generate --config $1 (the control): $(cat "$tmp/err")"
	fi
	rm -rf "$tmp/gen-out"
}

"$B" raft generate --nodes "seq-1=a.example:50050" --initial-leader seq-1 --output-dir "$tmp/g" \
	>/dev/null 2>&1 || bad "cannot generate the node for recover"
cp -a "$tmp/g/seq-1" "$tmp/node0"

pos "two nodes" "{\"nodes\":[$N1,$N2],\"initial_leader\":\"seq-1\"}\n"
pos "escapes that decode to UTF-8" "{\"nodes\":[{\"id\":\"seq-\\\\u00e9\",\"address\":\"a:1\"}],\"initial_leader\":\"seq-\\\\u00e9\",\"network\":\"\\\\ud83d\\\\ude00\"}"

neg "NUL escape in an ID" "{\"nodes\":[$N1,{\"id\":\"seq-1\\\\u0000-old\",\"address\":\"c:1\"}],\"initial_leader\":\"seq-1\"}" \
	'nodes\[1\]\.id holds a NUL character'
neg "raw NUL byte in an address" "{\"nodes\":[{\"id\":\"seq-1\",\"address\":\"a:1\\000x\"}],\"initial_leader\":\"seq-1\"}" \
	'nodes\[0\]\.address holds a control character'
neg "a second document" "{\"nodes\":[$N1],\"initial_leader\":\"seq-1\"}\n{\"nodes\":[$N2]}\n" \
	'data after the JSON document'
neg "trailing garbage" "{\"nodes\":[$N1],\"initial_leader\":\"seq-1\"} x" 'data after the JSON document'
neg "duplicate top-level key" "{\"nodes\":[$N1],\"initial_leader\":\"seq-1\",\"initial_leader\":\"seq-2\"}" \
	'the document has the key "initial_leader" twice'
neg "duplicate key in a node" "{\"nodes\":[$N1,{\"id\":\"seq-2\",\"address\":\"b:1\",\"id\":\"seq-3\"}],\"initial_leader\":\"seq-1\"}" \
	'nodes\[1\] has the key "id" twice'
neg "duplicate key spelled with an escape" "{\"nodes\":[$N1],\"initial_leader\":\"seq-1\",\"initial_\\\\u006ceader\":\"seq-1\"}" \
	'has the key "initial_leader" twice'
neg "a lone surrogate" "{\"nodes\":[{\"id\":\"seq-\\\\ud800\",\"address\":\"a:1\"}],\"initial_leader\":\"seq-1\"}" \
	'nodes\[0\]\.id holds an unpaired surrogate'
neg "a number with a leading zero" "{\"nodes\":[$N1],\"initial_leader\":\"seq-1\",\"initial_term\":01}" \
	'not valid JSON: .*byte'
neg "nesting past the bound" "{\"nodes\":[$N1],\"initial_leader\":\"seq-1\",\"network\":$(printf '[%.0s' $(seq 40))}" \
	'nests deeper than 32 levels'
neg "wrong type: id a number" "{\"nodes\":[$N1,{\"id\":2,\"address\":\"b:1\"}],\"initial_leader\":\"seq-1\"}" \
	'nodes\[1\]\.id must be a string'
neg "wrong type: nodes an object" "{\"nodes\":{\"id\":\"seq-1\"},\"initial_leader\":\"seq-1\"}" \
	'nodes must be an array'
neg "wrong type: the document an array" "[$N1]" 'the document must be a JSON object'

finish
