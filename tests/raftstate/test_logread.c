/*
 * The range reader behind `raft logs` (raftstate/logread.h), on logs built
 * with our bolt writer: the locked read and the live read (batches of 64
 * entries or 1 MiB, a fresh view each, the front of the log checked between
 * them) hand on the same entries; batches bounded by bytes, with values
 * larger than the first buffer; the block range found by binary search
 * (also live, also clipped by --to); ranges past the log; the type filter
 * (unknown types by bit 63); a caller that stops the read; a decrease of
 * block numbers named in the stats; a damaged log refused with the entry
 * or key at fault; and a live read stopped when raft compacts the front of
 * the log between two batches.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bolt_fixture.h"
#include "raftstate/log.h"
#include "raftstate/logread.h"
#include "raftstate/nodedir.h"
#include "raftstate/stable.h"
#include "tests/check_support.h"
#include "tests/payload_build.h"

static char dir[] = "/tmp/oci-tlogread-XXXXXX";

enum { K_BLOCK, K_NOOP, K_TYPE9, K_GARBAGE };

struct ent {
	uint64_t index;
	int kind;
	uint64_t number;  /* K_BLOCK */
	uint32_t tx_size; /* K_BLOCK: two transactions of this size (0: none) */
};

/* A fresh node directory under dir holding raft-log.db with the entries. */
static char *build(const struct ent *e, size_t n)
{
	struct kv *kvs = calloc(n ? n : 1, sizeof(*kvs));
	struct mp_buf *vals = calloc(n ? n : 1, sizeof(*vals));
	uint8_t(*keys)[8] = calloc(n ? n : 1, 8);
	char *node;

	ck_assert(kvs != NULL && vals != NULL && keys != NULL);
	ck_assert(asprintf(&node, "%s/nXXXXXX", dir) > 0);
	ck_assert_ptr_nonnull(mkdtemp(node));
	for (size_t i = 0; i < n; i++) {
		struct rs_log l;
		struct rs_err err = {0};
		uint8_t *data = NULL;
		size_t len = 0;

		memset(&l, 0, sizeof(l));
		l.index = e[i].index;
		l.term = 1;
		l.ext_nil = 1;
		l.data_nil = 1;
		if (e[i].kind == K_BLOCK) {
			struct pb_spec s = {.version = 4,
			                    .number = e[i].number,
			                    .timestamp = 1700000000 + e[i].number,
			                    .extra_len = 8,
			                    .txs = e[i].tx_size ? 2 : 0,
			                    .tx_size = e[i].tx_size,
			                    .withdrawals = 1};

			pb_hash(s.hash, e[i].number);
			pb_hash(s.parent, e[i].number - 1);
			data = pb_build(&s, 0, &len);
			l.type = RS_LOG_COMMAND;
			l.data = data;
			l.data_len = len;
			l.data_nil = 0;
		} else {
			l.type = e[i].kind == K_TYPE9 ? 9 : RS_LOG_NOOP;
		}
		rs_put_be64(keys[i], e[i].index);
		if (e[i].kind == K_GARBAGE) {
			mp_put_raw(&vals[i], "not msgpack", 11); /* a string, not a raft.Log */
		} else {
			ck_assert_msg(rs_log_encode(&l, &vals[i], &err) == RS_OK, "%s", err.msg);
		}
		free(data);
		kvs[i] = (struct kv){keys[i], 8, vals[i].p, vals[i].len};
	}
	write_db(node, RS_LOG_FILE, RS_BUCKET_LOGS, kvs, n);
	for (size_t i = 0; i < n; i++)
		mp_buf_free(&vals[i]);
	free(vals);
	free(kvs);
	free(keys);
	return node;
}

/* entries first..last: payloads of block index + off, every `noop`-th a noop */
static struct ent *blocks(uint64_t first, uint64_t last, int64_t off, unsigned noop)
{
	struct ent *e = calloc(last - first + 1, sizeof(*e));

	ck_assert_ptr_nonnull(e);
	for (uint64_t i = first; i <= last; i++) {
		struct ent *x = &e[i - first];

		x->index = i;
		x->kind = noop && i % noop == 0 ? K_NOOP : K_BLOCK;
		x->number = (uint64_t)((int64_t)i + off);
	}
	return e;
}

#define MAXGOT 4096

struct got {
	size_t n, stop_after;
	uint64_t index[MAXGOT], number[MAXGOT], type[MAXGOT];
	size_t data_len[MAXGOT];
};

static int collect(void *ctx, const struct rs_log *log, int form, const struct rs_block *b)
{
	struct got *g = ctx;

	ck_assert_uint_lt(g->n, MAXGOT);
	g->index[g->n] = log->index;
	g->type[g->n] = log->type;
	g->number[g->n] = form != RS_PAYLOAD_NONE ? b->number : UINT64_MAX;
	g->data_len[g->n] = log->data_len;
	g->n++;
	return g->stop_after && g->n == g->stop_after ? 7 : 0;
}

/* rs_logs_read of node with o, into g; its return code. */
static int read_logs(const char *node, struct rs_logs_opts o, struct got *g,
                     struct rs_logs_stats *st, struct rs_err *err)
{
	size_t stop = g->stop_after;

	memset(g, 0, sizeof(*g));
	g->stop_after = stop;
	memset(err, 0, sizeof(*err));
	if (o.lock_timeout == 0)
		o.lock_timeout = 5;
	return rs_logs_read(node, &o, collect, g, st, err);
}

static struct rs_logs_opts all(int live)
{
	struct rs_logs_opts o = {.live = live, .from = 0, .to = UINT64_MAX};

	return o;
}

static void same(const struct got *a, const struct got *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		ck_assert_uint_eq(a->index[i], b->index[i]);
		ck_assert_uint_eq(a->number[i], b->number[i]);
		ck_assert_uint_eq(a->data_len[i], b->data_len[i]);
	}
}

static struct got ga, gb;

START_TEST(live_batches_give_the_locked_answer)
{
	struct ent *e = blocks(1, 300, 0, 7);
	char *node = build(e, 300);
	struct rs_logs_stats sa, sb;
	struct rs_err err;

	ck_assert_msg(read_logs(node, all(0), &ga, &sa, &err) == RS_OK, "%s", err.msg);
	ck_assert_msg(read_logs(node, all(1), &gb, &sb, &err) == RS_OK, "%s", err.msg);
	ck_assert_uint_eq(ga.n, 300);
	for (size_t i = 0; i < 300; i++)
		ck_assert_uint_eq(ga.index[i], i + 1);
	same(&ga, &gb);
	ck_assert_uint_eq(sa.first_index, 1);
	ck_assert_uint_eq(sa.last_index, 300);
	ck_assert_uint_eq(sa.count, 300);
	ck_assert(sb.first_index == 1 && sb.last_index == 300 && sb.passed == 300);
	ck_assert_uint_eq(sb.scanned, 300);
	ck_assert_int_eq(sa.decreased, 0);

	/* the block range, locked and live: blocks 100..110 (every 7th entry a
	 * noop) */
	{
		struct rs_logs_opts o = all(0);

		o.has_from_block = o.has_to_block = 1;
		o.from_block = 100;
		o.to_block = 110;
		ck_assert_int_eq(read_logs(node, o, &ga, &sa, &err), RS_OK);
		o.live = 1;
		ck_assert_int_eq(read_logs(node, o, &gb, &sb, &err), RS_OK);
		same(&ga, &gb);
		ck_assert_uint_eq(ga.n, 10); /* 105 is a noop */
		ck_assert_uint_eq(ga.number[0], 100);
		ck_assert_uint_eq(ga.number[9], 110);
		ck_assert_uint_eq(sa.start_index, 100);
		ck_assert_uint_lt(sa.scanned, 300); /* it did not read from the start */
		/* past the last block: nothing, and nothing scanned */
		o.live = 0;
		o.from_block = 1000;
		o.has_to_block = 0;
		ck_assert_int_eq(read_logs(node, o, &ga, &sa, &err), RS_OK);
		ck_assert_uint_eq(ga.n, 0);
		ck_assert_uint_eq(sa.scanned, 0);
		/* the search clipped by --to: probes past it find nothing */
		o.from_block = 45;
		o.to = 50;
		ck_assert_int_eq(read_logs(node, o, &ga, &sa, &err), RS_OK);
		ck_assert_uint_eq(ga.n, 5); /* 45..50; 49 is a noop */
		ck_assert_uint_eq(ga.index[4], 50);
		o.from_block = 55;
		ck_assert_int_eq(read_logs(node, o, &ga, &sa, &err), RS_OK);
		ck_assert_uint_eq(ga.n, 0);
		/* --to on a noop: the probe walks past it to 50 and stops */
		o.from_block = 47;
		o.to = 49;
		ck_assert_int_eq(read_logs(node, o, &ga, &sa, &err), RS_OK);
		ck_assert(ga.n == 2 && ga.index[0] == 47 && ga.index[1] == 48);
	}
	/* an index range past the log: nothing */
	{
		struct rs_logs_opts o = all(1);

		o.from = 301;
		ck_assert_int_eq(read_logs(node, o, &ga, &sa, &err), RS_OK);
		ck_assert_uint_eq(ga.n, 0);
		ck_assert_uint_eq(sa.count, 300);
	}
	free(e);
	free(node);
}
END_TEST

/* Values of ~1.5 MB: a live batch holds one (1 MiB bound, but never none),
 * the locked buffer grows past its first 1 MiB. */
START_TEST(batches_bounded_by_bytes)
{
	struct ent e[4] = {{1, K_NOOP, 0, 0},
	                   {2, K_BLOCK, 2, 750000},
	                   {3, K_BLOCK, 3, 750000},
	                   {4, K_BLOCK, 4, 1600000}};
	char *node = build(e, 4);
	struct rs_logs_stats sa, sb;
	struct rs_err err;

	ck_assert_msg(read_logs(node, all(0), &ga, &sa, &err) == RS_OK, "%s", err.msg);
	ck_assert_msg(read_logs(node, all(1), &gb, &sb, &err) == RS_OK, "%s", err.msg);
	ck_assert_uint_eq(ga.n, 4);
	same(&ga, &gb);
	ck_assert_uint_gt(ga.data_len[1], 1500000);
	ck_assert_uint_gt(ga.data_len[3], 3200000);
	ck_assert_uint_eq(ga.number[3], 4);
	free(node);
}
END_TEST

/* --type: one bit a type, bit 63 every type beyond LogConfiguration; a
 * caller's non-zero return stops the read and is returned. */
START_TEST(types_and_stop)
{
	struct ent e[6] = {{1, K_NOOP, 0, 0},  {2, K_BLOCK, 2, 0}, {3, K_TYPE9, 0, 0},
	                   {4, K_BLOCK, 4, 0}, {5, K_NOOP, 0, 0},  {6, K_BLOCK, 6, 0}};
	char *node = build(e, 6);
	struct rs_logs_opts o = all(0);
	struct rs_logs_stats st;
	struct rs_err err;

	o.types = UINT64_C(1) << 63;
	ck_assert_int_eq(read_logs(node, o, &ga, &st, &err), RS_OK);
	ck_assert_uint_eq(ga.n, 1);
	ck_assert_uint_eq(ga.index[0], 3);
	ck_assert_uint_eq(ga.type[0], 9);
	o.types = UINT64_C(1) << RS_LOG_NOOP;
	ck_assert_int_eq(read_logs(node, o, &ga, &st, &err), RS_OK);
	ck_assert(ga.n == 2 && ga.index[0] == 1 && ga.index[1] == 5);

	o.types = 0;
	ga.stop_after = 3;
	ck_assert_int_eq(read_logs(node, o, &ga, &st, &err), 7);
	ck_assert_uint_eq(ga.n, 3);
	ck_assert_uint_eq(st.passed, 3);
	ga.stop_after = 0;
	free(node);
}
END_TEST

/* A new leader's lower blocks: the first decrease is named. */
START_TEST(decrease_is_named)
{
	struct ent *e = blocks(1, 60, 0, 0);
	char *node;
	struct rs_logs_stats st;
	struct rs_err err;

	for (size_t i = 50; i < 60; i++)
		e[i].number = i - 30; /* 51..60 hold blocks 20..29 */
	node = build(e, 60);
	ck_assert_int_eq(read_logs(node, all(0), &ga, &st, &err), RS_OK);
	ck_assert_int_eq(st.decreased, 1);
	ck_assert_uint_eq(st.decrease_index, 51);
	ck_assert_uint_eq(st.decrease_from, 50);
	ck_assert_uint_eq(st.decrease_to, 20);
	free(e);
	free(node);
}
END_TEST

/* Damage: a key that is no 8-byte index, keys out of order, an entry that
 * does not decode, no file; an empty log is no error. */
START_TEST(damage_is_named)
{
	struct ent e[3] = {{1, K_BLOCK, 1, 0}, {2, K_GARBAGE, 0, 0}, {3, K_BLOCK, 3, 0}};
	char *node = build(e, 3), *empty = build(NULL, 0), *odd;
	struct rs_logs_stats st;
	struct rs_err err;

	ck_assert_int_eq(read_logs(node, all(0), &ga, &st, &err), RS_ECORRUPT);
	ck_assert_msg(strncmp(err.msg, "entry 2 does not decode: ", 25) == 0 &&
	                  strstr(err.msg, "(run raft verify)") != NULL,
	              "%s", err.msg);
	ck_assert_uint_eq(ga.n, 1); /* entry 1 was handed on before it */

	ck_assert_int_eq(read_logs(empty, all(0), &ga, &st, &err), RS_OK);
	ck_assert_uint_eq(st.count, 0);
	ck_assert_uint_eq(ga.n, 0);
	ck_assert_int_eq(read_logs(empty, all(1), &ga, &st, &err), RS_OK);

	/* a 3-byte key sorts after every index key: the log's last key */
	ck_assert(asprintf(&odd, "%s/odd", dir) > 0);
	ck_assert_int_eq(mkdir(odd, 0755), 0);
	{
		uint8_t k1[8], v1[1] = {0xc0};
		struct kv kvs[2] = {{k1, 8, v1, 1}, {"abc", 3, v1, 1}};

		rs_put_be64(k1, 1);
		write_db(odd, RS_LOG_FILE, RS_BUCKET_LOGS, kvs, 2);
	}
	ck_assert_int_eq(read_logs(odd, all(0), &ga, &st, &err), RS_ECORRUPT);
	ck_assert_str_eq(err.msg, "bucket logs holds a 3-byte key");

	/* keys out of order (the first and last keys swapped in the leaf, in
	 * place): the first key is above the last. Indexes whose 8 bytes occur
	 * nowhere else in the file but in the values' Index fields (cf + 8
	 * bytes). */
	{
		const uint64_t base = UINT64_C(0x0102030405060700);
		struct ent e3[3] = {
		    {base + 1, K_NOOP, 0, 0}, {base + 2, K_NOOP, 0, 0}, {base + 3, K_NOOP, 0, 0}};
		char *swapped = build(e3, 3), *path;
		uint8_t k1[8], k3[8], *buf;
		long at1 = -1, at3 = -1, size;
		FILE *f;

		rs_put_be64(k1, base + 1);
		rs_put_be64(k3, base + 3);
		ck_assert(asprintf(&path, "%s/%s", swapped, RS_LOG_FILE) > 0);
		f = fopen(path, "r+b");
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
		size = ftell(f);
		buf = malloc((size_t)size);
		ck_assert_ptr_nonnull(buf);
		rewind(f);
		ck_assert_uint_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
		for (long i = 1; i + 8 <= size; i++) {
			if (buf[i - 1] == 0xcf)
				continue; /* the value's Index (msgpack uint64), not the key */
			if (memcmp(buf + i, k1, 8) == 0) {
				ck_assert_int_eq(at1, -1); /* one place only */
				at1 = i;
			}
			if (memcmp(buf + i, k3, 8) == 0) {
				ck_assert_int_eq(at3, -1);
				at3 = i;
			}
		}
		ck_assert(at1 >= 0 && at3 >= 0);
		ck_assert_int_eq(fseek(f, at1, SEEK_SET), 0);
		ck_assert_uint_eq(fwrite(k3, 1, 8, f), 8);
		ck_assert_int_eq(fseek(f, at3, SEEK_SET), 0);
		ck_assert_uint_eq(fwrite(k1, 1, 8, f), 8);
		ck_assert_int_eq(fclose(f), 0);
		ck_assert_int_eq(read_logs(swapped, all(0), &ga, &st, &err), RS_ECORRUPT);
		ck_assert_str_eq(err.msg, "bucket logs is out of order");
		free(buf);
		free(path);
		free(swapped);
	}
	{
		char *none;

		ck_assert(asprintf(&none, "%s/none", dir) > 0);
		ck_assert_int_ne(read_logs(none, all(0), &ga, &st, &err), RS_OK);
		ck_assert_msg(strstr(err.msg, "raft-log.db") != NULL, "%s", err.msg);
		free(none);
	}
	free(node);
	free(empty);
	free(odd);
}
END_TEST

/* raft compacting the log between two live batches (snapshot.go
 * compactLogs: DeleteRange from the first index): the next batch would
 * start past what was handed on, so the read stops and says so, rather
 * than print a log with a hole no raft-boltdb held. */
struct compactor {
	struct got g;
	const char *node;
	uint64_t at, del_to; /* after `at` entries, delete 1..del_to */
};

static void delete_front(const char *node, uint64_t to)
{
	struct bolt_db_options opt = {.page_size = 4096, .no_sync = 1};
	struct bolt_err be = {0};
	struct bolt_bucket *logs;
	struct bolt_db *db;
	struct bolt_tx *tx;
	char *path;

	ck_assert(asprintf(&path, "%s/%s", node, RS_LOG_FILE) > 0);
	ck_assert_msg(bolt_db_open(path, 0, &opt, &db, &be) == BOLT_OK, "%s", be.msg);
	ck_assert(bolt_tx_begin(db, &tx, &be) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), RS_BUCKET_LOGS, 4, &logs, &be) == BOLT_OK);
	for (uint64_t i = 1; i <= to; i++) {
		uint8_t k[8];

		rs_put_be64(k, i);
		ck_assert_msg(bolt_bucket_delete(logs, k, 8, &be) == BOLT_OK, "%s", be.msg);
	}
	ck_assert_msg(bolt_tx_commit(tx, &be) == BOLT_OK, "%s", be.msg);
	ck_assert(bolt_db_close(db, &be) == BOLT_OK);
	free(path);
}

static int compact_midway(void *ctx, const struct rs_log *log, int form, const struct rs_block *b)
{
	struct compactor *c = ctx;

	(void)collect(&c->g, log, form, b);
	if (c->g.n == c->at)
		delete_front(c->node, c->del_to);
	return 0;
}

START_TEST(live_read_stops_when_the_front_is_compacted)
{
	static const uint64_t del[] = {100, 200}; /* past the next batch; every entry */
	struct rs_logs_opts o = all(1);

	for (size_t k = 0; k < 2; k++) {
		struct ent *e = blocks(1, 200, 0, 0);
		struct compactor *c = calloc(1, sizeof(*c));
		struct rs_logs_stats st;
		struct rs_err err = {0};

		ck_assert_ptr_nonnull(c);
		c->node = build(e, 200);
		c->at = RS_LOGS_LIVE_BATCH;
		c->del_to = del[k];
		o.lock_timeout = 5;
		ck_assert_int_eq(rs_logs_read(c->node, &o, compact_midway, c, &st, &err),
		                 RS_ECORRUPT);
		ck_assert_msg(strstr(err.msg, "raft-log.db: raft removed entries from index 65 on "
		                              "(log compaction) while --live read them") != NULL,
		              "%s", err.msg);
		ck_assert_uint_eq(c->g.n, RS_LOGS_LIVE_BATCH); /* nothing after the hole */
		free((char *)c->node);
		free(c);
		free(e);
	}
	/* a hole that was there from the start is passed through */
	{
		struct ent *e = blocks(1, 200, 0, 0);
		char *node;
		struct rs_logs_stats st;
		struct rs_err err;

		memmove(e + 10, e + 50, 150 * sizeof(*e)); /* 1..10, then 51..200 */
		node = build(e, 160);
		ck_assert_int_eq(read_logs(node, all(1), &ga, &st, &err), RS_OK);
		ck_assert_uint_eq(ga.n, 160);
		ck_assert_uint_eq(ga.index[10], 51);
		free(node);
		free(e);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("logread");
	TCase *tc = tcase_create("logread");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, live_batches_give_the_locked_answer);
	tcase_add_test(tc, batches_bounded_by_bytes);
	tcase_add_test(tc, types_and_stop);
	tcase_add_test(tc, decrease_is_named);
	tcase_add_test(tc, damage_is_named);
	tcase_add_test(tc, live_read_stops_when_the_front_is_compacted);
	suite_add_tcase(s, tc);
	return oci_check_run_in_tmpdir(s, dir);
}
