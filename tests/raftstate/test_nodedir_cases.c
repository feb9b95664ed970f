/*
 * raftstate/nodedir.c beyond test_nodedir.c, on real directories:
 *   rs_nd_check_node_dir   missing, a symbolic link, a regular file;
 *   rs_nd_copy_state       snapshots/ copied as a tree (a nested directory,
 *                          files with their modes, a symbolic link kept a
 *                          link, never followed); a FIFO inside it, or a
 *                          database that is a FIFO, refused naming it;
 *                          names the source lacks skipped;
 *   the replace            a target spelled with trailing slashes; one
 *                          that names no directory (".", ".."), is a
 *                          symbolic link, or a regular file: refused before
 *                          anything is staged;
 *   leftovers              killed runs' stages removed when covered by the
 *                          new state (trees compared), kept when not, and
 *                          look-alike names left alone.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raftstate/nodedir.h"
#include "tests/check_support.h"

static char root[256];

static void setup(void)
{
	strcpy(root, "/tmp/oci-nodedir-cases-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	rs_remove_tree(root);
}

static void at(char *out, size_t size, const char *rel)
{
	ck_assert_int_lt(snprintf(out, size, "%s/%s", root, rel), (int)size);
}

static void put(const char *rel, const char *text, mode_t mode)
{
	char p[512];
	int fd;

	at(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(p, mode), 0);
}

static void dir(const char *rel)
{
	char p[512];

	at(p, sizeof(p), rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static int entries(const char *rel)
{
	char p[512];
	struct dirent *de;
	DIR *d;
	int n = 0;

	at(p, sizeof(p), rel);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(check_node_dir)
{
	char p[512], out[512], link[512];
	struct rs_err e = {0};

	at(p, sizeof(p), "gone");
	ck_assert_int_eq(rs_nd_check_node_dir(p, out, sizeof(out), &e), RS_ENOTFOUND);
	ck_assert_msg(strstr(e.msg, "gone does not exist") != NULL, "%s", e.msg);
	dir("n1");
	at(p, sizeof(p), "n1");
	at(link, sizeof(link), "link");
	ck_assert_int_eq(symlink(p, link), 0);
	ck_assert_int_eq(rs_nd_check_node_dir(link, out, sizeof(out), &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "link is a symlink; give the node directory itself") != NULL,
	              "%s", e.msg);
	put("file", "x", 0644);
	at(p, sizeof(p), "file");
	ck_assert_int_eq(rs_nd_check_node_dir(p, out, sizeof(out), &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "file is not a directory") != NULL, "%s", e.msg);
	at(p, sizeof(p), "n1");
	ck_assert_int_eq(rs_nd_check_node_dir(p, out, sizeof(out), &e), RS_OK);
	ck_assert_str_eq(out, p);
}
END_TEST

START_TEST(copy_state_tree)
{
	char s[512], d[512], p[512], target[64];
	struct rs_err e = {0};
	struct stat st;
	ssize_t n;

	dir("src");
	dir("src/snapshots");
	dir("src/snapshots/1-5-100");
	dir("src/snapshots/1-5-100/deeper");
	put("src/raft-log.db", "log", 0600);
	put("src/snapshots/1-5-100/meta.json", "{}", 0640);
	put("src/snapshots/1-5-100/deeper/x", "y", 0600);
	at(p, sizeof(p), "src/snapshots/latest");
	ck_assert_int_eq(symlink("1-5-100", p), 0);
	at(s, sizeof(s), "src");
	dir("dst");
	at(d, sizeof(d), "dst");
	ck_assert_msg(rs_nd_copy_state(s, d, RS_ND_STATE, &e) == RS_OK, "%s", e.msg);
	/* raft-stable.db is absent: skipped */
	ck_assert_int_eq(entries("dst"), 2);
	at(p, sizeof(p), "dst/raft-log.db");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	at(p, sizeof(p), "dst/snapshots/1-5-100/meta.json");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	at(p, sizeof(p), "dst/snapshots/1-5-100/deeper/x");
	ck_assert_int_eq(stat(p, &st), 0);
	at(p, sizeof(p), "dst/snapshots/latest");
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	n = readlink(p, target, sizeof(target) - 1);
	ck_assert_int_eq(n, 7);
	target[n] = '\0';
	ck_assert_str_eq(target, "1-5-100");

	/* a FIFO in snapshots/ is refused, naming it */
	at(p, sizeof(p), "src/snapshots/1-5-100/pipe");
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	dir("dst2");
	at(d, sizeof(d), "dst2");
	ck_assert_int_eq(rs_nd_copy_state(s, d, RS_ND_SNAPS, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "1-5-100/pipe") != NULL, "%s", e.msg);
	ck_assert_int_eq(unlink(p), 0);

	/* a database that is a FIFO */
	at(p, sizeof(p), "src/raft-stable.db");
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	dir("dst3");
	at(d, sizeof(d), "dst3");
	ck_assert_int_eq(rs_nd_copy_state(s, d, RS_ND_DBS, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "raft-stable.db is not a regular file; refusing to copy it") !=
	                  NULL,
	              "%s", e.msg);
}
END_TEST

static int fill_nothing(void *ctx, int sfd, const char *stage, const char *old, struct rs_err *err)
{
	(void)sfd, (void)stage, (void)old, (void)err;
	(*(int *)ctx)++;
	return RS_OK;
}

START_TEST(replace_refusals)
{
	static const char *const names[] = {".", "..", "sub/.."};
	struct rs_nd_replace r;
	struct rs_err e = {0};
	char p[512], link[512];
	int fills = 0;

	dir("n1");
	dir("sub");
	/* trailing slashes are not part of the target */
	at(p, sizeof(p), "n1///");
	rs_nd_replace_init(&r, p, "recover", fill_nothing, NULL, &fills);
	at(p, sizeof(p), "n1");
	ck_assert_str_eq(r.target, p);
	rs_nd_replace_end(&r);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		at(p, sizeof(p), names[i]);
		rs_nd_replace_init(&r, p, "recover", fill_nothing, NULL, &fills);
		ck_assert_int_eq(rs_nd_prepare(&r, &e), RS_EINVAL);
		ck_assert_msg(strstr(e.msg, "does not name a node directory") != NULL, "%s: %s",
		              names[i], e.msg);
		rs_nd_replace_end(&r);
	}
	at(p, sizeof(p), "n1");
	at(link, sizeof(link), "link");
	ck_assert_int_eq(symlink(p, link), 0);
	rs_nd_replace_init(&r, link, "recover", fill_nothing, NULL, &fills);
	ck_assert_int_eq(rs_nd_prepare(&r, &e), RS_EINVAL);
	ck_assert_msg(
	    strstr(e.msg, "link is a symbolic link; refusing to replace state through it") != NULL,
	    "%s", e.msg);
	rs_nd_replace_end(&r);
	put("file", "x", 0644);
	at(p, sizeof(p), "file");
	rs_nd_replace_init(&r, p, "recover", fill_nothing, NULL, &fills);
	ck_assert_int_eq(rs_nd_prepare(&r, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "file exists and is not a directory") != NULL, "%s", e.msg);
	rs_nd_replace_end(&r);
	ck_assert_int_eq(fills, 0);
	ck_assert_int_eq(entries(""), 4); /* n1, sub, link, file: no stage left */
}
END_TEST

/* writes raft-log.db "L", raft-stable.db "S" and snapshots/a/meta.json "M" */
static int fill_small(void *ctx, int sfd, const char *stage, const char *old, struct rs_err *err)
{
	static const char *const files[][2] = {
	    {"raft-log.db", "L"}, {"raft-stable.db", "S"}, {"snapshots/a/meta.json", "M"}};

	(void)ctx, (void)stage, (void)old;
	if (mkdirat(sfd, "snapshots", 0755) != 0 || mkdirat(sfd, "snapshots/a", 0755) != 0)
		return rs_errf(err, RS_EIO, "mkdir");
	for (size_t i = 0; i < 3; i++) {
		int fd = openat(sfd, files[i][0], O_WRONLY | O_CREAT | O_EXCL, 0600);

		if (fd < 0 || write(fd, files[i][1], 1) != 1)
			return rs_errf(err, RS_EIO, "write");
		close(fd);
	}
	return RS_OK;
}

static void stage_copy(const char *rel, const char *log)
{
	char p[600];

	dir(rel);
	snprintf(p, sizeof(p), "%s/snapshots", rel);
	dir(p);
	snprintf(p, sizeof(p), "%s/snapshots/a", rel);
	dir(p);
	snprintf(p, sizeof(p), "%s/raft-log.db", rel);
	put(p, log, 0600);
	snprintf(p, sizeof(p), "%s/snapshots/a/meta.json", rel);
	put(p, "M", 0600);
}

static int exists(const char *rel)
{
	char p[512];
	struct stat st;

	at(p, sizeof(p), rel);
	return lstat(p, &st) == 0;
}

/* Stages killed runs left, beside the node and inside it: removed when the
 * new state holds every file of theirs (snapshots/ compared as a tree, the
 * old generate's .<id>.gen-XXXXXXXX names too), kept under a keep name when
 * not (other bytes, another size, a symbolic link); names that only look
 * like a stage are left alone. */
START_TEST(leftover_stages)
{
	struct rs_nd_replace r;
	struct rs_err e = {0};
	char p[512];

	dir("n1");
	stage_copy(".n1.gen-0000abcd", "L");     /* old generate, covered */
	stage_copy(".n1.recover-tmp-12ab", "X"); /* other bytes */
	stage_copy(".n1.restore-tmp-77", "LL");  /* another size */
	stage_copy(".n1.generate-tmp-99", "L");  /* a link inside */
	at(p, sizeof(p), ".n1.generate-tmp-99/snapshots/a/link");
	ck_assert_int_eq(symlink("meta.json", p), 0);
	stage_copy(".n1.generate-tmp-zz", "L"); /* not hex: no stage */
	dir(".n1.generate-tmp-");               /* nothing after the verb */
	dir(".n1.gen-0000abcd0");               /* the old name is 8 hex */
	stage_copy("n1/.restore-tmp-5", "L");   /* inside the node, covered */
	at(p, sizeof(p), "n1");
	rs_nd_replace_init(&r, p, "restore", fill_small, NULL, NULL);
	ck_assert_msg(rs_nd_replace_node(&r, NULL, 0, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_eq(r.cleaned, 2);
	ck_assert_uint_eq(r.salvaged, 3);
	ck_assert(!exists(".n1.gen-0000abcd"));
	ck_assert(!exists("n1/.restore-tmp-5"));
	ck_assert(!exists(".n1.recover-tmp-12ab"));
	ck_assert(!exists(".n1.restore-tmp-77"));
	ck_assert(!exists(".n1.generate-tmp-99"));
	ck_assert(exists(".n1.generate-tmp-zz"));
	ck_assert(exists(".n1.generate-tmp-"));
	ck_assert(exists(".n1.gen-0000abcd0"));
	ck_assert(exists("n1/snapshots/a/meta.json"));
	ck_assert_msg(strstr(r.salvaged_to, "/.n1.pre-restore-interrupted-") != NULL, "%s",
	              r.salvaged_to);
}
END_TEST

/* The lock's directory for a node (its parent, however the node is
 * spelled); a relative node directory is replaced in the current one;
 * ownership left alone when neither part is asked; a path that cannot be
 * opened to change its owner is named. */
START_TEST(spellings_and_owners)
{
	static const char *const cases[][2] = {
	    {"a/b///", "a"}, {"/n1", "/"}, {"n1", "."}, {"/x/y/z/", "/x/y"}, {"/", "/"}};
	struct rs_nd_replace r;
	struct rs_err e = {0};
	char out[64], p[512];
	struct stat st;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rs_nd_lock_dir_of(cases[i][0], out, sizeof(out));
		ck_assert_msg(strcmp(out, cases[i][1]) == 0, "%s: %s", cases[i][0], out);
	}
	ck_assert_int_eq(chdir(root), 0);
	rs_nd_replace_init(&r, "n2", "generate", fill_small, NULL, NULL);
	ck_assert_msg(rs_nd_replace_node(&r, NULL, 0, &e) == RS_OK, "%s", e.msg);
	ck_assert(r.replaced);
	ck_assert_str_eq(r.kept, "");
	at(p, sizeof(p), "n2/snapshots/a/meta.json");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(entries(""), 1); /* n2 alone: no stage left */
	ck_assert_int_eq(chdir("/"), 0);

	ck_assert_int_eq(rs_nd_chown_at(AT_FDCWD, p, (uid_t)-1, (gid_t)-1, p, &e), RS_OK);
	at(p, sizeof(p), "gone");
	ck_assert_int_eq(rs_nd_chown_path(p, 0, 0, &e), RS_EIO);
	ck_assert_msg(strstr(e.msg, "gone to change its owner") != NULL, "%s", e.msg);
	ck_assert_int_eq(e.sys_errno, ENOENT);
	ck_assert_int_eq(rs_nd_chown_path(p, 0, 0, NULL), RS_EIO);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("nodedir_cases");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, check_node_dir);
	tcase_add_test(tc, copy_state_tree);
	tcase_add_test(tc, replace_refusals);
	tcase_add_test(tc, leftover_stages);
	tcase_add_test(tc, spellings_and_owners);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
