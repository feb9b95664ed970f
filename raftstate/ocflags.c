/* op-conductor's command line as op-conductor reads it (see ocflags.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/ocflags.h"

int rs_go_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static const char *const oc_bool_flags[] = {
    "raft.bootstrap",
    "paused",
    "rpc.enable-proxy",
    "rpc.enable-admin",
    "healthcheck.safe-enabled",
    "log.color",
    "log.pid",
    "metrics.enabled",
    "pprof.enabled",
    "help",
    "h",
    "version",
    "v",
};

static int name_is(const char *name, size_t len, const char *want)
{
	return strlen(want) == len && memcmp(name, want, len) == 0;
}

static int is_oc_bool(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(oc_bool_flags) / sizeof(oc_bool_flags[0]); i++)
		if (name_is(name, len, oc_bool_flags[i]))
			return 1;
	return 0;
}

static void set_from_argv(struct rs_oc_setting *s, const char *val, const char *flag)
{
	s->val = val;
	(void)snprintf(s->src, sizeof(s->src), "--%s", flag);
}

static void set_from_env(struct rs_oc_setting *s, const char *var)
{
	if (s->val != NULL)
		return; /* the command line wins */
	s->val = getenv(var);
	(void)snprintf(s->src, sizeof(s->src), "%s", var);
}

/* The flags that take a value, and where each goes. */
struct valued {
	const char *name;
	size_t off;  /* of the struct rs_oc_setting in struct rs_oc_flags */
	int is_bool; /* no next argument: "true" unless name=value */
};

static const struct valued valued[] = {
    {"raft.storage.dir", offsetof(struct rs_oc_flags, storage_dir), 0},
    {"raft.server.id", offsetof(struct rs_oc_flags, server_id), 0},
    {"raft.snapshot-threshold", offsetof(struct rs_oc_flags, snapshot_threshold), 0},
    {"raft.bootstrap", offsetof(struct rs_oc_flags, bootstrap), 1},
    {"log.level", offsetof(struct rs_oc_flags, log_level), 0},
    {"log.format", offsetof(struct rs_oc_flags, log_format), 0},
    {"log.pid", offsetof(struct rs_oc_flags, log_pid), 1},
    {"log.color", offsetof(struct rs_oc_flags, log_color), 1},
};

static const struct valued *find_valued(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(valued) / sizeof(valued[0]); i++)
		if (name_is(name, len, valued[i].name))
			return &valued[i];
	return NULL;
}

/* Reads argv[*i] (a flag, name of length len, eq its '=' or NULL) and
 * advances *i past a value taken from the next argument. 0 to go on, -1
 * where op-conductor's flag parsing stops. */
static int read_one(int argc, char **argv, int *i, const char *name, size_t len, const char *eq,
                    struct rs_oc_flags *r)
{
	const struct valued *f = find_valued(name, len);
	int b = 1;

	if (f != NULL) {
		struct rs_oc_setting *s = (struct rs_oc_setting *)((char *)r + f->off);

		if (f->is_bool) {
			set_from_argv(s, eq != NULL ? eq + 1 : "true", f->name);
			return 0;
		}
		if (eq == NULL && *i + 1 >= argc)
			return -1; /* "flag needs an argument": op-conductor fails */
		set_from_argv(s, eq != NULL ? eq + 1 : argv[++*i], f->name);
	} else if (name_is(name, len, "help") || name_is(name, len, "h") ||
	           name_is(name, len, "version") || name_is(name, len, "v")) {
		if (eq == NULL || rs_go_parse_bool(eq + 1, &b) != 0 || b)
			r->help = 1;
	} else if (eq == NULL && !is_oc_bool(name, len) && *i + 1 < argc &&
	           argv[*i + 1][0] != '-') {
		++*i; /* an unknown flag's value */
	}
	return 0;
}

void rs_oc_flags_read(int argc, char **argv, struct rs_oc_flags *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *name, *eq;

		if (strcmp(a, "--") == 0 || a[0] != '-' || a[1] == '\0')
			break;
		name = a + 1;
		if (*name == '-')
			name++;
		if (*name == '\0' || *name == '-' || *name == '=')
			break; /* bad flag syntax: op-conductor stops with an error */
		eq = strchr(name, '=');
		if (read_one(argc, argv, &i, name, eq != NULL ? (size_t)(eq - name) : strlen(name),
		             eq, r) != 0)
			break;
	}
	set_from_env(&r->storage_dir, RS_OC_STORAGE_DIR_ENV);
	set_from_env(&r->server_id, RS_OC_SERVER_ID_ENV);
	set_from_env(&r->bootstrap, RS_OC_BOOTSTRAP_ENV);
	set_from_env(&r->snapshot_threshold, RS_OC_SNAPSHOT_THRESHOLD_ENV);
	set_from_env(&r->log_level, RS_OC_LOG_LEVEL_ENV);
	set_from_env(&r->log_format, RS_OC_LOG_FORMAT_ENV);
	set_from_env(&r->log_pid, RS_OC_LOG_PID_ENV);
	set_from_env(&r->log_color, RS_OC_LOG_COLOR_ENV);
}

int rs_oc_snapshot_threshold(const struct rs_oc_flags *r, uint64_t *out)
{
	const char *v = r->snapshot_threshold.val;
	unsigned long long t;
	char *end = NULL;

	if (v == NULL || v[0] < '0' || v[0] > '9')
		return 0;
	errno = 0;
	t = strtoull(v, &end, 0);
	if (errno != 0 || end == NULL || *end != '\0')
		return 0;
	*out = (uint64_t)t;
	return 1;
}
