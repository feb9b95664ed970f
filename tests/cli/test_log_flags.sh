#!/usr/bin/env bash
# Proves (issue 26, point 4): op-service's log flags shape stderr instead of
# being accepted and ignored: --log.format logfmt / json / json-pretty turn
# every stderr line (the error sentence, the problem lines after it, a
# warning and its diff) into records with t, lvl, msg (and cmd), --log.pid
# adds the pid, --log.level filters by level (warn drops notes, error drops
# warnings, crit drops errors; the exit status stays), the variables do the
# same, and text (the default) is unchanged. Stdout is never touched.
# Env: OCI_BIN, OCI_SHARED.
. "$(dirname "$0")/lib.sh"
default_shared
need_env OCI_BIN OCI_SHARED
output_style colon
unset_env 'OP_CONDUCTOR_INIT_.*'
B=$OCI_BIN
make_tmp oci-logflags

# a node that does not verify: an error sentence and problem lines after it
cp -r "$OCI_SHARED/vectors/lived/three/sequencer-1" "$tmp/bad"
printf '\xff\xff\xff\xff' | dd of="$tmp/bad/raft-log.db" bs=1 seek=16 conv=notrunc status=none
printf '\xff\xff\xff\xff' | dd of="$tmp/bad/raft-log.db" bs=1 seek=4112 conv=notrunc status=none
recover_bad() { "$B" raft recover --state-dir "$tmp/bad" --nodes sequencer-1=a:1 "$@" >"$tmp/out" 2>"$tmp/err"; }

recover_bad
rc=$?
[ "$rc" = 1 ] && grep -q '^op-conductor-init: raft recover: .*does not verify' "$tmp/err" && grep -q '^  raft-log.db: ' "$tmp/err" &&
	ok "text (default): the sentence, then the problem lines" || bad "text: exit $rc $(cat "$tmp/err")"

# records CHECK: every stderr line is one JSON object with t, lvl, msg;
# PYTHON-EXPR over recs (the list) must hold
records() {
	python3 - "$tmp/err" "$1" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert recs and all({"t", "lvl", "msg"} <= set(r) for r in recs), recs
print("yes" if eval(sys.argv[2]) else "no: %s" % recs)
PY
}
recover_bad --log.format json --log.pid
r=$(records 'recs[0]["lvl"] == "error" and "does not verify" in recs[0]["msg"] and recs[0]["cmd"] == "raft recover" and len(recs) >= 2 and recs[1]["msg"].startswith("raft-log.db: ") and all(isinstance(x.get("pid"), int) for x in recs)' 2>&1)
[ "$r" = yes ] && ok "--log.format json --log.pid: one record per line (error, then its problem lines), pid in each" || bad "json: $r"
OP_CONDUCTOR_INIT_LOG_FORMAT=logfmt recover_bad
if head -n1 "$tmp/err" | grep -Eq '^t=[0-9T:-]+Z lvl=eror msg=".*does not verify.*" cmd="raft recover"$' &&
	sed -n 2p "$tmp/err" | grep -q '^t=.* lvl=eror msg="raft-log.db: '; then
	ok "OP_CONDUCTOR_INIT_LOG_FORMAT=logfmt: logfmt records"
else
	bad "logfmt: $(cat "$tmp/err")"
fi
recover_bad --log.format json-pretty
python3 -c 'import json,sys; d=json.JSONDecoder(); s=open(sys.argv[1]).read().strip(); o,_=d.raw_decode(s); assert o["lvl"]=="error"' "$tmp/err" 2>/dev/null &&
	ok "--log.format json-pretty: indented records" || bad "json-pretty: $(head -c 300 "$tmp/err")"
recover_bad --log.level crit
rc=$?
[ "$rc" = 1 ] && [ ! -s "$tmp/err" ] && ok "--log.level crit: nothing on stderr, exit still 1" || bad "crit: exit $rc $(cat "$tmp/err")"

# a warning with its diff (generate --if-absent on a recovered node)
"$B" raft generate --nodes s1=h:1,s2=h:2 --initial-leader s1 --output-dir "$tmp/g" >/dev/null
"$B" raft recover --state-dir "$tmp/g/s1" --nodes s1=h:1 >/dev/null 2>&1
gen_again() { "$B" raft generate --nodes s1=h:1,s2=h:2 --initial-leader s1 --output-dir "$tmp/g" --node-id s1 --if-absent "$@" >"$tmp/out" 2>"$tmp/err"; }
gen_again
grep -q '^op-conductor-init: raft generate: warning: --if-absent: raft has changed the configuration' "$tmp/err" &&
	grep -q '^  s1: ' "$tmp/err" && ok "text: the warning and its diff lines" || bad "warning text: $(cat "$tmp/err")"
gen_again --log.level error
rc=$?
[ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && grep -q "Nothing to do" "$tmp/out" &&
	ok "--log.level error: the warning and its diff dropped; stdout unchanged" || bad "level error: exit $rc $(cat "$tmp/err")"
gen_again --log.format json --log.level WARN
r=$(records 'recs[0]["lvl"] == "warn" and "raft has changed" in recs[0]["msg"] and all(r["lvl"] == "warn" for r in recs[1:]) and len(recs) >= 2' 2>&1)
[ "$r" = yes ] && ok "--log.format json --log.level WARN: the warning and its diff as warn records" || bad "warn json: $r"
finish
