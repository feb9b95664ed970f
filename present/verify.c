/*
 * raft verify's result shown: a node as text (what was read, every problem,
 * the verdict line), a cluster root's overall verdict, and the --json
 * document (docs/json.md). The checks are raftstate/verify.c's.
 */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "present/jsonout.h"
#include "present/nodejson.h"
#include "present/nodetext.h"
#include "present/verify.h"
#include "raftstate/nodedir.h"

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
static void print_verdict(const struct np_verify_result *r)
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

void np_verify_text(const struct np_verify_result *r)
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

static cJSON *json_node(const struct np_verify_result *r)
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

/* The --json document: the node's object, or a cluster root's with every
 * node's. */
cJSON *np_verify_json(const struct np_verify_result *res, const struct rs_nd_nodes *ns,
                      const char *dir, int valid)
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
void np_verify_cluster_text(const struct np_verify_result *res, const struct rs_nd_nodes *ns,
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
