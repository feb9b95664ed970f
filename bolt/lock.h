/*
 * File locks as bbolt takes them: flock(LOCK_EX) for a read-write handle,
 * flock(LOCK_SH) for a read-only one, held for the life of the handle.
 * Unlike bbolt's default (wait forever), every wait here has a deadline.
 */
#ifndef BOLT_LOCK_H
#define BOLT_LOCK_H

#include "bolt/error.h"

/* Seconds a LOCK_EX waits when only readers (LOCK_SH holders) are in its
 * way, whatever the timeout: a read-only check by another command is short,
 * and refusing at once would make two runs started together both fail. */
#define BOLT_READER_GRACE 10.0

/* op is LOCK_SH or LOCK_EX. timeout in seconds; 0 tries once, except that
 * LOCK_EX held up by readers alone waits up to BOLT_READER_GRACE. Returns
 * BOLT_ELOCKED when another process still holds a conflicting lock at the
 * deadline. `name` is used in the message. */
int bolt_lock(int fd, int op, double timeout, const char *name, struct bolt_err *err);
void bolt_unlock(int fd);

/* 1 if some other process holds a lock conflicting with `op` right now,
 * 0 if not, -1 on error (errno set). Takes and drops the lock. */
int bolt_lock_probe(int fd, int op);

#endif
