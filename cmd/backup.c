/*
 * raft backup: a consistent, verified copy of a node's (or a cluster
 * root's) Raft state, compatible with the Go tool's layout.
 *
 *   1. parse flags (--state-dir, --backup-dir, --timeout, --live, --compress);
 *   2. rs_backup_plan(): what the state directory is (a node, or a cluster
 *      root), apart from the backup directory;
 *   3. rs_backup_apply(): under the run lock, copy each .db under a shared lock (or, with
 *      --live and a running writer, a compact consistent snapshot), then
 *      snapshots/, verify every node of the copy, with --compress replace
 *      every file by its .gz and read each back, write MANIFEST.json and
 *      backup-metadata.txt, and only then give the directory its final name;
 *   4. print what was written.
 */
#include <limits.h>
#include <stdio.h>

#include "cmd/command.h"
#include "present/flags.h"
#include "present/jsonout.h"
#include "present/nodeflags.h"
#include "present/nodetext.h"
#include "present/report.h"
#include "raftstate/backup.h"
#include "raftstate/manifest.h"
#include "raftstate/path.h"

enum {
	F_STATE_DIR,
	F_BACKUP_DIR,
	F_TIMEOUT,
	F_LIVE,
	F_COMPRESS,
	F_THREADS,
	F_JSON,
	F_COUNT,
};

static const struct flag_spec backup_flags[F_COUNT] = {
    [F_STATE_DIR] = NP_FLAG_STATE_DIR,
    [F_BACKUP_DIR] =
        {
            .name = "backup-dir",
            .kind = FLAG_STRING,
            .metavar = "DIR",
            .required = 1,
            .help = "Where to create raft-backup-YYYYMMDD-HHMMSS/ (created when missing)",
        },
    [F_TIMEOUT] = NP_FLAG_LOCK_TIMEOUT,
    [F_LIVE] =
        {
            .name = "live",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Copy databases a running op-conductor holds, without the lock "
                    "(consistent compact copy)",
        },
    [F_COMPRESS] =
        {
            .name = "compress",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Store every file of the backup gzip-compressed as FILE.gz (MANIFEST.json "
                    "and backup-metadata.txt stay plain); restore inflates them",
        },
    [F_THREADS] =
        {
            .name = "threads",
            .kind = FLAG_STRING,
            .metavar = "N",
            .def = "auto",
            .help = "With --compress: threads that compress and read back; auto: the "
                    "processors this process may run on, at most 8 (more counts as 8). The "
                    "bytes stored are the same for any number",
            .check = np_threads_check,
            .accepts = NP_THREADS_ACCEPTS,
        },
    [F_JSON] = NP_FLAG_JSON,
};

/* --json (docs/json.md): the new backup's path and each file as
 * MANIFEST.json lists it. */
static int print_json(const struct oci_command *cmd, const struct rs_backup_result *res)
{
	cJSON *doc = cJSON_CreateObject(), *files;
	char manifest[PATH_MAX + 32];

	(void)rs_path_join(manifest, sizeof(manifest), res->path, RS_BACKUP_MANIFEST);
	cJSON_AddStringToObject(doc, "backup", res->path);
	cJSON_AddStringToObject(doc, "manifest", manifest);
	cJSON_AddStringToObject(doc, "source", res->source);
	cJSON_AddStringToObject(doc, "layout", res->layout == RS_LAYOUT_NODE ? "node" : "cluster");
	cJSON_AddItemToObject(doc, "nodes", np_json_u64(res->nnodes));
	cJSON_AddItemToObject(doc, "live_copies", np_json_u64(res->nlive));
	cJSON_AddBoolToObject(doc, "verified", 1);
	files = cJSON_AddArrayToObject(doc, "files");
	for (size_t i = 0; i < res->nfiles; i++)
		cJSON_AddItemToArray(files, rs_manifest_file_json(&res->files[i]));
	return np_json_emit(doc) != 0 ? oci_fail(cmd, "out of memory") : OCI_EXIT_OK;
}

static int run_backup(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	struct rs_backup_opts opt = {
	    .lock_timeout = np_timeout_value(v[F_TIMEOUT].str),
	    .run_lock_timeout = np_run_lock_timeout(&v[F_TIMEOUT]),
	    .live = v[F_LIVE].b,
	    .compress = v[F_COMPRESS].b,
	    .threads = (unsigned)np_threads_value(v[F_THREADS].str),
	    .version = OCI_VERSION,
	};
	struct rs_backup_plan plan;
	struct rs_backup_result res = {0};
	struct rs_problems probs = {0};
	struct rs_err err = {0};
	int rc;

	if (v[F_STATE_DIR].str[0] == '\0')
		return oci_usage(cmd, "--state-dir is empty");
	if (v[F_BACKUP_DIR].str[0] == '\0')
		return oci_usage(cmd, "--backup-dir is empty");
	if (v[F_THREADS].src == FLAG_ARGV && !opt.compress)
		return oci_usage(cmd,
		                 "--threads is for --compress; add --compress or drop --threads");
	if (oci_tty_progress() != NULL)
		opt.progress = *oci_tty_progress();

	/* rs_backup_apply holds the run lock restore, recover and generate take
	 * (the node's parent, or the cluster root): no run swaps a node while it
	 * is copied, so the backup holds one state of each node, never an old
	 * raft-log.db beside a new raft-stable.db */
	rc = rs_backup_plan(v[F_STATE_DIR].str, v[F_BACKUP_DIR].str, &plan, &err);
	if (rc == RS_OK)
		rc = rs_backup_apply(&plan, &opt, &res, &probs, &err);
	if (rc != RS_OK) {
		rs_backup_plan_free(&plan);
		if (err.code == RS_ELOCKED && !res.run_locked) { /* another run holds it */
			oci_fail(cmd, "%s%s; nothing was changed", err.msg,
			         np_err_fix(cmd, &err, v[F_STATE_DIR].str).s);
		} else if (probs.errors > 0) {
			oci_fail(cmd, "the copy of %s does not verify, so no backup was kept: %s%s",
			         oci_path(v[F_STATE_DIR].str).s, err.msg,
			         np_err_fix(cmd, &err, v[F_STATE_DIR].str).s);
			np_print_errors(&probs, NULL);
		} else {
			oci_fail(cmd, "%s%s", err.msg, np_err_fix(cmd, &err, v[F_STATE_DIR].str).s);
		}
		rs_problems_free(&probs);
		return OCI_EXIT_FAIL;
	}
	if (v[F_JSON].b) {
		rc = print_json(cmd, &res);
		rs_backup_plan_free(&plan);
		rs_backup_result_free(&res);
		rs_problems_free(&probs);
		return rc;
	}
	printf("Backup of %s (%s, %zu node%s) written to:\n  %s\n", res.source,
	       res.layout == RS_LAYOUT_NODE ? "node directory" : "cluster root", res.nnodes,
	       res.nnodes == 1 ? "" : "s", res.path);
	for (size_t i = 0; i < res.nfiles; i++) {
		const struct rs_backup_file *f = &res.files[i];

		char name[4200];

		(void)snprintf(name, sizeof(name), "%s%s", f->path, f->compressed ? ".gz" : "");
		if (f->compressed)
			printf("  %-40s %12llu bytes  (gzip of %llu bytes)", name,
			       (unsigned long long)f->stored_size, (unsigned long long)f->size);
		else
			printf("  %-40s %12llu bytes", name, (unsigned long long)f->size);
		if (f->is_db)
			printf("  txid %llu, %llu pages%s", (unsigned long long)f->txid,
			       (unsigned long long)f->pages,
			       f->live ? "  (live compact copy)" : "");
		putchar('\n');
	}
	if (res.nlive > 0)
		printf("%zu database%s copied live without the lock (consistent snapshot; "
		       "at most %u attempt%s).\n",
		       res.nlive, res.nlive == 1 ? "" : "s", res.max_attempts,
		       res.max_attempts == 1 ? "" : "s");
	printf("Verified: every node of the backup is valid. Manifest: %s/%s\n", res.path,
	       RS_BACKUP_MANIFEST);
	printf("One state per node: the run lock on %s was held while copying, so no restore, "
	       "recover or generate changed a node during the backup.\n",
	       plan.lock_dir);
	if (opt.compress)
		printf("Compressed: every file was verified before compression, and each .gz was "
		       "read back and matches its size and crc32.\n");
	rs_backup_plan_free(&plan);
	rs_backup_result_free(&res);
	rs_problems_free(&probs);
	return OCI_EXIT_OK;
}

const struct oci_command oci_cmd_raft_backup = {
    .group = "raft",
    .name = "backup",
    .summary = "Make a verified, consistent backup of Raft state (also while op-conductor runs)",
    .synopsis = "--state-dir DIR --backup-dir DIR [--timeout SECONDS] [--live] [--compress]\n"
                "           [--threads N] [--json]",
    .description =
        "Creates BACKUP_DIR/raft-backup-YYYYMMDD-HHMMSS/ (with -2, -3, ... when that\n"
        "exists) holding raft-log.db, raft-stable.db and snapshots/ of the node (or of\n"
        "every node of a cluster root), backup-metadata.txt as the Go tool writes it,\n"
        "and MANIFEST.json with each file's size and crc32. Each database is copied\n"
        "under a shared lock taken within --timeout seconds; a database locked by a\n"
        "running op-conductor is an error unless --live is given, which copies the\n"
        "newest committed transaction without the lock into a compact file. The backup\n"
        "is verified before it gets its final name; a failed backup leaves nothing that\n"
        "looks complete. With --compress every file is then stored gzip-compressed as\n"
        "FILE.gz (MANIFEST.json and backup-metadata.txt stay plain; the manifest keeps\n"
        "each file's uncompressed size and crc32 and adds stored_path and stored_size),\n"
        "and every .gz is read back and checked before the directory is named. Files\n"
        "are compressed in 4 MiB blocks on --threads N threads (default: one per CPU,\n"
        "at most 8), each block a gzip member that any gzip reader accepts.\n"
        "The run lock that restore, recover and generate take (the node's parent, or the\n"
        "cluster root) is held while copying, so the backup holds one state of each node.\n"
        "Everything is synced to disk before the command succeeds; the finished\n"
        "backup's files are then dropped from the page cache, so a large backup does\n"
        "not push other processes' data out of memory. Copies, checksums and\n"
        "compression of files of 64 MiB or more show their progress on stderr when it\n"
        "is a terminal.",
    .flags = backup_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_backup,
};
