/*
 * The engine of `raft generate` (no printing here; cmd/generate.c parses,
 * prints and asks): rs_generate_plan looks at the output tree and decides
 * what would be written (refusals, --if-absent's verdict through
 * raftstate/ifabsent.h), rs_generate_apply writes it under the run lock.
 *
 * The state it writes for one node (rs_generate_node), byte-identical to
 * the Go op-conductor-init (raft-boltdb NewBoltStore + StoreLog / SetUint64
 * / Set):
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

#include "raftstate/cluster.h"
#include "raftstate/config.h"
#include "raftstate/error.h"
#include "raftstate/ifabsent.h"
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

/* ---- a cluster's output tree: plan, then apply ---- */

/* What `raft generate` is asked to write (cmd/generate.c, from its flags
 * and --config). */
struct rs_generate_opts {
	const char *output_dir;
	const struct rs_members *ms; /* validated (cluster.h), leader set */
	const struct rs_config *cfg; /* ms as a configuration (rs_members_config) */
	uint64_t term;               /* the initial term, >= 1 */
	const char *network;         /* recorded in cluster.json, checked by --if-absent; or NULL */
	const char *node_id;         /* write only this member; NULL: every member */
	int force;                   /* replace existing state (whole nodes, kept) */
	int if_absent;               /* existing state is compared, never written */
	const char *formed_file;     /* the cluster file that says "formed": true, or NULL */
	int cluster_json;            /* write OUTPUT_DIR/cluster.json */
	int chown;                   /* give uid:gid what is written */
	uid_t uid;
	gid_t gid;
	double run_lock_timeout; /* seconds to wait for the run lock on OUTPUT_DIR (0: one try) */
};

/* Per member arrays have ms->n entries, in its order. */
struct rs_generate_plan {
	char outdir[PATH_MAX]; /* output_dir without trailing '/' */
	size_t n;
	unsigned char *asked;  /* named (--node-id; every member without it) */
	unsigned char *target; /* to be written */
	unsigned char *make;   /* OUTPUT_DIR/<id> does not exist */
	unsigned char *have;   /* how many of its two databases exist */
	int make_outdir;       /* OUTPUT_DIR does not exist */
	char *existing;        /* the state found, ", "-separated (as messages show paths) */
	size_t nexisting;
	size_t nwrite;           /* members to write */
	size_t npresent;         /* --if-absent: members whose state was compared */
	int cluster_json;        /* cluster.json is written (no member is named so) */
	int done;                /* nothing is left to write: a success that writes nothing */
	struct rs_diff notes;    /* what was found, a line per node ("DIR: ..."), in order */
	struct rs_diff conflict; /* --if-absent refused (RS_EEXIST): - existing, + given */
	struct rs_diff changed;  /* --if-absent: raft's configuration now (-) vs the given (+),
	                          * kept as it is */
	/* filled by rs_generate_apply */
	unsigned char *written;
	char keep_root[PATH_MAX]; /* where the replaced nodes were kept ("" none) */
	char keep_parent[PATH_MAX];
	char keep_prefix[NAME_MAX + 1];
	struct rs_generate_put put; /* salvaged, salvaged_to: stages of killed runs kept */
};

/* Looks at OUTPUT_DIR without changing anything: which members to write,
 * what exists, and whether that may be written over. RS_OK: p->nwrite
 * members to write, or p->done. Refusals, one sentence in err:
 *   RS_ENOTFOUND  node_id is not a member (and the cluster has not formed
 *                 with --if-absent, which is done instead);
 *   RS_EEXIST     existing state without --force, or --if-absent's
 *                 conflict (lines in p->conflict);
 *   RS_EINVAL     a symbolic link, a non-directory, snapshots/ alone with
 *                 --if-absent, a cluster that has formed (without
 *                 --if-absent);
 *   RS_ELOCKED    with --force, a node in use;
 *   RS_EIO, RS_ELIMIT, RS_ENOMEM.
 * p must be freed with rs_generate_plan_free whatever the result. */
int rs_generate_plan(const struct rs_generate_opts *o, struct rs_generate_plan *p,
                     struct rs_err *err);

/* Writes what p plans: makes OUTPUT_DIR (mkdir -p) when missing, takes the
 * run lock on it (raftstate/nodedir.h), looks at the tree again under it
 * (the same refusals), and writes each target node with rs_generate_node
 * (what --force replaces kept beside OUTPUT_DIR in
 * .<name>.pre-generate-YYYYMMDD-HHMMSS/<id>), --chown's owner, and
 * cluster.json. p->written says which nodes were written, also on failure
 * (then later nodes were not). */
int rs_generate_apply(const struct rs_generate_opts *o, struct rs_generate_plan *p,
                      struct rs_err *err);

void rs_generate_plan_free(struct rs_generate_plan *p);

#endif
