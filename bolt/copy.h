/*
 * What a copy of a bbolt file needs from the format. The locked copy - the
 * file's bytes under flock(LOCK_SH), which a writer's LOCK_EX (a running
 * op-conductor) excludes - is raftstate's (raftstate/backup.c, with the
 * byte copy of raftstate/filecopy.h); it asks bolt_copy_check first
 * whether the file is a bbolt file of a plausible size.
 *
 * Live copy (bolt_copy_live): when the lock cannot be had, the tree of the
 * newest valid meta (txid T) is rebuilt into a compact file without taking
 * any lock:
 *
 *   page 0, 1   meta pages: txid T on page T % 2, and on the other page the
 *               same meta with txid T-1 (as bbolt's Tx.WriteTo does), so a
 *               torn meta write by a later writer falls back to the same tree
 *   2 ..        every page reachable from meta T, breadth first, with its
 *               overflow span kept contiguous; page ids renumbered densely,
 *               and the references to them rewritten: the page header id,
 *               branch element pgids, and the root of every non-inline
 *               bucket value
 *   hwm - 1     an empty freelist page
 *
 * Keys, values and the bucket sequences are the bytes of T, unchanged; free
 * pages are not copied, so a mostly-free file gives a small copy.
 *
 * Why this is consistent: bbolt is copy-on-write. A page reachable from T
 * that transaction T+1 frees goes to T+1's pending list and is reused no
 * earlier than T+2, which only starts writing pages after meta T+1 is on
 * disk. So if, after the copy, no valid meta has a txid above T, no page of
 * T's tree can have changed during the copy. If the writer moved on, the
 * copy starts over from the new newest meta (bounded attempts; then
 * BOLT_ECHANGED). A structurally bad read is retried the same way when the
 * metas moved, and reported as BOLT_ECORRUPT when they did not.
 */
#ifndef BOLT_COPY_H
#define BOLT_COPY_H

#include <stdint.h>

#include "bolt/error.h"

/* The smallest copy: bbolt's smallest mapping, which is what it writes. */
#define BOLT_COPY_MIN_SIZE 32768u

struct bolt_copy_info {
	uint64_t txid;  /* transaction the copy holds */
	uint64_t pages; /* high-water mark of the copy (pages) */
	uint64_t size;  /* bytes of the copy */
	uint32_t page_size;
	int live;          /* 1: compact lock-free copy, 0: locked byte copy */
	unsigned attempts; /* live copies started (1 when the first held) */
};

/*
 * Before a locked copy of the open file fd (size bytes, as fstat saw it
 * under the lock): its meta pages must hold a valid meta, its size must
 * reach that meta's high-water mark (pgid * page size) and not lie far
 * beyond what bbolt could have grown it to. BOLT_ECORRUPT with one
 * sentence naming `name` when not; else info's txid, pages and page_size
 * are set (the rest is left alone).
 */
int bolt_copy_check(int fd, uint64_t size, const char *name, struct bolt_copy_info *info,
                    struct bolt_err *err);

/* The live copy of src into dst_fd (a new, empty regular file; truncated
 * before each attempt) without any lock; max_attempts 0 = 500. BOLT_ECHANGED
 * when the writer committed during every attempt. The caller fsyncs. */
int bolt_copy_live(const char *src, int dst_fd, unsigned max_attempts, struct bolt_copy_info *info,
                   struct bolt_err *err);

#endif
