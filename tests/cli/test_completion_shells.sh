#!/usr/bin/env bash
# The zsh and fish completions (docs/op-conductor-init.zsh-completion and
# .fish-completion, rendered from the same command and flag tables as the bash
# one) driven in a real zsh and a real fish: zsh through compinit on a
# pseudo-terminal, a line typed and Tab pressed (tests/cli/zsh-complete.zsh);
# fish through `complete -C LINE`. The commands and every command's flags
# are compared with what --help lists, so a flag missing from a completion
# fails here; that is shown on a copy of each file with one flag taken out.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
make_tmp completion-shells
unset_env 'OP_CONDUCTOR_[A-Z_]*'
for t in zsh fish; do
	command -v $t >/dev/null || { echo "$t is missing (run.sh installs zsh and fish)" >&2; exit 1; }
done
zsh -fc 'zmodload zsh/zpty' || { echo "zsh has no zsh/zpty module" >&2; exit 1; }
B=$OCI_BIN
ZSH_COMP=$OCI_SRC/docs/op-conductor-init.zsh-completion
FISH_COMP=$OCI_SRC/docs/op-conductor-init.fish-completion

# zcomp FILE LINE / fcomp FILE LINE: what zsh / fish offers at the end of
# LINE with FILE as the completion; sorted, once each
zcomp() {
	rm -rf "$tmp/zfunc"
	mkdir -p "$tmp/zfunc"
	cp "$1" "$tmp/zfunc/_op-conductor-init"
	timeout 120 zsh -f "$OCI_SRC/tests/cli/zsh-complete.zsh" "$tmp/zfunc" "$tmp/zout" "$2" ||
		echo "zsh-complete.zsh failed (exit $?)"
	sort -u "$tmp/zout"
}
fcomp() {
	timeout 120 fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$1" "$2" | cut -f1 | sort -u
}
same() { # what got want
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got [$(tr '\n' ' ' <<<"$2")] want [$(tr '\n' ' ' <<<"$3")]"; fi
}
words() { printf '%s\n' "$@" | sed '/^$/d' | sort -u; }

"$B" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1, $2 } on && /^$/ { exit }' >"$tmp/commands"
groups=$(cut -d' ' -f1 "$tmp/commands" | sort -u)
[ -s "$tmp/commands" ] && ok "--help lists $(wc -l <"$tmp/commands") commands" || bad "no commands in --help"

# flags_of G C: the flags --help lists for the command (only --help for a pass-through one)
flags_of() {
	local f
	f=$("$B" "$1" "$2" --help | sed -n 's/^  \(--[a-z][a-z0-9.-]*\).*/\1/p' | sort -u)
	[ -n "$f" ] && echo "$f" || echo --help
}

for shell in zsh fish; do
	if [ $shell = zsh ]; then c=zcomp f=$ZSH_COMP; else c=fcomp f=$FISH_COMP; fi
	same "$shell: first word: the groups and help" "$($c "$f" 'op-conductor-init ')" "$(words $groups help)"
	same "$shell: --v gives --version" "$($c "$f" 'op-conductor-init --v')" "--version"
	for g in $groups; do
		same "$shell: $g: its commands as --help lists them" "$($c "$f" "op-conductor-init $g ")" \
			"$(words $(awk -v g="$g" '$1 == g { print $2 }' "$tmp/commands"))"
	done
	same "$shell: 'raft ver' gives verify" "$($c "$f" 'op-conductor-init raft ver')" verify
	same "$shell: 'raft verify --st' gives --state-dir" "$($c "$f" 'op-conductor-init raft verify --st')" --state-dir
	while read -r g cmd; do
		want=$(flags_of "$g" "$cmd")
		same "$shell: $g $cmd --: every flag of its --help ($(wc -l <<<"$want"))" \
			"$($c "$f" "op-conductor-init $g $cmd --")" "$want"
	done <"$tmp/commands"
	same "$shell: --log.level: op-service's levels" "$($c "$f" 'op-conductor-init raft info --log.level ')" \
		"$(words trace debug info warn error crit)"
	same "$shell: after a boolean flag: flags again" "$($c "$f" 'op-conductor-init raft verify --json --l')" \
		"$(words --live --log.level --log.format --log.color --log.pid)"
done

# values: directories for a DIR, files for a FILE
mkdir -p "$tmp/w/node-a" "$tmp/w/node-b"
: >"$tmp/w/node-file.json"
cd "$tmp/w"
same "zsh: --state-dir: directories only" "$(zcomp "$ZSH_COMP" 'op-conductor-init raft verify --state-dir node')" \
	"$(words node-a node-b)"
same "zsh: --config: files" "$(zcomp "$ZSH_COMP" 'op-conductor-init raft generate --config node-f')" node-file.json
same "fish: --state-dir: directories only" "$(fcomp "$FISH_COMP" 'op-conductor-init raft verify --state-dir node')" \
	"$(words node-a/ node-b/)"
same "fish: --config: files" "$(fcomp "$FISH_COMP" 'op-conductor-init raft generate --config node-f')" node-file.json
cd "$OCI_SRC"

# a flag taken out of a copy of each file is missed
grep -q "'--state-dir=\[" "$ZSH_COMP" && grep -q "raft verify' -l state-dir " "$FISH_COMP" ||
	bad "the test's edit: no --state-dir line for raft verify in the completions"
awk '/^\t"raft verify"\)/ { v = 1 } v && /--state-dir=\[/ { v = 0; next } { print }' "$ZSH_COMP" >"$tmp/zsh.cut"
grep -v "raft verify' -l state-dir " "$FISH_COMP" >"$tmp/fish.cut"
want=$(flags_of raft verify)
for shell in zsh fish; do
	if [ $shell = zsh ]; then got=$(zcomp "$tmp/zsh.cut" 'op-conductor-init raft verify --'); else
		got=$(fcomp "$tmp/fish.cut" 'op-conductor-init raft verify --'); fi
	if [ "$got" != "$want" ] && ! grep -qx -- --state-dir <<<"$got" && grep -qx -- --json <<<"$got"; then
		ok "$shell: a completion without raft verify's --state-dir fails the comparison"
	else
		bad "$shell: the cut completion still gave [$(tr '\n' ' ' <<<"$got")]"
	fi
done
zsh -fn "$ZSH_COMP" && ok "zsh -n accepts the zsh completion" || bad "zsh -n rejects the zsh completion"
fish --no-execute "$FISH_COMP" && ok "fish --no-execute accepts the fish completion" || bad "fish rejects the fish completion"
finish
