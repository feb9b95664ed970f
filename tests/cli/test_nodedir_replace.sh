#!/usr/bin/env bash
# Proves, for the one replace routine (raftstate/nodedir.h) as the commands
# use it:
#  - restore and recover run as root keep the owner and mode of what they
#    replace: a node owned by uid 10001 (op-conductor's user) with 0600/0640
#    files, 0750 directories and a snapshots/ tree is still owned by 10001
#    with the same modes afterwards, new files included; --chown wins
#    (SKIP unless root); a bad --chown is a usage error;
#  - generate --force refuses a node whose database another process holds
#    locked (as a running op-conductor does): exit 1, one sentence, nothing
#    changed, also with --node-id;
#  - generate beside an old snapshots/ (no database) is refused without
#    --force, naming it; with --force the whole node (snapshots/ included)
#    is replaced and the old one kept beside OUTPUT_DIR, byte for byte.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
default_shared
output_style colon
B=$OCI_BIN
make_tmp oci-ndrepl
cleanup_hook() { release; }
L3=$OCI_SHARED/vectors/lived/three
ARGS=(--nodes 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 --server-ids s1,s2,s3 --initial-leader s1)

# owners DIR: every entry's path, owner and mode
owners() { (cd "$1" && find . -printf '%p %u:%g %m\n' | LC_ALL=C sort); }

if [ "$(id -u)" = 0 ]; then
	# the state op-conductor (uid 10001) wrote: lived/three's sequencer-1
	own_node() {
		rm -rf "$1" && mkdir -p "$(dirname "$1")" && cp -a "$L3/sequencer-1" "$1" &&
			chown -R 10001:10001 "$1" && find "$1" -type d -exec chmod 0750 {} + &&
			find "$1" -type f -exec chmod 0600 {} + && chmod 0640 "$1/raft-stable.db"
	}
	"$B" raft backup --state-dir "$L3/sequencer-1" --backup-dir "$tmp/bk" >/dev/null 2>"$tmp/err" || bad "backup: $(cat "$tmp/err")"
	bk=$(ls -d "$tmp"/bk/raft-backup-*)
	node=$tmp/own/sequencer-1
	own_node "$node"
	owners "$node" >"$tmp/before"
	if "$B" raft restore --backup-dir "$bk" --state-dir "$node" --force </dev/null >"$tmp/out" 2>"$tmp/err"; then
		owners "$node" >"$tmp/after"
		if cmp -s "$tmp/before" "$tmp/after"; then
			ok "restore as root: every entry still 10001:10001 with its mode ($(wc -l <"$tmp/after") entries)"
		else
			bad "restore as root changed owners or modes: $(diff "$tmp/before" "$tmp/after" | head -6 | tr '\n' ' ')"
		fi
		cmp -s "$node/raft-log.db" "$L3/sequencer-1/raft-log.db" && ok "restore: the restored log is the backup's" || bad "restore: log differs"
	else
		bad "restore as root failed: $(cat "$tmp/err")"
	fi
	own_node "$node"
	owners "$node" >"$tmp/before"
	if "$B" raft recover --state-dir "$node" --nodes 127.0.0.1:50001,127.0.0.1:50002 --server-ids sequencer-1,sequencer-2 >"$tmp/out" 2>"$tmp/err"; then
		owners "$node" >"$tmp/after"
		if cmp -s "$tmp/before" "$tmp/after"; then
			ok "recover as root: every entry still 10001:10001 with its mode"
		else
			bad "recover as root changed owners or modes: $(diff "$tmp/before" "$tmp/after" | head -6 | tr '\n' ' ')"
		fi
		"$B" raft verify --state-dir "$node" >/dev/null 2>&1 && ok "recover: the result verifies" || bad "recover: the result does not verify"
	else
		bad "recover as root failed: $(cat "$tmp/err")"
	fi
	# a file with no counterpart takes the node directory's owner
	own_node "$node"
	rm -rf "$node/snapshots"
	"$B" raft restore --backup-dir "$bk" --state-dir "$node" --force </dev/null >/dev/null 2>"$tmp/err" || bad "restore (no old snapshots/): $(cat "$tmp/err")"
	f=$(find "$node" ! -user 10001 -printf '%p ')
	[ -z "$f" ] && ok "restore: new snapshots/ files take the node's owner 10001" || bad "restore: owned by someone else: $f"
	# --chown wins over the replaced files' owner
	own_node "$node"
	"$B" raft restore --backup-dir "$bk" --state-dir "$node" --force --chown 4321:8765 </dev/null >/dev/null 2>"$tmp/err" || bad "restore --chown: $(cat "$tmp/err")"
	f=$(find "$node" -path "$node/.*" -prune -o \( ! -user 4321 -o ! -group 8765 \) -printf '%p ')
	[ -z "$f" ] && ok "restore --chown 4321:8765: every restored entry so owned" || bad "restore --chown: not so owned: $f"
	own_node "$node"
	"$B" raft recover --state-dir "$node" --nodes 127.0.0.1:50001,127.0.0.1:50002 --server-ids sequencer-1,sequencer-2 --chown 4321:8765 >/dev/null 2>"$tmp/err" || bad "recover --chown: $(cat "$tmp/err")"
	f=$(find "$node" -path "$node/.*" -prune -o \( ! -user 4321 -o ! -group 8765 \) -printf '%p ')
	[ -z "$f" ] && ok "recover --chown 4321:8765: every recovered entry so owned" || bad "recover --chown: not so owned: $f"
else
	echo "SKIP: not root; the owner and mode checks of restore and recover were not run"
fi
for c in restore recover; do
	if [ $c = restore ]; then set -- --backup-dir "$tmp" --state-dir "$tmp/x"; else set -- --state-dir "$tmp/x" --nodes 127.0.0.1:1 --server-ids x; fi
	"$B" raft $c "$@" --chown no-such-user-xyz: >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q -- '--chown' "$tmp/err" && [ ! -e "$tmp/x" ] &&
		ok "$c --chown with an unknown user: exit 2, one sentence" || bad "$c bad --chown: rc=$rc $(cat "$tmp/err")"
done

# --- a locked node refuses generate --force --------------------------------
out=$tmp/gen
"$B" raft generate "${ARGS[@]}" --output-dir "$out" >/dev/null || bad "generate"
listing "$out" >"$tmp/l.before"
hold "$out/s2/raft-log.db"
for extra in "" "--node-id s2"; do
	# shellcheck disable=SC2086
	if "$B" raft generate "${ARGS[@]}" --initial-term 4 --output-dir "$out" --force $extra >/dev/null 2>"$tmp/err"; then
		bad "generate --force $extra replaced a locked node"
	elif [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q "s2/raft-log.db is locked by another process (is op-conductor running?)" "$tmp/err" &&
		listing "$out" | cmp -s - "$tmp/l.before" && [ -z "$(ls -A "$tmp" | grep '^\.gen\.pre-')" ]; then
		ok "generate --force $extra on a locked node: exit 1, one sentence naming the file, nothing changed"
	else
		bad "generate --force $extra on a locked node: $(cat "$tmp/err")"
	fi
done
release
"$B" raft generate "${ARGS[@]}" --node-id s1 --initial-term 4 --output-dir "$out" --force >/dev/null 2>"$tmp/err" &&
	ok "an unlocked node is replaced" || bad "generate --node-id s1 --force: $(cat "$tmp/err")"

# --- generate beside an old snapshots/ --------------------------------------
sn=$tmp/snap
"$B" raft generate "${ARGS[@]}" --output-dir "$sn" >/dev/null
rm -f "$sn"/s1/raft-*.db
cp -a "$L3/sequencer-1/snapshots" "$sn/s1/"
listing "$sn" >"$tmp/s.before"
if "$B" raft generate "${ARGS[@]}" --output-dir "$sn" >/dev/null 2>"$tmp/err"; then
	bad "generate wrote fresh files beside an old snapshots/"
elif grep -q "refusing to overwrite .* without --force: .*s1/snapshots" "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ] && listing "$sn" | cmp -s - "$tmp/s.before"; then
	ok "generate beside an old snapshots/: refused, naming it, nothing changed"
else
	bad "generate beside snapshots/: $(cat "$tmp/err")"
fi
if "$B" raft generate "${ARGS[@]}" --output-dir "$sn" --force >"$tmp/out" 2>"$tmp/err"; then
	kept=$(sed -n 's/^The replaced state (snapshots\/ included) was kept in: //p' "$tmp/out")
	if [ ! -e "$sn/s1/snapshots" ] && [ -n "$kept" ] && diff -r "$L3/sequencer-1/snapshots" "$kept/s1/snapshots" >/dev/null &&
		[ "$(ls -A "$sn")" = "$(printf 's1\ns2\ns3')" ] && "$B" raft verify --state-dir "$sn" >/dev/null 2>&1; then
		ok "generate --force replaced the whole node (no snapshots/ left) and kept the old snapshots/ byte for byte in ${kept#"$tmp"/}"
	else
		bad "generate --force beside snapshots/: kept '$kept', node: $(ls -A "$sn/s1")"
	fi
else
	bad "generate --force beside snapshots/ failed: $(cat "$tmp/err")"
fi
finish
