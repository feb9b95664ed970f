/*
 * Fuzz target: the command line and environment of `raft generate`.
 *
 * Input: tokens separated by NUL bytes. A token starting with 0x01 sets an
 * environment variable: the next byte picks one of the OP_CONDUCTOR_INIT_*
 * variables of the command's flags (in flag-table order, then the four log
 * flags), the rest is the value. Every other token is one argv
 * element. The argv goes through flags_parse() with the real flag table of
 * `raft generate` (cmd/generate.c), and when that succeeds through
 * generate_parse() (cmd/generate.h): the parse run_generate() itself runs
 * first - required flags, --config, the member list split and validated
 * (raftstate/members.h), --nonvoters, --node-id/--only, --chown, the output
 * directory - stopped before the disk is looked at (a fuzzed --config names
 * a file that is read, never written). The rest of run_generate() is not
 * called: it writes files.
 *
 * Both report errors on stderr; stderr is swapped for a memory stream
 * around the calls so that the one-line rule can be checked: an error is
 * exactly one line, without control bytes, and success prints nothing.
 * Neither function calls exit().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "cmd/generate.h"
#include "present/flags.h"
#include "present/report.h"
#include "raftstate/cluster.h"

/* cmd/main.c is not linked: the run-wide stderr setting it holds */
struct oci_log_conf oci_log_conf = {.format = OCI_LOG_TEXT, .level = OCI_LVL_INFO};

/* cmd/generate.c's flag order; checked against the names at run time */
enum { F_NODES, F_SERVER_IDS, F_OUTPUT_DIR, F_INITIAL_LEADER };

/* The environment a token can set: every flag of the command (names from
 * flags_env_name, so new flags are fuzzed without touching this file) and
 * the op-service log flags. */
static char env_names[FLAGS_MAX + 4][128];
static size_t nenv;

static void init_env_names(const struct oci_command *cmd)
{
	static const char *const log_env[] = {
	    "OP_CONDUCTOR_INIT_LOG_LEVEL", "OP_CONDUCTOR_INIT_LOG_FORMAT",
	    "OP_CONDUCTOR_INIT_LOG_COLOR", "OP_CONDUCTOR_INIT_LOG_PID"};

	if (cmd->nflags <= F_INITIAL_LEADER || strcmp(cmd->flags[F_NODES].name, "nodes") != 0 ||
	    strcmp(cmd->flags[F_SERVER_IDS].name, "server-ids") != 0 ||
	    strcmp(cmd->flags[F_INITIAL_LEADER].name, "initial-leader") != 0) {
		fprintf(stderr, "fuzz_flags: cmd/generate.c's flag table changed order\n");
		abort();
	}
	for (size_t k = 0; k < cmd->nflags && k < FLAGS_MAX; k++)
		flags_env_name(&cmd->flags[k], env_names[nenv++], sizeof(env_names[0]));
	for (size_t k = 0; k < 4; k++)
		snprintf(env_names[nenv++], sizeof(env_names[0]), "%s", log_env[k]);
}

#define MAX_ARGS 64

static void broken(const char *why, const char *out, size_t len)
{
	fprintf(stderr, "fuzz_flags: %s; stderr was %zu bytes:\n%.*s\n", why, len, (int)len, out);
	abort();
}

static void check_one_line(const char *out, size_t len, int must_be_empty)
{
	if (must_be_empty) {
		if (len != 0)
			broken("success printed something", out, len);
		return;
	}
	if (len == 0 || out[len - 1] != '\n')
		broken("an error was not one line ending in a newline", out, len);
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] == 0x7f)
			broken("an error holds a control byte (a second line?)", out, len);
}

static void run(int argc, char **argv)
{
	const struct oci_command *cmd = &oci_cmd_raft_generate;
	struct flag_set fs;
	enum flag_result fr;
	char *out = NULL;
	size_t len = 0;
	FILE *saved = stderr, *mem = open_memstream(&out, &len);
	int mr = -1;

	if (mem == NULL)
		return;
	stderr = mem;
	fr = flags_parse(cmd, argc, argv, &fs);
	if (fr == FLAGS_OK) {
		size_t n = 0, leader = 0;

		mr = generate_parse(&fs, &n, &leader);
		if (mr == 0 && (n == 0 || n > RS_MEMBERS_MAX || leader >= n))
			abort();
	}
	fflush(mem);
	stderr = saved;
	check_one_line(out, len, fr == FLAGS_HELP || (fr == FLAGS_OK && mr == 0));
	fclose(mem);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 1];
	int argc = 0;
	size_t i = 0;

	if (buf == NULL)
		return 0;
	if (nenv == 0)
		init_env_names(&oci_cmd_raft_generate);
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t k = 0; k < nenv; k++)
		unsetenv(env_names[k]);
	while (i <= size && argc < MAX_ARGS) {
		char *tok = buf + i;
		size_t n = strlen(tok);

		if (tok[0] == '\x01' && n >= 2)
			setenv(env_names[(unsigned char)tok[1] % nenv], tok + 2, 1);
		else
			argv[argc++] = tok;
		i += n + 1;
	}
	argv[argc] = NULL;
	run(argc, argv);
	for (size_t k = 0; k < nenv; k++)
		unsetenv(env_names[k]);
	free(buf);
	return 0;
}
