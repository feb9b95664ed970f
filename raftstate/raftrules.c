/*
 * Raft's rules (raftrules.h): each function is the one place its rule is
 * written; the comments name the hashicorp/raft v1.7.3 code it follows.
 */
#include <string.h>

#include "raftstate/node.h"
#include "raftstate/raftrules.h"

const struct rs_snapshot *rs_node_newest_snapshot(const struct rs_node *n)
{
	/* api.go restoreSnapshot tries FileSnapshotStore.List(), which
	 * returns at most `retain` snapshots, newest first; op-conductor retains
	 * 1, so the newest one with a sound meta.json is the one restored. */
	for (size_t i = 0; i < n->snapshots.n; i++)
		if (n->snapshots.v[i].problem[0] == 0)
			return &n->snapshots.v[i];
	return NULL;
}

struct rs_last_entry rs_rule_last_entry(uint64_t log_last_index, uint64_t log_last_term,
                                        int has_snap, uint64_t snap_index, uint64_t snap_term)
{
	struct rs_last_entry e = {log_last_index, log_last_term, 0};

	/* state.go getLastEntry: lastLogIndex >= lastSnapshotIndex picks the log */
	if (has_snap && log_last_index < snap_index) {
		e.index = snap_index;
		e.term = snap_term;
		e.from_snapshot = 1;
	}
	return e;
}

int rs_rule_up_to_date_cmp(struct rs_last_entry a, struct rs_last_entry b)
{
	/* raft.go requestVote: "our last term is greater", then "our last
	 * index is greater" refuse the vote */
	if (a.term != b.term)
		return a.term > b.term ? 1 : -1;
	if (a.index != b.index)
		return a.index > b.index ? 1 : -1;
	return 0;
}

int rs_rule_can_campaign(const struct rs_config *latest, const char *id, size_t id_len)
{
	/* configuration.go hasVote: the server with that ID, and its suffrage */
	for (size_t i = 0; i < latest->n; i++)
		if (latest->servers[i].id_len == id_len &&
		    memcmp(latest->servers[i].id, id, id_len) == 0)
			return latest->servers[i].suffrage == RS_VOTER;
	return 0;
}

size_t rs_rule_voters(const struct rs_config *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->servers[i].suffrage == RS_VOTER;
	return n;
}

size_t rs_rule_quorum(size_t voters)
{
	/* raft.go quorumSize: voters/2 + 1 */
	return voters / 2 + 1;
}

uint64_t rs_rule_first_read(int has_snap, uint64_t snap_index)
{
	/* api.go NewRaft: for index := snapshotIndex + 1 (0 without a snapshot) */
	return has_snap ? snap_index + 1 : 1;
}

int rs_rule_gap_read(uint64_t prev, uint64_t next, int has_snap, uint64_t snap_index)
{
	/* the missing indexes are prev+1..next-1; NewRaft reads from
	 * first_read on, and every index up to the last entry (>= next) */
	return next > prev + 1 && next - 1 >= rs_rule_first_read(has_snap, snap_index);
}

int rs_log_start_uncovered(uint64_t first_index, int has_snap, uint64_t snap_index)
{
	return first_index > rs_rule_first_read(has_snap, snap_index);
}
