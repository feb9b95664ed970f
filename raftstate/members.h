/*
 * The member list as the operator gives it, parsed and validated
 * (raftstate/members.c); the list itself, struct rs_members, and the
 * server-ID rule are the cluster model's (raftstate/cluster.h).
 */
#ifndef RAFTSTATE_MEMBERS_H
#define RAFTSTATE_MEMBERS_H

#include "raftstate/cluster.h"
#include "raftstate/error.h"

/*
 * Members from flags, as `raft generate` and `raft
 * recover` are told about them: --nodes A1,A2,...,
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

/* The inputs, and how to name each in a message ("--nodes" or the
 * environment variable it came from). */
struct rs_members_input {
	const char *nodes, *nodes_what;
	const char *ids, *ids_what; /* ids NULL: --nodes must hold id=address pairs */
	const char *ids_env;        /* for "--server-ids is required (or set ...)" */
};

/* Where a list came from, for messages: the flags (file NULL) or a
 * cluster file (entries named FILE: nodes[i].id / .address). */
struct rs_members_names {
	const char *file;
	const char *nodes_what, *ids_what;
};

/* Each returns RS_OK, or RS_EINVAL (a usage error: one sentence naming the
 * flag, variable or JSON path at fault) / RS_ENOMEM with err filled. */

/* Step 1 for the flags: splits --nodes (and --server-ids) into `out`,
 * unvalidated, and fills `names`; `out` is empty on error. */
int rs_members_split(const struct rs_members_input *in, struct rs_members *out,
                     struct rs_members_names *names, struct rs_err *err);
/* Step 2 for any source: validates IDs, addresses and the leader. When
 * `nonvoters` is non-NULL it replaces every member's suffrage. Sets
 * ms->leader. */
int rs_members_validate(struct rs_members *ms, const struct rs_members_names *names,
                        const char *leader, const char *leader_what, const char *nonvoters,
                        const char *nonvoters_what, struct rs_err *err);
/* Marks exactly the IDs in the comma-separated `list` as nonvoters. */
int rs_members_set_nonvoters(struct rs_members *ms, const char *list, const char *what,
                             struct rs_err *err);
/* The first member that votes once `nonvoters` (a --nonvoters list, when
 * non-NULL) replaces the members' suffrage; *out NULL when none does.
 * (recover has no leader, but rs_members_validate checks one: this one.) */
int rs_members_first_voter(const struct rs_members *ms, const char *nonvoters, const char **out,
                           struct rs_err *err);

#endif
