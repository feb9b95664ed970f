/*
 * The command table (built from OCI_COMMANDS in cmd/command.h) and a
 * command's --help, shared by main.c (dispatch, help), bootstrap.c (its own
 * --help) and render.c (the man page, README's synopsis, the completion).
 */
#include <stdio.h>

#include "cmd/command.h"
#include "cmd/flags.h"

#define OCI_COMMAND_ROW(id) &oci_cmd_##id,
const struct oci_command *const oci_commands[] = {OCI_COMMANDS(OCI_COMMAND_ROW)};
#undef OCI_COMMAND_ROW
const size_t oci_ncommands = sizeof(oci_commands) / sizeof(oci_commands[0]);

int oci_command_help(const struct oci_command *cmd, FILE *out)
{
	size_t i;

	fprintf(out, "usage: %s %s %s %s\n\n%s.\n", OCI_PROG, cmd->group, cmd->name, cmd->synopsis,
	        cmd->summary);
	if (cmd->description != NULL)
		fprintf(out, "\n%s\n", cmd->description);
	if (cmd->run_raw == NULL) {
		fprintf(out, "\n");
		flags_print_help(cmd, out);
	}
	if (cmd->nenv > 0)
		fprintf(out, "\nEnvironment:\n");
	for (i = 0; i < cmd->nenv; i++)
		fprintf(out, "  %s\n      %s\n", cmd->env[i].name, cmd->env[i].help);
	return OCI_EXIT_OK;
}
