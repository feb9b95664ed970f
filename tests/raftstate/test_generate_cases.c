/*
 * raftstate/generate.c's output-tree plan beyond test_plans.c:
 *   a missing OUTPUT_DIR whose nearest existing ancestor is "/", or under
 *   a regular file;
 *   --if-absent on a node directory holding snapshots/ but no database;
 *   a member named cluster.json (then no cluster.json is written);
 *   --node-id of a member added after the cluster formed with --if-absent:
 *   done, and applying it writes nothing.
 * rs_generate_node refuses term 0, and names no vote without a leader.
 * Plans only read; nothing is made outside the test's directory.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raftstate/cluster.h"
#include "raftstate/generate.h"
#include "raftstate/nodedir.h"
#include "raftstate/path.h"
#include "raftstate/summary.h"
#include "tests/check_support.h"
#include "tests/raftstate/members_fixture.h"

static char root[256];

static void setup(void)
{
	strcpy(root, "/tmp/oci-generate-cases-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	rs_remove_tree(root);
}

struct gen {
	struct rs_members ms;
	struct rs_config c;
	struct rs_generate_opts o;
	char out[512];
};

static void gen_init(struct gen *g, const char *out)
{
	struct rs_err e = {0};

	memset(g, 0, sizeof(*g));
	fixture_members(&g->ms, 3, 0);
	ck_assert_int_eq(rs_members_config(&g->ms, &g->c, &e), RS_OK);
	ck_assert_uint_lt(strlen(out), sizeof(g->out));
	strcpy(g->out, out);
	g->o = (struct rs_generate_opts){.output_dir = g->out,
	                                 .ms = &g->ms,
	                                 .cfg = &g->c,
	                                 .term = 1,
	                                 .cluster_json = 1,
	                                 .uid = (uid_t)-1,
	                                 .gid = (gid_t)-1};
}

static void gen_free(struct gen *g)
{
	rs_members_config_free(&g->c);
	rs_members_free(&g->ms);
}

static int plan(struct gen *g, struct rs_generate_plan *p, struct rs_err *e)
{
	memset(e, 0, sizeof(*e));
	return rs_generate_plan(&g->o, p, e);
}

START_TEST(missing_outdir_ancestors)
{
	struct rs_generate_plan p;
	struct rs_err e;
	struct gen g;
	char out[512], f[512];
	FILE *fp;

	/* up to "/": creatable where "/" is writable (the plan makes nothing),
	 * else the plan names "/" */
	gen_init(&g, "/oci-generate-cases-no-such-dir/a");
	if (access("/", W_OK) == 0) {
		ck_assert_msg(plan(&g, &p, &e) == RS_OK, "%s", e.msg);
		ck_assert(p.make_outdir);
		ck_assert_uint_eq(p.nwrite, 3);
		rs_generate_plan_free(&p);
	} else {
		ck_assert_int_ne(plan(&g, &p, &e), RS_OK);
		ck_assert_msg(strstr(e.msg, "/ is not writable") != NULL, "%s", e.msg);
		rs_generate_plan_free(&p); /* whatever the result (generate.h) */
	}
	ck_assert_int_ne(access("/oci-generate-cases-no-such-dir", F_OK), 0);
	gen_free(&g);

	/* a regular file on the way */
	snprintf(f, sizeof(f), "%s/file", root);
	fp = fopen(f, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	snprintf(out, sizeof(out), "%s/file/a", root);
	gen_init(&g, out);
	ck_assert_int_eq(plan(&g, &p, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "cannot create --output-dir") != NULL &&
	                  strstr(e.msg, "/file/a: a part of its path is not a directory") != NULL,
	              "%s", e.msg);
	rs_generate_plan_free(&p);
	gen_free(&g);
}
END_TEST

START_TEST(if_absent_snapshots_only)
{
	struct rs_generate_plan p;
	struct rs_err e;
	struct gen g;
	char out[512], d[600];

	snprintf(out, sizeof(out), "%s/out", root);
	gen_init(&g, out);
	g.o.if_absent = 1;
	snprintf(d, sizeof(d), "%s/s2/snapshots", out);
	ck_assert_int_eq(rs_path_mkdir_p(d, 1, &e), RS_OK);
	ck_assert_int_eq(plan(&g, &p, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "--if-absent: ") != NULL &&
	                  strstr(e.msg, "s2 holds no database but a snapshots/ directory") != NULL,
	              "%s", e.msg);
	rs_generate_plan_free(&p);
	/* without --if-absent it is state in the way */
	g.o.if_absent = 0;
	ck_assert_int_eq(plan(&g, &p, &e), RS_EEXIST);
	ck_assert_msg(strstr(e.msg, "snapshots") != NULL, "%s", e.msg);
	rs_generate_plan_free(&p);
	gen_free(&g);
}
END_TEST

START_TEST(member_named_cluster_json)
{
	struct rs_generate_plan p;
	struct rs_err e;
	struct gen g;
	char out[512], f[600];
	struct stat st;

	snprintf(out, sizeof(out), "%s/out", root);
	gen_init(&g, out);
	rs_members_config_free(&g.c);
	free(g.ms.m[2].id);
	g.ms.m[2].id = strdup("cluster.json");
	ck_assert_int_eq(rs_members_config(&g.ms, &g.c, &e), RS_OK);
	ck_assert_msg(plan(&g, &p, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(p.cluster_json, 0);
	ck_assert_msg(rs_generate_apply(&g.o, &p, &e) == RS_OK, "%s", e.msg);
	rs_generate_plan_free(&p);
	snprintf(f, sizeof(f), "%s/cluster.json", out);
	ck_assert_int_eq(lstat(f, &st), 0);
	ck_assert(S_ISDIR(st.st_mode)); /* the node, not the record */
	snprintf(f, sizeof(f), "%s/cluster.json/raft-log.db", out);
	ck_assert_int_eq(access(f, F_OK), 0);
	gen_free(&g);
}
END_TEST

START_TEST(added_after_formed)
{
	struct rs_generate_plan p;
	struct rs_err e;
	struct gen g;
	char out[512];

	snprintf(out, sizeof(out), "%s/out", root);
	gen_init(&g, out);
	g.o.node_id = "s9";
	g.o.if_absent = 1;
	g.o.formed_file = "cluster.yaml";
	ck_assert_msg(plan(&g, &p, &e) == RS_OK, "%s", e.msg);
	ck_assert(p.done);
	ck_assert_uint_eq(p.nwrite, 0);
	ck_assert_msg(p.notes.text != NULL && strstr(p.notes.text, "s9 is not in") != NULL &&
	                  strstr(p.notes.text, "the cluster has formed: nothing written") != NULL,
	              "%s", p.notes.text ? p.notes.text : "(none)");
	ck_assert_int_eq(rs_generate_apply(&g.o, &p, &e), RS_OK);
	ck_assert_int_ne(access(out, F_OK), 0); /* nothing made */
	rs_generate_plan_free(&p);
	/* without --if-absent: not a member */
	g.o.if_absent = 0;
	ck_assert_int_eq(plan(&g, &p, &e), RS_ENOTFOUND);
	rs_generate_plan_free(&p);
	gen_free(&g);
}
END_TEST

/* rs_generate_node: term 0 is refused; no leader named: every node a
 * follower without a vote, CurrentTerm the term. */
START_TEST(node_term_and_no_leader)
{
	struct rs_summary_opts so = {.lock_timeout = 1};
	static struct rs_node n;
	struct rs_err e = {0};
	struct gen g;
	char dir[512];

	gen_init(&g, "unused");
	snprintf(dir, sizeof(dir), "%s/s1", root);
	ck_assert_int_eq(rs_generate_node(dir, &g.c, "s1", "s1", 0, NULL, &e), RS_EINVAL);
	ck_assert_str_eq(e.msg, "the initial term must be at least 1");
	ck_assert_int_ne(access(dir, F_OK), 0);
	ck_assert_msg(rs_generate_node(dir, &g.c, "s1", NULL, 5, NULL, &e) == RS_OK, "%s", e.msg);
	ck_assert_msg(rs_node_summarize(dir, &so, &n, &e) == RS_OK, "%s", e.msg);
	ck_assert(n.has_current_term);
	ck_assert_uint_eq(n.current_term, 5);
	ck_assert(!n.has_last_vote_cand && !n.has_last_vote_term);
	ck_assert_uint_eq(n.last_index, 1);
	ck_assert_uint_eq(n.last_term, 5);
	ck_assert_uint_eq(n.config.n, 3);
	rs_node_free(&n);
	gen_free(&g);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("generate_cases");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, missing_outdir_ancestors);
	tcase_add_test(tc, if_absent_snapshots_only);
	tcase_add_test(tc, member_named_cluster_json);
	tcase_add_test(tc, added_after_formed);
	tcase_add_test(tc, node_term_and_no_leader);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
