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
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int rs_syserr(struct rs_err *err, const char *what, const char *path)
{
	int e = errno;
	int rc = rs_errf(err, RS_EIO, "%s %s: %s", what, path, strerror(e));

	if (err != NULL)
		err->sys_errno = e;
	return rc;
}

/* s with control bytes, '"' and '\\' escaped, quoted: safe in a one-line
 * message. Returns buf. */
const char *rs_quote(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	if (size < 8)
		return "";
	buf[o++] = '"';
	for (; *s != '\0' && o + 6 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\t' || c == '\n')
			o += (size_t)snprintf(buf + o, size - o, "\\%c", c == '\t' ? 't' : 'n');
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\%c", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

struct rs_quoted rs_q(const char *s)
{
	struct rs_quoted q = {{0}};

	(void)rs_quote(s, q.s, sizeof(q.s));
	return q;
}

struct rs_quoted rs_qpath(const char *path)
{
	struct rs_quoted q = {{0}};

	for (const char *p = path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"')
			return rs_q(path);
	(void)snprintf(q.s, sizeof(q.s), "%s", path);
	return q;
}
