/*
 * The cluster model (raftstate/cluster.h): the one server-ID rule, members
 * to raft.Configuration, and the --if-absent verdict (raftstate/ifabsent.h) on real node
 * directories written by the project's own generator and recovery (no
 * mocks): the generated node is SAME; other members with nothing written by
 * raft is a CONFLICT; after a configuration entry appended at a higher term
 * (what conductor_addServerAsVoter leads to; written by rs_recover_apply)
 * it is MOVED_ON with the difference in `changed`; raft state sharing no
 * server with the given configuration, or asked for a higher initial term
 * than its current term, is a CONFLICT.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raftstate/cluster.h"
#include "raftstate/generate.h"
#include "raftstate/ifabsent.h"
#include "raftstate/recover.h"
#include "tests/check_support.h"
#include "tests/raftstate/members_fixture.h"

static char root[256], node[300];

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/oci-test-cluster-%d", (int)getpid());
	snprintf(node, sizeof(node), "%s/s1", root);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	ck_assert_int_eq(mkdir(node, 0755), 0);
}

static void teardown(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_server_id_rule)
{
	char longid[300];

	memset(longid, 'a', 256);
	longid[256] = '\0';
	ck_assert_int_eq(rs_server_id_check("sequencer-1"), RS_ID_OK);
	ck_assert_int_eq(rs_server_id_check("\xc3\xa9t\xc3\xa9"), RS_ID_OK); /* any other byte */
	ck_assert_int_eq(rs_server_id_check(""), RS_ID_EMPTY);
	ck_assert_int_eq(rs_server_id_check("."), RS_ID_DOT);
	ck_assert_int_eq(rs_server_id_check(".."), RS_ID_DOT);
	ck_assert_int_eq(rs_server_id_check("..."), RS_ID_OK);
	ck_assert_int_eq(rs_server_id_check("a/b"), RS_ID_SLASH);
	ck_assert_int_eq(rs_server_id_check("a\tb"), RS_ID_CONTROL);
	ck_assert_int_eq(rs_server_id_check("a\x7f"), RS_ID_CONTROL);
	ck_assert_int_eq(rs_server_id_check(longid), RS_ID_LONG);
	longid[255] = '\0';
	ck_assert_int_eq(rs_server_id_check(longid), RS_ID_OK);
}
END_TEST

START_TEST(test_members_config)
{
	struct rs_members ms = {0};
	struct rs_config c = {0};
	struct rs_err e = {0};

	fixture_members(&ms, 3, 0);
	ms.m[2].nonvoter = 1;
	ck_assert_int_eq(rs_members_config(&ms, &c, &e), RS_OK);
	ck_assert_uint_eq(c.n, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_ptr_eq(c.servers[i].id, ms.m[i].id); /* borrowed */
		ck_assert_uint_eq(c.servers[i].id_len, strlen(ms.m[i].id));
		ck_assert_uint_eq(c.servers[i].address_len, strlen(ms.m[i].address));
		ck_assert_uint_eq(c.servers[i].suffrage, i == 2 ? RS_NONVOTER : RS_VOTER);
	}
	ck_assert_ptr_eq(rs_config_server(&c, "s2", 2), &c.servers[1]);
	ck_assert_ptr_null(rs_config_server(&c, "s", 1));
	rs_members_config_free(&c);
	rs_members_free(&ms);
}
END_TEST

static int verdict(const struct rs_members *ms, uint64_t term, struct rs_diff *changed,
                   struct rs_diff *conflict)
{
	struct rs_config c = {0};
	struct rs_err e = {0};
	char note[256] = "";
	int v;

	ck_assert_int_eq(rs_members_config(ms, &c, &e), RS_OK);
	v = rs_if_absent_node(node, "s1", &c, ms->m[ms->leader].id, term, changed, conflict, note,
	                      sizeof(note));
	rs_members_config_free(&c);
	return v;
}

START_TEST(test_if_absent_verdicts)
{
	struct rs_members three = {0}, four = {0}, others = {0};
	struct rs_diff ch = {0}, co = {0};
	struct rs_config c = {0};
	struct rs_err e = {0};

	fixture_members(&three, 3, 0);
	fixture_members(&four, 4, 0);
	fixture_members(&others, 3, 1);
	ck_assert_int_eq(rs_members_config(&three, &c, &e), RS_OK);
	ck_assert_msg(rs_generate_node(node, &c, "s1", "s1", 1, NULL, &e) == RS_OK, "%s", e.msg);
	rs_members_config_free(&c);

	ck_assert_int_eq(verdict(&three, 1, &ch, &co), RS_NODE_SAME);
	ck_assert_uint_eq(ch.n + co.n, 0);
	/* generated with other members, untouched by raft */
	ck_assert_int_eq(verdict(&four, 1, &ch, &co), RS_NODE_CONFLICT);
	ck_assert_msg(co.text != NULL &&
	                  strstr(co.text, "  s1: + member \"s4\" \"host-4:7000\"") != NULL,
	              "%s", co.text ? co.text : "(none)");
	rs_diff_free(&co);

	/* raft appends a configuration with s4 at a higher term */
	{
		struct rs_recover_opts o = {.lock_timeout = 1, .uid = (uid_t)-1, .gid = (gid_t)-1};
		struct rs_recover_plan plan;
		struct rs_problems pr = {0};
		char kept[4096];

		ck_assert_int_eq(rs_members_config(&four, &c, &e), RS_OK);
		ck_assert_msg(rs_recover_plan(node, &c, &o, &plan, &pr, &e) == RS_OK, "%s", e.msg);
		ck_assert_msg(rs_recover_apply(&plan, &o, kept, sizeof(kept), &pr, &e) == RS_OK,
		              "%s", e.msg);
		rs_recover_plan_free(&plan);
		rs_members_config_free(&c);
		rs_problems_free(&pr);
	}
	ck_assert_int_eq(verdict(&three, 1, &ch, &co), RS_NODE_MOVED_ON);
	ck_assert_uint_eq(co.n, 0);
	ck_assert_uint_eq(ch.n, 1);
	ck_assert_str_eq(ch.text, "  s1: - member \"s4\" \"host-4:7000\" voter\n");
	rs_diff_free(&ch);
	ck_assert_int_eq(verdict(&four, 1, &ch, &co), RS_NODE_MOVED_ON); /* now the same members */
	ck_assert_uint_eq(ch.n + co.n, 0);
	/* another cluster's (no server in common), and a higher initial term */
	ck_assert_int_eq(verdict(&others, 1, &ch, &co), RS_NODE_CONFLICT);
	ck_assert_msg(strstr(co.text, "no server of raft's configuration is in the given one") !=
	                  NULL,
	              "%s", co.text);
	rs_diff_free(&co);
	ck_assert_int_eq(verdict(&three, 7, &ch, &co), RS_NODE_CONFLICT);
	ck_assert_msg(strstr(co.text, "  s1: + current term 7") != NULL, "%s", co.text);
	rs_diff_free(&co);
	rs_diff_free(&ch);
	rs_members_free(&three);
	rs_members_free(&four);
	rs_members_free(&others);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cluster model");
	TCase *tc = tcase_create("cluster");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_server_id_rule);
	tcase_add_test(tc, test_members_config);
	tcase_add_test(tc, test_if_absent_verdicts);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
