/*
 * raft restore: put a backup back, all or nothing per node directory.
 *
 *   1. parse flags (--backup-dir, --state-dir, --force, --timeout);
 *   2. rs_restore_check(): refuse hostile entries (symlinks, devices, paths
 *      leaving the backup), check every file's size and crc32 against
 *      MANIFEST.json (a Go-tool backup has none: say so), verify every node,
 *      refuse when a target database is locked — nothing is touched yet;
 *   3. existing state is replaced only with --force, or after a "y" on a
 *      terminal; a non-terminal stdin without --force is refused (a
 *      container must never hang on a prompt);
 *   4. rs_restore_apply(): stage each node beside its target, fsync,
 *      verify, swap it in with one atomic rename, keep what it replaced;
 *   5. print where the replaced state was kept.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd/command.h"
#include "cmd/flags.h"
#include "cmd/nodeprint.h"
#include "cmd/report.h"
#include "raftstate/backup.h"

enum {
	F_BACKUP_DIR,
	F_STATE_DIR,
	F_FORCE,
	F_TIMEOUT,
	F_COUNT,
};

static const struct flag_spec restore_flags[F_COUNT] = {
    [F_BACKUP_DIR] =
        {
            .name = "backup-dir",
            .kind = FLAG_STRING,
            .metavar = "DIR",
            .required = 1,
            .help = "The backup to restore (a raft-backup-YYYYMMDD-HHMMSS directory)",
        },
    [F_STATE_DIR] =
        {
            .name = "state-dir",
            .kind = FLAG_STRING,
            .metavar = "DIR",
            .required = 1,
            .help = "The node directory (or cluster root) to restore into",
        },
    [F_FORCE] =
        {
            .name = "force",
            .kind = FLAG_BOOL,
            .def = "false",
            .env = "OP_CONDUCTOR_INIT_RESTORE_FORCE",
            .help = "Replace existing state without asking",
        },
    [F_TIMEOUT] =
        {
            .name = "timeout",
            .kind = FLAG_STRING,
            .metavar = "SECONDS",
            .def = "5",
            .help = "How long to wait for a lock on each database file while verifying",
            .check = np_timeout_check,
            .accepts = NP_TIMEOUT_ACCEPTS,
        },
};

static void print_problems(const struct rs_problems *p)
{
	for (size_t i = 0; i < p->n && i < 10; i++) {
		const struct rs_problem *pr = &p->v[i];

		if (pr->severity != RS_PROBLEM)
			continue;
		fprintf(stderr, "  %s%s%s%s%s\n", pr->file, pr->file[0] ? ": " : "", pr->where,
		        pr->where[0] ? ": " : "", pr->reason);
	}
}

/* One question on the terminal; anything but y/yes is no. */
static int ask(const struct rs_restore_plan *plan)
{
	char line[64];

	fprintf(stderr, "The following state will be replaced (and kept aside):\n");
	for (size_t i = 0; i < plan->nnodes; i++)
		if (plan->nodes[i].target_exists)
			fprintf(stderr, "  - %s\n", plan->nodes[i].target);
	fprintf(stderr, "Continue with restore? [y/N]: ");
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 0;
	line[strcspn(line, "\r\n")] = '\0';
	return strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0;
}

static int run_restore(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	double timeout = np_timeout_value(v[F_TIMEOUT].str);
	struct rs_restore_plan plan;
	struct rs_problems probs = {0};
	struct rs_err err = {0};
	char kept[4096];
	int rc = OCI_EXIT_OK;

	if (v[F_STATE_DIR].str[0] == '\0')
		return oci_usage(cmd, "--state-dir is empty");
	if (v[F_BACKUP_DIR].str[0] == '\0')
		return oci_usage(cmd, "--backup-dir is empty");

	if (rs_restore_check(v[F_BACKUP_DIR].str, v[F_STATE_DIR].str, timeout, &plan, &probs,
	                     &err) != RS_OK) {
		oci_fail(cmd, "%s; nothing was changed", err.msg);
		print_problems(&probs);
		rc = OCI_EXIT_FAIL;
		goto out;
	}
	if (!plan.has_manifest)
		printf("Note: %s has no %s (a backup made by the Go tool?): no checksums were "
		       "available; its files were verified instead.\n",
		       plan.backup, RS_BACKUP_MANIFEST);
	else
		printf("Backup %s: %zu files match their size and crc32; every node verifies.\n",
		       plan.backup, plan.nfiles);
	if (plan.nexisting > 0 && !v[F_FORCE].b) {
		if (!isatty(STDIN_FILENO)) {
			rc = oci_fail(
			    cmd,
			    "%s holds existing Raft state and stdin is not a terminal; "
			    "refusing to replace it without --force "
			    "(or OP_CONDUCTOR_INIT_RESTORE_FORCE=true); nothing was changed",
			    oci_path(plan.state_dir).s);
			goto out;
		}
		if (!ask(&plan)) {
			printf("Restore cancelled; nothing was changed.\n");
			goto out;
		}
	}
	if (rs_restore_apply(&plan, timeout, kept, sizeof(kept), &probs, &err) != RS_OK) {
		oci_fail(cmd, "%s", err.msg);
		print_problems(&probs);
		rc = OCI_EXIT_FAIL;
		goto out;
	}
	printf("Restored %zu node%s into %s:\n", plan.nnodes, plan.nnodes == 1 ? "" : "s",
	       plan.state_dir);
	for (size_t i = 0; i < plan.nnodes; i++)
		printf("  %s%s\n", plan.nodes[i].target,
		       plan.nodes[i].target_exists ? "   (replaced)" : "");
	if (kept[0] != '\0')
		printf("The replaced state was kept in: %s\n", kept);
out:
	rs_restore_plan_free(&plan);
	rs_problems_free(&probs);
	return rc;
}

const struct oci_command oci_cmd_raft_restore = {
    .group = "raft",
    .name = "restore",
    .summary = "Restore Raft state from a backup, checked first and swapped in atomically",
    .synopsis = "--backup-dir DIR --state-dir DIR [--force] [--timeout SECONDS]",
    .description =
        "Checks the backup before touching anything: no symlinks, devices or paths that\n"
        "leave it, every file's size and crc32 as MANIFEST.json lists them (a Go-tool\n"
        "backup without a manifest is verified instead), and every node verifies.\n"
        "Refuses when a target database is locked (op-conductor running). Existing state\n"
        "is replaced only with --force or after answering y on a terminal; with a\n"
        "non-terminal stdin and no --force it refuses. Each node directory is staged\n"
        "beside its target, synced, and swapped in with one atomic rename; the replaced\n"
        "state is kept in STATE_DIR/.pre-restore-YYYYMMDD-HHMMSS/ (for a node directory:\n"
        "a sibling .<name>.pre-restore-YYYYMMDD-HHMMSS/).",
    .flags = restore_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_restore,
};
