#!/usr/bin/env bash
# Proves (issue 26, point 4): op-service's log flags shape stderr instead of
# being accepted and ignored: --log.format logfmt / json / json-pretty turn
# every stderr line (the error sentence, the problem lines after it, a
# warning and its diff) into records with t, lvl, msg (and cmd), --log.pid
# adds the pid, --log.level filters by level (warn drops notes, error drops
# warnings, crit drops errors; the exit status stays), the variables do the
# same, and text (the default) is unchanged. Stdout is never touched.
# Also (each failed on the main of 2026-12-07 09:15): the formats and
# records are op-service v1.19.6's (logfmt lvl=error with a -0700 zone,
# logfmtms, jsonms, geth's terminal format, --log.color); a usage error,
# the text --json moves to stderr, raft logs' note, bootstrap cluster's
# preflight (through op-conductor's own log flags), the last "error
# writing to standard output", progress lines on a terminal are all
# shaped, and a question on a terminal is refused with a sentence in a
# record format. In text format the progress is one line rewritten in
# place (\r), ended by a newline at 100 %.
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
chmod -R u+w "$tmp/bad" # the shared vectors may be read-only (fresh-check user mode): cp keeps the mode
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
# logfmt as op-geth v1.101702.3-rc.7 (optimism v1.19.6's go-ethereum)
# writes it: log/format.go timeFormat "2006-01-02T15:04:05-0700",
# log/logger.go LevelString "error" (not geth's old "eror")
OP_CONDUCTOR_INIT_LOG_FORMAT=logfmt TZ=UTC recover_bad
if head -n1 "$tmp/err" | grep -Eq '^t=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\+0000 lvl=error msg=".*does not verify.*" cmd="raft recover"$' &&
	sed -n 2p "$tmp/err" | grep -q '^t=.* lvl=error msg="raft-log.db: '; then
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

# op-service v1.19.6 op-service/log/cli.go FormatFlagValue.Set: text,
# terminal, logfmt, logfmtms, json, jsonms (the ms forms: handler.go)
TZ=UTC recover_bad --log.format logfmtms
head -n1 "$tmp/err" | grep -Eq '^t=[0-9-]{10}T[0-9:]{8}\.[0-9]{3}\+0000 lvl=error msg=' &&
	ok "--log.format logfmtms: milliseconds in t" || bad "logfmtms: $(head -n1 "$tmp/err")"
recover_bad --log.format jsonms
r=$(records 'recs[0]["lvl"] == "error" and "does not verify" in recs[0]["msg"]' 2>&1)
[ "$r" = yes ] && ok "--log.format jsonms: JSON records" || bad "jsonms: $r $(head -c 200 "$tmp/err")"
# terminal: op-geth log/format.go TerminalHandler (LevelAlignedString,
# "[01-02|15:04:05.000] ", the attributes after); --log.color colors the level
recover_bad --log.format terminal
head -n1 "$tmp/err" | grep -Eq '^ERROR\[[0-9]{2}-[0-9]{2}\|[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\] .*does not verify.* cmd="raft recover"$' &&
	sed -n 2p "$tmp/err" | grep -Eq '^ERROR\[.*\] raft-log.db: ' &&
	ok "--log.format terminal: geth's terminal records ($(head -n1 "$tmp/err" | cut -c1-60)...)" || bad "terminal: $(head -n2 "$tmp/err")"
recover_bad --log.color
esc=$(printf '\033')
head -n1 "$tmp/err" | grep -q "^${esc}\[31mERROR${esc}\[0m\[" &&
	ok "--log.color (text): the terminal format with the level colored, as op-service's FormatHandler" ||
	bad "color: $(head -n1 "$tmp/err" | od -c | head -3)"

# a usage error is shaped too (the log flags are read before the others)
"$B" raft verify --log.format json --bogus >"$tmp/out" 2>"$tmp/err"
rc=$?
r=$(records 'len(recs) == 1 and recs[0]["lvl"] == "error" and "unknown flag" in recs[0]["msg"]' 2>&1)
[ "$rc" = 2 ] && [ "$r" = yes ] && ok "a usage error after --log.format json: a record, exit 2" || bad "usage error: exit $rc $r"
OP_CONDUCTOR_INIT_LOG_FORMAT=json "$B" raft bogus >"$tmp/out" 2>"$tmp/err"
r=$(records 'len(recs) == 1 and "unknown command" in recs[0]["msg"]' 2>&1)
[ "$r" = yes ] && ok "an unknown command under OP_CONDUCTOR_INIT_LOG_FORMAT=json: a record" || bad "unknown command: $r"

# --json puts the text for a person on stderr: shaped like every other line
"$B" raft generate --nodes s1=h:1 --initial-leader s1 --output-dir "$tmp/j" >/dev/null
"$B" raft recover --state-dir "$tmp/j/s1" --nodes s1=h:1,s2=h:2 --json --log.format json >"$tmp/out" 2>"$tmp/err"
r=$(records 'len(recs) >= 5 and all(r["lvl"] == "info" for r in recs) and any(r["msg"].startswith("Recovered ") for r in recs)' 2>&1)
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" 2>/dev/null && [ "$r" = yes ] &&
	ok "recover --json --log.format json: the document on stdout, its text as info records on stderr" || bad "recover --json records: $r"
"$B" raft recover --state-dir "$tmp/j/s1" --nodes s1=h:1 --json --log.level warn >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && ok "recover --json --log.level warn: its info text dropped" || bad "recover --json warn: exit $rc $(head -c 300 "$tmp/err")"

# raft logs' note on decreasing block numbers
build_mknode
"$MKNODE" "$tmp/dec" 1-1:1:config 2-100:2:block 101-111:3:block:-51:1 >/dev/null || bad "mknode dec"
"$B" raft logs --state-dir "$tmp/dec" --from-block 55 --to-block 58 --log.format json >"$tmp/out" 2>"$tmp/err"
r=$(records 'len(recs) == 1 and recs[0]["lvl"] == "info" and "block numbers decrease at index 101" in recs[0]["msg"] and recs[0]["cmd"] == "raft logs"' 2>&1)
[ "$r" = yes ] && ok "raft logs --log.format json: its note is an info record" || bad "logs note: $r $(cat "$tmp/err")"
"$B" raft logs --state-dir "$tmp/dec" --from-block 55 --to-block 58 --log.level warn >"$tmp/out" 2>"$tmp/err"
[ ! -s "$tmp/err" ] && [ -s "$tmp/out" ] && ok "raft logs --log.level warn: the note dropped, the entries written" || bad "logs warn: $(cat "$tmp/err")"

# bootstrap cluster: op-conductor's own log flags (and OP_CONDUCTOR_LOG_*)
# shape the preflight's lines, so the node's stderr has one format
mkdir "$tmp/bs"
bs() { OP_CONDUCTOR_INIT_OP_CONDUCTOR_BIN=/bin/true "$B" bootstrap cluster --raft.storage.dir "$tmp/bs" --raft.server.id s1 --raft.bootstrap "$@" >"$tmp/out" 2>"$tmp/err"; }
bs --log.format json
r=$(records 'len(recs) == 1 and recs[0]["lvl"] == "info" and "conductor_resume" in recs[0]["msg"] and recs[0]["cmd"] == "bootstrap cluster"' 2>&1)
[ "$r" = yes ] && ok "bootstrap cluster ... --log.format json (op-conductor's flag): the preflight note as a record" || bad "bootstrap json: $r $(cat "$tmp/err")"
OP_CONDUCTOR_LOG_FORMAT=logfmt bs
grep -Eq '^t=.* lvl=info msg=".*conductor_resume.*" cmd="bootstrap cluster"$' "$tmp/err" &&
	ok "bootstrap cluster with OP_CONDUCTOR_LOG_FORMAT=logfmt: a logfmt record" || bad "bootstrap logfmt: $(cat "$tmp/err")"
OP_CONDUCTOR_LOG_LEVEL=warn bs
[ ! -s "$tmp/err" ] && ok "bootstrap cluster with OP_CONDUCTOR_LOG_LEVEL=warn: the note dropped" || bad "bootstrap warn: $(cat "$tmp/err")"

# stdout that cannot be written: the last sentence is shaped too
if [ -w /dev/full ]; then
	"$B" raft info --state-dir "$tmp/j/s1" --log.format json >/dev/full 2>"$tmp/err"
	rc=$?
	r=$(records 'len(recs) == 1 and "error writing to standard output" in recs[0]["msg"]' 2>&1)
	[ "$rc" = 1 ] && [ "$r" = yes ] && ok "stdout on /dev/full: the error is a record, exit 1" || bad "/dev/full: exit $rc $r"
fi

# on a terminal: progress lines (files of 64 MiB or more) are records, one
# per tenth, and a question is refused with a sentence instead of asked
"$MKNODE" "$tmp/big/s1" --members s1=h:1 1-1:1:config 2-80:1:block --tx-bytes 1000000 >/dev/null || bad "mknode big"
pty_run() {
	python3 - "$@" <<'PY'
# stdin and stderr on a terminal (no echo), "n" typed in advance (a
# question asked is answered no), stopped after 120 s
import os, pty, select, subprocess, sys, termios, time
m, s = pty.openpty()
a = termios.tcgetattr(s)
a[3] &= ~termios.ECHO
termios.tcsetattr(s, termios.TCSANOW, a)
os.write(m, b"n\n")
p = subprocess.Popen(sys.argv[1:], stdin=s, stdout=subprocess.DEVNULL, stderr=s)
os.close(s)
out, end = b"", time.monotonic() + 120
while time.monotonic() < end:
    if not select.select([m], [], [], 1)[0]:
        if p.poll() is not None:
            break
        continue
    try:
        d = os.read(m, 65536)
    except OSError:
        break
    if not d:
        break
    out += d
if p.poll() is None:
    p.kill()
sys.stdout.buffer.write(out)
sys.exit(p.wait())
PY
}
pty_run "$B" raft backup --state-dir "$tmp/big/s1" --backup-dir "$tmp/bk" --compress --log.format json | tr -d '\r' >"$tmp/err"
r=$(records 'sum("MiB (" in r["msg"] for r in recs) >= 3 and all(r["lvl"] == "info" for r in recs) and any(r["msg"].startswith("compressing ") and r["msg"].endswith("(100%)") for r in recs)' 2>&1)
[ "$r" = yes ] && ok "backup --compress on a terminal, --log.format json: progress as info records" || bad "progress records: $r $(head -c 300 "$tmp/err")"
pty_run "$B" raft backup --state-dir "$tmp/big/s1" --backup-dir "$tmp/bk2" --log.level warn >"$tmp/err"
[ ! -s "$tmp/err" ] && ok "backup on a terminal, --log.level warn: no progress" || bad "progress warn: $(head -c 200 "$tmp/err" | od -c | head -3)"
# text (the default): one line rewritten in place ("\r  copying FILE: N of M
# MiB (P%)"), ended by a newline at 100 %
pty_run "$B" raft backup --state-dir "$tmp/big/s1" --backup-dir "$tmp/bk3" >"$tmp/err"
total=$(($(stat -c %s "$tmp/big/s1/raft-log.db") >> 20))
tr '\r' '\n' <"$tmp/err" | grep -v '^$' >"$tmp/lines"
if [ -s "$tmp/lines" ] && ! grep -Evq "^  copying $tmp/big/s1/raft-log\.db: [0-9]+ of $total MiB \([0-9]+%\)\$" "$tmp/lines" &&
	[ "$(tail -n 1 "$tmp/lines")" = "  copying $tmp/big/s1/raft-log.db: $total of $total MiB (100%)" ] &&
	[ "$(tail -c 2 "$tmp/err" | od -An -c | tr -d ' ')" = '\r\n' ] && [ "$(head -c 1 "$tmp/err" | od -An -c | tr -d ' ')" = '\r' ]; then
	ok "backup on a terminal, text: progress rewritten in place (\\r), ending at $total of $total MiB (100%) and a newline"
else
	bad "progress text: $(head -c 300 "$tmp/err" | od -c | head -5)"
fi
bk=$(ls -d "$tmp"/bk/raft-backup-* | head -n 1)
pty_run "$B" raft restore --backup-dir "$bk" --state-dir "$tmp/big/s1" --log.format json | tr -d '\r' >"$tmp/err"
rc=${PIPESTATUS[0]}
r=$(records 'recs[-1]["lvl"] == "error" and "--log.format writes records, not questions" in recs[-1]["msg"] and "--force" in recs[-1]["msg"]' 2>&1)
[ "$rc" = 1 ] && [ "$r" = yes ] && ok "restore over state on a terminal, --log.format json: refused with a sentence, no prompt" || bad "restore prompt: exit $rc $r"
finish
