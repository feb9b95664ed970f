/*
 * Raft's own rules for the files a node starts from, one home for each:
 * verify, info, compare and recover ask these and keep no copy. Each
 * follows hashicorp/raft v1.7.3 (the release op-conductor builds with;
 * v1.7.2 is the same in every function named here):
 *
 *   usable snapshot   api.go restoreSnapshot: the snapshots List() returns
 *                     (file_snapshot.go getSnapshots skips one whose meta.json
 *                     cannot be read), newest first; the first that restores
 *                     is used (rs_node_newest_snapshot);
 *   what NewRaft reads  api.go NewRaft: the last entry (LastIndex, GetLog of
 *                     it), then GetLog of every index from the restored
 *                     snapshot's index + 1 (1 without one) to the last index;
 *                     a missing one panics. Entries at or below the snapshot
 *                     index are never read, so gaps there are harmless (raft
 *                     itself leaves them: snapshot.go compactLogsWithTrailing
 *                     keeps an old log shorter than TrailingLogs after
 *                     installSnapshot);
 *   last entry        state.go getLastEntry: the last log entry when its
 *                     index is at or above the snapshot's, else the
 *                     snapshot's (index, term);
 *   up to date        raft.go requestVote (and preVote): a vote is refused
 *                     when the voter's last term is higher, or equal with a
 *                     higher last index; electSelf sends getLastEntry;
 *   candidate         raft.go runFollower: only a server whose latest
 *                     configuration gives it a vote (configuration.go
 *                     hasVote: listed, Suffrage Voter) starts an election;
 *   committed prefix  a snapshot holds only applied, so committed, entries
 *                     (fsm.go runFSM takes it at the last index the FSM
 *                     applied), and committed entries are the same on
 *                     every node: two nodes agree up to the lower of their
 *                     snapshot indexes.
 */
#ifndef RAFTSTATE_RAFTRULES_H
#define RAFTSTATE_RAFTRULES_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/config.h"

struct rs_node;
struct rs_snapshot;

/* The newest usable snapshot (meta.json sound), or NULL. */
const struct rs_snapshot *rs_node_newest_snapshot(const struct rs_node *n);

/* getLastEntry: what a node offers in a vote request and is judged by. */
struct rs_last_entry {
	uint64_t index, term; /* 0, 0: neither a log entry nor a snapshot */
	int from_snapshot;    /* the snapshot's, not a log entry's */
};
struct rs_last_entry rs_rule_last_entry(uint64_t log_last_index, uint64_t log_last_term,
                                        int has_snap, uint64_t snap_index, uint64_t snap_term);

/* requestVote's rule: > 0 when a is more up to date than b (b grants a's
 * vote request, a refuses b's), 0 when equal (each grants the other's). */
int rs_rule_up_to_date_cmp(struct rs_last_entry a, struct rs_last_entry b);

/* runFollower + hasVote: whether server `id` (id_len bytes) campaigns with
 * `latest` as its latest configuration. */
int rs_rule_can_campaign(const struct rs_config *latest, const char *id, size_t id_len);

/* How many voters of c, and how many of them a leader needs (a majority). */
size_t rs_rule_voters(const struct rs_config *c);
size_t rs_rule_quorum(size_t voters);

/* NewRaft: the first index it reads (the snapshot's index + 1, or 1). */
uint64_t rs_rule_first_read(int has_snap, uint64_t snap_index);

/* Whether a log whose present entries jump from `prev` to `next` (next >
 * prev + 1) lacks an entry NewRaft reads: one of prev+1..next-1 is at or
 * above rs_rule_first_read. A gap wholly at or below the snapshot index is
 * not. */
int rs_rule_gap_read(uint64_t prev, uint64_t next, int has_snap, uint64_t snap_index);

/* Whether a non-empty log that starts at first_index lacks entries NewRaft
 * reads: it starts past rs_rule_first_read, so GetLog of that index fails
 * and raft panics (log not found). */
int rs_log_start_uncovered(uint64_t first_index, int has_snap, uint64_t snap_index);

#endif
