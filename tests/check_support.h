/*
 * What every Check unit test program shares: running its suite, and the
 * time and peak-memory bounds of the hostile-input tests. Header-only
 * (static functions) because every test_*.c is its own program.
 */
#ifndef TESTS_CHECK_SUPPORT_H
#define TESTS_CHECK_SUPPORT_H

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Runs the suite; the process exit status for main. */
static inline int oci_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Runs the suite with a private directory made from the mkdtemp template
 * tmpdir (rewritten in place, for the tests to use), removed afterwards. */
static inline int oci_check_run_in_tmpdir(Suite *s, char *tmpdir)
{
	char cmd[256];
	int rc;

	if (mkdtemp(tmpdir) == NULL)
		return EXIT_FAILURE;
	rc = oci_check_run(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		rc = EXIT_FAILURE;
	return rc;
}

/* Resets the process's peak RSS (VmHWM); 0 when the kernel does not let it. */
static inline int oci_hwm_reset(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);
	int ok = fd >= 0 && write(fd, "5", 1) == 1;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* The process's peak RSS in kB, -1 when unknown. */
static inline long oci_hwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static inline double oci_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A case that must end within max_s seconds and grow the peak RSS by less
 * than max_kb: bound_start before it, bound_check after. */
struct bound {
	int mem_ok; /* clear_refs worked: the memory bound is checked */
	long kb0, max_kb;
	double t0, max_s;
};

static inline void bound_start(struct bound *b, long max_kb, double max_s)
{
	b->max_kb = max_kb;
	b->max_s = max_s;
	b->mem_ok = oci_hwm_reset();
	b->kb0 = oci_hwm_kb();
	b->t0 = oci_now();
}

static inline void bound_check(const struct bound *b, const char *what)
{
	double dt = oci_now() - b->t0;

	ck_assert_msg(dt < b->max_s, "%s took %.2f s", what, dt);
	if (b->mem_ok && b->kb0 >= 0) {
		long grew = oci_hwm_kb() - b->kb0;

		ck_assert_msg(grew < b->max_kb, "%s grew the peak RSS by %ld kB", what, grew);
	}
}

#endif
