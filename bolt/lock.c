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

int bolt_lock(int fd, int op, double timeout, const char *name, struct bolt_err *err)
{
	double deadline = now_seconds() + (timeout > 0 ? timeout : 0);
	const struct timespec pause = {0, 20 * 1000 * 1000};

	for (;;) {
		if (flock(fd, op | LOCK_NB) == 0)
			return BOLT_OK;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return bolt_syserr(err, "cannot lock %s", name);
		if (now_seconds() >= deadline)
			return bolt_errf(err, BOLT_ELOCKED, BOLT_NO_PGID,
			                 "%s is locked by another process (is op-conductor "
			                 "running?); gave up after %.1f s",
			                 name, timeout > 0 ? timeout : 0.0);
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
