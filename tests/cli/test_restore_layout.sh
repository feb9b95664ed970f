#!/usr/bin/env bash
# Proves (issue 26, point 1): `raft restore` puts a backup only where it
# fits, and says how to get what was meant otherwise; every refusal exits 1
# with one sentence on stderr and leaves the target exactly as it was
# (find + sha256 of the whole tree):
#   - a cluster backup into a node directory (one holding state, or an empty
#     one named for a node of the backup: the volume of a lost node) is
#     refused and names --node-id; it used to nest s1/ s2/ s3/ inside it;
#   - a node backup into a cluster root is refused and names the node
#     directory; it used to put its files beside the nodes;
#   - node s2's backup into s1/ is refused (MANIFEST.json records s2; a
#     Go-tool backup without a manifest: its backup-metadata.txt's source);
#     --into-other-node allows it;
#   - a cluster root holding a node the backup lacks is refused;
#   - --node-id s2 restores that node of a cluster backup into s2/, with its
#     checksums checked (a damaged s2 file is refused, a damaged s1 file is
#     not its business), and refuses an ID the backup does not have;
#   - --dry-run prints what would change and writes nothing; without
#     --state-dir it checks a backup alone, a --compress one included (its
#     nodes inflated into $TMPDIR and verified; nothing left there), and
#     `raft verify` of a compressed backup names that command.
# Env: OCI_BIN.
. "$(dirname "$0")/lib.sh"
need_env OCI_BIN
output_style colon
unset_env 'OP_CONDUCTOR_INIT_.*'
B=$OCI_BIN
make_tmp oci-restore-layout
export TMPDIR=$tmp/tmpdir
mkdir -p "$TMPDIR"

gen() { # DIR TERM
	"$B" raft generate --nodes s1=127.0.0.1:7001,s2=127.0.0.1:7002,s3=127.0.0.1:7003 \
		--initial-leader s1 --initial-term "$2" --output-dir "$1" >/dev/null ||
		{ echo "generate failed"; exit 1; }
}
gen "$tmp/src" 3
"$B" raft backup --state-dir "$tmp/src" --backup-dir "$tmp/cbk" >/dev/null || { echo "backup failed"; exit 1; }
cbk=$(ls -d "$tmp"/cbk/raft-backup-*)
"$B" raft backup --state-dir "$tmp/src/s2" --backup-dir "$tmp/nbk" >/dev/null || { echo "node backup failed"; exit 1; }
nbk=$(ls -d "$tmp"/nbk/raft-backup-*)
"$B" raft backup --compress --state-dir "$tmp/src" --backup-dir "$tmp/zbk" >/dev/null || { echo "compressed backup failed"; exit 1; }
zbk=$(ls -d "$tmp"/zbk/raft-backup-*)
gen "$tmp/dst" 9 # the targets: another state, so a restore would change them

# refuse WHAT PATTERN TARGET BACKUP [ARGS...]: exit 1, one line on stderr
# matching PATTERN, the whole of $tmp/dst unchanged (lib.sh)
refuse() {
	local what=$1 pat=$2 target=$3 bk=$4
	shift 4
	RESTORE_TARGET=$target RESTORE_WATCH=$tmp/dst REFUSE_ONE_LINE=1 refuse_restore "$what" "$pat" "$bk" --force "$@"
}

refuse "cluster backup into a node directory" \
	"holds a node's state, and backup .* is of a cluster \(s1, s2, s3\): restore one node into it with --node-id s1" \
	"$tmp/dst/s1" "$cbk"
mkdir "$tmp/dst/s4"
refuse "cluster backup into a node's empty directory (a lost volume)" \
	"sits beside the node directories of .*dst \(s1, s2, s3\)" "$tmp/dst/s4" "$cbk"
rmdir "$tmp/dst/s4"
mkdir -p "$tmp/dst/lost/s2"
refuse "cluster backup into the empty directory of its node s2" \
	"is named for node s2 of backup .*: give --node-id s2" "$tmp/dst/lost/s2" "$cbk"
rm -r "$tmp/dst/lost"
refuse "node backup into a cluster root" \
	"holds node directories \(s1, s2, s3\), and .* is one node's state: give that node's directory, --state-dir .*/dst/s2" \
	"$tmp/dst" "$nbk"
refuse "node s2's backup into s1's directory" \
	"holds node s2's state, but --state-dir .*/s1 is named for node s1 .*--into-other-node" \
	"$tmp/dst/s1" "$nbk"
# a Go-tool backup (no manifest): the node is the source directory's name
mkdir "$tmp/go" && cp -a "$nbk" "$tmp/go/bk" && rm "$tmp/go/bk/MANIFEST.json"
refuse "Go-tool backup of s2 (no manifest) into s1's directory" \
	"holds node s2's state, but --state-dir .*/s1 is named for node s1" "$tmp/dst/s1" "$tmp/go/bk"
gen "$tmp/dst/extra" 9
mv "$tmp/dst/extra/s1" "$tmp/dst/s4" && rm -r "$tmp/dst/extra"
refuse "cluster root holding a node the backup lacks" \
	"holds node s4, which backup .* does not have" "$tmp/dst" "$cbk"
rm -r "$tmp/dst/s4"
refuse "--node-id of a node the backup lacks" "--node-id s9: backup .* has no such node \(it holds s1, s2, s3\)" \
	"$tmp/dst/s1" "$cbk" --node-id s9
refuse "--node-id s2 into s1's directory" "named for node s1 .*--into-other-node" "$tmp/dst/s1" "$cbk" --node-id s2
cp -a "$cbk" "$tmp/dmg2" && printf '\x01' | dd of="$tmp/dmg2/s2/raft-log.db" bs=1 seek=9000 conv=notrunc status=none
refuse "--node-id s2 with s2's log damaged (its checksums are checked)" \
	"damaged: s2/raft-log.db has crc32" "$tmp/dst/s2" "$tmp/dmg2" --node-id s2
"$B" raft restore --backup-dir "$cbk" --state-dir "$tmp/dst/s2" --node-id ../s2 </dev/null >/dev/null 2>&1
eq "--node-id ../s2: exit" "$?" 2

# --- what fits -------------------------------------------------------------
# --dry-run: what would change, nothing written
listing "$tmp/dst" >"$tmp/before"
if "$B" raft restore --backup-dir "$cbk" --state-dir "$tmp/dst/s2" --node-id s2 --dry-run </dev/null >"$tmp/out" 2>"$tmp/err" &&
	grep -q "^  replace $tmp/dst/s2 with node s2's state (the current state kept aside)" "$tmp/out" &&
	grep -q "^Replacing existing state needs --force" "$tmp/out" &&
	listing "$tmp/dst" >"$tmp/after" && cmp -s "$tmp/before" "$tmp/after"; then
	ok "--dry-run --node-id s2: says it would replace s2, writes nothing"
else
	bad "--dry-run --node-id s2: $(cat "$tmp/out" "$tmp/err")"
fi
listing "$tmp/dst/s1" >"$tmp/s1.before"
if "$B" raft restore --backup-dir "$cbk" --node-id s2 --state-dir "$tmp/dst/s2" --force </dev/null >"$tmp/out" 2>"$tmp/err" &&
	diff -r "$tmp/src/s2" "$tmp/dst/s2" >/dev/null; then
	ok "--node-id s2 restores s2 of the cluster backup into s2/: same files as the source"
else
	bad "--node-id s2: $(cat "$tmp/err")"
fi
listing "$tmp/dst/s1" | cmp -s - "$tmp/s1.before" && ok "--node-id s2 left s1 as it was" || bad "s1 changed by --node-id s2"
mkdir -p "$tmp/other"
cp -a "$tmp/dst/s1" "$tmp/other/s1"
if "$B" raft restore --backup-dir "$nbk" --state-dir "$tmp/other/s1" --into-other-node --force </dev/null >"$tmp/out" 2>"$tmp/err" &&
	diff -r "$tmp/src/s2" "$tmp/other/s1" >/dev/null; then
	ok "--into-other-node: s2's backup restored into s1/ when asked for"
else
	bad "--into-other-node: $(cat "$tmp/err")"
fi
if "$B" raft restore --backup-dir "$cbk" --state-dir "$tmp/dst" --force </dev/null >"$tmp/out" 2>"$tmp/err" &&
	diff -r "$tmp/src/s1" "$tmp/dst/s1" >/dev/null && diff -r "$tmp/src/s3" "$tmp/dst/s3" >/dev/null; then
	ok "the cluster backup into its cluster root"
else
	bad "cluster restore: $(cat "$tmp/err")"
fi

# checking a backup alone: plain and compressed
for b in "$cbk" "$zbk" "$nbk"; do
	if "$B" raft restore --backup-dir "$b" --dry-run </dev/null >"$tmp/out" 2>"$tmp/err" &&
		grep -q "^Backup .* is sound: .*Dry run: nothing was changed" "$tmp/out" &&
		[ -z "$(ls -A "$TMPDIR")" ]; then
		ok "--dry-run without --state-dir checks $(basename "$(dirname "$b")"): $(tail -n1 "$tmp/out" | cut -c1-120)"
	else
		bad "--dry-run of $b: $(cat "$tmp/out" "$tmp/err"; ls -A "$TMPDIR")"
	fi
done
"$B" raft verify --state-dir "$zbk" >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] && grep -q "is a compressed backup (raft-log.db.gz, ...): check it with op-conductor-init raft restore --dry-run --backup-dir $zbk" "$tmp/err" &&
	ok "verify of a compressed backup says how to check it (restore --dry-run)" || bad "verify of a compressed backup: exit $rc $(cat "$tmp/err")"
grep -q "inflated into a temporary directory" <("$B" raft restore --backup-dir "$zbk" --dry-run </dev/null 2>&1) &&
	ok "a compressed backup's nodes are verified inflated" || bad "compressed dry run does not verify the nodes"
# a compressed backup whose s3 log inflates to what the manifest says but does
# not verify: the dry run must find it (the checksums alone cannot)
cp -a "$zbk" "$tmp/zbad"
gunzip "$tmp/zbad/s3/raft-log.db.gz"
printf '\xff\xff\xff\xff' | dd of="$tmp/zbad/s3/raft-log.db" bs=1 seek=16 conv=notrunc status=none
printf '\xff\xff\xff\xff' | dd of="$tmp/zbad/s3/raft-log.db" bs=1 seek=4112 conv=notrunc status=none
crc=$(python3 -c 'import sys,zlib; print(zlib.crc32(open(sys.argv[1],"rb").read()))' "$tmp/zbad/s3/raft-log.db")
gzip "$tmp/zbad/s3/raft-log.db"
python3 - "$tmp/zbad" "$crc" <<'EOF'
import json, os, sys
d, crc = sys.argv[1], int(sys.argv[2])
m = json.load(open(os.path.join(d, "MANIFEST.json")))
for f in m["files"]:
    if f["path"] == "s3/raft-log.db":
        f["crc32"] = crc
        f["stored_size"] = os.path.getsize(os.path.join(d, "s3/raft-log.db.gz"))
json.dump(m, open(os.path.join(d, "MANIFEST.json"), "w"), indent="\t")
EOF
if ! "$B" raft restore --backup-dir "$tmp/zbad" --dry-run </dev/null >"$tmp/out" 2>"$tmp/err" &&
	grep -q "backup of s3 does not verify (inflated)" "$tmp/err" && [ -z "$(ls -A "$TMPDIR")" ]; then
	ok "--dry-run of a compressed backup whose s3 does not verify: refused, nothing left in \$TMPDIR"
else
	bad "compressed, corrupt s3: $(cat "$tmp/out" "$tmp/err")"
fi
"$B" raft restore --backup-dir "$cbk" </dev/null >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q -- "--state-dir is required (or give --dry-run" "$tmp/err"; then
	ok "no --state-dir without --dry-run: usage error naming --dry-run"
else
	bad "no --state-dir: exit $rc $(cat "$tmp/err")"
fi
finish
