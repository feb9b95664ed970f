/*
 * verify: the whole node, read-only. One pass over each file does the bolt
 * structural check and, through its visitor, the Raft checks of every
 * stored value; then the invariants across files and snapshots that raft
 * relies on when it starts (NewRaft reads CurrentTerm, the last entry, the
 * newest snapshot, then GetLog for every index after it: a gap panics).
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>

#include "bolt/check.h"
#include "bolt/cursor.h"
#include "bolt/view.h"
#include "raftstate/generate.h"
#include "raftstate/node.h"
#include "raftstate/path.h"
#include "raftstate/stable.h"
#include "raftstate/verify.h"

#define MAX_PROBLEMS    1000
#define MAX_GAP_REPORTS 16

void rs_problems_free(struct rs_problems *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

void rs_problem_add(struct rs_problems *p, int severity, const char *file, const char *where,
                    const char *fmt, ...)
{
	struct rs_problem *x;
	va_list ap;

	if (severity == RS_PROBLEM)
		p->errors++;
	else
		p->warnings++;
	if (p->n >= MAX_PROBLEMS) {
		p->dropped++;
		return;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct rs_problem *v = reallocarray(p->v, cap, sizeof(*v));

		if (v == NULL) {
			p->dropped++;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	x = &p->v[p->n++];
	x->severity = severity;
	strlcpy(x->file, file ? file : "", sizeof(x->file));
	strlcpy(x->where, where ? where : "", sizeof(x->where));
	va_start(ap, fmt);
	(void)vsnprintf(x->reason, sizeof(x->reason), fmt, ap);
	va_end(ap);
}

/* The reports listed only MAX_GAP_REPORTS times (then counted by
 * report_more); the first two go to probs, the others to fsm. */
enum { CAP_GAPS, CAP_BAD_VALUES, CAP_NOT_PAYLOADS, CAP_LEGACY, CAP_BACKWARDS, NCAPPED };

struct vctx {
	struct rs_node *node;
	struct rs_problems *probs;
	const char *file; /* which file the check is walking */
	int is_log;
	uint64_t prev_index, prev_term;
	uint64_t counts[NCAPPED]; /* reports of each capped kind, listed or not */
	/* op-conductor payloads along the log */
	const struct rs_snapshot *snap; /* the newest usable snapshot, or NULL */
	int op_conductor;               /* report what its FSM rejects */
	struct rs_problems *fsm;        /* those reports, kept apart (see fsm_verdict) */
	int has_prev_block;
	uint64_t prev_block, prev_block_index;
	const struct bolt_view *view; /* the view walked: live reads decode a copy */
	struct rs_scratch scratch;    /* that copy (rs_log_decode_at) */
	int oom;                      /* a copy could not be made: the check stopped */
	/* a part of a split walk (part_merge): where its capped reports sit in
	 * its lists, its first decoded entry, its first payload's block */
	size_t at[NCAPPED][MAX_GAP_REPORTS];
	int has_first_term, has_first_block;
	uint64_t first_term, first_term_count, first_block;
};

/* Whether the next report of kind `cap` is listed (one of the first
 * MAX_GAP_REPORTS); counts it, and notes where in `list` it goes. */
static int capped(struct vctx *v, int cap, const struct rs_problems *list)
{
	uint64_t k = v->counts[cap]++;

	if (k >= MAX_GAP_REPORTS)
		return 0;
	v->at[cap][k] = list->n;
	return 1;
}

static void on_problem(void *ctx, int severity, uint64_t pgid, const char *msg)
{
	struct vctx *v = ctx;
	char where[64] = "";

	if (pgid != BOLT_NO_PGID)
		snprintf(where, sizeof(where), "page %llu", (unsigned long long)pgid);
	rs_problem_add(v->probs, severity == BOLT_CHECK_ERROR ? RS_PROBLEM : RS_WARNING, v->file,
	               where, "%s", msg);
}

static int bucket_is(const uint8_t *b, size_t blen, const char *name)
{
	return blen == strlen(name) && memcmp(b, name, blen) == 0;
}

/* "index N" into where[64], for a problem's place: formatted only when one
 * is reported (the callers run for every entry). */
static const char *at(char where[64], uint64_t index)
{
	snprintf(where, 64, "index %llu", (unsigned long long)index);
	return where;
}

/* A LogCommand entry as op-conductor's FSM sees it (raft_fsm.go Apply):
 * what it rejects, and blocks that go backwards (Apply ignores them). */
static void command_entry(struct vctx *v, uint64_t index, const struct rs_log *log)
{
	struct rs_node *n = v->node;
	struct rs_block b;
	char why[240], where[64];
	/* no reason asked for here: this runs for every entry; the reported
	 * ones decode again for theirs, and the head's (the newest such entry)
	 * is read once after the walk (newest_bad_why) */
	int form = rs_payload_decode(log->data, log->data_len, &b, NULL, 0);

	if (v->snap == NULL || index > v->snap->index)
		rs_node_head_offer(n, form, &b, NULL, index, 0);
	if (form != RS_PAYLOAD_NONE)
		n->payload_entries++;
	if (!v->op_conductor)
		return;
	if (form == RS_PAYLOAD_NONE) {
		if (capped(v, CAP_NOT_PAYLOADS, v->fsm)) {
			(void)rs_payload_decode(log->data, log->data_len, &b, why, sizeof(why));
			rs_problem_add(v->fsm, RS_WARNING, v->file, at(where, index),
			               "the LogCommand entry is not an op-conductor payload (%s): "
			               "its FSM rejects it and does not apply it",
			               why);
		}
		return;
	}
	if (form == RS_PAYLOAD_LEGACY) {
		if (capped(v, CAP_LEGACY, v->fsm))
			rs_problem_add(
			    v->fsm, RS_WARNING, v->file, at(where, index),
			    "the LogCommand entry holds block %llu in the early-2024 form "
			    "(version byte + V%d payload, no beacon root): today's "
			    "op-conductor rejects it",
			    (unsigned long long)b.number, b.version);
		return;
	}
	if (!v->has_prev_block) {
		v->has_first_block = 1;
		v->first_block = b.number;
	}
	if (v->has_prev_block && b.number < v->prev_block && capped(v, CAP_BACKWARDS, v->fsm))
		rs_problem_add(v->fsm, RS_WARNING, v->file, at(where, index),
		               "block %llu is below block %llu of index %llu: the block numbers "
		               "go backwards (the FSM keeps the higher one and ignores this)",
		               (unsigned long long)b.number, (unsigned long long)v->prev_block,
		               (unsigned long long)v->prev_block_index);
	if (!v->has_prev_block || b.number >= v->prev_block) {
		v->has_prev_block = 1;
		v->prev_block = b.number;
		v->prev_block_index = index;
	}
}

static void log_entry(struct vctx *v, const struct bolt_elem *e)
{
	struct rs_node *n = v->node;
	struct rs_log log;
	struct rs_err derr; /* written only on failure: not cleared per entry */
	char where[64];
	uint64_t index;
	int rc;

	if (e->klen != 8) {
		rs_problem_add(v->probs, RS_PROBLEM, v->file, "",
		               "a key of %u bytes in bucket logs (index keys are 8 bytes)",
		               e->klen);
		return;
	}
	index = rs_be64(e->key);
	/* a gap raft reads at start panics it; one at or below the snapshot
	 * index is never read (raftrules.h) and only shows in the count */
	if (n->count > 0 &&
	    rs_rule_gap_read(v->prev_index, index, v->snap != NULL,
	                     v->snap != NULL ? v->snap->index : 0) &&
	    capped(v, CAP_GAPS, v->probs))
		rs_problem_add(v->probs, RS_PROBLEM, v->file, at(where, index),
		               "index %llu follows index %llu: a gap in the log (raft reads "
		               "every entry after the snapshot index at start and panics on a "
		               "missing one)",
		               (unsigned long long)index, (unsigned long long)v->prev_index);
	if (n->count == 0)
		n->first_index = index;
	n->last_index = index;
	n->count++;
	n->scanned++;
	v->prev_index = index;
	if ((rc = rs_log_decode_at(v->view, e, 0, &v->scratch, &log, &derr)) != RS_OK) {
		if (rc == RS_ENOMEM) {
			v->oom = 1;
			return;
		}
		if (capped(v, CAP_BAD_VALUES, v->probs))
			rs_problem_add(v->probs, RS_PROBLEM, v->file, at(where, index),
			               "the value does not decode as a raft log entry: %s",
			               derr.msg);
		n->types[RS_LOG_TYPE_COUNT]++;
		return;
	}
	if (log.index != index)
		rs_problem_add(v->probs, RS_PROBLEM, v->file, at(where, index),
		               "the entry stored under index %llu says Index %llu",
		               (unsigned long long)index, (unsigned long long)log.index);
	if (n->count > 1 && log.term < v->prev_term)
		rs_problem_add(v->probs, RS_PROBLEM, v->file, at(where, index),
		               "term %llu is lower than the previous entry's term %llu",
		               (unsigned long long)log.term, (unsigned long long)v->prev_term);
	if (!v->has_first_term) {
		v->has_first_term = 1;
		v->first_term = log.term;
		v->first_term_count = n->count;
	}
	v->prev_term = log.term;
	n->last_term = log.term;
	n->data_bytes += log.data_len;
	if (log.type >= RS_LOG_TYPE_COUNT) {
		n->types[RS_LOG_TYPE_COUNT]++;
		rs_problem_add(v->probs, RS_PROBLEM, v->file, at(where, index),
		               "unknown entry type %llu", (unsigned long long)log.type);
		return;
	}
	n->types[log.type]++;
	if (log.type == RS_LOG_COMMAND)
		command_entry(v, index, &log);
	if (log.type == RS_LOG_CONFIGURATION) {
		struct rs_config cfg = {0};

		if ((rc = rs_config_decode(log.data, log.data_len, &cfg, &derr)) != RS_OK) {
			if (rc == RS_ENOMEM) { /* not damage: the check stops */
				v->oom = 1;
				return;
			}
			rs_problem_add(v->probs, RS_PROBLEM, v->file, at(where, index),
			               "the configuration does not decode: %s", derr.msg);
			return;
		}
		if (v->snap != NULL && index <= v->snap->index) {
			/* raft never reads it at start (FORMAT.md) */
			n->shadowed_config = 1;
			n->shadowed_index = index;
			n->shadowed_differs = !rs_config_same(&cfg, &v->snap->config);
			rs_config_free(&cfg);
			return;
		}
		rs_config_free(&n->config);
		n->config = cfg;
		n->config_source = RS_CONFIG_LOG;
		n->config_index = index;
	}
}

static void stable_entry(struct vctx *v, const struct bolt_elem *e)
{
	struct rs_node *n = v->node;
	const char *names[] = {RS_KEY_CURRENT_TERM, RS_KEY_LAST_VOTE_TERM};
	uint64_t *vals[] = {&n->current_term, &n->last_vote_term};
	int *has[] = {&n->has_current_term, &n->has_last_vote_term};

	for (int i = 0; i < 2; i++) {
		if (!bucket_is(e->key, e->klen, names[i]))
			continue;
		if (e->vlen != 8) {
			rs_problem_add(v->probs, RS_PROBLEM, v->file, names[i],
			               "%s holds %u bytes; raft stores 8 (big-endian uint64)",
			               names[i], e->vlen);
			return;
		}
		*vals[i] = rs_be64(e->value);
		*has[i] = 1;
		return;
	}
	if (bucket_is(e->key, e->klen, RS_KEY_LAST_VOTE_CAND)) {
		size_t k = e->vlen < sizeof(n->last_vote_cand) - 1 ? e->vlen
		                                                   : sizeof(n->last_vote_cand) - 1;

		memcpy(n->last_vote_cand, e->value, k);
		n->last_vote_cand[k] = 0;
		n->last_vote_cand_len = e->vlen;
		n->has_last_vote_cand = 1;
	}
}

static int on_entry(void *ctx, const uint8_t *bucket, size_t blen, const struct bolt_elem *e)
{
	struct vctx *v = ctx;

	if (v->is_log && bucket_is(bucket, blen, RS_BUCKET_LOGS))
		log_entry(v, e);
	else if (!v->is_log && bucket_is(bucket, blen, RS_BUCKET_CONF))
		stable_entry(v, e);
	return v->oom;
}

/*
 * The log's walk on several threads (bolt/check.h, "Parallel walk"): each
 * part of the logs tree is checked into a context of its own, as if it
 * were the whole log, and part_merge folds the parts in key order into
 * what the one-thread walk finds. Most of the walk's state is sums, or
 * the newest of something (configuration, head: rs_node_head_merge).
 * What one entry's check takes from the entry before it is exact inside a
 * part; across a part boundary it is rechecked here, and when the entry
 * before would change a verdict (a gap, a term going down, a block going
 * backwards: a broken log) the merge refuses and the log is walked again
 * on one thread. The capped reports are listed by their place in the
 * whole log: each part notes where its own sit.
 */
struct vpart {
	struct vctx v; /* first: the part's context is &vpart.v */
	struct rs_node node;
	struct rs_problems probs, fsm;
};

static void *part_open(void *ctx)
{
	const struct vctx *m = ctx;
	struct vpart *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->v.node = &p->node;
	p->v.probs = &p->probs;
	p->v.fsm = &p->fsm;
	p->v.file = m->file;
	p->v.is_log = m->is_log;
	p->v.snap = m->snap;
	p->v.op_conductor = m->op_conductor;
	p->v.view = m->view;
	return &p->v;
}

static void part_close(void *ctx, void *part)
{
	struct vpart *p = part;

	(void)ctx;
	rs_problems_free(&p->probs);
	rs_problems_free(&p->fsm);
	rs_config_free(&p->node.config);
	rs_scratch_free(&p->v.scratch);
	free(p);
}

static int cap_in_fsm(int cap)
{
	return cap >= CAP_NOT_PAYLOADS;
}

/* Appends the part's reports of one list (fsm or not) to the walk's, less
 * the capped ones the one-thread walk would not list: those after the
 * first MAX_GAP_REPORTS of their kind in the whole log. */
static void take_reports(struct rs_problems *to, const struct rs_problems *from,
                         const struct vctx *m, const struct vctx *p, int fsm)
{
	for (size_t i = 0; i < from->n; i++) {
		int keep = 1;

		for (int cap = 0; cap < NCAPPED && keep; cap++) {
			uint64_t listed =
			    p->counts[cap] < MAX_GAP_REPORTS ? p->counts[cap] : MAX_GAP_REPORTS;

			if (cap_in_fsm(cap) != fsm)
				continue;
			for (uint64_t j = 0; j < listed; j++)
				if (p->at[cap][j] == i) {
					keep = m->counts[cap] + j < MAX_GAP_REPORTS;
					break;
				}
		}
		if (keep)
			rs_problem_add(to, from->v[i].severity, from->v[i].file, from->v[i].where,
			               "%s", from->v[i].reason);
	}
}

static int part_merge(void *ctx, void *part)
{
	struct vctx *m = ctx;
	struct vpart *vp = part;
	const struct vctx *p = &vp->v;
	struct rs_node *n = m->node, *pn = &vp->node;

	if (p->oom) {
		m->oom = 1;
		return 0;
	}
	/* what the entry before the part would change (see above) */
	if (vp->probs.dropped > 0 || vp->fsm.dropped > 0)
		return -1;
	if (n->count > 0 && pn->count > 0 &&
	    rs_rule_gap_read(m->prev_index, pn->first_index, m->snap != NULL,
	                     m->snap != NULL ? m->snap->index : 0))
		return -1;
	if (p->has_first_term && n->count + p->first_term_count > 1 && p->first_term < m->prev_term)
		return -1;
	if (m->has_prev_block && p->has_first_block && p->first_block < m->prev_block)
		return -1;

	take_reports(m->probs, &vp->probs, m, p, 0);
	take_reports(m->fsm, &vp->fsm, m, p, 1);
	for (int cap = 0; cap < NCAPPED; cap++)
		m->counts[cap] += p->counts[cap];
	if (pn->count > 0) {
		if (n->count == 0)
			n->first_index = pn->first_index;
		n->last_index = pn->last_index;
		m->prev_index = p->prev_index;
	}
	n->count += pn->count;
	n->scanned += pn->scanned;
	n->data_bytes += pn->data_bytes;
	n->payload_entries += pn->payload_entries;
	for (int t = 0; t <= RS_LOG_TYPE_COUNT; t++)
		n->types[t] += pn->types[t];
	if (p->has_first_term) {
		n->last_term = pn->last_term;
		m->prev_term = p->prev_term;
	}
	if (pn->config_source == RS_CONFIG_LOG) {
		rs_config_free(&n->config);
		n->config = pn->config;
		memset(&pn->config, 0, sizeof(pn->config));
		n->config_source = RS_CONFIG_LOG;
		n->config_index = pn->config_index;
	}
	if (pn->shadowed_config) {
		n->shadowed_config = 1;
		n->shadowed_index = pn->shadowed_index;
		n->shadowed_differs = pn->shadowed_differs;
	}
	rs_node_head_merge(n, &pn->head);
	if (p->has_prev_block) {
		m->has_prev_block = 1;
		m->prev_block = p->prev_block;
		m->prev_block_index = p->prev_block_index;
	}
	return 0;
}

/* Threads for the log's walk: as asked, else (0) the processors this
 * process may run on, at most 4, for a log of 64 MiB or more (below that a
 * thread costs more than it saves). */
static int walk_threads(int asked, uint64_t file_size)
{
	cpu_set_t set;
	long cpus = -1;

	if (asked > 0)
		return asked;
	if (file_size < ((uint64_t)64 << 20))
		return 1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cpus = CPU_COUNT(&set);
	if (cpus < 1)
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus < 1 ? 1 : cpus > 4 ? 4 : (int)cpus;
}

static void require_buckets(struct vctx *v, const struct bolt_view *bv)
{
	static const char *const names[] = {RS_BUCKET_LOGS, RS_BUCKET_CONF};

	for (int i = 0; i < 2; i++) {
		struct bolt_vbucket b;
		struct bolt_err be = {0};
		int rc = bolt_view_bucket(bv, NULL, names[i], strlen(names[i]), &b, &be);

		if (rc == BOLT_ENOTFOUND)
			rs_problem_add(
			    v->probs, RS_PROBLEM, v->file, "",
			    "bucket %s is missing (raft-boltdb creates it in both files)",
			    names[i]);
		else if (rc != BOLT_OK)
			rs_problem_add(v->probs, RS_PROBLEM, v->file, "",
			               "bucket %s cannot be read: %s", names[i], be.msg);
	}
}

static void report_more(struct rs_problems *p, const char *file, uint64_t total, const char *what)
{
	if (total > MAX_GAP_REPORTS)
		rs_problem_add(p, RS_WARNING, file, "", "%llu %s in all (the first %d are listed)",
		               (unsigned long long)total, what, MAX_GAP_REPORTS);
}

/* The reason the newest LogCommand entry that is not a payload is not one,
 * for the head's report: one seek and one decode, while the view is still
 * open (a read of a mapping that shrank reads zeros: bolt/mapguard.h, and
 * the caller's recheck then discards the walk). Left empty when the entry
 * cannot be read again. */
static void newest_bad_why(struct rs_node *n, const struct bolt_view *bv)
{
	struct rs_head *h = &n->head;
	struct bolt_vbucket logs;
	struct bolt_cursor c;
	struct bolt_elem e;
	struct bolt_err be;
	struct rs_log log;
	struct rs_err derr;
	struct rs_block b;
	struct rs_scratch copy = {0};
	uint8_t key[8];

	if (h->not_payloads == 0 || h->first_bad_why[0] != 0 ||
	    bolt_view_bucket(bv, NULL, RS_BUCKET_LOGS, 4, &logs, &be) != BOLT_OK)
		return;
	rs_put_be64(key, h->first_bad);
	bolt_cursor_init(&c, bv, &logs);
	if (bolt_cursor_seek(&c, key, sizeof(key), &e, &be) == BOLT_OK && e.key != NULL &&
	    e.klen == 8 && rs_be64(e.key) == h->first_bad &&
	    rs_log_decode_at(bv, &e, 0, &copy, &log, &derr) == RS_OK)
		(void)rs_payload_decode(log.data, log.data_len, &b, h->first_bad_why,
		                        sizeof(h->first_bad_why));
	rs_scratch_free(&copy);
}

/* Checks one file. Returns RS_OK when it was checked (or found broken, which
 * is a problem, not a failure), RS_ELOCKED/RS_EIO when it could not be. */
/* One walk of the database at path: the view opened (live or locked, as
 * o says), checked through v's visitor on `threads` threads, rechecked -
 * after every walk, also a failed one: what a file that shrank under us
 * reads as is not the file (bolt/view.h) - and closed. *opened: the open
 * succeeded (an open's error is the file's verdict, a walk's is not). */
static int walk_file(const char *path, const struct rs_verify_opts *o, int threads, struct vctx *v,
                     struct rs_file_info *fi, int *opened, struct bolt_err *be,
                     struct bolt_err *why)
{
	struct bolt_check_parts parts = {threads, part_open, part_merge, part_close};
	struct bolt_check_visitor vis = {v, on_problem, on_entry, threads > 1 ? &parts : NULL};
	struct bolt_view *bv = NULL;
	int rc, recheck;

	rc = bolt_view_open(path, o->live ? BOLT_VIEW_LIVE : BOLT_VIEW_LOCKED, o->lock_timeout, &bv,
	                    be);
	*opened = rc == BOLT_OK;
	if (rc != BOLT_OK) {
		*why = *be;
		return rc;
	}
	rs_file_info_fill(fi, bv);
	v->view = bv;
	rc = bolt_check(bv, &vis, &fi->stats, be);
	rs_scratch_free(&v->scratch);
	if (v->oom)
		rc = bolt_errf(be, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory reading its entries");
	if (rc == BOLT_OK) {
		require_buckets(v, bv);
		newest_bad_why(v->node, bv);
	}
	if ((recheck = bolt_view_recheck(bv, why)) != BOLT_OK)
		rc = recheck;
	bolt_view_close(bv);
	return rc;
}

/* A walk to be done again: its problems dropped, the node as before it. */
static void drop_walk(struct vctx *v, const struct rs_node *saved)
{
	rs_problems_free(v->probs);
	rs_problems_free(v->fsm);
	rs_config_free(&v->node->config);
	*v->node = *saved;
	memset(&v->node->config, 0, sizeof(v->node->config));
}

/* A finished walk's problems added to the node's (the payload counts summed
 * up first), and freed. */
static void keep_walk(struct vctx *v, const char *name, struct rs_problems *probs,
                      struct rs_problems *fsm)
{
	struct rs_problems *tmp = v->probs, *tmp_fsm = v->fsm;

	report_more(tmp_fsm, name, v->counts[CAP_NOT_PAYLOADS],
	            "LogCommand entries are not payloads");
	report_more(tmp_fsm, name, v->counts[CAP_LEGACY],
	            "LogCommand entries are in the early-2024 form");
	report_more(tmp_fsm, name, v->counts[CAP_BACKWARDS], "blocks go backwards");
	for (size_t i = 0; i < tmp_fsm->n; i++)
		rs_problem_add(fsm, tmp_fsm->v[i].severity, tmp_fsm->v[i].file, tmp_fsm->v[i].where,
		               "%s", tmp_fsm->v[i].reason);
	rs_problems_free(tmp_fsm);
	for (size_t i = 0; i < tmp->n; i++)
		rs_problem_add(probs, tmp->v[i].severity, tmp->v[i].file, tmp->v[i].where, "%s",
		               tmp->v[i].reason);
	probs->dropped += tmp->dropped;
	rs_problems_free(tmp);
}

static int verify_file(struct rs_node *n, int is_log, const struct rs_verify_opts *o,
                       struct rs_problems *probs, struct rs_problems *fsm, struct rs_err *err)
{
	const char *name = is_log ? RS_LOG_FILE : RS_STABLE_FILE;
	struct rs_file_info *fi = is_log ? &n->log_file : &n->stable_file;
	char path[4352];
	struct bolt_err be = {0}, why = {0};
	struct stat st;
	int rc, threads, opened;

	(void)rs_path_join(path, sizeof(path), n->dir, name);
	if (stat(path, &st) != 0) {
		if (errno == ENOENT) {
			rs_problem_add(probs, RS_PROBLEM, name, "", "%s is missing", name);
			return RS_OK;
		}
		return rs_errf(err, RS_EIO, "cannot stat %s: %s", path, rs_errno_text(errno).s);
	}
	fi->exists = 1;
	threads = is_log ? walk_threads(o->threads, (uint64_t)st.st_size) : 1;
	for (int attempt = 0;;) {
		struct rs_problems tmp = {0}, tmp_fsm = {0};
		struct rs_node saved = *n;
		struct vctx v = {.node = n,
		                 .probs = &tmp,
		                 .file = name,
		                 .is_log = is_log,
		                 .snap = rs_node_newest_snapshot(n),
		                 .op_conductor = o->op_conductor,
		                 .fsm = &tmp_fsm};

		rc = walk_file(path, o, threads, &v, fi, &opened, &be, &why);
		if (!opened && rc == BOLT_ELOCKED)
			return rs_errf(err, RS_ELOCKED, "%s", be.msg);
		if (!opened && (rc == BOLT_ECORRUPT || rc == BOLT_EINVAL)) {
			rs_problem_add(probs, RS_PROBLEM, name, "", "%s", be.msg);
			strlcpy(fi->unreadable, be.msg, sizeof(fi->unreadable));
			return RS_OK;
		}
		if (rc == BOLT_ECHANGED || rc == BOLT_ESPLIT) {
			drop_walk(&v, &saved);
			if (rc == BOLT_ESPLIT) {
				/* a broken log: the one-thread walk orders it */
				threads = 1;
				continue;
			}
			if ((rc = rs_live_settled(rc, &why, attempt++, err)) != RS_LIVE_AGAIN)
				return rc;
			continue;
		}
		if (rc != BOLT_OK) {
			rs_problems_free(&tmp);
			rs_problems_free(&tmp_fsm);
			if (rc == BOLT_ESHRANK)
				return rs_live_settled(rc, &why, attempt, err);
			if (rc == BOLT_ENOMEM)
				return rs_errf(err, RS_ENOMEM, "%s: %s", path, be.msg);
			return rs_errf(err, RS_EIO, "%s", be.msg);
		}
		fi->checked = 1;
		keep_walk(&v, name, probs, fsm);
		return RS_OK;
	}
}

/* What op-conductor's Restore will make of the newest snapshot's state.bin
 * (raft_fsm.go unsafeHeadTracker.Restore; raft restores only the newest:
 * FileSnapshotStore.List returns `retain` = 1 snapshots for op-conductor). */
static int check_snapshot_state(struct rs_node *n, int op_conductor, struct rs_problems *p,
                                struct rs_err *err)
{
	const struct rs_head *h = &n->head;
	char file[96];

	if (rs_node_snapshot_head(n, err) != RS_OK)
		return RS_ENOMEM;
	rs_node_head_finish(n);
	if (!op_conductor)
		return RS_OK;
	snprintf(file, sizeof(file), "snapshots/%.60s/state.bin", h->snap_name);
	switch (h->snap_state) {
	case RS_SNAP_STATE_BAD:
		if (h->snap_block.found)
			rs_problem_add(
			    p, RS_PROBLEM, file, "",
			    "state.bin holds block %llu in the early-2024 form (version "
			    "byte + V%d payload): it decodes neither as V4 nor as V3, so "
			    "op-conductor's Restore fails and the node does not start",
			    (unsigned long long)h->snap_block.number, h->snap_block.version);
		else
			rs_problem_add(
			    p, RS_PROBLEM, file, "",
			    "state.bin decodes neither as a V4 nor as a V3 payload (%.200s): "
			    "op-conductor's Restore fails and the node does not start",
			    h->snap_why);
		break;
	case RS_SNAP_STATE_EMPTY:
		rs_problem_add(
		    p, RS_WARNING, file, "",
		    "state.bin is empty: the snapshot was taken before any unsafe head "
		    "was committed. Only op-conductor builds with PR 22908 restore it (as "
		    "\"no unsafe head\"); earlier releases fail to decode 0 bytes and do "
		    "not start (they never write it: they panic in Persist, issue 13363)");
		break;
	case RS_SNAP_STATE_UNREAD:
		rs_problem_add(p, RS_PROBLEM, file, "", "%.300s", h->snap_why);
		break;
	default:
		break;
	}
	return RS_OK;
}

/* The FSM's reports count only for a node that holds op-conductor data: some
 * LogCommand entry or the newest state.bin decodes as a payload (either
 * form), or state.bin is op-conductor's empty snapshot. Raft state written
 * by another FSM (e.g. the test vectors' own) is judged by raft's rules
 * alone, and says so (n->head.fsm_data = 0). */
static void fsm_verdict(struct rs_node *n, int op_conductor, struct rs_problems *fsm,
                        struct rs_problems *p)
{
	const struct rs_head *h = &n->head;

	n->head.fsm_data = n->payload_entries > 0 || h->snap_state == RS_SNAP_STATE_PAYLOAD ||
	                   h->snap_state == RS_SNAP_STATE_EMPTY ||
	                   (h->snap_state == RS_SNAP_STATE_BAD && h->snap_block.found);
	if (!op_conductor || !n->head.fsm_data)
		return;
	for (size_t i = 0; i < fsm->n; i++)
		rs_problem_add(p, fsm->v[i].severity, fsm->v[i].file, fsm->v[i].where, "%s",
		               fsm->v[i].reason);
	p->dropped += fsm->dropped;
}

/* The stable store's terms and vote against the log (raft.go v1.7.3). */
static void check_stable(const struct rs_node *n, struct rs_problems *p)
{
	if (n->has_current_term && n->count > 0 && n->current_term < n->last_term)
		rs_problem_add(p, RS_PROBLEM, RS_STABLE_FILE, RS_KEY_CURRENT_TERM,
		               "CurrentTerm %llu is lower than the last log entry's term %llu",
		               (unsigned long long)n->current_term,
		               (unsigned long long)n->last_term);
	if (!n->has_current_term && n->stable_file.present)
		rs_problem_add(p, RS_WARNING, RS_STABLE_FILE, RS_KEY_CURRENT_TERM,
		               "CurrentTerm is not set (raft starts at term 0)");
	/* raft v1.7.3 persistVote (raft.go) writes LastVoteTerm, then
	 * LastVoteCand, each in its own raft-boltdb transaction: a crash between
	 * them leaves the term alone, and raft starts on it; requestVote reads a
	 * missing key as "not voted" (a missing term as 0). Neither is damage. */
	if (n->has_last_vote_term && !n->has_last_vote_cand)
		rs_problem_add(p, RS_WARNING, RS_STABLE_FILE, RS_KEY_LAST_VOTE_CAND,
		               "LastVoteTerm is set but LastVoteCand is not (raft writes the term "
		               "first and the candidate in a second transaction: a crash between "
		               "them leaves this); raft starts and reads it as no vote in term "
		               "%llu",
		               (unsigned long long)n->last_vote_term);
	if (n->has_last_vote_cand && !n->has_last_vote_term)
		rs_problem_add(p, RS_WARNING, RS_STABLE_FILE, RS_KEY_LAST_VOTE_TERM,
		               "LastVoteCand is set but LastVoteTerm is not (raft writes the term "
		               "first, so raft did not leave this); raft reads the vote's term as "
		               "0 and never uses this candidate");
	if (n->has_last_vote_term && n->has_current_term && n->last_vote_term > n->current_term)
		rs_problem_add(p, RS_PROBLEM, RS_STABLE_FILE, RS_KEY_LAST_VOTE_TERM,
		               "LastVoteTerm %llu is above CurrentTerm %llu",
		               (unsigned long long)n->last_vote_term,
		               (unsigned long long)n->current_term);
}

static int check_invariants(struct rs_node *n, struct rs_problems *p, struct rs_err *err)
{
	const struct rs_snapshot *snap = NULL;

	for (size_t i = 0; i < n->snapshots.n; i++) {
		const struct rs_snapshot *s = &n->snapshots.v[i];
		char file[64];

		snprintf(file, sizeof(file), "snapshots/%.50s", s->name);
		if (s->problem[0]) {
			rs_problem_add(p, RS_PROBLEM, file, "", "%s", s->problem);
			continue;
		}
		if (snap == NULL)
			snap = s;
		if (n->has_current_term && s->term > n->current_term)
			rs_problem_add(
			    p, RS_PROBLEM, file, "", "snapshot term %llu is above CurrentTerm %llu",
			    (unsigned long long)s->term, (unsigned long long)n->current_term);
	}
	/* raft (api.go restoreSnapshot, then NewRaft's scan after the snapshot
	 * index): the snapshot's configuration unless an entry after its index
	 * replaces it; log_entry kept only those as n->config */
	if (snap != NULL && n->config_source != RS_CONFIG_LOG) {
		rs_config_free(&n->config);
		memset(&n->config, 0, sizeof(n->config));
		if (rs_config_copy(&n->config, &snap->config) != RS_OK)
			return rs_errf(err, RS_ENOMEM, "out of memory copying a configuration");
		n->config_source = snap->config.n > 0 ? RS_CONFIG_SNAPSHOT : RS_CONFIG_NONE;
		n->config_index = snap->config_index;
		strlcpy(n->config_snapshot, snap->name, sizeof(n->config_snapshot));
	}
	if (snap != NULL && n->config_source == RS_CONFIG_SNAPSHOT && n->shadowed_config &&
	    n->shadowed_differs)
		rs_problem_add(
		    p, RS_WARNING, RS_LOG_FILE, "",
		    "the log's newest configuration entry (index %llu) is at or below "
		    "snapshot %.60s's index %llu, so raft never reads it: it starts with "
		    "the snapshot's members, which differ from that entry's",
		    (unsigned long long)n->shadowed_index, snap->name,
		    (unsigned long long)snap->index);

	check_stable(n, p);
	if (n->log_file.present && n->count > 0 &&
	    rs_log_start_uncovered(n->first_index, snap != NULL, snap != NULL ? snap->index : 0))
		rs_problem_add(p, RS_PROBLEM, RS_LOG_FILE, "",
		               "the log starts at index %llu but no snapshot covers index %llu: "
		               "raft panics (log not found) when it starts; bring back the "
		               "node's snapshots/ (a backup made by the Go tool leaves it out: "
		               "restore one made by raft backup)",
		               (unsigned long long)n->first_index,
		               (unsigned long long)(n->first_index - 1));
	if (n->config_source == RS_CONFIG_NONE || n->config.n == 0) {
		if (n->log_file.present)
			rs_problem_add(p, RS_PROBLEM, "", "",
			               "no configuration in the log or in a snapshot: raft starts "
			               "with no members and never elects a leader");
	} else {
		const struct rs_server *me = rs_config_find(&n->config, n->id, strlen(n->id));

		if (me == NULL || strcmp(me->id, n->id) != 0)
			rs_problem_add(p, RS_WARNING, "", "",
			               "this node (%s, from the directory name) is not a member of "
			               "the configuration",
			               n->id);
		if (n->has_last_vote_cand && n->last_vote_cand_len > 0 &&
		    rs_config_find(&n->config, n->last_vote_cand, n->last_vote_cand_len) == NULL)
			rs_problem_add(p, RS_WARNING, RS_STABLE_FILE, RS_KEY_LAST_VOTE_CAND,
			               "the vote candidate %s is not a member of the configuration",
			               n->last_vote_cand);
	}
	return RS_OK;
}

/* What op-conductor <= v1.19.6 will do with a node that holds no unsafe
 * head (rs_node_nil_head: a warning at or above the threshold only; the note
 * below it is printed with the head), and snapshots raft never finished. */
static void check_nil_head(const struct rs_node *n, const struct rs_verify_opts *o,
                           struct rs_problems *p)
{
	uint64_t t = o->snapshot_threshold ? o->snapshot_threshold : RS_OPC_SNAPSHOT_THRESHOLD;
	const char *src =
	    o->snapshot_threshold && o->threshold_src ? o->threshold_src : "op-conductor's default";
	char msg[900], file[64];
	int level = rs_node_nil_head(n, t, src, msg, sizeof(msg));

	if (level == 2)
		rs_problem_add(p, RS_WARNING, RS_LOG_FILE, "", "%s", msg);
	if (n->snapshots.tmp_count == 0)
		return;
	snprintf(file, sizeof(file), "snapshots/%.50s", n->snapshots.tmp_name);
	rs_problem_add(p, RS_WARNING, file, "",
	               "an unfinished snapshot%s (raft ignores *.tmp at start and never removes "
	               "it)%s",
	               n->snapshots.tmp_count > 1 ? " (and more *.tmp beside it)" : "",
	               level > 0 ? "; with no unsafe head on this node it is the trace of "
	                           "op-conductor's nil-head panic in snapshot.Persist "
	                           "(optimism issue 13363)"
	                         : ": a snapshot that failed or a process that died while "
	                           "writing it; it can be removed while op-conductor is stopped");
}

int rs_verify_node_full(const char *node_dir, const struct rs_verify_opts *opts, struct rs_node *n,
                        struct rs_problems *p, struct rs_err *err)
{
	struct rs_verify_opts o = opts ? *opts : (struct rs_verify_opts){.lock_timeout = 5.0};
	struct rs_problems fsm = {0};
	int rc;

	if ((rc = rs_node_init(n, node_dir, err)) != RS_OK)
		return rc;
	/* snapshots first: the log's walk needs the newest one's index */
	if ((rc = rs_snapshots_load(n->dir, 1, &n->snapshots, err)) != RS_OK)
		return rc;
	if ((rc = verify_file(n, 1, &o, p, &fsm, err)) != RS_OK ||
	    (rc = verify_file(n, 0, &o, p, &fsm, err)) != RS_OK) {
		rs_problems_free(&fsm);
		return rc;
	}
	n->types_complete = 1;
	n->types_from = n->first_index;
	{
		/* every entry after the snapshot index was offered to the head */
		const struct rs_snapshot *snap = rs_node_newest_snapshot(n);

		uint64_t first_read =
		    rs_rule_first_read(snap != NULL, snap != NULL ? snap->index : 0);

		n->head.from = n->first_index > first_read ? n->first_index : first_read;
		n->head.to = n->last_index;
		n->head.complete = 1;
	}
	if ((rc = check_invariants(n, p, err)) != RS_OK ||
	    (rc = check_snapshot_state(n, o.op_conductor, &fsm, err)) != RS_OK) {
		rs_problems_free(&fsm);
		return rc;
	}
	fsm_verdict(n, o.op_conductor, &fsm, p);
	if (o.nil_head)
		check_nil_head(n, &o, p);
	rs_problems_free(&fsm);
	return RS_OK;
}

int rs_verify_node(const char *node_dir, const struct rs_verify_opts *opts,
                   struct rs_problems *problems, struct rs_err *err)
{
	struct rs_node *n = calloc(1, sizeof(*n));
	int rc;

	if (n == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	rc = rs_verify_node_full(node_dir, opts, n, problems, err);
	rs_node_free(n);
	free(n);
	return rc;
}
