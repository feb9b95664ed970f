/*
 * info: what an operator needs on one screen, without reading a multi-GB
 * log. Reads the stable keys, the first and last log keys (a descent of the
 * tree each), the snapshots' meta.json, and then walks the log backwards
 * from the newest entry only as far as raft itself would need to: to the
 * newest configuration entry, or to the newest snapshot's index (older
 * entries are covered by the snapshot). `full` counts every entry instead.
 */
#include <stdio.h>
#include <stdlib.h>

#include <bsd/string.h>

#include "bolt/cursor.h"
#include "bolt/view.h"
#include "raftstate/generate.h"
#include "raftstate/node.h"
#include "raftstate/payload.h"
#include "raftstate/stable.h"

#define LIVE_RETRIES 8

static int open_view(const struct rs_node *n, const char *file, const struct rs_summary_opts *o,
                     struct bolt_view **v, struct rs_err *err)
{
	char path[4352];
	struct bolt_err be = {0};

	snprintf(path, sizeof(path), "%s/%s", n->dir, file);
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

static int read_stable(struct rs_node *n, const struct rs_summary_opts *o, struct rs_err *err)
{
	struct bolt_view *v = NULL;
	struct bolt_vbucket conf;
	struct bolt_err be = {0};
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	int rc;

	for (int attempt = 0;; attempt++) {
		if ((rc = open_view(n, RS_STABLE_FILE, o, &v, err)) != RS_OK)
			return rc;
		rs_file_info_fill(&n->stable_file, v);
		if (bolt_view_bucket(v, NULL, RS_BUCKET_CONF, 4, &conf, &be) != BOLT_OK) {
			rc = rs_err_from_bolt(err, &be);
			goto out;
		}
		if ((rc = read_u64(v, &conf, RS_KEY_CURRENT_TERM, &n->current_term,
		                   &n->has_current_term, err)) != RS_OK ||
		    (rc = read_u64(v, &conf, RS_KEY_LAST_VOTE_TERM, &n->last_vote_term,
		                   &n->has_last_vote_term, err)) != RS_OK)
			goto out;
		bolt_cursor_init(&c, v, &conf);
		if (bolt_cursor_seek(&c, RS_KEY_LAST_VOTE_CAND, strlen(RS_KEY_LAST_VOTE_CAND), &e,
		                     &be) != BOLT_OK) {
			rc = rs_err_from_bolt(err, &be);
			goto out;
		}
		if (e.key != NULL && e.klen == strlen(RS_KEY_LAST_VOTE_CAND) &&
		    memcmp(e.key, RS_KEY_LAST_VOTE_CAND, e.klen) == 0) {
			size_t k = e.vlen < sizeof(n->last_vote_cand) - 1
			               ? e.vlen
			               : sizeof(n->last_vote_cand) - 1;

			memcpy(n->last_vote_cand, e.value, k);
			n->last_vote_cand[k] = 0;
			n->last_vote_cand_len = e.vlen;
			n->has_last_vote_cand = 1;
		}
		if (bolt_view_recheck(v, &be) == BOLT_ECHANGED && attempt + 1 < LIVE_RETRIES) {
			bolt_view_close(v);
			continue;
		}
		rc = RS_OK;
		break;
	}
out:
	bolt_view_close(v);
	return rc;
}

static int key_index(const struct bolt_elem *e, uint64_t *index, struct rs_err *err)
{
	if (e->klen != 8)
		return rs_errf(err, RS_ECORRUPT, "bucket logs holds a %u-byte key; run verify",
		               e->klen);
	*index = rs_be64(e->key);
	return RS_OK;
}

/* One entry of the scan: types, configuration, newest block. */
static int count_entry(struct rs_node *n, const struct bolt_elem *e, int *config_done,
                       struct rs_err *err)
{
	struct rs_log log;
	struct rs_err derr = {0};
	uint64_t index = 0;
	int rc;

	if ((rc = key_index(e, &index, err)) != RS_OK)
		return rc;
	n->scanned++;
	if (rs_log_decode(e->value, e->vlen, &log, &derr) != RS_OK) {
		n->types[RS_LOG_TYPE_COUNT]++;
		return RS_OK;
	}
	n->data_bytes += log.data_len;
	n->types[log.type < RS_LOG_TYPE_COUNT ? log.type : RS_LOG_TYPE_COUNT]++;
	if (log.type == RS_LOG_COMMAND && !n->block.found)
		rs_payload_peek(log.data, log.data_len, index, &n->block);
	if (log.type == RS_LOG_CONFIGURATION && !*config_done) {
		struct rs_config cfg = {0};

		if (rs_config_decode(log.data, log.data_len, &cfg, &derr) == RS_OK) {
			rs_config_free(&n->config);
			n->config = cfg;
			n->config_source = RS_CONFIG_LOG;
			n->config_index = index;
			*config_done = 1;
		}
	}
	return RS_OK;
}

static int read_log(struct rs_node *n, const struct rs_summary_opts *o, struct rs_err *err)
{
	const struct rs_snapshot *snap = NULL;
	struct bolt_view *v = NULL;
	struct bolt_vbucket logs;
	struct bolt_err be = {0};
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	int rc = RS_OK;

	for (size_t i = 0; i < n->snapshots.n && snap == NULL; i++)
		if (n->snapshots.v[i].problem[0] == 0)
			snap = &n->snapshots.v[i];

	for (int attempt = 0;; attempt++) {
		uint64_t steps = 0, max_steps, index = 0;
		int config_done = 0;

		memset(n->types, 0, sizeof(n->types));
		n->count = n->scanned = n->data_bytes = 0;
		n->first_index = n->last_index = n->last_term = 0;
		memset(&n->block, 0, sizeof(n->block));
		rs_config_free(&n->config);
		memset(&n->config, 0, sizeof(n->config));
		n->config_source = RS_CONFIG_NONE;

		if ((rc = open_view(n, RS_LOG_FILE, o, &v, err)) != RS_OK)
			return rc;
		rs_file_info_fill(&n->log_file, v);
		max_steps = v->map_len / 16;
		if (bolt_view_bucket(v, NULL, RS_BUCKET_LOGS, 4, &logs, &be) != BOLT_OK) {
			rc = rs_err_from_bolt(err, &be);
			break;
		}
		bolt_cursor_init(&c, v, &logs);
		if (bolt_cursor_first(&c, &e, &be) != BOLT_OK) {
			rc = rs_err_from_bolt(err, &be);
			break;
		}
		if (e.key == NULL)
			goto done; /* empty log */
		if ((rc = key_index(&e, &n->first_index, err)) != RS_OK)
			break;
		if (bolt_cursor_last(&c, &e, &be) != BOLT_OK) {
			rc = rs_err_from_bolt(err, &be);
			break;
		}
		if ((rc = key_index(&e, &n->last_index, err)) != RS_OK)
			break;
		{
			struct rs_log log;
			struct rs_err derr = {0};

			if (rs_log_decode(e.value, e.vlen, &log, &derr) == RS_OK)
				n->last_term = log.term;
		}
		if (o->full) {
			/* every entry, oldest first */
			if (bolt_cursor_first(&c, &e, &be) != BOLT_OK) {
				rc = rs_err_from_bolt(err, &be);
				break;
			}
			n->types_from = n->first_index;
			for (; e.key != NULL && steps++ < max_steps;) {
				if ((rc = count_entry(n, &e, &config_done, err)) != RS_OK)
					break;
				config_done = 0; /* keep the newest: later entries win */
				if (bolt_cursor_next(&c, &e, &be) != BOLT_OK) {
					rc = rs_err_from_bolt(err, &be);
					break;
				}
			}
			if (rc != RS_OK)
				break;
			n->types_complete = 1;
		} else {
			/* newest first, back to the newest config or the snapshot */
			for (; e.key != NULL && steps++ < max_steps;) {
				if ((rc = key_index(&e, &index, err)) != RS_OK)
					break;
				if (snap != NULL && index <= snap->index && n->scanned > 0)
					break;
				if ((rc = count_entry(n, &e, &config_done, err)) != RS_OK)
					break;
				n->types_from = index;
				if (config_done)
					break;
				if (bolt_cursor_prev(&c, &e, &be) != BOLT_OK) {
					rc = rs_err_from_bolt(err, &be);
					break;
				}
			}
			if (rc != RS_OK)
				break;
			n->types_complete = n->types_from == n->first_index;
		}
		if (n->types_complete)
			n->count = n->scanned;
		else
			n->count = n->last_index - n->first_index + 1;
	done:
		if (bolt_view_recheck(v, &be) == BOLT_ECHANGED && attempt + 1 < LIVE_RETRIES) {
			bolt_view_close(v);
			v = NULL;
			continue;
		}
		break;
	}
	bolt_view_close(v);
	if (rc != RS_OK)
		return rc;
	/* raft: the newest snapshot's configuration unless the log has a newer one */
	if (snap != NULL && snap->config.n > 0 &&
	    (n->config_source == RS_CONFIG_NONE || snap->config_index > n->config_index)) {
		rs_config_free(&n->config);
		memset(&n->config, 0, sizeof(n->config));
		if (rs_config_copy(&n->config, &snap->config) != RS_OK)
			return rs_errf(err, RS_ENOMEM, "out of memory");
		n->config_source = RS_CONFIG_SNAPSHOT;
		n->config_index = snap->config_index;
		strlcpy(n->config_snapshot, snap->name, sizeof(n->config_snapshot));
	}
	return RS_OK;
}

int rs_node_summarize(const char *dir, const struct rs_summary_opts *opts, struct rs_node *n,
                      struct rs_err *err)
{
	struct rs_summary_opts o = opts ? *opts : (struct rs_summary_opts){5.0, 0, 0};
	int rc;

	if ((rc = rs_node_init(n, dir, err)) != RS_OK)
		return rc;
	if ((rc = rs_snapshots_load(n->dir, 0, &n->snapshots, err)) != RS_OK)
		return rc;
	if ((rc = read_stable(n, &o, err)) != RS_OK)
		return rc;
	return read_log(n, &o, err);
}

int rs_node_entries(const char *dir, const struct rs_summary_opts *opts, uint64_t limit,
                    rs_entry_fn fn, void *ctx, struct rs_err *err)
{
	struct rs_summary_opts o = opts ? *opts : (struct rs_summary_opts){5.0, 0, 0};
	struct rs_node *n = calloc(1, sizeof(*n));
	struct bolt_view *v = NULL;
	struct bolt_vbucket logs;
	struct bolt_err be = {0};
	struct bolt_cursor c;
	struct bolt_elem e = {0};
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

		if (rs_log_decode(e.value, e.vlen, &log, &derr) != RS_OK) {
			rc = rs_errf(err, RS_ECORRUPT, "an entry does not decode: %s (run verify)",
			             derr.msg);
			break;
		}
		if (log.type == RS_LOG_CONFIGURATION &&
		    rs_config_decode(log.data, log.data_len, &cfg, &derr) == RS_OK)
			have_cfg = 1;
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
	bolt_view_close(v);
	rs_node_free(n);
	free(n);
	return rc;
}
