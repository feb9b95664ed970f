#include "raftstate/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int rs_errf(struct rs_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->sys_errno = 0;
	err->has_fix = 0;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
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

int rs_err_suffix(struct rs_err *err, const char *suffix)
{
	size_t n;

	if (err == NULL)
		return RS_OK;
	n = strlen(err->msg);
	(void)snprintf(err->msg + n, sizeof(err->msg) - n, "%s", suffix);
	err->has_fix = 1;
	return err->code;
}

int rs_syserr(struct rs_err *err, const char *what, const char *path)
{
	int e = errno;
	int rc = rs_errf(err, RS_EIO, "%s %s: %s", what, path, rs_errno_text(e).s);

	if (err != NULL) {
		err->sys_errno = e;
		err->has_fix = rs_errno_fix(e) != NULL;
	}
	return rc;
}

const char *rs_quote_n(char *buf, size_t size, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;
	char esc[5];
	size_t elen;

	if (size < 6) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
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
			break;
		}
		memcpy(buf + o, esc, elen);
		o += elen;
	}
	buf[o++] = '"';
	buf[o] = '\0';
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
	(void)snprintf(buf, size, "%s", path);
	return buf;
}

struct rs_quoted rs_qpath(const char *path)
{
	struct rs_quoted q = {{0}};

	(void)rs_path_text(path, q.s, sizeof(q.s));
	return q;
}
