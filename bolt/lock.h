/*
 * File locks as bbolt takes them: flock(LOCK_EX) for a read-write handle,
 * flock(LOCK_SH) for a read-only one, held for the life of the handle.
 * Unlike bbolt's default (wait forever), every wait here has a deadline.
 */
#ifndef BOLT_LOCK_H
#define BOLT_LOCK_H

#include <stddef.h>

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

/* The pid of another process that holds a flock on fd's file, from
 * /proc/locks (0: unknown, or only this process holds one),
 * and in cmd its command line (spaces between arguments, control bytes as
 * '?', cut to size-1 bytes; "" when unknown). */
long bolt_lock_holder(int fd, char *cmd, size_t size);

/* BOLT_ELOCKED with the sentence for a lock another process holds on fd's
 * file: another run of this tool by pid and command, else the holder's pid
 * and command when /proc/locks names it ("is op-conductor running?"), then
 * `then` ("gave up after 5.0 s", "stop it before restoring"). */
int bolt_lock_refusal(int fd, const char *name, const char *then, struct bolt_err *err);

/* 1 if some other process holds a lock conflicting with `op` right now,
 * 0 if not, -1 on error (errno set). Takes and drops the lock. */
int bolt_lock_probe(int fd, int op);

#endif
