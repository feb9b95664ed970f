/*
 * failcall.so: an LD_PRELOAD library for tests/cli/test_io_faults.sh that
 * makes ONE call of one libc function fail, as a full disk, a dying disk or
 * a file system without some operation would, in an otherwise real run of
 * the real binary on real files.
 *
 *   OCI_FAIL_CALL=NAME   the function (one of the wrappers below)
 *   OCI_FAIL_NTH=N       its Nth call in the process fails (1-based; 0 or
 *                        unset: none fails, calls are only counted)
 *   OCI_FAIL_ERRNO=E     the errno of that failure (default EIO)
 *   OCI_FAIL_SHORT=1     read or pread: that call is cut short (half the
 *                        bytes asked for) instead of failed
 *   OCI_FAIL_COUNT=FILE  at exit, one line "NAME CALLS" per wrapped function
 *                        is written to FILE (a sweep learns how many calls
 *                        there are to fail)
 *
 * Preload it into the tool only, not into a wrapper such as timeout(1)
 * (its own calls would be counted and failed): `timeout 60 env
 * LD_PRELOAD=... BIN ...`.
 *
 * Only calls that go through the PLT are seen (the binary's and other
 * libraries', not glibc's internal ones); the count is atomic, the binary's
 * helper threads call some of these too. The failing call does nothing and
 * returns -1 (NULL for fdopendir/opendir/readdir/mkdtemp, MAP_FAILED for
 * mmap) with errno set; close and fclose release what they were given first,
 * as the kernel and stdio do when they report an error; pthread_create and
 * posix_fadvise return the error number, as they do.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *const names[] = {
    "openat",         "open",          "read",      "pread",     "write",
    "pwrite",         "fsync",         "fdatasync", "ftruncate", "mkdir",
    "mkdirat",        "rename",        "renameat",  "renameat2", "unlinkat",
    "fstat",          "fstatat",       "fchmodat",  "flock",     "copy_file_range",
    "fdopendir",      "opendir",       "close",     "stat",      "lstat",
    "statx",          "mmap",          "munmap",    "fchmod",    "fchownat",
    "readdir",        "readlink",      "unlink",    "symlink",   "mkdtemp",
    "mkostemp",       "statvfs",       "preadv2",   "dup",       "fcntl",
    "pthread_create", "posix_fadvise", "madvise",   "fclose",    "fopen",
    "faccessat",      "execv",         "getrandom",
#ifdef FAILCALL_ALLOC
    "malloc",         "calloc",        "realloc",
#endif
};
#define NNAMES (sizeof(names) / sizeof(names[0]))
static const char *fail_name;
static long fail_nth;
static int fail_errno = EIO;
/* OCI_FAIL_SHORT: the chosen read or pread is cut short instead of failed;
 * short_now: this thread's call in hand is that one */
static int fail_short;
static __thread int short_now;
static long calls[NNAMES];

static int exiting, held;

/* Called by a coverage build (cmd/bootstrap.c, OCI_COVERAGE) around
 * libgcov's writing of its counters before an exec: while held, calls are
 * neither counted nor failed. */
void oci_failcall_hold(int on);
void oci_failcall_hold(int on)
{
	__atomic_store_n(&held, on, __ATOMIC_SEQ_CST);
}

/* The counts, once the program is done: from exit, before the destructors
 * run (a coverage build's libgcov writes its counters from one, with
 * fopen/fclose: those calls are not the tool's, none of them is counted or
 * failed), or before an exec replaces the process. */
static void failcall_fini(void)
{
	const char *path = getenv("OCI_FAIL_COUNT");
	FILE *f;

	__atomic_store_n(&exiting, 1, __ATOMIC_SEQ_CST);
	if (path == NULL || (f = fopen(path, "w")) == NULL)
		return;
	for (size_t i = 0; i < NNAMES; i++)
		fprintf(f, "%s %ld\n", names[i], __atomic_load_n(&calls[i], __ATOMIC_SEQ_CST));
	fclose(f);
}

__attribute__((constructor)) static void failcall_init(void)
{
	const char *n = getenv("OCI_FAIL_NTH"), *e = getenv("OCI_FAIL_ERRNO");

	fail_short = getenv("OCI_FAIL_SHORT") != NULL;
	fail_name = getenv("OCI_FAIL_CALL");
	fail_nth = n != NULL ? strtol(n, NULL, 10) : 0;
	if (e != NULL)
		fail_errno = (int)strtol(e, NULL, 10);
}

/* failcall_fini must run before the destructors (libgcov's among them, which
 * allocate: a failed malloc there crashed the exit of a coverage build). A
 * preloaded library's constructor runs before __libc_start_main registers
 * the dynamic linker's fini (which runs the destructors), so an atexit from
 * it would run after them (exit handlers run last registered first).
 * Registered from main's start instead, it runs first: _start calls
 * __libc_start_main through the dynamic linker, so this library's comes
 * first and hands glibc's a main that registers it, then runs the real one. */
static int (*real_main)(int, char **, char **);

static int main_with_fini(int argc, char **argv, char **envp)
{
	atexit(failcall_fini);
	return real_main(argc, argv, envp);
}

int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	int (*real)(int (*)(int, char **, char **), int, char **, void (*)(void), void (*)(void),
	            void (*)(void), void *) = dlsym(RTLD_NEXT, "__libc_start_main");

	real_main = main;
	return real(main_with_fini, argc, argv, init, fini, rtld_fini, stack_end);
}

/* 1 when this call of `name` is the one to fail (errno is set then) */
static int failing(const char *name)
{
	size_t i = 0;
	long n;

	if (__atomic_load_n(&exiting, __ATOMIC_SEQ_CST) || __atomic_load_n(&held, __ATOMIC_SEQ_CST))
		return 0;
	while (i < NNAMES && strcmp(names[i], name) != 0)
		i++;
	n = __atomic_add_fetch(&calls[i % NNAMES], 1, __ATOMIC_SEQ_CST);
	if (fail_name == NULL || strcmp(name, fail_name) != 0 || n != fail_nth)
		return 0;
	errno = fail_errno;
	short_now = fail_short; /* the caller cuts this call short instead */
	return 1;
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

/* open flags that carry a mode argument */
static int wants_mode(int flags)
{
	return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

/* the mode argument of an open that has one (0 otherwise), from `...` */
#define MODE_ARG(flags, mode)                                                                      \
	do {                                                                                       \
		if (wants_mode(flags)) {                                                           \
			va_list ap;                                                                \
                                                                                                   \
			va_start(ap, flags);                                                       \
			mode = (mode_t)va_arg(ap, int);                                            \
			va_end(ap);                                                                \
		}                                                                                  \
	} while (0)

int openat(int dfd, const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	if (failing("openat"))
		return -1;
	return REAL(openat)(dfd, path, flags, mode);
}

int __openat_2(int dfd, const char *path, int flags)
{
	if (failing("openat"))
		return -1;
	return REAL(__openat_2)(dfd, path, flags);
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	MODE_ARG(flags, mode);
	if (failing("open"))
		return -1;
	return REAL(open)(path, flags, mode);
}

#define WRAP(ret, name, params, args)                                                              \
	ret name params                                                                            \
	{                                                                                          \
		if (failing(#name))                                                                \
			return (ret)-1;                                                            \
		return REAL(name) args;                                                            \
	}

/* read and pread: with OCI_FAIL_SHORT set, the chosen call is not failed
 * but cut short, as a signal or a network file system may cut one: half the
 * bytes asked for (a call for one byte or none is left whole) */
ssize_t read(int fd, void *b, size_t n)
{
	if (failing("read") && !fail_short)
		return -1;
	if (fail_short && short_now)
		n = n > 1 ? n / 2 : n, short_now = 0;
	return REAL(read)(fd, b, n);
}

ssize_t pread(int fd, void *b, size_t n, off_t o)
{
	if (failing("pread") && !fail_short)
		return -1;
	if (fail_short && short_now)
		n = n > 1 ? n / 2 : n, short_now = 0;
	return REAL(pread)(fd, b, n, o);
}
WRAP(ssize_t, write, (int fd, const void *b, size_t n), (fd, b, n))
WRAP(ssize_t, pwrite, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o))
WRAP(int, fsync, (int fd), (fd))
WRAP(int, fdatasync, (int fd), (fd))
WRAP(int, ftruncate, (int fd, off_t n), (fd, n))
WRAP(int, mkdir, (const char *p, mode_t m), (p, m))
WRAP(int, mkdirat, (int d, const char *p, mode_t m), (d, p, m))
WRAP(int, rename, (const char *a, const char *b), (a, b))
WRAP(int, renameat, (int da, const char *a, int db, const char *b), (da, a, db, b))
WRAP(int, renameat2, (int da, const char *a, int db, const char *b, unsigned int f),
     (da, a, db, b, f))
WRAP(int, unlinkat, (int d, const char *p, int f), (d, p, f))
WRAP(int, fstat, (int fd, struct stat *st), (fd, st))
WRAP(int, fstatat, (int d, const char *p, struct stat *st, int f), (d, p, st, f))
WRAP(int, fchmodat, (int d, const char *p, mode_t m, int f), (d, p, m, f))
WRAP(int, flock, (int fd, int op), (fd, op))
WRAP(ssize_t, copy_file_range, (int a, off_t *ao, int b, off_t *bo, size_t n, unsigned int f),
     (a, ao, b, bo, n, f))

DIR *fdopendir(int fd)
{
	if (failing("fdopendir"))
		return NULL;
	return REAL(fdopendir)(fd);
}

DIR *opendir(const char *path)
{
	if (failing("opendir"))
		return NULL;
	return REAL(opendir)(path);
}

struct dirent *readdir(DIR *d)
{
	if (failing("readdir"))
		return NULL;
	return REAL(readdir)(d);
}

char *mkdtemp(char *tmpl)
{
	if (failing("mkdtemp"))
		return NULL;
	return REAL(mkdtemp)(tmpl);
}

FILE *fopen(const char *path, const char *mode)
{
	if (failing("fopen"))
		return NULL;
	return REAL(fopen)(path, mode);
}

void *mmap(void *a, size_t n, int prot, int fl, int fd, off_t off)
{
	if (failing("mmap"))
		return MAP_FAILED;
	return REAL(mmap)(a, n, prot, fl, fd, off);
}

/* the descriptor is gone either way (close(2): "the file descriptor is
 * released ... even if close returns an error") */
int close(int fd)
{
	int bad = failing("close");
	int rc = REAL(close)(fd);

	if (bad)
		errno = fail_errno;
	return bad ? -1 : rc;
}

int fclose(FILE *f)
{
	int bad = failing("fclose");
	int rc = REAL(fclose)(f);

	if (bad)
		errno = fail_errno;
	return bad ? EOF : rc;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (failing("fcntl"))
		return -1;
	return REAL(fcntl)(fd, cmd, arg);
}

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	if (failing("pthread_create"))
		return fail_errno;
	return REAL(pthread_create)(t, a, fn, arg);
}

int posix_fadvise(int fd, off_t off, off_t n, int advice)
{
	if (failing("posix_fadvise"))
		return fail_errno;
	return REAL(posix_fadvise)(fd, off, n, advice);
}

WRAP(int, stat, (const char *p, struct stat *st), (p, st))
WRAP(int, lstat, (const char *p, struct stat *st), (p, st))
WRAP(int, statx, (int d, const char *p, int f, unsigned int m, struct statx *sx), (d, p, f, m, sx))
WRAP(int, munmap, (void *a, size_t n), (a, n))
WRAP(int, fchmod, (int fd, mode_t m), (fd, m))
WRAP(int, fchownat, (int d, const char *p, uid_t u, gid_t g, int f), (d, p, u, g, f))
WRAP(ssize_t, readlink, (const char *p, char *b, size_t n), (p, b, n))
WRAP(int, unlink, (const char *p), (p))
WRAP(int, symlink, (const char *a, const char *b), (a, b))
WRAP(int, mkostemp, (char *t, int f), (t, f))
WRAP(int, statvfs, (const char *p, struct statvfs *v), (p, v))
WRAP(ssize_t, preadv2, (int fd, const struct iovec *v, int n, off_t o, int f), (fd, v, n, o, f))
WRAP(int, dup, (int fd), (fd))
WRAP(int, madvise, (void *a, size_t n, int adv), (a, n, adv))
WRAP(int, faccessat, (int d, const char *p, int m, int f), (d, p, m, f))

int execv(const char *path, char *const argv[])
{
	if (failing("execv"))
		return -1;
	failcall_fini();
	/* the program bootstrap cluster becomes runs without the shim: its
	 * calls are not the tool's */
	unsetenv("LD_PRELOAD");
	return REAL(execv)(path, argv);
}
WRAP(ssize_t, getrandom, (void *b, size_t n, unsigned int f), (b, n, f))

#ifdef FAILCALL_ALLOC
/* ---- the allocator (OCI_FAIL_CALL=malloc, calloc, realloc, strdup, ...) ----
 * The next allocator (glibc's, or the sanitizer's) is found with dlsym,
 * which may itself allocate: until it is known, calls are served from a
 * small static arena that is never freed. */
static char arena[8192];
static size_t arena_used;

static void *arena_alloc(size_t n)
{
	size_t at = (arena_used + 15) & ~(size_t)15;

	if (at + n > sizeof(arena))
		return NULL;
	arena_used = at + n;
	return arena + at;
}

static int in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + sizeof(arena);
}

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static int resolving;

static void resolve(void)
{
	if (next_free != NULL || resolving)
		return;
	resolving = 1;
	next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	resolving = 0;
}

void *malloc(size_t n)
{
	resolve();
	if (next_malloc == NULL)
		return arena_alloc(n);
	if (failing("malloc"))
		return NULL;
	return next_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	resolve();
	if (next_calloc == NULL)
		return k != 0 && n > sizeof(arena) / k ? NULL
		                                       : arena_alloc(k * n); /* zeroed: static */
	if (failing("calloc"))
		return NULL;
	return next_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	resolve();
	if (in_arena(p) || next_realloc == NULL) {
		void *q = malloc(n);

		if (q != NULL && p != NULL)
			memcpy(q, p,
			       n < sizeof(arena) - (size_t)((char *)p - arena)
			           ? n
			           : sizeof(arena) - (size_t)((char *)p - arena));
		return q;
	}
	if (failing("realloc"))
		return NULL;
	return next_realloc(p, n);
}

void free(void *p)
{
	if (p == NULL || in_arena(p))
		return;
	resolve();
	if (next_free != NULL)
		next_free(p);
}
#endif
