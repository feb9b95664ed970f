#include "present/flags.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "present/command.h"
#include "present/report.h"
#include "raftstate/ocflags.h"

#define ENV_PREFIX "OP_CONDUCTOR_INIT_"

static int check_log_level(const char *v)
{
	enum oci_log_level l;

	return oci_log_level_parse(v, &l);
}

static int check_log_format(const char *v)
{
	enum oci_log_format f;

	return oci_log_format_parse(v, &f);
}

static const struct flag_spec log_flags[FLAG_LOG_COUNT] = {
    [FLAG_LOG_LEVEL] =
        {
            .name = "log.level",
            .kind = FLAG_STRING,
            .metavar = "LEVEL",
            .def = "info",
            .help = "Lowest level written on stderr (errors: error, warnings: warn, notes: info)",
            .check = check_log_level,
            .accepts = "one of trace, debug, info, warn, error, crit",
        },
    [FLAG_LOG_FORMAT] =
        {
            .name = "log.format",
            .kind = FLAG_STRING,
            .metavar = "FORMAT",
            .def = "text",
            .help = "Shape of stderr: text (sentences), terminal, logfmt, logfmtms, json, "
                    "jsonms, json-pretty",
            .check = check_log_format,
            .accepts = "one of text, terminal, logfmt, logfmtms, json, jsonms, json-pretty",
        },
    [FLAG_LOG_COLOR] =
        {
            .name = "log.color",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Color the level in terminal format (text becomes terminal)",
        },
    [FLAG_LOG_PID] =
        {
            .name = "log.pid",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Add the pid to each logfmt/json record",
        },
};

const struct flag_spec *flags_log_specs(void)
{
	return log_flags;
}

const char *flags_env_name(const struct flag_spec *spec, char *buf, size_t size)
{
	size_t o, i;

	if (spec->env != NULL) {
		(void)snprintf(buf, size, "%s", spec->env);
		return buf;
	}
	o = (size_t)snprintf(buf, size, "%s", ENV_PREFIX);
	for (i = 0; spec->name[i] != '\0' && o + 1 < size; i++, o++) {
		unsigned char c = (unsigned char)spec->name[i];

		buf[o] = (c == '-' || c == '.') ? '_' : (char)toupper(c);
	}
	if (o < size)
		buf[o] = '\0';
	return buf;
}

const char *flags_given(const struct flag_value *v)
{
	return v->src == FLAG_ARGV || v->src == FLAG_ENV ? v->str : NULL;
}

const char *flags_what(const struct flag_spec *spec, const struct flag_value *val, char *buf,
                       size_t size)
{
	if (val->src == FLAG_ENV)
		return flags_env_name(spec, buf, size);
	(void)snprintf(buf, size, "--%s", spec->name);
	return buf;
}

/*
 * Decimal only. Go's flag package reads uint64 flags with base 0, so the Go
 * tool takes "010" as 8 and "0x10" as 16; rather than silently disagree we
 * reject leading zeros and prefixes.
 */
static int parse_uint64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (p = s; *p != '\0'; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -1;
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Converts and validates one value; `what` names its source in errors
 * ("--initial-term" or "OP_CONDUCTOR_INIT_INITIAL_TERM"). */
static int set_value(const struct oci_command *cmd, const struct flag_spec *spec,
                     struct flag_value *val, const char *text, enum flag_source src,
                     const char *what)
{
	switch (spec->kind) {
	case FLAG_BOOL:
		if (rs_go_parse_bool(text, &val->b) != 0) {
			oci_usage(cmd, "%s must be true or false, got %s", what, oci_q(text).s);
			return -1;
		}
		break;
	case FLAG_UINT64:
		if (parse_uint64(text, &val->u) != 0 || val->u < spec->min) {
			oci_usage(cmd, "%s must be a decimal integer from %llu to %llu, got %s",
			          what, (unsigned long long)spec->min,
			          (unsigned long long)UINT64_MAX, oci_q(text).s);
			return -1;
		}
		break;
	case FLAG_STRING:
		if (spec->check != NULL && spec->check(text) != 0) {
			oci_usage(cmd, "%s must be %s, got %s", what, spec->accepts, oci_q(text).s);
			return -1;
		}
		if (spec->repeat) {
			if (val->n >= FLAGS_REPEAT_MAX) {
				oci_usage(cmd, "%s is given more than %d times", what,
				          FLAGS_REPEAT_MAX);
				return -1;
			}
			val->list[val->n++] = text;
		}
		break;
	}
	val->src = src;
	val->str = text;
	return 0;
}

/* The spec called name[0..len) among the command's flags (*log -1) and
 * the log flags (*log its index), or NULL. */
static const struct flag_spec *find_spec(const struct oci_command *cmd, const char *name,
                                         size_t len, int *log)
{
	size_t i;

	*log = -1;
	for (i = 0; i < cmd->nflags; i++)
		if (strlen(cmd->flags[i].name) == len && memcmp(cmd->flags[i].name, name, len) == 0)
			return &cmd->flags[i];
	for (i = 0; i < FLAG_LOG_COUNT; i++)
		if (strlen(log_flags[i].name) == len && memcmp(log_flags[i].name, name, len) == 0) {
			*log = (int)i;
			return &log_flags[i];
		}
	return NULL;
}

/* Finds the spec called name[0..len) and its value in fs. */
static int lookup(const struct oci_command *cmd, const char *name, size_t len,
                  const struct flag_spec **spec, struct flag_value **val, struct flag_set *fs)
{
	int log;

	if ((*spec = find_spec(cmd, name, len, &log)) == NULL)
		return -1;
	*val = log >= 0 ? &fs->log[log] : &fs->v[*spec - cmd->flags];
	return 0;
}

static int is_help(const char *name, size_t len)
{
	return (len == 1 && name[0] == 'h') || (len == 4 && memcmp(name, "help", 4) == 0);
}

/* Environment, then default, for every flag the command line left unset. */
static int fill_unset(const struct oci_command *cmd, const struct flag_spec *spec,
                      struct flag_value *val)
{
	char env[128];
	const char *e;

	if (val->src != FLAG_UNSET)
		return 0;
	flags_env_name(spec, env, sizeof(env));
	e = getenv(env);
	if (e != NULL && *e != '\0')
		return set_value(cmd, spec, val, e, FLAG_ENV, env);
	if (spec->def != NULL) {
		if (set_value(cmd, spec, val, spec->def, FLAG_DEFAULT, spec->name) != 0)
			return -1; /* a bad default is a bug, but say so plainly */
		val->src = FLAG_DEFAULT;
	}
	return 0;
}

void flags_log_early(const struct oci_command *cmd, int argc, char **argv)
{
	const char *text[FLAG_LOG_COUNT] = {NULL};
	int b[FLAG_LOG_COUNT] = {0};
	char env[128];

	for (int i = 0; cmd != NULL && i < argc; i++) {
		const char *a = argv[i], *name = a + 1, *eq;
		const struct flag_spec *spec;
		size_t len;
		int log;

		if (a[0] != '-' || a[1] == '\0' || strcmp(a, "--") == 0)
			break;
		if (*name == '-')
			name++;
		eq = strchr(name, '=');
		len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if ((spec = find_spec(cmd, name, len, &log)) == NULL)
			break; /* flags_parse says what is wrong */
		if (log >= 0)
			text[log] = eq != NULL                ? eq + 1
			            : spec->kind == FLAG_BOOL ? "true"
			            : i + 1 < argc            ? argv[i + 1]
			                                      : NULL;
		if (spec->kind != FLAG_BOOL && eq == NULL)
			i++;
	}
	for (size_t k = 0; k < FLAG_LOG_COUNT; k++) {
		if (text[k] == NULL) {
			text[k] = getenv(flags_env_name(&log_flags[k], env, sizeof(env)));
			if (text[k] != NULL && text[k][0] == '\0')
				text[k] = NULL;
		}
		if (log_flags[k].kind == FLAG_BOOL && text[k] != NULL &&
		    rs_go_parse_bool(text[k], &b[k]) != 0)
			b[k] = 0;
	}
	oci_log_setup(text[FLAG_LOG_FORMAT], text[FLAG_LOG_LEVEL], b[FLAG_LOG_PID],
	              b[FLAG_LOG_COLOR]);
}

enum flag_result flags_parse(const struct oci_command *cmd, int argc, char **argv,
                             struct flag_set *fs)
{
	const struct flag_spec *last_bool = NULL; /* the previous arg, if a bare bool */
	char what[160];
	int i;
	size_t k;

	memset(fs, 0, sizeof(*fs));
	if (cmd->nflags > FLAGS_MAX) {
		oci_usage(cmd, "internal error: the command has more than %d flags", FLAGS_MAX);
		return FLAGS_USAGE;
	}
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *name, *eq;
		const struct flag_spec *spec;
		struct flag_value *val;
		size_t len;

		if (strcmp(a, "--") == 0) {
			last_bool = NULL;
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break; /* first positional argument: flags end here (Go) */
		name = a + 1;
		if (*name == '-')
			name++;
		if (*name == '\0' || *name == '-' || *name == '=') {
			oci_usage(cmd, "bad flag syntax %s", oci_q(a).s);
			return FLAGS_USAGE;
		}
		eq = strchr(name, '=');
		len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if (is_help(name, len) && eq == NULL)
			return FLAGS_HELP;
		if (lookup(cmd, name, len, &spec, &val, fs) != 0) {
			oci_usage(cmd, "unknown flag %s (see --help)", oci_q(a).s);
			return FLAGS_USAGE;
		}
		(void)snprintf(what, sizeof(what), "--%s", spec->name);
		last_bool = NULL;
		if (spec->kind == FLAG_BOOL) {
			if (eq == NULL) {
				val->src = FLAG_ARGV;
				val->str = "true";
				val->b = 1;
				last_bool = spec;
				continue;
			}
			if (set_value(cmd, spec, val, eq + 1, FLAG_ARGV, what) != 0)
				return FLAGS_USAGE;
			continue;
		}
		if (eq == NULL) {
			if (i + 1 >= argc) {
				oci_usage(cmd, "flag %s needs a value", what);
				return FLAGS_USAGE;
			}
			eq = argv[++i] - 1; /* so eq + 1 is the next argument */
		}
		if (set_value(cmd, spec, val, eq + 1, FLAG_ARGV, what) != 0)
			return FLAGS_USAGE;
	}
	fs->args = argv + i;
	fs->nargs = argc - i;

	if (fs->nargs > 0 && cmd->max_args == 0 && strcmp(fs->args[0], "help") == 0)
		return FLAGS_HELP;
	if (cmd->max_args >= 0 && fs->nargs > cmd->max_args) {
		int dummy;

		/* "--force false" sets force and leaves "false" behind */
		if (last_bool != NULL && rs_go_parse_bool(fs->args[0], &dummy) == 0)
			oci_usage(cmd,
			          "unexpected argument %s (write --%s=%s to set a boolean flag)",
			          oci_q(fs->args[0]).s, last_bool->name, fs->args[0]);
		else
			oci_usage(cmd, "unexpected argument %s", oci_q(fs->args[0]).s);
		return FLAGS_USAGE;
	}

	for (k = 0; k < cmd->nflags; k++)
		if (fill_unset(cmd, &cmd->flags[k], &fs->v[k]) != 0)
			return FLAGS_USAGE;
	for (k = 0; k < FLAG_LOG_COUNT; k++)
		if (fill_unset(cmd, &log_flags[k], &fs->log[k]) != 0)
			return FLAGS_USAGE;
	for (k = 0; k < cmd->nflags; k++) {
		if (cmd->flags[k].required && fs->v[k].src == FLAG_UNSET) {
			char env[128];

			oci_usage(cmd, "--%s is required (or set %s)", cmd->flags[k].name,
			          flags_env_name(&cmd->flags[k], env, sizeof(env)));
			return FLAGS_USAGE;
		}
	}
	return FLAGS_OK;
}

static void print_spec(const struct flag_spec *s, FILE *out)
{
	char left[64], env[128];

	if (s->kind == FLAG_BOOL)
		(void)snprintf(left, sizeof(left), "--%s", s->name);
	else
		(void)snprintf(left, sizeof(left), "--%s %s", s->name,
		               s->metavar != NULL ? s->metavar : "VALUE");
	fprintf(out, "  %-24s %s", left, s->help);
	if (s->required)
		fprintf(out, " (required)");
	else if (s->def != NULL && s->kind != FLAG_BOOL)
		fprintf(out, " (default %s)", s->def);
	fprintf(out, "\n  %-24s [$%s]\n", "", flags_env_name(s, env, sizeof(env)));
}

void flags_print_help(const struct oci_command *cmd, FILE *out)
{
	size_t i;

	fprintf(out,
	        "Flags (each can also come from the variable shown; the command line wins):\n");
	for (i = 0; i < cmd->nflags; i++)
		print_spec(&cmd->flags[i], out);
	fprintf(out, "  %-24s %s\n", "--help, -h", "Show this help");
	fprintf(out, "\nLog flags (op-service compatible; they shape what is written on stderr):\n");
	for (i = 0; i < FLAG_LOG_COUNT; i++)
		print_spec(&log_flags[i], out);
}
