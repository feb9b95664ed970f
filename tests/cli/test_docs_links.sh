#!/usr/bin/env bash
# Every relative link in README.md, docs/*.md, bench/RESULTS.md and
# tests/fuzz/README.md names a file that exists, and every #anchor names a
# heading of the target (GitHub's slugs: lower case, punctuation dropped,
# spaces to '-', repeats numbered -1, -2, ...). README.md stays at most 200
# lines (the rest lives in docs/). Links inside fenced code are not links.
. "$(dirname "$0")/lib.sh"
need_env OCI_SRC
command -v python3 >/dev/null || { echo "python3 missing" >&2; exit 1; }
cd "$OCI_SRC"

n=$(wc -l <README.md)
if [ "$n" -le 200 ]; then ok "README.md has $n lines (<= 200)"; else bad "README.md has $n lines (> 200)"; fi

out=$(python3 - README.md docs/*.md bench/RESULTS.md tests/fuzz/README.md <<'PY'
import os, re, sys

def strip_code(text):
    keep, fenced = [], False
    for line in text.split('\n'):
        if re.match(r'^\s*(```|~~~)', line):
            fenced = not fenced
            keep.append('')
            continue
        keep.append('' if fenced else line)
    return keep

def slugs(path):
    seen, out = {}, set()
    for line in strip_code(open(path, encoding='utf-8').read()):
        m = re.match(r'^(#{1,6})\s+(.*?)\s*#*\s*$', line)
        if not m:
            continue
        s = re.sub(r'[^\w\- ]', '', m.group(2).lower()).replace(' ', '-')
        k = seen.get(s, 0)
        seen[s] = k + 1
        out.add(s if k == 0 else '%s-%d' % (s, k))
    return out

bad = checked = 0
for doc in sys.argv[1:]:
    base = os.path.dirname(doc)
    for no, line in enumerate(strip_code(open(doc, encoding='utf-8').read()), 1):
        line = re.sub(r'`[^`]*`', '', line)          # inline code is not a link
        for target in re.findall(r'\]\(([^)\s]+)\)', line):
            if re.match(r'^[a-z][a-z0-9+.-]*:', target):  # http:, https:, mailto:
                continue
            checked += 1
            path, _, anchor = target.partition('#')
            full = os.path.normpath(os.path.join(base, path)) if path else doc
            if not os.path.exists(full):
                print('FAIL %s:%d: %s: %s does not exist' % (doc, no, target, full)); bad += 1
            elif anchor and full.endswith('.md') and anchor not in slugs(full):
                print('FAIL %s:%d: %s: no heading "#%s" in %s' % (doc, no, target, anchor, full)); bad += 1
print('checked %d relative links, %d broken' % (checked, bad))
sys.exit(1 if bad else 0)
PY
)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ] && [[ $out == *"checked "* ]] && [[ $out != "checked 0 "* ]]; then
	ok "every relative link resolves"
else
	bad "broken relative links (above)"
fi
finish
