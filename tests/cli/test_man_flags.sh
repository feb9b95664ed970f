#!/usr/bin/env bash
# `man -l docs/op-conductor-init.1` names every command `--help` lists, and
# for every command exactly the flags and environment variables its --help
# shows (its own section plus COMMON FLAGS), no more, no fewer.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN OCI_SRC
make_tmp man-flags
command -v man >/dev/null || { echo "man (man-db) is missing" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is missing" >&2; exit 1; }
B=$OCI_BIN

MANWIDTH=200 man -l "$OCI_SRC/docs/op-conductor-init.1" 2>"$tmp/man.err" | col -bx >"$tmp/man.txt"
[ -s "$tmp/man.txt" ] && ! [ -s "$tmp/man.err" ] && ok "man -l renders the page without warnings" ||
	bad "man -l: $(head -3 "$tmp/man.err")"

# the commands --help lists: "  raft generate        Generate ..."
"$B" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 " " $2 } on && /^$/ { exit }' >"$tmp/commands"
[ "$(wc -l <"$tmp/commands")" -ge 7 ] && ok "--help lists $(wc -l <"$tmp/commands") commands" || bad "--help lists too few commands"
while read -r group name; do
	"$B" "$group" "$name" --help >"$tmp/help.$group.$name" 2>&1 || bad "$group $name --help failed"
done <"$tmp/commands"

python3 - "$tmp" <<'PY'
import re, sys
tmp = sys.argv[1]
man = open(tmp + '/man.txt').read().split('\n')
commands = [l.split() for l in open(tmp + '/commands').read().split('\n') if l.strip()]

# man: section headers at column 0, subsections ("   raft generate") at 3
sections, cur, sub = {}, None, None
for line in man:
    if re.match(r'^[A-Z][A-Z ]+$', line):
        cur, sub = line.strip(), None
        continue
    m = re.match(r'^   (\S.*)$', line)
    if cur == 'COMMANDS' and m and not line.startswith('    '):
        sub = m.group(1).strip()
        continue
    sections.setdefault((cur, sub), []).append(line)

def man_flags(lines, indent):
    # flag and variable tags (.TP) sit at `indent`; text wraps below them
    flags, envs = set(), set()
    for l in lines:
        if len(l) - len(l.lstrip(' ')) != indent:
            continue
        m = re.match(r'^\s+(--[a-z][a-z0-9.-]*)(, (-[a-z]))?(\s|$)', l)
        if m:
            flags.add(m.group(1))
            if m.group(3): flags.add(m.group(3))
        m = re.match(r'^\s+([A-Z][A-Z0-9_]+)$', l)
        if m:
            envs.add(m.group(1))
    text = re.sub(r'\s+', ' ', ' '.join(lines))
    envs |= set(re.findall(r'Environment: (\w+)\.', text))
    return flags, envs

def help_flags(path):
    flags, envs, in_env = set(), set(), False
    for l in open(path).read().split('\n'):
        m = re.match(r'^  (--[a-z][a-z0-9.-]*)(, (-[a-z]))?(\s|$)', l)
        if m:
            flags.add(m.group(1))
            if m.group(3): flags.add(m.group(3))
        envs |= set(re.findall(r'\[\$(\w+)\]', l))
        if l == 'Environment:':
            in_env = True
        elif in_env and re.match(r'^  ([A-Z][A-Z0-9_]+)$', l):
            envs.add(l.strip())
        elif not l.strip():
            in_env = False
    return flags, envs

common_f, common_e = man_flags(sections.get(('COMMON FLAGS', None), []), 7)
man_cmds = {k[1] for k in sections if k[0] == 'COMMANDS' and k[1]}
fail = 0
def say(ok, msg):
    global fail
    print(('ok   ' if ok else 'FAIL ') + msg)
    fail += 0 if ok else 1

want = {' '.join(c) for c in commands}
say(man_cmds == want, 'man COMMANDS sections %s = --help commands %s' % (sorted(man_cmds), sorted(want)))
for g, n in commands:
    hf, he = help_flags('%s/help.%s.%s' % (tmp, g, n))
    mf, me = man_flags(sections.get(('COMMANDS', g + ' ' + n), []), 14)
    if hf:  # a command that parses flags: its own ones plus the common ones
        mf, me = mf | common_f, me | common_e
    say(hf == mf, '%s %s: flags: --help %d, man %d%s' % (g, n, len(hf), len(mf),
        '' if hf == mf else ' (only in --help: %s; only in man: %s)' % (sorted(hf - mf), sorted(mf - hf))))
    say(he == me, '%s %s: environment: --help %d, man %d%s' % (g, n, len(he), len(me),
        '' if he == me else ' (only in --help: %s; only in man: %s)' % (sorted(he - me), sorted(me - he))))
    # every variable also in ENVIRONMENT
    envsec = ' '.join(sections.get(('ENVIRONMENT', None), []))
    missing = [e for e in he if e not in envsec]
    say(not missing, '%s %s: every variable is in ENVIRONMENT%s' % (g, n, ' (missing %s)' % missing if missing else ''))
for s in ('NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'ENVIRONMENT', 'EXIT STATUS', 'FILES', 'EXAMPLES', 'SECURITY', 'SEE ALSO'):
    say(any(k[0] == s for k in sections), 'man has section %s' % s)
open(tmp + '/py.fail', 'w').write(str(fail))
PY
n=$(cat "$tmp/py.fail" 2>/dev/null || echo 1)
[ "$n" = 0 ] && ok "man page and --help agree for every command" || bad "$n disagreements between the man page and --help"
finish
