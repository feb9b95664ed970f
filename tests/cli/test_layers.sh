#!/usr/bin/env bash
# The layer rule for cmd/ (docs/design.md, "Where things live"): cmd/ calls
# raftstate/ only. No object of the binary's cmd/ files leaves a bolt_*
# symbol undefined (a call or a reference into libbolt), and no cmd/ file
# includes a bolt/ header. libbolt's own rule (nothing of raftstate) is
# bolt_layer_check's, at link time. The check is shown to catch an object
# that calls bolt_meta_status_text.
. "$(dirname "$0")/lib.sh"
need_env OCI_SRC OCI_BUILD
make_tmp oci-layers

# bolt_refs OBJ...: "OBJ: SYMBOL" for every undefined bolt_ symbol
bolt_refs() {
	local o
	for o; do
		nm -u --format=posix "$o" | awk -v o="${o##*/}" '$1 ~ /^bolt_/ { print o ": " $1 }'
	done
}

# the object of every cmd/ source (an object left by a source since
# removed is not the binary's and is not looked at)
objs=() missing=()
for c in "$OCI_SRC"/cmd/*.c; do
	o="$OCI_BUILD/CMakeFiles/op-conductor-init.dir/cmd/${c##*/}.o"
	if [ -e "$o" ]; then objs+=("$o"); else missing+=("${c##*/}"); fi
done
if [ "${#objs[@]}" -eq 0 ]; then
	bad "no cmd/ objects under $OCI_BUILD/CMakeFiles/op-conductor-init.dir/cmd"
	finish
fi
eq "cmd/ sources without an object" "${missing[*]}" ""

refs=$(bolt_refs "${objs[@]}")
if [ -z "$refs" ]; then
	ok "no cmd/ object calls into bolt/"
else
	bad "cmd/ calls bolt/ (go through a raftstate/ function): $(echo $refs)"
fi

inc=$(grep -ln '#include "bolt/' "$OCI_SRC"/cmd/*.[ch] || true)
if [ -z "$inc" ]; then
	ok "no cmd/ file includes a bolt/ header"
else
	bad "cmd/ files include bolt/ headers: $(echo $inc)"
fi

# the check itself: an object that does call bolt/ is named
cat >"$tmp/caller.c" <<'C'
#include "bolt/meta.h"
const char *caller(void);
const char *caller(void) { return bolt_meta_status_text(0); }
C
if cc -std=c11 -c -I"$OCI_SRC" -o "$tmp/caller.c.o" "$tmp/caller.c" 2>"$tmp/cc.err"; then
	eq "a cmd/-like object calling bolt_meta_status_text is caught" \
		"$(bolt_refs "$tmp/caller.c.o")" "caller.c.o: bolt_meta_status_text"
else
	bad "compile the self-test object: $(head -c 300 "$tmp/cc.err")"
fi
finish
