/*
 * Offline recovery of one node: give a stopped node a new configuration so
 * that it can start after a majority of the cluster is lost for good, or
 * with new members (the engine behind `raft recover`; no printing here).
 *
 * raft.RecoverCluster (hashicorp/raft api.go) replays the whole log into the
 * application's FSM, writes a new snapshot at (last index, last term) whose
 * metadata carries the new configuration, and deletes every log entry.
 * That needs the FSM; an offline tool has none. So instead this appends one
 * LogConfiguration entry after the last entry, which NewRaft picks up as the
 * latest configuration (it scans every entry after the newest snapshot):
 *
 *   index  = last log index + 1 (the newest snapshot's index when the log
 *            is empty), so the log stays contiguous, also when it was
 *            compacted and the old configuration is only in a snapshot;
 *   term   = a term no leader has used yet: by default
 *            max(CurrentTerm, last log term) + 1. An entry written in a term
 *            some leader did use could sit at the same (index, term) as a
 *            different entry on another survivor, and Raft's log matching
 *            would then treat the two logs as equal up to that point. When
 *            several survivors are recovered, give all of them the same
 *            term above every survivor's CurrentTerm (opts.term);
 *   CurrentTerm is raised to that term (raft requires CurrentTerm >= the
 *            last log term, or a later leader would write entries with a
 *            lower term after it); a vote for a server that is not in the
 *            new configuration is removed (LastVoteTerm and LastVoteCand
 *            both), any other vote is kept (it is for an older term now);
 *   every existing entry and snapshot is kept unchanged.
 *
 * The change is made on a copy, by raftstate/nodedir.h's replace: the
 * node's state is copied into a stage beside it (.<id>.recover-tmp-*), the
 * copy is changed with the bolt writer and verified, given the owner and
 * mode of the files it replaces, and the two directories are swapped with
 * one renameat2(RENAME_EXCHANGE) (name by name when the node directory is a
 * mount point or holds other files). The previous state is kept as
 * .<id>.pre-recover-YYYYMMDD-HHMMSS/ beside it (hidden, so that nothing
 * scanning the state root mistakes it for a node; inside the node
 * directory when replaced name by name). Both databases are held under
 * LOCK_EX from the copy to the swap, so op-conductor cannot start on them
 * half-way.
 */
#ifndef RAFTSTATE_RECOVER_H
#define RAFTSTATE_RECOVER_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "raftstate/config.h"
#include "raftstate/error.h"
#include "raftstate/node.h"
#include "raftstate/nodedir.h"
#include "raftstate/verify.h"

struct rs_recover_opts {
	double lock_timeout;     /* seconds to wait for each database's lock */
	double run_lock_timeout; /* seconds to wait for the run lock (0: one try) */
	uint64_t term;           /* term of the new entry; 0: max(CurrentTerm, last term) + 1 */
	int force;               /* allow a configuration where this node is not a voter */
	uid_t uid;               /* owner of the new files; (uid_t)-1: the replaced files' */
	gid_t gid;
};

struct rs_recover_plan {
	char node_dir[PATH_MAX];
	struct rs_node old;      /* the node as verified (id = directory name) */
	struct rs_config config; /* the new configuration (a copy) */
	uint64_t index, term;    /* where the new entry goes */
	uint64_t current_term;   /* CurrentTerm afterwards */
	int clear_vote;          /* the vote is for a server not in `config` */
	int self;                /* this node in `config`: -1 absent, else its suffrage */
	int log_empty; /* the log is empty or ends below the snapshot index: index follows the
	                * snapshot (raft's last entry is the snapshot's) */

	/* identity of the two databases when verified (apply checks it) */
	struct rs_nd_ident ident[2];
};

/* Verifies node_dir and works out the change; writes nothing.
 *   RS_ENOTFOUND  node_dir does not exist or holds no Raft state
 *   RS_ELOCKED    a database is locked (op-conductor running?)
 *   RS_ECORRUPT   the state does not verify (details in `problems`)
 *   RS_EINVAL     the configuration or term is refused (message says why),
 *                 e.g. this node is not a voter in it and !opts->force
 * `plan` must be freed with rs_recover_plan_free whatever the result. */
int rs_recover_plan(const char *node_dir, const struct rs_config *config,
                    const struct rs_recover_opts *opts, struct rs_recover_plan *plan,
                    struct rs_problems *problems, struct rs_err *err);

/* Makes the change planned (see above): takes the run lock on the node's
 * parent (raftstate/nodedir.h), holds both databases and checks they are
 * the files planned, then replaces. `kept` receives the directory now
 * holding the previous state. On any error the node directory is
 * unchanged. */
int rs_recover_apply(const struct rs_recover_plan *plan, const struct rs_recover_opts *opts,
                     char *kept, size_t kept_size, struct rs_problems *problems,
                     struct rs_err *err);

void rs_recover_plan_free(struct rs_recover_plan *plan);

#endif
