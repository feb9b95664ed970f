/*
 * Replays every fuzz regression file (testdata/fuzz-regress/<target>/) and
 * every seed (tests/fuzz/corpus/<target>/) through the fuzz targets' own
 * code, compiled in here without libFuzzer: the same calls and the same
 * invariants (a target abort()s when one breaks, which fails this test).
 * Under the sanitizer build this is the regression check for every crash
 * the fuzzers ever found.
 *
 * fuzz_flags needs cmd/, which unit tests do not link; its files are
 * replayed by tests/fuzz/run.sh (`just fuzz-smoke`), which starts every
 * target from its fuzz-regress directory.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LLVMFuzzerTestOneInput fuzz_bolt_one
#include "../fuzz/fuzz_bolt.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_log_one
#include "../fuzz/fuzz_log.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_config_one
#include "../fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_snapshot_meta_one
#include "../fuzz/fuzz_snapshot_meta.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_gunzip_one
#include "../fuzz/fuzz_gunzip.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_json_one
#define one_line               fuzz_json_one_line
#include "../fuzz/fuzz_json.c"
#undef one_line
#undef LLVMFuzzerTestOneInput
#define get64                  fuzz_payload_get64
#define LLVMFuzzerTestOneInput fuzz_payload_one
#include "../fuzz/fuzz_payload.c"
#include "tests/check_support.h"
#undef LLVMFuzzerTestOneInput
#undef get64

typedef int (*fuzz_fn)(const uint8_t *, size_t);

/* Feeds every regular file of dir to fn; returns how many. A missing
 * directory is no files. */
static int replay_dir(const char *dir, fuzz_fn fn)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		uint8_t *buf;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		fd = open(path, O_RDONLY);
		ck_assert_msg(fd >= 0, "cannot open %s", path);
		ck_assert_int_eq(fstat(fd, &st), 0);
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			continue;
		}
		buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
		ck_assert_ptr_nonnull(buf);
		ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
		close(fd);
		/* printed so that a crash in fn names its input */
		printf("replay %s\n", path);
		fflush(stdout);
		ck_assert_int_eq(fn(buf, (size_t)st.st_size), 0);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

static int replay(const char *target, fuzz_fn fn)
{
	const char *td = getenv("OCI_TESTDATA");
	char dir[4096];
	int n;

	ck_assert_msg(td != NULL, "OCI_TESTDATA is not set");
	snprintf(dir, sizeof(dir), "%s/fuzz-regress/%s", td, target);
	n = replay_dir(dir, fn);
	snprintf(dir, sizeof(dir), "%s/../tests/fuzz/corpus/%s", td, target);
	return n + replay_dir(dir, fn);
}

START_TEST(replay_bolt)
{
	ck_assert_int_gt(replay("bolt", fuzz_bolt_one), 0);
	/* the seeds are bolt files: most must open (a path the safe open
	 * refuses would leave the whole target fuzzing nothing) */
	ck_assert_uint_gt(fuzz_bolt_views, 0);
}
END_TEST

START_TEST(replay_log)
{
	ck_assert_int_gt(replay("log", fuzz_log_one), 0);
}
END_TEST

START_TEST(replay_config)
{
	ck_assert_int_gt(replay("config", fuzz_config_one), 0);
}
END_TEST

START_TEST(replay_snapshot_meta)
{
	ck_assert_int_gt(replay("snapshot_meta", fuzz_snapshot_meta_one), 0);
}
END_TEST

START_TEST(replay_payload)
{
	ck_assert_int_gt(replay("payload", fuzz_payload_one), 0);
}
END_TEST

START_TEST(replay_gunzip)
{
	ck_assert_int_gt(replay("gunzip", fuzz_gunzip_one), 0);
}
END_TEST

START_TEST(replay_json)
{
	ck_assert_int_gt(replay("json", fuzz_json_one), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fuzz-regress");
	TCase *tc = tcase_create("replay");

	tcase_add_test(tc, replay_bolt);
	tcase_add_test(tc, replay_log);
	tcase_add_test(tc, replay_config);
	tcase_add_test(tc, replay_snapshot_meta);
	tcase_add_test(tc, replay_gunzip);
	tcase_add_test(tc, replay_payload);
	tcase_add_test(tc, replay_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
