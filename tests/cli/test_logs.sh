#!/usr/bin/env bash
# Proves, for `raft logs`:
#   - one JSON object per line, every entry of the log in index order, with
#     index, term, type, appended_at, data_size and the payload's fields
#     (block number, hash as mknode made it, tx/withdrawal counts);
#   - --from/--to, --type (names and numbers), --from-block/--to-block
#     (only payloads in range; the start found by binary search over a log
#     with noops and configuration entries between payloads);
#   - a log whose block numbers decrease: the note on stderr names where;
#   - --payload json: an "envelope" with executionPayload whose blockNumber,
#     blockHash and transactions agree with the payload's fields (the
#     byte-exact comparison with op-service's own encoding is the interop
#     test tests/interop/opc/test_opc_logs.sh);
#   - a locked raft-log.db: refused with the usual sentence; --live reads it;
#   - usage errors exit 2 with one line; a 3,000-entry export peaks under
#     64 MB RSS (bench/bench.sh measures 10,000 entries of ~50 KB).
#
# Env: OCI_BIN, OCI_BUILD.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_BUILD
B=$OCI_BIN
make_tmp oci-logs
cleanup_hook() { release; }
unset_env 'OP_CONDUCTOR_[A-Z_]*'
build_mknode
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 1; }

run() {
	timeout 120 "$B" raft logs "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# py EXPR: EXPR over the lines of $tmp/out (L: the list of parsed objects)
py() {
	python3 -c 'import json,sys
L=[json.loads(l) for l in open(sys.argv[1])]
print(eval(sys.argv[2]))' "$tmp/out" "$1"
}

N=$tmp/n1
"$MKNODE" "$N" 1-1:1:config 2-3:2:noop 4-200:2:block 201-201:2:noop 202-300:3:block3 \
	301-302:3:legacy 303-303:3:junk >/dev/null || bad "mknode"

run --state-dir "$N"
eq "exit" "$rc" 0
eq "one line per entry" "$(wc -l <"$tmp/out")" 303
eq "indexes in order" "$(py '[e["index"] for e in L] == list(range(1, 304))')" True
eq "types" "$(py '",".join(sorted(set(e["type"] for e in L)))')" "LogCommand,LogConfiguration,LogNoop"
eq "entry 4: payload block 4, V4 envelope" "$(py '(L[3]["payload"]["block_number"], L[3]["payload"]["version"], L[3]["payload"]["form"])')" "(4, 4, 'envelope')"
eq "entry 4: hash as mknode made it" "$(py 'L[3]["payload"]["hash"]')" "$("$MKNODE" --hash 4)"
eq "entry 250: V3" "$(py 'L[249]["payload"]["version"]')" 3
eq "entry 301: the early-2024 form" "$(py 'L[300]["payload"]["form"]')" legacy
eq "entry 303: junk has no payload" "$(py 'L[302]["payload"]')" None
eq "entry 2: a noop, data_size 0" "$(py '(L[1]["type"], L[1]["data_size"], L[1]["payload"])')" "('LogNoop', 0, None)"
eq "appended_at as RFC 3339" "$(py 'L[0]["appended_at"]')" "2023-11-14T22:13:21.000000000Z"

run --state-dir "$N" --from 10 --to 12
eq "--from 10 --to 12" "$(py '[e["index"] for e in L]')" "[10, 11, 12]"
run --state-dir "$N" --type LogNoop,5
eq "--type LogNoop,5" "$(py '[e["index"] for e in L]')" "[1, 2, 3, 201]"
run --state-dir "$N" --from-block 150 --to-block 210
eq "--from-block 150 --to-block 210: the payloads of blocks 150..210" \
	"$(py '[e["payload"]["block_number"] for e in L] == list(range(150, 201)) + list(range(202, 211))')" True
eq "--from-block: no note when numbers increase" "$(wc -c <"$tmp/err")" 0
run --state-dir "$N" --from-block 5000
eq "--from-block past the last block: nothing" "$(wc -l <"$tmp/out")" 0

# decreasing block numbers: 1..100, then 50..60 again (a new leader's branch)
D=$tmp/dec
"$MKNODE" "$D" 1-1:1:config 2-100:2:block 101-111:3:block:-51:1 >/dev/null || bad "mknode dec"
run --state-dir "$D" --from-block 55 --to-block 58
grep -q "note: block numbers decrease at index 101 (50 after 100)" "$tmp/err" &&
	ok "a decrease is named on stderr: $(cut -c1-140 "$tmp/err")" || bad "no note on the decrease: $(cat "$tmp/err")"

# --payload json
run --state-dir "$N" --from 4 --to 6 --payload json
eq "--payload json: blockNumber is the hex of block_number" \
	"$(py 'all(int(e["envelope"]["executionPayload"]["blockNumber"], 16) == e["payload"]["block_number"] for e in L)')" True
eq "--payload json: blockHash is the hash" \
	"$(py 'all(e["envelope"]["executionPayload"]["blockHash"] == e["payload"]["hash"] for e in L)')" True
eq "--payload json: transactions counted" \
	"$(py 'all(len(e["envelope"]["executionPayload"]["transactions"]) == e["payload"]["transactions"] for e in L)')" True
eq "--payload json: a V4 envelope has a beacon root and withdrawalsRoot" \
	"$(py 'all("parentBeaconBlockRoot" in e["envelope"] and "withdrawalsRoot" in e["envelope"]["executionPayload"] for e in L)')" True

# locked
hold "$N/raft-log.db"
run --state-dir "$N" --timeout 0.2
eq "locked: exit" "$rc" 1
grep -q "raft-log.db" "$tmp/err" && ok "locked: $(head -n1 "$tmp/err" | cut -c1-140)" || bad "locked: $(cat "$tmp/err")"
run --state-dir "$N" --live --from 300
eq "locked, --live: reads" "$(wc -l <"$tmp/out")" 4
release

# usage
for args in "--from 5 --to 4" "--type LogBogus" "--payload xml" "--from-block 9 --to-block 8"; do
	# shellcheck disable=SC2086
	run --state-dir "$N" $args
	if [ "$rc" = 2 ] && [ "$(grep -c . "$tmp/err")" = 1 ]; then
		ok "usage: $args: $(cut -c1-120 "$tmp/err")"
	else
		bad "usage: $args: exit $rc: $(cat "$tmp/err")"
	fi
done

# memory: the reader holds one batch, the writer one envelope
BIG=$tmp/big
"$MKNODE" "$BIG" 1-1:1:config 2-3001:2:block >/dev/null || bad "mknode big"
if command -v /usr/bin/time >/dev/null; then
	/usr/bin/time -f '%M' -o "$tmp/rss" "$B" raft logs --state-dir "$BIG" --payload json >/dev/null 2>&1
	rss=$(tail -n1 "$tmp/rss")
	[ "$rss" -lt 65536 ] && ok "3,000 entries exported with a peak RSS of $rss KB" || bad "peak RSS $rss KB"
fi

finish
