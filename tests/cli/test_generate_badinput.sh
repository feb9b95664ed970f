#!/usr/bin/env bash
# Proves: `raft generate` rejects bad input with the right exit status (2 for
# usage errors, 1 for refusals and failures), exactly one line on stderr that
# names the problem, nothing on stdout, and the filesystem left exactly as it
# was (names, types, sizes, modes, mtimes, link targets and contents, of the
# whole work directory, before vs after). Then the positive side of the CLI
# contract: every flag form, environment variables, command line beating the
# environment, --force, log flags, --help, --version.
#
# Env: OCI_BIN (the binary), OCI_TESTDATA (source testdata/, for gen/three and
# gen/five, whose outputs the positive tests cmp against).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_TESTDATA
B=$OCI_BIN
V3=$OCI_TESTDATA/gen/three
V5=$OCI_TESTDATA/gen/five
make_tmp oci-genbad
n=0

# the clearly-valid cluster most negative cases start from
N=a.example:50050,b.example:50050,c.example:50050
I=s1,s2,s3
# the reference case gen/three (positive tests cmp against it)
N3=sequencer-1.ns.svc.cluster.local:50050,sequencer-2.ns.svc.cluster.local:50050,sequencer-3.ns.svc.cluster.local:50050
I3=sequencer-1,sequencer-2,sequencer-3
N5=$N3,sequencer-4.ns.svc.cluster.local:50050,sequencer-5.ns.svc.cluster.local:50050
I5=$I3,sequencer-4,sequencer-5
LONG=$(printf 'x%.0s' $(seq 300))
# every environment variable the tool reads is cleared for the tests
unset_env 'OP_CONDUCTOR_INIT_[A-Z_]*'

# A listing of everything under $1 that changes if anything is created,
# removed, renamed (dir mtimes), chmod'ed, relinked or rewritten.
snap() {
	(cd "$1" && find . -printf '%p %y %s %m %T@ %l\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}

# neg NAME RC KEYWORD SETUP CMD...
#   runs SETUP (shell code) in a fresh work dir W, snapshots W, runs CMD
#   there, and checks: exit RC, stdout empty, stderr one line starting with
#   "op-conductor-init: " and containing KEYWORD, W unchanged.
neg() {
	local name=$1 want=$2 kw=$3 setup=$4 got problems=""
	shift 4
	n=$((n + 1))
	W=$tmp/neg$n
	mkdir -p "$W"
	(cd "$W" && eval "$setup") || { bad "$name: setup failed"; return; }
	snap "$W" >"$tmp/before"
	(cd "$W" && "$@") >"$tmp/stdout" 2>"$tmp/stderr"
	got=$?
	snap "$W" >"$tmp/after"
	[ "$got" -eq "$want" ] || problems+=" exit $got, want $want;"
	[ -s "$tmp/stdout" ] && problems+=" stdout not empty;"
	[ "$(wc -l <"$tmp/stderr")" -eq 1 ] && [ "$(tail -c1 "$tmp/stderr" | od -An -c | tr -d ' ')" = '\n' ] ||
		problems+=" stderr is not exactly one line;"
	grep -q '^op-conductor-init: ' "$tmp/stderr" || problems+=" stderr lacks the program prefix;"
	grep -qF -- "$kw" "$tmp/stderr" || problems+=" stderr lacks \"$kw\";"
	cmp -s "$tmp/before" "$tmp/after" || problems+=" the work directory changed: $(diff "$tmp/before" "$tmp/after" | grep '^[<>]' | head -3 | tr '\n' ' ');"
	if [ -n "$problems" ]; then
		bad "$name:$problems stderr: $(head -c 400 "$tmp/stderr")"
	else
		ok "$name -> $want: $(cat "$tmp/stderr")"
	fi
}

G=("$B" raft generate)
O=(--output-dir out)
echo "# usage errors (exit 2)"
neg "missing --nodes" 2 "--nodes is required (or set OP_CONDUCTOR_INIT_NODES)" "" "${G[@]}" --server-ids $I --initial-leader s1 "${O[@]}"
neg "missing --server-ids" 2 "--server-ids is required" "" "${G[@]}" --nodes $N --initial-leader s1 "${O[@]}"
neg "missing --initial-leader" 2 "--initial-leader is required" "" "${G[@]}" --nodes $N --server-ids $I "${O[@]}"
neg "no flags at all (default ./raft-state not created)" 2 "--nodes is required" "" "${G[@]}"
neg "count mismatch" 2 "--nodes has 3 entries but --server-ids has 2" "" "${G[@]}" --nodes $N --server-ids s1,s2 --initial-leader s1 "${O[@]}"
neg "leader not in IDs" 2 '--initial-leader "s9" is not one of the server IDs' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s9 "${O[@]}"
neg "leader is not trimmed (as in Go)" 2 'is not one of the server IDs' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader " s1" "${O[@]}"
neg "duplicate IDs" 2 '--server-ids lists "s1" twice (entries 1 and 3)' "" "${G[@]}" --nodes $N --server-ids s1,s2,s1 --initial-leader s1 "${O[@]}"
neg "duplicate IDs after trimming" 2 'twice' "" "${G[@]}" --nodes $N --server-ids "s1, s2,s2 " --initial-leader s1 "${O[@]}"
neg "duplicate addresses" 2 "lists the same address twice" "" "${G[@]}" --nodes a.example:50050,b.example:50050,a.example:50050 --server-ids $I --initial-leader s1 "${O[@]}"
neg "duplicate addresses (host case)" 2 "same address twice (entries 1" "" "${G[@]}" --nodes a.example:50050,b.example:50050,A.EXAMPLE:50050 --server-ids $I --initial-leader s1 "${O[@]}"
neg "duplicate addresses (IPv6 spelling)" 2 "same address twice" "" "${G[@]}" --nodes "[::1]:5,[0:0::1]:5,c:5" --server-ids $I --initial-leader s1 "${O[@]}"
neg "empty ID" 2 "--server-ids entry 2 is empty" "" "${G[@]}" --nodes $N --server-ids s1,,s3 --initial-leader s1 "${O[@]}"
neg "blank ID (only spaces)" 2 "--server-ids entry 3 is empty" "" "${G[@]}" --nodes $N --server-ids "s1,s2,  " --initial-leader s1 "${O[@]}"
neg "ID ." 2 'entry 2 is ".", which cannot be a server directory name' "" "${G[@]}" --nodes $N --server-ids s1,.,s3 --initial-leader s1 "${O[@]}"
neg "ID .." 2 '"..", which cannot be' "" "${G[@]}" --nodes $N --server-ids s1,..,s3 --initial-leader s1 "${O[@]}"
neg "ID a/b" 2 "contains '/'" "" "${G[@]}" --nodes $N --server-ids s1,a/b,s3 --initial-leader s1 "${O[@]}"
neg "ID with control char" 2 '"s\x01x" contains a control character' "" "${G[@]}" --nodes $N --server-ids $'s1,s\x01x,s3' --initial-leader s1 "${O[@]}"
neg "ID with DEL" 2 'contains a control character' "" "${G[@]}" --nodes $N --server-ids $'s1,s\x7f,s3' --initial-leader s1 "${O[@]}"
neg "ID with newline inside" 2 '"s\nx" contains a control character' "" "${G[@]}" --nodes $N --server-ids $'s1,s\nx,s3' --initial-leader s1 "${O[@]}"
neg "ID longer than 255 bytes" 2 "is 300 bytes long" "" "${G[@]}" --nodes $N --server-ids "s1,$LONG,s3" --initial-leader s1 "${O[@]}"
neg "port 0" 2 'has port 0; ports are 1 to 65535' "" "${G[@]}" --nodes a:0,b:1,c:2 --server-ids $I --initial-leader s1 "${O[@]}"
neg "port 65536" 2 'has port 65536; ports are 1 to 65535' "" "${G[@]}" --nodes a:1,b:65536,c:2 --server-ids $I --initial-leader s1 "${O[@]}"
neg "port huge" 2 'ports are 1 to 65535' "" "${G[@]}" --nodes a:1,b:99999999999999999999999,c:2 --server-ids $I --initial-leader s1 "${O[@]}"
neg "non-numeric port" 2 '"b:http" has a port that is not a number' "" "${G[@]}" --nodes a:1,b:http,c:2 --server-ids $I --initial-leader s1 "${O[@]}"
neg "negative port" 2 'not a number' "" "${G[@]}" --nodes a:1,b:-5,c:2 --server-ids $I --initial-leader s1 "${O[@]}"
neg "missing port" 2 '"b.example" is not host:port' "" "${G[@]}" --nodes a:1,b.example,c:2 --server-ids $I --initial-leader s1 "${O[@]}"
neg "empty port" 2 'has an empty port' "" "${G[@]}" --nodes a:1,b:,c:2 --server-ids $I --initial-leader s1 "${O[@]}"
neg "empty host" 2 'has an empty host' "" "${G[@]}" --nodes a:1,:50050,c:2 --server-ids $I --initial-leader s1 "${O[@]}"
neg "empty address" 2 '--nodes entry 2 is empty' "" "${G[@]}" --nodes a:1,,c:2 --server-ids $I --initial-leader s1 "${O[@]}"
neg "malformed IPv6 [::1" 2 "has '[' without ']'" "" "${G[@]}" --nodes "a:1,[::1,c:2" --server-ids $I --initial-leader s1 "${O[@]}"
neg "invalid IPv6 [zz::1]:50" 2 'has an invalid IPv6 address "zz::1"' "" "${G[@]}" --nodes "a:1,[zz::1]:50,c:2" --server-ids $I --initial-leader s1 "${O[@]}"
neg "IPv6 without port [::1]" 2 'is not [ipv6]:port' "" "${G[@]}" --nodes "a:1,[::1],c:2" --server-ids $I --initial-leader s1 "${O[@]}"
neg "IPv6 without brackets" 2 'too many colons' "" "${G[@]}" --nodes "a:1,::1:50,c:2" --server-ids $I --initial-leader s1 "${O[@]}"
neg "invalid IPv4" 2 'has an invalid IPv4 address "10.0.0.256"' "" "${G[@]}" --nodes "a:1,10.0.0.256:50,c:2" --server-ids $I --initial-leader s1 "${O[@]}"
neg "space inside address" 2 'contains a space or control character' "" "${G[@]}" --nodes "a:1,b c:50,c:2" --server-ids $I --initial-leader s1 "${O[@]}"
neg "term 0" 2 '--initial-term must be a decimal integer from 1 to 18446744073709551615, got "0"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --initial-term 0 "${O[@]}"
neg "term -1" 2 'got "-1"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --initial-term=-1 "${O[@]}"
neg "term 2^64" 2 'got "18446744073709551616"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --initial-term 18446744073709551616 "${O[@]}"
neg "term abc" 2 '--initial-term must be' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --initial-term abc "${O[@]}"
neg "term 1x" 2 'got "1x"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --initial-term 1x "${O[@]}"
neg "term empty" 2 'got ""' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --initial-term= "${O[@]}"
neg "term 010 (Go would read octal)" 2 'got "010"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --initial-term 010 "${O[@]}"
neg "term 0x10" 2 'got "0x10"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --initial-term 0x10 "${O[@]}"
neg "unknown flag" 2 'unknown flag "--bogus"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --bogus "${O[@]}"
neg "unknown flag with value" 2 'unknown flag "-output=x"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 -output=x
neg "bad bool --force=maybe" 2 '--force must be true or false, got "maybe"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --force=maybe "${O[@]}"
neg "bad bool --log.color=2" 2 '--log.color must be true or false' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --log.color=2 "${O[@]}"
neg "flag without value" 2 'flag --output-dir needs a value' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --output-dir
neg "bad flag syntax ---x" 2 'bad flag syntax "---nodes"' "" "${G[@]}" ---nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg "positional argument" 2 'unexpected argument "extra"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}" extra
neg "argument after --" 2 'unexpected argument "--force"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}" -- --force
neg "--force false (Go would force)" 2 'write --force=false to set a boolean flag' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}" --force false
neg "empty --output-dir" 2 '--output-dir is empty' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --output-dir ""
neg "bad --log.level" 2 '--log.level must be one of trace, debug, info, warn, error, crit, got "loud"' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --log.level=loud "${O[@]}"
neg "bad --log.format" 2 '--log.format must be one of' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --log.format xml "${O[@]}"
neg "env: OP_CONDUCTOR_INIT_INITIAL_TERM=0" 2 'OP_CONDUCTOR_INIT_INITIAL_TERM must be a decimal integer from 1' "" env OP_CONDUCTOR_INIT_INITIAL_TERM=0 "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg "env: OP_CONDUCTOR_INIT_FORCE=yes" 2 'OP_CONDUCTOR_INIT_FORCE must be true or false, got "yes"' "" env OP_CONDUCTOR_INIT_FORCE=yes "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg "env: bad OP_CONDUCTOR_INIT_NODES named in the error" 2 'OP_CONDUCTOR_INIT_NODES entry 2 "b" is not host:port' "" env OP_CONDUCTOR_INIT_NODES=a:1,b,c:3 "${G[@]}" --server-ids $I --initial-leader s1 "${O[@]}"
neg "env: OP_CONDUCTOR_INIT_LOG_LEVEL=verbose" 2 'OP_CONDUCTOR_INIT_LOG_LEVEL must be one of' "" env OP_CONDUCTOR_INIT_LOG_LEVEL=verbose "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg "unknown command" 2 'unknown command raft "frobnicate"' "" "$B" raft frobnicate --nodes $N
neg "unknown group" 2 'unknown command "frob"' "" "$B" frob
neg "no command" 2 'missing command' "" "$B"
neg "unknown global flag" 2 'unknown flag "--bogus"' "" "$B" --bogus

echo "# refusals and failures (exit 1)"
PRE="\"$B\" raft generate --nodes $N --server-ids $I --initial-leader s1 --output-dir out >/dev/null"
neg "existing state without --force (names all 6 files)" 1 'refusing to overwrite 6 existing state files without --force: out/s1/raft-log.db, out/s1/raft-stable.db, out/s2/raft-log.db, out/s2/raft-stable.db, out/s3/raft-log.db, out/s3/raft-stable.db' "$PRE" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg "one existing state file" 1 'refusing to overwrite 1 existing state file without --force: out/s2/raft-stable.db' "mkdir -p out/s2 && echo keep >out/s2/raft-stable.db" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg "existing state with --force=false" 1 'without --force' "$PRE" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --force=false "${O[@]}"
neg "existing state, OP_CONDUCTOR_INIT_FORCE=true but --force=0" 1 'without --force' "$PRE" env OP_CONDUCTOR_INIT_FORCE=true "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --force=0 "${O[@]}"
neg "existing state, trailing slash on --output-dir" 1 'refusing to overwrite 6' "$PRE" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --output-dir out//
neg "output dir is a regular file" 1 '--output-dir out exists and is not a directory' "echo x >out" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg "output dir below a regular file" 1 'not a directory' "echo x >file" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --output-dir file/out
neg "output dir deep below a regular file" 1 'not a directory' "echo x >file" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --output-dir file/a/b/c
neg "symlinked output dir" 1 '--output-dir out is a symbolic link' "mkdir real && ln -s real out" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg "symlinked output dir with trailing slash" 1 'is a symbolic link' "mkdir real && ln -s real out" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --output-dir out/
neg "dangling symlink as output dir" 1 'is a symbolic link' "ln -s nowhere out" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg "symlinked node dir" 1 'out/s2 is a symbolic link' "mkdir -p out elsewhere && ln -s ../elsewhere out/s2" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg "symlinked .db file, even with --force" 1 'out/s3/raft-log.db is a symbolic link' "mkdir -p out/s3 && echo x >target && ln -s ../../target out/s3/raft-log.db" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --force "${O[@]}"
neg "node path is a regular file" 1 'out/s2 exists and is not a directory' "mkdir out && echo x >out/s2" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
neg ".db path is a directory, even with --force" 1 'out/s1/raft-stable.db exists and is not a regular file' "mkdir -p out/s1/raft-stable.db" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --force "${O[@]}"
neg "output dir in a place that cannot be written (/proc)" 1 '/proc/' "" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --output-dir /proc/oci-no-such-dir/out
# permission bits bind only a user without CAP_DAC_OVERRIDE: as root (CI)
# the command runs as nobody (setpriv), in work directories nobody owns
AS=()
if [ "$(id -u)" -eq 0 ]; then
	chmod 0755 "$tmp"
	# (a coverage build's counters belong to root: nobody's libgcov would
	# say on stderr that it cannot write them; it writes them under
	# $tmp/gcov instead, which is not counted)
	mkdir -p "$tmp/gcov" && chown 65534:65534 "$tmp/gcov"
	AS=(setpriv --reuid=65534 --regid=65534 --clear-groups env GCOV_PREFIX="$tmp/gcov")
	# nobody runs it through env, as the cases do (setpriv itself still
	# holds root's capabilities when it execs, so it is no probe); a binary
	# below a directory only root may enter (a build in /root, as in
	# fresh-check) is copied where nobody can run it
	runs_as_nobody() { (cd "$tmp" && "${AS[@]}" "$1" --version) >/dev/null 2>&1; }
	if command -v setpriv >/dev/null && ! runs_as_nobody "$B"; then
		mkdir -p "$tmp/nobody-bin" && cp "$B" "$tmp/nobody-bin/" &&
			chmod 0755 "$tmp/nobody-bin" "$tmp/nobody-bin/$(basename "$B")" &&
			runs_as_nobody "$tmp/nobody-bin/$(basename "$B")" &&
			B=$tmp/nobody-bin/$(basename "$B") && G=("$B" raft generate)
	fi
	if ! command -v setpriv >/dev/null || ! runs_as_nobody "$B"; then
		AS=()
		echo "SKIP unwritable output dir (0555): root, and nobody cannot run $B (no setpriv, or a path only root may enter)"
	fi
fi
if [ "$(id -u)" -ne 0 ] || [ ${#AS[@]} -gt 0 ]; then
	own() { [ ${#AS[@]} -eq 0 ] || chown -R 65534:65534 "$@"; }
	neg "unwritable output dir (0555)" 1 '--output-dir ro is not writable' "own . && mkdir ro && chmod 0555 ro" "${AS[@]}" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --output-dir ro
	neg "output dir below an unwritable dir (0555)" 1 'ro is not writable' "own . && mkdir ro && chmod 0555 ro" "${AS[@]}" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --output-dir ro/out
	neg "unwritable node dir (0555)" 1 'out/s2 is not writable' "mkdir -p out/s2 && own . && chmod 0555 out/s2" "${AS[@]}" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 "${O[@]}"
	neg "output dir below a directory that cannot be entered (0600)" 1 'out' "own . && mkdir -p no && chmod 0600 no" "${AS[@]}" "${G[@]}" --nodes $N --server-ids $I --initial-leader s1 --output-dir no/out
fi

echo "# accepted input"
# pos NAME SETUP CMD... : exit 0, stderr empty; then CHECK (shell code) must succeed
pos() {
	local name=$1 setup=$2 check=$3 got
	shift 3
	n=$((n + 1))
	W=$tmp/pos$n
	mkdir -p "$W"
	(cd "$W" && eval "$setup") || { bad "$name: setup failed"; return; }
	(cd "$W" && "$@") >"$tmp/stdout" 2>"$tmp/stderr"
	got=$?
	if [ "$got" -ne 0 ]; then
		bad "$name: exit $got: $(head -c 400 "$tmp/stderr")"
	elif [ -s "$tmp/stderr" ]; then
		bad "$name: stderr not empty: $(head -c 400 "$tmp/stderr")"
	elif ! (cd "$W" && eval "$check"); then
		bad "$name: check failed: $check"
	else
		ok "$name"
	fi
}
# same3 DIR: DIR holds exactly gen/three's files, cmp-identical
same() {
	local vec=$1 dir=$2 f
	[ "$( (cd "$vec" && find . -name '*.db') | LC_ALL=C sort)" = "$( (cd "$dir" && find . -mindepth 1 -not -type d) | LC_ALL=C sort)" ] || return 1
	for f in $(cd "$vec" && find . -name '*.db'); do cmp -s "$vec/$f" "$dir/$f" || return 1; done
}
same3() { same "$V3" "$1"; }

pos "--flag value forms, cmp-identical to gen/three" "" 'same3 out' "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --output-dir out
pos "--flag=value forms" "" 'same3 out' "${G[@]}" --nodes=$N3 --server-ids=$I3 --initial-leader=sequencer-1 --initial-term=1 --output-dir=out
pos "-flag=value forms" "" 'same3 out' "${G[@]}" -nodes=$N3 -server-ids=$I3 -initial-leader=sequencer-1 -output-dir=out
pos "-flag value forms" "" 'same3 out' "${G[@]}" -nodes $N3 -server-ids $I3 -initial-leader sequencer-1 -initial-term 1 -output-dir out
pos "all flags from the environment" "" 'same3 out' env OP_CONDUCTOR_INIT_NODES=$N3 OP_CONDUCTOR_INIT_SERVER_IDS=$I3 OP_CONDUCTOR_INIT_INITIAL_LEADER=sequencer-1 OP_CONDUCTOR_INIT_OUTPUT_DIR=out OP_CONDUCTOR_INIT_INITIAL_TERM=1 OP_CONDUCTOR_INIT_NETWORK=op-mainnet "${G[@]}"
pos "initial term from the environment (gen/five, term 7)" "" "same '$V5' out" env OP_CONDUCTOR_INIT_INITIAL_TERM=7 "${G[@]}" --nodes $N5 --server-ids $I5 --initial-leader sequencer-1 --output-dir out
pos "command line beats the environment" "" 'same3 out && [ ! -e envdir ]' env OP_CONDUCTOR_INIT_INITIAL_LEADER=sequencer-2 OP_CONDUCTOR_INIT_INITIAL_TERM=9 OP_CONDUCTOR_INIT_OUTPUT_DIR=envdir OP_CONDUCTOR_INIT_NODES=not-even-valid "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --initial-term 1 --output-dir out
pos "a flag given twice: the last wins" "" 'same3 out' "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-3 --initial-leader sequencer-1 --output-dir wrong --output-dir out
pos "items are trimmed like strings.TrimSpace (incl. U+00A0)" "" 'same3 out' "${G[@]}" --nodes " ${N3//,/ , }"$'\t' --server-ids $'\xc2\xa0'"${I3//,/ ,}"$'\xc2\xa0' --initial-leader sequencer-1 --output-dir out
pos "log flags are accepted" "" 'same3 out' "${G[@]}" --log.level=debug --log.format json --log.color --log.pid=false -log.level=WARN --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --output-dir out
pos "log flags from the environment" "" 'same3 out' env OP_CONDUCTOR_INIT_LOG_LEVEL=trace OP_CONDUCTOR_INIT_LOG_FORMAT=logfmt OP_CONDUCTOR_INIT_LOG_COLOR=true "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --output-dir out
pos "default output dir ./raft-state" "" 'same3 raft-state' "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1
pos "--output-dir with a trailing slash, parents created" "" 'same3 a/b/out' "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --output-dir a/b/out/
pos "parents of the output dir may be symlinks" "mkdir real && ln -s real link" 'same3 real/out' "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --output-dir link/out
PRE3="\"$B\" raft generate --nodes $N --server-ids $I3 --initial-leader sequencer-2 --initial-term 5 --output-dir out >/dev/null && echo garbage >out/sequencer-1/raft-log.db"
pos "--force overwrites, result cmp-identical" "$PRE3" 'same3 out' "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --output-dir out --force
pos "--force=true overwrites" "$PRE3" 'same3 out' "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --output-dir out --force=true
pos "OP_CONDUCTOR_INIT_FORCE=1 overwrites" "$PRE3" 'same3 out' env OP_CONDUCTOR_INIT_FORCE=1 "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --output-dir out
pos "existing empty node dirs need no --force" "mkdir -p out/sequencer-1 out/sequencer-3" 'same3 out' "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --output-dir out
pos "IPv6 addresses" "" '[ -f out/s3/raft-stable.db ]' "${G[@]}" --nodes "[::1]:50050,[fe80::1%eth0]:50050,10.0.0.1:1" --server-ids $I --initial-leader s3 --output-dir out
SUMMARY='grep -q "out/sequencer-3/raft-stable.db" "$tmp/stdout" && grep -q -- "--raft.bootstrap=false" "$tmp/stdout" && grep -q -- "raft.storage.dir" "$tmp/stdout" && grep -q "does NOT choose the first leader" "$tmp/stdout" && grep -q "campaigns at term 2" "$tmp/stdout"'
pos "summary: files, next steps, honest note" "" "$SUMMARY" "${G[@]}" --nodes $N3 --server-ids $I3 --initial-leader sequencer-1 --output-dir out
HELP='grep -q "^usage: op-conductor-init raft generate" "$tmp/stdout" && grep -q -- "--nodes" "$tmp/stdout" && grep -q OP_CONDUCTOR_INIT_INITIAL_TERM "$tmp/stdout" && [ -z "$(ls)" ]'
pos "raft generate --help" "" "$HELP" "${G[@]}" --help
pos "raft generate -h (after other flags)" "" "$HELP" "${G[@]}" --nodes x -h
pos "raft generate help" "" "$HELP" "${G[@]}" help
pos "help raft generate" "" "$HELP" "$B" help raft generate
pos "raft help generate" "" "$HELP" "$B" raft help generate
pos "--help lists raft generate" "" 'grep -q "raft generate" "$tmp/stdout"' "$B" --help
pos "-h" "" 'grep -q "^usage: op-conductor-init" "$tmp/stdout"' "$B" -h
pos "help" "" 'grep -q "^usage: op-conductor-init" "$tmp/stdout"' "$B" help
pos "raft --help lists generate" "" 'grep -q "raft generate" "$tmp/stdout"' "$B" raft --help
pos "--version" "" 'head -1 "$tmp/stdout" | grep -qx "op-conductor-init [0-9][0-9A-Za-z.+-]*" && grep -q "^commit: " "$tmp/stdout"' "$B" --version

n=$((n + 1))
if [ -w /dev/full ]; then
	W=$tmp/full$n
	mkdir -p "$W"
	(cd "$W" && "$B" --help >/dev/full 2>"$tmp/stderr")
	got=$?
	if [ "$got" -eq 1 ] && grep -q "standard output" "$tmp/stderr"; then
		ok "a failed write to stdout is exit 1"
	else
		bad "a failed write to stdout: exit $got, stderr: $(cat "$tmp/stderr")"
	fi
fi

finish
