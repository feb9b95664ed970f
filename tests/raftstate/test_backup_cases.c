/*
 * raftstate/backup.c beyond test_plans.c, on generated nodes and the lived
 * vector (a node raft compacted, with snapshots):
 *   --state-dir a regular file is refused by the plan;
 *   under the run lock the state is looked at again: a cluster root that
 *   became a node directory since the plan (and the reverse) is refused,
 *   nothing is written;
 *   snapshots/ that is not a directory is refused;
 *   raft's unfinished snapshots (<name>.tmp) and hidden entries in
 *   snapshots/ are not copied, every finished snapshot is, and the backup
 *   verifies.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raftstate/backup.h"
#include "raftstate/cluster.h"
#include "raftstate/generate.h"
#include "raftstate/nodedir.h"
#include "tests/check_support.h"
#include "tests/raftstate/members_fixture.h"

#define SCRATCH_PREFIX "oci-backup-cases"
#include "scratch_fixture.h"

static void run(const char *cmd)
{
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* root/src/s1, root/src/s2 */
static void generate_two(void)
{
	struct rs_members ms = {0};
	struct rs_config c = {0};
	struct rs_err e = {0};
	char dir[512];

	path(dir, sizeof(dir), "src");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	fixture_members(&ms, 2, 0);
	ck_assert_int_eq(rs_members_config(&ms, &c, &e), RS_OK);
	for (size_t i = 0; i < 2; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "src/%s", ms.m[i].id);
		path(dir, sizeof(dir), rel);
		ck_assert_msg(rs_generate_node(dir, &c, ms.m[i].id, "s1", 1, NULL, &e) == RS_OK,
		              "%s", e.msg);
	}
	rs_members_config_free(&c);
	rs_members_free(&ms);
}

static int apply(const struct rs_backup_plan *bp, struct rs_backup_result *res, struct rs_err *e)
{
	struct rs_backup_opts bo = {.lock_timeout = 5, .version = "test"};
	struct rs_problems pr = {0};
	int rc = rs_backup_apply(bp, &bo, res, &pr, e);

	rs_problems_free(&pr);
	return rc;
}

/* how many entries dir holds (. and .. not counted); -1: cannot read it */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

START_TEST(state_dir_is_a_file)
{
	struct rs_backup_plan bp;
	struct rs_err e = {0};
	char f[512], into[512];
	FILE *fp;

	path(f, sizeof(f), "file");
	path(into, sizeof(into), "bk");
	fp = fopen(f, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_int_eq(rs_backup_plan(f, into, &bp, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "is not a directory; give a node directory") != NULL, "%s",
	              e.msg);
	rs_backup_plan_free(&bp);
}
END_TEST

START_TEST(layout_changed_since_plan)
{
	struct rs_backup_result res = {0};
	struct rs_backup_plan bp;
	struct rs_err e = {0};
	char src[512], into[512], cmd[2048];

	generate_two();
	path(src, sizeof(src), "src");
	path(into, sizeof(into), "bk");
	ck_assert_msg(rs_backup_plan(src, into, &bp, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(bp.layout, RS_LAYOUT_CLUSTER);
	/* meanwhile the root became a node directory */
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && mv s1/raft-log.db s1/raft-stable.db . && rm -r s1 s2", src);
	run(cmd);
	ck_assert_int_eq(apply(&bp, &res, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "changed from a cluster root to a node directory since it was "
	                            "looked at") != NULL,
	              "%s", e.msg);
	ck_assert_int_le(entries(into), 0); /* no backup, not even a partial one */
	rs_backup_plan_free(&bp);

	/* and back: planned as a node directory, a root now */
	ck_assert_msg(rs_backup_plan(src, into, &bp, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(bp.layout, RS_LAYOUT_NODE);
	snprintf(cmd, sizeof(cmd), "cd '%s' && mkdir s1 && mv raft-log.db raft-stable.db s1/", src);
	run(cmd);
	ck_assert_int_eq(apply(&bp, &res, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "changed from a node directory to a cluster root") != NULL,
	              "%s", e.msg);
	ck_assert_int_le(entries(into), 0);
	rs_backup_plan_free(&bp);
}
END_TEST

START_TEST(snapshots_not_a_directory)
{
	struct rs_backup_result res = {0};
	struct rs_backup_plan bp;
	struct rs_err e = {0};
	char s1[512], into[512], p[600];
	FILE *fp;

	generate_two();
	path(s1, sizeof(s1), "src/s1");
	path(into, sizeof(into), "bk");
	snprintf(p, sizeof(p), "%s/snapshots", s1);
	fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_msg(rs_backup_plan(s1, into, &bp, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(apply(&bp, &res, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "s1/snapshots is not a directory") != NULL, "%s", e.msg);
	ck_assert_int_le(entries(into), 0);
	rs_backup_plan_free(&bp);
}
END_TEST

START_TEST(unfinished_snapshots_skipped)
{
	const char *shared = getenv("OCI_SHARED");
	struct rs_backup_result res = {0};
	struct rs_backup_plan bp;
	struct rs_err e = {0};
	char src[512], node[512], into[512], cmd[2048], p[4200];
	size_t snaps = 0;

	ck_assert_ptr_nonnull(shared);
	path(src, sizeof(src), "src");
	ck_assert_int_eq(mkdir(src, 0755), 0);
	path(node, sizeof(node), "src/sequencer-1");
	path(into, sizeof(into), "bk");
	snprintf(cmd, sizeof(cmd),
	         "cp -r '%s/vectors/lived/three/sequencer-1' '%s/' && chmod -R u+w '%s' && "
	         "cd '%s/snapshots' && mkdir 2-999-1795355419999.tmp && "
	         "cp 2-527-1795355416795/meta.json 2-999-1795355419999.tmp/ && echo x >.hidden",
	         shared, src, node, node);
	run(cmd);
	ck_assert_msg(rs_backup_plan(node, into, &bp, &e) == RS_OK, "%s", e.msg);
	ck_assert_msg(apply(&bp, &res, &e) == RS_OK, "%s", e.msg);
	for (size_t i = 0; i < res.nfiles; i++) {
		ck_assert_msg(strstr(res.files[i].path, ".tmp") == NULL &&
		                  strstr(res.files[i].path, ".hidden") == NULL,
		              "%s", res.files[i].path);
		snaps += strncmp(res.files[i].path, "snapshots/", 10) == 0;
	}
	ck_assert_uint_eq(snaps, 4); /* two snapshots, meta.json and state.bin each */
	ck_assert_uint_eq(res.nfiles, 6);
	snprintf(p, sizeof(p), "%s/snapshots", res.path);
	ck_assert_int_eq(entries(p), 2);
	rs_backup_result_free(&res);
	rs_backup_plan_free(&bp);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("backup_cases");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, state_dir_is_a_file);
	tcase_add_test(tc, layout_changed_since_plan);
	tcase_add_test(tc, snapshots_not_a_directory);
	tcase_add_test(tc, unfinished_snapshots_skipped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
