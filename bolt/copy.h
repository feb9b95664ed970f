/*
 * A consistent copy of a bbolt file, taken while it may be in use.
 *
 * Locked copy (the default): flock(LOCK_SH) on the source with a timeout,
 * then the whole file copied as it is (copy_file_range, in the kernel, or
 * pread/pwrite where the kernel cannot), so the copy is byte-identical. A writer holding LOCK_EX (a
 * running op-conductor) makes it fail with BOLT_ELOCKED at the deadline.
 *
 * Live copy (`live`): when the lock cannot be had at once, the tree of the
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

struct bolt_copy_info {
	uint64_t txid;  /* transaction the copy holds */
	uint64_t pages; /* high-water mark of the copy (pages) */
	uint64_t size;  /* bytes of the copy */
	uint32_t page_size;
	int live;          /* 1: compact lock-free copy, 0: locked byte copy */
	unsigned attempts; /* live copies started (1 when the first held) */
	int has_crc;       /* 1: crc32 is set (the locked copy computes it) */
	uint32_t crc32;    /* zlib crc32 of the copy's bytes */
};

/* Called now and then during a locked copy, from the calling thread. */
typedef void (*bolt_copy_progress_fn)(void *ctx, uint64_t done, uint64_t total);

struct bolt_copy_opts {
	double lock_timeout;            /* seconds to wait for LOCK_SH; 0 tries once */
	int live;                       /* fall back to the live copy when locked */
	unsigned max_attempts;          /* live copy attempts; 0 = default (500) */
	bolt_copy_progress_fn progress; /* optional */
	void *progress_ctx;
};

/* Copies the bolt file `src` into dst_fd (a new, empty regular file opened
 * read-write: the locked copy reads its chunks back for the crc32; with a
 * write-only descriptor it copies through user memory instead). The locked
 * copy works in two halves on two threads when the file is large, and
 * starts the write-back of each chunk at once, so the caller's fsync has
 * little left to wait for; the caller still fsyncs. */
int bolt_copy(const char *src, int dst_fd, const struct bolt_copy_opts *opt,
              struct bolt_copy_info *info, struct bolt_err *err);

/*
 * Copies bytes [0, size) of in_fd to the same offsets of out_fd, and sets
 * *crc to the zlib crc32 of those bytes as the copy holds them. Chunks move
 * in the kernel (copy_file_range) when it can, else through pread/pwrite;
 * from 64 MiB the two halves go on two threads; each chunk's write-back is
 * started at once. out_fd should be open read-write (the crc32 is read back
 * from it; a write-only out_fd makes every chunk go through user memory).
 * The caller fsyncs. With out_fd < 0 nothing is written: the bytes are only
 * read (in two halves, likewise) for the crc32. A source shorter than size
 * is an error. `progress` (may be NULL) is called from the calling thread.
 */
int bolt_copy_range(int in_fd, int out_fd, uint64_t size, const char *name,
                    bolt_copy_progress_fn progress, void *progress_ctx, uint32_t *crc,
                    struct bolt_err *err);

#endif
