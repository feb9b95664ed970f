/*
 * Comparing the nodes of one cluster side by side, as Raft itself would
 * judge them (the Raft paper, 5.3 and 5.4; hashicorp/raft follows it):
 *
 *   log matching    two logs holding an entry with the same index and term
 *                   hold the same entries up to it; so the entries two nodes
 *                   agree on are a prefix, and its end (the highest common
 *                   (index, term)) is found by binary search over the
 *                   overlapping range, from each node's term starts
 *                   (struct rs_terms: where each term begins), never by
 *                   reading the entries;
 *   up to date      raft's rules (raftrules.h): each node's last entry is
 *                   its last log entry or its snapshot's (getLastEntry);
 *                   the later last term, then the higher last index, is
 *                   more up to date (requestVote); only voters campaign, so
 *                   the most up-to-date valid voter is the node raft elects
 *                   and the one `raft recover` starts from; entries of
 *                   another node after the point where its log diverges
 *                   from it are discarded when it follows that leader (an
 *                   uncommitted tail), and so is the extra tail of a
 *                   nonvoter that holds more than every voter;
 *   recovery        needed only when the valid voters present are fewer
 *                   than a majority of the source's configuration (or no
 *                   voter is valid): otherwise raft elects by itself;
 *   unsafe heads    op-conductor's FSM head per node: the same block number
 *                   with different hashes is an unsafe reorg risk;
 *   configuration   the members each node would start with.
 *
 * A node comes from a directory (rs_node_summarize) or from the JSON that
 * `raft info --json` wrote (the cmd layer parses it into the same struct).
 */
#ifndef RAFTSTATE_COMPARE_H
#define RAFTSTATE_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/node.h"

struct rs_cmp_node {
	char name[256];    /* the server ID */
	char origin[4096]; /* the directory or the JSON file it came from */
	char error[640];   /* non-empty: the node could not be read (invalid) */

	int has_current_term;
	uint64_t current_term;
	int has_vote;
	uint64_t vote_term;
	char vote_cand[256];

	uint64_t first_index, last_index, last_term; /* last_index 0: empty log */
	int has_snapshot; /* the snapshot raft restores: the newest usable one */
	uint64_t snap_index, snap_term;
	char snap_name[256];
	/* snapshots raft does not restore (their meta.json cannot be read):
	 * how many, and the newest one's "NAME: PROBLEM" */
	unsigned snap_unusable;
	char snap_unusable_why[640];

	int config_source; /* enum rs_config_source */
	uint64_t config_index;
	struct rs_config config;

	struct rs_block head; /* the unsafe head (found = 0: none) */
	int head_complete;
	int snap_state; /* enum rs_snap_state */
	struct rs_terms terms;
};

/* The node's comparison facts, from a summary. */
int rs_cmp_from_node(struct rs_cmp_node *c, const struct rs_node *n);
/* The comparison facts of the node directories DIRS[0..n), read as `raft
 * info` reads one (each under a run-lock wait of at most LOCK_TIMEOUT
 * seconds) and all at once, into OUT[0..n) in the same order. A node that
 * cannot be read is named by its directory's base name, its origin is the
 * directory, and its error says why ("cannot be read: ..."). RS_OK, or
 * RS_ENOMEM with nothing left to free. rs_cmp_node_free each after RS_OK. */
int rs_cmp_read_dirs(const char *const *dirs, size_t n, double lock_timeout,
                     struct rs_cmp_node *out, struct rs_err *err);
/* Records a snapshot raft does not restore (newest first). */
void rs_cmp_add_unusable(struct rs_cmp_node *c, const char *name, const char *problem);
void rs_cmp_node_free(struct rs_cmp_node *c);

enum rs_cmp_relation {
	RS_REL_SOURCE = 0,     /* the most up-to-date node itself */
	RS_REL_SAME = 1,       /* the same last (index, term) as the source */
	RS_REL_BEHIND = 2,     /* a prefix of the source's log */
	RS_REL_DIVERGED = 3,   /* agrees up to `common`, differs at common + 1 */
	RS_REL_NO_OVERLAP = 4, /* its log ends before the source's begins (needs a snapshot) */
	RS_REL_UNKNOWN = 5,    /* the term starts recorded cannot decide */
	RS_REL_INVALID = 6,    /* the node could not be read, or op-conductor cannot start it */
	RS_REL_AHEAD = 7,      /* the source's log is a prefix of its own (a nonvoter) */
};

/* The node's last entry (raftrules.h rs_rule_last_entry). */
struct rs_last_entry rs_cmp_last(const struct rs_cmp_node *c);
/* Whether it starts elections: a voter of its own latest configuration. */
int rs_cmp_candidate(const struct rs_cmp_node *c);

struct rs_cmp_pair {
	int relation;
	char invalid_why[720]; /* RS_REL_INVALID: why, one sentence */
	uint64_t common;       /* highest index with the same term on both (0: none) */
	uint64_t behind;       /* RS_REL_BEHIND: entries it lacks */
	uint64_t discard_from; /* RS_REL_DIVERGED: its entries from here on are discarded */
	uint64_t discard_to;
	uint64_t its_term, source_term; /* the terms at discard_from */
	uint64_t ahead;                 /* RS_REL_AHEAD: entries it holds past the source */
	int candidate;                  /* rs_cmp_candidate */
	/* RS_REL_DIVERGED: its unsafe head (from its log) is on its discarded
	 * tail, so it is lost when the node follows the source */
	int head_lost;
	/* head_lost, and another node holds that block number with another
	 * hash: that node */
	int head_conflict;
	size_t head_conflict_with;
};

struct rs_cmp_result {
	size_t source; /* index of the most up-to-date valid voter; valid only if has_source */
	int has_source;
	/* the node the pairs are matched against: the source, or with no valid
	 * voter the most up-to-date valid node (has_ref) */
	size_t ref;
	int has_ref;
	/* a valid node that does not campaign and is more up to date than
	 * every valid voter (the most up-to-date such) */
	size_t nonvoter_ahead;
	int has_nonvoter_ahead;
	/* recovery: the source's voters, how many of them are here and valid
	 * voters themselves, how many a leader needs; needed when fewer */
	size_t voters, voters_present, quorum;
	int recovery_needed;
	uint64_t recover_term;     /* the --term for every survivor: above every term seen */
	int tie;                   /* another node has the same last (term, index) */
	struct rs_cmp_pair *pairs; /* per node, against the source */
	/* unsafe heads */
	size_t head_high; /* the node with the highest head (has_head_high) */
	int has_head_high;
	int reorg;               /* two nodes hold the same block number, different hashes */
	size_t reorg_a, reorg_b; /* the first such pair */
	int config_mismatch;     /* some node's members differ from the source's */
	int snap_unusable;       /* some node holds a snapshot raft does not restore */
	size_t *config_differs;  /* per node: 1 when its members differ from the source's */
	int consistent;          /* exit 0 */
};

/* Compares n >= 1 nodes. */
int rs_compare(const struct rs_cmp_node *v, size_t n, struct rs_cmp_result *r, struct rs_err *err);
void rs_cmp_result_free(struct rs_cmp_result *r);

/* The term of entry `index` from the node's term starts; 0 when it is
 * outside the log or before the first recorded start. */
int rs_cmp_term_at(const struct rs_cmp_node *c, uint64_t index, uint64_t *term);

#endif
