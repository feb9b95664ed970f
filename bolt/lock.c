#include "bolt/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The command line of pid, spaces between the arguments, at most size-1
 * bytes, control bytes as '?'; "" if unknown. */
static void command_of(long pid, char *buf, size_t size)
{
	char p[64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	(void)snprintf(p, sizeof(p), "/proc/%ld/cmdline", pid);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
		else if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
}

/* /proc/locks lines: "N: FLOCK  ADVISORY  WRITE <pid> <maj>:<min>:<ino> 0 EOF"
 * (major and minor in hex); "N: -> ..." lines are waiters. */
long bolt_lock_holder(int fd, char *cmd, size_t size)
{
	struct stat st;
	char line[256];
	long pid = 0;
	FILE *f;

	if (size > 0)
		cmd[0] = '\0';
	if (fstat(fd, &st) != 0 || (f = fopen("/proc/locks", "re")) == NULL)
		return 0;
	for (int lines = 0; pid == 0 && lines < 100000 && fgets(line, sizeof(line), f); lines++) {
		char kind[16], mode[16], rw[16];
		unsigned int maj, min;
		unsigned long long i;
		long p;

		if (strstr(line, "->") != NULL)
			continue;
		if (sscanf(line, "%*d: %15s %15s %15s %ld %x:%x:%llu", kind, mode, rw, &p, &maj,
		           &min, &i) == 7 &&
		    strcmp(kind, "FLOCK") == 0 && maj == major(st.st_dev) &&
		    min == minor(st.st_dev) && i == (unsigned long long)st.st_ino &&
		    p != (long)getpid()) /* ours, through another descriptor */
			pid = p;
	}
	fclose(f);
	if (pid > 0 && size > 0)
		command_of(pid, cmd, size);
	return pid;
}

/* 1 when process pid runs this same executable (another run of this tool),
 * 0 when not or when that cannot be told (another user's process). */
static int same_program(long pid)
{
	char p[64];
	struct stat a, b;

	(void)snprintf(p, sizeof(p), "/proc/%ld/exe", pid);
	return stat(p, &a) == 0 && stat("/proc/self/exe", &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* 1 when every lock on fd's file is shared (readers only), so LOCK_EX is
 * held up by readers and not by a writer. Leaves no lock of ours behind. */
static int only_readers(int fd)
{
	if (flock(fd, LOCK_SH | LOCK_NB) != 0)
		return 0;
	(void)flock(fd, LOCK_UN);
	return 1;
}

int bolt_lock_refusal(int fd, const char *name, const char *then, struct bolt_err *err)
{
	char cmd[160];
	long pid = bolt_lock_holder(fd, cmd, sizeof(cmd));
	const char *c = cmd[0] != '\0' ? cmd : "command unknown";

	if (pid > 0 && same_program(pid))
		return bolt_errf(err, BOLT_ELOCKED, BOLT_NO_PGID,
		                 "%s is being changed by another op-conductor-init run (pid %ld: "
		                 "%s); wait for it to finish and run this again",
		                 name, pid, c);
	if (pid > 0)
		return bolt_errf(err, BOLT_ELOCKED, BOLT_NO_PGID,
		                 "%s is locked by another process (is op-conductor running?): pid "
		                 "%ld, %s; %s",
		                 name, pid, c, then);
	return bolt_errf(err, BOLT_ELOCKED, BOLT_NO_PGID,
	                 "%s is locked by another process (is op-conductor running?); %s", name,
	                 then);
}

int bolt_lock(int fd, int op, double timeout, const char *name, struct bolt_err *err)
{
	double start = now_seconds(), deadline = start + (timeout > 0 ? timeout : 0);
	const struct timespec pause = {0, 20 * 1000 * 1000};
	char then[48];
	int readers = 0;

	for (;;) {
		if (flock(fd, op | LOCK_NB) == 0)
			return BOLT_OK;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return bolt_syserr(err, "cannot lock %s", name);
		if (now_seconds() >= deadline) {
			/* a reader's LOCK_SH (verify, backup, another run's read-only
			 * check) is short: wait out the grace, a writer not at all */
			if (op == LOCK_EX && !readers && only_readers(fd)) {
				readers = 1;
				if (deadline < start + BOLT_READER_GRACE)
					deadline = start + BOLT_READER_GRACE;
				continue;
			}
			if (readers && only_readers(fd))
				return bolt_errf(err, BOLT_ELOCKED, BOLT_NO_PGID,
				                 "%s is still being read by another process (a "
				                 "verify, backup or another run's check) after "
				                 "%.1f s; wait for it to finish and run this again",
				                 name, now_seconds() - start);
			(void)snprintf(then, sizeof(then), "gave up after %.1f s",
			               timeout > 0 ? timeout : 0.0);
			return bolt_lock_refusal(fd, name, then, err);
		}
		nanosleep(&pause, NULL);
	}
}

void bolt_unlock(int fd)
{
	(void)flock(fd, LOCK_UN);
}

int bolt_lock_probe(int fd, int op)
{
	if (flock(fd, op | LOCK_NB) == 0) {
		(void)flock(fd, LOCK_UN);
		return 0;
	}
	return errno == EWOULDBLOCK ? 1 : -1;
}
