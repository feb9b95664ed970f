#!/usr/bin/env bash
# --version and --version --json: the version of CMakeLists.txt, the commit
# `git rev-parse` names for the source tree (with -dirty when `git status`
# shows a change), the build date (the commit's date, or SOURCE_DATE_EPOCH
# when the build had it: a scratch build with a fixed SOURCE_DATE_EPOCH
# prints that date, and a second one in another directory is the same bytes),
# the libbsd, cJSON, zlib and libdeflate versions pkg-config names for the libraries
# built against (and, for cJSON and zlib, run with), and the MIT license.
# Both forms say the same; a bad word after --version is a usage error.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
make_tmp version
unset_env 'OP_CONDUCTOR_[A-Z_]*' SOURCE_DATE_EPOCH
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 1; }
B=$OCI_BIN

"$B" --version >"$tmp/text" 2>"$tmp/err" && [ ! -s "$tmp/err" ] && ok "--version: exit 0, nothing on stderr" || bad "--version: $(cat "$tmp/err")"
line() { sed -n "s/^$1: *//p" "$tmp/text"; }
version=$(sed -n 's/^project(op-conductor-init VERSION \([0-9.]*\).*/\1/p' "$OCI_SRC/CMakeLists.txt")
eq "first line" "$(head -1 "$tmp/text")" "op-conductor-init $version"

# the commit, from git itself (the suite runs on the tree it built)
if git -C "$OCI_SRC" rev-parse --show-toplevel >/dev/null 2>&1; then
	want=$(git -C "$OCI_SRC" rev-parse --short=12 HEAD)
	[ -n "$(git -C "$OCI_SRC" status --porcelain --untracked-files=no)" ] && want=$want-dirty
	eq "commit: git rev-parse --short=12 HEAD (+ -dirty)" "$(line commit)" "$want"
	eq "built: the commit's date" "$(line built)" "$(TZ=UTC git -C "$OCI_SRC" show -s --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ HEAD)"
else
	eq "commit: outside a git tree" "$(line commit)" unknown
fi
eq "libbsd: pkg-config's version" "$(line libbsd)" "$(pkg-config --modversion libbsd) (compiled against)"
cj=$(pkg-config --modversion libcjson)
eq "cJSON: pkg-config's version, compiled and running" "$(line cJSON)" "$cj (compiled against), $cj (running)"
z=$(pkg-config --modversion zlib)
eq "zlib: pkg-config's version, compiled and running" "$(line zlib)" "$z (compiled against), $z (running)"
eq "libdeflate: pkg-config's version" "$(line libdeflate)" "$(pkg-config --modversion libdeflate) (compiled against)"
line license | grep -q '^MIT ' && head -1 "$OCI_SRC/LICENSE" | grep -qx 'MIT License' &&
	ok "license: MIT, as LICENSE says" || bad "license: [$(line license)]"

# --json: the same facts
if "$B" --version --json >"$tmp/json" 2>"$tmp/err"; then ok "--version --json: exit 0"; else bad "--version --json: $(cat "$tmp/err")"; fi
got=$(python3 - "$tmp/json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d)[0] == "schema_version", list(d)
l = d["libraries"]
def run(x): return "" if x is None else ", %s (running)" % x
commit = "unknown" if d["commit"] is None else d["commit"] + ("-dirty" if d["dirty"] else "")
print("%s %s" % (d["name"], d["version"]))
print("commit: " + commit)
print("built: " + (d["build_date"] or "unknown"))
for k, name in (("libbsd", "libbsd"), ("cjson", "cJSON"), ("zlib", "zlib"), ("libdeflate", "libdeflate")):
    print("%s: %s (compiled against)%s" % (name, l[k]["compiled"], run(l[k]["running"])))
print("license: " + d["license"])
PY
)
want=$(sed -e 's/^\([a-zA-Z]*:\) */\1 /' -e 's/^license: \(MIT\) .*/license: \1/' "$tmp/text")
eq "--version --json says what --version says" "$got" "$want"
"$B" -v -json=false | cmp -s - "$tmp/text" && ok "-v -json=false: the text form" || bad "-v -json=false differs from --version"
"$B" -version --json=true | cmp -s - "$tmp/json" && ok "-version --json=true: the JSON form" || bad "-version --json=true differs"

for args in "--jsn" "--json extra" "--json=maybe" "json"; do
	# shellcheck disable=SC2086
	"$B" --version $args >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
		ok "--version $args: exit 2, one line: $(cat "$tmp/err")" || bad "--version $args: exit $rc, [$(cat "$tmp/out" "$tmp/err")]"
done

# SOURCE_DATE_EPOCH: the date it says, and the same bytes from two build trees
if [ -n "${OCI_BUILD:-}" ] && command -v cmake >/dev/null; then
	sde=1700000000 # 2023-11-14T22:13:20Z
	for d in a b; do
		SOURCE_DATE_EPOCH=$sde cmake -S "$OCI_SRC" -B "$tmp/build-$d" -DCMAKE_BUILD_TYPE=Release >"$tmp/cfg-$d" 2>&1 &&
			SOURCE_DATE_EPOCH=$sde nice cmake --build "$tmp/build-$d" -j "$(nproc)" --target op-conductor-init >"$tmp/bld-$d" 2>&1 ||
			bad "SOURCE_DATE_EPOCH build $d: $(tail -5 "$tmp/cfg-$d" "$tmp/bld-$d")"
	done
	eq "SOURCE_DATE_EPOCH=$sde: built" "$("$tmp/build-a/op-conductor-init" --version | sed -n 's/^built: *//p')" 2023-11-14T22:13:20Z
	cmp -s "$tmp/build-a/op-conductor-init" "$tmp/build-b/op-conductor-init" &&
		ok "two Release builds in two directories with SOURCE_DATE_EPOCH: the same bytes" ||
		bad "two SOURCE_DATE_EPOCH builds differ"
fi
finish
