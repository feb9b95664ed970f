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
 *
 * Parallel walk (optional, bolt_check_visitor.parts): the subtrees under a
 * bucket's root branch page (its children, or its grandchildren when it has
 * few children) are cut into at most 8 parts per thread, in key order, and
 * walked by `threads` threads. Each part has its own context (parts->open),
 * which its problem and entry callbacks receive instead of ctx; once every
 * part is walked they are handed to parts->merge one by one, in key order,
 * at the place the one-thread walk would have reached them, so that a
 * caller who folds each part into ctx gets exactly the one-thread result.
 * When that cannot hold, bolt_check returns BOLT_ESPLIT and the caller
 * checks again with one thread: a page reachable from two places inside
 * the split subtrees (a shared page: which visit comes first is the
 * one-thread walk's to say), an element that changed while it was read
 * (live views), or a merge that refuses (the caller's own checks that
 * cross part boundaries). None happens in a sound file.
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

struct bolt_check_parts {
	int threads; /* <= 1: walk in this thread only (the parts are not used) */
	/* a new part's context; NULL (out of memory): walk in this thread only */
	void *(*open)(void *ctx);
	/* folds a walked part into ctx (in key order); non-zero: the parts are
	 * not independent for the caller, bolt_check returns BOLT_ESPLIT */
	int (*merge)(void *ctx, void *part);
	void (*close)(void *ctx, void *part); /* after merge, or instead of it */
};

struct bolt_check_visitor {
	void *ctx;
	void (*problem)(void *ctx, int severity, uint64_t pgid, const char *msg);
	/* A key/value (not a nested bucket) of a bucket directly under the root:
	 * `bucket` is that bucket's name. Return non-zero to stop the check. */
	int (*entry)(void *ctx, const uint8_t *bucket, size_t blen, const struct bolt_elem *e);
	const struct bolt_check_parts *parts; /* NULL: one thread */
};

/* Runs the check. BOLT_OK when it ran to the end (problems were reported
 * through the visitor); BOLT_ENOMEM; BOLT_ESPLIT (parallel walk only, see
 * above): nothing it reported counts, check again with one thread. */
int bolt_check(const struct bolt_view *v, const struct bolt_check_visitor *vis,
               struct bolt_check_stats *stats, struct bolt_err *err);

#endif
