#!/usr/bin/env bash
# Proves (issue 26, point 4): what operators read under pressure says what
# will happen and where the values came from:
#   - recover's plan shows old -> new for a changed member (address and
#     suffrage), not only "(changed)";
#   - recover to the members a node already has warns that it would still
#     append an entry and raise the term;
#   - values taken from OP_CONDUCTOR_INIT_* variables are named as such
#     (the member list, and every other flag read from the environment);
#   - a Go-tool backup (no MANIFEST.json) of a compacted node does not
#     verify, and the error says why (the Go tool never copies snapshots/)
#     and what to do instead.
# Env: OCI_BIN, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
default_shared
need_env OCI_BIN OCI_SHARED
output_style colon
unset_env 'OP_CONDUCTOR_INIT_.*'
B=$OCI_BIN
V=$OCI_SHARED/vectors
make_tmp oci-opout

"$B" raft generate --nodes a=10.0.0.1:50050,b=10.0.0.2:50050,c=10.0.0.3:50050 --nonvoters c \
	--initial-leader a --output-dir "$tmp/r" >/dev/null || { echo "generate failed"; exit 1; }

"$B" raft recover --state-dir "$tmp/r/a" --nodes a=10.0.0.1:50050,b=10.0.0.9:50050,c=10.0.0.3:50050 \
	--dry-run >"$tmp/out" 2>&1
if grep -q '^  ~ "b" "10.0.0.2:50050" Voter -> "10.0.0.9:50050" Voter   (changed)$' "$tmp/out" ||
	grep -q '^  ~ b 10.0.0.2:50050 Voter -> 10.0.0.9:50050 Voter   (changed)$' "$tmp/out"; then
	ok "a changed address is shown old -> new"
else
	bad "changed address: $(cat "$tmp/out")"
fi
"$B" raft recover --state-dir "$tmp/r/a" --nodes a=10.0.0.1:50050,b=10.0.0.2:50050,c=10.0.0.3:50050 \
	--dry-run >"$tmp/out" 2>&1
if grep -Eq '^  ~ "?c"? "?10.0.0.3:50050"? Nonvoter -> "?10.0.0.3:50050"? Voter ' "$tmp/out"; then
	ok "a changed suffrage is shown old -> new"
else
	bad "changed suffrage: $(cat "$tmp/out")"
fi
"$B" raft recover --state-dir "$tmp/r/a" --nodes c=10.0.0.3:50050,a=10.0.0.1:50050,b=10.0.0.2:50050 \
	--nonvoters c --dry-run >"$tmp/out" 2>&1
if grep -q "^Warning: the new configuration is the one a already has: .*raises CurrentTerm to 2" "$tmp/out"; then
	ok "the same members (in another order): warned that an entry and a term are still added"
else
	bad "same members: $(cat "$tmp/out")"
fi
grep -q "^Warning: the new configuration is the one" <("$B" raft recover --state-dir "$tmp/r/a" \
	--nodes a=10.0.0.1:50050,b=10.0.0.2:50050 --dry-run 2>&1) &&
	bad "a real change is warned about as none" || ok "a real change is not warned about"

OP_CONDUCTOR_INIT_NODES=a=10.0.0.1:50050,b=10.0.0.2:50050 OP_CONDUCTOR_INIT_TERM=7 \
	"$B" raft recover --state-dir "$tmp/r/a" --dry-run >"$tmp/out" 2>&1
if grep -q '^From the environment: OP_CONDUCTOR_INIT_NODES="a=10.0.0.1:50050,b=10.0.0.2:50050", OP_CONDUCTOR_INIT_TERM="7"$' "$tmp/out" &&
	grep -q '^Configuration: old (.*) -> new (2 members, from OP_CONDUCTOR_INIT_NODES):$' "$tmp/out"; then
	ok "values from the environment are named"
else
	bad "environment: $(cat "$tmp/out")"
fi
"$B" raft recover --state-dir "$tmp/r/a" --nodes a=10.0.0.1:50050,b=10.0.0.2:50050 --term 7 --dry-run >"$tmp/out" 2>&1
grep -q "environment" "$tmp/out" && bad "flags named as environment: $(cat "$tmp/out")" ||
	ok "flags on the command line are not named as environment"

# a Go-tool backup of a compacted node: only the .db files
if [ -d "$V/lived/three/sequencer-1" ]; then
	mkdir -p "$tmp/gobk/raft-backup-x" "$tmp/st"
	cp "$V/lived/three/sequencer-1/raft-log.db" "$V/lived/three/sequencer-1/raft-stable.db" "$tmp/gobk/raft-backup-x/"
	printf 'Backup created: 2026-01-01T00:00:00Z\nSource directory: /data/raft/sequencer-1\nFiles backed up: 2\n' \
		>"$tmp/gobk/raft-backup-x/backup-metadata.txt"
	"$B" raft restore --backup-dir "$tmp/gobk/raft-backup-x" --state-dir "$tmp/st/sequencer-1" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q "^op-conductor-init: raft restore: backup of the node does not verify (a backup without MANIFEST.json, made by the Go tool, holds only the .db files and never snapshots/.*op-conductor-init raft backup)" "$tmp/err" &&
		[ ! -e "$tmp/st/sequencer-1" ]; then
		ok "a Go-tool backup of a compacted node: the error says the Go tool omits snapshots/ and what to use"
	else
		bad "Go-tool backup of a compacted node (exit $rc): $(cat "$tmp/err")"
	fi
else
	bad "lived/three is missing under $V"
fi
finish
