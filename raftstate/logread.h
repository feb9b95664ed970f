/*
 * Reading a range of a node's log entries, in index order, with memory
 * bounded whatever the range: the engine behind `raft logs` (no printing
 * here; cmd/logs.c renders each entry).
 *
 * Ranges: by index (from .. to, clipped to the log), and by block number
 * (from_block .. to_block) over the LogCommand entries that hold a payload
 * (raftstate/payload.h). With a block range only payload entries inside it
 * are passed on. Where the scan starts is found by binary search over the
 * index range, which assumes block numbers do not decrease along the log
 * (op-conductor commits each new unsafe head after the one before); the
 * scan then reads to the end of the index range (a payload above to_block
 * does not end it). Where numbers do decrease (a payload with a lower
 * number than the one before it: a new leader committed a lower block
 * again), the payloads in range after the start are all passed on, but the
 * search may have started after one before the decrease: the stats name
 * the first decrease the scan saw (decreased, decrease_index) so the
 * caller can say so; an index range (--from/--to) alone reads every entry.
 *
 * Entries are copied in batches (at most RS_LOGS_BATCH entries and
 * RS_LOGS_BATCH_BYTES bytes) and handed on from the copy. Locked (default):
 * one view under LOCK_SH (bolt_view_open) for the whole read. Live
 * (opts.live): no lock; a batch is smaller (RS_LOGS_LIVE_BATCH entries,
 * RS_LOGS_LIVE_BATCH_BYTES bytes, so that copying it takes well under the
 * time between two commits of op-conductor), copied through a fresh view,
 * checked with bolt_view_recheck and copied again (up to
 * RS_LOGS_LIVE_ATTEMPTS times, as bolt_copy_live races a fast writer: a
 * short pause every 8 attempts) when the writer committed meanwhile, and
 * handed on only once it is settled: every entry passed on is one the file
 * held, whole.
 */
#ifndef RAFTSTATE_LOGREAD_H
#define RAFTSTATE_LOGREAD_H

#include <stdint.h>

#include "raftstate/error.h"
#include "raftstate/log.h"
#include "raftstate/payload.h"

#define RS_LOGS_BATCH            1024
#define RS_LOGS_BATCH_BYTES      ((uint64_t)16 << 20)
#define RS_LOGS_LIVE_BATCH       64
#define RS_LOGS_LIVE_BATCH_BYTES ((uint64_t)1 << 20)
#define RS_LOGS_LIVE_ATTEMPTS    100

struct rs_logs_opts {
	double lock_timeout;
	int live;
	uint64_t from, to; /* index range, inclusive; to = UINT64_MAX: the last */
	int has_from_block, has_to_block;
	uint64_t from_block, to_block;
	uint64_t types; /* bit t: pass entries of type t (bit 63: unknown types); 0: all */
};

struct rs_logs_stats {
	uint64_t first_index, last_index; /* the log's, when read (count 0: empty) */
	uint64_t count;
	uint64_t start_index; /* where the scan started */
	uint64_t scanned;     /* entries read */
	uint64_t passed;      /* entries handed to fn */
	int decreased;        /* a payload's number is below the one before it */
	uint64_t decrease_index, decrease_from, decrease_to;
};

/* One entry: log (its data points into the reader's memory, valid during
 * the call), the payload form (rs_payload_decode; RS_PAYLOAD_NONE for
 * other types) and block. Non-zero stops the read (returned as is). */
typedef int (*rs_logs_fn)(void *ctx, const struct rs_log *log, int form,
                          const struct rs_block *block);

/* RS_OK, an error, or what fn returned when it stopped the read. */
int rs_logs_read(const char *node_dir, const struct rs_logs_opts *opts, rs_logs_fn fn, void *ctx,
                 struct rs_logs_stats *stats, struct rs_err *err);

#endif
