#include "cmd/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/command.h"

static void vreport(const struct oci_command *cmd, const char *fmt, va_list ap)
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

struct oci_quoted oci_q(const char *s)
{
	struct oci_quoted q = {0};

	oci_quote(q.s, sizeof(q.s), s, strlen(s));
	return q;
}

struct oci_quoted oci_path(const char *path)
{
	struct oci_quoted q = {0};
	const char *p;

	for (p = path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"')
			return oci_q(path);
	(void)snprintf(q.s, sizeof(q.s), "%s", path);
	return q;
}
