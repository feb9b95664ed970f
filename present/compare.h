/*
 * raft compare's result shown: as text (the table and the findings, on
 * stdout) and as the document of docs/json.md. V holds the N nodes R was
 * computed from, in the same order.
 */
#ifndef PRESENT_COMPARE_H
#define PRESENT_COMPARE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "raftstate/compare.h"

void np_compare_text(const struct rs_cmp_node *v, size_t n, const struct rs_cmp_result *r);
/* The document, for np_json_emit (which takes it over). */
cJSON *np_compare_json(const struct rs_cmp_node *v, size_t n, const struct rs_cmp_result *r);

#endif
