/*
 * Read-only cursors over a bucket of a bolt_view: first, last, next, prev,
 * seek. Every page on the way is bounds-checked and the descent is limited
 * in depth, so a corrupt file gives BOLT_ECORRUPT, never a crash or a loop.
 */
#ifndef BOLT_CURSOR_H
#define BOLT_CURSOR_H

#include "bolt/view.h"

#define BOLT_CURSOR_MAX_DEPTH 64

struct bolt_cursor_ref {
	bolt_pgid id;
	const uint8_t *page;
	size_t span;
	uint32_t index;
	uint32_t count;
	int leaf; /* read once, at push: a live writer may rewrite the page */
};

struct bolt_cursor {
	const struct bolt_view *view;
	struct bolt_vbucket bucket;
	struct bolt_cursor_ref stack[BOLT_CURSOR_MAX_DEPTH];
	int depth;
};

/* Each positions the cursor and fills *e (e->key == NULL: no element). */
void bolt_cursor_init(struct bolt_cursor *c, const struct bolt_view *v,
                      const struct bolt_vbucket *b);
int bolt_cursor_first(struct bolt_cursor *c, struct bolt_elem *e, struct bolt_err *err);
int bolt_cursor_last(struct bolt_cursor *c, struct bolt_elem *e, struct bolt_err *err);
int bolt_cursor_next(struct bolt_cursor *c, struct bolt_elem *e, struct bolt_err *err);
int bolt_cursor_prev(struct bolt_cursor *c, struct bolt_elem *e, struct bolt_err *err);
/* First element with key >= key. */
int bolt_cursor_seek(struct bolt_cursor *c, const void *key, size_t klen, struct bolt_elem *e,
                     struct bolt_err *err);

/* Reads element i of a page or node for bolt_search_index. */
typedef int (*bolt_elem_at_fn)(const void *ctx, size_t i, struct bolt_elem *e,
                               struct bolt_err *err);
/* The binary search of one page or in-memory node of `count` elements in
 * key order (the reader's cursor and the writer's share it, as bbolt's
 * Cursor.search serves both): in a leaf, the index of the first element
 * whose key is >= key (count: none); in a branch, the child whose range
 * holds key (the last element whose key is <= key, else the first). */
int bolt_search_index(const void *ctx, bolt_elem_at_fn at, size_t count, int leaf, const void *key,
                      size_t klen, size_t *index, struct bolt_err *err);

#endif
