/* Leaves read with pread (see leafread.h). */
#include "bolt/leafread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bolt/cursor.h"
#include "bolt/file.h"

/* A read that ends within this many bytes of the next leaf's first page
 * goes on into that page: one pread instead of two (bbolt allocates the
 * leaves of an appended log mostly one after the other). */
#define MERGE_GAP 4096u
/* Beyond the next element's head, a read of a leaf's first page takes this
 * much of its element table and keys. */
#define LEAF_START 64u
/* The CPU's cache line (x86-64 and most arm64 cores). */
#define PREFETCH_LINE 64u

static int grow(uint8_t **p, size_t *cap, size_t n, struct bolt_err *err)
{
	size_t ncap = *cap ? *cap : 4096;
	uint8_t *q;

	if (n <= *cap)
		return BOLT_OK;
	while (ncap < n)
		ncap *= 2;
	if ((q = realloc(*p, ncap)) == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory reading leaves");
	*p = q;
	*cap = ncap;
	return BOLT_OK;
}

static int pread_full(struct bolt_leafreader *r, uint8_t *buf, size_t n, uint64_t off,
                      struct bolt_err *err)
{
	/* RWF_NOWAIT first, cold or not: what is cached, without waiting for
	 * the device; less than all of it is a miss. A miss makes the reader
	 * cold; BOLT_COLD_CLEAR reads in a row that find all their bytes make
	 * it warm again (a few pages evicted from a cached file cost a few
	 * hints, not a hint for every leaf after them). */
	struct iovec iov = {buf, n};
	ssize_t k = preadv2(r->v->fd, &iov, 1, (off_t)off, RWF_NOWAIT);
	size_t got = k > 0 ? (size_t)k : 0;

	r->preads++;
	if (got < n && (k >= 0 || errno == EAGAIN)) {
		r->cold = 1;
		r->hits = 0;
	} else if (got == n && r->cold && ++r->hits >= BOLT_COLD_CLEAR) {
		r->cold = 0;
	}
	if (got < n) {
		int rc = bolt_pread_full(r->v->fd, buf + got, n - got, off + got);

		r->preads++;
		if (rc < 0)
			return bolt_syserr(err, "cannot read %s", r->v->name);
		if (rc > 0)
			return bolt_errf(err, BOLT_ECHANGED, BOLT_NO_PGID,
			                 "%s shrank while it was read", r->v->name);
	}
	return BOLT_OK;
}

static void willneed(struct bolt_leafreader *r, uint64_t off, uint64_t n)
{
	if (off < r->v->map_len && n > 0) {
		(void)posix_fadvise(r->v->fd, (off_t)off, (off_t)n, POSIX_FADV_WILLNEED);
		r->hints++;
	}
}

void bolt_leaf_willneed(struct bolt_leafreader *r, bolt_pgid id, int with_prev)
{
	uint64_t ps = r->v->page_size;

	if (with_prev && id > 0)
		willneed(r, (id - 1) * ps, 2 * ps);
	else
		willneed(r, id * ps, ps);
}

void bolt_leaf_willneed_values(struct bolt_leafreader *r, bolt_pgid id)
{
	uint64_t base = id * r->v->page_size, hwm = r->v->meta.pgid;
	size_t span, n = sizeof(r->table);
	uint32_t count;
	ssize_t k;

	if (id >= hwm || base >= r->v->map_len)
		return;
	if (n > r->v->map_len - base)
		n = (size_t)(r->v->map_len - base);
	if ((k = pread(r->v->fd, r->table, n, (off_t)base)) < (ssize_t)BOLT_PAGE_HEADER_SIZE ||
	    bolt_page_flags(r->table) != BOLT_PAGE_LEAF ||
	    (uint64_t)bolt_page_overflow(r->table) + 1 > hwm - id)
		return;
	span = (size_t)((uint64_t)(bolt_page_overflow(r->table) + 1) * r->v->page_size);
	count = bolt_page_count(r->table);
	for (uint32_t i = 0; i < count; i++) {
		struct bolt_elem_off o;
		uint64_t v;

		if (BOLT_PAGE_HEADER_SIZE + ((size_t)i + 1) * BOLT_LEAF_ELEM_SIZE > (size_t)k ||
		    bolt_page_elem_off(r->table, span, 1, i, &o) != 0)
			return;
		v = base + o.kstart + o.klen;
		willneed(r, base + o.kstart, o.klen + (o.vlen < r->head ? o.vlen : r->head));
		if (o.vlen > r->head)
			willneed(r,
			         v + o.vlen -
			             (o.vlen - r->head < r->tail ? o.vlen - r->head : r->tail),
			         r->tail);
	}
}

/* *p = the file's bytes [off, off + n), n of them at least, read on up to
 * off + want when they are not held: one window keeps what the caller still
 * uses (the last one handed out), the other is refilled. */
static int fetch(struct bolt_leafreader *r, uint64_t off, size_t n, size_t want, const uint8_t **p,
                 struct bolt_err *err)
{
	uint64_t end = r->v->map_len;
	int w, rc;

	if (off > end || n > end - off)
		return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
		                 "a read of %zu bytes at %llu lies past the end of %s", n,
		                 (unsigned long long)off, r->v->name);
	for (w = 0; w < 2; w++) {
		if (off >= r->win[w].off && off - r->win[w].off <= r->win[w].len &&
		    n <= r->win[w].len - (off - r->win[w].off)) {
			r->cur = w;
			*p = r->win[w].p + (off - r->win[w].off);
			return BOLT_OK;
		}
	}
	w = 1 - r->cur;
	if (want < n)
		want = n;
	if (want > end - off)
		want = (size_t)(end - off);
	if ((rc = grow(&r->win[w].p, &r->win[w].cap, want, err)) != BOLT_OK)
		return rc;
	r->win[w].len = 0;
	if ((rc = pread_full(r, r->win[w].p, want, off, err)) != BOLT_OK)
		return rc;
	r->win[w].off = off;
	r->win[w].len = want;
	r->cur = w;
	*p = r->win[w].p;
	return BOLT_OK;
}

void bolt_leafreader_init(struct bolt_leafreader *r, const struct bolt_view *v, size_t head,
                          size_t tail)
{
	memset(r, 0, sizeof(*r));
	r->v = v;
	r->head = head;
	r->tail = tail;
}

void bolt_leafreader_free(struct bolt_leafreader *r)
{
	free(r->win[0].p);
	free(r->win[1].p);
	free(r->scratch);
	memset(r, 0, sizeof(*r));
}

int bolt_leafreader_bytes(struct bolt_leafreader *r, uint64_t off, size_t n, const uint8_t **p,
                          struct bolt_err *err)
{
	int rc;

	if (off > r->v->map_len || n > r->v->map_len - off)
		return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
		                 "a read of %zu bytes at %llu lies past the end of %s", n,
		                 (unsigned long long)off, r->v->name);
	if ((rc = grow(&r->scratch, &r->scratch_cap, n ? n : 1, err)) != BOLT_OK ||
	    (rc = pread_full(r, r->scratch, n, off, err)) != BOLT_OK)
		return rc;
	*p = r->scratch;
	return BOLT_OK;
}

/* The leaf's header and element table: *page (16 + 16 count bytes) and
 * *span, checked as bolt_view_page and the cursor check them. */
static int leaf_table(struct bolt_leafreader *r, bolt_pgid id, const uint8_t **page,
                      uint32_t *count, size_t *span, size_t want, struct bolt_err *err)
{
	uint64_t ps = r->v->page_size, hwm = r->v->meta.pgid, n;
	const uint8_t *p = NULL;
	size_t table;
	int rc;

	if (id >= hwm)
		return bolt_errf(err, BOLT_ECORRUPT, id, "page %llu is beyond the high-water mark",
		                 (unsigned long long)id);
	if ((rc = fetch(r, id * ps, BOLT_PAGE_HEADER_SIZE, want, &p, err)) != BOLT_OK)
		return rc;
	if (bolt_page_flags(p) != BOLT_PAGE_LEAF)
		return bolt_errf(err, BOLT_ECORRUPT, id, "page %llu is not a leaf",
		                 (unsigned long long)id);
	n = (uint64_t)bolt_page_overflow(p) + 1;
	if (n > hwm - id)
		return bolt_errf(err, BOLT_ECORRUPT, id, "page %llu runs past the high-water mark",
		                 (unsigned long long)id);
	*count = bolt_page_count(p);
	*span = (size_t)(n * ps);
	table = BOLT_PAGE_HEADER_SIZE + (size_t)*count * BOLT_LEAF_ELEM_SIZE;
	if (table > *span)
		return bolt_errf(err, BOLT_ECORRUPT, id, "page %llu: elements outside the page",
		                 (unsigned long long)id);
	if (table > BOLT_PAGE_HEADER_SIZE &&
	    (rc = fetch(r, id * ps, table, want > table ? want : table, &p, err)) != BOLT_OK)
		return rc;
	*page = p;
	return BOLT_OK;
}

int bolt_leaf_count(struct bolt_leafreader *r, bolt_pgid id, uint32_t *count, struct bolt_err *err)
{
	const uint8_t *page = NULL;
	size_t span;
	int rc;

	if ((rc = leaf_table(r, id, &page, count, &span, LEAF_START, err)) != BOLT_OK)
		return rc;
	for (uint32_t i = 0; i < *count; i++) {
		struct bolt_elem_off o;

		if (bolt_page_elem_off(page, span, 1, i, &o) != 0)
			return bolt_errf(err, BOLT_ECORRUPT, id,
			                 "element %u of page %llu lies outside the page", i,
			                 (unsigned long long)id);
	}
	return BOLT_OK;
}

int bolt_leaf_read(struct bolt_leafreader *r, bolt_pgid id, bolt_pgid next, bolt_leaf_fn fn,
                   void *ctx, struct bolt_err *err)
{
	uint64_t base = id * (uint64_t)r->v->page_size;
	struct bolt_elem_off *offs = NULL;
	const uint8_t *page = NULL;
	uint32_t count;
	size_t span;
	int rc;

	if ((rc = leaf_table(r, id, &page, &count, &span, LEAF_START + r->head, err)) != BOLT_OK)
		return rc;
	/* the table is copied: the windows move on while the elements are read */
	if (count > 0 && (offs = malloc(count * sizeof(*offs))) == NULL)
		return bolt_errf(err, BOLT_ENOMEM, id, "out of memory reading leaves");
	for (uint32_t i = 0; i < count; i++)
		if (bolt_page_elem_off(page, span, 1, i, &offs[i]) != 0) {
			free(offs);
			return bolt_errf(err, BOLT_ECORRUPT, id,
			                 "element %u of page %llu lies outside the page", i,
			                 (unsigned long long)id);
		}
	for (uint32_t i = 0; i < count && rc == BOLT_OK; i++) {
		const struct bolt_elem_off *o = &offs[i];
		struct bolt_leaf_elem e = {.flags = o->flags, .klen = o->klen, .vlen = o->vlen};
		uint64_t koff = base + o->kstart, vend;
		const uint8_t *kp = NULL, *tp = NULL;
		size_t want;

		e.voff = koff + o->klen;
		vend = e.voff + o->vlen;
		e.hlen = o->vlen <= r->head + r->tail ? o->vlen : (uint32_t)r->head;
		e.tlen = e.hlen == o->vlen ? 0 : (uint32_t)r->tail;
		if ((rc = fetch(r, koff, o->klen + e.hlen, o->klen + e.hlen, &kp, err)) != BOLT_OK)
			break;
		e.key = kp;
		e.head = kp + o->klen;
		if (e.tlen > 0) {
			/* on into the next element's key and head, or the next leaf */
			want = e.tlen;
			if (i + 1 < count && base + offs[i + 1].kstart >= vend &&
			    base + offs[i + 1].kstart - vend <= MERGE_GAP)
				want = (size_t)(base + offs[i + 1].kstart - vend) + e.tlen +
				       offs[i + 1].klen + r->head;
			else if (i + 1 == count && next != 0 && next * r->v->page_size >= vend &&
			         next * r->v->page_size - vend <= MERGE_GAP)
				want = (size_t)(next * r->v->page_size - vend) + e.tlen +
				       LEAF_START + r->head;
			/* fetch refills only the window it did not hand out last:
			 * the head stays where it is */
			if ((rc = fetch(r, vend - e.tlen, e.tlen, want, &tp, err)) != BOLT_OK)
				break;
			e.tail = tp;
		}
		rc = fn(ctx, &e);
	}
	free(offs);
	return rc;
}

/* The mapped leaf id with its element table checked. */
static int mapped_leaf(const struct bolt_view *v, bolt_pgid id, const uint8_t **page, size_t *span,
                       struct bolt_err *err)
{
	uint32_t count;
	int rc;

	if ((rc = bolt_view_page(v, id, page, span, err)) != BOLT_OK)
		return rc;
	if (bolt_page_flags(*page) != BOLT_PAGE_LEAF)
		return bolt_errf(err, BOLT_ECORRUPT, id, "page %llu is not a leaf",
		                 (unsigned long long)id);
	count = bolt_page_count(*page);
	for (uint32_t i = 0; i < count; i++) {
		struct bolt_elem_off o;

		if (bolt_page_elem_off(*page, *span, 1, i, &o) != 0)
			return bolt_errf(err, BOLT_ECORRUPT, id,
			                 "element %u of page %llu lies outside the page", i,
			                 (unsigned long long)id);
	}
	return BOLT_OK;
}

int bolt_leaf_count_mapped(const struct bolt_view *v, bolt_pgid id, uint32_t *count,
                           struct bolt_err *err)
{
	const uint8_t *page = NULL;
	size_t span;
	int rc;

	if ((rc = mapped_leaf(v, id, &page, &span, err)) != BOLT_OK)
		return rc;
	*count = bolt_page_count(page);
	return BOLT_OK;
}

int bolt_leaf_read_mapped(const struct bolt_view *v, bolt_pgid id, bolt_leaf_fn fn, void *ctx,
                          struct bolt_err *err)
{
	const uint8_t *page = NULL;
	size_t span;
	uint32_t count;
	int rc;

	if ((rc = mapped_leaf(v, id, &page, &span, err)) != BOLT_OK)
		return rc;
	count = bolt_page_count(page);
	for (uint32_t i = 0; i < count && rc == BOLT_OK; i++) {
		struct bolt_elem_off o;
		struct bolt_leaf_elem e;

		if (bolt_page_elem_off(page, span, 1, i, &o) != 0)
			return bolt_errf(err, BOLT_ECORRUPT, id,
			                 "element %u of page %llu lies outside the page", i,
			                 (unsigned long long)id);
		e.flags = o.flags;
		e.key = page + o.kstart;
		e.klen = o.klen;
		e.vlen = o.vlen;
		e.voff = id * (uint64_t)v->page_size + o.kstart + o.klen;
		e.head = page + o.kstart + o.klen;
		e.hlen = o.vlen;
		e.tail = NULL;
		e.tlen = 0;
		rc = fn(ctx, &e);
	}
	return rc;
}

void bolt_leaf_prefetch_mapped(const struct bolt_view *v, bolt_pgid id, const int32_t *at,
                               size_t nat)
{
	uint64_t off = id * (uint64_t)v->page_size;
	const uint8_t *page;
	size_t span;
	struct bolt_err err;

	if (id == 0 || off >= v->map_len || v->map_len - off < 2 * PREFETCH_LINE)
		return;
	if (nat == 0) {
		/* the header and the first elements of the table */
		__builtin_prefetch(v->map + off);
		__builtin_prefetch(v->map + off + PREFETCH_LINE);
		return;
	}
	if (bolt_view_page(v, id, &page, &span, &err) != BOLT_OK ||
	    bolt_page_flags(page) != BOLT_PAGE_LEAF)
		return;
	for (uint32_t i = 0, n = bolt_page_count(page); i < n; i++) {
		struct bolt_elem_off o;
		size_t vs;

		if (bolt_page_elem_off(page, span, 1, i, &o) != 0)
			return;
		vs = o.kstart + o.klen;
		for (size_t j = 0; j < nat; j++) {
			int64_t x = at[j] < 0 ? (int64_t)o.vlen + at[j] : at[j];

			if (x >= 0 && x < (int64_t)o.vlen)
				__builtin_prefetch(page + vs + (size_t)x);
		}
	}
}

/* ---- the leaf list ---------------------------------------------------- */

static int push_leaf(struct bolt_leaves *l, bolt_pgid id, const uint8_t *key, uint32_t klen,
                     uint64_t max, struct bolt_err *err)
{
	if (l->n >= max)
		return bolt_errf(err, BOLT_ECORRUPT, id, "more leaves than pages (a cycle?)");
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		bolt_pgid *ids = realloc(l->ids, ncap * sizeof(*ids));
		const uint8_t **keys;
		uint32_t *klens;

		if (ids == NULL)
			return bolt_errf(err, BOLT_ENOMEM, id, "out of memory");
		l->ids = ids;
		if ((keys = realloc(l->keys, ncap * sizeof(*keys))) == NULL)
			return bolt_errf(err, BOLT_ENOMEM, id, "out of memory");
		l->keys = keys;
		if ((klens = realloc(l->klens, ncap * sizeof(*klens))) == NULL)
			return bolt_errf(err, BOLT_ENOMEM, id, "out of memory");
		l->klens = klens;
		l->cap = ncap;
	}
	l->ids[l->n] = id;
	l->keys[l->n] = key;
	l->klens[l->n++] = klen;
	return BOLT_OK;
}

/* The branch page id at `depth`: its children are leaves when depth + 1 is
 * leaf_depth (a bbolt tree is balanced; one that is not fails a leaf read). */
static int list_branch(const struct bolt_view *v, bolt_pgid id, int depth, int leaf_depth,
                       struct bolt_leaves *out, struct bolt_err *err)
{
	const uint8_t *p = NULL;
	size_t span;
	uint16_t count;
	int rc;

	if (depth >= BOLT_CURSOR_MAX_DEPTH)
		return bolt_errf(err, BOLT_ECORRUPT, id, "tree too deep");
	if ((rc = bolt_view_page(v, id, &p, &span, err)) != BOLT_OK)
		return rc;
	if (bolt_page_flags(p) != BOLT_PAGE_BRANCH || (count = bolt_page_count(p)) == 0)
		return bolt_errf(err, BOLT_ECORRUPT, id, "page %llu is not a branch page",
		                 (unsigned long long)id);
	/* the children that are branch pages, asked for at once: on a cold
	 * file, one wait for the device instead of one per page */
	for (uint16_t i = 0; depth + 2 < leaf_depth && i < count; i++) {
		struct bolt_elem e;

		if (bolt_page_elem(p, span, 0, i, &e) == 0 && e.pgid < v->meta.pgid)
			(void)posix_fadvise(v->fd, (off_t)(e.pgid * v->page_size),
			                    (off_t)v->page_size, POSIX_FADV_WILLNEED);
	}
	for (uint16_t i = 0; i < count; i++) {
		struct bolt_elem e;

		if (bolt_page_elem(p, span, 0, i, &e) != 0)
			return bolt_errf(err, BOLT_ECORRUPT, id,
			                 "element %u of page %llu lies outside the page", i,
			                 (unsigned long long)id);
		if (depth + 1 == leaf_depth)
			rc = push_leaf(out, e.pgid, e.key, e.klen, v->meta.pgid, err);
		else
			rc = list_branch(v, e.pgid, depth + 1, leaf_depth, out, err);
		if (rc != BOLT_OK)
			return rc;
	}
	return BOLT_OK;
}

int bolt_leaves_list(const struct bolt_view *v, const struct bolt_vbucket *b,
                     struct bolt_leaves *out, struct bolt_err *err)
{
	struct bolt_leafreader r;
	bolt_pgid id = b->root;
	int depth = 0, rc = BOLT_OK;

	memset(out, 0, sizeof(*out));
	if (b->root == 0)
		return bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "an inline bucket has no leaves");
	/* the depth of the leaves, down the first children: a page's type is
	 * read with pread, so that no leaf is mapped */
	bolt_leafreader_init(&r, v, 0, 0);
	for (;;) {
		const uint8_t *p = NULL;
		size_t span;
		struct bolt_elem e;

		if (id >= v->meta.pgid) {
			rc = bolt_errf(err, BOLT_ECORRUPT, id, "page beyond the high-water mark");
			break;
		}
		if ((rc = fetch(&r, id * v->page_size, BOLT_PAGE_HEADER_SIZE, 0, &p, err)) !=
		    BOLT_OK)
			break;
		if (bolt_page_flags(p) == BOLT_PAGE_LEAF)
			break;
		if (depth >= BOLT_CURSOR_MAX_DEPTH) {
			rc = bolt_errf(err, BOLT_ECORRUPT, id, "tree too deep");
			break;
		}
		if ((rc = bolt_view_page(v, id, &p, &span, err)) != BOLT_OK)
			break;
		if (bolt_page_flags(p) != BOLT_PAGE_BRANCH || bolt_page_count(p) == 0 ||
		    bolt_page_elem(p, span, 0, 0, &e) != 0) {
			rc = bolt_errf(err, BOLT_ECORRUPT, id, "page %llu is not a branch page",
			               (unsigned long long)id);
			break;
		}
		id = e.pgid;
		depth++;
	}
	bolt_leafreader_free(&r);
	if (rc != BOLT_OK)
		return rc;
	rc = depth == 0 ? push_leaf(out, b->root, NULL, 0, 1, err)
	                : list_branch(v, b->root, 0, depth, out, err);
	if (rc != BOLT_OK)
		bolt_leaves_free(out);
	return rc;
}

void bolt_leaves_free(struct bolt_leaves *l)
{
	free(l->ids);
	free(l->keys);
	free(l->klens);
	memset(l, 0, sizeof(*l));
}
