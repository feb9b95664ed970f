/*
 * raftstate/raftrules.c: each rule against the hashicorp/raft v1.7.3 code it
 * follows (named per test), on the boundary cases.
 */
#include <check.h>
#include <string.h>

#include "raftstate/compare.h"
#include "raftstate/raftrules.h"
#include "tests/check_support.h"

static struct rs_last_entry last(uint64_t li, uint64_t lt, int s, uint64_t si, uint64_t st)
{
	return rs_rule_last_entry(li, lt, s, si, st);
}

/* state.go getLastEntry: the log when lastLogIndex >= lastSnapshotIndex */
START_TEST(last_entry_is_log_or_snapshot_by_index)
{
	struct rs_last_entry e;

	e = last(110, 2, 1, 100, 2);
	ck_assert_uint_eq(e.index, 110);
	ck_assert_int_eq(e.from_snapshot, 0);
	e = last(5, 1, 1, 100, 2);
	ck_assert_uint_eq(e.index, 100);
	ck_assert_uint_eq(e.term, 2);
	ck_assert_int_eq(e.from_snapshot, 1);
	e = last(100, 3, 1, 100, 3); /* equal: the log's */
	ck_assert_int_eq(e.from_snapshot, 0);
	e = last(0, 0, 1, 7, 1); /* empty log */
	ck_assert_uint_eq(e.index, 7);
	/* a log past the snapshot with a lower term (an uncommitted old
	 * tail kept after installSnapshot) is still the log's: raft compares
	 * indexes here, not terms */
	e = last(120, 2, 1, 110, 3);
	ck_assert_uint_eq(e.index, 120);
	ck_assert_uint_eq(e.term, 2);
	e = last(0, 0, 0, 0, 0);
	ck_assert_uint_eq(e.index, 0);
}
END_TEST

/* raft.go requestVote: a higher last term, then a higher last index, refuses */
START_TEST(up_to_date_term_then_index)
{
	ck_assert_int_gt(rs_rule_up_to_date_cmp(last(5, 1, 1, 100, 2), last(80, 1, 0, 0, 0)), 0);
	ck_assert_int_lt(rs_rule_up_to_date_cmp(last(80, 1, 0, 0, 0), last(5, 1, 1, 100, 2)), 0);
	ck_assert_int_gt(rs_rule_up_to_date_cmp(last(81, 1, 0, 0, 0), last(80, 1, 0, 0, 0)), 0);
	ck_assert_int_eq(rs_rule_up_to_date_cmp(last(0, 0, 1, 80, 1), last(80, 1, 0, 0, 0)), 0);
	ck_assert_int_gt(rs_rule_up_to_date_cmp(last(2, 3, 0, 0, 0), last(900, 2, 0, 0, 0)), 0);
}
END_TEST

/* runFollower + configuration.go hasVote: listed, Suffrage Voter */
START_TEST(only_voters_campaign)
{
	struct rs_server sv[3] = {
	    {RS_VOTER, "a", 1, "x:1", 3},
	    {RS_NONVOTER, "b", 1, "x:2", 3},
	    {RS_STAGING, "c", 1, "x:3", 3},
	};
	struct rs_config c = {sv, 3};

	ck_assert_int_eq(rs_rule_can_campaign(&c, "a", 1), 1);
	ck_assert_int_eq(rs_rule_can_campaign(&c, "b", 1), 0);
	ck_assert_int_eq(rs_rule_can_campaign(&c, "c", 1), 0);
	ck_assert_int_eq(rs_rule_can_campaign(&c, "d", 1), 0);
	ck_assert_int_eq(rs_rule_can_campaign(&c, "ab", 2), 0);
	ck_assert_uint_eq(rs_rule_voters(&c), 1);
	/* raft.go quorumSize */
	ck_assert_uint_eq(rs_rule_quorum(1), 1);
	ck_assert_uint_eq(rs_rule_quorum(2), 2);
	ck_assert_uint_eq(rs_rule_quorum(3), 2);
	ck_assert_uint_eq(rs_rule_quorum(5), 3);
}
END_TEST

/* api.go NewRaft: GetLog of snapshotIndex+1 .. lastIndex */
START_TEST(newraft_reads_after_the_snapshot)
{
	ck_assert_uint_eq(rs_rule_first_read(0, 0), 1);
	ck_assert_uint_eq(rs_rule_first_read(1, 100), 101);
	/* gaps: prev .. next are present */
	ck_assert_int_eq(rs_rule_gap_read(2, 4, 0, 0), 1);      /* no snapshot: 3 is read */
	ck_assert_int_eq(rs_rule_gap_read(5, 101, 1, 100), 0);  /* 6..100: never read */
	ck_assert_int_eq(rs_rule_gap_read(5, 102, 1, 100), 1);  /* 101 is read */
	ck_assert_int_eq(rs_rule_gap_read(5, 101, 1, 99), 1);   /* 100 is read */
	ck_assert_int_eq(rs_rule_gap_read(100, 101, 1, 50), 0); /* no gap */
	ck_assert_int_eq(rs_rule_gap_read(5, 50, 1, 100), 0);   /* wholly below */
	/* the log's start */
	ck_assert_int_eq(rs_log_start_uncovered(1, 0, 0), 0);
	ck_assert_int_eq(rs_log_start_uncovered(2, 0, 0), 1);
	ck_assert_int_eq(rs_log_start_uncovered(101, 1, 100), 0);
	ck_assert_int_eq(rs_log_start_uncovered(50, 1, 100), 0);
	ck_assert_int_eq(rs_log_start_uncovered(102, 1, 100), 1);
}
END_TEST

static void node(struct rs_cmp_node *c, const char *name, uint64_t first, uint64_t lastidx,
                 uint64_t term, int snap, uint64_t si, uint64_t st, struct rs_config *cfg)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->name, name);
	c->first_index = first;
	c->last_index = lastidx;
	c->last_term = term;
	c->has_snapshot = snap;
	c->snap_index = si;
	c->snap_term = st;
	c->config = *cfg;
	c->config_source = RS_CONFIG_LOG;
	c->terms.valid = 1;
	c->terms.complete = 1;
	c->terms.n = 1;
	c->terms.v[0].index = first;
	c->terms.v[0].term = term;
}

/* compare: the source is the most up-to-date voter; a snapshot counts */
START_TEST(compare_ranks_with_snapshots_among_voters)
{
	struct rs_server sv[3] = {
	    {RS_VOTER, "a", 1, "x:1", 3},
	    {RS_VOTER, "b", 1, "x:2", 3},
	    {RS_NONVOTER, "c", 1, "x:3", 3},
	};
	struct rs_config cfg = {sv, 3};
	struct rs_cmp_node v[3];
	struct rs_cmp_result r;
	struct rs_err err = {0};

	node(&v[0], "a", 1, 5, 1, 1, 100, 2, &cfg); /* installed snapshot 100 */
	node(&v[1], "b", 1, 80, 1, 0, 0, 0, &cfg);
	node(&v[2], "c", 1, 90, 1, 0, 0, 0, &cfg);
	ck_assert_int_eq(rs_compare(v, 3, &r, &err), RS_OK);
	ck_assert_int_eq(r.has_source, 1);
	ck_assert_uint_eq(r.source, 0);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_NO_OVERLAP);
	ck_assert_int_eq(r.has_nonvoter_ahead, 0); /* (1, 90) is not ahead of (2, 100) */
	ck_assert_int_eq(r.recovery_needed, 0);
	rs_cmp_result_free(&r);

	/* without the snapshot, b would lead the voters and c is ahead of it */
	v[0].has_snapshot = 0;
	ck_assert_int_eq(rs_compare(v, 3, &r, &err), RS_OK);
	ck_assert_uint_eq(r.source, 1);
	ck_assert_int_eq(r.has_nonvoter_ahead, 1);
	ck_assert_uint_eq(r.nonvoter_ahead, 2);
	ck_assert_int_eq(r.pairs[2].relation, RS_REL_AHEAD);
	ck_assert_uint_eq(r.pairs[2].ahead, 10);
	ck_assert_int_eq(r.consistent, 0);
	rs_cmp_result_free(&r);

	/* one node: compared, and one voter of two cannot elect */
	ck_assert_int_eq(rs_compare(v, 1, &r, &err), RS_OK);
	ck_assert_int_eq(r.pairs[0].relation, RS_REL_SOURCE);
	ck_assert_int_eq(r.recovery_needed, 1);
	ck_assert_uint_eq(r.recover_term, 2);
	rs_cmp_result_free(&r);
}
END_TEST

/* compare: a diverged node's unsafe head on its discarded tail is lost
 * (head_lost), and a conflict when another node holds that block number
 * with another hash; a head below the divergence is kept */
START_TEST(compare_head_on_discarded_tail)
{
	struct rs_server sv[2] = {
	    {RS_VOTER, "a", 1, "x:1", 3},
	    {RS_VOTER, "b", 1, "x:2", 3},
	};
	struct rs_config cfg = {sv, 2};
	struct rs_cmp_node v[2];
	struct rs_cmp_result r;
	struct rs_err err = {0};

	node(&v[0], "a", 1, 10, 2, 0, 0, 0, &cfg); /* 1..5 term 1, 6..10 term 2 */
	v[0].terms.v[0].term = 1;
	v[0].terms.v[1].index = 6;
	v[0].terms.v[1].term = 2;
	v[0].terms.n = 2;
	node(&v[1], "b", 1, 8, 1, 0, 0, 0, &cfg); /* 1..8 term 1: leaves a after 5 */
	v[1].head.found = 1;
	v[1].head.source = RS_BLOCK_LOG;
	v[1].head.number = 42;
	v[1].head.entry_index = 7;
	ck_assert_int_eq(rs_compare(v, 2, &r, &err), RS_OK);
	ck_assert_uint_eq(r.source, 0);
	ck_assert_int_eq(r.pairs[1].relation, RS_REL_DIVERGED);
	ck_assert_uint_eq(r.pairs[1].discard_from, 6);
	ck_assert_int_eq(r.pairs[1].head_lost, 1);
	ck_assert_int_eq(r.pairs[1].head_conflict, 0); /* nobody else holds block 42 */
	ck_assert_int_eq(r.pairs[0].head_lost, 0);
	rs_cmp_result_free(&r);

	v[0].head = v[1].head;
	v[0].head.hash[0] = 1; /* a holds block 42 with another hash */
	ck_assert_int_eq(rs_compare(v, 2, &r, &err), RS_OK);
	ck_assert_int_eq(r.pairs[1].head_lost, 1);
	ck_assert_int_eq(r.pairs[1].head_conflict, 1);
	ck_assert_uint_eq(r.pairs[1].head_conflict_with, 0);
	rs_cmp_result_free(&r);

	v[1].head.entry_index = 5; /* below the divergence: kept */
	ck_assert_int_eq(rs_compare(v, 2, &r, &err), RS_OK);
	ck_assert_int_eq(r.pairs[1].head_lost, 0);
	ck_assert_int_eq(r.pairs[1].head_conflict, 0);
	rs_cmp_result_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("raftrules");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, last_entry_is_log_or_snapshot_by_index);
	tcase_add_test(tc, up_to_date_term_then_index);
	tcase_add_test(tc, only_voters_campaign);
	tcase_add_test(tc, newraft_reads_after_the_snapshot);
	tcase_add_test(tc, compare_ranks_with_snapshots_among_voters);
	tcase_add_test(tc, compare_head_on_discarded_tail);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
