/*
 * A command's --help, shared by cmd/main.c (dispatch, help) and
 * cmd/bootstrap.c (its own --help).
 */
#include <stdio.h>

#include "present/command.h"
#include "present/flags.h"

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
