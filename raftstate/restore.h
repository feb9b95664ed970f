/*
 * Restoring a backup (see backup.h for its layout): the engine behind
 * `raft restore` (no printing here; cmd/ reports).
 *
 * Restore checks the whole backup before it touches the target: no entry may
 * be a symlink, device, fifo or socket; every path in the manifest stays
 * inside the backup; sizes and crc32s match (a .gz is inflated in memory to
 * check them); node names are valid server IDs; every node of a plain
 * backup verifies. Each node is then staged (a compressed one inflated),
 * fsynced and verified - all nodes before the first is replaced - and put
 * in place by raftstate/nodedir.h's replace: swapped in with one
 * renameat2(RENAME_EXCHANGE) of the node directory, or, when the node
 * directory cannot be renamed (a mount point) or holds other files, file by
 * file from a stage inside it. What it replaced is kept, with its owner and
 * mode given to the new files.
 *
 * Which target a backup fits (rs_restore_plan refuses any other, before
 * it reads a checksum). op-conductor reads <raft.storage.dir>/<server-id>/,
 * so a node directory's name is its server ID (as verify and recover take
 * it), and the node a backup holds is recorded: a cluster backup's node
 * directories, a node backup's MANIFEST.json "nodes" (its source
 * directory's name; for a Go-tool backup, the "Source directory:" line of
 * backup-metadata.txt).
 *   - a node backup, or one node of a cluster backup (--node-id ID), goes
 *     into a node directory: not a cluster root (a directory holding node
 *     directories), and named for that node unless other_node
 *     (--into-other-node) says that another node's state is wanted there;
 *   - a whole cluster backup goes into a cluster root: not a directory
 *     holding a node's state, nor one named for one of its nodes or lying
 *     beside node directories (a node's own directory, empty after a lost
 *     volume: --node-id), and not
 *     one holding a node the backup lacks (it would keep its own state
 *     beside the restored nodes).
 */
#ifndef RAFTSTATE_RESTORE_H
#define RAFTSTATE_RESTORE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "raftstate/backup.h"
#include "raftstate/error.h"
#include "raftstate/verify.h"

struct rs_restore_node {
	char id[256];          /* server ID ("" for the node layout) */
	char src[PATH_MAX];    /* node directory inside the backup */
	char target[PATH_MAX]; /* node directory to replace or create */
	int target_exists;     /* target holds state files */
	int target_dir_exists; /* the target directory exists */
	/* filled by rs_restore_apply */
	int staged;            /* every node staged and checked: 0 on failure = nothing replaced */
	int restored;          /* the new state is in place */
	int in_place;          /* replaced file by file (see in_place_why) */
	char in_place_why[64]; /* "it is a mount point", ... */
	char kept[PATH_MAX];   /* where the replaced state went ("" if none) */
};

/* What to restore where (restore's flags). */
struct rs_restore_opts {
	const char *node_id;          /* restore only this node of a cluster backup (NULL: all) */
	int other_node;               /* a node's state may go into a directory named for another */
	double lock_timeout;          /* seconds to wait for each database's lock */
	double run_lock_timeout;      /* rs_restore_apply: for the run lock (0: one try) */
	int force;                    /* rs_restore_apply: state that appeared in a target
	                               * since rs_restore_plan may be replaced too */
	const struct rs_progress *pg; /* may be NULL */
	int defer_to_stage;           /* a restore that will apply: the crc32s and the
	                               * verify are left to rs_restore_apply (plan->deferred) */
};

struct rs_restore_plan {
	char backup[PATH_MAX];
	char state_dir[PATH_MAX];      /* "" when only the backup is checked */
	int layout;                    /* what the target is: RS_LAYOUT_NODE or _CLUSTER */
	int backup_layout;             /* what the backup holds */
	char from_id[256];             /* target is a node: the node backed up ("" unknown) */
	int other_node;                /* ... and the target is named for another node */
	int has_manifest;              /* 0: a Go-tool backup, verified but not checksummed */
	size_t nfiles;                 /* files the manifest lists (listed) */
	size_t nchecked;               /* of them checked (--node-id: that node's) */
	size_t ncompressed;            /* of the checked ones stored gzip-compressed */
	int verified;                  /* rs_restore_plan verified every node in place
	                                * (not for compressed backups: rs_restore_apply
	                                * verifies their inflated staged copies) */
	int deferred;                  /* the listed files' crc32s and the nodes' verify are
	                                * not done yet: rs_restore_apply does them on the
	                                * staged copies (each byte read once, from what was
	                                * written), or rs_restore_check_deferred in place */
	char prefix[256];              /* the listed files restored: under this ("" all) */
	struct rs_backup_file *listed; /* the manifest's files (nfiles) */
	struct rs_restore_node *nodes;
	size_t nnodes;
	size_t nexisting;            /* nodes whose target holds state */
	struct rs_progress progress; /* from rs_restore_plan, for both steps */
	uid_t uid;                   /* owner to give ((uid_t)-1: the replaced files') */
	gid_t gid;
	/* filled by rs_restore_apply */
	int staged;      /* every node staged and checked: 0 on failure = nothing replaced */
	size_t salvaged; /* stages of killed runs kept (raftstate/nodedir.h) */
	char salvaged_to[PATH_MAX]; /* the last of them */
};

/* Checks the backup and the target without changing anything (the plan:
 * what goes where). RS_OK: the backup is sound, fits the target (above),
 * and no target is locked. RS_EINVAL when it does not fit; RS_ECORRUPT
 * with `problems` (verify) or a message (manifest, hostile entry, damaged
 * .gz); RS_ELOCKED when a target database is held by another process.
 * state_dir NULL or "": only the backup is checked (nodes[].target "").
 * opt->pg hears the checksums ("checking") here and the staging copies
 * ("copying", "inflating") in rs_restore_apply. With opt->defer_to_stage
 * (and a manifest) the files' sizes and listing are checked here, but
 * their crc32s and the nodes' verify are left to rs_restore_apply, which
 * takes them of the staged copies before anything is replaced: a restore
 * reads the backup once. */
int rs_restore_plan(const char *backup_dir, const char *state_dir,
                    const struct rs_restore_opts *opt, struct rs_restore_plan *plan,
                    struct rs_problems *problems, struct rs_err *err);

/* The checks rs_restore_plan deferred (plan->deferred), done now where the
 * backup lies: for a run that will not go on to rs_restore_apply (it asks
 * first, or refuses for want of --force) and must judge the backup first.
 * Clears plan->deferred; RS_OK at once when nothing was deferred. */
int rs_restore_check_deferred(struct rs_restore_plan *plan, double lock_timeout,
                              struct rs_problems *problems, struct rs_err *err);

/* A compressed backup's nodes cannot be verified where they lie: each is
 * inflated into a private directory under tmp_parent, verified there and
 * removed. Sets plan->verified. RS_ECORRUPT (with problems) when one does
 * not verify. Writes nothing outside tmp_parent. */
int rs_restore_verify_inflated(struct rs_restore_plan *plan, const char *tmp_parent,
                               double lock_timeout, struct rs_problems *problems,
                               struct rs_err *err);

/* Replaces every node of the plan. First the run lock (raftstate/nodedir.h)
 * on STATE_DIR (a node: its parent; made when missing), and the targets
 * looked at again under it (target_exists, nexisting updated; without
 * opt->force a target that gained state since rs_restore_plan is refused,
 * RS_EINVAL). Then every node is staged and its staged copy verified
 * (nothing replaced yet), then each is put in place (a lock check right
 * before). `kept` receives where the replaced state
 * went: the node's keep directory (node layout), or STATE_DIR/.pre-restore-*
 * when whole node directories were swapped (cluster layout); "" when
 * nothing was replaced. Each node's own keep path is in nodes[i].kept. On
 * failure nodes[i].restored says which nodes were already replaced. */
int rs_restore_apply(struct rs_restore_plan *plan, const struct rs_restore_opts *opt, char *kept,
                     size_t kept_size, struct rs_problems *problems, struct rs_err *err);
void rs_restore_plan_free(struct rs_restore_plan *plan);

#endif
