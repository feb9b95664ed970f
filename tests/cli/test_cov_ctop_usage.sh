#!/usr/bin/env bash
# Proves: the command line's refusals and edge values, for every command, as
# the user meets them (issue 25 point 4: cmd/ and present/ paths no other test
# took):
#   - an empty --state-dir / --backup-dir is a usage error naming the flag
#     (backup, compact, logs, recover, restore), exit 2, nothing on stdout;
#   - the dispatcher: `help X` for an unknown group or command, `help raft`,
#     `raft help` and `raft -help` print the group's help (the same text);
#     `--render` with no or an unknown document;
#   - value checks: info --entries (leading zero, 20 digits, not a number,
#     empty), verify --threads (0, 65, a huge number, junk), --timeout (above
#     86400, junk; 2s accepted), --chown (neither, too long, unknown user or
#     group, numbers, names; an ID of 2^32-1 or more is a name, not a number);
#   - generate and recover: --config without "nodes", --config's nodes with
#     --server-ids, --node-id and --only that disagree;
#   - logs --type: names in any case with spaces before them, numbers above
#     the known types (accepted, match nothing), 256 refused, an empty list
#     and a list of 512 bytes or more each refused with its own sentence
#     (they used to read "--type: the list is too long is not a log type");
#   - stdout on /dev/full: raft logs says so once (it used to be followed by
#     the dispatcher's own sentence); verify gets the dispatcher's.
#
# Env: OCI_BIN, OCI_BUILD (mknode), OCI_SRC (examples/cluster.json).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD OCI_SRC
B=$OCI_BIN
make_tmp oci-ctop-usage
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_mknode

# usage NAME RC PATTERN ARGS...: exit RC, nothing on stdout, one line on
# stderr "op-conductor-init: ..." matching PATTERN (grep -E)
usage() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$B" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$name: exit $rc, want $want: $(head -c 300 "$tmp/err")"
	elif [ -s "$tmp/out" ]; then
		bad "$name: wrote to stdout: $(head -c 200 "$tmp/out")"
	elif [ "$(wc -l <"$tmp/err")" != 1 ]; then
		bad "$name: not one line on stderr: $(head -c 400 "$tmp/err")"
	elif ! grep -Eq "^op-conductor-init: $pat" "$tmp/err"; then
		bad "$name: stderr does not match /$pat/: $(cat "$tmp/err")"
	else
		ok "$name: $(cut -c1-150 "$tmp/err")"
	fi
}

echo "# empty directory flags"
usage "backup --state-dir ''" 2 'raft backup: --state-dir is empty$' raft backup --state-dir '' --backup-dir "$tmp/bk"
usage "backup --backup-dir ''" 2 'raft backup: --backup-dir is empty$' raft backup --state-dir "$tmp" --backup-dir ''
usage "compact --state-dir ''" 2 'raft compact: --state-dir is empty$' raft compact --state-dir ''
usage "logs --state-dir ''" 2 'raft logs: --state-dir is empty$' raft logs --state-dir ''
usage "recover --state-dir ''" 2 'raft recover: --state-dir is empty$' raft recover --state-dir '' --nodes 127.0.0.1:1 --server-ids a
usage "restore --state-dir ''" 2 'raft restore: --state-dir is empty$' raft restore --state-dir '' --backup-dir "$tmp/bk"
usage "restore --backup-dir ''" 2 'raft restore: --backup-dir is empty$' raft restore --state-dir "$tmp/t" --backup-dir ''
[ ! -e "$tmp/bk" ] && [ ! -e "$tmp/t" ] && ok "empty flags: nothing was created" || bad "empty flags: something was created"

echo "# the dispatcher"
usage "help of an unknown group" 2 'no help for unknown command "nosuch" \(see op-conductor-init --help' help nosuch
usage "help of an unknown command" 2 'no help for unknown command raft "nosuch" \(see op-conductor-init raft --help' help raft nosuch
usage "an unknown group" 2 'unknown command "nosuch" \(see op-conductor-init --help\)$' nosuch
usage "a group alone" 2 'raft needs a command: generate, verify, info, compare, backup, restore, recover, compact, logs$' raft
"$B" raft --help >"$tmp/group.help" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && grep -q 'raft verify' "$tmp/group.help" && [ ! -s "$tmp/err" ] &&
	ok "raft --help lists the group's commands" || bad "raft --help: rc=$rc $(cat "$tmp/err")"
for form in "help raft" "raft help" "raft -help"; do
	# shellcheck disable=SC2086 # the words are the point
	"$B" $form >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 0 ] && cmp -s "$tmp/out" "$tmp/group.help" && [ ! -s "$tmp/err" ] &&
		ok "'$form' prints the group help (as raft --help)" || bad "'$form': rc=$rc, differs from raft --help"
done
usage "--render alone" 2 '--render needs one of: man, synopsis,' --render
usage "--render two documents" 2 '--render needs one of: man, synopsis,' --render man synopsis
usage "--render unknown" 2 '--render "nosuch": unknown; one of man, synopsis,' --render nosuch

usage "--version --jsonx" 2 '--version takes one flag, --json; not "--jsonx"$' --version --jsonx
"$B" --version >"$tmp/v.text" 2>/dev/null
"$B" --version -json=false >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && cmp -s "$tmp/out" "$tmp/v.text" && [ -s "$tmp/out" ] && ok "--version -json=false prints the text" ||
	bad "--version -json=false: exit $rc"

echo "# value checks"
for e in 01 12345678901234567890 1x ''; do
	usage "info --entries '$e'" 2 "raft info: --entries must be a number of entries or \"all\", got \"$e\"$" \
		raft info --state-dir "$tmp" --entries "$e"
done
for th in 0 65 99999 1x x ''; do
	usage "verify --threads $th" 2 "raft verify: --threads must be auto or a number of threads from 1 to 64, got \"$th\"$" \
		raft verify --state-dir "$tmp" --threads "$th"
done
for to in 86401 1e9 5x .5 -1 ''; do
	usage "verify --timeout $to" 2 "raft verify: --timeout must be a number of seconds between 0 and 86400 .*got \"$to\"$" \
		raft verify --state-dir "$tmp" --timeout "$to"
done
usage "verify --timeout 2s is accepted (the directory is what fails)" 1 "raft verify: cannot open --state-dir $tmp/none" \
	raft verify --state-dir "$tmp/none" --timeout 2s
env OP_CONDUCTOR_INIT_TIMEOUT=zz "$B" raft generate --nodes 10.0.0.1:1 --server-ids s1 --initial-leader s1 --output-dir "$tmp/gt" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && [ "$(cat "$tmp/err")" = 'op-conductor-init: raft generate: OP_CONDUCTOR_INIT_TIMEOUT must be a number of seconds between 0 and 86400 (e.g. 5, 0.5, 2s), got "zz"' ] &&
	[ ! -e "$tmp/gt" ] && ok "OP_CONDUCTOR_INIT_TIMEOUT=zz: the variable named" || bad "timeout variable zz: exit $rc: $(cat "$tmp/err")"
env OP_CONDUCTOR_INIT_TIMEOUT=0.5 "$B" raft generate --nodes 10.0.0.1:1 --server-ids s1 --initial-leader s1 --output-dir "$tmp/gt" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && [ -s "$tmp/gt/s1/raft-log.db" ] && ok "OP_CONDUCTOR_INIT_TIMEOUT=0.5: generate runs (the run lock's wait from the variable)" ||
	bad "timeout variable 0.5: exit $rc: $(cat "$tmp/err")"
long=$(printf 'u%.0s' $(seq 300))
usage "--chown ':'" 2 'raft restore: --chown: ":" names neither a user nor a group$' \
	raft restore --backup-dir "$tmp/none" --state-dir "$tmp/t" --chown :
usage "--chown a 300-byte user" 2 'raft restore: --chown: "uuuu.* is too long$' \
	raft restore --backup-dir "$tmp/none" --state-dir "$tmp/t" --chown "$long"
usage "--chown a 300-byte group" 2 'raft restore: --chown: "0:uuuu.* is too long$' \
	raft restore --backup-dir "$tmp/none" --state-dir "$tmp/t" --chown "0:$long"
usage "--chown an unknown group" 2 'raft restore: --chown: no such group "no-such-group-oci"$' \
	raft restore --backup-dir "$tmp/none" --state-dir "$tmp/t" --chown :no-such-group-oci
usage "--chown 2^32-1 is not an ID" 2 'raft restore: --chown: no such user "4294967295"$' \
	raft restore --backup-dir "$tmp/none" --state-dir "$tmp/t" --chown 4294967295
usage "--chown 12a is not an ID" 2 'raft restore: --chown: no such user "12a"$' \
	raft restore --backup-dir "$tmp/none" --state-dir "$tmp/t" --chown 12a:0
for spec in 0:0 root root:root :0 4294967294:1; do
	usage "--chown $spec is accepted (the backup is what fails)" 1 "raft restore: backup directory $tmp/none does not exist" \
		raft restore --backup-dir "$tmp/none" --state-dir "$tmp/t" --chown "$spec"
done

echo "# where the members come from"
echo '{"network": "op-mainnet"}' >"$tmp/nonodes.json"
echo '{"formed": true}' >"$tmp/formed-nonodes.json"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["formed"] = True; json.dump(d, open(sys.argv[2], "w"))' \
	"$OCI_SRC/examples/cluster.json" "$tmp/formed.json"
usage "generate --config without nodes" 2 "raft generate: --nodes is required \(or set OP_CONDUCTOR_INIT_NODES\): $tmp/nonodes.json has no \"nodes\"\$" \
	raft generate --config "$tmp/nonodes.json" --output-dir "$tmp/g"
usage "generate --config with nodes and --server-ids" 2 "raft generate: --server-ids needs --nodes: the nodes come from $OCI_SRC/examples/cluster.json\$" \
	raft generate --config "$OCI_SRC/examples/cluster.json" --server-ids a,b,c,d --output-dir "$tmp/g"
usage "generate --node-id and --only disagree" 2 'raft generate: --node-id "a" and --only "b" disagree; --only is an alias of --node-id, give one$' \
	raft generate --config "$OCI_SRC/examples/cluster.json" --node-id a --only b --output-dir "$tmp/g"
usage "recover --config without nodes" 2 "raft recover: --nodes is required: $tmp/formed-nonodes.json has no \"nodes\"\$" \
	raft recover --state-dir "$tmp/n" --config "$tmp/formed-nonodes.json"
usage "recover --config with nodes and --server-ids" 2 "raft recover: --server-ids needs --nodes: the nodes come from $tmp/formed.json\$" \
	raft recover --state-dir "$tmp/n" --config "$tmp/formed.json" --server-ids a,b,c,d
[ ! -e "$tmp/g" ] && ok "generate refusals: nothing written" || bad "generate refusals wrote $tmp/g"

echo "# logs --type"
"$MKNODE" "$tmp/n" --members s1=127.0.0.1:1 1-1:1:config 2-3:1:noop 4-5:2:block >/dev/null 2>"$tmp/mk.err" ||
	{ bad "mknode: $(cat "$tmp/mk.err")"; finish; }
# types NAME LIST WANT: logs --type LIST prints the entries of indexes WANT
types() {
	local got rc
	"$B" raft logs --state-dir "$tmp/n" --type "$2" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	got=$(grep -o '"index":[0-9]*' "$tmp/out" | cut -d: -f2 | tr '\n' ' ')
	eq "logs --type '${2:0:40}' ($1): exit $rc, stderr '$(cat "$tmp/err")', indexes" "$rc $got" "0 $3"
}
types "names in any case, spaces before" ' LogNoop,  logconfiguration' '1 2 3 '
types "numbers (raft's LogNoop is 1, LogCommand 0)" '1,0' '2 3 4 5 '
types "a number no type has yet" '200' ''
usage "logs --type 256" 2 'raft logs: --type: "256" is not a log type \(LogCommand, LogNoop, .* or a number 0..255\)$' \
	raft logs --state-dir "$tmp/n" --type 256
usage "logs --type junk" 2 'raft logs: --type: "LogNope" is not a log type' raft logs --state-dir "$tmp/n" --type LogNoop,LogNope
usage "logs --type ','" 2 'raft logs: --type: names no log type; give one or more of LogCommand, ' \
	raft logs --state-dir "$tmp/n" --type ,
usage "logs --type of 512 bytes" 2 'raft logs: --type: the list is longer than 511 bytes; name fewer types$' \
	raft logs --state-dir "$tmp/n" --type "$(printf 'LogNoop,%.0s' $(seq 64))"
types "a list of 511 bytes is read" "$(printf 'LogNoop,%.0s' $(seq 63))LogNoop" '2 3 '

# stdout that cannot be written: said once. raft logs reports it itself;
# the dispatcher's "error writing to standard output" is for the others
if [ -w /dev/full ]; then
	"$B" raft logs --state-dir "$tmp/n" >/dev/full 2>"$tmp/err"
	rc=$?
	[ "$rc" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
		grep -q '^op-conductor-init: raft logs: cannot write the entries to stdout: ' "$tmp/err" &&
		ok "logs to /dev/full: exit 1, one sentence (was two)" || bad "logs to /dev/full: exit $rc: $(cat "$tmp/err")"
	"$B" raft verify --state-dir "$tmp/n" >/dev/full 2>"$tmp/err"
	rc=$?
	[ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "op-conductor-init: error writing to standard output (is the disk or pipe it goes to full or closed?)" ] &&
		ok "verify to /dev/full: exit 1, the dispatcher's sentence" || bad "verify to /dev/full: exit $rc: $(cat "$tmp/err")"
fi
finish
