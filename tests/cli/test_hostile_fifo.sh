#!/usr/bin/env bash
# Proves: a FIFO (no writer: open() of it for reading would block for ever)
# where a state file or an input file should be never hangs the tool.
# At each path (raft-log.db, raft-stable.db, a snapshot's meta.json and
# state.bin) and for each command that reads it (verify, info, info --json,
# recover, backup, compare, bootstrap cluster's preflight; restore with the
# FIFO in the backup), and as the --config file
# of generate and recover and the --from-json file of compare, the command
#   - ends within the guard (timeout 20 s; 124 means it hung),
#   - exits 1 (2 for --config, a usage error like any bad --config),
#   - says on stderr (or, for verify's report, on stdout) that the path "is a
#     FIFO, not a regular file", naming it,
#   - and changes nothing: the state directory lists the same before/after.
# A symbolic link in place of raft-log.db is refused the same way (never
# followed), and a directory in place of --config too.
#
# Env: OCI_BIN, OCI_SRC (the fake op-conductor), OCI_SHARED (lived/three).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_SHARED
B=$OCI_BIN
make_tmp oci-fifo
unset_env 'OP_CONDUCTOR_[A-Z_]*' 'FAKE_OC_[A-Z_]*'

mkdir -p "$tmp/fake"
if ! cc -std=c11 -O1 -o "$tmp/fake/op-conductor" "$OCI_SRC/tests/cli/fake-op-conductor.c" \
	2>"$tmp/cc.err"; then
	bad "compile the fake op-conductor: $(cat "$tmp/cc.err")"
	finish
fi

# a fresh copy of lived/three's sequencer-1 (two snapshots) as $tmp/st/sequencer-1
fresh() {
	rm -rf "$tmp/st"
	mkdir -p "$tmp/st"
	cp -r "$OCI_SHARED/vectors/lived/three/sequencer-1" "$tmp/st/"
	chmod -R u+w "$tmp/st"
	N=$tmp/st/sequencer-1
	SNAP=$(cd "$N/snapshots" && ls | head -n 1)
}

# check NAME WANT_RC PATTERN CMD...: runs CMD under the guard; the output
# (stdout and stderr) must match PATTERN, the exit be WANT_RC and the state
# tree unchanged
check() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	listing "$tmp/st" >"$tmp/before"
	timeout 20 "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	listing "$tmp/st" >"$tmp/after"
	if [ "$rc" = 124 ]; then
		bad "$name: hung (killed after 20 s)"
	elif [ "$rc" != "$want" ]; then
		bad "$name: exit $rc (want $want): $(head -c 300 "$tmp/err")"
	elif ! cat "$tmp/out" "$tmp/err" | grep -Fq -- "$pat"; then
		bad "$name: output lacks '$pat': $(head -c 300 "$tmp/err") $(grep -i fifo "$tmp/out" | head -c 200)"
	elif ! cmp -s "$tmp/before" "$tmp/after"; then
		bad "$name: the state directory changed"
	else
		ok "$name: $(cat "$tmp/err" "$tmp/out" | grep -F -- "$pat" | head -n 1 | cut -c1-150)"
	fi
}

# every command that reads a node directory, with the FIFO at REL
commands_at() {
	local rel=$1 what="${1##*/} is a FIFO, not a regular file"
	fresh
	rm -f "$N/$rel"
	mkfifo "$N/$rel"
	check "verify: FIFO as $rel" 1 "$what" "$B" raft verify --state-dir "$N"
	check "verify --json: FIFO as $rel" 1 "$what" "$B" raft verify --state-dir "$N" --json
	check "verify --live: FIFO as $rel" 1 "$what" "$B" raft verify --state-dir "$N" --live
	check "verify of the cluster root: FIFO as $rel" 1 "$what" "$B" raft verify --state-dir "$tmp/st"
	case $rel in
	*/meta.json)
		# info lists a damaged snapshot and goes on (exit 0), naming the problem
		check "info: FIFO as $rel" 0 "$what" "$B" raft info --state-dir "$N"
		check "info --json: FIFO as $rel" 0 "$what" "$B" raft info --state-dir "$N" --json
		;;
	*/state.bin)
		# info does not read state.bin (verify checks its CRC): no hang, exit 0
		check "info: FIFO as $rel" 0 "" "$B" raft info --state-dir "$N"
		check "info --json: FIFO as $rel" 0 "" "$B" raft info --state-dir "$N" --json
		;;
	*)
		check "info: FIFO as $rel" 1 "$what" "$B" raft info --state-dir "$N"
		check "info --json: FIFO as $rel" 1 "$what" "$B" raft info --state-dir "$N" --json
		check "info --live: FIFO as $rel" 1 "$what" "$B" raft info --state-dir "$N" --live
		;;
	esac
	check "recover: FIFO as $rel" 1 "$what" "$B" raft recover --state-dir "$N" \
		--nodes 127.0.0.1:1,127.0.0.1:2 --server-ids sequencer-1,x --force
	check "recover --dry-run: FIFO as $rel" 1 "$what" "$B" raft recover --state-dir "$N" \
		--nodes 127.0.0.1:1,127.0.0.1:2 --server-ids sequencer-1,x --dry-run
	rm -rf "$tmp/bk"
	mkdir -p "$tmp/bk"
	check "backup: FIFO as $rel" 1 "$what" "$B" raft backup --state-dir "$N" --backup-dir "$tmp/bk"
	[ -z "$(ls -A "$tmp/bk")" ] && ok "backup: FIFO as $rel: no backup left behind" ||
		bad "backup: FIFO as $rel: left $(ls -A "$tmp/bk")"
	case $rel in
	*/meta.json) # an unusable snapshot is named, and the verdict is not CONSISTENT
		check "compare: FIFO as $rel" 1 "UNUSABLE SNAPSHOT on sequencer-1: $SNAP: $what" \
			"$B" raft compare --state-dir "$N" \
			--state-dir "$OCI_SHARED/vectors/lived/three/sequencer-2" ;;
	*/state.bin) # the state.bin of a snapshot raft does not restore is not read
		check "compare: FIFO as $rel" 0 "CONSISTENT" "$B" raft compare --state-dir "$N" \
			--state-dir "$OCI_SHARED/vectors/lived/three/sequencer-2" ;;
	*)
		check "compare: FIFO as $rel" 1 "$what" "$B" raft compare --state-dir "$N" \
			--state-dir "$OCI_SHARED/vectors/lived/three/sequencer-2" ;;
	esac
	check "bootstrap cluster preflight: FIFO as $rel" 1 "$what" \
		env OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$tmp/fake/op-conductor" FAKE_OC_RECORD="$tmp/rec" \
		"$B" bootstrap cluster --raft.storage.dir "$tmp/st" --raft.server.id sequencer-1
	[ ! -e "$tmp/rec" ] && ok "bootstrap cluster: FIFO as $rel: op-conductor not started" ||
		bad "bootstrap cluster: FIFO as $rel: op-conductor was started"
	rm -f "$tmp/rec"*
}

fresh
for rel in raft-log.db raft-stable.db "snapshots/$SNAP/meta.json" "snapshots/$SNAP/state.bin"; do
	commands_at "$rel"
done

# restore: a FIFO in place of a file of a good backup
fresh
mkdir -p "$tmp/bk" "$tmp/target"
"$B" raft backup --state-dir "$N" --backup-dir "$tmp/bk" >/dev/null 2>&1
BK=$(ls -d "$tmp/bk"/raft-backup-* 2>/dev/null | head -n 1)
for rel in raft-log.db "snapshots/$SNAP/meta.json"; do
	rm -rf "$tmp/target" && mkdir -p "$tmp/target"
	f=$(find "$BK" -path "*/$rel" | head -n 1)
	if [ -z "$f" ]; then
		bad "restore: no $rel in the backup"
		continue
	fi
	rm -f "$f" && mkfifo "$f"
	listing "$tmp/target" >"$tmp/tbefore"
	check "restore: FIFO as the backup's $rel" 1 "${rel##*/} is not a regular file" \
		"$B" raft restore --backup-dir "$BK" --state-dir "$tmp/target" --into-other-node --force
	listing "$tmp/target" >"$tmp/tafter"
	cmp -s "$tmp/tbefore" "$tmp/tafter" && ok "restore: FIFO as the backup's $rel: target unchanged" ||
		bad "restore: FIFO as the backup's $rel: the target changed"
	rm -rf "$tmp/bk" && mkdir -p "$tmp/bk"
	"$B" raft backup --state-dir "$N" --backup-dir "$tmp/bk" >/dev/null 2>&1
	BK=$(ls -d "$tmp/bk"/raft-backup-* | head -n 1)
done

# never followed: a link to a valid raft-log.db is not read either
fresh
mv "$N/raft-log.db" "$tmp/real-log.db"
ln -s "$tmp/real-log.db" "$N/raft-log.db"
check "verify: a symbolic link as raft-log.db" 1 "raft-log.db is a symbolic link, not a regular file" \
	"$B" raft verify --state-dir "$N"
check "info: a symbolic link as raft-log.db" 1 "raft-log.db is a symbolic link, not a regular file" \
	"$B" raft info --state-dir "$N"

# --config
fresh
mkfifo "$tmp/cfg.json"
mkdir "$tmp/cfgdir"
check "generate --config FIFO" 2 "cfg.json is a FIFO, not a regular file" \
	"$B" raft generate --config "$tmp/cfg.json" --output-dir "$tmp/gen-out"
[ ! -e "$tmp/gen-out" ] && ok "generate --config FIFO: nothing written" || bad "generate --config FIFO: $tmp/gen-out was created"
check "generate --config directory" 2 "cfgdir is a directory, not a regular file" \
	"$B" raft generate --config "$tmp/cfgdir" --output-dir "$tmp/gen-out"
check "compare --from-json FIFO" 1 "cfg.json is a FIFO, not a regular file" \
	"$B" raft compare --from-json "$tmp/cfg.json" --from-json "$tmp/cfg.json"
check "recover --config FIFO" 2 "cfg.json is a FIFO, not a regular file" \
	"$B" raft recover --state-dir "$N" --config "$tmp/cfg.json" --force

finish
