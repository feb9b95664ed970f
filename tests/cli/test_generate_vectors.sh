#!/usr/bin/env bash
# Proves: `raft generate`, given each reference case's flags, writes files
# that are byte-identical (cmp) to the Go tool's, with the Go tool's modes
# (directories 0755, files 0600 under umask 022) and nothing else left behind
# (no temporary files).
#
# Env: OCI_BIN (the binary), OCI_TESTDATA (source testdata/, holds gen/<case>/
# with CASE.args, <id>/raft-log.db, <id>/raft-stable.db, SHA256SUMS).
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_TESTDATA
make_tmp oci-genvec

check_case() {
	local vec=$1 name out args problems="" f rel rc
	name=$(basename "$vec")
	out="$tmp/$name/out"
	mkdir -p "$tmp/$name"
	args=$(cat "$vec/CASE.args")
	# CASE.args is POSIX-shell quoted, one line, without the output flag.
	eval "\"\$OCI_BIN\" raft generate $args --output-dir \"\$out\"" \
		>"$tmp/$name/stdout" 2>"$tmp/$name/stderr"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL $name: exit $rc ($(head -c 300 "$tmp/$name/stderr" | tr '\n' ' '))"
		return 1
	fi
	[ -s "$tmp/$name/stderr" ] && problems+=" stderr not empty;"
	# the same set of files as the vector, each cmp-identical
	(cd "$vec" && find . -name '*.db' | LC_ALL=C sort) >"$tmp/$name/want"
	(cd "$out" && find . -mindepth 1 -not -type d | LC_ALL=C sort) >"$tmp/$name/got"
	if ! cmp -s "$tmp/$name/want" "$tmp/$name/got"; then
		problems+=" file set differs: $(diff "$tmp/$name/want" "$tmp/$name/got" | grep '^[<>]' | tr '\n' ' ');"
	fi
	while read -r rel; do
		f="$out/$rel"
		[ -f "$f" ] || continue
		cmp -s "$vec/$rel" "$f" || problems+=" $rel differs;"
		grep -qF "${rel#./}" "$tmp/$name/stdout" || problems+=" summary does not name $rel;"
	done <"$tmp/$name/want"
	# modes
	f=$(find "$out" -type d ! -perm 0755 -printf '%p(%m) ')
	[ -n "$f" ] && problems+=" dirs not 0755: $f;"
	f=$(find "$out" -type f ! -perm 0600 -printf '%p(%m) ')
	[ -n "$f" ] && problems+=" files not 0600: $f;"
	f=$(find "$out" ! -type d ! -type f -printf '%p ')
	[ -n "$f" ] && problems+=" unexpected entries: $f;"
	if [ -n "$problems" ]; then
		echo "FAIL $name:$problems"
		return 1
	fi
	echo "ok   $name ($(wc -l <"$tmp/$name/want") files cmp-identical)"
	return 0
}

ncases=0
for vec in "$OCI_TESTDATA"/gen/*/; do
	vec=${vec%/}
	[ -f "$vec/CASE.args" ] || continue
	ncases=$((ncases + 1))
	if check_case "$vec"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
if [ "$ncases" -eq 0 ]; then
	bad "no cases found under $OCI_TESTDATA/gen"
fi
finish
