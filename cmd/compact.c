/*
 * raft compact: shrink a stopped node's raft-log.db and raft-stable.db to
 * their live pages, optionally removing first the log entries raft itself
 * would remove after its newest snapshot (--trailing N). The engine is
 * raftstate/compact.h; here:
 *   1. parse flags;
 *   2. rs_compact_plan(): verify the node, work out sizes and the range
 *      --trailing removes; print it (text or --json);
 *   3. --dry-run stops here; removing entries asks on a terminal unless
 *      --force (refused on a non-terminal stdin without it);
 *   4. rs_compact_apply() (the run lock, the databases held, stage, check,
 *      swap, keep) and print the sizes before and after.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd/command.h"
#include "present/flags.h"
#include "present/jsonout.h"
#include "present/nodeflags.h"
#include "present/nodetext.h"
#include "present/compact.h"
#include "present/report.h"
#include "raftstate/compact.h"

enum {
	F_STATE_DIR,
	F_TRAILING,
	F_DRY_RUN,
	F_FORCE,
	F_TIMEOUT,
	F_JSON,
	F_COUNT,
};

static const struct flag_spec compact_flags[F_COUNT] = {
    [F_STATE_DIR] = {.name = "state-dir",
                     .kind = FLAG_STRING,
                     .metavar = "DIR",
                     .required = 1,
                     .help = "The node directory to compact (<raft.storage-dir>/<server-id>)"},
    [F_TRAILING] = {.name = "trailing",
                    .kind = FLAG_UINT64,
                    .metavar = "N",
                    .help = "First remove the entries raft would remove after its newest "
                            "snapshot,\n"
                            "                           keeping the newest N (raft's "
                            "TrailingLogs) and every entry\n"
                            "                           after the snapshot"},
    [F_DRY_RUN] = {.name = "dry-run",
                   .kind = FLAG_BOOL,
                   .def = "false",
                   .help = "Print what would change and write nothing"},
    [F_FORCE] = {.name = "force",
                 .kind = FLAG_BOOL,
                 .def = "false",
                 .env = "OP_CONDUCTOR_INIT_COMPACT_FORCE",
                 .help = "Remove entries (--trailing) without asking"},
    [F_TIMEOUT] = {.name = "timeout",
                   .kind = FLAG_STRING,
                   .metavar = "SECONDS",
                   .def = "5",
                   .help = "How long to wait for a lock on each database file (and, when\n"
                           "                           given, for another run's lock)",
                   .check = np_timeout_check,
                   .accepts = NP_TIMEOUT_ACCEPTS},
    [F_JSON] = NP_FLAG_JSON,
};

static int print_json(const struct oci_command *cmd, const struct rs_compact_plan *p,
                      const struct rs_compact_opts *o, int dry_run)
{
	if (np_json_emit(np_compact_json(p, o, dry_run)) != 0)
		return oci_fail(cmd, "out of memory");
	return OCI_EXIT_OK;
}

static int compact_apply(const struct oci_command *cmd, const struct flag_value *v,
                         struct rs_compact_plan *plan, const struct rs_compact_opts *o,
                         struct rs_problems *probs)
{
	struct rs_err err = {0};

	if (plan->del_count > 0 && !v[F_FORCE].b) {
		if (oci_no_question() != NULL) {
			char msg[256];

			(void)snprintf(
			    msg, sizeof(msg),
			    "--trailing would remove %llu entries and %s; give --force (or "
			    "OP_CONDUCTOR_INIT_COMPACT_FORCE=true) to remove them",
			    (unsigned long long)plan->del_count, oci_no_question());
			if (v[F_JSON].b)
				np_compact_json_failure(plan->node_dir, msg);
			return oci_fail(cmd, "%s; nothing was changed", msg);
		}
		char q[PATH_MAX + 128];

		(void)snprintf(q, sizeof(q),
		               "Remove log entries %llu..%llu of %s (the old files are kept)?",
		               (unsigned long long)plan->del_from, (unsigned long long)plan->del_to,
		               plan->node_dir);
		if (!oci_confirm(q)) {
			printf("Compact cancelled; nothing was changed.\n");
			return OCI_EXIT_OK;
		}
	}
	if (rs_compact_apply(plan, o, probs, &err) != RS_OK) {
		/* kept: the swap happened, a sync after it failed */
		int rc = plan->kept[0] != '\0'
		             ? oci_fail(cmd, "%s%s (previous state: %s)", err.msg,
		                        np_err_fix(cmd, &err, plan->node_dir).s, plan->kept)
		             : oci_fail(cmd, "%s%s; nothing was changed", err.msg,
		                        np_err_fix(cmd, &err, plan->node_dir).s);

		if (v[F_JSON].b)
			np_compact_json_failure(plan->node_dir, err.msg);
		np_print_errors(probs, "run raft verify");
		return rc;
	}
	if (v[F_JSON].b)
		return print_json(cmd, plan, o, 0);
	np_compact_done(plan);
	return OCI_EXIT_OK;
}

static int run_compact(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	struct rs_compact_opts o = {
	    .lock_timeout = np_timeout_value(v[F_TIMEOUT].str),
	    .run_lock_timeout = np_run_lock_timeout(&v[F_TIMEOUT]),
	    .trailing_set = v[F_TRAILING].src == FLAG_ARGV || v[F_TRAILING].src == FLAG_ENV,
	    .trailing = v[F_TRAILING].u,
	    .uid = (uid_t)-1,
	    .gid = (gid_t)-1,
	};
	struct rs_compact_plan plan;
	struct rs_problems probs = {0};
	struct rs_err err = {0};
	int rc;

	if (v[F_STATE_DIR].str[0] == '\0')
		return oci_usage(cmd, "--state-dir is empty");
	if (rs_compact_plan(v[F_STATE_DIR].str, &o, &plan, &probs, &err) != RS_OK) {
		rc = oci_fail(cmd, "%s%s; nothing was changed", err.msg,
		              np_err_fix(cmd, &err, v[F_STATE_DIR].str).s);
		np_print_errors(&probs, "run raft verify");
		if (v[F_JSON].b)
			np_compact_json_failure(v[F_STATE_DIR].str, err.msg);
	} else if (v[F_DRY_RUN].b) {
		if (v[F_JSON].b) {
			rc = print_json(cmd, &plan, &o, 1);
		} else {
			np_compact_plan_text(&plan, &o);
			printf("Dry run: nothing was written (about %llu and %llu bytes after "
			       "compacting%s).\n",
			       (unsigned long long)plan.file[0].new_size,
			       (unsigned long long)plan.file[1].new_size,
			       plan.del_count > 0 ? ", before the removal" : "");
			rc = OCI_EXIT_OK;
		}
	} else {
		if (!v[F_JSON].b)
			np_compact_plan_text(&plan, &o);
		rc = compact_apply(cmd, v, &plan, &o, &probs);
	}
	rs_compact_plan_free(&plan);
	rs_problems_free(&probs);
	return rc;
}

const struct oci_command oci_cmd_raft_compact = {
    .group = "raft",
    .name = "compact",
    .summary = "Shrink a stopped node's database files (and trim its log as raft would)",
    .synopsis = "--state-dir NODE_DIR [--trailing N] [--dry-run] [--force] "
                "[--timeout SECONDS] [--json]",
    .description =
        "bbolt never gives freed pages back, so raft-log.db stays at its largest size.\n"
        "Rewrites raft-log.db and raft-stable.db into new files that hold only their\n"
        "live pages: the same buckets, keys and values, no free page. The new files are\n"
        "checked (bbolt's consistency check, every key and value compared with the old\n"
        "file, the node verified), given the owner and mode of the files they replace,\n"
        "and swapped in atomically (name by name inside a mount point); the previous\n"
        "state is kept as the sibling .<server-id>.pre-compact-YYYYMMDD-HHMMSS/ (never\n"
        "deleted). Prints the sizes before and after.\n"
        "\n"
        "--trailing N first removes the entries raft removes after a snapshot\n"
        "(compactLogs with TrailingLogs = N): from the first entry up to the newest\n"
        "usable snapshot's index or the last index minus N, whichever is lower, and\n"
        "nothing without a usable snapshot. Entries after the snapshot are never\n"
        "removed, and no snapshot is written. Removing entries asks on a terminal and\n"
        "needs --force otherwise. --dry-run prints how many entries and bytes would go\n"
        "and writes nothing. The node must be stopped: a locked database is refused.\n"
        "The run holds a lock on the node's parent directory: a second run there fails\n"
        "at once naming the first (pid, command); a given --timeout also makes it wait\n"
        "that long for that lock.",
    .flags = compact_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_compact,
};
