#!/usr/bin/env bash
# Every JSON document --json prints starts with "schema_version", and its
# value is the one docs/json.md names: for every command whose --help has
# both --json and --state-dir, on one node and on a cluster root (a command
# that does not accept just those is skipped, and said so).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
make_tmp json-schema
unset_env 'OP_CONDUCTOR_[A-Z_]*'
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 1; }
B=$OCI_BIN

want=$(sed -n 's/.*first field is `"schema_version": \([0-9][0-9]*\)`.*/\1/p' "$OCI_SRC/docs/json.md" | head -1)
[ -n "$want" ] && ok "docs/json.md names schema_version $want" || bad "docs/json.md names no schema_version"

"$B" raft generate --nodes a=127.0.0.1:50001,b=127.0.0.1:50002,c=127.0.0.1:50003 --initial-leader a \
	--output-dir "$tmp/c" >/dev/null || bad "raft generate"
"$B" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1, $2 } on && /^$/ { exit }' >"$tmp/commands"
n=0
while read -r g c; do
	"$B" "$g" "$c" --help >"$tmp/help" 2>&1 || continue
	grep -q '^  --json' "$tmp/help" && grep -q '^  --state-dir' "$tmp/help" || continue
	for dir in "$tmp/c/a" "$tmp/c"; do
		"$B" "$g" "$c" --json --state-dir "$dir" >"$tmp/out" 2>"$tmp/err"
		rc=$?
		if [ "$rc" = 2 ]; then
			echo "skip $g $c --json --state-dir: usage error ($(head -1 "$tmp/err"))"
			continue
		fi
		first=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
k = next(iter(d)) if isinstance(d, dict) and d else None
print("%s=%s" % (k, d.get(k) if k else None))' "$tmp/out" 2>&1)
		n=$((n + 1))
		if [ "$first" = "schema_version=$want" ]; then
			ok "$g $c --json (${dir#"$tmp"/}): first field schema_version $want"
		else
			bad "$g $c --json (${dir#"$tmp"/}): first field is $first (exit $rc)"
		fi
	done
done <"$tmp/commands"
[ "$n" -ge 4 ] && ok "$n documents checked" || bad "only $n documents checked"
finish
