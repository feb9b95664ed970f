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

#include "raftstate/crc32.h"
#include "raftstate/filecopy.h"

/*
 * The byte copy. The caller keeps the source from changing (a backup holds
 * LOCK_SH on a database, which a bbolt writer's LOCK_EX excludes). A large
 * file is done in two halves on two threads, chunk by chunk at the same
 * offsets on both sides:
 *
 *   1. copy_file_range moves the chunk in the kernel (no copy through user
 *      memory; XFS and btrfs may share the extents instead); where it
 *      cannot (the copy on another file system, a file system or kernel
 *      without it, a write-only copy) the chunk is read and written with
 *      pread and pwrite instead, and so is every chunk after it;
 *   2. the crc32 is taken of the chunk as the copy holds it, read back
 *      while it is still in the page cache (the rw path takes it of the
 *      buffer it writes), and the halves are joined with crc32_combine;
 *   3. the chunk's write-back is started at once (sync_file_range), so the
 *      caller's fsync has little left to wait for.
 *
 * Reads are positional and bounded by the size the caller gives: a file
 * that shrinks anyway is an error, never a SIGBUS.
 */
#define PCOPY_CHUNK    ((size_t)8 << 20)
#define PCOPY_PARALLEL ((uint64_t)64 << 20) /* two threads from this size */
#define PCOPY_PROGRESS ((uint64_t)64 << 20) /* progress calls this often */

struct pcopy {
	int in, out;
	const char *name;
	uint64_t size;
	atomic_uint_fast64_t done; /* bytes copied by all parts */
	atomic_int failed;
	atomic_int in_kernel; /* copy_file_range still works for this pair */
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

int rs_pread_full(int fd, uint8_t *buf, size_t n, uint64_t off)
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

static int pwrite_full(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	size_t put = 0;

	while (put < n) {
		ssize_t w = pwrite(fd, buf + put, n - put, (off_t)(off + put));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
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

/* errnos that mean "copy_file_range cannot do this pair", not "I/O failed" */
static int cfr_unsupported(int e)
{
	return e == EXDEV || e == ENOSYS || e == EINVAL || e == EOPNOTSUPP || e == EBADF;
}

/*
 * Chunk [off, off+n) in the kernel, then its crc32 read back from the copy.
 * Returns 0, 1 when the source ended early, -1 with errno on an I/O error,
 * or -2 when the kernel path does not apply to this pair (nothing is lost:
 * the caller redoes the chunk with pread and pwrite).
 */
static int chunk_in_kernel(struct pcopy *pc, uint8_t *buf, size_t n, uint64_t off, uint32_t *crc)
{
	loff_t in_off = (loff_t)off, out_off = (loff_t)off;
	size_t left = n;

	while (left > 0) {
		ssize_t r = copy_file_range(pc->in, &in_off, pc->out, &out_off, left, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cfr_unsupported(errno) ? -2 : -1;
		if (r == 0)
			return 1;
		left -= (size_t)r;
	}
	switch (rs_pread_full(pc->out, buf, n, off)) {
	case 0:
		*crc = rs_crc32(*crc, buf, n);
		return 0;
	case 1: /* our own copy shorter than what we wrote: not ours to judge */
		errno = EIO;
		return -1;
	default:
		return errno == EBADF ? -2 : -1; /* a write-only descriptor */
	}
}

static void *copy_part(void *arg)
{
	struct part *pt = arg;
	struct pcopy *pc = pt->pc;
	/* a chunk, or less for a small part that is not empty */
	uint8_t *buf = malloc(pt->end - pt->start < PCOPY_CHUNK && pt->end > pt->start
	                          ? (size_t)(pt->end - pt->start)
	                          : PCOPY_CHUNK);
	uint64_t off = pt->start, next_report = PCOPY_PROGRESS;
	int r;

	pt->crc = 0;
	if (buf == NULL) {
		pt->rc = rs_errf(&pt->err, RS_ENOMEM, "out of memory");
		goto out;
	}
	while (off < pt->end && !atomic_load(&pc->failed)) {
		size_t n = pt->end - off < PCOPY_CHUNK ? (size_t)(pt->end - off) : PCOPY_CHUNK;
		uint64_t done;

		if (pc->out < 0) { /* only the checksum */
			if ((r = rs_pread_full(pc->in, buf, n, off)) == 0)
				pt->crc = rs_crc32(pt->crc, buf, n);
		} else if ((r = atomic_load(&pc->in_kernel)
		                    ? chunk_in_kernel(pc, buf, n, off, &pt->crc)
		                    : -2) == -2) {
			atomic_store(&pc->in_kernel, 0);
			if ((r = rs_pread_full(pc->in, buf, n, off)) == 0) {
				pt->crc = rs_crc32(pt->crc, buf, n);
				if (pwrite_full(pc->out, buf, n, off) != 0) {
					pt->rc = rs_syserr(&pt->err, "cannot write the copy of",
					                   pc->name);
					break;
				}
			}
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
	atomic_init(&pc.in_kernel, 1);
	if (size >= PCOPY_PARALLEL) {
		/* split on a 1 MiB boundary; the second half goes to a thread */
		parts[0].end = (size / 2) & ~(uint64_t)((1u << 20) - 1);
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
