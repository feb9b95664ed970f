#!/usr/bin/env bash
# The layer rule for cmd/ (docs/design.md, "Where things live"): cmd/ calls
# raftstate/ only. No object of the binary's cmd/ files leaves a bolt_*
# symbol undefined (a call or a reference into libbolt), and no cmd/ file
# includes a bolt/ header. libbolt's own rule (nothing of raftstate) is
# bolt_layer_check's, at link time. The check is shown to catch an object
# that calls bolt_meta_status_text.
# Inside raftstate/, the command engines (generate with its --if-absent
# verdict, recover, restore, backup, compact) sit on top: no other
# raftstate/ object references a symbol an engine defines (cluster.c once
# called rs_generate_node), checked on the objects the same way.
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

# raftstate/: nothing but an engine calls an engine
rsdir="$OCI_BUILD/CMakeFiles/raftstate.dir/raftstate"
engines="generate ifabsent recover restore backup compact"
: >"$tmp/engine-syms"
for e in $engines; do
	if [ ! -e "$rsdir/$e.c.o" ]; then
		bad "no object of raftstate/$e.c under $rsdir"
		continue
	fi
	nm --defined-only -g --format=posix "$rsdir/$e.c.o" | awk -v e="$e" '{ print $1, e }' >>"$tmp/engine-syms"
done
# engine_refs OBJ...: "OBJ -> ENGINE: SYMBOL" for every engine symbol OBJ leaves undefined
engine_refs() {
	local o
	for o; do
		nm -u --format=posix "$o" | awk -v o="${o##*/}" 'NR == FNR { eng[$1] = $2; next }
			($1 in eng) { print o " -> " eng[$1] ": " $1 }' "$tmp/engine-syms" -
	done
}
others=()
for o in "$rsdir"/*.c.o; do
	b=${o##*/}
	case " $engines " in *" ${b%.c.o} "*) ;; *) others+=("$o") ;; esac
done
eq "raftstate/ objects outside the engines checked" "$((${#others[@]} > 10))" 1
refs=$(engine_refs "${others[@]}")
if [ -z "$refs" ]; then
	ok "no raftstate/ object outside the command engines calls one"
else
	bad "raftstate/ calls a command engine (the engine calls the module, not the reverse): $(echo $refs)"
fi
cat >"$tmp/model.c" <<'C'
#include "raftstate/generate.h"
int model(void);
int model(void) { return rs_generate_node("x", NULL, "a", "a", 1, NULL, NULL); }
C
if cc -std=c11 -D_GNU_SOURCE -c -I"$OCI_SRC" -o "$tmp/model.c.o" "$tmp/model.c" 2>"$tmp/cc.err"; then
	eq "a raftstate/-like object calling rs_generate_node is caught" \
		"$(engine_refs "$tmp/model.c.o")" "model.c.o -> generate: rs_generate_node"
else
	bad "compile the engine self-test object: $(head -c 300 "$tmp/cc.err")"
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
