/*
 * `raft generate` (cmd/generate.c): its command is oci_cmd_raft_generate
 * (cmd/command.h). generate_parse is its parse alone - steps 1 and 2: the
 * cluster from --config and the flags (raftstate/members.h), validated, and
 * how it is to be written - the very code a run starts with, stopped before
 * anything on disk but the --config file is read. tests/fuzz/fuzz_flags.c
 * fuzzes it.
 */
#ifndef CMD_GENERATE_H
#define CMD_GENERATE_H

#include <stddef.h>

struct flag_set;

/* 0 with the number of members and the index of the initial leader among
 * them; else the exit code, after one line on stderr. */
int generate_parse(const struct flag_set *fs, size_t *members, size_t *leader);

#endif
