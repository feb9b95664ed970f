/*
 * Reading a file mapping that may shrink under us.
 *
 * A page of a MAP_SHARED mapping that lies past the end of the file (another
 * process truncated it after we mapped it: a careless tool, a backup file
 * replaced in place) cannot be read: the access raises SIGBUS, which kills
 * the process with nothing on stderr. A range registered here is guarded
 * instead: the SIGBUS handler maps anonymous zero pages over the rest of
 * the range (from the faulting page to its end: every page after a page
 * past the end of the file is past it too), marks the range hit, and
 * returns; the faulting read is redone and reads zeros. Every reader of a
 * mapping already treats its bytes as untrusted (bounds, cycles and sizes
 * are checked against the mapping's length, which does not change), so the
 * walk ends normally or with a corruption error, and the caller then asks
 * bolt_mapguard_hit() and discards what it read: "X shrank while it was
 * read".
 *
 * Why not sigsetjmp/siglongjmp out of the walk: a jump skips the frames in
 * between, and whatever they hold (a decoded entry, a cursor stack, the
 * problems found so far) would leak or be left half-built. Zeros keep every
 * frame's own clean-up.
 *
 * Thread safety: the handler reads only the slot table (atomics); it is
 * installed once, with SA_SIGINFO | SA_ONSTACK, and a SIGBUS whose
 * si_addr lies in no guarded range goes to the handler that was there before
 * (or, when that was the default, restores the default so that the fault,
 * redone, kills the process as it always did). madvise(MADV_POPULATE_READ)
 * (bolt/prefault.c) never raises SIGBUS: it fails with EFAULT.
 */
#ifndef BOLT_MAPGUARD_H
#define BOLT_MAPGUARD_H

#include <stddef.h>

#include "bolt/error.h"

struct bolt_mapguard;

/* Guards [p, p + len) (page-aligned p, as mmap returns it). BOLT_ELIMIT when
 * too many ranges are guarded at once, BOLT_EIO if the handler cannot be
 * installed. */
int bolt_mapguard_add(const void *p, size_t len, struct bolt_mapguard **out, struct bolt_err *err);

/* 1 once a read of the range met the end of the file. NULL: 0. */
int bolt_mapguard_hit(const struct bolt_mapguard *g);

/* Stops guarding (before the range is unmapped). NULL is fine. */
void bolt_mapguard_remove(struct bolt_mapguard *g);

#endif
