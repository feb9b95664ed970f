/*
 * raft restore: put a backup back, all or nothing per node directory (per
 * file where the node directory is a mount point or holds other files).
 *
 *   1. parse flags (--backup-dir, --state-dir, --force, --timeout);
 *   2. rs_restore_plan(): refuse hostile entries (symlinks, devices, paths
 *      leaving the backup), check every file's size against MANIFEST.json (a
 *      Go-tool backup has no manifest: say so, and verify its nodes here),
 *      refuse when a target database is locked — nothing is touched yet.
 *      --dry-run checks every crc32 here too (a .gz inflated in memory for
 *      that) and verifies every node of a plain backup; a restore leaves
 *      both to step 4, which reads the backup once;
 *   3. existing state is replaced only with --force, or after a "y" on a
 *      terminal; a non-terminal stdin without --force is refused (a
 *      container must never hang on a prompt); before either, the backup is
 *      checked in place (rs_restore_check_deferred): a damaged backup is
 *      said to be so, never asked about;
 *   4. rs_restore_apply(): under the run lock on STATE_DIR (a node: its
 *      parent; raftstate/nodedir.h) the targets are looked at again; it
 *      stages every node (inflated when compressed), takes the crc32 of
 *      every file from the bytes written and compares it with the manifest,
 *      fsyncs, verifies the staged copies, then puts each in place - one
 *      atomic directory swap, or file by file when the node directory is a
 *      mount point or holds other files - keeping what it replaced;
 *   5. print how each node went in and where the replaced state was kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "present/chown.h"
#include "cmd/command.h"
#include "present/flags.h"
#include "present/jsonout.h"
#include "present/nodeflags.h"
#include "present/nodetext.h"
#include "present/report.h"
#include "present/restore.h"
#include "raftstate/cluster.h"
#include "raftstate/restore.h"

enum {
	F_BACKUP_DIR,
	F_STATE_DIR,
	F_FORCE,
	F_TIMEOUT,
	F_CHOWN,
	F_NODE_ID,
	F_OTHER_NODE,
	F_DRY_RUN,
	F_JSON,
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
            .help = "The node directory (or cluster root) to restore into (required\n"
                    "                           unless --dry-run)",
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
            .help = "How long to wait for a lock on each database file while verifying\n"
                    "                           (and, when given, for another run's lock)",
            .check = np_timeout_check,
            .accepts = NP_TIMEOUT_ACCEPTS,
        },
    [F_CHOWN] =
        {
            .name = "chown",
            .kind = FLAG_STRING,
            .metavar = "USER:GROUP",
            .help = "Owner for the restored files (default: the owner of the files\n"
                    "                           they replace)",
        },
    [F_NODE_ID] =
        {
            .name = "node-id",
            .kind = FLAG_STRING,
            .metavar = "ID",
            .env = "OP_CONDUCTOR_INIT_RESTORE_NODE_ID",
            .help = "Restore only node ID of a cluster backup; --state-dir is then\n"
                    "                           that node's directory",
        },
    [F_OTHER_NODE] =
        {
            .name = "into-other-node",
            .kind = FLAG_BOOL,
            .def = "false",
            .env = "OP_CONDUCTOR_INIT_RESTORE_INTO_OTHER_NODE",
            .help = "Allow a node's state into a directory named for another node",
        },
    [F_DRY_RUN] =
        {
            .name = "dry-run",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Check the backup (and that it fits --state-dir), print what\n"
                    "                           would change, write nothing",
        },
    [F_JSON] = NP_FLAG_JSON,
};

static int print_json(const struct oci_command *cmd, const struct rs_restore_plan *plan,
                      const char *kept, int dry_run)
{
	cJSON *doc = np_restore_json(plan, kept, dry_run);

	return np_json_emit(doc) != 0 ? oci_fail(cmd, "out of memory") : OCI_EXIT_OK;
}

/* --dry-run: a compressed backup's nodes verified on an inflated copy in
 * $TMPDIR (never near the target), then what a restore would do. */
static int dry_run(const struct oci_command *cmd, struct rs_restore_plan *plan, double timeout,
                   int force, struct rs_problems *probs, FILE *out)
{
	const char *tmpdir = getenv("TMPDIR");
	struct rs_err err = {0};

	if (tmpdir == NULL || tmpdir[0] == '\0')
		tmpdir = "/tmp";
	if (!plan->verified) {
		if (rs_restore_verify_inflated(plan, tmpdir, timeout, probs, &err) != RS_OK) {
			oci_fail(cmd, "%s%s; nothing was changed", err.msg,
			         np_err_fix(cmd, &err, NULL).s);
			np_print_errors(probs, NULL);
			return OCI_EXIT_FAIL;
		}
		fprintf(out,
		        "Verified: every node, inflated into a temporary directory in %s (removed "
		        "again), is valid.\n",
		        tmpdir);
	}
	np_restore_dry_text(plan, force, out);
	return OCI_EXIT_OK;
}

/* One question on the terminal; anything but y/yes is no. */
static int ask(const struct rs_restore_plan *plan)
{
	fprintf(stderr, "The following state will be replaced (and kept aside):\n");
	for (size_t i = 0; i < plan->nnodes; i++)
		if (plan->nodes[i].target_exists)
			fprintf(stderr, "  - %s\n", plan->nodes[i].target);
	return oci_confirm("Continue with restore?");
}

/* Existing state is replaced only after a "y" on a terminal (--force
 * skips this); a damaged backup is said to be so first, never asked about.
 * 0: go on; -1: cancelled (exit 0); else the exit code of a refusal. */
static int confirm_replace(const struct oci_command *cmd, struct rs_restore_plan *plan,
                           double timeout, struct rs_problems *probs, FILE *out)
{
	struct rs_err err = {0};

	if (plan->deferred) {
		if (rs_restore_check_deferred(plan, timeout, probs, &err) != RS_OK) {
			oci_fail(cmd, "%s%s; nothing was changed", err.msg,
			         np_err_fix(cmd, &err, NULL).s);
			np_print_errors(probs, NULL);
			return OCI_EXIT_FAIL;
		}
		np_restore_checked(plan, out);
	}
	if (oci_no_question() != NULL)
		return oci_fail(cmd,
		                "%s holds existing Raft state and %s; "
		                "refusing to replace it without --force "
		                "(or OP_CONDUCTOR_INIT_RESTORE_FORCE=true); nothing was changed",
		                oci_path(plan->state_dir).s, oci_no_question());
	if (!ask(plan)) {
		fprintf(out, "Restore cancelled; nothing was changed.\n");
		return -1;
	}
	return 0;
}

static int run_restore(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	double timeout = np_timeout_value(v[F_TIMEOUT].str);
	struct rs_restore_plan plan;
	struct rs_problems probs = {0};
	struct rs_err err = {0};
	char kept[4096];
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int rc = OCI_EXIT_OK;

	int json = v[F_JSON].b;
	FILE *out = json ? oci_info_stream() : stdout; /* --json: stdout holds the document */
	struct rs_restore_opts ro = {.node_id = v[F_NODE_ID].str,
	                             .other_node = v[F_OTHER_NODE].b,
	                             .lock_timeout = timeout,
	                             .run_lock_timeout = np_run_lock_timeout(&v[F_TIMEOUT]),
	                             .force = v[F_FORCE].b,
	                             .pg = oci_tty_progress(),
	                             .defer_to_stage = !v[F_DRY_RUN].b};

	if (v[F_STATE_DIR].str == NULL && !v[F_DRY_RUN].b)
		return oci_usage(cmd, "--state-dir is required (or give --dry-run to check the "
		                      "backup alone)");
	if (v[F_STATE_DIR].str != NULL && v[F_STATE_DIR].str[0] == '\0')
		return oci_usage(cmd, "--state-dir is empty");
	if (ro.node_id != NULL && rs_server_id_check(ro.node_id) != RS_ID_OK)
		return oci_usage(cmd,
		                 "--node-id %s is not a valid server ID; give the name of one "
		                 "node directory in the backup",
		                 oci_path(ro.node_id).s);
	if (v[F_BACKUP_DIR].str[0] == '\0')
		return oci_usage(cmd, "--backup-dir is empty");
	if ((v[F_CHOWN].src == FLAG_ARGV || v[F_CHOWN].src == FLAG_ENV) &&
	    owner_parse(v[F_CHOWN].str, &uid, &gid, kept, sizeof(kept)) != 0)
		return oci_usage(cmd, "--chown: %s", kept);

	if (rs_restore_plan(v[F_BACKUP_DIR].str, v[F_STATE_DIR].str, &ro, &plan, &probs, &err) !=
	    RS_OK) {
		oci_fail(cmd, "%s%s; nothing was changed", err.msg, np_err_fix(cmd, &err, NULL).s);
		np_print_errors(&probs, NULL);
		rc = OCI_EXIT_FAIL;
		goto out;
	}
	if (!plan.deferred)
		np_restore_checked(&plan, out);
	if (v[F_DRY_RUN].b) {
		rc = dry_run(cmd, &plan, timeout, v[F_FORCE].b, &probs, out);
		if (rc == OCI_EXIT_OK && json)
			rc = print_json(cmd, &plan, "", 1);
		goto out;
	}
	plan.uid = uid;
	plan.gid = gid;
	if (plan.nexisting > 0 && !v[F_FORCE].b &&
	    (rc = confirm_replace(cmd, &plan, timeout, &probs, out)) != 0) {
		if (rc < 0) /* cancelled */
			rc = OCI_EXIT_OK;
		goto out;
	}
	if (rs_restore_apply(&plan, &ro, kept, sizeof(kept), &probs, &err) != RS_OK) {
		oci_fail(cmd, "%s%s%s", err.msg, np_err_fix(cmd, &err, NULL).s,
		         plan.staged ? "" : "; nothing was changed");
		np_print_errors(&probs, NULL);
		for (size_t i = 0; i < plan.nnodes; i++)
			if (plan.nodes[i].restored)
				oci_detail(OCI_LVL_ERROR,
				           "  already restored before the failure: %s",
				           plan.nodes[i].target);
		rc = OCI_EXIT_FAIL;
		goto out;
	}
	np_restore_done(&plan, kept, out);
	if (json)
		rc = print_json(cmd, &plan, kept, 0);
out:
	rs_restore_plan_free(&plan);
	rs_problems_free(&probs);
	return rc;
}

const struct oci_command oci_cmd_raft_restore = {
    .group = "raft",
    .name = "restore",
    .summary = "Restore Raft state from a backup, checked first, then swapped in",
    .synopsis =
        "--backup-dir DIR --state-dir DIR [--node-id ID] [--into-other-node]\n"
        "           [--force] [--dry-run] [--timeout SECONDS] [--chown USER:GROUP] [--json]",
    .description =
        "The backup must fit the target: a node backup (or one node of a cluster\n"
        "backup, --node-id ID) goes into a node directory named for that node (the\n"
        "directory name is the server ID op-conductor reads; --into-other-node puts it\n"
        "into another node's), a cluster backup into a cluster root that holds no node\n"
        "it lacks; anything else is refused with the fix. --dry-run checks the backup\n"
        "(a compressed one inflated into $TMPDIR and verified there) and prints what a\n"
        "restore would replace; without --state-dir it checks the backup alone.\n"
        "Checks the backup before touching anything: no symlinks, devices or paths that\n"
        "leave it, every file's size and crc32 as MANIFEST.json lists them (a Go-tool\n"
        "backup without a manifest is verified instead), and every node verifies.\n"
        "Refuses when a target database is locked (op-conductor running). Existing state\n"
        "is replaced only with --force or after answering y on a terminal; with a\n"
        "non-terminal stdin and no --force it refuses. A compressed backup (made with\n"
        "backup --compress) is checked by inflating each .gz in memory; its nodes are\n"
        "verified on the inflated staged copy. Every node is staged and verified before\n"
        "the first is replaced. Each node directory is staged beside its target,\n"
        "synced, given the owner (or --chown's) and mode of the files it replaces, and\n"
        "swapped in with one atomic rename; the replaced state is kept (a new name each\n"
        "time, never deleted) in STATE_DIR/.pre-restore-YYYYMMDD-HHMMSS/ (for a node\n"
        "directory: a sibling\n"
        ".<name>.pre-restore-YYYYMMDD-HHMMSS/). A node directory that is a mount point\n"
        "(a Kubernetes volume) or holds other files is instead staged inside itself and\n"
        "its raft-log.db, raft-stable.db and snapshots/ are replaced one by one (each\n"
        "name atomically, not all together); the old ones are kept in\n"
        "NODE/.pre-restore-YYYYMMDD-HHMMSS/ and other files stay where they are.\n"
        "The run holds a lock on STATE_DIR (a node directory: its parent): a second run\n"
        "there fails at once naming the first (pid, command); a given --timeout also\n"
        "makes it wait that long for that lock.\n"
        "Checksums, copies and inflation of files of 64 MiB or more show their progress\n"
        "on stderr when it is a terminal.",
    .flags = restore_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_restore,
};
