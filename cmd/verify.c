/*
 * raft verify: check a node's Raft state read-only and say whether raft
 * (and so op-conductor) can start from it.
 *
 *   1. find the node directories (--state-dir is a node, or a cluster
 *      root whose subdirectories are nodes);
 *   2. rs_verify_node_full() per node: bolt structure of both files, the
 *      Raft invariants, the snapshots (raftstate/verify.c);
 *   3. print what was read, every problem, and one verdict line per node
 *      (plus one overall for a cluster root), or one JSON document;
 *   4. exit 0 when every node is valid (warnings allowed), 1 otherwise or
 *      when a node could not be read at all (locked, I/O error).
 * Nothing is ever written: the files are opened O_RDONLY and mapped
 * PROT_READ by bolt/view.c.
 */
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
#include "raftstate/node.h"
#include "raftstate/verify.h"

enum {
	F_STATE_DIR,
	F_JSON,
	F_TIMEOUT,
	F_LIVE,
	F_THREADS,
	F_COUNT,
};

static const struct flag_spec verify_flags[F_COUNT] = {
    [F_STATE_DIR] = NP_FLAG_STATE_DIR,
    [F_JSON] = NP_FLAG_JSON,
    [F_TIMEOUT] = NP_FLAG_LOCK_TIMEOUT,
    [F_LIVE] =
        {
            .name = "live",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Read without the lock, while op-conductor runs (consistent snapshot)",
        },
    [F_THREADS] =
        {
            .name = "threads",
            .kind = FLAG_STRING,
            .metavar = "N",
            .def = "auto",
            .help = "Threads that check the log; auto: the processors this process may run on, "
                    "at most 4, for a log of 64 MiB or more, else 1. The report is the same "
                    "for any number",
            .check = np_threads_check,
            .accepts = NP_THREADS_ACCEPTS,
        },
};

struct node_result {
	int ran; /* 0: could not be verified; err says why */
	struct rs_err err;
	struct rs_node *node;
	struct rs_problems probs;
};

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_problem(const struct rs_problem *p)
{
	printf("  %-7s ", p->severity == RS_PROBLEM ? "error" : "warning");
	if (p->file[0] != '\0')
		printf("%s: ", p->file);
	if (p->where[0] != '\0')
		printf("%s: ", p->where);
	printf("%s\n", p->reason);
}

/* The verdict line of one node. */
static void print_verdict(const struct node_result *r)
{
	const struct rs_problems *p = &r->probs;

	if (!r->ran)
		printf("UNVERIFIED: %s: %s\n", r->node->id, r->err.msg);
	else if (p->errors == 0 && p->warnings == 0)
		printf("VALID: %s\n", r->node->id);
	else if (p->errors == 0)
		printf("VALID: %s (%zu %s)\n", r->node->id, p->warnings,
		       plural(p->warnings, "warning", "warnings"));
	else if (p->warnings == 0)
		printf("INVALID: %s: %zu %s\n", r->node->id, p->errors,
		       plural(p->errors, "problem", "problems"));
	else
		printf("INVALID: %s: %zu %s, %zu %s\n", r->node->id, p->errors,
		       plural(p->errors, "problem", "problems"), p->warnings,
		       plural(p->warnings, "warning", "warnings"));
}

static void print_node(const struct node_result *r)
{
	const struct rs_node *n = r->node;

	printf("Verifying Raft state in: %s (node %s)\n\n", n->dir, n->id);
	if (r->ran) {
		printf("=== Stable Store (%s) ===\n", RS_STABLE_FILE);
		np_print_file(stdout, "  ", &n->stable_file);
		np_print_stable(stdout, "  ", n);
		printf("\n=== Log Store (%s) ===\n", RS_LOG_FILE);
		np_print_file(stdout, "  ", &n->log_file);
		np_print_log(stdout, "  entries: ", "none", n);
		np_print_types(stdout, "  ", "entries per type: ", "data bytes: ", n);
		printf("\n=== Configuration ===\n  source: ");
		np_print_config_source(stdout, n);
		printf("\n");
		if (n->config_source != RS_CONFIG_NONE)
			np_print_servers(stdout, "  ", &n->config);
		printf("\n=== Snapshots ===\n");
		np_print_snapshots(stdout, "  ", n, 1);
		printf("\n=== op-conductor ===\n");
		if (!n->head.fsm_data)
			printf("  No op-conductor payload in the log or the snapshot: judged by "
			       "raft's "
			       "rules only\n");
		np_print_head(stdout, n);
		printf("\n=== Problems ===\n");
		for (size_t i = 0; i < r->probs.n; i++)
			print_problem(&r->probs.v[i]);
		if (r->probs.dropped > 0)
			printf("  ... and %zu more not listed\n", r->probs.dropped);
		if (r->probs.n == 0 && r->probs.dropped == 0)
			printf("  (none)\n");
		printf("\n");
	}
	print_verdict(r);
}

static cJSON *json_node(const struct node_result *r)
{
	const struct rs_node *n = r->node;
	cJSON *o = cJSON_CreateObject(), *files;

	cJSON_AddStringToObject(o, "node", n->id);
	cJSON_AddStringToObject(o, "dir", n->dir);
	cJSON_AddBoolToObject(o, "valid", r->ran && r->probs.errors == 0);
	if (!r->ran) {
		cJSON_AddStringToObject(o, "error", r->err.msg);
		return o;
	}
	cJSON_AddNullToObject(o, "error");
	cJSON_AddItemToObject(o, "errors", np_json_u64(r->probs.errors));
	cJSON_AddItemToObject(o, "warnings", np_json_u64(r->probs.warnings));
	cJSON_AddItemToObject(o, "problems_not_listed", np_json_u64(r->probs.dropped));
	files = cJSON_AddObjectToObject(o, "files");
	cJSON_AddItemToObject(files, RS_LOG_FILE, np_json_file(&n->log_file));
	cJSON_AddItemToObject(files, RS_STABLE_FILE, np_json_file(&n->stable_file));
	cJSON_AddItemToObject(o, "stable", np_json_stable(n));
	cJSON_AddItemToObject(o, "log", np_json_log(n));
	cJSON_AddItemToObject(o, "configuration", np_json_config(n));
	cJSON_AddItemToObject(o, "snapshots", np_json_snapshots(n, 1));
	cJSON_AddBoolToObject(o, "op_conductor_data", n->head.fsm_data);
	cJSON_AddItemToObject(o, "unsafe_head", np_json_payload(&n->head.block));
	cJSON_AddItemToObject(o, "head_scan", np_json_head_scan(n));
	cJSON_AddItemToObject(o, "problems", np_json_problems(&r->probs));
	return o;
}

/* Verifies one node into r: r->ran when it could be read (its problems in
 * r->probs); otherwise the error is printed and r->node holds its ID. */
static void verify_one(const struct oci_command *cmd, const char *dir,
                       const struct rs_verify_opts *opts, struct node_result *r)
{
	if (rs_verify_node_full(dir, opts, r->node, &r->probs, &r->err) == RS_OK) {
		r->ran = 1;
		return;
	}
	/* rs_node_init may have failed before recording the ID */
	rs_node_free(r->node);
	if (rs_node_init(r->node, dir, NULL) != RS_OK)
		(void)snprintf(r->node->id, sizeof(r->node->id), "%s", dir);
	oci_fail(cmd, "cannot verify %s: %s%s", oci_path(dir).s, r->err.msg,
	         np_err_fix(cmd, &r->err, dir).s);
}

/* The --json document: the node's object, or a cluster root's with every
 * node's. */
static cJSON *json_doc(const struct node_result *res, const struct rs_nd_nodes *ns, const char *dir,
                       int valid)
{
	cJSON *doc, *nodes;

	if (!ns->cluster)
		return json_node(&res[0]);
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "dir", dir);
	cJSON_AddBoolToObject(doc, "valid", valid);
	nodes = cJSON_AddArrayToObject(doc, "nodes");
	for (size_t i = 0; i < ns->n; i++)
		cJSON_AddItemToArray(nodes, json_node(&res[i]));
	return doc;
}

/* A cluster root's last line: VALID, or INVALID naming each node at fault. */
static void print_cluster_verdict(const struct node_result *res, const struct rs_nd_nodes *ns,
                                  const char *dir, size_t bad)
{
	const char *sep = "";

	printf("\n");
	if (bad == 0) {
		printf("VALID: all %zu nodes in %s\n", ns->n, dir);
		return;
	}
	printf("INVALID: %zu of %zu nodes in %s (", bad, ns->n, dir);
	for (size_t i = 0; i < ns->n; i++) {
		if (res[i].ran && res[i].probs.errors == 0)
			continue;
		printf("%s%s%s", sep, res[i].node->id, res[i].ran ? "" : " unverified");
		sep = ", ";
	}
	printf(")\n");
}

static int run_verify(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	struct rs_verify_opts opts = {
	    .lock_timeout = np_timeout_value(v[F_TIMEOUT].str),
	    .live = v[F_LIVE].b,
	    .op_conductor = 1,
	    .nil_head = 1,
	    .threads = np_threads_value(v[F_THREADS].str),
	};
	struct node_result *res = NULL;
	struct rs_nd_nodes ns;
	char what[128];
	size_t i, invalid = 0, unverified = 0;
	int rc, json = v[F_JSON].b;

	flags_what(&cmd->flags[F_STATE_DIR], &v[F_STATE_DIR], what, sizeof(what));
	if ((rc = np_find_nodes(cmd, v[F_STATE_DIR].str, what, &ns)) != 0)
		return rc;
	res = calloc(ns.n, sizeof(*res));
	for (i = 0; res != NULL && i < ns.n; i++)
		if ((res[i].node = calloc(1, sizeof(*res[i].node))) == NULL)
			break;
	if (res == NULL || i < ns.n) {
		rc = oci_fail(cmd, "out of memory");
		goto done;
	}

	for (i = 0; i < ns.n; i++) {
		struct node_result *r = &res[i];

		verify_one(cmd, ns.dirs[i], &opts, r);
		unverified += !r->ran;
		invalid += r->ran && r->probs.errors > 0;
		if (!json) {
			if (i > 0)
				printf("\n");
			print_node(r);
		}
	}

	if (json) {
		if (np_json_emit(json_doc(res, &ns, v[F_STATE_DIR].str,
		                          invalid == 0 && unverified == 0)) != 0) {
			rc = oci_fail(cmd, "out of memory while writing the JSON document");
			goto done;
		}
	} else if (ns.cluster) {
		print_cluster_verdict(res, &ns, v[F_STATE_DIR].str, invalid + unverified);
	}
	rc = invalid == 0 && unverified == 0 ? OCI_EXIT_OK : OCI_EXIT_FAIL;
done:
	for (i = 0; res != NULL && i < ns.n; i++) {
		if (res[i].node != NULL)
			rs_node_free(res[i].node);
		free(res[i].node);
		rs_problems_free(&res[i].probs);
	}
	free(res);
	rs_nd_nodes_free(&ns);
	return rc;
}

const struct oci_command oci_cmd_raft_verify = {
    .group = "raft",
    .name = "verify",
    .summary = "Check a node's Raft state read-only (bolt structure and Raft invariants)",
    .synopsis = "--state-dir DIR [--json] [--timeout SECONDS] [--live]",
    .description =
        "Checks raft-log.db and raft-stable.db page by page (both meta pages, page ids,\n"
        "cycles, key order, overflow, freelist) and the invariants raft relies on when it\n"
        "starts (contiguous indices, decodable entries, terms, vote, a configuration in\n"
        "the log or in a snapshot, snapshot CRCs). Prints what it read, every problem,\n"
        "and one verdict line; exits 0 when the state is valid, 1 when it is not or\n"
        "could not be read. DIR may also be a directory of node directories: each node\n"
        "is verified, with an overall verdict.\n"
        "\n"
        "Never writes. A shared lock is taken on each file; when op-conductor holds the\n"
        "files, it fails after --timeout seconds unless --live is given.",
    .flags = verify_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_verify,
};
