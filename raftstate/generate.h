/*
 * The state `raft generate` writes for one node, byte-identical to the Go
 * op-conductor-init (raft-boltdb NewBoltStore + StoreLog / SetUint64 / Set):
 *   raft-log.db     buckets logs+conf, logs[1] = LogConfiguration entry
 *                   {Index 1, Term term, zero AppendedAt, Data = config}
 *   raft-stable.db  buckets logs+conf, conf CurrentTerm = term; the initial
 *                   leader also gets LastVoteTerm = term (own tx) and
 *                   LastVoteCand = its server ID (own tx).
 */
#ifndef RAFTSTATE_GENERATE_H
#define RAFTSTATE_GENERATE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "raftstate/config.h"
#include "raftstate/error.h"
#include "raftstate/nodedir.h"

/* How rs_generate_node puts the files in place (may be NULL: as the
 * replaced files were, the replaced state kept beside the node). */
struct rs_generate_put {
	uid_t uid; /* --chown; (uid_t)-1: the replaced files' owner */
	gid_t gid;
	char *keep_root; /* a cluster's shared keep directory ("" until made), or NULL */
	size_t keep_size;
	const char *keep_dir;    /* where to make it (struct rs_nd_replace), or NULL */
	const char *keep_prefix; /* and its name's prefix */
	/* filled */
	int in_place;
	char in_place_why[64];
	char kept[PATH_MAX];
	size_t salvaged;
	char salvaged_to[PATH_MAX];
};

/* Writes the state of server `self_id` (which votes for itself when it
 * equals leader_id) as node_dir, through raftstate/nodedir.h's replace: the
 * two files are written in a stage beside node_dir (each made O_EXCL |
 * O_NOFOLLOW, 0600, fsynced), which then becomes node_dir in one rename or
 * swap (name by name into a mount point or a directory holding other
 * files). Whatever node_dir held - raft-log.db, raft-stable.db, snapshots/
 * - is replaced as a whole and kept (put->kept): the caller decides whether
 * replacing is allowed. On failure nothing was replaced. */
int rs_generate_node(const char *node_dir, const struct rs_config *cfg, const char *self_id,
                     const char *leader_id, uint64_t term, struct rs_generate_put *put,
                     struct rs_err *err);

#endif
