/*
 * A stand-in for op-conductor in the `bootstrap cluster` tests: it records
 * how it was started, then exits with a chosen code or waits for SIGTERM.
 * The test scripts compile it with `cc` into a temporary directory.
 *
 *   FAKE_OC_RECORD=PATH  (required) where to write the record:
 *     PATH        text, one key=value per line:
 *                   pid=, ppid=, exe= (readlink /proc/self/exe),
 *                   fds= (open descriptors, space-separated, ascending),
 *                   lock=FILE:ok|busy|error per FAKE_OC_LOCK file,
 *                   state=exited|ready|term (last line)
 *     PATH.argv   argv, every argument followed by one NUL, byte for byte
 *     PATH.env    environ, the same way
 *   FAKE_OC_EXIT=N       exit status (default 0)
 *   FAKE_OC_WAIT=1       write the record with state=ready, wait for SIGTERM
 *                        (30 s at most, then die of SIGALRM), rewrite it
 *                        with state=term and die of SIGTERM
 *   FAKE_OC_LOCK=F1:F2   try flock(LOCK_EX|LOCK_NB) on each file, as
 *                        op-conductor's bbolt will, to prove no lock leaked
 *
 * Every file is written to PATH.tmp and renamed, so a test polling for the
 * record never reads half of it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "fake-op-conductor: %s: %s\n", what, strerror(errno));
	exit(97);
}

/* Writes the strings of v (NULL-terminated), each followed by NUL. */
static void write_nul_list(const char *path, char **v)
{
	char tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		die(tmp);
	for (; *v != NULL; v++)
		fwrite(*v, 1, strlen(*v) + 1, f);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		die(path);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void print_fds(FILE *f)
{
	int fds[1024], n = 0, i;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (d == NULL)
		die("/proc/self/fd");
	while ((e = readdir(d)) != NULL && n < 1024) {
		if (e->d_name[0] == '.')
			continue;
		if (atoi(e->d_name) != dirfd(d))
			fds[n++] = atoi(e->d_name);
	}
	closedir(d);
	qsort(fds, (size_t)n, sizeof(int), cmp_int);
	fprintf(f, "fds=");
	for (i = 0; i < n; i++)
		fprintf(f, "%s%d", i > 0 ? " " : "", fds[i]);
	fprintf(f, "\n");
}

static void print_locks(FILE *f)
{
	const char *list = getenv("FAKE_OC_LOCK");
	char *copy, *p, *file;

	if (list == NULL || *list == '\0')
		return;
	copy = strdup(list);
	for (p = copy; (file = strsep(&p, ":")) != NULL;) {
		int fd = open(file, O_RDWR | O_CLOEXEC);
		const char *res = "error";

		if (fd >= 0) {
			if (flock(fd, LOCK_EX | LOCK_NB) == 0)
				res = "ok";
			else if (errno == EWOULDBLOCK)
				res = "busy";
			close(fd); /* releases the lock */
		}
		fprintf(f, "lock=%s:%s\n", file, res);
	}
	free(copy);
}

static void write_record(const char *path, const char *state)
{
	char tmp[PATH_MAX], exe[PATH_MAX];
	ssize_t n;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		die(tmp);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	fprintf(f, "pid=%ld\nppid=%ld\nexe=%s\n", (long)getpid(), (long)getppid(), exe);
	print_fds(f);
	print_locks(f);
	fprintf(f, "state=%s\n", state);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		die(path);
}

int main(int argc, char **argv)
{
	const char *rec = getenv("FAKE_OC_RECORD");
	const char *code = getenv("FAKE_OC_EXIT");
	const char *wait = getenv("FAKE_OC_WAIT");
	char path[PATH_MAX];
	sigset_t term, old;
	struct sigaction sa;

	(void)argc;
	if (rec == NULL || *rec == '\0') {
		fprintf(stderr, "fake-op-conductor: FAKE_OC_RECORD is not set\n");
		return 97;
	}
	snprintf(path, sizeof(path), "%s.argv", rec);
	write_nul_list(path, argv);
	snprintf(path, sizeof(path), "%s.env", rec);
	write_nul_list(path, environ);

	if (wait == NULL || strcmp(wait, "1") != 0) {
		write_record(rec, "exited");
		return code != NULL ? atoi(code) : 0;
	}

	/* block SIGTERM before saying "ready", so it cannot slip past */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	alarm(30);
	write_record(rec, "ready");
	while (!got_term)
		sigsuspend(&old);
	write_record(rec, "term");
	signal(SIGTERM, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	raise(SIGTERM);
	return 98; /* not reached */
}
