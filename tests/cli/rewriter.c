/*
 * Test-only: a writer that keeps rewriting a raft log's pages while it holds
 * the lock, as a busy op-conductor does (tests/cli/test_verify_live_rewrite).
 * It opens an existing raft-log.db through our bolt writer (LOCK_EX for its
 * whole life, as bbolt takes it) and commits as fast as it can, each
 * transaction
 *   - appending 1-3 LogCommand entries (raft.Log, raftstate's encoder) of
 *     20..320 bytes, one in four up to 6000: new leaf pages, overflow pages, splits (until the
 *     log holds MAX_ENTRIES entries);
 *   - rewriting 1-3 older entries with a new Data of another size (same
 *     Index, Term and Type): their old leaf or overflow pages are freed,
 *     and bbolt reuses freed pages two transactions later.
 * So every page a reader of transaction T walks may be overwritten by T+2
 * while it reads. Prints "ready" once the first commit is done, then runs
 * for SECONDS (or until killed), no fsync (speed: the point is churn).
 * It commits in bursts of BURST_MS with QUIET_MS pauses between them (a real
 * sequencer commits a block every second or two): without a quiet moment a
 * reader on a loaded machine may never see one transaction through, and
 * the test's "some round reads a consistent transaction" would depend on
 * the scheduler.
 *
 * usage: rewriter FILE SECONDS SEED
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bolt/db.h"
#include "raftstate/log.h"
#include "raftstate/msgpack.h"

#define MAX_ENTRIES 3000 /* about 9 MB of log: each verify stays quick */
#define BURST_MS    60
#define QUIET_MS    40

static uint64_t rng;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "rewriter: %s: %s\n", what, msg);
	exit(1);
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_entry(struct bolt_bucket *b, uint64_t index, uint64_t term)
{
	static uint8_t data[6000];
	struct mp_buf out = {0};
	struct rs_err re = {0};
	struct bolt_err be = {0};
	/* mostly small (many elements per leaf page), now and then overflow */
	size_t len = 20 + (size_t)(xorshift() % (xorshift() % 4 ? 300 : sizeof(data) - 20));
	struct rs_log log = {.index = index, .term = term, .type = 0};
	uint8_t key[8];

	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)xorshift();
	log.data = data;
	log.data_len = len;
	if (rs_log_encode(&log, &out, &re) != RS_OK)
		die("encode", re.msg);
	be64(key, index);
	if (bolt_bucket_put(b, key, 8, out.p, out.len, &be) != BOLT_OK)
		die("put", be.msg);
	mp_buf_free(&out);
}

/* Entry `index` again, with another Data of another size; only LogCommand
 * entries (a configuration entry stays what it is), Index and Term kept. */
static void rewrite_entry(struct bolt_bucket *b, uint64_t index)
{
	struct bolt_err be = {0};
	struct rs_err re = {0};
	struct rs_log log;
	const uint8_t *v;
	size_t vlen;
	uint8_t key[8];

	be64(key, index);
	if (bolt_bucket_get(b, key, 8, &v, &vlen, &be) != BOLT_OK)
		return;
	if (rs_log_decode(v, vlen, &log, &re) != RS_OK)
		die("decode", re.msg);
	if (log.type == RS_LOG_COMMAND)
		put_entry(b, index, log.term);
}

/* The first and last index, and the last term, of the logs bucket. */
static void bounds(struct bolt_bucket *b, uint64_t *first, uint64_t *last, uint64_t *term)
{
	struct bolt_err be = {0};
	const uint8_t *v;
	size_t vlen;
	uint8_t key[8];

	*first = *last = 0;
	for (uint64_t i = 1; i < 1000000; i++) {
		be64(key, i);
		if (bolt_bucket_get(b, key, 8, &v, &vlen, &be) == BOLT_OK) {
			if (*first == 0)
				*first = i;
			*last = i;
		} else if (*first != 0) {
			break;
		}
	}
	if (*first == 0)
		die("bounds", "the logs bucket holds no entry 1..999999");
	be64(key, *last);
	if (bolt_bucket_get(b, key, 8, &v, &vlen, &be) != BOLT_OK)
		die("get", be.msg);
	{
		struct rs_log log;
		struct rs_err re = {0};

		if (rs_log_decode(v, vlen, &log, &re) != RS_OK)
			die("decode", re.msg);
		*term = log.term;
	}
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct bolt_db_options o = {.no_sync = 1};
	struct bolt_err be = {0};
	struct bolt_db *db;
	uint64_t first, last, term, commits = 0, burst = now_ms();
	time_t end;

	if (argc != 4)
		die("usage", "rewriter FILE SECONDS SEED");
	end = time(NULL) + atoi(argv[2]);
	rng = strtoull(argv[3], NULL, 10) | 1;
	if (bolt_db_open(argv[1], 0, &o, &db, &be) != BOLT_OK)
		die(argv[1], be.msg);
	for (;;) {
		struct bolt_tx *tx;
		struct bolt_bucket *logs;
		int n = 1 + (int)(xorshift() % 3);

		if (bolt_tx_begin(db, &tx, &be) != BOLT_OK ||
		    bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &logs, &be) != BOLT_OK)
			die("begin", be.msg);
		if (commits == 0)
			bounds(logs, &first, &last, &term);
		/* the log grows to MAX_ENTRIES, then only older entries change */
		for (int i = 0; i < n && last - first < MAX_ENTRIES; i++)
			put_entry(logs, ++last, term);
		/* older entries, anywhere after the first (the first may hold the
		 * configuration verify looks for) */
		for (int i = 0; i < n && last > first + 1; i++)
			rewrite_entry(logs, first + 1 + xorshift() % (last - first - 1));
		if (bolt_tx_commit(tx, &be) != BOLT_OK)
			die("commit", be.msg);
		if (commits++ == 0) {
			printf("ready\n");
			fflush(stdout);
		}
		if ((commits & 63) == 0 && time(NULL) >= end)
			break;
		if (now_ms() - burst >= BURST_MS) {
			struct timespec quiet = {0, QUIET_MS * 1000000L};

			nanosleep(&quiet, NULL);
			burst = now_ms();
		}
	}
	printf("commits %llu last %llu\n", (unsigned long long)commits, (unsigned long long)last);
	return bolt_db_close(db, &be) == BOLT_OK ? 0 : 1;
}
