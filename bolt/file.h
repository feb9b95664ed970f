/*
 * Opening a file the tool is about to read, safely: the one way every reader
 * (bolt files, snapshots, backups, --config files) opens its input.
 *
 * open() of a FIFO without a writer blocks for ever, and open() of a device
 * may have side effects; an init container that blocks never starts. So
 * the file is opened O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY |
 * O_CLOEXEC, and fstat() on the descriptor (not the name: no race) must say
 * "regular file" before a byte is read or mapped. O_NONBLOCK is then
 * cleared: on a regular file it changes nothing, but the descriptor may be
 * handed to code (zlib) that does not expect it.
 */
#ifndef BOLT_FILE_H
#define BOLT_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "bolt/error.h"

enum bolt_file_flags {
	/* Follow a symbolic link in the last component: only for a file the
	 * operator names on the command line (--config), which Kubernetes
	 * mounts as a symlink into a ConfigMap's ..data directory. State
	 * files are never followed (a link there is refused, as backup and
	 * restore always did). */
	BOLT_FILE_FOLLOW = 1,
};

/* Opens path (relative to dirfd; AT_FDCWD: the working directory) for
 * reading and checks it is a regular file (flags: enum bolt_file_flags, or 0). BOLT_OK with the
 * descriptor in *fd and its stat in *st (may be NULL); else *fd is -1 and: BOLT_EINVAL with "NAME
 * is a FIFO, not a regular file" (a directory, a symbolic link, a socket, a character or block
 * device) when it is not one, BOLT_EIO with sys_errno when open fails (errno is kept too: ENOENT
 * stays ENOENT). name is how messages call the file; NULL: path. */
/* pread of exactly n bytes at off, read on where a call comes back short
 * (a signal, a network file system) or with EINTR: 0; 1 when the file ends
 * first; -1 with errno. */
int bolt_pread_full(int fd, uint8_t *buf, size_t n, uint64_t off);

int bolt_file_open(int dirfd, const char *path, int flags, const char *name, int *fd,
                   struct stat *st, struct bolt_err *err);

/* The same check on a descriptor the caller opened itself (read-write, say:
 * open it with O_NONBLOCK | O_NOFOLLOW too). BOLT_OK or BOLT_EINVAL/EIO. */
int bolt_file_check(int fd, const char *name, struct stat *st, struct bolt_err *err);

/* "a FIFO", "a directory", ... for a st_mode that is not a regular file. */
const char *bolt_file_kind(mode_t mode);

#endif
