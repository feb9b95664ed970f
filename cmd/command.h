/*
 * The command table: what `op-conductor-init` can do, one entry per leaf
 * command ("raft generate", "bootstrap cluster", ...).
 *
 * To add a command:
 *   1. write cmd/<name>.c defining
 *        const struct oci_command oci_cmd_<group>_<name> = { ... };
 *      (flags as a table of struct flag_spec, see cmd/flags.h; a run
 *      function that returns the exit code);
 *   2. add one X(<group>_<name>) line to OCI_COMMANDS below.
 * cmd/command.c builds the table main.c dispatches from, and --help, the man
 * page and the completion (cmd/render.c) come from it, so the help
 * only ever names commands that exist.
 */
#ifndef CMD_COMMAND_H
#define CMD_COMMAND_H

#include <stddef.h>
#include <stdio.h>

#include "cmd/flags.h"

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

/* clang-format off */
#define OCI_COMMANDS(X) \
	X(raft_generate) \
	X(raft_verify) \
	X(raft_info) \
	X(raft_compare) \
	X(raft_backup) \
	X(raft_restore) \
	X(raft_recover) \
	X(raft_compact) \
	X(raft_logs) \
	X(bootstrap_cluster)
/* clang-format on */

#define OCI_DECLARE_COMMAND(id) extern const struct oci_command oci_cmd_##id;
OCI_COMMANDS(OCI_DECLARE_COMMAND)
#undef OCI_DECLARE_COMMAND

/* Every command, in OCI_COMMANDS order (cmd/command.c). */
extern const struct oci_command *const oci_commands[];
extern const size_t oci_ncommands;

/* A command's --help text (cmd/command.c). Returns OCI_EXIT_OK. */
int oci_command_help(const struct oci_command *cmd, FILE *out);

/* The hidden `op-conductor-init --render man|synopsis|bash-completion`:
 * the man page, README's command table and synopsis, and the bash
 * completion, all from the command and flag tables (cmd/render.c). */
int oci_render(int argc, char **argv);

#endif
