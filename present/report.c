#include "present/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "present/command.h"
#include "raftstate/backup.h"
#include "raftstate/error.h"

static const struct {
	const char *name;
	enum oci_log_format format;
} formats[] = {
    /* op-service's FormatFlagValue.Set, and json-pretty (this tool's) */
    {"text", OCI_LOG_TEXT},
    {"terminal", OCI_LOG_TERMINAL},
    {"logfmt", OCI_LOG_LOGFMT},
    {"logfmtms", OCI_LOG_LOGFMT_MS},
    {"json", OCI_LOG_JSON},
    {"jsonms", OCI_LOG_JSON_MS},
    {"json-pretty", OCI_LOG_JSON_PRETTY},
};

int oci_log_format_parse(const char *s, enum oci_log_format *out)
{
	for (size_t i = 0; s != NULL && i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcasecmp(s, formats[i].name) == 0) {
			*out = formats[i].format;
			return 0;
		}
	return -1;
}

int oci_log_level_parse(const char *s, enum oci_log_level *out)
{
	/* op-service LevelFromString: lower-cased, geth's short forms too */
	static const struct {
		const char *name;
		enum oci_log_level level;
	} names[] = {
	    {"trace", OCI_LVL_TRACE}, {"trce", OCI_LVL_TRACE}, {"debug", OCI_LVL_DEBUG},
	    {"dbug", OCI_LVL_DEBUG},  {"info", OCI_LVL_INFO},  {"warn", OCI_LVL_WARN},
	    {"error", OCI_LVL_ERROR}, {"eror", OCI_LVL_ERROR}, {"crit", OCI_LVL_CRIT},
	};

	for (size_t i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	return -1;
}

void oci_log_setup(const char *format, const char *level, int pid, int color)
{
	oci_log_conf.format = OCI_LOG_TEXT;
	oci_log_conf.level = OCI_LVL_INFO;
	(void)oci_log_format_parse(format, &oci_log_conf.format);
	(void)oci_log_level_parse(level, &oci_log_conf.level);
	/* op-service FormatHandler: text with color is the terminal handler */
	if (oci_log_conf.format == OCI_LOG_TEXT && color)
		oci_log_conf.format = OCI_LOG_TERMINAL;
	oci_log_conf.pid = pid;
	oci_log_conf.color = color;
}

/* slog's TextHandler needsQuoting (empty, a space, '=', '"', a control
 * byte), and any byte beyond ASCII too (slog quotes only what is not a
 * printable character; quoting more keeps a value one logfmt token) */
static int needs_quoting(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == '\0')
		return 1;
	for (; *p != '\0'; p++)
		if (*p == ' ' || *p == '=' || *p == '"' || *p < 0x20 || *p >= 0x7f)
			return 1;
	return 0;
}

/* logfmt: key=value, the value quoted (Go %q) when slog would quote it */
static void logfmt_pair(const char *key, const char *val)
{
	fprintf(stderr, " %s=%s", key, needs_quoting(val) ? rs_q(val).s : val);
}

/* The record's time as the handlers write it: logfmt "2006-01-02T15:04:05-0700"
 * (logfmtms: with ".000"), JSON time.RFC3339Nano, terminal
 * "01-02|15:04:05.000"; in the local zone, as Go's time.Now(). */
static void record_time(char *t, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char zone[40] = "", frac[16] = "";
	size_t n;

	t[0] = '\0';
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || localtime_r(&ts.tv_sec, &tm) == NULL)
		return;
	switch (oci_log_conf.format) {
	case OCI_LOG_TERMINAL:
		n = strftime(t, size, "%m-%d|%H:%M:%S", &tm);
		(void)snprintf(t + n, size - n, ".%03ld", ts.tv_nsec / 1000000);
		return;
	case OCI_LOG_LOGFMT:
	case OCI_LOG_LOGFMT_MS:
		n = strftime(t, size, "%Y-%m-%dT%H:%M:%S", &tm);
		if (oci_log_conf.format == OCI_LOG_LOGFMT_MS)
			n += (size_t)snprintf(t + n, size - n, ".%03ld", ts.tv_nsec / 1000000);
		(void)strftime(t + n, size - n, "%z", &tm);
		return;
	default: /* RFC 3339 with nanoseconds, trailing zeros dropped, Z for UTC */
		n = strftime(t, size, "%Y-%m-%dT%H:%M:%S", &tm);
		if (ts.tv_nsec != 0) {
			(void)snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
			for (size_t k = strlen(frac); k > 1 && frac[k - 1] == '0'; k--)
				frac[k - 1] = '\0';
		}
		if (tm.tm_gmtoff == 0)
			(void)snprintf(zone, sizeof(zone), "Z");
		else
			(void)snprintf(zone, sizeof(zone), "%c%02ld:%02ld",
			               tm.tm_gmtoff < 0 ? '-' : '+', labs(tm.tm_gmtoff) / 3600,
			               labs(tm.tm_gmtoff) % 3600 / 60);
		(void)snprintf(t + n, size - n, "%s%s", frac, zone);
	}
}

/* One record in every format but text: the time, the level as op-geth
 * names it (LevelString; terminal: LevelAlignedString), the message, then
 * pid (op-service NewLogger adds it with With, before the record's own
 * attributes) and the command. */
static void record(enum oci_log_level level, const struct oci_command *cmd, const char *msg)
{
	static const char *const name[] = {"trace", "debug", "info", "warn", "error", "crit"};
	static const char *const aligned[] = {"TRACE", "DEBUG", "INFO ", "WARN ", "ERROR", "CRIT "};
	static const int color[] = {34, 36, 32, 33, 31, 35}; /* TerminalHandler's */
	char t[64], where[128] = "", pid[32];
	cJSON *o;
	char *text;

	record_time(t, sizeof(t));
	if (cmd != NULL)
		(void)snprintf(where, sizeof(where), "%s %s", cmd->group, cmd->name);
	(void)snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	switch (oci_log_conf.format) {
	case OCI_LOG_TERMINAL: {
		/* msg padded to 40 when attributes follow (termMsgJust) */
		int attrs = oci_log_conf.pid || where[0] != '\0';
		size_t len = strlen(msg);
		const char *on = "", *off = "";
		char c[16] = "";

		if (oci_log_conf.color) {
			(void)snprintf(c, sizeof(c), "\x1b[%dm", color[level]);
			on = c;
			off = "\x1b[0m";
		}
		fprintf(stderr, "%s%s%s[%s] %s%*s", on, aligned[level], off, t, msg,
		        attrs && len < 40 ? (int)(40 - len) : 0, "");
		if (oci_log_conf.pid)
			fprintf(stderr, " %spid%s=%s", on, off, pid);
		if (where[0] != '\0')
			fprintf(stderr, " %scmd%s=%s", on, off,
			        needs_quoting(where) ? rs_q(where).s : where);
		fputc('\n', stderr);
		return;
	}
	case OCI_LOG_LOGFMT:
	case OCI_LOG_LOGFMT_MS:
		fprintf(stderr, "t=%s", t);
		logfmt_pair("lvl", name[level]);
		logfmt_pair("msg", msg);
		if (oci_log_conf.pid)
			logfmt_pair("pid", pid);
		if (where[0] != '\0')
			logfmt_pair("cmd", where);
		fputc('\n', stderr);
		return;
	default:
		break;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "t", t);
	cJSON_AddStringToObject(o, "lvl", name[level]);
	cJSON_AddStringToObject(o, "msg", msg);
	if (oci_log_conf.pid)
		cJSON_AddNumberToObject(o, "pid", (double)getpid());
	if (where[0] != '\0')
		cJSON_AddStringToObject(o, "cmd", where);
	text =
	    oci_log_conf.format == OCI_LOG_JSON_PRETTY ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
	if (text != NULL) {
		fputs(text, stderr);
		fputc('\n', stderr);
		cJSON_free(text);
	} else {
		fprintf(stderr, "%s\n", msg); /* out of memory: the sentence still goes out */
	}
	cJSON_Delete(o);
}

/* Every line on stderr: filtered by level, then text or a record. `label`
 * ("warning", "note") prefixes the sentence in text. */
__attribute__((format(printf, 4, 0))) static void vlog(enum oci_log_level level,
                                                       const struct oci_command *cmd,
                                                       const char *label, const char *fmt,
                                                       va_list ap)
{
	char msg[8192];
	va_list copy;

	if (level == OCI_LVL_ERROR) {
		va_copy(copy, ap);
		(void)vsnprintf(oci_log_conf.last_error, sizeof(oci_log_conf.last_error), fmt,
		                copy);
		va_end(copy);
	}
	if (level < oci_log_conf.level)
		return;
	if (oci_log_conf.format == OCI_LOG_TEXT) {
		if (cmd != NULL)
			fprintf(stderr, "%s: %s %s: ", OCI_PROG, cmd->group, cmd->name);
		else
			fprintf(stderr, "%s: ", OCI_PROG);
		if (label != NULL)
			fprintf(stderr, "%s: ", label);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		return;
	}
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	record(level, cmd, msg);
}

__attribute__((format(printf, 2, 0))) static void vreport(const struct oci_command *cmd,
                                                          const char *fmt, va_list ap)
{
	vlog(OCI_LVL_ERROR, cmd, NULL, fmt, ap);
}

void oci_warn(const struct oci_command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(OCI_LVL_WARN, cmd, "warning", fmt, ap);
	va_end(ap);
}

void oci_note(const struct oci_command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(OCI_LVL_INFO, cmd, "note", fmt, ap);
	va_end(ap);
}

void oci_detail(enum oci_log_level level, const char *fmt, ...)
{
	char msg[8192];
	va_list ap;

	if (level < oci_log_conf.level)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (oci_log_conf.format == OCI_LOG_TEXT) {
		fputs(msg, stderr);
		fputc('\n', stderr);
		return;
	}
	msg[strcspn(msg, "\n")] = '\0'; /* a record holds one line */
	record(level, NULL, msg + strspn(msg, " "));
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

const char *oci_no_question(void)
{
	if (!isatty(STDIN_FILENO))
		return "stdin is not a terminal";
	if (oci_log_conf.format != OCI_LOG_TEXT)
		return "--log.format writes records, not questions";
	return NULL;
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

/* ---- text for a person on stderr: info records --------------------------- */

/* The info stream's cookie: a line being collected (longer lines are cut,
 * as a record's message is). */
struct info_line {
	char buf[8192];
	size_t len;
};

/* One line as an info record (a blank line is none). The stream exists in
 * text format only below --log.level info, where nothing reaches here
 * (oci_info_stream returns stderr itself otherwise). */
static void info_emit(struct info_line *l)
{
	l->buf[l->len] = '\0';
	if (l->len > 0)
		record(OCI_LVL_INFO, NULL, l->buf + strspn(l->buf, " "));
	l->len = 0;
}

static ssize_t info_write(void *cookie, const char *data, size_t n)
{
	struct info_line *l = cookie;

	if (OCI_LVL_INFO < oci_log_conf.level)
		return (ssize_t)n;
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n')
			info_emit(l);
		else if (l->len < sizeof(l->buf) - 1)
			l->buf[l->len++] = data[i];
	}
	return (ssize_t)n;
}

static int info_close(void *cookie)
{
	struct info_line *l = cookie;

	if (l->len > 0) /* a last line without its newline (info_write keeps none below info) */
		info_emit(l);
	free(l);
	return 0;
}

FILE *oci_info_stream(void)
{
	static const cookie_io_functions_t io = {.write = info_write, .close = info_close};
	struct info_line *l;

	if (oci_log_conf.info != NULL)
		return oci_log_conf.info;
	if (oci_log_conf.format == OCI_LOG_TEXT && OCI_LVL_INFO >= oci_log_conf.level)
		return stderr; /* as it always was */
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (oci_log_conf.info = fopencookie(l, "w", io)) == NULL) {
		free(l);
		return stderr;
	}
	/* each write reaches info_write at once: lines keep their order with
	 * the records written straight to stderr */
	(void)setvbuf(oci_log_conf.info, NULL, _IONBF, 0);
	return oci_log_conf.info;
}

void oci_log_close(void)
{
	if (oci_log_conf.info != NULL)
		(void)fclose(oci_log_conf.info);
	oci_log_conf.info = NULL;
}

void oci_progress(const char *verb, const char *file, unsigned long long done,
                  unsigned long long total)
{
	int tenths = total > 0 ? (int)(done * 10 / total) : 10;
	char msg[4400];

	if (OCI_LVL_INFO < oci_log_conf.level || total == 0)
		return;
	if (oci_log_conf.format == OCI_LOG_TEXT) {
		fprintf(stderr, "\r  %s %s: %llu of %llu MiB (%d%%)", verb, oci_path(file).s,
		        done >> 20, total >> 20, (int)(done * 100 / total));
		if (done >= total)
			fputc('\n', stderr);
		fflush(stderr);
		return;
	}
	if (tenths < oci_log_conf.progress_tenths)
		oci_log_conf.progress_tenths = 0; /* the next file */
	if (tenths > oci_log_conf.progress_tenths || (done == 0 && tenths == 0)) {
		(void)snprintf(msg, sizeof(msg), "%s %s: %llu of %llu MiB (%d%%)", verb,
		               oci_path(file).s, done >> 20, total >> 20,
		               (int)(done * 100 / total));
		record(OCI_LVL_INFO, NULL, msg);
		oci_log_conf.progress_tenths = tenths;
	}
	if (done >= total)
		oci_log_conf.progress_tenths = 0;
	fflush(stderr);
}

#define PROGRESS_MIN ((uint64_t)64 << 20)

static void tty_progress(void *ctx, const char *verb, const char *file, uint64_t done,
                         uint64_t total)
{
	(void)ctx;
	if (total < PROGRESS_MIN)
		return;
	oci_progress(verb, file, done, total);
}

const struct rs_progress *oci_tty_progress(void)
{
	static const struct rs_progress tty = {.fn = tty_progress};

	return isatty(STDERR_FILENO) ? &tty : NULL;
}

/* TEXT's lines (an rs_diff's text, say) as details of the message before them. */
void oci_detail_lines(enum oci_log_level level, const char *text)
{
	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *e = strchr(p, '\n');
		int n = e != NULL ? (int)(e - p) : (int)strlen(p);

		oci_detail(level, "%.*s", n, p);
		p = e != NULL ? e + 1 : NULL;
	}
}
