#include "cmd/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd/command.h"
#include "raftstate/error.h"

__attribute__((format(printf, 2, 0))) static void vreport(const struct oci_command *cmd,
                                                          const char *fmt, va_list ap)
{
	if (cmd != NULL)
		fprintf(stderr, "%s: %s %s: ", OCI_PROG, cmd->group, cmd->name);
	else
		fprintf(stderr, "%s: ", OCI_PROG);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int oci_usage(const struct oci_command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	return OCI_EXIT_USAGE;
}

int oci_fail(const struct oci_command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(cmd, fmt, ap);
	va_end(ap);
	return OCI_EXIT_FAIL;
}

const char *oci_quote(char *buf, size_t size, const char *s, size_t n)
{
	return rs_quote_n(buf, size, s, n);
}

struct oci_quoted oci_q(const char *s)
{
	struct oci_quoted q = {0};

	oci_quote(q.s, sizeof(q.s), s, strlen(s));
	return q;
}

struct oci_quoted oci_path(const char *path)
{
	struct oci_quoted q = {0};

	(void)rs_path_text(path, q.s, sizeof(q.s));
	return q;
}

int oci_confirm(const char *question)
{
	char line[64];

	fprintf(stderr, "%s [y/N]: ", question);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}
