/*
 * How the CLI speaks to the user: every error is one line on stderr,
 *   op-conductor-init: raft generate: <one sentence>
 * and the function returns the exit code to use, so callers can write
 *   return oci_usage(cmd, "--nodes is required");
 */
#ifndef PRESENT_REPORT_H
#define PRESENT_REPORT_H

#include <stddef.h>
#include <stdio.h>

struct oci_command;

/* Prints the message (prefixed with the program and, when cmd is non-NULL,
 * the command) and returns OCI_EXIT_USAGE. */
int oci_usage(const struct oci_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Same, returns OCI_EXIT_FAIL. */
int oci_fail(const struct oci_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* How stderr is shaped: op-service's log flags (op-service/log/cli.go of
 * optimism v1.19.6: --log.level, --log.format, --log.color, --log.pid, read
 * as CLIFlags and FormatHandler read them; the records as op-geth
 * v1.101702.3-rc.7's log handlers write them). Every line the tool writes
 * on stderr goes through oci_usage/oci_fail (level error), oci_warn (warn),
 * oci_note (info), oci_detail (a line that belongs to the message before
 * it, at its level), oci_progress (info) or the oci_info_stream (info):
 *   text          "op-conductor-init: raft restore: <sentence>"; details
 *                 as they are (op-service's text is logfmt without
 *                 --log.color: here the default stays the sentences)
 *   terminal      geth's TerminalHandler: "ERROR[12-07|09:30:00.123] <msg>
 *                 cmd=\"raft restore\""; text with --log.color is terminal,
 *                 as in op-service, and --log.color colors the level
 *   logfmt        t=2026-12-07T09:30:00+0000 lvl=error msg="..." [pid=N]
 *                 cmd="raft restore" (slog's TextHandler quoting)
 *   logfmtms      the same with milliseconds in t
 *   json, jsonms  {"t": RFC 3339 with nanoseconds, "lvl": "error", "msg": ...,
 *                 ["pid": N,] "cmd": ...}
 *   json-pretty   json, indented (this tool's; op-service refuses it)
 * A line below --log.level is not written (crit: not even errors; the exit
 * status still says it). */
enum oci_log_format {
	OCI_LOG_TEXT,
	OCI_LOG_TERMINAL,
	OCI_LOG_LOGFMT,
	OCI_LOG_LOGFMT_MS,
	OCI_LOG_JSON,
	OCI_LOG_JSON_MS,
	OCI_LOG_JSON_PRETTY
};
enum oci_log_level {
	OCI_LVL_TRACE,
	OCI_LVL_DEBUG,
	OCI_LVL_INFO,
	OCI_LVL_WARN,
	OCI_LVL_ERROR,
	OCI_LVL_CRIT
};
struct oci_log_conf {
	enum oci_log_format format;
	enum oci_log_level level;
	int pid;
	int color;
	/* for --json: the last error sentence, and whether a document was
	 * printed (cmd/main.c prints {"error": ...} for a failed run that
	 * printed none) */
	char last_error[1024];
	int json_emitted;
	FILE *info;          /* oci_info_stream(), once opened */
	int progress_tenths; /* oci_progress: tenths reported of the current file */
};
/* The run's setting (cmd/main.c sets it from the parsed log flags). */
extern struct oci_log_conf oci_log_conf;
/* The flags' text as op-service reads it: a level case-insensitively
 * (geth's short names trce, dbug, eror too), a format by its name. 0, or
 * -1 for text op-service would refuse (*out untouched). */
int oci_log_level_parse(const char *s, enum oci_log_level *out);
int oci_log_format_parse(const char *s, enum oci_log_format *out);
/* Sets format, level, pid and color from the flags' text (NULL or unknown
 * text: the default). */
void oci_log_setup(const char *format, const char *level, int pid, int color);

/* A warning / a note: one line like an error's ("...: warning: ..."),
 * returning nothing. */
void oci_warn(const struct oci_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void oci_note(const struct oci_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A line that belongs to the message before it (a problem, a diff line),
 * at `level`; in text it is written as it is, with a newline. */
void oci_detail(enum oci_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* TEXT's lines, each an oci_detail at LEVEL (an rs_diff's text, say). */
void oci_detail_lines(enum oci_log_level level, const char *text);

/* Where text meant for a person goes when stdout holds a --json document:
 * each line written to it is one info record (in text format: the line as
 * it is on stderr; below --log.level: nothing). Never NULL (stderr when a
 * stream cannot be made); flushed by oci_log_close(). */
FILE *oci_info_stream(void);
void oci_log_close(void);

/* A progress report on `file` (info): in text, one line rewritten in place
 * ("\r  verb file: N of M MiB (P%)", a newline at the end); in the other
 * formats, one record each time another tenth is done. */
void oci_progress(const char *verb, const char *file, unsigned long long done,
                  unsigned long long total);

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

/* Why no question can be asked ("stdin is not a terminal", or the log
 * format writes records), or NULL when oci_confirm may ask. */
const char *oci_no_question(void);

/* Asks `question` on the terminal (stderr), " [y/N]: " appended; 1 when the
 * answer read from stdin is y or yes (any case), else 0. */
int oci_confirm(const char *question);

/* Progress of backup and restore, for a person at a terminal: for files of
 * 64 MiB or more one line on stderr ("  copying FILE: 512 of 1238 MiB
 * (41%)"), rewritten in place and ended at 100%. NULL when stderr is not a
 * terminal (nothing is printed there then). */
struct rs_progress;
const struct rs_progress *oci_tty_progress(void);

#endif
