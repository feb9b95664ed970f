/*
 * bootstrap cluster's preflight shown: the problems of the node's state as
 * detail lines, and its --json verdict on stderr (stdout is op-conductor's
 * after the exec). The preflight is raftstate/preflight.c's.
 */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "present/bootstrap.h"
#include "present/jsonout.h"
#include "present/nodejson.h"
#include "present/report.h"

static void print_problem(const struct rs_problem *p)
{
	int err = p->severity == RS_PROBLEM;

	oci_detail(err ? OCI_LVL_ERROR : OCI_LVL_WARN, "  %s%s%s%s%s: %s",
	           err ? "error" : "warning", p->file[0] != '\0' ? ": " : "",
	           p->file[0] != '\0' ? oci_path(p->file).s : "", p->where[0] != '\0' ? ": " : "",
	           p->where, p->reason);
}

void np_preflight_problems(const struct rs_problems *probs, int level)
{
	size_t i;

	for (i = 0; i < probs->n; i++)
		print_problem(&probs->v[i]);
	if (probs->dropped > 0)
		oci_detail(level, "  ... and %zu more", probs->dropped);
}

/* --json: the verdict as one document on stderr (stdout is op-conductor's
 * after the exec), before the exec or the refusal. */
void np_preflight_json(const struct rs_preflight_plan *p, int rc)
{
	cJSON *doc = cJSON_CreateObject();
	const char *note = rs_pf_note_name(p->note);
	char *s;

	if (p->node_dir[0] != '\0')
		cJSON_AddStringToObject(doc, "node_dir", p->node_dir);
	else
		cJSON_AddNullToObject(doc, "node_dir");
	cJSON_AddStringToObject(doc, "state", rs_pf_state_name(p->state));
	cJSON_AddBoolToObject(doc, "raft_bootstrap", p->bootstrap);
	cJSON_AddStringToObject(doc, "verdict", rc == 0 ? "start" : "refused");
	cJSON_AddItemToObject(doc, "errors", np_json_u64(p->problems.errors));
	cJSON_AddItemToObject(doc, "warnings", np_json_u64(p->problems.warnings));
	if (p->verified)
		cJSON_AddItemToObject(doc, "problems", np_json_problems(&p->problems));
	else
		cJSON_AddNullToObject(doc, "problems");
	if (note != NULL)
		cJSON_AddStringToObject(doc, "note", note);
	else
		cJSON_AddNullToObject(doc, "note");
	if ((s = np_json_render(doc)) != NULL) {
		fputs(s, stderr);
		fputc('\n', stderr);
		free(s);
	}
}
