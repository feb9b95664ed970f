/*
 * Fuzz target: the command line and environment of `raft generate`.
 *
 * Input: tokens separated by NUL bytes. A token starting with 0x01 sets an
 * environment variable: the next byte picks one of the OP_CONDUCTOR_INIT_*
 * names below, the rest is the value. Every other token is one argv
 * element. The argv goes through flags_parse() with the real flag table of
 * `raft generate` (cmd/generate.c), and when that succeeds the member list
 * through members_parse(), exactly as run_generate() does before it touches
 * the disk. run_generate() itself is not called: it writes files.
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
#include "cmd/flags.h"
#include "cmd/members.h"

static const char *const env_names[] = {
    "OP_CONDUCTOR_INIT_NODES",          "OP_CONDUCTOR_INIT_SERVER_IDS",
    "OP_CONDUCTOR_INIT_INITIAL_LEADER", "OP_CONDUCTOR_INIT_OUTPUT_DIR",
    "OP_CONDUCTOR_INIT_INITIAL_TERM",   "OP_CONDUCTOR_INIT_NETWORK",
    "OP_CONDUCTOR_INIT_FORCE",          "OP_CONDUCTOR_INIT_LOG_LEVEL",
    "OP_CONDUCTOR_INIT_LOG_FORMAT",     "OP_CONDUCTOR_INIT_LOG_COLOR",
    "OP_CONDUCTOR_INIT_LOG_PID",
};
#define NENV     (sizeof(env_names) / sizeof(env_names[0]))
#define MAX_ARGS 64

enum { F_NODES, F_SERVER_IDS, F_OUTPUT_DIR, F_INITIAL_LEADER }; /* cmd/generate.c order */

static void check_one_line(const char *out, size_t len, int must_be_empty)
{
	if (must_be_empty) {
		if (len != 0)
			abort();
		return;
	}
	if (len == 0 || out[len - 1] != '\n')
		abort();
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] == 0x7f)
			abort();
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
		char wn[128], wi[128], wl[128];
		struct members_input in = {
		    .nodes = fs.v[F_NODES].str,
		    .nodes_what = flags_what(&cmd->flags[F_NODES], &fs.v[F_NODES], wn, sizeof(wn)),
		    .ids = fs.v[F_SERVER_IDS].str,
		    .ids_what =
		        flags_what(&cmd->flags[F_SERVER_IDS], &fs.v[F_SERVER_IDS], wi, sizeof(wi)),
		    .leader = fs.v[F_INITIAL_LEADER].str,
		    .leader_what = flags_what(&cmd->flags[F_INITIAL_LEADER],
		                              &fs.v[F_INITIAL_LEADER], wl, sizeof(wl)),
		};
		struct members ms;

		/* required flags: flags_parse guarantees them */
		if (in.nodes == NULL || in.ids == NULL || in.leader == NULL ||
		    fs.v[F_OUTPUT_DIR].str == NULL)
			abort();
		mr = members_parse(cmd, &in, &ms);
		if (mr == 0 && (ms.n == 0 || ms.n > MEMBERS_MAX || ms.leader >= ms.n))
			abort();
		members_free(&ms);
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
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t k = 0; k < NENV; k++)
		unsetenv(env_names[k]);
	while (i <= size && argc < MAX_ARGS) {
		char *tok = buf + i;
		size_t n = strlen(tok);

		if (tok[0] == '\x01' && n >= 2)
			setenv(env_names[(unsigned char)tok[1] % NENV], tok + 2, 1);
		else
			argv[argc++] = tok;
		i += n + 1;
	}
	argv[argc] = NULL;
	run(argc, argv);
	for (size_t k = 0; k < NENV; k++)
		unsetenv(env_names[k]);
	free(buf);
	return 0;
}
