/*
 * How cmd/ speaks to the user: every error is one line on stderr,
 *   op-conductor-init: raft generate: <one sentence>
 * and the function returns the exit code to use, so callers can write
 *   return oci_usage(cmd, "--nodes is required");
 */
#ifndef CMD_REPORT_H
#define CMD_REPORT_H

#include <stddef.h>

struct oci_command;

/* Prints the message (prefixed with the program and, when cmd is non-NULL,
 * the command) and returns OCI_EXIT_USAGE. */
int oci_usage(const struct oci_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Same, returns OCI_EXIT_FAIL. */
int oci_fail(const struct oci_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Renders s (n bytes) as a double-quoted string in the style of Go's %q:
 * control bytes, DEL, '"' and '\\' are escaped, so a bad value can never
 * break the one-line rule. Truncates with "..." to fit `size`. Returns buf. */
const char *oci_quote(char *buf, size_t size, const char *s, size_t n);

/* Convenience for message arguments: `oci_q(s).s` is s quoted. The result
 * is returned by value; C11 keeps such a temporary alive until the end of
 * the full expression, i.e. for the duration of the oci_usage() call. */
struct oci_quoted {
	char s[4200]; /* PATH_MAX and a little; longer values are cut with "..." */
};
struct oci_quoted oci_q(const char *s);

/* A path for a message: as is, or quoted when it holds a control byte or
 * a '"' (rs_path_text, the one rule). Same lifetime rule as oci_q. */
struct oci_quoted oci_path(const char *path);

/* Asks `question` on the terminal (stderr), " [y/N]: " appended; 1 when the
 * answer read from stdin is y or yes (any case), else 0. */
int oci_confirm(const char *question);

#endif
