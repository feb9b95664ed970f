/*
 * raft compact shown (present/compact.c).
 */
#ifndef PRESENT_COMPACT_H
#define PRESENT_COMPACT_H

#include <cjson/cJSON.h>

#include "raftstate/compact.h"

/* The node verified, its two files, what --trailing removes and keeps. */
void np_compact_plan_text(const struct rs_compact_plan *p, const struct rs_compact_opts *o);
/* The sizes before and after, the removed entries, where the old state is. */
void np_compact_done(const struct rs_compact_plan *plan);
/* The document of a plan (DRY_RUN) or of a compaction done. */
cJSON *np_compact_json(const struct rs_compact_plan *p, const struct rs_compact_opts *o,
                       int dry_run);
/* With --json a failure is a document too: node_dir and error, on stdout. */
void np_compact_json_failure(const char *dir, const char *msg);

#endif
