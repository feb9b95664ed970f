/*
 * Shrinking a stopped node's files: the engine behind `raft compact` (no
 * printing here; cmd/compact.c reports).
 *
 * Why: bbolt reuses the pages a transaction frees but never gives them
 * back to the file system, so raft-log.db stays at its high-water mark
 * after a burst of large payloads, however few entries remain.
 *
 * What it writes: for each database (raft-log.db, raft-stable.db) a new
 * file holding the pages reachable from the newest meta and nothing else
 * (bolt/copy.h's compact copy: metas, the tree renumbered densely, an
 * empty freelist page): the same buckets, keys, values and bucket
 * sequences, no free page. That is what `bbolt compact` gives too (it
 * copies every key into a new file); the page layout differs, the content
 * does not. The new files are checked before they are used: bolt's check
 * (bbolt's tx.Check) clean with no free page, every bucket, key and value
 * equal to the old file's (but for the entries --trailing removes), and
 * the node verifies.
 *
 * --trailing N first removes what raft itself removes after taking a
 * snapshot (hashicorp/raft v1.7.3 snapshot.go compactLogsWithTrailing,
 * which compactLogs calls with the configured TrailingLogs): nothing when
 * the last index <= N, else the entries from the first index up to
 * min(newest snapshot index, last index - N). Entries after the newest
 * usable snapshot are never removed (they may be uncommitted, and the log
 * is their only copy), and no snapshot is ever written: offline the node
 * cannot know which of its entries are committed. Without a usable
 * snapshot nothing is removed (raft removes entries only after one).
 *
 * The replace is raftstate/nodedir.h's, with verb "compact": the new state
 * (the two new files and a copy of snapshots/) is staged beside the node,
 * swapped in, and the old state kept as .<id>.pre-compact-YYYYMMDD-HHMMSS.
 * Both databases stay under LOCK_EX from before the copy until the swap.
 */
#ifndef RAFTSTATE_COMPACT_H
#define RAFTSTATE_COMPACT_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "raftstate/error.h"
#include "raftstate/node.h"
#include "raftstate/nodedir.h"
#include "raftstate/verify.h"

struct rs_compact_opts {
	double lock_timeout;     /* seconds to wait for each database's lock */
	double run_lock_timeout; /* rs_compact_apply: for the run lock (0: one try) */
	int trailing_set;        /* --trailing given */
	uint64_t trailing;       /* entries to keep before the newest, as raft's TrailingLogs */
	uid_t uid;               /* owner of the new files; (uid_t)-1: the replaced files' */
	gid_t gid;
};

/* One database before and (estimated by the plan, measured by apply) after. */
struct rs_compact_file {
	uint64_t size;       /* bytes now */
	uint64_t pages;      /* high-water mark now (pages) */
	uint64_t free_pages; /* listed in its freelist now */
	uint32_t page_size;
	uint64_t new_size; /* plan: estimate (before the removal); apply: the new file's size */
};

struct rs_compact_plan {
	char node_dir[PATH_MAX];
	struct rs_node old; /* the node as verified */
	struct rs_nd_ident ident[2];
	struct rs_compact_file file[2]; /* 0 raft-log.db, 1 raft-stable.db */

	/* --trailing */
	int has_snap;              /* a usable snapshot exists */
	uint64_t snap_index;       /* the newest usable snapshot's index */
	uint64_t del_from, del_to; /* entries removed (del_count 0: none) */
	uint64_t del_count;
	uint64_t del_bytes; /* key + value bytes of those entries */
	char keep_why[160]; /* when nothing is removed: why */

	/* filled by rs_compact_apply */
	char kept[PATH_MAX];
	int in_place;
};

/* Verifies node_dir and works out what compacting would change; writes
 * nothing. RS_ENOTFOUND no state; RS_ELOCKED a database is locked;
 * RS_ECORRUPT the node does not verify (details in problems). */
int rs_compact_plan(const char *node_dir, const struct rs_compact_opts *opts,
                    struct rs_compact_plan *plan, struct rs_problems *problems, struct rs_err *err);

/* Takes the run lock on the node's parent, holds both databases, checks
 * they are the files planned, and replaces the node's state with the
 * compacted one (see above); plan->kept and file[].new_size are filled.
 * On any error the node directory is unchanged. */
int rs_compact_apply(struct rs_compact_plan *plan, const struct rs_compact_opts *opts,
                     struct rs_problems *problems, struct rs_err *err);

void rs_compact_plan_free(struct rs_compact_plan *plan);

#endif
