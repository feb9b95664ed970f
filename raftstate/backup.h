/*
 * Backups of Raft state: the engine behind `raft backup` (no printing here;
 * cmd/ reports). Restoring one: restore.h.
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
 * node (while the disk still writes the copies' last chunks), every file and
 * directory fsynced (then compressed, and every .gz read back and checked),
 * and only then renamed to its final name (never over an existing one).
 */
#ifndef RAFTSTATE_BACKUP_H
#define RAFTSTATE_BACKUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "raftstate/error.h"
#include "raftstate/verify.h"

/* Progress of long file operations, for a person at a terminal: `verb` is
 * "copying", "checking", "compressing" or "inflating", `file` the file
 * read, `total` its (uncompressed) size. Called every RS_PROGRESS_STEP
 * bytes or so, and once with done == total. */
struct rs_progress {
	void (*fn)(void *ctx, const char *verb, const char *file, uint64_t done, uint64_t total);
	void *ctx;
};
#define RS_PROGRESS_STEP ((uint64_t)64 << 20)

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
	double lock_timeout;         /* seconds to wait for LOCK_SH on each .db */
	double run_lock_timeout;     /* seconds to wait for the run lock (0: one try) */
	int live;                    /* copy locked .db files without the lock */
	int compress;                /* store every file gzip-compressed as <path>.gz */
	unsigned threads;            /* compress: threads (0: one per CPU; at most 8) */
	const char *version;         /* tool version for the manifest */
	struct rs_progress progress; /* optional (fn NULL): copies and compression */
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
	int run_locked;        /* rs_backup_apply took the run lock (0: it was refused, or
	                        * the run failed before) */
};

/* What a backup would copy (read-only): state_dir is a directory, resolved
 * (source), apart from backup_dir (neither inside the other), a node
 * directory or a cluster root holding node directories (RS_ENOTFOUND
 * otherwise). */
struct rs_backup_plan {
	char state_dir[PATH_MAX];
	char backup_dir[PATH_MAX];
	char source[PATH_MAX];   /* state_dir, absolute */
	int layout;              /* RS_LAYOUT_NODE or _CLUSTER */
	char **nodes;            /* a cluster's node directories, sorted names */
	size_t nnodes;           /* (0 for a node directory) */
	char lock_dir[PATH_MAX]; /* the run lock's directory (raftstate/nodedir.h): the
	                          * node's parent, or the cluster root */
};
int rs_backup_plan(const char *state_dir, const char *backup_dir, struct rs_backup_plan *plan,
                   struct rs_err *err);
void rs_backup_plan_free(struct rs_backup_plan *plan);

/* Makes a verified backup of the plan's state directory under its
 * backup_dir (created when missing). Holds the run lock on plan->lock_dir
 * throughout (restore, recover and generate take it too: no node is
 * replaced while it is copied), and looks at the state directory again
 * under it. On a verification failure returns RS_ECORRUPT with the
 * problems in `problems` and no backup directory left behind; on any
 * failure `res` holds nothing to free. */
int rs_backup_apply(const struct rs_backup_plan *plan, const struct rs_backup_opts *opt,
                    struct rs_backup_result *res, struct rs_problems *problems, struct rs_err *err);
void rs_backup_result_free(struct rs_backup_result *res);

#endif
