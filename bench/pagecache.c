/* pagecache — put a file's page-cache state where the benchmark wants it, and
 * say what it is (bench/bench.sh; method: docs/testing.md, "Benchmark").
 *
 *   pagecache drop FILE...    write back, then posix_fadvise(POSIX_FADV_DONTNEED)
 *                             every page of each FILE (the cold state)
 *   pagecache warm4k FILE...  read each FILE 4 KB at a time into the cache, as
 *                             order-0 folios (the state bbolt's own mmap leaves:
 *                             it maps with MADV_RANDOM, so each fault reads one page)
 *   pagecache stat FILE...    one line per FILE: resident pages and how many of
 *                             them sit in large folios
 *   pagecache randread FILE N SIZE
 *                             N reads of SIZE bytes at N offsets spread evenly
 *                             over FILE (page-aligned), every one asked of the
 *                             device at once (POSIX_FADV_WILLNEED) before they
 *                             are read: the floor of N scattered reads on this
 *                             device, to set beside a cold `raft info`
 *   pagecache warmread FILE N SIZE
 *                             N preads of SIZE bytes (at most 4 KB) at the
 *                             start of N pages spread evenly over FILE, on
 *                             two threads, no hints: with FILE cached, the
 *                             least any reader that must look at N distinct
 *                             pages pays through read(2), to set beside a
 *                             warm `raft info`
 *
 * warm4k first drops the file (a page already cached keeps its folio), then
 * marks the descriptor POSIX_FADV_RANDOM (the kernel then sets FMODE_RANDOM:
 * no readahead window, a miss reads exactly the pages asked for, and that path,
 * force_page_cache_ra -> page_cache_ra_unbounded, allocates folios of the
 * mapping's minimum order, 0 on ext4 with 4 KB blocks) and preads 4 KB at each
 * page in turn. `cat` instead reads through the readahead window, which
 * (page_cache_ra_order) allocates large folios where the filesystem allows
 * them. `stat` checks the result instead of trusting this paragraph: it maps
 * the file, asks mincore(2) which pages are resident, touches only those
 * (MADV_RANDOM, so no read happens), looks up each one's page frame in
 * /proc/self/pagemap and its flags in /proc/kpageflags (root only), and counts
 * the pages that belong to a compound page (KPF_COMPOUND_HEAD/TAIL: a large
 * folio). Without root it prints the residency only.
 *
 * Exit 0, or 1 with one line on stderr. Standard C and Linux calls only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG                4096u
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16

static int fail(const char *what, const char *file)
{
	fprintf(stderr, "pagecache: %s %s: %s\n", what, file, strerror(errno));
	return 1;
}

static int drop_fd(int fd, const char *file)
{
	if (fdatasync(fd) != 0 && errno != EINVAL)
		return fail("fdatasync", file);
	int e = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (e != 0) {
		errno = e;
		return fail("posix_fadvise(DONTNEED)", file);
	}
	return 0;
}

static int drop(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("cannot open", file);
	int rc = drop_fd(fd, file);
	close(fd);
	return rc;
}

static int warm4k(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("cannot open", file);
	struct stat st;
	int rc = 1;
	static char buf[PG];
	if (fstat(fd, &st) != 0) {
		fail("fstat", file);
		goto out;
	}
	if (drop_fd(fd, file) != 0)
		goto out;
	int e = posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	if (e != 0) {
		errno = e;
		fail("posix_fadvise(RANDOM)", file);
		goto out;
	}
	/* POSIX_FADV_WILLNEED starts the reads of a 2 MiB stretch ahead without
	 * waiting for them; with FMODE_RANDOM set it too goes through
	 * force_page_cache_ra (order-0 folios). The preads then find the pages. */
	for (off_t off = 0; off < st.st_size; off += PG) {
		if (off % (2 << 20) == 0)
			(void)posix_fadvise(fd, off, 2 << 20, POSIX_FADV_WILLNEED);
		ssize_t n = pread(fd, buf, PG, off);
		if (n < 0) {
			fail("pread", file);
			goto out;
		}
		if (n == 0)
			break; /* truncated under us: what is there is warm */
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int stat_file(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("cannot open", file);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return fail("fstat", file);
	}
	size_t npages = ((size_t)st.st_size + PG - 1) / PG;
	if (npages == 0) {
		printf("%s: 0 pages\n", file);
		close(fd);
		return 0;
	}
	unsigned char *p = mmap(NULL, npages * PG, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return fail("mmap", file);
	unsigned char *vec = malloc(npages);
	if (!vec || mincore(p, npages * PG, vec) != 0 ||
	    madvise(p, npages * PG, MADV_RANDOM) != 0) {
		int rc = fail("mincore/madvise", file);
		free(vec);
		munmap(p, npages * PG);
		return rc;
	}
	size_t resident = 0, checked = 0, large = 0;
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	volatile unsigned char sink = 0;
	for (size_t i = 0; i < npages; i++) {
		if (!(vec[i] & 1))
			continue;
		resident++;
		if (pm < 0 || kf < 0)
			continue;
		sink ^= p[i * PG]; /* resident: maps it without a read */
		uint64_t ent = 0, fl = 0;
		off_t o = (off_t)(((uintptr_t)p / PG + i) * sizeof ent);
		if (pread(pm, &ent, sizeof ent, o) != (ssize_t)sizeof ent || !(ent >> 63))
			continue;
		uint64_t pfn = ent & ((UINT64_C(1) << 55) - 1);
		if (pfn == 0 ||
		    pread(kf, &fl, sizeof fl, (off_t)(pfn * sizeof fl)) != (ssize_t)sizeof fl)
			continue; /* PFNs hidden (not root) */
		checked++;
		if (fl & ((UINT64_C(1) << KPF_COMPOUND_HEAD) | (UINT64_C(1) << KPF_COMPOUND_TAIL)))
			large++;
	}
	(void)sink;
	printf("%s: %zu of %zu pages resident (%.1f %%)", file, resident, npages,
	       100.0 * resident / npages);
	if (checked)
		printf(", %.1f %% of %zu checked in large folios\n", 100.0 * large / checked,
		       checked);
	else if (resident == 0)
		printf("\n");
	else
		printf(", folio sizes not readable (needs root: /proc/kpageflags)\n");
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	free(vec);
	munmap(p, npages * PG);
	return 0;
}

static int randread(const char *file, long n, long size)
{
	int fd = open(file, O_RDONLY);
	struct stat st;
	char *buf;

	if (fd < 0)
		return fail("open", file);
	if (fstat(fd, &st) != 0 || (buf = malloc((size_t)size)) == NULL) {
		close(fd);
		return fail("fstat/malloc", file);
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
	for (int pass = 0; pass < 2; pass++)
		for (long i = 0; i < n; i++) {
			off_t off = (off_t)((st.st_size / n) * i) & ~(off_t)(PG - 1);

			if (pass == 0)
				(void)posix_fadvise(fd, off, size, POSIX_FADV_WILLNEED);
			else if (pread(fd, buf, (size_t)size, off) < 0) {
				free(buf);
				close(fd);
				return fail("pread", file);
			}
		}
	free(buf);
	close(fd);
	return 0;
}

/* warmread: N preads of SIZE bytes, each at the start of one of N pages
 * spread evenly over the file, on two threads (each half of them), no
 * hints: with the file cached, the least a reader that must look at N
 * distinct pages pays for it through read(2) */
struct warm_part {
	int fd;
	off_t size, step;
	long from, to, len;
	int rc;
};

static void *warm_part(void *arg)
{
	struct warm_part *w = arg;
	char *buf = malloc((size_t)w->len);

	w->rc = buf == NULL;
	for (long i = w->from; buf != NULL && i < w->to; i++)
		if (pread(w->fd, buf, (size_t)w->len, (off_t)(w->step * i) & ~(off_t)(PG - 1)) < 0)
			w->rc = 1;
	free(buf);
	return NULL;
}

static int warmread(const char *file, long n, long size)
{
	int fd = open(file, O_RDONLY);
	struct stat st;
	struct warm_part w[2];
	pthread_t t;
	int started;

	if (fd < 0)
		return fail("open", file);
	if (fstat(fd, &st) != 0) {
		close(fd);
		return fail("fstat", file);
	}
	for (int i = 0; i < 2; i++)
		w[i] = (struct warm_part){fd, st.st_size, st.st_size / n, i * (n / 2), i ? n : n / 2,
		                          size, 0};
	started = pthread_create(&t, NULL, warm_part, &w[1]) == 0;
	warm_part(&w[0]);
	if (started)
		pthread_join(t, NULL);
	else
		warm_part(&w[1]);
	close(fd);
	return w[0].rc || w[1].rc ? fail("pread", file) : 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "warmread") == 0) {
		long n = strtol(argv[3], NULL, 10), size = strtol(argv[4], NULL, 10);

		if (n <= 1 || size <= 0 || size > PG) {
			fprintf(stderr, "pagecache: warmread wants a count (2 or more) and a size (1 B to 4 KiB)\n");
			return 2;
		}
		return warmread(argv[2], n, size);
	}
	if (argc == 5 && strcmp(argv[1], "randread") == 0) {
		long n = strtol(argv[3], NULL, 10), size = strtol(argv[4], NULL, 10);

		if (n <= 0 || size <= 0 || size > (1L << 24)) {
			fprintf(stderr, "pagecache: randread wants a count and a size (1 B to 16 MiB)\n");
			return 2;
		}
		return randread(argv[2], n, size);
	}
	if (argc < 3) {
		fprintf(stderr, "usage: pagecache drop|warm4k|stat FILE... | randread|warmread FILE N SIZE\n");
		return 2;
	}
	int (*op)(const char *) = NULL;
	if (strcmp(argv[1], "drop") == 0)
		op = drop;
	else if (strcmp(argv[1], "warm4k") == 0)
		op = warm4k;
	else if (strcmp(argv[1], "stat") == 0)
		op = stat_file;
	else {
		fprintf(stderr, "pagecache: unknown command '%s' (drop, warm4k or stat)\n",
		        argv[1]);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (op(argv[i]) != 0)
			return 1;
	return 0;
}
