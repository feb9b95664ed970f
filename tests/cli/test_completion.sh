#!/usr/bin/env bash
# The bash completion (docs/op-conductor-init.bash-completion, rendered from
# the command and flag tables) driven as bash drives it: COMP_WORDS and
# COMP_CWORD set, the function `complete -p` names called, COMPREPLY read.
# Commands and flags are compared with what --help lists for every command.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
make_tmp completion
B=$OCI_BIN
COMP=$OCI_SRC/docs/op-conductor-init.bash-completion

# shellcheck disable=SC1090
. "$COMP"
spec=$(complete -p op-conductor-init 2>&1)
fn=$(sed -n 's/^complete -F \([^ ]*\) op-conductor-init$/\1/p' <<<"$spec")
[ -n "$fn" ] && ok "complete -p: $spec" || bad "complete -p op-conductor-init: $spec"

# comp WORD... : the completions for the last WORD (the one being typed)
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	"$fn" op-conductor-init "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort
}
same() { # what got want
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got [$(tr '\n' ' ' <<<"$2")] want [$(tr '\n' ' ' <<<"$3")]"; fi
}
words() { printf '%s\n' "$@" | sed '/^$/d' | sort; }

"$B" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1, $2 } on && /^$/ { exit }' >"$tmp/commands"
groups=$(cut -d' ' -f1 "$tmp/commands" | sort -u)
same "first word: the groups of --help, help, --help, --version" "$(comp op-conductor-init '')" \
	"$(words $groups help --help --version)"
same "a prefix: 'ra' gives raft" "$(comp op-conductor-init ra)" "raft"
for g in $groups; do
	same "$g: its commands as --help lists them" "$(comp op-conductor-init "$g" '')" \
		"$(words $(awk -v g="$g" '$1 == g { print $2 }' "$tmp/commands") --help)"
done
same "'raft gen' gives generate" "$(comp op-conductor-init raft gen)" "generate"

while read -r g c; do
	want=$("$B" "$g" "$c" --help | sed -n 's/^  \(--[a-z][a-z0-9.-]*\).*/\1/p' | sort -u)
	got=$(comp op-conductor-init "$g" "$c" --)
	if [ -z "$want" ]; then # pass-through (bootstrap cluster): only our --help
		same "$g $c: nothing but --help (the rest is op-conductor's)" "$got" "--help"
	else
		same "$g $c: every flag of its --help ($(wc -l <<<"$want"))" "$got" "$want"
	fi
done <"$tmp/commands"

# values: directories, files, word lists, nothing
mkdir -p "$tmp/w/node-a" "$tmp/w/node-b"
: >"$tmp/w/node-file.json"
cd "$tmp/w"
same "--state-dir: directories only" "$(comp op-conductor-init raft verify --state-dir node)" "$(words node-a node-b)"
same "--state-dir=: directories only (bash splits at =)" "$(comp op-conductor-init raft verify --state-dir = node)" "$(words node-a node-b)"
same "--config: files" "$(comp op-conductor-init raft generate --config node-f)" "node-file.json"
same "--log.level: op-service's levels" "$(comp op-conductor-init raft info --log.level '')" "$(words trace debug info warn error crit)"
same "--entries: all" "$(comp op-conductor-init raft info --entries a)" "all"
same "--nodes: no guesses" "$(comp op-conductor-init raft generate --nodes '')" ""
same "after a boolean flag: flags again" "$(comp op-conductor-init raft verify --json --l)" "$(words --live --log.level --log.format --log.color --log.pid)"
same "help raft: the commands' group" "$(comp op-conductor-init help '')" "$(words $groups)"
cd "$OCI_SRC"
bash -n "$COMP" && ok "bash -n accepts the completion" || bad "bash -n rejects the completion"
finish
