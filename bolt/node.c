/*
 * In-memory B+tree nodes of a write transaction: how a page becomes a node,
 * how nodes split when they outgrow a page, how they are written back
 * (spill) and merged when deletions left them small (rebalance). The rules
 * are bbolt's, so that the same operations give the same pages:
 *   - split: a node larger than a page with more than 4 inodes splits at
 *     the first inode (index >= 2) that would push the left part past
 *     pageSize * 0.5, leaving at least 2 inodes on the right;
 *   - spill: children first (sorted by first key), then the node, each on
 *     freshly allocated pages; the old page goes to the pending list;
 *   - rebalance: a node of at most pageSize/4 bytes or too few keys merges
 *     with its next sibling (or previous, when it is the last child).
 */
#include <stdlib.h>

#include "bolt/node.h"
#include "bolt/writer.h"

#define FILL_PERCENT 0.5

struct bolt_node *bolt_node_new(struct bolt_bucket *b, int is_leaf, struct bolt_node *parent)
{
	struct bolt_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->bucket = b;
	n->is_leaf = is_leaf;
	n->parent = parent;
	n->tx_next = b->tx->nodes;
	b->tx->nodes = n;
	return n;
}

static int reserve_inodes(struct bolt_node *n, size_t want)
{
	struct bolt_inode *p;
	size_t cap;

	if (want <= n->capinodes)
		return 0;
	cap = n->capinodes ? n->capinodes * 2 : 8;
	while (cap < want)
		cap *= 2;
	p = reallocarray(n->inodes, cap, sizeof(*p));
	if (p == NULL)
		return -1;
	n->inodes = p;
	n->capinodes = cap;
	return 0;
}

int bolt_node_add_child(struct bolt_node *n, struct bolt_node *child)
{
	if (n->nchildren == n->capchildren) {
		size_t cap = n->capchildren ? n->capchildren * 2 : 4;
		struct bolt_node **p = reallocarray(n->children, cap, sizeof(*p));

		if (p == NULL)
			return -1;
		n->children = p;
		n->capchildren = cap;
	}
	n->children[n->nchildren++] = child;
	return 0;
}

/* Removes x from the array v of *n nodes, keeping the order (no-op when absent). */
static void drop_node(struct bolt_node **v, size_t *n, const struct bolt_node *x)
{
	for (size_t i = 0; i < *n; i++) {
		if (v[i] == x) {
			memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
			(*n)--;
			return;
		}
	}
}

static void remove_child(struct bolt_node *n, struct bolt_node *child)
{
	drop_node(n->children, &n->nchildren, child);
}

struct bolt_node *bolt_node_root(struct bolt_node *n)
{
	while (n->parent != NULL)
		n = n->parent;
	return n;
}

/* Copies the elements of a leaf or branch page into the node. Trusts
 * nothing: every element is bounds-checked against the page span. */
int bolt_node_read(struct bolt_node *n, const uint8_t *page, size_t span, struct bolt_err *err)
{
	uint16_t flags = bolt_page_flags(page);
	uint16_t count = bolt_page_count(page);
	struct bolt_tx *tx = n->bucket->tx;

	if ((flags & (BOLT_PAGE_LEAF | BOLT_PAGE_BRANCH)) == 0)
		return bolt_errf(err, BOLT_ECORRUPT, bolt_page_id(page),
		                 "page %llu has type %s (flags 0x%x), expected a branch or leaf",
		                 (unsigned long long)bolt_page_id(page), bolt_page_type_name(flags),
		                 flags);
	n->pgid = bolt_page_id(page);
	n->is_leaf = (flags & BOLT_PAGE_LEAF) != 0;
	if (reserve_inodes(n, count) != 0)
		return bolt_errf(err, BOLT_ENOMEM, n->pgid, "out of memory reading page");
	n->ninodes = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct bolt_elem e;
		struct bolt_inode *in = &n->inodes[n->ninodes];

		if (bolt_page_elem(page, span, n->is_leaf, i, &e) != 0)
			return bolt_errf(err, BOLT_ECORRUPT, n->pgid,
			                 "element %u of page %llu lies outside the page", i,
			                 (unsigned long long)n->pgid);
		if (e.klen == 0)
			return bolt_errf(err, BOLT_ECORRUPT, n->pgid,
			                 "element %u of page %llu has an empty key", i,
			                 (unsigned long long)n->pgid);
		in->flags = e.flags;
		in->pgid = e.pgid;
		in->key = bolt_tx_dup(tx, e.key, e.klen);
		in->klen = e.klen;
		in->value = e.vlen ? bolt_tx_dup(tx, e.value, e.vlen) : (const uint8_t *)"";
		in->vlen = e.vlen;
		if (in->key == NULL || (e.vlen && in->value == NULL))
			return bolt_errf(err, BOLT_ENOMEM, n->pgid, "out of memory reading page");
		n->ninodes++;
	}
	if (n->ninodes > 0) {
		n->key = n->inodes[0].key;
		n->klen = n->inodes[0].klen;
	} else {
		n->key = NULL;
		n->klen = 0;
	}
	return BOLT_OK;
}

static size_t elem_size(const struct bolt_node *n)
{
	return n->is_leaf ? BOLT_LEAF_ELEM_SIZE : BOLT_BRANCH_ELEM_SIZE;
}

size_t bolt_node_size(const struct bolt_node *n)
{
	size_t sz = BOLT_PAGE_HEADER_SIZE;

	for (size_t i = 0; i < n->ninodes; i++)
		sz += elem_size(n) + n->inodes[i].klen + n->inodes[i].vlen;
	return sz;
}

static int size_less_than(const struct bolt_node *n, size_t v)
{
	size_t sz = BOLT_PAGE_HEADER_SIZE;

	for (size_t i = 0; i < n->ninodes; i++) {
		sz += elem_size(n) + n->inodes[i].klen + n->inodes[i].vlen;
		if (sz >= v)
			return 0;
	}
	return 1;
}

/* Writes the node into a zeroed page image: elements first, then each
 * key followed by its value, in order. The caller checked ninodes < 0xFFFF. */
void bolt_node_write(const struct bolt_node *n, uint8_t *page)
{
	size_t off = BOLT_PAGE_HEADER_SIZE + elem_size(n) * n->ninodes;
	uint16_t flags = bolt_page_flags(page);

	bolt_put16(page + 8, (uint16_t)(flags | (n->is_leaf ? BOLT_PAGE_LEAF : BOLT_PAGE_BRANCH)));
	bolt_put16(page + 10, (uint16_t)n->ninodes);
	for (size_t i = 0; i < n->ninodes; i++) {
		const struct bolt_inode *in = &n->inodes[i];
		uint8_t *el = page + BOLT_PAGE_HEADER_SIZE + elem_size(n) * i;
		uint32_t pos = (uint32_t)(off - (size_t)(el - page));

		if (n->is_leaf) {
			bolt_put32(el, in->flags);
			bolt_put32(el + 4, pos);
			bolt_put32(el + 8, in->klen);
			bolt_put32(el + 12, in->vlen);
		} else {
			bolt_put32(el, pos);
			bolt_put32(el + 4, in->klen);
			bolt_put64(el + 8, in->pgid);
		}
		memcpy(page + off, in->key, in->klen);
		off += in->klen;
		if (in->vlen)
			memcpy(page + off, in->value, in->vlen);
		off += in->vlen;
	}
}

/* Index of the first inode whose key is >= key. */
static size_t lower_bound(const struct bolt_node *n, const uint8_t *key, size_t klen)
{
	size_t lo = 0, hi = n->ninodes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bolt_keycmp(n->inodes[mid].key, n->inodes[mid].klen, key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bolt_node_put(struct bolt_node *n, const uint8_t *old, uint32_t oldlen, const uint8_t *key,
                  uint32_t klen, const uint8_t *value, uint32_t vlen, bolt_pgid pgid,
                  uint32_t flags, struct bolt_err *err)
{
	size_t idx;
	struct bolt_inode *in;

	if (pgid >= n->bucket->tx->meta.pgid)
		return bolt_errf(err, BOLT_ECORRUPT, pgid, "page %llu is above the high-water mark",
		                 (unsigned long long)pgid);
	if (oldlen == 0 || klen == 0)
		return bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "empty key");
	idx = lower_bound(n, old, oldlen);
	if (idx >= n->ninodes ||
	    bolt_keycmp(n->inodes[idx].key, n->inodes[idx].klen, old, oldlen) != 0) {
		if (reserve_inodes(n, n->ninodes + 1) != 0)
			return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
		memmove(n->inodes + idx + 1, n->inodes + idx,
		        (n->ninodes - idx) * sizeof(*n->inodes));
		n->ninodes++;
	}
	in = &n->inodes[idx];
	in->flags = flags;
	in->key = key;
	in->klen = klen;
	in->value = value ? value : (const uint8_t *)"";
	in->vlen = value ? vlen : 0;
	in->pgid = pgid;
	return BOLT_OK;
}

void bolt_node_del(struct bolt_node *n, const uint8_t *key, uint32_t klen)
{
	size_t idx = lower_bound(n, key, klen);

	if (idx >= n->ninodes ||
	    bolt_keycmp(n->inodes[idx].key, n->inodes[idx].klen, key, klen) != 0)
		return;
	memmove(n->inodes + idx, n->inodes + idx + 1, (n->ninodes - idx - 1) * sizeof(*n->inodes));
	n->ninodes--;
	n->unbalanced = 1;
}

static size_t split_index(const struct bolt_node *n, size_t threshold)
{
	size_t sz = BOLT_PAGE_HEADER_SIZE, index = 0;

	for (size_t i = 0; i + BOLT_MIN_KEYS_PER_PAGE < n->ninodes; i++) {
		size_t elsize = elem_size(n) + n->inodes[i].klen + n->inodes[i].vlen;

		index = i;
		if (i >= BOLT_MIN_KEYS_PER_PAGE && sz + elsize > threshold)
			break;
		sz += elsize;
	}
	return index;
}

/* Splits n in two when it is larger than a page; *next is NULL when not. */
static int split_two(struct bolt_node *n, size_t page_size, struct bolt_node **next,
                     struct bolt_err *err)
{
	size_t idx;
	struct bolt_node *b;

	*next = NULL;
	if (n->ninodes <= BOLT_MIN_KEYS_PER_PAGE * 2 || size_less_than(n, page_size))
		return BOLT_OK;
	idx = split_index(n, (size_t)((double)page_size * FILL_PERCENT));
	if (n->parent == NULL) {
		n->parent = bolt_node_new(n->bucket, 0, NULL);
		if (n->parent == NULL || bolt_node_add_child(n->parent, n) != 0)
			return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	}
	b = bolt_node_new(n->bucket, n->is_leaf, n->parent);
	if (b == NULL || bolt_node_add_child(n->parent, b) != 0 ||
	    reserve_inodes(b, n->ninodes - idx) != 0)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	memcpy(b->inodes, n->inodes + idx, (n->ninodes - idx) * sizeof(*n->inodes));
	b->ninodes = n->ninodes - idx;
	n->ninodes = idx;
	*next = b;
	return BOLT_OK;
}

static int cmp_first_key(const void *a, const void *b)
{
	const struct bolt_node *x = *(struct bolt_node *const *)a;
	const struct bolt_node *y = *(struct bolt_node *const *)b;

	if (x->ninodes == 0 || y->ninodes == 0)
		return (x->ninodes != 0) - (y->ninodes != 0);
	return bolt_keycmp(x->inodes[0].key, x->inodes[0].klen, y->inodes[0].key,
	                   y->inodes[0].klen);
}

int bolt_node_free(struct bolt_node *n, struct bolt_err *err)
{
	int rc;

	if (n->pgid == 0)
		return BOLT_OK;
	rc = bolt_tx_free_page(n->bucket->tx, n->pgid, err);
	n->pgid = 0;
	return rc;
}

/* Writes one node (already split to fit) onto fresh pages and records its
 * first key in the parent. */
static int spill_one(struct bolt_node *node, struct bolt_err *err)
{
	struct bolt_tx *tx = node->bucket->tx;
	size_t ps = tx->db->page_size;
	uint8_t *page;
	int rc;

	if (node->pgid > 0 && (rc = bolt_node_free(node, err)) != BOLT_OK)
		return rc;
	if (node->ninodes >= 0xFFFF)
		return bolt_errf(err, BOLT_ELIMIT, BOLT_NO_PGID,
		                 "node with %zu keys cannot be written", node->ninodes);
	if ((rc = bolt_tx_allocate(tx, (bolt_node_size(node) + ps - 1) / ps, &page, err)) !=
	    BOLT_OK)
		return rc;
	node->pgid = bolt_page_id(page);
	bolt_node_write(node, page);
	node->spilled = 1;
	if (node->parent != NULL) {
		const uint8_t *key = node->key ? node->key : node->inodes[0].key;
		uint32_t klen = node->key ? node->klen : node->inodes[0].klen;

		rc = bolt_node_put(node->parent, key, klen, node->inodes[0].key,
		                   node->inodes[0].klen, NULL, 0, node->pgid, 0, err);
		if (rc != BOLT_OK)
			return rc;
		node->key = node->inodes[0].key;
		node->klen = node->inodes[0].klen;
	}
	return BOLT_OK;
}

int bolt_node_spill(struct bolt_node *n, struct bolt_err *err)
{
	struct bolt_tx *tx = n->bucket->tx;
	struct bolt_node *cur, *next;
	int rc;

	if (n->spilled)
		return BOLT_OK;
	if (n->nchildren > 1)
		qsort(n->children, n->nchildren, sizeof(*n->children), cmp_first_key);
	for (size_t i = 0; i < n->nchildren; i++)
		if ((rc = bolt_node_spill(n->children[i], err)) != BOLT_OK)
			return rc;
	n->nchildren = 0;

	/* split into page-sized nodes and write each as soon as it is cut */
	for (cur = n; cur != NULL; cur = next) {
		if ((rc = split_two(cur, tx->db->page_size, &next, err)) != BOLT_OK)
			return rc;
		if (cur->ninodes == 0 && cur->parent != NULL)
			return bolt_errf(err, BOLT_ECORRUPT, cur->pgid,
			                 "cannot spill an empty node");
		if ((rc = spill_one(cur, err)) != BOLT_OK)
			return rc;
	}
	if (n->parent != NULL && n->parent->pgid == 0) {
		n->nchildren = 0;
		return bolt_node_spill(n->parent, err);
	}
	return BOLT_OK;
}

static size_t child_index(const struct bolt_node *parent, const struct bolt_node *child)
{
	return lower_bound(parent, child->key, child->klen);
}

static void forget_node(struct bolt_bucket *b, struct bolt_node *n)
{
	drop_node(b->nodes, &b->nnodes, n);
	n->dead = 1;
	n->unbalanced = 0;
}

static struct bolt_node *lookup_node(struct bolt_bucket *b, bolt_pgid id)
{
	for (size_t i = 0; i < b->nnodes; i++)
		if (b->nodes[i]->pgid == id)
			return b->nodes[i];
	return NULL;
}

/* Moves the materialised children of `from`'s inodes under `to`. */
static int adopt_children(struct bolt_node *from, struct bolt_node *to)
{
	for (size_t i = 0; i < from->ninodes; i++) {
		struct bolt_node *c = lookup_node(from->bucket, from->inodes[i].pgid);

		if (c == NULL || c->parent == NULL)
			continue;
		remove_child(c->parent, c);
		c->parent = to;
		if (bolt_node_add_child(to, c) != 0)
			return -1;
	}
	return 0;
}

static int append_inodes(struct bolt_node *to, const struct bolt_node *from)
{
	if (from->ninodes == 0)
		return 0;
	if (reserve_inodes(to, to->ninodes + from->ninodes) != 0)
		return -1;
	memcpy(to->inodes + to->ninodes, from->inodes, from->ninodes * sizeof(*from->inodes));
	to->ninodes += from->ninodes;
	return 0;
}

int bolt_node_rebalance(struct bolt_node *n, struct bolt_err *err)
{
	struct bolt_bucket *b = n->bucket;
	struct bolt_node *parent = n->parent, *target, *keep, *gone;
	size_t idx;
	int rc, use_next;

	if (!n->unbalanced)
		return BOLT_OK;
	n->unbalanced = 0;
	if (bolt_node_size(n) > b->tx->db->page_size / 4 &&
	    n->ninodes > (size_t)(n->is_leaf ? 1 : 2))
		return BOLT_OK;

	if (parent == NULL) {
		/* a root branch with a single child is replaced by that child */
		if (!n->is_leaf && n->ninodes == 1) {
			struct bolt_node *child;

			if ((rc = bolt_bucket_node(b, n->inodes[0].pgid, n, &child, err)) !=
			    BOLT_OK)
				return rc;
			n->is_leaf = child->is_leaf;
			free(n->inodes);
			n->inodes = NULL;
			n->ninodes = n->capinodes = 0;
			if (append_inodes(n, child) != 0)
				return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
			free(n->children);
			n->children = child->children;
			n->nchildren = child->nchildren;
			n->capchildren = child->capchildren;
			child->children = NULL;
			child->nchildren = child->capchildren = 0;
			for (size_t i = 0; i < n->ninodes; i++) {
				struct bolt_node *c = lookup_node(b, n->inodes[i].pgid);

				if (c != NULL)
					c->parent = n;
			}
			child->parent = NULL;
			forget_node(b, child);
			return bolt_node_free(child, err);
		}
		return BOLT_OK;
	}

	if (n->ninodes == 0) {
		bolt_node_del(parent, n->key, n->klen);
		remove_child(parent, n);
		forget_node(b, n);
		if ((rc = bolt_node_free(n, err)) != BOLT_OK)
			return rc;
		return bolt_node_rebalance(parent, err);
	}

	if (parent->ninodes <= 1)
		return bolt_errf(err, BOLT_ECORRUPT, parent->pgid,
		                 "branch page %llu has a single child",
		                 (unsigned long long)parent->pgid);
	idx = child_index(parent, n);
	use_next = idx == 0;
	if (use_next) {
		if (idx + 1 >= parent->ninodes)
			return bolt_errf(err, BOLT_ECORRUPT, parent->pgid, "missing sibling");
		rc = bolt_bucket_node(b, parent->inodes[idx + 1].pgid, parent, &target, err);
	} else {
		rc = bolt_bucket_node(b, parent->inodes[idx - 1].pgid, parent, &target, err);
	}
	if (rc != BOLT_OK)
		return rc;

	/* the right one of the two moves into the left one (node.rebalance) */
	keep = use_next ? n : target;
	gone = use_next ? target : n;
	if (adopt_children(gone, keep) != 0 || append_inodes(keep, gone) != 0)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	bolt_node_del(parent, gone->key, gone->klen);
	remove_child(parent, gone);
	forget_node(b, gone);
	if ((rc = bolt_node_free(gone, err)) != BOLT_OK)
		return rc;
	return bolt_node_rebalance(parent, err);
}
