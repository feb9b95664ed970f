/*
 * gzip files of sized members, deflated and inflated on several threads
 * (the layout is drawn in gzmember.h).
 *
 * One engine does both directions. Blocks are numbered in file order and
 * claimed in that order; claim k takes slot k % nslots once the calling
 * thread has written (and freed) the block that slot held before. A
 * claimed block is read with pread and deflated or inflated on the
 * claiming thread without the lock; the calling thread takes the finished
 * blocks in order, writes them, joins their crc32s and reports progress.
 * A failure is kept in its block's slot, so the calling thread reports the
 * failure of the first bad block in file order whatever thread found it
 * first; once any block failed nothing more is claimed.
 *
 * Reading, the next member's offset is only known from the length field of
 * the member before, so the claim (under the lock) reads and checks the
 * 20-byte header; the member itself is read and inflated outside the lock.
 * Nothing in a member is trusted before it is checked: the length field
 * must fit in the file and RS_GZ_BLOCK_MAX's deflate bound, ISIZE in
 * RS_GZ_BLOCK_MAX; libdeflate must consume exactly the member and produce
 * exactly ISIZE bytes whose crc32 is the trailer's.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>
#include <zlib.h>

#include "bolt/file.h"
#include "raftstate/crc32.h"
#include "raftstate/filecopy.h"
#include "raftstate/gzmember.h"

#define HDR     20 /* header with the length field */
#define TRAILER 8
#define NONE    UINT64_MAX
/* the longest member a reader accepts: RS_GZ_BLOCK_MAX stored (deflate's
 * worst case adds 5 bytes per 65,535) plus header and trailer */
#define MEMBER_MAX (RS_GZ_BLOCK_MAX + RS_GZ_BLOCK_MAX / 8192 + 1024)

enum { SLOT_FREE, SLOT_BUSY, SLOT_DONE };

struct slot {
	unsigned char *in, *out;
	size_t in_cap, out_cap;
	size_t in_len, out_len; /* writing: block, member; reading: member, content */
	uint64_t off;           /* where `in` starts in the input file */
	uint32_t crc;           /* of the block's content */
	int state, rc;
	struct rs_err err;
};

struct job {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* every change of state, broadcast */
	int reading;
	int in_fd;
	const char *in_name;
	uint64_t in_size;    /* writing: content size; reading: stored size */
	uint64_t next_off;   /* where the next block to claim starts */
	uint64_t next_block; /* blocks claimed so far */
	uint64_t nblocks;    /* reading: NONE until the end of the file is met */
	int failed, stop;
	struct slot *slots;
	unsigned nslots;
};

/* a thread's own (de)compressor */
struct worker {
	struct job *job;
	struct libdeflate_compressor *c;
	struct libdeflate_decompressor *d;
	pthread_t tid;
};

unsigned rs_gz_threads(void)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = online > 0 ? (unsigned)online : 1;
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0 &&
	    (unsigned)CPU_COUNT(&set) < n)
		n = (unsigned)CPU_COUNT(&set);
	return n > RS_GZ_THREADS_MAX ? RS_GZ_THREADS_MAX : n;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

/* The header's fixed bytes, all but the length field (offsets 16..19). */
static const unsigned char hdr_fixed[16] = {0x1f, 0x8b, 8, 4, 0,   0,   0, 0,
                                            0,    3,    8, 0, 'O', 'C', 4, 0};

int rs_gz_is_sized(const unsigned char *head, uint64_t n)
{
	/* XFL (offset 8) is informational: any value */
	return n >= HDR && memcmp(head, hdr_fixed, 8) == 0 &&
	       memcmp(head + 9, hdr_fixed + 9, 7) == 0;
}

/* Grows *buf to hold n bytes (at least 1). */
static int grow(unsigned char **buf, size_t *cap, size_t n)
{
	unsigned char *b;

	if (n <= *cap && *buf != NULL)
		return 0;
	if ((b = realloc(*buf, n > 0 ? n : 1)) == NULL)
		return -1;
	*buf = b;
	*cap = n > 0 ? n : 1;
	return 0;
}

/* ---- claiming, working, writing ----------------------------------------- */

/* Marks slot s (claimed or being claimed) failed; lock held. */
static void fail_locked(struct job *j, struct slot *s)
{
	s->state = SLOT_DONE;
	j->failed = 1;
	pthread_cond_broadcast(&j->cv);
}

/* Reading: checks the header of the member at j->next_off into slot s, and
 * sets s->off and s->in_len; lock held. */
static int claim_member(struct job *j, struct slot *s)
{
	unsigned char h[HDR];
	uint64_t left = j->in_size - j->next_off, len;

	switch (bolt_pread_full(j->in_fd, h, left < HDR ? (size_t)left : HDR, j->next_off)) {
	case -1:
		return rs_syserr(&s->err, "cannot read", j->in_name);
	case 1:
		return rs_errf(&s->err, RS_ECORRUPT, "%s is truncated (its gzip data ends early)",
		               j->in_name);
	}
	if (left < HDR || !rs_gz_is_sized(h, HDR)) {
		int magic = left >= 2 && h[0] == 0x1f && h[1] == 0x8b;

		if (magic && left < HDR)
			return rs_errf(&s->err, RS_ECORRUPT,
			               "%s is truncated (its gzip data ends early)", j->in_name);
		return rs_errf(&s->err, RS_ECORRUPT,
		               magic ? "%s holds damaged gzip data (the member at byte %llu has "
		                       "no length field)"
		                     : "%s holds damaged gzip data (no gzip member at byte %llu)",
		               j->in_name, (unsigned long long)j->next_off);
	}
	len = le32(h + 16);
	if (len < HDR + 2 + TRAILER || len > MEMBER_MAX)
		return rs_errf(&s->err, RS_ECORRUPT,
		               "%s holds damaged gzip data (the member at byte %llu says it "
		               "is %llu bytes long)",
		               j->in_name, (unsigned long long)j->next_off,
		               (unsigned long long)len);
	if (len > left)
		return rs_errf(&s->err, RS_ECORRUPT, "%s is truncated (its gzip data ends early)",
		               j->in_name);
	s->off = j->next_off;
	s->in_len = (size_t)len;
	j->next_off += len;
	return RS_OK;
}

/* Claims the next block into *out; 0 when there is none to claim (the end,
 * a failure, or the job stopped). Lock held; may wait for the block's slot. */
static int claim(struct job *j, struct slot **out)
{
	struct slot *s;

	for (;;) {
		if (j->failed || j->stop || j->next_block == j->nblocks)
			return 0;
		s = &j->slots[j->next_block % j->nslots];
		if (s->state == SLOT_FREE)
			break;
		pthread_cond_wait(&j->cv, &j->mu);
	}
	if (j->reading && j->next_off == j->in_size) {
		j->nblocks = j->next_block; /* whole members up to the end */
		pthread_cond_broadcast(&j->cv);
		return 0;
	}
	s->rc = RS_OK;
	s->state = SLOT_BUSY;
	if (j->reading) {
		if ((s->rc = claim_member(j, s)) != RS_OK) {
			j->nblocks = j->next_block + 1;
			j->next_block++;
			fail_locked(j, s);
			return 0;
		}
	} else {
		uint64_t left = j->in_size - j->next_off;

		s->off = j->next_off;
		s->in_len = left < RS_GZ_BLOCK ? (size_t)left : (size_t)RS_GZ_BLOCK;
		j->next_off += s->in_len;
	}
	j->next_block++;
	*out = s;
	return 1;
}

/* Reads and deflates one block into one member. */
static int deflate_block(struct job *j, struct worker *w, struct slot *s)
{
	size_t bound, len;

	if (grow(&s->in, &s->in_cap, s->in_len) != 0)
		return rs_errf(&s->err, RS_ENOMEM, "out of memory compressing %s", j->in_name);
	switch (bolt_pread_full(j->in_fd, s->in, s->in_len, s->off)) {
	case -1:
		return rs_syserr(&s->err, "cannot read", j->in_name);
	case 1:
		return rs_errf(&s->err, RS_EIO, "%s shrank while it was compressed", j->in_name);
	}
	bound = libdeflate_deflate_compress_bound(w->c, s->in_len);
	if (grow(&s->out, &s->out_cap, HDR + bound + TRAILER) != 0)
		return rs_errf(&s->err, RS_ENOMEM, "out of memory compressing %s", j->in_name);
	len = libdeflate_deflate_compress(w->c, s->in, s->in_len, s->out + HDR, bound);
	if (len == 0) /* cannot happen with the bound's room */
		return rs_errf(&s->err, RS_EIO, "cannot compress %s (libdeflate found no room)",
		               j->in_name);
	s->crc = rs_crc32(0, s->in, s->in_len);
	memcpy(s->out, hdr_fixed, 16);
	put_le32(s->out + 16, (uint32_t)(HDR + len + TRAILER));
	put_le32(s->out + HDR + len, s->crc);
	put_le32(s->out + HDR + len + 4, (uint32_t)s->in_len);
	s->out_len = HDR + len + TRAILER;
	return RS_OK;
}

/* Reads and inflates one member (its header checked by claim_member). */
static int inflate_member(struct job *j, struct worker *w, struct slot *s)
{
	size_t used = 0;
	uint32_t isize;
	enum libdeflate_result r;

	if (grow(&s->in, &s->in_cap, s->in_len) != 0)
		return rs_errf(&s->err, RS_ENOMEM, "out of memory reading %s", j->in_name);
	switch (bolt_pread_full(j->in_fd, s->in, s->in_len, s->off)) {
	case -1:
		return rs_syserr(&s->err, "cannot read", j->in_name);
	case 1:
		return rs_errf(&s->err, RS_ECORRUPT, "%s is truncated (its gzip data ends early)",
		               j->in_name);
	}
	isize = le32(s->in + s->in_len - 4);
	if (isize > RS_GZ_BLOCK_MAX)
		return rs_errf(&s->err, RS_ECORRUPT,
		               "%s holds damaged gzip data (the member at byte %llu says it "
		               "holds %u bytes)",
		               j->in_name, (unsigned long long)s->off, isize);
	if (grow(&s->out, &s->out_cap, isize) != 0)
		return rs_errf(&s->err, RS_ENOMEM, "out of memory reading %s", j->in_name);
	/* exactly isize bytes out (libdeflate checks the crc32 and ISIZE too) */
	r = libdeflate_gzip_decompress_ex(w->d, s->in, s->in_len, s->out, isize, &used, NULL);
	if (r != LIBDEFLATE_SUCCESS || used != s->in_len)
		return rs_errf(
		    &s->err, RS_ECORRUPT, "%s holds damaged gzip data (the member at byte %llu %s)",
		    j->in_name, (unsigned long long)s->off,
		    r == LIBDEFLATE_SUCCESS    ? "is shorter than its length field"
		    : r == LIBDEFLATE_BAD_DATA ? "does not inflate, or fails its crc32"
		                               : "does not inflate to the size its trailer gives");
	s->out_len = isize;
	s->crc = le32(s->in + s->in_len - 8);
	return RS_OK;
}

static void work(struct job *j, struct worker *w, struct slot *s)
{
	int rc = j->reading ? inflate_member(j, w, s) : deflate_block(j, w, s);

	pthread_mutex_lock(&j->mu);
	s->rc = rc;
	if (rc != RS_OK)
		fail_locked(j, s);
	s->state = SLOT_DONE;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct job *j = w->job;
	struct slot *s;

	pthread_mutex_lock(&j->mu);
	while (claim(j, &s)) {
		pthread_mutex_unlock(&j->mu);
		work(j, w, s);
		pthread_mutex_lock(&j->mu);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

struct sink {
	int fd;
	const char *path, *label;
	uint64_t limit, total;
	uint32_t crc;
	const struct rs_gz_opts *opt;
};

/* Writes finished block b (slot s, DONE) to the sink; lock not held. */
static int emit(struct job *j, struct slot *s, struct sink *k, struct rs_err *err)
{
	uint64_t content = j->reading ? s->out_len : s->in_len;

	if (s->rc != RS_OK) {
		*err = s->err;
		return s->rc;
	}
	if (j->reading && k->total + content > k->limit)
		return rs_errf(err, RS_ECORRUPT,
		               "%s inflates to more than the %llu bytes the manifest lists",
		               k->label, (unsigned long long)k->limit);
	if (k->fd >= 0 && s->out_len > 0) {
		int rc = rs_write_all(k->fd, s->out, s->out_len, k->path, err);

		if (rc != RS_OK)
			return rc;
	}
	k->crc = (uint32_t)crc32_combine(k->crc, s->crc, (z_off_t)content);
	k->total += content;
	if (k->opt != NULL && k->opt->progress != NULL)
		k->opt->progress(k->opt->progress_ctx, k->total);
	return RS_OK;
}

/* Runs job j to the end with `threads` workers (none: on this thread). */
static int run(struct job *j, unsigned threads, int level, struct sink *k, struct rs_err *err)
{
	struct worker ws[RS_GZ_THREADS_MAX + 1];
	struct slot slots[RS_GZ_THREADS_MAX + 2];
	unsigned nw = 0, nalloc;
	int rc = RS_OK;

	if (threads > RS_GZ_THREADS_MAX)
		threads = RS_GZ_THREADS_MAX;
	nalloc = threads > 0 ? threads : 1;
	memset(ws, 0, sizeof(ws));
	memset(slots, 0, sizeof(slots));
	j->slots = slots;
	j->nslots = threads + 2;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	for (unsigned i = 0; i < nalloc; i++) {
		ws[i].job = j;
		if (j->reading ? (ws[i].d = libdeflate_alloc_decompressor()) == NULL
		               : (ws[i].c = libdeflate_alloc_compressor(level)) == NULL) {
			rc = rs_errf(err, RS_ENOMEM, "out of memory %s %s",
			             j->reading ? "reading" : "compressing", j->in_name);
			goto out;
		}
	}
	if (threads > 0)
		for (; nw < threads; nw++)
			if (pthread_create(&ws[nw].tid, NULL, worker_main, &ws[nw]) != 0)
				break; /* fewer threads, or none: this one works too */
	for (uint64_t b = 0;; b++) {
		struct slot *s = &j->slots[b % j->nslots], *mine;

		pthread_mutex_lock(&j->mu);
		while (b != j->nblocks && s->state != SLOT_DONE) {
			if (nw > 0) {
				pthread_cond_wait(&j->cv, &j->mu);
				continue;
			}
			if (!claim(j, &mine)) /* no worker: claim and work here */
				break;
			pthread_mutex_unlock(&j->mu);
			work(j, &ws[0], mine);
			pthread_mutex_lock(&j->mu);
		}
		if (b == j->nblocks || s->state != SLOT_DONE) {
			pthread_mutex_unlock(&j->mu);
			if (b != j->nblocks)
				rc = rs_errf(err, RS_EIO, "%s: block %llu was never done",
				             j->in_name, (unsigned long long)b);
			break;
		}
		pthread_mutex_unlock(&j->mu);
		if ((rc = emit(j, s, k, err)) != RS_OK)
			break;
		pthread_mutex_lock(&j->mu);
		s->state = SLOT_FREE;
		pthread_cond_broadcast(&j->cv);
		pthread_mutex_unlock(&j->mu);
	}
out:
	pthread_mutex_lock(&j->mu);
	j->stop = 1;
	pthread_cond_broadcast(&j->cv);
	pthread_mutex_unlock(&j->mu);
	for (unsigned i = 0; i < nw; i++)
		(void)pthread_join(ws[i].tid, NULL);
	for (unsigned i = 0; i < nalloc; i++) {
		libdeflate_free_compressor(ws[i].c);
		libdeflate_free_decompressor(ws[i].d);
	}
	for (unsigned i = 0; i < j->nslots; i++) {
		free(slots[i].in);
		free(slots[i].out);
	}
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	return rc;
}

static unsigned threads_for(const struct rs_gz_opts *opt, uint64_t nblocks)
{
	unsigned t = opt != NULL && opt->threads > 0 ? opt->threads : rs_gz_threads();

	/* one block: no thread worth starting */
	return nblocks <= 1 ? 0 : (uint64_t)t > nblocks ? (unsigned)nblocks : t;
}

int rs_gz_write(int in_fd, const char *src, uint64_t size, int out_fd, const char *dst,
                const struct rs_gz_opts *opt, uint32_t *crc, struct rs_err *err)
{
	struct job j = {.in_fd = in_fd, .in_name = src, .in_size = size};
	struct sink k = {.fd = out_fd, .path = dst, .label = dst, .limit = NONE, .opt = opt};
	int rc;

	/* an empty file is one empty member */
	j.nblocks = size == 0 ? 1 : (size + RS_GZ_BLOCK - 1) / RS_GZ_BLOCK;
	rc = run(&j, threads_for(opt, j.nblocks), RS_GZ_LEVEL, &k, err);
	if (rc == RS_OK)
		*crc = k.crc;
	return rc;
}

int rs_gz_read(int in_fd, const char *label, uint64_t stored_size, int out_fd, const char *out_path,
               uint64_t limit, const struct rs_gz_opts *opt, uint64_t *size, uint32_t *crc,
               struct rs_err *err)
{
	struct job j = {.reading = 1,
	                .in_fd = in_fd,
	                .in_name = label,
	                .in_size = stored_size,
	                .nblocks = NONE};
	struct sink k = {
	    .fd = out_fd, .path = out_path, .label = label, .limit = limit, .opt = opt};
	/* about how many members: the threads are worth it from two */
	uint64_t guess = stored_size / (RS_GZ_BLOCK / 2) + 1;
	int rc;

	rc = run(&j, threads_for(opt, guess), 0, &k, err);
	if (rc == RS_OK) {
		*size = k.total;
		*crc = k.crc;
	}
	return rc;
}
