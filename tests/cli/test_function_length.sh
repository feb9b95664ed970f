#!/usr/bin/env bash
# Issue 25: no function of bolt/, raftstate/, present/ or cmd/ is longer than
# 100 lines (from the first line of its signature to its closing brace). The
# sources are clang-formatted (.clang-format: a function's braces sit alone
# at column 0), which is what this reads; a '{' at column 0 whose signature
# cannot be found is itself a failure, so that a change of style cannot make
# the check pass by finding nothing.
. "$(dirname "$0")/lib.sh"
need_env OCI_SRC
make_tmp oci-funclen
cd "$OCI_SRC" || bad "cannot cd to $OCI_SRC"
awk -v max=100 '
FNR == 1 { sig = 0; inbody = 0 }
inbody && $0 == "}" {
	n = FNR - sig + 1
	funcs++
	if (n > max) { printf "%s:%d: %s is %d lines long (at most %d)\n", FILENAME, sig, name, n, max; long++ }
	inbody = 0
	next
}
inbody { next }
$0 == "{" {
	# the signature: the lines above, back to a blank line, a comment, a
	# preprocessor line or the end of a declaration
	j = FNR - 1
	while (j > 1 && line[j - 1] != "" && line[j - 1] !~ /^(}|#|\/\*| \*)/ && line[j - 1] !~ /;$/) j--
	if (j < 1 || line[j] !~ /\(/) { printf "%s:%d: a { at column 0 without a function signature above\n", FILENAME, FNR; odd++ }
	name = line[j]; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
	sig = j; inbody = 1
	next
}
{ line[FNR] = $0 }
END { printf "functions %d, longer than %d: %d, odd: %d\n", funcs, max, long + 0, odd + 0 }
' bolt/*.c raftstate/*.c present/*.c cmd/*.c >"$tmp/out" 2>&1 || bad "awk failed: $(cat "$tmp/out")"
cat "$tmp/out" >&2
last=$(tail -n1 "$tmp/out")
n=$(echo "$last" | sed -n 's/^functions \([0-9]*\),.*/\1/p')
[ "${n:-0}" -gt 500 ] && ok "read $n functions" || bad "read only ${n:-no} functions: the reader no longer matches the sources' style"
eq "functions longer than 100 lines" "$(echo "$last" | sed -n 's/.*longer than 100: \([0-9]*\),.*/\1/p')" 0
eq "column-0 braces without a signature" "$(echo "$last" | sed -n 's/.*odd: \([0-9]*\)$/\1/p')" 0
finish
