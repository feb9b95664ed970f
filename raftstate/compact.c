/*
 * raft compact, the engine: see compact.h for what is written and why.
 *
 * Order of work, so that a failure at any step leaves the node as it was:
 *   plan   verify the node (read-only, LOCK_SH), note each database's
 *          inode, size and mtime, work out the range --trailing removes and
 *          count its entries and bytes (a cursor over that range only);
 *   apply  1. the run lock on the node's parent (raftstate/nodedir.h);
 *          2. LOCK_EX on both databases, then check they are the files
 *             that were planned;
 *          3. the stage (.<id>.compact-tmp-XXXXXXXX beside the node):
 *             snapshots/ copied; raft-stable.db as bolt_copy_live's compact
 *             copy; raft-log.db the same, after --trailing's removal on a
 *             plain copy of it (.raft-log.db.tmp-full, removed again);
 *          4. check (check_filled): bolt check clean with no free page,
 *             the content equal to the old file's but for the removed
 *             range, the stage verifies;
 *          5. swap, keep the old state (nodedir.h), drop the locks.
 */
#include "raftstate/compact.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "bolt/check.h"
#include "bolt/copy.h"
#include "bolt/cursor.h"
#include "bolt/db.h"
#include "bolt/view.h"
#include "raftstate/backupfile.h"
#include "raftstate/path.h"
#include "raftstate/stable.h"

#define FULL_COPY    ".raft-log.db.tmp-full" /* the plain copy --trailing edits */
#define NEST_MAX     8                       /* nested buckets compared */
#define DELETE_BATCH 100000                  /* entries removed per transaction */

static const char *const db_names[2] = {RS_LOG_FILE, RS_STABLE_FILE};

/* ---- plan --------------------------------------------------------------- */

/* Counts the entries of raft-log.db in [from, to] and their key + value
 * bytes (plan->del_count, del_bytes), reading only that range. */
static int count_range(struct rs_compact_plan *plan, double timeout, struct rs_err *err)
{
	struct bolt_view *v = NULL;
	struct bolt_vbucket logs;
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	struct bolt_err be = {0};
	uint8_t key[8];
	char path[PATH_MAX];
	uint64_t steps = 0;
	int rc = RS_OK;

	if (rs_path_join_err(path, sizeof(path), plan->node_dir, RS_LOG_FILE, err) != RS_OK)
		return RS_ELIMIT;
	if (bolt_view_open(path, BOLT_VIEW_LOCKED, timeout, &v, &be) != BOLT_OK ||
	    bolt_view_bucket(v, NULL, RS_BUCKET_LOGS, strlen(RS_BUCKET_LOGS), &logs, &be) !=
	        BOLT_OK) {
		rc = rs_err_from_bolt(err, &be);
		goto out;
	}
	bolt_cursor_init(&c, v, &logs);
	rs_put_be64(key, plan->del_from);
	if (bolt_cursor_seek(&c, key, sizeof(key), &e, &be) != BOLT_OK) {
		rc = rs_err_from_bolt(err, &be);
		goto out;
	}
	/* bounded: one step per entry of the range at most */
	while (e.key != NULL && e.klen == 8 && steps++ <= plan->del_to - plan->del_from) {
		if (rs_be64(e.key) > plan->del_to)
			break;
		plan->del_count++;
		plan->del_bytes += (uint64_t)e.klen + e.vlen;
		if (bolt_cursor_next(&c, &e, &be) != BOLT_OK) {
			rc = rs_err_from_bolt(err, &be);
			goto out;
		}
	}
out:
	bolt_view_close(v);
	return rc;
}

/* What --trailing removes, as raft's compactLogsWithTrailing. */
static int plan_trailing(struct rs_compact_plan *plan, const struct rs_compact_opts *opts,
                         struct rs_err *err)
{
	const struct rs_node *n = &plan->old;
	const struct rs_snapshot *s = rs_node_newest_snapshot(n);
	uint64_t to;

	if (s != NULL) {
		plan->has_snap = 1;
		plan->snap_index = s->index;
	}
	if (n->count == 0) {
		(void)snprintf(plan->keep_why, sizeof(plan->keep_why), "the log is empty");
		return RS_OK;
	}
	if (s == NULL) {
		(void)snprintf(plan->keep_why, sizeof(plan->keep_why),
		               "there is no usable snapshot, and raft removes entries only "
		               "after one");
		return RS_OK;
	}
	if (n->last_index <= opts->trailing) {
		(void)snprintf(plan->keep_why, sizeof(plan->keep_why),
		               "the last index %llu is not above --trailing %llu",
		               (unsigned long long)n->last_index,
		               (unsigned long long)opts->trailing);
		return RS_OK;
	}
	to = n->last_index - opts->trailing;
	if (s->index < to)
		to = s->index;
	if (n->first_index > to) {
		(void)snprintf(plan->keep_why, sizeof(plan->keep_why),
		               "every entry is after index %llu (%s)", (unsigned long long)to,
		               to == s->index ? "the newest snapshot's"
		                              : "the last index minus --trailing");
		return RS_OK;
	}
	plan->del_from = n->first_index;
	plan->del_to = to;
	return count_range(plan, opts->lock_timeout, err);
}

int rs_compact_plan(const char *node_dir, const struct rs_compact_opts *opts,
                    struct rs_compact_plan *plan, struct rs_problems *problems, struct rs_err *err)
{
	struct rs_verify_opts vo = {.lock_timeout = opts->lock_timeout};
	struct rs_node *n = &plan->old;
	struct rs_nd_ident now;
	int rc, m;

	memset(plan, 0, sizeof(*plan));
	if ((rc = rs_nd_check_node_dir(node_dir, plan->node_dir, sizeof(plan->node_dir), err)) !=
	    RS_OK)
		return rc;
	if ((m = rs_nd_state(node_dir, err)) < 0)
		return err->code;
	if ((m & RS_ND_DBS) != RS_ND_DBS)
		return rs_errf(err, RS_ENOTFOUND,
		               "%s does not hold both %s and %s; is it a node directory "
		               "<state-dir>/<server-id>?",
		               node_dir, RS_LOG_FILE, RS_STABLE_FILE);
	if ((rc = rs_nd_check_unlocked(node_dir, "stop it before compacting", err)) != RS_OK)
		return rc;
	for (int i = 0; i < 2; i++)
		if ((rc = rs_nd_db_ident(node_dir, i, &plan->ident[i], err)) != RS_OK)
			return rc;
	if ((rc = rs_verify_node_full(node_dir, &vo, n, problems, err)) != RS_OK)
		return rc;
	if (problems->errors > 0) {
		(void)rs_errf(err, RS_ECORRUPT, "%s does not verify (%zu problem%s)", node_dir,
		              problems->errors, problems->errors == 1 ? "" : "s");
		return rs_err_suffix(err, "; compact only rewrites valid state: restore the node "
		                          "from a backup (raft restore) first");
	}
	for (int i = 0; i < 2; i++) {
		const struct rs_file_info *fi = i == 0 ? &n->log_file : &n->stable_file;
		const struct bolt_check_stats *s = &fi->stats;
		struct rs_compact_file *f = &plan->file[i];

		if ((rc = rs_nd_db_ident(node_dir, i, &now, err)) != RS_OK)
			return rc;
		if (memcmp(&now, &plan->ident[i], sizeof(now)) != 0)
			return rs_errf(err, RS_ELOCKED,
			               "%s/%s changed while it was verified; is op-conductor "
			               "running?",
			               node_dir, db_names[i]);
		f->size = fi->file_size;
		f->pages = fi->hwm;
		f->free_pages = s->free_pages;
		f->page_size = fi->page_size;
		/* what bolt_copy_live writes: 2 metas, the tree, 1 freelist page */
		f->new_size = (3 + s->branch_pages + s->leaf_pages + s->overflow_pages) *
		              (uint64_t)fi->page_size;
		if (f->new_size < BOLT_COPY_MIN_SIZE)
			f->new_size = BOLT_COPY_MIN_SIZE;
	}
	if (opts->trailing_set)
		return plan_trailing(plan, opts, err);
	return RS_OK;
}

/* ---- apply: the new files ------------------------------------------------ */

/* Removes the planned range from the database at path (a scratch copy of
 * old_log): the keys are those old_log holds in the range, found with a
 * cursor (a log may have gaps below its snapshot, of any length), read
 * without a lock because we hold LOCK_EX on old_log; deleted in
 * transactions of at most DELETE_BATCH keys. */
static int remove_range(const char *path, const char *old_log, const struct rs_compact_plan *plan,
                        struct rs_err *err)
{
	struct bolt_db_options bo = {.lock_timeout = 0, .no_sync = 1};
	struct bolt_err be = {0};
	struct bolt_db *db = NULL;
	struct bolt_view *v = NULL;
	struct bolt_vbucket vlogs;
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	uint8_t key[8];
	int rc = RS_OK, more = 1;

	if (bolt_view_open(old_log, BOLT_VIEW_LIVE, 0, &v, &be) != BOLT_OK ||
	    bolt_view_bucket(v, NULL, RS_BUCKET_LOGS, strlen(RS_BUCKET_LOGS), &vlogs, &be) !=
	        BOLT_OK ||
	    bolt_db_open(path, 0, &bo, &db, &be) != BOLT_OK) {
		rc = rs_err_from_bolt(err, &be);
		goto out;
	}
	bolt_cursor_init(&c, v, &vlogs);
	rs_put_be64(key, plan->del_from);
	if (bolt_cursor_seek(&c, key, sizeof(key), &e, &be) != BOLT_OK) {
		rc = rs_err_from_bolt(err, &be);
		goto out;
	}
	while (rc == RS_OK && more) {
		struct bolt_tx *tx = NULL;
		struct bolt_bucket *logs;

		if (bolt_tx_begin(db, &tx, &be) != BOLT_OK ||
		    bolt_bucket_open(bolt_tx_root(tx), RS_BUCKET_LOGS, strlen(RS_BUCKET_LOGS),
		                     &logs, &be) != BOLT_OK) {
			rc = rs_err_from_bolt(err, &be);
			if (tx != NULL)
				bolt_tx_rollback(tx);
			break;
		}
		more = 0;
		for (size_t n = 0; e.key != NULL && e.klen == 8 && rs_be64(e.key) <= plan->del_to;
		     n++) {
			if (n == DELETE_BATCH) {
				more = 1;
				break;
			}
			if (bolt_bucket_delete(logs, e.key, e.klen, &be) != BOLT_OK ||
			    bolt_cursor_next(&c, &e, &be) != BOLT_OK) {
				rc = rs_err_from_bolt(err, &be);
				break;
			}
		}
		if (rc != RS_OK)
			bolt_tx_rollback(tx);
		else if (bolt_tx_commit(tx, &be) != BOLT_OK)
			rc = rs_err_from_bolt(err, &be);
	}
	if (rc == RS_OK && bolt_view_recheck(v, &be) != BOLT_OK)
		rc = rs_err_from_bolt(err, &be);
out:
	if (db != NULL && bolt_db_close(db, &be) != BOLT_OK && rc == RS_OK)
		rc = rs_err_from_bolt(err, &be);
	bolt_view_close(v);
	return rc;
}

/* bolt_copy_live's compact copy of src into the new file dst (0600: the
 * replace gives it the old file's mode and owner), fsynced. */
static int compact_copy(const char *src, const char *dst, uint64_t *size, struct rs_err *err)
{
	struct bolt_copy_info info = {0};
	struct bolt_err be = {0};
	int fd, rc;

	fd = open(dst, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return rs_syserr(err, "cannot create", dst);
	/* the source is under our LOCK_EX: the first attempt holds */
	if (bolt_copy_live(src, fd, 1, &info, &be) != BOLT_OK)
		rc = rs_err_from_bolt(err, &be);
	else
		rc = rs_fsync_fd(fd, dst, err);
	*size = info.size;
	if (close(fd) != 0 && rc == RS_OK)
		rc = rs_syserr(err, "cannot write", dst);
	return rc;
}

struct compact_ctx {
	struct rs_compact_plan *plan;
	const struct rs_compact_opts *opts;
	struct rs_problems *problems;
	const char *old; /* where the old state is while staging */
};

static int fill_stage(void *ctx, int sfd, const char *stage, const char *old, struct rs_err *err)
{
	struct compact_ctx *c = ctx;
	char src[PATH_MAX], dst[PATH_MAX], full[PATH_MAX];
	int rc;

	(void)sfd;
	c->old = old != NULL ? old : c->plan->node_dir;
	if ((rc = rs_nd_copy_state(c->old, stage, RS_ND_SNAPS, err)) != RS_OK)
		return rc;
	for (int i = 1; i >= 0; i--) {
		if (rs_path_join_err(src, sizeof(src), c->old, db_names[i], err) != RS_OK ||
		    rs_path_join_err(dst, sizeof(dst), stage, db_names[i], err) != RS_OK ||
		    rs_path_join_err(full, sizeof(full), stage, FULL_COPY, err) != RS_OK)
			return RS_ELIMIT;
		if (i == 0 && c->plan->del_count > 0) {
			if ((rc = rs_bk_copy_plain(src, full, 0600, err)) != RS_OK ||
			    (rc = remove_range(full, src, c->plan, err)) != RS_OK)
				return rc;
			rc = compact_copy(full, dst, &c->plan->file[i].new_size, err);
			if (unlink(full) != 0 && rc == RS_OK)
				rc = rs_syserr(err, "cannot remove", full);
		} else {
			rc = compact_copy(src, dst, &c->plan->file[i].new_size, err);
		}
		if (rc != RS_OK)
			return rc;
	}
	return rs_fsync_path(stage, err);
}

/* ---- apply: the check ----------------------------------------------------- */

/* Whether element a of the old file and b of the new one hold the same
 * thing: same flags and key, and the same value (for a nested bucket: the
 * same sequence; its root page differs, its content is compared next). */
static int same_elem(const struct bolt_elem *a, const struct bolt_elem *b)
{
	if (a->flags != b->flags || a->klen != b->klen || memcmp(a->key, b->key, a->klen) != 0)
		return 0;
	if (a->flags & BOLT_BUCKET_LEAF_FLAG)
		return a->vlen >= 16 && b->vlen >= 16 && memcmp(a->value + 8, b->value + 8, 8) == 0;
	return a->vlen == b->vlen && memcmp(a->value, b->value, a->vlen) == 0;
}

/* In the old file, the logs bucket's keys of the removed range are skipped. */
static int skipped(const struct rs_compact_plan *plan, int logs, const struct bolt_elem *e)
{
	uint64_t k;

	if (!logs || plan->del_count == 0 || e->klen != 8)
		return 0;
	k = rs_be64(e->key);
	return k >= plan->del_from && k <= plan->del_to;
}

/* Compares bucket ob of view o with bucket nb of view n, element by
 * element, recursing into nested buckets. `logs`: this is the root's logs
 * bucket of raft-log.db. */
static int same_bucket(const struct bolt_view *o, const struct bolt_vbucket *ob,
                       const struct bolt_view *n, const struct bolt_vbucket *nb, int logs,
                       int depth, const struct rs_compact_plan *plan, const char *what,
                       struct rs_err *err)
{
	struct bolt_cursor oc, nc;
	struct bolt_elem a = {0}, b = {0};
	struct bolt_err be = {0};
	uint64_t steps = 0, max_steps = o->map_len / 16 + 2;

	if (depth > NEST_MAX)
		return rs_errf(err, RS_ELIMIT, "%s nests buckets too deeply to compare", what);
	bolt_cursor_init(&oc, o, ob);
	bolt_cursor_init(&nc, n, nb);
	if (bolt_cursor_first(&oc, &a, &be) != BOLT_OK ||
	    bolt_cursor_first(&nc, &b, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	while (steps++ < max_steps) {
		while (a.key != NULL && skipped(plan, logs, &a))
			if (bolt_cursor_next(&oc, &a, &be) != BOLT_OK)
				return rs_err_from_bolt(err, &be);
		if (a.key == NULL || b.key == NULL)
			break;
		if (!same_elem(&a, &b))
			return rs_errf(err, RS_ECORRUPT,
			               "the compacted %s differs from the original (a key or value "
			               "changed); nothing was replaced",
			               what);
		if (a.flags & BOLT_BUCKET_LEAF_FLAG) {
			struct bolt_vbucket oc2, nc2;
			int rc;

			if (bolt_view_bucket(o, ob, a.key, a.klen, &oc2, &be) != BOLT_OK ||
			    bolt_view_bucket(n, nb, b.key, b.klen, &nc2, &be) != BOLT_OK)
				return rs_err_from_bolt(err, &be);
			rc = same_bucket(o, &oc2, n, &nc2,
			                 depth == 0 && a.klen == 4 && memcmp(a.key, "logs", 4) == 0,
			                 depth + 1, plan, what, err);
			if (rc != RS_OK)
				return rc;
		}
		if (bolt_cursor_next(&oc, &a, &be) != BOLT_OK ||
		    bolt_cursor_next(&nc, &b, &be) != BOLT_OK)
			return rs_err_from_bolt(err, &be);
	}
	if (a.key != NULL || b.key != NULL)
		return rs_errf(err, RS_ECORRUPT,
		               "the compacted %s holds %s keys than the original; nothing was "
		               "replaced",
		               what, a.key != NULL ? "fewer" : "more");
	return RS_OK;
}

static void count_problem(void *ctx, int severity, uint64_t pgid, const char *msg)
{
	(void)pgid;
	(void)msg;
	if (severity == BOLT_CHECK_ERROR)
		(*(unsigned *)ctx)++;
}

/* The new database at path: bolt check clean, no free page, the same
 * content as the old one at `old` (read without a lock: we hold LOCK_EX
 * on it, so it cannot change). */
static int check_db(const char *old, const char *path, double timeout,
                    const struct rs_compact_plan *plan, struct rs_err *err)
{
	struct bolt_view *o = NULL, *n = NULL;
	struct bolt_vbucket orr, nr;
	struct bolt_check_stats st = {0};
	unsigned errors = 0;
	struct bolt_check_visitor vis = {.ctx = &errors, .problem = count_problem};
	struct bolt_err be = {0};
	int rc;

	if (bolt_view_open(path, BOLT_VIEW_LOCKED, timeout, &n, &be) != BOLT_OK ||
	    bolt_view_open(old, BOLT_VIEW_LIVE, 0, &o, &be) != BOLT_OK) {
		rc = rs_err_from_bolt(err, &be);
		goto out;
	}
	if (bolt_check(n, &vis, &st, &be) != BOLT_OK) {
		rc = rs_err_from_bolt(err, &be);
		goto out;
	}
	if (errors > 0 || st.free_pages != 0) {
		rc = rs_errf(err, RS_ECORRUPT,
		             "the compacted %s does not check clean (%u problem%s, %llu free "
		             "page%s); nothing was replaced",
		             path, errors, errors == 1 ? "" : "s",
		             (unsigned long long)st.free_pages, st.free_pages == 1 ? "" : "s");
		goto out;
	}
	bolt_view_root(o, &orr);
	bolt_view_root(n, &nr);
	rc = same_bucket(o, &orr, n, &nr, 0, 0, plan, path, err);
	if (rc == RS_OK && bolt_view_recheck(o, &be) != BOLT_OK)
		rc = rs_err_from_bolt(err, &be);
out:
	bolt_view_close(o);
	bolt_view_close(n);
	return rc;
}

static int check_filled(void *ctx, const char *stage, struct rs_err *err)
{
	struct compact_ctx *c = ctx;
	struct rs_verify_opts vo = {.lock_timeout = c->opts->lock_timeout};
	const struct rs_compact_plan *p = c->plan;
	char o[PATH_MAX], s[PATH_MAX];
	struct rs_node n;
	size_t before = c->problems->errors;
	/* every entry removed (a snapshot at the last index, --trailing 0, as
	 * raft's own compaction may leave it): an empty log, last index 0 */
	uint64_t want_last = p->old.count == p->del_count ? 0 : p->old.last_index;
	int rc;

	for (int i = 0; i < 2; i++) {
		if (rs_path_join_err(o, sizeof(o), c->old, db_names[i], err) != RS_OK ||
		    rs_path_join_err(s, sizeof(s), stage, db_names[i], err) != RS_OK)
			return RS_ELIMIT;
		if ((rc = check_db(o, s, c->opts->lock_timeout, p, err)) != RS_OK)
			return rc;
	}
	memset(&n, 0, sizeof(n));
	rc = rs_verify_node_full(stage, &vo, &n, c->problems, err);
	if (rc == RS_OK && c->problems->errors > before)
		rc = rs_errf(err, RS_ECORRUPT, "the compacted copy %s does not verify", stage);
	else if (rc == RS_OK &&
	         (n.last_index != want_last || n.count + p->del_count != p->old.count))
		rc = rs_errf(err, RS_ECORRUPT,
		             "the compacted copy %s holds %llu entries up to %llu, not %llu up "
		             "to %llu",
		             stage, (unsigned long long)n.count, (unsigned long long)n.last_index,
		             (unsigned long long)(p->old.count - p->del_count),
		             (unsigned long long)want_last);
	rs_node_free(&n);
	return rc;
}

/* ---- apply ----------------------------------------------------------------- */

int rs_compact_apply(struct rs_compact_plan *plan, const struct rs_compact_opts *opts,
                     struct rs_problems *problems, struct rs_err *err)
{
	struct compact_ctx c = {plan, opts, problems, NULL};
	struct rs_nd_lock lk = {.fd = -1};
	struct rs_nd_replace r;
	char lockdir[PATH_MAX];
	int fds[2] = {-1, -1};
	int rc;

	plan->kept[0] = '\0';
	rs_nd_lock_dir_of(plan->node_dir, lockdir, sizeof(lockdir));
	if ((rc = rs_nd_lock(lockdir, opts->run_lock_timeout, &lk, err)) != RS_OK)
		return rc;
	rc = rs_nd_hold_dbs(plan->node_dir, opts->lock_timeout, plan->ident, "compact", fds, err);
	if (rc == RS_OK) {
		rs_nd_replace_init(&r, plan->node_dir, "compact", fill_stage, check_filled, &c);
		r.uid = opts->uid;
		r.gid = opts->gid;
		r.dbs_held = 1;
		rc = rs_nd_replace_node(&r, NULL, 0, err);
		strlcpy(plan->kept, r.kept, sizeof(plan->kept));
		plan->in_place = r.in_place;
	}
	rs_nd_release_dbs(fds);
	rs_nd_unlock(&lk);
	return rc;
}

void rs_compact_plan_free(struct rs_compact_plan *plan)
{
	rs_node_free(&plan->old);
}
