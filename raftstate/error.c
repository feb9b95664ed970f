#include "raftstate/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolt/error.h"

int rs_errf(struct rs_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->sys_errno = 0;
	err->has_fix = 0;
	va_start(ap, fmt);
	bolt_vfmt_fit(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *rs_errno_fix(int e)
{
	const char *fix = NULL;

	switch (e) {
	case EACCES:
	case EPERM:
		fix = "run as root, or as the files' owner";
		break;
	case ENOSPC:
	case EDQUOT:
		fix = "free space on that file system";
		break;
	case EROFS:
		fix = "the file system is mounted read-only: mount it read-write";
		break;
	case EMFILE:
	case ENFILE:
		fix = "raise the open-file limit, ulimit -n";
		break;
	case EIO:
		fix = "the device failed: check it (dmesg), and restore from a backup what it "
		      "damaged";
		break;
	case ELOOP:
		fix = "a symbolic link is in the way: give the real path";
		break;
	case ENOMEM:
		fix = "free memory, or raise the memory limit: the container's, or ulimit -v";
		break;
	case ENAMETOOLONG:
		fix = "give a shorter path";
		break;
	case ENOENT:
	case ENOTDIR:
		fix = "check the path";
		break;
	default:
		break;
	}
	return fix;
}

struct rs_quoted rs_errno_text(int e)
{
	struct rs_quoted q = {{0}};
	const char *fix = rs_errno_fix(e);

	if (fix != NULL)
		(void)snprintf(q.s, sizeof(q.s), "%s (%s)", strerror(e), fix);
	else
		(void)snprintf(q.s, sizeof(q.s), "%s", strerror(e));
	return q;
}

int rs_err_append(struct rs_err *err, const char *fmt, ...)
{
	size_t n, more;
	va_list ap;
	char *t;
	int k;

	if (err == NULL)
		return RS_OK;
	n = strlen(err->msg);
	va_start(ap, fmt);
	k = vsnprintf(err->msg + n, sizeof(err->msg) - n, fmt, ap);
	va_end(ap);
	more = k > 0 ? (size_t)k : 0;
	if (n + more < sizeof(err->msg) || (t = malloc(n + more + 1)) == NULL)
		return err->code;
	memcpy(t, err->msg, n);
	va_start(ap, fmt);
	(void)vsnprintf(t + n, more + 1, fmt, ap);
	va_end(ap);
	bolt_text_fit(err->msg, sizeof(err->msg), t, n + more);
	free(t);
	return err->code;
}

int rs_err_suffix(struct rs_err *err, const char *suffix)
{
	if (err == NULL)
		return RS_OK;
	(void)rs_err_append(err, "%s", suffix);
	err->has_fix = 1;
	return err->code;
}

int rs_syserr(struct rs_err *err, const char *what, const char *path)
{
	int e = errno;
	/* a call that could not allocate (opendir, fopen, mmap): out of
	 * memory, no fact about the file */
	int rc = rs_errf(err, e == ENOMEM ? RS_ENOMEM : RS_EIO, "%s %s: %s", what, path,
	                 rs_errno_text(e).s);

	if (err != NULL) {
		err->sys_errno = e;
		err->has_fix = rs_errno_fix(e) != NULL;
	}
	return rc;
}

/* rs_quote_n into buf, cut at its end with "..." when it does not fit: 1
 * when all of s went in. */
static int quote_into(char *buf, size_t size, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;
	int whole = 1;
	char esc[5];
	size_t elen;

	if (size < 6) {
		if (size > 0)
			buf[0] = '\0';
		return 0;
	}
	buf[o++] = '"';
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		elen = 0;
		switch (c) {
		case '"':
			esc[elen++] = '\\';
			esc[elen++] = '"';
			break;
		case '\\':
			esc[elen++] = '\\';
			esc[elen++] = '\\';
			break;
		case '\n':
			esc[elen++] = '\\';
			esc[elen++] = 'n';
			break;
		case '\r':
			esc[elen++] = '\\';
			esc[elen++] = 'r';
			break;
		case '\t':
			esc[elen++] = '\\';
			esc[elen++] = 't';
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				esc[elen++] = '\\';
				esc[elen++] = 'x';
				esc[elen++] = hex[c >> 4];
				esc[elen++] = hex[c & 0xf];
			} else {
				esc[elen++] = (char)c;
			}
		}
		/* keep room for the closing quote, "..." and NUL */
		if (o + elen + 5 > size) {
			memcpy(buf + o, "...", 3);
			o += 3;
			whole = 0;
			break;
		}
		memcpy(buf + o, esc, elen);
		o += elen;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return whole;
}

const char *rs_quote_n(char *buf, size_t size, const char *s, size_t n)
{
	size_t all = 4 * n + 3; /* each byte escaped as \xNN at most, the quotes, NUL */
	char *t, *fit;

	if (quote_into(buf, size, s, n) || size < 6 || (t = malloc(all + size)) == NULL)
		return buf;
	/* a long value keeps its end too: cut in its middle when that leaves
	 * the closing quote, else (short words) at the end, as quote_into did */
	fit = t + all;
	(void)quote_into(t, all, s, n);
	bolt_text_fit(fit, size, t, strlen(t));
	if (fit[0] != '\0' && fit[strlen(fit) - 1] == '"')
		memcpy(buf, fit, strlen(fit) + 1);
	free(t);
	return buf;
}

const char *rs_quote(const char *s, char *buf, size_t size)
{
	return rs_quote_n(buf, size, s, strlen(s));
}

struct rs_quoted rs_q(const char *s)
{
	struct rs_quoted q = {{0}};

	(void)rs_quote(s, q.s, sizeof(q.s));
	return q;
}

const char *rs_path_text(const char *path, char *buf, size_t size)
{
	for (const char *p = path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"')
			return rs_quote(path, buf, size);
	return bolt_text_fit(buf, size, path, strlen(path));
}

struct rs_quoted rs_qpath(const char *path)
{
	struct rs_quoted q = {{0}};

	(void)rs_path_text(path, q.s, sizeof(q.s));
	return q;
}
