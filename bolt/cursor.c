/*
 * Read-only cursor. A stack of (page, index) from the bucket root to a
 * leaf; an inline bucket is a one-level stack over its leaf image. Depth is
 * capped at BOLT_CURSOR_MAX_DEPTH, which no valid tree reaches (a page holds
 * at least two keys), so a cycle in a corrupt file ends with an error.
 */
#include "bolt/cursor.h"

void bolt_cursor_init(struct bolt_cursor *c, const struct bolt_view *v,
                      const struct bolt_vbucket *b)
{
	memset(c, 0, sizeof(*c));
	c->view = v;
	c->bucket = *b;
}

static int push(struct bolt_cursor *c, bolt_pgid id, struct bolt_err *err)
{
	struct bolt_cursor_ref *r;
	uint16_t flags;
	int rc;

	if (c->depth >= BOLT_CURSOR_MAX_DEPTH)
		return bolt_errf(err, BOLT_ECORRUPT, id,
		                 "tree deeper than %d levels at page %llu (a cycle?)",
		                 BOLT_CURSOR_MAX_DEPTH, (unsigned long long)id);
	r = &c->stack[c->depth];
	r->id = id;
	if (c->bucket.root == 0) {
		if (c->depth != 0)
			return bolt_errf(err, BOLT_ECORRUPT, id,
			                 "inline bucket refers to page %llu",
			                 (unsigned long long)id);
		r->page = c->bucket.inline_page;
		r->span = c->bucket.inline_len;
	} else if ((rc = bolt_view_page(c->view, id, &r->page, &r->span, err)) != BOLT_OK) {
		return rc;
	}
	flags = bolt_page_flags(r->page);
	if (flags != BOLT_PAGE_LEAF && flags != BOLT_PAGE_BRANCH)
		return bolt_errf(err, BOLT_ECORRUPT, id,
		                 "page %llu is a %s page (flags 0x%x) inside a bucket tree",
		                 (unsigned long long)id, bolt_page_type_name(flags), flags);
	r->leaf = flags == BOLT_PAGE_LEAF;
	r->count = bolt_page_count(r->page);
	if (flags == BOLT_PAGE_BRANCH && r->count == 0)
		return bolt_errf(err, BOLT_ECORRUPT, id, "branch page %llu is empty",
		                 (unsigned long long)id);
	r->index = 0;
	c->depth++;
	return BOLT_OK;
}

static int is_leaf(const struct bolt_cursor_ref *r)
{
	return r->leaf;
}

/* Element i of the frame's page (a bolt_elem_at_fn). */
static int ref_elem(const void *ctx, size_t i, struct bolt_elem *e, struct bolt_err *err)
{
	const struct bolt_cursor_ref *r = ctx;

	if (bolt_page_elem(r->page, r->span, is_leaf(r), (uint32_t)i, e) != 0)
		return bolt_errf(err, BOLT_ECORRUPT, r->id,
		                 "element %zu of page %llu lies outside the page", i,
		                 (unsigned long long)r->id);
	return BOLT_OK;
}

/* The element under the frame's index. */
static int elem_at(const struct bolt_cursor_ref *r, struct bolt_elem *e, struct bolt_err *err)
{
	return ref_elem(r, r->index, e, err);
}

/* Descends from the top of the stack to a leaf along first (dir 0) or last
 * (dir 1) children. */
static int descend(struct bolt_cursor *c, int last, struct bolt_err *err)
{
	for (;;) {
		struct bolt_cursor_ref *r = &c->stack[c->depth - 1];
		struct bolt_elem e = {0};
		int rc;

		if (is_leaf(r)) {
			if (last)
				r->index = r->count ? r->count - 1 : 0;
			return BOLT_OK;
		}
		if (last)
			r->index = r->count - 1;
		if ((rc = elem_at(r, &e, err)) != BOLT_OK)
			return rc;
		if ((rc = push(c, e.pgid, err)) != BOLT_OK)
			return rc;
	}
}

static int current(struct bolt_cursor *c, struct bolt_elem *e, struct bolt_err *err)
{
	struct bolt_cursor_ref *r = &c->stack[c->depth - 1];

	memset(e, 0, sizeof(*e));
	if (r->index >= r->count)
		return BOLT_OK;
	return elem_at(r, e, err);
}

int bolt_cursor_first(struct bolt_cursor *c, struct bolt_elem *e, struct bolt_err *err)
{
	int rc;

	c->depth = 0;
	if ((rc = push(c, c->bucket.root, err)) != BOLT_OK || (rc = descend(c, 0, err)) != BOLT_OK)
		return rc;
	if (c->stack[c->depth - 1].count == 0)
		return bolt_cursor_next(c, e, err);
	return current(c, e, err);
}

int bolt_cursor_last(struct bolt_cursor *c, struct bolt_elem *e, struct bolt_err *err)
{
	int rc;

	c->depth = 0;
	if ((rc = push(c, c->bucket.root, err)) != BOLT_OK || (rc = descend(c, 1, err)) != BOLT_OK)
		return rc;
	if (c->stack[c->depth - 1].count == 0)
		return bolt_cursor_prev(c, e, err);
	return current(c, e, err);
}

/* One step forward (back = 0) or backward: move the deepest frame that can
 * move, then descend to the first (or last) leaf element below it; empty
 * leaves are stepped over. At the end, *e is all zero. */
static int step(struct bolt_cursor *c, int back, struct bolt_elem *e, struct bolt_err *err)
{
	for (;;) {
		int i, rc;

		for (i = c->depth - 1; i >= 0; i--) {
			struct bolt_cursor_ref *r = &c->stack[i];

			if (back && r->index > 0 && r->index <= r->count) {
				r->index--;
				break;
			}
			if (!back && r->count > 0 && r->index < r->count - 1) {
				r->index++;
				break;
			}
		}
		if (i < 0) {
			memset(e, 0, sizeof(*e));
			if (!back)
				c->stack[c->depth - 1].index = c->stack[c->depth - 1].count;
			return BOLT_OK;
		}
		c->depth = i + 1;
		if (!is_leaf(&c->stack[i])) {
			struct bolt_elem b = {0};

			if ((rc = elem_at(&c->stack[i], &b, err)) != BOLT_OK ||
			    (rc = push(c, b.pgid, err)) != BOLT_OK)
				return rc;
			if ((rc = descend(c, back, err)) != BOLT_OK)
				return rc;
		}
		if (c->stack[c->depth - 1].count == 0)
			continue;
		return current(c, e, err);
	}
}

int bolt_cursor_next(struct bolt_cursor *c, struct bolt_elem *e, struct bolt_err *err)
{
	return step(c, 0, e, err);
}

int bolt_cursor_prev(struct bolt_cursor *c, struct bolt_elem *e, struct bolt_err *err)
{
	return step(c, 1, e, err);
}

int bolt_search_index(const void *ctx, bolt_elem_at_fn at, size_t count, int leaf, const void *key,
                      size_t klen, size_t *index, struct bolt_err *err)
{
	size_t lo = 0, hi = count;
	int exact = 0, rc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct bolt_elem m = {0};
		int cmp;

		if ((rc = at(ctx, mid, &m, err)) != BOLT_OK)
			return rc;
		cmp = bolt_keycmp(m.key, m.klen, key, klen);
		if (cmp == 0)
			exact = 1;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* a branch element's key is the lowest of its child: the child to
	 * follow is the last one starting at or below key */
	if (!leaf && !exact && lo > 0)
		lo--;
	*index = lo;
	return BOLT_OK;
}

int bolt_cursor_seek(struct bolt_cursor *c, const void *key, size_t klen, struct bolt_elem *e,
                     struct bolt_err *err)
{
	bolt_pgid id = c->bucket.root;
	int rc;

	c->depth = 0;
	for (;;) {
		struct bolt_cursor_ref *r;
		struct bolt_elem b = {0};
		size_t index;

		if ((rc = push(c, id, err)) != BOLT_OK)
			return rc;
		r = &c->stack[c->depth - 1];
		if ((rc = bolt_search_index(r, ref_elem, r->count, is_leaf(r), key, klen, &index,
		                            err)) != BOLT_OK)
			return rc;
		r->index = (uint32_t)index;
		if (is_leaf(r))
			break;
		if ((rc = elem_at(r, &b, err)) != BOLT_OK)
			return rc;
		id = b.pgid;
	}
	/* past the end of this leaf: the answer is the first key of the next */
	if (c->stack[c->depth - 1].index >= c->stack[c->depth - 1].count)
		return bolt_cursor_next(c, e, err);
	return current(c, e, err);
}
