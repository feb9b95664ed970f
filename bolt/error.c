#include "bolt/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int bolt_errf(struct bolt_err *err, int code, uint64_t pgid, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->sys_errno = 0;
	err->pgid = pgid;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int bolt_syserr(struct bolt_err *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	if (err == NULL)
		return BOLT_EIO;
	err->code = BOLT_EIO;
	err->sys_errno = saved;
	err->pgid = BOLT_NO_PGID;
	va_start(ap, fmt);
	(void)vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	if (n < sizeof(err->msg))
		(void)snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(saved));
	return BOLT_EIO;
}
