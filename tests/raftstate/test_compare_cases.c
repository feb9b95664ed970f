/*
 * raftstate/compare.c on the cases the generated clusters of test_plans.c
 * and test_raftrules.c do not reach, each built by hand as the facts a node
 * carries (struct rs_cmp_node: what `raft info --json` documents give too):
 *   rs_cmp_term_at     every bound (no starts recorded, an empty log, before
 *                      the first start, outside the log) and the binary
 *                      search over several starts;
 *   match              two snapshots agreeing up to the lower one (behind,
 *                      ahead); a snapshot joining the log's starts; a node
 *                      whose starts were never looked up, or contradict its
 *                      log, is UNKNOWN; logs differing at the first index
 *                      both know; an empty node and a nonvoter whose log
 *                      begins after the source ends share nothing;
 *   rs_compare         invalid nodes (unreadable, log start uncovered, a
 *                      state.bin op-conductor cannot restore) neither lead
 *                      nor count as voters present; a member list that
 *                      differs; unsafe heads, the highest and a reorg; the
 *                      recovery term saturates at the largest term;
 *   rs_cmp_from_node   an empty log, a BAD state.bin that matters only with
 *                      op-conductor data, an unusable snapshot;
 *   rs_cmp_read_dirs   a directory named without a slash that cannot be read.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "raftstate/compare.h"
#include "tests/check_support.h"

static struct rs_server servers[3] = {
    {RS_VOTER, "a", 1, "x:1", 3},
    {RS_VOTER, "b", 1, "x:2", 3},
    {RS_NONVOTER, "c", 1, "x:3", 3},
};
static struct rs_config three = {servers, 3};

/* A node with log first..last, all of term `term` (one start at first). */
static void node(struct rs_cmp_node *c, const char *name, uint64_t first, uint64_t last,
                 uint64_t term)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->name, name);
	c->first_index = first;
	c->last_index = last;
	c->last_term = term;
	c->config = three;
	c->config_source = RS_CONFIG_LOG;
	c->terms.valid = 1;
	c->terms.complete = 1;
	if (last > 0) {
		c->terms.n = 1;
		c->terms.v[0].index = first;
		c->terms.v[0].term = term;
	}
}

static void start(struct rs_cmp_node *c, uint64_t index, uint64_t term)
{
	c->terms.v[c->terms.n].index = index;
	c->terms.v[c->terms.n].term = term;
	c->terms.n++;
	c->last_term = term;
}

static void snap(struct rs_cmp_node *c, uint64_t index, uint64_t term)
{
	c->has_snapshot = 1;
	c->snap_index = index;
	c->snap_term = term;
}

static int term_at(const struct rs_cmp_node *c, uint64_t index, uint64_t *t)
{
	*t = 0;
	return rs_cmp_term_at(c, index, t);
}

START_TEST(term_at_bounds_and_search)
{
	struct rs_cmp_node c;
	uint64_t t;
	/* starts 3:1 5:2 9:3 12:7 in a log 2..14 */
	static const uint64_t want[][2] = {{3, 1}, {4, 1},  {5, 2},  {8, 2},
	                                   {9, 3}, {11, 3}, {12, 7}, {14, 7}};

	node(&c, "a", 2, 14, 1);
	c.terms.v[0].index = 3;
	start(&c, 5, 2);
	start(&c, 9, 3);
	start(&c, 12, 7);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(term_at(&c, want[i][0], &t), 1);
		ck_assert_uint_eq(t, want[i][1]);
	}
	ck_assert_int_eq(term_at(&c, 2, &t), 0);  /* in the log, before the first start */
	ck_assert_int_eq(term_at(&c, 1, &t), 0);  /* before the log */
	ck_assert_int_eq(term_at(&c, 15, &t), 0); /* after it */
	ck_assert_uint_eq(t, 0);
	c.terms.valid = 0; /* never looked up */
	ck_assert_int_eq(term_at(&c, 9, &t), 0);
	c.terms.valid = 1;
	c.terms.n = 0;
	ck_assert_int_eq(term_at(&c, 9, &t), 0);
	c.terms.n = 4;
	c.last_index = 0; /* an empty log */
	ck_assert_int_eq(term_at(&c, 9, &t), 0);
}
END_TEST

/* rs_compare on v[0..n) with v[0] the expected source; the pair of v[1] */
static struct rs_cmp_pair pair1(struct rs_cmp_node *v, size_t n, struct rs_cmp_result *r)
{
	struct rs_err e = {0};

	ck_assert_int_eq(rs_compare(v, n, r, &e), RS_OK);
	ck_assert_int_eq(r->has_source, 1);
	ck_assert_uint_eq(r->source, 0);
	ck_assert_int_eq(r->pairs[0].relation, RS_REL_SOURCE);
	return r->pairs[1];
}

/* Both nodes hold a snapshot: they agree up to the lower one (committed),
 * with no term looked up. */
START_TEST(snapshots_set_the_common_floor)
{
	struct rs_cmp_node v[3];
	struct rs_cmp_result r;
	struct rs_cmp_pair p;

	/* a: snapshot 60 and the log 41..80 it kept; b: only a snapshot at 50 */
	node(&v[0], "a", 41, 80, 2);
	v[0].terms.v[0].term = 1;
	start(&v[0], 70, 2);
	snap(&v[0], 60, 1);
	node(&v[1], "b", 0, 0, 0);
	snap(&v[1], 50, 1);
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_BEHIND);
	ck_assert_uint_eq(p.common, 50);
	ck_assert_uint_eq(p.behind, 30);
	ck_assert_int_eq(r.consistent, 1);
	rs_cmp_result_free(&r);

	/* the source holds only a snapshot at 50; the nonvoter c has the log
	 * to 80 (term 1) and a snapshot at 60: ahead of the source by 30 */
	node(&v[0], "a", 0, 0, 0);
	snap(&v[0], 50, 1);
	node(&v[1], "c", 1, 80, 1);
	snap(&v[1], 60, 1);
	ck_assert_int_eq(rs_compare(v, 2, &r, &(struct rs_err){0}), RS_OK);
	ck_assert_uint_eq(r.source, 0);
	ck_assert_int_eq(r.has_nonvoter_ahead, 1);
	ck_assert_uint_eq(r.nonvoter_ahead, 1);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_AHEAD);
	ck_assert_uint_eq(r.pairs[1].common, 50);
	ck_assert_uint_eq(r.pairs[1].ahead, 30);
	ck_assert_int_eq(r.consistent, 0);
	rs_cmp_result_free(&r);
}
END_TEST

START_TEST(snapshot_joins_the_log)
{
	struct rs_cmp_node v[2];
	struct rs_cmp_result r;
	struct rs_cmp_pair p;

	/* a: snapshot 10 (term 1), then the log 11..20 of term 2; b: the whole
	 * log 1..15, term 2 from 11: its end is on a's history */
	node(&v[0], "a", 11, 20, 2);
	snap(&v[0], 10, 1);
	node(&v[1], "b", 1, 15, 1);
	start(&v[1], 11, 2);
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_BEHIND);
	ck_assert_uint_eq(p.common, 15);
	ck_assert_uint_eq(p.behind, 5);
	rs_cmp_result_free(&r);

	/* b went on in term 1 after 12: they agree up to 10 (a's snapshot)
	 * and the search finds the last common index */
	node(&v[1], "b", 1, 15, 1);
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_DIVERGED);
	ck_assert_uint_eq(p.common, 10);
	ck_assert_uint_eq(p.discard_from, 11);
	ck_assert_uint_eq(p.discard_to, 15);
	ck_assert_uint_eq(p.its_term, 1);
	ck_assert_uint_eq(p.source_term, 2);
	rs_cmp_result_free(&r);

	/* b kept only the newest starts (more than RS_TERMS_MAX terms): its
	 * snapshot 5 does not join the first start kept, 12; a holds the same
	 * history to 20 */
	node(&v[0], "a", 1, 20, 1);
	start(&v[0], 12, 2);
	node(&v[1], "b", 6, 16, 2);
	v[1].terms.v[0].index = 12;
	v[1].terms.complete = 0;
	snap(&v[1], 5, 1);
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_BEHIND);
	ck_assert_uint_eq(p.common, 16);
	ck_assert_uint_eq(p.behind, 4);
	rs_cmp_result_free(&r);

	/* the source's last entry is its snapshot (its log is older): b's log
	 * ends at that index with that term */
	node(&v[0], "a", 1, 5, 1);
	snap(&v[0], 20, 2);
	node(&v[1], "b", 1, 20, 1);
	start(&v[1], 15, 2);
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_SAME);
	ck_assert_int_eq(r.tie, 1);
	rs_cmp_result_free(&r);
	/* b ends below that snapshot: nothing of the source's to match */
	node(&v[1], "b", 1, 18, 1);
	start(&v[1], 15, 2);
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_NO_OVERLAP);
	ck_assert_uint_eq(p.behind, 2);
	rs_cmp_result_free(&r);
}
END_TEST

START_TEST(differ_at_first_known_index)
{
	struct rs_cmp_node v[2];
	struct rs_cmp_result r;
	struct rs_cmp_pair p;

	node(&v[0], "a", 1, 12, 2);
	node(&v[1], "b", 1, 10, 1);
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_DIVERGED);
	ck_assert_uint_eq(p.common, 0);
	ck_assert_uint_eq(p.discard_from, 1);
	ck_assert_uint_eq(p.discard_to, 10);
	ck_assert_uint_eq(p.its_term, 1);
	ck_assert_uint_eq(p.source_term, 2);
	ck_assert_int_eq(r.consistent, 0);
	rs_cmp_result_free(&r);
}
END_TEST

START_TEST(unknown_when_starts_cannot_decide)
{
	struct rs_cmp_node v[2];
	struct rs_cmp_result r;
	struct rs_cmp_pair p;

	/* b's term starts were never looked up */
	node(&v[0], "a", 1, 20, 2);
	node(&v[1], "b", 1, 10, 1);
	v[1].terms.valid = 0;
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_UNKNOWN);
	ck_assert_int_eq(r.consistent, 0);
	rs_cmp_result_free(&r);

	/* b's term starts were looked up and none recorded */
	node(&v[1], "b", 1, 10, 1);
	v[1].terms.n = 0;
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_UNKNOWN);
	rs_cmp_result_free(&r);

	/* b's first start lies past its own last index */
	node(&v[1], "b", 1, 10, 1);
	v[1].terms.v[0].index = 12;
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_UNKNOWN);
	rs_cmp_result_free(&r);

	/* b: log 10..20 after a snapshot at 9, but its first start recorded at
	 * 3, which it does not hold: the first index to compare is unknown */
	node(&v[1], "b", 10, 20, 1);
	v[1].terms.v[0].index = 3;
	snap(&v[1], 9, 1);
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_UNKNOWN);
	rs_cmp_result_free(&r);

	/* the same on the source's side */
	node(&v[0], "a", 10, 30, 2);
	v[0].terms.v[0].index = 3;
	snap(&v[0], 9, 2);
	node(&v[1], "b", 1, 20, 1);
	p = pair1(v, 2, &r);
	ck_assert_int_eq(p.relation, RS_REL_UNKNOWN);
	rs_cmp_result_free(&r);
}
END_TEST

START_TEST(no_overlap)
{
	struct rs_cmp_node v[3];
	struct rs_cmp_result r;

	/* b holds nothing; the nonvoter c has a snapshot at 49 and the log
	 * 50..100 of term 1, beyond the source's last index 30 (term 2) */
	node(&v[0], "a", 1, 30, 2);
	node(&v[1], "b", 0, 0, 0);
	node(&v[2], "c", 50, 100, 1);
	snap(&v[2], 49, 1);
	ck_assert_int_eq(rs_compare(v, 3, &r, &(struct rs_err){0}), RS_OK);
	ck_assert_uint_eq(r.source, 0);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_NO_OVERLAP);
	ck_assert_uint_eq(r.pairs[1].behind, 30);
	ck_assert_int_eq(r.pairs[2].relation, RS_REL_NO_OVERLAP);
	ck_assert_uint_eq(r.pairs[2].behind, 0);
	rs_cmp_result_free(&r);

	/* the only voter holds nothing yet, the nonvoter c has entries: it is
	 * ahead, with nothing to match */
	node(&v[0], "a", 0, 0, 0);
	node(&v[1], "c", 1, 5, 1);
	ck_assert_int_eq(rs_compare(v, 2, &r, &(struct rs_err){0}), RS_OK);
	ck_assert_uint_eq(r.source, 0);
	ck_assert_int_eq(r.has_nonvoter_ahead, 1);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_NO_OVERLAP);
	ck_assert_uint_eq(r.pairs[1].behind, 0);
	rs_cmp_result_free(&r);
}
END_TEST

START_TEST(invalid_nodes_and_recovery)
{
	struct rs_cmp_node v[3];
	struct rs_cmp_result r;
	struct rs_err e = {0};

	/* a cannot be read, b's log starts at 10 with no snapshot, c (a
	 * nonvoter) is sound: no voter is valid, c is the reference */
	node(&v[0], "a", 1, 30, 2);
	strcpy(v[0].error, "cannot be read: gone");
	v[0].current_term = 9; /* an unreadable node's terms are not known */
	node(&v[1], "b", 10, 40, 3);
	node(&v[2], "c", 1, 20, 1);
	v[2].current_term = 4;
	ck_assert_int_eq(rs_compare(v, 3, &r, &e), RS_OK);
	ck_assert_int_eq(r.has_source, 0);
	ck_assert_int_eq(r.has_ref, 1);
	ck_assert_uint_eq(r.ref, 2);
	ck_assert_int_eq(r.pairs[0].relation, RS_REL_INVALID);
	ck_assert_str_eq(r.pairs[0].invalid_why, "cannot be read: gone");
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_INVALID);
	ck_assert_msg(strstr(r.pairs[1].invalid_why, "starts at index 10") != NULL, "%s",
	              r.pairs[1].invalid_why);
	ck_assert_int_eq(r.recovery_needed, 1);
	ck_assert_uint_eq(r.recover_term, 5); /* above b's and c's terms */
	ck_assert_int_eq(r.consistent, 0);
	rs_cmp_result_free(&r);

	/* b's log covered by a snapshot but its state.bin does not restore;
	 * a readable again and the source: one voter of two is no majority */
	v[0].error[0] = 0;
	snap(&v[1], 9, 3);
	v[1].snap_state = RS_SNAP_STATE_BAD;
	ck_assert_int_eq(rs_compare(v, 3, &r, &e), RS_OK);
	ck_assert_uint_eq(r.source, 0);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_INVALID);
	ck_assert_msg(strstr(r.pairs[1].invalid_why, "state.bin") != NULL, "%s",
	              r.pairs[1].invalid_why);
	ck_assert_uint_eq(r.voters, 2);
	ck_assert_uint_eq(r.quorum, 2);
	ck_assert_uint_eq(r.voters_present, 1);
	ck_assert_int_eq(r.recovery_needed, 1);
	rs_cmp_result_free(&r);
	v[1].snap_state = RS_SNAP_STATE_UNREAD;
	ck_assert_int_eq(rs_compare(v, 3, &r, &e), RS_OK);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_INVALID);
	rs_cmp_result_free(&r);

	/* sound again: both voters present, no recovery; a term at the top
	 * of the range is not wrapped */
	v[1].snap_state = RS_SNAP_STATE_PAYLOAD;
	v[2].vote_term = UINT64_MAX;
	ck_assert_int_eq(rs_compare(v, 3, &r, &e), RS_OK);
	ck_assert_uint_eq(r.source, 1);
	ck_assert_uint_eq(r.voters_present, 2);
	ck_assert_int_eq(r.recovery_needed, 0);
	ck_assert_uint_eq(r.recover_term, UINT64_MAX);
	rs_cmp_result_free(&r);
}
END_TEST

START_TEST(members_and_heads)
{
	struct rs_server other[1] = {{RS_VOTER, "a", 1, "x:9", 3}};
	struct rs_cmp_node v[3];
	struct rs_cmp_result r;
	struct rs_err e = {0};

	node(&v[0], "a", 1, 10, 1);
	node(&v[1], "b", 1, 10, 1);
	node(&v[2], "c", 1, 10, 1);
	v[1].config = (struct rs_config){other, 1};
	v[2].config = (struct rs_config){other, 1};
	v[2].config_source = RS_CONFIG_NONE; /* c holds no configuration: not compared */
	v[0].head.found = 1;
	v[0].head.number = 7;
	v[1].head.found = 1;
	v[1].head.number = 9;
	v[2].head.found = 1;
	v[2].head.number = 7;
	ck_assert_int_eq(rs_compare(v, 3, &r, &e), RS_OK);
	ck_assert_int_eq(r.config_mismatch, 1);
	ck_assert_uint_eq(r.config_differs[0], 0);
	ck_assert_uint_eq(r.config_differs[1], 1);
	ck_assert_uint_eq(r.config_differs[2], 0);
	ck_assert_int_eq(r.has_head_high, 1);
	ck_assert_uint_eq(r.head_high, 1);
	ck_assert_int_eq(r.reorg, 0); /* 7 and 7, same hash */
	ck_assert_int_eq(r.consistent, 0);
	rs_cmp_result_free(&r);

	v[2].head.hash[31] = 1;
	ck_assert_int_eq(rs_compare(v, 3, &r, &e), RS_OK);
	ck_assert_int_eq(r.reorg, 1);
	ck_assert_uint_eq(r.reorg_a, 0);
	ck_assert_uint_eq(r.reorg_b, 2);
	rs_cmp_result_free(&r);

	/* b is a voter by its own members but not by the source's: not a
	 * voter present */
	node(&v[0], "a", 1, 10, 1);
	node(&v[1], "b", 1, 10, 1);
	v[0].config = (struct rs_config){other, 1};
	ck_assert_int_eq(rs_compare(v, 2, &r, &e), RS_OK);
	ck_assert_uint_eq(r.source, 0);
	ck_assert_int_eq(r.pairs[1].candidate, 1);
	ck_assert_uint_eq(r.voters, 1);
	ck_assert_uint_eq(r.voters_present, 1);
	ck_assert_int_eq(r.recovery_needed, 0);
	rs_cmp_result_free(&r);

	/* b's head (block 42, from its log) is on its discarded tail; the
	 * source holds block 42 with the same hash: lost, no conflict */
	node(&v[0], "a", 1, 12, 2);
	node(&v[1], "b", 1, 10, 1);
	v[1].head.found = 1;
	v[1].head.source = RS_BLOCK_LOG;
	v[1].head.number = 42;
	v[1].head.entry_index = 10;
	v[0].head = v[1].head;
	ck_assert_int_eq(rs_compare(v, 2, &r, &e), RS_OK);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_DIVERGED);
	ck_assert_int_eq(r.pairs[1].head_lost, 1);
	ck_assert_int_eq(r.pairs[1].head_conflict, 0);
	rs_cmp_result_free(&r);

	/* a head from a snapshot is never on a discarded tail */
	node(&v[0], "a", 1, 12, 2);
	node(&v[1], "b", 1, 10, 1);
	v[1].head.found = 1;
	v[1].head.source = RS_BLOCK_SNAPSHOT;
	ck_assert_int_eq(rs_compare(v, 2, &r, &e), RS_OK);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_DIVERGED);
	ck_assert_int_eq(r.pairs[1].head_lost, 0);
	rs_cmp_result_free(&r);
}
END_TEST

START_TEST(from_node_facts)
{
	static struct rs_node n;
	struct rs_snapshot s[2];
	struct rs_cmp_node c;

	memset(&n, 0, sizeof(n));
	memset(s, 0, sizeof(s));
	strcpy(n.id, "s1");
	strcpy(n.dir, "/x/s1");
	n.first_index = 4;
	n.last_index = 9; /* count 0: no log entries present */
	n.head.snap_state = RS_SNAP_STATE_BAD;
	ck_assert_int_eq(rs_cmp_from_node(&c, &n), RS_OK);
	ck_assert_uint_eq(c.last_index, 0);
	ck_assert_uint_eq(c.first_index, 0);
	ck_assert_int_eq(c.snap_state, RS_SNAP_STATE_NONE); /* no op-conductor data */
	rs_cmp_node_free(&c);
	n.head.legacy_block.found = 1;
	ck_assert_int_eq(rs_cmp_from_node(&c, &n), RS_OK);
	ck_assert_int_eq(c.snap_state, RS_SNAP_STATE_BAD);
	rs_cmp_node_free(&c);
	n.head.legacy_block.found = 0;
	n.head.snap_block.found = 1;
	ck_assert_int_eq(rs_cmp_from_node(&c, &n), RS_OK);
	ck_assert_int_eq(c.snap_state, RS_SNAP_STATE_BAD);
	rs_cmp_node_free(&c);

	/* two snapshots whose meta.json cannot be read: counted, the first named */
	strcpy(s[0].name, "2-20-1");
	strcpy(s[0].problem, "meta.json: bad");
	strcpy(s[1].name, "1-10-1");
	strcpy(s[1].problem, "meta.json: gone");
	n.snapshots.v = s;
	n.snapshots.n = 2;
	n.count = 6;
	ck_assert_int_eq(rs_cmp_from_node(&c, &n), RS_OK);
	ck_assert_uint_eq(c.last_index, 9);
	ck_assert_uint_eq(c.snap_unusable, 2);
	ck_assert_str_eq(c.snap_unusable_why, "2-20-1: meta.json: bad");
	ck_assert_int_eq(c.has_snapshot, 0);
	rs_cmp_node_free(&c);
}
END_TEST

START_TEST(read_dir_without_slash)
{
	const char *dirs[1] = {"oci-no-such-node-cengine"};
	struct rs_cmp_node c;
	struct rs_err e = {0};

	ck_assert_int_eq(rs_cmp_read_dirs(dirs, 1, 1, &c, &e), RS_OK);
	ck_assert_str_eq(c.name, "oci-no-such-node-cengine");
	ck_assert_str_eq(c.origin, "oci-no-such-node-cengine");
	ck_assert_msg(strncmp(c.error, "cannot be read: ", 16) == 0, "%s", c.error);
	rs_cmp_node_free(&c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("compare_cases");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, term_at_bounds_and_search);
	tcase_add_test(tc, snapshots_set_the_common_floor);
	tcase_add_test(tc, snapshot_joins_the_log);
	tcase_add_test(tc, differ_at_first_known_index);
	tcase_add_test(tc, unknown_when_starts_cannot_decide);
	tcase_add_test(tc, no_overlap);
	tcase_add_test(tc, invalid_nodes_and_recovery);
	tcase_add_test(tc, members_and_heads);
	tcase_add_test(tc, from_node_facts);
	tcase_add_test(tc, read_dir_without_slash);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
