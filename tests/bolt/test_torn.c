/*
 * Torn reads: a page rewritten between two reads of it, as a live writer
 * does to the pages of an older transaction (`verify --live`). The check
 * reads a page's elements once to check them (bounds, order) and again to
 * visit them; the second read may fail. Here the moment is chosen: the
 * check's own entry callback rewrites, through a second descriptor (the
 * MAP_SHARED view sees it at once), the header of a later element of the
 * leaf page being visited, so that element now points outside the page.
 * Proves: the visitor never receives an element without a key (a NULL key
 * or value was dereferenced before), the check reports the element as
 * changed and stops reading that page; the same for the leaf of a nested
 * bucket's elements and for a branch page's children.
 */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bolt/check.h"
#include "bolt/cursor.h"
#include "bolt/db.h"
#include "bolt/meta.h"
#include "bolt/view.h"
#include "tests/check_support.h"

static char tmpdir[] = "/tmp/oci-torn-XXXXXX";

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* path: a bolt file with bucket "logs" holding keys 1..n (8-byte values) */
static void make_db(const char *path, uint64_t n, size_t vlen)
{
	static uint8_t val[4096];
	struct bolt_db_options o = {.no_sync = 1};
	struct bolt_err e = {0};
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *b;

	unlink(path);
	ck_assert_msg(bolt_db_open(path, 1, &o, &db, &e) == BOLT_OK, "%s", e.msg);
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_create_if_missing(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	for (uint64_t i = 1; i <= n; i++) {
		uint8_t key[8];

		be64(key, i);
		memset(val, (int)i, vlen);
		ck_assert(bolt_bucket_put(b, key, 8, val, vlen, &e) == BOLT_OK);
	}
	ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "%s", e.msg);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
}

struct torn {
	int fd;          /* the same file, read-write */
	uint64_t target; /* file offset of the element header to break */
	int entries, bad_entries, problems, changed;
	int broken;
};

static void on_problem(void *ctx, int severity, uint64_t pgid, const char *msg)
{
	struct torn *t = ctx;

	(void)severity;
	(void)pgid;
	t->problems++;
	if (strstr(msg, "changed while it was read") != NULL)
		t->changed++;
}

/* The first entry rewrites the target header: its key offset now points
 * far outside the page. */
static int on_entry(void *ctx, const uint8_t *bucket, size_t blen, const struct bolt_elem *e)
{
	struct torn *t = ctx;
	uint8_t far[4] = {0x00, 0xff, 0xff, 0x7f};

	(void)bucket;
	(void)blen;
	t->entries++;
	if (e->key == NULL || e->value == NULL)
		t->bad_entries++;
	else if (e->klen == 8)
		(void)e->key[7]; /* what a visitor does with a key */
	if (!t->broken) {
		ck_assert_int_eq(pwrite(t->fd, far, 4, (off_t)t->target), 4);
		t->broken = 1;
	}
	return 0;
}

/* The leaf page holding key `k` in bucket logs of the view. */
static bolt_pgid leaf_of(const struct bolt_view *v, uint64_t k, struct bolt_vbucket *logs)
{
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	struct bolt_err err = {0};
	uint8_t key[8];

	be64(key, k);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, logs, &err) == BOLT_OK);
	bolt_cursor_init(&c, v, logs);
	ck_assert(bolt_cursor_seek(&c, key, 8, &e, &err) == BOLT_OK);
	ck_assert_ptr_nonnull(e.key);
	return c.stack[c.depth - 1].id;
}

static void run(const char *name, uint64_t keys, size_t vlen, int branch)
{
	char path[4200];
	struct bolt_view *v;
	struct bolt_vbucket logs;
	struct bolt_check_stats st;
	struct bolt_err err = {0};
	struct torn t = {0};
	struct bolt_check_visitor vis = {.ctx = &t, .problem = on_problem, .entry = on_entry};
	bolt_pgid page;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	make_db(path, keys, vlen);
	ck_assert_msg(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &err) == BOLT_OK, "%s",
	              err.msg);
	if (branch) {
		/* the bucket's root is a branch: break its second child's element */
		page = leaf_of(v, 1, &logs);
		ck_assert_uint_ne(logs.root, 0);
		ck_assert_uint_eq(bolt_page_flags(v->map + logs.root * v->page_size),
		                  BOLT_PAGE_BRANCH);
		ck_assert_uint_ge(bolt_page_count(v->map + logs.root * v->page_size), 3);
		/* branch element: pos at +0 */
		t.target = logs.root * v->page_size + BOLT_PAGE_HEADER_SIZE + 2 * 16;
	} else {
		/* key 1's leaf: element 5's pos (leaf element: pos at +4) */
		page = leaf_of(v, 1, &logs);
		ck_assert_uint_ge(bolt_page_count(v->map + page * v->page_size), 8);
		t.target = page * v->page_size + BOLT_PAGE_HEADER_SIZE + 5 * 16 + 4;
	}
	t.fd = open(path, O_RDWR);
	ck_assert_int_ge(t.fd, 0);
	ck_assert_int_eq(bolt_check(v, &vis, &st, &err), BOLT_OK);
	ck_assert_int_eq(t.broken, 1);
	ck_assert_int_eq(t.bad_entries, 0);
	ck_assert_int_ge(t.changed, 1);
	if (!branch)
		ck_assert_int_eq(t.entries, 5); /* elements 0..4; the page stops at 5 */
	close(t.fd);
	bolt_view_close(v);
}

START_TEST(leaf_element_rewritten_between_check_and_visit)
{
	run("leaf.db", 40, 8, 0);
}
END_TEST

START_TEST(branch_element_rewritten_while_a_child_is_walked)
{
	/* 600 keys of 64-byte values: a branch root over several leaves */
	run("branch.db", 600, 64, 1);
}
END_TEST

/* A meta page rewritten while it is decoded: a live writer commits meta
 * T+2 over the slot that held T while a reader decodes that slot. Here a
 * thread copies two valid metas, A and B, over one page image in turn, 8
 * bytes at a time from the front (as a pwrite fills the page cache), for
 * as long as the main thread decodes it. Every decode that says "valid"
 * must be A or B whole: before the fix the fields were read from the page
 * in place and the checksum over it afterwards, so a decode could take
 * A's root with B's txid and checksum and still pass (a valid-looking meta
 * that the live recheck cannot tell from the real one: `verify --live`
 * then walked an old tree as the newest one and reported damage). */
static uint8_t race_page[BOLT_PAGE_HEADER_SIZE + BOLT_META_SIZE + 64];
static uint8_t race_img[2][sizeof(race_page)];
static volatile int race_stop;

static void *race_writer(void *arg)
{
	(void)arg;
	for (unsigned k = 0; !race_stop; k++) {
		const uint8_t *src = race_img[k & 1];

		for (size_t i = 0; i < sizeof(race_page); i += 8) {
			uint64_t w;

			memcpy(&w, src + i, 8);
			__atomic_store_n((uint64_t *)(void *)(race_page + i), w, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

START_TEST(meta_rewritten_while_decoded)
{
	struct bolt_meta a = {.magic = BOLT_MAGIC,
	                      .version = BOLT_VERSION,
	                      .page_size = 4096,
	                      .root = 100,
	                      .freelist = 101,
	                      .pgid = 200,
	                      .txid = 10};
	struct bolt_meta b = a; /* a later transaction: another root, freelist, size */
	unsigned long valid = 0, torn = 0, mixed = 0;
	pthread_t th;
	struct timespec t0, t;

	b.root = 300;
	b.freelist = 301;
	b.pgid = 400;
	b.txid = 12;
	bolt_meta_encode(&a, race_img[0]);
	bolt_meta_encode(&b, race_img[1]);
	memcpy(race_page, race_img[0], sizeof(race_page));
	ck_assert_int_eq(pthread_create(&th, NULL, race_writer, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long n = 0;; n++) {
		struct bolt_meta m;
		int st = bolt_meta_decode(race_page, sizeof(race_page), &m);

		if (st != BOLT_META_OK) {
			torn++;
		} else if ((m.txid == a.txid && m.root == a.root && m.freelist == a.freelist &&
		            m.pgid == a.pgid) ||
		           (m.txid == b.txid && m.root == b.root && m.freelist == b.freelist &&
		            m.pgid == b.pgid)) {
			valid++;
		} else {
			mixed++;
		}
		if ((n & 1023) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec >= 2)
				break;
		}
	}
	race_stop = 1;
	pthread_join(th, NULL);
	/* the race happened (some decodes saw a torn page) and none passed mixed */
	ck_assert_msg(torn > 0 && valid > 0, "no race: %lu valid, %lu torn", valid, torn);
	ck_assert_msg(mixed == 0,
	              "%lu decodes accepted a meta mixed from two (%lu valid, %lu torn)", mixed,
	              valid, torn);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bolt-torn");
	TCase *tc = tcase_create("reread");

	tcase_add_test(tc, leaf_element_rewritten_between_check_and_visit);
	tcase_add_test(tc, branch_element_rewritten_while_a_child_is_walked);
	suite_add_tcase(s, tc);
	tc = tcase_create("meta");
	tcase_add_test(tc, meta_rewritten_while_decoded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run_in_tmpdir(suite(), tmpdir);
}
