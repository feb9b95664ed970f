#!/usr/bin/env bash
# `raft compact` on state op-conductor v1.19.6's own consensus wrote (raft's own
# snapshots and log truncation leave free pages in raft-log.db):
#   - --dry-run changes nothing (every file's bytes, before and after);
#   - compacted (plain on n1, --trailing 0 on n2): bbolt v1.3.6's tx.Check is clean,
#     the freelist is empty, every bucket keeps its key count and sequence, and each
#     file is no bigger than its live pages (high-water mark minus free pages) or
#     bbolt's 32 KiB minimum;
#   - --trailing removes exactly raft's range: n2's log then starts right after its
#     newest snapshot;
#   - op-conductor started on the compacted state restores the same head, the 3
#     nodes form a cluster again, commit more payloads and all catch up;
#   - a node whose newest snapshot is old (payloads committed after it with
#     op-conductor's default threshold, so no newer snapshot) keeps every entry
#     after that snapshot.
. "$(dirname "$0")/opc_lib.sh"
need_harness

# bolt FILE NAME: bbolt's view of FILE into $TMP/NAME.json
bolt() { "$H" bolt-check --file "$1" >"$TMP/$2.json" 2>"$TMP/bolt.err" || die "bolt-check $1: $(cat "$TMP/bolt.err")"; }
tree() { (cd "$1" && find . -printf '%p %y %m %s\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum); }
info() { "$OCI_BIN" raft info --state-dir "$2" --json | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

opc_new big bootstrap 3 --blocks 1-240:v3:20000 --threshold 64 --trailing 32 --interval 100ms --wait-snapshot
opc_restart_head big-before
HEAD="$RNUM $RHASH"
[ "$RNUM" = 240 ] || die "big: op-conductor restores $RNUM, the scenario expects 240"

# --dry-run changes nothing
tree "$ST" >"$TMP/before.tree"
"$OCI_BIN" raft compact --state-dir "$ST/n2" --trailing 0 --dry-run >"$TMP/dry.out" 2>&1 || die "dry run: $(cat "$TMP/dry.out")"
tree "$ST" >"$TMP/after.tree"
cmp -s "$TMP/before.tree" "$TMP/after.tree" || die "compact --dry-run changed the state"
say "ok: --dry-run: $(grep -- '^--trailing' "$TMP/dry.out" | cut -c1-120); nothing changed"

for n in n1 n2; do
	for f in raft-log.db raft-stable.db; do bolt "$ST/$n/$f" "$n-$f-before"; done
done
snap2=$(info 'd["snapshots"][0]["index"]' "$ST/n2")
last2=$(info 'd["log"]["last_index"]' "$ST/n2")
"$OCI_BIN" raft compact --state-dir "$ST/n1" >"$TMP/c1.out" 2>&1 || die "compact n1: $(cat "$TMP/c1.out")"
"$OCI_BIN" raft compact --state-dir "$ST/n2" --trailing 0 --force >"$TMP/c2.out" 2>&1 || die "compact --trailing 0 n2: $(cat "$TMP/c2.out")"
for n in n1 n2; do
	for f in raft-log.db raft-stable.db; do
		bolt "$ST/$n/$f" "$n-$f-after"
		python3 - "$TMP/$n-$f-before.json" "$TMP/$n-$f-after.json" "$n" "$f" <<'PY' || die "$n/$f: see above"
import json, sys
b, a = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
what = "%s/%s" % (sys.argv[3], sys.argv[4])
bad = []
if a["errors"]: bad.append("tx.Check: %s" % a["errors"][:3])
if a["free_pages"] or a["pending_pages"]: bad.append("%d free, %d pending pages" % (a["free_pages"], a["pending_pages"]))
live = b["hwm_pages"] - b["free_pages"] - b["pending_pages"]
if a["file_size"] > max(32768, live * b["page_size"]):
    bad.append("%d bytes, more than the %d live pages or 32 KiB" % (a["file_size"], live))
if a["sequences"] != b["sequences"]: bad.append("sequences %s, were %s" % (a["sequences"], b["sequences"]))
if sys.argv[4] == "raft-stable.db" or sys.argv[3] == "n1":
    if a["buckets"] != b["buckets"]: bad.append("buckets %s, were %s" % (a["buckets"], b["buckets"]))
if bad:
    print("%s: %s" % (what, "; ".join(bad))); sys.exit(1)
print("[ok] %s: %d -> %d bytes (%d pages, %d free before); tx.Check clean, no free page, %s" % (what, b["file_size"], a["file_size"], b["hwm_pages"], b["free_pages"], a["buckets"]))
PY
	done
done
if [ "$snap2" = "$last2" ]; then
	# the newest snapshot covers the whole log (when it was taken last
	# depends on timing): raft's range removes every entry, as its own
	# compaction would (snapshot.go compactLogsWithTrailing, raft v1.7.3)
	[ "$(info 'd["log"]["count"]' "$ST/n2")" = 0 ] || die "n2: --trailing 0 with the snapshot at the last index ($snap2) left $(info 'd["log"]["count"]' "$ST/n2") entries"
	say "ok: n2 --trailing 0: the newest snapshot ($snap2) is at the last index: the log is now empty, as raft's own compaction leaves it"
else
	[ "$(info 'd["log"]["first_index"]' "$ST/n2")" = $((snap2 + 1)) ] || die "n2: --trailing 0 left the log starting at $(info 'd["log"]["first_index"]' "$ST/n2"), not after the snapshot ($snap2)"
	[ "$(info 'd["log"]["last_index"]' "$ST/n2")" = "$last2" ] || die "n2: the last index changed"
	say "ok: n2 --trailing 0: the log now starts at $((snap2 + 1)), right after the newest snapshot ($snap2), and still ends at $last2"
fi

# op-conductor on the compacted state: same head, a cluster again, catches up
opc_restart_head big-after
[ "$RNUM $RHASH" = "$HEAD" ] || die "after compaction op-conductor restores $RNUM $RHASH, before $HEAD"
say "ok: op-conductor restores the same head after compaction: $RNUM ${RHASH:0:18}.."
opc_run more --blocks 241-300:v3:20000
python3 - "$TMP/more.json" <<'PY' || die "more: the nodes did not all catch up"
import json, sys
d = json.load(open(sys.argv[1]))
ns = d["nodes"]
assert d["head"]["number"] == 300, d["head"]
assert len(ns) == 3 and len({n["applied_index"] for n in ns}) == 1, ns
print("[ok] after compaction: 3 nodes, leader %s, head 300, every node applied index %d" % (d["leader"], ns[0]["applied_index"]))
PY
opc_expect more 300

# an old snapshot: entries after it all stay
opc_new old generate 3 --blocks 1-100 --threshold 64 --trailing 32 --interval 100ms --wait-snapshot
opc_run old-more --blocks 101-400
d=$ST/n3
snap=$(info 'd["snapshots"][0]["index"]' "$d")
last=$(info 'd["log"]["last_index"]' "$d")
[ $((last - snap)) -gt 250 ] || die "old: the snapshot ($snap) is not old (last $last)"
"$OCI_BIN" raft compact --state-dir "$d" --trailing 0 --force >"$TMP/old.out" 2>&1 || die "compact old: $(cat "$TMP/old.out")"
[ "$(info 'd["log"]["first_index"]' "$d")" = $((snap + 1)) ] && [ "$(info 'd["log"]["last_index"]' "$d")" = "$last" ] &&
	[ "$(info 'd["log"]["count"]' "$d")" = $((last - snap)) ] || die "old: entries after the snapshot $snap were removed"
say "ok: old snapshot ($snap, last $last): --trailing 0 keeps all $((last - snap)) entries after it"
opc_expect old 400
passed
