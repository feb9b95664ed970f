#!/usr/bin/env bash
# `cmake --install BUILD --prefix DIR` puts the binary in DIR/bin, the man
# page (gzip'd) in DIR/share/man/man1, the bash, zsh and fish completions in
# DIR/share/{bash-completion/completions,zsh/vendor-completions,
# fish/vendor_completions.d}, the systemd unit in DIR/lib/systemd/system
# naming DIR's binary and DIR/etc/default/op-conductor-init, and nothing
# outside DIR; each usable from there.
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
man1=$p/share/man/man1/op-conductor-init.1.gz
compl=$p/share/bash-completion/completions/op-conductor-init
zcompl=$p/share/zsh/vendor-completions/_op-conductor-init
fcompl=$p/share/fish/vendor_completions.d/op-conductor-init.fish
unit=$p/lib/systemd/system/op-conductor-raft-init.service
envf=$p/etc/default/op-conductor-init
for f in "$bin" "$man1" "$compl" "$zcompl" "$fcompl" "$unit" "$envf" "$p/share/doc/op-conductor-init/copyright"; do
	[ -f "$f" ] && ok "installed ${f#"$p"/}" || bad "not installed: ${f#"$p"/}"
done
[ -x "$bin" ] && [ "$("$bin" --version)" = "$("$OCI_BIN" --version)" ] && ok "the installed binary runs: $("$bin" --version | head -1)" ||
	bad "the installed binary does not run"
zcat "$man1" | cmp -s - "$OCI_SRC/docs/op-conductor-init.1" && ok "the installed man page is docs/op-conductor-init.1, gzip'd" ||
	bad "the installed man page differs from docs/op-conductor-init.1"
if command -v man >/dev/null; then
	MANPATH=$p/share/man MANWIDTH=100 man op-conductor-init 2>/dev/null | col -b | grep -q '^NAME' &&
		ok "man finds it through MANPATH" || bad "man op-conductor-init with MANPATH=DIR/share/man shows nothing"
fi
got=$(bash -c '. "$1"; COMP_WORDS=(op-conductor-init raft ver); COMP_CWORD=2; _op_conductor_init; echo "${COMPREPLY[*]}"' _ "$compl")
[ "$got" = verify ] && ok "the installed completion completes 'raft ver' to verify" || bad "installed completion gave [$got]"
cmp -s "$zcompl" "$OCI_SRC/docs/op-conductor-init.zsh-completion" && cmp -s "$fcompl" "$OCI_SRC/docs/op-conductor-init.fish-completion" &&
	ok "the installed zsh and fish completions are docs/'s" || bad "the installed zsh or fish completion differs from docs/"
# the unit: examples/systemd's, with this prefix's binary and environment file
want=$(sed -e "s|/usr/bin/op-conductor-init|$p/bin/op-conductor-init|g" \
	-e "s|/etc/default/op-conductor-init|$p/etc/default/op-conductor-init|g" "$OCI_SRC/examples/systemd/op-conductor-raft-init.service")
[ "$(cat "$unit")" = "$want" ] && grep -q "^ExecStart=$p/bin/op-conductor-init raft generate$" "$unit" &&
	ok "the unit runs DIR/bin/op-conductor-init with DIR/etc/default/op-conductor-init" || bad "the installed unit: $(grep -e Exec -e Environment "$unit")"
cmp -s "$envf" "$OCI_SRC/examples/systemd/op-conductor-init.env" && ok "DIR/etc/default/op-conductor-init is examples/systemd's .env" ||
	bad "the installed env file differs"
# nothing outside DIR: every path of the install manifest is under it
out=$(grep -v "^$p/" "$OCI_BUILD/install_manifest.txt" || true)
[ -s "$OCI_BUILD/install_manifest.txt" ] && [ -z "$out" ] && ok "install_manifest.txt: all $(wc -l <"$OCI_BUILD/install_manifest.txt") files under DIR" ||
	bad "installed outside DIR: $out"
finish
