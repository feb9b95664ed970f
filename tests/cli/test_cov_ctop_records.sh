#!/usr/bin/env bash
# Proves: the shapes of stderr records that test_log_flags.sh does not pin
# (issue 25 point 4, present/report.c), each read from a real run:
#   - json records carry the local time with the zone's offset as RFC 3339
#     writes it (TZ=IST-5:30 -> +05:30, EST5 -> -05:00, UTC0 -> Z) and a
#     fraction of a second without trailing zeros;
#   - terminal records: a message under 40 characters is padded to 40 when
#     attributes follow (cmd=...), and a record with no attribute (the
#     dispatcher's, before any command) is not padded; --log.pid adds pid=
#     before cmd=; json-pretty is one indented object;
#   - the lines raft recover --json moves off stdout become info records in
#     logfmt, one per line, and disappear at --log.level warn, with the
#     document still on stdout.
#
# Env: OCI_BIN, OCI_BUILD (mknode).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD
B=$OCI_BIN
make_tmp oci-ctop-records
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_mknode

# zone TZ WANT: a json record's time under TZ ends with WANT
zone() {
	local t
	TZ=$1 "$B" raft verify --state-dir "$tmp/none" --log.format json >/dev/null 2>"$tmp/err"
	t=$(sed -n 's/^{"t":"\([^"]*\)".*/\1/p' "$tmp/err")
	if [[ $t =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]*[1-9])?$2$ ]]; then
		ok "json record time under TZ=$1: $t"
	else
		bad "json record time under TZ=$1: '$t' (want ...$2): $(cat "$tmp/err")"
	fi
}
zone IST-5:30 '\+05:30'
zone EST5 '-05:00'
zone UTC0 'Z'

OP_CONDUCTOR_INIT_LOG_FORMAT=terminal "$B" nosuch 2>"$tmp/err"
grep -Eq '^ERROR\[[0-9]{2}-[0-9]{2}\|[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\] unknown command "nosuch" \(see op-conductor-init --help\)$' "$tmp/err" &&
	ok "terminal record without attributes: not padded" || bad "terminal, no attributes: $(cat "$tmp/err")"
"$B" raft logs --state-dir '' --log.format terminal 2>"$tmp/err"
grep -Eq '^ERROR\[[0-9]{2}-[0-9]{2}\|[0-9:.]{12}\] --state-dir is empty {20} cmd="raft logs"$' "$tmp/err" &&
	ok "terminal record of 20 characters before cmd=: padded to 40" || bad "terminal, padding: $(cat "$tmp/err")"

"$B" raft logs --state-dir '' --log.format terminal --log.pid 2>"$tmp/err"
grep -Eq '^ERROR\[[0-9]{2}-[0-9]{2}\|[0-9:.]{12}\] --state-dir is empty {20} pid=[0-9]+ cmd="raft logs"$' "$tmp/err" &&
	ok "terminal record with --log.pid: pid= before cmd=" || bad "terminal pid: $(cat "$tmp/err")"
"$B" raft logs --state-dir '' --log.format json-pretty 2>"$tmp/err"
[ "$(wc -l <"$tmp/err")" -gt 3 ] && python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["lvl"] == "error" and r["msg"] == "--state-dir is empty" and r["cmd"] == "raft logs" else 1)' "$tmp/err" &&
	ok "json-pretty record: one indented JSON object over several lines" || bad "json-pretty: $(cat "$tmp/err")"

"$MKNODE" "$tmp/n/s1" --members s1=10.0.0.1:1,s2=10.0.0.2:1 1-1:1:config 2-4:1:block >/dev/null || bad "mknode"
RV=(raft recover --state-dir "$tmp/n/s1" --nodes s1=10.0.0.1:1,s3=10.0.0.3:1 --dry-run --json)
"$B" "${RV[@]}" --log.format logfmt >"$tmp/out" 2>"$tmp/err"
rc=$?
"$B" "${RV[@]}" >/dev/null 2>"$tmp/text"
n=$(wc -l <"$tmp/text")
if [ "$rc" = 0 ] && [ "$(wc -l <"$tmp/err")" = "$n" ] && [ "$(grep -c '^t=[^ ]* lvl=info msg=' "$tmp/err")" = "$n" ] &&
	grep -q '^t=[^ ]* lvl=info msg="Node s1 (.*/n/s1): verified\."$' "$tmp/err" &&
	grep -q '^t=[^ ]* lvl=info msg="- s2 10.0.0.2:1 Voter   (removed)"$' "$tmp/err" &&
	grep -q '"dry_run":	true' "$tmp/out"; then
	ok "recover --json --log.format logfmt: its $n text lines are info records (indentation dropped), the document on stdout"
else
	bad "recover --json logfmt: exit $rc, $(wc -l <"$tmp/err") records for $n lines: $(head -c 600 "$tmp/err")"
fi
"$B" "${RV[@]}" --log.format logfmt --log.level warn >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && grep -q '"dry_run":	true' "$tmp/out" &&
	ok "recover --json --log.level warn: no info records, the document on stdout" ||
	bad "recover --json warn: exit $rc: $(head -c 300 "$tmp/err")"
"$B" "${RV[@]}" --log.level warn >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && grep -q '"dry_run":	true' "$tmp/out" &&
	ok "recover --json --log.level warn, text: the lines dropped too" ||
	bad "recover --json warn text: exit $rc: $(head -c 300 "$tmp/err")"
finish
