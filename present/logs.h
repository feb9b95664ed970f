/*
 * raft logs shown (present/logs.c).
 */
#ifndef PRESENT_LOGS_H
#define PRESENT_LOGS_H

#include <stddef.h>

#include "raftstate/log.h"
#include "raftstate/logread.h"
#include "raftstate/payload.h"

/* What np_logs_entry needs between lines. */
struct np_logs_out {
	int json;  /* --payload json: the envelope too */
	char *buf; /* the envelope's JSON, reused; free() after the read */
	size_t cap;
	int failed; /* stdout failed (a closed pipe) */
};
/* One entry as an NDJSON line on stdout, for rs_logs_read (CTX: a struct
 * np_logs_out). 0, or -1 when out of memory or stdout failed. */
int np_logs_entry(void *ctx, const struct rs_log *log, int form, const struct rs_block *b);

#endif
