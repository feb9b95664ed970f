#!/usr/bin/env bash
# `cpack -G DEB` (just deb) makes op-conductor-init_<version>_<arch>.deb with
# the binary, the man page and the bash completion under /usr, and a Depends
# that names the package of every shared library the binary needs (from
# dpkg-shlibdeps); installed into a scratch root with `dpkg --root`, the
# binary runs from there (--version, raft generate, raft verify), the man page
# renders and the completion completes; `dpkg --root -r` removes it all.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_BUILD
make_tmp deb
unset_env 'OP_CONDUCTOR_[A-Z_]*'
for t in cpack dpkg dpkg-deb dpkg-shlibdeps readelf; do
	command -v "$t" >/dev/null || { echo "$t is missing (run.sh installs dpkg-dev, binutils, cmake)" >&2; exit 1; }
done
[ -f "$OCI_BUILD/CPackConfig.cmake" ] || { echo "$OCI_BUILD/CPackConfig.cmake missing (configure with cmake first)" >&2; exit 1; }

version=$("$OCI_BIN" --version | awk '{ print $2 }')
arch=$(dpkg --print-architecture)
if cpack -G DEB --config "$OCI_BUILD/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.out" 2>&1; then
	ok "cpack -G DEB"
else
	bad "cpack -G DEB failed: $(tail -5 "$tmp/cpack.out")"
	finish
fi
deb=$tmp/pkg/op-conductor-init_${version}_${arch}.deb
[ -f "$deb" ] && ok "made $(basename "$deb")" || { bad "no $(basename "$deb") in: $(ls "$tmp/pkg")"; finish; }

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = op-conductor-init ] && [ "$(field Version)" = "$version" ] && [ "$(field Architecture)" = "$arch" ] &&
	ok "control: Package op-conductor-init, Version $version (= --version), Architecture $arch" ||
	bad "control: $(field Package) $(field Version) $(field Architecture)"
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./||' | sort >"$tmp/contents"
for f in usr/bin/op-conductor-init usr/share/man/man1/op-conductor-init.1 \
	usr/share/bash-completion/completions/op-conductor-init; do
	grep -qx "$f" "$tmp/contents" && ok "contains /$f" || bad "does not contain /$f"
done

# Depends: the package of every library in the binary's NEEDED list
depends=$(field Depends)
while read -r lib; do
	path=$(ldd "$OCI_BIN" | awk -v l="$lib" '$1 == l { print $3 }')
	[ -n "$path" ] || { bad "ldd does not resolve $lib"; continue; }
	real=$(readlink -f "$path")
	pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$real" 2>/dev/null || dpkg -S "/usr$real" 2>/dev/null || true)
	pkg=${pkg%%:*}
	if [ -z "$pkg" ]; then
		bad "no package owns $path ($lib)"
	elif [[ ", $depends" == *", $pkg ("* || ", $depends," == *", $pkg,"* ]]; then
		ok "Depends names $pkg (for $lib)"
	else
		bad "Depends [$depends] lacks $pkg (for $lib)"
	fi
done < <(readelf -d "$OCI_BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')

# install into a scratch root
r=$tmp/root
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
: >"$r/var/lib/dpkg/status"
# dpkg wants ldconfig and start-stop-daemon on PATH, and a non-root user's
# PATH (Debian's login.defs) has no /usr/sbin or /sbin
sbin_path=$PATH:/usr/local/sbin:/usr/sbin:/sbin
if PATH=$sbin_path dpkg --root="$r" --force-depends --force-not-root --log=/dev/null -i "$deb" >"$tmp/dpkg.out" 2>&1; then
	ok "dpkg --root installs it"
else
	bad "dpkg --root -i failed: $(tail -5 "$tmp/dpkg.out")"
	finish
fi
[ "$(dpkg --root="$r" -s op-conductor-init 2>/dev/null | sed -n 's/^Status: //p')" = "install ok installed" ] &&
	ok "dpkg --root -s: install ok installed" || bad "dpkg --root -s does not say installed"
b=$r/usr/bin/op-conductor-init
[ "$("$b" --version)" = "op-conductor-init $version" ] && ok "the installed binary: $("$b" --version)" || bad "the installed binary's --version"
if "$b" raft generate --nodes a=127.0.0.1:50001,b=127.0.0.1:50002,c=127.0.0.1:50003 --initial-leader a \
	--output-dir "$tmp/state" >"$tmp/gen.out" 2>&1 && "$b" raft verify --state-dir "$tmp/state" >"$tmp/verify.out" 2>&1; then
	ok "the installed binary generates a 3-node cluster, and verifies it"
else
	bad "the installed binary: $(tail -3 "$tmp/gen.out" "$tmp/verify.out")"
fi
"$OCI_BIN" raft generate --nodes a=127.0.0.1:50001,b=127.0.0.1:50002,c=127.0.0.1:50003 --initial-leader a \
	--output-dir "$tmp/state-ref" >/dev/null 2>&1
diff -r "$tmp/state" "$tmp/state-ref" >/dev/null && ok "... the same bytes as the build's binary" || bad "the installed binary writes other bytes"
cmp -s "$r/usr/share/man/man1/op-conductor-init.1" "$OCI_SRC/docs/op-conductor-init.1" &&
	ok "the installed man page is docs/op-conductor-init.1" || bad "the installed man page differs"
got=$(bash -c '. "$1"; COMP_WORDS=(op-conductor-init raft backup --comp); COMP_CWORD=3; _op_conductor_init; echo "${COMPREPLY[*]}"' _ \
	"$r/usr/share/bash-completion/completions/op-conductor-init")
[ "$got" = --compress ] && ok "the installed completion completes --comp to --compress" || bad "installed completion gave [$got]"
if PATH=$sbin_path dpkg --root="$r" --force-not-root --log=/dev/null -r op-conductor-init >"$tmp/rm.out" 2>&1 && ! [ -e "$b" ] &&
	! [ -e "$r/usr/share/man/man1/op-conductor-init.1" ]; then
	ok "dpkg --root -r removes it"
else
	bad "dpkg --root -r: $(tail -3 "$tmp/rm.out")"
fi
finish
