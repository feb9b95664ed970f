/*
 * An LD_PRELOAD hook for tests/cli/test_hostile_shrink.sh: it truncates a
 * file right after the tool maps it, as another process truncating a
 * database under a reader would, but at a chosen moment.
 *
 *   OCI_SHRINK_FILE=PATH  the file (matched by device and inode)
 *   OCI_SHRINK_TO=BYTES   the size it is truncated to (default 8192: both
 *                         meta pages stay, every other page is gone)
 *   OCI_SHRINK_NTH=N      truncate after the N-th mapping of it (default 1)
 *
 * It writes one line to stderr when it truncates ("shrink-after-map: ..."),
 * so that a test knows the moment came.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);

static int seen;

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	static mmap_fn real;
	const char *file = getenv("OCI_SHRINK_FILE");
	const char *to = getenv("OCI_SHRINK_TO");
	const char *nth = getenv("OCI_SHRINK_NTH");
	struct stat a, b;
	void *p;

	if (real == NULL)
		real = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
	p = real(addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED || fd < 0 || file == NULL || fstat(fd, &a) != 0 ||
	    stat(file, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
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
