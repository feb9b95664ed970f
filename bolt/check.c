/*
 * The consistency check (see check.h for what it proves). Trust model: the
 * view guarantees only that the active meta's high-water mark, root and
 * freelist page ids lie inside the mapped file; everything else is checked
 * here before it is used.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolt/check.h"
#include "bolt/meta.h"
#include "bolt/prefault.h"

#define MAX_DEPTH 64

struct checker {
	const struct bolt_view *v;
	const struct bolt_check_visitor *vis;
	struct bolt_check_stats *st;
	uint8_t *seen; /* bit per page: reachable */
	uint8_t *free; /* bit per page: listed in the freelist */
	int stopped;
	struct bolt_prefault *pf; /* NULL, or the helper mapping pages ahead */
};

static int bit_get(const uint8_t *m, uint64_t i)
{
	return (m[i >> 3] >> (i & 7)) & 1;
}

static void bit_set(uint8_t *m, uint64_t i)
{
	m[i >> 3] |= (uint8_t)(1u << (i & 7));
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
static int mark(struct checker *c, bolt_pgid id, uint64_t npages, bolt_pgid from)
{
	for (uint64_t i = 0; i < npages; i++) {
		if (bit_get(c->seen, id + i)) {
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
		bit_set(c->seen, id + i);
	}
	return 0;
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
	walk(c, root, at, depth + 1, &(struct range){0}, e->key, e->klen);
}

/* Elements of a leaf or branch page image: bounds, key order, range. Returns
 * the number of elements that could be read (stops at the first bad one). */
static uint32_t check_elems(struct checker *c, const uint8_t *page, size_t span, bolt_pgid at,
                            int leaf, const struct range *r, const char *what)
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

static void walk(struct checker *c, bolt_pgid id, bolt_pgid from, int depth, const struct range *r,
                 const uint8_t *bucket, size_t blen)
{
	const struct bolt_view *v = c->v;
	const uint8_t *page;
	size_t span;
	uint64_t npages, hwm = v->meta.pgid;
	uint16_t flags;
	uint32_t n;

	if (c->stopped)
		return;
	if (depth > MAX_DEPTH) {
		problem(c, BOLT_CHECK_ERROR, id, "tree deeper than %d levels at page %llu",
		        MAX_DEPTH, (unsigned long long)id);
		return;
	}
	if (depth > c->st->max_depth)
		c->st->max_depth = depth;
	if (id < 2 || id >= hwm) {
		problem(c, BOLT_CHECK_ERROR, id,
		        "page %llu refers to page %llu, outside the valid range 2..%llu",
		        (unsigned long long)from, (unsigned long long)id,
		        (unsigned long long)(hwm - 1));
		return;
	}
	page = v->map + id * v->page_size;
	npages = (uint64_t)bolt_page_overflow(page) + 1;
	if (npages > hwm - id) {
		problem(c, BOLT_CHECK_ERROR, id,
		        "page %llu claims %llu overflow pages, past the high-water mark %llu",
		        (unsigned long long)id, (unsigned long long)(npages - 1),
		        (unsigned long long)hwm);
		return;
	}
	if (mark(c, id, npages, from) != 0)
		return;
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
		return;
	}
	c->st->overflow_pages += npages - 1;
	if (flags == BOLT_PAGE_LEAF) {
		bolt_prefault_at(c->pf, page);
		c->st->leaf_pages++;
		n = check_elems(c, page, span, id, 1, r, "leaf page");
		visit_leaf(c, page, span, id, n, depth, bucket, blen);
		return;
	}
	c->st->branch_pages++;
	if (bolt_page_count(page) == 0) {
		problem(c, BOLT_CHECK_ERROR, id, "branch page %llu has no elements",
		        (unsigned long long)id);
		return;
	}
	n = check_elems(c, page, span, id, 0, r, "branch page");
	for (uint32_t i = 0; i < n && !c->stopped; i++) {
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
		if (bit_get(c->free, f)) {
			problem(c, BOLT_CHECK_ERROR, f, "the freelist lists page %llu twice",
			        (unsigned long long)f);
			continue;
		}
		bit_set(c->free, f);
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
	bit_set(c.seen, 0);
	bit_set(c.seen, 1);
	/* every page below the high-water mark is read once: map them ahead */
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
	return BOLT_OK;
}
