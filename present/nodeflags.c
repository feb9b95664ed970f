/* The flags of node commands: see nodeflags.h. */
#include "present/nodeflags.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "present/command.h"
#include "present/flags.h"
#include "present/report.h"

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
		return oci_fail(cmd, "%s%s", err.msg, np_err_fix(cmd, &err, dir).s);
	return 0;
}

static int has_live(const struct oci_command *cmd)
{
	static const char *const live[] = {"verify", "info", "logs", "backup"};

	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++)
		if (strcmp(cmd->name, live[i]) == 0)
			return 1;
	return 0;
}

struct oci_quoted np_err_fix(const struct oci_command *cmd, const struct rs_err *err,
                             const char *dir)
{
	struct oci_quoted q = {0};
	const char *verify = "";
	char line[sizeof(q.s) / 2];

	if (err->has_fix)
		return q;
	switch (err->code) {
	case RS_ELOCKED:
		if (has_live(cmd))
			(void)snprintf(q.s, sizeof(q.s),
			               "; give --live to read it while op-conductor runs");
		break;
	case RS_ECORRUPT:
		if (strcmp(cmd->name, "restore") == 0) {
			(void)snprintf(q.s, sizeof(q.s),
			               "; restore another backup (an older one, or one of another "
			               "node)");
			break;
		}
		if (strcmp(cmd->name, "verify") != 0) {
			(void)snprintf(line, sizeof(line),
			               " (op-conductor-init raft verify --state-dir %s names every "
			               "fault)",
			               dir != NULL ? rs_qpath(dir).s : "<node directory>");
			verify = line;
		}
		(void)snprintf(q.s, sizeof(q.s),
		               "; the node's state is damaged%s: restore it from a backup (raft "
		               "restore), or, while a majority of its cluster is healthy, start "
		               "it with an empty state directory and let the leader fill it",
		               verify);
		break;
	case RS_ELIMIT:
		(void)snprintf(q.s, sizeof(q.s),
		               "; no flag raises this bound: give a shorter path, or, for a file, "
		               "check that it is one raft wrote (one beyond the bound is damaged "
		               "or something else)");
		break;
	case RS_ENOMEM:
		(void)snprintf(q.s, sizeof(q.s), "; %s", rs_errno_fix(ENOMEM));
		break;
	default:
		break;
	}
	return q;
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
