/*
 * info: what an operator needs on one screen, without reading a multi-GB
 * log. Reads the stable keys, the first and last log keys (a descent of the
 * tree each), the snapshots' meta.json, and then walks the log backwards
 * from the newest entry only as far as raft itself would need to: to the
 * newest configuration entry, or to the newest snapshot's index (older
 * entries are covered by the snapshot). `full` counts every entry instead.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <bsd/string.h>

#include "bolt/cursor.h"
#include "bolt/leafread.h"
#include "bolt/view.h"
#include "raftstate/node.h"
#include "raftstate/nodedir.h"
#include "raftstate/path.h"
#include "raftstate/stable.h"
#include "raftstate/summary.h"

static int open_view(const struct rs_node *n, const char *file, const struct rs_summary_opts *o,
                     struct bolt_view **v, struct rs_err *err)
{
	char path[4352];
	struct bolt_err be = {0};

	(void)rs_path_join(path, sizeof(path), n->dir, file);
	if (bolt_view_open(path, o->live ? BOLT_VIEW_LIVE : BOLT_VIEW_LOCKED, o->lock_timeout, v,
	                   &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	return RS_OK;
}

static int read_u64(const struct bolt_view *v, const struct bolt_vbucket *b, const char *key,
                    uint64_t *val, int *has, struct rs_err *err)
{
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	struct bolt_err be = {0};

	bolt_cursor_init(&c, v, b);
	if (bolt_cursor_seek(&c, key, strlen(key), &e, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	if (e.key == NULL || e.klen != strlen(key) || memcmp(e.key, key, e.klen) != 0)
		return RS_OK;
	if (e.vlen != 8)
		return rs_errf(err, RS_ECORRUPT, "%s holds %u bytes, not 8", key, e.vlen);
	*val = rs_be64(e.value);
	*has = 1;
	return RS_OK;
}

/* One read of the stable keys through v; the caller rechecks v after it. */
static int walk_stable(struct rs_node *n, const struct bolt_view *v, struct rs_err *err)
{
	struct bolt_vbucket conf;
	struct bolt_err be = {0};
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	int rc;

	n->has_current_term = n->has_last_vote_term = n->has_last_vote_cand = 0;
	if (bolt_view_bucket(v, NULL, RS_BUCKET_CONF, 4, &conf, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	if ((rc = read_u64(v, &conf, RS_KEY_CURRENT_TERM, &n->current_term, &n->has_current_term,
	                   err)) != RS_OK ||
	    (rc = read_u64(v, &conf, RS_KEY_LAST_VOTE_TERM, &n->last_vote_term,
	                   &n->has_last_vote_term, err)) != RS_OK)
		return rc;
	bolt_cursor_init(&c, v, &conf);
	if (bolt_cursor_seek(&c, RS_KEY_LAST_VOTE_CAND, strlen(RS_KEY_LAST_VOTE_CAND), &e, &be) !=
	    BOLT_OK)
		return rs_err_from_bolt(err, &be);
	if (e.key != NULL && e.klen == strlen(RS_KEY_LAST_VOTE_CAND) &&
	    memcmp(e.key, RS_KEY_LAST_VOTE_CAND, e.klen) == 0) {
		size_t k =
		    e.vlen < sizeof(n->last_vote_cand) - 1 ? e.vlen : sizeof(n->last_vote_cand) - 1;

		memcpy(n->last_vote_cand, e.value, k);
		n->last_vote_cand[k] = 0;
		n->last_vote_cand_len = e.vlen;
		n->has_last_vote_cand = 1;
	}
	return RS_OK;
}

static int read_stable(struct rs_node *n, const struct rs_summary_opts *o, struct rs_err *err)
{
	struct bolt_view *v = NULL;
	struct bolt_err why = {0};
	int rc, recheck, settled;

	for (int attempt = 0;; attempt++) {
		if ((rc = open_view(n, RS_STABLE_FILE, o, &v, err)) != RS_OK)
			return rc;
		rs_file_info_fill(&n->stable_file, v);
		rc = walk_stable(n, v, err);
		recheck = bolt_view_recheck(v, &why);
		bolt_view_close(v);
		if ((settled = rs_live_settled(recheck, &why, attempt, err)) != RS_LIVE_AGAIN)
			return settled == RS_OK ? rc : settled;
	}
}

static int key_index(const struct bolt_elem *e, uint64_t *index, struct rs_err *err)
{
	if (e->klen != 8)
		return rs_errf(err, RS_ECORRUPT, "bucket logs holds a %u-byte key", e->klen);
	*index = rs_be64(e->key);
	return RS_OK;
}

/* What the scan needs to know about the snapshot boundary: raft reads only
 * the entries after the newest snapshot's index when it starts. */
struct scan {
	int has_snap;
	uint64_t snap_index;
	uint64_t head_scan; /* LogCommand entries to read newest first (0: all) */
	int full;
	int config_done;
	uint64_t lowest; /* lowest index read after the snapshot index */
	int read_after;  /* 1: lowest is set */
	const struct bolt_view *view;
	struct rs_scratch *copy; /* live reads decode a copy (rs_log_decode_at) */
	struct cand *cands;      /* entries past the head_scan newest (head_rest) */
	size_t ncands, capcands;
	int partial; /* the head and newest not-a-payload hold numbers only (fast scan) */
};

static int cand_add(struct scan *sc, uint64_t index, uint64_t number, struct rs_err *err);
static uint64_t payload_number(const uint8_t *d, size_t avail, size_t len, int *k);

static int after_snapshot(const struct scan *sc, uint64_t index)
{
	return !sc->has_snap || index > sc->snap_index;
}

/* What one entry gives the scan: from its mapped value (count_entry, with
 * the decoded log at hand), or from its first and last bytes read by pread
 * (the fast scan, summary_fast below: numbers only). */
struct fact {
	uint64_t index, data_len;
	uint64_t number;    /* the payload's block number (form ENVELOPE or LEGACY) */
	uint64_t peek;      /* payload_number of the data, when k == 1 */
	uint64_t head_peek; /* peek_value of the value's first bytes, when head_k == 1 */
	bolt_pgid leaf;     /* where it is: leaf page, element */
	uint32_t elem;
	int k;
	uint8_t type;
	int8_t decided; /* fast scan: 0 when the mapped value must decide (count_entry) */
	int8_t form;    /* rs_payload_decode of a LogCommand's data (FORM_LATER: not yet,
	                 * read through the mapping: done when the scan reads it in full) */
	int8_t head_k;
};

/* Whether the scan reads this entry's payload in full (offers it as the
 * head) rather than by its block number only. */
static int reads_in_full(const struct rs_node *n, const struct scan *sc, uint64_t type, int after)
{
	return type == RS_LOG_COMMAND && after && (sc->full || n->head.commands < sc->head_scan);
}

/* One decoded entry of the scan: types, configuration, unsafe head. log is
 * the entry decoded (its data at hand), or NULL for a fact of the fast scan,
 * which is never a configuration. */
static int account(struct rs_node *n, struct scan *sc, const struct fact *f,
                   const struct rs_log *log, struct rs_err *err)
{
	struct rs_err derr = {0};
	uint64_t index = f->index;
	int rc, after;

	n->data_bytes += f->data_len;
	n->types[f->type < RS_LOG_TYPE_COUNT ? f->type : RS_LOG_TYPE_COUNT]++;
	after = after_snapshot(sc, index);
	/* the head's range: every entry after the snapshot index is read for it */
	if (after && (!sc->read_after || index < sc->lowest)) {
		sc->lowest = index;
		sc->read_after = 1;
	}
	if (f->type == RS_LOG_COMMAND && after && !reads_in_full(n, sc, f->type, after)) {
		/* past the newest head_scan: a candidate for head_resolve */
		int k = f->k;
		uint64_t number = f->peek;

		if (log != NULL)
			number = payload_number(log->data, log->data_len, log->data_len, &k);
		n->head.peeked++;
		if (k == 1 && (rc = cand_add(sc, index, number, err)) != RS_OK)
			return rc;
	} else if (f->type == RS_LOG_COMMAND && after && log != NULL) {
		struct rs_block b;
		char why[240];
		int form = rs_payload_decode(log->data, log->data_len, &b, why, sizeof(why));

		rs_node_head_offer(n, form, &b, why, index, !sc->full);
	} else if (f->type == RS_LOG_COMMAND && after) {
		/* the number only: head_fill decodes the winner and the newest
		 * not-a-payload again for the rest */
		struct rs_block b = {
		    .found = f->form != RS_PAYLOAD_NONE, .form = f->form, .number = f->number};

		rs_node_head_offer(n, f->form, &b, "", index, !sc->full);
		sc->partial = 1;
	}
	if (log != NULL && log->type == RS_LOG_CONFIGURATION && !sc->config_done) {
		struct rs_config cfg = {0};

		int drc = rs_config_decode(log->data, log->data_len, &cfg, &derr);

		if (drc == RS_ENOMEM) /* not the entry's fault: the answer would be wrong */
			return rs_errf(err, RS_ENOMEM, "%s", derr.msg);
		if (drc != RS_OK)
			return RS_OK;
		if (after) {
			/* newest first, the first found wins; oldest first, the last */
			rs_config_free(&n->config);
			n->config = cfg;
			n->config_source = RS_CONFIG_LOG;
			n->config_index = index;
			sc->config_done = !sc->full;
		} else {
			/* raft never reads it at start; kept to say so */
			const struct rs_snapshot *snap = rs_node_newest_snapshot(n);

			n->shadowed_config = 1;
			n->shadowed_index = index;
			n->shadowed_differs = snap != NULL && !rs_config_same(&cfg, &snap->config);
			rs_config_free(&cfg);
		}
	}
	return RS_OK;
}

/* One entry of the scan, from its mapped value. */
static int count_entry(struct rs_node *n, const struct bolt_elem *e, struct scan *sc,
                       struct rs_err *err)
{
	struct rs_log log;
	struct rs_err derr = {0};
	struct fact f = {0};
	int rc;

	if ((rc = key_index(e, &f.index, err)) != RS_OK)
		return rc;
	n->scanned++;
	if ((rc = rs_log_decode_at(sc->view, e, 0, sc->copy, &log, &derr)) != RS_OK) {
		if (rc == RS_ENOMEM)
			return rs_errf(err, rc, "%s", derr.msg);
		n->types[RS_LOG_TYPE_COUNT]++;
		return RS_OK;
	}
	f.type = log.type;
	f.data_len = log.data_len;
	return account(n, sc, &f, &log, err);
}

/* ---- the unsafe head beyond the entries read in full ----------------------
 *
 * op-conductor's FSM holds the highest block number of every entry after the
 * snapshot index (the first of equals), so the head is a maximum over all of
 * them, and on op-conductor's shape (a snapshot every --raft.snapshot-threshold
 * = 8192 entries of ~50 KB) that is thousands of entries. Past the newest
 * head_scan commands, each entry is read only as far as its block number: the
 * first bytes of the value (the canonical msgpack up to Data, rs_log_peek_data)
 * and the SSZ fields at fixed offsets (payload.h). An entry whose extra_data
 * offset is not V3's or V4's fixed size cannot be applied (Apply decodes V4,
 * then V3, each requires it); the others are candidates, decoded in full, the
 * highest number first (the oldest of equals), until one is a LogCommand
 * payload Apply accepts: that is the head, unless the snapshot's is as high. */
#define PEEK_BYTES 640 /* msgpack up to Data (<= 40 bytes) + the SSZ fields read */

struct cand {
	uint64_t number, index;
};

static int cand_order(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->number != y->number)
		return x->number > y->number ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The block number of the envelope d (len bytes, avail of them readable)
 * with *k = 1 when Apply may accept it, *k = 0 when it cannot (too short, or
 * an extra_data offset neither V3's nor V4's fixed size), *k = -1 when the
 * bytes needed are not within avail. */
static uint64_t payload_number(const uint8_t *d, size_t avail, size_t len, int *k)
{
	const size_t fix = RS_PAYLOAD_BEACON_ROOT + 436; /* the extra_data offset field */
	uint64_t number = 0;
	uint32_t fixed;

	*k = 0;
	if (len < RS_PAYLOAD_BEACON_ROOT + rs_payload_fixed_size(3))
		return 0;
	if (avail < fix + 4) {
		*k = -1;
		return 0;
	}
	fixed = (uint32_t)d[fix] | (uint32_t)d[fix + 1] << 8 | (uint32_t)d[fix + 2] << 16 |
	        (uint32_t)d[fix + 3] << 24;
	if (fixed != rs_payload_fixed_size(3) && fixed != rs_payload_fixed_size(4))
		return 0;
	for (int i = 7; i >= 0; i--)
		number = number << 8 | d[RS_PAYLOAD_BEACON_ROOT + 404 + i];
	*k = 1;
	return number;
}

/* 1 and *number when a value of vlen bytes whose first avail = min(vlen,
 * PEEK_BYTES) bytes are p may hold a V3/V4 envelope, 0 when Apply cannot
 * accept it, -1 when that cannot be told from those bytes (not the canonical
 * layout: decode it in full). */
static int peek_value(const uint8_t *p, size_t avail, size_t vlen, uint64_t *number)
{
	size_t off = 0, len = 0;
	int k = 0;

	if (avail == 0)
		return 0;
	if (rs_log_peek_data(p, avail, vlen, &off, &len) != 0)
		return -1;
	*number = payload_number(p + off, avail - off, len, &k);
	return k;
}

/* peek_value of the mapped value e. The bytes used are copied once first: a
 * live view may change under us. */
static int peek_number(const struct bolt_elem *e, uint64_t *number)
{
	uint8_t buf[PEEK_BYTES];
	size_t avail = e->vlen < sizeof(buf) ? e->vlen : sizeof(buf);

	memcpy(buf, e->value, avail);
	return peek_value(buf, avail, e->vlen, number);
}

static int cand_add(struct scan *sc, uint64_t index, uint64_t number, struct rs_err *err)
{
	if (sc->ncands == sc->capcands) {
		size_t ncap = sc->capcands ? sc->capcands * 2 : 1024;
		struct cand *v = reallocarray(sc->cands, ncap, sizeof(*v));

		if (v == NULL)
			return rs_errf(err, RS_ENOMEM, "out of memory reading the unsafe head");
		sc->cands = v;
		sc->capcands = ncap;
	}
	sc->cands[sc->ncands].number = number;
	sc->cands[sc->ncands++].index = index;
	return RS_OK;
}

/* Full decode of the entry at `index`: *ok = 1 and *b when it is a
 * LogCommand holding a payload Apply accepts. */
static int accepted_at(struct bolt_cursor *c, struct scan *sc, uint64_t index, int *ok,
                       struct rs_block *b, struct rs_err *err)
{
	struct bolt_elem e = {0};
	struct bolt_err be = {0};
	struct rs_err derr = {0};
	struct rs_log log;
	uint8_t key[8];
	int rc;

	*ok = 0;
	for (int i = 7; i >= 0; i--)
		key[7 - i] = (uint8_t)(index >> (8 * i));
	if (bolt_cursor_seek(c, key, 8, &e, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	if (e.key == NULL || e.klen != 8 || memcmp(e.key, key, 8) != 0)
		return RS_OK;
	if ((rc = rs_log_decode_at(sc->view, &e, 0, sc->copy, &log, &derr)) != RS_OK)
		return rc == RS_ENOMEM ? rs_errf(err, rc, "%s", derr.msg) : RS_OK;
	*ok = log.type == RS_LOG_COMMAND &&
	      rs_payload_decode(log.data, log.data_len, b, NULL, 0) == RS_PAYLOAD_ENVELOPE;
	return RS_OK;
}

/* From e (not read yet) back to the snapshot index, block numbers only. */
static int head_rest(struct rs_node *n, struct scan *sc, struct bolt_cursor *c, struct bolt_elem *e,
                     uint64_t *steps, uint64_t max_steps, struct rs_err *err)
{
	struct bolt_err be = {0};
	uint64_t index = 0, number = 0; /* key_index sets index; gcc -O3 cannot see that */
	int rc, k;

	for (; e->key != NULL && (*steps)++ < max_steps;) {
		if ((rc = key_index(e, &index, err)) != RS_OK)
			return rc;
		if (!after_snapshot(sc, index))
			break;
		if (!sc->read_after || index < sc->lowest) {
			sc->lowest = index;
			sc->read_after = 1;
		}
		n->head.peeked++;
		/* not in the canonical layout: sorted first, decoded in full */
		if ((k = peek_number(e, &number)) != 0 &&
		    (rc = cand_add(sc, index, k == 1 ? number : UINT64_MAX, err)) != RS_OK)
			return rc;
		if (bolt_cursor_prev(c, e, &be) != BOLT_OK)
			return rs_err_from_bolt(err, &be);
	}
	return RS_OK;
}

/* The candidates, highest first: the first Apply accepts is the head, unless
 * the newest entries' is higher (it is the first of equals: they are older). */
static int head_resolve(struct rs_node *n, struct scan *sc, struct bolt_cursor *c,
                        struct rs_err *err)
{
	struct rs_head *h = &n->head;
	struct cand *v = sc->cands;
	int rc, ok;

	/* the walk below mostly ends at the highest candidate: found in one
	 * pass; the others are sorted only when it goes on (the order is a
	 * total one: indexes differ) */
	if (sc->ncands > 1) {
		size_t best = 0;
		struct cand t;

		for (size_t i = 1; i < sc->ncands; i++)
			if (cand_order(&v[i], &v[best]) < 0)
				best = i;
		t = v[0], v[0] = v[best], v[best] = t;
	}
	for (size_t i = 0; i < sc->ncands; i++) {
		struct rs_block b;

		if (i == 1)
			qsort(v + 1, sc->ncands - 1, sizeof(*v), cand_order);

		if (v[i].number != UINT64_MAX && h->block.found && v[i].number < h->block.number)
			break; /* the head found so far is higher than every candidate left */
		if ((rc = accepted_at(c, sc, v[i].index, &ok, &b, err)) != RS_OK)
			return rc;
		if (!ok)
			continue;
		if (!h->block.found || b.number > h->block.number ||
		    (b.number == h->block.number && v[i].index < h->block.entry_index)) {
			b.source = RS_BLOCK_LOG;
			b.entry_index = v[i].index;
			h->block = b;
		}
		if (v[i].number != UINT64_MAX)
			break; /* no candidate after it is higher, or as high and older */
	}
	return RS_OK;
}

/* ---- the fast scan -----------------------------------------------------
 *
 * The same scan (count_entry, head_rest) from the entries' first and last
 * bytes only, read by pread on two threads (bolt/leafread.h): on
 * op-conductor's shape (~50 KB entries, 8192 after the snapshot) reading
 * them through the mapping costs two page faults an entry and most of the
 * time. Each thread turns its share of the leaves into facts (struct fact)
 * in key order; this thread then plays them back newest first exactly as the
 * scan above would meet them. An entry whose bytes at hand do not decide it
 * (not the canonical layout, a configuration, a payload read past the head)
 * is decided from its mapped value by count_entry itself. Anything the facts
 * cannot answer as the scan would (a key that is not 8 bytes, a tree the
 * leaf reader does not accept, entries after the snapshot index in leaves
 * before the ones read) sends the whole read back to the scan above: the
 * answer is always the scan's.
 */
#define FAST_HEAD                                                                                  \
	768             /* value bytes from the start: msgpack to Data, the payload's              \
	                   fixed part, extra data, a table of ~40 transactions */
#define FAST_TAIL    64 /* from the end: Extensions (nil), Index, Term, Type */
#define FAST_THREADS 2
#define FAST_SPLIT   64     /* leaves below which one thread reads them all */
#define FAST_NO      (-100) /* summary_fast: run the scan above instead */
#define FORM_LATER   (-2)
/* Facts a thread keeps at most (64 bytes each: 2 MiB, 3 MiB while the array
 * grows; FAST_THREADS of them); a log with more entries
 * after the snapshot index (a node whose snapshots fail) is read the old way,
 * in bounded memory. */
#define FAST_MAX_FACTS ((size_t)1 << 15)

struct fast_part {
	const struct bolt_leaves *leaves;
	size_t count_from, count_to; /* leaves only counted */
	size_t read_from, read_to;   /* leaves read for facts */
	uint64_t counted;
	struct fact *facts;
	size_t nfacts, cap;
	bolt_pgid leaf;
	uint32_t elem;
	int mapped; /* the leaf in hand is read through the mapping */
	int rc;     /* BOLT_OK, a bolt code, or 1: a key that is not 8 bytes, 2: no memory,
	             * 3: more than FAST_MAX_FACTS entries */
	struct bolt_err be;
	struct bolt_leafreader r;
};

/* The fact of one element (a bolt_leaf_fn). */
static int fact_of(void *ctx, const struct bolt_leaf_elem *e)
{
	struct fast_part *w = ctx;
	struct rs_err derr = {0};
	struct rs_log log;
	struct rs_block b;
	struct fact *f;
	size_t have;

	if (w->nfacts >= FAST_MAX_FACTS)
		return 3;
	if (w->nfacts == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 1024;
		struct fact *v = reallocarray(w->facts, ncap, sizeof(*v));

		if (v == NULL)
			return 2;
		w->facts = v;
		w->cap = ncap;
	}
	f = &w->facts[w->nfacts++];
	memset(f, 0, sizeof(*f));
	f->leaf = w->leaf;
	f->elem = w->elem++;
	if (e->klen != 8)
		return 1;
	f->index = rs_be64(e->key);
	/* hlen >= min(vlen, PEEK_BYTES): leafread gives FAST_HEAD or all */
	f->head_k = peek_value(e->head, e->vlen < PEEK_BYTES ? e->vlen : PEEK_BYTES, e->vlen,
	                       &f->head_peek);
	if (e->hlen == e->vlen
	        ? rs_log_decode(e->head, e->vlen, &log, &derr) != RS_OK
	        : rs_log_decode_split(e->head, e->hlen, e->tail, e->tlen, e->vlen, &log) != 0)
		return 0; /* undecided: count_entry decides */
	if (log.type == RS_LOG_CONFIGURATION)
		return 0;
	f->type = log.type;
	f->data_len = log.data_len;
	if (log.type == RS_LOG_COMMAND) {
		const uint8_t *d = log.data;

		have = d == NULL ? 0 : (size_t)(e->head + e->hlen - d);
		if (have > log.data_len)
			have = log.data_len;
		/* through the mapping, the payload's other fields would be first
		 * touches of memory for every entry: the newest ones read in full
		 * are decoded when played back */
		f->form = w->mapped ? FORM_LATER
		                    : rs_payload_decode_prefix(d, have, log.data_len, &b, NULL, 0);
		f->peek = payload_number(d, have, log.data_len, &f->k);
		if (f->form == RS_PAYLOAD_MORE || f->k < 0) {
			/* a long transaction table: the whole data */
			if (bolt_leafreader_bytes(&w->r, e->voff + (uint64_t)(d - e->head),
			                          log.data_len, &d, &w->be) != BOLT_OK)
				return 0;
			f->form = rs_payload_decode(d, log.data_len, &b, NULL, 0);
			f->peek = payload_number(d, log.data_len, log.data_len, &f->k);
		}
		if (f->form != RS_PAYLOAD_NONE && f->form != FORM_LATER)
			f->number = b.number;
	}
	f->decided = 1;
	return 0;
}

/* Once a read finds the file not cached (r.cold), the leaves ahead are
 * asked for early, so that the device reads many at once: their first pages
 * FAST_AHEAD leaves ahead, the rest of what a leaf read takes (known from
 * its first page) FAST_AHEAD / 2 ahead. */
#define FAST_AHEAD 128
/* pread or the mapping: which is cheaper depends on how the page cache
 * holds the file (page by page: a fault costs more than a pread; in large
 * folios: far less), which nothing tells; so the first FAST_PROBE leaves
 * of a thread are read by pread, the next FAST_PROBE through the mapping
 * (a locked view only), and the cheaper reads the rest. Cheaper is counted,
 * not timed: the probe's preads against its page faults, a fault costing
 * about FAST_FAULT_COST preads when it maps a 4 KB page (and its
 * fault-around) at a time. Timing them in CPU time, on a loaded machine,
 * often picked pread after `cat` (12 ms of CPU instead of 6); counts depend
 * only on how the file is cached. The answer is the same either way. */
#define FAST_PROBE      64
#define FAST_FAULT_COST 2

enum { VIA_PREAD, VIA_MAP };

/* Page faults of this thread so far. */
static uint64_t faults_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return UINT64_MAX; /* unknown: pread is chosen */
	return (uint64_t)ru.ru_minflt + (uint64_t)ru.ru_majflt;
}

/* How many keys leaf i of l holds, known from its parents alone, or 0 when
 * only the leaf can say. bbolt writes each child's first key as its key in
 * the branch above (node.spill, bbolt v1.3.6 node.go), so every key of leaf
 * i lies in [its key, the next leaf's key): two 8-byte keys k and k + d
 * leave room for d keys at most. And no leaf but the root holds fewer than
 * two: a split leaves minKeysPerPage (2) keys in each part (node.split,
 * splitIndex) and a leaf left with one key by deletions is merged into a
 * sibling at the commit (node.rebalance: a leaf stays alone only with more
 * than minKeys() = 1 keys); bolt/node.c does the same. So d = 1 or 2 is
 * the count. Entries of ~50 KB, op-conductor's, lie two to a leaf: the
 * leaves before the snapshot are counted without reading one of them (a
 * read each was a third of a plain info's reads with the file cached 4 KB
 * at a time, and most of them with nothing cached). A tree that breaks
 * bbolt's rules there is verify's to find. */
static uint32_t keys_known(const struct bolt_leaves *l, size_t i)
{
	uint64_t a, b;

	if (i + 1 >= l->n || l->n < 2 || l->keys[i] == NULL || l->klens[i] != 8 ||
	    l->keys[i + 1] == NULL || l->klens[i + 1] != 8)
		return 0;
	a = rs_be64(l->keys[i]);
	b = rs_be64(l->keys[i + 1]);
	return b > a && b - a <= 2 ? (uint32_t)(b - a) : 0;
}

/* One leaf (counted, or read for facts) by the way chosen. */
static int fast_leaf(struct fast_part *w, size_t i, int count_only, int via)
{
	const struct bolt_leaves *l = w->leaves;
	uint32_t count = 0;
	int rc;

	if (count_only) {
		rc = via == VIA_MAP ? bolt_leaf_count_mapped(w->r.v, l->ids[i], &count, &w->be)
		                    : bolt_leaf_count(&w->r, l->ids[i], &count, &w->be);
		w->counted += count;
		return rc;
	}
	w->leaf = l->ids[i];
	w->elem = 0;
	w->mapped = via == VIA_MAP;
	if (via == VIA_MAP)
		return bolt_leaf_read_mapped(w->r.v, l->ids[i], fact_of, w, &w->be);
	return bolt_leaf_read(&w->r, l->ids[i], i + 1 < w->read_to ? l->ids[i + 1] : 0, fact_of, w,
	                      &w->be);
}

/* Through the mapping, each entry's few bytes are cache misses (the file's
 * pages are in memory, not in the CPU's cache); asked for ahead, the misses
 * of several leaves overlap: a leaf's header PREFETCH_TABLE leaves ahead,
 * the lines fact_of reads of its values (the msgpack prefix, the block
 * number and the extra_data offset of the envelope, Term and Type at the
 * end) PREFETCH_VALUES leaves ahead. */
#define PREFETCH_TABLE  8
#define PREFETCH_VALUES 4

static void fast_prefetch(const struct fast_part *w, size_t i, size_t to, int count_only)
{
	static const int32_t at[] = {0, RS_PAYLOAD_BEACON_ROOT + 404, RS_PAYLOAD_BEACON_ROOT + 476,
	                             -48, -1};
	const struct bolt_leaves *l = w->leaves;

	if (i + PREFETCH_TABLE < to)
		bolt_leaf_prefetch_mapped(w->r.v, l->ids[i + PREFETCH_TABLE], NULL, 0);
	if (!count_only && i + PREFETCH_VALUES < to)
		bolt_leaf_prefetch_mapped(w->r.v, l->ids[i + PREFETCH_VALUES], at,
		                          sizeof(at) / sizeof(at[0]));
}

/* How a thread goes through its leaves: the way chosen, the probe. */
struct fast_way {
	int via, chosen;
	size_t done;          /* leaves read the way being probed */
	uint64_t at;          /* preads, then faults, when the way being probed began */
	uint64_t cost[2];     /* the probe's preads, its faults */
	size_t asked, valued; /* leaves asked for ahead (cold) */
};

/* Leaves [from, to) of w, counted or read. */
static void fast_range(struct fast_part *w, struct fast_way *f, size_t from, size_t to,
                       int count_only)
{
	const struct bolt_leaves *l = w->leaves;

	f->asked = f->valued = from;
	for (size_t i = from; i < to && w->rc == BOLT_OK; i++) {
		if (count_only && keys_known(l, i) != 0) {
			/* no read: not a sample of the probe either */
			w->counted += keys_known(l, i);
			continue;
		}
		if (!f->chosen && f->done == FAST_PROBE) {
			uint64_t now = f->via == VIA_MAP ? faults_now() : w->r.preads;

			f->cost[f->via] = now == UINT64_MAX ? UINT64_MAX : now - f->at;
			f->chosen = w->r.cold || f->via == VIA_MAP;
			f->via =
			    w->r.cold ||
			            (f->via == VIA_MAP &&
			             (f->cost[VIA_MAP] == UINT64_MAX ||
			              f->cost[VIA_PREAD] <= FAST_FAULT_COST * f->cost[VIA_MAP]))
			        ? VIA_PREAD
			        : VIA_MAP;
			f->at = f->via == VIA_MAP ? faults_now() : 0;
			if (f->at == UINT64_MAX)
				f->via = VIA_PREAD, f->chosen = 1;
			f->done = 0;
		}
		for (f->asked = f->asked > i ? f->asked : i;
		     w->r.cold && f->via == VIA_PREAD && f->asked < to && f->asked < i + FAST_AHEAD;
		     f->asked++)
			if (!count_only || keys_known(l, f->asked) == 0)
				bolt_leaf_willneed(&w->r, l->ids[f->asked], !count_only);
		for (f->valued = f->valued > i ? f->valued : i;
		     !count_only && w->r.cold && f->via == VIA_PREAD && f->valued < to &&
		     f->valued < i + FAST_AHEAD / 2;
		     f->valued++)
			bolt_leaf_willneed_values(&w->r, l->ids[f->valued]);
		if (f->via == VIA_MAP)
			fast_prefetch(w, i, to, count_only);
		w->rc = fast_leaf(w, i, count_only, f->via);
		f->done++;
	}
}

static void *fast_work(void *arg)
{
	struct fast_part *w = arg;
	/* pread is probed first: it finds a cold file out */
	struct fast_way f = {.via = VIA_PREAD, .chosen = w->r.v->mode != BOLT_VIEW_LOCKED};

	f.at = w->r.preads;
	fast_range(w, &f, w->count_from, w->count_to, 1);
	fast_range(w, &f, w->read_from, w->read_to, 0);
	return NULL;
}

/* The first leaf that may hold an entry after the snapshot index: the last
 * whose first key (its parent's) is at or below it. */
static size_t first_leaf(const struct bolt_leaves *l, const struct scan *sc)
{
	size_t i = l->n;

	if (!sc->has_snap)
		return 0;
	while (i > 0) {
		i--;
		if (l->keys[i] == NULL || l->klens[i] != 8 || rs_be64(l->keys[i]) <= sc->snap_index)
			return i;
	}
	return 0;
}

/* Decodes the mapped entry at `index` again: its block (*b, form) and, for
 * one that is not a payload, why. 0, or -1 when it is not there. */
static int decode_again(struct bolt_cursor *c, struct scan *sc, uint64_t index, struct rs_block *b,
                        int *form, char *why, size_t why_size)
{
	struct bolt_elem e = {0};
	struct bolt_err be = {0};
	struct rs_err derr = {0};
	struct rs_log log;
	uint8_t key[8];

	for (int i = 7; i >= 0; i--)
		key[7 - i] = (uint8_t)(index >> (8 * i));
	if (bolt_cursor_seek(c, key, 8, &e, &be) != BOLT_OK || e.key == NULL || e.klen != 8 ||
	    memcmp(e.key, key, 8) != 0 ||
	    rs_log_decode_at(sc->view, &e, 0, sc->copy, &log, &derr) != RS_OK ||
	    log.type != RS_LOG_COMMAND)
		return -1;
	*form = rs_payload_decode(log.data, log.data_len, b, why, why_size);
	return 0;
}

/* The rest of the head after a fast scan, which offered numbers only: the
 * blocks kept and the newest not-a-payload's reason, decoded again. */
static int head_fill(struct rs_node *n, struct scan *sc, struct bolt_cursor *c)
{
	struct rs_head *h = &n->head;
	struct rs_block *keep[2] = {&h->block, &h->legacy_block};
	struct rs_block b;
	int form;

	for (int i = 0; i < 2; i++) {
		if (!keep[i]->found || keep[i]->source != RS_BLOCK_LOG)
			continue;
		if (decode_again(c, sc, keep[i]->entry_index, &b, &form, NULL, 0) != 0 ||
		    form != keep[i]->form || b.number != keep[i]->number)
			return FAST_NO;
		b.source = RS_BLOCK_LOG;
		b.entry_index = keep[i]->entry_index;
		*keep[i] = b;
	}
	if (h->not_payloads > 0 && (decode_again(c, sc, h->first_bad, &b, &form, h->first_bad_why,
	                                         sizeof(h->first_bad_why)) != 0 ||
	                            form != RS_PAYLOAD_NONE))
		return FAST_NO;
	return RS_OK;
}

/* The payload of a fact read through the mapping (FORM_LATER), decoded
 * from its mapped value now. */
static int form_now(struct scan *sc, struct fact *f)
{
	const uint8_t *page;
	size_t span;
	struct bolt_elem e;
	struct bolt_err be = {0};
	struct rs_err derr = {0};
	struct rs_log log;
	struct rs_block b;

	if (bolt_view_page(sc->view, f->leaf, &page, &span, &be) != BOLT_OK ||
	    bolt_page_elem(page, span, 1, f->elem, &e) != 0 ||
	    rs_log_decode_at(sc->view, &e, 0, sc->copy, &log, &derr) != RS_OK ||
	    log.type != f->type)
		return -1;
	f->form = rs_payload_decode(log.data, log.data_len, &b, NULL, 0);
	f->number = f->form != RS_PAYLOAD_NONE ? b.number : 0;
	return 0;
}

/* Plays the facts back newest first, as walk_log_copying's loop and
 * head_rest would meet the entries. */
static int fast_replay(struct rs_node *n, struct scan *sc, struct fast_part *w, size_t start,
                       struct rs_err *err)
{
	size_t total = w[0].nfacts + w[1].nfacts, i = total;
	int stopped = 0, rc;

	while (i > 0 && !stopped) {
		const struct fact *f =
		    i - 1 < w[0].nfacts ? &w[0].facts[i - 1] : &w[1].facts[i - 1 - w[0].nfacts];

		if (!after_snapshot(sc, f->index) && n->scanned > 0) {
			stopped = 1;
			break;
		}
		if (sc->config_done && n->head.commands >= sc->head_scan) {
			/* head_rest: block numbers only */
			if (!sc->read_after || f->index < sc->lowest) {
				sc->lowest = f->index;
				sc->read_after = 1;
			}
			n->head.peeked++;
			if (f->head_k != 0 &&
			    (rc = cand_add(sc, f->index, f->head_k == 1 ? f->head_peek : UINT64_MAX,
			                   err)) != RS_OK)
				return rc;
			i--;
			continue;
		}
		if (f->decided && f->form == FORM_LATER &&
		    reads_in_full(n, sc, f->type, after_snapshot(sc, f->index))) {
			struct fact g = *f;

			if (form_now(sc, &g) != 0)
				return FAST_NO;
			n->scanned++;
			rc = account(n, sc, &g, NULL, err);
		} else if (f->decided) {
			n->scanned++;
			rc = account(n, sc, f, NULL, err);
		} else {
			const uint8_t *page;
			size_t span;
			struct bolt_elem e;
			struct bolt_err be = {0};

			if (bolt_view_page(sc->view, f->leaf, &page, &span, &be) != BOLT_OK ||
			    bolt_page_elem(page, span, 1, f->elem, &e) != 0)
				return FAST_NO;
			rc = count_entry(n, &e, sc, err);
		}
		if (rc != RS_OK)
			return rc;
		n->types_from = f->index;
		i--;
	}
	/* the scan goes on into leaves before the ones read */
	if (!stopped && start > 0)
		return FAST_NO;
	return RS_OK;
}

static int summary_fast(struct rs_node *n, struct scan *sc, const struct bolt_leaves *l,
                        struct bolt_cursor *c, int one_thread, struct rs_err *err)
{
	struct fast_part w[FAST_THREADS];
	size_t start = first_leaf(l, sc), reads = l->n - start, unknown = 0, mid;
	pthread_t t;
	int started = 0, rc;

	memset(w, 0, sizeof(w));
	for (int i = 0; i < FAST_THREADS; i++) {
		w[i].leaves = l;
		bolt_leafreader_init(&w[i].r, sc->view, FAST_HEAD, FAST_TAIL);
	}
	/* a counted leaf costs one read (none when its parents tell its
	 * count), a read leaf about two: halves */
	for (size_t i = 0; i < start; i++)
		unknown += keys_known(l, i) == 0;
	mid = l->n;
	if (reads >= FAST_SPLIT)
		mid = l->n - (unknown + 2 * reads) / 4;
	if (mid < start)
		mid = start;
	w[0].count_to = start;
	w[0].read_from = start;
	w[0].read_to = mid;
	w[1].read_from = mid;
	w[1].read_to = l->n;
	if (mid < l->n && !one_thread && pthread_create(&t, NULL, fast_work, &w[1]) == 0)
		started = 1;
	fast_work(&w[0]);
	if (started)
		(void)pthread_join(t, NULL);
	else
		fast_work(&w[1]);
	rc = FAST_NO;
	if (w[0].rc == BOLT_OK && w[1].rc == BOLT_OK) {
		rc = fast_replay(n, sc, w, start, err);
		if (rc == RS_OK)
			rc = head_resolve(n, sc, c, err);
		if (rc == RS_OK && sc->partial)
			rc = head_fill(n, sc, c);
		n->count = w[0].counted + w[0].nfacts + w[1].nfacts;
		n->scan_preads = w[0].r.preads + w[1].r.preads;
		n->scan_hints = w[0].r.hints + w[1].r.hints;
	} else if (w[0].rc == 2 || w[1].rc == 2) {
		rc = rs_errf(err, RS_ENOMEM, "out of memory reading the log");
	}
	for (int i = 0; i < FAST_THREADS; i++) {
		free(w[i].facts);
		bolt_leafreader_free(&w[i].r);
	}
	return rc;
}

/* The term of the entry at `index`, by a seek (one descent of the tree). */
static int term_at(struct bolt_cursor *c, uint64_t index, uint64_t *term)
{
	struct bolt_elem e = {0};
	struct bolt_err be = {0};
	struct rs_err derr = {0};
	struct rs_log log;
	struct rs_scratch copy = {0};
	uint8_t key[8];
	int rc = -1;

	for (int i = 7; i >= 0; i--)
		key[7 - i] = (uint8_t)(index >> (8 * i));
	if (bolt_cursor_seek(c, key, 8, &e, &be) == BOLT_OK && e.key != NULL && e.klen == 8 &&
	    memcmp(e.key, key, 8) == 0 &&
	    rs_log_decode_at(c->view, &e, 1, &copy, &log, &derr) == RS_OK) {
		*term = log.term;
		rc = 0;
	}
	rs_scratch_free(&copy);
	return rc;
}

/* Term starts in (lo, hi], newest first, by bisection: terms never decrease
 * along a raft log, so equal terms at both ends mean none in between. */
static int find_starts(struct bolt_cursor *c, uint64_t lo, uint64_t tlo, uint64_t hi, uint64_t thi,
                       struct rs_terms *t, int depth)
{
	uint64_t mid, tmid;

	if (tlo == thi || t->n >= RS_TERMS_MAX)
		return 0;
	if (depth > 70)
		return -1; /* cannot happen with 64-bit indexes: a corrupt log */
	if (hi == lo + 1) {
		t->v[t->n].index = hi;
		t->v[t->n].term = thi;
		t->n++;
		return 0;
	}
	mid = lo + (hi - lo) / 2;
	if (term_at(c, mid, &tmid) != 0)
		return -1;
	if (find_starts(c, mid, tmid, hi, thi, t, depth + 1) != 0)
		return -1;
	return find_starts(c, lo, tlo, mid, tmid, t, depth + 1);
}

/* The term starts of lo..last; lo is the first index, or (a log with gaps
 * at or below the snapshot index, where a seek finds no entry) the first
 * index NewRaft reads. */
static int find_terms(struct rs_node *n, struct bolt_cursor *c, uint64_t lo)
{
	struct rs_terms *t = &n->terms;
	uint64_t tfirst, tlast;

	memset(t, 0, sizeof(*t));
	if (term_at(c, lo, &tfirst) != 0 || term_at(c, n->last_index, &tlast) != 0)
		return -1;
	if (find_starts(c, lo, tfirst, n->last_index, tlast, t, 0) != 0) {
		t->n = 0;
		return -1;
	}
	if (t->n < RS_TERMS_MAX) {
		t->v[t->n].index = lo;
		t->v[t->n].term = tfirst;
		t->n++;
		t->complete = lo == n->first_index;
	}
	/* found newest first: put them oldest first */
	for (size_t i = 0; i < t->n / 2; i++) {
		struct rs_term_start x = t->v[i];

		t->v[i] = t->v[t->n - 1 - i];
		t->v[t->n - 1 - i] = x;
	}
	t->valid = 1;
	return 0;
}

static void build_terms(struct rs_node *n, const struct bolt_view *v, const struct bolt_vbucket *b,
                        uint64_t first_read)
{
	struct bolt_cursor c;

	memset(&n->terms, 0, sizeof(n->terms));
	if (n->last_index < n->first_index || (n->first_index == 0 && n->last_index == 0))
		return;
	bolt_cursor_init(&c, v, b);
	/* a gap below the snapshot index (count_present found fewer entries
	 * than the range) holds no term: start after it */
	if (n->count < n->last_index - n->first_index + 1 && first_read > n->first_index &&
	    first_read <= n->last_index) {
		(void)find_terms(n, &c, first_read);
		return;
	}
	if (find_terms(n, &c, n->first_index) != 0 && first_read > n->first_index &&
	    first_read <= n->last_index)
		(void)find_terms(n, &c, first_read);
}

/* n->count when the scan did not read every entry: what raft-boltdb holds,
 * counted key by key (no value is decoded; bounded by max_steps). Entries at
 * or below the snapshot index may have gaps raft never reads (raftrules.h
 * rs_rule_gap_read), and a gap after it is one verify calls INVALID: either
 * way first..last would count entries that are not there. */
static int count_present(struct rs_node *n, struct bolt_cursor *c, uint64_t max_steps,
                         struct rs_err *err)
{
	uint64_t steps = 0, present = 0;
	struct bolt_elem e = {0};
	struct bolt_err be = {0};

	if (bolt_cursor_first(c, &e, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	for (; e.key != NULL && steps++ < max_steps; present++)
		if (bolt_cursor_next(c, &e, &be) != BOLT_OK)
			return rs_err_from_bolt(err, &be);
	n->count = present;
	return RS_OK;
}

/* One pass over the log through v; the caller rechecks v after it, whatever
 * it returns (bolt/view.h). */
/* The log's first and last index and the last entry's term; *empty = 1 for
 * a log with no entry. */
static int log_ends(struct rs_node *n, const struct bolt_view *v, struct bolt_cursor *c,
                    struct rs_scratch *copy, int *empty, struct rs_err *err)
{
	struct bolt_err be = {0};
	struct bolt_elem e = {0};
	struct rs_log log;
	struct rs_err derr = {0};
	int rc;

	*empty = 0;
	if (bolt_cursor_first(c, &e, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	if (e.key == NULL) {
		*empty = 1;
		return RS_OK;
	}
	if ((rc = key_index(&e, &n->first_index, err)) != RS_OK)
		return rc;
	if (bolt_cursor_last(c, &e, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	if ((rc = key_index(&e, &n->last_index, err)) != RS_OK)
		return rc;
	if (rs_log_decode_at(v, &e, 0, copy, &log, &derr) == RS_OK)
		n->last_term = log.term;
	return RS_OK;
}

/* --full: every entry, oldest first. */
static int walk_all(struct rs_node *n, struct scan *sc, struct bolt_cursor *c, uint64_t max_steps,
                    struct rs_err *err)
{
	struct bolt_err be = {0};
	struct bolt_elem e = {0};
	uint64_t steps = 0;
	int rc = RS_OK;

	if (bolt_cursor_first(c, &e, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	n->types_from = n->first_index;
	for (; e.key != NULL && steps++ < max_steps;) {
		if ((rc = count_entry(n, &e, sc, err)) != RS_OK)
			return rc;
		if (bolt_cursor_next(c, &e, &be) != BOLT_OK)
			return rs_err_from_bolt(err, &be);
	}
	n->types_complete = 1;
	return RS_OK;
}

/* Newest first, back to the snapshot index, or until both the newest
 * configuration and head_scan LogCommand entries are read. */
static int walk_newest(struct rs_node *n, struct scan *sc, struct bolt_cursor *c,
                       uint64_t max_steps, struct rs_err *err)
{
	struct bolt_err be = {0};
	struct bolt_elem e = {0};
	uint64_t steps = 0, index = 0;
	int rc = RS_OK;

	if (bolt_cursor_last(c, &e, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	for (; e.key != NULL && steps++ < max_steps;) {
		if ((rc = key_index(&e, &index, err)) != RS_OK)
			break;
		if (!after_snapshot(sc, index) && n->scanned > 0)
			break;
		if (sc->config_done && n->head.commands >= sc->head_scan) {
			rc = head_rest(n, sc, c, &e, &steps, max_steps, err);
			break;
		}
		if ((rc = count_entry(n, &e, sc, err)) != RS_OK)
			break;
		n->types_from = index;
		if (bolt_cursor_prev(c, &e, &be) != BOLT_OK) {
			rc = rs_err_from_bolt(err, &be);
			break;
		}
	}
	if (rc == RS_OK)
		rc = head_resolve(n, sc, c, err);
	free(sc->cands);
	sc->cands = NULL;
	if (rc == RS_OK)
		n->types_complete = n->types_from == n->first_index;
	return rc;
}

/* The fast scan (leaves read by pread or prefetched through the mapping);
 * FAST_NO when the tree cannot be listed (the caller reads it the old way). */
static int walk_fast(struct rs_node *n, struct scan *sc, const struct bolt_view *v,
                     const struct bolt_vbucket *logs, struct bolt_cursor *c, int one_thread,
                     struct rs_err *err)
{
	struct bolt_leaves leaves;
	struct bolt_err be = {0};
	int rc;

	if (bolt_leaves_list(v, logs, &leaves, &be) != BOLT_OK)
		return FAST_NO;
	rc = summary_fast(n, sc, &leaves, c, one_thread, err);
	bolt_leaves_free(&leaves);
	free(sc->cands);
	sc->cands = NULL;
	if (rc == RS_OK)
		n->types_complete = n->types_from == n->first_index;
	return rc;
}

/* The range the head covers: from the lowest entry read after the snapshot
 * index to the last; complete when that is all of them. */
static void head_range(struct rs_node *n, const struct scan *sc)
{
	uint64_t want = rs_rule_first_read(sc->has_snap, sc->snap_index);

	if (n->first_index > want)
		want = n->first_index;
	n->head.to = n->last_index;
	n->head.from = sc->read_after ? sc->lowest : n->last_index + 1;
	n->head.complete = !sc->read_after ? want > n->last_index : sc->lowest <= want;
}

static int walk_log_copying(struct rs_node *n, const struct rs_summary_opts *o,
                            const struct bolt_view *v, struct rs_scratch *copy, int fast,
                            struct rs_err *err)
{
	const struct rs_snapshot *snap = rs_node_newest_snapshot(n);
	uint64_t max_steps = v->map_len / 16;
	struct scan sc = {
	    .has_snap = snap != NULL,
	    .snap_index = snap != NULL ? snap->index : 0,
	    .head_scan = o->head_scan ? o->head_scan : RS_HEAD_SCAN_DEFAULT,
	    .full = o->full,
	    .view = v,
	    .copy = copy,
	};
	struct bolt_vbucket logs;
	struct bolt_err be = {0};
	struct bolt_cursor c;
	int rc, empty;

	if (fast)
		bolt_view_advise_random(v); /* a few pages here and there */
	if (bolt_view_bucket(v, NULL, RS_BUCKET_LOGS, 4, &logs, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	bolt_cursor_init(&c, v, &logs);
	if ((rc = log_ends(n, v, &c, copy, &empty, err)) != RS_OK || empty)
		return rc;
	if (o->full)
		rc = walk_all(n, &sc, &c, max_steps, err);
	else if (fast)
		rc = walk_fast(n, &sc, v, &logs, &c, o->one_thread, err);
	else
		rc = walk_newest(n, &sc, &c, max_steps, err);
	if (rc != RS_OK)
		return rc;
	if (n->types_complete)
		n->count = n->scanned;
	else if (!fast && (rc = count_present(n, &c, max_steps, err)) != RS_OK)
		return rc;
	head_range(n, &sc);
	build_terms(n, v, &logs, rs_rule_first_read(sc.has_snap, sc.snap_index));
	return RS_OK;
}

static int walk_log(struct rs_node *n, const struct rs_summary_opts *o, const struct bolt_view *v,
                    int fast, struct rs_err *err)
{
	struct rs_scratch copy = {0};
	int rc = walk_log_copying(n, o, v, &copy, fast, err);

	rs_scratch_free(&copy);
	return rc;
}

static int read_log(struct rs_node *n, const struct rs_summary_opts *o, struct rs_err *err)
{
	const struct rs_snapshot *snap = rs_node_newest_snapshot(n);
	struct bolt_view *v = NULL;
	struct bolt_err why = {0};
	int rc = RS_OK, recheck, settled, fast = !o->full && !o->no_fast;

	for (int attempt = 0;; attempt++) {
		struct rs_head keep = n->head;

		memset(n->types, 0, sizeof(n->types));
		n->count = n->scanned = n->data_bytes = n->scan_preads = n->scan_hints = 0;
		n->first_index = n->last_index = n->last_term = 0;
		memset(&n->head, 0, sizeof(n->head));
		n->head.snap_state = keep.snap_state;
		memcpy(n->head.snap_name, keep.snap_name, sizeof(keep.snap_name));
		memcpy(n->head.snap_why, keep.snap_why, sizeof(keep.snap_why));
		n->head.snap_block = keep.snap_block;
		rs_config_free(&n->config);
		memset(&n->config, 0, sizeof(n->config));
		n->config_source = RS_CONFIG_NONE;
		n->shadowed_config = n->shadowed_differs = 0;
		memset(&n->terms, 0, sizeof(n->terms));

		if ((rc = open_view(n, RS_LOG_FILE, o, &v, err)) != RS_OK)
			return rc;
		rs_file_info_fill(&n->log_file, v);
		rc = walk_log(n, o, v, fast, err);
		recheck = bolt_view_recheck(v, &why);
		bolt_view_close(v);
		if (rc == FAST_NO) {
			/* the scan decides this log: read it again that way */
			fast = 0;
			attempt--;
			continue;
		}
		if ((settled = rs_live_settled(recheck, &why, attempt, err)) == RS_LIVE_AGAIN)
			continue;
		if (settled != RS_OK)
			return settled;
		break;
	}
	if (rc != RS_OK)
		return rc;
	/* raft (api.go restoreSnapshot, then NewRaft's scan of the entries after
	 * the snapshot index): the newest snapshot's configuration, replaced by
	 * configuration entries after its index only (FORMAT.md) */
	if (snap != NULL && n->config_source != RS_CONFIG_LOG) {
		rs_config_free(&n->config);
		memset(&n->config, 0, sizeof(n->config));
		if (rs_config_copy(&n->config, &snap->config) != RS_OK)
			return rs_errf(err, RS_ENOMEM, "out of memory");
		n->config_source = snap->config.n > 0 ? RS_CONFIG_SNAPSHOT : RS_CONFIG_NONE;
		n->config_index = snap->config_index;
		strlcpy(n->config_snapshot, snap->name, sizeof(n->config_snapshot));
	}
	rs_node_head_finish(n);
	return RS_OK;
}

/* Whether <node>/file does not exist at all. */
static int file_missing(const struct rs_node *n, const char *file)
{
	char path[4352];
	struct stat st;

	(void)rs_path_join(path, sizeof(path), n->dir, file);
	return lstat(path, &st) != 0 && errno == ENOENT;
}

int rs_node_summarize(const char *dir, const struct rs_summary_opts *opts, struct rs_node *n,
                      struct rs_err *err)
{
	struct rs_summary_opts o = opts ? *opts : (struct rs_summary_opts){.lock_timeout = 5.0};
	int rc;

	if ((rc = rs_node_init(n, dir, err)) != RS_OK)
		return rc;
	if ((rc = rs_snapshots_load(n->dir, 0, &n->snapshots, err)) != RS_OK)
		return rc;
	/* one file missing: the other is still read, so that info can show
	 * it, and the error names the missing one (partial) */
	if ((rc = read_stable(n, &o, err)) != RS_OK) {
		struct rs_err lerr = {0};

		if (!file_missing(n, RS_STABLE_FILE) || !rs_nd_has(n->dir, RS_ND_LOG))
			return rc;
		if (rs_node_snapshot_head(n, err) != RS_OK)
			return RS_ENOMEM;
		if (read_log(n, &o, &lerr) != RS_OK)
			return rc;
		n->partial = 1;
		return rc;
	}
	if ((rc = rs_node_snapshot_head(n, err)) != RS_OK)
		return rc;
	rc = read_log(n, &o, err);
	if (rc != RS_OK && file_missing(n, RS_LOG_FILE))
		n->partial = 1;
	return rc;
}

/* One worker's share: jobs first, first + stride, ... (a fixed share, not
 * taken from a common counter: every started thread reads at least one
 * node, whatever the scheduler does, so a compare of N nodes is read on
 * min(N, RS_SUMMARY_THREADS) threads every time). */
struct summary_share {
	struct rs_summary_job *jobs;
	size_t n, first, stride;
	const struct rs_summary_opts *opts;
};

static void *summarize_worker(void *arg)
{
	const struct summary_share *s = arg;

	for (size_t i = s->first; i < s->n; i += s->stride)
		s->jobs[i].rc =
		    rs_node_summarize(s->jobs[i].dir, s->opts, &s->jobs[i].node, &s->jobs[i].err);
	return NULL;
}

void rs_node_summarize_all(struct rs_summary_job *jobs, size_t n,
                           const struct rs_summary_opts *opts)
{
	struct rs_summary_opts o = opts ? *opts : (struct rs_summary_opts){.lock_timeout = 5.0};
	struct summary_share s[RS_SUMMARY_THREADS];
	pthread_t t[RS_SUMMARY_THREADS];
	size_t want = n < RS_SUMMARY_THREADS ? n : RS_SUMMARY_THREADS, started = 0;

	if (n == 0)
		return;
	o.one_thread = n > 1;
	/* share 0 is the calling thread's; a thread that cannot be started
	 * leaves its share to the calling thread (read after its own) */
	for (size_t k = 0; k < want; k++)
		s[k] = (struct summary_share){jobs, n, k, want, &o};
	for (size_t k = 1; k < want; k++) {
		if (pthread_create(&t[k], NULL, summarize_worker, &s[k]) != 0)
			break;
		started = k;
	}
	summarize_worker(&s[0]);
	for (size_t k = started + 1; k < want; k++)
		summarize_worker(&s[k]);
	for (size_t k = 1; k <= started; k++)
		(void)pthread_join(t[k], NULL);
}

int rs_node_entries(const char *dir, const struct rs_summary_opts *opts, uint64_t limit,
                    rs_entry_fn fn, void *ctx, struct rs_err *err)
{
	struct rs_summary_opts o = opts ? *opts : (struct rs_summary_opts){.lock_timeout = 5.0};
	struct rs_node *n = calloc(1, sizeof(*n));
	struct bolt_view *v = NULL;
	struct bolt_vbucket logs;
	struct bolt_err be = {0};
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	struct rs_scratch copy = {0};
	uint64_t steps = 0, max_steps;
	int rc;

	if (n == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	if ((rc = rs_node_init(n, dir, err)) != RS_OK)
		goto out;
	if ((rc = open_view(n, RS_LOG_FILE, &o, &v, err)) != RS_OK)
		goto out;
	max_steps = v->map_len / 16;
	if (bolt_view_bucket(v, NULL, RS_BUCKET_LOGS, 4, &logs, &be) != BOLT_OK) {
		rc = rs_err_from_bolt(err, &be);
		goto out;
	}
	bolt_cursor_init(&c, v, &logs);
	if (limit == 0) {
		rc = bolt_cursor_first(&c, &e, &be);
	} else {
		rc = bolt_cursor_last(&c, &e, &be);
		for (uint64_t i = 1; rc == BOLT_OK && e.key != NULL && i < limit; i++) {
			rc = bolt_cursor_prev(&c, &e, &be);
			if (rc == BOLT_OK && e.key == NULL) {
				rc = bolt_cursor_first(&c, &e, &be);
				break;
			}
		}
	}
	if (rc != BOLT_OK) {
		rc = rs_err_from_bolt(err, &be);
		goto out;
	}
	rc = RS_OK;
	while (e.key != NULL && steps++ < max_steps) {
		struct rs_log log;
		struct rs_config cfg = {0};
		struct rs_err derr = {0};
		int stop, have_cfg = 0;

		if ((rc = rs_log_decode_at(v, &e, 0, &copy, &log, &derr)) != RS_OK) {
			rc = rc == RS_ENOMEM
			         ? rs_errf(err, rc, "%s", derr.msg)
			         : rs_errf(err, RS_ECORRUPT,
			                   "an entry does not decode: %s (run verify)", derr.msg);
			break;
		}
		if (log.type == RS_LOG_CONFIGURATION) {
			int drc = rs_config_decode(log.data, log.data_len, &cfg, &derr);

			if (drc == RS_ENOMEM) { /* not an entry that does not decode */
				rs_config_free(&cfg);
				rc = rs_errf(err, RS_ENOMEM, "%s", derr.msg);
				break;
			}
			have_cfg = drc == RS_OK;
		}
		stop = fn(ctx, &log, have_cfg ? &cfg : NULL);
		rs_config_free(&cfg);
		if (stop)
			break;
		if (bolt_cursor_next(&c, &e, &be) != BOLT_OK) {
			rc = rs_err_from_bolt(err, &be);
			break;
		}
	}
out:
	rs_scratch_free(&copy);
	bolt_view_close(v);
	rs_node_free(n);
	free(n);
	return rc;
}
