/*
 * Fuzz target: arbitrary bytes as a bbolt file.
 *
 * The bytes go to a file (one per process, in /dev/shm when there is one),
 * opened by path the way `verify --live` opens a database (bolt/file.h: a
 * regular file, never a link; /proc/self/fd/N would be one):
 * bolt_view_open(BOLT_VIEW_LIVE), then the
 * full bolt_check with a visitor that decodes every value of `logs` as a
 * raft.Log (and a LogConfiguration's Data as a raft.Configuration), then
 * cursors first/last/seek/next/prev over the root bucket and over `logs`
 * and `conf`. Nothing may crash, hang, leak or read outside the mapping.
 *
 * The meta pages carry an FNV-1a checksum, which random mutations almost
 * never keep valid, so the meta fields (root, freelist, high-water mark,
 * txid) would stay out of reach. When bit 0 of byte 80 of the input (the
 * first unused byte of meta page 0) is set, the target recomputes both
 * meta checksums before writing the file; when clear, the bytes are used
 * as they are, so bad checksums are fuzzed too.
 *
 * When bit 1 of byte 80 is set, the file is cut to (size * byte 81 / 256)
 * bytes right after it is mapped, as another process truncating it would:
 * every walk then reads zeros past the cut (bolt/mapguard.h) and
 * bolt_view_recheck must say the file shrank.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bolt/check.h"
#include "bolt/cursor.h"
#include "bolt/meta.h"
#include "bolt/view.h"
#include "raftstate/config.h"
#include "raftstate/log.h"

static void on_problem(void *ctx, int severity, uint64_t pgid, const char *msg)
{
	(void)ctx;
	(void)severity;
	(void)pgid;
	(void)msg;
}

static int on_entry(void *ctx, const uint8_t *bucket, size_t blen, const struct bolt_elem *e)
{
	struct rs_log log;
	struct rs_err err;
	unsigned *n = ctx;

	(*n)++;
	if (blen != 4 || memcmp(bucket, "logs", 4) != 0)
		return 0;
	if (rs_log_decode_header(e->value, e->vlen, &log, &err) != RS_OK)
		return 0;
	if (rs_log_decode(e->value, e->vlen, &log, &err) != RS_OK)
		return 0;
	if (log.type == RS_LOG_CONFIGURATION && log.data != NULL) {
		struct rs_config c;

		if (rs_config_decode(log.data, log.data_len, &c, &err) == RS_OK)
			rs_config_free(&c);
	}
	return 0;
}

/* Walks a bucket both ways (bounded) and seeks a few keys. */
static void walk_bucket(const struct bolt_view *v, const struct bolt_vbucket *b)
{
	static const uint8_t keys[][8] = {
	    {0}, {0, 0, 0, 0, 0, 0, 0, 1}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	struct bolt_cursor c;
	struct bolt_elem e;
	struct bolt_err err;
	int i;

	bolt_cursor_init(&c, v, b);
	if (bolt_cursor_first(&c, &e, &err) == BOLT_OK)
		for (i = 0; i < 4096 && e.key != NULL; i++)
			if (bolt_cursor_next(&c, &e, &err) != BOLT_OK)
				break;
	bolt_cursor_init(&c, v, b);
	if (bolt_cursor_last(&c, &e, &err) == BOLT_OK)
		for (i = 0; i < 4096 && e.key != NULL; i++)
			if (bolt_cursor_prev(&c, &e, &err) != BOLT_OK)
				break;
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		bolt_cursor_init(&c, v, b);
		if (bolt_cursor_seek(&c, keys[k], 8, &e, &err) == BOLT_OK && e.key != NULL)
			(void)bolt_cursor_next(&c, &e, &err);
	}
	bolt_cursor_init(&c, v, b);
	(void)bolt_cursor_seek(&c, "CurrentTerm", 11, &e, &err);
}

/* Rewrites the checksum of the meta page at `off` when the page is there. */
static void fix_meta(uint8_t *p, size_t size, size_t off)
{
	if (off + BOLT_META_CHECKSUM_OFF + 8 <= size)
		bolt_put64(p + off + BOLT_META_CHECKSUM_OFF,
		           bolt_meta_sum(p + off + BOLT_PAGE_HEADER_SIZE));
}

static int memfd = -1;
static char mempath[64];
/* inputs that opened as a view (tests/raftstate/test_fuzz_regress checks
 * that the seeds reach the check at all) */
unsigned long fuzz_bolt_views;

static void remove_file(void)
{
	unlink(mempath);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bolt_check_visitor vis = {0};
	struct bolt_check_stats st;
	struct bolt_vbucket root, b;
	struct bolt_view *v;
	struct bolt_err err;
	unsigned entries = 0;

	if (memfd < 0) {
		snprintf(mempath, sizeof(mempath), "%s/fuzz-bolt-XXXXXX",
		         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
		memfd = mkstemp(mempath);
		if (memfd < 0)
			abort();
		atexit(remove_file);
	}
	if (size > 80 && (data[80] & 1)) {
		uint8_t *p = malloc(size);
		uint32_t ps;

		if (p == NULL)
			return 0;
		memcpy(p, data, size);
		fix_meta(p, size, 0);
		ps = size >= 28 ? bolt_le32(p + 24) : 0;
		if (ps >= BOLT_MIN_PAGE_SIZE && ps <= BOLT_MAX_PAGE_SIZE)
			fix_meta(p, size, ps);
		if (ftruncate(memfd, 0) != 0 || pwrite(memfd, p, size, 0) != (ssize_t)size)
			abort();
		free(p);
	} else if (ftruncate(memfd, 0) != 0 ||
	           (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t)size)) {
		abort();
	}

	if (bolt_view_open(mempath, BOLT_VIEW_LIVE, 0, &v, &err) != BOLT_OK)
		return 0;
	fuzz_bolt_views++;
	if (size > 81 && (data[80] & 2) && ftruncate(memfd, (off_t)(size * data[81] / 256)) != 0)
		abort();
	vis.ctx = &entries;
	vis.problem = on_problem;
	vis.entry = on_entry;
	(void)bolt_check(v, &vis, &st, &err);

	bolt_view_root(v, &root);
	walk_bucket(v, &root);
	if (bolt_view_bucket(v, NULL, "logs", 4, &b, &err) == BOLT_OK)
		walk_bucket(v, &b);
	if (bolt_view_bucket(v, NULL, "conf", 4, &b, &err) == BOLT_OK)
		walk_bucket(v, &b);
	(void)bolt_view_recheck(v, &err);
	bolt_view_close(v);
	return 0;
}
