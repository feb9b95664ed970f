#include "bolt/lock.h"

#include <errno.h>
#include <sys/file.h>
#include <time.h>

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

int bolt_lock(int fd, int op, double timeout, const char *name, struct bolt_err *err)
{
	double start = now_seconds(), deadline = start + (timeout > 0 ? timeout : 0);
	const struct timespec pause = {0, 20 * 1000 * 1000};
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
				                 "%s is being read by another process (a verify, "
				                 "backup or another run's check); gave up after "
				                 "%.1f s: wait for it to finish, or give a longer "
				                 "--timeout",
				                 name, now_seconds() - start);
			return bolt_errf(err, BOLT_ELOCKED, BOLT_NO_PGID,
			                 "%s is locked by another process (is op-conductor "
			                 "running?); gave up after %.1f s",
			                 name, timeout > 0 ? timeout : 0.0);
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
