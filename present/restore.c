/*
 * raft restore shown: what the check of a backup found, what a restore
 * would do (--dry-run), what it did, and the --json document
 * (docs/json.md). The restore itself is raftstate/restore.c's.
 */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "present/jsonout.h"
#include "present/restore.h"
#include "raftstate/backup.h"

/* The node a plan entry restores, for the text. */
static const char *node_name(const struct rs_restore_plan *plan, const struct rs_restore_node *n)
{
	if (n->id[0] != '\0')
		return n->id;
	return plan->from_id[0] != '\0' ? plan->from_id : "the node";
}

/* --json (docs/json.md): where each node went (or would go), and where the
 * replaced state is kept. */
cJSON *np_restore_json(const struct rs_restore_plan *plan, const char *kept, int dry_run)
{
	cJSON *doc = cJSON_CreateObject(), *nodes;

	cJSON_AddStringToObject(doc, "backup", plan->backup);
	if (plan->state_dir[0] != '\0')
		cJSON_AddStringToObject(doc, "state_dir", plan->state_dir);
	else
		cJSON_AddNullToObject(doc, "state_dir");
	cJSON_AddStringToObject(doc, "backup_layout",
	                        plan->backup_layout == RS_LAYOUT_NODE ? "node" : "cluster");
	cJSON_AddBoolToObject(doc, "dry_run", dry_run);
	cJSON_AddBoolToObject(doc, "has_manifest", plan->has_manifest);
	cJSON_AddItemToObject(doc, "files_checked", np_json_u64(plan->nchecked));
	cJSON_AddItemToObject(doc, "files_compressed", np_json_u64(plan->ncompressed));
	/* a restore verifies every staged node before it replaces anything */
	cJSON_AddBoolToObject(doc, "verified", plan->verified || !dry_run);
	cJSON_AddBoolToObject(doc, "into_other_node", plan->other_node);
	nodes = cJSON_AddArrayToObject(doc, "nodes");
	for (size_t i = 0; i < plan->nnodes; i++) {
		const struct rs_restore_node *n = &plan->nodes[i];
		cJSON *o = cJSON_CreateObject();
		const char *act = n->target_exists       ? "replace"
		                  : n->target_dir_exists ? "fill"
		                                         : "create";

		cJSON_AddStringToObject(o, "id", node_name(plan, n));
		if (n->target[0] != '\0') {
			cJSON_AddStringToObject(o, "target", n->target);
			cJSON_AddStringToObject(o, "action", act);
		} else {
			cJSON_AddNullToObject(o, "target");
			cJSON_AddNullToObject(o, "action");
		}
		cJSON_AddBoolToObject(o, "restored", n->restored);
		cJSON_AddBoolToObject(o, "in_place", n->in_place);
		if (n->kept[0] != '\0')
			cJSON_AddStringToObject(o, "kept", n->kept);
		else
			cJSON_AddNullToObject(o, "kept");
		cJSON_AddItemToArray(nodes, o);
	}
	if (kept[0] != '\0')
		cJSON_AddStringToObject(doc, "kept", kept);
	else
		cJSON_AddNullToObject(doc, "kept");
	if (plan->salvaged > 0)
		cJSON_AddStringToObject(doc, "interrupted_stages_kept_in", plan->salvaged_to);
	else
		cJSON_AddNullToObject(doc, "interrupted_stages_kept_in");
	return doc;
}

void np_restore_dry_text(const struct rs_restore_plan *plan, int force, FILE *out)
{
	if (plan->state_dir[0] == '\0') {
		fprintf(out, "Backup %s is sound: %zu node%s (", plan->backup, plan->nnodes,
		        plan->nnodes == 1 ? "" : "s");
		for (size_t i = 0; i < plan->nnodes; i++)
			fprintf(out, "%s%s", i ? ", " : "", node_name(plan, &plan->nodes[i]));
		fprintf(out, "), %s backup. Dry run: nothing was changed.\n",
		        plan->backup_layout == RS_LAYOUT_NODE ? "a node" : "a cluster");
		return;
	}
	fprintf(out, "Dry run: a restore into %s would:\n", plan->state_dir);
	for (size_t i = 0; i < plan->nnodes; i++) {
		const struct rs_restore_node *n = &plan->nodes[i];

		fprintf(out, "  %s %s with node %s's state%s\n",
		        n->target_exists       ? "replace"
		        : n->target_dir_exists ? "fill"
		                               : "create",
		        n->target, node_name(plan, n),
		        n->target_exists ? " (the current state kept aside)" : "");
	}
	if (plan->other_node)
		fprintf(out, "Note: %s is named for another node than %s (--into-other-node).\n",
		        plan->state_dir, plan->from_id);
	if (plan->nexisting > 0 && !force)
		fprintf(out, "Replacing existing state needs --force (or y on a terminal).\n");
	fprintf(out, "Nothing was changed.\n");
}

/* What rs_restore_plan (or, deferred, the staging) found of the backup. */
void np_restore_checked(const struct rs_restore_plan *plan, FILE *out)
{
	if (!plan->has_manifest)
		fprintf(out,
		        "Note: %s has no %s (a backup made by the Go tool?): no checksums were "
		        "available; its files were verified instead.\n",
		        plan->backup, RS_BACKUP_MANIFEST);
	else if (plan->verified)
		fprintf(out,
		        "Backup %s: %zu files match their size and crc32; every node verifies.\n",
		        plan->backup, plan->nchecked);
	else
		fprintf(out,
		        "Backup %s: %zu files match their size and crc32 (%zu gzip-compressed, "
		        "checked by inflating them); the nodes are verified on their inflated "
		        "staged copies before anything is replaced.\n",
		        plan->backup, plan->nchecked, plan->ncompressed);
}

/* What a restore did: the nodes, where the replaced state went, and the
 * stages of an interrupted run it kept. */
void np_restore_done(const struct rs_restore_plan *plan, const char *kept, FILE *out)
{
	if (plan->deferred) /* checked on the staged copies */
		np_restore_checked(plan, out);
	if (!plan->verified)
		fprintf(out, "Verified: every staged node (inflated from the backup) is valid.\n");
	fprintf(out, "Restored %zu node%s into %s:\n", plan->nnodes, plan->nnodes == 1 ? "" : "s",
	        plan->state_dir);
	for (size_t i = 0; i < plan->nnodes; i++) {
		const struct rs_restore_node *n = &plan->nodes[i];

		fprintf(out, "  %s%s\n", n->target, n->target_exists ? "   (replaced)" : "");
		if (n->in_place)
			fprintf(out, "    files put in one by one (%s)%s%s\n", n->in_place_why,
			        n->kept[0] != '\0' ? "; the old files are in " : "", n->kept);
	}
	if (kept[0] != '\0')
		fprintf(out, "The replaced state was kept in: %s\n", kept);
	if (plan->salvaged > 0)
		fprintf(out,
		        "Note: %zu stage%s left by an interrupted run (holding files the state "
		        "does not have) kept in: %s\n",
		        plan->salvaged, plan->salvaged == 1 ? "" : "s", plan->salvaged_to);
}
