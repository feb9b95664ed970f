#include "cmd/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd/command.h"
#include "raftstate/backup.h"
#include "raftstate/error.h"

enum oci_log_format oci_log_format_of(const char *s)
{
	if (s == NULL)
		return OCI_LOG_TEXT;
	if (strcasecmp(s, "logfmt") == 0)
		return OCI_LOG_LOGFMT;
	if (strcasecmp(s, "json") == 0)
		return OCI_LOG_JSON;
	if (strcasecmp(s, "json-pretty") == 0)
		return OCI_LOG_JSON_PRETTY;
	return OCI_LOG_TEXT; /* text, terminal */
}

enum oci_log_level oci_log_level_of(const char *s)
{
	static const struct {
		const char *name;
		enum oci_log_level level;
	} names[] = {
	    {"trace", OCI_LVL_TRACE}, {"trce", OCI_LVL_TRACE}, {"debug", OCI_LVL_DEBUG},
	    {"dbug", OCI_LVL_DEBUG},  {"info", OCI_LVL_INFO},  {"warn", OCI_LVL_WARN},
	    {"error", OCI_LVL_ERROR}, {"eror", OCI_LVL_ERROR}, {"crit", OCI_LVL_CRIT},
	};

	for (size_t i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i].name) == 0)
			return names[i].level;
	return OCI_LVL_INFO;
}

/* One record in the structured formats: the time, the level as op-service
 * names it (logfmt: geth's four-letter form), the message, the command. */
static void structured(enum oci_log_level level, const struct oci_command *cmd, const char *msg)
{
	static const char *const json_lvl[] = {"trace", "debug", "info", "warn", "error", "crit"};
	static const char *const fmt_lvl[] = {"trce", "dbug", "info", "warn", "eror", "crit"};
	char t[40], where[128] = "";
	struct tm tm;
	time_t now = time(NULL);

	if (gmtime_r(&now, &tm) == NULL || strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		t[0] = '\0';
	if (cmd != NULL)
		(void)snprintf(where, sizeof(where), "%s %s", cmd->group, cmd->name);
	if (oci_log_conf.format == OCI_LOG_LOGFMT) {
		fprintf(stderr, "t=%s lvl=%s msg=%s", t, fmt_lvl[level], rs_q(msg).s);
		if (where[0] != '\0')
			fprintf(stderr, " cmd=%s", rs_q(where).s);
		if (oci_log_conf.pid)
			fprintf(stderr, " pid=%ld", (long)getpid());
		fputc('\n', stderr);
		return;
	}
	cJSON *o = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(o, "t", t);
	cJSON_AddStringToObject(o, "lvl", json_lvl[level]);
	cJSON_AddStringToObject(o, "msg", msg);
	if (where[0] != '\0')
		cJSON_AddStringToObject(o, "cmd", where);
	if (oci_log_conf.pid)
		cJSON_AddNumberToObject(o, "pid", (double)getpid());
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
	structured(level, cmd, msg);
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
	structured(level, NULL, msg + strspn(msg, " "));
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

#define PROGRESS_MIN ((uint64_t)64 << 20)

static void tty_progress(void *ctx, const char *verb, const char *file, uint64_t done,
                         uint64_t total)
{
	(void)ctx;
	if (total < PROGRESS_MIN)
		return;
	fprintf(stderr, "\r  %s %s: %llu of %llu MiB (%d%%)", verb, oci_path(file).s,
	        (unsigned long long)(done >> 20), (unsigned long long)(total >> 20),
	        (int)(done * 100 / total));
	if (done >= total)
		fputc('\n', stderr);
	fflush(stderr);
}

const struct rs_progress *oci_tty_progress(void)
{
	static const struct rs_progress tty = {.fn = tty_progress};

	return isatty(STDERR_FILENO) ? &tty : NULL;
}
