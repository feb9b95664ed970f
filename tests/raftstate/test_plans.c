/*
 * The read-only halves of the state-changing commands, and what they rest
 * on, on real node directories written by the project's own generator
 * (rs_generate_node), recovery (rs_recover_apply) and backup
 * (rs_backup_plan, rs_backup_apply); nothing is mocked:
 *   rs_compare        three generated nodes agree (a tie, no recovery); one
 *                     recovered node leads and the others are behind it;
 *                     two nodes recovered apart diverge after the generated
 *                     entry; one voter of three needs a recovery; an
 *                     unreadable node is invalid;
 *   manifest          the written document reads back the same; each
 *                     refusal names the JSON path or the unsafe path; a
 *                     MANIFEST.json that is a directory is refused;
 *   rs_restore_plan  a node backup fits its own node, not another node's
 *                     directory (unless --into-other-node) nor a cluster
 *                     root; a flipped byte fails the checksum;
 *   rs_recover_plan   where the entry goes, the vote kept or cleared, a
 *                     configuration without this node refused unless
 *                     forced, a term at or below CurrentTerm refused;
 *   rs_compact_plan   the sizes as on disk, nothing removed without a
 *                     snapshot, and why; its apply tries the run lock once
 *                     unless given a run_lock_timeout;
 *   rs_preflight_plan bootstrap cluster's verdict: a new node, valid state,
 *                     --raft.bootstrap on either, the nil-head warning at
 *                     the threshold op-conductor was given, corrupt state
 *                     refused, help; rs_oc_flags_read reads op-conductor's
 *                     command line as Go's flag package does;
 *   rs_backup_plan    a node, a cluster root, no state, a backup inside it;
 *   every apply       takes the run lock itself (refused while another
 *                     holds it) and looks again under it;
 *   rs_generate_plan  what it would write, its refusals and --if-absent's
 *                     verdict; rs_generate_apply writes the same bytes as
 *                     rs_generate_node.
 * Every plan leaves the node's files byte for byte as they were.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "raftstate/backup.h"
#include "raftstate/cluster.h"
#include "raftstate/compact.h"
#include "raftstate/compare.h"
#include "raftstate/generate.h"
#include "raftstate/manifest.h"
#include "raftstate/nodedir.h"
#include "raftstate/ocflags.h"
#include "raftstate/preflight.h"
#include "raftstate/recover.h"
#include "raftstate/restore.h"
#include "raftstate/summary.h"
#include "tests/check_support.h"
#include "tests/raftstate/members_fixture.h"

#define SCRATCH_PREFIX "oci-plans"
#include "scratch_fixture.h"

/* root/s1..s3, generated with s1 the leader at term 1 */
static void generate_three(void)
{
	struct rs_members ms = {0};
	struct rs_config c = {0};
	struct rs_err e = {0};

	fixture_members(&ms, 3, 0);
	ck_assert_int_eq(rs_members_config(&ms, &c, &e), RS_OK);
	for (size_t i = 0; i < 3; i++) {
		char dir[512];

		path(dir, sizeof(dir), ms.m[i].id);
		ck_assert_msg(rs_generate_node(dir, &c, ms.m[i].id, "s1", 1, NULL, &e) == RS_OK,
		              "%s", e.msg);
	}
	rs_members_config_free(&c);
	rs_members_free(&ms);
}

/* appends a configuration of members s1..sN at `term` to root/id */
static void recover(const char *id, size_t n, uint64_t term)
{
	struct rs_recover_opts o = {
	    .lock_timeout = 5, .term = term, .uid = (uid_t)-1, .gid = (gid_t)-1};
	struct rs_members ms = {0};
	struct rs_recover_plan plan;
	struct rs_problems pr = {0};
	struct rs_config c = {0};
	struct rs_err e = {0};
	char dir[512], kept[4096];

	fixture_members(&ms, n, 0);
	ck_assert_int_eq(rs_members_config(&ms, &c, &e), RS_OK);
	path(dir, sizeof(dir), id);
	ck_assert_msg(rs_recover_plan(dir, &c, &o, &plan, &pr, &e) == RS_OK, "%s", e.msg);
	ck_assert_msg(rs_recover_apply(&plan, &o, kept, sizeof(kept), &pr, &e) == RS_OK, "%s",
	              e.msg);
	rs_recover_plan_free(&plan);
	rs_members_config_free(&c);
	rs_members_free(&ms);
	rs_problems_free(&pr);
}

/* the comparison facts of root/<ids[i]> */
static void cmp_nodes(struct rs_cmp_node *v, const char *const *ids, size_t n)
{
	struct rs_summary_opts so = {.lock_timeout = 5};

	for (size_t i = 0; i < n; i++) {
		struct rs_node node;
		struct rs_err e = {0};
		char dir[512];

		path(dir, sizeof(dir), ids[i]);
		ck_assert_msg(rs_node_summarize(dir, &so, &node, &e) == RS_OK, "%s", e.msg);
		ck_assert_int_eq(rs_cmp_from_node(&v[i], &node), RS_OK);
		rs_node_free(&node);
	}
}

static void cmp_free(struct rs_cmp_node *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rs_cmp_node_free(&v[i]);
}

static const char *const three[] = {"s1", "s2", "s3"};

START_TEST(test_compare_agree)
{
	struct rs_cmp_node v[3];
	struct rs_cmp_result r;
	struct rs_err e = {0};

	generate_three();
	cmp_nodes(v, three, 3);
	ck_assert_int_eq(rs_compare(v, 3, &r, &e), RS_OK);
	ck_assert(r.has_source);
	ck_assert_uint_eq(r.source, 0); /* the first of equals */
	ck_assert_int_eq(r.pairs[0].relation, RS_REL_SOURCE);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_SAME);
	ck_assert_int_eq(r.pairs[2].relation, RS_REL_SAME);
	ck_assert_uint_eq(r.pairs[1].common, 1);
	ck_assert(r.tie);
	ck_assert_uint_eq(r.voters, 3);
	ck_assert_uint_eq(r.voters_present, 3);
	ck_assert_uint_eq(r.quorum, 2);
	ck_assert(!r.recovery_needed);
	ck_assert(!r.config_mismatch);
	ck_assert_uint_eq(r.recover_term, 2);
	ck_assert(r.consistent);
	rs_cmp_result_free(&r);
	ck_assert_int_eq(rs_compare(v, 0, &r, &e), RS_EINVAL);
	cmp_free(v, 3);
}
END_TEST

START_TEST(test_compare_behind)
{
	static const char *const order[] = {"s2", "s1", "s3"};
	struct rs_cmp_node v[3];
	struct rs_cmp_result r;
	struct rs_err e = {0};

	generate_three();
	recover("s1", 3, 0); /* index 2, term 2: the same members */
	cmp_nodes(v, order, 3);
	ck_assert_int_eq(rs_compare(v, 3, &r, &e), RS_OK);
	ck_assert_uint_eq(r.source, 1);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_SOURCE);
	ck_assert_uint_eq(r.pairs[1].common, 2);
	for (size_t i = 0; i < 3; i += 2) {
		ck_assert_int_eq(r.pairs[i].relation, RS_REL_BEHIND);
		ck_assert_uint_eq(r.pairs[i].behind, 1);
		ck_assert_uint_eq(r.pairs[i].common, 1);
	}
	ck_assert(!r.tie);
	ck_assert(!r.recovery_needed);
	ck_assert_uint_eq(r.recover_term, 3); /* above the recovered node's term 2 */
	ck_assert(r.consistent);
	rs_cmp_result_free(&r);

	/* s1 alone: one voter of three cannot elect itself */
	ck_assert_int_eq(rs_compare(&v[1], 1, &r, &e), RS_OK);
	ck_assert_uint_eq(r.voters_present, 1);
	ck_assert(r.recovery_needed);
	rs_cmp_result_free(&r);
	cmp_free(v, 3);
}
END_TEST

/* rs_cmp_read_dirs: several directories read at once give, in their order,
 * the facts each gives alone; one that cannot be read is named by its base
 * name and says why, and does not stop the others */
START_TEST(test_compare_read_dirs)
{
	static const char *const order[] = {"s2", "s1"};
	struct rs_cmp_node one[2], all[3];
	struct rs_err e = {0};
	char d1[512], d2[512], gone[512];
	const char *dirs[3] = {d1, gone, d2};

	generate_three();
	recover("s1", 3, 0); /* s1 now differs from s2: index 2, term 2 */
	path(d1, sizeof(d1), "s2");
	path(d2, sizeof(d2), "s1");
	path(gone, sizeof(gone), "s9");
	cmp_nodes(one, order, 2);
	ck_assert_msg(rs_cmp_read_dirs(dirs, 3, 5, all, &e) == RS_OK, "%s", e.msg);
	for (size_t i = 0; i < 2; i++) {
		const struct rs_cmp_node *a = &one[i], *b = &all[i == 0 ? 0 : 2];

		ck_assert_str_eq(b->name, a->name);
		ck_assert_str_eq(b->origin, a->origin);
		ck_assert_str_eq(b->error, "");
		ck_assert_uint_eq(b->current_term, a->current_term);
		ck_assert_uint_eq(b->last_index, a->last_index);
		ck_assert_uint_eq(b->last_term, a->last_term);
		ck_assert_uint_eq(b->config.n, a->config.n);
		ck_assert_uint_eq(b->config_index, a->config_index);
	}
	ck_assert_uint_ne(all[0].last_index, all[2].last_index);
	ck_assert_str_eq(all[1].name, "s9");
	ck_assert_str_eq(all[1].origin, gone);
	ck_assert_msg(strncmp(all[1].error, "cannot be read: ", 16) == 0, "%s", all[1].error);
	ck_assert_int_eq(rs_cmp_read_dirs(dirs, 0, 5, all, &e), RS_OK);
	cmp_free(one, 2);
	cmp_free(all, 3);
}
END_TEST

START_TEST(test_compare_diverged)
{
	struct rs_cmp_node v[3];
	struct rs_cmp_result r;
	struct rs_err e = {0};

	generate_three();
	recover("s1", 3, 2);
	recover("s2", 4, 3); /* another entry 2, at a later term, with s4 */
	cmp_nodes(v, three, 3);
	ck_assert_int_eq(rs_compare(v, 3, &r, &e), RS_OK);
	ck_assert_uint_eq(r.source, 1);
	ck_assert_int_eq(r.pairs[0].relation, RS_REL_DIVERGED);
	ck_assert_uint_eq(r.pairs[0].common, 1);
	ck_assert_uint_eq(r.pairs[0].discard_from, 2);
	ck_assert_uint_eq(r.pairs[0].discard_to, 2);
	ck_assert_uint_eq(r.pairs[0].its_term, 2);
	ck_assert_uint_eq(r.pairs[0].source_term, 3);
	ck_assert_int_eq(r.pairs[2].relation, RS_REL_BEHIND);
	ck_assert(r.config_mismatch);
	ck_assert(r.config_differs[0] && !r.config_differs[1]);
	ck_assert_uint_eq(r.voters, 4);
	ck_assert_uint_eq(r.quorum, 3);
	ck_assert_uint_eq(r.voters_present, 3);
	ck_assert(!r.consistent);
	rs_cmp_result_free(&r);

	/* a node that could not be read is invalid, and never the source */
	strcpy(v[1].error, "raft-log.db: not a bbolt file");
	ck_assert_int_eq(rs_compare(v, 3, &r, &e), RS_OK);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_INVALID);
	ck_assert_uint_eq(r.source, 0);
	ck_assert(!r.consistent);
	rs_cmp_result_free(&r);
	cmp_free(v, 3);
}
END_TEST

static const char manifest_doc[] =
    "{\"format\": \"op-conductor-init-backup/1\", \"layout\": \"node\", \"nodes\": [\"s1\"],\n"
    " \"files\": [{\"path\": \"raft-log.db\", \"size\": 32768, \"crc32\": 4294967295},\n"
    "            {\"path\": \"snapshots/1-2-3/state.bin\", \"size\": 0, \"crc32\": 0,\n"
    "             \"compression\": \"gzip\", \"stored_path\": \"snapshots/1-2-3/state.bin.gz\",\n"
    "             \"stored_size\": 20}]}";

static int parse(const char *doc, struct rs_manifest *m, struct rs_err *e)
{
	return rs_manifest_parse(doc, strlen(doc), root, m, e);
}

START_TEST(test_manifest_read)
{
	struct rs_manifest m, again;
	struct rs_err e = {0};
	char *text;

	ck_assert_msg(parse(manifest_doc, &m, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(m.layout, RS_LAYOUT_NODE);
	ck_assert_str_eq(m.node, "s1");
	ck_assert_uint_eq(m.nfiles, 2);
	ck_assert_str_eq(m.files[0].path, "raft-log.db");
	ck_assert_uint_eq(m.files[0].size, 32768);
	ck_assert_uint_eq(m.files[0].crc32, 4294967295u);
	ck_assert(!m.files[0].compressed);
	ck_assert(m.files[1].compressed);
	ck_assert_uint_eq(m.files[1].stored_size, 20);

	/* what the writer makes of it reads back the same */
	m.version = "0.1.0";
	m.created = "2026-12-07T07:00:00Z";
	m.source = "/var/lib/raft/s1";
	text = rs_manifest_text(&m);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(parse(text, &again, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(again.layout, m.layout);
	ck_assert_uint_eq(again.nfiles, m.nfiles);
	for (size_t i = 0; i < m.nfiles; i++) {
		ck_assert_str_eq(again.files[i].path, m.files[i].path);
		ck_assert_uint_eq(again.files[i].size, m.files[i].size);
		ck_assert_uint_eq(again.files[i].crc32, m.files[i].crc32);
		ck_assert_int_eq(again.files[i].compressed, m.files[i].compressed);
		ck_assert_uint_eq(again.files[i].stored_size, m.files[i].stored_size);
	}
	free(text);
	m.version = m.created = m.source = NULL;
	rs_manifest_free(&again);
	rs_manifest_free(&m);
}
END_TEST

/* doc is refused as RS_ECORRUPT with a message holding `says` */
static void refused(const char *doc, const char *says)
{
	struct rs_manifest m;
	struct rs_err e = {0};

	ck_assert_msg(parse(doc, &m, &e) == RS_ECORRUPT, "accepted: %s", doc);
	ck_assert_msg(strstr(e.msg, says) != NULL, "\"%s\" does not say \"%s\"", e.msg, says);
	rs_manifest_free(&m);
}

/* a node manifest's "files" value, and what its refusal says */
static const struct {
	const char *files, *says;
} bad_files[] = {
    {"{}", "must be an array"},
    {"[{\"path\": \"a\", \"size\": -1, \"crc32\": 0}]", "files[0].size must be an integer"},
    {"[{\"path\": \"a\", \"size\": 1, \"crc32\": 4294967296}]",
     "files[0].crc32 must be an integer"},
    {"[{\"path\": 7, \"size\": 1, \"crc32\": 0}]", "files[0].path must be a string"},
    {"[{\"path\": \"../x\", \"size\": 1, \"crc32\": 0}]", "unsafe path"},
    {"[{\"path\": \"a\", \"size\": 1, \"crc32\": 0, \"compression\": \"gzip\", "
     "\"stored_path\": \"b.gz\", \"stored_size\": 1}]",
     "stored_path"},
};

START_TEST(test_manifest_refusals)
{
	const char *head = "{\"format\": \"op-conductor-init-backup/1\", \"layout\": \"node\", ";
	char doc[512];
	struct rs_err e = {0};
	char p[512];

	refused("[]", "must be a JSON object");
	refused("{\"format\": \"x\", \"layout\": \"node\", \"files\": []}", "unknown format");
	refused("{\"format\": \"op-conductor-init-backup/1\", \"layout\": \"x\", \"files\": []}",
	        "layout must be");
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		snprintf(doc, sizeof(doc), "%s\"files\": %s}", head, bad_files[i].files);
		refused(doc, bad_files[i].says);
	}

	/* present: none, a regular file, not a regular file */
	ck_assert_int_eq(rs_manifest_present(root, &e), 0);
	path(p, sizeof(p), RS_BACKUP_MANIFEST);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(rs_manifest_present(root, &e), -RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "not a regular file") != NULL, "%s", e.msg);
	ck_assert_int_eq(rmdir(p), 0);
	{
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, manifest_doc, strlen(manifest_doc)),
		                 (ssize_t)strlen(manifest_doc));
		close(fd);
	}
	ck_assert_int_eq(rs_manifest_present(root, &e), 1);
	{
		struct rs_manifest m;

		ck_assert_msg(rs_manifest_read(root, &m, &e) == RS_OK, "%s", e.msg);
		ck_assert_uint_eq(m.nfiles, 2);
		rs_manifest_free(&m);
	}
}
END_TEST

/* the bytes of a file (for "the plan wrote nothing"); free() them */
static char *slurp(const char *p, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(p, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* the node's two files, concatenated */
static char *node_bytes(const char *id, size_t *len)
{
	char p[512], *a, *b, *out;
	size_t la, lb;

	snprintf(p, sizeof(p), "%s/%s/raft-log.db", root, id);
	a = slurp(p, &la);
	snprintf(p, sizeof(p), "%s/%s/raft-stable.db", root, id);
	b = slurp(p, &lb);
	out = malloc(la + lb);
	ck_assert_ptr_nonnull(out);
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	free(a);
	free(b);
	*len = la + lb;
	return out;
}

static void unchanged(const char *id, const char *before, size_t len)
{
	size_t now_len;
	char *now = node_bytes(id, &now_len);

	ck_assert_uint_eq(now_len, len);
	ck_assert_msg(memcmp(now, before, len) == 0, "%s changed", id);
	free(now);
}

static int restore_check(const char *backup, const char *target, int other_node,
                         struct rs_restore_plan *plan, struct rs_err *e)
{
	struct rs_restore_opts o = {.other_node = other_node, .lock_timeout = 5};
	struct rs_problems pr = {0};
	int rc = rs_restore_plan(backup, target, &o, plan, &pr, e);

	rs_problems_free(&pr);
	return rc;
}

START_TEST(test_restore_check)
{
	struct rs_backup_opts bo = {.lock_timeout = 5, .version = "test"};
	struct rs_backup_result res = {0};
	struct rs_backup_plan bplan;
	struct rs_restore_plan plan;
	struct rs_problems pr = {0};
	struct rs_err e = {0};
	char src[512], into[512], target[512], p[4200];
	size_t len;
	char *before;

	generate_three();
	path(src, sizeof(src), "s1");
	path(into, sizeof(into), "backups");
	ck_assert_msg(rs_backup_plan(src, into, &bplan, &e) == RS_OK, "%s", e.msg);
	ck_assert_msg(rs_backup_apply(&bplan, &bo, &res, &pr, &e) == RS_OK, "%s", e.msg);
	rs_backup_plan_free(&bplan);
	ck_assert_int_eq(res.layout, RS_LAYOUT_NODE);
	before = node_bytes("s1", &len);

	/* only the backup */
	ck_assert_msg(restore_check(res.path, NULL, 0, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert(plan.has_manifest);
	ck_assert_int_eq(plan.backup_layout, RS_LAYOUT_NODE);
	ck_assert_str_eq(plan.from_id, "s1");
	ck_assert_uint_eq(plan.nfiles, res.nfiles);
	ck_assert_uint_eq(plan.nchecked, res.nfiles);
	ck_assert(plan.verified);
	rs_restore_plan_free(&plan);

	/* its own node: fits, and the target holds state */
	ck_assert_msg(restore_check(res.path, src, 0, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(plan.layout, RS_LAYOUT_NODE);
	ck_assert_uint_eq(plan.nnodes, 1);
	ck_assert_str_eq(plan.nodes[0].target, src);
	ck_assert(plan.nodes[0].target_exists);
	ck_assert_uint_eq(plan.nexisting, 1);
	rs_restore_plan_free(&plan);
	unchanged("s1", before, len);

	/* another node's directory: only when asked */
	path(target, sizeof(target), "s2");
	ck_assert_int_eq(restore_check(res.path, target, 0, &plan, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "s2") != NULL, "%s", e.msg);
	rs_restore_plan_free(&plan);
	ck_assert_msg(restore_check(res.path, target, 1, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert(plan.other_node);
	rs_restore_plan_free(&plan);

	/* a cluster root (it holds node directories) is no place for one node */
	ck_assert_int_eq(restore_check(res.path, root, 0, &plan, &e), RS_EINVAL);
	rs_restore_plan_free(&plan);

	/* one flipped byte of the backed-up log, same size: the checksum fails */
	snprintf(p, sizeof(p), "%s/raft-log.db", res.path);
	{
		int fd = open(p, O_RDWR);
		unsigned char c;

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pread(fd, &c, 1, 100), 1);
		c ^= 0x5a;
		ck_assert_int_eq(pwrite(fd, &c, 1, 100), 1);
		close(fd);
	}
	ck_assert_int_eq(restore_check(res.path, src, 0, &plan, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "raft-log.db") != NULL, "%s", e.msg);
	rs_restore_plan_free(&plan);
	unchanged("s1", before, len);
	free(before);
	rs_backup_result_free(&res);
	rs_problems_free(&pr);
}
END_TEST

/* Every apply takes the run lock itself, on the node's parent (here root):
 * while another holder has it, each plan still works (it only reads) and
 * each apply is refused with RS_ELOCKED, the node unchanged and no backup
 * written; once it is free, they go through. Restore's apply looks at the
 * targets again under the lock: a target that gained state since the check
 * is refused unless forced. */
START_TEST(test_apply_takes_run_lock)
{
	struct rs_recover_opts ro = {.lock_timeout = 5, .uid = (uid_t)-1, .gid = (gid_t)-1};
	struct rs_backup_opts bo = {.lock_timeout = 5, .version = "test"};
	struct rs_restore_opts so = {.lock_timeout = 5};
	struct rs_backup_result res = {0};
	struct rs_backup_plan bplan;
	struct rs_recover_plan rplan;
	struct rs_restore_plan splan;
	struct rs_problems pr = {0};
	struct rs_members ms = {0};
	struct rs_config c = {0};
	struct rs_nd_lock held;
	struct rs_err e = {0};
	char s1[512], into[512], fresh[512], kept[4096];
	size_t len;
	char *before;

	generate_three();
	path(s1, sizeof(s1), "s1");
	path(into, sizeof(into), "backups");
	before = node_bytes("s1", &len);
	fixture_members(&ms, 3, 0);
	ck_assert_int_eq(rs_members_config(&ms, &c, &e), RS_OK);
	ck_assert_int_eq(rs_nd_lock(root, 0, &held, &e), RS_OK);

	ck_assert_msg(rs_recover_plan(s1, &c, &ro, &rplan, &pr, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(rs_recover_apply(&rplan, &ro, kept, sizeof(kept), &pr, &e), RS_ELOCKED);
	ck_assert_msg(strstr(e.msg, "in use by another run") != NULL, "%s", e.msg);
	ck_assert_str_eq(kept, "");
	ck_assert_msg(rs_backup_plan(s1, into, &bplan, &e) == RS_OK, "%s", e.msg);
	ck_assert_str_eq(bplan.lock_dir, root);
	ck_assert_int_eq(rs_backup_apply(&bplan, &bo, &res, &pr, &e), RS_ELOCKED);
	ck_assert(!res.run_locked);
	ck_assert_int_ne(access(into, F_OK), 0); /* not even the backup directory */
	unchanged("s1", before, len);

	rs_nd_unlock(&held);
	ck_assert_msg(rs_backup_apply(&bplan, &bo, &res, &pr, &e) == RS_OK, "%s", e.msg);
	ck_assert(res.run_locked);
	rs_backup_plan_free(&bplan);
	ck_assert_msg(rs_recover_apply(&rplan, &ro, kept, sizeof(kept), &pr, &e) == RS_OK, "%s",
	              e.msg);
	ck_assert_int_ne(kept[0], '\0');
	rs_recover_plan_free(&rplan);

	/* restore into a node directory that does not exist yet ... */
	path(fresh, sizeof(fresh), "new/s1");
	ck_assert_msg(rs_restore_plan(res.path, fresh, &so, &splan, &pr, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_eq(splan.nexisting, 0);
	path(kept, sizeof(kept), "new");
	ck_assert_int_eq(mkdir(kept, 0755), 0); /* the lock is on new/ */
	ck_assert_int_eq(rs_nd_lock(kept, 0, &held, &e), RS_OK);
	ck_assert_int_eq(rs_restore_apply(&splan, &so, kept, sizeof(kept), &pr, &e), RS_ELOCKED);
	ck_assert_int_ne(access(fresh, F_OK), 0);
	rs_nd_unlock(&held);
	/* ... which gains state before the apply: refused unless forced */
	ck_assert_msg(rs_generate_node(fresh, &c, "s1", "s1", 1, NULL, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(rs_restore_apply(&splan, &so, kept, sizeof(kept), &pr, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "did not hold") != NULL, "%s", e.msg);
	ck_assert(!splan.staged);
	so.force = 1;
	ck_assert_msg(rs_restore_apply(&splan, &so, kept, sizeof(kept), &pr, &e) == RS_OK, "%s",
	              e.msg);
	ck_assert(splan.nodes[0].restored);
	ck_assert_uint_eq(splan.nexisting, 1);
	rs_restore_plan_free(&splan);

	free(before);
	rs_backup_result_free(&res);
	rs_members_config_free(&c);
	rs_members_free(&ms);
	rs_problems_free(&pr);
}
END_TEST

/* rs_generate_plan's inputs for members s1..s3 (leader s1) into root/out. */
struct gen_fixture {
	struct rs_members ms;
	struct rs_config c;
	struct rs_generate_opts o;
	char out[512];
};

static void gen_fixture(struct gen_fixture *g, uint64_t term)
{
	struct rs_err e = {0};

	memset(g, 0, sizeof(*g));
	fixture_members(&g->ms, 3, 0);
	ck_assert_int_eq(rs_members_config(&g->ms, &g->c, &e), RS_OK);
	path(g->out, sizeof(g->out), "out");
	g->o = (struct rs_generate_opts){.output_dir = g->out,
	                                 .ms = &g->ms,
	                                 .cfg = &g->c,
	                                 .term = term,
	                                 .uid = (uid_t)-1,
	                                 .gid = (gid_t)-1};
}

static void gen_fixture_free(struct gen_fixture *g)
{
	rs_members_config_free(&g->c);
	rs_members_free(&g->ms);
}

/* plan then apply; the plan's result */
static int gen_run(const struct rs_generate_opts *o, struct rs_generate_plan *p, int apply,
                   struct rs_err *e)
{
	int rc = rs_generate_plan(o, p, e);

	if (rc == RS_OK && apply && !p->done)
		rc = rs_generate_apply(o, p, e);
	return rc;
}

/* rs_generate_plan on a missing, a written and a changed output tree: what
 * it would write, each refusal (existing state without --force, a member
 * that is not one, a symbolic link, a cluster that has formed), and
 * --if-absent's verdict; it never writes. rs_generate_apply writes what was
 * planned (the same bytes as rs_generate_node), and under its run lock
 * looks again: state that appeared since the plan is refused. */
START_TEST(test_generate_plan)
{
	struct rs_generate_plan p;
	struct gen_fixture g;
	struct rs_nd_lock held;
	struct rs_err e = {0};
	char link[512], s1[512];
	size_t len;
	char *before;

	gen_fixture(&g, 1);
	/* a missing tree: everything to make, nothing made by the plan */
	ck_assert_msg(rs_generate_plan(&g.o, &p, &e) == RS_OK, "%s", e.msg);
	ck_assert(p.make_outdir);
	ck_assert_uint_eq(p.nwrite, 3);
	ck_assert(p.make[0] && p.make[1] && p.make[2]);
	ck_assert_int_ne(access(g.out, F_OK), 0);
	/* the apply writes it: the same bytes as the one-node writer */
	ck_assert_msg(rs_generate_apply(&g.o, &p, &e) == RS_OK, "%s", e.msg);
	ck_assert(p.written[0] && p.written[1] && p.written[2]);
	ck_assert_str_eq(p.keep_root, "");
	rs_generate_plan_free(&p);
	path(s1, sizeof(s1), "ref");
	ck_assert_int_eq(rs_generate_node(s1, &g.c, "s1", "s1", 1, NULL, &e), RS_OK);
	before = node_bytes("ref", &len);
	unchanged("out/s1", before, len);
	free(before);
	before = node_bytes("out/s2", &len);

	/* written: refused without --force, naming every file */
	ck_assert_int_eq(rs_generate_plan(&g.o, &p, &e), RS_EEXIST);
	ck_assert_uint_eq(p.nexisting, 6);
	ck_assert_msg(strstr(e.msg, "refusing to overwrite 6 existing state files") != NULL, "%s",
	              e.msg);
	ck_assert_msg(strstr(p.existing, "out/s3/raft-stable.db") != NULL, "%s", p.existing);
	rs_generate_plan_free(&p);
	/* --force: the whole nodes would be replaced */
	g.o.force = 1;
	ck_assert_msg(rs_generate_plan(&g.o, &p, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_eq(p.have[1], 2);
	ck_assert(!p.make_outdir && !p.make[1]);
	rs_generate_plan_free(&p);
	g.o.force = 0;
	/* a member that is not one */
	g.o.node_id = "s9";
	ck_assert_int_eq(rs_generate_plan(&g.o, &p, &e), RS_ENOTFOUND);
	rs_generate_plan_free(&p);
	g.o.node_id = NULL;

	/* --if-absent: what it would write is fine, nothing left to do */
	g.o.if_absent = 1;
	ck_assert_msg(rs_generate_plan(&g.o, &p, &e) == RS_OK, "%s", e.msg);
	ck_assert(p.done);
	ck_assert_uint_eq(p.npresent, 3);
	ck_assert_uint_eq(p.notes.n, 3);
	ck_assert_msg(strstr(p.notes.text, "identical to what this command writes") != NULL, "%s",
	              p.notes.text);
	rs_generate_plan_free(&p);
	/* ... another initial term is a conflict, with its lines */
	g.o.term = 7;
	ck_assert_int_eq(rs_generate_plan(&g.o, &p, &e), RS_EEXIST);
	ck_assert_uint_gt(p.conflict.n, 0);
	ck_assert_msg(strstr(p.conflict.text, "+ current term 7") != NULL, "%s", p.conflict.text);
	rs_generate_plan_free(&p);
	g.o.term = 1;
	/* a formed cluster: refused, or with --if-absent an empty node left empty */
	g.o.formed_file = "cluster.json";
	g.o.if_absent = 0;
	g.o.force = 1; /* (without it, the existing state is refused first) */
	ck_assert_int_eq(rs_generate_plan(&g.o, &p, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "has formed") != NULL, "%s", e.msg);
	rs_generate_plan_free(&p);
	g.o.force = 0;
	path(s1, sizeof(s1), "out/s3");
	rs_remove_tree(s1);
	g.o.if_absent = 1;
	ck_assert_msg(rs_generate_plan(&g.o, &p, &e) == RS_OK, "%s", e.msg);
	ck_assert(p.done);
	ck_assert_msg(strstr(p.notes.text, "out/s3: no state") != NULL, "%s", p.notes.text);
	rs_generate_plan_free(&p);
	ck_assert_int_ne(access(s1, F_OK), 0);
	g.o.formed_file = NULL;
	g.o.if_absent = 0;

	/* the apply looks again under its lock: s3 appeared since the plan */
	g.o.node_id = "s3";
	ck_assert_msg(rs_generate_plan(&g.o, &p, &e) == RS_OK, "%s", e.msg);
	ck_assert(p.make[2]);
	ck_assert_int_eq(rs_nd_lock(g.out, 0, &held, &e), RS_OK);
	ck_assert_int_eq(rs_generate_apply(&g.o, &p, &e), RS_ELOCKED);
	ck_assert_msg(strstr(e.msg, "; nothing was changed") != NULL, "%s", e.msg);
	rs_nd_unlock(&held);
	ck_assert_int_eq(rs_generate_node(s1, &g.c, "s3", "s1", 1, NULL, &e), RS_OK);
	ck_assert_int_eq(rs_generate_apply(&g.o, &p, &e), RS_EEXIST);
	ck_assert(!p.written[2]);
	rs_generate_plan_free(&p);
	unchanged("out/s2", before, len);
	free(before);

	/* an output directory that is a symbolic link */
	path(link, sizeof(link), "link");
	ck_assert_int_eq(symlink(g.out, link), 0);
	g.o.output_dir = link;
	g.o.node_id = NULL;
	ck_assert_int_eq(gen_run(&g.o, &p, 1, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "is a symbolic link") != NULL, "%s", e.msg);
	rs_generate_plan_free(&p);
	gen_fixture_free(&g);
}
END_TEST

/* rs_backup_plan reads and refuses without writing: a node directory (its
 * lock on the parent), a cluster root (its node directories, the lock on
 * it), a state directory that does not exist or holds no Raft state, and a
 * backup directory inside the state directory. */
START_TEST(test_backup_plan)
{
	struct rs_backup_plan b;
	struct rs_err e = {0};
	char s1[512], into[512], empty[512];

	generate_three();
	path(s1, sizeof(s1), "s1");
	path(into, sizeof(into), "backups");
	ck_assert_msg(rs_backup_plan(s1, into, &b, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(b.layout, RS_LAYOUT_NODE);
	ck_assert_uint_eq(b.nnodes, 0);
	ck_assert_str_eq(b.lock_dir, root);
	rs_backup_plan_free(&b);
	ck_assert_msg(rs_backup_plan(root, "/tmp/oci-plans-elsewhere", &b, &e) == RS_OK, "%s",
	              e.msg);
	ck_assert_int_eq(b.layout, RS_LAYOUT_CLUSTER);
	ck_assert_uint_eq(b.nnodes, 3);
	ck_assert_str_eq(b.nodes[2], "s3");
	ck_assert_str_eq(b.lock_dir, root);
	rs_backup_plan_free(&b);
	/* the backup inside what it copies */
	ck_assert_int_ne(rs_backup_plan(root, into, &b, &e), RS_OK);
	ck_assert_msg(strstr(e.msg, "--backup-dir") != NULL, "%s", e.msg);
	rs_backup_plan_free(&b);
	path(empty, sizeof(empty), "empty");
	ck_assert_int_eq(mkdir(empty, 0755), 0);
	ck_assert_int_eq(rs_backup_plan(empty, into, &b, &e), RS_ENOTFOUND);
	rs_backup_plan_free(&b);
	path(empty, sizeof(empty), "missing");
	ck_assert_int_eq(rs_backup_plan(empty, into, &b, &e), RS_EIO);
	rs_backup_plan_free(&b);
	ck_assert_int_ne(access(into, F_OK), 0); /* nothing made */
}
END_TEST

static int recover_plan(size_t n, const char *drop, int force, uint64_t term,
                        struct rs_recover_plan *plan, struct rs_err *e)
{
	struct rs_recover_opts o = {
	    .lock_timeout = 5, .term = term, .force = force, .uid = (uid_t)-1, .gid = (gid_t)-1};
	struct rs_members ms = {0};
	struct rs_problems pr = {0};
	struct rs_config c = {0};
	char dir[512];
	int rc;

	fixture_members(&ms, n, 0);
	if (drop != NULL) { /* s4 takes its place */
		free(ms.m[0].id);
		ms.m[0].id = strdup("s4");
		ck_assert_str_eq(drop, "s1");
	}
	ck_assert_int_eq(rs_members_config(&ms, &c, e), RS_OK);
	path(dir, sizeof(dir), "s1");
	rc = rs_recover_plan(dir, &c, &o, plan, &pr, e);
	rs_members_config_free(&c);
	rs_members_free(&ms);
	rs_problems_free(&pr);
	return rc;
}

START_TEST(test_recover_plan)
{
	struct rs_recover_plan plan;
	struct rs_recover_opts o = {.lock_timeout = 5};
	struct rs_problems pr = {0};
	struct rs_config none = {0};
	struct rs_err e = {0};
	char missing[512];
	size_t len;
	char *before;

	generate_three();
	before = node_bytes("s1", &len);
	ck_assert_msg(recover_plan(3, NULL, 0, 0, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_eq(plan.index, 2);
	ck_assert_uint_eq(plan.term, 2);
	ck_assert_uint_eq(plan.current_term, 2);
	ck_assert_int_eq(plan.self, RS_VOTER);
	ck_assert(!plan.clear_vote); /* s1 voted for itself, still a member */
	ck_assert(!plan.log_empty);
	ck_assert_uint_eq(plan.config.n, 3);
	rs_recover_plan_free(&plan);

	/* s1 left out: refused, unless forced; then its own vote goes */
	ck_assert_int_eq(recover_plan(3, "s1", 0, 0, &plan, &e), RS_EINVAL);
	rs_recover_plan_free(&plan);
	ck_assert_msg(recover_plan(3, "s1", 1, 0, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(plan.self, -1);
	ck_assert(plan.clear_vote);
	rs_recover_plan_free(&plan);

	/* a term no leader may have used: above CurrentTerm 1 */
	ck_assert_int_eq(recover_plan(3, NULL, 0, 1, &plan, &e), RS_EINVAL);
	rs_recover_plan_free(&plan);
	ck_assert_msg(recover_plan(3, NULL, 0, 9, &plan, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_eq(plan.term, 9);
	ck_assert_uint_eq(plan.current_term, 9);
	rs_recover_plan_free(&plan);
	unchanged("s1", before, len);
	free(before);

	path(missing, sizeof(missing), "s9");
	ck_assert_int_eq(rs_recover_plan(missing, &none, &o, &plan, &pr, &e), RS_ENOTFOUND);
	rs_recover_plan_free(&plan);
	rs_problems_free(&pr);
}
END_TEST

/* true when one of p's problems has `needle` in its reason */
static int has_reason(const struct rs_problems *p, const char *needle)
{
	for (size_t i = 0; i < p->n; i++)
		if (strstr(p->v[i].reason, needle) != NULL)
			return 1;
	return 0;
}

/* op-conductor's flags read as urfave/cli on Go's flag package reads them:
 * -x and --x alike, name=value or the next argument, booleans without one,
 * an unknown flag's value skipped, "--paused true" ending the flags, the
 * last repeated flag winning, the OP_CONDUCTOR_* variables for the rest */
START_TEST(test_oc_flags_read)
{
	char *a1[] = {"--raft.storage.dir",
	              "/a",
	              "-raft.server.id=x",
	              "--node.rpc",
	              "http://n",
	              "--raft.server.id",
	              "y",
	              "--raft.bootstrap",
	              "--raft.snapshot-threshold",
	              "0x10",
	              "--log.pid",
	              "--paused",
	              "true",
	              "--raft.storage.dir",
	              "/late"};
	char *a2[] = {"--raft.bootstrap=false", "-h=false", "--", "--raft.server.id", "z"};
	char *a3[] = {"--raft.storage.dir"}; /* needs an argument: op-conductor stops */
	struct rs_oc_flags r;
	uint64_t t = 0;
	int b = -1;

	setenv(RS_OC_SERVER_ID_ENV, "from-env", 1);
	setenv(RS_OC_STORAGE_DIR_ENV, "/env", 1);
	unsetenv(RS_OC_BOOTSTRAP_ENV);
	unsetenv(RS_OC_SNAPSHOT_THRESHOLD_ENV);
	rs_oc_flags_read(15, a1, &r);
	ck_assert_str_eq(r.storage_dir.val, "/a"); /* "--paused true" ended the flags */
	ck_assert_str_eq(r.storage_dir.src, "--raft.storage.dir");
	ck_assert_str_eq(r.server_id.val, "y"); /* the last one */
	ck_assert_str_eq(r.bootstrap.val, "true");
	ck_assert_str_eq(r.log_pid.val, "true");
	ck_assert(rs_oc_snapshot_threshold(&r, &t) && t == 16); /* base 0, as Uint64Flag */
	ck_assert(!r.help);

	rs_oc_flags_read(5, a2, &r);
	ck_assert_str_eq(r.server_id.val, "from-env"); /* after "--": not a flag */
	ck_assert_str_eq(r.server_id.src, RS_OC_SERVER_ID_ENV);
	ck_assert_str_eq(r.bootstrap.val, "false");
	ck_assert(!r.help); /* -h=false asks for nothing */
	ck_assert(!rs_oc_snapshot_threshold(&r, &t));

	rs_oc_flags_read(1, a3, &r);
	ck_assert_str_eq(r.storage_dir.val, "/env");
	setenv(RS_OC_SNAPSHOT_THRESHOLD_ENV, "12x", 1);
	rs_oc_flags_read(0, a3, &r);
	ck_assert(!rs_oc_snapshot_threshold(&r, &t)); /* op-conductor refuses it */
	unsetenv(RS_OC_SNAPSHOT_THRESHOLD_ENV);
	unsetenv(RS_OC_SERVER_ID_ENV);
	unsetenv(RS_OC_STORAGE_DIR_ENV);

	ck_assert(rs_go_parse_bool("True", &b) == 0 && b == 1);
	ck_assert(rs_go_parse_bool("F", &b) == 0 && b == 0);
	ck_assert_int_eq(rs_go_parse_bool("yes", &b), -1);
}
END_TEST

/* plan a preflight for op-conductor started with --raft.storage.dir root
 * --raft.server.id id and `more` */
static int preflight(const char *id, const char *more, struct rs_preflight_plan *p,
                     struct rs_err *e)
{
	char *argv[5] = {"--raft.storage.dir", root, "--raft.server.id", (char *)id, (char *)more};
	struct rs_oc_flags r;

	rs_oc_flags_read(more != NULL ? 5 : 4, argv, &r);
	return rs_preflight_plan(&r, 5, p, e);
}

/* The preflight's verdicts: a new node starts (noting a bootstrap's paused
 * first start), a node with valid state starts (warning that raft will not
 * bootstrap it again; the nil-head warning at the threshold op-conductor
 * was given), corrupt state is refused, help asks nothing; read-only. */
START_TEST(test_preflight_plan)
{
	struct rs_preflight_plan p;
	struct rs_err e = {0};
	char dir[512], f[600];
	char *argv[] = {"--raft.storage.dir", root, "--raft.server.id", "s1", "--help"};
	struct rs_oc_flags r;
	size_t len;
	char *before;
	FILE *fp;

	unsetenv(RS_OC_BOOTSTRAP_ENV);
	unsetenv(RS_OC_SNAPSHOT_THRESHOLD_ENV);
	generate_three();
	before = node_bytes("s1", &len);
	path(dir, sizeof(dir), "s1");

	ck_assert_msg(preflight("s1", NULL, &p, &e) == RS_OK, "%s", e.msg);
	ck_assert_str_eq(p.node_dir, dir);
	ck_assert_int_eq(p.state, RS_PF_VALID);
	ck_assert(p.verified && p.note == RS_PF_NOTE_NONE && rs_preflight_starts(&p));
	rs_preflight_plan_free(&p);

	ck_assert_msg(preflight("s1", "--raft.bootstrap", &p, &e) == RS_OK, "%s", e.msg);
	ck_assert(p.bootstrap && p.note == RS_PF_BOOTSTRAP_ON_STATE);
	ck_assert_str_eq(p.bootstrap_src, "--raft.bootstrap");
	ck_assert_str_eq(rs_pf_note_name(p.note), "bootstrap_on_state");
	rs_preflight_plan_free(&p);

	/* generated state has no unsafe head: at a threshold of 1 op-conductor's
	 * first snapshot comes now, and the warning names where 1 came from */
	ck_assert_msg(preflight("s1", "--raft.snapshot-threshold=1", &p, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(p.state, RS_PF_WARNINGS);
	ck_assert(has_reason(&p.problems, "--raft.snapshot-threshold"));
	ck_assert(rs_preflight_starts(&p));
	rs_preflight_plan_free(&p);
	unchanged("s1", before, len);
	free(before);

	/* a new node: no state, nothing verified */
	ck_assert_msg(preflight("s9", "--raft.bootstrap=true", &p, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(p.state, RS_PF_NONE);
	ck_assert(!p.verified && p.note == RS_PF_BOOTSTRAP_FIRST_START && rs_preflight_starts(&p));
	ck_assert_int_ne(access(p.node_dir, F_OK), 0); /* not created */
	rs_preflight_plan_free(&p);

	/* both meta pages of s2's log broken: invalid, refused */
	path(f, sizeof(f), "s2/raft-log.db");
	ck_assert_ptr_nonnull(fp = fopen(f, "r+b"));
	for (long off = 0; off <= 4096; off += 4096) {
		ck_assert_int_eq(fseek(fp, off + 32, SEEK_SET), 0);
		ck_assert_int_eq(fwrite("\xff\xff\xff\xff\xff\xff\xff\xff", 1, 8, fp), 8);
	}
	fclose(fp);
	ck_assert_msg(preflight("s2", "--raft.bootstrap", &p, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(p.state, RS_PF_INVALID);
	ck_assert(p.problems.errors > 0 && !rs_preflight_starts(&p));
	ck_assert(p.note == RS_PF_NOTE_NONE); /* refused: no note */
	ck_assert_str_eq(rs_pf_state_name(p.state), "invalid");
	rs_preflight_plan_free(&p);

	/* op-conductor only prints its help: nothing to check */
	rs_oc_flags_read(5, argv, &r);
	ck_assert_int_eq(rs_preflight_plan(&r, 5, &p, &e), RS_OK);
	ck_assert_int_eq(p.state, RS_PF_NOT_CHECKED);
	ck_assert_str_eq(p.node_dir, "");
	rs_preflight_plan_free(&p);
}
END_TEST

START_TEST(test_compact_plan)
{
	struct rs_compact_opts o = {.lock_timeout = 5,
	                            .trailing_set = 1,
	                            .trailing = 0,
	                            .uid = (uid_t)-1,
	                            .gid = (gid_t)-1};
	struct rs_compact_plan plan;
	struct rs_problems pr = {0};
	struct rs_nd_lock held;
	struct timespec t0, t1;
	struct rs_err e = {0};
	char dir[512], p[600];
	struct stat st;
	size_t len;
	char *before;

	generate_three();
	before = node_bytes("s1", &len);
	path(dir, sizeof(dir), "s1");
	ck_assert_msg(rs_compact_plan(dir, &o, &plan, &pr, &e) == RS_OK, "%s", e.msg);
	snprintf(p, sizeof(p), "%s/raft-log.db", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(plan.file[0].size, (uint64_t)st.st_size);
	/* the high-water mark: within the file (bbolt grows it ahead, to 32 KB first) */
	ck_assert_uint_gt(plan.file[0].pages, 0);
	ck_assert_uint_le(plan.file[0].pages * plan.file[0].page_size, (uint64_t)st.st_size);
	snprintf(p, sizeof(p), "%s/raft-stable.db", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(plan.file[1].size, (uint64_t)st.st_size);
	ck_assert_uint_le(plan.file[0].new_size, plan.file[0].size);
	/* no snapshot: raft removes nothing, and neither does compact */
	ck_assert(!plan.has_snap);
	ck_assert_uint_eq(plan.del_count, 0);
	ck_assert_msg(strstr(plan.keep_why, "snapshot") != NULL, "%s", plan.keep_why);
	/* the run lock held: apply tries it once (run_lock_timeout 0), though
	 * it waits up to lock_timeout (5 s) for each database */
	ck_assert_int_eq(rs_nd_lock(root, 0, &held, &e), RS_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(rs_compact_apply(&plan, &o, &pr, &e), RS_ELOCKED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(strstr(e.msg, "in use by another run") != NULL, "%s", e.msg);
	ck_assert_msg(t1.tv_sec - t0.tv_sec < 4, "waited %lld s for the run lock",
	              (long long)(t1.tv_sec - t0.tv_sec));
	rs_nd_unlock(&held);
	rs_compact_plan_free(&plan);
	unchanged("s1", before, len);
	free(before);

	path(dir, sizeof(dir), "s9");
	ck_assert_int_eq(rs_compact_plan(dir, &o, &plan, &pr, &e), RS_ENOTFOUND);
	rs_compact_plan_free(&plan);
	rs_problems_free(&pr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plans");
	TCase *tc = tcase_create("plans");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_compare_agree);
	tcase_add_test(tc, test_compare_behind);
	tcase_add_test(tc, test_compare_read_dirs);
	tcase_add_test(tc, test_compare_diverged);
	tcase_add_test(tc, test_manifest_read);
	tcase_add_test(tc, test_manifest_refusals);
	tcase_add_test(tc, test_restore_check);
	tcase_add_test(tc, test_apply_takes_run_lock);
	tcase_add_test(tc, test_generate_plan);
	tcase_add_test(tc, test_backup_plan);
	tcase_add_test(tc, test_recover_plan);
	tcase_add_test(tc, test_compact_plan);
	tcase_add_test(tc, test_oc_flags_read);
	tcase_add_test(tc, test_preflight_plan);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
