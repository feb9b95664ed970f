/* The flags of node commands: see nodeflags.h. */
#include "cmd/nodeflags.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/flags.h"
#include "cmd/report.h"

int np_find_nodes(const struct oci_command *cmd, const char *dir, const char *what,
                  struct rs_nd_nodes *out)
{
	struct rs_err err = {0};
	int rc;

	memset(out, 0, sizeof(*out));
	if (dir[0] == '\0')
		return oci_usage(cmd, "%s is empty", what);
	rc = rs_nd_find(dir, what, out, &err);
	if (rc == RS_ELIMIT)
		return oci_usage(cmd, "%s", err.msg);
	if (rc != RS_OK)
		return oci_fail(cmd, "%s", err.msg);
	return 0;
}

const char *np_locked_fix(const struct rs_err *err)
{
	return err->code == RS_ELOCKED ? "; give --live to read it while op-conductor runs" : "";
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double d;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	if (*end == 's')
		end++;
	if (*end != '\0' || !isfinite(d) || d < 0 || d > 86400)
		return -1;
	*out = d;
	return 0;
}

int np_timeout_check(const char *s)
{
	double d;

	return parse_seconds(s, &d);
}

double np_timeout_value(const char *s)
{
	double d = 5.0;

	(void)parse_seconds(s, &d);
	return d;
}

double np_run_lock_timeout(const struct flag_value *timeout)
{
	return timeout->src == FLAG_ARGV || timeout->src == FLAG_ENV
	           ? np_timeout_value(timeout->str)
	           : 0;
}

int np_threads_value(const char *s)
{
	int t = 0;

	if (strcmp(s, "auto") == 0)
		return 0;
	if (s[0] < '1' || s[0] > '9')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || (t = t * 10 + (*s - '0')) > NP_THREADS_MAX)
			return -1;
	}
	return t;
}

int np_threads_check(const char *s)
{
	return np_threads_value(s) < 0 ? -1 : 0;
}
