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
 *   counts      as many addresses as IDs, 1..MEMBERS_MAX
 *   leader      one of the IDs
 */
#ifndef CMD_MEMBERS_H
#define CMD_MEMBERS_H

#include <stddef.h>

struct oci_command;

#define MEMBERS_MAX   4096
#define MEMBER_ID_MAX 255 /* NAME_MAX: the ID is a directory name */

struct member {
	char *id;      /* trimmed, NUL-terminated */
	char *address; /* trimmed, NUL-terminated */
};

struct members {
	struct member *m;
	size_t n;
	size_t leader; /* index into m */
};

/* The inputs, and how to name each in a message ("--nodes" or the
 * environment variable it came from). */
struct members_input {
	const char *nodes, *nodes_what;
	const char *ids, *ids_what;
	const char *leader, *leader_what;
};

/* Returns 0, or prints one usage error and returns OCI_EXIT_USAGE (or
 * OCI_EXIT_FAIL when out of memory). `out` must be freed with
 * members_free either way. */
int members_parse(const struct oci_command *cmd, const struct members_input *in,
                  struct members *out);
void members_free(struct members *ms);

#endif
