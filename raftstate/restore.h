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
	int restored;          /* the new state is in place */
	int in_place;          /* replaced file by file (see in_place_why) */
	char in_place_why[64]; /* "it is a mount point", ... */
	char kept[PATH_MAX];   /* where the replaced state went ("" if none) */
};

struct rs_restore_plan {
	char backup[PATH_MAX];
	char state_dir[PATH_MAX];
	int layout;
	int has_manifest;              /* 0: a Go-tool backup, verified but not checksummed */
	size_t nfiles;                 /* files checked against the manifest */
	size_t ncompressed;            /* of them stored gzip-compressed */
	int verified;                  /* rs_restore_check verified every node in place
	                                * (not for compressed backups: rs_restore_apply
	                                * verifies their inflated staged copies) */
	struct rs_backup_file *listed; /* the manifest's files (nfiles) */
	struct rs_restore_node *nodes;
	size_t nnodes;
	size_t nexisting;            /* nodes whose target holds state */
	struct rs_progress progress; /* from rs_restore_check, for both steps */
	uid_t uid;                   /* owner to give ((uid_t)-1: the replaced files') */
	gid_t gid;
	/* filled by rs_restore_apply */
	size_t salvaged;            /* stages of killed runs kept (raftstate/nodedir.h) */
	char salvaged_to[PATH_MAX]; /* the last of them */
};

/* Checks the backup and the target without changing anything. RS_OK: the
 * backup is sound and no target is locked. RS_ECORRUPT with `problems`
 * (verify) or a message (manifest, hostile entry, damaged .gz);
 * RS_ELOCKED when a target database is held by another process. pg (may
 * be NULL) hears the checksums ("checking") here and the staging copies
 * ("copying", "inflating") in rs_restore_apply. */
int rs_restore_check(const char *backup_dir, const char *state_dir, double lock_timeout,
                     const struct rs_progress *pg, struct rs_restore_plan *plan,
                     struct rs_problems *problems, struct rs_err *err);

/* Replaces every node of the plan: first every node is staged and its
 * staged copy verified (nothing replaced yet), then each is put in place
 * (a lock check right before). `kept` receives where the replaced state
 * went: the node's keep directory (node layout), or STATE_DIR/.pre-restore-*
 * when whole node directories were swapped (cluster layout); "" when
 * nothing was replaced. Each node's own keep path is in nodes[i].kept. On
 * failure nodes[i].restored says which nodes were already replaced. */
int rs_restore_apply(struct rs_restore_plan *plan, double lock_timeout, char *kept,
                     size_t kept_size, struct rs_problems *problems, struct rs_err *err);
/* The directory whose run lock (raftstate/nodedir.h) guards the plan's
 * targets: STATE_DIR for a cluster, its parent for a node. */
void rs_restore_lock_dir(const struct rs_restore_plan *plan, char *out, size_t size);
/* Under the run lock: the targets looked at again (another run may have
 * written them since rs_restore_check); updates target_exists and
 * nexisting. */
int rs_restore_recheck(struct rs_restore_plan *plan, struct rs_err *err);
void rs_restore_plan_free(struct rs_restore_plan *plan);

#endif
