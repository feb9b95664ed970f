/*
 * gzip files cut into sized members, deflated and inflated on several
 * threads: the form `raft backup --compress` stores (raftstate/backupfile.c
 * decides which files; this module only moves bytes). Internal to
 * raftstate/.
 *
 * The file is cut into RS_GZ_BLOCK-byte blocks; each block is one gzip
 * member (RFC 1952) whose header carries the member's own length in an
 * extra field, so that a reader finds the next member without inflating
 * this one and can inflate members on several threads. A sequence of gzip
 * members is one gzip file (RFC 1952 2.2): gzip -d, zcat, pigz, Python's
 * gzip and Go's compress/gzip read it as the concatenated blocks and skip
 * the extra field. One member:
 *
 *   offset  size  value
 *   0       2     1f 8b            gzip magic
 *   2       1     08               CM: deflate
 *   3       1     04               FLG: FEXTRA only
 *   4       4     0                MTIME: none
 *   8       1     0                XFL
 *   9       1     03               OS: Unix
 *   10      2     8                XLEN, little-endian
 *   12      2     'O' 'C'          subfield ID (op-conductor-init)
 *   14      2     4                subfield length
 *   16      4     N                the whole member's length, bytes 0..N-1
 *   20      N-28  raw deflate data of the block (libdeflate)
 *   N-8     4     crc32 of the block
 *   N-4     4     the block's length (ISIZE; at most RS_GZ_BLOCK_MAX)
 *
 * Each member's crc32 is computed once, by the thread that deflates it (or,
 * reading, by libdeflate checking what it inflated), and the crc32 of the
 * whole content is joined from them with crc32_combine, in order.
 *
 * Threads: `threads` deflating (or inflating) threads read their blocks
 * with pread; the calling thread writes the results in order (and alone
 * calls the progress function). Memory: (threads + 2) slots of one block
 * in and one block out, 8 MiB each with 4 MiB blocks: 32 MiB with 2
 * threads, 80 MiB with the most (RS_GZ_THREADS_MAX).
 */
#ifndef RAFTSTATE_GZMEMBER_H
#define RAFTSTATE_GZMEMBER_H

#include <stdint.h>

#include "raftstate/error.h"

#define RS_GZ_BLOCK       ((uint64_t)4 << 20)  /* what the writer cuts */
#define RS_GZ_BLOCK_MAX   ((uint64_t)16 << 20) /* what a reader accepts per member */
#define RS_GZ_THREADS_MAX 8
#define RS_GZ_LEVEL       6 /* libdeflate's level: bench/RESULTS.md, "backup --compress" */

/* Called now and then with the bytes of content done so far, from the
 * calling thread. */
typedef void (*rs_gz_progress_fn)(void *ctx, uint64_t done);

struct rs_gz_opts {
	unsigned threads; /* 0: rs_gz_threads() */
	rs_gz_progress_fn progress;
	void *progress_ctx;
};

/* The CPUs this process may run on (online and in its affinity mask),
 * capped at RS_GZ_THREADS_MAX; at least 1. */
unsigned rs_gz_threads(void);

/* Compresses bytes [0, size) of in_fd (`src` in messages) into out_fd (dst),
 * written from its current offset, and sets *crc to their crc32. A source
 * shorter than size is an error (RS_EIO). */
int rs_gz_write(int in_fd, const char *src, uint64_t size, int out_fd, const char *dst,
                const struct rs_gz_opts *opt, uint32_t *crc, struct rs_err *err);

/* Whether the gzip data starting with the `n` bytes at head is in sized
 * members (its first member has the length field above). */
int rs_gz_is_sized(const unsigned char *head, uint64_t n);

/* Inflates the sized-member gzip file in_fd of stored_size bytes (`label`
 * in messages), writing the content to out_fd when >= 0 (out_path names
 * it), and returns its size and crc32. RS_ECORRUPT with one sentence for
 * anything but whole sized members up to the end of the file (truncated,
 * damaged, a member without the length field, data after the last one), or
 * past `limit` inflated bytes. */
int rs_gz_read(int in_fd, const char *label, uint64_t stored_size, int out_fd, const char *out_path,
               uint64_t limit, const struct rs_gz_opts *opt, uint64_t *size, uint32_t *crc,
               struct rs_err *err);

#endif
