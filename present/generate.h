/*
 * raft generate shown (present/generate.c).
 */
#ifndef PRESENT_GENERATE_H
#define PRESENT_GENERATE_H

#include <stdint.h>

#include "raftstate/cluster.h"
#include "raftstate/generate.h"

/* The nodes written (MS, the plan's written[]), at TERM on NETWORK (or
 * NULL), cluster.json, the next steps, where the replaced state went. */
void np_generate_done(const struct rs_generate_plan *p, const struct rs_members *ms, uint64_t term,
                      const char *network);

#endif
