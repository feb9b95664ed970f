/*
 * The files of a backup, shared by backup.c (making one) and restore.c
 * (checking and applying one); internal to raftstate/. Paths, the node
 * directories of a state or backup directory, the list of files a backup
 * holds, checksums and copies, and the gzip form --compress stores:
 *
 *   <path>.gz   a gzip file of sized members (raftstate/gzmember.h) of <path>; the
 *               manifest lists <path> with the uncompressed size and crc32,
 *               and nothing trusts a .gz before it was inflated and checked.
 */
#ifndef RAFTSTATE_BACKUPFILE_H
#define RAFTSTATE_BACKUPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "raftstate/backup.h"
#include "raftstate/error.h"
#include "raftstate/nodedir.h"

#define RS_BK_GZ_SUFFIX ".gz" /* --compress: <path>.gz */

/* RS_EINVAL with one sentence ("--state-dir X is inside --backup-dir Y;
 * ...") when directories a and b (a_what, b_what: how to name them) are
 * the same or one holds the other, compared by device and inode up the
 * tree (not by their names). A path that does not exist yet is judged by
 * its nearest existing ancestor: it would be created inside that. */
int rs_bk_check_apart(const char *a, const char *a_what, const char *b, const char *b_what,
                      struct rs_err *err);
/* YYYYMMDD-HHMMSS in local time, as the Go tool names backups. */
void rs_bk_timestamp(char *buf, size_t size);

/* (node directories: raftstate/nodedir.h) */

/* ---- checksums, copies, gzip ---- */

/* Relays rs_copy_range's progress (an rs_copy_progress_fn; ctx is a
 * struct rs_bk_relay) to an rs_progress, with a verb and a file name. */
struct rs_bk_relay {
	const struct rs_progress *pg;
	const char *verb, *file;
};
void rs_bk_relay_progress(void *ctx, uint64_t done, uint64_t total);

/* The size and crc32 of the regular file path (not followed if a symlink);
 * a large file is read in two halves on two threads (rs_copy_range).
 * pg (may be NULL) hears "checking". */
int rs_bk_crc_file(const char *path, const struct rs_progress *pg, uint64_t *size, uint32_t *crc,
                   struct rs_err *err);
/* Copies regular file src to the new file `name` in directory dfd (dst is
 * its path, for messages) with rs_copy_range, fsynced unless `sync` is 0
 * (the caller syncs it later); *size and *crc (each when not NULL) receive
 * the size and crc32 of the bytes written. pg (may be NULL) hears
 * "copying". */
int rs_bk_copy_at(const char *src, int dfd, const char *name, const char *dst, mode_t mode,
                  int sync, const struct rs_progress *pg, uint64_t *size, uint32_t *crc,
                  struct rs_err *err);
/* rs_bk_copy_at to the new file dst (relative to the working directory),
 * without progress or crc32. */
int rs_bk_copy_plain(const char *src, const char *dst, mode_t mode, struct rs_err *err);
/* Compresses src into the new file dst (0600, fsynced) on `threads`
 * threads (0: one per CPU, rs_gz_threads), checking that what it read has
 * the given size and crc32; *stored receives dst's size. pg (may be NULL)
 * hears "compressing". */
int rs_bk_gzip_file(const char *src, const char *dst, uint64_t size, uint32_t crc, unsigned threads,
                    const struct rs_progress *pg, uint64_t *stored, struct rs_err *err);
/* Inflates the gzip file path (`label` in messages) to out_fd when >= 0,
 * returning the inflated size and crc32; RS_ECORRUPT for anything but whole
 * gzip data or past `limit` inflated bytes. Sized members are inflated on
 * `threads` threads (0: one per CPU), other gzip data on this thread. pg
 * (may be NULL) hears "inflating" (out_fd >= 0) or "checking", with limit
 * as the total. */
int rs_bk_gunzip_file(const char *path, const char *label, int out_fd, const char *out_path,
                      uint64_t limit, unsigned threads, const struct rs_progress *pg,
                      uint64_t *size, uint32_t *crc, struct rs_err *err);

/* ---- the list of files a backup holds ---- */

struct rs_bk_files {
	struct rs_backup_file *v;
	size_t n, cap;
};

/* Appends a zeroed entry for rel (relative to the backup) and returns it;
 * NULL with err filled when out of memory or past the entry limit. */
struct rs_backup_file *rs_bk_files_add(struct rs_bk_files *f, const char *rel, struct rs_err *err);

#endif
