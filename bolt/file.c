/* Safe opening of input files (see file.h). */
#include "bolt/file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

const char *bolt_file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "a special file";
}

static int not_regular(mode_t mode, const char *name, struct bolt_err *err)
{
	int rc = bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "%s is %s, not a regular file", name,
	                   bolt_file_kind(mode));

	errno = EINVAL;
	return rc;
}

int bolt_file_check(int fd, const char *name, struct stat *st, struct bolt_err *err)
{
	struct stat tmp;

	if (st == NULL)
		st = &tmp;
	if (fstat(fd, st) != 0)
		return bolt_syserr(err, "cannot stat %s", name);
	if (!S_ISREG(st->st_mode))
		return not_regular(st->st_mode, name, err);
	return BOLT_OK;
}

int bolt_pread_full(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : 1;
		got += (size_t)r;
	}
	return 0;
}

int bolt_file_open(int dirfd, const char *path, int flags, const char *name, int *fd,
                   struct stat *st, struct bolt_err *err)
{
	struct stat lst;
	int fl, e, rc;

	if (name == NULL)
		name = path;
	*fd = openat(dirfd, path,
	             O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
	                 (flags & BOLT_FILE_FOLLOW ? 0 : O_NOFOLLOW));
	if (*fd < 0) {
		e = errno;
		/* ELOOP: the last component is a symbolic link (O_NOFOLLOW);
		 * ENXIO: a socket. Say what it is rather than strerror's riddle. */
		if ((e == ELOOP || e == ENXIO) &&
		    fstatat(dirfd, path, &lst,
		            flags & BOLT_FILE_FOLLOW ? 0 : AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(lst.st_mode))
			rc = not_regular(lst.st_mode, name, err);
		else
			rc = bolt_syserr(err, "cannot open %s", name);
		if (err != NULL)
			err->sys_errno = e;
		errno = e;
		return rc;
	}
	if ((rc = bolt_file_check(*fd, name, st, err)) != BOLT_OK)
		goto fail;
	fl = fcntl(*fd, F_GETFL);
	if (fl < 0 || fcntl(*fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		rc = bolt_syserr(err, "cannot set up %s", name);
		goto fail;
	}
	return BOLT_OK;
fail:
	e = errno;
	close(*fd);
	*fd = -1;
	errno = e;
	return rc;
}
