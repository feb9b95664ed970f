/*
 * info's summary and entry walk (raftstate/summary.h) on nodes built with
 * our bolt writer, for what the CLI tests' real nodes never hold: stable
 * values of the wrong size, a vote candidate without its term (and one
 * longer than the copy kept), a log key that is no 8-byte index, an entry
 * that does not decode (counted around by --full, named by --entries), a
 * missing stable store (the log still read: partial), a log file without
 * the logs bucket, --entries asking for more entries than there are, and
 * the unsafe head found among peeked block numbers (one refused by Apply,
 * two equal: the older wins).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bolt_fixture.h"
#include "raftstate/config.h"
#include "raftstate/log.h"
#include "raftstate/nodedir.h"
#include "raftstate/stable.h"
#include "raftstate/summary.h"
#include "tests/check_support.h"
#include "tests/payload_build.h"

static char dir[] = "/tmp/oci-tsummary-XXXXXX";

static char *new_node(void)
{
	char *node;

	ck_assert(asprintf(&node, "%s/sXXXXXX", dir) > 0);
	ck_assert_ptr_nonnull(mkdtemp(node));
	return node;
}

/* raft-log.db of entries 1..n: entry i holds block number[i-1] (0: a
 * configuration entry, NOOP: a noop); entry `damaged` (> 0) with its
 * transactions offset below the extra data (its number still peeks, but
 * Apply refuses it); entry `garbage` (> 0) a value that is no raft.Log */
#define NOOP UINT64_MAX

static void write_log(const char *node, const uint64_t *number, size_t n, size_t damaged,
                      size_t garbage)
{
	struct rs_server srv = {0, "s1", 2, "h:1", 3};
	struct rs_config cfg = {&srv, 1};
	struct mp_buf conf = {0}, *vals = calloc(n, sizeof(*vals));
	struct kv *kvs = calloc(n, sizeof(*kvs));
	uint8_t(*keys)[8] = calloc(n, 8);
	struct rs_err err = {0};

	ck_assert(vals != NULL && kvs != NULL && keys != NULL);
	ck_assert(rs_config_encode(&cfg, &conf, &err) == RS_OK);
	for (size_t i = 0; i < n; i++) {
		struct pb_spec sp = {.version = 4,
		                     .number = number[i],
		                     .timestamp = 1700000000 + number[i],
		                     .extra_len = 8,
		                     .txs = 1,
		                     .tx_size = 40,
		                     .withdrawals = 1};
		struct rs_log l;
		size_t len = 0;
		uint8_t *d = NULL;

		memset(&l, 0, sizeof(l));
		l.index = i + 1;
		l.term = 2;
		l.ext_nil = 1;
		if (number[i] == 0) {
			l.type = RS_LOG_CONFIGURATION;
			l.data = conf.p;
			l.data_len = conf.len;
		} else if (number[i] == NOOP) {
			l.type = RS_LOG_NOOP;
			l.data_nil = 1;
		} else {
			pb_hash(sp.hash, i + 1);
			pb_hash(sp.parent, i);
			d = pb_build(&sp, 0, &len);
			if (i + 1 == damaged)
				pb_le32(d + 32 + 504, 100);
			l.type = RS_LOG_COMMAND;
			l.data = d;
			l.data_len = len;
		}
		if (i + 1 == garbage)
			mp_put_raw(&vals[i], "junk", 4);
		else
			ck_assert(rs_log_encode(&l, &vals[i], &err) == RS_OK);
		free(d);
		rs_put_be64(keys[i], i + 1);
		kvs[i] = (struct kv){keys[i], 8, vals[i].p, vals[i].len};
	}
	write_db(node, RS_LOG_FILE, RS_BUCKET_LOGS, kvs, n);
	for (size_t i = 0; i < n; i++)
		mp_buf_free(&vals[i]);
	mp_buf_free(&conf);
	free(vals);
	free(kvs);
	free(keys);
}

/* entries 1..n: a configuration, then noops; `garbage` as write_log */
static void write_entries(const char *node, size_t n, size_t garbage)
{
	uint64_t *number = calloc(n, sizeof(*number));

	ck_assert_ptr_nonnull(number);
	for (size_t i = 1; i < n; i++)
		number[i] = NOOP;
	write_log(node, number, n, 0, garbage);
	free(number);
}

static void write_stable(const char *node, const struct kv *kvs, size_t n)
{
	write_db(node, RS_STABLE_FILE, RS_BUCKET_CONF, kvs, n);
}

static const uint8_t term2[8] = {0, 0, 0, 0, 0, 0, 0, 2};

START_TEST(stable_values_checked)
{
	struct rs_summary_opts o = {.lock_timeout = 5};
	struct rs_node n;
	struct rs_err err = {0};
	char *a = new_node(), *b = new_node(), *c = new_node(), cand[400];

	/* CurrentTerm of 4 bytes */
	{
		struct kv kvs[1] = {{RS_KEY_CURRENT_TERM, strlen(RS_KEY_CURRENT_TERM), term2, 4}};

		write_stable(a, kvs, 1);
		write_entries(a, 3, 0);
	}
	ck_assert_int_eq(rs_node_summarize(a, &o, &n, &err), RS_ECORRUPT);
	ck_assert_str_eq(err.msg, "CurrentTerm holds 4 bytes, not 8");
	rs_node_free(&n);

	/* LastVoteTerm without LastVoteCand: the seek lands on LastVoteTerm */
	{
		struct kv kvs[2] = {
		    {RS_KEY_CURRENT_TERM, strlen(RS_KEY_CURRENT_TERM), term2, 8},
		    {RS_KEY_LAST_VOTE_TERM, strlen(RS_KEY_LAST_VOTE_TERM), term2, 8}};

		write_stable(b, kvs, 2);
		write_entries(b, 3, 0);
	}
	ck_assert_msg(rs_node_summarize(b, &o, &n, &err) == RS_OK, "%s", err.msg);
	ck_assert(n.has_current_term && n.has_last_vote_term && !n.has_last_vote_cand);
	ck_assert_uint_eq(n.current_term, 2);
	ck_assert_uint_eq(n.last_index, 3);
	rs_node_free(&n);

	/* only a key past every stable key: nothing found, no error; a
	 * candidate longer than the copy kept: its length is kept whole */
	memset(cand, 'c', sizeof(cand));
	{
		struct kv kvs[2] = {
		    {RS_KEY_LAST_VOTE_CAND, strlen(RS_KEY_LAST_VOTE_CAND), cand, 400},
		    {"Zz", 2, term2, 8}};

		write_stable(c, kvs, 2);
		write_entries(c, 1, 0);
	}
	ck_assert_msg(rs_node_summarize(c, NULL, &n, &err) == RS_OK, "%s", err.msg);
	ck_assert(!n.has_current_term && !n.has_last_vote_term && n.has_last_vote_cand);
	ck_assert_uint_eq(n.last_vote_cand_len, 400);
	ck_assert_uint_eq(strlen(n.last_vote_cand), sizeof(n.last_vote_cand) - 1);
	rs_node_free(&n);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(log_damage_and_partial)
{
	struct rs_summary_opts o = {.lock_timeout = 5}, full = {.lock_timeout = 5, .full = 1};
	struct kv st[1] = {{RS_KEY_CURRENT_TERM, strlen(RS_KEY_CURRENT_TERM), term2, 8}};
	struct rs_node n;
	struct rs_err err = {0};
	char *a = new_node(), *b = new_node(), *c = new_node();

	/* a 3-byte key sorts after every index: the log's last key */
	{
		uint8_t k1[8], v[1] = {0xc0};
		struct kv kvs[2] = {{k1, 8, v, 1}, {"abc", 3, v, 1}};

		rs_put_be64(k1, 1);
		write_db(a, RS_LOG_FILE, RS_BUCKET_LOGS, kvs, 2);
		write_stable(a, st, 1);
	}
	ck_assert_int_eq(rs_node_summarize(a, &o, &n, &err), RS_ECORRUPT);
	ck_assert_str_eq(err.msg, "bucket logs holds a 3-byte key");
	rs_node_free(&n);

	/* --full counts around an entry that does not decode (verify names it) */
	write_entries(b, 6, 4);
	write_stable(b, st, 1);
	ck_assert_msg(rs_node_summarize(b, &full, &n, &err) == RS_OK, "%s", err.msg);
	ck_assert_uint_eq(n.count, 6);
	ck_assert_uint_eq(n.types[RS_LOG_CONFIGURATION], 1);
	ck_assert_uint_eq(n.types[RS_LOG_NOOP], 4);
	ck_assert_int_eq(n.config_source, RS_CONFIG_LOG);
	rs_node_free(&n);

	/* no stable store: the log is still read, and the error names the file */
	write_entries(c, 5, 0);
	ck_assert_int_ne(rs_node_summarize(c, &o, &n, &err), RS_OK);
	ck_assert_msg(strstr(err.msg, RS_STABLE_FILE) != NULL, "%s", err.msg);
	ck_assert_int_eq(n.partial, 1);
	ck_assert_uint_eq(n.last_index, 5);
	ck_assert_int_eq(n.config_source, RS_CONFIG_LOG);
	rs_node_free(&n);
	free(a);
	free(b);
	free(c);
}
END_TEST

struct seen {
	uint64_t index[64];
	int cfg[64];
	size_t n, stop;
};

static int see(void *ctx, const struct rs_log *log, const struct rs_config *cfg)
{
	struct seen *s = ctx;

	ck_assert_uint_lt(s->n, 64);
	s->cfg[s->n] = cfg != NULL && cfg->n == 1;
	s->index[s->n++] = log->index;
	return s->stop && s->n == s->stop;
}

START_TEST(entries_walk)
{
	struct seen s;
	struct rs_err err = {0};
	char *a = new_node(), *b = new_node(), *c = new_node();

	write_entries(a, 10, 0);
	/* the newest 3, oldest first */
	memset(&s, 0, sizeof(s));
	ck_assert_msg(rs_node_entries(a, NULL, 3, see, &s, &err) == RS_OK, "%s", err.msg);
	ck_assert(s.n == 3 && s.index[0] == 8 && s.index[2] == 10);
	/* more than there are: all of them, from the first */
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(rs_node_entries(a, NULL, 50, see, &s, &err), RS_OK);
	ck_assert(s.n == 10 && s.index[0] == 1 && s.cfg[0] == 1 && s.cfg[1] == 0);
	/* 0: every entry; fn stops the walk */
	memset(&s, 0, sizeof(s));
	s.stop = 4;
	ck_assert_int_eq(rs_node_entries(a, NULL, 0, see, &s, &err), RS_OK);
	ck_assert_uint_eq(s.n, 4);

	/* an entry that does not decode */
	write_entries(b, 6, 5);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(rs_node_entries(b, NULL, 0, see, &s, &err), RS_ECORRUPT);
	ck_assert_msg(strncmp(err.msg, "an entry does not decode: ", 26) == 0 &&
	                  strstr(err.msg, "(run verify)") != NULL,
	              "%s", err.msg);
	ck_assert_uint_eq(s.n, 4);

	/* a raft-log.db without the logs bucket */
	{
		struct bolt_db_options opt = {.page_size = 4096, .no_sync = 1};
		struct bolt_err be = {0};
		struct bolt_db *db;
		struct bolt_tx *tx;
		char *path;

		ck_assert(asprintf(&path, "%s/%s", c, RS_LOG_FILE) > 0);
		ck_assert(bolt_db_open(path, 1, &opt, &db, &be) == BOLT_OK);
		ck_assert(bolt_tx_begin(db, &tx, &be) == BOLT_OK);
		ck_assert(bolt_tx_commit(tx, &be) == BOLT_OK);
		ck_assert(bolt_db_close(db, &be) == BOLT_OK);
		free(path);
	}
	ck_assert_int_eq(rs_node_entries(c, NULL, 0, see, &s, &err), RS_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "logs") != NULL, "%s", err.msg);
	free(a);
	free(b);
	free(c);
}
END_TEST

/* rs_node_summarize_all without options: each job as rs_node_summarize. */
START_TEST(summarize_all_default_options)
{
	struct kv st[1] = {{RS_KEY_CURRENT_TERM, strlen(RS_KEY_CURRENT_TERM), term2, 8}};
	struct rs_summary_job jobs[2];
	char *a = new_node(), *b = new_node();

	write_entries(a, 4, 0);
	write_stable(a, st, 1);
	write_entries(b, 7, 0);
	write_stable(b, st, 1);
	memset(jobs, 0, sizeof(jobs));
	jobs[0].dir = a;
	jobs[1].dir = b;
	rs_node_summarize_all(jobs, 2, NULL);
	ck_assert_msg(jobs[0].rc == RS_OK, "%s", jobs[0].err.msg);
	ck_assert_msg(jobs[1].rc == RS_OK, "%s", jobs[1].err.msg);
	ck_assert_uint_eq(jobs[0].node.last_index, 4);
	ck_assert_uint_eq(jobs[1].node.last_index, 7);
	rs_node_free(&jobs[0].node);
	rs_node_free(&jobs[1].node);
	free(a);
	free(b);
}
END_TEST

/* The unsafe head from entries beyond the newest ones read in full: their
 * block numbers are peeked, the highest candidate decoded; one Apply
 * refuses is passed over, and of two equal numbers the older entry is the
 * head (Apply keeps the first). The same with the fast scan, without it,
 * and reading every entry. */
START_TEST(head_from_peeked_candidates)
{
	struct kv st[1] = {{RS_KEY_CURRENT_TERM, strlen(RS_KEY_CURRENT_TERM), term2, 8}};
	uint64_t num[30];
	char *a = new_node(), *b = new_node(), *c = new_node();
	const struct rs_summary_opts opts[] = {
	    {.lock_timeout = 5, .head_scan = 4},
	    {.lock_timeout = 5, .head_scan = 4, .no_fast = 1},
	    {.lock_timeout = 5, .head_scan = 4, .one_thread = 1},
	    {.lock_timeout = 5, .full = 1},
	};

	for (size_t i = 0; i < 30; i++)
		num[i] = i + 1;
	num[4] = num[6] = 100; /* entries 5 and 7 */
	num[8] = 150;          /* entry 9, damaged */
	write_log(a, num, 30, 9, 0);
	write_stable(a, st, 1);
	num[27] = 0; /* a configuration entry among the newest: once it and 4 payloads are
	              * read, the scan peeks the rest */
	write_log(b, num, 30, 9, 0);
	write_stable(b, st, 1);
	num[27] = 28;
	num[29] = 100; /* the newest entry holds 100 too: the older entry 5 is the head */
	write_log(c, num, 30, 9, 0);
	write_stable(c, st, 1);
	for (size_t k = 0; k < 3 * sizeof(opts) / sizeof(opts[0]); k++) {
		struct rs_node n;
		struct rs_err err = {0};
		const char *node = k % 3 == 0 ? a : k % 3 == 1 ? b : c;

		ck_assert_msg(rs_node_summarize(node, &opts[k / 3], &n, &err) == RS_OK, "%s",
		              err.msg);
		ck_assert_msg(n.head.block.found && n.head.block.number == 100 &&
		                  n.head.block.entry_index == 5,
		              "opts %zu: block %llu at %llu", k,
		              (unsigned long long)n.head.block.number,
		              (unsigned long long)n.head.block.entry_index);
		ck_assert_int_eq(n.head.block.source, RS_BLOCK_LOG);
		rs_node_free(&n);
	}
	free(a);
	free(b);
	free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("summary");
	TCase *tc = tcase_create("summary");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, stable_values_checked);
	tcase_add_test(tc, log_damage_and_partial);
	tcase_add_test(tc, entries_walk);
	tcase_add_test(tc, summarize_all_default_options);
	tcase_add_test(tc, head_from_peeked_candidates);
	suite_add_tcase(s, tc);
	return oci_check_run_in_tmpdir(s, dir);
}
