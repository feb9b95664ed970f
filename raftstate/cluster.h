/*
 * The cluster model: its members as the operator gives them (--nodes,
 * --server-ids, --nonvoters or a cluster.json; parsed by cmd/members.c and
 * cmd/clusterfile.c), the one rule for server IDs, the conversion to the
 * raft.Configuration generate and recover write, and what --if-absent
 * finds when a node directory already holds state.
 */
#ifndef RAFTSTATE_CLUSTER_H
#define RAFTSTATE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/config.h"
#include "raftstate/error.h"

#define RS_MEMBERS_MAX   4096
#define RS_SERVER_ID_MAX 255 /* NAME_MAX: the ID is a directory name */

struct rs_member {
	char *id;      /* NUL-terminated */
	char *address; /* NUL-terminated */
	int nonvoter;  /* Suffrage Nonvoter instead of Voter */
};

struct rs_members {
	struct rs_member *m;
	size_t n;
	size_t leader; /* index into m */
};

void rs_members_free(struct rs_members *ms);

/*
 * The server-ID rule (a server ID becomes a directory name): not empty,
 * not "." or "..", no '/', no control character (< 0x20, 0x7f), at most
 * RS_SERVER_ID_MAX bytes. Returns RS_ID_OK or the first fault.
 */
enum rs_id_fault {
	RS_ID_OK = 0,
	RS_ID_EMPTY,
	RS_ID_DOT,     /* "." or ".." */
	RS_ID_SLASH,   /* contains '/' */
	RS_ID_CONTROL, /* contains a control character */
	RS_ID_LONG,    /* longer than RS_SERVER_ID_MAX */
};
int rs_server_id_check(const char *id);

/* The configuration of ms, in its order (Voter, or Nonvoter). The strings
 * are borrowed from ms: free only out->servers (rs_members_config_free). */
int rs_members_config(const struct rs_members *ms, struct rs_config *out, struct rs_err *err);
void rs_members_config_free(struct rs_config *c);

/* ---- --if-absent ---- */

/* Lines of a difference: "  ID: - ..." for what the state holds, "  ID:
 * + ..." for what the command was given. */
struct rs_diff {
	char *text; /* NUL-terminated, one line each; NULL when empty */
	size_t len, n;
};
void rs_diff_add(struct rs_diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rs_diff_free(struct rs_diff *d);

enum rs_node_verdict {
	/* what the command would write: byte for byte, or the same
	 * configuration, term and vote */
	RS_NODE_SAME = 0,
	/* raft has written to it since (a higher current term, more than the
	 * one generated entry, or a snapshot): the volume's state is the
	 * cluster's own and wins; `changed` lists how its configuration now
	 * differs from the given one (nothing when it does not) */
	RS_NODE_MOVED_ON = 1,
	/* no run of this cluster could have produced it: generated state with
	 * other members, term or vote and nothing written by raft; or raft
	 * state whose configuration shares no server (ID and address) with the
	 * given one (another cluster's), whose current term is below the given
	 * initial term, or whose entry 1 has another term. `conflict` says how. */
	RS_NODE_CONFLICT = 2,
};

/*
 * Compares the node directory (both databases exist) with what generate
 * would write for member `id` of `want` (leader `leader`, initial term
 * `term`): first byte for byte (the reference is generated into a private
 * temporary directory), then by content. Never writes to node_dir; a
 * database held by a running node is read live. `note` receives a one-line
 * description for SAME and MOVED_ON.
 */
int rs_cluster_compare_node(const char *node_dir, const char *id, const struct rs_config *want,
                            const char *leader, uint64_t term, struct rs_diff *changed,
                            struct rs_diff *conflict, char *note, size_t notesize);

#endif
