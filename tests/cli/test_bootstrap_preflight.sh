#!/usr/bin/env bash
# Proves: the preflight of `bootstrap cluster` reads op-conductor's own
# --raft.storage.dir / --raft.server.id / --raft.bootstrap (every Go flag
# form, and OP_CONDUCTOR_RAFT_* variables, the command line winning), and
#   - valid state made by `raft generate` -> op-conductor is executed, with
#     argv unchanged, no descriptor of ours left open and no lock left on the
#     .db files (the fake takes LOCK_EX|LOCK_NB on both, as bbolt will);
#   - corrupted state -> exit 1, the problems named on stderr, no exec;
#   - a state file locked by another process -> exit 1 naming the lock;
#   - --raft.bootstrap on a node that has state -> a warning, then the exec;
#     the warning and the note on a new node say what op-conductor does
#     (optimism PR 14927: a paused first start, later ones unpaused; v1.12.2 and
#     older: no start);
#   - a node without state -> exec, silently;
#   - OP_CONDUCTOR_INIT_SKIP_PREFLIGHT=true -> no preflight at all.
# Flags op-conductor itself would not read (after "--" or after the first
# positional argument) are not read by the preflight either.
#
# Env: OCI_BIN, OCI_SRC (for the fake's source), OCI_SHARED (corrupt vectors).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_SHARED
B=$OCI_BIN
CORRUPT=$OCI_SHARED/vectors/corrupt
make_tmp oci-bootpf
holder=
cleanup_hook() { [ -n "$holder" ] && kill "$holder" 2>/dev/null; }

unset_env 'OP_CONDUCTOR_[A-Z_]*' 'FAKE_OC_[A-Z_]*'

build_fake_oc

# S: s1 valid, s2 raft-log.db with both meta checksums broken, s3 entry 1's
# msgpack broken, s4 meta page 0 damaged (bbolt uses meta 1: a warning), s5
# valid and locked later; s9 has no state at all.
S=$tmp/state
if ! "$B" raft generate --nodes n1:50050,n2:50050,n3:50050,n4:50050,n5:50050 \
	--server-ids s1,s2,s3,s4,s5 --initial-leader s1 --output-dir "$S" >"$tmp/gen.out" 2>&1; then
	bad "raft generate failed: $(cat "$tmp/gen.out")"
	finish
fi
cp "$CORRUPT/b-both-meta-checksums.db" "$S/s2/raft-log.db"
cp "$CORRUPT/e-entry1-bad-msgpack.db" "$S/s3/raft-log.db"
cp "$CORRUPT/a-meta0-checksum.db" "$S/s4/raft-log.db"
mkdir -p "$S/s9"
LOCKS=$S/s1/raft-log.db:$S/s1/raft-stable.db

n=0
# pf ARGS...: runs the tool (extra environment via `env` words in $ENVS);
# sets rc, $tmp/out, $tmp/err, rec
ENVS=()
pf() {
	n=$((n + 1))
	rec=$tmp/rec$n
	env ${ENVS[@]+"${ENVS[@]}"} FAKE_OC_RECORD=$rec FAKE_OC_LOCK=$LOCKS \
		"$B" bootstrap cluster "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
field() { sed -n "s/^$1=//p" "$rec" 2>/dev/null | tail -n 1; }
ran() { [ -e "$rec.argv" ] || [ -e "$rec" ]; }
errtext() { head -c 600 "$tmp/err" | tr '\n' '|'; }

# expect_exec NAME [STDERR-REGEX]: executed with exit 0; stderr empty, or
# matching the (grep -E) regex when one is given
expect_exec() {
	local name=$1 re=${2-}
	if [ "$rc" -ne 0 ] || ! ran; then
		bad "$name: want exec, got rc=$rc, stderr: $(errtext)"
	elif [ -z "$re" ] && [ -s "$tmp/err" ]; then
		bad "$name: executed, but stderr not empty: $(errtext)"
	elif [ -n "$re" ] && ! grep -Eq -- "$re" "$tmp/err"; then
		bad "$name: executed, but stderr lacks /$re/: $(errtext)"
	else
		ok "$name"
	fi
}

# expect_refusal NAME REGEX...: exit 1, nothing executed, stdout empty, the
# first stderr line starts with "op-conductor-init: " and stderr matches
# every regex (grep -Ei)
expect_refusal() {
	local name=$1 re
	shift
	if [ "$rc" -ne 1 ] || ran || [ -s "$tmp/out" ]; then
		bad "$name: want refusal, got rc=$rc executed=$(ran && echo yes || echo no), stderr: $(errtext)"
		return
	fi
	if ! head -n 1 "$tmp/err" | grep -q '^op-conductor-init: bootstrap cluster: '; then
		bad "$name: stderr does not start with the prefix: $(errtext)"
		return
	fi
	for re in "$@"; do
		grep -Eqi -- "$re" "$tmp/err" || { bad "$name: stderr lacks /$re/: $(errtext)"; return; }
	done
	ok "$name: $(head -n 1 "$tmp/err" | cut -c1-160)"
}

# ---- valid state -----------------------------------------------------------------
ENVS=(OP_CONDUCTOR_INIT_SKIP_PREFLIGHT=true)
pf --raft.storage.dir "$S" --raft.server.id s1
baseline_fds=$(field fds)
ENVS=()
args=(--raft.storage.dir "$S" --raft.server.id s1 --node.rpc "http://a b" "" --x=)
pf "${args[@]}"
expect_exec "valid: generated state for s1 -> op-conductor runs, nothing said"
printf '%s\0' "$OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN" "${args[@]}" >"$tmp/want.argv"
cmp -s "$tmp/want.argv" "$rec.argv" && ok "valid: argv unchanged by the preflight" ||
	bad "valid: argv changed by the preflight"
[ "$(field fds)" = "$baseline_fds" ] && [ -n "$baseline_fds" ] &&
	ok "valid: no descriptor left open by the preflight (fds: $baseline_fds)" ||
	bad "valid: fds '$(field fds)' after preflight vs '$baseline_fds' without"
if grep -qx "lock=$S/s1/raft-log.db:ok" "$rec" && grep -qx "lock=$S/s1/raft-stable.db:ok" "$rec"; then
	ok "valid: op-conductor can take LOCK_EX on both files at once"
else
	bad "valid: locks: $(grep '^lock=' "$rec" | tr '\n' ' ')"
fi
pf --raft.storage.dir "$S" --raft.server.id s9
expect_exec "new node: a node directory without state -> exec, silently"
pf --raft.storage.dir "$tmp/nowhere" --raft.server.id s1
expect_exec "new node: a storage dir that does not exist yet -> exec, silently"
pf --node.rpc http://x
expect_exec "no raft flags at all -> exec (op-conductor reports what is missing)"

# ---- corrupted state -------------------------------------------------------------
pf --raft.storage.dir "$S" --raft.server.id s2
expect_refusal "corrupt: both meta checksums broken -> refused" "$S/s2" "invalid" "raft-log\.db" "checksum|meta"
pf --raft.storage.dir "$S" --raft.server.id s3
expect_refusal "corrupt: entry 1 does not decode -> refused" "$S/s3" "raft-log\.db" "index 1|entry 1|msgpack|decode"
pf --raft.storage.dir "$S" --raft.server.id s4
expect_exec "warning only: meta page 0 damaged (bbolt uses meta 1) -> warning, exec" "warning"

# every way op-conductor reads the two flags (proved on the corrupt node: a
# flag that was not read would let the exec happen)
forms=(
	"--raft.storage.dir $S --raft.server.id s2"
	"--raft.storage.dir=$S --raft.server.id=s2"
	"-raft.storage.dir $S -raft.server.id s2"
	"-raft.storage.dir=$S -raft.server.id=s2"
	"--raft.server.id s2 --node.rpc http://x --raft.storage.dir $S"
	"--raft.server.id s1 --raft.storage.dir $S --raft.server.id s2"
	"--paused --raft.storage.dir $S --raft.server.id s2"
	"--rpc.enable-proxy=false --raft.storage.dir $S --raft.server.id s2"
	"--some.future-bool --raft.storage.dir $S --raft.server.id s2"
	"--log.level debug --raft.bootstrap --raft.storage.dir $S --raft.server.id s2"
)
for f in "${forms[@]}"; do
	# shellcheck disable=SC2086 # word splitting wanted; $S has no spaces
	pf $f
	expect_refusal "flag forms: $f" "$S/s2"
done
ENVS=(OP_CONDUCTOR_RAFT_STORAGE_DIR="$S" OP_CONDUCTOR_RAFT_SERVER_ID=s2)
pf --node.rpc http://x
expect_refusal "env: OP_CONDUCTOR_RAFT_STORAGE_DIR + OP_CONDUCTOR_RAFT_SERVER_ID are read" "$S/s2"
ENVS=(OP_CONDUCTOR_RAFT_STORAGE_DIR="$S" OP_CONDUCTOR_RAFT_SERVER_ID=s2)
pf --raft.server.id s1
expect_exec "env: --raft.server.id beats OP_CONDUCTOR_RAFT_SERVER_ID (valid s1 over corrupt s2)"
ENVS=(OP_CONDUCTOR_RAFT_STORAGE_DIR="$tmp/nowhere" OP_CONDUCTOR_RAFT_SERVER_ID=s1)
pf --raft.server.id=s2 --raft.storage.dir="$S"
expect_refusal "env: the command line beats both variables (corrupt s2 over valid s1)" "$S/s2"
ENVS=()

# flags op-conductor would not read are not read by the preflight either
pf -- --raft.storage.dir "$S" --raft.server.id s2
expect_exec "not read: flags after --"
pf positional --raft.storage.dir "$S" --raft.server.id s2
expect_exec "not read: flags after the first positional argument"
pf --paused true --raft.storage.dir "$S" --raft.server.id s2
expect_exec "not read: '--paused true' ends the flags (Go booleans take no next argument)"
pf --raft.storage.dir "$S" --raft.server.id s2 --help
expect_exec "not checked: --help among op-conductor's flags (it only prints its help)"
pf --raft.storage.dir "$S" --raft.server.id s2 --version
expect_exec "not checked: --version among op-conductor's flags (it only prints its version)"

# ---- --raft.bootstrap on existing state ------------------------------------------------
W='warning: --raft.bootstrap is true but .*s1 already holds Raft state'
for f in --raft.bootstrap --raft.bootstrap=true -raft.bootstrap -raft.bootstrap=1 "--raft.bootstrap=false --raft.bootstrap"; do
	# shellcheck disable=SC2086
	pf --raft.storage.dir "$S" --raft.server.id s1 $f
	expect_exec "bootstrap: $f on a node with state -> warning, exec" "$W"
done
[ "$(grep -c . "$tmp/err")" -eq 1 ] && ok "bootstrap: the warning is one line" ||
	bad "bootstrap: warning has $(grep -c . "$tmp/err") lines"
ENVS=(OP_CONDUCTOR_RAFT_BOOTSTRAP=true)
pf --raft.storage.dir "$S" --raft.server.id s1
expect_exec "bootstrap: OP_CONDUCTOR_RAFT_BOOTSTRAP=true -> warning naming the variable, exec" \
	'warning: OP_CONDUCTOR_RAFT_BOOTSTRAP is true but .*s1 already holds Raft state'
pf --raft.storage.dir "$S" --raft.server.id s1 --raft.bootstrap=false
expect_exec "bootstrap: --raft.bootstrap=false beats the variable -> no warning"
ENVS=()
pf --raft.storage.dir "$S" --raft.server.id s1 --raft.bootstrap=false
expect_exec "bootstrap: --raft.bootstrap=false -> no warning"
pf --raft.storage.dir "$S" --raft.server.id s1 --raft.bootstrap
expect_exec "bootstrap: the warning says what op-conductor versions do (v1.13.7+: ErrCantBootstrap ignored, not paused; v1.12.2: no start)" \
	"v1.13.7 and later \(optimism PR 14927\).*start as usual, not paused \(NewRaftConsensus returns raft's ErrCantBootstrap, which initConsensus ignores.*up to v1.12.2 fail to start"
pf --raft.storage.dir "$S" --raft.server.id s9 --raft.bootstrap
expect_exec "bootstrap: --raft.bootstrap on a new node -> a note: the first start is paused (PR 14927), conductor_resume" \
	"note: --raft.bootstrap is true and .*s9 holds no Raft state: .*starts the conductor paused; add the other members, then resume it with conductor_resume"
pf --raft.storage.dir "$S" --raft.server.id s2 --raft.bootstrap
expect_refusal "bootstrap: --raft.bootstrap does not get corrupt state through" "$S/s2"

# ---- skipping the preflight ----------------------------------------------------------------
for v in true 1 TRUE; do
	ENVS=(OP_CONDUCTOR_INIT_SKIP_PREFLIGHT=$v)
	pf --raft.storage.dir "$S" --raft.server.id s2 --raft.bootstrap
	expect_exec "skip: OP_CONDUCTOR_INIT_SKIP_PREFLIGHT=$v -> corrupt state not checked, no warning"
done
ENVS=(OP_CONDUCTOR_INIT_SKIP_PREFLIGHT=false)
pf --raft.storage.dir "$S" --raft.server.id s2
expect_refusal "skip: OP_CONDUCTOR_INIT_SKIP_PREFLIGHT=false still checks" "$S/s2"
ENVS=(OP_CONDUCTOR_INIT_SKIP_PREFLIGHT=yes)
pf --raft.storage.dir "$S" --raft.server.id s1
if [ "$rc" -eq 2 ] && ! ran && grep -q '^op-conductor-init: .*OP_CONDUCTOR_INIT_SKIP_PREFLIGHT must be true or false' "$tmp/err"; then
	ok "skip: a non-boolean value is a usage error (exit 2), nothing executed"
else
	bad "skip: =yes gave rc=$rc executed=$(ran && echo yes || echo no): $(errtext)"
fi
ENVS=()

# ---- a state file locked by a running process ------------------------------------------------
# the subshell becomes `sleep`, holding the locked descriptor: killing it frees the lock
(
	exec 9<"$S/s1/raft-log.db"
	flock -x 9
	exec sleep 60
) &
holder=$!
for ((t = 0; t < 100; t++)); do
	flock -n -s "$S/s1/raft-log.db" true 2>/dev/null || break
	sleep 0.05
done
start=$SECONDS
pf --raft.storage.dir "$S" --raft.server.id s1
took=$((SECONDS - start))
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=
expect_refusal "locked: raft-log.db held with LOCK_EX -> refused after the lock timeout (${took}s)" "lock" "$S/s1"
[ "$took" -le 20 ] && ok "locked: gave up in ${took}s (timeout 5s per file)" || bad "locked: took ${took}s"

finish
