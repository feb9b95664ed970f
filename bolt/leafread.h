/*
 * The leaves of a bucket read with pread instead of through the view's
 * mapping, for a reader that needs a few hundred bytes of each of thousands
 * of large values (info: each raft entry's msgpack prefix and its last
 * bytes, of ~50 KB values). Through the mapping, each value costs a page
 * fault or two, and the kernel maps (and at munmap unmaps) up to 16 pages
 * around each: far more work than the bytes needed. pread copies exactly the
 * bytes asked for; a read that ends where the next one starts (the tail of a
 * value, then the next key and value's head, then the next leaf when it is
 * the next page) is merged into one.
 *
 * The branch pages (a few dozen) are still read through the mapping. What a
 * leaf read trusts: nothing. The page header must say leaf, the page span
 * must lie below the high-water mark, every element header, key and value
 * must lie inside the span (bolt_page_elem's rule); anything else is
 * BOLT_ECORRUPT, and the caller reads the tree its usual way to say why.
 */
#ifndef BOLT_LEAFREAD_H
#define BOLT_LEAFREAD_H

#include <stddef.h>
#include <stdint.h>

#include "bolt/view.h"

/* The leaves of a bucket's tree, in key order, and the key their parent's
 * branch element gives each (a pointer into the mapping; NULL for a root
 * leaf). */
struct bolt_leaves {
	bolt_pgid *ids;
	const uint8_t **keys;
	uint32_t *klens;
	size_t n, cap;
};

/* All leaves of bucket b (not inline: BOLT_EINVAL). Bounded: depth by
 * BOLT_CURSOR_MAX_DEPTH, the count by the file's pages. */
int bolt_leaves_list(const struct bolt_view *v, const struct bolt_vbucket *b,
                     struct bolt_leaves *out, struct bolt_err *err);
void bolt_leaves_free(struct bolt_leaves *l);

/* One element as bolt_leaf_read hands it over: the key, the value's first
 * hlen bytes and its last tlen bytes (tlen 0 when hlen == vlen: head holds it
 * all; the two may overlap). voff is the value's offset in the file. The
 * pointers are good until the callback returns. */
struct bolt_leaf_elem {
	uint32_t flags;
	const uint8_t *key;
	uint32_t klen;
	uint32_t vlen;
	uint64_t voff;
	const uint8_t *head;
	uint32_t hlen;
	const uint8_t *tail;
	uint32_t tlen;
};

/* A reader of one thread: two windows of file bytes, read by pread. */
/* Reads in a row that find all their bytes cached turn a cold reader warm
 * again: more than the leaves summary.c asks for ahead of a cold read
 * (FAST_AHEAD, each one or two reads), so that pages the reader itself
 * asked for do not count as the file being cached. */
#define BOLT_COLD_CLEAR 512u

struct bolt_leafreader {
	const struct bolt_view *v;
	size_t head, tail; /* bytes wanted of each value's start and end */
	struct {
		uint8_t *p;
		size_t cap;
		uint64_t off; /* file offset of p[0] */
		size_t len;   /* bytes held */
	} win[2];
	int cur;          /* window read last */
	uint8_t *scratch; /* bolt_leafreader_bytes */
	size_t scratch_cap;
	uint64_t preads; /* counted, for the tests and the benchmark */
	uint64_t hints;  /* posix_fadvise(WILLNEED) calls, counted likewise */
	int cold;        /* a recent read found bytes not in the page cache */
	unsigned hits;   /* reads since the last miss that found all their bytes */
	uint8_t table[BOLT_PAGE_HEADER_SIZE + 64 * 16]; /* bolt_leaf_willneed_values */
};

void bolt_leafreader_init(struct bolt_leafreader *r, const struct bolt_view *v, size_t head,
                          size_t tail);
void bolt_leafreader_free(struct bolt_leafreader *r);

/* The element count of leaf id, with its header and element table checked
 * as bolt_leaf_read checks them, without reading keys or values. */
int bolt_leaf_count(struct bolt_leafreader *r, bolt_pgid id, uint32_t *count, struct bolt_err *err);

/* Calls fn for each element of leaf id in order; a non-zero return stops the
 * walk and is returned. next: the leaf read after this one (0: none), whose
 * first bytes the last read takes along when they follow closely. */
typedef int (*bolt_leaf_fn)(void *ctx, const struct bolt_leaf_elem *e);
int bolt_leaf_read(struct bolt_leafreader *r, bolt_pgid id, bolt_pgid next, bolt_leaf_fn fn,
                   void *ctx, struct bolt_err *err);

/* bolt_leaf_count and bolt_leaf_read through the view's mapping instead,
 * with the same checks; each element's head is its whole value (hlen =
 * vlen, no tail): the caller touches only the bytes it reads. Cheaper than
 * pread when the file is cached in large folios (a fault maps up to 2 MB);
 * dearer when it is cached page by page. For a locked view only: the bytes
 * of a live one may change under the caller. */
int bolt_leaf_count_mapped(const struct bolt_view *v, bolt_pgid id, uint32_t *count,
                           struct bolt_err *err);
int bolt_leaf_read_mapped(const struct bolt_view *v, bolt_pgid id, bolt_leaf_fn fn, void *ctx,
                          struct bolt_err *err);

/* Through the mapping, asks the CPU to bring into its cache what reading
 * leaf id will touch, so that the misses of many leaves overlap instead of
 * stalling one by one: with nat 0, the leaf's header and element table;
 * else, for each element, the cache line at each offset at[j] into its
 * value (negative: from its end). Reads the element table (ask for it some
 * leaves earlier); skips what lies outside the page. Hints: never fails. */
void bolt_leaf_prefetch_mapped(const struct bolt_view *v, bolt_pgid id, const int32_t *at,
                               size_t nat);

/* For a file not in the page cache (r->cold): asks the kernel to start
 * reading what bolt_leaf_read of leaf id will read, so that the reads of
 * many leaves overlap on the device instead of waiting one by one. The first
 * asks for the leaf's first page (with_prev: and the page before it, in one
 * request: the end of the leaf before, when bbolt wrote them in a row, whose
 * last value's tail bolt_leaf_read reads too); the second reads that page's element
 * table (blocking: ask for the first page some leaves earlier) and asks for
 * the pages of each value's head and tail. Hints: errors are ignored. */
void bolt_leaf_willneed(struct bolt_leafreader *r, bolt_pgid id, int with_prev);
void bolt_leaf_willneed_values(struct bolt_leafreader *r, bolt_pgid id);

/* n bytes of the file from off (inside the mapped length), into the
 * reader's scratch buffer: *p is good until the next call. */
int bolt_leafreader_bytes(struct bolt_leafreader *r, uint64_t off, size_t n, const uint8_t **p,
                          struct bolt_err *err);

#endif
