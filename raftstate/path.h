/*
 * Paths, in one place: joining two parts into a bounded buffer, the
 * directory and last component of a path, `mkdir -p`, and the relative
 * path that stays inside a directory (a backup's manifest names files
 * this way). No function here follows or resolves anything but mkdir.
 */
#ifndef RAFTSTATE_PATH_H
#define RAFTSTATE_PATH_H

#include <dirent.h>
#include <stddef.h>

#include "raftstate/error.h"

/* a/b into buf: a alone when b is NULL or "", b alone when a is "", "/b"
 * when a is "/"; -1 when it does not fit (buf then holds a truncated
 * string). */
int rs_path_join(char *buf, size_t size, const char *a, const char *b);
/* rs_path_join, failing with RS_ELIMIT "path a/b is too long". */
int rs_path_join_err(char *buf, size_t size, const char *a, const char *b, struct rs_err *err);
/* The directory part of path ("." when it has none, "/" for "/x"). */
void rs_path_parent(const char *path, char *out, size_t size);
/* The last component of path (a pointer into it). */
const char *rs_path_base(const char *path);

/* mkdir -p: every missing parent of dir is made (0755) and every parent
 * must then be a directory (a symbolic link to one is fine: /var ->
 * /data/var); dir itself too when `last`, else it is left to the caller
 * (who may refuse a link there). RS_EIO "cannot create directory P: why"
 * (sys_errno set); RS_EINVAL "P is not a directory"; RS_ELIMIT. */
int rs_path_mkdir_p(const char *dir, int last, struct rs_err *err);

/* A relative path that stays inside the directory it is joined to: not
 * empty, not absolute, no empty, "." or ".." component, no control
 * characters or backslashes, shorter than PATH_MAX. 1 when it is. */
int rs_path_safe_relative(const char *p);

/* readdir(3) that tells a failure from the end of the listing: the next
 * entry, or NULL at the end; NULL with *rc set (RS_EIO "cannot read
 * path: why", sys_errno set) when the listing failed part way, which a
 * copy must not take for the end of it. */
struct dirent *rs_path_readdir(DIR *d, const char *path, int *rc, struct rs_err *err);

/* 32 unpredictable-enough bits for the name of a temporary file or
 * directory that O_EXCL or mkdir then claims (a taken name is retried by
 * the caller, so they need not be unique). Never fails and never exits:
 * getrandom(2), else the pid, the clock and a counter. (libbsd's
 * arc4random, used before, ends the process with status 1 and no word on
 * stderr when its first mmap fails: tests/cli/test_io_faults.sh.) */
unsigned int rs_path_nonce(void);

#endif
