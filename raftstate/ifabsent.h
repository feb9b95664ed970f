/*
 * What `raft generate --if-absent` finds when a node directory already
 * holds state (part of generate's engine, raftstate/generate.h; no
 * printing here): whether it is what this command would write, raft's
 * later state of the same cluster, or something no run of this cluster
 * could have produced; and whether an existing cluster.json describes the
 * same cluster. Differences are lines (struct rs_diff) for cmd/ to print.
 */
#ifndef RAFTSTATE_IFABSENT_H
#define RAFTSTATE_IFABSENT_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/cluster.h"
#include "raftstate/config.h"

/* Lines of a difference: "  ID: - ..." for what the state holds, "  ID:
 * + ..." for what the command was given. */
struct rs_diff {
	char *text; /* NUL-terminated, one line each; NULL when empty */
	size_t len, n;
	int nomem; /* a line was lost for want of memory: the diff is not whole */
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
	/* out of memory: nothing is known about the node */
	RS_NODE_NOMEM = 3,
};

/*
 * Compares the node directory (both databases exist) with what generate
 * would write for member `id` of `want` (leader `leader`, initial term
 * `term`): first byte for byte (the reference is generated into a private
 * temporary directory), then by content. Never writes to node_dir; a
 * database held by a running node is read live. `note` receives a one-line
 * description for SAME and MOVED_ON.
 */
int rs_if_absent_node(const char *node_dir, const char *id, const struct rs_config *want,
                      const char *leader, uint64_t term, struct rs_diff *changed,
                      struct rs_diff *conflict, char *note, size_t notesize);

/* An existing OUTPUT_DIR/cluster.json must describe the same cluster: its
 * initial term, leader, network (when one is given) and members (ID,
 * address, suffrage) are compared with the given ones, each difference a
 * "  cluster.json: - ..." / "+ ..." line of d; a file that does not load
 * is one line saying why. No file (or a node directory by that name):
 * nothing is added. */
void rs_if_absent_record(const char *outdir, const struct rs_members *ms, uint64_t term,
                         const char *network, struct rs_diff *d);

#endif
