/*
 * A chunked copy of a file's bytes (or only their crc32): what backups and
 * restores move. Nothing here knows the files' format (this was the locked
 * copy of bolt/copy.c; bolt/ keeps only what needs the bbolt format).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include <zlib.h>

#include "bolt/file.h"
#include "raftstate/crc32.h"
#include "raftstate/filecopy.h"

/*
 * The byte copy. The caller keeps the source from changing (a backup holds
 * LOCK_SH on a database, which a bbolt writer's LOCK_EX excludes). The file
 * is done chunk by chunk at the same offsets on both sides, on one thread:
 *
 *   1. each piece of a chunk (PCOPY_IO: it stays in the CPU's cache) is
 *      read with pread into our own buffer, its crc32 taken of that buffer,
 *      and the same buffer written with pwrite: the checksum is of the
 *      bytes actually written, and each byte is read from memory once;
 *   2. the chunk's write-back is started at once (sync_file_range), so the
 *      disk writes while the next chunks are copied and the caller's fsync
 *      has little left to wait for.
 *
 * Why one thread: the copy goes at the disk's pace, and two threads writing
 * one file contend for its inode lock (ext4_buffered_write_iter's rwsem);
 * with the other core busy (a loaded node) the two-thread copy of 1 GiB took
 * 600-770 ms where one thread took 400-500 ms (on an idle machine: 310-330
 * against 330-360 ms), and one thread leaves a core to the node's other
 * processes. Only reading for the crc32 (no copy) is done in two halves on
 * two threads, joined with crc32_combine.
 *
 * Why not copy_file_range: it copied in the kernel, but the crc32 then had
 * to read every chunk back from the copy, a second pass over memory; on
 * ext4 (bench/RESULTS.md, "backup at durable-copy speed") the copy with its
 * write-back took ~500 ms for 1 GiB where this takes ~320 ms, the disk's
 * own pace. It also let XFS and btrfs share the source's extents, which
 * made a backup on the same disk no second copy of a single block.
 *
 * Reads are positional and bounded by the size the caller gives: a file
 * that shrinks anyway is an error, never a SIGBUS.
 */
#define PCOPY_CHUNK    ((size_t)8 << 20)    /* write-back started per chunk */
#define PCOPY_IO       ((size_t)1 << 20)    /* one pread, crc32 and pwrite */
#define PCOPY_PARALLEL ((uint64_t)64 << 20) /* two threads from this size (only reading) */
#define PCOPY_PROGRESS ((uint64_t)64 << 20) /* progress calls this often */

struct pcopy {
	int in, out;
	const char *name;
	uint64_t size;
	atomic_uint_fast64_t done; /* bytes copied by all parts */
	atomic_int failed;
	rs_copy_progress_fn progress;
	void *progress_ctx;
};

struct part {
	struct pcopy *pc;
	uint64_t start, end;
	uint32_t crc;
	struct rs_err err;
	int rc;
	int reports; /* the calling thread's part reports progress */
};

static int pwrite_full(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	size_t put = 0;

	while (put < n) {
		ssize_t w = pwrite(fd, buf + put, n - put, (off_t)(off + put));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0) /* no progress: never loop on it */
				errno = EIO;
			return -1;
		}
		put += (size_t)w;
	}
	return 0;
}

int rs_write_all(int fd, const void *buf, size_t len, const char *path, struct rs_err *err)
{
	const unsigned char *p = buf;
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, p + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return rs_syserr(err, "cannot write", path);
		off += (size_t)w;
	}
	return RS_OK;
}

/*
 * Chunk [off, off+n): each piece read into buf (PCOPY_IO bytes), added to
 * *crc, and written from buf to the same offset of the copy (none when
 * pc->out < 0). Returns 0, 1 when the source ended early, -1 with errno
 * when a read failed, -2 with errno when a write failed.
 */
static int copy_chunk(const struct pcopy *pc, uint8_t *buf, size_t n, uint64_t off, uint32_t *crc)
{
	for (size_t done = 0; done < n;) {
		size_t m = n - done < PCOPY_IO ? n - done : PCOPY_IO;
		int r = bolt_pread_full(pc->in, buf, m, off + done);

		if (r != 0)
			return r;
		*crc = rs_crc32(*crc, buf, m);
		if (pc->out >= 0 && pwrite_full(pc->out, buf, m, off + done) != 0)
			return -2;
		done += m;
	}
	return 0;
}

static void *copy_part(void *arg)
{
	struct part *pt = arg;
	struct pcopy *pc = pt->pc;
	/* a piece, or less for a small part that is not empty */
	uint8_t *buf = malloc(pt->end - pt->start < PCOPY_IO && pt->end > pt->start
	                          ? (size_t)(pt->end - pt->start)
	                          : PCOPY_IO);
	uint64_t off = pt->start, next_report = PCOPY_PROGRESS;

	pt->crc = 0;
	if (buf == NULL) {
		pt->rc = rs_errf(&pt->err, RS_ENOMEM, "out of memory");
		goto out;
	}
	while (off < pt->end && !atomic_load(&pc->failed)) {
		size_t n = pt->end - off < PCOPY_CHUNK ? (size_t)(pt->end - off) : PCOPY_CHUNK;
		uint64_t done;
		int r = copy_chunk(pc, buf, n, off, &pt->crc);

		if (r == -2) {
			pt->rc = rs_syserr(&pt->err, "cannot write the copy of", pc->name);
			break;
		}
		if (r != 0) {
			pt->rc =
			    r < 0 ? rs_syserr(&pt->err, pc->out < 0 ? "cannot read" : "cannot copy",
			                      pc->name)
			          : rs_errf(&pt->err, RS_EIO, "%s shrank while it was %s", pc->name,
			                    pc->out < 0 ? "read" : "copied");
			break;
		}
		/* only a hint: fsync, later, is what makes the copy durable */
		if (pc->out >= 0)
			(void)sync_file_range(pc->out, (off_t)off, (off_t)n, SYNC_FILE_RANGE_WRITE);
		off += n;
		done = atomic_fetch_add(&pc->done, n) + n;
		if (pt->reports && pc->progress != NULL && done >= next_report) {
			pc->progress(pc->progress_ctx, done, pc->size);
			next_report = done + PCOPY_PROGRESS;
		}
	}
	if (pt->rc != RS_OK)
		atomic_store(&pc->failed, 1);
out:
	free(buf);
	return NULL;
}

/* Where a file of `size` bytes is split in two halves for two threads (on
 * a 1 MiB boundary), or 0 when it is done on one. */
static uint64_t half_point(uint64_t size)
{
	return size >= PCOPY_PARALLEL ? (size / 2) & ~(uint64_t)((1u << 20) - 1) : 0;
}

int rs_copy_range(int in_fd, int out_fd, uint64_t size, const char *name,
                  rs_copy_progress_fn progress, void *progress_ctx, uint32_t *crc,
                  struct rs_err *err)
{
	struct pcopy pc = {.in = in_fd,
	                   .out = out_fd,
	                   .name = name,
	                   .size = size,
	                   .progress = progress,
	                   .progress_ctx = progress_ctx};
	struct part parts[2] = {{.pc = &pc, .reports = 1, .end = size}, {.pc = &pc}};
	pthread_t helper;
	int threaded = 0;

	atomic_init(&pc.done, 0);
	atomic_init(&pc.failed, 0);
	if (out_fd < 0 && half_point(size) > 0) { /* the second half goes to a thread */
		parts[0].end = half_point(size);
		parts[1].start = parts[0].end;
		parts[1].end = size;
		threaded = pthread_create(&helper, NULL, copy_part, &parts[1]) == 0;
		if (!threaded)
			parts[0].end = size;
	}
	copy_part(&parts[0]);
	if (threaded)
		(void)pthread_join(helper, NULL);
	for (int i = 0; i < 2; i++)
		if (parts[i].rc != RS_OK) {
			*err = parts[i].err;
			return parts[i].rc;
		}
	if (progress != NULL)
		progress(progress_ctx, size, size);
	*crc = (uint32_t)(threaded ? crc32_combine(parts[0].crc, parts[1].crc,
	                                           (z_off_t)(parts[1].end - parts[1].start))
	                           : parts[0].crc);
	return RS_OK;
}

/* bytes [start, end) of a file, dropped from the page cache */
struct drop {
	int fd;
	uint64_t start, end;
};

static void *drop_part(void *arg)
{
	const struct drop *d = arg;

	(void)posix_fadvise(d->fd, (off_t)d->start, (off_t)(d->end - d->start),
	                    POSIX_FADV_DONTNEED);
	return NULL;
}

void rs_drop_cached(int fd, uint64_t size)
{
	struct drop parts[2] = {{fd, 0, size}, {fd, half_point(size), size}};
	pthread_t helper;
	int threaded = 0;

	if (parts[1].start > 0 && pthread_create(&helper, NULL, drop_part, &parts[1]) == 0) {
		threaded = 1;
		parts[0].end = parts[1].start;
	}
	drop_part(&parts[0]);
	if (threaded)
		(void)pthread_join(helper, NULL);
}
