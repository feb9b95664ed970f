/*
 * The writer's free-page bookkeeping, as bbolt's array freelist keeps it:
 *   free     sorted ids that may be allocated now;
 *   pending  ids freed by the current transaction, which become free when
 *            the next write transaction begins (no reader can still use
 *            them: this process holds the only handle, under LOCK_EX).
 * The freelist page written at commit lists free and pending ids, sorted.
 */
#ifndef BOLT_FREELIST_H
#define BOLT_FREELIST_H

#include <stddef.h>
#include <stdint.h>

#include "bolt/error.h"
#include "bolt/page.h"

struct bolt_freelist {
	bolt_pgid *free;
	size_t nfree, capfree;
	bolt_pgid *pending;
	size_t npending, cappending;
};

void bolt_freelist_init(struct bolt_freelist *f);
void bolt_freelist_destroy(struct bolt_freelist *f);

/* Loads the ids of a freelist page image (bounded by len bytes). All ids
 * must lie in [2, hwm); duplicates are corruption. */
int bolt_freelist_read(struct bolt_freelist *f, const uint8_t *page, size_t len, bolt_pgid hwm,
                       struct bolt_err *err);

/* First-fit: the lowest run of n consecutive free ids; 0 when none. */
bolt_pgid bolt_freelist_allocate(struct bolt_freelist *f, size_t n);

/* Marks ids [id, id + n) pending. */
int bolt_freelist_free(struct bolt_freelist *f, bolt_pgid id, size_t n, struct bolt_err *err);

/* Moves every pending id to the free list (start of a write transaction). */
int bolt_freelist_release(struct bolt_freelist *f, struct bolt_err *err);

/* Forgets the pending ids of a rolled-back transaction. */
void bolt_freelist_rollback(struct bolt_freelist *f);

size_t bolt_freelist_count(const struct bolt_freelist *f);
/* Bytes the freelist page needs (header + ids, + 1 id for the long form). */
size_t bolt_freelist_size(const struct bolt_freelist *f);

/* Writes the freelist into a zeroed page image of at least
 * bolt_freelist_size() bytes (the id field is set by the caller). */
int bolt_freelist_write(const struct bolt_freelist *f, uint8_t *page, struct bolt_err *err);

#endif
