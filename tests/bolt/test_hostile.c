/*
 * Hostile bolt files: a corrupt file that claims more than it holds must be
 * refused quickly, with a clear message, and without memory that grows with
 * the claim. Each case patches a real 8-page file written by the Go tool
 * (testdata/gen/one/sequencer-1/raft-log.db: meta 1 is active, txid 3,
 * root page 2, freelist page 3, high-water mark 6, page size 4096) or builds
 * a file page by page, then goes through the same entry points `verify` and
 * the writer use: bolt_view_open, bolt_check, cursors, bolt_db_open.
 *
 * "Bounded memory" is measured as the growth of the peak RSS (VmHWM, reset
 * through /proc/self/clear_refs) across the call; under ASan too.
 */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bolt/check.h"
#include "bolt/cursor.h"
#include "bolt/db.h"
#include "bolt/meta.h"
#include "bolt/view.h"
#include "tests/check_support.h"

#define PS           4096u
#define MEM_BOUND_KB (64 * 1024) /* peak RSS growth allowed per case */
#define TIME_BOUND_S 5.0         /* generous: ASan, a loaded 2-core CI box */

static char tmpdir[] = "/tmp/oci-hostile-XXXXXX";

/* ---- files ---- */

static uint8_t *load_gen_log(size_t *len)
{
	const char *td = getenv("OCI_TESTDATA");
	char path[4096];
	struct stat st;
	uint8_t *b;
	int fd;

	snprintf(path, sizeof(path), "%s/gen/one/sequencer-1/raft-log.db", td ? td : "testdata");
	fd = open(path, O_RDONLY);
	ck_assert_msg(fd >= 0, "cannot open %s (set OCI_TESTDATA)", path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq((uint64_t)st.st_size, 8 * PS);
	b = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static const char *write_tmp(const char *name, const uint8_t *b, size_t len)
{
	static char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b, len), (ssize_t)len);
	close(fd);
	return path;
}

/* Sets a u64 field of meta page `i` (offset from the page start) and
 * recomputes its checksum, so the meta stays "valid" and is believed. */
static void meta_set(uint8_t *file, int i, size_t off, uint64_t v)
{
	uint8_t *page = file + (size_t)i * PS;

	bolt_put64(page + off, v);
	bolt_put64(page + BOLT_META_CHECKSUM_OFF, bolt_meta_sum(page + BOLT_PAGE_HEADER_SIZE));
}

#define META_PGID_OFF     56
#define META_ROOT_OFF     32
#define META_FREELIST_OFF 48

/* bolt_check visitor collecting the problems as one text. */
struct problems {
	char text[8192];
	int n;
};

static void on_problem(void *ctx, int severity, uint64_t pgid, const char *msg)
{
	struct problems *p = ctx;
	size_t o = strlen(p->text);

	(void)severity;
	(void)pgid;
	p->n++;
	snprintf(p->text + o, sizeof(p->text) - o, "%s\n", msg);
}

static void run_check(const char *path, struct problems *p, struct bolt_check_stats *st)
{
	struct bolt_check_visitor vis = {.ctx = p, .problem = on_problem};
	struct bolt_view *v;
	struct bolt_err err = {0};

	memset(p, 0, sizeof(*p));
	ck_assert_msg(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &err) == BOLT_OK, "%s", err.msg);
	ck_assert_msg(bolt_check(v, &vis, st, &err) == BOLT_OK, "%s", err.msg);
	bolt_view_close(v);
}

/* ---- cases ---- */

/* Both metas valid (checksums fixed) but claiming 2^63 pages in an 8-page
 * file: open refuses it at once, the reader and the writer alike. */
START_TEST(meta_claims_2pow63_pages)
{
	size_t len;
	uint8_t *f = load_gen_log(&len);
	const char *path;
	struct bolt_view *v = NULL;
	struct bolt_db *db = NULL;
	struct bolt_err err = {0};
	struct bound b;

	meta_set(f, 0, META_PGID_OFF, UINT64_C(1) << 63);
	meta_set(f, 1, META_PGID_OFF, UINT64_C(1) << 63);
	path = write_tmp("pgid-2pow63.db", f, len);

	bound_start(&b, MEM_BOUND_KB, TIME_BOUND_S);
	ck_assert_int_eq(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &err), BOLT_ECORRUPT);
	ck_assert_ptr_null(v);
	ck_assert_msg(strstr(err.msg, "is truncated or damaged: meta 1 says the file has "
	                              "9223372036854775808 pages but it holds 8") != NULL,
	              "got: %s", err.msg);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(bolt_view_open(path, BOLT_VIEW_LOCKED, 1, &v, &err), BOLT_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "9223372036854775808 pages") != NULL, "got: %s", err.msg);
	memset(&err, 0, sizeof(err));
	ck_assert_int_ne(
	    bolt_db_open(path, 0, &(struct bolt_db_options){.lock_timeout = 1}, &db, &err),
	    BOLT_OK);
	ck_assert_ptr_null(db);
	ck_assert_int_eq(err.code, BOLT_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "9223372036854775808") != NULL, "got: %s", err.msg);
	bound_check(&b, "opening a file claiming 2^63 pages");
	free(f);
}
END_TEST

/* Meta 1 claims 2^63 pages, meta 0 is sound: bbolt would take meta 1 (the
 * higher txid) and die; we must refuse, not silently read the older tree. */
START_TEST(meta1_claims_2pow63_pages_meta0_sound)
{
	size_t len;
	uint8_t *f = load_gen_log(&len);
	struct bolt_view *v = NULL;
	struct bolt_err err = {0};
	struct bound b;
	int rc;

	meta_set(f, 1, META_PGID_OFF, UINT64_C(1) << 63);
	bound_start(&b, MEM_BOUND_KB, TIME_BOUND_S);
	rc = bolt_view_open(write_tmp("pgid1-2pow63.db", f, len), BOLT_VIEW_LIVE, 0, &v, &err);
	ck_assert_int_eq(rc, BOLT_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "meta 1 says the file has 9223372036854775808 pages") != NULL,
	              "got: %s", err.msg);
	bound_check(&b, "meta 1 claiming 2^63 pages");
	free(f);
}
END_TEST

/* Root and freelist ids near 2^64: no overflow in id * page_size. */
START_TEST(meta_root_and_freelist_huge)
{
	size_t len;
	uint8_t *f = load_gen_log(&len);
	struct bolt_view *v = NULL;
	struct bolt_err err = {0};

	meta_set(f, 0, META_ROOT_OFF, UINT64_MAX / PS + 1);
	meta_set(f, 1, META_ROOT_OFF, UINT64_MAX / PS + 1);
	ck_assert_int_eq(
	    bolt_view_open(write_tmp("root-huge.db", f, len), BOLT_VIEW_LIVE, 0, &v, &err),
	    BOLT_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "points its root bucket at page 4503599627370496, outside "
	                              "2..5") != NULL,
	              "got: %s", err.msg);
	free(f);
	f = load_gen_log(&len);
	meta_set(f, 0, META_FREELIST_OFF, UINT64_MAX);
	meta_set(f, 1, META_FREELIST_OFF, UINT64_MAX);
	ck_assert_int_eq(
	    bolt_view_open(write_tmp("freelist-huge.db", f, len), BOLT_VIEW_LIVE, 0, &v, &err),
	    BOLT_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "points its freelist at page 18446744073709551615") != NULL,
	              "got: %s", err.msg);
	free(f);
}
END_TEST

/* The freelist page says it lists 2^60 ids (count 0xFFFF, then the real
 * count in the first u64): the check reports it, the writer refuses the
 * file, neither allocates for the claim. */
START_TEST(freelist_claims_2pow60_ids)
{
	size_t len;
	uint8_t *f = load_gen_log(&len);
	uint8_t *fl = f + 3 * PS;
	const char *path;
	struct problems p;
	struct bolt_check_stats st;
	struct bolt_db *db = NULL;
	struct bolt_err err = {0};
	struct bound b;

	ck_assert_uint_eq(bolt_page_flags(fl), BOLT_PAGE_FREELIST);
	bolt_put16(fl + 10, 0xFFFF);
	bolt_put64(fl + BOLT_PAGE_HEADER_SIZE, UINT64_C(1) << 60);
	path = write_tmp("freelist-2pow60.db", f, len);

	bound_start(&b, MEM_BOUND_KB, TIME_BOUND_S);
	run_check(path, &p, &st);
	ck_assert_msg(strstr(p.text, "freelist page 3 claims 1152921504606846976 ids but its 1 "
	                             "page(s) hold at most 509") != NULL,
	              "got: %s", p.text);
	ck_assert_int_ne(
	    bolt_db_open(path, 0, &(struct bolt_db_options){.lock_timeout = 1}, &db, &err),
	    BOLT_OK);
	ck_assert_ptr_null(db);
	ck_assert_int_eq(err.code, BOLT_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "freelist page 3 claims 1152921504606846976 ids, more than "
	                              "its pages hold") != NULL,
	              "got: %s", err.msg);
	bound_check(&b, "a freelist claiming 2^60 ids");
	free(f);
}
END_TEST

/* UINT64_MAX ids: count > cap - first must not wrap. */
START_TEST(freelist_claims_uint64_max_ids)
{
	size_t len;
	uint8_t *f = load_gen_log(&len);
	struct problems p;
	struct bolt_check_stats st;

	bolt_put16(f + 3 * PS + 10, 0xFFFF);
	bolt_put64(f + 3 * PS + BOLT_PAGE_HEADER_SIZE, UINT64_MAX);
	run_check(write_tmp("freelist-max.db", f, len), &p, &st);
	ck_assert_msg(strstr(p.text, "claims 18446744073709551615 ids") != NULL, "got: %s", p.text);
	free(f);
}
END_TEST

/* A page whose overflow claims 2^32-1 more pages. */
START_TEST(root_page_overflow_4g_pages)
{
	size_t len;
	uint8_t *f = load_gen_log(&len);
	struct problems p;
	struct bolt_check_stats st;
	struct bolt_view *v;
	struct bolt_cursor c;
	struct bolt_vbucket root;
	struct bolt_elem e;
	struct bolt_err err = {0};
	const char *path;

	bolt_put32(f + 2 * PS + 12, UINT32_MAX);
	path = write_tmp("overflow-4g.db", f, len);
	run_check(path, &p, &st);
	ck_assert_msg(p.n > 0, "no problem reported");
	ck_assert_int_eq(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &err), BOLT_OK);
	bolt_view_root(v, &root);
	bolt_cursor_init(&c, v, &root);
	ck_assert_int_eq(bolt_cursor_first(&c, &e, &err), BOLT_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "page 2 has 4294967295 overflow pages, past the high-water "
	                              "mark 6") != NULL,
	              "got: %s", err.msg);
	bolt_view_close(v);
	free(f);
}
END_TEST

/* Writes a branch page at `id` with one element pointing at `child`. */
static void branch_to(uint8_t *file, bolt_pgid id, bolt_pgid child)
{
	uint8_t *p = file + id * PS;

	memset(p, 0, PS);
	bolt_put64(p, id);
	bolt_put16(p + 8, BOLT_PAGE_BRANCH);
	bolt_put16(p + 10, 1);
	bolt_put32(p + 16, 16); /* key right after the element */
	bolt_put32(p + 20, 4);
	bolt_put64(p + 24, child);
	memcpy(p + 32, "logs", 4);
}

/* An infinitely deep tree: the root branch page points at itself (and a
 * two-page cycle 2 -> 4 -> 2). The check enters each page once; cursors stop
 * at their depth limit; nothing recurses without bound. */
START_TEST(branch_cycle_is_infinite_depth)
{
	size_t len;
	uint8_t *f = load_gen_log(&len);
	struct problems p;
	struct bolt_check_stats st;
	struct bolt_view *v;
	struct bolt_cursor c;
	struct bolt_vbucket root, bk;
	struct bolt_elem e;
	struct bolt_err err = {0};
	const char *path;
	struct bound b;

	branch_to(f, 2, 2);
	path = write_tmp("cycle-self.db", f, len);
	bound_start(&b, MEM_BOUND_KB, TIME_BOUND_S);
	run_check(path, &p, &st);
	ck_assert_msg(p.n > 0, "a self-referencing branch page passed the check");
	ck_assert_int_le(st.max_depth, 64);
	ck_assert_int_eq(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &err), BOLT_OK);
	bolt_view_root(v, &root);
	bolt_cursor_init(&c, v, &root);
	ck_assert_int_eq(bolt_cursor_first(&c, &e, &err), BOLT_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "tree deeper than 64 levels at page 2 (a cycle?)") != NULL,
	              "got: %s", err.msg);
	bolt_cursor_init(&c, v, &root);
	ck_assert_int_eq(bolt_cursor_last(&c, &e, &err), BOLT_ECORRUPT);
	bolt_cursor_init(&c, v, &root);
	ck_assert_int_eq(bolt_cursor_seek(&c, "logs", 4, &e, &err), BOLT_ECORRUPT);
	ck_assert_int_eq(bolt_view_bucket(v, NULL, "logs", 4, &bk, &err), BOLT_ECORRUPT);
	bolt_view_close(v);
	bound_check(&b, "a self-referencing branch page");

	branch_to(f, 2, 4);
	branch_to(f, 4, 2);
	path = write_tmp("cycle-two.db", f, len);
	run_check(path, &p, &st);
	ck_assert_msg(strstr(p.text, "page 2") != NULL, "got: %s", p.text);
	free(f);
}
END_TEST

/* A real chain deeper than any valid tree: 200 branch pages each pointing
 * at the next (a valid 4 KiB-page tree of 2^64 keys is < 40 deep). Built
 * page by page with valid metas. The check and the cursors stop at 64
 * levels with a message; a 10-million-deep chain behaves the same (it
 * cannot be stored in a test: 40 GB). */
START_TEST(branch_chain_200_deep)
{
	const bolt_pgid n = 204; /* metas 0,1; freelist 2; branches 3..201; leaf 202; 203 hwm */
	size_t len = (size_t)n * PS;
	uint8_t *f = calloc(1, len);
	struct bolt_meta m = {.magic = BOLT_MAGIC,
	                      .version = BOLT_VERSION,
	                      .page_size = PS,
	                      .root = 3,
	                      .freelist = 2,
	                      .pgid = n - 1,
	                      .txid = 2};
	struct problems p;
	struct bolt_check_stats st;
	struct bolt_view *v;
	struct bolt_cursor c;
	struct bolt_vbucket root;
	struct bolt_elem e;
	struct bolt_err err = {0};
	const char *path;
	uint8_t *leaf;

	ck_assert_ptr_nonnull(f);
	bolt_meta_encode(&m, f);
	m.txid = 3;
	bolt_meta_encode(&m, f + PS);
	bolt_put64(f + 2 * PS, 2);
	bolt_put16(f + 2 * PS + 8, BOLT_PAGE_FREELIST);
	for (bolt_pgid i = 3; i < n - 2; i++)
		branch_to(f, i, i + 1);
	leaf = f + (n - 2) * PS; /* one key "logs" = value "x" */
	bolt_put64(leaf, n - 2);
	bolt_put16(leaf + 8, BOLT_PAGE_LEAF);
	bolt_put16(leaf + 10, 1);
	bolt_put32(leaf + 20, 16);
	bolt_put32(leaf + 24, 4);
	bolt_put32(leaf + 28, 1);
	memcpy(leaf + 32, "logsx", 5);
	path = write_tmp("chain-200.db", f, len);

	run_check(path, &p, &st);
	ck_assert_msg(strstr(p.text, "tree deeper than 64 levels") != NULL, "got: %s", p.text);
	ck_assert_int_eq(bolt_view_open(path, BOLT_VIEW_LIVE, 0, &v, &err), BOLT_OK);
	bolt_view_root(v, &root);
	bolt_cursor_init(&c, v, &root);
	ck_assert_int_eq(bolt_cursor_first(&c, &e, &err), BOLT_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "tree deeper than 64 levels") != NULL, "got: %s", err.msg);
	bolt_view_close(v);
	free(f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bolt-hostile");
	TCase *tc = tcase_create("bounds");

	tcase_add_test(tc, meta_claims_2pow63_pages);
	tcase_add_test(tc, meta1_claims_2pow63_pages_meta0_sound);
	tcase_add_test(tc, meta_root_and_freelist_huge);
	tcase_add_test(tc, freelist_claims_2pow60_ids);
	tcase_add_test(tc, freelist_claims_uint64_max_ids);
	tcase_add_test(tc, root_page_overflow_4g_pages);
	tcase_add_test(tc, branch_cycle_is_infinite_depth);
	tcase_add_test(tc, branch_chain_200_deep);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run_in_tmpdir(suite(), tmpdir);
}
