/*
 * The cluster as `raft generate` is told about it: --nodes A1,A2,...,
 * --server-ids S1,S2,... and --initial-leader S, parsed like the Go tool
 * (strings.Split on ',', strings.TrimSpace on each item; the leader is taken
 * as given) and then validated far more strictly, because server IDs become
 * directory names and addresses are what the nodes dial:
 *
 *   server ID   non-empty, at most 255 bytes, not "." or "..", no '/', no
 *               control characters (< 0x20, 0x7f), no duplicates
 *   address     host:port; IPv6 as [addr]:port (optionally [addr%zone]);
 *               host non-empty without spaces, control characters, '/',
 *               '[' or ']'; an all-digits-and-dots host must be a valid
 *               IPv4 address; port decimal 1..65535; no duplicates
 *               (hostnames compared case-insensitively, IPv6 by value)
 *   counts      as many addresses as IDs, 1..RS_MEMBERS_MAX
 *   leader      one of the IDs, and a voter
 *
 * Beyond the Go tool: --nodes may hold id=address pairs (then --server-ids
 * may be left out, or must repeat the IDs in order; mixing pairs and plain
 * addresses is an error), --nonvoters ID,... gives those members Suffrage
 * Nonvoter, and a cluster file (raftstate/clusterfile.h) can fill the list, in
 * which case messages name the JSON path ("FILE: nodes[2].address").
 */
#ifndef CMD_MEMBERS_H
#define CMD_MEMBERS_H

#include <stddef.h>

#include "raftstate/cluster.h"

struct oci_command;

/* The inputs, and how to name each in a message ("--nodes" or the
 * environment variable it came from). */
struct members_input {
	const char *nodes, *nodes_what;
	const char *ids, *ids_what; /* ids NULL: --nodes must hold id=address pairs */
	const char *ids_env;        /* for "--server-ids is required (or set ...)" */
	const char *leader, *leader_what;
	const char *nonvoters, *nonvoters_what; /* nonvoters NULL: all vote */
};

/* Where a list came from, for messages: the flags (file NULL) or a
 * cluster file (entries named FILE: nodes[i].id / .address). */
struct members_names {
	const char *file;
	const char *nodes_what, *ids_what;
};

/* Step 1 for the flags: splits --nodes (and --server-ids) into `out`,
 * unvalidated, and fills `names`. Returns 0 or prints one usage error and
 * returns its exit code; `out` is empty on error. */
int members_split(const struct oci_command *cmd, const struct members_input *in,
                  struct rs_members *out, struct members_names *names);

/* Step 2 for any source: validates IDs, addresses and the leader. When
 * `nonvoters` is non-NULL it replaces every member's suffrage. Sets
 * ms->leader. Returns 0 or prints one usage error and returns its code. */
int members_validate(const struct oci_command *cmd, struct rs_members *ms,
                     const struct members_names *names, const char *leader, const char *leader_what,
                     const char *nonvoters, const char *nonvoters_what);

/* Marks exactly the IDs in the comma-separated `list` as nonvoters. */
int members_set_nonvoters(const struct oci_command *cmd, struct rs_members *ms, const char *list,
                          const char *what);

/* Both steps for the flags alone. `out` must be freed with members_free
 * either way. */
int members_parse(const struct oci_command *cmd, const struct members_input *in,
                  struct rs_members *out);

#endif
