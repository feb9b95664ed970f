/*
 * The bbolt on-disk format (go.etcd.io/bbolt v1.3.x, version 2).
 * All integers are little-endian; the page size is recorded in the meta page
 * (4096 on the machines we care about).
 *
 * A file is an array of pages. Page `id` starts at byte id * page_size.
 *
 * Page header (16 bytes, at the start of every page):
 *   off size
 *   0   8    id         page id (must equal the page's position)
 *   8   2    flags      0x01 branch, 0x02 leaf, 0x04 meta, 0x10 freelist
 *   10  2    count      elements (branch/leaf), ids (freelist)
 *   12  4    overflow   the page spans overflow + 1 contiguous pages
 *
 * Meta page body (at offset 16 of pages 0 and 1; 64 bytes):
 *   16  4    magic      0xED0CDAED
 *   20  4    version    2
 *   24  4    page_size
 *   28  4    flags
 *   32  8    root       root bucket's root page id
 *   40  8    sequence   root bucket's sequence
 *   48  8    freelist   page id of the freelist
 *   56  8    pgid       high-water mark: first page never allocated
 *   64  8    txid       transaction id; written to meta page txid % 2
 *   72  8    checksum   FNV-1a 64 of bytes 16..71
 *
 * Leaf page: `count` elements of 16 bytes after the header, then the data.
 *   0   4    flags      0x01 = value is a nested bucket
 *   4   4    pos        offset of the key, relative to this element
 *   8   4    ksize
 *   12  4    vsize      value follows the key directly
 *
 * Branch page: `count` elements of 16 bytes after the header.
 *   0   4    pos        offset of the key, relative to this element
 *   4   4    ksize
 *   8   8    pgid       child page; its first key equals this key
 *
 * Bucket value (flags 0x01 in a leaf), 16 bytes:
 *   0   8    root       root page of the bucket; 0 = inline bucket
 *   8   8    sequence
 * An inline bucket's value continues with a leaf page image (header +
 * elements + data) whose id field is 0.
 *
 * Freelist page: `count` page ids (u64) after the header. When there are
 * 0xFFFF or more, count is 0xFFFF and the first u64 holds the real count.
 */
#ifndef BOLT_PAGE_H
#define BOLT_PAGE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BOLT_MAGIC   0xED0CDAEDu
#define BOLT_VERSION 2u

#define BOLT_PAGE_BRANCH   0x01u
#define BOLT_PAGE_LEAF     0x02u
#define BOLT_PAGE_META     0x04u
#define BOLT_PAGE_FREELIST 0x10u

#define BOLT_BUCKET_LEAF_FLAG 0x01u

#define BOLT_PAGE_HEADER_SIZE   16u
#define BOLT_LEAF_ELEM_SIZE     16u
#define BOLT_BRANCH_ELEM_SIZE   16u
#define BOLT_BUCKET_HEADER_SIZE 16u
#define BOLT_META_SIZE          64u
#define BOLT_META_CHECKSUM_OFF  (BOLT_PAGE_HEADER_SIZE + 56u)

#define BOLT_MIN_PAGE_SIZE     1024u
#define BOLT_MAX_PAGE_SIZE     65536u
#define BOLT_MAX_KEY_SIZE      32768u
#define BOLT_MAX_VALUE_SIZE    ((UINT32_C(1) << 31) - 2)
#define BOLT_MIN_KEYS_PER_PAGE 2

typedef uint64_t bolt_pgid;

static inline uint16_t bolt_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t bolt_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline uint64_t bolt_le64(const uint8_t *p)
{
	return (uint64_t)bolt_le32(p) | ((uint64_t)bolt_le32(p + 4) << 32);
}

/* Compilers turn this into one byte-swapped load. */
static inline uint64_t bolt_be64(const uint8_t *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
	       (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	       (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

static inline void bolt_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void bolt_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void bolt_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Page header fields of a page image at p (at least 16 bytes). */
static inline uint64_t bolt_page_id(const uint8_t *p)
{
	return bolt_le64(p);
}
static inline uint16_t bolt_page_flags(const uint8_t *p)
{
	return bolt_le16(p + 8);
}
static inline uint16_t bolt_page_count(const uint8_t *p)
{
	return bolt_le16(p + 10);
}
static inline uint32_t bolt_page_overflow(const uint8_t *p)
{
	return bolt_le32(p + 12);
}

/* Page id of a map that holds `limit` pages of ps bytes, with its overflow
 * pages: 0 with *page and *npages (1 + its overflow count); 1 when id is at
 * or past the limit; 2 when its overflow pages run past it (*npages set).
 * Each caller words the error for its limit (the file's end for the
 * writer, the high-water mark for a reader). */
static inline int bolt_page_within(const uint8_t *map, uint64_t ps, uint64_t limit, uint64_t id,
                                   const uint8_t **page, uint64_t *npages)
{
	if (id >= limit)
		return 1;
	*page = map + id * ps;
	*npages = (uint64_t)bolt_page_overflow(*page) + 1;
	return *npages > limit - id ? 2 : 0;
}

/* A decoded meta page. */
struct bolt_meta {
	uint32_t magic;
	uint32_t version;
	uint32_t page_size;
	uint32_t flags;
	bolt_pgid root;
	uint64_t sequence;
	bolt_pgid freelist;
	bolt_pgid pgid;
	uint64_t txid;
	uint64_t checksum;
};

/* Name of a page type for messages ("leaf", "branch", ...). */
const char *bolt_page_type_name(uint16_t flags);

/* One element of a leaf or branch page, resolved against the page bytes. */
struct bolt_elem {
	uint32_t flags; /* leaf only */
	const uint8_t *key;
	uint32_t klen;
	const uint8_t *value; /* leaf only */
	uint32_t vlen;
	bolt_pgid pgid; /* branch only */
};

/* Element i of a leaf or branch page as offsets from the page's start. */
struct bolt_elem_off {
	uint32_t flags; /* leaf only */
	uint64_t kstart;
	uint32_t klen;
	uint32_t vlen;  /* leaf only; the value starts at kstart + klen */
	bolt_pgid pgid; /* branch only */
};

/* Element i of the page whose header and element table are at `page` and
 * which spans `span` bytes. Returns 0, or -1 when the element header, key or
 * value would lie outside the span. Reads only the element's 16-byte header
 * (page[16 + 16 i .. +16)), each field once (a live writer may be rewriting
 * the page). */
#ifndef OCI_COVERAGE /* inlined into each check: not in the coverage build (as log.c's HOT) */
static inline int bolt_page_elem_off(const uint8_t *page, size_t span, int is_leaf, uint32_t i,
                                     struct bolt_elem_off *o) __attribute__((always_inline));
#endif
static inline int bolt_page_elem_off(const uint8_t *page, size_t span, int is_leaf, uint32_t i,
                                     struct bolt_elem_off *o)
{
	uint64_t off = BOLT_PAGE_HEADER_SIZE + (uint64_t)i * BOLT_LEAF_ELEM_SIZE;
	const uint8_t *el;

	if (off + BOLT_LEAF_ELEM_SIZE > span)
		return -1;
	el = page + off;
	if (is_leaf) {
		o->flags = bolt_le32(el);
		o->kstart = off + bolt_le32(el + 4);
		o->klen = bolt_le32(el + 8);
		o->vlen = bolt_le32(el + 12);
		o->pgid = 0;
	} else {
		o->flags = 0;
		o->kstart = off + bolt_le32(el);
		o->klen = bolt_le32(el + 4);
		o->vlen = 0;
		o->pgid = bolt_le64(el + 8);
	}
	return o->kstart + (uint64_t)o->klen + (uint64_t)o->vlen > span ? -1 : 0;
}

/* Resolves element i of the leaf or branch page image `page`, which spans
 * `span` readable bytes. Returns 0, or -1 (and *e all zero: no pointer to
 * follow) when the element header, key or value would lie outside the span.
 * Never reads outside [page, page+span) (bolt_page_elem_off). */
static inline int bolt_page_elem(const uint8_t *page, size_t span, int is_leaf, uint32_t i,
                                 struct bolt_elem *e)
{
	struct bolt_elem_off o;

	if (bolt_page_elem_off(page, span, is_leaf, i, &o) != 0) {
		memset(e, 0, sizeof(*e));
		return -1;
	}
	e->flags = o.flags;
	e->klen = o.klen;
	e->vlen = o.vlen;
	e->pgid = o.pgid;
	e->key = page + o.kstart;
	e->value = is_leaf ? page + o.kstart + o.klen : NULL;
	return 0;
}

/* bytes.Compare. Raft log keys are all 8 bytes: compared as big-endian
 * integers, which orders them exactly as memcmp does. */
static inline int bolt_keycmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c;

	if (alen == 8 && blen == 8) {
		uint64_t x = bolt_be64(a), y = bolt_be64(b);

		return (x > y) - (x < y);
	}
	c = n ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c < 0 ? -1 : 1;
	return (alen > blen) - (alen < blen);
}
#endif
