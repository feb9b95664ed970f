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
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bolt/copy.h"
#include "bolt/file.h"
#include "bolt/meta.h"
#include "bolt/view.h"

#define OUT_FLUSH        (4u << 20)
#define DEFAULT_ATTEMPTS 500u

/*
 * The size bbolt can have given a file whose active meta has high-water
 * mark `used` bytes. The file grows only in tx.Commit -> db.grow
 * (etcd-io/bbolt db.go, DB.grow): to the mapping's size while that is at
 * most AllocSize (16 MiB by default; raft-boltdb keeps the default), else
 * to the needed size plus AllocSize; the mapping (DB.mmapSize) doubles from
 * 32 KiB to 1 GiB. So a file above max(2 * used, used + 16 MiB) was not
 * grown by bbolt; we allow twice that slack (a tool may have preallocated)
 * and refuse only what is far beyond, like a huge sparse file.
 */
static uint64_t plausible_size(uint64_t used)
{
	uint64_t slack = used > ((uint64_t)1 << 30) ? used : ((uint64_t)1 << 30);

	if (used > UINT64_MAX - slack)
		return UINT64_MAX;

	return used + slack;
}

int bolt_copy_check(int fd, uint64_t size, const char *name, struct bolt_copy_info *info,
                    struct bolt_err *err)
{
	size_t len = size < 2u * BOLT_MAX_PAGE_SIZE ? (size_t)size : 2u * BOLT_MAX_PAGE_SIZE;
	uint8_t *buf = malloc(len ? len : 1);
	struct bolt_meta m[2];
	int st[2], active = -1;
	uint64_t used;
	int got;

	if (buf == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	got = len ? bolt_pread_full(fd, buf, len, 0) : 0;
	if (got < 0) {
		free(buf);
		return bolt_syserr(err, "cannot read %s", name);
	}
	if (got == 0)
		active = bolt_meta_pick(buf, len, m, st);
	free(buf);
	if (got != 0)
		return bolt_errf(err, BOLT_EIO, BOLT_NO_PGID, "%s shrank while it was read", name);
	if (active < 0)
		return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
		                 "%s is not a bbolt database (meta page 0: %s; meta page 1: %s)",
		                 name, bolt_meta_status_text(st[0]), bolt_meta_status_text(st[1]));
	if (m[active].pgid > UINT64_MAX / 2 / m[active].page_size)
		return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
		                 "%s is not a plausible bbolt database: its meta claims %llu pages",
		                 name, (unsigned long long)m[active].pgid);
	used = m[active].pgid * m[active].page_size;
	if (size < used)
		return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
		                 "%s is truncated: %llu bytes, but its meta (txid %llu) uses %llu",
		                 name, (unsigned long long)size, (unsigned long long)m[active].txid,
		                 (unsigned long long)used);
	if (size > plausible_size(used))
		return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
		                 "%s is not a plausible bbolt database: %llu bytes, but its meta "
		                 "(txid %llu) uses only %llu",
		                 name, (unsigned long long)size, (unsigned long long)m[active].txid,
		                 (unsigned long long)used);
	info->txid = m[active].txid;
	info->pages = m[active].pgid;
	info->page_size = m[active].page_size;
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
	if (size < BOLT_COPY_MIN_SIZE)
		size = BOLT_COPY_MIN_SIZE;
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

int bolt_copy_live(const char *src, int dst_fd, unsigned max_attempts, struct bolt_copy_info *info,
                   struct bolt_err *err)
{
	struct bolt_err why = {0};
	struct bolt_view *v;
	int rc = BOLT_OK, moved;

	memset(info, 0, sizeof(*info));
	if (max_attempts == 0)
		max_attempts = DEFAULT_ATTEMPTS;

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
		/* the writer may have reused pages of the tree we copied (a
		 * valid meta newer than the one we followed, see copy.h), or
		 * the file shrank under the mapping (bolt/mapguard.h) */
		moved = bolt_view_recheck(v, &why) != BOLT_OK;
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
	                 "%s: the writer committed during each of %u live copy attempts (the "
	                 "last: %s)",
	                 src, max_attempts, why.msg);
}
