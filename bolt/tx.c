/*
 * Write transactions and buckets: begin, put/delete/create bucket through a
 * cursor that walks pages or materialised nodes, and commit:
 *   1. rebalance nodes that lost keys;
 *   2. spill: nested buckets first (inline when small enough), then the
 *      nodes, onto newly allocated pages;
 *   3. free the old freelist page, write the new freelist on new pages;
 *   4. grow the file when the high-water mark moved;
 *   5. write the dirty pages in id order, fdatasync;
 *   6. write meta page txid % 2, fdatasync.
 * A crash before 6 leaves the previous meta, and so the previous state.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "bolt/cursor.h"
#include "bolt/tx.h"
#include "bolt/writer.h"

#define MAX_DEPTH 64

/* ---- arena ------------------------------------------------------------ */

void *bolt_tx_alloc(struct bolt_tx *tx, size_t n)
{
	struct bolt_arena_chunk *c = tx->arena;

	n = (n + 7) & ~(size_t)7;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;

		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = tx->arena;
		tx->arena = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

const uint8_t *bolt_tx_dup(struct bolt_tx *tx, const void *p, size_t n)
{
	uint8_t *d = bolt_tx_alloc(tx, n ? n : 1);

	if (d != NULL && n)
		memcpy(d, p, n);
	return d;
}

/* ---- dirty pages --------------------------------------------------------- */

static size_t dirty_slot(const struct bolt_tx *tx, bolt_pgid id)
{
	size_t mask = tx->capdirty - 1;
	size_t i = (size_t)(id * UINT64_C(0x9E3779B97F4A7C15) >> 17) & mask;

	while (tx->dirty[i].id != 0 && tx->dirty[i].id != id)
		i = (i + 1) & mask;
	return i;
}

static int dirty_insert(struct bolt_tx *tx, bolt_pgid id, uint8_t *buf)
{
	if ((tx->ndirty + 1) * 2 > tx->capdirty) {
		struct bolt_dirty *old = tx->dirty;
		size_t oldcap = tx->capdirty;

		tx->capdirty = oldcap ? oldcap * 2 : 64;
		tx->dirty = calloc(tx->capdirty, sizeof(*tx->dirty));
		if (tx->dirty == NULL) {
			tx->dirty = old;
			tx->capdirty = oldcap;
			return -1;
		}
		for (size_t i = 0; i < oldcap; i++)
			if (old[i].id != 0)
				tx->dirty[dirty_slot(tx, old[i].id)] = old[i];
		free(old);
	}
	tx->dirty[dirty_slot(tx, id)] = (struct bolt_dirty){id, buf};
	tx->ndirty++;
	return 0;
}

int bolt_tx_page(struct bolt_tx *tx, bolt_pgid id, const uint8_t **page, size_t *span,
                 struct bolt_err *err)
{
	if (tx->capdirty > 0 && id != 0) {
		struct bolt_dirty *d = &tx->dirty[dirty_slot(tx, id)];

		if (d->id == id) {
			*page = d->buf;
			*span = ((size_t)bolt_page_overflow(d->buf) + 1) * tx->db->page_size;
			return BOLT_OK;
		}
	}
	if (id >= tx->meta.pgid)
		return bolt_errf(err, BOLT_ECORRUPT, id,
		                 "page %llu is at or above the high-water mark %llu",
		                 (unsigned long long)id, (unsigned long long)tx->meta.pgid);
	return bolt_db_page(tx->db, id, page, span, err);
}

int bolt_tx_allocate(struct bolt_tx *tx, size_t count, uint8_t **page, struct bolt_err *err)
{
	bolt_pgid id;
	uint8_t *buf;
	int rc;

	if (count == 0 || count > UINT32_MAX)
		return bolt_errf(err, BOLT_ELIMIT, BOLT_NO_PGID, "cannot allocate %zu pages",
		                 count);
	buf = calloc(count, tx->db->page_size);
	if (buf == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory for %zu pages",
		                 count);
	if ((rc = bolt_db_allocate_id(tx->db, &tx->meta, count, &id, err)) != BOLT_OK) {
		free(buf);
		return rc;
	}
	bolt_put64(buf, id);
	bolt_put32(buf + 12, (uint32_t)(count - 1));
	if (dirty_insert(tx, id, buf) != 0) {
		free(buf);
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	}
	*page = buf;
	return BOLT_OK;
}

int bolt_tx_free_page(struct bolt_tx *tx, bolt_pgid id, struct bolt_err *err)
{
	const uint8_t *p;
	size_t span;
	int rc;

	if ((rc = bolt_tx_page(tx, id, &p, &span, err)) != BOLT_OK)
		return rc;
	return bolt_freelist_free(&tx->db->freelist, id, (size_t)bolt_page_overflow(p) + 1, err);
}

/* ---- buckets ------------------------------------------------------------ */

static struct bolt_bucket *bucket_new(struct bolt_tx *tx)
{
	struct bolt_bucket *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->tx = tx;
	b->tx_next = tx->buckets;
	tx->buckets = b;
	return b;
}

static void bucket_release(struct bolt_bucket *b)
{
	free(b->nodes);
	free(b->children);
}

/* The page or the materialised node for id within bucket b. */
static int page_node(struct bolt_bucket *b, bolt_pgid id, const uint8_t **page, size_t *span,
                     struct bolt_node **node, struct bolt_err *err)
{
	*page = NULL;
	*node = NULL;
	if (b->root == 0) {
		if (id != 0)
			return bolt_errf(err, BOLT_ECORRUPT, id,
			                 "inline bucket refers to page %llu",
			                 (unsigned long long)id);
		if (b->root_node != NULL) {
			*node = b->root_node;
			return BOLT_OK;
		}
		*page = b->inline_page;
		*span = b->inline_len;
		return BOLT_OK;
	}
	for (size_t i = 0; i < b->nnodes; i++) {
		if (b->nodes[i]->pgid == id) {
			*node = b->nodes[i];
			return BOLT_OK;
		}
	}
	return bolt_tx_page(b->tx, id, page, span, err);
}

int bolt_bucket_node(struct bolt_bucket *b, bolt_pgid id, struct bolt_node *parent,
                     struct bolt_node **out, struct bolt_err *err)
{
	struct bolt_node *n;
	const uint8_t *page;
	size_t span;
	int rc;

	for (size_t i = 0; i < b->nnodes; i++) {
		if (b->nodes[i]->pgid == id) {
			*out = b->nodes[i];
			return BOLT_OK;
		}
	}
	if (b->inline_page != NULL) {
		page = b->inline_page;
		span = b->inline_len;
	} else if ((rc = bolt_tx_page(b->tx, id, &page, &span, err)) != BOLT_OK) {
		return rc;
	}
	n = bolt_node_new(b, 1, parent);
	if (n == NULL)
		return bolt_errf(err, BOLT_ENOMEM, id, "out of memory");
	if (parent == NULL)
		b->root_node = n;
	else if (bolt_node_add_child(parent, n) != 0)
		return bolt_errf(err, BOLT_ENOMEM, id, "out of memory");
	if ((rc = bolt_node_read(n, page, span, err)) != BOLT_OK)
		return rc;
	/* A child's key is the one its parent files it under: bbolt writes it
	 * equal to the child's first key, but a child read without elements
	 * has none, and a file may file it under a lower key (in order, so no
	 * check objects); with its own first key, a merge or a delete would
	 * miss the parent's element and leave it pointing at the freed page. */
	for (size_t i = 0; parent != NULL && i < parent->ninodes; i++) {
		if (parent->inodes[i].pgid == id) {
			n->key = parent->inodes[i].key;
			n->klen = parent->inodes[i].klen;
			break;
		}
	}
	n->pgid = id;
	if (b->nnodes == b->capnodes) {
		size_t cap = b->capnodes ? b->capnodes * 2 : 8;
		struct bolt_node **v = reallocarray(b->nodes, cap, sizeof(*v));

		if (v == NULL)
			return bolt_errf(err, BOLT_ENOMEM, id, "out of memory");
		b->nodes = v;
		b->capnodes = cap;
	}
	b->nodes[b->nnodes++] = n;
	*out = n;
	return BOLT_OK;
}

/* ---- cursor ------------------------------------------------------------- */

struct wref {
	bolt_pgid id;
	const uint8_t *page;
	size_t span;
	struct bolt_node *node;
	size_t index;
};

struct wcursor {
	struct bolt_bucket *b;
	struct wref stack[MAX_DEPTH];
	int depth;
};

static int ref_is_leaf(const struct wref *r)
{
	if (r->node != NULL)
		return r->node->is_leaf;
	return (bolt_page_flags(r->page) & BOLT_PAGE_LEAF) != 0;
}

static size_t ref_count(const struct wref *r)
{
	return r->node != NULL ? r->node->ninodes : bolt_page_count(r->page);
}

/* Element i of the frame (a bolt_elem_at_fn). */
static int ref_elem(const void *ctx, size_t i, struct bolt_elem *e, struct bolt_err *err)
{
	const struct wref *r = ctx;

	if (r->node != NULL) {
		const struct bolt_inode *in = &r->node->inodes[i];

		e->flags = in->flags;
		e->key = in->key;
		e->klen = in->klen;
		e->value = in->value;
		e->vlen = in->vlen;
		e->pgid = in->pgid;
		return BOLT_OK;
	}
	if (bolt_page_elem(r->page, r->span, ref_is_leaf(r), (uint32_t)i, e) != 0)
		return bolt_errf(err, BOLT_ECORRUPT, r->id,
		                 "element %zu of page %llu lies outside the page", i,
		                 (unsigned long long)r->id);
	return BOLT_OK;
}

static int cursor_search(struct wcursor *c, const uint8_t *key, size_t klen, bolt_pgid id,
                         struct bolt_err *err)
{
	for (;;) {
		struct wref *r;
		size_t n;
		int rc;

		if (c->depth >= MAX_DEPTH)
			return bolt_errf(err, BOLT_ECORRUPT, id,
			                 "tree deeper than %d levels (a cycle?) at page %llu",
			                 MAX_DEPTH, (unsigned long long)id);
		r = &c->stack[c->depth];
		memset(r, 0, sizeof(*r));
		r->id = id;
		if ((rc = page_node(c->b, id, &r->page, &r->span, &r->node, err)) != BOLT_OK)
			return rc;
		if (r->page != NULL &&
		    (bolt_page_flags(r->page) & (BOLT_PAGE_BRANCH | BOLT_PAGE_LEAF)) == 0)
			return bolt_errf(err, BOLT_ECORRUPT, id, "invalid page type at page %llu",
			                 (unsigned long long)id);
		c->depth++;
		n = ref_count(r);
		if (!ref_is_leaf(r) && n == 0)
			return bolt_errf(err, BOLT_ECORRUPT, id, "branch page %llu is empty",
			                 (unsigned long long)id);
		if ((rc = bolt_search_index(r, ref_elem, n, ref_is_leaf(r), key, klen, &r->index,
		                            err)) != BOLT_OK)
			return rc;
		if (ref_is_leaf(r))
			return BOLT_OK;
		{
			struct bolt_elem e = {0};

			if ((rc = ref_elem(r, r->index, &e, err)) != BOLT_OK)
				return rc;
			id = e.pgid;
		}
	}
}

/* Positions the cursor at the first key >= key; *found is the element
 * there (key NULL when past the end). */
static int cursor_seek(struct wcursor *c, struct bolt_bucket *b, const uint8_t *key, size_t klen,
                       struct bolt_elem *found, struct bolt_err *err)
{
	struct wref *r;
	int rc;

	c->b = b;
	c->depth = 0;
	memset(found, 0, sizeof(*found));
	if ((rc = cursor_search(c, key, klen, b->root, err)) != BOLT_OK)
		return rc;
	r = &c->stack[c->depth - 1];
	if (r->index >= ref_count(r))
		return BOLT_OK;
	return ref_elem(r, r->index, found, err);
}

/* The leaf node under the cursor, materialising the path to it. */
static int cursor_node(struct wcursor *c, struct bolt_node **out, struct bolt_err *err)
{
	struct wref *top = &c->stack[c->depth - 1];
	struct bolt_node *n;
	int rc;

	if (top->node != NULL && top->node->is_leaf) {
		*out = top->node;
		return BOLT_OK;
	}
	n = c->stack[0].node;
	if (n == NULL && (rc = bolt_bucket_node(c->b, c->stack[0].id, NULL, &n, err)) != BOLT_OK)
		return rc;
	for (int i = 0; i < c->depth - 1; i++) {
		if (n->is_leaf || c->stack[i].index >= n->ninodes)
			return bolt_errf(err, BOLT_ECORRUPT, n->pgid,
			                 "tree path broken at page %llu",
			                 (unsigned long long)n->pgid);
		if ((rc = bolt_bucket_node(c->b, n->inodes[c->stack[i].index].pgid, n, &n, err)) !=
		    BOLT_OK)
			return rc;
	}
	if (!n->is_leaf)
		return bolt_errf(err, BOLT_ECORRUPT, n->pgid, "expected a leaf at page %llu",
		                 (unsigned long long)n->pgid);
	*out = n;
	return BOLT_OK;
}

static int open_child(struct bolt_bucket *b, const uint8_t *name, size_t len,
                      const struct bolt_elem *e, struct bolt_bucket **out, struct bolt_err *err)
{
	struct bolt_tx *tx = b->tx;
	struct bolt_bucket *c;

	if (e->vlen < BOLT_BUCKET_HEADER_SIZE)
		return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID, "bucket value too short");
	c = bucket_new(tx);
	if (c == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	c->root = bolt_le64(e->value);
	c->sequence = bolt_le64(e->value + 8);
	if (c->root == 0) {
		c->inline_len = e->vlen - BOLT_BUCKET_HEADER_SIZE;
		if (c->inline_len < BOLT_PAGE_HEADER_SIZE)
			return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
			                 "inline bucket value too short");
		c->inline_page = bolt_tx_dup(tx, e->value + BOLT_BUCKET_HEADER_SIZE, c->inline_len);
		if (c->inline_page == NULL)
			return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	}
	if (b->nchildren == b->capchildren) {
		size_t cap = b->capchildren ? b->capchildren * 2 : 4;
		struct bolt_child *v = reallocarray(b->children, cap, sizeof(*v));

		if (v == NULL)
			return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
		b->children = v;
		b->capchildren = cap;
	}
	b->children[b->nchildren].name = bolt_tx_dup(tx, name, len);
	b->children[b->nchildren].len = len;
	b->children[b->nchildren].bucket = c;
	if (b->children[b->nchildren].name == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	b->nchildren++;
	*out = c;
	return BOLT_OK;
}

int bolt_bucket_open(struct bolt_bucket *b, const void *name, size_t len, struct bolt_bucket **out,
                     struct bolt_err *err)
{
	struct wcursor c;
	struct bolt_elem e = {0};
	int rc;

	for (size_t i = 0; i < b->nchildren; i++) {
		if (bolt_keycmp(b->children[i].name, b->children[i].len, name, len) == 0) {
			*out = b->children[i].bucket;
			return BOLT_OK;
		}
	}
	if ((rc = cursor_seek(&c, b, name, len, &e, err)) != BOLT_OK)
		return rc;
	if (e.key == NULL || bolt_keycmp(e.key, e.klen, name, len) != 0 ||
	    (e.flags & BOLT_BUCKET_LEAF_FLAG) == 0)
		return bolt_errf(err, BOLT_ENOTFOUND, BOLT_NO_PGID, "bucket \"%.*s\" not found",
		                 (int)(len > 64 ? 64 : len), (const char *)name);
	return open_child(b, name, len, &e, out, err);
}

int bolt_bucket_create(struct bolt_bucket *b, const void *name, size_t len,
                       struct bolt_bucket **out, struct bolt_err *err)
{
	/* bucket header (root 0, sequence 0) + an empty leaf page image */
	uint8_t value[BOLT_BUCKET_HEADER_SIZE + BOLT_PAGE_HEADER_SIZE] = {0};
	struct wcursor c;
	struct bolt_elem e = {0};
	struct bolt_node *n;
	const uint8_t *k, *v;
	int rc;

	if (len == 0 || len > BOLT_MAX_KEY_SIZE)
		return bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "invalid bucket name length %zu",
		                 len);
	if ((rc = cursor_seek(&c, b, name, len, &e, err)) != BOLT_OK)
		return rc;
	if (e.key != NULL && bolt_keycmp(e.key, e.klen, name, len) == 0)
		return bolt_errf(err, (e.flags & BOLT_BUCKET_LEAF_FLAG) ? BOLT_EEXIST : BOLT_EINVAL,
		                 BOLT_NO_PGID, "key \"%.*s\" already exists",
		                 (int)(len > 64 ? 64 : len), (const char *)name);
	bolt_put16(value + BOLT_BUCKET_HEADER_SIZE + 8, BOLT_PAGE_LEAF);
	k = bolt_tx_dup(b->tx, name, len);
	v = bolt_tx_dup(b->tx, value, sizeof(value));
	if (k == NULL || v == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	if ((rc = cursor_node(&c, &n, err)) != BOLT_OK)
		return rc;
	if ((rc = bolt_node_put(n, k, (uint32_t)len, k, (uint32_t)len, v, sizeof(value), 0,
	                        BOLT_BUCKET_LEAF_FLAG, err)) != BOLT_OK)
		return rc;
	b->inline_page = NULL;
	return bolt_bucket_open(b, name, len, out, err);
}

int bolt_bucket_create_if_missing(struct bolt_bucket *b, const void *name, size_t len,
                                  struct bolt_bucket **out, struct bolt_err *err)
{
	int rc = bolt_bucket_create(b, name, len, out, err);

	if (rc == BOLT_EEXIST)
		return bolt_bucket_open(b, name, len, out, err);
	return rc;
}

int bolt_bucket_put(struct bolt_bucket *b, const void *key, size_t klen, const void *value,
                    size_t vlen, struct bolt_err *err)
{
	struct wcursor c;
	struct bolt_elem e = {0};
	struct bolt_node *n;
	const uint8_t *k, *v;
	int rc;

	if (klen == 0 || klen > BOLT_MAX_KEY_SIZE)
		return bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "invalid key length %zu", klen);
	if (vlen > BOLT_MAX_VALUE_SIZE)
		return bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "value of %zu bytes is too large",
		                 vlen);
	if ((rc = cursor_seek(&c, b, key, klen, &e, err)) != BOLT_OK)
		return rc;
	if (e.key != NULL && bolt_keycmp(e.key, e.klen, key, klen) == 0 &&
	    (e.flags & BOLT_BUCKET_LEAF_FLAG))
		return bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "key is a nested bucket");
	k = bolt_tx_dup(b->tx, key, klen);
	v = bolt_tx_dup(b->tx, value, vlen);
	if (k == NULL || v == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	if ((rc = cursor_node(&c, &n, err)) != BOLT_OK)
		return rc;
	return bolt_node_put(n, k, (uint32_t)klen, k, (uint32_t)klen, v, (uint32_t)vlen, 0, 0, err);
}

int bolt_bucket_delete(struct bolt_bucket *b, const void *key, size_t klen, struct bolt_err *err)
{
	struct wcursor c;
	struct bolt_elem e = {0};
	struct bolt_node *n;
	int rc;

	if ((rc = cursor_seek(&c, b, key, klen, &e, err)) != BOLT_OK)
		return rc;
	if (e.key == NULL || bolt_keycmp(e.key, e.klen, key, klen) != 0)
		return BOLT_OK;
	if (e.flags & BOLT_BUCKET_LEAF_FLAG)
		return bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "key is a nested bucket");
	if ((rc = cursor_node(&c, &n, err)) != BOLT_OK)
		return rc;
	bolt_node_del(n, key, (uint32_t)klen);
	return BOLT_OK;
}

int bolt_bucket_get(struct bolt_bucket *b, const void *key, size_t klen, const uint8_t **value,
                    size_t *vlen, struct bolt_err *err)
{
	struct wcursor c;
	struct bolt_elem e = {0};
	int rc;

	if ((rc = cursor_seek(&c, b, key, klen, &e, err)) != BOLT_OK)
		return rc;
	if (e.key == NULL || bolt_keycmp(e.key, e.klen, key, klen) != 0 ||
	    (e.flags & BOLT_BUCKET_LEAF_FLAG))
		return bolt_errf(err, BOLT_ENOTFOUND, BOLT_NO_PGID, "key not found");
	*value = e.value;
	*vlen = e.vlen;
	return BOLT_OK;
}

/* ---- commit -------------------------------------------------------------- */

static int bucket_rebalance(struct bolt_bucket *b, struct bolt_err *err)
{
	size_t n = b->nnodes;
	struct bolt_node **snap;
	int rc = BOLT_OK;

	if (n > 0) {
		snap = reallocarray(NULL, n, sizeof(*snap));
		if (snap == NULL)
			return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
		memcpy(snap, b->nodes, n * sizeof(*snap));
		for (size_t i = 0; i < n && rc == BOLT_OK; i++)
			if (!snap[i]->dead)
				rc = bolt_node_rebalance(snap[i], err);
		free(snap);
		if (rc != BOLT_OK)
			return rc;
	}
	for (size_t i = 0; i < b->nchildren; i++)
		if ((rc = bucket_rebalance(b->children[i].bucket, err)) != BOLT_OK)
			return rc;
	return BOLT_OK;
}

static int inlineable(const struct bolt_bucket *b)
{
	const struct bolt_node *n = b->root_node;
	size_t size = BOLT_PAGE_HEADER_SIZE;

	if (n == NULL || !n->is_leaf)
		return 0;
	for (size_t i = 0; i < n->ninodes; i++) {
		size += BOLT_LEAF_ELEM_SIZE + n->inodes[i].klen + n->inodes[i].vlen;
		if (n->inodes[i].flags & BOLT_BUCKET_LEAF_FLAG)
			return 0;
		if (size > b->tx->db->page_size / 4)
			return 0;
	}
	return 1;
}

/* Frees every page of a bucket's tree (it is about to become inline). */
static int free_tree(struct bolt_bucket *b, bolt_pgid id, int depth, struct bolt_err *err)
{
	const uint8_t *page;
	size_t span;
	struct bolt_node *node;
	int rc;

	if (depth >= MAX_DEPTH)
		return bolt_errf(err, BOLT_ECORRUPT, id, "tree deeper than %d levels", MAX_DEPTH);
	if ((rc = page_node(b, id, &page, &span, &node, err)) != BOLT_OK)
		return rc;
	if (node != NULL) {
		if ((rc = bolt_node_free(node, err)) != BOLT_OK)
			return rc;
		if (!node->is_leaf)
			for (size_t i = 0; i < node->ninodes; i++)
				if ((rc = free_tree(b, node->inodes[i].pgid, depth + 1, err)))
					return rc;
		return BOLT_OK;
	}
	if ((rc = bolt_freelist_free(&b->tx->db->freelist, id, (size_t)bolt_page_overflow(page) + 1,
	                             err)) != BOLT_OK)
		return rc;
	if (bolt_page_flags(page) & BOLT_PAGE_BRANCH) {
		for (uint32_t i = 0; i < bolt_page_count(page); i++) {
			struct bolt_elem e = {0};

			if (bolt_page_elem(page, span, 0, i, &e) != 0)
				return bolt_errf(err, BOLT_ECORRUPT, id,
				                 "element %u of page %llu lies outside the page", i,
				                 (unsigned long long)id);
			if ((rc = free_tree(b, e.pgid, depth + 1, err)) != BOLT_OK)
				return rc;
		}
	}
	return BOLT_OK;
}

static int cmp_child(const void *a, const void *b)
{
	const struct bolt_child *x = a, *y = b;

	return bolt_keycmp(x->name, x->len, y->name, y->len);
}

static int bucket_spill(struct bolt_bucket *b, struct bolt_err *err)
{
	int rc;

	if (b->nchildren > 1)
		qsort(b->children, b->nchildren, sizeof(*b->children), cmp_child);
	for (size_t i = 0; i < b->nchildren; i++) {
		struct bolt_child *ch = &b->children[i];
		struct bolt_bucket *child = ch->bucket;
		uint8_t *value;
		size_t vlen;
		struct wcursor c;
		struct bolt_elem e = {0};
		struct bolt_node *n;

		if (inlineable(child)) {
			if (child->root != 0) {
				if ((rc = free_tree(child, child->root, 0, err)) != BOLT_OK)
					return rc;
				child->root = 0;
			}
			vlen = BOLT_BUCKET_HEADER_SIZE + bolt_node_size(child->root_node);
			value = bolt_tx_alloc(b->tx, vlen);
			if (value == NULL)
				return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
			memset(value, 0, vlen);
			bolt_put64(value, child->root);
			bolt_put64(value + 8, child->sequence);
			bolt_node_write(child->root_node, value + BOLT_BUCKET_HEADER_SIZE);
		} else {
			if ((rc = bucket_spill(child, err)) != BOLT_OK)
				return rc;
			vlen = BOLT_BUCKET_HEADER_SIZE;
			value = bolt_tx_alloc(b->tx, vlen);
			if (value == NULL)
				return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
			bolt_put64(value, child->root);
			bolt_put64(value + 8, child->sequence);
		}
		if (child->root_node == NULL)
			continue;
		if ((rc = cursor_seek(&c, b, ch->name, ch->len, &e, err)) != BOLT_OK)
			return rc;
		if (e.key == NULL || bolt_keycmp(e.key, e.klen, ch->name, ch->len) != 0 ||
		    !(e.flags & BOLT_BUCKET_LEAF_FLAG))
			return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
			                 "misplaced bucket header");
		if ((rc = cursor_node(&c, &n, err)) != BOLT_OK)
			return rc;
		if ((rc = bolt_node_put(n, ch->name, (uint32_t)ch->len, ch->name, (uint32_t)ch->len,
		                        value, (uint32_t)vlen, 0, BOLT_BUCKET_LEAF_FLAG, err)) !=
		    BOLT_OK)
			return rc;
	}
	if (b->root_node == NULL)
		return BOLT_OK;
	if ((rc = bolt_node_spill(b->root_node, err)) != BOLT_OK)
		return rc;
	b->root_node = bolt_node_root(b->root_node);
	if (b->root_node->pgid >= b->tx->meta.pgid)
		return bolt_errf(err, BOLT_ECORRUPT, b->root_node->pgid,
		                 "root page above the high-water mark");
	b->root = b->root_node->pgid;
	return BOLT_OK;
}

static int cmp_dirty(const void *a, const void *b)
{
	bolt_pgid x = ((const struct bolt_dirty *)a)->id, y = ((const struct bolt_dirty *)b)->id;

	return (x > y) - (x < y);
}

static int write_all(int fd, const uint8_t *p, size_t n, uint64_t off, const char *name,
                     struct bolt_err *err)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return bolt_syserr(err, "cannot write %s", name);
		}
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return BOLT_OK;
}

static int write_dirty(struct bolt_tx *tx, struct bolt_err *err)
{
	struct bolt_db *db = tx->db;
	size_t n = 0;
	int rc = BOLT_OK;

	/* compact the hash into a sorted run */
	for (size_t i = 0; i < tx->capdirty; i++)
		if (tx->dirty[i].id != 0)
			tx->dirty[n++] = tx->dirty[i];
	qsort(tx->dirty, n, sizeof(*tx->dirty), cmp_dirty);
	for (size_t i = n; i < tx->capdirty; i++)
		tx->dirty[i] = (struct bolt_dirty){0, NULL};
	tx->ndirty = n; /* the hash is no longer valid: no lookups after this */
	for (size_t i = 0; i < n && rc == BOLT_OK; i++) {
		const struct bolt_dirty *d = &tx->dirty[i];
		size_t len = ((size_t)bolt_page_overflow(d->buf) + 1) * db->page_size;

		rc = write_all(db->fd, d->buf, len, d->id * db->page_size, db->name, err);
	}
	if (rc == BOLT_OK)
		rc = bolt_db_sync(db, 0, err);
	return rc;
}

static void tx_free(struct bolt_tx *tx)
{
	struct bolt_node *n, *nn;
	struct bolt_bucket *b, *bn;
	struct bolt_arena_chunk *c, *cn;

	for (size_t i = 0; i < tx->capdirty; i++)
		free(tx->dirty[i].buf);
	free(tx->dirty);
	for (n = tx->nodes; n != NULL; n = nn) {
		nn = n->tx_next;
		free(n->inodes);
		free(n->children);
		free(n);
	}
	for (b = tx->buckets; b != NULL; b = bn) {
		bn = b->tx_next;
		bucket_release(b);
		free(b);
	}
	bucket_release(&tx->root);
	for (c = tx->arena; c != NULL; c = cn) {
		cn = c->next;
		free(c);
	}
	if (tx->db->rwtx == tx)
		tx->db->rwtx = NULL;
	free(tx);
}

int bolt_tx_begin(struct bolt_db *db, struct bolt_tx **out, struct bolt_err *err)
{
	struct bolt_tx *tx;
	int rc;

	if (db->rwtx != NULL)
		return bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "a write transaction is open");
	if ((rc = bolt_db_remap(db, err)) != BOLT_OK)
		return rc;
	if ((rc = bolt_freelist_release(&db->freelist, err)) != BOLT_OK)
		return rc;
	tx = calloc(1, sizeof(*tx));
	if (tx == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	tx->db = db;
	tx->meta = db->meta;
	tx->meta.txid++;
	tx->root.tx = tx;
	tx->root.root = tx->meta.root;
	tx->root.sequence = tx->meta.sequence;
	db->rwtx = tx;
	*out = tx;
	return BOLT_OK;
}

struct bolt_bucket *bolt_tx_root(struct bolt_tx *tx)
{
	return &tx->root;
}

/* After a failed commit the in-memory freelist no longer matches the file:
 * reload it from the freelist page of the last committed meta. */
static void restore_freelist(struct bolt_db *db)
{
	const uint8_t *p;
	size_t span;
	struct bolt_err ignored;

	bolt_freelist_rollback(&db->freelist);
	if (bolt_db_page(db, db->meta.freelist, &p, &span, &ignored) != BOLT_OK ||
	    bolt_freelist_read(&db->freelist, p, span, db->meta.pgid, &ignored) != BOLT_OK)
		db->freelist.nfree = 0; /* allocate only past the high-water mark */
}

void bolt_tx_rollback(struct bolt_tx *tx)
{
	struct bolt_db *db = tx->db;

	tx_free(tx);
	restore_freelist(db);
}

int bolt_tx_commit(struct bolt_tx *tx, struct bolt_err *err)
{
	struct bolt_db *db = tx->db;
	bolt_pgid opgid = tx->meta.pgid;
	uint8_t *page;
	uint8_t *meta_page = NULL;
	int rc;

	if ((rc = bucket_rebalance(&tx->root, err)) != BOLT_OK)
		goto fail;
	if ((rc = bucket_spill(&tx->root, err)) != BOLT_OK)
		goto fail;
	tx->meta.root = tx->root.root;
	if (tx->meta.freelist != UINT64_MAX &&
	    (rc = bolt_tx_free_page(tx, tx->meta.freelist, err)) != BOLT_OK)
		goto fail;
	if ((rc = bolt_tx_allocate(tx, bolt_freelist_size(&db->freelist) / db->page_size + 1, &page,
	                           err)) != BOLT_OK)
		goto fail;
	if ((rc = bolt_freelist_write(&db->freelist, page, err)) != BOLT_OK)
		goto fail;
	tx->meta.freelist = bolt_page_id(page);
	if (tx->meta.pgid > opgid &&
	    (rc = bolt_db_grow(db, (tx->meta.pgid + 1) * db->page_size, err)) != BOLT_OK)
		goto fail;
	if ((rc = write_dirty(tx, err)) != BOLT_OK)
		goto fail;
	meta_page = calloc(1, db->page_size);
	if (meta_page == NULL) {
		rc = bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
		goto fail;
	}
	{
		uint64_t id = bolt_meta_encode(&tx->meta, meta_page);

		rc = write_all(db->fd, meta_page, db->page_size, id * db->page_size, db->name, err);
	}
	free(meta_page);
	if (rc == BOLT_OK)
		rc = bolt_db_sync(db, 0, err);
	if (rc != BOLT_OK)
		goto fail;
	db->meta = tx->meta;
	tx_free(tx);
	return BOLT_OK;
fail:
	tx_free(tx);
	restore_freelist(db);
	return rc;
}
