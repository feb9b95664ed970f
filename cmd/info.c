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
#include "present/nodejson.h"
#include "present/nodetext.h"
#include "present/report.h"
#include "raftstate/config.h"
#include "raftstate/node.h"
#include "raftstate/payload.h"
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

static const char *role_text(const struct rs_node *n)
{
	const struct rs_server *me = np_self_member(n);

	if (n->config_source == RS_CONFIG_NONE)
		return "membership unknown (no configuration found)";
	if (me == NULL)
		return "not a member of the configuration";
	switch (me->suffrage) {
	case RS_VOTER:
		return "Voter";
	case RS_NONVOTER:
		return "Nonvoter (does not vote)";
	case RS_STAGING:
		return "Staging (does not vote yet)";
	default:
		return "member with an unknown suffrage";
	}
}

/* ---- entries --------------------------------------------------------- */

struct entries_ctx {
	cJSON *json; /* array, or NULL for text */
	uint64_t n;
};

static int print_entry(void *ctx, const struct rs_log *log, const struct rs_config *cfg)
{
	struct entries_ctx *c = ctx;
	char type[32], when[64], hex[67], why[240];
	struct rs_block b = {0};
	int form = log->type == RS_LOG_COMMAND
	               ? rs_payload_decode(log->data, log->data_len, &b, why, sizeof(why))
	               : RS_PAYLOAD_NONE;

	c->n++;
	np_type_name(log->type, type, sizeof(type));
	if (log->appended_at_present)
		np_time(&log->appended_at, when, sizeof(when));
	else
		(void)snprintf(when, sizeof(when), "-");
	if (c->json != NULL) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToObject(o, "index", np_json_u64(log->index));
		cJSON_AddItemToObject(o, "term", np_json_u64(log->term));
		cJSON_AddStringToObject(o, "type", type);
		cJSON_AddItemToObject(o, "data_size", np_json_u64(log->data_len));
		if (log->appended_at_present)
			cJSON_AddStringToObject(o, "appended_at", when);
		else
			cJSON_AddNullToObject(o, "appended_at");
		if (cfg != NULL)
			cJSON_AddItemToObject(o, "configuration", np_json_servers(cfg));
		if (log->type == RS_LOG_COMMAND) {
			b.source = RS_BLOCK_LOG;
			b.entry_index = log->index;
			cJSON_AddItemToObject(o, "payload", np_json_payload(&b));
			if (form == RS_PAYLOAD_NONE)
				cJSON_AddStringToObject(o, "not_payload", why);
		}
		cJSON_AddItemToArray(c->json, o);
		return 0;
	}
	printf("  %10" PRIu64 "  %6" PRIu64 "  %-16s  %9zu  %s", log->index, log->term, type,
	       log->data_len, when);
	if (form != RS_PAYLOAD_NONE)
		printf("  block %" PRIu64 " %.12s%s", b.number,
		       np_hash_hex(b.hash, hex, sizeof(hex)),
		       form == RS_PAYLOAD_LEGACY ? " (legacy form)" : "");
	else if (log->type == RS_LOG_COMMAND)
		printf("  not a payload");
	printf("\n");
	if (cfg != NULL)
		np_print_servers(stdout, "              ", cfg);
	else if (log->type == RS_LOG_CONFIGURATION)
		printf("              (the configuration does not decode; run verify)\n");
	return 0;
}

/* ---- one node -------------------------------------------------------- */

static void print_node(const struct rs_node *n)
{
	char vote[700];

	printf("Node %s (%s): %s\n", n->id, n->dir, role_text(n));
	if (n->has_current_term)
		printf("  CurrentTerm:   %" PRIu64 "\n", n->current_term);
	else
		printf("  CurrentTerm:   not set (raft starts at 0)\n");
	if (n->has_last_vote_term || n->has_last_vote_cand) {
		printf("  Vote:          ");
		if (n->has_last_vote_term)
			printf("term %" PRIu64, n->last_vote_term);
		else
			printf("term not set");
		if (n->has_last_vote_cand)
			printf(" for %s\n", np_vote_text(n, vote, sizeof(vote)));
		else
			printf(", no candidate recorded\n");
	} else {
		printf("  Vote:          none recorded\n");
	}
	np_print_log(stdout, "  Log:           ", "empty", n);
	np_print_types(stdout, "  ", "Entry types:   ", "Data bytes:    ", n);
	printf("  Configuration: ");
	np_print_config_source(stdout, n);
	printf("\n");
	if (n->config_source != RS_CONFIG_NONE)
		np_print_servers(stdout, "    ", &n->config);
	printf("  Snapshots:\n");
	np_print_snapshots(stdout, "    ", n, 0);
	np_print_head(stdout, n);
}

/* Summarizes (and lists) one node; returns 0 or OCI_EXIT_FAIL. With json,
 * appends its object to `nodes` (or sets *single). */
static int info_node(const struct oci_command *cmd, const char *dir,
                     const struct rs_summary_opts *opts, const char *entries, int json, cJSON **out)
{
	struct rs_node *n = calloc(1, sizeof(*n));
	struct rs_err err = {0};
	int rc = 0;

	*out = NULL;
	if (n == NULL)
		return oci_fail(cmd, "out of memory");
	rc = rs_node_summarize(dir, opts, n, &err);
	if (rc != RS_OK && n->partial) {
		/* one file is missing: what the other holds, then the error */
		rc = oci_fail(cmd, "cannot read %s: %s%s", oci_path(dir).s, err.msg,
		              np_err_fix(cmd, &err, dir).s);
		if (json) {
			*out = np_info_json_node(n, NULL);
			cJSON_ReplaceItemInObjectCaseSensitive(*out, "error",
			                                       cJSON_CreateString(err.msg));
		} else {
			print_node(n);
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
		print_node(n);
	if (entries != NULL) {
		uint64_t limit = strcmp(entries, "all") == 0 ? 0 : strtoull(entries, NULL, 10);
		struct entries_ctx ec = {0};

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
		if (rs_node_entries(dir, opts, limit, print_entry, &ec, &err) != RS_OK) {
			rc = oci_fail(cmd, "cannot list the entries of %s: %s%s", oci_path(dir).s,
			              err.msg, np_err_fix(cmd, &err, dir).s);
			if (json)
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
		if (info_node(cmd, ns.dirs[i], &opts, v[F_ENTRIES].str, json, &one) != 0)
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
