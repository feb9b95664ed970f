/*
 * Damaged pages, met by the writer (bolt/db.c, tx.c, node.c, freelist.c),
 * the reader (view.c, meta.c) and the check (check.c). Each case writes a
 * real file with the writer, damages the bytes of one page found through
 * the reader (a branch page's count, an element's offset, a child id, a
 * bucket value, a freelist id, a meta field with its checksum fixed), and
 * expects the writer's first touch of that page to be BOLT_ECORRUPT naming
 * what is wrong with the file left as it was, the reader to refuse it, or
 * the check to report it in its own words, or the live copy (copy.c) to
 * refuse it at its first attempt. The freelist's and the meta
 * page's rules are also fed page images directly.
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
#include "bolt/leafread.h"
#include "bolt/meta.h"
#include "bolt/view.h"
#include "tests/check_support.h"

#define PS    4096u
#define NKEYS 400u /* 100-byte values: about 13 leaves under one branch root */

static char path[256];

static void setup(void)
{
	snprintf(path, sizeof(path), "/tmp/oci-test-damaged-pages-%d.db", (int)getpid());
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

static struct bolt_db *open_db(void)
{
	struct bolt_db *db = NULL;
	struct bolt_err e = {0};
	struct bolt_db_options o = {.page_size = PS, .no_sync = 1};

	ck_assert_msg(bolt_db_open(path, 1, &o, &db, &e) == BOLT_OK, "open: %s", e.msg);
	return db;
}

/* Bucket "logs" with keys 1..NKEYS (8-byte big-endian, values of 100 bytes
 * derived from the key) and an inline bucket "conf" holding "a" = "1". */
static void make_file(void)
{
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	uint8_t key[8], val[100];

	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_create(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	for (uint64_t i = 1; i <= NKEYS; i++) {
		be64(key, i);
		memset(val, (int)(i & 0xff), sizeof(val));
		ck_assert_msg(bolt_bucket_put(b, key, 8, val, sizeof(val), &e) == BOLT_OK, "%s",
		              e.msg);
	}
	ck_assert(bolt_bucket_create(bolt_tx_root(tx), "conf", 4, &b, &e) == BOLT_OK);
	ck_assert(bolt_bucket_put(b, "a", 1, "1", 1, &e) == BOLT_OK);
	ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "%s", e.msg);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
}

/* ---- the file's bytes ---- */

static void file_read(off_t off, void *b, size_t n)
{
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, b, n, off), (ssize_t)n);
	close(fd);
}

static void file_write(off_t off, const void *b, size_t n)
{
	int fd = open(path, O_RDWR);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, b, n, off), (ssize_t)n);
	close(fd);
}

static void put16_at(off_t off, uint16_t v)
{
	uint8_t b[2];

	bolt_put16(b, v);
	file_write(off, b, 2);
}

static void put32_at(off_t off, uint32_t v)
{
	uint8_t b[4];

	bolt_put32(b, v);
	file_write(off, b, 4);
}

static void put64_at(off_t off, uint64_t v)
{
	uint8_t b[8];

	bolt_put64(b, v);
	file_write(off, b, 8);
}

static uint64_t get64_at(off_t off)
{
	uint8_t b[8];

	file_read(off, b, 8);
	return bolt_le64(b);
}

static uint16_t get16_at(off_t off)
{
	uint8_t b[2];

	file_read(off, b, 2);
	return bolt_le16(b);
}

/* The file's whole content, to compare before and after a refused write. */
static uint8_t *snapshot(size_t *len)
{
	struct stat st;
	uint8_t *b;

	ck_assert_int_eq(stat(path, &st), 0);
	*len = (size_t)st.st_size;
	b = malloc(*len);
	ck_assert_ptr_nonnull(b);
	file_read(0, b, *len);
	return b;
}

/* Where things are, found with the reader before the damage. */
struct layout {
	int active;           /* meta in use */
	bolt_pgid root_leaf;  /* the root bucket's leaf page */
	bolt_pgid logs_root;  /* "logs": a branch page */
	uint16_t logs_count;  /* its elements */
	bolt_pgid first_leaf; /* its first child */
	uint16_t first_count; /* keys in the first leaf (1..first_count) */
	uint32_t logs_elem;   /* the root leaf's element for "logs" */
	uint32_t conf_elem;   /* and for "conf" */
	off_t conf_value;     /* file offset of conf's value */
	bolt_pgid freelist;   /* the freelist page */
	bolt_pgid hwm;
};

static struct layout find_layout(void)
{
	struct layout l = {0};
	struct bolt_view *v;
	struct bolt_err e = {0};
	struct bolt_vbucket b;
	const uint8_t *p;
	size_t span;

	ck_assert_msg(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK, "%s", e.msg);
	l.active = v->active;
	l.root_leaf = v->meta.root;
	l.freelist = v->meta.freelist;
	l.hwm = v->meta.pgid;
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	l.logs_root = b.root;
	ck_assert(bolt_view_page(v, l.logs_root, &p, &span, &e) == BOLT_OK);
	ck_assert_uint_eq(bolt_page_flags(p), BOLT_PAGE_BRANCH);
	l.logs_count = bolt_page_count(p);
	ck_assert_uint_ge(l.logs_count, 4);
	l.first_leaf = bolt_le64(p + BOLT_PAGE_HEADER_SIZE + 8);
	ck_assert(bolt_view_page(v, l.first_leaf, &p, &span, &e) == BOLT_OK);
	ck_assert_uint_eq(bolt_page_flags(p), BOLT_PAGE_LEAF);
	l.first_count = bolt_page_count(p);
	ck_assert_uint_ge(l.first_count, 4);
	ck_assert(bolt_view_page(v, l.root_leaf, &p, &span, &e) == BOLT_OK);
	ck_assert_uint_eq(bolt_page_count(p), 2);
	for (uint32_t i = 0; i < 2; i++) {
		struct bolt_elem el;

		ck_assert_int_eq(bolt_page_elem(p, span, 1, i, &el), 0);
		if (el.klen == 4 && memcmp(el.key, "logs", 4) == 0)
			l.logs_elem = i;
		else if (el.klen == 4 && memcmp(el.key, "conf", 4) == 0) {
			l.conf_elem = i;
			l.conf_value = (off_t)(l.root_leaf * PS) + (el.value - p);
		}
	}
	ck_assert_uint_ne(l.logs_elem, l.conf_elem);
	bolt_view_close(v);
	return l;
}

static off_t page_off(bolt_pgid id)
{
	return (off_t)(id * PS);
}

/* Offset of element i of page id (leaf and branch elements are 16 bytes). */
static off_t elem_off(bolt_pgid id, uint32_t i)
{
	return page_off(id) + BOLT_PAGE_HEADER_SIZE + (off_t)i * BOLT_LEAF_ELEM_SIZE;
}

/* One write transaction on the damaged file: opens bucket `bucket`, puts
 * (or with del, deletes) key k; returns the first error, its message in e.
 * The transaction is rolled back (or, with commit, committed). */
static int try_op(const char *bucket, uint64_t k, int del, int commit, struct bolt_err *e)
{
	struct bolt_db *db = open_db();
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	uint8_t key[8], val[100] = {0};
	int rc;

	be64(key, k);
	memset(e, 0, sizeof(*e));
	ck_assert(bolt_tx_begin(db, &tx, e) == BOLT_OK);
	rc = bolt_bucket_open(bolt_tx_root(tx), bucket, strlen(bucket), &b, e);
	if (rc == BOLT_OK)
		rc = del ? bolt_bucket_delete(b, key, 8, e)
		         : bolt_bucket_put(b, key, 8, val, 100, e);
	if (rc == BOLT_OK && commit)
		rc = bolt_tx_commit(tx, e);
	else
		bolt_tx_rollback(tx);
	ck_assert(bolt_db_close(db, NULL) == BOLT_OK);
	return rc;
}

/* The damage is refused with `want` in the message, the file unchanged. */
static void expect_refused(const char *bucket, uint64_t k, int del, const char *want)
{
	struct bolt_err e;
	size_t n0, n1;
	uint8_t *before = snapshot(&n0), *after;
	int rc = try_op(bucket, k, del, 1, &e);

	ck_assert_msg(rc == BOLT_ECORRUPT, "rc %d (%s), want corruption: %s", rc, e.msg, want);
	ck_assert_msg(strstr(e.msg, want) != NULL, "message \"%s\", want \"%s\"", e.msg, want);
	after = snapshot(&n1);
	ck_assert_uint_eq(n0, n1);
	ck_assert_msg(memcmp(before, after, n0) == 0, "the refused write changed the file");
	free(before);
	free(after);
}

/* ---- cases ---- */

/* The file as written is sound: the cases below fail because of their
 * damage alone. */
START_TEST(undamaged_file_takes_the_same_writes)
{
	struct bolt_err e;

	make_file();
	ck_assert_int_eq(try_op("logs", 1, 0, 1, &e), BOLT_OK);
	ck_assert_int_eq(try_op("logs", 2, 1, 1, &e), BOLT_OK);
	ck_assert_int_eq(try_op("conf", 7, 0, 1, &e), BOLT_OK);
}
END_TEST

START_TEST(branch_page_with_no_elements)
{
	struct layout l;
	char want[64];

	make_file();
	l = find_layout();
	put16_at(page_off(l.logs_root) + 10, 0);
	snprintf(want, sizeof(want), "branch page %llu is empty", (unsigned long long)l.logs_root);
	expect_refused("logs", 1, 0, want);
}
END_TEST

/* more elements than the page holds: the search reads one past its end */
START_TEST(branch_count_past_the_page)
{
	struct layout l;
	char want[96];

	make_file();
	l = find_layout();
	put16_at(page_off(l.logs_root) + 10, 1000);
	snprintf(want, sizeof(want), "of page %llu lies outside the page",
	         (unsigned long long)l.logs_root);
	expect_refused("logs", NKEYS, 0, want);
}
END_TEST

START_TEST(branch_child_above_the_high_water_mark)
{
	struct layout l;

	make_file();
	l = find_layout();
	for (uint32_t i = 0; i < l.logs_count; i++)
		put64_at(elem_off(l.logs_root, i) + 8, l.hwm + 5);
	expect_refused("logs", 1, 0, "is at or above the high-water mark");
}
END_TEST

/* every child of the root is the root: a cycle, cut at the depth bound */
START_TEST(branch_cycle)
{
	struct layout l;

	make_file();
	l = find_layout();
	for (uint32_t i = 0; i < l.logs_count; i++)
		put64_at(elem_off(l.logs_root, i) + 8, l.logs_root);
	expect_refused("logs", 1, 0, "tree deeper than 64 levels");
}
END_TEST

/* a child that claims overflow pages past the end of the file */
START_TEST(leaf_overflow_past_the_file_end)
{
	struct layout l;
	char want[96];

	make_file();
	l = find_layout();
	put32_at(page_off(l.first_leaf) + 12, 1000000);
	snprintf(want, sizeof(want), "page %llu claims 1000000 overflow pages, past the end",
	         (unsigned long long)l.first_leaf);
	expect_refused("logs", 1, 0, want);
}
END_TEST

/* the search reads only some elements of a leaf; materialising it for the
 * put reads all, and the damaged ones are refused then */
START_TEST(leaf_element_with_an_empty_key)
{
	struct layout l;
	char want[96];

	make_file();
	l = find_layout();
	put32_at(elem_off(l.first_leaf, l.first_count - 1u) + 8, 0);
	snprintf(want, sizeof(want), "element %u of page %llu has an empty key",
	         (unsigned)l.first_count - 1u, (unsigned long long)l.first_leaf);
	expect_refused("logs", 1, 0, want);
}
END_TEST

START_TEST(leaf_element_value_past_the_page)
{
	struct layout l;
	char want[96];

	make_file();
	l = find_layout();
	put32_at(elem_off(l.first_leaf, l.first_count - 1u) + 12, 70000);
	snprintf(want, sizeof(want), "element %u of page %llu lies outside the page",
	         (unsigned)l.first_count - 1u, (unsigned long long)l.first_leaf);
	expect_refused("logs", 1, 0, want);
}
END_TEST

/* a bucket value of 8 bytes, shorter than a bucket header */
START_TEST(bucket_value_too_short)
{
	struct layout l;

	make_file();
	l = find_layout();
	put32_at(elem_off(l.root_leaf, l.logs_elem) + 12, 8);
	expect_refused("logs", 1, 0, "bucket value too short");
}
END_TEST

/* an inline bucket whose leaf image is shorter than a page header */
START_TEST(inline_bucket_value_too_short)
{
	struct layout l;

	make_file();
	l = find_layout();
	put32_at(elem_off(l.root_leaf, l.conf_elem) + 12, BOLT_BUCKET_HEADER_SIZE + 8);
	expect_refused("conf", 1, 0, "inline bucket value too short");
}
END_TEST

/* an inline bucket's image turned into a branch whose child is page 3: an
 * inline bucket has no pages */
START_TEST(inline_bucket_refers_to_a_page)
{
	struct layout l;
	off_t img;

	make_file();
	l = find_layout();
	img = l.conf_value + BOLT_BUCKET_HEADER_SIZE;
	ck_assert_uint_eq(get64_at(l.conf_value), 0); /* inline */
	ck_assert_uint_eq(get16_at(img + 10), 1);
	put16_at(img + 8, BOLT_PAGE_BRANCH);
	/* branch element: key at +16 from the element (the leaf's key "a"),
	 * 1 byte, child page 3 */
	put32_at(img + 16, 16);
	put32_at(img + 20, 1);
	put64_at(img + 24, 3);
	expect_refused("conf", 1, 0, "inline bucket refers to page 3");
}
END_TEST

/* a non-root node left small by deletes whose parent lists it alone: the
 * merge needs a sibling, and a branch of one child is damage */
START_TEST(rebalance_under_a_single_child_branch)
{
	struct layout l;
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	struct bolt_err e = {0};
	uint8_t key[8];
	size_t n0, n1;
	uint8_t *before, *after;
	int rc;

	make_file();
	l = find_layout();
	put16_at(page_off(l.logs_root) + 10, 1);
	before = snapshot(&n0);
	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	/* the first leaf holds keys 1..first_count: leave one */
	for (uint64_t k = 1; k < l.first_count; k++) {
		be64(key, k);
		ck_assert_msg(bolt_bucket_delete(b, key, 8, &e) == BOLT_OK, "%s", e.msg);
	}
	rc = bolt_tx_commit(tx, &e);
	ck_assert_int_eq(rc, BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "has a single child") != NULL, "%s", e.msg);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	after = snapshot(&n1);
	ck_assert_uint_eq(n0, n1);
	ck_assert(memcmp(before, after, n0) == 0);
	free(before);
	free(after);
}
END_TEST

/* a nested bucket is not a key to delete; a missing key deletes nothing;
 * one write transaction at a time; closing with one open rolls it back */
START_TEST(delete_and_transaction_rules)
{
	struct bolt_db *db;
	struct bolt_tx *tx, *tx2;
	struct bolt_bucket *b;
	struct bolt_err e = {0};
	const uint8_t *val;
	size_t vlen, n0, n1;
	uint8_t *before, *after;

	make_file();
	before = snapshot(&n0);
	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_tx_begin(db, &tx2, &e), BOLT_EINVAL);
	ck_assert_msg(strstr(e.msg, "a write transaction is open") != NULL, "%s", e.msg);
	ck_assert_int_eq(bolt_bucket_delete(bolt_tx_root(tx), "logs", 4, &e), BOLT_EINVAL);
	ck_assert_msg(strstr(e.msg, "key is a nested bucket") != NULL, "%s", e.msg);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "conf", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_bucket_delete(b, "zz", 2, &e), BOLT_OK);
	ck_assert_int_eq(bolt_bucket_delete(b, "0", 1, &e), BOLT_OK);
	ck_assert(bolt_bucket_get(b, "a", 1, &val, &vlen, &e) == BOLT_OK);
	ck_assert(vlen == 1 && val[0] == '1');
	ck_assert(bolt_bucket_delete(b, "a", 1, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_bucket_get(b, "a", 1, &val, &vlen, &e), BOLT_ENOTFOUND);
	/* the root bucket's "conf" is a bucket, not a value */
	ck_assert_int_eq(bolt_bucket_get(bolt_tx_root(tx), "conf", 4, &val, &vlen, &e),
	                 BOLT_ENOTFOUND);
	/* a second bucket open beside the first; a new bucket named after
	 * every other, and a value put into it while it is empty */
	{
		struct bolt_bucket *lg, *z;

		ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &lg, &e) == BOLT_OK);
		ck_assert_ptr_ne(lg, b);
		ck_assert(bolt_bucket_create(bolt_tx_root(tx), "zzz", 3, &z, &e) == BOLT_OK);
		ck_assert(bolt_bucket_put(z, "k", 1, "v", 1, &e) == BOLT_OK);
		ck_assert(bolt_bucket_get(z, "k", 1, &val, &vlen, &e) == BOLT_OK);
		ck_assert(vlen == 1 && val[0] == 'v');
	}
	/* closed with the transaction open: rolled back, nothing written */
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	after = snapshot(&n1);
	ck_assert_uint_eq(n0, n1);
	ck_assert(memcmp(before, after, n0) == 0);
	free(before);
	free(after);
	ck_assert_int_eq(bolt_db_close(NULL, &e), BOLT_OK);
}
END_TEST

/* ---- opening ---- */

/* Sets a u64 field of meta page i and fixes its checksum. */
static void meta_set(int i, size_t off, uint64_t v)
{
	uint8_t page[128];

	file_read(page_off((bolt_pgid)i), page, sizeof(page));
	bolt_put64(page + off, v);
	bolt_put64(page + BOLT_META_CHECKSUM_OFF, bolt_meta_sum(page + BOLT_PAGE_HEADER_SIZE));
	file_write(page_off((bolt_pgid)i), page, sizeof(page));
}

static void expect_open_refused(const char *want)
{
	struct bolt_db *db = NULL;
	struct bolt_err e = {0};
	size_t n0, n1;
	uint8_t *before = snapshot(&n0), *after;

	ck_assert_int_eq(bolt_db_open(path, 0, NULL, &db, &e), BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, want) != NULL, "message \"%s\", want \"%s\"", e.msg, want);
	after = snapshot(&n1);
	ck_assert_uint_eq(n0, n1);
	ck_assert(memcmp(before, after, n0) == 0);
	free(before);
	free(after);
}

START_TEST(open_refuses_damaged_metas_and_freelist)
{
	struct layout l;
	char want[128];
	uint8_t z = 0;

	make_file();
	l = find_layout();
	/* root page id outside 2..hwm, in both metas */
	meta_set(0, 32, 1);
	meta_set(1, 32, l.hwm);
	snprintf(want, sizeof(want), "root page %llu outside 2..%llu",
	         (unsigned long long)(l.active ? l.hwm : 1), (unsigned long long)l.hwm - 1);
	expect_open_refused(want);

	/* the freelist page past the high-water mark */
	unlink(path);
	make_file();
	l = find_layout();
	meta_set(l.active, 48, 1000000);
	snprintf(want, sizeof(want), "freelist page 1000000 outside 2..%llu",
	         (unsigned long long)l.hwm - 1);
	expect_open_refused(want);
	meta_set(l.active, 48, l.freelist);
	/* the freelist page claiming pages past the end of the file */
	put32_at(page_off(l.freelist) + 12, 1000000);
	snprintf(want, sizeof(want), "page %llu claims 1000000 overflow pages, past the end",
	         (unsigned long long)l.freelist);
	expect_open_refused(want);

	/* a freelist page that is a leaf */
	unlink(path);
	make_file();
	l = find_layout();
	meta_set(l.active, 48, l.root_leaf);
	snprintf(want, sizeof(want), "page %llu is not a freelist page",
	         (unsigned long long)l.root_leaf);
	expect_open_refused(want);

	/* both metas' magic gone */
	file_write(page_off(0) + 16, &z, 1);
	file_write(page_off(1) + 16, &z, 1);
	expect_open_refused("both meta pages are invalid");
}
END_TEST

START_TEST(open_refuses_invalid_page_sizes)
{
	static const uint32_t bad[] = {512, 3000, 131072};
	struct bolt_db *db = NULL;
	struct bolt_err e = {0};
	struct stat st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bolt_db_options o = {.page_size = bad[i], .no_sync = 1};
		char want[64];

		unlink(path);
		ck_assert_int_eq(bolt_db_open(path, 1, &o, &db, &e), BOLT_EINVAL);
		snprintf(want, sizeof(want), "invalid page size %u", bad[i]);
		ck_assert_msg(strcmp(e.msg, want) == 0, "%s", e.msg);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_size, 0); /* nothing written */
	}
}
END_TEST

/* ---- the freelist page rules ---- */

START_TEST(freelist_read_refuses_damage)
{
	uint8_t page[PS] = {0};
	struct bolt_freelist f;
	struct bolt_err e = {0};

	bolt_freelist_init(&f);
	bolt_put64(page, 2);
	/* not a freelist page */
	bolt_put16(page + 8, BOLT_PAGE_LEAF);
	ck_assert_int_eq(bolt_freelist_read(&f, page, PS, 100, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "page 2 is not a freelist page");
	bolt_put16(page + 8, BOLT_PAGE_FREELIST);
	/* the long count form in a span without room for the count */
	bolt_put16(page + 10, 0xFFFF);
	ck_assert_int_eq(bolt_freelist_read(&f, page, BOLT_PAGE_HEADER_SIZE + 4, 100, &e),
	                 BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "freelist page 2 is truncated");
	/* a long count larger than the page */
	bolt_put64(page + 16, 600);
	ck_assert_int_eq(bolt_freelist_read(&f, page, PS, 100, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "freelist page 2 claims 600 ids, more than its pages hold");
	/* ids: a meta page */
	bolt_put16(page + 10, 2);
	bolt_put64(page + 16, 5);
	bolt_put64(page + 24, 1);
	ck_assert_int_eq(bolt_freelist_read(&f, page, PS, 100, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "freelist page 2 lists page 1 outside 2..99");
	/* twice the same */
	bolt_put64(page + 24, 5);
	ck_assert_int_eq(bolt_freelist_read(&f, page, PS, 100, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "freelist page 2 lists page 5 twice");
	/* sound: read, sorted */
	bolt_put64(page + 24, 4);
	ck_assert_int_eq(bolt_freelist_read(&f, page, PS, 100, &e), BOLT_OK);
	ck_assert_uint_eq(f.nfree, 2);
	ck_assert(f.free[0] == 4 && f.free[1] == 5);
	bolt_freelist_destroy(&f);
}
END_TEST

START_TEST(freelist_free_and_release_rules)
{
	struct bolt_freelist f;
	struct bolt_err e = {0};
	uint8_t page[64] = {0};

	bolt_freelist_init(&f);
	ck_assert_int_eq(bolt_freelist_free(&f, 1, 1, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "attempt to free meta page 1");
	ck_assert_uint_eq(bolt_freelist_allocate(&f, 0), 0);
	/* nothing to release, nothing to write */
	ck_assert_int_eq(bolt_freelist_release(&f, &e), BOLT_OK);
	ck_assert_int_eq(bolt_freelist_write(&f, page, &e), BOLT_OK);
	ck_assert_uint_eq(bolt_page_flags(page), BOLT_PAGE_FREELIST);
	ck_assert_uint_eq(bolt_page_count(page), 0);
	/* page 7 freed by two transactions */
	ck_assert_int_eq(bolt_freelist_free(&f, 7, 1, &e), BOLT_OK);
	ck_assert_int_eq(bolt_freelist_release(&f, &e), BOLT_OK);
	ck_assert_int_eq(bolt_freelist_free(&f, 6, 2, &e), BOLT_OK);
	ck_assert_int_eq(bolt_freelist_release(&f, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "page 7 freed twice");
	bolt_freelist_destroy(&f);
}
END_TEST

/* ---- the check ---- */

/* Everything a check reported, as text, and what the visitor saw. */
struct report {
	char text[16384];
	int errors, warnings;
	uint64_t entries;
	uint64_t stop_after;       /* entry number that stops the check, 0: none */
	int opened, open_fails_at; /* parts: open number that fails (1-based) */
};

static void rep_problem(void *ctx, int severity, uint64_t pgid, const char *msg)
{
	struct report *r = ctx;
	size_t o = strlen(r->text);

	(void)pgid;
	if (severity == BOLT_CHECK_ERROR)
		r->errors++;
	else
		r->warnings++;
	snprintf(r->text + o, sizeof(r->text) - o, "%c %s\n",
	         severity == BOLT_CHECK_ERROR ? 'E' : 'W', msg);
}

static int rep_entry(void *ctx, const uint8_t *bucket, size_t blen, const struct bolt_elem *e)
{
	struct report *r = ctx;

	(void)bucket;
	(void)blen;
	(void)e;
	return ++r->entries == r->stop_after;
}

/* A part of a split walk: its own report, folded into the walk's. */
static void *rep_open(void *ctx)
{
	struct report *r = ctx, *p;

	if (++r->opened == r->open_fails_at)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p != NULL)
		p->stop_after = r->stop_after;
	return p;
}

static int rep_merge(void *ctx, void *part)
{
	struct report *r = ctx, *p = part;
	size_t o = strlen(r->text);

	r->errors += p->errors;
	r->warnings += p->warnings;
	r->entries += p->entries;
	snprintf(r->text + o, sizeof(r->text) - o, "%s", p->text);
	return 0;
}

static void rep_close(void *ctx, void *part)
{
	(void)ctx;
	free(part);
}

/* Checks the file with `threads` threads (1: no parts) into r. */
static int check_into(struct report *r, int threads, struct bolt_check_stats *st)
{
	struct bolt_check_parts parts = {threads, rep_open, rep_merge, rep_close};
	struct bolt_check_visitor vis = {.ctx = r,
	                                 .problem = rep_problem,
	                                 .entry = rep_entry,
	                                 .parts = threads > 1 ? &parts : NULL};
	struct bolt_view *v = NULL;
	struct bolt_err e = {0};
	int rc;

	ck_assert_msg(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK, "%s", e.msg);
	rc = bolt_check(v, &vis, st, &e);
	bolt_view_close(v);
	return rc;
}

static void expect_problem(struct report *r, const char *want)
{
	ck_assert_msg(strstr(r->text, want) != NULL, "want \"%s\" in the report:\n%s", want,
	              r->text);
}

/* The other meta page damaged four ways: what the check says depends on
 * whether it could have held a newer transaction. */
START_TEST(check_words_the_other_meta)
{
	struct layout l;
	struct report r;
	struct bolt_check_stats st;
	struct bolt_view *v;
	struct bolt_err e = {0};
	uint64_t txid;
	int other;
	uint8_t z = 0;

	make_file();
	l = find_layout();
	other = 1 - l.active;
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	txid = v->meta.txid;
	bolt_view_close(v);

	/* a newer txid, checksum not fixed: the fallback lost it */
	put64_at(page_off((bolt_pgid)other) + 64, txid + 1);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	expect_problem(&r, "is invalid (checksum mismatch): bbolt falls back");
	ck_assert_int_eq(r.errors, 1);

	/* a txid far ahead: not a lost commit, a damaged page */
	put64_at(page_off((bolt_pgid)other) + 64, txid + 5000);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	expect_problem(&r, "W meta page");
	expect_problem(&r, "the next commit rewrites the damaged one");
	ck_assert_int_eq(r.errors, 0);

	/* an older txid (not its own, txid - 1: that would mend it) */
	put64_at(page_off((bolt_pgid)other) + 64, txid - 3);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	expect_problem(&r, "the next commit rewrites the damaged one");
	ck_assert_int_eq(r.errors, 0);

	/* no magic: nothing can be said of its txid */
	file_write(page_off((bolt_pgid)other) + 16, &z, 1);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	expect_problem(&r, "is unreadable (bad magic number)");
	ck_assert_int_eq(r.errors, 0);
}
END_TEST

START_TEST(check_reports_inline_bucket_damage)
{
	struct layout l;
	struct report r;
	struct bolt_check_stats st;
	off_t img;

	make_file();
	l = find_layout();
	img = l.conf_value + BOLT_BUCKET_HEADER_SIZE;

	/* the inline element flagged as a nested bucket */
	put32_at(img + 16, BOLT_BUCKET_LEAF_FLAG);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	expect_problem(&r, "holds a nested bucket (bbolt never writes that)");
	put32_at(img + 16, 0);

	/* not a leaf image */
	put16_at(img + 8, BOLT_PAGE_BRANCH);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	expect_problem(&r, "is not a leaf image (flags 0x1)");
	put16_at(img + 8, BOLT_PAGE_LEAF);

	/* shorter than a page header */
	put32_at(elem_off(l.root_leaf, l.conf_elem) + 12, BOLT_BUCKET_HEADER_SIZE + 8);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	expect_problem(&r, "is shorter than a page header");
}
END_TEST

START_TEST(check_reports_branch_and_freelist_damage)
{
	struct layout l;
	struct report r;
	struct bolt_check_stats st;
	char want[96];

	make_file();
	l = find_layout();
	put16_at(page_off(l.logs_root) + 10, 0);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	snprintf(want, sizeof(want), "branch page %llu has no elements",
	         (unsigned long long)l.logs_root);
	expect_problem(&r, want);
	ck_assert_uint_eq(st.keys, 1); /* conf's "a" only */

	/* a freelist listing a meta page, and a page twice */
	unlink(path);
	make_file();
	l = find_layout();
	put16_at(page_off(l.freelist) + 10, 3);
	put64_at(page_off(l.freelist) + 16, 1);
	put64_at(page_off(l.freelist) + 24, l.hwm - 1);
	put64_at(page_off(l.freelist) + 32, l.hwm - 1);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	snprintf(want, sizeof(want), "the freelist lists page 1, outside the valid range 2..%llu",
	         (unsigned long long)l.hwm - 1);
	expect_problem(&r, want);
	snprintf(want, sizeof(want), "the freelist lists page %llu twice",
	         (unsigned long long)l.hwm - 1);
	expect_problem(&r, want);
	ck_assert_uint_eq(st.free_pages, 1);
}
END_TEST

/* A check without a visitor, or with one that wants no problems or no
 * entries, runs to the end on a damaged file all the same. */
START_TEST(check_without_visitor)
{
	struct layout l;
	struct bolt_check_visitor none = {0};
	struct bolt_check_stats st, st2;
	struct bolt_view *v;
	struct bolt_err e = {0};
	struct report r = {0};

	make_file();
	l = find_layout();
	put16_at(page_off(l.first_leaf) + 8, BOLT_PAGE_FREELIST);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_check(v, NULL, &st, &e), BOLT_OK);
	ck_assert_int_eq(bolt_check(v, &none, &st2, &e), BOLT_OK);
	bolt_view_close(v);
	ck_assert(memcmp(&st, &st2, sizeof(st)) == 0);
	ck_assert_uint_eq(st.keys, NKEYS + 1u - l.first_count);
	ck_assert_int_eq(check_into(&r, 1, &st2), BOLT_OK);
	ck_assert(memcmp(&st, &st2, sizeof(st)) == 0);
	ck_assert_int_eq(r.errors, 1);
	expect_problem(&r, "is a freelist page (flags 0x10), expected a branch or leaf");
}
END_TEST

/* An entry callback that asks to stop: nothing is counted after it. With
 * threads, each part stops at its own third entry, and the merge stops at
 * the first part that stopped: conf's "a" (walked in this thread) and the
 * first part's three. */
START_TEST(check_stops_when_asked)
{
	struct report r;
	struct bolt_check_stats st;

	make_file();
	for (int threads = 1; threads <= 3; threads += 2) {
		uint64_t want = threads == 1 ? 3 : 4;

		memset(&r, 0, sizeof(r));
		r.stop_after = 3;
		ck_assert_int_eq(check_into(&r, threads, &st), BOLT_OK);
		ck_assert_uint_eq(r.entries, want);
		ck_assert_uint_eq(st.keys, want);
		ck_assert_int_eq(r.errors, 0);
	}
	/* all of them when none stops */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 3, &st), BOLT_OK);
	ck_assert_uint_eq(r.entries, NKEYS + 1u);
	ck_assert_int_eq(r.errors, 0);
}
END_TEST

/* A part that cannot be opened: the check walks the bucket in this
 * thread, with the same result. */
START_TEST(check_walks_alone_when_a_part_cannot_open)
{
	struct report r1 = {0}, r2 = {0};
	struct bolt_check_stats st1, st2;

	make_file();
	ck_assert_int_eq(check_into(&r1, 1, &st1), BOLT_OK);
	r2.open_fails_at = 2;
	ck_assert_int_eq(check_into(&r2, 2, &st2), BOLT_OK);
	ck_assert_int_eq(r2.opened, 2);
	ck_assert(memcmp(&st1, &st2, sizeof(st1)) == 0);
	ck_assert_uint_eq(r2.entries, NKEYS + 1u);
	ck_assert_str_eq(r1.text, r2.text);
}
END_TEST

/* ---- the reader's refusals ---- */

static void expect_view_refused(const char *want)
{
	struct bolt_view *v = NULL;
	struct bolt_err e = {0};

	ck_assert_int_eq(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e), BOLT_ECORRUPT);
	ck_assert_ptr_null(v);
	ck_assert_msg(strstr(e.msg, want) != NULL, "message \"%s\", want \"%s\"", e.msg, want);
}

START_TEST(view_refuses_bad_active_meta)
{
	struct layout l;
	char want[128];

	make_file();
	l = find_layout();
	meta_set(l.active, 56, 3); /* high-water mark below 4 */
	snprintf(want, sizeof(want), "meta %d says the file has 3 pages", l.active);
	expect_view_refused(want);
	meta_set(l.active, 56, l.hwm);
	meta_set(l.active, 32, l.hwm); /* root at the high-water mark */
	snprintf(want, sizeof(want), "meta %d points its root bucket at page %llu, outside 2..%llu",
	         l.active, (unsigned long long)l.hwm, (unsigned long long)l.hwm - 1);
	expect_view_refused(want);
	meta_set(l.active, 32, 1); /* root on a meta page */
	snprintf(want, sizeof(want), "meta %d points its root bucket at page 1", l.active);
	expect_view_refused(want);
	meta_set(l.active, 32, l.root_leaf);
	meta_set(l.active, 48, 1); /* freelist on a meta page */
	snprintf(want, sizeof(want), "meta %d points its freelist at page 1, outside 2..%llu",
	         l.active, (unsigned long long)l.hwm - 1);
	expect_view_refused(want);
	meta_set(l.active, 48, l.freelist);
	ck_assert_int_eq(truncate(path, 1500), 0);
	expect_view_refused("is not a bolt database: 1500 bytes is too short");
}
END_TEST

START_TEST(view_bucket_lookups)
{
	struct layout l;
	struct bolt_view *v = NULL;
	struct bolt_vbucket b, c;
	struct bolt_err e = {0};
	off_t img;

	make_file();
	l = find_layout();
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_view_bucket(v, NULL, "nope", 4, &b, &e), BOLT_ENOTFOUND);
	ck_assert_str_eq(e.msg, "bucket \"nope\" not found");
	ck_assert_int_eq(bolt_view_bucket(v, NULL, "conf", 4, &b, &e), BOLT_OK);
	ck_assert_uint_eq(b.root, 0);
	ck_assert_ptr_nonnull(b.inline_page);
	/* a plain key of a bucket is not a bucket */
	ck_assert_int_eq(bolt_view_bucket(v, &b, "a", 1, &c, &e), BOLT_ENOTFOUND);
	/* after the last name; a long name is cut to 64 bytes in the message */
	{
		char name[100];

		memset(name, 'z', sizeof(name));
		ck_assert_int_eq(bolt_view_bucket(v, NULL, name, sizeof(name), &c, &e),
		                 BOLT_ENOTFOUND);
		ck_assert_uint_eq(strlen(e.msg), strlen("bucket \"\" not found") + 64);
	}
	bolt_view_close(v);

	/* an inline value too short for a page header */
	put32_at(elem_off(l.root_leaf, l.conf_elem) + 12, BOLT_BUCKET_HEADER_SIZE + 8);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_view_bucket(v, NULL, "conf", 4, &b, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "bucket \"conf\": inline bucket is not a leaf page image");
	bolt_view_close(v);
	put32_at(elem_off(l.root_leaf, l.conf_elem) + 12,
	         BOLT_BUCKET_HEADER_SIZE + BOLT_PAGE_HEADER_SIZE + BOLT_LEAF_ELEM_SIZE + 2);

	img = l.conf_value + BOLT_BUCKET_HEADER_SIZE;
	put16_at(img + 8, BOLT_PAGE_BRANCH);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_view_bucket(v, NULL, "conf", 4, &b, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "bucket \"conf\": inline bucket is not a leaf page image");
	bolt_view_close(v);

	put32_at(elem_off(l.root_leaf, l.logs_elem) + 12, 8);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_view_bucket(v, NULL, "logs", 4, &b, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "bucket \"logs\": value of 8 bytes is too short for a bucket");
	bolt_view_close(v);
}
END_TEST

/* ---- meta pages ---- */

START_TEST(meta_decode_and_pick)
{
	uint8_t f[3 * PS] = {0};
	struct bolt_meta m[2], one;
	int st[2];
	struct bolt_meta good = {.magic = BOLT_MAGIC,
	                         .version = BOLT_VERSION,
	                         .page_size = PS,
	                         .root = 3,
	                         .freelist = 2,
	                         .pgid = 4,
	                         .txid = 6};

	ck_assert_str_eq(bolt_meta_status_text(-1), "unknown meta status");
	ck_assert_str_eq(bolt_meta_status_text(99), "unknown meta status");
	ck_assert_str_eq(bolt_page_type_name(BOLT_PAGE_META), "meta");
	ck_assert_str_eq(bolt_page_type_name(BOLT_PAGE_FREELIST), "freelist");
	ck_assert_str_eq(bolt_page_type_name(0x80), "unknown");
	ck_assert_str_eq(bolt_page_type_name(BOLT_PAGE_BRANCH), "branch");
	ck_assert_str_eq(bolt_page_type_name(BOLT_PAGE_LEAF), "leaf");

	ck_assert_int_eq(bolt_meta_decode(f, 40, &one), BOLT_META_SHORT);
	ck_assert_int_eq(bolt_meta_decode(f, PS, &one), BOLT_META_BADMAGIC);
	good.version = 1;
	bolt_meta_encode(&good, f);
	ck_assert_int_eq(bolt_meta_decode(f, PS, &one), BOLT_META_BADVERSION);
	good.version = BOLT_VERSION;
	bolt_meta_encode(&good, f);
	ck_assert_int_eq(bolt_meta_decode(f, PS, &one), BOLT_META_OK);
	f[30] ^= 1; /* flags field: under the checksum */
	ck_assert_int_eq(bolt_meta_decode(f, PS, &one), BOLT_META_BADCHECKSUM);
	f[30] ^= 1;
	bolt_put16(f + 8, BOLT_PAGE_LEAF);
	ck_assert_int_eq(bolt_meta_decode(f, PS, &one), BOLT_META_BADFLAGS);
	bolt_put16(f + 8, 0);
	for (uint32_t ps = 512; ps <= 131072; ps = ps == 512    ? 3000
	                                           : ps == 3000 ? 131072
	                                                        : 1u << 31) {
		good.page_size = ps;
		bolt_meta_encode(&good, f);
		ck_assert_int_eq(bolt_meta_decode(f, PS, &one), BOLT_META_BADPAGESIZE);
		memset(f, 0, 16);
	}

	/* meta 0 unreadable: meta 1 found by trying page sizes; one whose
	 * recorded page size is not where it was found is not believed */
	memset(f, 0, sizeof(f));
	good.page_size = PS;
	good.txid = 7;
	bolt_meta_encode(&good, f + PS);
	ck_assert_int_eq(bolt_meta_pick(f, sizeof(f), m, st), 1);
	ck_assert_int_eq(st[0], BOLT_META_BADMAGIC);
	ck_assert_uint_eq(m[1].txid, 7);
	memset(f + PS, 0, PS);
	good.page_size = 2 * PS;
	bolt_meta_encode(&good, f + PS);
	ck_assert_int_eq(bolt_meta_pick(f, sizeof(f), m, st), -1);
	ck_assert_int_eq(st[1], BOLT_META_BADPAGESIZE);

	/* both valid, page sizes differ: meta 1 is not believed */
	memset(f, 0, sizeof(f));
	good.page_size = PS;
	good.txid = 6;
	bolt_meta_encode(&good, f);
	good.page_size = 2 * PS;
	good.txid = 7;
	bolt_meta_encode(&good, f + PS);
	ck_assert_int_eq(bolt_meta_pick(f, sizeof(f), m, st), 0);
	ck_assert_int_eq(st[1], BOLT_META_BADPAGESIZE);
}
END_TEST

/* ---- the live copy ---- */

/* bolt_copy_live of the damaged file: refused with `want`, at the first
 * attempt (no writer moved the metas: the damage is the file's). */
static void expect_copy_refused(const char *want)
{
	char dst[300];
	struct bolt_copy_info info;
	struct bolt_err e = {0};
	int fd, rc;

	snprintf(dst, sizeof(dst), "%s.copy", path);
	fd = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	rc = bolt_copy_live(path, fd, 5, &info, &e);
	close(fd);
	unlink(dst);
	ck_assert_msg(rc == BOLT_ECORRUPT, "rc %d (%s), want: %s", rc, e.msg, want);
	ck_assert_msg(strstr(e.msg, want) != NULL, "message \"%s\", want \"%s\"", e.msg, want);
	ck_assert_uint_eq(info.attempts, 1);
}

/* Writes a fresh file, applies `damage` to its layout, copies. */
typedef void (*damage_fn)(const struct layout *l, char *want, size_t size);

static void copy_case(damage_fn damage)
{
	struct layout l;
	char want[160];

	unlink(path);
	make_file();
	l = find_layout();
	damage(&l, want, sizeof(want));
	expect_copy_refused(want);
}

static void d_child_outside(const struct layout *l, char *want, size_t size)
{
	put64_at(elem_off(l->logs_root, 1) + 8, l->hwm + 5);
	snprintf(want, size, "page %llu refers to page %llu, outside 2..%llu",
	         (unsigned long long)l->logs_root, (unsigned long long)l->hwm + 5,
	         (unsigned long long)l->hwm - 1);
}

static void d_overflow(const struct layout *l, char *want, size_t size)
{
	put32_at(page_off(l->first_leaf) + 12, 1000000);
	snprintf(want, size, "page %llu has 1000000 overflow pages, past the high-water mark",
	         (unsigned long long)l->first_leaf);
}

static void d_twice(const struct layout *l, char *want, size_t size)
{
	put64_at(elem_off(l->logs_root, 1) + 8, l->first_leaf);
	snprintf(want, size, "page %llu is reachable twice", (unsigned long long)l->first_leaf);
}

static void d_wrong_id(const struct layout *l, char *want, size_t size)
{
	put64_at(page_off(l->first_leaf), 3);
	snprintf(want, size, "page %llu says it is page 3", (unsigned long long)l->first_leaf);
}

static void d_wrong_type(const struct layout *l, char *want, size_t size)
{
	put16_at(page_off(l->first_leaf) + 8, BOLT_PAGE_FREELIST);
	snprintf(want, size, "page %llu in the tree is a freelist page",
	         (unsigned long long)l->first_leaf);
}

static void d_elem_outside(const struct layout *l, char *want, size_t size)
{
	put32_at(elem_off(l->logs_root, 1), 100000); /* the key's offset */
	snprintf(want, size, "page %llu element 1 lies outside the page",
	         (unsigned long long)l->logs_root);
}

static void d_bucket_short(const struct layout *l, char *want, size_t size)
{
	put32_at(elem_off(l->root_leaf, l->logs_elem) + 12, 8);
	snprintf(want, size, "page %llu element %u: bucket value too short",
	         (unsigned long long)l->root_leaf, l->logs_elem);
}

static void d_bucket_root_outside(const struct layout *l, char *want, size_t size)
{
	struct bolt_view *v;
	struct bolt_err e = {0};
	const uint8_t *p;
	size_t span;
	struct bolt_elem el;

	/* the value of "logs" in the root leaf: its root page id */
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_page(v, l->root_leaf, &p, &span, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_page_elem(p, span, 1, l->logs_elem, &el), 0);
	put64_at(page_off(l->root_leaf) + (el.value - p), 1);
	bolt_view_close(v);
	snprintf(want, size, "page %llu refers to page 1, outside",
	         (unsigned long long)l->root_leaf);
}

static void d_inline_short(const struct layout *l, char *want, size_t size)
{
	put32_at(elem_off(l->root_leaf, l->conf_elem) + 12, BOLT_BUCKET_HEADER_SIZE + 8);
	snprintf(want, size, "page %llu element %u: inline bucket too short",
	         (unsigned long long)l->root_leaf, l->conf_elem);
}

static void d_inline_elem_outside(const struct layout *l, char *want, size_t size)
{
	put32_at(l->conf_value + BOLT_BUCKET_HEADER_SIZE + 16 + 4, 5000);
	snprintf(want, size, "page %llu: inline bucket element 0 lies outside it",
	         (unsigned long long)l->root_leaf);
}

static void d_inline_nested(const struct layout *l, char *want, size_t size)
{
	put32_at(l->conf_value + BOLT_BUCKET_HEADER_SIZE + 16, BOLT_BUCKET_LEAF_FLAG);
	snprintf(want, size, "page %llu: nested bucket inside an inline bucket",
	         (unsigned long long)l->root_leaf);
}

START_TEST(live_copy_refuses_damage)
{
	static const damage_fn cases[] = {
	    d_child_outside, d_overflow,
	    d_twice,         d_wrong_id,
	    d_wrong_type,    d_elem_outside,
	    d_bucket_short,  d_bucket_root_outside,
	    d_inline_short,  d_inline_elem_outside,
	    d_inline_nested,
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		copy_case(cases[i]);
}
END_TEST

/* Metas that cannot be read: looked at three times (a meta caught mid-write
 * is looked at again), then refused. */
START_TEST(live_copy_of_unreadable_metas)
{
	char dst[300];
	struct bolt_copy_info info;
	struct bolt_err e = {0};
	uint8_t z = 0;
	int fd;

	make_file();
	file_write(page_off(0) + 16, &z, 1);
	file_write(page_off(1) + 16, &z, 1);
	snprintf(dst, sizeof(dst), "%s.copy", path);
	fd = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bolt_copy_live(path, fd, 0, &info, &e), BOLT_ECORRUPT);
	ck_assert_uint_eq(info.attempts, 3);
	ck_assert_msg(strstr(e.msg, "both meta pages are invalid") != NULL, "%s", e.msg);
	close(fd);
	unlink(dst);
}
END_TEST

/* bolt_copy_check: a meta claiming more pages than any file can hold */
START_TEST(copy_check_refuses_a_huge_claim)
{
	struct layout l;
	struct bolt_copy_info info = {0};
	struct bolt_err e = {0};
	struct stat st;
	int fd;

	make_file();
	l = find_layout();
	meta_set(l.active, 56, UINT64_MAX / 4096);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(bolt_copy_check(fd, (uint64_t)st.st_size, "F", &info, &e), BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "F is not a plausible bbolt database: its meta claims") != NULL,
	              "%s", e.msg);
	close(fd);
}
END_TEST

/* ---- leaves read with pread (leafread.c) ---- */

struct leafwalk {
	uint64_t next_key; /* the key expected next */
	uint64_t n;
	uint64_t stop_at; /* key that stops the walk (returns 7), 0: none */
};

/* Checks each element against make_file: key i, 100 bytes of (i & 0xff),
 * the head and the tail as asked. */
static int on_leaf_elem(void *ctx, const struct bolt_leaf_elem *e)
{
	struct leafwalk *w = ctx;
	uint8_t key[8];

	be64(key, w->next_key);
	ck_assert_uint_eq(e->klen, 8);
	ck_assert_msg(memcmp(e->key, key, 8) == 0, "key %llu out of order",
	              (unsigned long long)w->next_key);
	ck_assert_uint_eq(e->vlen, 100);
	for (uint32_t i = 0; i < e->hlen; i++)
		ck_assert_uint_eq(e->head[i], w->next_key & 0xff);
	for (uint32_t i = 0; i < e->tlen; i++)
		ck_assert_uint_eq(e->tail[i], w->next_key & 0xff);
	w->n++;
	return w->next_key++ == w->stop_at ? 7 : 0;
}

/* Every leaf of "logs" through the reader (mapped or by pread with head and
 * tail of `ht` bytes each); returns the keys read. */
static uint64_t read_leaves(int mapped, size_t ht, uint64_t stop_at, int *rc_out)
{
	struct bolt_view *v;
	struct bolt_vbucket b;
	struct bolt_leaves l;
	struct bolt_leafreader r;
	struct bolt_err e = {0};
	struct leafwalk w = {.next_key = 1, .stop_at = stop_at};
	int rc = BOLT_OK;

	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_msg(bolt_leaves_list(v, &b, &l, &e) == BOLT_OK, "%s", e.msg);
	bolt_leafreader_init(&r, v, ht, ht);
	for (size_t i = 0; i < l.n && rc == BOLT_OK; i++) {
		uint32_t count;

		if (mapped) {
			ck_assert_int_eq(bolt_leaf_count_mapped(v, l.ids[i], &count, &e), BOLT_OK);
			rc = bolt_leaf_read_mapped(v, l.ids[i], on_leaf_elem, &w, &e);
		} else {
			ck_assert_int_eq(bolt_leaf_count(&r, l.ids[i], &count, &e), BOLT_OK);
			rc = bolt_leaf_read(&r, l.ids[i], i + 1 < l.n ? l.ids[i + 1] : 0,
			                    on_leaf_elem, &w, &e);
		}
	}
	bolt_leafreader_free(&r);
	bolt_leaves_free(&l);
	bolt_view_close(v);
	*rc_out = rc;
	return w.n;
}

START_TEST(leaves_read_every_key_head_and_tail)
{
	int rc, fd;

	make_file();
	for (size_t ht = 0; ht <= 64; ht += 16) {
		ck_assert_uint_eq(read_leaves(0, ht, 0, &rc), NKEYS);
		ck_assert_int_eq(rc, BOLT_OK);
	}
	ck_assert_uint_eq(read_leaves(1, 0, 0, &rc), NKEYS);
	ck_assert_int_eq(rc, BOLT_OK);
	/* the callback's non-zero return stops the walk and is returned */
	ck_assert_uint_eq(read_leaves(0, 16, 50, &rc), 50);
	ck_assert_int_eq(rc, 7);
	ck_assert_uint_eq(read_leaves(1, 0, 50, &rc), 50);
	ck_assert_int_eq(rc, 7);
	/* the same once the file has left the page cache (when the file
	 * system lets it go) */
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fdatasync(fd), 0);
	ck_assert_int_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	close(fd);
	ck_assert_uint_eq(read_leaves(0, 16, 0, &rc), NKEYS);
	ck_assert_int_eq(rc, BOLT_OK);
	/* key 256 rewritten (its value all zeros, 256 & 0xff): its leaf moves
	 * to another page, the leaves no longer in page order */
	ck_assert_int_eq(try_op("logs", 256, 0, 1, &(struct bolt_err){0}), BOLT_OK);
	for (size_t ht = 16; ht <= 48; ht += 32) {
		ck_assert_uint_eq(read_leaves(0, ht, 0, &rc), NKEYS);
		ck_assert_int_eq(rc, BOLT_OK);
	}
}
END_TEST

/* One damaged leaf or branch, met by the leaf list and both leaf readers. */
START_TEST(leaf_readers_refuse_damage)
{
	struct layout l;
	struct bolt_view *v;
	struct bolt_vbucket b, inl;
	struct bolt_leaves ls;
	struct bolt_leafreader r;
	struct bolt_err e = {0};
	struct leafwalk w = {.next_key = 1};
	uint32_t count;
	char want[96];

	make_file();
	l = find_layout();
	/* a leaf's element past its page; the branch's element 1 likewise */
	put32_at(elem_off(l.first_leaf, 2) + 12, 70000);
	put32_at(elem_off(l.logs_root, 1), 100000);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "conf", 4, &inl, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_leaves_list(v, &inl, &ls, &e), BOLT_EINVAL);
	ck_assert_str_eq(e.msg, "an inline bucket has no leaves");
	ck_assert_int_eq(bolt_leaves_list(v, &b, &ls, &e), BOLT_ECORRUPT);
	snprintf(want, sizeof(want), "element 1 of page %llu lies outside the page",
	         (unsigned long long)l.logs_root);
	ck_assert_str_eq(e.msg, want);

	bolt_leafreader_init(&r, v, 16, 16);
	snprintf(want, sizeof(want), "element 2 of page %llu lies outside the page",
	         (unsigned long long)l.first_leaf);
	ck_assert_int_eq(bolt_leaf_count(&r, l.first_leaf, &count, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_leaf_read(&r, l.first_leaf, 0, on_leaf_elem, &w, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_leaf_count_mapped(v, l.first_leaf, &count, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_leaf_read_mapped(v, l.first_leaf, on_leaf_elem, &w, &e),
	                 BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_uint_eq(w.n, 0); /* nothing handed over from a damaged leaf */

	/* not a leaf; beyond the high-water mark */
	snprintf(want, sizeof(want), "page %llu is not a leaf", (unsigned long long)l.logs_root);
	ck_assert_int_eq(bolt_leaf_count(&r, l.logs_root, &count, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_leaf_count_mapped(v, l.logs_root, &count, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_leaf_count(&r, l.hwm, &count, &e), BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "is beyond the high-water mark") != NULL, "%s", e.msg);
	/* bytes past the end of the file */
	{
		const uint8_t *p;

		ck_assert_int_eq(bolt_leafreader_bytes(&r, v->map_len - 8, 16, &p, &e),
		                 BOLT_ECORRUPT);
		ck_assert_msg(strstr(e.msg, "a read of 16 bytes at") != NULL, "%s", e.msg);
		ck_assert_int_eq(bolt_leafreader_bytes(&r, v->map_len + 4096, 1, &p, &e),
		                 BOLT_ECORRUPT);
		ck_assert_int_eq(bolt_leafreader_bytes(&r, 16, 4, &p, &e), BOLT_OK);
		ck_assert_int_eq(bolt_le32(p), BOLT_MAGIC);
	}
	bolt_leafreader_free(&r);
	bolt_view_close(v);
}
END_TEST

START_TEST(leaf_headers_refused)
{
	struct layout l;
	struct bolt_view *v;
	struct bolt_leafreader r;
	struct bolt_err e = {0};
	uint32_t count;
	char want[96];
	bolt_pgid second;

	make_file();
	l = find_layout();
	second = get64_at(elem_off(l.logs_root, 1) + 8);
	put32_at(page_off(l.first_leaf) + 12, 1000000); /* overflow past the hwm */
	put16_at(page_off(second) + 10, 300);           /* elements past the page */
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	bolt_leafreader_init(&r, v, 0, 0);
	ck_assert_int_eq(bolt_leaf_count(&r, l.first_leaf, &count, &e), BOLT_ECORRUPT);
	snprintf(want, sizeof(want), "page %llu runs past the high-water mark",
	         (unsigned long long)l.first_leaf);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_leaf_count(&r, second, &count, &e), BOLT_ECORRUPT);
	snprintf(want, sizeof(want), "page %llu: elements outside the page",
	         (unsigned long long)second);
	ck_assert_str_eq(e.msg, want);
	/* the file cut under the reader: a pread finds its end */
	ck_assert_int_eq(truncate(path, (off_t)(l.hwm - 1) * PS), 0);
	r.win[0].len = r.win[1].len = 0; /* nothing held */
	ck_assert_int_eq(bolt_leaf_count(&r, l.hwm - 1, &count, &e), BOLT_ECHANGED);
	ck_assert_msg(strstr(e.msg, "shrank while it was read") != NULL, "%s", e.msg);
	bolt_leafreader_free(&r);
	bolt_view_close(v);
}
END_TEST

/* The leaf list's descent: a cycle, a page beyond the high-water mark, a
 * branch without elements. */
START_TEST(leaf_list_refuses_bad_descent)
{
	struct layout l;
	struct bolt_view *v;
	struct bolt_vbucket b;
	struct bolt_leaves ls;
	struct bolt_err e = {0};
	char want[96];

	make_file();
	l = find_layout();
	put64_at(elem_off(l.logs_root, 0) + 8, l.logs_root);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_leaves_list(v, &b, &ls, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "tree too deep");
	b.root = l.hwm;
	ck_assert_int_eq(bolt_leaves_list(v, &b, &ls, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "page beyond the high-water mark");
	bolt_view_close(v);
	put16_at(page_off(l.logs_root) + 10, 0);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_leaves_list(v, &b, &ls, &e), BOLT_ECORRUPT);
	snprintf(want, sizeof(want), "page %llu is not a branch page",
	         (unsigned long long)l.logs_root);
	ck_assert_str_eq(e.msg, want);
	bolt_view_close(v);
	/* its first element past the page: no first child to go down to */
	put16_at(page_off(l.logs_root) + 10, l.logs_count);
	put64_at(elem_off(l.logs_root, 0) + 8, get64_at(elem_off(l.logs_root, 1) + 8));
	put32_at(elem_off(l.logs_root, 0), 100000);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_leaves_list(v, &b, &ls, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	bolt_view_close(v);
}
END_TEST

/* ---- the reader's cursors (cursor.c) ---- */

/* Walks "logs" forward then backward; returns the keys seen each way
 * (checked to be in order, and the same both ways). */
static uint64_t walk_logs(struct bolt_view *v, uint64_t skip_from, uint64_t skip_to)
{
	struct bolt_vbucket b;
	struct bolt_cursor c;
	struct bolt_elem el;
	struct bolt_err e = {0};
	uint64_t n = 0, m = 0, k = 0;

	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	bolt_cursor_init(&c, v, &b);
	ck_assert_msg(bolt_cursor_first(&c, &el, &e) == BOLT_OK, "%s", e.msg);
	for (; el.key != NULL; n++) {
		k = bolt_be64(el.key);
		ck_assert_msg(k < skip_from || k > skip_to, "key %llu of the empty leaf",
		              (unsigned long long)k);
		ck_assert_msg(bolt_cursor_next(&c, &el, &e) == BOLT_OK, "%s", e.msg);
	}
	ck_assert_uint_eq(k, skip_to == NKEYS ? skip_from - 1 : NKEYS);
	ck_assert_msg(bolt_cursor_last(&c, &el, &e) == BOLT_OK, "%s", e.msg);
	for (; el.key != NULL; m++) {
		uint64_t j = bolt_be64(el.key);

		ck_assert(m == 0 || j < k);
		k = j;
		ck_assert_msg(bolt_cursor_prev(&c, &el, &e) == BOLT_OK, "%s", e.msg);
	}
	ck_assert_uint_eq(k, skip_from == 1 ? skip_to + 1 : 1);
	ck_assert_uint_eq(n, m);
	return n;
}

/* Leaves without elements (which bbolt never leaves behind, but which are
 * not damage to a reader) are stepped over, first, in the middle, last. */
START_TEST(cursors_step_over_empty_leaves)
{
	struct layout l;
	struct bolt_view *v;
	struct bolt_err e = {0};
	uint16_t nlast;
	bolt_pgid mid, last;
	uint64_t mid_first, mid_n;

	make_file();
	l = find_layout();
	mid = get64_at(elem_off(l.logs_root, 2) + 8);
	last = get64_at(elem_off(l.logs_root, l.logs_count - 1u) + 8);
	mid_n = get16_at(page_off(mid) + 10);
	nlast = get16_at(page_off(last) + 10);
	/* the keys of the middle leaf: its first key, then in a row */
	{
		uint8_t k[8];
		uint32_t pos;

		file_read(elem_off(mid, 0) + 4, k, 4);
		pos = bolt_le32(k);
		file_read(elem_off(mid, 0) + pos, k, 8);
		mid_first = bolt_be64(k);
	}
	put16_at(page_off(mid) + 10, 0);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert_uint_eq(walk_logs(v, mid_first, mid_first + mid_n - 1), NKEYS - mid_n);
	bolt_view_close(v);

	put16_at(page_off(l.first_leaf) + 10, 0);
	put16_at(page_off(last) + 10, 0);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	/* keys 1..first_count and the last leaf's are gone too */
	{
		struct bolt_vbucket b;
		struct bolt_cursor c;
		struct bolt_elem el;

		ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
		bolt_cursor_init(&c, v, &b);
		ck_assert(bolt_cursor_first(&c, &el, &e) == BOLT_OK);
		ck_assert_uint_eq(bolt_be64(el.key), l.first_count + 1u);
		ck_assert(bolt_cursor_last(&c, &el, &e) == BOLT_OK);
		ck_assert_uint_eq(bolt_be64(el.key), NKEYS - nlast);
		/* past the last key: seek lands nowhere */
		{
			uint8_t key[8];

			be64(key, NKEYS);
			ck_assert(bolt_cursor_seek(&c, key, 8, &el, &e) == BOLT_OK);
			ck_assert_ptr_null(el.key);
		}
	}
	bolt_view_close(v);
}
END_TEST

START_TEST(cursors_refuse_damage)
{
	struct layout l;
	struct bolt_view *v;
	struct bolt_vbucket b;
	struct bolt_cursor c;
	struct bolt_elem el;
	struct bolt_err e = {0};
	char want[96];
	/* an inline bucket whose image is a branch pointing at page 3 */
	uint8_t img[BOLT_PAGE_HEADER_SIZE + BOLT_BRANCH_ELEM_SIZE + 1] = {0};
	bolt_pgid last;

	make_file();
	l = find_layout();
	last = get64_at(elem_off(l.logs_root, l.logs_count - 1u) + 8);
	put16_at(page_off(l.logs_root) + 10, 0);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	bolt_cursor_init(&c, v, &b);
	ck_assert_int_eq(bolt_cursor_first(&c, &el, &e), BOLT_ECORRUPT);
	snprintf(want, sizeof(want), "branch page %llu is empty", (unsigned long long)l.logs_root);
	ck_assert_str_eq(e.msg, want);

	bolt_put16(img + 8, BOLT_PAGE_BRANCH);
	bolt_put16(img + 10, 1);
	bolt_put32(img + 16, 16);
	bolt_put32(img + 20, 1);
	bolt_put64(img + 24, 3);
	img[32] = 'a';
	b = (struct bolt_vbucket){.inline_page = img, .inline_len = sizeof(img)};
	bolt_cursor_init(&c, v, &b);
	ck_assert_int_eq(bolt_cursor_first(&c, &el, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, "inline bucket refers to page 3");
	bolt_view_close(v);

	/* the last leaf turned into a freelist page: found on the way back
	 * and on the way forward */
	put16_at(page_off(l.logs_root) + 10, l.logs_count);
	put16_at(page_off(last) + 8, BOLT_PAGE_FREELIST);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	bolt_cursor_init(&c, v, &b);
	ck_assert_int_eq(bolt_cursor_last(&c, &el, &e), BOLT_ECORRUPT);
	snprintf(want, sizeof(want),
	         "page %llu is a freelist page (flags 0x10) inside a bucket tree",
	         (unsigned long long)last);
	ck_assert_str_eq(e.msg, want);
	ck_assert(bolt_cursor_first(&c, &el, &e) == BOLT_OK);
	{
		int rc;

		while ((rc = bolt_cursor_next(&c, &el, &e)) == BOLT_OK && el.key != NULL)
			;
		ck_assert_int_eq(rc, BOLT_ECORRUPT);
		ck_assert_str_eq(e.msg, want);
	}
	bolt_view_close(v);
}
END_TEST

/* ---- more of the writer ---- */

/* Every entry point of the writer meets the damage: an empty root branch
 * (found by the search), and a root branch whose last element lies past
 * the page (found only when the root is read whole, to change it). */
START_TEST(writer_entry_points_refuse_damage)
{
	struct layout l;
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *b, *nb;
	struct bolt_err e = {0};
	const uint8_t *val;
	size_t vlen;
	uint8_t key[8];
	char want[96];

	make_file();
	l = find_layout();
	be64(key, 1);
	put16_at(page_off(l.logs_root) + 10, 0);
	snprintf(want, sizeof(want), "branch page %llu is empty", (unsigned long long)l.logs_root);
	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_bucket_get(b, key, 8, &val, &vlen, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_bucket_delete(b, key, 8, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_bucket_create(b, "nb", 2, &nb, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_bucket_open(b, "nb", 2, &nb, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	bolt_tx_rollback(tx);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);

	put16_at(page_off(l.logs_root) + 10, l.logs_count);
	put32_at(elem_off(l.logs_root, l.logs_count - 1u), 100000);
	snprintf(want, sizeof(want), "element %u of page %llu lies outside the page",
	         l.logs_count - 1u, (unsigned long long)l.logs_root);
	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_bucket_get(b, key, 8, &val, &vlen, &e), BOLT_OK);
	ck_assert_int_eq(bolt_bucket_delete(b, key, 8, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_bucket_create(b, "\x01", 1, &nb, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	ck_assert_int_eq(bolt_bucket_put(b, key, 8, "v", 1, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	bolt_tx_rollback(tx);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
}
END_TEST

/* A bucket that holds a bucket is never inline (bbolt's inlineable); the
 * innermost small one is; an empty value is a value. */
START_TEST(nested_buckets_and_empty_values)
{
	struct bolt_db *db = open_db();
	struct bolt_tx *tx;
	struct bolt_bucket *a, *bb;
	struct bolt_err e = {0};
	struct bolt_view *v;
	struct bolt_vbucket va, vb;
	struct bolt_cursor c;
	struct bolt_elem el;
	const uint8_t *val;
	size_t vlen;

	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_create(bolt_tx_root(tx), "a", 1, &a, &e) == BOLT_OK);
	ck_assert(bolt_bucket_create(a, "b", 1, &bb, &e) == BOLT_OK);
	ck_assert(bolt_bucket_put(bb, "k", 1, "", 0, &e) == BOLT_OK);
	ck_assert(bolt_bucket_get(bb, "k", 1, &val, &vlen, &e) == BOLT_OK);
	ck_assert_uint_eq(vlen, 0);
	ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "%s", e.msg);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);

	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "a", 1, &va, &e) == BOLT_OK);
	ck_assert_uint_ne(va.root, 0);
	ck_assert(bolt_view_bucket(v, &va, "b", 1, &vb, &e) == BOLT_OK);
	ck_assert_uint_eq(vb.root, 0);
	bolt_cursor_init(&c, v, &vb);
	ck_assert(bolt_cursor_first(&c, &el, &e) == BOLT_OK);
	ck_assert(el.klen == 1 && el.key[0] == 'k' && el.vlen == 0);
	bolt_view_close(v);

	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "a", 1, &a, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(a, "b", 1, &bb, &e) == BOLT_OK);
	ck_assert(bolt_bucket_get(bb, "k", 1, &val, &vlen, &e) == BOLT_OK);
	ck_assert_uint_eq(vlen, 0);
	bolt_tx_rollback(tx);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
}
END_TEST

/* A meta whose freelist page lies at or above its high-water mark: the
 * writer would allocate that page as new and list it free at commit, so
 * it refuses the file at open, as the reader does. */
START_TEST(open_refuses_a_freelist_above_the_high_water_mark)
{
	struct layout l;
	struct stat st;
	uint8_t page[16] = {0};
	char want[128];

	make_file();
	l = find_layout();
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_gt((uint64_t)st.st_size / PS, l.hwm); /* room past the mark */
	bolt_put64(page, l.hwm);
	bolt_put16(page + 8, BOLT_PAGE_FREELIST);
	file_write(page_off(l.hwm), page, sizeof(page));
	meta_set(l.active, 48, l.hwm);
	snprintf(want, sizeof(want), "freelist page %llu outside 2..%llu",
	         (unsigned long long)l.hwm, (unsigned long long)l.hwm - 1);
	expect_open_refused(want);
}
END_TEST

/* ---- three levels ---- */

#define DEEP_KEYS 12000u /* 8-byte values: leaves under branches under the root */

static void make_deep_file(void)
{
	struct bolt_db *db = open_db();
	struct bolt_err e = {0};
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	uint8_t key[8], val[8];

	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_create(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	for (uint64_t i = 1; i <= DEEP_KEYS; i++) {
		be64(key, i);
		be64(val, i * 3);
		ck_assert(bolt_bucket_put(b, key, 8, val, 8, &e) == BOLT_OK);
	}
	ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "%s", e.msg);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
}

/* Keys of "logs" in order, each checked against its value; returns them
 * counted, and the check's problems and depth. */
static uint64_t deep_keys(struct bolt_check_stats *st, int *problems)
{
	struct bolt_view *v;
	struct bolt_vbucket b;
	struct bolt_cursor c;
	struct bolt_elem el;
	struct bolt_err e = {0};
	struct report r = {0};
	uint64_t n = 0, prev = 0;

	ck_assert_int_eq(check_into(&r, 1, st), BOLT_OK);
	*problems = r.errors + r.warnings;
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	bolt_cursor_init(&c, v, &b);
	ck_assert(bolt_cursor_first(&c, &el, &e) == BOLT_OK);
	for (; el.key != NULL; n++) {
		uint64_t k = bolt_be64(el.key);

		ck_assert(k > prev && el.vlen == 8 && bolt_be64(el.value) == k * 3);
		prev = k;
		ck_assert(bolt_cursor_next(&c, &el, &e) == BOLT_OK);
	}
	bolt_view_close(v);
	return n;
}

/* Deletes in one transaction that empty whole branches: leaves merge,
 * branches merge and adopt each other's children, the root may collapse;
 * the file is sound and holds exactly the keys left. */
START_TEST(deep_deletes_merge_branches)
{
	struct bolt_check_stats st;
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	struct bolt_err e = {0};
	uint8_t key[8];
	int problems;

	make_deep_file();
	ck_assert_uint_eq(deep_keys(&st, &problems), DEEP_KEYS);
	ck_assert_int_eq(problems, 0);
	ck_assert_int_eq(st.max_depth, 3);

	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	for (uint64_t i = 2001; i <= 11000; i++) {
		be64(key, i);
		ck_assert(bolt_bucket_delete(b, key, 8, &e) == BOLT_OK);
	}
	ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "%s", e.msg);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	ck_assert_uint_eq(deep_keys(&st, &problems), DEEP_KEYS - 9000);
	ck_assert_int_eq(problems, 0);

	/* and down to a handful: one leaf, the tree two levels shorter */
	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	for (uint64_t i = 1; i <= DEEP_KEYS; i++) {
		be64(key, i);
		if (i % 1000 != 0)
			ck_assert(bolt_bucket_delete(b, key, 8, &e) == BOLT_OK);
	}
	ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "%s", e.msg);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	ck_assert_uint_eq(deep_keys(&st, &problems), 3); /* 1000, 2000, 12000 */
	ck_assert_int_eq(problems, 0);
}
END_TEST

/* A damaged branch one level down: the leaf list and the writer meet it
 * below the root. */
START_TEST(deep_damage_below_the_root)
{
	struct bolt_view *v;
	struct bolt_vbucket b;
	struct bolt_leaves ls;
	struct bolt_err e = {0};
	const uint8_t *p;
	size_t span;
	bolt_pgid mid;
	char want[96];

	make_deep_file();
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_leaves_list(v, &b, &ls, &e), BOLT_OK);
	ck_assert_uint_gt(ls.n, 100);
	bolt_leaves_free(&ls);
	ck_assert(bolt_view_page(v, b.root, &p, &span, &e) == BOLT_OK);
	ck_assert_uint_ge(bolt_page_count(p), 2);
	mid = bolt_le64(p + BOLT_PAGE_HEADER_SIZE + BOLT_BRANCH_ELEM_SIZE + 8); /* child 1 */
	bolt_view_close(v);
	ck_assert_uint_eq(get16_at(page_off(mid) + 8), BOLT_PAGE_BRANCH);

	/* its last element past the page */
	put32_at(elem_off(mid, get16_at(page_off(mid) + 10) - 1u), 100000);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_leaves_list(v, &b, &ls, &e), BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "lies outside the page") != NULL, "%s", e.msg);
	bolt_view_close(v);
	/* the writer, changing a key below it, reads it whole */
	{
		uint64_t k;
		uint8_t kb[8], pos[4];
		struct bolt_err we;

		/* the first key under mid: element 0's key */
		file_read(elem_off(mid, 0), pos, 4);
		file_read(elem_off(mid, 0) + bolt_le32(pos), kb, 8);
		k = bolt_be64(kb);
		snprintf(want, sizeof(want), "of page %llu lies outside the page",
		         (unsigned long long)mid);
		ck_assert_int_eq(try_op("logs", k, 1, 1, &we), BOLT_ECORRUPT);
		ck_assert_msg(strstr(we.msg, want) != NULL, "%s", we.msg);
	}

	/* no elements at all */
	put16_at(page_off(mid) + 10, 0);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_leaves_list(v, &b, &ls, &e), BOLT_ECORRUPT);
	snprintf(want, sizeof(want), "page %llu is not a branch page", (unsigned long long)mid);
	ck_assert_str_eq(e.msg, want);
	bolt_view_close(v);
	/* a leaf where a branch belongs */
	put16_at(page_off(mid) + 10, 3);
	put16_at(page_off(mid) + 8, BOLT_PAGE_LEAF);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "logs", 4, &b, &e) == BOLT_OK);
	ck_assert_int_eq(bolt_leaves_list(v, &b, &ls, &e), BOLT_ECORRUPT);
	ck_assert_str_eq(e.msg, want);
	bolt_view_close(v);
}
END_TEST

/* Deletes that leave the first leaf small merge it with the next one, which
 * the transaction reads only then: a next leaf turned into a freelist page
 * is refused at commit, nothing written; an empty next leaf (no damage to a
 * reader) is merged and freed, the file sound. */
static int delete_first_leaf_but_one(const struct layout *l, struct bolt_err *e)
{
	struct bolt_db *db = open_db();
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	uint8_t key[8];
	int rc;

	ck_assert(bolt_tx_begin(db, &tx, e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, e) == BOLT_OK);
	for (uint64_t k = 2; k <= l->first_count; k++) {
		be64(key, k);
		ck_assert_msg(bolt_bucket_delete(b, key, 8, e) == BOLT_OK, "%s", e->msg);
	}
	rc = bolt_tx_commit(tx, e);
	ck_assert(bolt_db_close(db, NULL) == BOLT_OK);
	return rc;
}

START_TEST(merge_with_the_next_leaf)
{
	struct layout l;
	struct bolt_err e = {0};
	struct bolt_check_stats st;
	struct report r = {0};
	size_t n0, n1;
	uint8_t *before, *after;
	bolt_pgid next;
	uint16_t next_count;
	char want[128];

	make_file();
	l = find_layout();
	next = get64_at(elem_off(l.logs_root, 1) + 8);
	next_count = get16_at(page_off(next) + 10);
	put16_at(page_off(next) + 8, BOLT_PAGE_FREELIST);
	before = snapshot(&n0);
	ck_assert_int_eq(delete_first_leaf_but_one(&l, &e), BOLT_ECORRUPT);
	snprintf(want, sizeof(want),
	         "page %llu has type freelist (flags 0x10), expected a branch or leaf",
	         (unsigned long long)next);
	ck_assert_str_eq(e.msg, want);
	after = snapshot(&n1);
	ck_assert(n0 == n1 && memcmp(before, after, n0) == 0);
	free(before);
	free(after);

	/* the parent files the next leaf under a page above the mark */
	put16_at(page_off(next) + 8, BOLT_PAGE_LEAF);
	put64_at(elem_off(l.logs_root, 1) + 8, l.hwm + 3);
	ck_assert_int_eq(delete_first_leaf_but_one(&l, &e), BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "is at or above the high-water mark") != NULL, "%s", e.msg);
	put64_at(elem_off(l.logs_root, 1) + 8, next);
	put16_at(page_off(next) + 10, 0);
	ck_assert_msg(delete_first_leaf_but_one(&l, &e) == BOLT_OK, "%s", e.msg);
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	ck_assert_msg(r.errors == 0, "%s", r.text);
	/* key 1, the keys after the emptied leaf, and conf's "a" */
	ck_assert_uint_eq(st.keys, NKEYS - l.first_count - next_count + 1u + 1u);
}
END_TEST

/* An empty last leaf given a key and losing it in the same transaction:
 * the leaf goes, and its parent's element for it with it. */
START_TEST(empty_leaf_filled_and_emptied)
{
	struct layout l;
	struct bolt_err e = {0};
	struct bolt_check_stats st;
	struct report r = {0};
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	uint8_t key[8];
	bolt_pgid last;
	uint16_t last_count;

	make_file();
	l = find_layout();
	last = get64_at(elem_off(l.logs_root, l.logs_count - 1u) + 8);
	last_count = get16_at(page_off(last) + 10);
	put16_at(page_off(last) + 10, 0);
	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	be64(key, NKEYS + 1);
	ck_assert(bolt_bucket_put(b, key, 8, "v", 1, &e) == BOLT_OK);
	ck_assert(bolt_bucket_delete(b, key, 8, &e) == BOLT_OK);
	ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "%s", e.msg);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	ck_assert_msg(r.errors == 0, "%s", r.text);
	ck_assert_uint_eq(st.keys, NKEYS - last_count + 1u);
	ck_assert_uint_eq(st.leaf_pages, l.logs_count - 1u + 1u); /* and the root bucket's */
}
END_TEST

/* A branch element whose key is below its child's first key (still in
 * order: the check finds nothing wrong; bbolt writes them equal): deletes
 * that merge that child into its left neighbour must remove the parent's
 * element for it all the same. */
START_TEST(merge_under_a_lower_parent_key)
{
	struct layout l;
	struct bolt_err e = {0};
	struct bolt_check_stats st;
	struct report r = {0};
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	uint8_t key[8], pos[4];
	uint64_t first = 0, count;
	bolt_pgid second;

	make_file();
	l = find_layout();
	/* the second leaf's first key goes: its parent element now says the
	 * next key */
	second = get64_at(elem_off(l.logs_root, 1) + 8);
	ck_assert_int_eq(try_op("logs", l.first_count + 1u, 1, 1, &e), BOLT_OK);
	l = find_layout();
	second = get64_at(elem_off(l.logs_root, 1) + 8);
	count = get16_at(page_off(second) + 10);
	file_read(elem_off(second, 0) + 4, pos, 4);
	file_read(elem_off(second, 0) + bolt_le32(pos), key, 8);
	first = bolt_be64(key);
	ck_assert_uint_eq(first, l.first_count + 2u);
	/* the parent's key for it set back one below */
	file_read(elem_off(l.logs_root, 1), pos, 4);
	be64(key, first - 1);
	file_write(elem_off(l.logs_root, 1) + bolt_le32(pos), key, 8);
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	ck_assert_msg(r.errors == 0, "the damage is not one the check reports: %s", r.text);

	/* all but one key of the second leaf: it merges into the first */
	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e) == BOLT_OK);
	for (uint64_t k = first + 1; k < first + count; k++) {
		be64(key, k);
		ck_assert(bolt_bucket_delete(b, key, 8, &e) == BOLT_OK);
	}
	ck_assert_msg(bolt_tx_commit(tx, &e) == BOLT_OK, "%s", e.msg);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	ck_assert_msg(r.errors == 0, "%s", r.text);
	ck_assert_uint_eq(st.keys, NKEYS - 1u - (count - 1u) + 1u);
}
END_TEST

/* The file cut by someone else while the writer holds it (flock is
 * advisory): the next transaction maps what is left and refuses the pages
 * that are gone. */
START_TEST(writer_meets_a_file_cut_under_it)
{
	struct layout l;
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	struct bolt_err e = {0};
	uint8_t key[8];
	int rc;

	make_file();
	l = find_layout();
	db = open_db();
	ck_assert_int_eq(truncate(path, (off_t)(l.logs_root * PS)), 0);
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	rc = bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e);
	if (rc == BOLT_OK) {
		be64(key, 1);
		rc = bolt_bucket_put(b, key, 8, "v", 1, &e);
	}
	ck_assert_int_eq(rc, BOLT_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "lies beyond the end of the file") != NULL, "%s", e.msg);
	bolt_tx_rollback(tx);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
}
END_TEST

/* A file larger than 1 GiB (sparse here): bbolt's mapping size steps by
 * whole GiB past that; a commit that needs no more room leaves the size. */
START_TEST(writer_on_a_file_past_one_gib)
{
	static const off_t sizes[] = {(off_t)3 << 29, (off_t)2 << 30}; /* 1.5, 2 GiB */

	for (size_t i = 0; i < 2; i++) {
		struct report r = {0};
		struct bolt_check_stats st;
		struct stat sb;
		struct bolt_err e;

		unlink(path);
		make_file();
		ck_assert_int_eq(truncate(path, sizes[i]), 0);
		ck_assert_int_eq(try_op("logs", NKEYS + 1, 0, 1, &e), BOLT_OK);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_int_eq(sb.st_size, sizes[i]);
		ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
		ck_assert_msg(r.errors == 0, "%s", r.text);
		ck_assert_uint_eq(st.keys, NKEYS + 2u);
	}
}
END_TEST

/* The live copy of a file whose newest meta is transaction 0: its fallback
 * meta cannot be one older, it is 0 too, and the copy opens as it. */
START_TEST(live_copy_of_transaction_zero)
{
	char dst[300];
	struct bolt_copy_info info;
	struct bolt_err e = {0};
	struct bolt_view *v;
	uint8_t z = 0;
	int fd;

	make_file();
	meta_set(0, 64, 0);
	file_write(page_off(1) + 16, &z, 1); /* meta 1 unreadable */
	snprintf(dst, sizeof(dst), "%s.copy", path);
	fd = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(bolt_copy_live(path, fd, 0, &info, &e) == BOLT_OK, "%s", e.msg);
	close(fd);
	ck_assert_uint_eq(info.txid, 0);
	ck_assert(bolt_view_open(dst, BOLT_VIEW_LOCKED, 1, &v, &e) == BOLT_OK);
	ck_assert_uint_eq(v->metas[0].txid, 0);
	ck_assert_uint_eq(v->metas[1].txid, 0);
	ck_assert_int_eq(v->meta_status[1], BOLT_META_OK);
	bolt_view_close(v);
	unlink(dst);
}
END_TEST

/* Offset in the file of the key of element i of leaf page id. */
static off_t leaf_key_off(bolt_pgid id, uint32_t i)
{
	uint8_t pos[4];

	file_read(elem_off(id, i) + 4, pos, 4);
	return elem_off(id, i) + bolt_le32(pos);
}

/* Keys out of their place: below the key the parent branch files the leaf
 * under, at or past the next one, out of order among 20-byte keys (shown
 * cut, "..."). */
START_TEST(check_reports_keys_out_of_place)
{
	struct layout l;
	struct report r;
	struct bolt_check_stats st;
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	struct bolt_err e = {0};
	struct bolt_view *v;
	struct bolt_vbucket vb;
	uint8_t key[8], orig[8];
	bolt_pgid second;
	off_t k0, klast;

	make_file();
	l = find_layout();
	second = get64_at(elem_off(l.logs_root, 1) + 8);
	k0 = leaf_key_off(second, 0);
	file_read(k0, orig, 8);
	be64(key, l.first_count - 5u);
	file_write(k0, key, 8);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	expect_problem(&r, "its parent branch starts at");
	file_write(k0, orig, 8);

	klast = leaf_key_off(l.first_leaf, l.first_count - 1u);
	be64(key, l.first_count + 10u);
	file_write(klast, key, 8);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	expect_problem(&r, "of the next element in its parent branch");

	/* 20-byte keys in a bucket of their own page */
	unlink(path);
	db = open_db();
	ck_assert(bolt_tx_begin(db, &tx, &e) == BOLT_OK);
	ck_assert(bolt_bucket_create(bolt_tx_root(tx), "long", 4, &b, &e) == BOLT_OK);
	for (int i = 0; i < 40; i++) {
		char k[21];

		snprintf(k, sizeof(k), "key-%016d", i);
		ck_assert(bolt_bucket_put(b, k, 20, "v", 1, &e) == BOLT_OK);
	}
	ck_assert(bolt_tx_commit(tx, &e) == BOLT_OK);
	ck_assert(bolt_db_close(db, &e) == BOLT_OK);
	ck_assert(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &e) == BOLT_OK);
	ck_assert(bolt_view_bucket(v, NULL, "long", 4, &vb, &e) == BOLT_OK);
	bolt_view_close(v);
	ck_assert_uint_ne(vb.root, 0);
	file_write(leaf_key_off(vb.root, 5) + 4, "9", 1); /* key 5 above key 6 */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(check_into(&r, 1, &st), BOLT_OK);
	expect_problem(&r, "(element 6) on leaf page");
	expect_problem(&r, "6b65792d303030303030303030303030... (element 6)");
	ck_assert_uint_eq(st.keys, 40);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bolt: damaged pages");
	TCase *tc = tcase_create("damage");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, undamaged_file_takes_the_same_writes);
	tcase_add_test(tc, branch_page_with_no_elements);
	tcase_add_test(tc, branch_count_past_the_page);
	tcase_add_test(tc, branch_child_above_the_high_water_mark);
	tcase_add_test(tc, branch_cycle);
	tcase_add_test(tc, leaf_overflow_past_the_file_end);
	tcase_add_test(tc, leaf_element_with_an_empty_key);
	tcase_add_test(tc, leaf_element_value_past_the_page);
	tcase_add_test(tc, bucket_value_too_short);
	tcase_add_test(tc, inline_bucket_value_too_short);
	tcase_add_test(tc, inline_bucket_refers_to_a_page);
	tcase_add_test(tc, rebalance_under_a_single_child_branch);
	tcase_add_test(tc, delete_and_transaction_rules);
	tcase_add_test(tc, open_refuses_damaged_metas_and_freelist);
	tcase_add_test(tc, open_refuses_invalid_page_sizes);
	tcase_add_test(tc, freelist_read_refuses_damage);
	tcase_add_test(tc, freelist_free_and_release_rules);
	tcase_add_test(tc, check_words_the_other_meta);
	tcase_add_test(tc, check_reports_inline_bucket_damage);
	tcase_add_test(tc, check_reports_branch_and_freelist_damage);
	tcase_add_test(tc, check_without_visitor);
	tcase_add_test(tc, check_stops_when_asked);
	tcase_add_test(tc, check_walks_alone_when_a_part_cannot_open);
	tcase_add_test(tc, view_refuses_bad_active_meta);
	tcase_add_test(tc, view_bucket_lookups);
	tcase_add_test(tc, meta_decode_and_pick);
	tcase_add_test(tc, live_copy_refuses_damage);
	tcase_add_test(tc, live_copy_of_unreadable_metas);
	tcase_add_test(tc, copy_check_refuses_a_huge_claim);
	tcase_add_test(tc, leaves_read_every_key_head_and_tail);
	tcase_add_test(tc, leaf_readers_refuse_damage);
	tcase_add_test(tc, leaf_headers_refused);
	tcase_add_test(tc, leaf_list_refuses_bad_descent);
	tcase_add_test(tc, cursors_step_over_empty_leaves);
	tcase_add_test(tc, cursors_refuse_damage);
	tcase_add_test(tc, writer_entry_points_refuse_damage);
	tcase_add_test(tc, nested_buckets_and_empty_values);
	tcase_add_test(tc, open_refuses_a_freelist_above_the_high_water_mark);
	tcase_add_test(tc, deep_deletes_merge_branches);
	tcase_add_test(tc, deep_damage_below_the_root);
	tcase_add_test(tc, merge_with_the_next_leaf);
	tcase_add_test(tc, empty_leaf_filled_and_emptied);
	tcase_add_test(tc, merge_under_a_lower_parent_key);
	tcase_add_test(tc, writer_meets_a_file_cut_under_it);
	tcase_add_test(tc, writer_on_a_file_past_one_gib);
	tcase_add_test(tc, check_reports_keys_out_of_place);
	tcase_add_test(tc, live_copy_of_transaction_zero);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
