/*
 * op-conductor-init: prepare and inspect HashiCorp-Raft state for
 * op-conductor clusters. This file only dispatches: it finds the command in
 * the table built from OCI_COMMANDS (cmd/command.h), parses its flags and
 * runs it; the commands live one per file in cmd/.
 *
 *   op-conductor-init <group> <command> [flags]   e.g. raft generate ...
 *   op-conductor-init --help | -h | help [group [command]]
 *   op-conductor-init --version [--json]
 *   op-conductor-init <group> --help | help [command]
 *   op-conductor-init <group> <command> --help | -h | help
 */
#include <stdio.h>
#include <string.h>

#include "cmd/command.h"
#include "present/flags.h"
#include "present/jsonout.h"
#include "present/report.h"
#include "cmd/version.h"
#include "raftstate/json.h"

/* The one piece of run-wide state: how stderr is shaped (present/report.h). */
struct oci_log_conf oci_log_conf = {.format = OCI_LOG_TEXT, .level = OCI_LVL_INFO};

/* Every command, in OCI_COMMANDS order. */
#define OCI_COMMAND_ROW(id) &oci_cmd_##id,
static const struct oci_command *const oci_commands[] = {OCI_COMMANDS(OCI_COMMAND_ROW)};
#undef OCI_COMMAND_ROW
static const size_t oci_ncommands = sizeof(oci_commands) / sizeof(oci_commands[0]);

static int is_help_word(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-help") == 0 || strcmp(a, "-h") == 0 ||
	       strcmp(a, "help") == 0;
}

static int is_version_word(const char *a)
{
	return strcmp(a, "--version") == 0 || strcmp(a, "-version") == 0 || strcmp(a, "-v") == 0;
}

static int group_exists(const char *group)
{
	size_t i;

	for (i = 0; i < oci_ncommands; i++)
		if (strcmp(oci_commands[i]->group, group) == 0)
			return 1;
	return 0;
}

static const struct oci_command *find_command(const char *group, const char *name)
{
	size_t i;

	for (i = 0; i < oci_ncommands; i++)
		if (strcmp(oci_commands[i]->group, group) == 0 &&
		    strcmp(oci_commands[i]->name, name) == 0)
			return oci_commands[i];
	return NULL;
}

/* "generate, verify" for the group, into buf. */
static const char *group_members(const char *group, char *buf, size_t size)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < oci_ncommands && o < size; i++) {
		if (strcmp(oci_commands[i]->group, group) != 0)
			continue;
		o += (size_t)snprintf(buf + o, size - o, "%s%s", o > 0 ? ", " : "",
		                      oci_commands[i]->name);
	}
	return buf;
}

static void print_command_list(const char *group, FILE *out)
{
	char left[64];
	size_t i;

	fprintf(out, "Commands:\n");
	for (i = 0; i < oci_ncommands; i++) {
		if (group != NULL && strcmp(oci_commands[i]->group, group) != 0)
			continue;
		(void)snprintf(left, sizeof(left), "%s %s", oci_commands[i]->group,
		               oci_commands[i]->name);
		fprintf(out, "  %-20s %s\n", left, oci_commands[i]->summary);
	}
}

static int main_help(FILE *out)
{
	fprintf(out,
	        "%s %s - " OCI_TAGLINE "\n"
	        "\n"
	        "usage: %s <command> [flags]\n"
	        "       %s --help | --version [--json]\n"
	        "\n",
	        OCI_PROG, OCI_VERSION, OCI_PROG, OCI_PROG);
	print_command_list(NULL, out);
	fprintf(out, "\n"
	             "Every command takes --help. Flags may also come from OP_CONDUCTOR_INIT_*\n"
	             "environment variables; the command line wins. Exit status: 0 success,\n"
	             "1 the operation failed or the state is invalid, 2 usage error.\n");
	return OCI_EXIT_OK;
}

static int group_help(const char *group, FILE *out)
{
	fprintf(out, "usage: %s %s <command> [flags]\n\n", OCI_PROG, group);
	print_command_list(group, out);
	fprintf(out, "\nRun '%s %s <command> --help' for its flags.\n", OCI_PROG, group);
	return OCI_EXIT_OK;
}

/* `help`, `help raft`, `help raft generate` */
static int help_topic(int argc, char **argv)
{
	const struct oci_command *cmd;

	if (argc == 0)
		return main_help(stdout);
	if (!group_exists(argv[0]))
		return oci_usage(NULL,
		                 "no help for unknown command %s (see %s --help for the "
		                 "commands)",
		                 oci_q(argv[0]).s, OCI_PROG);
	if (argc == 1)
		return group_help(argv[0], stdout);
	cmd = find_command(argv[0], argv[1]);
	if (cmd == NULL)
		return oci_usage(NULL,
		                 "no help for unknown command %s %s (see %s %s --help for "
		                 "its commands)",
		                 argv[0], oci_q(argv[1]).s, OCI_PROG, argv[0]);
	return oci_command_help(cmd, stdout);
}

/* Whether the run asked for --json. */
static int wants_json(const struct oci_command *cmd, const struct flag_set *fs)
{
	for (size_t i = 0; i < cmd->nflags; i++)
		if (strcmp(cmd->flags[i].name, "json") == 0)
			return fs->v[i].b;
	return 0;
}

/* --json and a failure that printed no document: one saying why, so that a
 * script reading stdout always gets one (the sentence is on stderr too). */
static void json_failure(void)
{
	cJSON *doc = cJSON_CreateObject();

	cJSON_AddStringToObject(doc, "error", oci_log_conf.last_error);
	(void)np_json_emit(doc);
}

static int dispatch(int argc, char **argv)
{
	const struct oci_command *cmd;
	struct flag_set fs;
	char names[256];
	const struct oci_table table = {oci_commands, oci_ncommands};
	int rc;

	flags_log_early(NULL, 0, NULL);
	if (argc < 2)
		return oci_usage(NULL, "missing command (see %s --help)", OCI_PROG);
	if (strcmp(argv[1], "help") == 0)
		return help_topic(argc - 2, argv + 2);
	if (strcmp(argv[1], "--render") == 0) /* hidden: the docs from the tables */
		return oci_render(&table, argc - 2, argv + 2);
	if (is_help_word(argv[1]))
		return main_help(stdout);
	if (is_version_word(argv[1]))
		return oci_version(argc - 2, argv + 2);
	if (argv[1][0] == '-')
		return oci_usage(NULL, "unknown flag %s (see %s --help)", oci_q(argv[1]).s,
		                 OCI_PROG);
	if (!group_exists(argv[1]))
		return oci_usage(NULL, "unknown command %s (see %s --help)", oci_q(argv[1]).s,
		                 OCI_PROG);
	if (argc < 3)
		return oci_usage(NULL, "%s needs a command: %s", argv[1],
		                 group_members(argv[1], names, sizeof(names)));
	if (strcmp(argv[2], "help") == 0 && argc > 3) {
		char *topic[2] = {argv[1], argv[3]};

		return help_topic(2, topic);
	}
	if (is_help_word(argv[2]))
		return group_help(argv[1], stdout);
	cmd = find_command(argv[1], argv[2]);
	if (cmd == NULL)
		return oci_usage(NULL, "unknown command %s %s (%s has: %s)", argv[1],
		                 oci_q(argv[2]).s, argv[1],
		                 group_members(argv[1], names, sizeof(names)));

	if (cmd->run_raw != NULL)
		return cmd->run_raw(cmd, argc - 3, argv + 3);
	flags_log_early(cmd, argc - 3, argv + 3);
	switch (flags_parse(cmd, argc - 3, argv + 3, &fs)) {
	case FLAGS_HELP:
		return oci_command_help(cmd, stdout);
	case FLAGS_USAGE:
		return OCI_EXIT_USAGE;
	case FLAGS_OK:
		break;
	}
	oci_log_setup(fs.log[FLAG_LOG_FORMAT].str, fs.log[FLAG_LOG_LEVEL].str,
	              fs.log[FLAG_LOG_PID].b, fs.log[FLAG_LOG_COLOR].b);
	rc = cmd->run(cmd, &fs);
	if (rc != OCI_EXIT_OK && wants_json(cmd, &fs) && !oci_log_conf.json_emitted)
		json_failure();
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	rs_json_hooks(); /* before any cJSON call: a short document is refused */
	rc = dispatch(argc, argv);

	oci_log_close();
	/* a summary nobody could read is a failure too (e.g. stdout is full);
	 * said once: not after a failure that was reported already (raft logs
	 * says itself that it could not write the entries) */
	if ((fflush(stdout) != 0 || ferror(stdout)) &&
	    (rc == OCI_EXIT_OK || oci_log_conf.last_error[0] == '\0')) {
		(void)oci_fail(NULL, "error writing to standard output (is the disk or pipe "
		                     "it goes to full or closed?)");
		if (rc == OCI_EXIT_OK)
			rc = OCI_EXIT_FAIL;
	}
	return rc;
}
