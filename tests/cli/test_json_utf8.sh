#!/usr/bin/env bash
# Proves: every --json document is valid UTF-8 JSON whatever bytes the IDs,
# addresses and directory names hold (docs/json.md, "Bytes that are not
# UTF-8"). `raft generate` writes a cluster whose server IDs (so also the
# node directories and the vote) and addresses hold bytes that are not
# UTF-8 (a lone 0xfe and 0xff, a stray continuation byte, an overlong form,
# an encoded surrogate, a truncated sequence, a code point past U+10FFFF),
# beside a valid non-ASCII ID ("sé2"). For info --json (node, cluster root,
# --entries all), verify --json (node, root), compare --json (--state-dir,
# and --from-json of info's own document, which must parse), python3's json (strict, from
# bytes decoded as strict UTF-8) must parse the document, "invalid_utf8" must
# be true, every "<key>_hex" must hold the original bytes of "<key>" (each
# byte that is not UTF-8 became the character of its value), every original
# ID must be found that way, and the valid "sé2" must be printed unchanged
# with no _hex. A document of plain IDs has neither.
#
# Env: OCI_BIN.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
B=$OCI_BIN
make_tmp oci-jsonutf8
unset_env 'OP_CONDUCTOR_[A-Z_]*'

if ! command -v python3 >/dev/null; then
	bad "python3 is not installed"
	finish
fi

S=$tmp/state
ids=$'s\xfe1,s\xc3\xa92,s\x803,s\xc0\xaf4,s\xed\xa0\x805,s\xe2\x826,s\xf4\x90\x80\x807'
nodes=$'h\xff:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4,127.0.0.1:5,127.0.0.1:6,127.0.0.1:7'
if ! "$B" raft generate --nodes "$nodes" --server-ids "$ids" --initial-leader $'s\xfe1' \
	--output-dir "$S" >"$tmp/gen.out" 2>&1; then
	bad "generate with non-UTF-8 IDs: $(cat "$tmp/gen.out")"
	finish
fi
N1=$S/$'s\xfe1'
printf '%s' "$ids" >"$tmp/ids"

cat >"$tmp/judge.py" <<'EOF'
import json, sys

raw = open(sys.argv[1], "rb").read()
ids = open(sys.argv[2], "rb").read().split(b",")
doc = json.loads(raw.decode("utf-8", "strict"), strict=True)

def ours(b):
    # the documented rule, applied to the original bytes
    out, i = [], 0
    while i < len(b):
        for n in (4, 3, 2, 1):
            try:
                out.append(b[i:i + n].decode("utf-8", "strict"))
                i += n
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append(chr(b[i]))
            i += 1
    return "".join(out)

found, plain = set(), set()
def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if k.endswith("_hex") and isinstance(v, str):
                base = k[:-4]
                if base not in x:
                    sys.exit(f"{k} without {base}")
                orig = bytes.fromhex(v)
                if x[base] != ours(orig):
                    sys.exit(f"{base}={x[base]!r} is not the rule applied to {orig!r}")
                found.add(orig)
            elif isinstance(v, str) and v == "s\u00e92":
                plain.add(k)
                if k + "_hex" in x:
                    sys.exit(f"{k}: the valid s\u00e92 has a _hex")
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(doc)
if sys.argv[3] == "parse-only":
    print("parses")
    sys.exit(0)
if doc.get("invalid_utf8") is not True:
    sys.exit("invalid_utf8 is not true")
want = [i for i in ids if i != "s\u00e92".encode()]
missing = [i for i in want if not any(i in f for f in found)]
if missing:
    sys.exit(f"IDs not found in any _hex field: {missing!r}")
print(f"{len(found)} distinct rewritten strings; sé2 unchanged in {sorted(plain)}")
EOF

# judge NAME FILE [parse-only]: the checks above on the document in FILE
judge() {
	local name=$1 file=$2 out
	if out=$(python3 "$tmp/judge.py" "$file" "$tmp/ids" "${3:-all}" 2>&1); then
		ok "$name: $out"
	else
		bad "$name: $out"
	fi
}

run() {
	local name=$1 mode=all
	shift
	[ "$name" = "${name%(parse-only)}" ] || mode=parse-only
	"$B" "$@" >"$tmp/doc.json" 2>"$tmp/err"
	judge "$name" "$tmp/doc.json" "$mode"
}

run "info --json, one node" raft info --state-dir "$N1" --json
run "info --json, cluster root" raft info --state-dir "$S" --json
run "info --json --entries all" raft info --state-dir "$N1" --json --entries all
run "verify --json, one node" raft verify --state-dir "$N1" --json
run "verify --json, cluster root" raft verify --state-dir "$S" --json
run "compare --json --state-dir" raft compare --state-dir "$S" --json
"$B" raft info --state-dir "$S" --json >"$tmp/info-root.json" 2>/dev/null
# info's document is valid UTF-8 already (the rule applied): compare reads
# and prints it as it is
run "compare --json --from-json of info's document (parse-only)" raft compare --from-json "$tmp/info-root.json" --json

# plain IDs: no flag, no _hex
"$B" raft generate --nodes 127.0.0.1:1,127.0.0.1:2,127.0.0.1:3 --server-ids a,b,c \
	--initial-leader a --output-dir "$tmp/plain" >/dev/null 2>&1
"$B" raft info --state-dir "$tmp/plain" --json >"$tmp/plain.json" 2>&1
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=open(sys.argv[1]).read(); sys.exit("invalid_utf8" in d or "_hex\"" in s)' "$tmp/plain.json"; then
	ok "plain IDs: neither invalid_utf8 nor a _hex field"
else
	bad "plain IDs: invalid_utf8 or a _hex field in $(head -c 300 "$tmp/plain.json")"
fi

finish
