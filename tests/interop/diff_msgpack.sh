#!/usr/bin/env bash
# Differential decoding of raft.Log values: our decoder (raftstate/log.c
# rs_log_decode_prefix, through tests/interop/msgpack_decode.c) against
# go-msgpack/v2 v2.1.2 as raft-boltdb/v2 v2.3.1's GetLog calls it (the harness's
# msgpack-decode, raft-1.7.2 build), on the same inputs: the regression set
# testdata/msgpack-diff/regress.hex, then OCI_DIFF_MSGPACK_COUNT inputs of the
# harness's msgpack-corpus (default 150,000; `just diff-msgpack`: 1,500,000, which
# holds every structured mutation of every seed). Verdict and fields (Index, Term,
# Type, Data, Extensions, AppendedAt) must be equal; the one difference allowed is
# the one docs/testing.md explains (Data/Extensions as an array or map of integers
# wider than a positive fixint, which go-msgpack copies into bytes and our
# zero-copy decoder refuses), recognised by our decoder's reason. Anything else
# fails the test and is printed with its input.
OCI_STACK=raft-1.7.2
. "$(dirname "$0")/lib.sh"
need_harness
DEC=$OCI_BUILD/msgpack_decode
[ -x "$DEC" ] || die "$DEC is not built (cmake --build)"
COUNT=${OCI_DIFF_MSGPACK_COUNT:-150000}
REGRESS=${OCI_TESTDATA:-$OCI_SRC/testdata}/msgpack-diff/regress.hex
DEMO=$VECTORS/msgpack/encode-demo.json
[ -f "$DEMO" ] || DEMO=

# compare NAME GO C: prints "total equal explained unexplained"; the first 20
# unexplained input numbers go to $TMP/NAME.bad
compare() {
	paste -d '\t' "$2" "$3" | awk -F'\t' -v bad="$TMP/$1.bad" '
		{ n++ }
		$1 == $2 || ($1 == "err" && substr($2, 1, 3) == "err") { eq++; next }
		$1 ~ /^ok / && $2 ~ /^err .*zero-copy decoder does not/ { ex++; next }
		{ un++; if (un <= 20) print n "\t" $1 "\t" $2 > bad }
		END { print n + 0, eq + 0, ex + 0, un + 0 }'
}

report() { # report NAME COUNTS: fails on unexplained differences, with their inputs
	local name=$1 total eq ex un
	read -r total eq ex un <<<"$2"
	say "$name: $total inputs: $eq decoded alike (same verdict and fields), $ex explained differences, $un unexplained"
	[ "$un" = 0 ] && return 0
	while IFS=$'\t' read -r k g c; do
		echo "  input $k: go-msgpack/v2: $g" >&2
		echo "  input $k: ours:          $c" >&2
		echo "  input $k: $(sed -n "${k}p" "$TMP/$name.inputs" 2>/dev/null || "$H" msgpack-corpus --count "$COUNT" ${DEMO:+--demo "$DEMO"} --pick "$k")" >&2
	done <"$TMP/$name.bad"
	die "$name: $un inputs decoded differently by go-msgpack/v2 and by our decoder"
}

# 1. the regression set
grep -v '^\s*#' "$REGRESS" | grep . >"$TMP/regress.inputs"
"$H" msgpack-corpus --hex "$REGRESS" >"$TMP/regress.bin" || die "msgpack-corpus --hex $REGRESS"
"$H" msgpack-decode <"$TMP/regress.bin" >"$TMP/regress.go" || die "msgpack-decode failed"
"$DEC" --why <"$TMP/regress.bin" >"$TMP/regress.c" || die "msgpack_decode failed"
counts=$(compare regress "$TMP/regress.go" "$TMP/regress.c")
[ "${counts%% *}" = "$(wc -l <"$TMP/regress.inputs")" ] || die "regress: $counts: not one line per input"
report regress "$counts"

# 2. the corpus, streamed to both decoders
t0=$(date +%s)
"$H" msgpack-corpus --count "$COUNT" ${DEMO:+--demo "$DEMO"} 2>"$TMP/corpus.err" |
	tee >("$H" msgpack-decode >"$TMP/corpus.go" 2>"$TMP/go.err"; echo $? >"$TMP/go.rc") |
	"$DEC" --why >"$TMP/corpus.c" || die "the corpus or our decoder failed: $(cat "$TMP/corpus.err")"
for _ in $(seq 600); do [ -s "$TMP/go.rc" ] && break; sleep 0.1; done
[ "$(cat "$TMP/go.rc" 2>/dev/null)" = 0 ] || die "msgpack-decode failed: $(cat "$TMP/go.err")"
say "$(sed 's/^msgpack-corpus: //' "$TMP/corpus.err")"
counts=$(compare corpus "$TMP/corpus.go" "$TMP/corpus.c")
[ "${counts%% *}" = "$COUNT" ] || die "corpus: $counts: not $COUNT lines from each decoder"
report corpus "$counts"
say "PASS: $COUNT + $(wc -l <"$TMP/regress.inputs") inputs in $(($(date +%s) - t0)) s; go-msgpack/v2 accepted $(grep -c '^ok' "$TMP/corpus.go") of the corpus"
