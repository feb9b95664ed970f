#!/usr/bin/env python3
"""coverage-gaps.py COVERAGE_JSON [COMMIT] - the branches and lines of
bolt/, raftstate/, present/ and cmd/ that no test reached, grouped by why, as
Markdown (docs/coverage.md is this script's output at a measured commit;
scripts/coverage.sh writes it to build-cov/coverage/gaps.md each run).

Input: gcovr's JSON (scripts/coverage.sh writes build-cov/coverage/coverage.json).
A source line with a branch never taken, or a line never run, is a gap. Each
gap is put in the first group whose rule matches the line or the lines of
its block (the few lines after it up to the end of the statement):

  constant     raftstate/log.c's be_u (an always_inline big-endian read
               whose switch has a case per width msgpack uses, 1, 2, 4 and
               8, and a loop for any other): gcc copies the switch into each
               call, so a call with a literal width takes one case and the
               others cannot be taken there; the loop cannot run at all,
               every call passes 1, 2, 4 or 8 (literals, or canon_uint's
               table of the four). Only those lines: a call whose width
               comes from the data is judged by the other rules
  allocation   the line tests what malloc/calloc/realloc/reallocarray/
               strdup/strndup/cJSON/a zlib init returned, or its block
               reports running out of memory: reachable only by making the
               allocator fail; tests/cli/test_oom_verdicts.sh does, in the
               suite (not under the sanitizers, whose allocator cannot be
               interposed): tests/cli/failcall.c built with -DFAILCALL_ALLOC
               fails each call of malloc, calloc and realloc (or 30 evenly
               spaced ones) of every command in turn
  system call  the line tests what a system call returned on an object
               the code opened or checked just before (fstat, fsync, close,
               dup, fdopendir, mkdirat, renameat, ...), or its block turns
               errno into the error (rs_syserr, bolt_syserr): reachable only
               by injecting the fault; tests/cli/test_io_faults.sh (the
               writing commands) and test_io_faults_read.sh (the reading
               ones) do, for every call or 12 of each wrapped function
  length       a path or name that would not fit its buffer (rs_path_join,
               snprintf, strlcpy, strlcat compared with the size): reachable
               with paths near PATH_MAX, which no test makes
  propagated   a callee's error passed up (`if ((rc = f()) != RS_OK)
               return rc;`, rs_err_from_bolt, goto out): reachable when
               the callee fails there; the callee's own failure is counted
               where it is made
  untested     everything else: reachable code without a test yet, or a
               defensive check the rules above do not recognise; listed so
               that it can be read, not excused

The rules are textual (regular expressions on the source), so a line can
land in a group by its words; the groups are a reading aid, each line is
named so that anyone can check it.
"""
import json
import re
import sys
from collections import defaultdict

CONSTANT = re.compile(
    r"\bbe_u\([^;]*,\s*[0-9]+\)|for \(i = 0; i < width; i\+\+\)|v = \(v << 8\) \| p\[i\];"
)
ALLOC = re.compile(
    r"\b(malloc|calloc|realloc|reallocarray|strdup|strndup|cJSON_\w+|deflateInit2?|"
    r"inflateInit2?|gzdopen|libdeflate_alloc_\w+|rs_json_\w*alloc\w*|"
    r"fdopen|fopen|open_memstream)\s*\(|ENOMEM|out of memory|goto nomem|goto oom"
)
SYSCALL = re.compile(
    r"\b(open|openat|fstat|fstatat|stat|lstat|statx|read|pread|write|pwrite|fsync|"
    r"fdatasync|ftruncate|mkdir|mkdirat|rename|renameat2?|unlink|unlinkat|close|dup|"
    r"fdopendir|opendir|readdir|closedir|flock|fcntl|mmap|munmap|madvise|fchmod|"
    r"fchmodat|fchownat|chmod|chown|readlink|symlink|copy_file_range|posix_fadvise|"
    r"sysconf|clock_gettime|pthread_create|pthread_attr_\w+|sync_file_range|realpath|"
    r"access|faccessat|statvfs|getpwnam|getgrnam|gmtime_r|localtime_r|strftime|"
    r"mkdtemp|mkostemp|sigaction|nanosleep|fflush|fclose|ferror|isatty|time)\s*\(|"
    r"\b(rs_syserr|bolt_syserr|errno)\b"
)
LENGTH = re.compile(
    r"\b(rs_path_join\w*|snprintf|strlcpy|strlcat)\s*\(|>=\s*sizeof|too long|RS_ELIMIT"
)
PROPAGATED = re.compile(
    r"!=\s*(RS_OK|BOLT_OK)|\brc\s*!=\s*0|\brs_err_from_bolt\s*\(|return rc;|goto (out|fail)"
)
# scripts/coverage-unreachable.txt: lines argued unreachable, one a line,
# "FILE | SNIPPET | why": a gap in FILE whose own line contains SNIPPET is put
# in the group *argued* with that reason (before every other rule). An entry
# that matches no source line of FILE is stale: reported, and the script
# exits 1 so that `just coverage` says so.
ARGUED_FILE = "scripts/coverage-unreachable.txt"


def load_argued():
    out = []
    try:
        lines = open(ARGUED_FILE, encoding="utf-8").read().split("\n")
    except OSError:
        return out
    for k, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [x.strip() for x in line.split(" | ", 2)]
        if len(parts) != 3 or not all(parts):
            sys.exit("%s:%d: want FILE | SNIPPET | why" % (ARGUED_FILE, k))
        out.append(tuple(parts) + (k,))
    return out


GROUPS = [
    ("allocation", ALLOC),
    ("system call", SYSCALL),
    ("length", LENGTH),
    ("propagated", PROPAGATED),
]
NAMES = ["constant", "argued"] + [g for g, _ in GROUPS] + ["untested"]


def block(src, n):
    """the gap's line and its block: up to 4 following lines, stopping
    after one that ends a statement or closes a block"""
    if n > len(src):
        return ""  # the source changed since it was measured
    out = [src[n - 1]]
    for k in range(n, min(n + 4, len(src))):
        line = src[k]
        out.append(line)
        if line.rstrip().endswith((";", "}")):
            break
    return "\n".join(out)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: coverage-gaps.py COVERAGE_JSON [COMMIT]")
    doc = json.load(open(sys.argv[1]))
    commit = sys.argv[2] if len(sys.argv) == 3 else "(working tree)"
    gaps = defaultdict(lambda: defaultdict(list))  # group -> file -> [(line, missed)]
    totals = defaultdict(lambda: [0, 0])  # group -> [lines, branches]
    all_lines = all_br = hit_lines = hit_br = 0
    argued = load_argued()
    used = set()  # argued entries that match a source line
    why = {}  # (file, line) -> the argued reason
    for f in sorted(doc["files"], key=lambda f: f["file"]):
        name = f["file"]
        try:
            src = open(name, encoding="utf-8").read().split("\n")
        except OSError:
            continue
        for a in argued:
            if a[0] == name and any(a[1] in line for line in src):
                used.add(a[3])
        for ln in f["lines"]:
            if ln.get("gcovr/noncode"):
                continue
            n = ln["line_number"]
            br = ln["branches"]
            missed = sum(1 for b in br if b["count"] == 0)
            all_lines += 1
            hit_lines += ln["count"] > 0
            all_br += len(br)
            hit_br += len(br) - missed
            if ln["count"] > 0 and missed == 0:
                continue
            text = block(src, n)
            group = "untested"
            if name == "raftstate/log.c" and n <= len(src) and CONSTANT.search(src[n - 1]):
                group = "constant"  # the line alone: its own be_u call
            for a in argued if group == "untested" and n <= len(src) else []:
                if a[0] == name and a[1] in src[n - 1]:
                    group = "argued"
                    why[(name, n)] = a[2]
                    break
            for g, rx in GROUPS if group == "untested" else []:
                if rx.search(text):
                    group = g
                    break
            gaps[group][name].append((n, missed, ln["count"] == 0))
            totals[group][0] += ln["count"] == 0
            totals[group][1] += missed
    pct = lambda a, b: 100.0 * a / b if b else 100.0
    print("# Coverage gaps\n")
    print(
        "Generated by `scripts/coverage-gaps.py` from `just coverage` (unit and CLI\n"
        "tests, gcov branch counts, gcc's own branches left out) at commit %s;\n"
        "`just coverage` writes the same report to `build-cov/coverage/gaps.md`.\n"
        "Totals: lines %.1f %% (%d / %d), branches %.1f %% (%d / %d).\n"
        % (commit, pct(hit_lines, all_lines), hit_lines, all_lines, pct(hit_br, all_br),
           hit_br, all_br)
    )
    print("Each line that was never run, or has a branch never taken, is in the first\n"
          "group whose rule matches it (the rules: the script's header). What the\n"
          "groups mean for issue 25's bar: *constant* is unreachable from a test;\n"
          "*allocation* and *system call* only by injecting the fault\n"
          "(tests/cli/test_oom_verdicts.sh fails the allocator's calls,\n"
          "tests/cli/test_io_faults*.sh the system calls, every call or a fixed\n"
          "sample of each function in each command they run; neither group is\n"
          "excused: a line left there is a path those sweeps do not take);\n"
          "*length* needs paths near PATH_MAX\n"
          "(tests/cli/test_long_paths.sh); *propagated* follows its callee;\n"
          "*untested* is not excused.\n")
    print("| group | lines never run | branches never taken |")
    print("|---|---|---|")
    for g in NAMES:
        print("| %s | %d | %d |" % (g, totals[g][0], totals[g][1]))
    excl_l = totals["constant"][0]
    excl_b = totals["constant"][1]
    print(
        "\nWith the constant and argued groups counted as unreachable (the argued"
        " lines: %s, each with its reason below): lines %.1f %%, branches %.1f %%."
        % (ARGUED_FILE, pct(hit_lines, all_lines - excl_l - totals["argued"][0]),
           pct(hit_br, all_br - excl_b - totals["argued"][1]))
    )
    inj_l = totals["allocation"][0] + totals["system call"][0]
    inj_b = totals["allocation"][1] + totals["system call"][1]
    print(
        "\nWith the constant group counted as unreachable: lines %.1f %%, branches %.1f %%;"
        " with the allocation and system-call groups too (reachable by injection):"
        " lines %.1f %%, branches %.1f %%.\n"
        % (pct(hit_lines, all_lines - excl_l), pct(hit_br, all_br - excl_b),
           pct(hit_lines, all_lines - excl_l - inj_l), pct(hit_br, all_br - excl_b - inj_b))
    )
    for g in NAMES:
        print("## %s\n" % g)
        print("Line numbers; `*` the line never ran, `(n)` n branches never taken.\n")
        if g == "argued":
            for name in sorted(gaps[g]):
                for n, m, never in gaps[g][name]:
                    print("- `%s:%d`%s%s: %s" % (name, n, " never ran" if never else "",
                                                 ", %d branches never taken" % m if m else "",
                                                 why[(name, n)]))
            print()
            continue
        for name in sorted(gaps[g]):
            items = ", ".join(
                "%d%s%s" % (n, "*" if never else "", "(%d)" % m if m else "")
                for n, m, never in gaps[g][name]
            )
            print("- `%s`: %s" % (name, items))
        print()
    stale = [a for a in argued if a[3] not in used]
    for a in stale:
        print("%s:%d: stale: no line of %s contains %r" % (ARGUED_FILE, a[3], a[0], a[1]),
              file=sys.stderr)
    if stale:
        sys.exit(1)


if __name__ == "__main__":
    main()
