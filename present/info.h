/*
 * raft info shown (present/info.c).
 */
#ifndef PRESENT_INFO_H
#define PRESENT_INFO_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "raftstate/config.h"
#include "raftstate/log.h"
#include "raftstate/node.h"

/* The node's screen on stdout. */
void np_info_text(const struct rs_node *n);

/* The listed entries, for rs_node_entries: np_info_entry(ctx, ...) prints
 * each as a line on stdout, or appends it to ctx->json when that is set. */
struct np_info_entries {
	cJSON *json; /* array, or NULL for text */
	uint64_t n;  /* entries seen */
};
int np_info_entry(void *ctx, const struct rs_log *log, const struct rs_config *cfg);

#endif
