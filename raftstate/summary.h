/*
 * A node's summary (raftstate/summary.c): what `raft info` shows and
 * `raft compare` compares, read with bounded work - the stable store, the
 * log's ends and term starts, the configuration raft would start with, the
 * snapshots, and op-conductor's unsafe head from the newest entries - and
 * the walk over the newest entries that `raft info --entries` prints.
 */
#ifndef RAFTSTATE_SUMMARY_H
#define RAFTSTATE_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/error.h"
#include "raftstate/log.h"
#include "raftstate/node.h"

struct rs_summary_opts {
	double lock_timeout;
	int live;
	int full; /* count entry types over the whole log (reads it all) */
	/* LogCommand entries read, newest first, for the unsafe head when not full
	 * (0: RS_HEAD_SCAN_DEFAULT); the scan stops earlier at the snapshot index */
	uint64_t head_scan;
	/* 1: read the entries through the mapping only, never by pread on two
	 * threads (summary.c, the fast scan); the answer is the same either way,
	 * and the tests check that it is */
	int no_fast;
	/* 1: the fast scan on the calling thread only (rs_node_summarize_all sets
	 * it when nodes are read side by side: their threads already fill the
	 * cores, and two more per node only contend for them) */
	int one_thread;
};
/* 256: on the benchmark's 1.2 GB log (4 KB entries) reading 4096 cost 19 ms of CPU for
 * `compare` of 3 nodes, 256 cost 6 ms (perf stat task-clock, 2026-12-04). */
#define RS_HEAD_SCAN_DEFAULT 256

int rs_node_summarize(const char *dir, const struct rs_summary_opts *opts, struct rs_node *out,
                      struct rs_err *err);

/* One node of rs_node_summarize_all: dir in; node, rc and err out, as
 * rs_node_summarize gives them (rs_node_free(&node) afterwards, whatever rc). */
struct rs_summary_job {
	const char *dir;
	struct rs_node node;
	struct rs_err err;
	int rc;
};
/* Summarizes jobs[0..n) at once, on min(n, RS_SUMMARY_THREADS) threads, each
 * with a fixed share of the jobs (a
 * node's reads are mostly waits on memory or the disk, so the nodes of a
 * compare overlap them); each job's result is what rs_node_summarize alone
 * would give. Where a thread cannot be started, the calling thread does the
 * rest. */
#define RS_SUMMARY_THREADS 8
void rs_node_summarize_all(struct rs_summary_job *jobs, size_t n,
                           const struct rs_summary_opts *opts);

/* Calls fn for the newest `limit` entries (0 = every entry), oldest first.
 * `cfg` is the decoded configuration for configuration entries, else NULL.
 * Returning non-zero from fn stops the walk. */
typedef int (*rs_entry_fn)(void *ctx, const struct rs_log *log, const struct rs_config *cfg);
int rs_node_entries(const char *dir, const struct rs_summary_opts *opts, uint64_t limit,
                    rs_entry_fn fn, void *ctx, struct rs_err *err);

#endif
