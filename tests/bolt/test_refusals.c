/*
 * What the bolt layer says when it refuses an input: a path that is not a
 * regular file (bolt/file.c), a file another process holds locked
 * (bolt/lock.c: the holder's pid and command line from /proc/locks, another
 * run of this same program told apart), and the sentence itself cut to its
 * buffer without splitting a word's UTF-8 or losing its end (bolt/error.c).
 * Real files, FIFOs, sockets, symbolic links and processes; no mock.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bolt/error.h"
#include "bolt/file.h"
#include "bolt/lock.h"
#include "tests/check_support.h"

static char tmpdir[] = "/tmp/oci-refusals-XXXXXX";

static const char *tmp(const char *name)
{
	static char path[4][4200];
	static int k;

	k = (k + 1) % 4;
	snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
	return path[k];
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
}

/* ---- file.c ---- */

START_TEST(file_kinds_are_named)
{
	ck_assert_str_eq(bolt_file_kind(S_IFIFO), "a FIFO");
	ck_assert_str_eq(bolt_file_kind(S_IFDIR), "a directory");
	ck_assert_str_eq(bolt_file_kind(S_IFLNK), "a symbolic link");
	ck_assert_str_eq(bolt_file_kind(S_IFSOCK), "a socket");
	ck_assert_str_eq(bolt_file_kind(S_IFCHR), "a character device");
	ck_assert_str_eq(bolt_file_kind(S_IFBLK), "a block device");
	ck_assert_str_eq(bolt_file_kind(0), "a special file");
}
END_TEST

/* Opens path (flags) and expects the refusal `want`, fd -1. */
static void expect_open_refused(const char *path, int flags, int code, const char *want)
{
	struct bolt_err err = {0};
	int fd = 7;

	ck_assert_int_eq(bolt_file_open(AT_FDCWD, path, flags, "IN", &fd, NULL, &err), code);
	ck_assert_int_eq(fd, -1);
	ck_assert_msg(strcmp(err.msg, want) == 0, "message \"%s\", want \"%s\"", err.msg, want);
}

START_TEST(file_open_names_what_it_found)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct bolt_err err = {0};
	struct stat st;
	int s, fd;

	touch(tmp("plain"));
	ck_assert_int_eq(mkfifo(tmp("fifo"), 0600), 0);
	ck_assert_int_eq(mkdir(tmp("dir"), 0700), 0);
	ck_assert_int_eq(symlink(tmp("plain"), tmp("link")), 0);
	ck_assert_int_eq(symlink(tmp("dir"), tmp("dirlink")), 0);
	ck_assert_int_eq(symlink(tmp("loop"), tmp("loop")), 0);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tmp("sock"));
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);

	expect_open_refused(tmp("fifo"), 0, BOLT_EINVAL, "IN is a FIFO, not a regular file");
	expect_open_refused(tmp("dir"), 0, BOLT_EINVAL, "IN is a directory, not a regular file");
	expect_open_refused(tmp("link"), 0, BOLT_EINVAL,
	                    "IN is a symbolic link, not a regular file");
	expect_open_refused(tmp("sock"), 0, BOLT_EINVAL, "IN is a socket, not a regular file");
	/* followed: what the link points at */
	expect_open_refused(tmp("dirlink"), BOLT_FILE_FOLLOW, BOLT_EINVAL,
	                    "IN is a directory, not a regular file");
	/* a link to itself, followed: the system's reason */
	expect_open_refused(tmp("loop"), BOLT_FILE_FOLLOW, BOLT_EIO,
	                    "cannot open IN: Too many levels of symbolic links");
	expect_open_refused(tmp("none"), 0, BOLT_EIO, "cannot open IN: No such file or directory");

	/* the link followed to a regular file opens, blocking reads again */
	ck_assert_int_eq(
	    bolt_file_open(AT_FDCWD, tmp("link"), BOLT_FILE_FOLLOW, NULL, &fd, &st, &err), BOLT_OK);
	ck_assert_int_eq(st.st_size, 1);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	/* without a name, the path names it */
	fd = open(tmp("dir"), O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bolt_file_check(fd, "D", NULL, &err), BOLT_EINVAL);
	ck_assert_str_eq(err.msg, "D is a directory, not a regular file");
	close(fd);
	close(s);
}
END_TEST

/* ---- lock.c ---- */

/* A child that opens path itself, takes `op` on it, then runs `argv` (the
 * lock goes with the descriptor across exec) as /bin/sleep or, argv NULL,
 * sleeps as this
 * same program. Returns once /proc/locks shows the lock. */
static pid_t holder(const char *path, int op, char *const argv[])
{
	int ready[2];
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_RDONLY);

		close(ready[0]);
		if (fd < 0 || flock(fd, op) != 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		close(ready[1]);
		if (argv != NULL)
			execv("/bin/sleep", argv);
		else
			pause();
		_exit(1);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}

/* Waits (up to 20 s) until /proc/%pid/cmdline begins with `want`: the exec
 * is done. */
static void wait_for_exec(pid_t pid, const char *want)
{
	char p[64], buf[256];

	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	for (int i = 0; i < 2000; i++) {
		FILE *f = fopen(p, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		if (strncmp(buf, want, strlen(want)) == 0)
			return;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	ck_abort_msg("pid %d never ran %s", (int)pid, want);
}

START_TEST(lock_names_another_process)
{
	/* its argv[0], with two control bytes */
	char *const argv[] = {"sl\x01"
	                      "e\x7f"
	                      "p",
	                      "30", NULL};
	const char *path = tmp("held");
	struct bolt_err err = {0};
	char cmd[64], want[200];
	pid_t pid;
	int fd;

	touch(path);
	pid = holder(path, LOCK_EX, argv);
	wait_for_exec(pid, argv[0]);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bolt_lock_probe(fd, LOCK_SH), 1);
	/* its command line, control bytes as '?', cut to the buffer */
	ck_assert_int_eq(bolt_lock_holder(fd, cmd, sizeof(cmd)), pid);
	ck_assert_str_eq(cmd, "sl?e?p 30");
	ck_assert_int_eq(bolt_lock_holder(fd, cmd, 6), pid);
	ck_assert_str_eq(cmd, "sl?e?");
	ck_assert_int_eq(bolt_lock_holder(fd, NULL, 0), pid);
	ck_assert_int_eq(bolt_lock(fd, LOCK_SH, 0, "F", &err), BOLT_ELOCKED);
	snprintf(want, sizeof(want),
	         "F is locked by another process (is op-conductor running?): pid %d, "
	         "sl?e?p 30; gave up after 0.0 s",
	         (int)pid);
	ck_assert_str_eq(err.msg, want);
	reap(pid);
	/* gone: nobody holds it */
	ck_assert_int_eq(bolt_lock_holder(fd, cmd, sizeof(cmd)), 0);
	ck_assert_str_eq(cmd, "");
	ck_assert_int_eq(bolt_lock_probe(fd, LOCK_EX), 0);
	ck_assert_int_eq(bolt_lock(fd, LOCK_EX, 0, "F", &err), BOLT_OK);
	bolt_unlock(fd);
	close(fd);
}
END_TEST

START_TEST(lock_knows_another_run)
{
	const char *path = tmp("run");
	struct bolt_err err = {0};
	char want[64];
	pid_t pid;
	int fd;

	touch(path);
	pid = holder(path, LOCK_EX, NULL);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bolt_lock_refusal(fd, "F", "stop it", &err), BOLT_ELOCKED);
	snprintf(want, sizeof(want), "another op-conductor-init run (pid %d: ", (int)pid);
	ck_assert_msg(strncmp(err.msg, "F is being changed by ", 22) == 0 &&
	                  strstr(err.msg, want) != NULL &&
	                  strstr(err.msg, "); wait for it to finish and run this again") != NULL,
	              "%s", err.msg);
	reap(pid);
	/* nobody: the sentence without a pid */
	ck_assert_int_eq(bolt_lock_refusal(fd, "F", "stop it", &err), BOLT_ELOCKED);
	ck_assert_str_eq(err.msg,
	                 "F is locked by another process (is op-conductor running?); stop it");
	/* a descriptor that is not open: no holder, and flock's own error */
	ck_assert_int_eq(bolt_lock_holder(-1, NULL, 0), 0);
	ck_assert_int_eq(bolt_lock_probe(-1, LOCK_SH), -1);
	ck_assert_int_eq(bolt_lock(-1, LOCK_SH, 0, "F", &err), BOLT_EIO);
	ck_assert_str_eq(err.msg, "cannot lock F: Bad file descriptor");
	close(fd);
}
END_TEST

/* A process waiting for the lock is not its holder; a POSIX (fcntl) lock is
 * not a flock, which is all bbolt takes. */
START_TEST(lock_holder_ignores_waiters_and_posix_locks)
{
	const char *path = tmp("waited"), *other = tmp("posix");
	char cmd[64], p[64];
	pid_t holder_pid, waiter, poser;
	int fd, ready[2], found = 0;
	char c;

	touch(path);
	touch(other);
	holder_pid = holder(path, LOCK_EX, NULL);
	waiter = fork();
	ck_assert_int_ge(waiter, 0);
	if (waiter == 0) {
		int wfd = open(path, O_RDONLY);

		(void)flock(wfd, LOCK_EX); /* blocks until killed */
		_exit(1);
	}
	/* until /proc/locks shows the waiter ("->" line) */
	snprintf(p, sizeof(p), " %d ", (int)waiter);
	for (int i = 0; i < 2000 && !found; i++) {
		FILE *f = fopen("/proc/locks", "r");
		char line[256];

		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f) != NULL)
			if (strstr(line, "->") != NULL && strstr(line, p) != NULL)
				found = 1;
		fclose(f);
		if (!found)
			nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	ck_assert_msg(found, "the waiter never showed in /proc/locks");
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bolt_lock_holder(fd, cmd, sizeof(cmd)), holder_pid);
	reap(waiter);
	reap(holder_pid);
	close(fd);

	/* a POSIX write lock on the whole file, held by a child */
	ck_assert_int_eq(pipe(ready), 0);
	poser = fork();
	ck_assert_int_ge(poser, 0);
	if (poser == 0) {
		struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
		int pfd = open(other, O_RDWR);

		close(ready[0]);
		if (pfd < 0 || fcntl(pfd, F_SETLK, &fl) != 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(1);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	fd = open(other, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bolt_lock_holder(fd, cmd, sizeof(cmd)), 0);
	ck_assert_int_eq(bolt_lock_probe(fd, LOCK_EX), 0);
	reap(poser);
	close(fd);
}
END_TEST

/* ---- error.c ---- */

START_TEST(messages_fit_their_buffer)
{
	char out[64], text[400], big[300];
	struct bolt_err err;
	size_t n;

	/* no room at all: nothing written */
	out[0] = 'k';
	ck_assert_ptr_eq(bolt_text_fit(out, 0, "abc", 3), out);
	ck_assert_int_eq(out[0], 'k');
	/* no error to fill: only the code */
	ck_assert_int_eq(bolt_errf(NULL, BOLT_ECORRUPT, 1, "x"), BOLT_ECORRUPT);
	errno = ENOENT;
	ck_assert_int_eq(bolt_syserr(NULL, "x"), BOLT_EIO);

	/* a word of two-byte characters cut at every length: never inside
	 * a character, "..." in the middle, the sentence's end kept */
	for (size_t size = 40; size <= 48; size++) {
		n = 0;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "at ");
		for (int i = 0; i < 60; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "\xc3\xa9");
		n += (size_t)snprintf(text + n, sizeof(text) - n, " end");
		bolt_text_fit(out, size, text, n);
		ck_assert_uint_le(strlen(out), size - 1);
		ck_assert_msg(strncmp(out, "at \xc3\xa9", 5) == 0, "%s", out);
		ck_assert_msg(strstr(out, "\xc3\xa9...\xc3\xa9") != NULL, "size %zu: %s", size,
		              out);
		ck_assert_msg(strcmp(out + strlen(out) - 4, " end") == 0, "%s", out);
	}
	/* a word of nothing but continuation bytes (not UTF-8): it goes whole,
	 * "..." stands for it */
	memset(text, 0x80, 200);
	memcpy(text + 200, " end", 4);
	bolt_text_fit(out, 40, text, 204);
	ck_assert_str_eq(out, "... end");

	/* a system error whose sentence does not fit: the reason is kept */
	memset(big, 'p', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = '/';
	errno = EACCES;
	ck_assert_int_eq(bolt_syserr(&err, "cannot open %s", big), BOLT_EIO);
	ck_assert_int_eq(err.sys_errno, EACCES);
	ck_assert_uint_le(strlen(err.msg), sizeof(err.msg) - 1);
	ck_assert_msg(strncmp(err.msg, "cannot open /ppp", 16) == 0 &&
	                  strstr(err.msg, "p...p") != NULL &&
	                  strstr(err.msg, "ppp: Permission denied") != NULL,
	              "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bolt: refusals");
	TCase *tc = tcase_create("refusals");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, file_kinds_are_named);
	tcase_add_test(tc, file_open_names_what_it_found);
	tcase_add_test(tc, lock_names_another_process);
	tcase_add_test(tc, lock_knows_another_run);
	tcase_add_test(tc, lock_holder_ignores_waiters_and_posix_locks);
	tcase_add_test(tc, messages_fit_their_buffer);
	suite_add_tcase(s, tc);
	return oci_check_run_in_tmpdir(s, tmpdir);
}
