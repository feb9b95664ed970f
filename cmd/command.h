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
 * main.c builds its dispatch table and `--help` from this list, so the help
 * only ever names commands that exist.
 */
#ifndef CMD_COMMAND_H
#define CMD_COMMAND_H

#include <stddef.h>

#include "cmd/flags.h"

#define OCI_PROG "op-conductor-init"

/* Exit codes (DESIGN.md): 0 success, 1 the operation failed or the state is
 * invalid, 2 usage error. */
enum {
	OCI_EXIT_OK = 0,
	OCI_EXIT_FAIL = 1,
	OCI_EXIT_USAGE = 2,
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
	X(raft_backup) \
	X(raft_restore) \
	X(raft_recover) \
	X(bootstrap_cluster)
/* clang-format on */

#define OCI_DECLARE_COMMAND(id) extern const struct oci_command oci_cmd_##id;
OCI_COMMANDS(OCI_DECLARE_COMMAND)
#undef OCI_DECLARE_COMMAND

#endif
