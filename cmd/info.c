/*
 * raft info: one screen for an operator about a node's Raft state: who it
 * is and whether it votes, the term and the vote, how far the log goes,
 * the configuration raft would start with and where it comes from, the
 * snapshots, and the newest op-conductor block in the log.
 *
 * Fast on multi-GB logs: rs_node_summarize() reads the stable keys, the
 * first and last entries, and walks back from the newest entry only to the
 * newest configuration entry or snapshot (--full counts every entry).
 * Listing entries (--entries N|all) is opt-in. Read-only, like verify.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "present/flags.h"
#include "present/jsonout.h"
#include "present/nodeflags.h"
#include "present/info.h"
#include "present/nodejson.h"
#include "present/report.h"
#include "raftstate/node.h"
#include "raftstate/summary.h"

enum {
	F_STATE_DIR,
	F_JSON,
	F_ENTRIES,
	F_TIMEOUT,
	F_LIVE,
	F_FULL,
	F_COUNT,
};

static int entries_check(const char *s)
{
	if (strcmp(s, "all") == 0)
		return 0;
	if (*s == '\0' || strlen(s) > 19 || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return -1;
	return 0;
}

static const struct flag_spec info_flags[F_COUNT] = {
    [F_STATE_DIR] = NP_FLAG_STATE_DIR,
    [F_JSON] = NP_FLAG_JSON,
    [F_ENTRIES] =
        {
            .name = "entries",
            .kind = FLAG_STRING,
            .metavar = "N|all",
            .help = "Also list the newest N log entries (or all of them), oldest first",
            .check = entries_check,
            .accepts = "a number of entries or \"all\"",
        },
    [F_TIMEOUT] = NP_FLAG_LOCK_TIMEOUT,
    [F_LIVE] =
        {
            .name = "live",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Read without the lock, while op-conductor runs (consistent snapshot)",
        },
    [F_FULL] =
        {
            .name = "full",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Count entry types over the whole log (reads every entry)",
        },
};

/* Summarizes (and lists) one node; returns 0 or OCI_EXIT_FAIL. With json,
 * appends its object to `nodes` (or sets *single). */
/* info_node's return when it ran out of memory: said on stderr, and the
 * command stops there, with no document (a node left out of it, or read in
 * part, would read as a fact about the node) */
#define INFO_STOP (-1)

static int info_node(const struct oci_command *cmd, const char *dir,
                     const struct rs_summary_opts *opts, const char *entries, int json, cJSON **out)
{
	struct rs_node *n = calloc(1, sizeof(*n));
	struct rs_err err = {0};
	int rc = 0;

	*out = NULL;
	if (n == NULL) {
		(void)oci_fail(cmd, "out of memory");
		return INFO_STOP;
	}
	rc = rs_node_summarize(dir, opts, n, &err);
	if (rc == RS_ENOMEM) {
		/* no fact about the node: the command stops (INFO_STOP) */
		(void)oci_fail(cmd, "cannot read %s: %s%s", oci_path(dir).s, err.msg,
		               np_err_fix(cmd, &err, dir).s);
		rc = INFO_STOP;
		goto done;
	}
	if (rc != RS_OK && n->partial) {
		/* one file is missing: what the other holds, then the error */
		rc = oci_fail(cmd, "cannot read %s: %s%s", oci_path(dir).s, err.msg,
		              np_err_fix(cmd, &err, dir).s);
		if (json) {
			*out = np_info_json_node(n, NULL);
			cJSON_ReplaceItemInObjectCaseSensitive(*out, "error",
			                                       cJSON_CreateString(err.msg));
		} else {
			np_info_text(n);
			printf("  Error:         %s\n", err.msg);
		}
		goto done;
	} else if (rc != RS_OK) {
		rc = oci_fail(cmd, "cannot read %s: %s%s", oci_path(dir).s, err.msg,
		              np_err_fix(cmd, &err, dir).s);
		rs_node_free(n);
		if (rs_node_init(n, dir, NULL) != RS_OK)
			(void)snprintf(n->id, sizeof(n->id), "%s", dir);
		if (json)
			*out = np_info_json_node(n, err.msg);
		else
			printf("Node %s (%s): cannot be read: %s\n", n->id, dir, err.msg);
		goto done;
	}
	if (json)
		*out = np_info_json_node(n, NULL);
	else
		np_info_text(n);
	if (entries != NULL) {
		uint64_t limit = strcmp(entries, "all") == 0 ? 0 : strtoull(entries, NULL, 10);
		struct np_info_entries ec = {0};

		if (strcmp(entries, "0") == 0)
			goto done;
		if (json)
			ec.json = cJSON_AddArrayToObject(*out, "entries");
		else if (limit == 0)
			printf("  Entries (all, oldest first):\n");
		else
			printf("  Entries (newest %" PRIu64 ", oldest first):\n", limit);
		if (!json)
			printf("  %10s  %6s  %-16s  %9s  %s\n", "INDEX", "TERM", "TYPE", "DATA",
			       "APPENDED-AT");
		if (rs_node_entries(dir, opts, limit, np_info_entry, &ec, &err) != RS_OK) {
			rc = oci_fail(cmd, "cannot list the entries of %s: %s%s", oci_path(dir).s,
			              err.msg, np_err_fix(cmd, &err, dir).s);
			if (err.code == RS_ENOMEM)
				rc = INFO_STOP;
			else if (json)
				cJSON_AddStringToObject(*out, "entries_error", err.msg);
		} else if (!json && ec.n == 0) {
			printf("  (none)\n");
		}
	}
done:
	rs_node_free(n);
	free(n);
	return rc;
}

static int run_info(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	struct rs_summary_opts opts = {
	    .lock_timeout = np_timeout_value(v[F_TIMEOUT].str),
	    .live = v[F_LIVE].b,
	    .full = v[F_FULL].b,
	};
	struct rs_nd_nodes ns;
	cJSON *doc = NULL, *nodes = NULL;
	char what[128];
	int rc, json = v[F_JSON].b, failed = 0;

	flags_what(&cmd->flags[F_STATE_DIR], &v[F_STATE_DIR], what, sizeof(what));
	if ((rc = np_find_nodes(cmd, v[F_STATE_DIR].str, what, &ns)) != 0)
		return rc;
	if (json && ns.cluster) {
		doc = cJSON_CreateObject();
		cJSON_AddStringToObject(doc, "dir", v[F_STATE_DIR].str);
		nodes = cJSON_AddArrayToObject(doc, "nodes");
	}
	for (size_t i = 0; i < ns.n; i++) {
		cJSON *one = NULL;

		if (!json && i > 0)
			printf("\n");
		rc = info_node(cmd, ns.dirs[i], &opts, v[F_ENTRIES].str, json, &one);
		if (rc == INFO_STOP) {
			cJSON_Delete(one);
			cJSON_Delete(doc);
			rs_nd_nodes_free(&ns);
			return OCI_EXIT_FAIL;
		}
		if (rc != 0)
			failed = 1;
		if (json && ns.cluster)
			cJSON_AddItemToArray(nodes, one);
		else if (json)
			doc = one;
	}
	if (json && np_json_emit(doc) != 0)
		failed = oci_fail(cmd, "out of memory while writing the JSON document");
	rs_nd_nodes_free(&ns);
	return failed ? OCI_EXIT_FAIL : OCI_EXIT_OK;
}

const struct oci_command oci_cmd_raft_info = {
    .group = "raft",
    .name = "info",
    .summary = "Summarize a node's Raft state: term, vote, log, configuration, snapshots",
    .synopsis = "--state-dir DIR [--json] [--entries N|all] [--timeout SECONDS] [--live] [--full]",
    .description =
        "Shows this node's ID and whether it votes, CurrentTerm, the vote (resolved to a\n"
        "member), the log's first and last index, entries per type, the configuration raft\n"
        "would start with and where it comes from (log index or snapshot), the snapshots,\n"
        "and the newest op-conductor block found in the log. Reads only what it needs of\n"
        "a large log (entry types are counted back to the newest configuration or\n"
        "snapshot; --full counts all). --entries lists entries with their append time.\n"
        "DIR may also be a directory of node directories. Never writes; --timeout and\n"
        "--live as for verify.",
    .flags = info_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_info,
};
