/*
 * Backups of Raft state and restoring them: the engine behind `raft backup`
 * and `raft restore` (no printing here; cmd/ reports).
 *
 * A backup directory, BACKUP_DIR/raft-backup-YYYYMMDD-HHMMSS[-N]/:
 *   backup-metadata.txt   what the Go tool writes ("Backup created: <RFC3339>",
 *                         "Source directory: <dir>", "Files backed up: <n .db>")
 *   MANIFEST.json         format, tool, version, created, source, layout,
 *                         nodes, files[{path, size, crc32, [txid, pages, copy],
 *                         [compression, stored_path, stored_size]}]
 *   <node files>          layout "node": raft-log.db, raft-stable.db and
 *                         snapshots/<name>/... at the top;
 *                         layout "cluster": the same under <server-id>/.
 *                         With --compress each is stored as <file>.gz; "path",
 *                         "size" and "crc32" still describe the uncompressed
 *                         content, "compression": "gzip", "stored_path"
 *                         (= path + ".gz") and "stored_size" the stored file.
 *                         An entry without "compression" is a plain file.
 * It is built under BACKUP_DIR/.raft-backup-...tmp-<pid>/, verified node by
 * node (then compressed, and every .gz read back and checked), and only then
 * renamed to its final name (never over an existing one).
 *
 * Restore checks the whole backup before it touches the target: no entry may
 * be a symlink, device, fifo or socket; every path in the manifest stays
 * inside the backup; sizes and crc32s match (a .gz is inflated in memory to
 * check them); node names are valid server IDs; every node of a plain
 * backup verifies. Each node is then staged (a compressed one inflated),
 * fsynced and verified - all nodes before the first is replaced - and put
 * in place: swapped in with one renameat2(RENAME_EXCHANGE) of the node
 * directory, or, when the node directory cannot be renamed (a mount point)
 * or holds other files, file by file from a stage inside it. What it
 * replaced is kept.
 */
#ifndef RAFTSTATE_BACKUP_H
#define RAFTSTATE_BACKUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "raftstate/error.h"
#include "raftstate/verify.h"

#define RS_BACKUP_MANIFEST "MANIFEST.json"
#define RS_BACKUP_METADATA "backup-metadata.txt"
#define RS_BACKUP_FORMAT   "op-conductor-init-backup/1"

enum rs_layout {
	RS_LAYOUT_NODE = 1,    /* the state dir is one node's directory */
	RS_LAYOUT_CLUSTER = 2, /* the state dir holds one directory per server ID */
};

struct rs_backup_file {
	char path[PATH_MAX]; /* relative to the backup directory */
	uint64_t size;
	uint32_t crc32;
	int is_db;
	int live; /* .db copied lock-free (compact copy) */
	uint64_t txid, pages;
	int crc_known;        /* size and crc32 were computed while copying */
	int compressed;       /* stored as <path>.gz */
	uint64_t stored_size; /* bytes of the .gz when compressed */
};

struct rs_backup_opts {
	double lock_timeout; /* seconds to wait for LOCK_SH on each .db */
	int live;            /* copy locked .db files without the lock */
	int compress;        /* store every file gzip-compressed as <path>.gz */
	const char *version; /* tool version for the manifest */
	/* optional: called during long database copies (file = path copied) */
	void (*progress)(void *ctx, const char *file, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct rs_backup_result {
	char path[PATH_MAX]; /* the finished backup directory */
	int layout;
	char source[PATH_MAX]; /* absolute source path */
	size_t nnodes;
	struct rs_backup_file *files;
	size_t nfiles;
	size_t ndb, nlive;
	unsigned max_attempts; /* most live copy attempts one .db needed */
};

/* Makes a verified backup of state_dir under backup_dir (created when
 * missing). On a verification failure returns RS_ECORRUPT with the
 * problems in `problems` and no backup directory left behind. */
int rs_backup_create(const char *state_dir, const char *backup_dir,
                     const struct rs_backup_opts *opt, struct rs_backup_result *res,
                     struct rs_problems *problems, struct rs_err *err);
void rs_backup_result_free(struct rs_backup_result *res);

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
	size_t nexisting; /* nodes whose target holds state */
};

/* Checks the backup and the target without changing anything. RS_OK: the
 * backup is sound and no target is locked. RS_ECORRUPT with `problems`
 * (verify) or a message (manifest, hostile entry, damaged .gz);
 * RS_ELOCKED when a target database is held by another process. */
int rs_restore_check(const char *backup_dir, const char *state_dir, double lock_timeout,
                     struct rs_restore_plan *plan, struct rs_problems *problems,
                     struct rs_err *err);

/* Replaces every node of the plan: first every node is staged and its
 * staged copy verified (nothing replaced yet), then each is put in place
 * (a lock check right before). `kept` receives where the replaced state
 * went: the node's keep directory (node layout), or STATE_DIR/.pre-restore-*
 * when whole node directories were swapped (cluster layout); "" when
 * nothing was replaced. Each node's own keep path is in nodes[i].kept. On
 * failure nodes[i].restored says which nodes were already replaced. */
int rs_restore_apply(struct rs_restore_plan *plan, double lock_timeout, char *kept,
                     size_t kept_size, struct rs_problems *problems, struct rs_err *err);
void rs_restore_plan_free(struct rs_restore_plan *plan);

#endif
