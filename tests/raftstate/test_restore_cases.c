/*
 * raftstate/restore.c on backups the project's own backup wrote (plain and
 * gzip-compressed) from generated nodes and from the lived vector (a node
 * raft compacted, with snapshots), then damaged by hand; nothing mocked:
 *   the backup walk      a symbolic link, an unsafe file name, a state
 *                        file's .gz the manifest does not list;
 *   the sums             a compressed entry whose manifest size or crc32 is
 *                        not what it inflates to;
 *   deferred checks      rs_restore_check_deferred in place (a node, one
 *                        node of a compressed cluster), and a damaged byte
 *                        found by it, or by the stage of rs_restore_apply;
 *   changed since        a byte flipped, or a .gz swapped, after the check:
 *                        the stage refuses, the target keeps its state;
 *   targets              a symbolic link, a file, a node backup asked for
 *                        another node, a cluster backup asked for a node it
 *                        lacks, or put into a node directory, into a root
 *                        whose parent does not exist, a trailing slash;
 *   Go-tool backups      (no MANIFEST.json) the source ID from
 *                        backup-metadata.txt, none to fit a root with, a
 *                        root without nodes, a node name that is no server
 *                        ID, a long node list cut short, the hint when the
 *                        node does not verify (a compacted node without its
 *                        snapshots);
 *   snapshots staged     a backup with snapshots/ restores them; a
 *                        directory inside a snapshot is not staged.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "raftstate/backup.h"
#include "raftstate/cluster.h"
#include "raftstate/generate.h"
#include "raftstate/nodedir.h"
#include "raftstate/restore.h"
#include "tests/check_support.h"
#include "tests/raftstate/members_fixture.h"

#define SCRATCH_PREFIX "oci-restore-cases"
#include "scratch_fixture.h"

/* cp A B (paths without a quote), B writable by its owner (a copy of the
 * read-only shared/ vectors as another user than root) */
static void cp(const char *a, const char *b)
{
	char cmd[2048];

	ck_assert_int_lt(snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s' && chmod -R u+w '%s'", a, b, b),
	                 (int)sizeof(cmd));
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* root/src/s1..sN generated with s1 the leader */
static void generate_n(size_t count)
{
	struct rs_members ms = {0};
	struct rs_config c = {0};
	struct rs_err e = {0};

	fixture_members(&ms, count, 0);
	ck_assert_int_eq(rs_members_config(&ms, &c, &e), RS_OK);
	{
		char src[512];

		path(src, sizeof(src), "src");
		ck_assert_int_eq(mkdir(src, 0755), 0);
	}
	for (size_t i = 0; i < count; i++) {
		char dir[512], rel[64];

		snprintf(rel, sizeof(rel), "src/%s", ms.m[i].id);
		path(dir, sizeof(dir), rel);
		ck_assert_msg(rs_generate_node(dir, &c, ms.m[i].id, "s1", 1, NULL, &e) == RS_OK,
		              "%s", e.msg);
	}
	rs_members_config_free(&c);
	rs_members_free(&ms);
}

static void generate_two(void)
{
	generate_n(2);
}

/* A backup of root/<rel> into root/<into>; its path in out. */
static void backup(const char *rel, const char *into, int compress, char *out, size_t size)
{
	struct rs_backup_opts bo = {
	    .lock_timeout = 5, .version = "test", .compress = compress, .threads = 1};
	struct rs_backup_result res = {0};
	struct rs_backup_plan bp;
	struct rs_problems pr = {0};
	struct rs_err e = {0};
	char src[512], dst[512];

	path(src, sizeof(src), rel);
	path(dst, sizeof(dst), into);
	ck_assert_msg(rs_backup_plan(src, dst, &bp, &e) == RS_OK, "%s", e.msg);
	ck_assert_msg(rs_backup_apply(&bp, &bo, &res, &pr, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_lt(strlen(res.path), size);
	strcpy(out, res.path);
	rs_backup_plan_free(&bp);
	rs_backup_result_free(&res);
	rs_problems_free(&pr);
}

struct want {
	const char *node_id;
	int other, defer;
};

static int plan_of(const char *bk, const char *target, struct want w, struct rs_restore_plan *plan,
                   struct rs_err *e)
{
	struct rs_restore_opts o = {.node_id = w.node_id,
	                            .other_node = w.other,
	                            .lock_timeout = 5,
	                            .defer_to_stage = w.defer};
	struct rs_problems pr = {0};
	int rc;

	memset(e, 0, sizeof(*e));
	rc = rs_restore_plan(bk, target, &o, plan, &pr, e);
	rs_problems_free(&pr);
	return rc;
}

/* The plan's refusal: rc and a part of its sentence. */
static void refused(const char *bk, const char *target, struct want w, int rc, const char *part)
{
	struct rs_restore_plan plan;
	struct rs_err e;

	ck_assert_msg(plan_of(bk, target, w, &plan, &e) == rc, "wanted %d: %s", rc, e.msg);
	ck_assert_msg(strstr(e.msg, part) != NULL, "wanted \"%s\" in: %s", part, e.msg);
	rs_restore_plan_free(&plan);
}

static int apply_opts(struct rs_restore_plan *plan, int force, char *kept, size_t size,
                      struct rs_err *e)
{
	struct rs_restore_opts o = {.lock_timeout = 5, .force = force};
	struct rs_problems pr = {0};
	int rc = rs_restore_apply(plan, &o, kept, size, &pr, e);

	rs_problems_free(&pr);
	return rc;
}

static int apply(struct rs_restore_plan *plan, struct rs_err *e)
{
	char kept[4096];

	return apply_opts(plan, 1, kept, sizeof(kept), e);
}

/* cp DIR/NAME TO */
static void cp_file(const char *dir, const char *name, const char *to)
{
	char f[700];

	ck_assert_int_lt(snprintf(f, sizeof(f), "%s/%s", dir, name), (int)sizeof(f));
	cp(f, to);
}

static void put(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *b;
	long n;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* In MANIFEST.json of bk: the last digit of the first value of `key` after
 * the first occurrence of `after` flipped (0<->1, 2<->3, ...). */
static void flip_manifest_digit(const char *bk, const char *after, const char *key)
{
	char p[4200], *b, *at, *end;
	size_t len;

	snprintf(p, sizeof(p), "%s/MANIFEST.json", bk);
	b = slurp(p, &len);
	at = strstr(b, after);
	ck_assert_ptr_nonnull(at);
	at = strstr(at, key);
	ck_assert_ptr_nonnull(at);
	end = strchr(at, ',');
	ck_assert_ptr_nonnull(end);
	ck_assert(end[-1] >= '0' && end[-1] <= '9');
	end[-1] ^= 1;
	put(p, b);
	free(b);
}

/* One byte of file p, 100 bytes before its end, flipped. */
static void flip_byte(const char *p)
{
	int fd = open(p, O_RDWR);
	struct stat st;
	unsigned char c;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(pread(fd, &c, 1, st.st_size - 100), 1);
	c ^= 0x5a;
	ck_assert_int_eq(pwrite(fd, &c, 1, st.st_size - 100), 1);
	close(fd);
}

static char *node_bytes(const char *dir, size_t *len)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/raft-log.db", dir);
	return slurp(p, len);
}

START_TEST(walk_refusals)
{
	char bk[4096], p[4200];
	struct want w = {0};

	generate_two();
	backup("src/s1", "bk", 0, bk, sizeof(bk));

	snprintf(p, sizeof(p), "%s/extra", bk);
	ck_assert_int_eq(symlink("raft-log.db", p), 0);
	refused(bk, NULL, w, RS_ECORRUPT, "extra is a symbolic link");
	ck_assert_int_eq(unlink(p), 0);

	snprintf(p, sizeof(p), "%s/odd\\name", bk);
	put(p, "x");
	refused(bk, NULL, w, RS_ECORRUPT, "unsafe file name");
	ck_assert_int_eq(unlink(p), 0);

	/* a state file's compressed name must be listed too */
	snprintf(p, sizeof(p), "%s/raft-stable.db.gz", bk);
	put(p, "x");
	refused(bk, NULL, w, RS_ECORRUPT, "raft-stable.db.gz is not listed in the manifest");
	ck_assert_int_eq(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/raft-log.db.gz", bk);
	put(p, "x");
	refused(bk, NULL, w, RS_ECORRUPT, "raft-log.db.gz is not listed in the manifest");
	ck_assert_int_eq(unlink(p), 0);
	/* anything else at the top is not the manifest's business */
	snprintf(p, sizeof(p), "%s/notes.txt", bk);
	put(p, "x");
	{
		struct rs_restore_plan plan;
		struct rs_err e;

		ck_assert_msg(plan_of(bk, NULL, w, &plan, &e) == RS_OK, "%s", e.msg);
		ck_assert(plan.verified);
		rs_restore_plan_free(&plan);
	}
}
END_TEST

START_TEST(compressed_sums)
{
	char bk[4096];
	struct want w = {0};

	generate_two();
	backup("src/s1", "bk", 1, bk, sizeof(bk));
	/* sizes are whole pages (even): the flipped digit adds one byte */
	flip_manifest_digit(bk, "\"raft-log.db\"", "\"size\"");
	refused(bk, NULL, w, RS_ECORRUPT,
	        "raft-log.db.gz inflates to 32768 bytes, the manifest says 32769");
	flip_manifest_digit(bk, "\"raft-log.db\"", "\"size\"");
	flip_manifest_digit(bk, "\"raft-log.db\"", "\"crc32\"");
	refused(bk, NULL, w, RS_ECORRUPT, "raft-log.db.gz has crc32");
}
END_TEST

START_TEST(deferred_checks)
{
	char bk[4096], zb[4096], target[512], p[4200];
	struct rs_restore_plan plan;
	struct rs_problems pr = {0};
	struct rs_err e;
	struct want w = {.defer = 1};

	generate_two();
	backup("src/s1", "bk", 0, bk, sizeof(bk));
	backup("src", "zb", 1, zb, sizeof(zb));
	path(target, sizeof(target), "src/s1");

	/* a node, in place: the sums and the verify once, then nothing more */
	ck_assert_msg(plan_of(bk, target, w, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert(plan.deferred);
	ck_assert(!plan.verified);
	ck_assert_msg(rs_restore_check_deferred(&plan, 5, &pr, &e) == RS_OK, "%s", e.msg);
	ck_assert(!plan.deferred);
	ck_assert(plan.verified);
	ck_assert_int_eq(rs_restore_check_deferred(&plan, 5, &pr, &e), RS_OK);
	rs_restore_plan_free(&plan);

	/* one node of a compressed cluster: only its files, no verify in place */
	w.node_id = "s2";
	path(target, sizeof(target), "new/s2");
	ck_assert_msg(plan_of(zb, target, w, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert_str_eq(plan.prefix, "s2");
	ck_assert_msg(rs_restore_check_deferred(&plan, 5, &pr, &e) == RS_OK, "%s", e.msg);
	ck_assert(!plan.deferred);
	ck_assert(!plan.verified);
	rs_restore_plan_free(&plan);

	/* a damaged byte the deferred plan does not read: found in place */
	w.node_id = NULL;
	path(target, sizeof(target), "src/s1");
	snprintf(p, sizeof(p), "%s/raft-log.db", bk);
	flip_byte(p);
	ck_assert_msg(plan_of(bk, target, w, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(rs_restore_check_deferred(&plan, 5, &pr, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "raft-log.db has crc32") != NULL, "%s", e.msg);
	rs_restore_plan_free(&plan);
	rs_problems_free(&pr);
}
END_TEST

/* What the stage of rs_restore_apply finds: the target keeps its state. */
START_TEST(stage_finds_damage)
{
	char bk[4096], zb[4096], target[512], p[4200], q[4200], saved[512];
	struct rs_restore_plan plan;
	struct rs_err e;
	size_t len, len2;
	char *before, *after;

	generate_two();
	backup("src/s1", "bk", 0, bk, sizeof(bk));
	backup("src/s1", "zb", 1, zb, sizeof(zb));
	path(target, sizeof(target), "src/s1");
	before = node_bytes(target, &len);

	/* deferred: the flipped byte is the backup's damage */
	snprintf(p, sizeof(p), "%s/raft-log.db", bk);
	flip_byte(p);
	ck_assert_msg(plan_of(bk, target, (struct want){.defer = 1}, &plan, &e) == RS_OK, "%s",
	              e.msg);
	ck_assert_int_eq(apply(&plan, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "is damaged: raft-log.db has crc32") != NULL, "%s", e.msg);
	rs_restore_plan_free(&plan);
	flip_byte(p);

	/* checked whole, then changed: the copy says so */
	ck_assert_msg(plan_of(bk, target, (struct want){0}, &plan, &e) == RS_OK, "%s", e.msg);
	flip_byte(p);
	ck_assert_int_eq(apply(&plan, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "changed since it was checked: its copy has crc32") != NULL,
	              "%s", e.msg);
	rs_restore_plan_free(&plan);

	/* compressed: the log's .gz replaced by the stable store's after the
	 * check; a damaged byte inside it before a deferred one */
	snprintf(p, sizeof(p), "%s/raft-log.db.gz", zb);
	snprintf(q, sizeof(q), "%s/raft-stable.db.gz", zb);
	path(saved, sizeof(saved), "saved.gz");
	cp(p, saved);
	ck_assert_msg(plan_of(zb, target, (struct want){0}, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert(!plan.verified);
	cp(q, p);
	ck_assert_int_eq(apply(&plan, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "changed since it was checked: it inflates to") != NULL, "%s",
	              e.msg);
	rs_restore_plan_free(&plan);
	cp(saved, p);
	flip_byte(p);
	ck_assert_msg(plan_of(zb, target, (struct want){.defer = 1}, &plan, &e) == RS_OK, "%s",
	              e.msg);
	ck_assert_int_eq(apply(&plan, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "is damaged: raft-log.db.gz") != NULL, "%s", e.msg);
	rs_restore_plan_free(&plan);

	after = node_bytes(target, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert(memcmp(before, after, len) == 0);
	free(before);
	free(after);
}
END_TEST

START_TEST(target_refusals)
{
	char bk[4096], cb[4096], t[512], p[512];
	struct rs_restore_plan plan;
	struct rs_err e;

	generate_two();
	backup("src/s1", "bk", 0, bk, sizeof(bk));
	backup("src", "cb", 0, cb, sizeof(cb));

	path(t, sizeof(t), "link");
	path(p, sizeof(p), "src/s1");
	ck_assert_int_eq(symlink(p, t), 0);
	refused(bk, t, (struct want){.other = 1}, RS_EINVAL,
	        "link is a symbolic link; refusing to restore through it");
	path(t, sizeof(t), "file");
	put(t, "x");
	refused(bk, t, (struct want){.other = 1}, RS_EIO, "file: Not a directory");
	/* a cluster root where a node's directory would go holds a file */
	path(t, sizeof(t), "croot");
	ck_assert_int_eq(mkdir(t, 0755), 0);
	path(p, sizeof(p), "croot/s2");
	put(p, "x");
	refused(cb, t, (struct want){0}, RS_EINVAL, "croot/s2 exists and is not a directory");

	path(t, sizeof(t), "new/s2");
	refused(bk, t, (struct want){.node_id = "s2"}, RS_EINVAL, "--node-id s2: backup");
	refused(bk, t, (struct want){.node_id = "s2"}, RS_EINVAL, "holds only node s1");
	refused(cb, t, (struct want){.node_id = "s9"}, RS_EINVAL,
	        "has no such node (it holds s1, s2)");
	/* the node a node backup holds, asked by its name: fine */
	path(t, sizeof(t), "new/s1");
	ck_assert_msg(plan_of(bk, t, (struct want){.node_id = "s1"}, &plan, &e) == RS_OK, "%s",
	              e.msg);
	rs_restore_plan_free(&plan);

	/* a whole cluster into a node's directory (it holds state) */
	path(t, sizeof(t), "src/s1");
	refused(cb, t, (struct want){0}, RS_EINVAL, "holds a node's state, and backup");
	refused(cb, t, (struct want){0}, RS_EINVAL, "--node-id s1");

	/* only the backup: every node of a cluster, or one */
	ck_assert_msg(plan_of(cb, NULL, (struct want){0}, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(plan.layout, RS_LAYOUT_CLUSTER);
	ck_assert_uint_eq(plan.nnodes, 2);
	ck_assert_str_eq(plan.nodes[1].id, "s2");
	ck_assert_str_eq(plan.nodes[1].target, "");
	rs_restore_plan_free(&plan);
	ck_assert_msg(plan_of(cb, NULL, (struct want){.node_id = "s2"}, &plan, &e) == RS_OK, "%s",
	              e.msg);
	ck_assert_uint_eq(plan.nnodes, 1);
	ck_assert_str_eq(plan.nodes[0].id, "s2");
	ck_assert_str_eq(plan.from_id, "s2");
	rs_restore_plan_free(&plan);

	/* a cluster root under a directory that does not exist yet; the
	 * trailing slashes are not part of it */
	path(t, sizeof(t), "gone/root//");
	ck_assert_msg(plan_of(cb, t, (struct want){0}, &plan, &e) == RS_OK, "%s", e.msg);
	path(p, sizeof(p), "gone/root");
	ck_assert_str_eq(plan.state_dir, p);
	ck_assert_uint_eq(plan.nnodes, 2);
	path(p, sizeof(p), "gone/root/s2");
	ck_assert_str_eq(plan.nodes[1].target, p);
	ck_assert(!plan.nodes[1].target_dir_exists);
	rs_restore_plan_free(&plan);
}
END_TEST

/* A node backup without MANIFEST.json (as the Go tool writes it): its
 * node is the last name of backup-metadata.txt's "Source directory:". */
START_TEST(go_tool_metadata)
{
	static const struct {
		const char *text, *id;
	} cases[] = {
	    {"Source directory: /data/raft/s7/\n", "s7"},
	    {"Tool: raft-backup\r\nSource directory: s8\r\n", "s8"},
	    {"Source directory: /data/..\n", ""},
	    {"Source directory: /\n", ""},
	    {"Source directory: /data/a\tb\n", ""},
	    {"Tool: raft-backup\n", ""},
	    {"", ""},
	};
	char bk[4096], p[4200], t[512];
	struct rs_restore_plan plan;
	struct rs_err e;

	generate_two();
	backup("src/s1", "bk", 0, bk, sizeof(bk));
	snprintf(p, sizeof(p), "%s/MANIFEST.json", bk);
	ck_assert_int_eq(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/backup-metadata.txt", bk);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put(p, cases[i].text);
		ck_assert_msg(plan_of(bk, NULL, (struct want){0}, &plan, &e) == RS_OK, "%s", e.msg);
		ck_assert(!plan.has_manifest);
		ck_assert_int_eq(plan.backup_layout, RS_LAYOUT_NODE);
		ck_assert_msg(strcmp(plan.from_id, cases[i].id) == 0, "case %zu: \"%s\"", i,
		              plan.from_id);
		ck_assert(plan.verified);
		rs_restore_plan_free(&plan);
	}
	/* no node known: a root holding node directories is named with ID */
	path(t, sizeof(t), "src");
	refused(bk, t, (struct want){0}, RS_EINVAL, "--state-dir ");
	refused(bk, t, (struct want){0}, RS_EINVAL, "/src/ID");
	/* and any directory name fits */
	path(t, sizeof(t), "new/anything");
	ck_assert_msg(plan_of(bk, t, (struct want){0}, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert(!plan.other_node);
	rs_restore_plan_free(&plan);
}
END_TEST

START_TEST(go_tool_cluster)
{
	char bk[512], d[600], p[700], src[512], t[512];
	struct rs_restore_plan plan;
	struct rs_err e;

	generate_two();
	path(src, sizeof(src), "src/s1");
	path(bk, sizeof(bk), "gobk");
	ck_assert_int_eq(mkdir(bk, 0755), 0);
	snprintf(p, sizeof(p), "%s/backup-metadata.txt", bk);
	put(p, "Tool: raft-backup\n");
	refused(bk, NULL, (struct want){0}, RS_ENOTFOUND, "holds no Raft state");

	/* twelve nodes with long names: a message lists them cut short */
	for (int i = 0; i < 12; i++) {
		snprintf(d, sizeof(d), "%s/node-with-a-rather-long-server-id-%02d", bk, i);
		ck_assert_int_eq(mkdir(d, 0755), 0);
		cp_file(src, "raft-log.db", d);
		cp_file(src, "raft-stable.db", d);
	}
	path(t, sizeof(t), "node-with-a-rather-long-server-id-03");
	ck_assert_int_eq(plan_of(bk, t, (struct want){0}, &plan, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "is named for node node-with-a-rather-long-server-id-03") !=
	                  NULL,
	              "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "-id-00, node-with") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "...") != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "-id-11") == NULL, "%s", e.msg);
	rs_restore_plan_free(&plan);

	/* a node directory whose name is no server ID: its files' names are
	 * refused first */
	snprintf(d, sizeof(d), "%s/bad\tname", bk);
	ck_assert_int_eq(mkdir(d, 0755), 0);
	cp_file(src, "raft-log.db", d);
	refused(bk, NULL, (struct want){0}, RS_ECORRUPT, "unsafe file name \"bad\\tname/");
}
END_TEST

static void drop_snapshots(const char *bk);

/* The lived node, compacted by raft: without its snapshots (what a Go-tool
 * backup holds) it does not verify, and the hint says why; with them, as
 * this tool backs it up, it restores whole. */
START_TEST(lived_snapshots)
{
	const char *shared = getenv("OCI_SHARED");
	char lived[512], bk[4096], gob[512], t[512], p[4200];
	struct rs_restore_plan plan;
	struct stat st;
	struct rs_err e;

	ck_assert_ptr_nonnull(shared);
	snprintf(lived, sizeof(lived), "%s/vectors/lived/three/sequencer-1", shared);
	path(p, sizeof(p), "src");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	cp(lived, p);
	/* a file of the snapshot whose name ends in .gz: not compressed */
	path(p, sizeof(p), "src/sequencer-1/snapshots/2-527-1795355416795/notes.gz");
	put(p, "plain");
	backup("src/sequencer-1", "bk", 0, bk, sizeof(bk));

	path(gob, sizeof(gob), "gobk");
	ck_assert_int_eq(mkdir(gob, 0755), 0);
	cp_file(lived, "raft-log.db", gob);
	cp_file(lived, "raft-stable.db", gob);
	refused(gob, NULL, (struct want){0}, RS_ECORRUPT,
	        "does not verify (a backup without MANIFEST.json");
	/* with its snapshots/ the hint is not given */
	snprintf(p, sizeof(p), "%s/snapshots", gob);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(plan_of(gob, NULL, (struct want){0}, &plan, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "does not verify") != NULL && strstr(e.msg, "Go tool") == NULL,
	              "%s", e.msg);
	rs_restore_plan_free(&plan);
	/* this tool's backup without them: it does not verify, no Go-tool hint */
	path(p, sizeof(p), "nosnap");
	cp(bk, p);
	drop_snapshots(p);
	ck_assert_int_eq(plan_of(p, NULL, (struct want){0}, &plan, &e), RS_ECORRUPT);
	ck_assert_str_eq(e.msg, "backup of the node does not verify");
	rs_restore_plan_free(&plan);

	/* the backup with snapshots/: an empty directory inside a snapshot is
	 * neither listed nor staged; everything listed is restored, notes.gz
	 * under its own name */
	snprintf(p, sizeof(p), "%s/snapshots/2-527-1795355416795/empty", bk);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	path(t, sizeof(t), "new/sequencer-1");
	ck_assert_msg(plan_of(bk, t, (struct want){.defer = 1}, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert_msg(apply(&plan, &e) == RS_OK, "%s", e.msg);
	ck_assert(plan.verified);
	rs_restore_plan_free(&plan);
	path(p, sizeof(p), "new/sequencer-1/snapshots/2-527-1795355416795/state.bin");
	ck_assert_int_eq(stat(p, &st), 0);
	path(p, sizeof(p), "new/sequencer-1/snapshots/2-347-1795355415547/meta.json");
	ck_assert_int_eq(stat(p, &st), 0);
	path(p, sizeof(p), "new/sequencer-1/snapshots/2-527-1795355416795/empty");
	ck_assert_int_ne(stat(p, &st), 0);
	path(p, sizeof(p), "new/sequencer-1/snapshots/2-527-1795355416795/notes.gz");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_size, 5);
}
END_TEST

/* The copy bk of a backup without its snapshots: their files and their
 * MANIFEST.json entries removed (as a backup of the node without them
 * would be, were backup willing to write one that does not verify). */
static void drop_snapshots(const char *bk)
{
	char p[4200], *text;
	cJSON *doc, *files;
	size_t len;
	int i = 0;

	snprintf(p, sizeof(p), "%s/snapshots", bk);
	rs_remove_tree(p);
	snprintf(p, sizeof(p), "%s/MANIFEST.json", bk);
	text = slurp(p, &len);
	doc = cJSON_Parse(text);
	free(text);
	ck_assert_ptr_nonnull(doc);
	files = cJSON_GetObjectItemCaseSensitive(doc, "files");
	ck_assert(cJSON_IsArray(files));
	while (i < cJSON_GetArraySize(files)) {
		const char *fp = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(files, i), "path"));

		ck_assert_ptr_nonnull(fp);
		if (strncmp(fp, "snapshots/", 10) == 0)
			cJSON_DeleteItemFromArray(files, i);
		else
			i++;
	}
	ck_assert_int_eq(cJSON_GetArraySize(files), 2);
	text = cJSON_Print(doc);
	ck_assert_ptr_nonnull(text);
	put(p, text);
	free(text);
	cJSON_Delete(doc);
}

/* A target that gained state after the check is replaced only when
 * forced; the caller may ask for no kept path. */
START_TEST(target_gained_state)
{
	char bk[4096], t[512], s2[512], p[512];
	struct rs_restore_plan plan;
	struct rs_err e;
	struct stat st;
	char kept[8];

	generate_two();
	backup("src/s1", "bk", 0, bk, sizeof(bk));
	path(t, sizeof(t), "new/s1");
	path(s2, sizeof(s2), "src/s2");
	ck_assert_msg(plan_of(bk, t, (struct want){0}, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert(!plan.nodes[0].target_dir_exists);
	path(p, sizeof(p), "new");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	cp(s2, t); /* another run wrote new/s1 meanwhile */
	kept[0] = 'x';
	ck_assert_int_eq(apply_opts(&plan, 0, kept, sizeof(kept), &e), RS_EINVAL);
	ck_assert_msg(
	    strstr(e.msg, "holds Raft state it did not hold when the backup was checked") != NULL,
	    "%s", e.msg);
	ck_assert_str_eq(kept, "");
	ck_assert_msg(apply_opts(&plan, 1, NULL, 0, &e) == RS_OK, "%s", e.msg);
	ck_assert(plan.nodes[0].restored);
	ck_assert(plan.nodes[0].target_exists);
	ck_assert_str_ne(plan.nodes[0].kept, "");
	ck_assert_int_eq(stat(plan.nodes[0].kept, &st), 0);
	rs_restore_plan_free(&plan);
}
END_TEST

/* The lived node without its snapshots, backed up compressed: the plan
 * cannot verify it in place; inflated (dry run) and staged (apply) it does
 * not verify, and nothing is replaced. The whole lived node compressed:
 * its snapshots are inflated under their own names. */
START_TEST(inflated_verify)
{
	const char *shared = getenv("OCI_SHARED");
	char lived[512], src[512], bk[4096], zb[4096], t[512], p[4200];
	struct rs_restore_plan plan;
	struct rs_problems pr = {0};
	struct stat st;
	struct rs_err e;

	ck_assert_ptr_nonnull(shared);
	snprintf(lived, sizeof(lived), "%s/vectors/lived/three/sequencer-1", shared);
	path(src, sizeof(src), "src");
	ck_assert_int_eq(mkdir(src, 0755), 0);
	cp(lived, src);
	backup("src/sequencer-1", "zb", 1, zb, sizeof(zb));
	path(bk, sizeof(bk), "bk");
	cp(zb, bk);
	drop_snapshots(bk);
	path(t, sizeof(t), "new/sequencer-1");

	ck_assert_msg(plan_of(bk, t, (struct want){0}, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert(!plan.verified);
	ck_assert_int_eq(rs_restore_verify_inflated(&plan, root, 5, &pr, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "backup of the node does not verify (inflated)") != NULL, "%s",
	              e.msg);
	ck_assert_int_eq(apply(&plan, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "the staged copy") != NULL &&
	                  strstr(e.msg, "does not verify") != NULL,
	              "%s", e.msg);
	rs_restore_plan_free(&plan);
	ck_assert_msg(plan_of(bk, t, (struct want){.defer = 1}, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(apply(&plan, &e), RS_ECORRUPT);
	ck_assert_str_eq(e.msg, "backup of the node does not verify");
	rs_restore_plan_free(&plan);
	ck_assert_int_ne(stat(t, &st), 0);

	/* whole, with snapshots: verified inflated, then restored */
	ck_assert_msg(plan_of(zb, t, (struct want){0}, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert_msg(rs_restore_verify_inflated(&plan, root, 5, &pr, &e) == RS_OK, "%s", e.msg);
	ck_assert(plan.verified);
	ck_assert_msg(apply(&plan, &e) == RS_OK, "%s", e.msg);
	rs_restore_plan_free(&plan);
	path(p, sizeof(p), "new/sequencer-1/snapshots/2-527-1795355416795/state.bin");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_size, 178);
	rs_problems_free(&pr);
}
END_TEST

/* One node of a cluster whose IDs share a prefix (s1 and s10): only that
 * node's files are checked; a cluster into a node directory not named for
 * one of its nodes; a Go-tool node backup with no recorded ID restored as a
 * named node. */
START_TEST(prefixes_and_ids)
{
	char cb[4096], nb[4096], t[512], p[4200];
	struct rs_restore_plan plan;
	struct rs_err e;

	generate_n(10);
	backup("src", "cb", 0, cb, sizeof(cb));
	ck_assert_msg(plan_of(cb, NULL, (struct want){.node_id = "s1"}, &plan, &e) == RS_OK, "%s",
	              e.msg);
	ck_assert_str_eq(plan.prefix, "s1");
	ck_assert_uint_eq(plan.nfiles, 20);
	ck_assert_uint_eq(plan.nchecked, 2);
	rs_restore_plan_free(&plan);
	/* s10's damage is not s1's */
	snprintf(p, sizeof(p), "%s/s10/raft-log.db", cb);
	flip_byte(p);
	ck_assert_msg(plan_of(cb, NULL, (struct want){.node_id = "s1"}, &plan, &e) == RS_OK, "%s",
	              e.msg);
	rs_restore_plan_free(&plan);
	refused(cb, NULL, (struct want){.node_id = "s10"}, RS_ECORRUPT,
	        "s10/raft-log.db has crc32");

	path(t, sizeof(t), "other");
	path(p, sizeof(p), "src/s2");
	cp(p, t);
	refused(cb, t, (struct want){0}, RS_EINVAL, "restore one node into it with --node-id ID,");

	backup("src/s3", "nb", 0, nb, sizeof(nb));
	snprintf(p, sizeof(p), "%s/MANIFEST.json", nb);
	ck_assert_int_eq(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/backup-metadata.txt", nb);
	ck_assert_int_eq(unlink(p), 0);
	path(t, sizeof(t), "new/s4");
	ck_assert_msg(plan_of(nb, t, (struct want){.node_id = "s4"}, &plan, &e) == RS_OK, "%s",
	              e.msg);
	ck_assert_str_eq(plan.from_id, "s4");
	ck_assert(!plan.other_node);
	rs_restore_plan_free(&plan);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("restore_cases");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, walk_refusals);
	tcase_add_test(tc, compressed_sums);
	tcase_add_test(tc, deferred_checks);
	tcase_add_test(tc, stage_finds_damage);
	tcase_add_test(tc, target_refusals);
	tcase_add_test(tc, go_tool_metadata);
	tcase_add_test(tc, go_tool_cluster);
	tcase_add_test(tc, lived_snapshots);
	tcase_add_test(tc, target_gained_state);
	tcase_add_test(tc, inflated_verify);
	tcase_add_test(tc, prefixes_and_ids);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
