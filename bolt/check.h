/*
 * The consistency check of a bolt_view: at least what bbolt's tx.Check
 * verifies, and the structure it takes for granted:
 *   - both meta pages (magic, version, page size, checksum); which one is
 *     used, and whether the fallback lost a newer transaction;
 *   - every referenced page id inside 2..hwm-1, its header id, its type,
 *     its overflow span inside the high-water mark;
 *   - no page reachable twice (this also makes cycles impossible: a page is
 *     entered at most once), and a depth limit;
 *   - elements inside their page span, keys non-empty and strictly
 *     increasing, and inside the key range the branch above allows;
 *   - bucket values well formed, inline buckets well formed;
 *   - the freelist: its page type, ids inside 2..hwm-1, no duplicates;
 *   - every page below the high-water mark either reachable or free, never
 *     both.
 * Memory: two bits per page of the file; time: each page once.
 * It calls back for each problem and for each key/value of the buckets, in
 * key order, so callers check their own invariants in the same pass.
 */
#ifndef BOLT_CHECK_H
#define BOLT_CHECK_H

#include "bolt/view.h"

enum {
	BOLT_CHECK_WARNING = 1,
	BOLT_CHECK_ERROR = 2,
};

struct bolt_check_stats {
	uint64_t txid;
	uint64_t hwm;        /* high-water mark (pages) */
	uint64_t file_pages; /* pages the file holds */
	uint64_t branch_pages, leaf_pages, overflow_pages;
	uint64_t freelist_pages; /* pages of the freelist itself */
	uint64_t free_pages;     /* ids listed in the freelist */
	uint64_t buckets, keys;
	int max_depth;
};

struct bolt_check_visitor {
	void *ctx;
	void (*problem)(void *ctx, int severity, uint64_t pgid, const char *msg);
	/* A key/value (not a nested bucket) of a bucket directly under the root:
	 * `bucket` is that bucket's name. Return non-zero to stop the check. */
	int (*entry)(void *ctx, const uint8_t *bucket, size_t blen, const struct bolt_elem *e);
};

/* Runs the check. BOLT_OK when it ran to the end (problems were reported
 * through the visitor); BOLT_ENOMEM, or BOLT_ECANCELED-like codes when the
 * visitor stopped it. */
int bolt_check(const struct bolt_view *v, const struct bolt_check_visitor *vis,
               struct bolt_check_stats *stats, struct bolt_err *err);

#endif
