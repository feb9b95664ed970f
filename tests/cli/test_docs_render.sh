#!/usr/bin/env bash
# The checked-in man page, bash, zsh and fish completions, README command block and
# docs/operations.md's environment table are what
# the binary renders from its tables (scripts/render-docs.sh --check): a flag
# or help text changed without `just docs` fails here. The check itself is
# shown to catch drift on a copy (one changed line in each file) and to leave
# the files alone.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
make_tmp docs-render

if out=$(bash "$OCI_SRC/scripts/render-docs.sh" --check "$OCI_BIN" 2>&1); then
	ok "docs/op-conductor-init.1, the bash, zsh and fish completions, README.md and docs/operations.md match --render"
else
	printf '%s\n' "$out"
	bad "checked-in docs differ from what the binary renders (run: just docs)"
fi

# the build renders the same files it installs
for f in op-conductor-init.1 op-conductor-init.{bash,zsh,fish}-completion; do
	if [ -n "${OCI_BUILD:-}" ] && [ -f "$OCI_BUILD/$f" ]; then
		if cmp -s "$OCI_BUILD/$f" "$OCI_SRC/docs/$f"; then ok "build's $f = docs/$f"; else bad "build's $f differs from docs/$f"; fi
	fi
done

# drift is caught: a copy of the tree with one line changed per file
mkdir -p "$tmp/tree/scripts" "$tmp/tree/docs"
cp "$OCI_SRC/scripts/render-docs.sh" "$tmp/tree/scripts/"
cp "$OCI_SRC/README.md" "$tmp/tree/"
cp "$OCI_SRC/docs/op-conductor-init.1" "$OCI_SRC"/docs/op-conductor-init.{bash,zsh,fish}-completion \
	"$OCI_SRC/docs/operations.md" "$tmp/tree/docs/"
bash "$tmp/tree/scripts/render-docs.sh" --check "$OCI_BIN" >/dev/null 2>&1 && ok "the copy checks clean" || bad "the unchanged copy does not check clean"
for f in docs/op-conductor-init.1 docs/op-conductor-init.{bash,zsh,fish}-completion README.md docs/operations.md; do
	cp "$tmp/tree/$f" "$tmp/orig"
	case $f in
	README.md) sed -i 's/^| `raft verify` | .*/| `raft verify` | drifted |/' "$tmp/tree/$f" ;;
	docs/operations.md) sed -i '/^| `OP_CONDUCTOR_INIT_TIMEOUT` |/d' "$tmp/tree/$f" ;;
	*.fish-completion) sed -i 's/-l state-dir /-l state-dirs /' "$tmp/tree/$f" ;;
	*) sed -i 's/--state-dir/--state-dirs/' "$tmp/tree/$f" ;;
	esac
	cmp -s "$tmp/orig" "$tmp/tree/$f" && bad "the test's edit of $f changed nothing"
	cp "$tmp/tree/$f" "$tmp/edited"
	if err=$(bash "$tmp/tree/scripts/render-docs.sh" --check "$OCI_BIN" 2>&1); then
		bad "an edited $f passes the check"
	elif [[ $err == *"$f differs"* ]] && cmp -s "$tmp/edited" "$tmp/tree/$f"; then
		ok "an edited $f fails the check, named, and is left as it was"
	else
		bad "an edited $f: unexpected check output: $err"
	fi
	cp "$tmp/orig" "$tmp/tree/$f"
done
# and rendering (just docs) repairs it
sed -i 's/--state-dir/--state-dirs/' "$tmp/tree/docs/op-conductor-init.1"
bash "$tmp/tree/scripts/render-docs.sh" "$OCI_BIN" >/dev/null
if cmp -s "$tmp/tree/docs/op-conductor-init.1" "$OCI_SRC/docs/op-conductor-init.1"; then ok "render-docs.sh rewrites a drifted file"; else bad "render-docs.sh did not repair the man page"; fi
finish
