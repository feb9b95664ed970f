#!/usr/bin/env bash
# `cmake --install BUILD --prefix DIR` puts the binary in DIR/bin, the man
# page in DIR/share/man/man1 and the bash completion in
# DIR/share/bash-completion/completions, each usable from there.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_BUILD
make_tmp install
command -v cmake >/dev/null || { echo "cmake is missing" >&2; exit 1; }
p=$tmp/prefix

if cmake --install "$OCI_BUILD" --prefix "$p" >"$tmp/install.out" 2>&1; then
	ok "cmake --install --prefix DIR"
else
	bad "cmake --install failed: $(tail -3 "$tmp/install.out")"
fi
bin=$p/bin/op-conductor-init
man1=$p/share/man/man1/op-conductor-init.1
compl=$p/share/bash-completion/completions/op-conductor-init
for f in "$bin" "$man1" "$compl"; do
	[ -f "$f" ] && ok "installed ${f#"$p"/}" || bad "not installed: ${f#"$p"/}"
done
[ -x "$bin" ] && [ "$("$bin" --version)" = "$("$OCI_BIN" --version)" ] && ok "the installed binary runs: $("$bin" --version)" ||
	bad "the installed binary does not run"
cmp -s "$man1" "$OCI_SRC/docs/op-conductor-init.1" && ok "the installed man page is docs/op-conductor-init.1" ||
	bad "the installed man page differs from docs/op-conductor-init.1"
if command -v man >/dev/null; then
	MANPATH=$p/share/man MANWIDTH=100 man op-conductor-init 2>/dev/null | col -b | grep -q '^NAME' &&
		ok "man finds it through MANPATH" || bad "man op-conductor-init with MANPATH=DIR/share/man shows nothing"
fi
got=$(bash -c '. "$1"; COMP_WORDS=(op-conductor-init raft ver); COMP_CWORD=2; _op_conductor_init; echo "${COMPREPLY[*]}"' _ "$compl")
[ "$got" = verify ] && ok "the installed completion completes 'raft ver' to verify" || bad "installed completion gave [$got]"
finish
