#!/usr/bin/env bash
# `cpack -G DEB` (just deb) makes op-conductor-init_<version>-<release>_<arch>.deb:
# lintian reports no error and no warning (its override, each with a reason:
# packaging/deb/lintian-overrides); it holds the binary, the gzip'd man page,
# the bash, zsh and fish completions, the systemd unit under
# /lib/systemd/system and its environment file as the conffile
# /etc/default/op-conductor-init, and in /usr/share/doc/op-conductor-init
# copyright (Debian's machine-readable format, the text of LICENSE),
# changelog.gz and changelog.Debian.gz (whose first entry is the package's
# version); Depends names the package of every shared library the binary
# needs (dpkg-shlibdeps): into a scratch root whose dpkg database lacks them
# `dpkg --root -i` refuses it; with their status entries it installs, and
# the binary runs from there, the man page and the three completions
# work; `dpkg -r` removes everything but the conffile, `dpkg --purge` that
# too, and the root is left as it was.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC OCI_BUILD
make_tmp deb
unset_env 'OP_CONDUCTOR_[A-Z_]*'
for t in cpack dpkg dpkg-deb dpkg-shlibdeps dpkg-parsechangelog readelf lintian zsh fish; do
	command -v "$t" >/dev/null || { echo "$t is missing (run.sh installs dpkg-dev, binutils, cmake, lintian, zsh, fish)" >&2; exit 1; }
done
[ -f "$OCI_BUILD/CPackConfig.cmake" ] || { echo "$OCI_BUILD/CPackConfig.cmake missing (configure with cmake first)" >&2; exit 1; }

version=$("$OCI_BIN" --version | awk 'NR == 1 { print $2 }')
release=$(sed -n 's/^set(CPACK_DEBIAN_PACKAGE_RELEASE \([0-9][0-9]*\))$/\1/p' "$OCI_SRC/CMakeLists.txt")
arch=$(dpkg --print-architecture)
if cpack -G DEB --config "$OCI_BUILD/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.out" 2>&1; then
	ok "cpack -G DEB"
else
	bad "cpack -G DEB failed: $(tail -5 "$tmp/cpack.out")"
	finish
fi
deb=$tmp/pkg/op-conductor-init_${version}-${release}_${arch}.deb
[ -f "$deb" ] && ok "made $(basename "$deb")" || { bad "no $(basename "$deb") in: $(ls "$tmp/pkg")"; finish; }

# lintian: exit 2 on an error or a warning; what it says is shown either way
if lintian --fail-on error,warning --display-info "$deb" >"$tmp/lintian.out" 2>&1; then
	ok "lintian: no error, no warning ($(grep -c '^I: ' "$tmp/lintian.out") info tags, each explained in docs/operations.md)"
else
	bad "lintian: $(grep -E '^[EW]: ' "$tmp/lintian.out" | head -10)"
fi
sed -n 's/^\([EWIXP]\): op-conductor-init[^:]*: \([a-z0-9.-]*\).*/  lintian \1: \2/p' "$tmp/lintian.out" | sort -u

field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = op-conductor-init ] && [ "$(field Version)" = "$version-$release" ] && [ "$(field Architecture)" = "$arch" ] &&
	ok "control: Package op-conductor-init, Version $version-$release (--version's), Architecture $arch" ||
	bad "control: $(field Package) $(field Version) $(field Architecture)"
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./||; s|/$||' | sort >"$tmp/contents"
doc=usr/share/doc/op-conductor-init
for f in usr/bin/op-conductor-init usr/share/man/man1/op-conductor-init.1.gz \
	usr/share/bash-completion/completions/op-conductor-init \
	usr/share/zsh/vendor-completions/_op-conductor-init \
	usr/share/fish/vendor_completions.d/op-conductor-init.fish \
	lib/systemd/system/op-conductor-raft-init.service etc/default/op-conductor-init \
	$doc/copyright $doc/changelog.gz $doc/changelog.Debian.gz; do
	grep -qx "$f" "$tmp/contents" && ok "contains /$f" || bad "does not contain /$f"
done
grep -q '^usr/share/man/man1/op-conductor-init\.1$' "$tmp/contents" && bad "an uncompressed man page too"
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$tmp/conffiles" 2>/dev/null
[ "$(cat "$tmp/conffiles")" = /etc/default/op-conductor-init ] && ok "conffiles: /etc/default/op-conductor-init" ||
	bad "conffiles: [$(cat "$tmp/conffiles")]"

# the documents, from the package's own files
mkdir -p "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
cr=$tmp/x/$doc/copyright
head -1 "$cr" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' &&
	grep -qx 'Files: \*' "$cr" && grep -qx 'License: Expat' "$cr" &&
	grep -qx "Copyright: $(sed -n 's/^Copyright (c) //p' "$OCI_SRC/LICENSE")" "$cr" &&
	ok "copyright: the machine-readable format, Files: *, the copyright line of LICENSE, License: Expat" ||
	bad "copyright: $(head -12 "$cr")"
# the license paragraph, unfolded, is LICENSE after its copyright line
awk '/^License: Expat$/ { n++; next } n == 2 { sub(/^ /, ""); if ($0 == ".") $0 = ""; print }' "$cr" >"$tmp/license.deb"
awk 'on { print } /^Copyright \(c\) / { on = 1; getline }' "$OCI_SRC/LICENSE" >"$tmp/license.src"
[ -s "$tmp/license.src" ] && cmp -s "$tmp/license.deb" "$tmp/license.src" && ok "copyright: the license text is LICENSE's, word for word" ||
	bad "copyright's license text differs from LICENSE: $(diff "$tmp/license.src" "$tmp/license.deb" | head -5)"
zcat "$tmp/x/$doc/changelog.Debian.gz" >"$tmp/changelog.Debian"
cl=$(dpkg-parsechangelog -l "$tmp/changelog.Debian" -S Version 2>&1)
[ "$cl" = "$version-$release" ] && ok "changelog.Debian.gz parses, its first entry is $cl" || bad "changelog.Debian.gz: [$cl]"
zcat "$tmp/x/$doc/changelog.gz" | cmp -s - "$OCI_SRC/CHANGELOG.md" && ok "changelog.gz is CHANGELOG.md" || bad "changelog.gz differs from CHANGELOG.md"
zcat "$tmp/x/usr/share/man/man1/op-conductor-init.1.gz" | cmp -s - "$OCI_SRC/docs/op-conductor-init.1" &&
	ok "the man page is docs/op-conductor-init.1, gzip'd" || bad "the man page differs from docs/op-conductor-init.1"
for pair in bash:usr/share/bash-completion/completions/op-conductor-init zsh:usr/share/zsh/vendor-completions/_op-conductor-init \
	fish:usr/share/fish/vendor_completions.d/op-conductor-init.fish; do
	cmp -s "$tmp/x/${pair#*:}" "$OCI_SRC/docs/op-conductor-init.${pair%%:*}-completion" &&
		ok "the ${pair%%:*} completion is docs/op-conductor-init.${pair%%:*}-completion" || bad "the ${pair%%:*} completion differs"
done
cmp -s "$tmp/x/lib/systemd/system/op-conductor-raft-init.service" "$OCI_SRC/examples/systemd/op-conductor-raft-init.service" &&
	ok "the unit is examples/systemd/op-conductor-raft-init.service" || bad "the unit differs from examples/systemd's"
cmp -s "$tmp/x/etc/default/op-conductor-init" "$OCI_SRC/examples/systemd/op-conductor-init.env" &&
	ok "/etc/default/op-conductor-init is examples/systemd/op-conductor-init.env" || bad "the env file differs from examples/systemd's"

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

# install into a scratch root: a dpkg database that knows only the packages
# Depends names (their host status entries, so dpkg checks the versions
# Depends asks for against real ones); no file of theirs is needed to unpack
r=$tmp/root
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
: >"$r/var/lib/dpkg/status"
# dpkg wants ldconfig and start-stop-daemon on PATH, and a non-root user's
# PATH (Debian's login.defs) has no /usr/sbin or /sbin
sbin_path=$PATH:/usr/local/sbin:/usr/sbin:/sbin
rdpkg() { PATH=$sbin_path dpkg --root="$r" --force-not-root --log=/dev/null "$@"; }
status() { dpkg --root="$r" -s op-conductor-init 2>/dev/null | sed -n 's/^Status: //p'; }
# first with none of them: dpkg refuses, naming a dependency
if rdpkg -i "$deb" >"$tmp/dpkg0.out" 2>&1; then
	bad "dpkg -i installed it into a root without its dependencies"
elif grep -q 'dependency problems' "$tmp/dpkg0.out" && grep -q 'depends on libcjson1' "$tmp/dpkg0.out"; then
	ok "dpkg -i into a root without libcjson1 etc.: refused for its dependencies"
else
	bad "dpkg -i without dependencies: $(tail -3 "$tmp/dpkg0.out")"
fi
rdpkg --purge op-conductor-init >/dev/null 2>&1
left=$(cd "$r" && find . -path ./var/lib/dpkg -prune -o ! -path . ! -path ./var ! -path ./var/lib -print)
[ -z "$left" ] && ok "... and --purge of that half-installed package leaves nothing" || bad "the refused install left: $left"
for p in $(field Depends | tr ',' '\n' | sed 's/^ *\([^ (]*\).*/\1/'); do
	dpkg-query -s "$p" >>"$r/var/lib/dpkg/status" 2>/dev/null && echo >>"$r/var/lib/dpkg/status" ||
		bad "the host has no $p (a Depends of the package)"
done
(cd "$r" && find . | sort) >"$tmp/root.before"
if rdpkg -i "$deb" >"$tmp/dpkg.out" 2>&1; then
	ok "dpkg --root -i installs it (its Depends satisfied by the status of $(field Depends | tr ',' '\n' | wc -l) packages)"
else
	bad "dpkg --root -i failed: $(tail -5 "$tmp/dpkg.out")"
	finish
fi
[ "$(status)" = "install ok installed" ] && ok "dpkg -s: install ok installed" || bad "dpkg -s: [$(status)]"
b=$r/usr/bin/op-conductor-init
[ "$("$b" --version | head -1)" = "op-conductor-init $version" ] && ok "the installed binary: $("$b" --version | head -1)" ||
	bad "the installed binary's --version"
if "$b" raft generate --nodes a=127.0.0.1:50001,b=127.0.0.1:50002,c=127.0.0.1:50003 --initial-leader a \
	--output-dir "$tmp/state" >"$tmp/gen.out" 2>&1 && "$b" raft verify --state-dir "$tmp/state" >"$tmp/verify.out" 2>&1; then
	ok "the installed binary generates a 3-node cluster, and verifies it"
else
	bad "the installed binary: $(tail -3 "$tmp/gen.out" "$tmp/verify.out")"
fi
"$OCI_BIN" raft generate --nodes a=127.0.0.1:50001,b=127.0.0.1:50002,c=127.0.0.1:50003 --initial-leader a \
	--output-dir "$tmp/state-ref" >/dev/null 2>&1
diff -r "$tmp/state" "$tmp/state-ref" >/dev/null && ok "... the same bytes as the build's binary" || bad "the installed binary writes other bytes"
if command -v man >/dev/null; then
	MANPATH=$r/usr/share/man MANWIDTH=100 man op-conductor-init 2>/dev/null | col -b | grep -q '^NAME' &&
		ok "man reads the installed page" || bad "man op-conductor-init shows nothing from the installed page"
fi
got=$(bash -c '. "$1"; COMP_WORDS=(op-conductor-init raft backup --comp); COMP_CWORD=3; _op_conductor_init; echo "${COMPREPLY[*]}"' _ \
	"$r/usr/share/bash-completion/completions/op-conductor-init")
[ "$got" = --compress ] && ok "bash: the installed completion completes --comp to --compress" || bad "bash: installed completion gave [$got]"
timeout 120 zsh -f "$OCI_SRC/tests/cli/zsh-complete.zsh" "$r/usr/share/zsh/vendor-completions" "$tmp/zout" \
	'op-conductor-init raft backup --comp' && [ "$(sort -u "$tmp/zout")" = --compress ] &&
	ok "zsh: the installed completion (vendor-completions in fpath) completes --comp to --compress" ||
	bad "zsh: installed completion gave [$(cat "$tmp/zout" 2>/dev/null)]"
got=$(timeout 120 fish --no-config -c 'source $argv[1]; complete -C "op-conductor-init raft backup --comp"' \
	"$r/usr/share/fish/vendor_completions.d/op-conductor-init.fish" | cut -f1)
[ "$got" = --compress ] && ok "fish: the installed completion completes --comp to --compress" || bad "fish: installed completion gave [$got]"

# remove: all but the conffile; purge: that too, and the root is as before
echo "# edited by the administrator" >>"$r/etc/default/op-conductor-init"
if rdpkg -r op-conductor-init >"$tmp/rm.out" 2>&1; then ok "dpkg --root -r"; else bad "dpkg --root -r: $(tail -3 "$tmp/rm.out")"; fi
[ "$(status)" = "deinstall ok config-files" ] && ok "after -r: deinstall ok config-files" || bad "after -r: [$(status)]"
left=$(cd "$r" && find . -path ./var/lib/dpkg -prune -o -type f -print)
[ "$left" = ./etc/default/op-conductor-init ] && ok "after -r: only the edited conffile is left" || bad "after -r, left: $left"
if rdpkg --purge op-conductor-init >"$tmp/purge.out" 2>&1; then ok "dpkg --root --purge"; else bad "dpkg --root --purge: $(tail -3 "$tmp/purge.out")"; fi
[ -z "$(status)" ] && ok "after --purge: dpkg knows no op-conductor-init" || bad "after --purge: [$(status)]"
(cd "$r" && find . -path ./var/lib/dpkg -prune -o -print | sort) >"$tmp/root.after"
if diff <(grep -v '^\./var/lib/dpkg' "$tmp/root.before") <(grep -v '^\./var/lib/dpkg' "$tmp/root.after") >"$tmp/root.diff"; then
	ok "after --purge: no file or directory of the package is left"
else
	bad "after --purge: $(head -5 "$tmp/root.diff")"
fi
finish
