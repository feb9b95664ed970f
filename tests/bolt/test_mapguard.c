/*
 * bolt/mapguard: a read of a guarded mapping past the end of a file that
 * shrank reads zeros and flags the range, on any thread; an unguarded one
 * (or one whose guard was removed) still dies as before; a view over a file
 * cut after it was opened says "shrank while it was read" from
 * bolt_view_recheck. Each case truncates a real file under a real
 * MAP_SHARED mapping (no mock); the ones that must die run in a child.
 */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bolt/check.h"
#include "bolt/db.h"
#include "bolt/mapguard.h"
#include "bolt/view.h"
#include "tests/check_support.h"

#define PAGES 16

static char tmpdir[] = "/tmp/oci-mapguard-XXXXXX";

/* A file of PAGES pages of 0xab, mapped; *fd stays open (read-write). */
static volatile uint8_t *map_file(const char *name, int *fd, size_t *len)
{
	long ps = sysconf(_SC_PAGESIZE);
	char path[4200];
	uint8_t *buf;
	void *p;

	*len = (size_t)ps * PAGES;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	*fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(*fd, 0);
	buf = malloc(*len);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0xab, *len);
	ck_assert_int_eq(write(*fd, buf, *len), (ssize_t)*len);
	free(buf);
	p = mmap(NULL, *len, PROT_READ, MAP_SHARED, *fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

START_TEST(guarded_read_past_the_end_reads_zeros)
{
	struct bolt_mapguard *g;
	struct bolt_err err = {0};
	size_t len;
	int fd;
	volatile uint8_t *p = map_file("a", &fd, &len);

	ck_assert_int_eq(bolt_mapguard_add((const void *)p, len, &g, &err), BOLT_OK);
	ck_assert_int_eq(p[len - 1], 0xab);
	ck_assert_int_eq(bolt_mapguard_hit(g), 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(len / 4)), 0);
	ck_assert_int_eq(p[0], 0xab);    /* still in the file */
	ck_assert_int_eq(p[len / 2], 0); /* past its end: zeros, no SIGBUS */
	ck_assert_int_eq(bolt_mapguard_hit(g), 1);
	ck_assert_int_eq(p[len - 1], 0);        /* the rest of the range too */
	ck_assert_int_eq(p[len / 4 - 1], 0xab); /* and what is left is kept */
	bolt_mapguard_remove(g);
	munmap((void *)p, len);
	close(fd);
}
END_TEST

/* 0 when a child that reads a mapping past the end of the file (guarded
 * then unguarded when `remove`, or never guarded) survives; 1 if it died. */
static int child_dies(int guard_then_remove)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct bolt_mapguard *g;
		size_t len;
		int fd;
		volatile uint8_t *p = map_file(guard_then_remove ? "c" : "b", &fd, &len);

		if (guard_then_remove) {
			if (bolt_mapguard_add((const void *)p, len, &g, NULL) != BOLT_OK)
				_exit(3);
			bolt_mapguard_remove(g);
		}
		if (ftruncate(fd, 0) != 0)
			_exit(4);
		(void)p[len / 2];
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(!(WIFEXITED(status) && WEXITSTATUS(status) > 1), "child setup failed: %d",
	              WEXITSTATUS(status));
	return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(unguarded_read_past_the_end_still_dies)
{
	struct bolt_mapguard *g;
	size_t len;
	int fd;
	volatile uint8_t *p = map_file("d", &fd, &len);

	/* the handler is installed (by a guard elsewhere), yet a fault outside
	 * every guarded range ends the process as before */
	ck_assert_int_eq(bolt_mapguard_add((const void *)p, len, &g, NULL), BOLT_OK);
	ck_assert_int_eq(child_dies(0), 1);
	ck_assert_int_eq(child_dies(1), 1);
	bolt_mapguard_remove(g);
	munmap((void *)p, len);
	close(fd);
}
END_TEST

struct reader {
	volatile uint8_t *p;
	size_t len;
	int fd;
	struct bolt_mapguard *g;
	unsigned sum;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;

	for (size_t i = 0; i < r->len; i += 512)
		r->sum += r->p[i];
	return NULL;
}

START_TEST(guards_work_on_every_thread)
{
	struct reader r[4];
	pthread_t t[4];
	char name[8];

	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		r[i].p = map_file(name, &r[i].fd, &r[i].len);
		r[i].sum = 0;
		ck_assert_int_eq(bolt_mapguard_add((const void *)r[i].p, r[i].len, &r[i].g, NULL),
		                 BOLT_OK);
		ck_assert_int_eq(ftruncate(r[i].fd, (off_t)(r[i].len / 2)), 0);
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, read_all, &r[i]), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(bolt_mapguard_hit(r[i].g), 1);
		/* the first half (0xab each 512 bytes), then zeros */
		ck_assert_uint_eq(r[i].sum, 0xabu * (unsigned)(r[i].len / 2 / 512));
		bolt_mapguard_remove(r[i].g);
		munmap((void *)r[i].p, r[i].len);
		close(r[i].fd);
	}
}
END_TEST

/* A real bolt file (bolt_db writes it), opened as a view, cut to its two meta
 * pages: the check walks zeros, and the recheck says why. */
START_TEST(view_over_a_cut_file_says_it_shrank)
{
	char path[4200];
	struct bolt_db *db;
	struct bolt_view *v;
	struct bolt_check_stats st;
	struct bolt_err err = {0};
	int mode;

	snprintf(path, sizeof(path), "%s/view.db", tmpdir);
	for (mode = BOLT_VIEW_LOCKED; mode <= BOLT_VIEW_LIVE; mode++) {
		unlink(path);
		ck_assert_int_eq(bolt_db_open(path, 1, NULL, &db, &err), BOLT_OK);
		ck_assert_int_eq(bolt_db_close(db, &err), BOLT_OK);
		ck_assert_int_eq(bolt_view_open(path, mode, 1, &v, &err), BOLT_OK);
		ck_assert_int_eq(bolt_view_recheck(v, &err), BOLT_OK);
		ck_assert_int_eq(truncate(path, 2 * v->page_size), 0);
		(void)bolt_check(v, NULL, &st, &err);
		ck_assert_int_eq(bolt_view_recheck(v, &err),
		                 mode == BOLT_VIEW_LIVE ? BOLT_ECHANGED : BOLT_ESHRANK);
		ck_assert_msg(strstr(err.msg, "view.db shrank while it was read") != NULL, "%s",
		              err.msg);
		bolt_view_close(v);
	}
}
END_TEST

/* ---- faults that are not ours go to the handler installed before ---- */

/* a child that ends with _exit drops its coverage counters: written first
 * in a coverage build (scripts/coverage.sh defines OCI_COVERAGE) */
#ifdef OCI_COVERAGE
void __gcov_dump(void);
#define COVERAGE_DUMP() __gcov_dump()
#else
#define COVERAGE_DUMP() ((void)0)
#endif

static sigjmp_buf back;
static volatile sig_atomic_t previous_ran;

static void previous_info(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	(void)ctx;
	previous_ran = 2;
	siglongjmp(back, 1);
}

static void previous_plain(int sig)
{
	(void)sig;
	previous_ran = 1;
	siglongjmp(back, 1);
}

static char below[64]; /* static data: below the mappings */

/* In a child: installs `how` (0 SIG_IGN, 1 a plain handler, 2 an
 * SA_SIGINFO one) for SIGBUS, then guards two ranges that do not hold the
 * fault (one below it, one above it), then reads an unguarded mapping past
 * the end of its file. The child exits with previous_ran, or dies. */
static int fault_not_ours(int how, int *status)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct sigaction sa;
		struct bolt_mapguard *g1, *g2;
		char above[64]; /* the stack: above the mappings */
		size_t len;
		int fd;
		volatile uint8_t *p;

		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		if (how == 2) {
			sa.sa_sigaction = previous_info;
			sa.sa_flags = SA_SIGINFO;
		} else {
			sa.sa_handler = how == 1 ? previous_plain : SIG_IGN;
		}
		if (sigaction(SIGBUS, &sa, NULL) != 0)
			_exit(10);
		p = map_file(how == 2 ? "n2" : how == 1 ? "n1" : "n0", &fd, &len);
		if (bolt_mapguard_add(below, sizeof(below), &g1, NULL) != BOLT_OK ||
		    bolt_mapguard_add(above, sizeof(above), &g2, NULL) != BOLT_OK)
			_exit(11);
		if (ftruncate(fd, 0) != 0)
			_exit(12);
		if (sigsetjmp(back, 1) == 0)
			(void)p[len / 2];
		COVERAGE_DUMP();
		_exit(bolt_mapguard_hit(g1) || bolt_mapguard_hit(g2) ? 13 : previous_ran);
	}
	ck_assert_int_eq(waitpid(pid, status, 0), pid);
	ck_assert_msg(!(WIFEXITED(*status) && WEXITSTATUS(*status) >= 10), "child setup failed: %d",
	              WEXITSTATUS(*status));
	return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

START_TEST(faults_not_ours_reach_the_previous_handler)
{
	int status;

	ck_assert_int_eq(fault_not_ours(2, &status), 2);
	ck_assert_int_eq(fault_not_ours(1, &status), 1);
	/* SIGBUS ignored before: a fault cannot be ignored, the process ends
	 * as it would have without the guard */
	ck_assert_int_eq(fault_not_ours(0, &status), -1);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS, "status 0x%x", status);
}
END_TEST

/* 64 ranges at once at most; a free slot is reused */
START_TEST(guard_slots_are_bounded)
{
	static char ranges[65][8];
	struct bolt_mapguard *g[65];
	struct bolt_err err = {0};
	int n = 0;

	while (n < 65 && bolt_mapguard_add(ranges[n], 8, &g[n], &err) == BOLT_OK)
		n++;
	ck_assert_int_eq(n, 64);
	ck_assert_int_eq(err.code, BOLT_ELIMIT);
	ck_assert_str_eq(err.msg, "more than 64 files mapped at once");
	ck_assert_ptr_null(g[64]);
	bolt_mapguard_remove(g[10]);
	ck_assert_int_eq(bolt_mapguard_add(ranges[64], 8, &g[64], &err), BOLT_OK);
	ck_assert_ptr_eq(g[64], g[10]);
	for (int i = 0; i < 65; i++)
		if (i != 10)
			bolt_mapguard_remove(g[i]);
	ck_assert_int_eq(bolt_mapguard_hit(NULL), 0);
	bolt_mapguard_remove(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bolt-mapguard");
	TCase *tc = tcase_create("sigbus");

	tcase_add_test(tc, guarded_read_past_the_end_reads_zeros);
	tcase_add_test(tc, unguarded_read_past_the_end_still_dies);
	tcase_add_test(tc, guards_work_on_every_thread);
	tcase_add_test(tc, view_over_a_cut_file_says_it_shrank);
	tcase_add_test(tc, faults_not_ours_reach_the_previous_handler);
	tcase_add_test(tc, guard_slots_are_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run_in_tmpdir(suite(), tmpdir);
}
