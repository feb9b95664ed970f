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
