/*
 * The bolt writer and reader against each other: multi-page trees with
 * overflow values written in many transactions, deletes that merge nodes,
 * reopened and read back by the project's own reader and checked page by
 * page; meta page fallback; freelist rules.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt/check.h"
#include "bolt/copy.h"
#include "bolt/cursor.h"
#include "bolt/db.h"
#include "bolt/freelist.h"
#include "bolt/meta.h"
#include "bolt/view.h"
#include "tests/check_support.h"

static char path[256];

static void setup(void)
{
	snprintf(path, sizeof(path), "/tmp/oci-test-writer-%d.db", (int)getpid());
	unlink(path);
}

static void teardown(void)
{
	unlink(path);
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* value of key i: length and bytes derived from i, so a reader can check */
static size_t value_for(uint64_t i, uint8_t *buf)
{
	uint64_t s = i * 0x9E3779B97F4A7C15ull + 1;
	size_t n = 10 + (size_t)(s % 9000);

	for (size_t k = 0; k < n; k++)
		buf[k] = (uint8_t)(s >> (k % 56)) ^ (uint8_t)k;
	return n;
}

static struct bolt_db *open_db(void)
{
	struct bolt_db *db = NULL;
	struct bolt_err e = {0};
	struct bolt_db_options o = {.page_size = 4096, .no_sync = 1};

	ck_assert_msg(bolt_db_open(path, 1, &o, &db, &e) == BOLT_OK, "open: %s", e.msg);
	return db;
}

static void put_range(struct bolt_db *db, uint64_t from, uint64_t to, uint64_t batch)
{
	static uint8_t val[16384];
	struct bolt_err e = {0};

	for (uint64_t i = from; i <= to;) {
		struct bolt_tx *tx;
		struct bolt_bucket *b;

		ck_assert_msg(bolt_tx_begin(db, &tx, &e) == BOLT_OK, "%s", e.msg);
		ck_assert_msg(bolt_bucket_create_if_missing(bolt_tx_root(tx), "logs", 4, &b, &e) ==
		                  BOLT_OK,
		              "%s", e.msg);
		for (uint64_t k = 0; k < batch && i <= to; k++, i++) {
			uint8_t key[8];
			size_t n = value_for(i, val);

			be64(key, i);
			ck_assert_msg(bolt_bucket_put(b, key, 8, val, n, &e) == BOLT_OK, "%s",
			              e.msg);
		}
		ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "commit: %s", e.msg);
	}
}

static void delete_range(struct bolt_db *db, uint64_t from, uint64_t to)
{
	struct bolt_err e = {0};
	struct bolt_tx *tx;
	struct bolt_bucket *b;

	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	for (uint64_t i = from; i <= to; i++) {
		uint8_t key[8];

		be64(key, i);
		ck_assert(bolt_bucket_delete(b, key, 8, &e) == BOLT_OK);
	}
	ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "commit: %s", e.msg);
}

struct collected {
	int problems;
	char first[320];
};

static void on_problem(void *ctx, int severity, uint64_t pgid, const char *msg)
{
	struct collected *c = ctx;

	(void)pgid;
	if (severity == BOLT_CHECK_ERROR && c->problems++ == 0)
		snprintf(c->first, sizeof(c->first), "%s", msg);
}

/* Opens with our reader, runs the full check, and walks `logs` comparing
 * every key and value with what was written. */
static struct bolt_check_stats verify_file(uint64_t first, uint64_t last)
{
	static uint8_t val[16384];
	struct bolt_view *v = NULL;
	struct bolt_err e = {0};
	struct collected col = {0};
	struct bolt_check_visitor vis = {.ctx = &col, .problem = on_problem};
	struct bolt_check_stats st;
	struct bolt_vbucket b;
	struct bolt_cursor c;
	struct bolt_elem el;
	uint64_t expect = first;

	ck_assert_msg(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK, "%s", e.msg);
	ck_assert(bolt_check(v, &vis, &st, &e) == BOLT_OK);
	ck_assert_msg(col.problems == 0, "check: %d problems, first: %s", col.problems, col.first);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	bolt_cursor_init(&c, v, &b);
	ck_assert(bolt_cursor_first(&c, &el, &e) == BOLT_OK);
	while (el.key != NULL) {
		uint8_t key[8];
		size_t n = value_for(expect, val);

		be64(key, expect);
		ck_assert_uint_eq(el.klen, 8);
		ck_assert_msg(memcmp(el.key, key, 8) == 0, "key out of sequence at %llu",
		              (unsigned long long)expect);
		ck_assert_uint_eq(el.vlen, n);
		ck_assert(memcmp(el.value, val, n) == 0);
		expect++;
		ck_assert(bolt_cursor_next(&c, &el, &e) == BOLT_OK);
	}
	ck_assert_uint_eq(expect, last + 1);
	/* and backwards */
	ck_assert(bolt_cursor_last(&c, &el, &e) == BOLT_OK);
	for (uint64_t i = last; i >= first && el.key != NULL; i--) {
		uint8_t key[8];

		be64(key, i);
		ck_assert(memcmp(el.key, key, 8) == 0);
		ck_assert(bolt_cursor_prev(&c, &el, &e) == BOLT_OK);
	}
	ck_assert(el.key == NULL);
	/* seek lands on each key */
	for (uint64_t i = first; i <= last; i += 97) {
		uint8_t key[8];

		be64(key, i);
		ck_assert(bolt_cursor_seek(&c, key, 8, &el, &e) == BOLT_OK);
		ck_assert(el.key != NULL && memcmp(el.key, key, 8) == 0);
	}
	bolt_view_close(v);
	return st;
}

START_TEST(test_multipage_tree_with_overflow)
{
	struct bolt_db *db = open_db();
	struct bolt_check_stats st;
	struct bolt_err e = {0};

	put_range(db, 1, 2000, 64);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	st = verify_file(1, 2000);
	ck_assert_msg(st.branch_pages >= 2, "expected a multi-level tree, got %llu branch pages",
	              (unsigned long long)st.branch_pages);
	ck_assert_msg(st.overflow_pages > 100, "expected overflow pages, got %llu",
	              (unsigned long long)st.overflow_pages);
	ck_assert_int_ge(st.max_depth, 2);
	ck_assert_uint_eq(st.keys, 2000);
}
END_TEST

START_TEST(test_delete_range_rebalances_and_reuses_pages)
{
	struct bolt_db *db = open_db();
	struct bolt_check_stats st, st2;
	struct bolt_err e = {0};

	put_range(db, 1, 1500, 32);
	delete_range(db, 1, 1200);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	st = verify_file(1201, 1500);
	ck_assert_msg(st.free_pages > 500, "a large delete must leave free pages (%llu)",
	              (unsigned long long)st.free_pages);
	/* reopen: appends reuse the freed pages, the high-water mark stays */
	db = open_db();
	put_range(db, 1501, 1700, 16);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	st2 = verify_file(1201, 1700);
	ck_assert_uint_eq(st2.hwm, st.hwm);
	ck_assert_uint_lt(st2.free_pages, st.free_pages);
}
END_TEST

START_TEST(test_delete_everything_makes_bucket_inline_again)
{
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};
	struct bolt_view *v;
	struct bolt_vbucket b;
	struct bolt_check_stats st;
	struct collected col = {0};
	struct bolt_check_visitor vis = {.ctx = &col, .problem = on_problem};

	put_range(db, 1, 300, 50);
	delete_range(db, 1, 300);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_uint_eq(b.root, 0); /* inline: no pages of its own */
	ck_assert(bolt_check(v, &vis, &st, &e) == BOLT_OK);
	ck_assert_msg(col.problems == 0, "%s", col.first);
	ck_assert_uint_eq(st.keys, 0);
	bolt_view_close(v);
}
END_TEST

/* Checks every value against value_for during the check itself. */
struct checked {
	uint64_t next, bad;
};

static int check_entry(void *ctx, const uint8_t *bucket, size_t blen, const struct bolt_elem *e)
{
	static uint8_t val[16384];
	struct checked *c = ctx;
	uint8_t key[8];
	size_t n;

	(void)bucket;
	(void)blen;
	be64(key, c->next);
	n = value_for(c->next, val);
	if (e->klen != 8 || memcmp(e->key, key, 8) != 0 || e->vlen != n ||
	    memcmp(e->value, val, n) != 0)
		c->bad++;
	c->next++;
	return 0;
}

static void on_problem_fail(void *ctx, int severity, uint64_t pgid, const char *msg)
{
	(void)ctx;
	ck_abort_msg("problem (severity %d) at page %llu: %s", severity, (unsigned long long)pgid,
	             msg);
}

/* A file of 64 MiB or more: the check maps pages ahead of itself and drops
 * them behind itself on a second thread (bolt/prefault.c). Every value is
 * compared while the check runs, before and after deletes and appends
 * that scatter the tree over reused pages (so the reader also goes back
 * to pages whose mapping was dropped). */
START_TEST(test_check_large_file_with_prefault_thread)
{
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};
	struct bolt_view *v;
	struct bolt_check_stats st;
	struct checked c;
	struct bolt_check_visitor vis = {
	    .ctx = &c, .problem = on_problem_fail, .entry = check_entry};
	uint64_t rounds[2][2] = {{1, 16000}, {12001, 22000}};

	put_range(db, 1, 16000, 500);
	for (int r = 0; r < 2; r++) {
		if (r == 1) {
			delete_range(db, 1, 12000);
			put_range(db, 16001, 22000, 300);
		}
		ck_assert(bolt_db_close(db, &e) == BOLT_OK);
		ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
		ck_assert_msg(v->map_len >= ((size_t)64 << 20), "only %zu bytes", v->map_len);
		c.next = rounds[r][0];
		c.bad = 0;
		ck_assert(bolt_check(v, &vis, &st, &e) == BOLT_OK);
		ck_assert_uint_eq(c.bad, 0);
		ck_assert_uint_eq(c.next, rounds[r][1] + 1);
		ck_assert_uint_eq(st.keys, rounds[r][1] - rounds[r][0] + 1);
		bolt_view_close(v);
		db = open_db();
	}
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
}
END_TEST

/* bolt_copy_check, what a backup asks before it copies a byte: a file the
 * writer made passes with its meta's txid and high-water mark; the same
 * file cut below that mark, grown far past it (sparse), or random bytes of
 * the same size are refused with one sentence naming the file. */
START_TEST(test_copy_check_plausible_size)
{
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};
	struct bolt_copy_info info = {0};
	struct stat st;
	int fd;

	put_range(db, 1, 300, 50);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_msg(bolt_copy_check(fd, (uint64_t)st.st_size, path, &info, &e) == BOLT_OK, "%s",
	              e.msg);
	ck_assert_uint_gt(info.txid, 1);
	ck_assert_uint_eq(info.page_size, 4096);
	ck_assert_uint_le(info.pages * 4096, (uint64_t)st.st_size);
	/* below the high-water mark */
	ck_assert_int_eq(bolt_copy_check(fd, info.pages * 4096 - 4096, path, &info, &e),
	                 BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "truncated") != NULL && strstr(e.msg, path) != NULL, "%s",
	              e.msg);
	/* a sparse 64 GiB tail */
	ck_assert_int_eq(ftruncate(fd, (off_t)64 << 30), 0);
	ck_assert_int_eq(bolt_copy_check(fd, (uint64_t)64 << 30, path, &info, &e), BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "not a plausible bbolt database") != NULL, "%s", e.msg);
	/* not a bolt file at all */
	{
		uint8_t junk[8192];

		for (size_t k = 0; k < sizeof(junk); k++)
			junk[k] = (uint8_t)(k * 131 + 7);
		ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	}
	ck_assert_int_eq(bolt_copy_check(fd, (uint64_t)64 << 30, path, &info, &e), BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "is not a bbolt database") != NULL, "%s", e.msg);
	/* a size past the end of the file (it shrank after fstat) */
	ck_assert_int_eq(ftruncate(fd, 100), 0);
	ck_assert_int_eq(bolt_copy_check(fd, 200000, path, &info, &e), BOLT_EIO);
	ck_assert_msg(strstr(e.msg, "shrank") != NULL, "%s", e.msg);
	close(fd);
}
END_TEST

START_TEST(test_get_put_overwrite_and_errors)
{
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};
	struct bolt_tx *tx;
	struct bolt_bucket *b, *b2;
	const uint8_t *val;
	size_t vlen;

	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_create(bolt_tx_root(tx), "conf", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_bucket_create(bolt_tx_root(tx), "conf", 4, &b2, &e), BOLT_EEXIST);
	ck_assert(bolt_bucket_put(b, "k", 1, "one", 3, &e) == BOLT_OK);
	ck_assert(bolt_bucket_put(b, "k", 1, "three", 5, &e) == BOLT_OK);
	ck_assert(bolt_bucket_get(b, "k", 1, &val, &vlen, &e) == BOLT_OK);
	ck_assert_uint_eq(vlen, 5);
	ck_assert(memcmp(val, "three", 5) == 0);
	ck_assert_int_eq(bolt_bucket_get(b, "x", 1, &val, &vlen, &e), BOLT_ENOTFOUND);
	ck_assert_int_eq(bolt_bucket_put(b, "", 0, "v", 1, &e), BOLT_EINVAL);
	ck_assert_int_eq(bolt_bucket_put(bolt_tx_root(tx), "conf", 4, "v", 1, &e), BOLT_EINVAL);
	ck_assert_int_eq(bolt_bucket_open(bolt_tx_root(tx), "nope", 4, &b2, &e), BOLT_ENOTFOUND);
	ck_assert(bolt_tx_commit(tx, &e) == BOLT_OK);
	/* a second write transaction sees the committed value */
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "conf", 4, &b, &e) == BOLT_OK);
	ck_assert(bolt_bucket_get(b, "k", 1, &val, &vlen, &e) == BOLT_OK);
	ck_assert(memcmp(val, "three", 5) == 0);
	bolt_tx_rollback(tx);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
}
END_TEST

static void flip_byte(off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t b;

	ck_assert(fd >= 0);
	ck_assert(pread(fd, &b, 1, off) == 1);
	b ^= 0xff;
	ck_assert(pwrite(fd, &b, 1, off) == 1);
	close(fd);
}

START_TEST(test_meta_fallback)
{
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};
	struct bolt_view *v;
	uint64_t newest;

	put_range(db, 1, 10, 5); /* txids 2 (create + first batch), 3 */
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	newest = v->meta.txid;
	ck_assert_int_eq(v->active, (int)(newest % 2));
	bolt_view_close(v);

	/* damage the older meta: the newest is still used, the other is reported */
	flip_byte((off_t)((1 - newest % 2) * 4096 + BOLT_META_CHECKSUM_OFF));
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	ck_assert_uint_eq(v->meta.txid, newest);
	ck_assert_int_eq(v->meta_status[1 - newest % 2], BOLT_META_BADCHECKSUM);
	bolt_view_close(v);

	/* damage the newest too: nothing valid is left */
	flip_byte((off_t)((newest % 2) * 4096 + BOLT_META_CHECKSUM_OFF));
	ck_assert_int_eq(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e), BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "both meta pages are invalid") != NULL, "%s", e.msg);

	/* repair the older one: the reader falls back to it, an older txid */
	flip_byte((off_t)((1 - newest % 2) * 4096 + BOLT_META_CHECKSUM_OFF));
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	ck_assert_uint_eq(v->meta.txid, newest - 1);
	bolt_view_close(v);
}
END_TEST

/* the bucket and key arguments the writer refuses before touching a page,
 * and a bucket opened twice in one transaction is the same bucket */
START_TEST(test_bucket_arguments)
{
	static const uint8_t big[BOLT_MAX_KEY_SIZE + 1];
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};
	struct bolt_tx *tx;
	struct bolt_bucket *b, *b2;

	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_bucket_create(bolt_tx_root(tx), "", 0, &b, &e), BOLT_EINVAL);
	ck_assert_int_eq(bolt_bucket_create(bolt_tx_root(tx), big, sizeof(big), &b, &e),
	                 BOLT_EINVAL);
	ck_assert_msg(strstr(e.msg, "invalid bucket name length 32769") != NULL, "%s", e.msg);
	ck_assert(bolt_bucket_create(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b2, &e) == BOLT_OK);
	ck_assert_ptr_eq(b, b2);
	ck_assert(bolt_bucket_create_if_missing(bolt_tx_root(tx), "logs", 4, &b2, &e) == BOLT_OK);
	ck_assert_ptr_eq(b, b2);
	ck_assert_int_eq(bolt_bucket_put(b, big, sizeof(big), "v", 1, &e), BOLT_EINVAL);
	/* the length is refused before the value is read */
	ck_assert_int_eq(bolt_bucket_put(b, "k", 1, "v", (size_t)BOLT_MAX_VALUE_SIZE + 1, &e),
	                 BOLT_EINVAL);
	ck_assert_msg(strstr(e.msg, "is too large") != NULL, "%s", e.msg);
	ck_assert(bolt_bucket_put(b, "k", 1, "v", 1, &e) == BOLT_OK);
	/* a key is not a bucket, a bucket is not a key */
	ck_assert_int_eq(bolt_bucket_create(b, "k", 1, &b2, &e), BOLT_EINVAL);
	ck_assert_int_eq(bolt_bucket_open(b, "k", 1, &b2, &e), BOLT_ENOTFOUND);
	ck_assert_int_eq(bolt_bucket_open(b, "zz", 2, &b2, &e), BOLT_ENOTFOUND);
	bolt_tx_rollback(tx);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
}
END_TEST

/* every branch and leaf page's type zeroed: the writer's first descent
 * into the tree is an error naming the page, never a write */
START_TEST(test_writer_refuses_bad_page_type)
{
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	struct stat st;
	int fd, rc;

	put_range(db, 1, 300, 100);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	for (off_t off = 2 * 4096; off + 4096 <= st.st_size; off += 4096) {
		uint8_t fl[2];

		ck_assert_int_eq(pread(fd, fl, 2, off + 8), 2);
		if ((fl[0] & (BOLT_PAGE_BRANCH | BOLT_PAGE_LEAF)) != 0 && fl[1] == 0) {
			fl[0] = 0;
			ck_assert_int_eq(pwrite(fd, fl, 2, off + 8), 2);
		}
	}
	close(fd);
	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	rc = bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e);
	ck_assert_int_eq(rc, BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "invalid page type at page") != NULL, "%s", e.msg);
	bolt_tx_rollback(tx);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
}
END_TEST

START_TEST(test_writer_refuses_truncated_file)
{
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};

	put_range(db, 1, 200, 50);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	ck_assert(truncate(path, 8192) == 0);
	ck_assert_int_eq(bolt_db_open(path, 0, NULL, &db, &e), BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "truncated") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(test_freelist_first_fit_and_long_form)
{
	struct bolt_freelist f;
	struct bolt_err e = {0};
	uint8_t *page;
	size_t n = 70000; /* more than 0xFFFF ids: the long count form */

	bolt_freelist_init(&f);
	for (uint64_t id = 10; id < 20; id++)
		ck_assert(bolt_freelist_free(&f, id, 1, &e) == BOLT_OK);
	ck_assert(bolt_freelist_free(&f, 30, 3, &e) == BOLT_OK);
	ck_assert(bolt_freelist_release(&f, &e) == BOLT_OK);
	ck_assert_uint_eq(bolt_freelist_allocate(&f, 1), 10);
	ck_assert_uint_eq(bolt_freelist_allocate(&f, 3), 11);
	ck_assert_uint_eq(bolt_freelist_allocate(&f, 6), 14);
	ck_assert_uint_eq(bolt_freelist_allocate(&f, 2), 30);
	ck_assert_uint_eq(bolt_freelist_allocate(&f, 2), 0);
	ck_assert_uint_eq(bolt_freelist_allocate(&f, 1), 32);
	ck_assert_uint_eq(bolt_freelist_count(&f), 0);
	bolt_freelist_destroy(&f);

	bolt_freelist_init(&f);
	ck_assert(bolt_freelist_free(&f, 2, n, &e) == BOLT_OK);
	ck_assert_uint_eq(bolt_freelist_size(&f), 16 + 8 * (n + 1));
	page = calloc(1, bolt_freelist_size(&f));
	ck_assert(bolt_freelist_write(&f, page, &e) == BOLT_OK);
	ck_assert_uint_eq(bolt_page_count(page), 0xFFFF);
	bolt_freelist_destroy(&f);
	bolt_freelist_init(&f);
	ck_assert(bolt_freelist_read(&f, page, 16 + 8 * (n + 1), n + 2, &e) == BOLT_OK);
	ck_assert_uint_eq(f.nfree, n);
	/* an id at or above the high-water mark is corruption */
	ck_assert_int_eq(bolt_freelist_read(&f, page, 16 + 8 * (n + 1), n, &e), BOLT_ECORRUPT);
	free(page);
	bolt_freelist_destroy(&f);
}
END_TEST

/* ---- the split walk (bolt/check.h, "Parallel walk") ------------------ */

/* Everything a check reports, in order, as text; a part's own record is
 * appended to its walk's when merged. */
struct record {
	char *s;
	size_t n, cap;
	int opened, merged;
	int refuse_at; /* merge number that refuses (1-based), 0: none */
};

static void rec_put(struct record *r, const char *line)
{
	size_t k = strlen(line);

	if (r->n + k + 1 > r->cap) {
		r->cap = (r->n + k + 1) * 2;
		r->s = realloc(r->s, r->cap);
		ck_assert(r->s != NULL);
	}
	memcpy(r->s + r->n, line, k + 1);
	r->n += k;
}

static void rec_problem(void *ctx, int severity, uint64_t pgid, const char *msg)
{
	char line[400];

	snprintf(line, sizeof(line), "P %d %llu %s\n", severity, (unsigned long long)pgid, msg);
	rec_put(ctx, line);
}

static int rec_entry(void *ctx, const uint8_t *bucket, size_t blen, const struct bolt_elem *e)
{
	char line[128];
	uint64_t k = 0;

	for (uint32_t i = 0; i < e->klen && i < 8; i++)
		k = k << 8 | e->key[i];
	snprintf(line, sizeof(line), "E %.*s %llu %u %u\n", (int)blen, (const char *)bucket,
	         (unsigned long long)k, e->vlen, e->vlen > 0 ? e->value[e->vlen - 1] : 0);
	rec_put(ctx, line);
	return 0;
}

static void *rec_open(void *ctx)
{
	((struct record *)ctx)->opened++;
	return calloc(1, sizeof(struct record));
}

static int rec_merge(void *ctx, void *part)
{
	struct record *r = ctx, *p = part;

	if (++r->merged == r->refuse_at)
		return -1;
	if (p->s != NULL)
		rec_put(r, p->s);
	return 0;
}

static void rec_close(void *ctx, void *part)
{
	(void)ctx;
	free(((struct record *)part)->s);
	free(part);
}

/* Checks the file with `threads` threads into r; returns bolt_check's code. */
static int check_recorded(int threads, struct record *r, struct bolt_check_stats *st)
{
	struct bolt_check_parts parts = {threads, rec_open, rec_merge, rec_close};
	struct bolt_check_visitor vis = {.ctx = r,
	                                 .problem = rec_problem,
	                                 .entry = rec_entry,
	                                 .parts = threads > 1 ? &parts : NULL};
	struct bolt_view *v = NULL;
	struct bolt_err e = {0};
	int rc;

	ck_assert_msg(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK, "%s", e.msg);
	rc = bolt_check(v, &vis, st, &e);
	bolt_view_close(v);
	return rc;
}

/* The split walk reports what the one-thread walk reports, in the same
 * order, with the same statistics, for any number of threads. */
static void expect_split_equal(int min_parts)
{
	struct record one = {0};
	struct bolt_check_stats st1, stn;

	ck_assert_int_eq(check_recorded(1, &one, &st1), BOLT_OK);
	ck_assert_int_eq(one.opened, 0);
	for (int t = 2; t <= 5; t++) {
		struct record r = {0};

		ck_assert_int_eq(check_recorded(t, &r, &stn), BOLT_OK);
		ck_assert_msg(r.opened >= min_parts, "%d threads: %d parts", t, r.opened);
		ck_assert_int_eq(r.merged, r.opened);
		ck_assert_msg(r.n == one.n && memcmp(r.s, one.s, one.n) == 0,
		              "%d threads: the reports differ from one thread's", t);
		ck_assert(memcmp(&st1, &stn, sizeof(st1)) == 0);
		free(r.s);
	}
	free(one.s);
}

/* The pgid field of element i of the branch page id, in the file. */
static off_t branch_elem_pgid_at(const struct bolt_view *v, bolt_pgid id, uint32_t i)
{
	return (off_t)(id * v->page_size + BOLT_PAGE_HEADER_SIZE + i * BOLT_BRANCH_ELEM_SIZE + 8);
}

static void put_small(struct bolt_db *db, uint64_t from, uint64_t to)
{
	struct bolt_err e = {0};
	struct bolt_tx *tx;
	struct bolt_bucket *b;

	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_create_if_missing(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	for (uint64_t i = from; i <= to; i++) {
		uint8_t key[8], val[8];

		be64(key, i);
		be64(val, i * 7);
		ck_assert(bolt_bucket_put(b, key, 8, val, 8, &e) == BOLT_OK);
	}
	ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "commit: %s", e.msg);
}

START_TEST(test_split_walk_matches_one_thread)
{
	struct bolt_db *db = open_db();
	struct bolt_view *v = NULL;
	struct bolt_err e = {0};
	struct bolt_vbucket b;
	struct record r = {0};
	struct bolt_check_stats st;
	uint8_t pg[8];
	bolt_pgid c0, c1, leaf;
	uint32_t n;
	int fd;

	/* the root of `logs` has tens of children: cut at its children */
	put_range(db, 1, 3000, 500);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	expect_split_equal(16);

	/* a merge that refuses: BOLT_ESPLIT, whatever was merged before */
	r.refuse_at = 3;
	ck_assert_int_eq(check_recorded(2, &r, &st), BOLT_ESPLIT);
	ck_assert_int_eq(r.merged, 3);
	free(r.s);

	/* a key out of order on a leaf in the middle: reported in its place */
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	n = bolt_page_count(v->map + b.root * v->page_size);
	ck_assert_uint_ge(n, 8);
	c0 = bolt_le64(v->map + branch_elem_pgid_at(v, b.root, n / 3));
	c1 = bolt_le64(v->map + branch_elem_pgid_at(v, b.root, 2 * n / 3));
	leaf = bolt_le64(v->map + branch_elem_pgid_at(v, c0, 3));
	bolt_view_close(v);
	fd = open(path, O_RDWR);
	ck_assert(fd >= 0);
	/* element 0's key of that leaf: 8 bytes, made larger than any */
	ck_assert(pwrite(fd, "\xff\xff\xff\xff\xff\xff\xff\xff", 8, (off_t)(leaf * 4096 + 32)) ==
	          8);
	expect_split_equal(16);

	/* a leaf reachable from two parts: only one thread can say which
	 * visit is the second one */
	be64(pg, 0);
	memcpy(pg, &leaf, 8); /* little-endian on the machines we build for */
	ck_assert(pwrite(fd, pg, 8,
	                 branch_elem_pgid_at(&(struct bolt_view){.page_size = 4096}, c1, 1)) == 8);
	close(fd);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_recorded(1, &r, &st), BOLT_OK);
	ck_assert_ptr_nonnull(strstr(r.s, "is reachable twice"));
	free(r.s);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_recorded(2, &r, &st), BOLT_ESPLIT);
	free(r.s);
}
END_TEST

START_TEST(test_split_walk_cuts_grandchildren)
{
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};
	struct record r = {0};
	struct bolt_check_stats st;

	/* three levels, the root of `logs` with a few children: cut below them */
	for (uint64_t i = 0; i < 4; i++)
		put_small(db, i * 10000 + 1, (i + 1) * 10000);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	ck_assert_int_eq(check_recorded(1, &r, &st), BOLT_OK);
	ck_assert_int_ge(st.max_depth, 3);
	free(r.s);
	expect_split_equal(16);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bolt writer");
	TCase *tc = tcase_create("writer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_multipage_tree_with_overflow);
	tcase_add_test(tc, test_delete_range_rebalances_and_reuses_pages);
	tcase_add_test(tc, test_delete_everything_makes_bucket_inline_again);
	tcase_add_test(tc, test_check_large_file_with_prefault_thread);
	tcase_add_test(tc, test_split_walk_matches_one_thread);
	tcase_add_test(tc, test_split_walk_cuts_grandchildren);
	tcase_add_test(tc, test_copy_check_plausible_size);
	tcase_add_test(tc, test_get_put_overwrite_and_errors);
	tcase_add_test(tc, test_meta_fallback);
	tcase_add_test(tc, test_writer_refuses_truncated_file);
	tcase_add_test(tc, test_bucket_arguments);
	tcase_add_test(tc, test_writer_refuses_bad_page_type);
	tcase_add_test(tc, test_freelist_first_fit_and_long_form);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
