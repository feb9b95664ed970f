# zsh -f zsh-complete.zsh FPATH_DIR OUT LINE
# Types LINE and a Tab into an interactive zsh on a pseudo-terminal (zpty)
# that has run compinit with FPATH_DIR first in $fpath, and writes each
# match the completion system offered to OUT, one per line. Exit 3: no
# zsh/zpty; 4: the shell did not get ready or the completion did not end.
zmodload zsh/zpty || exit 3
dir=$1 out=$2 line=$3
: >$out
zpty z zsh -f -i || exit 3
# wait_for N: until the shell printed "ready-N" (its echo of the command
# shows "ready-$((N))", which does not match)
wait_for() {
	local x
	zpty -w z "print ready-\$(($1))"
	zpty -r z x "*ready-$1*" || exit 4
}
zpty -w z "PS1= PROMPT= RPROMPT=; unsetopt zle_bracketed_paste 2>/dev/null"
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
# each match added also goes to OUT (calls with -O, -A or -D only fill arrays)
zpty -w z "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a __m; builtin compadd -A __m \"\$@\"; print -rl -- \$__m >>${(q)out}; builtin compadd \"\$@\"; }"
zpty -w z "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; LISTMAX=100000"
# Tab: complete, then say so in OUT
zpty -w z "complete-mark() { zle complete-word; print -r -- __done__ >>${(q)out}; }; zle -N complete-mark; bindkey '^I' complete-mark"
wait_for 1
zpty -w -n z "$line"$'\t'
for i in {1..600}; do
	grep -qx __done__ $out 2>/dev/null && break
	sleep 0.1
done
zpty -d z
grep -qx __done__ $out || exit 4
sed -i '/^__done__$/d' $out
