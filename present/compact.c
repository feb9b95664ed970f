/*
 * raft compact shown: the plan (the files, what --trailing removes), what
 * was done, and the --json document, or the one a failure gives
 * (docs/json.md). The compaction is raftstate/compact.c's.
 */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "present/compact.h"
#include "present/jsonout.h"

static const char *const file_names[2] = {"raft-log.db", "raft-stable.db"};

void np_compact_plan_text(const struct rs_compact_plan *p, const struct rs_compact_opts *o)
{
	printf("Node %s (%s): verified.\n", p->old.id, p->node_dir);
	for (int i = 0; i < 2; i++) {
		const struct rs_compact_file *f = &p->file[i];

		printf("  %-15s %llu bytes, %llu pages of %u bytes, %llu free\n", file_names[i],
		       (unsigned long long)f->size, (unsigned long long)f->pages, f->page_size,
		       (unsigned long long)f->free_pages);
	}
	if (!o->trailing_set)
		return;
	if (p->del_count == 0)
		printf("--trailing %llu: no entry to remove: %s.\n",
		       (unsigned long long)o->trailing, p->keep_why);
	else if (p->del_count == p->old.count)
		printf("--trailing %llu: remove entries %llu..%llu (%llu entries, %llu bytes of "
		       "keys and values), all of them: the log is left empty and raft starts "
		       "from the newest snapshot (index %llu).\n",
		       (unsigned long long)o->trailing, (unsigned long long)p->del_from,
		       (unsigned long long)p->del_to, (unsigned long long)p->del_count,
		       (unsigned long long)p->del_bytes, (unsigned long long)p->snap_index);
	else
		printf("--trailing %llu: remove entries %llu..%llu (%llu entries, %llu bytes of "
		       "keys and values); keep %llu..%llu (newest snapshot index %llu).\n",
		       (unsigned long long)o->trailing, (unsigned long long)p->del_from,
		       (unsigned long long)p->del_to, (unsigned long long)p->del_count,
		       (unsigned long long)p->del_bytes, (unsigned long long)p->del_to + 1,
		       (unsigned long long)p->old.last_index, (unsigned long long)p->snap_index);
}

cJSON *np_compact_json(const struct rs_compact_plan *p, const struct rs_compact_opts *o,
                       int dry_run)
{
	cJSON *j = cJSON_CreateObject(), *files = cJSON_CreateArray(), *t;

	cJSON_AddStringToObject(j, "node_dir", p->node_dir);
	cJSON_AddNullToObject(j, "error");
	cJSON_AddStringToObject(j, "server_id", p->old.id);
	cJSON_AddBoolToObject(j, "dry_run", dry_run);
	for (int i = 0; i < 2; i++) {
		const struct rs_compact_file *f = &p->file[i];
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "name", file_names[i]);
		cJSON_AddItemToObject(e, "size_before", np_json_u64(f->size));
		cJSON_AddItemToObject(e, "pages_before", np_json_u64(f->pages));
		cJSON_AddItemToObject(e, "free_pages_before", np_json_u64(f->free_pages));
		cJSON_AddItemToObject(e, "page_size", np_json_u64(f->page_size));
		cJSON_AddItemToObject(e, dry_run ? "size_after_estimate" : "size_after",
		                      np_json_u64(f->new_size));
		cJSON_AddItemToArray(files, e);
	}
	cJSON_AddItemToObject(j, "files", files);
	if (!o->trailing_set) {
		cJSON_AddNullToObject(j, "trailing");
	} else {
		t = cJSON_AddObjectToObject(j, "trailing");
		cJSON_AddItemToObject(t, "trailing", np_json_u64(o->trailing));
		if (p->has_snap)
			cJSON_AddItemToObject(t, "snapshot_index", np_json_u64(p->snap_index));
		else
			cJSON_AddNullToObject(t, "snapshot_index");
		cJSON_AddItemToObject(t, "removed_entries", np_json_u64(p->del_count));
		cJSON_AddItemToObject(t, "removed_bytes", np_json_u64(p->del_bytes));
		if (p->del_count > 0) {
			cJSON_AddItemToObject(t, "removed_from", np_json_u64(p->del_from));
			cJSON_AddItemToObject(t, "removed_to", np_json_u64(p->del_to));
			cJSON_AddNullToObject(t, "nothing_removed_because");
		} else {
			cJSON_AddNullToObject(t, "removed_from");
			cJSON_AddNullToObject(t, "removed_to");
			cJSON_AddStringToObject(t, "nothing_removed_because", p->keep_why);
		}
	}
	if (p->kept[0] != '\0')
		cJSON_AddStringToObject(j, "kept", p->kept);
	else
		cJSON_AddNullToObject(j, "kept");
	return j;
}

/* With --json a failure is a document too: node_dir and error. */
void np_compact_json_failure(const char *dir, const char *msg)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "node_dir", dir);
	cJSON_AddStringToObject(j, "error", msg);
	(void)np_json_emit(j);
}

void np_compact_done(const struct rs_compact_plan *plan)
{
	printf("Compacted %s:\n", plan->node_dir);
	for (int i = 0; i < 2; i++)
		printf("  %-15s %llu -> %llu bytes\n", file_names[i],
		       (unsigned long long)plan->file[i].size,
		       (unsigned long long)plan->file[i].new_size);
	if (plan->del_count > 0)
		printf("Removed entries %llu..%llu (%llu).\n", (unsigned long long)plan->del_from,
		       (unsigned long long)plan->del_to, (unsigned long long)plan->del_count);
	printf("The new files check clean, hold the same content%s, and the node verifies.\n",
	       plan->del_count > 0 ? " but for the removed entries" : "");
	printf("The previous state was kept in: %s\n", plan->kept);
}
