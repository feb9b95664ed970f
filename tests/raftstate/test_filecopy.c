/*
 * rs_copy_range, the byte copy behind every backup and restore: a file of
 * 64 MiB or more (pieces read with pread, checksummed and written from the
 * same buffer with pwrite) into a read-write destination and into a
 * write-only one: byte-identical, and the crc32 it reports is the one zlib
 * computes over the whole file in one piece. Then the checksum-only mode
 * (two halves on two threads, joined), and a size past the end of the file.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "raftstate/filecopy.h"
#include "tests/check_support.h"

#define SIZE (((size_t)64 << 20) + 12345) /* two halves to read, the last chunk partial */

static char path[256], out[300];

static void setup(void)
{
	snprintf(path, sizeof(path), "/tmp/oci-test-filecopy-%d", (int)getpid());
	snprintf(out, sizeof(out), "%s.copy", path);
	unlink(path);
	unlink(out);
}

static void teardown(void)
{
	unlink(path);
	unlink(out);
}

static void last_progress(void *ctx, uint64_t done, uint64_t total)
{
	uint64_t *seen = ctx;

	ck_assert_uint_le(done, total);
	seen[0] = done;
	seen[1] = total;
}

static uint8_t *read_back(const char *p, size_t n)
{
	uint8_t *buf = malloc(n + 1);
	int fd = open(p, O_RDONLY);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, n + 1, 0), (ssize_t)n); /* exactly n bytes */
	close(fd);
	return buf;
}

START_TEST(test_copy_both_paths_and_checksum_only)
{
	uint8_t *src = malloc(SIZE), *copy;
	uint64_t x = 0x9E3779B97F4A7C15ull;
	uint32_t want, crc = 0;
	int fd;

	ck_assert_ptr_nonnull(src);
	for (size_t i = 0; i < SIZE; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		src[i] = (uint8_t)x;
	}
	want = (uint32_t)crc32(crc32(0L, Z_NULL, 0), src, (uInt)SIZE);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, src, SIZE), (ssize_t)SIZE);
	for (int wronly = 0; wronly < 2; wronly++) {
		uint64_t seen[2] = {0, 0};
		struct rs_err e = {0};
		int o;

		unlink(out);
		o = open(out, (wronly ? O_WRONLY : O_RDWR) | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ge(o, 0);
		crc = 0;
		ck_assert_msg(rs_copy_range(fd, o, SIZE, path, last_progress, seen, &crc, &e) ==
		                  RS_OK,
		              "%s", e.msg);
		close(o);
		copy = read_back(out, SIZE);
		ck_assert_msg(memcmp(copy, src, SIZE) == 0, "the copy differs (write-only %d)",
		              wronly);
		free(copy);
		ck_assert_uint_eq(crc, want);
		ck_assert_uint_eq(seen[0], SIZE);
		ck_assert_uint_eq(seen[1], SIZE);
	}
	/* checksum only (out_fd < 0): the same crc32, nothing written; a size
	 * beyond the end of the file is an error, not a short checksum */
	{
		struct rs_err e = {0};

		crc = 0;
		ck_assert(rs_copy_range(fd, -1, SIZE, path, NULL, NULL, &crc, &e) == RS_OK);
		ck_assert_uint_eq(crc, want);
		ck_assert_int_eq(rs_copy_range(fd, -1, SIZE + 4096, path, NULL, NULL, &crc, &e),
		                 RS_EIO);
		ck_assert_msg(strstr(e.msg, "shrank") != NULL && strstr(e.msg, path) != NULL, "%s",
		              e.msg);
	}
	close(fd);
	free(src);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("file copy");
	TCase *tc = tcase_create("copy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_copy_both_paths_and_checksum_only);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
