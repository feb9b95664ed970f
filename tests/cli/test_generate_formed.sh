#!/usr/bin/env bash
# Proves (issue 26, point 2): a cluster file saying "formed": true stops
# `raft generate` from creating any node, so a pod that comes back with an
# empty volume after a recover cannot bring the old configuration back:
#   - without --if-absent: refused, exit 1, one sentence, nothing written;
#   - with --if-absent: a node without state is left empty (exit 0, nothing
#     written, a line saying why), a member added since (not in the file)
#     likewise, and a node with state is still checked as before (a
#     recovered node: kept, with the difference on stderr);
#   - "formed" must be a boolean.
# Env: OCI_BIN.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
output_style colon
unset_env 'OP_CONDUCTOR_INIT_.*'
B=$OCI_BIN
make_tmp oci-formed

nodes='{"id":"s1","address":"h1:50050"},{"id":"s2","address":"h2:50050"},{"id":"s3","address":"h3:50050"}'
printf '{"initial_leader":"s1","nodes":[%s]}\n' "$nodes" >"$tmp/c.json"
printf '{"initial_leader":"s1","formed":true,"nodes":[%s]}\n' "$nodes" >"$tmp/f.json"

"$B" raft generate --config "$tmp/f.json" --output-dir "$tmp/out" >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ "$rc" = 1 ] && [ ! -e "$tmp/out" ] && [ "$(wc -l <"$tmp/e")" = 1 ] &&
	grep -q 'says the cluster has formed ("formed": true): .*nothing was written (start a new member with an empty state directory' "$tmp/e"; then
	ok "formed, no --if-absent: refused, nothing written"
else
	bad "formed, no --if-absent: exit $rc: $(cat "$tmp/e")"
fi

mkdir "$tmp/pod"
"$B" raft generate --config "$tmp/f.json" --output-dir "$tmp/pod" --node-id s2 --if-absent >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ "$rc" = 0 ] && [ -z "$(ls -A "$tmp/pod")" ] && grep -q "pod/s2: no state, and .* says the cluster has formed: nothing written" "$tmp/o"; then
	ok "formed, --if-absent, a node without state: exit 0, nothing written ($(head -c 100 "$tmp/o")...)"
else
	bad "formed, empty node: exit $rc: $(cat "$tmp/o" "$tmp/e"; ls -A "$tmp/pod")"
fi
"$B" raft generate --config "$tmp/f.json" --output-dir "$tmp/pod" --node-id s4 --if-absent >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ "$rc" = 0 ] && [ -z "$(ls -A "$tmp/pod")" ] && grep -q "s4 is not in .*, and the cluster has formed: nothing written" "$tmp/o"; then
	ok "formed, --if-absent, a member added since: exit 0, nothing written"
else
	bad "formed, new member: exit $rc: $(cat "$tmp/o" "$tmp/e")"
fi

# a node with state, recovered since: kept, checked as before
"$B" raft generate --config "$tmp/c.json" --output-dir "$tmp/pod" --node-id s1 --if-absent >/dev/null 2>&1
"$B" raft recover --state-dir "$tmp/pod/s1" --nodes s1=h1:50050 >/dev/null 2>&1 || bad "recover failed"
listing "$tmp/pod" >"$tmp/before"
"$B" raft generate --config "$tmp/f.json" --output-dir "$tmp/pod" --node-id s1 --if-absent >"$tmp/o" 2>"$tmp/e"
rc=$?
listing "$tmp/pod" >"$tmp/after"
if [ "$rc" = 0 ] && cmp -s "$tmp/before" "$tmp/after" && grep -q "raft has changed the configuration" "$tmp/e"; then
	ok "formed, --if-absent, a recovered node: kept as it is, the difference on stderr"
else
	bad "formed, recovered node: exit $rc: $(cat "$tmp/o" "$tmp/e")"
fi
# without "formed" the same empty pod is generated (the old behaviour stays)
"$B" raft generate --config "$tmp/c.json" --output-dir "$tmp/pod" --node-id s2 --if-absent >/dev/null 2>&1 &&
	[ -f "$tmp/pod/s2/raft-log.db" ] && ok "not formed: an empty node is generated as before" ||
	bad "not formed: s2 not generated"

printf '{"initial_leader":"s1","formed":"yes","nodes":[%s]}\n' "$nodes" >"$tmp/bad.json"
"$B" raft generate --config "$tmp/bad.json" --output-dir "$tmp/x" >/dev/null 2>"$tmp/e"
rc=$?
[ "$rc" = 2 ] && grep -q "formed must be true or false" "$tmp/e" && ok "\"formed\": \"yes\" is a usage error" ||
	bad "formed yes: exit $rc $(cat "$tmp/e")"
finish
