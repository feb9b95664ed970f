/*
 * Mapping a file's pages ahead of a reader, and unmapping them behind it,
 * on a helper thread.
 *
 * A full check reads every page of a big raft log once, and on a warm page
 * cache about half its time is kernel work on page tables: filling them on
 * faults, and tearing them down at munmap. bolt_prefault_start hands both
 * to a second thread: it walks the range in file order with
 * MADV_POPULATE_READ (Linux 5.14+), chunk by chunk, ahead of the caller,
 * and drops with MADV_DONTNEED the page tables of what lies well behind
 * the page the caller last reported (bolt_prefault_at). Raft logs are
 * mostly laid out in key order, so the reader rarely meets either edge.
 * It changes no data and no result: a page not mapped yet, or no longer,
 * is simply faulted in by the reader. Optional by design: on a small
 * range, an old kernel or any failure it does nothing.
 */
#ifndef BOLT_PREFAULT_H
#define BOLT_PREFAULT_H

#include <stddef.h>
#include <stdint.h>

struct bolt_prefault;

/* Starts the helper over [p, p + len) when len is worth it; NULL otherwise
 * (not an error). */
struct bolt_prefault *bolt_prefault_start(const uint8_t *p, size_t len);

/* The reader is now on the page at p: the helper drops the page tables of
 * what lies well behind it (ZAP_MARGIN), so that their teardown is done
 * while the reader works instead of at munmap. Cheap (one relaxed store);
 * NULL pf is fine. */
void bolt_prefault_at(struct bolt_prefault *pf, const uint8_t *p);

/* Stops the helper (it finishes at most the chunk in hand) and joins it.
 * Must be called before the range is unmapped. NULL is fine. */
void bolt_prefault_stop(struct bolt_prefault *pf);

#endif
