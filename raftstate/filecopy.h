/*
 * Copying a file's bytes, fast and checked: the one copy every backup and
 * restore path uses (raftstate/backup.c, backupfile.c).
 */
#ifndef RAFTSTATE_FILECOPY_H
#define RAFTSTATE_FILECOPY_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/error.h"

/* Called now and then during a copy, from the calling thread. */
typedef void (*rs_copy_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/*
 * Copies bytes [0, size) of in_fd to the same offsets of out_fd, and sets
 * *crc to the zlib crc32 of those bytes as they were written. Each piece is
 * read with pread into a buffer, checksummed there and written from it
 * with pwrite, on this thread; each 8 MiB
 * chunk's write-back is started at once. The caller fsyncs. With out_fd < 0
 * nothing is written: the bytes are only read for the crc32, from 64 MiB
 * in two halves on two threads. A source shorter than size is an error (RS_EIO, "NAME
 * shrank while it was copied"). `progress` (may be NULL) is called from
 * the calling thread.
 */
int rs_copy_range(int in_fd, int out_fd, uint64_t size, const char *name,
                  rs_copy_progress_fn progress, void *progress_ctx, uint32_t *crc,
                  struct rs_err *err);

/*
 * Drops bytes [0, size) of fd from the page cache (POSIX_FADV_DONTNEED:
 * only a hint, and only clean pages go, so fsync first). The kernel's work
 * of freeing the pages is ~50 ms a GiB of CPU: from 64 MiB the two halves
 * go on two threads.
 */
void rs_drop_cached(int fd, uint64_t size);

/* write(2) of all len bytes, retried on EINTR; "cannot write PATH: ..." */
int rs_write_all(int fd, const void *buf, size_t len, const char *path, struct rs_err *err);

#endif
