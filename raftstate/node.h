/*
 * The state of one op-conductor node directory, as raft reads it when it
 * starts: <dir>/raft-log.db (LogStore, bucket `logs`), <dir>/raft-stable.db
 * (StableStore, bucket `conf`), <dir>/snapshots/.
 *
 * Two ways to load it:
 *   rs_verify_node()     (verify.h) every page and every entry, with the
 *                        structural check; collects problems;
 *   rs_node_summarize()  what an operator needs on one screen, touching as
 *                        little of a multi-GB log as possible: the stable
 *                        keys, the first and last entries, and a backward
 *                        scan from the last entry that stops at the newest
 *                        configuration entry or at the newest snapshot.
 */
#ifndef RAFTSTATE_NODE_H
#define RAFTSTATE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "bolt/check.h"
#include "raftstate/config.h"
#include "raftstate/error.h"
#include "raftstate/log.h"
#include "raftstate/snapshot.h"

enum rs_config_source {
	RS_CONFIG_NONE = 0,
	RS_CONFIG_LOG = 1,      /* config_index is the entry holding it */
	RS_CONFIG_SNAPSHOT = 2, /* config_snapshot names the snapshot */
};

struct rs_file_info {
	int present;        /* the file exists and opened as a bolt file */
	uint64_t file_size; /* bytes */
	uint32_t page_size;
	uint64_t txid;      /* active meta */
	uint64_t hwm;       /* high-water mark in pages */
	int active_meta;    /* 0 or 1 */
	int meta_status[2]; /* enum bolt_meta_status */
	int checked;        /* stats below are filled (verify only) */
	struct bolt_check_stats stats;
};

/* op-conductor's command entries carry one block-version byte and an SSZ
 * execution payload (V3+ envelopes put a 32-byte parent beacon block root
 * first). Best effort: `found` is 0 when nothing could be decoded. */
struct rs_block {
	int found;
	uint64_t entry_index;
	uint8_t version; /* 0 = V1 ... 3 = V4 */
	uint64_t number;
	uint64_t timestamp;
	uint8_t hash[32];
};

struct rs_node {
	char dir[4096];
	char id[256]; /* the directory name = the server ID */
	struct rs_file_info log_file, stable_file;

	/* stable store */
	int has_current_term, has_last_vote_term, has_last_vote_cand;
	uint64_t current_term, last_vote_term;
	char last_vote_cand[256]; /* NUL-terminated copy, truncated if longer */
	size_t last_vote_cand_len;

	/* log */
	uint64_t first_index, last_index;
	uint64_t count;   /* entries present (verify, info --full); info: last-first+1 */
	uint64_t scanned; /* entries decoded: types/data_bytes cover these */
	uint64_t last_term;
	uint64_t data_bytes;                   /* over counted entries */
	uint64_t types[RS_LOG_TYPE_COUNT + 1]; /* last slot: unknown types */
	int types_complete;                    /* 1: types cover the whole log */
	uint64_t types_from;                   /* else: first index counted */

	/* newest configuration, as raft would pick it */
	int config_source;
	uint64_t config_index;
	char config_snapshot[256];
	struct rs_config config;

	struct rs_snapshots snapshots;
	struct rs_block block;
};

/* Zeroes n and records dir and its ID; fails when dir is not a directory. */
int rs_node_init(struct rs_node *n, const char *dir, struct rs_err *err);
void rs_node_free(struct rs_node *n);

struct bolt_view;
struct bolt_err;
/* The facts of an open view that info and verify report. */
void rs_file_info_fill(struct rs_file_info *fi, const struct bolt_view *bv);
/* A bolt error as a raftstate error (same message, mapped code). */
int rs_err_from_bolt(struct rs_err *err, const struct bolt_err *be);

struct rs_summary_opts {
	double lock_timeout;
	int live;
	int full; /* count entry types over the whole log (reads it all) */
};

int rs_node_summarize(const char *dir, const struct rs_summary_opts *opts, struct rs_node *out,
                      struct rs_err *err);

/* Calls fn for the newest `limit` entries (0 = every entry), oldest first.
 * `cfg` is the decoded configuration for configuration entries, else NULL.
 * Returning non-zero from fn stops the walk. */
typedef int (*rs_entry_fn)(void *ctx, const struct rs_log *log, const struct rs_config *cfg);
int rs_node_entries(const char *dir, const struct rs_summary_opts *opts, uint64_t limit,
                    rs_entry_fn fn, void *ctx, struct rs_err *err);

/* Whether `who` (an ID or an address, as raft stores votes) is a member of
 * the configuration; returns the server or NULL. */
const struct rs_server *rs_config_find(const struct rs_config *c, const char *who, size_t len);

#endif
