/*
 * Errors of the bolt layer: a code, the page at fault when there is one, and
 * one sentence. Corrupt input is an expected case (BOLT_ECORRUPT), never an
 * assert.
 */
#ifndef BOLT_ERROR_H
#define BOLT_ERROR_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum bolt_code {
	BOLT_OK = 0,
	BOLT_EINVAL,   /* bad argument from the caller */
	BOLT_ECORRUPT, /* the file violates the format; pgid says where */
	BOLT_EIO,      /* a system call failed; sys_errno says why */
	BOLT_ENOMEM,
	BOLT_ELOCKED,   /* flock not obtained before the timeout */
	BOLT_ENOTFOUND, /* key or bucket missing */
	BOLT_EEXIST,    /* bucket or key already exists */
	BOLT_ELIMIT,    /* a size bound was exceeded */
	BOLT_ECHANGED,  /* a live (lock-free) read raced a writer; retry */
	BOLT_ESHRANK,   /* the file shrank under a locked read (bolt/mapguard.h) */
	BOLT_ESPLIT,    /* a parallel check's parts were not independent: check with one thread */
};

#define BOLT_NO_PGID UINT64_MAX

struct bolt_err {
	int code;
	int sys_errno;
	uint64_t pgid; /* BOLT_NO_PGID when not about one page */
	char msg[256];
};

/* Messages are whole sentences whatever the paths in them: a message longer
 * than its buffer has its long words (runs of 32 bytes or more without a
 * space: paths, keys) cut in their middle to "...", all to the same length,
 * just enough for the rest - the sentence and its fix at the end - to fit;
 * only text without such words is cut at its end. */

/* Copies src (len bytes) into dst (size bytes, NUL-terminated), fitted as
 * above; never splits a UTF-8 sequence. Returns dst. */
char *bolt_text_fit(char *dst, size_t size, const char *src, size_t len);
/* vsnprintf into dst, fitted as above. */
void bolt_vfmt_fit(char *dst, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

int bolt_errf(struct bolt_err *err, int code, uint64_t pgid, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Like bolt_errf with BOLT_EIO, recording errno and appending strerror. */
int bolt_syserr(struct bolt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
