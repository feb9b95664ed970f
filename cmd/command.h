/*
 * The command table: what `op-conductor-init` can do, one entry per leaf
 * command ("raft generate", "bootstrap cluster", ...).
 *
 * To add a command:
 *   1. write cmd/<name>.c defining
 *        const struct oci_command oci_cmd_<group>_<name> = { ... };
 *      (flags as a table of struct flag_spec, see present/flags.h; a run
 *      function that returns the exit code);
 *   2. add one X(<group>_<name>) line to OCI_COMMANDS below.
 * cmd/main.c builds the table it dispatches from, and hands it to
 * present/render.c for the man page and the completions, so the help only
 * ever names commands that exist.
 */
#ifndef CMD_COMMAND_H
#define CMD_COMMAND_H

#include "present/command.h"

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

#endif
