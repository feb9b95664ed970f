/*
 * Flags as the Go tool (urfave/cli v2 on Go's flag package) reads them,
 * plus OP_CONDUCTOR_INIT_* environment variables.
 *
 *   -name value   --name value   -name=value   --name=value
 *   booleans: --force, --force=true|false (and Go's 1 0 t f T F TRUE ...);
 *             never "--force false": that "false" is a positional argument
 *   --            ends the flags; parsing also stops at the first argument
 *                 that is not a flag (Go's rule)
 *   -h, --help    the command's help (flags_parse returns FLAGS_HELP)
 *   a flag given twice: the last one wins, unless its spec says `repeat`
 *                 (then every value is kept, in order, up to FLAGS_REPEAT_MAX)
 *   environment:  OP_CONDUCTOR_INIT_<NAME> (upper case, '-' and '.' -> '_')
 *                 unless the spec names another variable; read only for
 *                 flags not given on the command line, and validated only
 *                 then; an empty variable counts as unset
 *
 * Every command also accepts op-service's log flags --log.level,
 * --log.format, --log.color and --log.pid (and their variables); cmd/main.c
 * hands them to present/report.h, which shapes every line on stderr by them.
 */
#ifndef PRESENT_FLAGS_H
#define PRESENT_FLAGS_H

#include <stdint.h>
#include <stdio.h>

struct oci_command;

enum flag_kind {
	FLAG_STRING,
	FLAG_BOOL,
	FLAG_UINT64, /* decimal, no sign, no leading zeros, >= min */
};

struct flag_spec {
	const char *name; /* without dashes: "initial-term" */
	enum flag_kind kind;
	const char *metavar; /* for the help: "N", "DIR", ... (not for bools) */
	const char *def;     /* default as text; NULL: none */
	const char *help;
	const char *env; /* NULL: OP_CONDUCTOR_INIT_<NAME> */
	int required;
	uint64_t min; /* FLAG_UINT64 only */
	/* Optional extra check of a string value: returns 0 when acceptable;
	 * `accepts` then completes "--x must be <accepts>, got ...". */
	int (*check)(const char *value);
	const char *accepts;
	int repeat; /* FLAG_STRING: may be given several times (flag_value.list) */
};

#define FLAGS_MAX        16
#define FLAGS_REPEAT_MAX 16

enum flag_source {
	FLAG_UNSET = 0,
	FLAG_DEFAULT,
	FLAG_ENV,
	FLAG_ARGV,
};

struct flag_value {
	enum flag_source src;
	const char *str; /* the text as given; NULL when unset (no default) */
	int b;           /* FLAG_BOOL */
	uint64_t u;      /* FLAG_UINT64 */
	/* repeat flags: every value given (str is the last one) */
	const char *list[FLAGS_REPEAT_MAX];
	int n;
};

enum {
	FLAG_LOG_LEVEL,
	FLAG_LOG_FORMAT,
	FLAG_LOG_COLOR,
	FLAG_LOG_PID,
	FLAG_LOG_COUNT,
};

struct flag_set {
	struct flag_value v[FLAGS_MAX];        /* parallel to cmd->flags */
	struct flag_value log[FLAG_LOG_COUNT]; /* the op-service log flags */
	char **args;                           /* positional arguments */
	int nargs;
};

enum flag_result {
	FLAGS_OK,
	FLAGS_HELP,  /* -h/--help/help seen: print the help, exit 0 */
	FLAGS_USAGE, /* the one-line error is already on stderr: exit 2 */
};

/* Parses argv[0..argc) (the arguments after the command name) against
 * cmd->flags and the log flags, then the environment, then defaults, then
 * checks required flags and cmd->max_args. */
enum flag_result flags_parse(const struct oci_command *cmd, int argc, char **argv,
                             struct flag_set *fs);

/* Before flags_parse: the log flags as far as the command line (cmd NULL:
 * only the environment) gives them, so that even a usage error is shaped;
 * a bad value leaves the default (flags_parse then reports it). */
void flags_log_early(const struct oci_command *cmd, int argc, char **argv);

/* The op-service log flags every command accepts (FLAG_LOG_COUNT of them). */
const struct flag_spec *flags_log_specs(void);

/* Prints one aligned line per flag (the command's, then the log flags). */
void flags_print_help(const struct oci_command *cmd, FILE *out);

/* The environment variable of a flag. Returns buf. */
const char *flags_env_name(const struct flag_spec *spec, char *buf, size_t size);

/* A flag's value when it was given (command line or environment), else
 * NULL (unset, or only its default). */
const char *flags_given(const struct flag_value *v);
/* How to name a flag's value in a message: "--nodes", or the environment
 * variable it came from. Returns buf. */
const char *flags_what(const struct flag_spec *spec, const struct flag_value *val, char *buf,
                       size_t size);

#endif
