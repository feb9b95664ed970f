/*
 * An LD_PRELOAD hook for tests/cli/test_hostile_shrink.sh: it truncates a
 * file right after the tool maps it, as another process truncating a
 * database under a reader would, but at a chosen moment.
 *
 *   OCI_SHRINK_FILE=PATH  the file (matched by device and inode)
 *   OCI_SHRINK_TO=BYTES   the size it is truncated to (default 8192: both
 *                         meta pages stay, every other page is gone)
 *   OCI_SHRINK_NTH=N      truncate after the N-th mapping of it (default 1)
 *   OCI_SHRINK_ON=read    truncate instead just before the first read of it
 *                         (a pread from it: how restore copies a
 *                         backup's file, which it never maps)
 *
 * It writes one line to stderr when it truncates ("shrink-after-map: ..."),
 * so that a test knows the moment came.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);

static int seen, cut;

/* Whether fd is OCI_SHRINK_FILE. */
static int is_target(int fd)
{
	const char *file = getenv("OCI_SHRINK_FILE");
	struct stat a, b;

	return fd >= 0 && file != NULL && fstat(fd, &a) == 0 && stat(file, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* With OCI_SHRINK_ON=read: the first read of the file finds it cut. */
static void cut_before_read(int fd)
{
	const char *on = getenv("OCI_SHRINK_ON"), *to = getenv("OCI_SHRINK_TO");
	const char *file = getenv("OCI_SHRINK_FILE");

	if (cut || on == NULL || strcmp(on, "read") != 0 || !is_target(fd))
		return;
	cut = 1;
	if (truncate(file, to != NULL ? atoll(to) : 8192) != 0) {
		perror("shrink-after-map: truncate");
		return;
	}
	fprintf(stderr, "shrink-after-map: truncated %s before its first read\n", file);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	static pread_fn real;

	if (real == NULL)
		real = (pread_fn)dlsym(RTLD_NEXT, "pread");
	cut_before_read(fd);
	return real(fd, buf, n, off);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static mmap_fn real;
	const char *file = getenv("OCI_SHRINK_FILE");
	const char *to = getenv("OCI_SHRINK_TO");
	const char *nth = getenv("OCI_SHRINK_NTH");
	const char *on = getenv("OCI_SHRINK_ON");
	void *p;

	if (real == NULL)
		real = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
	p = real(addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED || on != NULL || !is_target(fd))
		return p;
	if (++seen != (nth != NULL ? atoi(nth) : 1))
		return p;
	if (truncate(file, to != NULL ? atoll(to) : 8192) != 0) {
		perror("shrink-after-map: truncate");
		return p;
	}
	fprintf(stderr, "shrink-after-map: truncated %s after mapping %zu bytes of it\n", file,
	        len);
	return p;
}
