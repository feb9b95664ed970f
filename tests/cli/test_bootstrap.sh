#!/usr/bin/env bash
# Proves: `bootstrap cluster` becomes op-conductor. With a fake op-conductor
# (tests/cli/fake-op-conductor.c, compiled here) that records what it got:
#   - argv reaches it byte for byte across a table of tricky arguments
#     (empty strings, spaces, '=', '--', '-', duplicates, quotes, newlines,
#     invalid UTF-8, a 5000-byte argument, --help/-h not in first place),
#     with argv[0] = the binary that was executed;
#   - same pid (the fake's pid is the $! of the launched op-conductor-init,
#     its parent is this shell), so nothing of ours stays in between;
#   - exit statuses 0, 1, 42 come back unchanged; SIGTERM sent to the pid
#     reaches the fake, which dies of it (status 143);
#   - the environment arrives exactly as given (same variables, same order);
#   - OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN beats PATH; PATH is searched like
#     execvp; a missing / non-executable binary is a one-line error, exit 1,
#     nothing executed;
#   - help: `bootstrap cluster --help|-h` is ours (and names op-conductor's
#     own --help), `bootstrap --help` lists the subcommands, `bootstrap`
#     alone is a usage error.
# The preflight is covered by test_bootstrap_preflight.sh.
#
# Env: OCI_BIN (the binary), OCI_SRC (source dir, for the fake's source).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
B=$OCI_BIN
make_tmp oci-boot

# nothing from the caller's environment may steer the tool or the fake
unset_env 'OP_CONDUCTOR_[A-Z_]*' 'FAKE_OC_[A-Z_]*'

mkdir -p "$tmp/fake" "$tmp/pathA" "$tmp/varB" "$tmp/empty1" "$tmp/empty2" "$tmp/noexec"
if ! cc -std=c11 -O1 -Wall -Wextra -Werror -o "$tmp/fake/op-conductor" \
	"$OCI_SRC/tests/cli/fake-op-conductor.c" 2>"$tmp/cc.err"; then
	bad "compile the fake op-conductor: $(cat "$tmp/cc.err")"
	finish
fi
FAKE=$tmp/fake/op-conductor
cp "$FAKE" "$tmp/pathA/op-conductor"
cp "$FAKE" "$tmp/varB/fake-b"
cp "$FAKE" "$tmp/noexec/op-conductor"
chmod a-x "$tmp/noexec/op-conductor"
export OP_CONDUCTOR_INIT_SKIP_PREFLIGHT= # empty = unset: the preflight runs (no state anywhere)

n=0
# newrec: a fresh record path in $rec
newrec() {
	n=$((n + 1))
	rec=$tmp/rec$n
}
# field KEY: the value of KEY= in the record
field() { sed -n "s/^$1=//p" "$rec" 2>/dev/null | tail -n 1; }

# runboot ARGS...: runs the tool with the fake chosen by the variable;
# $rc, $tmp/out, $tmp/err
runboot() {
	newrec
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$FAKE FAKE_OC_RECORD=$rec \
		"$B" bootstrap cluster "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# argv_is NAME BIN ARGS...: the recorded argv is exactly BIN ARGS...
argv_is() {
	local name=$1
	shift
	printf '%s\0' "$@" >"$tmp/want.argv"
	if [ ! -e "$rec.argv" ]; then
		bad "$name: op-conductor was not executed (rc=$rc, stderr: $(head -c 300 "$tmp/err"))"
	elif cmp -s "$tmp/want.argv" "$rec.argv"; then
		ok "$name"
	else
		bad "$name: argv differs: want $(od -c "$tmp/want.argv" | head -n 3 | tr -s ' ' | tr '\n' '|') got $(od -c "$rec.argv" | head -n 3 | tr -s ' ' | tr '\n' '|')"
	fi
}

# ---- argv byte for byte --------------------------------------------------
LONG=$(printf 'x%.0s' $(seq 5000))
tricky=(
	"" " " "a b" "  lead" "trail  " "--" "-" "=" "==" "--x=" "a=b=c" "--x= y"
	"--raft.server.id" "--raft.storage.dir=" "dup" "dup" "" ""
	'$HOME' '*' '?' "'" '"' '\' '\n' $'a\nb' $'tab\there' $'cr\r' $'\x01\x1f\x7f'
	"héllo wörld" $'\xff\xfe\x80' "--help" "-h" "-help" "help" "--version" "-v"
	'%s%n%x' "-raft.bootstrap=false" "--raft.bootstrap" "false" "$LONG"
	"--node.rpc" "http://127.0.0.1:8545?a=b&c=d" "--" "--" "last"
)
runboot "${tricky[@]}"
argv_is "argv: ${#tricky[@]} tricky arguments arrive byte for byte" "$FAKE" "${tricky[@]}"
[ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ] && [ ! -s "$tmp/err" ] &&
	ok "argv: exit 0 and nothing printed by us" ||
	bad "argv: rc=$rc, stdout $(wc -c <"$tmp/out") bytes, stderr: $(head -c 300 "$tmp/err")"

# the same table, rotated so every element is first (except our help words)
rot=0
for ((i = 0; i < ${#tricky[@]}; i++)); do
	case ${tricky[$i]} in --help | -h | -help) continue ;; esac
	args=("${tricky[@]:$i}" "${tricky[@]:0:$i}")
	runboot "${args[@]}"
	printf '%s\0' "$FAKE" "${args[@]}" >"$tmp/want.argv"
	cmp -s "$tmp/want.argv" "$rec.argv" 2>/dev/null || { rot=$((rot + 1)); echo "  rotation $i differs (rc=$rc)"; }
done
[ "$rot" -eq 0 ] && ok "argv: every rotation of the table arrives unchanged" ||
	bad "argv: $rot rotations differ"

runboot
argv_is "argv: no arguments at all -> just argv[0]" "$FAKE"
runboot ""
argv_is "argv: a single empty argument" "$FAKE" ""
runboot --node.rpc http://x --help
argv_is "argv: --help after other flags is op-conductor's" "$FAKE" --node.rpc http://x --help
runboot -- --help
argv_is "argv: -- --help goes through" "$FAKE" -- --help

# ---- same pid, parent is our shell -----------------------------------------
newrec
OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$FAKE FAKE_OC_RECORD=$rec "$B" bootstrap cluster --x 1 \
	>"$tmp/out" 2>"$tmp/err" &
pid=$!
wait "$pid"
rc=$?
if [ "$(field pid)" = "$pid" ] && [ "$(field ppid)" = "$$" ] && [ "$rc" -eq 0 ]; then
	ok "pid: op-conductor runs as the same process ($pid), child of the caller ($$)"
else
	bad "pid: launched $pid from $$, fake reports pid=$(field pid) ppid=$(field ppid), rc=$rc"
fi

# the same through `exec` in a subshell whose pid is known
newrec
(
	export OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$FAKE FAKE_OC_RECORD=$rec
	echo "$BASHPID" >"$tmp/subshell.pid"
	exec "$B" bootstrap cluster
) >/dev/null 2>&1
[ "$(field pid)" = "$(cat "$tmp/subshell.pid")" ] &&
	ok "pid: exec from a subshell keeps its pid through op-conductor-init into op-conductor" ||
	bad "pid: subshell $(cat "$tmp/subshell.pid"), fake $(field pid)"

# ---- exit status -------------------------------------------------------------
for code in 0 1 42 2 255; do
	newrec
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$FAKE FAKE_OC_RECORD=$rec FAKE_OC_EXIT=$code \
		"$B" bootstrap cluster --some.flag v >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$code" ] && [ "$(field state)" = exited ] && [ ! -s "$tmp/err" ] &&
		ok "exit: status $code is op-conductor's" ||
		bad "exit: want $code, got $rc (state=$(field state), stderr: $(head -c 200 "$tmp/err"))"
done

# ---- SIGTERM goes to op-conductor ---------------------------------------------
newrec
OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$FAKE FAKE_OC_RECORD=$rec FAKE_OC_WAIT=1 \
	"$B" bootstrap cluster --wait >"$tmp/out" 2>"$tmp/err" &
pid=$!
for ((t = 0; t < 200; t++)); do
	[ "$(field state)" = ready ] && break
	sleep 0.05
done
if [ "$(field state)" != ready ]; then
	bad "signal: the fake never became ready"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
else
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" -eq 143 ] && [ "$(field state)" = term ] && [ "$(field pid)" = "$pid" ] &&
		ok "signal: SIGTERM to pid $pid reached op-conductor, which died of it (status 143)" ||
		bad "signal: rc=$rc state=$(field state) pid=$(field pid) (want 143, term, $pid)"
fi

# ---- environment as is ------------------------------------------------------------
newrec
envs=(
	"OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$FAKE" "FAKE_OC_RECORD=$rec"
	"SPACED=a b  c" "WEIRD=x=y=z" "EMPTY=" $'NEWLINE=l1\nl2' "UTF8=wörld"
	"OP_CONDUCTOR_NODE_RPC=http://node:9545" "OP_CONDUCTOR_RAFT_SERVER_ID=sequencer-9"
	"OP_CONDUCTOR_INIT_NODES=a:1,b:2" "lower_case=1" "PATH=/nowhere"
)
env -i "${envs[@]}" "$B" bootstrap cluster >"$tmp/out" 2>"$tmp/err"
rc=$?
printf '%s\0' "${envs[@]}" >"$tmp/want.env"
if [ "$rc" -eq 0 ] && cmp -s "$tmp/want.env" "$rec.env"; then
	ok "env: exactly the caller's ${#envs[@]} variables, in order, byte for byte"
else
	bad "env: rc=$rc; want $(tr '\0' '|' <"$tmp/want.env"); got $(tr '\0' '|' <"$rec.env" 2>/dev/null)"
fi
newrec
MY_TEST_VAR="v 1" OP_CONDUCTOR_CONSENSUS_PORT=50051 OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$FAKE \
	FAKE_OC_RECORD=$rec "$B" bootstrap cluster >/dev/null 2>&1
tr '\0' '\n' <"$rec.env" | grep -qx 'MY_TEST_VAR=v 1' &&
	tr '\0' '\n' <"$rec.env" | grep -qx 'OP_CONDUCTOR_CONSENSUS_PORT=50051' &&
	ok "env: variables set by the caller reach op-conductor" ||
	bad "env: MY_TEST_VAR / OP_CONDUCTOR_CONSENSUS_PORT missing"

# ---- which binary -------------------------------------------------------------------
newrec
PATH="$tmp/pathA:$PATH" OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=$tmp/varB/fake-b FAKE_OC_RECORD=$rec \
	"$B" bootstrap cluster a >/dev/null 2>"$tmp/err"
[ "$(field exe)" = "$tmp/varB/fake-b" ] && argv_is "binary: the variable beats PATH (argv[0] = it)" "$tmp/varB/fake-b" a ||
	bad "binary: variable vs PATH: ran $(field exe)"

newrec
PATH="$tmp/empty1:$tmp/noexec:$tmp/pathA:$PATH" FAKE_OC_RECORD=$rec \
	"$B" bootstrap cluster a >/dev/null 2>"$tmp/err"
[ "$(field exe)" = "$tmp/pathA/op-conductor" ] &&
	argv_is "binary: op-conductor from PATH, skipping a missing and a non-executable one" "$tmp/pathA/op-conductor" a ||
	bad "binary: PATH search ran '$(field exe)': $(cat "$tmp/err")"

newrec
PATH="$tmp/pathA:$PATH" OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN= FAKE_OC_RECORD=$rec \
	"$B" bootstrap cluster >/dev/null 2>&1
[ "$(field exe)" = "$tmp/pathA/op-conductor" ] && ok "binary: an empty variable counts as unset" ||
	bad "binary: empty variable ran '$(field exe)'"

newrec
PATH="$tmp/empty1:$tmp/varB" OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=fake-b FAKE_OC_RECORD=$rec \
	"$B" bootstrap cluster >/dev/null 2>&1
[ "$(field exe)" = "$tmp/varB/fake-b" ] && ok "binary: a bare name in the variable is looked up in PATH" ||
	bad "binary: bare name ran '$(field exe)'"

newrec
(cd "$tmp/fake" && OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=./op-conductor FAKE_OC_RECORD=$rec \
	"$B" bootstrap cluster >/dev/null 2>&1)
[ "$(field exe)" = "$tmp/fake/op-conductor" ] && argv_is "binary: a relative path in the variable" ./op-conductor ||
	bad "binary: relative path ran '$(field exe)'"

# missing NAME KEYWORDS... -- ENV...: exit 1, one line "op-conductor-init: ..." holding
# every keyword, nothing on stdout, nothing executed
missing() {
	local name=$1 kws=() k line
	shift
	while [ "$1" != -- ]; do kws+=("$1"); shift; done
	shift
	newrec
	env "$@" FAKE_OC_RECORD=$rec "$B" bootstrap cluster --raft.server.id s1 >"$tmp/out" 2>"$tmp/err"
	rc=$?
	line=$(cat "$tmp/err")
	if [ "$rc" -ne 1 ] || [ -s "$tmp/out" ] || [ -e "$rec.argv" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] ||
		[ "${line#op-conductor-init: }" = "$line" ]; then
		bad "missing: $name: rc=$rc, executed=$([ -e "$rec.argv" ] && echo yes || echo no), stderr: $line"
		return
	fi
	for k in "${kws[@]}"; do
		case $line in *"$k"*) ;; *) bad "missing: $name: '$k' not in: $line"; return ;; esac
	done
	ok "missing: $name -> exit 1: $line"
}
missing "variable names a file that does not exist" \
	"$tmp/none/op-conductor" "does not exist" OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN -- \
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$tmp/none/op-conductor"
missing "variable names a non-executable file" \
	"$tmp/noexec/op-conductor" "not executable" -- \
	OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$tmp/noexec/op-conductor"
missing "variable names a directory" \
	"is a directory" -- OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$tmp/pathA"
missing "variable set: PATH is not tried instead" \
	"$tmp/none/x" -- PATH="$tmp/pathA:$PATH" OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN="$tmp/none/x"
missing "no variable, no op-conductor in PATH: every path tried is listed" \
	"$tmp/empty1/op-conductor" "$tmp/empty2/op-conductor" "$tmp/noexec/op-conductor" "not executable" \
	"OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=" -- \
	PATH="$tmp/empty1:$tmp/empty2:$tmp/noexec"
missing "bare name in the variable not in PATH" \
	"fake-b" "$tmp/empty1/fake-b" -- \
	PATH="$tmp/empty1" OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=fake-b

# ---- help ------------------------------------------------------------------------------
for h in --help -h -help; do
	runboot "$h" --raft.server.id s1
	[ "$rc" -eq 0 ] && [ ! -e "$rec.argv" ] && [ ! -s "$tmp/err" ] &&
		grep -q '^usage: op-conductor-init bootstrap cluster \[--json\] \[op-conductor flags \.\.\.\]' "$tmp/out" &&
		grep -q 'op-conductor --help' "$tmp/out" && grep -q OP_CONDUCTOR_INIT_SKIP_PREFLIGHT "$tmp/out" &&
		grep -q OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN "$tmp/out" &&
		ok "help: bootstrap cluster $h prints our help, ending with op-conductor's, and runs nothing" ||
		bad "help: $h: rc=$rc executed=$([ -e "$rec.argv" ] && echo yes || echo no)"
done
cp "$tmp/out" "$tmp/help.cluster"
"$B" help bootstrap cluster >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && cmp -s "$tmp/out" "$tmp/help.cluster" &&
	ok "help: 'help bootstrap cluster' prints the same text" ||
	bad "help: 'help bootstrap cluster' differs (rc=$rc)"
"$B" bootstrap --help >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && grep -q 'bootstrap cluster' "$tmp/out" && [ ! -s "$tmp/err" ] &&
	ok "help: bootstrap --help lists the subcommands" || bad "help: bootstrap --help (rc=$rc)"
"$B" bootstrap >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && grep -q '^op-conductor-init: .*cluster' "$tmp/err" &&
	ok "help: bootstrap alone is a usage error naming cluster (exit 2)" ||
	bad "help: bootstrap alone: rc=$rc, stderr: $(cat "$tmp/err")"
"$B" --help >"$tmp/out" 2>&1
grep -q '^  bootstrap cluster ' "$tmp/out" && ok "help: the main help lists bootstrap cluster" ||
	bad "help: main help lacks bootstrap cluster"

finish
