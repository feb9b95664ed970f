/*
 * raftstate/gzmember: gzip files of sized members, deflated and inflated on
 * several threads (backup --compress).
 *  - a file of five blocks (the last partial; half of it compressible, half
 *    pseudo-random) written with 1, 2 and 3 threads: the same bytes each
 *    time, zlib's own inflate (member after member, as gzip -d reads them)
 *    gives the source back, the crc32 is zlib's of the whole file, and
 *    every member's header carries its length;
 *  - read back with 1, 2 and 3 threads: byte-identical content, same crc32;
 *  - an empty file is one member that reads back as nothing;
 *  - damage is refused with one sentence, always the first bad member in
 *    file order whatever thread finds it: a flipped byte (in two members),
 *    a truncated file, a length field that lies, data after the last
 *    member, more content than the limit; a source that shrank; a length
 *    field below the smallest or above the largest member, a trailer
 *    claiming more or less than a member holds, a stored size the file
 *    lacks; written without a thread count (the CPUs allowed decide).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "raftstate/gzmember.h"
#include "tests/check_support.h"

#define SIZE ((size_t)(4 * RS_GZ_BLOCK) + 12345)

static char src_path[256], gz_path[300], out_path[300];
static uint8_t *src;
static uint32_t src_crc;

static void make_src(void)
{
	uint32_t x = 2463534242u;
	int fd;

	src = malloc(SIZE);
	ck_assert_ptr_nonnull(src);
	for (size_t i = 0; i < SIZE; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		/* 64 KiB stretches of random bytes, then of a short cycle */
		src[i] = (i >> 16) % 2 ? (uint8_t)x : (uint8_t)(i % 37);
	}
	src_crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), src, (uInt)SIZE);
	fd = open(src_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, src, SIZE), (ssize_t)SIZE);
	close(fd);
}

static void setup(void)
{
	snprintf(src_path, sizeof(src_path), "/tmp/oci-test-gzmember-%d", (int)getpid());
	snprintf(gz_path, sizeof(gz_path), "%s.gz", src_path);
	snprintf(out_path, sizeof(out_path), "%s.out", src_path);
	make_src();
}

static void teardown(void)
{
	unlink(src_path);
	unlink(gz_path);
	unlink(out_path);
	free(src);
}

static uint8_t *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf;
	long len;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return buf;
}

static void spit(const char *p, const uint8_t *buf, size_t n)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
	close(fd);
}

/* gzip src_path (size bytes of it) into gz_path with `threads` threads */
static int gz(uint64_t size, unsigned threads, uint32_t *crc, struct rs_err *e)
{
	struct rs_gz_opts o = {.threads = threads};
	int in = open(src_path, O_RDONLY), out, rc;

	ck_assert_int_ge(in, 0);
	out = open(gz_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(out, 0);
	rc = rs_gz_write(in, src_path, size, out, gz_path, &o, crc, e);
	close(in);
	close(out);
	return rc;
}

/* rs_gz_read of gz_path into out_path (write != 0) or nowhere */
static int gunz(int write, uint64_t limit, unsigned threads, uint64_t *size, uint32_t *crc,
                struct rs_err *e)
{
	struct rs_gz_opts o = {.threads = threads};
	int in = open(gz_path, O_RDONLY), out = -1, rc;
	off_t stored;

	ck_assert_int_ge(in, 0);
	stored = lseek(in, 0, SEEK_END);
	if (write) {
		out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ck_assert_int_ge(out, 0);
	}
	rc = rs_gz_read(in, "x.gz", (uint64_t)stored, out, out_path, limit, &o, size, crc, e);
	close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* zlib's inflate, member after member, as gzip -d reads a file */
static uint8_t *zlib_gunzip(const uint8_t *in, size_t n, size_t *out_n, size_t *members)
{
	uint8_t *out = malloc(SIZE + 1);
	z_stream zs;
	int r;

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (uint8_t *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = SIZE + 1;
	*members = 0;
	while ((r = inflate(&zs, Z_NO_FLUSH)) == Z_STREAM_END) {
		(*members)++;
		if (zs.avail_in == 0)
			break;
		ck_assert_int_eq(inflateReset(&zs), Z_OK);
	}
	ck_assert_int_eq(r, Z_STREAM_END);
	*out_n = (size_t)(SIZE + 1 - zs.avail_out);
	inflateEnd(&zs);
	return out;
}

/* the offsets of the members, from their length fields */
static size_t member_offsets(const uint8_t *g, size_t n, size_t *off, size_t max)
{
	size_t k = 0;

	for (size_t at = 0; at < n && k < max; k++) {
		ck_assert(rs_gz_is_sized(g + at, n - at));
		off[k] = at;
		at += (size_t)g[at + 16] | (size_t)g[at + 17] << 8 | (size_t)g[at + 18] << 16 |
		      (size_t)g[at + 19] << 24;
		ck_assert_uint_le(at, n);
	}
	return k;
}

START_TEST(test_threads_same_bytes_and_standard_gzip)
{
	uint8_t *first = NULL;
	size_t first_n = 0;

	for (unsigned t = 1; t <= 3; t++) {
		struct rs_err e = {0};
		uint32_t crc = 0;
		size_t n, back_n, members, off[16];
		uint8_t *g, *back;

		ck_assert_msg(gz(SIZE, t, &crc, &e) == RS_OK, "%s", e.msg);
		ck_assert_uint_eq(crc, src_crc);
		g = slurp(gz_path, &n);
		ck_assert_uint_lt(n, SIZE * 3 / 4); /* the compressible half shrank */
		back = zlib_gunzip(g, n, &back_n, &members);
		ck_assert_uint_eq(back_n, SIZE);
		ck_assert(memcmp(back, src, SIZE) == 0);
		ck_assert_uint_eq(members, 5);
		ck_assert_uint_eq(member_offsets(g, n, off, 16), 5);
		free(back);
		if (first == NULL) {
			first = g, first_n = n;
		} else {
			ck_assert_uint_eq(n, first_n);
			ck_assert_msg(memcmp(g, first, n) == 0, "%u threads wrote other bytes", t);
			free(g);
		}
	}
	free(first);
}
END_TEST

START_TEST(test_read_with_threads)
{
	struct rs_err e = {0};
	uint32_t crc = 0;

	ck_assert(gz(SIZE, 2, &crc, &e) == RS_OK);
	for (unsigned t = 1; t <= 3; t++) {
		uint64_t size = 0;
		size_t n;
		uint8_t *back;

		crc = 0;
		ck_assert_msg(gunz(1, SIZE, t, &size, &crc, &e) == RS_OK, "%s", e.msg);
		ck_assert_uint_eq(size, SIZE);
		ck_assert_uint_eq(crc, src_crc);
		back = slurp(out_path, &n);
		ck_assert_uint_eq(n, SIZE);
		ck_assert_msg(memcmp(back, src, SIZE) == 0, "%u threads inflated other bytes", t);
		free(back);
		/* checking only: same answer, nothing written */
		ck_assert(gunz(0, SIZE, t, &size, &crc, &e) == RS_OK);
		ck_assert_uint_eq(size, SIZE);
		ck_assert_uint_eq(crc, src_crc);
	}
}
END_TEST

START_TEST(test_empty)
{
	struct rs_err e = {0};
	uint32_t crc = 1;
	uint64_t size = 1;
	size_t n, back_n, members;
	uint8_t *g, *back;

	ck_assert_msg(gz(0, 2, &crc, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_eq(crc, 0);
	g = slurp(gz_path, &n);
	back = zlib_gunzip(g, n, &back_n, &members);
	ck_assert_uint_eq(back_n, 0);
	ck_assert_uint_eq(members, 1);
	free(g), free(back);
	ck_assert_msg(gunz(1, 0, 2, &size, &crc, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_eq(size, 0);
	ck_assert_uint_eq(crc, 0);
}
END_TEST

/* rs_gz_read of buf (n bytes) with t threads must fail with a message
 * holding want (and no newline) */
static void refused(const uint8_t *buf, size_t n, uint64_t limit, unsigned t, const char *want)
{
	struct rs_err e = {0};
	uint64_t size;
	uint32_t crc;

	spit(gz_path, buf, n);
	ck_assert_int_eq(gunz(1, limit, t, &size, &crc, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, want) != NULL, "%u threads: '%s' lacks '%s'", t, e.msg, want);
	ck_assert_ptr_null(strchr(e.msg, '\n'));
}

START_TEST(test_damage_refused_first_in_order)
{
	struct rs_err e = {0};
	uint32_t crc = 0;
	size_t n, off[16];
	uint8_t *g, *bad;
	char want[128];

	ck_assert(gz(SIZE, 2, &crc, &e) == RS_OK);
	g = slurp(gz_path, &n);
	ck_assert_uint_eq(member_offsets(g, n, off, 16), 5);
	bad = malloc(n + 64);
	ck_assert_ptr_nonnull(bad);
	for (unsigned t = 1; t <= 3; t++) {
		/* bytes flipped in the deflate data of members 2 and 4: member 2
		 * is named, every time */
		snprintf(want, sizeof(want), "x.gz holds damaged gzip data (the member at byte %zu",
		         off[1]);
		for (int round = 0; round < 10; round++) {
			memcpy(bad, g, n);
			bad[off[1] + 100] ^= 0x55, bad[off[1] + 101] ^= 0x21;
			bad[off[3] + 100] ^= 0x55;
			refused(bad, n, SIZE, t, want);
		}
		/* cut inside member 3 */
		refused(g, off[2] + 1000, SIZE, t, "x.gz is truncated (its gzip data ends early)");
		/* cut inside member 3's header */
		refused(g, off[2] + 10, SIZE, t, "x.gz is truncated (its gzip data ends early)");
		/* member 2's length field two bytes too long */
		memcpy(bad, g, n);
		bad[off[1] + 16] += 2;
		if (bad[off[1] + 16] < 2)
			bad[off[1] + 17]++;
		snprintf(want, sizeof(want), "the member at byte %zu", off[1]);
		refused(bad, n, SIZE, t, want);
		/* data after the last member */
		memcpy(bad, g, n);
		memset(bad + n, 0, 64);
		snprintf(want, sizeof(want),
		         "x.gz holds damaged gzip data (no gzip member at byte %zu)", n);
		refused(bad, n + 64, SIZE, t, want);
		/* a member of other gzip data (no length field) after the last */
		memcpy(bad, g, n);
		memcpy(bad + n, g, 20);
		bad[n + 3] = 0; /* FLG: no FEXTRA */
		snprintf(want, sizeof(want), "the member at byte %zu has no length field", n);
		refused(bad, n + 20, SIZE, t, want);
		/* more content than the manifest lists */
		refused(g, n, SIZE - 1, t, "x.gz inflates to more than the");
	}
	free(bad);
	free(g);
}
END_TEST

START_TEST(test_source_shrank)
{
	struct rs_err e = {0};
	uint32_t crc = 0;

	ck_assert_int_eq(gz(SIZE + 1, 2, &crc, &e), RS_EIO);
	ck_assert_msg(strstr(e.msg, "shrank while it was compressed") != NULL, "%s", e.msg);
}
END_TEST

static void progress(void *ctx, uint64_t done)
{
	uint64_t *last = ctx;

	ck_assert_uint_gt(done, *last);
	*last = done;
}

/* Written without a thread count (the CPUs allowed decide) it reads back
 * whole, progress told up to the whole size. A member's length field below
 * the smallest member or above the largest, a trailer that says a member
 * holds more than a member may or less than it inflates to, a stored size
 * larger than the file, a few stray bytes after the last member: each
 * refused naming the member; the sized-header test itself. */
START_TEST(test_damage_header_fields)
{
	struct rs_err e = {0};
	uint32_t crc = 0;
	uint64_t size, done = 0;
	size_t n, off[16];
	uint8_t *g, *bad;
	char want[160];
	int in;

	ck_assert_uint_ge(rs_gz_threads(), 1);
	ck_assert_uint_le(rs_gz_threads(), RS_GZ_THREADS_MAX);
	ck_assert(gz(SIZE, 0, &crc, &e) == RS_OK);
	ck_assert_uint_eq(crc, src_crc);
	g = slurp(gz_path, &n);
	ck_assert_uint_eq(member_offsets(g, n, off, 16), 5);
	{
		struct rs_gz_opts o = {.progress = progress, .progress_ctx = &done};
		int fd = open(gz_path, O_RDONLY);

		ck_assert_int_ge(fd, 0);
		ck_assert_msg(rs_gz_read(fd, "x.gz", n, -1, NULL, SIZE, &o, &size, &crc, &e) ==
		                  RS_OK,
		              "%s", e.msg);
		close(fd);
		ck_assert_uint_eq(done, SIZE);
		ck_assert_uint_eq(size, SIZE);
		ck_assert_uint_eq(crc, src_crc);
	}
	bad = malloc(n + 8);
	ck_assert_ptr_nonnull(bad);
	memcpy(bad, g, n);
	bad[off[1] + 16] = 5, bad[off[1] + 17] = bad[off[1] + 18] = bad[off[1] + 19] = 0;
	snprintf(want, sizeof(want), "(the member at byte %zu says it is 5 bytes long)", off[1]);
	refused(bad, n, SIZE, 1, want);
	memset(bad + off[1] + 16, 0xff, 4);
	snprintf(want, sizeof(want), "(the member at byte %zu says it is 4294967295 bytes long)",
	         off[1]);
	refused(bad, n, SIZE, 1, want);
	/* member 1's ISIZE (the last 4 bytes before member 2) */
	memcpy(bad, g, n);
	memset(bad + off[1] - 4, 0xff, 4);
	snprintf(want, sizeof(want), "(the member at byte 0 says it holds 4294967295 bytes)");
	refused(bad, n, SIZE, 2, want);
	/* member 1's ISIZE one less than it inflates to */
	memcpy(bad, g, n);
	bad[off[1] - 4] = (uint8_t)(RS_GZ_BLOCK - 1),
	             bad[off[1] - 3] = (uint8_t)((RS_GZ_BLOCK - 1) >> 8);
	bad[off[1] - 2] = (uint8_t)((RS_GZ_BLOCK - 1) >> 16);
	bad[off[1] - 1] = (uint8_t)((RS_GZ_BLOCK - 1) >> 24);
	refused(bad, n, SIZE, 1,
	        "(the member at byte 0 does not inflate to the size its trailer gives)");
	/* five stray bytes after the last member */
	memcpy(bad, g, n);
	memset(bad + n, 0, 5);
	snprintf(want, sizeof(want), "x.gz holds damaged gzip data (no gzip member at byte %zu)",
	         n);
	refused(bad, n + 5, SIZE, 1, want);
	/* a stored size the file does not have */
	spit(gz_path, g, n);
	in = open(gz_path, O_RDONLY);
	ck_assert_int_ge(in, 0);
	ck_assert_int_eq(rs_gz_read(in, "x.gz", n + 100, -1, NULL, SIZE, NULL, &size, &crc, &e),
	                 RS_ECORRUPT);
	close(in);
	ck_assert_msg(strstr(e.msg, "x.gz is truncated (its gzip data ends early)") != NULL, "%s",
	              e.msg);
	/* the header test: 20 bytes, all fixed but XFL (byte 8) */
	ck_assert(rs_gz_is_sized(g, 20));
	ck_assert(!rs_gz_is_sized(g, 19));
	memcpy(bad, g, 20);
	bad[8] ^= 0xff;
	ck_assert(rs_gz_is_sized(bad, 20));
	bad[12] ^= 1; /* the extra field's subfield ID */
	ck_assert(!rs_gz_is_sized(bad, 20));
	free(bad);
	free(g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gzip members");
	TCase *tc = tcase_create("gzmember");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_threads_same_bytes_and_standard_gzip);
	tcase_add_test(tc, test_read_with_threads);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_damage_refused_first_in_order);
	tcase_add_test(tc, test_source_shrank);
	tcase_add_test(tc, test_damage_header_fields);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
