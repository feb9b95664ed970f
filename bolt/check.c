/*
 * The consistency check (see check.h for what it proves). Trust model: the
 * view guarantees only that the active meta's high-water mark, root and
 * freelist page ids lie inside the mapped file; everything else is checked
 * here before it is used.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolt/check.h"
#include "bolt/meta.h"
#include "bolt/prefault.h"

#define MAX_DEPTH 64
/* A split walk cuts the subtrees into at most this many parts per thread:
 * enough for the threads to even out, few enough to merge in no time. */
#define PARTS_PER_THREAD 8
#define MAX_THREADS      64
#define WORKER_STACK     ((size_t)256 << 10)

struct checker {
	const struct bolt_view *v;
	const struct bolt_check_visitor *vis;
	struct bolt_check_stats *st;
	uint8_t *seen; /* bit per page: reachable */
	uint8_t *free; /* bit per page: listed in the freelist */
	int stopped;
	struct bolt_prefault *pf; /* NULL, or the helper mapping pages ahead */
	/* a worker of a split walk (walk_split): NULL in the walk's own thread */
	atomic_int *conflict;
	int at_bucket_root; /* the next walk() enters a bucket's root page */
	int split_failed;   /* BOLT_ESPLIT */
};

static int bit_get(const uint8_t *m, uint64_t i)
{
	return (__atomic_load_n(&m[i >> 3], __ATOMIC_RELAXED) >> (i & 7)) & 1;
}

/* Sets bit i and returns what it was; atomic, as the workers of a split
 * walk share the bitmap. */
static int bit_set(uint8_t *m, uint64_t i)
{
	uint8_t bit = (uint8_t)(1u << (i & 7));

	return (__atomic_fetch_or(&m[i >> 3], bit, __ATOMIC_RELAXED) & bit) != 0;
}

/* A worker met what only the one-thread walk can order (see check.h). */
static void conflict(struct checker *c)
{
	atomic_store_explicit(c->conflict, 1, memory_order_relaxed);
	c->stopped = 1;
}

static void problem(struct checker *c, int severity, uint64_t pgid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void problem(struct checker *c, int severity, uint64_t pgid, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->vis != NULL && c->vis->problem != NULL)
		c->vis->problem(c->vis->ctx, severity, pgid, msg);
}

/* Short hex of a key for messages. */
static const char *hexkey(char *buf, size_t cap, const uint8_t *k, size_t n)
{
	size_t o = 0, lim = n > 16 ? 16 : n;

	for (size_t i = 0; i < lim && o + 3 < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%02x", k[i]);
	if (n > lim && o + 4 < cap)
		(void)snprintf(buf + o, cap - o, "...");
	if (n == 0)
		(void)snprintf(buf, cap, "(empty)");
	return buf;
}

struct range {
	const uint8_t *lo; /* inclusive, NULL = unbounded */
	size_t lolen;
	const uint8_t *hi; /* exclusive, NULL = unbounded */
	size_t hilen;
};

static void check_metas(struct checker *c)
{
	const struct bolt_view *v = c->v;
	int other = 1 - v->active;

	if (v->meta_status[other] == BOLT_META_OK)
		return;
	if (v->meta_status[other] != BOLT_META_SHORT && v->metas[other].magic == BOLT_MAGIC &&
	    v->metas[other].txid > v->meta.txid && v->metas[other].txid - v->meta.txid < 1000)
		problem(
		    c, BOLT_CHECK_ERROR, (uint64_t)other,
		    "meta page %d (txid %llu) is invalid (%s): bbolt falls back to meta page %d "
		    "(txid %llu) and the newest transaction is lost",
		    other, (unsigned long long)v->metas[other].txid,
		    bolt_meta_status_text(v->meta_status[other]), v->active,
		    (unsigned long long)v->meta.txid);
	else if (v->meta_status[other] != BOLT_META_SHORT && v->metas[other].magic == BOLT_MAGIC)
		problem(
		    c, BOLT_CHECK_WARNING, (uint64_t)other,
		    "meta page %d is invalid (%s); meta page %d (txid %llu, the newest) is used "
		    "and the next commit rewrites the damaged one",
		    other, bolt_meta_status_text(v->meta_status[other]), v->active,
		    (unsigned long long)v->meta.txid);
	else
		problem(
		    c, BOLT_CHECK_WARNING, (uint64_t)other,
		    "meta page %d is unreadable (%s); meta page %d (txid %llu) is used; whether "
		    "the damaged page held a newer transaction cannot be known",
		    other, bolt_meta_status_text(v->meta_status[other]), v->active,
		    (unsigned long long)v->meta.txid);
}

/* Marks the pages of a span as reachable; reports a page entered twice. */
static int mark_span(struct checker *c, bolt_pgid id, uint64_t npages, bolt_pgid from)
{
	for (uint64_t i = 0; i < npages; i++) {
		if (bit_set(c->seen, id + i)) {
			if (c->conflict != NULL) {
				conflict(c);
				return -1;
			}
			if (i == 0)
				problem(c, BOLT_CHECK_ERROR, id,
				        "page %llu is reachable twice (again from page %llu): a "
				        "shared page or a cycle",
				        (unsigned long long)id, (unsigned long long)from);
			else
				problem(c, BOLT_CHECK_ERROR, id + i,
				        "overflow page %llu of page %llu is also used elsewhere",
				        (unsigned long long)(id + i), (unsigned long long)id);
			return -1;
		}
	}
	return 0;
}

/* mark_span, with the case of every leaf and branch page of a log (one page,
 * not seen before) inline. */
static inline int mark(struct checker *c, bolt_pgid id, uint64_t npages, bolt_pgid from)
{
	if (npages == 1 && !bit_set(c->seen, id))
		return 0;
	return mark_span(c, id, npages, from);
}

static void walk(struct checker *c, bolt_pgid id, bolt_pgid from, int depth, const struct range *r,
                 const uint8_t *bucket, size_t blen);

static void check_inline(struct checker *c, const uint8_t *page, size_t span, bolt_pgid at,
                         const uint8_t *bucket, size_t blen);

/* Element i again, after check_elems found it sound: with --live a writer
 * may have rewritten the page since (bolt/view.h), and a failed read leaves
 * *e without a key. Reported and -1: the caller stops reading the page, and
 * bolt_view_recheck tells the caller to discard the whole walk. */
static int reread(struct checker *c, const uint8_t *page, size_t span, int leaf, uint32_t i,
                  bolt_pgid at, struct bolt_elem *e)
{
	if (bolt_page_elem(page, span, leaf, i, e) == 0)
		return 0;
	memset(e, 0, sizeof(*e));
	if (c->conflict != NULL) {
		conflict(c);
		return -1;
	}
	problem(c, BOLT_CHECK_ERROR, at,
	        "element %u of page %llu changed while it was read (a writer rewrote the page)", i,
	        (unsigned long long)at);
	return -1;
}

/* A leaf element that is a nested bucket. */
static void check_bucket_value(struct checker *c, const struct bolt_elem *e, bolt_pgid at,
                               int depth, const uint8_t *bucket)
{
	char kb[48];
	bolt_pgid root;

	c->st->buckets++;
	if (e->vlen < BOLT_BUCKET_HEADER_SIZE) {
		problem(c, BOLT_CHECK_ERROR, at,
		        "bucket %s on page %llu has a %u-byte value, too short for a bucket header",
		        hexkey(kb, sizeof(kb), e->key, e->klen), (unsigned long long)at, e->vlen);
		return;
	}
	if (bucket != NULL) {
		problem(c, BOLT_CHECK_WARNING, at,
		        "page %llu holds a nested bucket inside a bucket; its contents are checked "
		        "but not interpreted",
		        (unsigned long long)at);
	}
	root = bolt_le64(e->value);
	if (root == 0) {
		check_inline(c, e->value + BOLT_BUCKET_HEADER_SIZE,
		             e->vlen - BOLT_BUCKET_HEADER_SIZE, at, e->key, e->klen);
		return;
	}
	c->at_bucket_root = 1;
	walk(c, root, at, depth + 1, &(struct range){0}, e->key, e->klen);
}

/* check_elems on a page whose keys are all 8 bytes, as are its bounds (or
 * it has none): raft's log, every page. 1 when every element passes every
 * check, so that there is nothing to report; 0 sends the page to the
 * general loop, which finds and reports what fails. Each key is read once,
 * as an integer (bolt_keycmp's order), each element field once. */
static int elems_sound8(const uint8_t *page, size_t span, int leaf, uint32_t count,
                        const struct range *r)
{
	uint64_t lo = 0, hi = 0, prev = 0;

	if ((r->lo != NULL && r->lolen != 8) || (r->hi != NULL && r->hilen != 8))
		return 0;
	if (r->lo != NULL)
		lo = bolt_be64(r->lo);
	if (r->hi != NULL)
		hi = bolt_be64(r->hi);
	for (uint32_t i = 0; i < count; i++) {
		struct bolt_elem_off o;
		uint64_t k;

		if (bolt_page_elem_off(page, span, leaf, i, &o) != 0 || o.klen != 8)
			return 0;
		k = bolt_be64(page + o.kstart);
		if ((i > 0 && k <= prev) || k < lo || (r->hi != NULL && k >= hi))
			return 0;
		prev = k;
	}
	return 1;
}

/* check_elems of a page elems_sound8 did not pass: each check, each report */
static __attribute__((noinline)) uint32_t check_elems_each(struct checker *c, const uint8_t *page,
                                                           size_t span, bolt_pgid at, int leaf,
                                                           const struct range *r, const char *what)
{
	uint32_t count = bolt_page_count(page);
	struct bolt_elem prev = {0}, e;
	char kb[48], pb[48];

	for (uint32_t i = 0; i < count; i++) {
		if (bolt_page_elem(page, span, leaf, i, &e) != 0) {
			problem(c, BOLT_CHECK_ERROR, at,
			        "element %u of %s %llu lies outside the page (%zu bytes)", i, what,
			        (unsigned long long)at, span);
			return i;
		}
		if (e.klen == 0)
			problem(c, BOLT_CHECK_ERROR, at, "element %u of %s %llu has an empty key",
			        i, what, (unsigned long long)at);
		if (i > 0 && bolt_keycmp(prev.key, prev.klen, e.key, e.klen) >= 0)
			problem(
			    c, BOLT_CHECK_ERROR, at,
			    "key %s (element %u) on %s %llu is not greater than the previous key "
			    "%s",
			    hexkey(kb, sizeof(kb), e.key, e.klen), i, what, (unsigned long long)at,
			    hexkey(pb, sizeof(pb), prev.key, prev.klen));
		if (r->lo != NULL && bolt_keycmp(e.key, e.klen, r->lo, r->lolen) < 0)
			problem(c, BOLT_CHECK_ERROR, at,
			        "key %s (element %u) on %s %llu is below the key %s its parent "
			        "branch starts at",
			        hexkey(kb, sizeof(kb), e.key, e.klen), i, what,
			        (unsigned long long)at, hexkey(pb, sizeof(pb), r->lo, r->lolen));
		if (r->hi != NULL && bolt_keycmp(e.key, e.klen, r->hi, r->hilen) >= 0)
			problem(
			    c, BOLT_CHECK_ERROR, at,
			    "key %s (element %u) on %s %llu is not below the key %s of the next "
			    "element in its parent branch",
			    hexkey(kb, sizeof(kb), e.key, e.klen), i, what, (unsigned long long)at,
			    hexkey(pb, sizeof(pb), r->hi, r->hilen));
		prev = e;
	}
	return count;
}

/* Elements of a leaf or branch page image: bounds, key order, range. Returns
 * the number of elements that could be read (stops at the first bad one). */
static uint32_t check_elems(struct checker *c, const uint8_t *page, size_t span, bolt_pgid at,
                            int leaf, const struct range *r, const char *what)
{
	uint32_t count = bolt_page_count(page);

	if (elems_sound8(page, span, leaf, count, r))
		return count;
	return check_elems_each(c, page, span, at, leaf, r, what);
}

static void visit_leaf(struct checker *c, const uint8_t *page, size_t span, bolt_pgid at,
                       uint32_t n, int depth, const uint8_t *bucket, size_t blen)
{
	for (uint32_t i = 0; i < n && !c->stopped; i++) {
		struct bolt_elem e = {0};

		if (reread(c, page, span, 1, i, at, &e) != 0)
			return;
		if (e.flags & BOLT_BUCKET_LEAF_FLAG) {
			check_bucket_value(c, &e, at, depth, bucket);
			continue;
		}
		if (e.flags != 0)
			problem(c, BOLT_CHECK_ERROR, at,
			        "element %u of leaf page %llu has unknown flags 0x%x", i,
			        (unsigned long long)at, e.flags);
		if (bucket == NULL) {
			problem(c, BOLT_CHECK_ERROR, at,
			        "the root bucket holds a plain key on page %llu (only buckets "
			        "belong there)",
			        (unsigned long long)at);
			continue;
		}
		c->st->keys++;
		if (c->vis != NULL && c->vis->entry != NULL &&
		    c->vis->entry(c->vis->ctx, bucket, blen, &e))
			c->stopped = 1;
	}
}

static void check_inline(struct checker *c, const uint8_t *page, size_t span, bolt_pgid at,
                         const uint8_t *bucket, size_t blen)
{
	uint32_t n;

	if (span < BOLT_PAGE_HEADER_SIZE) {
		problem(c, BOLT_CHECK_ERROR, at,
		        "inline bucket on page %llu is shorter than a page header",
		        (unsigned long long)at);
		return;
	}
	if (bolt_page_flags(page) != BOLT_PAGE_LEAF) {
		problem(c, BOLT_CHECK_ERROR, at,
		        "inline bucket on page %llu is not a leaf image (flags 0x%x)",
		        (unsigned long long)at, bolt_page_flags(page));
		return;
	}
	n = check_elems(c, page, span, at, 1, &(struct range){0}, "the inline bucket on page");
	for (uint32_t i = 0; i < n; i++) {
		struct bolt_elem e = {0};

		if (reread(c, page, span, 1, i, at, &e) != 0)
			return;
		if (e.flags & BOLT_BUCKET_LEAF_FLAG) {
			problem(c, BOLT_CHECK_ERROR, at,
			        "inline bucket on page %llu holds a nested bucket (bbolt never "
			        "writes that)",
			        (unsigned long long)at);
			return;
		}
	}
	visit_leaf(c, page, span, at, n, 0, bucket, blen);
}

/* walk() up to the children of a branch page: the checks of page id itself,
 * and a leaf's elements and entries. 1 with the branch page, its span and
 * the number of its elements that can be read, when its children are to be
 * walked; 0 when the walk ends at this page. */
static int open_page(struct checker *c, bolt_pgid id, bolt_pgid from, int depth,
                     const struct range *r, const uint8_t *bucket, size_t blen,
                     const uint8_t **pagep, size_t *spanp, uint32_t *np)
{
	const struct bolt_view *v = c->v;
	const uint8_t *page;
	size_t span;
	uint64_t npages, hwm = v->meta.pgid;
	uint16_t flags;
	uint32_t n;

	if (c->stopped)
		return 0;
	if (depth > MAX_DEPTH) {
		problem(c, BOLT_CHECK_ERROR, id, "tree deeper than %d levels at page %llu",
		        MAX_DEPTH, (unsigned long long)id);
		return 0;
	}
	if (depth > c->st->max_depth)
		c->st->max_depth = depth;
	if (id < 2 || id >= hwm) {
		problem(c, BOLT_CHECK_ERROR, id,
		        "page %llu refers to page %llu, outside the valid range 2..%llu",
		        (unsigned long long)from, (unsigned long long)id,
		        (unsigned long long)(hwm - 1));
		return 0;
	}
	page = v->map + id * v->page_size;
	npages = (uint64_t)bolt_page_overflow(page) + 1;
	if (npages > hwm - id) {
		problem(c, BOLT_CHECK_ERROR, id,
		        "page %llu claims %llu overflow pages, past the high-water mark %llu",
		        (unsigned long long)id, (unsigned long long)(npages - 1),
		        (unsigned long long)hwm);
		return 0;
	}
	if (mark(c, id, npages, from) != 0)
		return 0;
	span = (size_t)(npages * v->page_size);
	if (bolt_page_id(page) != id)
		problem(c, BOLT_CHECK_ERROR, id, "page %llu has id %llu in its header",
		        (unsigned long long)id, (unsigned long long)bolt_page_id(page));
	flags = bolt_page_flags(page);
	if (flags != BOLT_PAGE_BRANCH && flags != BOLT_PAGE_LEAF) {
		problem(c, BOLT_CHECK_ERROR, id,
		        "page %llu (referenced from page %llu) is a %s page (flags 0x%x), "
		        "expected a branch or leaf",
		        (unsigned long long)id, (unsigned long long)from,
		        bolt_page_type_name(flags), flags);
		return 0;
	}
	c->st->overflow_pages += npages - 1;
	if (flags == BOLT_PAGE_LEAF) {
		bolt_prefault_at(c->pf, page);
		c->st->leaf_pages++;
		n = check_elems(c, page, span, id, 1, r, "leaf page");
		visit_leaf(c, page, span, id, n, depth, bucket, blen);
		return 0;
	}
	c->st->branch_pages++;
	if (bolt_page_count(page) == 0) {
		problem(c, BOLT_CHECK_ERROR, id, "branch page %llu has no elements",
		        (unsigned long long)id);
		return 0;
	}
	*pagep = page;
	*spanp = span;
	*np = check_elems(c, page, span, id, 0, r, "branch page");
	return 1;
}

/* Children i0..i1-1 of the branch page id (n readable elements), in order. */
static void walk_children(struct checker *c, const uint8_t *page, size_t span, bolt_pgid id,
                          uint32_t i0, uint32_t i1, uint32_t n, int depth, const struct range *r,
                          const uint8_t *bucket, size_t blen)
{
	for (uint32_t i = i0; i < i1 && !c->stopped; i++) {
		struct bolt_elem e = {0}, next = {0};
		struct range cr = *r;

		if (reread(c, page, span, 0, i, id, &e) != 0)
			return;
		cr.lo = e.key;
		cr.lolen = e.klen;
		if (i + 1 < n) {
			if (reread(c, page, span, 0, i + 1, id, &next) != 0)
				return;
			cr.hi = next.key;
			cr.hilen = next.klen;
		}
		walk(c, e.pgid, id, depth + 1, &cr, bucket, blen);
	}
}

/* ---- the split walk (check.h, "Parallel walk") ------------------------ */

/* Part of a split walk: children i0..i1-1 of one branch page. */
struct part {
	void *ctx; /* the caller's (bolt_check_parts.open) */
	const uint8_t *page;
	size_t span;
	bolt_pgid id;
	uint32_t n, i0, i1;
	int depth; /* the branch page's */
	struct range r;
	struct bolt_check_stats st;
	int stopped;
};

struct split {
	const struct checker *c; /* the walk's own: view, visitor, bitmaps */
	struct part *parts;
	unsigned nparts;
	const uint8_t *bucket;
	size_t blen;
	atomic_uint next;
	atomic_int conflict;
};

static void *split_worker(void *arg)
{
	struct split *s = arg;
	unsigned k;

	while ((k = atomic_fetch_add(&s->next, 1)) < s->nparts &&
	       !atomic_load_explicit(&s->conflict, memory_order_relaxed)) {
		struct part *p = &s->parts[k];
		struct bolt_check_visitor vis = *s->c->vis;
		struct checker w = {.v = s->c->v,
		                    .vis = &vis,
		                    .st = &p->st,
		                    .seen = s->c->seen,
		                    .free = s->c->free,
		                    .conflict = &s->conflict};

		vis.ctx = p->ctx;
		vis.parts = NULL;
		walk_children(&w, p->page, p->span, p->id, p->i0, p->i1, p->n, p->depth, &p->r,
		              s->bucket, s->blen);
		p->stopped = w.stopped;
	}
	return NULL;
}

/* Whether every child of the branch page is a branch page (a peek: the
 * walk checks each again). */
static int children_are_branches(const struct checker *c, const uint8_t *page, size_t span,
                                 uint32_t n)
{
	const struct bolt_view *v = c->v;

	for (uint32_t i = 0; i < n; i++) {
		struct bolt_elem e;

		if (bolt_page_elem(page, span, 0, i, &e) != 0 || e.pgid < 2 ||
		    e.pgid >= v->meta.pgid ||
		    bolt_page_flags(v->map + e.pgid * v->page_size) != BOLT_PAGE_BRANCH)
			return 0;
	}
	return 1;
}

/* Level two: the pages of the root's children are checked here, in order,
 * each into the context of its first part, and their children are cut
 * into `per` parts each. 0, or -1 when an element cannot be read again. */
static int split_grandchildren(struct checker *c, struct split *s, const uint8_t *page, size_t span,
                               bolt_pgid id, uint32_t n, int depth, const struct range *r,
                               unsigned per)
{
	for (uint32_t i = 0; i < n; i++) {
		struct part *p = &s->parts[i * per];
		struct bolt_check_visitor vis = *c->vis;
		struct checker m = {
		    .v = c->v, .vis = &vis, .st = &p->st, .seen = c->seen, .free = c->free};
		struct bolt_elem e, next = {0};
		struct range cr = *r;
		const uint8_t *cp;
		size_t cspan;
		uint32_t cn;

		if (bolt_page_elem(page, span, 0, i, &e) != 0 ||
		    (i + 1 < n && bolt_page_elem(page, span, 0, i + 1, &next) != 0))
			return -1;
		cr.lo = e.key;
		cr.lolen = e.klen;
		if (i + 1 < n) {
			cr.hi = next.key;
			cr.hilen = next.klen;
		}
		vis.ctx = p->ctx;
		vis.parts = NULL;
		if (!open_page(&m, e.pgid, id, depth + 1, &cr, s->bucket, s->blen, &cp, &cspan,
		               &cn)) {
			p->stopped = m.stopped;
			continue;
		}
		for (unsigned j = 0; j < per; j++) {
			struct part *q = &s->parts[i * per + j];

			q->page = cp;
			q->span = cspan;
			q->id = e.pgid;
			q->n = cn;
			q->i0 = (uint32_t)((uint64_t)cn * j / per);
			q->i1 = (uint32_t)((uint64_t)cn * (j + 1) / per);
			q->depth = depth + 1;
			q->r = cr;
		}
	}
	return 0;
}

/* The children of a bucket's root branch page id (n readable elements),
 * walked by the threads, then merged in order (check.h). */
static void walk_split(struct checker *c, const uint8_t *page, size_t span, bolt_pgid id,
                       uint32_t n, int depth, const struct range *r, const uint8_t *bucket,
                       size_t blen)
{
	const struct bolt_check_parts *pp = c->vis->parts;
	unsigned threads = pp->threads > MAX_THREADS ? MAX_THREADS : (unsigned)pp->threads;
	unsigned target = PARTS_PER_THREAD * threads, per = 0, nparts, started = 0, k;
	struct split s = {.c = c, .bucket = bucket, .blen = blen};
	pthread_t tids[MAX_THREADS];
	pthread_attr_t attr;
	int attr_ok;

	/* few children: cut at the grandchildren, or the threads cannot even out */
	if (n < 4 * threads && children_are_branches(c, page, span, n)) {
		per = (target + n - 1) / n;
		nparts = n * per;
	} else {
		nparts = n < target ? n : target;
	}
	if ((s.parts = calloc(nparts, sizeof(*s.parts))) == NULL) {
		walk_children(c, page, span, id, 0, n, n, depth, r, bucket, blen);
		return;
	}
	for (k = 0; k < nparts; k++)
		if ((s.parts[k].ctx = pp->open(c->vis->ctx)) == NULL)
			break;
	if (k < nparts) {
		while (k-- > 0)
			pp->close(c->vis->ctx, s.parts[k].ctx);
		free(s.parts);
		walk_children(c, page, span, id, 0, n, n, depth, r, bucket, blen);
		return;
	}
	s.nparts = nparts;
	atomic_init(&s.next, 0);
	atomic_init(&s.conflict, 0);
	if (per > 0) {
		if (split_grandchildren(c, &s, page, span, id, n, depth, r, per) != 0)
			atomic_store(&s.conflict, 1);
	} else {
		for (k = 0; k < nparts; k++) {
			struct part *p = &s.parts[k];

			p->page = page;
			p->span = span;
			p->id = id;
			p->n = n;
			p->i0 = (uint32_t)((uint64_t)n * k / nparts);
			p->i1 = (uint32_t)((uint64_t)n * (k + 1) / nparts);
			p->depth = depth;
			p->r = *r;
		}
	}
	attr_ok = pthread_attr_init(&attr) == 0;
	if (attr_ok)
		(void)pthread_attr_setstacksize(&attr, WORKER_STACK);
	/* a thread that cannot be started leaves its share to the others */
	for (; started + 1 < threads; started++)
		if (pthread_create(&tids[started], attr_ok ? &attr : NULL, split_worker, &s) != 0)
			break;
	if (attr_ok)
		(void)pthread_attr_destroy(&attr);
	(void)split_worker(&s);
	for (unsigned t = 0; t < started; t++)
		(void)pthread_join(tids[t], NULL);

	for (k = 0; k < nparts; k++) {
		const struct bolt_check_stats *ps = &s.parts[k].st;

		if (c->stopped || atomic_load(&s.conflict))
			break;
		c->st->branch_pages += ps->branch_pages;
		c->st->leaf_pages += ps->leaf_pages;
		c->st->overflow_pages += ps->overflow_pages;
		c->st->buckets += ps->buckets;
		c->st->keys += ps->keys;
		if (ps->max_depth > c->st->max_depth)
			c->st->max_depth = ps->max_depth;
		if (pp->merge(c->vis->ctx, s.parts[k].ctx) != 0)
			atomic_store(&s.conflict, 1);
		else if (s.parts[k].stopped)
			c->stopped = 1;
	}
	if (atomic_load(&s.conflict)) {
		c->split_failed = 1;
		c->stopped = 1;
	}
	for (k = 0; k < nparts; k++)
		pp->close(c->vis->ctx, s.parts[k].ctx);
	free(s.parts);
}

static void walk(struct checker *c, bolt_pgid id, bolt_pgid from, int depth, const struct range *r,
                 const uint8_t *bucket, size_t blen)
{
	int bucket_root = c->at_bucket_root;
	const uint8_t *page;
	size_t span;
	uint32_t n;

	c->at_bucket_root = 0;
	if (!open_page(c, id, from, depth, r, bucket, blen, &page, &span, &n))
		return;
	if (bucket_root && n >= 2 && c->conflict == NULL && c->vis != NULL &&
	    c->vis->parts != NULL && c->vis->parts->threads > 1)
		walk_split(c, page, span, id, n, depth, r, bucket, blen);
	else
		walk_children(c, page, span, id, 0, n, n, depth, r, bucket, blen);
}

static void check_freelist(struct checker *c)
{
	const struct bolt_view *v = c->v;
	bolt_pgid id = v->meta.freelist, hwm = v->meta.pgid;
	const uint8_t *page = v->map + id * v->page_size;
	uint64_t npages = (uint64_t)bolt_page_overflow(page) + 1, count, first = 0, cap;
	size_t span;

	if (npages > hwm - id) {
		problem(c, BOLT_CHECK_ERROR, id,
		        "freelist page %llu claims %llu overflow pages, past the high-water mark",
		        (unsigned long long)id, (unsigned long long)(npages - 1));
		return;
	}
	if (mark(c, id, npages, 0) != 0)
		return;
	c->st->freelist_pages = npages;
	span = (size_t)(npages * v->page_size);
	if (bolt_page_flags(page) != BOLT_PAGE_FREELIST) {
		problem(c, BOLT_CHECK_ERROR, id, "the freelist page %llu is a %s page (flags 0x%x)",
		        (unsigned long long)id, bolt_page_type_name(bolt_page_flags(page)),
		        bolt_page_flags(page));
		return;
	}
	if (bolt_page_id(page) != id)
		problem(c, BOLT_CHECK_ERROR, id, "freelist page %llu has id %llu in its header",
		        (unsigned long long)id, (unsigned long long)bolt_page_id(page));
	count = bolt_page_count(page);
	cap = (span - BOLT_PAGE_HEADER_SIZE) / 8;
	if (count == 0xFFFF) {
		count = bolt_le64(page + BOLT_PAGE_HEADER_SIZE);
		first = 1;
	}
	if (count > cap - first) {
		problem(c, BOLT_CHECK_ERROR, id,
		        "freelist page %llu claims %llu ids but its %llu page(s) hold at most %llu",
		        (unsigned long long)id, (unsigned long long)count,
		        (unsigned long long)npages, (unsigned long long)(cap - first));
		return;
	}
	for (uint64_t i = 0; i < count; i++) {
		bolt_pgid f = bolt_le64(page + BOLT_PAGE_HEADER_SIZE + 8 * (i + first));

		if (f < 2 || f >= hwm) {
			problem(c, BOLT_CHECK_ERROR, id,
			        "the freelist lists page %llu, outside the valid range 2..%llu",
			        (unsigned long long)f, (unsigned long long)(hwm - 1));
			continue;
		}
		if (bit_set(c->free, f)) {
			problem(c, BOLT_CHECK_ERROR, f, "the freelist lists page %llu twice",
			        (unsigned long long)f);
			continue;
		}
		c->st->free_pages++;
	}
}

int bolt_check(const struct bolt_view *v, const struct bolt_check_visitor *vis,
               struct bolt_check_stats *stats, struct bolt_err *err)
{
	struct checker c = {.v = v, .vis = vis, .st = stats};
	uint64_t hwm = v->meta.pgid;
	uint64_t unreachable = 0, both = 0;

	memset(stats, 0, sizeof(*stats));
	stats->txid = v->meta.txid;
	stats->hwm = hwm;
	stats->file_pages = v->map_len / v->page_size;
	c.seen = calloc(1, (size_t)(hwm / 8 + 1));
	c.free = calloc(1, (size_t)(hwm / 8 + 1));
	if (c.seen == NULL || c.free == NULL) {
		free(c.seen);
		free(c.free);
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory for %llu pages",
		                 (unsigned long long)hwm);
	}
	(void)bit_set(c.seen, 0);
	(void)bit_set(c.seen, 1);
	/* every page below the high-water mark is read once: map them ahead
	 * (the threads of a split walk map their own) */
	if (vis == NULL || vis->parts == NULL || vis->parts->threads <= 1)
		c.pf = bolt_prefault_start(v->map + 2 * (size_t)v->page_size,
		                           (size_t)(hwm - 2) * v->page_size);
	check_metas(&c);
	check_freelist(&c);
	walk(&c, v->meta.root, 0, 0, &(struct range){0}, NULL, 0);
	bolt_prefault_stop(c.pf);

	for (uint64_t p = 2; p < hwm && !c.stopped; p++) {
		int s, f;

		/* the usual case, 8 pages at a time: each reachable xor free */
		if ((p & 7) == 0 && hwm - p >= 8 && (c.seen[p >> 3] ^ c.free[p >> 3]) == 0xff) {
			p += 7;
			continue;
		}
		s = bit_get(c.seen, p);
		f = bit_get(c.free, p);

		if (s && f && both++ < 16)
			problem(&c, BOLT_CHECK_ERROR, p,
			        "page %llu is both reachable and listed as free: a writer may "
			        "reuse it and destroy live data",
			        (unsigned long long)p);
		if (!s && !f && unreachable++ < 16)
			problem(&c, BOLT_CHECK_ERROR, p,
			        "page %llu is neither reachable nor free (leaked)",
			        (unsigned long long)p);
	}
	if (both > 16)
		problem(&c, BOLT_CHECK_ERROR, BOLT_NO_PGID,
		        "%llu more pages are both reachable and free",
		        (unsigned long long)(both - 16));
	if (unreachable > 16)
		problem(&c, BOLT_CHECK_ERROR, BOLT_NO_PGID,
		        "%llu more pages are neither reachable nor free",
		        (unsigned long long)(unreachable - 16));
	free(c.seen);
	free(c.free);
	if (c.split_failed)
		return bolt_errf(err, BOLT_ESPLIT, BOLT_NO_PGID,
		                 "the parts of the parallel check were not independent");
	return BOLT_OK;
}
