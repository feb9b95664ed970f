/*
 * raftstate/path.h, the one home of paths: joining (a alone, b alone, the
 * root not doubled, a result that does not fit refused), parent and base,
 * mkdir -p (parents made, a parent that is a file named, dir itself only
 * when asked), and the relative path that stays inside (every way out
 * refused). Real directories under a private temporary one.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raftstate/nodedir.h"
#include "raftstate/path.h"
#include "tests/check_support.h"

static char root[64];

START_TEST(test_join)
{
	char b[16];
	struct rs_err e = {0};

	ck_assert_int_eq(rs_path_join(b, sizeof(b), "a", "b"), 0);
	ck_assert_str_eq(b, "a/b");
	ck_assert_int_eq(rs_path_join(b, sizeof(b), "/", "b"), 0);
	ck_assert_str_eq(b, "/b");
	ck_assert_int_eq(rs_path_join(b, sizeof(b), "a", NULL), 0);
	ck_assert_str_eq(b, "a");
	ck_assert_int_eq(rs_path_join(b, sizeof(b), "a", ""), 0);
	ck_assert_str_eq(b, "a");
	ck_assert_int_eq(rs_path_join(b, sizeof(b), "", "b"), 0);
	ck_assert_str_eq(b, "b");
	ck_assert_int_eq(rs_path_join(b, sizeof(b), "0123456", "89abcde"), 0); /* 15 + NUL */
	ck_assert_int_eq(rs_path_join(b, sizeof(b), "0123456", "89abcdef"), -1);
	ck_assert_int_eq(rs_path_join_err(b, sizeof(b), "0123456", "89abcdef", &e), RS_ELIMIT);
	ck_assert_str_eq(e.msg, "path 0123456/89abcdef is too long");
}
END_TEST

START_TEST(test_parent_base)
{
	char b[32];

	rs_path_parent("a/b/c", b, sizeof(b));
	ck_assert_str_eq(b, "a/b");
	rs_path_parent("/x", b, sizeof(b));
	ck_assert_str_eq(b, "/");
	rs_path_parent("x", b, sizeof(b));
	ck_assert_str_eq(b, ".");
	ck_assert_str_eq(rs_path_base("a/b/c"), "c");
	ck_assert_str_eq(rs_path_base("c"), "c");
}
END_TEST

START_TEST(test_mkdir_p)
{
	char d[256], f[256];
	struct rs_err e = {0};
	struct stat st;
	int fd;

	snprintf(d, sizeof(d), "%s/a/b/c", root);
	ck_assert_int_eq(rs_path_mkdir_p(d, 0, &e), RS_OK); /* parents only */
	ck_assert_int_ne(stat(d, &st), 0);
	snprintf(f, sizeof(f), "%s/a/b", root);
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(rs_path_mkdir_p(d, 1, &e), RS_OK);
	ck_assert_int_eq(stat(d, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(rs_path_mkdir_p(d, 1, &e), RS_OK); /* again: nothing to do */

	/* a parent that is a regular file is named */
	snprintf(f, sizeof(f), "%s/file", root);
	fd = open(f, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(d, sizeof(d), "%s/file/x/y", root);
	ck_assert_int_eq(rs_path_mkdir_p(d, 1, &e), RS_EINVAL);
	snprintf(d, sizeof(d), "%s/file is not a directory", root);
	ck_assert_str_eq(e.msg, d);
	/* dir itself a file, asked to make it */
	ck_assert_int_eq(rs_path_mkdir_p(f, 1, &e), RS_EINVAL);
	ck_assert_int_eq(rs_path_mkdir_p(f, 0, &e), RS_OK); /* its parent is fine */
}
END_TEST

START_TEST(test_safe_relative)
{
	static const char *const good[] = {"a",   "a/b", "snapshots/1-2-3/meta.json",
	                                   "..a", "a..", ".x"};
	static const char *const bad[] = {"",     "/a",   "a/",   "a//b", "./a",  "a/.",
	                                  "../a", "a/..", "a\\b", "a\nb", "a\x7f"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(rs_path_safe_relative(good[i]), "refused \"%s\"", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!rs_path_safe_relative(bad[i]), "accepted \"%s\"", bad[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("path");
	TCase *tc = tcase_create("path");
	int rc;

	strcpy(root, "/tmp/oci-path-XXXXXX");
	if (mkdtemp(root) == NULL)
		return 1;
	tcase_add_test(tc, test_join);
	tcase_add_test(tc, test_parent_base);
	tcase_add_test(tc, test_mkdir_p);
	tcase_add_test(tc, test_safe_relative);
	suite_add_tcase(s, tc);
	rc = oci_check_run(s);
	rs_remove_tree(root);
	return rc;
}
