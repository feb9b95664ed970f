/*
 * The range reader of raft-log.db (logread.h says what it promises).
 *
 * A batch is a private copy of up to RS_LOGS_BATCH values (keys are the
 * 8-byte big-endian indexes raft-boltdb writes; any other key is a corrupt
 * log, reported as such): decoding and the caller's work happen on the
 * copy, after the read was found settled, so a live writer can never make
 * the decoder see two versions of one value.
 */
#include "raftstate/logread.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bolt/cursor.h"
#include "bolt/view.h"
#include "raftstate/node.h"
#include "raftstate/nodedir.h"
#include "raftstate/path.h"
#include "raftstate/stable.h"

struct slot {
	uint64_t index;
	size_t off, len;
};

struct reader {
	char path[4096];
	const struct rs_logs_opts *o;
	struct rs_logs_stats *st;
	struct bolt_view *v; /* locked: the whole read; live: one batch */
	struct bolt_vbucket logs;
	uint8_t *buf;
	size_t cap, used;
	struct slot slots[RS_LOGS_BATCH];
	size_t n;
	uint64_t lo, hi; /* the index range to read */
	int have_prev;
	uint64_t prev_number;
};

static int view_open(struct reader *r, struct rs_err *err)
{
	struct bolt_err be = {0};

	if (bolt_view_open(r->path, r->o->live ? BOLT_VIEW_LIVE : BOLT_VIEW_LOCKED,
	                   r->o->lock_timeout, &r->v, &be) != BOLT_OK ||
	    bolt_view_bucket(r->v, NULL, RS_BUCKET_LOGS, strlen(RS_BUCKET_LOGS), &r->logs, &be) !=
	        BOLT_OK) {
		bolt_view_close(r->v);
		r->v = NULL;
		return rs_err_from_bolt(err, &be);
	}
	return RS_OK;
}

static void view_close(struct reader *r)
{
	bolt_view_close(r->v);
	r->v = NULL;
}

static int key_of(const struct bolt_elem *e, uint64_t *index, struct rs_err *err)
{
	if (e->klen != 8)
		return rs_errf(err, RS_ECORRUPT, "bucket logs holds a %u-byte key", e->klen);
	*index = rs_be64(e->key);
	return RS_OK;
}

/* The log's first and last index (stats); count 0 when empty. */
static int bounds(struct reader *r, struct rs_err *err)
{
	struct bolt_cursor c;
	struct bolt_elem first = {0}, last = {0};
	struct bolt_err be = {0};
	int rc;

	r->st->count = 0;
	bolt_cursor_init(&c, r->v, &r->logs);
	if (bolt_cursor_first(&c, &first, &be) != BOLT_OK ||
	    (first.key != NULL && bolt_cursor_last(&c, &last, &be) != BOLT_OK))
		return rs_err_from_bolt(err, &be);
	if (first.key == NULL || last.key == NULL)
		return RS_OK;
	if ((rc = key_of(&first, &r->st->first_index, err)) != RS_OK ||
	    (rc = key_of(&last, &r->st->last_index, err)) != RS_OK)
		return rc;
	if (r->st->last_index < r->st->first_index)
		return rs_errf(err, RS_ECORRUPT, "bucket logs is out of order");
	r->st->count = r->st->last_index - r->st->first_index + 1;
	return RS_OK;
}

/* The first payload at or after index `at` (up to r->hi) in the current
 * view: *found, its index and number. */
static int probe(struct reader *r, uint64_t at, int *found, uint64_t *index, uint64_t *number,
                 struct rs_scratch *s, struct rs_err *err)
{
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	struct bolt_err be = {0};
	uint8_t key[8];
	uint64_t steps = 0, max_steps = r->v->map_len / 16 + 1;
	int rc;

	*found = 0;
	bolt_cursor_init(&c, r->v, &r->logs);
	rs_put_be64(key, at);
	if (bolt_cursor_seek(&c, key, sizeof(key), &e, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	while (e.key != NULL && steps++ < max_steps) {
		struct rs_log log;
		struct rs_block b;
		uint64_t idx = 0; /* key_of sets it; gcc -O3 cannot see that */

		if ((rc = key_of(&e, &idx, err)) != RS_OK)
			return rc;
		if (idx > r->hi)
			return RS_OK;
		if (rs_log_decode_at(r->v, &e, 0, s, &log, err) == RS_OK &&
		    log.type == RS_LOG_COMMAND &&
		    rs_payload_decode(log.data, log.data_len, &b, NULL, 0) != RS_PAYLOAD_NONE) {
			*found = 1;
			*index = idx;
			*number = b.number;
			return RS_OK;
		}
		if (bolt_cursor_next(&c, &e, &be) != BOLT_OK)
			return rs_err_from_bolt(err, &be);
	}
	return RS_OK;
}

/* Lower bound over [lo, hi]: the first index whose next payload has a
 * number >= from_block (logread.h: assumes numbers do not decrease), or
 * hi + 1. Live: *moved when the writer changed the file meanwhile. */
static int search_start(struct reader *r, uint64_t *start, int *moved, struct rs_err *err)
{
	struct rs_scratch s = {0};
	uint64_t l = r->lo, n = r->hi - r->lo + 1, idx = 0, num = 0;
	int found, rc;

	*moved = 0;
	if (r->o->live && (rc = view_open(r, err)) != RS_OK)
		return rc;
	rc = RS_OK;
	while (n > 0) {
		uint64_t half = n / 2, m = l + half;

		if ((rc = probe(r, m, &found, &idx, &num, &s, err)) != RS_OK)
			break;
		if (found && num < r->o->from_block) {
			/* every index l..idx has a payload below from_block next */
			uint64_t skip = idx - l + 1 < n ? idx - l + 1 : n;

			l += skip;
			n -= skip;
		} else {
			n = half;
		}
	}
	*start = l;
	if (r->o->live) {
		struct bolt_err why = {0};

		*moved = bolt_view_recheck(r->v, &why) != BOLT_OK;
		view_close(r);
	}
	rs_scratch_free(&s);
	return rc;
}

/* Live, from the second batch on: the entries from `next` on must still be
 * there. raft removes old entries from the front of the log as it compacts
 * (snapshot.go compactLogs, DeleteRange from the first index), so between
 * two batches the log may come to start past `next`: those entries are gone,
 * and going on would print a log with a hole that no raft-boltdb ever held.
 * A hole that was there all along (a gap at or below a snapshot) starts
 * after the log's first entry and is passed through as it is. */
static int front_kept(struct reader *r, uint64_t next, struct rs_err *err)
{
	struct bolt_cursor f;
	struct bolt_elem e = {0};
	struct bolt_err be = {0};
	uint64_t first = 0;
	int rc;

	bolt_cursor_init(&f, r->v, &r->logs);
	if (bolt_cursor_first(&f, &e, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	if (e.key == NULL)
		first = UINT64_MAX; /* emptied */
	else if ((rc = key_of(&e, &first, err)) != RS_OK)
		return rc;
	if (first <= next)
		return RS_OK;
	return rs_errf(err, RS_ECORRUPT,
	               "%s: raft removed entries from index %llu on (log compaction) while --live "
	               "read them; the entries before index %llu were printed; run it again, or "
	               "with --from past the log's new first index",
	               r->path, (unsigned long long)next, (unsigned long long)next);
}

/* Copies the entries from index `next` on (at most a batch) into r->buf. */
static int fill(struct reader *r, uint64_t next, struct rs_err *err)
{
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	struct bolt_err be = {0};
	uint8_t key[8];
	int rc;

	r->n = 0;
	r->used = 0;
	bolt_cursor_init(&c, r->v, &r->logs);
	rs_put_be64(key, next);
	if (bolt_cursor_seek(&c, key, sizeof(key), &e, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	if (r->o->live && next > r->st->start_index && (rc = front_kept(r, next, err)) != RS_OK)
		return rc;
	size_t max_n = r->o->live ? RS_LOGS_LIVE_BATCH : RS_LOGS_BATCH;
	uint64_t max_bytes = r->o->live ? RS_LOGS_LIVE_BATCH_BYTES : RS_LOGS_BATCH_BYTES;

	while (e.key != NULL && r->n < max_n) {
		uint64_t idx = 0; /* key_of sets it; gcc -O3 cannot see that */

		if ((rc = key_of(&e, &idx, err)) != RS_OK)
			return rc;
		if (idx > r->hi)
			break;
		if (r->n > 0 && r->used + e.vlen > max_bytes)
			break;
		if (r->used + e.vlen > r->cap) {
			size_t want = r->used + e.vlen, cap = r->cap ? r->cap : 1 << 20;
			uint8_t *p;

			while (cap < want)
				cap *= 2;
			if ((p = realloc(r->buf, cap)) == NULL)
				return rs_errf(err, RS_ENOMEM, "out of memory copying log entries");
			r->buf = p;
			r->cap = cap;
		}
		memcpy(r->buf + r->used, e.value, e.vlen);
		r->slots[r->n++] = (struct slot){idx, r->used, e.vlen};
		r->used += e.vlen;
		if (bolt_cursor_next(&c, &e, &be) != BOLT_OK)
			return rs_err_from_bolt(err, &be);
	}
	return RS_OK;
}

/* fill, settled: live, a fresh view per batch, read again while the
 * writer moves. */
static int fill_settled(struct reader *r, uint64_t next, struct rs_err *err)
{
	struct bolt_err why = {0};
	int rc;

	if (!r->o->live)
		return fill(r, next, err);
	for (int attempt = 0;; attempt++) {
		int recheck;

		if ((rc = view_open(r, err)) != RS_OK)
			return rc;
		rc = fill(r, next, err);
		recheck = bolt_view_recheck(r->v, &why);
		view_close(r);
		if (recheck == BOLT_OK)
			return rc;
		if (recheck != BOLT_ECHANGED || attempt + 1 >= RS_LOGS_LIVE_ATTEMPTS)
			return rs_err_unsettled(err, recheck, &why, RS_LOGS_LIVE_ATTEMPTS);
		if (attempt % 8 == 7) {
			/* let a fast writer finish a commit, then race it again */
			struct timespec ts = {0, 200 * 1000};

			nanosleep(&ts, NULL);
		}
	}
}

static int type_wanted(const struct rs_logs_opts *o, uint64_t type)
{
	if (o->types == 0)
		return 1;
	return (o->types >> (type < RS_LOG_TYPE_COUNT ? type : 63)) & 1;
}

/* Decodes and hands on the batch. *done: past the range or stopped. */
static int pass_batch(struct reader *r, rs_logs_fn fn, void *ctx, int *done, struct rs_err *err)
{
	const struct rs_logs_opts *o = r->o;
	int blocks = o->has_from_block || o->has_to_block;

	for (size_t i = 0; i < r->n; i++) {
		struct rs_log log;
		struct rs_block b = {0};
		int form = RS_PAYLOAD_NONE, stop;

		struct rs_err derr = {0};

		if (rs_log_decode(r->buf + r->slots[i].off, r->slots[i].len, &log, &derr) != RS_OK)
			return rs_errf(err, RS_ECORRUPT,
			               "entry %llu does not decode: %s (run raft verify)",
			               (unsigned long long)r->slots[i].index, derr.msg);
		r->st->scanned++;
		if (log.type == RS_LOG_COMMAND)
			form = rs_payload_decode(log.data, log.data_len, &b, NULL, 0);
		if (form != RS_PAYLOAD_NONE) {
			if (r->have_prev && b.number < r->prev_number && !r->st->decreased) {
				r->st->decreased = 1;
				r->st->decrease_index = log.index;
				r->st->decrease_from = r->prev_number;
				r->st->decrease_to = b.number;
			}
			r->have_prev = 1;
			r->prev_number = b.number;
		}
		if (blocks &&
		    (form == RS_PAYLOAD_NONE || (o->has_from_block && b.number < o->from_block) ||
		     (o->has_to_block && b.number > o->to_block)))
			continue;
		if (!type_wanted(o, log.type))
			continue;
		r->st->passed++;
		if ((stop = fn(ctx, &log, form, &b)) != 0) {
			*done = 1;
			return stop;
		}
	}
	return RS_OK;
}

static int read_range(struct reader *r, rs_logs_fn fn, void *ctx, struct rs_err *err)
{
	uint64_t next = r->st->start_index;
	int done = 0, rc = RS_OK;

	while (!done) {
		if ((rc = fill_settled(r, next, err)) != RS_OK)
			return rc;
		if (r->n == 0)
			break;
		if ((rc = pass_batch(r, fn, ctx, &done, err)) != RS_OK)
			return rc;
		if (r->slots[r->n - 1].index >= r->hi)
			break;
		next = r->slots[r->n - 1].index + 1;
	}
	return rc;
}

/* The log's bounds, then the range to read and where it starts. */
static int locate(struct reader *r, struct rs_err *err)
{
	struct bolt_err why = {0};
	int rc = RS_OK;

	for (int attempt = 0;; attempt++) {
		if (r->v == NULL && (rc = view_open(r, err)) != RS_OK)
			return rc;
		rc = bounds(r, err);
		if (!r->o->live || rc != RS_OK)
			break;
		if (bolt_view_recheck(r->v, &why) == BOLT_OK) {
			view_close(r);
			break;
		}
		view_close(r);
		/* any failed recheck here counts as a commit: read again */
		if ((rc = rs_live_settled(BOLT_ECHANGED, &why, attempt, err)) != RS_LIVE_AGAIN)
			return rc;
	}
	return rc;
}

int rs_logs_read(const char *node_dir, const struct rs_logs_opts *opts, rs_logs_fn fn, void *ctx,
                 struct rs_logs_stats *stats, struct rs_err *err)
{
	struct reader *r = calloc(1, sizeof(*r));
	int rc;

	memset(stats, 0, sizeof(*stats));
	if (r == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	r->o = opts;
	r->st = stats;
	if (rs_path_join_err(r->path, sizeof(r->path), node_dir, RS_LOG_FILE, err) != RS_OK) {
		free(r);
		return RS_ELIMIT;
	}
	if ((rc = locate(r, err)) != RS_OK || stats->count == 0)
		goto out;
	r->lo = opts->from > stats->first_index ? opts->from : stats->first_index;
	r->hi = opts->to < stats->last_index ? opts->to : stats->last_index;
	if (r->lo > r->hi)
		goto out;
	stats->start_index = r->lo;
	if (opts->has_from_block) {
		int moved = 1;

		for (int attempt = 0; moved && attempt < RS_LIVE_RETRIES; attempt++)
			if ((rc = search_start(r, &stats->start_index, &moved, err)) != RS_OK)
				goto out;
		if (moved) {
			rc =
			    rs_errf(err, RS_EIO,
			            "the writer changed %s during each of %d searches for block "
			            "%llu; retry, or stop the writer",
			            r->path, RS_LIVE_RETRIES, (unsigned long long)opts->from_block);
			goto out;
		}
		if (stats->start_index > r->hi)
			goto out;
	}
	rc = read_range(r, fn, ctx, err);
out:
	view_close(r);
	free(r->buf);
	free(r);
	return rc;
}
