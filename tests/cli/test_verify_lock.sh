#!/usr/bin/env bash
# Proves, for `raft verify` and `raft info`:
#   - a database held with flock(LOCK_EX) by another process (as a running
#     op-conductor holds it) makes them fail within --timeout with a message
#     naming the file and asking "is op-conductor running?" — never a hang;
#     the default timeout is 5 s; with --live they read the state anyway;
#   - in a cluster root, a locked node fails alone: the others are verified;
#   - they never write: sha256 and mtime of every file are unchanged after
#     every read mode (locked, --live, --json, --entries all, --full);
#   - usage errors exit 2 with one sentence on stderr (missing --state-dir,
#     bad --timeout / --entries, unknown flag, extra argument), the
#     environment (OP_CONDUCTOR_INIT_STATE_DIR) is read, --help exits 0.
#
# Env: OCI_BIN, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SHARED
B=$OCI_BIN
V=$OCI_SHARED/vectors
make_tmp oci-vlock
cleanup_hook() { release; }

unset_env 'OP_CONDUCTOR_[A-Z_]*'

if ! command -v flock >/dev/null; then
	bad "flock(1) (util-linux) is not installed"
	finish
fi

S=$tmp/three
cp -r "$V/lived/three" "$S"
rm -f "$S"/*.json
chmod -R u+w "$S"
N1=$S/sequencer-1

# hold FILE: another process takes LOCK_EX on FILE and keeps it until release
# timed CMD...: runs the tool; sets rc, ms, $tmp/out, $tmp/err
timed() {
	local t0 t1
	t0=$(date +%s%N)
	timeout 60 "$B" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
}

locked_msg() {
	grep -q "$1 is locked by another process (is op-conductor running?)" "$tmp/err"
}

for file in raft-log.db raft-stable.db; do
	hold "$N1/$file" || finish
	for sub in verify info; do
		timed raft "$sub" --state-dir "$N1" --timeout 1
		if [ "$rc" -eq 1 ] && [ "$ms" -lt 3000 ] && locked_msg "$file" &&
			grep -q "^op-conductor-init: raft $sub: " "$tmp/err"; then
			ok "$sub, $file locked, --timeout 1: exit 1 after $ms ms with the lock message"
		else
			bad "$sub, $file locked: rc=$rc after $ms ms, stderr: $(head -c 400 "$tmp/err")"
		fi
		timed raft "$sub" --state-dir "$N1" --timeout 1 --live
		if [ "$rc" -eq 0 ] && [ "$ms" -lt 3000 ] && [ ! -s "$tmp/err" ]; then
			ok "$sub, $file locked, --live: exit 0 in $ms ms"
		else
			bad "$sub, $file locked, --live: rc=$rc, stderr: $(head -c 400 "$tmp/err")"
		fi
	done
	if [ "$file" = raft-log.db ]; then
		grep -q '^VALID: sequencer-1$' <("$B" raft verify --state-dir "$N1" --live) &&
			ok "verify --live under the lock: VALID: sequencer-1" ||
			bad "verify --live under the lock: no VALID verdict"
		timed raft verify --state-dir "$N1" --timeout 1 --json
		if [ "$rc" -eq 1 ] && grep -q '"valid":[[:space:]]*false' "$tmp/out" &&
			grep -q '"error":[[:space:]]*".*is op-conductor running?' "$tmp/out"; then
			ok "verify --json on a locked node: valid false and the error in the document"
		else
			bad "verify --json on a locked node: rc=$rc, $(head -c 300 "$tmp/out")"
		fi
		# the default timeout is 5 s
		timed raft verify --state-dir "$N1"
		if [ "$rc" -eq 1 ] && [ "$ms" -ge 4500 ] && [ "$ms" -lt 8000 ] && locked_msg "$file"; then
			ok "verify without --timeout gives up after the default 5 s ($ms ms)"
		else
			bad "verify default timeout: rc=$rc after $ms ms"
		fi
		# a cluster root: only the locked node fails
		timed raft verify --state-dir "$S" --timeout 0.5
		if [ "$rc" -eq 1 ] && grep -q '^VALID: sequencer-2$' "$tmp/out" &&
			grep -q '^VALID: sequencer-3$' "$tmp/out" &&
			grep -q '^UNVERIFIED: sequencer-1: .*is op-conductor running?' "$tmp/out" &&
			tail -n 1 "$tmp/out" | grep -q "^INVALID: 1 of 3 nodes in .* (sequencer-1 unverified)$"; then
			ok "cluster root with sequencer-1 locked: the others VALID, overall INVALID"
		else
			bad "cluster root with a locked node: rc=$rc, $(grep -E 'VALID' "$tmp/out" | tr '\n' '|')"
		fi
	fi
done
release

# ---- never writes ---------------------------------------------------------
# snapshot of every file: path, sha256, mtime with nanoseconds, size
state() {
	(cd "$S" && find . -type f -print0 | sort -z | xargs -0 stat -c '%n %Y.%y %s' &&
		find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
before=$(state)
runs=(
	"raft verify --state-dir $S"
	"raft verify --state-dir $S --json"
	"raft verify --state-dir $S --live"
	"raft verify --state-dir $N1 --live --json"
	"raft info --state-dir $S"
	"raft info --state-dir $S --live --full --entries all"
	"raft info --state-dir $N1 --json --entries all"
)
for r in "${runs[@]}"; do
	# shellcheck disable=SC2086
	"$B" $r >/dev/null 2>&1
done
hold "$N1/raft-log.db" && "$B" raft verify --state-dir "$N1" --timeout 0.2 >/dev/null 2>&1
release
after=$(state)
if [ "$before" = "$after" ]; then
	ok "no file changed (sha256, mtime, size) after ${#runs[@]} read runs and a locked one"
else
	bad "files changed: $(diff <(echo "$before") <(echo "$after") | head -5 | tr '\n' '|')"
fi

# ---- usage ------------------------------------------------------------------
usage() {
	local name=$1 re=$2
	shift 2
	timed "$@"
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -Eq -- "$re" "$tmp/err"; then
		ok "usage: $name"
	else
		bad "usage: $name: rc=$rc, stderr: $(head -c 300 "$tmp/err")"
	fi
}
for sub in verify info; do
	usage "$sub without --state-dir" "^op-conductor-init: raft $sub: --state-dir is required" \
		raft "$sub"
	usage "$sub --timeout abc" "^op-conductor-init: raft $sub: --timeout must be a number of seconds" \
		raft "$sub" --state-dir "$N1" --timeout abc
	usage "$sub --timeout -1" "--timeout" raft "$sub" --state-dir "$N1" --timeout -1
	usage "$sub --bogus" "bogus" raft "$sub" --state-dir "$N1" --bogus
	usage "$sub extra argument" "extra|argument|unexpected" raft "$sub" --state-dir "$N1" extra
	usage "$sub empty --state-dir" "--state-dir is empty" raft "$sub" --state-dir ""
	timed raft "$sub" --state-dir "$tmp/nonexistent"
	if [ "$rc" -eq 1 ] && grep -q "^op-conductor-init: raft $sub: cannot open --state-dir $tmp/nonexistent: No such file or directory (check the path)$" "$tmp/err"; then
		ok "$sub on a missing directory: exit 1, one sentence"
	else
		bad "$sub on a missing directory: rc=$rc, $(head -c 300 "$tmp/err")"
	fi
	mkdir -p "$tmp/empty"
	timed raft "$sub" --state-dir "$tmp/empty"
	if [ "$rc" -eq 1 ] && grep -q "holds no Raft state" "$tmp/err"; then
		ok "$sub on a directory without state: exit 1"
	else
		bad "$sub on a directory without state: rc=$rc, $(head -c 300 "$tmp/err")"
	fi
	export OP_CONDUCTOR_INIT_STATE_DIR=$N1
	timed raft "$sub"
	unset OP_CONDUCTOR_INIT_STATE_DIR
	if [ "$rc" -eq 0 ] && grep -q "sequencer-1" "$tmp/out"; then
		ok "$sub reads OP_CONDUCTOR_INIT_STATE_DIR"
	else
		bad "$sub with OP_CONDUCTOR_INIT_STATE_DIR: rc=$rc, $(head -c 300 "$tmp/err")"
	fi
	timed raft "$sub" --help
	if [ "$rc" -eq 0 ] && cat "$tmp/out" "$tmp/err" | grep -q -- "--state-dir"; then
		ok "$sub --help"
	else
		bad "$sub --help: rc=$rc"
	fi
done
usage "info --entries x" "^op-conductor-init: raft info: --entries must be a number of entries or \"all\"" \
	raft info --state-dir "$N1" --entries x
timed raft verify -state-dir="$N1" -timeout=2s
[ "$rc" -eq 0 ] && ok "Go flag forms -state-dir=DIR -timeout=2s" || bad "Go flag forms: rc=$rc $(head -c 200 "$tmp/err")"

finish
