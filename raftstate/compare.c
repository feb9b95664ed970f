/*
 * The comparison (compare.h): everything here works on the facts each node
 * already carries (term starts, last index and term, head, configuration),
 * so it costs the same for directories and for `info --json` documents and
 * reads no log entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "raftstate/compare.h"

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

/* Raft's up-to-date rule (raft.go requestVote: lastLogTerm, then lastLogIndex). */
static int more_up_to_date(const struct rs_cmp_node *a, const struct rs_cmp_node *b)
{
	if (a->last_term != b->last_term)
		return a->last_term > b->last_term;
	return a->last_index > b->last_index;
}

static void match(const struct rs_cmp_node *a, const struct rs_cmp_node *src, struct rs_cmp_pair *p)
{
	uint64_t lo, hi, ta, ts, known;

	memset(p, 0, sizeof(*p));
	if (a->last_index == src->last_index && a->last_term == src->last_term) {
		/* equal (index, term) at the end: equal logs (log matching) */
		p->relation = RS_REL_SAME;
		p->common = a->last_index;
		return;
	}
	if (a->last_index == 0 || src->last_index == 0 || a->last_index < src->first_index ||
	    src->last_index < a->first_index) {
		p->relation = RS_REL_NO_OVERLAP;
		p->behind = src->last_index > a->last_index ? src->last_index - a->last_index : 0;
		return;
	}
	lo = a->first_index > src->first_index ? a->first_index : src->first_index;
	hi = a->last_index < src->last_index ? a->last_index : src->last_index;
	/* only indexes whose terms both nodes recorded can be compared */
	known = UINT64_MAX;
	if (a->terms.n > 0 && src->terms.n > 0)
		known = a->terms.v[0].index > src->terms.v[0].index ? a->terms.v[0].index
		                                                    : src->terms.v[0].index;
	if (known > lo)
		lo = known;
	if (lo > hi || !rs_cmp_term_at(a, lo, &ta) || !rs_cmp_term_at(src, lo, &ts)) {
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

			if (!rs_cmp_term_at(a, mid, &ta) || !rs_cmp_term_at(src, mid, &ts)) {
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
	if (p->common == a->last_index) {
		p->relation = RS_REL_BEHIND;
		p->behind = src->last_index - a->last_index;
		return;
	}
	p->relation = RS_REL_DIVERGED;
	p->discard_from = p->common + 1;
	p->discard_to = a->last_index;
	(void)rs_cmp_term_at(a, p->discard_from, &p->its_term);
	(void)rs_cmp_term_at(src, p->discard_from, &p->source_term);
}

int rs_compare(const struct rs_cmp_node *v, size_t n, struct rs_cmp_result *r, struct rs_err *err)
{
	memset(r, 0, sizeof(*r));
	if (n < 2)
		return rs_errf(err, RS_EINVAL, "compare needs at least two nodes, got %zu", n);
	r->pairs = calloc(n, sizeof(*r->pairs));
	r->config_differs = calloc(n, sizeof(*r->config_differs));
	if (r->pairs == NULL || r->config_differs == NULL) {
		rs_cmp_result_free(r);
		return rs_errf(err, RS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (invalid(&v[i], r->pairs[i].invalid_why, sizeof(r->pairs[i].invalid_why)))
			continue;
		if (!r->has_source || more_up_to_date(&v[i], &v[r->source])) {
			r->source = i;
			r->has_source = 1;
		}
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
		if (i == r->source) {
			p->relation = RS_REL_SOURCE;
			p->common = v[i].last_index;
			continue;
		}
		match(&v[i], &v[r->source], p);
		if (p->relation == RS_REL_SAME)
			r->tie = 1;
		if (p->relation == RS_REL_DIVERGED || p->relation == RS_REL_UNKNOWN)
			r->consistent = 0;
		if (v[i].config_source != RS_CONFIG_NONE &&
		    !rs_config_same(&v[i].config, &v[r->source].config)) {
			r->config_differs[i] = 1;
			r->config_mismatch = 1;
			r->consistent = 0;
		}
	}
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
	return RS_OK;
}

void rs_cmp_result_free(struct rs_cmp_result *r)
{
	free(r->pairs);
	free(r->config_differs);
	memset(r, 0, sizeof(*r));
}
