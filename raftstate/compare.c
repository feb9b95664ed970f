/*
 * The comparison (compare.h): everything here works on the facts each node
 * already carries (term starts, last index and term, head, configuration),
 * so it costs the same for directories and for `info --json` documents and
 * reads no log entry. The facts of directories are gathered here too
 * (rs_cmp_read_dirs: every node summarized as `raft info` reads it, all at
 * once).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "raftstate/compare.h"
#include "raftstate/summary.h"

int rs_cmp_from_node(struct rs_cmp_node *c, const struct rs_node *n)
{
	const struct rs_snapshot *s = rs_node_newest_snapshot(n);

	memset(c, 0, sizeof(*c));
	strlcpy(c->name, n->id, sizeof(c->name));
	strlcpy(c->origin, n->dir, sizeof(c->origin));
	c->has_current_term = n->has_current_term;
	c->current_term = n->current_term;
	c->has_vote = n->has_last_vote_cand;
	c->vote_term = n->last_vote_term;
	strlcpy(c->vote_cand, n->last_vote_cand, sizeof(c->vote_cand));
	if (n->count > 0) {
		c->first_index = n->first_index;
		c->last_index = n->last_index;
		c->last_term = n->last_term;
	}
	for (size_t i = 0; i < n->snapshots.n; i++)
		if (n->snapshots.v[i].problem[0] != 0)
			rs_cmp_add_unusable(c, n->snapshots.v[i].name, n->snapshots.v[i].problem);
	if (s != NULL) {
		c->has_snapshot = 1;
		c->snap_index = s->index;
		c->snap_term = s->term;
		strlcpy(c->snap_name, s->name, sizeof(c->snap_name));
	}
	c->config_source = n->config_source;
	c->config_index = n->config_index;
	if (rs_config_copy(&c->config, &n->config) != RS_OK)
		return RS_ENOMEM;
	c->head = n->head.block;
	c->head_complete = n->head.complete;
	c->snap_state = n->head.snap_state;
	/* a state.bin Restore rejects only makes the node invalid when the node
	 * holds op-conductor data at all (as verify judges it) */
	if (c->snap_state == RS_SNAP_STATE_BAD && !n->head.block.found &&
	    !n->head.legacy_block.found && !n->head.snap_block.found)
		c->snap_state = RS_SNAP_STATE_NONE;
	c->terms = n->terms;
	return RS_OK;
}

int rs_cmp_read_dirs(const char *const *dirs, size_t n, double lock_timeout,
                     struct rs_cmp_node *out, struct rs_err *err)
{
	struct rs_summary_opts opts = {.lock_timeout = lock_timeout};
	struct rs_summary_job *jobs = calloc(n ? n : 1, sizeof(*jobs));
	size_t done = 0;
	int rc = RS_OK;

	if (jobs == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	for (size_t j = 0; j < n; j++)
		jobs[j].dir = dirs[j];
	rs_node_summarize_all(jobs, n, &opts);
	for (; done < n && rc == RS_OK; done++) {
		struct rs_cmp_node *c = &out[done];

		if (jobs[done].rc == RS_ENOMEM) {
			/* no verdict on a node we could not read for want of memory:
			 * it is not damaged, and a compare without it would mislead */
			rc = rs_errf(err, RS_ENOMEM, "cannot read %s: %s", jobs[done].dir,
			             jobs[done].err.msg);
		} else if (jobs[done].rc != RS_OK) {
			const char *base = strrchr(jobs[done].dir, '/');

			memset(c, 0, sizeof(*c));
			strlcpy(c->name, base ? base + 1 : jobs[done].dir, sizeof(c->name));
			strlcpy(c->origin, jobs[done].dir, sizeof(c->origin));
			(void)snprintf(c->error, sizeof(c->error), "cannot be read: %.500s",
			               jobs[done].err.msg);
		} else if (rs_cmp_from_node(c, &jobs[done].node) != RS_OK) {
			rc = rs_errf(err, RS_ENOMEM, "out of memory");
		}
	}
	/* the nodes filled before a failure are freed: all or nothing */
	for (size_t j = 0; rc != RS_OK && j < done; j++)
		rs_cmp_node_free(&out[j]);
	for (size_t j = 0; j < n; j++)
		rs_node_free(&jobs[j].node);
	free(jobs);
	return rc;
}

void rs_cmp_add_unusable(struct rs_cmp_node *c, const char *name, const char *problem)
{
	if (c->snap_unusable++ == 0)
		(void)snprintf(c->snap_unusable_why, sizeof(c->snap_unusable_why), "%.250s: %.380s",
		               name, problem);
}

void rs_cmp_node_free(struct rs_cmp_node *c)
{
	rs_config_free(&c->config);
}

int rs_cmp_term_at(const struct rs_cmp_node *c, uint64_t index, uint64_t *term)
{
	const struct rs_terms *t = &c->terms;
	size_t lo = 0, hi;

	if (!t->valid || t->n == 0 || c->last_index == 0 || index < c->first_index ||
	    index > c->last_index || index < t->v[0].index)
		return 0;
	/* the last start at or below index (binary search over the starts) */
	hi = t->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].index <= index)
			lo = mid;
		else
			hi = mid;
	}
	*term = t->v[lo].term;
	return 1;
}

/* Whether op-conductor can start the node at all; why not, in `why`.
 * The same judgements as raft verify (raftstate/verify.c): the log's start
 * must be reached by the restored snapshot (rs_log_start_uncovered), and
 * the newest snapshot's state.bin must restore when the node holds
 * op-conductor data. */
static int invalid(const struct rs_cmp_node *c, char *why, size_t size)
{
	if (c->error[0] != 0) {
		(void)snprintf(why, size, "%s", c->error);
		return 1;
	}
	if (c->last_index > 0 &&
	    rs_log_start_uncovered(c->first_index, c->has_snapshot, c->snap_index)) {
		(void)snprintf(why, size,
		               "its log starts at index %llu but no usable snapshot covers index "
		               "%llu: raft panics (log not found) when it starts (run raft verify)",
		               (unsigned long long)c->first_index,
		               (unsigned long long)(c->first_index - 1));
		return 1;
	}
	if (c->snap_state == RS_SNAP_STATE_BAD || c->snap_state == RS_SNAP_STATE_UNREAD) {
		(void)snprintf(why, size,
		               "op-conductor cannot restore its newest snapshot's state.bin, so it "
		               "does not start (run raft verify)");
		return 1;
	}
	return 0;
}

struct rs_last_entry rs_cmp_last(const struct rs_cmp_node *c)
{
	return rs_rule_last_entry(c->last_index, c->last_term, c->has_snapshot, c->snap_index,
	                          c->snap_term);
}

int rs_cmp_candidate(const struct rs_cmp_node *c)
{
	return rs_rule_can_campaign(&c->config, c->name, strlen(c->name));
}

/* The term at `index`: the snapshot's at its own index, else the log's. */
static int known_term(const struct rs_cmp_node *c, uint64_t index, uint64_t *term)
{
	if (c->has_snapshot && index == c->snap_index) {
		*term = c->snap_term;
		return 1;
	}
	return rs_cmp_term_at(c, index, term);
}

/* The lowest index of the top of the node's history where known_term
 * answers for every index up to its last entry (UINT64_MAX: none): its log
 * from the first recorded term start, joined by the snapshot when that ends
 * right before it; a last entry that is the snapshot's is that alone (an
 * older log below it may have gaps, raft never reads it). */
static uint64_t known_from(const struct rs_cmp_node *c)
{
	struct rs_last_entry l = rs_cmp_last(c);
	uint64_t lo;

	if (l.from_snapshot)
		return c->snap_index;
	if (!c->terms.valid || c->terms.n == 0 || c->last_index == 0)
		return UINT64_MAX;
	lo = c->terms.v[0].index;
	if (c->has_snapshot && c->snap_index < lo && c->snap_index + 1 == lo)
		lo = c->snap_index;
	return lo;
}

/* Below this index the node holds nothing to match: known_from, or its
 * first log index when no term starts were recorded. */
static uint64_t reach(const struct rs_cmp_node *c)
{
	uint64_t k = known_from(c);

	return k != UINT64_MAX ? k : c->first_index;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void match(const struct rs_cmp_node *a, const struct rs_cmp_node *src, struct rs_cmp_pair *p)
{
	struct rs_last_entry la = rs_cmp_last(a), ls = rs_cmp_last(src);
	uint64_t lo, hi, ta, ts, floor = 0;

	if (la.index == ls.index && la.term == ls.term) {
		/* equal (index, term) at the end: equal logs (log matching) */
		p->relation = RS_REL_SAME;
		p->common = la.index;
		return;
	}
	/* both agree up to the lower snapshot index: committed entries
	 * (raftrules.h, committed prefix) */
	if (a->has_snapshot && src->has_snapshot)
		floor = a->snap_index < src->snap_index ? a->snap_index : src->snap_index;
	if (la.index == 0 || ls.index == 0 || la.index < reach(src) || ls.index < reach(a)) {
		p->relation = RS_REL_NO_OVERLAP;
		p->behind = ls.index > la.index ? ls.index - la.index : 0;
		return;
	}
	if (la.index <= floor || ls.index <= floor) {
		p->common = la.index < ls.index ? la.index : ls.index;
	} else {
		lo = max_u64(floor + 1, max_u64(known_from(a), known_from(src)));
		hi = la.index < ls.index ? la.index : ls.index;
		if (lo > hi || !known_term(a, lo, &ta) || !known_term(src, lo, &ts)) {
			p->relation = RS_REL_UNKNOWN;
			return;
		}
		if (ta != ts) {
			/* they differ already at the first comparable index */
			p->common = lo - 1;
		} else {
			/* largest i in [lo, hi] with equal terms: agreement is a prefix */
			uint64_t good = lo, bad = hi + 1;

			while (bad - good > 1) {
				uint64_t mid = good + (bad - good) / 2;

				if (!known_term(a, mid, &ta) || !known_term(src, mid, &ts)) {
					p->relation = RS_REL_UNKNOWN;
					return;
				}
				if (ta == ts)
					good = mid;
				else
					bad = mid;
			}
			p->common = good;
		}
	}
	if (p->common == la.index) {
		p->relation = RS_REL_BEHIND;
		p->behind = ls.index - la.index;
		return;
	}
	if (p->common == ls.index) {
		p->relation = RS_REL_AHEAD;
		p->ahead = la.index - ls.index;
		return;
	}
	p->relation = RS_REL_DIVERGED;
	p->discard_from = p->common + 1;
	p->discard_to = la.index;
	(void)known_term(a, p->discard_from, &p->its_term);
	(void)known_term(src, p->discard_from, &p->source_term);
}

/* Recovery: whether the valid voters here can elect the source by
 * themselves, and the term a recovery must use on every survivor (recover
 * refuses one at or below a node's CurrentTerm or last term). */
static void recovery(const struct rs_cmp_node *v, size_t n, struct rs_cmp_result *r)
{
	uint64_t top = 0;

	for (size_t i = 0; i < n; i++) {
		struct rs_last_entry l = rs_cmp_last(&v[i]);

		if (v[i].error[0] != 0)
			continue;
		top = max_u64(top, max_u64(v[i].current_term, max_u64(v[i].vote_term, l.term)));
		top = max_u64(top, v[i].last_term);
	}
	r->recover_term = top < UINT64_MAX ? top + 1 : top;
	if (!r->has_source) {
		r->recovery_needed = 1;
		return;
	}
	r->voters = rs_rule_voters(&v[r->source].config);
	r->quorum = rs_rule_quorum(r->voters);
	for (size_t i = 0; i < n; i++)
		if (r->pairs[i].relation != RS_REL_INVALID && r->pairs[i].candidate &&
		    rs_rule_can_campaign(&v[r->source].config, v[i].name, strlen(v[i].name)))
			r->voters_present++;
	r->recovery_needed = r->voters_present < r->quorum;
}

/* A diverged node whose unsafe head is on its discarded tail (head_lost):
 * the node holding that block number with another hash (the reference
 * first). */
static void head_conflict(const struct rs_cmp_node *v, size_t n, size_t i, struct rs_cmp_result *r)
{
	struct rs_cmp_pair *p = &r->pairs[i];
	const struct rs_block *h = &v[i].head;

	p->head_lost = p->relation == RS_REL_DIVERGED && h->found && h->source == RS_BLOCK_LOG &&
	               h->entry_index >= p->discard_from;
	if (!p->head_lost)
		return;
	for (size_t k = 0; k <= n; k++) {
		size_t j = k == 0 ? r->ref : k - 1;

		if (j == i || !v[j].head.found || v[j].head.number != h->number ||
		    memcmp(v[j].head.hash, h->hash, 32) == 0)
			continue;
		p->head_conflict = 1;
		p->head_conflict_with = j;
		return;
	}
}

int rs_compare(const struct rs_cmp_node *v, size_t n, struct rs_cmp_result *r, struct rs_err *err)
{
	memset(r, 0, sizeof(*r));
	if (n < 1)
		return rs_errf(err, RS_EINVAL, "compare needs at least one node");
	r->pairs = calloc(n, sizeof(*r->pairs));
	r->config_differs = calloc(n, sizeof(*r->config_differs));
	if (r->pairs == NULL || r->config_differs == NULL) {
		rs_cmp_result_free(r);
		return rs_errf(err, RS_ENOMEM, "out of memory");
	}
	/* the source: the most up-to-date valid voter (only voters campaign) */
	for (size_t i = 0; i < n; i++) {
		if (invalid(&v[i], r->pairs[i].invalid_why, sizeof(r->pairs[i].invalid_why)))
			continue;
		r->pairs[i].candidate = rs_cmp_candidate(&v[i]);
		if (!r->has_ref ||
		    rs_rule_up_to_date_cmp(rs_cmp_last(&v[i]), rs_cmp_last(&v[r->ref])) > 0) {
			r->ref = i;
			r->has_ref = 1;
		}
		if (r->pairs[i].candidate &&
		    (!r->has_source ||
		     rs_rule_up_to_date_cmp(rs_cmp_last(&v[i]), rs_cmp_last(&v[r->source])) > 0)) {
			r->source = i;
			r->has_source = 1;
		}
	}
	if (r->has_source) {
		if (r->ref != r->source) {
			r->nonvoter_ahead = r->ref;
			r->has_nonvoter_ahead = 1;
		}
		r->ref = r->source;
	}
	r->consistent = r->has_source;
	for (size_t i = 0; i < n; i++) {
		struct rs_cmp_pair *p = &r->pairs[i];

		if (v[i].snap_unusable > 0) {
			r->snap_unusable = 1;
			r->consistent = 0;
		}
		if (p->invalid_why[0] != 0) {
			p->relation = RS_REL_INVALID;
			r->consistent = 0;
			continue;
		}
		if (i == r->ref) {
			p->relation = RS_REL_SOURCE;
			p->common = rs_cmp_last(&v[i]).index;
			continue;
		}
		match(&v[i], &v[r->ref], p);
		if (p->relation == RS_REL_SAME)
			r->tie = 1;
		if (p->relation == RS_REL_DIVERGED || p->relation == RS_REL_UNKNOWN ||
		    p->relation == RS_REL_AHEAD)
			r->consistent = 0;
		if (v[i].config_source != RS_CONFIG_NONE &&
		    !rs_config_same(&v[i].config, &v[r->ref].config)) {
			r->config_differs[i] = 1;
			r->config_mismatch = 1;
			r->consistent = 0;
		}
	}
	recovery(v, n, r);
	/* unsafe heads: the highest, and the same height with another hash */
	for (size_t i = 0; i < n; i++) {
		if (!v[i].head.found)
			continue;
		if (!r->has_head_high || v[i].head.number > v[r->head_high].head.number) {
			r->head_high = i;
			r->has_head_high = 1;
		}
		for (size_t j = 0; j < i && !r->reorg; j++)
			if (v[j].head.found && v[j].head.number == v[i].head.number &&
			    memcmp(v[j].head.hash, v[i].head.hash, 32) != 0) {
				r->reorg = 1;
				r->reorg_a = j;
				r->reorg_b = i;
				r->consistent = 0;
			}
	}
	for (size_t i = 0; r->has_ref && i < n; i++)
		head_conflict(v, n, i, r);
	return RS_OK;
}

void rs_cmp_result_free(struct rs_cmp_result *r)
{
	free(r->pairs);
	free(r->config_differs);
	memset(r, 0, sizeof(*r));
}
