/*
 * A read-only view of a bbolt file: the whole file mapped PROT_READ, the
 * active meta chosen as bbolt chooses it (the valid meta with the highest
 * txid), and page access that checks every id and span against the file.
 *
 * Two ways to open:
 *   BOLT_VIEW_LOCKED  flock(LOCK_SH) with a timeout, held until close: a
 *                     writer (op-conductor holds LOCK_EX) makes it fail
 *                     with BOLT_ELOCKED instead of hanging;
 *   BOLT_VIEW_LIVE    no lock. A writer may commit while we read. Pages
 *                     reachable from meta txid T are freed at the earliest
 *                     by T+1 and reused at the earliest by T+2, which
 *                     writes its pages before its meta: so once T+1 is
 *                     committed, T+2 may already be overwriting pages of
 *                     T. A read of T's tree is therefore consistent only if
 *                     no meta newer than T exists after it:
 *                     bolt_view_recheck() says so, else BOLT_ECHANGED and
 *                     the caller starts over (bounded).
 */
#ifndef BOLT_VIEW_H
#define BOLT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "bolt/error.h"
#include "bolt/mapguard.h"
#include "bolt/page.h"

enum bolt_view_mode {
	BOLT_VIEW_LOCKED = 0,
	BOLT_VIEW_LIVE = 1,
};

struct bolt_view {
	int fd;
	int mode;
	char name[256];
	const uint8_t *map;
	struct bolt_mapguard *guard; /* SIGBUS past the end of the file -> zeros */
	size_t map_len;              /* bytes mapped: the file size rounded down to pages */
	uint64_t file_size;          /* bytes */
	uint32_t page_size;
	struct bolt_meta metas[2];
	int meta_status[2]; /* enum bolt_meta_status */
	int active;         /* index of the meta in use */
	struct bolt_meta meta;
};

int bolt_view_open(const char *path, int mode, double lock_timeout, struct bolt_view **out,
                   struct bolt_err *err);
void bolt_view_close(struct bolt_view *v);

/* Page id with its overflow span; BOLT_ECORRUPT when any of it lies past the
 * file end or past the high-water mark. */
int bolt_view_page(const struct bolt_view *v, bolt_pgid id, const uint8_t **page, size_t *span,
                   struct bolt_err *err);

/* Whether what was read through the view is intact. Call it after every
 * walk, also one that failed: a file that shrank under the mapping reads as
 * zeros past its new end (bolt/mapguard.h), which a walk may report as
 * corruption. BOLT_OK, or "NAME shrank while it was read" (BOLT_ECHANGED in
 * live mode, to be retried like any torn read; BOLT_ESHRANK with the lock
 * held), or in live mode BOLT_ECHANGED when a valid meta newer than the
 * one read (txid T) exists. */
int bolt_view_recheck(const struct bolt_view *v, struct bolt_err *err);

/* Tells the kernel that v is read here and there, not front to back: a
 * fault on a page not cached reads that page only (no read-around of up to
 * the device's readahead size), and so does a pread of v->fd. For readers
 * that touch a few pages of a large file; a hint, it changes no result. */
void bolt_view_advise_random(const struct bolt_view *v);

/* A bucket found in the view: a root page, or an inline leaf image. */
struct bolt_vbucket {
	bolt_pgid root; /* 0 when inline */
	uint64_t sequence;
	const uint8_t *inline_page;
	size_t inline_len;
};

/* Looks up `name` in the root bucket (or in `parent` when non-NULL). */
int bolt_view_bucket(const struct bolt_view *v, const struct bolt_vbucket *parent, const void *name,
                     size_t len, struct bolt_vbucket *out, struct bolt_err *err);
/* The root bucket itself. */
void bolt_view_root(const struct bolt_view *v, struct bolt_vbucket *out);

#endif
