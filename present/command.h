/*
 * What a command is to the CLI machinery: struct oci_command (names, help,
 * flag table, run function), the exit codes, a command's --help, and the
 * man page and completions rendered from a table of commands. Which
 * commands exist is cmd/'s (cmd/command.h); present/ is handed the table.
 */
#ifndef PRESENT_COMMAND_H
#define PRESENT_COMMAND_H

#include <stddef.h>
#include <stdio.h>

#include "present/flags.h"

#define OCI_PROG "op-conductor-init"
/* The one-line description: --help's first line, the man page's NAME. */
#define OCI_TAGLINE "prepare and inspect HashiCorp-Raft state for op-conductor clusters"

/* Exit codes (DESIGN.md): 0 success, 1 the operation failed or the state is
 * invalid, 2 usage error. */
enum {
	OCI_EXIT_OK = 0,
	OCI_EXIT_FAIL = 1,
	OCI_EXIT_USAGE = 2,
};

/* An environment variable a command reads that is not a flag's. */
struct oci_env {
	const char *name; /* "OP_CONDUCTOR_INIT_SKIP_PREFLIGHT" */
	const char *help; /* one line for --help and the man page */
};

struct oci_command {
	const char *group;       /* "raft" */
	const char *name;        /* "generate" */
	const char *summary;     /* one line for the command list */
	const char *synopsis;    /* flags part of the usage line */
	const char *description; /* a paragraph for --help; may be NULL */

	const struct flag_spec *flags; /* this command's own flags */
	size_t nflags;                 /* at most FLAGS_MAX */
	int max_args;                  /* positional arguments accepted; -1: any */

	const struct oci_env *env; /* variables read besides the flags'; may be NULL */
	size_t nenv;

	/* Called after flags are parsed, validated and merged with the
	 * environment. Returns the exit code. */
	int (*run)(const struct oci_command *cmd, const struct flag_set *fs);

	/* Alternative to run for pass-through commands: no flag parsing at
	 * all, argv holds everything after the command name. */
	int (*run_raw)(const struct oci_command *cmd, int argc, char **argv);
};

/* A table of commands, in the order help and man page list them. */
struct oci_table {
	const struct oci_command *const *cmd;
	size_t n;
};

/* A command's --help text (present/command.c). Returns OCI_EXIT_OK. */
int oci_command_help(const struct oci_command *cmd, FILE *out);

/* The hidden `op-conductor-init --render man|synopsis|bash-completion`:
 * the man page, README's command table and synopsis, and the bash
 * completion, all from the command table T and its flag tables
 * (present/render.c). */
int oci_render(const struct oci_table *t, int argc, char **argv);

#endif
