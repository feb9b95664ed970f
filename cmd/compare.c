/*
 * raft compare: every node of a cluster side by side, and what Raft will
 * make of them (raftstate/compare.h): where the logs agree and where they
 * diverge, the most up-to-date node (the one `raft recover` starts from),
 * the unsafe heads, the configurations.
 *
 * Nodes come from --state-dir (a node directory or a cluster root; the flag
 * may be repeated) and from --from-json (a document `raft info --json`
 * wrote, for one node or a cluster root; repeated too), in any mix. A
 * directory costs what `raft info` costs; a document costs nothing more:
 * the comparison needs only what info --json carries (last index and term,
 * the term starts, the head, the configuration), so the logs are never read
 * entry by entry. Read-only.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "present/flags.h"
#include "present/jsonout.h"
#include "present/nodeflags.h"
#include "present/nodejson.h"
#include "present/compare.h"
#include "present/report.h"
#include "raftstate/compare.h"
#include "raftstate/json.h"

enum {
	F_STATE_DIR,
	F_FROM_JSON,
	F_JSON,
	F_TIMEOUT,
	F_COUNT,
};

static const struct flag_spec compare_flags[F_COUNT] = {
    [F_STATE_DIR] =
        {
            .name = "state-dir",
            .kind = FLAG_STRING,
            .metavar = "DIR",
            .help = "A node's state directory or a directory of them (may be repeated)",
            .repeat = 1,
        },
    [F_FROM_JSON] =
        {
            .name = "from-json",
            .kind = FLAG_STRING,
            .metavar = "FILE",
            .help = "A document written by `raft info --json` (may be repeated)",
            .repeat = 1,
        },
    [F_JSON] = NP_FLAG_JSON,
    [F_TIMEOUT] = NP_FLAG_LOCK_TIMEOUT,
};

#define MAX_NODES 64

struct nodes {
	struct rs_cmp_node *v;
	size_t n;
};

/* ---- from directories ------------------------------------------------- */

static int too_many(const struct oci_command *cmd)
{
	return oci_usage(cmd, "more than %d nodes to compare; compare them in groups of at most %d",
	                 MAX_NODES, MAX_NODES);
}

/* Every directory first (in the order given, each --state-dir a node or a
 * cluster root), then all read at once. */
static int from_dirs(const struct oci_command *cmd, const struct flag_value *fv, double timeout,
                     struct nodes *ns)
{
	struct rs_nd_nodes found[MAX_NODES];
	const char *dirs[MAX_NODES];
	size_t nfound = 0, ndirs = 0;
	struct rs_err err = {0};
	int rc = 0;

	for (int k = 0; k < fv->n && rc == 0; k++) {
		if (nfound == MAX_NODES) {
			rc = too_many(cmd);
			break;
		}
		if ((rc = np_find_nodes(cmd, fv->list[k], "--state-dir", &found[nfound])) != 0)
			break;
		for (size_t i = 0; i < found[nfound].n && rc == 0; i++)
			if (ns->n + ndirs == MAX_NODES)
				rc = too_many(cmd);
			else
				dirs[ndirs++] = found[nfound].dirs[i];
		nfound++;
	}
	if (rc == 0 && rs_cmp_read_dirs(dirs, ndirs, timeout, ns->v + ns->n, &err) != RS_OK)
		rc = oci_fail(cmd, "%s", err.msg);
	else if (rc == 0)
		ns->n += ndirs;
	for (size_t k = 0; k < nfound; k++)
		rs_nd_nodes_free(&found[k]);
	return rc;
}

/* ---- from info --json documents ---------------------------------------- */

/* Nodes in name order (then origin), whatever order the flags gave them. */
static int cmp_name(const void *a, const void *b)
{
	const struct rs_cmp_node *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->origin, y->origin);
}

static int run_compare(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	struct nodes ns = {0};
	struct rs_cmp_result r;
	struct rs_err err = {0};
	int rc = 0;

	if (v[F_STATE_DIR].n == 0 && v[F_FROM_JSON].n == 0)
		return oci_usage(cmd, "give the nodes to compare: --state-dir DIR (a node or a "
		                      "cluster root) and/or --from-json FILE, as often as needed");
	ns.v = calloc(MAX_NODES, sizeof(*ns.v));
	if (ns.v == NULL)
		return oci_fail(cmd, "out of memory");
	if ((rc = from_dirs(cmd, &v[F_STATE_DIR], np_timeout_value(v[F_TIMEOUT].str), &ns)) != 0)
		goto out;
	for (int k = 0; k < v[F_FROM_JSON].n && rc == 0; k++) {
		const char *path = v[F_FROM_JSON].list[k];
		struct oci_quoted shown = oci_path(path);
		size_t got = 0;
		cJSON *doc = NULL;
		/* strict: one document (a second one after it is refused, naming
		 * where it starts), exact integers */
		int lrc = rs_json_load(path, shown.s, NP_INFO_JSON_MAX, 1, &doc, &err);

		if (lrc == RS_OK)
			lrc =
			    np_info_json_read(doc, path, ns.v + ns.n, MAX_NODES - ns.n, &got, &err);

		ns.n += got;
		if (lrc == RS_ELIMIT)
			rc = oci_usage(
			    cmd,
			    "more than %d nodes to compare; compare them in groups of at most %d",
			    MAX_NODES, MAX_NODES);
		else if (lrc == RS_ECORRUPT && !err.has_fix) /* the document, not a node */
			rc = oci_fail(cmd,
			              "--from-json %s; give the file `raft info --json` wrote, "
			              "unchanged (run it again on the node directory)",
			              err.msg);
		else if (lrc != RS_OK)
			rc = oci_fail(cmd, "--from-json %s%s", err.msg,
			              np_err_fix(cmd, &err, NULL).s);
	}
	if (rc != 0)
		goto out;
	if (ns.n == 0) {
		rc = oci_usage(cmd, "the inputs hold no node to compare; give node directories "
		                    "(--state-dir) or raft info --json documents (--from-json)");
		goto out;
	}
	qsort(ns.v, ns.n, sizeof(*ns.v), cmp_name);
	/* sorted by name: a server ID given twice (the same node named twice, or
	 * two nodes that claim one ID) would make every finding ambiguous */
	for (size_t i = 1; i < ns.n; i++)
		if (strcmp(ns.v[i - 1].name, ns.v[i].name) == 0) {
			rc = oci_usage(
			    cmd, "node %s is given twice (%s and %s): give each server ID once",
			    ns.v[i].name, ns.v[i - 1].origin, ns.v[i].origin);
			goto out;
		}
	if (rs_compare(ns.v, ns.n, &r, &err) != RS_OK) {
		rc = oci_fail(cmd, "%s%s", err.msg, np_err_fix(cmd, &err, NULL).s);
		goto out;
	}
	if (v[F_JSON].b) {
		if (np_json_emit(np_compare_json(ns.v, ns.n, &r)) != 0)
			rc = oci_fail(cmd, "out of memory while writing the JSON document");
	} else {
		np_compare_text(ns.v, ns.n, &r);
	}
	if (rc == 0)
		rc = r.consistent ? OCI_EXIT_OK : OCI_EXIT_FAIL;
	rs_cmp_result_free(&r);
out:
	for (size_t i = 0; i < ns.n; i++)
		rs_cmp_node_free(&ns.v[i]);
	free(ns.v);
	return rc;
}

const struct oci_command oci_cmd_raft_compare = {
    .group = "raft",
    .name = "compare",
    .summary = "Compare nodes side by side: log agreement, the most up-to-date node, unsafe heads",
    .synopsis = "[--state-dir DIR]... [--from-json FILE]... [--json] [--timeout SECONDS]",
    .description =
        "Shows each node's CurrentTerm, vote, first and last index and term, snapshot\n"
        "index, configuration and op-conductor unsafe head, then what Raft makes of them:\n"
        "where the logs agree and where they diverge (log matching: the highest common\n"
        "(index, term), found by binary search over term starts, never by reading the\n"
        "logs), which voter is the most up to date (its last entry, the snapshot's when\n"
        "the log ends below it: last term, then last index) and so the one raft elects\n"
        "and `raft recover` starts from, whether a recovery is needed at all (and the\n"
        "--term to use), a nonvoter that holds more than every voter, unsafe heads at\n"
        "one height with different hashes (a reorg risk), and members that disagree.\n"
        "One node may be compared alone. Nodes come from\n"
        "--state-dir (a node or a cluster root) and from --from-json (documents that\n"
        "`raft info --json` wrote on each pod), both repeatable and mixable. Exit 0 when\n"
        "the nodes are consistent, 1 when they diverge, a node is invalid or holds a\n"
        "snapshot raft cannot use, or a nonvoter is ahead of every voter. Read-only.",
    .flags = compare_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_compare,
};
