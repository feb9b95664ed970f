#!/usr/bin/env bash
# The layer rules of cmd/ and present/ (docs/design.md, "Where things
# live"): cmd/ and present/ call raftstate/ and never bolt/: no object of
# theirs leaves a bolt_* symbol undefined (a call or a reference into
# libbolt), and none of their files includes a bolt/ header. libbolt's own
# rule (nothing of raftstate) is bolt_layer_check's, at link time. The check
# is shown to catch an object that calls bolt_meta_status_text.
# present/ (flags, help, messages, text and JSON renderings) sits below
# cmd/: no present/ object references a symbol a cmd/ object defines, calls
# a command engine of raftstate/, or calls a libc function that opens,
# creates or changes a file or runs a program (it presents; the command and
# raftstate act). Each of those is shown to be caught on a model object.
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
pobjs=() missing=()
for c in "$OCI_SRC"/present/*.c; do
	o="$OCI_BUILD/CMakeFiles/present.dir/present/${c##*/}.o"
	if [ -e "$o" ]; then pobjs+=("$o"); else missing+=("${c##*/}"); fi
done
eq "present/ sources without an object" "${missing[*]}" ""
eq "present/ objects found" "$((${#pobjs[@]} > 5))" 1

refs=$(bolt_refs "${objs[@]}" "${pobjs[@]}")
if [ -z "$refs" ]; then
	ok "no cmd/ or present/ object calls into bolt/"
else
	bad "cmd/ or present/ calls bolt/ (go through a raftstate/ function): $(echo $refs)"
fi

inc=$(grep -ln '#include "bolt/' "$OCI_SRC"/cmd/*.[ch] "$OCI_SRC"/present/*.[ch] || true)
if [ -z "$inc" ]; then
	ok "no cmd/ or present/ file includes a bolt/ header"
else
	bad "cmd/ or present/ files include bolt/ headers: $(echo $inc)"
fi
inc=$(grep -ln '#include "cmd/' "$OCI_SRC"/present/*.[ch] || true)
if [ -z "$inc" ]; then
	ok "no present/ file includes a cmd/ header"
else
	bad "present/ files include cmd/ headers: $(echo $inc)"
fi

# present/ -> cmd/: the symbols cmd/ objects define, referenced from below;
# but oci_log_conf, the run's stderr setting: the one piece of run-wide
# state, which cmd/main.c owns (STYLE) and present/report.c reads
for o in "${objs[@]}"; do
	nm --defined-only -g --format=posix "$o" | awk '$1 != "oci_log_conf" { print $1, "cmd" }'
done >"$tmp/cmd-syms"
# up_refs SYMS OBJ...: "OBJ -> WHERE: SYMBOL" for every symbol of SYMS OBJ leaves undefined
up_refs() {
	local syms=$1 o
	shift
	for o; do
		nm -u --format=posix "$o" | awk -v o="${o##*/}" 'NR == FNR { at[$1] = $2; next }
			($1 in at) { print o " -> " at[$1] ": " $1 }' "$syms" -
	done
}
eq "cmd/ objects define symbols" "$(($(wc -l <"$tmp/cmd-syms") > 10))" 1
refs=$(up_refs "$tmp/cmd-syms" "${pobjs[@]}")
if [ -z "$refs" ]; then
	ok "no present/ object references cmd/"
else
	bad "present/ references cmd/ (cmd/ calls present/, not the reverse): $(echo $refs)"
fi
# the libc calls that open, create or change a file, or run a program
acts='^(open|open64|openat|openat64|creat|fopen|fopen64|freopen|opendir|fdopendir|rename|renameat|renameat2|unlink|unlinkat|remove|mkdir|mkdirat|rmdir|chown|fchown|lchown|fchownat|chmod|fchmod|fchmodat|truncate|ftruncate|link|linkat|symlink|symlinkat|flock|execv|execve|execvp|fork|system|popen)$'
# act_refs OBJ...: "OBJ: CALL" for every such call OBJ makes
act_refs() {
	local o
	for o; do
		nm -u --format=posix "$o" | awk -v o="${o##*/}" -v re="$acts" '$1 ~ re { print o ": " $1 }'
	done
}
refs=$(act_refs "${pobjs[@]}")
if [ -z "$refs" ]; then
	ok "no present/ object opens, changes or runs anything itself"
else
	bad "present/ acts on files (that is a command's or raftstate's work): $(echo $refs)"
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
refs=$(engine_refs "${pobjs[@]}")
if [ -z "$refs" ]; then
	ok "no present/ object calls a command engine"
else
	bad "present/ calls a command engine (only cmd/ runs one): $(echo $refs)"
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

# the present/ checks themselves, on a model object that does all three
cat >"$tmp/presenter.c" <<'C'
#include <fcntl.h>
#include "cmd/command.h"
#include "raftstate/generate.h"
int presenter(void);
int presenter(void)
{
	return open("x", O_RDONLY) + oci_cmd_raft_info.max_args +
	       rs_generate_node("x", NULL, "a", "a", 1, NULL, NULL);
}
C
if cc -std=c11 -D_GNU_SOURCE -c -I"$OCI_SRC" -o "$tmp/presenter.c.o" "$tmp/presenter.c" 2>"$tmp/cc.err"; then
	eq "a present/-like object referencing cmd/ is caught" \
		"$(up_refs "$tmp/cmd-syms" "$tmp/presenter.c.o")" "presenter.c.o -> cmd: oci_cmd_raft_info"
	eq "a present/-like object calling open is caught" \
		"$(act_refs "$tmp/presenter.c.o")" "presenter.c.o: open"
	eq "a present/-like object calling an engine is caught" \
		"$(engine_refs "$tmp/presenter.c.o")" "presenter.c.o -> generate: rs_generate_node"
else
	bad "compile the present/ self-test object: $(head -c 300 "$tmp/cc.err")"
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
