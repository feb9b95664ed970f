/*
 * raftstate/ifabsent.c beyond test_cluster.c's verdicts, on nodes written
 * by the project's own generator (and the lived vector, which raft wrote):
 *   the vote        a follower's node checked as the leader's, and the
 *                   reverse: the vote lines say what differs;
 *   the reference   with TMPDIR unusable no reference can be written, and
 *                   the verdict still comes from what the node holds; an
 *                   empty TMPDIR means /tmp;
 *   members         a member given as a nonvoter that the state holds as a
 *                   voter;
 *   the first term  state generated at another initial term (log entry 1);
 *   no members      a node raft compacted whose snapshots are gone holds no
 *                   configuration: moved on, and says so;
 *   cluster.json    none, a directory by that name, one that does not
 *                   load, and each field that differs (term, leader,
 *                   network, nodes and their suffrage);
 *   rs_diff_add     a line longer than its buffer is cut, not lost.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raftstate/cluster.h"
#include "raftstate/clusterfile.h"
#include "raftstate/generate.h"
#include "raftstate/ifabsent.h"
#include "raftstate/nodedir.h"
#include "tests/check_support.h"
#include "tests/raftstate/members_fixture.h"

static char root[256], node[300];

static void setup(void)
{
	strcpy(root, "/tmp/oci-ifabsent-cases-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(node, sizeof(node), "%s/s1", root);
}

static void teardown(void)
{
	rs_remove_tree(root);
}

/* root/s1 generated for members ms with leader `leader` at `term` */
static void generate(const struct rs_members *ms, const char *leader, uint64_t term)
{
	struct rs_config c = {0};
	struct rs_err e = {0};

	ck_assert_int_eq(rs_members_config(ms, &c, &e), RS_OK);
	ck_assert_msg(rs_generate_node(node, &c, "s1", leader, term, NULL, &e) == RS_OK, "%s",
	              e.msg);
	rs_members_config_free(&c);
}

struct verdict {
	int v;
	struct rs_diff changed, conflict;
	char note[256];
};

static void check(const char *dir, const char *id, const struct rs_members *ms, const char *leader,
                  uint64_t term, struct verdict *out)
{
	struct rs_config c = {0};
	struct rs_err e = {0};

	memset(out, 0, sizeof(*out));
	ck_assert_int_eq(rs_members_config(ms, &c, &e), RS_OK);
	out->v = rs_if_absent_node(dir, id, &c, leader, term, &out->changed, &out->conflict,
	                           out->note, sizeof(out->note));
	rs_members_config_free(&c);
}

static void verdict_free(struct verdict *v)
{
	rs_diff_free(&v->changed);
	rs_diff_free(&v->conflict);
}

static void has(const struct rs_diff *d, const char *line)
{
	ck_assert_msg(d->text != NULL && strstr(d->text, line) != NULL, "wanted \"%s\" in:\n%s",
	              line, d->text ? d->text : "(none)");
}

START_TEST(vote_differs)
{
	struct rs_members ms = {0};
	struct verdict v;

	fixture_members(&ms, 3, 0);
	/* generated as a follower (s2 leads): checked as the leader */
	generate(&ms, "s2", 1);
	check(node, "s1", &ms, "s1", 1, &v);
	ck_assert_int_eq(v.v, RS_NODE_CONFLICT);
	has(&v.conflict, "  s1: - no vote\n  s1: + vote for \"s1\" in term 1\n");
	ck_assert_uint_eq(v.conflict.n, 2);
	verdict_free(&v);
	rs_remove_tree(node);
	/* generated as the leader: checked as a follower */
	generate(&ms, "s1", 1);
	check(node, "s1", &ms, "s2", 1, &v);
	ck_assert_int_eq(v.v, RS_NODE_CONFLICT);
	has(&v.conflict, "  s1: - vote for \"s1\" in term 1\n  s1: + no vote\n");
	verdict_free(&v);
	rs_members_free(&ms);
}
END_TEST

START_TEST(reference_tmpdir)
{
	struct rs_members ms = {0};
	char gone[400];
	struct verdict v;

	fixture_members(&ms, 3, 0);
	generate(&ms, "s1", 1);
	ck_assert_int_eq(setenv("TMPDIR", "", 1), 0);
	check(node, "s1", &ms, "s1", 1, &v);
	ck_assert_int_eq(v.v, RS_NODE_SAME);
	ck_assert_str_eq(v.note, "identical to what this command writes");
	verdict_free(&v);
	/* no reference: judged by the term, vote and members it holds */
	snprintf(gone, sizeof(gone), "%s/no-such-dir", root);
	ck_assert_int_eq(setenv("TMPDIR", gone, 1), 0);
	check(node, "s1", &ms, "s1", 1, &v);
	ck_assert_int_eq(v.v, RS_NODE_SAME);
	ck_assert_str_eq(v.note, "same configuration, term and vote as this command writes");
	ck_assert_uint_eq(v.conflict.n + v.changed.n, 0);
	verdict_free(&v);
	ck_assert_int_eq(unsetenv("TMPDIR"), 0);
	rs_members_free(&ms);
}
END_TEST

START_TEST(members_and_first_term)
{
	struct rs_members ms = {0};
	struct verdict v;

	fixture_members(&ms, 3, 0);
	generate(&ms, "s1", 1);
	ms.m[2].nonvoter = 1;
	check(node, "s1", &ms, "s1", 1, &v);
	ck_assert_int_eq(v.v, RS_NODE_CONFLICT);
	has(&v.conflict, "  s1: - member \"s3\" \"host-3:7000\" voter\n");
	has(&v.conflict, "  s1: + member \"s3\" \"host-3:7000\" nonvoter\n");
	verdict_free(&v);
	ms.m[2].nonvoter = 0;

	/* generated at term 3, asked for term 1: the current term is above
	 * it (as if raft had moved on) but log entry 1 says another run */
	rs_remove_tree(node);
	generate(&ms, "s1", 3);
	check(node, "s1", &ms, "s1", 1, &v);
	ck_assert_int_eq(v.v, RS_NODE_CONFLICT);
	has(&v.conflict, "  s1: - initial term 3 (log entry 1)\n  s1: + initial term 1\n");
	verdict_free(&v);
	rs_members_free(&ms);
}
END_TEST

START_TEST(no_configuration)
{
	const char *shared = getenv("OCI_SHARED");
	struct rs_members ms = {0};
	char cmd[1200], dir[400];
	struct verdict v;

	ck_assert_ptr_nonnull(shared);
	snprintf(dir, sizeof(dir), "%s/sequencer-1", root);
	snprintf(cmd, sizeof(cmd),
	         "cp -r '%s/vectors/lived/three/sequencer-1' '%s' && chmod -R u+w '%s' && "
	         "rm -r '%s/snapshots'",
	         shared, root, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	fixture_members(&ms, 3, 0);
	free(ms.m[0].id);
	ms.m[0].id = strdup("sequencer-1");
	check(dir, "sequencer-1", &ms, "sequencer-1", 1, &v);
	ck_assert_int_eq(v.v, RS_NODE_MOVED_ON);
	ck_assert_uint_eq(v.conflict.n, 0);
	has(&v.changed, "  sequencer-1: - no configuration in the log or a snapshot\n");
	ck_assert_msg(strstr(v.note, "current term 2, last index 602") != NULL, "%s", v.note);
	verdict_free(&v);
	rs_members_free(&ms);
}
END_TEST

static void record(const char *json, const struct rs_members *ms, uint64_t term, const char *net,
                   struct rs_diff *d)
{
	char p[400];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, RS_CLUSTER_JSON);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(json, f);
	ck_assert_int_eq(fclose(f), 0);
	memset(d, 0, sizeof(*d));
	rs_if_absent_record(root, ms, term, net, d);
}

START_TEST(cluster_json)
{
	static const char same[] =
	    "{\"network\": null, \"initial_term\": 1, \"initial_leader\": \"s1\", \"nodes\": ["
	    "{\"id\": \"s1\", \"address\": \"host-1:7000\", \"suffrage\": \"voter\"},"
	    "{\"id\": \"s2\", \"address\": \"host-2:7000\", \"suffrage\": \"voter\"}]}";
	static const char other[] =
	    "{\"network\": \"sepolia\", \"initial_term\": 4, \"initial_leader\": \"s2\", "
	    "\"nodes\": ["
	    "{\"id\": \"s1\", \"address\": \"host-1:7000\", \"suffrage\": \"voter\"},"
	    "{\"id\": \"s2\", \"address\": \"host-2:7000\", \"suffrage\": \"nonvoter\"}]}";
	struct rs_members ms = {0};
	struct rs_diff d = {0};
	char p[400];

	fixture_members(&ms, 2, 0);
	rs_if_absent_record(root, &ms, 1, NULL, &d); /* none */
	ck_assert_uint_eq(d.n, 0);
	snprintf(p, sizeof(p), "%s/%s", root, RS_CLUSTER_JSON);
	ck_assert_int_eq(mkdir(p, 0755), 0); /* a node of that name */
	rs_if_absent_record(root, &ms, 1, NULL, &d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_int_eq(rmdir(p), 0);

	record(same, &ms, 1, NULL, &d);
	ck_assert_uint_eq(d.n, 0);
	record(same, &ms, 1, "", &d); /* an empty --network is none */
	ck_assert_uint_eq(d.n, 0);
	record(same, &ms, 1, "mainnet", &d);
	ck_assert_str_eq(d.text, "  cluster.json: - network null\n"
	                         "  cluster.json: + network \"mainnet\"\n");
	rs_diff_free(&d);

	record(other, &ms, 1, "mainnet", &d);
	ck_assert_str_eq(d.text, "  cluster.json: - initial_term 4\n"
	                         "  cluster.json: + initial_term 1\n"
	                         "  cluster.json: - initial_leader \"s2\"\n"
	                         "  cluster.json: + initial_leader \"s1\"\n"
	                         "  cluster.json: - network \"sepolia\"\n"
	                         "  cluster.json: + network \"mainnet\"\n"
	                         "  cluster.json: - node \"s2\" \"host-2:7000\" nonvoter\n"
	                         "  cluster.json: + node \"s2\" \"host-2:7000\" voter\n");
	rs_diff_free(&d);
	record(other, &ms, 1, "sepolia", &d); /* the same network: no line */
	ck_assert_uint_eq(d.n, 6);
	rs_diff_free(&d);

	record("{\"nodes\": 7", &ms, 1, NULL, &d);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_msg(strncmp(d.text, "  cluster.json: ", 16) == 0, "%s", d.text);
	rs_diff_free(&d);
	rs_members_free(&ms);
}
END_TEST

START_TEST(long_line_cut)
{
	struct rs_diff d = {0};
	size_t n = 20000;
	char *big = malloc(n + 1);

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', n);
	big[n] = '\0';
	rs_diff_add(&d, "a %s", big);
	rs_diff_add(&d, "b");
	ck_assert_uint_eq(d.n, 2);
	ck_assert_uint_lt(d.len, n);
	ck_assert_uint_gt(d.len, 4096);
	ck_assert_int_eq(d.text[0], 'a');
	ck_assert_str_eq(d.text + d.len - 3, "\nb\n");
	ck_assert_uint_eq(strlen(d.text), d.len);
	rs_diff_free(&d);
	free(big);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ifabsent_cases");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, vote_differs);
	tcase_add_test(tc, reference_tmpdir);
	tcase_add_test(tc, members_and_first_term);
	tcase_add_test(tc, no_configuration);
	tcase_add_test(tc, cluster_json);
	tcase_add_test(tc, long_line_cut);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
