/*
 * Consistent copies of a bbolt file: a locked byte copy, or a lock-free
 * compact copy of the tree of one transaction. See copy.h for the layout
 * of a compact copy and why the lock-free copy is consistent.
 *
 * What it trusts in the source: nothing. Every page id is checked against
 * the high-water mark of the meta the copy follows (bolt_view_page), every
 * element against its page span (bolt_page_elem), and a page reached twice
 * stops the copy, so a damaged or torn read can neither crash nor loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "bolt/copy.h"
#include "bolt/lock.h"
#include "bolt/meta.h"
#include "bolt/view.h"

#define OUT_FLUSH        (4u << 20)
#define DEFAULT_ATTEMPTS 500u
#define MIN_FILE_SIZE    32768u /* bbolt's smallest mapping: what it writes */

/* The metas of the copy, for the caller's manifest. */
static void read_metas(int fd, uint64_t size, struct bolt_copy_info *info)
{
	size_t len = size < 2u * BOLT_MAX_PAGE_SIZE ? (size_t)size : 2u * BOLT_MAX_PAGE_SIZE;
	uint8_t *buf = malloc(len);
	struct bolt_meta m[2];
	int st[2], active;

	if (buf == NULL)
		return;
	if (pread(fd, buf, len, 0) == (ssize_t)len &&
	    (active = bolt_meta_pick(buf, len, m, st)) >= 0) {
		info->txid = m[active].txid;
		info->pages = m[active].pgid;
		info->page_size = m[active].page_size;
	}
	free(buf);
}

/*
 * The locked byte copy. The source cannot change while we hold LOCK_SH (a
 * bbolt writer needs LOCK_EX). A large file is done in two halves on two
 * threads, chunk by chunk at the same offsets on both sides:
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
 * Reads are positional and bounded by the size seen under the lock: a file
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
	bolt_copy_progress_fn progress;
	void *progress_ctx;
};

struct part {
	struct pcopy *pc;
	uint64_t start, end;
	uLong crc;
	struct bolt_err err;
	int rc;
	int reports; /* the calling thread's part reports progress */
};

/* pread of exactly n bytes: 0, 1 at end of file, -1 with errno */
static int pread_full(int fd, uint8_t *buf, size_t n, uint64_t off)
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
static int chunk_in_kernel(struct pcopy *pc, uint8_t *buf, size_t n, uint64_t off, uLong *crc)
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
	switch (pread_full(pc->out, buf, n, off)) {
	case 0:
		*crc = crc32(*crc, buf, (uInt)n);
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

	pt->crc = crc32(0L, Z_NULL, 0);
	if (buf == NULL) {
		pt->rc = bolt_errf(&pt->err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
		goto out;
	}
	while (off < pt->end && !atomic_load(&pc->failed)) {
		size_t n = pt->end - off < PCOPY_CHUNK ? (size_t)(pt->end - off) : PCOPY_CHUNK;
		uint64_t done;

		if (pc->out < 0) { /* only the checksum */
			if ((r = pread_full(pc->in, buf, n, off)) == 0)
				pt->crc = crc32(pt->crc, buf, (uInt)n);
		} else if ((r = atomic_load(&pc->in_kernel)
		                    ? chunk_in_kernel(pc, buf, n, off, &pt->crc)
		                    : -2) == -2) {
			atomic_store(&pc->in_kernel, 0);
			if ((r = pread_full(pc->in, buf, n, off)) == 0) {
				pt->crc = crc32(pt->crc, buf, (uInt)n);
				if (pwrite_full(pc->out, buf, n, off) != 0) {
					pt->rc = bolt_syserr(
					    &pt->err, "cannot write the copy of %s", pc->name);
					break;
				}
			}
		}
		if (r != 0) {
			pt->rc =
			    r < 0 ? bolt_syserr(&pt->err,
			                        pc->out < 0 ? "cannot read %s" : "cannot copy %s",
			                        pc->name)
			          : bolt_errf(&pt->err, BOLT_EIO, BOLT_NO_PGID,
			                      "%s shrank while it was %s", pc->name,
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
	if (pt->rc != BOLT_OK)
		atomic_store(&pc->failed, 1);
out:
	free(buf);
	return NULL;
}

int bolt_copy_range(int in_fd, int out_fd, uint64_t size, const char *name,
                    bolt_copy_progress_fn progress, void *progress_ctx, uint32_t *crc,
                    struct bolt_err *err)
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
		if (parts[i].rc != BOLT_OK) {
			*err = parts[i].err;
			return parts[i].rc;
		}
	if (progress != NULL)
		progress(progress_ctx, size, size);
	*crc = (uint32_t)(threaded ? crc32_combine(parts[0].crc, parts[1].crc,
	                                           (z_off_t)(parts[1].end - parts[1].start))
	                           : parts[0].crc);
	return BOLT_OK;
}

static int copy_locked(int src_fd, const char *src, int dst_fd, const struct bolt_copy_opts *opt,
                       struct bolt_copy_info *info, struct bolt_err *err)
{
	struct stat st;
	int rc;

	if (fstat(src_fd, &st) != 0)
		return bolt_syserr(err, "cannot stat %s", src);
	rc = bolt_copy_range(src_fd, dst_fd, (uint64_t)st.st_size, src, opt->progress,
	                     opt->progress_ctx, &info->crc32, err);
	if (rc != BOLT_OK)
		return rc;
	info->has_crc = 1;
	info->size = (uint64_t)st.st_size;
	info->live = 0;
	read_metas(src_fd, info->size, info);
	return BOLT_OK;
}

/* ---- the compact copy of one transaction's tree ------------------------ */

struct qitem {
	bolt_pgid old_id, new_id;
	const uint8_t *page;
	size_t span;
};

struct compact {
	const struct bolt_view *v;
	int fd;
	uint8_t *seen; /* one bit per page below the high-water mark */
	struct qitem *q;
	size_t nq, capq;
	bolt_pgid next; /* next free id in the copy */
	uint8_t *buf;   /* pages not yet written, starting at page buf_id */
	size_t buf_len, buf_cap;
	bolt_pgid buf_id;
};

static int c_flush(struct compact *c, struct bolt_err *err)
{
	size_t off = 0;

	while (off < c->buf_len) {
		ssize_t w = pwrite(c->fd, c->buf + off, c->buf_len - off,
		                   (off_t)(c->buf_id * c->v->page_size + off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return bolt_syserr(err, "cannot write the copy of %s", c->v->name);
		off += (size_t)w;
	}
	c->buf_id += c->buf_len / c->v->page_size;
	c->buf_len = 0;
	return BOLT_OK;
}

/* Gives old_id (reached from `from`) its place in the copy. */
static int c_enqueue(struct compact *c, bolt_pgid old_id, bolt_pgid from, bolt_pgid *new_id,
                     struct bolt_err *err)
{
	const struct bolt_view *v = c->v;
	const uint8_t *page;
	size_t span;
	uint64_t n;
	int rc;

	if (old_id < 2 || old_id >= v->meta.pgid)
		return bolt_errf(err, BOLT_ECORRUPT, from,
		                 "%s: page %llu refers to page %llu, outside 2..%llu", v->name,
		                 (unsigned long long)from, (unsigned long long)old_id,
		                 (unsigned long long)(v->meta.pgid - 1));
	if ((rc = bolt_view_page(v, old_id, &page, &span, err)) != BOLT_OK)
		return rc;
	n = span / v->page_size;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t id = old_id + i;

		if (c->seen[id / 8] & (1u << (id % 8)))
			return bolt_errf(err, BOLT_ECORRUPT, old_id,
			                 "%s: page %llu is reachable twice", v->name,
			                 (unsigned long long)id);
		c->seen[id / 8] |= (uint8_t)(1u << (id % 8));
	}
	if (c->nq == c->capq) {
		size_t cap = c->capq ? c->capq * 2 : 256;
		struct qitem *q = reallocarray(c->q, cap, sizeof(*q));

		if (q == NULL)
			return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
		c->q = q;
		c->capq = cap;
	}
	c->q[c->nq++] = (struct qitem){old_id, c->next, page, span};
	*new_id = c->next;
	c->next += n;
	return BOLT_OK;
}

static int c_reserve(struct compact *c, size_t more, struct bolt_err *err)
{
	size_t cap = c->buf_cap;
	uint8_t *b;

	if (c->buf_len + more <= c->buf_cap)
		return BOLT_OK;
	while (cap < c->buf_len + more)
		cap = cap ? cap * 2 : OUT_FLUSH * 2;
	b = realloc(c->buf, cap);
	if (b == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	c->buf = b;
	c->buf_cap = cap;
	return BOLT_OK;
}

/* Rewrites the references of one copied page image `p` (span bytes). */
static int c_patch(struct compact *c, const struct qitem *it, uint8_t *p, struct bolt_err *err)
{
	uint16_t flags = bolt_page_flags(p), count = bolt_page_count(p);
	int is_leaf = (flags & BOLT_PAGE_LEAF) != 0;
	struct bolt_elem e;
	bolt_pgid nid;
	int rc;

	if (bolt_page_id(it->page) != it->old_id)
		return bolt_errf(err, BOLT_ECORRUPT, it->old_id,
		                 "%s: page %llu says it is page %llu", c->v->name,
		                 (unsigned long long)it->old_id,
		                 (unsigned long long)bolt_page_id(it->page));
	if (flags != BOLT_PAGE_LEAF && flags != BOLT_PAGE_BRANCH)
		return bolt_errf(err, BOLT_ECORRUPT, it->old_id,
		                 "%s: page %llu in the tree is a %s page", c->v->name,
		                 (unsigned long long)it->old_id, bolt_page_type_name(flags));
	bolt_put64(p, it->new_id);
	for (uint32_t i = 0; i < count; i++) {
		if (bolt_page_elem(p, it->span, is_leaf, i, &e) != 0)
			return bolt_errf(err, BOLT_ECORRUPT, it->old_id,
			                 "%s: page %llu element %u lies outside the page",
			                 c->v->name, (unsigned long long)it->old_id, i);
		if (!is_leaf) {
			if ((rc = c_enqueue(c, e.pgid, it->old_id, &nid, err)) != BOLT_OK)
				return rc;
			bolt_put64(
			    p + BOLT_PAGE_HEADER_SIZE + (size_t)i * BOLT_BRANCH_ELEM_SIZE + 8, nid);
			continue;
		}
		if (!(e.flags & BOLT_BUCKET_LEAF_FLAG))
			continue;
		if (e.vlen < BOLT_BUCKET_HEADER_SIZE)
			return bolt_errf(err, BOLT_ECORRUPT, it->old_id,
			                 "%s: page %llu element %u: bucket value too short",
			                 c->v->name, (unsigned long long)it->old_id, i);
		if (bolt_le64(e.value) != 0) {
			if ((rc = c_enqueue(c, bolt_le64(e.value), it->old_id, &nid, err)) !=
			    BOLT_OK)
				return rc;
			bolt_put64((uint8_t *)e.value, nid);
			continue;
		}
		/* An inline bucket is copied as is: bbolt inlines only buckets
		 * without nested buckets, so it holds no page reference. */
		const uint8_t *ip = e.value + BOLT_BUCKET_HEADER_SIZE;
		size_t ilen = e.vlen - BOLT_BUCKET_HEADER_SIZE;
		struct bolt_elem ie;

		if (ilen < BOLT_PAGE_HEADER_SIZE)
			return bolt_errf(err, BOLT_ECORRUPT, it->old_id,
			                 "%s: page %llu element %u: inline bucket too short",
			                 c->v->name, (unsigned long long)it->old_id, i);
		for (uint32_t j = 0; j < bolt_page_count(ip); j++) {
			if (bolt_page_elem(ip, ilen, 1, j, &ie) != 0)
				return bolt_errf(err, BOLT_ECORRUPT, it->old_id,
				                 "%s: page %llu: inline bucket element %u lies "
				                 "outside it",
				                 c->v->name, (unsigned long long)it->old_id, j);
			if (ie.flags & BOLT_BUCKET_LEAF_FLAG)
				return bolt_errf(err, BOLT_ECORRUPT, it->old_id,
				                 "%s: page %llu: nested bucket inside an inline "
				                 "bucket",
				                 c->v->name, (unsigned long long)it->old_id);
		}
	}
	return BOLT_OK;
}

static int c_write_metas(struct compact *c, bolt_pgid root, bolt_pgid freelist,
                         struct bolt_err *err)
{
	uint32_t ps = c->v->page_size;
	uint8_t *pages = calloc(2, ps);
	struct bolt_meta m = c->v->meta;
	uint64_t t = m.txid;
	int rc = BOLT_OK;

	if (pages == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	m.root = root;
	m.freelist = freelist;
	m.pgid = freelist + 1;
	m.txid = t;
	bolt_meta_encode(&m, pages + (t % 2) * ps);
	/* the fallback meta: the same tree, one transaction older */
	m.txid = t > 0 ? t - 1 : 0;
	bolt_meta_encode(&m, pages + ((t + 1) % 2) * ps);
	bolt_put64(pages + ((t + 1) % 2) * ps, (t + 1) % 2);
	if (pwrite(c->fd, pages, 2u * ps, 0) != (ssize_t)(2u * ps))
		rc = bolt_syserr(err, "cannot write the copy of %s", c->v->name);
	free(pages);
	return rc;
}

static int compact_copy(const struct bolt_view *v, int fd, struct bolt_copy_info *info,
                        struct bolt_err *err)
{
	struct compact c = {.v = v, .fd = fd, .next = 2, .buf_id = 2};
	uint32_t ps = v->page_size;
	bolt_pgid root, freelist;
	uint64_t size;
	int rc;

	c.seen = calloc((size_t)(v->meta.pgid / 8 + 1), 1);
	if (c.seen == NULL) {
		rc = bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
		goto out;
	}
	if ((rc = c_enqueue(&c, v->meta.root, 0, &root, err)) != BOLT_OK)
		goto out;
	for (size_t i = 0; i < c.nq; i++) {
		struct qitem it = c.q[i];
		uint8_t *p;

		if (c.buf_len >= OUT_FLUSH && (rc = c_flush(&c, err)) != BOLT_OK)
			goto out;
		if ((rc = c_reserve(&c, it.span, err)) != BOLT_OK)
			goto out;
		p = c.buf + c.buf_len;
		memcpy(p, it.page, it.span);
		c.buf_len += it.span;
		if ((rc = c_patch(&c, &it, p, err)) != BOLT_OK)
			goto out;
	}
	/* an empty freelist page closes the copy */
	freelist = c.next++;
	if ((rc = c_reserve(&c, ps, err)) != BOLT_OK)
		goto out;
	memset(c.buf + c.buf_len, 0, ps);
	bolt_put64(c.buf + c.buf_len, freelist);
	bolt_put16(c.buf + c.buf_len + 8, BOLT_PAGE_FREELIST);
	c.buf_len += ps;
	if ((rc = c_flush(&c, err)) != BOLT_OK || (rc = c_write_metas(&c, root, freelist, err)))
		goto out;
	size = c.next * (uint64_t)ps;
	if (size < MIN_FILE_SIZE)
		size = MIN_FILE_SIZE;
	if (ftruncate(fd, (off_t)size) != 0) {
		rc = bolt_syserr(err, "cannot size the copy of %s", v->name);
		goto out;
	}
	info->txid = v->meta.txid;
	info->pages = c.next;
	info->size = size;
	info->page_size = ps;
	info->live = 1;
out:
	free(c.seen);
	free(c.q);
	free(c.buf);
	return rc;
}

/* 1 when the writer may have reused pages of the tree we copied: a valid
 * meta newer than the one we followed (see copy.h). */
static int writer_moved(const struct bolt_view *v)
{
	struct bolt_meta m[2];
	int st[2];

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	(void)bolt_meta_pick(v->map, v->map_len, m, st);
	for (int i = 0; i < 2; i++)
		if (st[i] == BOLT_META_OK && m[i].txid > v->meta.txid)
			return 1;
	return 0;
}

static int copy_live(const char *src, int dst_fd, unsigned max_attempts,
                     struct bolt_copy_info *info, struct bolt_err *err)
{
	struct bolt_view *v;
	int rc = BOLT_OK, moved;

	for (unsigned a = 1; a <= max_attempts; a++) {
		info->attempts = a;
		if (ftruncate(dst_fd, 0) != 0)
			return bolt_syserr(err, "cannot truncate the copy of %s", src);
		rc = bolt_view_open(src, BOLT_VIEW_LIVE, 0, &v, err);
		if (rc == BOLT_ECORRUPT && a < 3)
			continue; /* a meta page caught mid-write: look again */
		if (rc != BOLT_OK)
			return rc;
		rc = compact_copy(v, dst_fd, info, err);
		moved = writer_moved(v);
		bolt_view_close(v);
		if (!moved)
			return rc;
		if (rc == BOLT_ENOMEM || rc == BOLT_EIO)
			return rc;
		if (a % 8 == 0) {
			/* let a fast writer finish a commit, then race it again */
			struct timespec ts = {0, 200 * 1000};

			nanosleep(&ts, NULL);
		}
	}
	return bolt_errf(err, BOLT_ECHANGED, BOLT_NO_PGID,
	                 "%s: the writer committed during each of %u live copy attempts", src,
	                 max_attempts);
}

int bolt_copy(const char *src, int dst_fd, const struct bolt_copy_opts *opt,
              struct bolt_copy_info *info, struct bolt_err *err)
{
	struct stat st;
	int fd, rc;

	memset(info, 0, sizeof(*info));
	fd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return bolt_syserr(err, "cannot open %s", src);
	if (fstat(fd, &st) != 0) {
		rc = bolt_syserr(err, "cannot stat %s", src);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "%s is not a regular file", src);
		goto out;
	}
	/* --live: a writer holds LOCK_EX for as long as it runs, so waiting
	 * for the lock would only delay the live copy. */
	rc = bolt_lock(fd, LOCK_SH, opt->live ? 0 : opt->lock_timeout, src, err);
	if (rc == BOLT_OK) {
		rc = copy_locked(fd, src, dst_fd, opt, info, err);
		bolt_unlock(fd);
	} else if (rc == BOLT_ELOCKED && opt->live) {
		close(fd);
		fd = -1;
		rc = copy_live(src, dst_fd,
		               opt->max_attempts ? opt->max_attempts : DEFAULT_ATTEMPTS, info, err);
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}
