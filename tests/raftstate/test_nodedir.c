/* nodedir: the one discovery rule (symlinks, dot-directories and
 * directories without a database are not nodes), the run lock (a second
 * holder fails at once naming the first one's pid, a timeout waits, a dead
 * holder's lock is gone), and the replace (new, swap with the old state kept
 * under a fresh name, owner and mode kept, a locked database refused, a
 * killed run's leftover stage removed only when the target holds all of it,
 * else kept). Real directories and processes; nothing is mocked. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "raftstate/nodedir.h"
#include "tests/check_support.h"

static char root[256];

static void mk_root(void)
{
	strcpy(root, "/tmp/oci-nodedir-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void rm_root(void)
{
	rs_remove_tree(root);
}

static void put_file(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void mk(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static int exists(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0;
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

START_TEST(discovery_one_rule)
{
	char p[512], **v;
	size_t n;
	struct rs_err err = {0};

	mk_root();
	mk("a");
	put_file("a/raft-log.db", "x");
	mk("b");
	put_file("b/raft-stable.db", "x");
	mk(".hidden");
	put_file(".hidden/raft-log.db", "x");
	mk("empty");
	mk("onlysnap");
	mk("onlysnap/snapshots");
	mk("gz");
	put_file("gz/raft-log.db.gz", "x");
	snprintf(p, sizeof(p), "%s/a", root);
	{
		char l[512];

		snprintf(l, sizeof(l), "%s/link", root);
		ck_assert_int_eq(symlink(p, l), 0);
	}
	ck_assert_int_eq(rs_nd_list(root, 0, &v, &n, &err), RS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0], "a");
	ck_assert_str_eq(v[1], "b");
	rs_nd_free_list(v, n);
	ck_assert_int_eq(rs_nd_list(root, 1, &v, &n, &err), RS_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[2], "gz");
	rs_nd_free_list(v, n);
	/* snapshots/ alone is state (refused by generate), not a node */
	snprintf(p, sizeof(p), "%s/onlysnap", root);
	ck_assert_int_eq(rs_nd_state(p, &err), RS_ND_SNAPS);
	snprintf(p, sizeof(p), "%s/missing", root);
	ck_assert_int_eq(rs_nd_state(p, &err), 0);
	rm_root();
}
END_TEST

/* rs_nd_find, what --state-dir names: a node directory itself (trailing
 * slashes dropped), a cluster root's nodes in name order, and one sentence
 * for a file, a missing path, a root without nodes and a --compress
 * backup. */
START_TEST(find_nodes_of_a_state_dir)
{
	struct rs_nd_nodes ns;
	struct rs_err err = {0};
	char p[512], want[512];

	mk_root();
	mk("b");
	put_file("b/raft-stable.db", "x");
	mk("a");
	put_file("a/raft-log.db", "x");
	mk("empty");
	put_file("file", "x");
	ck_assert_int_eq(rs_nd_find(root, "--state-dir", &ns, &err), RS_OK);
	ck_assert_int_eq(ns.cluster, 1);
	ck_assert_uint_eq(ns.n, 2);
	snprintf(want, sizeof(want), "%s/a", root);
	ck_assert_str_eq(ns.dirs[0], want);
	snprintf(want, sizeof(want), "%s/b", root);
	ck_assert_str_eq(ns.dirs[1], want);
	rs_nd_nodes_free(&ns);
	ck_assert_ptr_null(ns.dirs);

	snprintf(p, sizeof(p), "%s/a//", root);
	ck_assert_int_eq(rs_nd_find(p, "--state-dir", &ns, &err), RS_OK);
	ck_assert_int_eq(ns.cluster, 0);
	ck_assert_uint_eq(ns.n, 1);
	snprintf(want, sizeof(want), "%s/a", root);
	ck_assert_str_eq(ns.dirs[0], want);
	rs_nd_nodes_free(&ns);

	snprintf(p, sizeof(p), "%s/file", root);
	ck_assert_int_eq(rs_nd_find(p, "--state-dir", &ns, &err), RS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "is not a directory"));
	snprintf(p, sizeof(p), "%s/missing", root);
	ck_assert_int_eq(rs_nd_find(p, "--state-dir", &ns, &err), RS_EIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot open --state-dir"));
	snprintf(p, sizeof(p), "%s/empty", root);
	ck_assert_int_eq(rs_nd_find(p, "--backup-dir", &ns, &err), RS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "--backup-dir"));
	ck_assert_ptr_nonnull(strstr(err.msg, "holds no Raft state"));
	ck_assert_uint_eq(ns.n, 0);
	put_file("empty/raft-log.db.gz", "x");
	ck_assert_int_eq(rs_nd_find(p, "--state-dir", &ns, &err), RS_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a compressed backup"));
	{
		char longp[PATH_MAX];

		memset(longp, 'x', sizeof(longp) - 1);
		longp[sizeof(longp) - 1] = '\0';
		ck_assert_int_eq(rs_nd_find(longp, "--state-dir", &ns, &err), RS_ELIMIT);
	}
	rm_root();
}
END_TEST

/* A directory of the root that cannot be opened (EACCES) is an error naming
 * it, never a node skipped; but an ext4 volume's lost+found (root's, 0700)
 * is not a node, and a user other than root is not refused for it. Only a
 * user other than root meets EACCES here (root passes every mode). */
START_TEST(unreadable_entries_of_a_state_dir)
{
	struct rs_nd_nodes ns;
	struct rs_err err = {0};
	char p[512];

	if (geteuid() == 0)
		return; /* root opens a 0000 directory: nothing to refuse */
	mk_root();
	mk("s1");
	put_file("s1/raft-log.db", "x");
	mk("lost+found");
	snprintf(p, sizeof(p), "%s/lost+found", root);
	ck_assert_int_eq(chmod(p, 0), 0);
	ck_assert_msg(rs_nd_find(root, "--state-dir", &ns, &err) == RS_OK, "%s", err.msg);
	ck_assert_uint_eq(ns.n, 1);
	rs_nd_nodes_free(&ns);
	mk("s2");
	snprintf(p, sizeof(p), "%s/s2", root);
	ck_assert_int_eq(chmod(p, 0), 0);
	ck_assert_int_eq(rs_nd_find(root, "--state-dir", &ns, &err), RS_EIO);
	ck_assert_msg(strstr(err.msg, "/s2") != NULL && strstr(err.msg, "Permission denied"),
	              "%s", err.msg);
	ck_assert_uint_eq(ns.n, 0);
	ck_assert_int_eq(chmod(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/lost+found", root);
	ck_assert_int_eq(chmod(p, 0755), 0);
	rm_root();
}
END_TEST

START_TEST(lock_names_the_holder_and_dies_with_it)
{
	struct rs_nd_lock a, b;
	struct rs_err err = {0};
	int fds[2];
	pid_t pid;
	char c, want[64];
	double t0;

	mk_root();
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rs_nd_lock l;

		if (rs_nd_lock(root, 0, &l, NULL) != RS_OK)
			_exit(1);
		(void)write(fds[1], "x", 1);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	ck_assert_int_eq(rs_nd_lock(root, 0, &a, &err), RS_ELOCKED);
	snprintf(want, sizeof(want), "(pid %ld: ", (long)pid);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "in use by another run") != NULL, "%s", err.msg);
	/* a timeout waits (and still fails while it is held) */
	t0 = oci_now();
	ck_assert_int_eq(rs_nd_lock(root, 0.3, &a, &err), RS_ELOCKED);
	ck_assert(oci_now() - t0 >= 0.25);
	/* SIGKILL: the lock goes with the process */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ck_assert_int_eq(rs_nd_lock(root, 0, &a, &err), RS_OK);
	ck_assert_int_eq(rs_nd_lock(root, 0, &b, &err), RS_ELOCKED); /* another open file */
	rs_nd_unlock(&a);
	ck_assert_int_eq(rs_nd_lock(root, 0, &b, &err), RS_OK);
	rs_nd_unlock(&b);
	rm_root();
}
END_TEST

struct fill_ctx {
	const char *log, *stable;
	int snap;
	int fail;
};

static int fill_text(int sfd, const char *name, const char *text)
{
	int fd = openat(sfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	fsync(fd);
	return close(fd);
}

static int fill(void *ctx, int sfd, const char *stage, const char *old, struct rs_err *err)
{
	struct fill_ctx *f = ctx;

	(void)old;
	if (f->fail)
		return rs_errf(err, RS_EIO, "fill fails in %s", stage);
	if (fill_text(sfd, RS_LOG_FILE, f->log) != 0 || fill_text(sfd, RS_STABLE_FILE, f->stable))
		return rs_syserr(err, "cannot write in", stage);
	if (f->snap && mkdirat(sfd, RS_SNAP_DIR, 0755) != 0)
		return rs_syserr(err, "cannot mkdir in", stage);
	return RS_OK;
}

static int count_prefix(const char *dir, const char *prefix)
{
	int c = 0;
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		c += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return c;
}

START_TEST(replace_new_swap_keep)
{
	struct fill_ctx f1 = {"log1", "stable1", 1, 0}, f2 = {"log2", "stable2", 0, 0};
	struct rs_nd_replace r;
	struct rs_err err = {0};
	char node[512], p[PATH_MAX + 32], kept[512];

	mk_root();
	snprintf(node, sizeof(node), "%s/n1", root);
	rs_nd_replace_init(&r, node, "generate", fill, NULL, &f1);
	ck_assert_int_eq(rs_nd_replace_node(&r, NULL, 0, &err), RS_OK);
	ck_assert_str_eq(r.kept, "");
	snprintf(p, sizeof(p), "%s/raft-log.db", node);
	ck_assert_str_eq(slurp(p), "log1");
	ck_assert_int_eq(count_prefix(root, ".n1."), 0);
	/* the second replace keeps the first state, snapshots/ included */
	rs_nd_replace_init(&r, node, "generate", fill, NULL, &f2);
	ck_assert_int_eq(rs_nd_replace_node(&r, NULL, 0, &err), RS_OK);
	ck_assert_int_eq(r.in_place, 0);
	ck_assert_str_eq(slurp(p), "log2");
	ck_assert(!exists("n1/snapshots"));
	strcpy(kept, r.kept);
	ck_assert_msg(strstr(kept, "/.n1.pre-generate-") != NULL, "%s", kept);
	snprintf(p, sizeof(p), "%s/raft-log.db", kept);
	ck_assert_str_eq(slurp(p), "log1");
	snprintf(p, sizeof(p), "%s/snapshots", kept);
	ck_assert(access(p, F_OK) == 0);
	/* a third one in the same second gets another name: never reused */
	rs_nd_replace_init(&r, node, "generate", fill, NULL, &f1);
	ck_assert_int_eq(rs_nd_replace_node(&r, NULL, 0, &err), RS_OK);
	ck_assert_str_ne(r.kept, kept);
	snprintf(p, sizeof(p), "%s/raft-log.db", kept);
	ck_assert_str_eq(slurp(p), "log1");
	ck_assert_int_eq(count_prefix(root, ".n1.pre-generate-"), 2);
	ck_assert_int_eq(count_prefix(root, ".n1.generate-tmp-"), 0);
	/* a failing fill changes nothing and leaves no stage */
	f1.fail = 1;
	rs_nd_replace_init(&r, node, "generate", fill, NULL, &f1);
	ck_assert_int_eq(rs_nd_replace_node(&r, NULL, 0, &err), RS_EIO);
	ck_assert_int_eq(count_prefix(root, ".n1.generate-tmp-"), 0);
	ck_assert_int_eq(count_prefix(root, ".n1.pre-generate-"), 2);
	rm_root();
}
END_TEST

START_TEST(replace_other_files_in_place)
{
	struct fill_ctx f1 = {"log1", "stable1", 0, 0};
	struct rs_nd_replace r;
	struct rs_err err = {0};
	char node[512], p[PATH_MAX + 32];

	mk_root();
	mk("n1");
	put_file("n1/raft-log.db", "old");
	put_file("n1/raft-stable.db", "olds");
	put_file("n1/notes.txt", "mine");
	snprintf(node, sizeof(node), "%s/n1", root);
	rs_nd_replace_init(&r, node, "restore", fill, NULL, &f1);
	ck_assert_int_eq(rs_nd_replace_node(&r, NULL, 0, &err), RS_OK);
	ck_assert_int_eq(r.in_place, 1);
	ck_assert_str_eq(r.in_place_why, "it holds other files, which stay");
	snprintf(p, sizeof(p), "%s/notes.txt", node);
	ck_assert_str_eq(slurp(p), "mine");
	snprintf(p, sizeof(p), "%s/raft-log.db", node);
	ck_assert_str_eq(slurp(p), "log1");
	ck_assert_msg(strstr(r.kept, "/n1/.pre-restore-") != NULL, "%s", r.kept);
	snprintf(p, sizeof(p), "%s/raft-stable.db", r.kept);
	ck_assert_str_eq(slurp(p), "olds");
	snprintf(p, sizeof(p), "%s/n1", root);
	ck_assert_int_eq(count_prefix(p, ".restore-tmp-"), 0);
	rm_root();
}
END_TEST

START_TEST(replace_keeps_owner_and_mode)
{
	struct fill_ctx f1 = {"log1", "stable1", 0, 0};
	struct rs_nd_replace r;
	struct rs_err err = {0};
	char node[512], p[PATH_MAX + 32];
	struct stat st;

	if (geteuid() != 0)
		return; /* chown needs root; the CLI test says SKIP */
	mk_root();
	mk("n1");
	put_file("n1/raft-log.db", "old");
	snprintf(node, sizeof(node), "%s/n1", root);
	snprintf(p, sizeof(p), "%s/raft-log.db", node);
	ck_assert_int_eq(chown(p, 10001, 10002), 0);
	ck_assert_int_eq(chmod(p, 0640), 0);
	ck_assert_int_eq(chown(node, 10001, 10002), 0);
	ck_assert_int_eq(chmod(node, 0750), 0);
	rs_nd_replace_init(&r, node, "restore", fill, NULL, &f1);
	ck_assert_int_eq(rs_nd_replace_node(&r, NULL, 0, &err), RS_OK);
	ck_assert_int_eq(r.in_place, 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, 10001);
	ck_assert_int_eq(st.st_gid, 10002);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	ck_assert_int_eq(stat(node, &st), 0);
	ck_assert_int_eq(st.st_uid, 10001);
	ck_assert_int_eq(st.st_mode & 07777, 0750);
	/* a file with no counterpart takes the node directory's owner */
	snprintf(p, sizeof(p), "%s/raft-stable.db", node);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, 10001);
	ck_assert_int_eq(st.st_gid, 10002);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	/* --chown wins */
	rs_nd_replace_init(&r, node, "restore", fill, NULL, &f1);
	r.uid = 4321;
	r.gid = 8765;
	ck_assert_int_eq(rs_nd_replace_node(&r, NULL, 0, &err), RS_OK);
	snprintf(p, sizeof(p), "%s/raft-log.db", node);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_uid, 4321);
	ck_assert_int_eq(st.st_gid, 8765);
	ck_assert_int_eq(stat(node, &st), 0);
	ck_assert_int_eq(st.st_uid, 4321);
	rm_root();
}
END_TEST

START_TEST(replace_refuses_a_locked_database)
{
	struct fill_ctx f1 = {"log1", "stable1", 0, 0};
	struct rs_nd_replace r;
	struct rs_err err = {0};
	char node[512], p[PATH_MAX + 32];
	int fd;

	mk_root();
	mk("n1");
	put_file("n1/raft-log.db", "old");
	snprintf(node, sizeof(node), "%s/n1", root);
	snprintf(p, sizeof(p), "%s/raft-log.db", node);
	fd = open(p, O_RDONLY);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	if (fork() == 0) { /* another process holds it: here the same program,
		            * which the refusal names as another run of ours */
		rs_nd_replace_init(&r, node, "generate", fill, NULL, &f1);
		_exit(rs_nd_replace_node(&r, NULL, 0, &err) == RS_ELOCKED &&
		              strstr(err.msg, "is being changed by another op-conductor-init run "
		                              "(pid ") != NULL
		          ? 0
		          : 1);
	}
	{
		int status;

		wait(&status);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(fd);
	ck_assert_str_eq(slurp(p), "old");
	ck_assert_int_eq(count_prefix(root, ".n1."), 0);
	rm_root();
}
END_TEST

START_TEST(leftover_stage_cleaned_or_kept)
{
	struct fill_ctx f1 = {"log1", "stable1", 0, 0};
	struct rs_nd_replace r;
	struct rs_err err = {0};
	char node[512], p[PATH_MAX + 32];

	mk_root();
	mk("n1");
	put_file("n1/raft-log.db", "old");
	/* a killed run's stage holding exactly what this run writes: removed */
	mk(".n1.generate-tmp-0000abcd");
	put_file(".n1.generate-tmp-0000abcd/raft-log.db", "log1");
	put_file(".n1.generate-tmp-0000abcd/.raft-stable.db.tmp-12345678", "par");
	/* one holding the old state of a run killed after its swap: kept */
	mk(".n1.restore-tmp-4242");
	put_file(".n1.restore-tmp-4242/raft-log.db", "older");
	/* another node's name that only starts the same: untouched */
	mk(".n1.b.restore-tmp-1");
	snprintf(node, sizeof(node), "%s/n1", root);
	rs_nd_replace_init(&r, node, "generate", fill, NULL, &f1);
	ck_assert_int_eq(rs_nd_replace_node(&r, NULL, 0, &err), RS_OK);
	ck_assert_uint_eq(r.cleaned, 1);
	ck_assert_uint_eq(r.salvaged, 1);
	ck_assert(!exists(".n1.generate-tmp-0000abcd"));
	ck_assert(!exists(".n1.restore-tmp-4242"));
	ck_assert(exists(".n1.b.restore-tmp-1"));
	ck_assert_msg(strstr(r.salvaged_to, "/.n1.pre-generate-interrupted-") != NULL, "%s",
	              r.salvaged_to);
	snprintf(p, sizeof(p), "%s/raft-log.db", r.salvaged_to);
	ck_assert_str_eq(slurp(p), "older");
	snprintf(p, sizeof(p), "%s/raft-log.db", r.kept);
	ck_assert_str_eq(slurp(p), "old");
	rm_root();
}
END_TEST

START_TEST(remove_tree_never_follows_links)
{
	char p[512], l[512];

	mk_root();
	mk("keep");
	put_file("keep/f", "x");
	mk("gone");
	mk("gone/d");
	put_file("gone/d/f", "x");
	snprintf(p, sizeof(p), "%s/keep", root);
	snprintf(l, sizeof(l), "%s/gone/d/link", root);
	ck_assert_int_eq(symlink(p, l), 0);
	snprintf(p, sizeof(p), "%s/gone", root);
	rs_remove_tree(p);
	ck_assert(!exists("gone"));
	ck_assert(exists("keep/f"));
	rm_root();
}
END_TEST

/* ownership's one home: --chown of a path (a symbolic link refused, a
 * missing path named), and nothing done for (-1, -1) */
START_TEST(chown_path_refuses_links)
{
	struct rs_err e = {0};
	struct stat st;
	char p[512], l[512];

	mk_root();
	put_file("f", "x");
	snprintf(p, sizeof(p), "%s/f", root);
	snprintf(l, sizeof(l), "%s/link", root);
	ck_assert_int_eq(symlink(p, l), 0);
	ck_assert_int_eq(rs_nd_chown_path(l, getuid(), getgid(), &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "is a symbolic link; refusing to change its owner") != NULL,
	              "%s", e.msg);
	ck_assert_int_eq(rs_nd_chown_path(p, (uid_t)-1, (gid_t)-1, &e), RS_OK);
	ck_assert_int_eq(rs_nd_chown_path(p, getuid(), getgid(), &e), RS_OK);
	if (geteuid() == 0) { /* root may give it away; the link's target is untouched */
		ck_assert_int_eq(rs_nd_chown_path(p, 4242, 4343, &e), RS_OK);
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_uint_eq(st.st_uid, 4242);
		ck_assert_uint_eq(st.st_gid, 4343);
		ck_assert_int_eq(rs_nd_chown_path(l, 0, 0, &e), RS_EINVAL);
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_uint_eq(st.st_uid, 4242);
	}
	snprintf(p, sizeof(p), "%s/missing", root);
	ck_assert_int_eq(rs_nd_chown_path(p, getuid(), getgid(), &e), RS_EIO);
	ck_assert_msg(strstr(e.msg, "to change its owner: No such file or directory") != NULL, "%s",
	              e.msg);
	rm_root();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("nodedir");
	TCase *tc = tcase_create("nodedir");

	tcase_add_test(tc, discovery_one_rule);
	tcase_add_test(tc, find_nodes_of_a_state_dir);
	tcase_add_test(tc, unreadable_entries_of_a_state_dir);
	tcase_add_test(tc, lock_names_the_holder_and_dies_with_it);
	tcase_add_test(tc, replace_new_swap_keep);
	tcase_add_test(tc, replace_other_files_in_place);
	tcase_add_test(tc, replace_keeps_owner_and_mode);
	tcase_add_test(tc, replace_refuses_a_locked_database);
	tcase_add_test(tc, leftover_stage_cleaned_or_kept);
	tcase_add_test(tc, remove_tree_never_follows_links);
	tcase_add_test(tc, chown_path_refuses_links);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
