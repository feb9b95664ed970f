/*
 * Errors are values: a function of raftstate/ returns one of these codes and
 * fills a struct rs_err with one sentence saying what is wrong and where.
 * Only cmd/ prints them and picks the exit code.
 */
#ifndef RAFTSTATE_ERROR_H
#define RAFTSTATE_ERROR_H

#include <stddef.h>
#include <stdint.h>

enum rs_code {
	RS_OK = 0,
	RS_EINVAL,   /* a caller's argument is invalid (usage) */
	RS_ECORRUPT, /* the bytes read do not decode / violate an invariant */
	RS_EIO,      /* a system call failed; sys_errno says why */
	RS_ENOMEM,
	RS_ELOCKED,   /* a file lock could not be taken in time */
	RS_ENOTFOUND, /* a key, bucket or file that must exist does not */
	RS_EEXIST,    /* something that must not exist does */
	RS_ELIMIT,    /* input exceeds a hard bound (size, depth, count) */
};

struct rs_err {
	int code;
	int sys_errno;
	/* msg already says how to fix it (rs_err_suffix added the fix, or a
	 * failed call's errno has one): cmd/'s np_err_fix then adds none */
	int has_fix;
	char msg[512];
};

/* Fills err (when non-NULL) and returns code. printf-style; a message
 * longer than msg keeps its sentence and fix whole, its paths shortened in
 * the middle ("/var/lib/...-long/s1", bolt_text_fit). */
int rs_errf(struct rs_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends printf-style text to err's message (its long words shortened in
 * the middle to fit, bolt/error.h); code, sys_errno and has_fix stay.
 * Returns err's code. */
int rs_err_append(struct rs_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* rs_err_append of `suffix`, the fix ("; give --live ..."), marking err
 * has_fix; returns err's code. */
int rs_err_suffix(struct rs_err *err, const char *suffix);

/* RS_EIO for a failed system call: "<what> <path>: <rs_errno_text(errno)>",
 * recording errno in err->sys_errno (has_fix when rs_errno_fix(errno) has
 * one); RS_ENOMEM when errno is ENOMEM (a call that could not allocate:
 * opendir, fopen, mmap; no fact about the file). */
int rs_syserr(struct rs_err *err, const char *what, const char *path);

/* s (n bytes) as a double-quoted string in the style of Go's %q: control
 * bytes, DEL, '"' and '\\' are escaped, so a bad value can never break the
 * one-line rule. Shortened in the middle with "..." to fit `size`. Returns buf. The one
 * quoting of every message (cmd/'s oci_quote is this). */
const char *rs_quote_n(char *buf, size_t size, const char *s, size_t n);
/* rs_quote_n of the NUL-terminated s. */
const char *rs_quote(const char *s, char *buf, size_t size);
/* A path for a message, into buf: as it is, or rs_quote'd when it holds a
 * control byte, DEL or a '"' (the one rule; cmd/'s oci_path is this);
 * shortened in the middle to fit. Returns buf. */
const char *rs_path_text(const char *path, char *buf, size_t size);

/* By value, for message arguments (C11 keeps the temporary alive for the
 * full expression): rs_q(s).s is s quoted; rs_qpath(p).s is p as it is, or
 * quoted when it holds a control byte or a '"'. */
struct rs_quoted {
	char s[1100];
};
/* strerror(e) and, when the user can do something about it, how: "Permission
 * denied (run as root, or as the files' owner)". By value, like rs_q. */
struct rs_quoted rs_errno_text(int e);
/* That fix alone, or NULL. */
const char *rs_errno_fix(int e);

struct rs_quoted rs_q(const char *s);
struct rs_quoted rs_qpath(const char *path);

#endif
