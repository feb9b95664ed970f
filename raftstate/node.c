/*
 * The node-state model shared by verify and info: identity (the directory
 * name is the server ID, as op-conductor lays out <storage-dir>/<id>/),
 * membership lookups, cleanup.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bsd/string.h>

#include "bolt/meta.h"
#include "bolt/view.h"
#include "raftstate/node.h"

void rs_node_free(struct rs_node *n)
{
	rs_config_free(&n->config);
	rs_snapshots_free(&n->snapshots);
}

const struct rs_server *rs_config_find(const struct rs_config *c, const char *who, size_t len)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_server *s = &c->servers[i];

		if ((s->id_len == len && memcmp(s->id, who, len) == 0) ||
		    (s->address_len == len && memcmp(s->address, who, len) == 0))
			return s;
	}
	return NULL;
}

int rs_node_init(struct rs_node *n, const char *dir, struct rs_err *err)
{
	struct stat st;
	const char *base;
	size_t len;

	memset(n, 0, sizeof(*n));
	if (stat(dir, &st) != 0)
		return rs_errf(err, RS_ENOTFOUND, "cannot open state directory %s: %s", dir,
		               rs_errno_text(errno).s);
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "%s is not a directory", dir);
	if (strlcpy(n->dir, dir, sizeof(n->dir)) >= sizeof(n->dir))
		return rs_errf(err, RS_EINVAL, "path too long: %s", dir);
	len = strlen(n->dir);
	while (len > 1 && n->dir[len - 1] == '/')
		n->dir[--len] = 0;
	base = strrchr(n->dir, '/');
	strlcpy(n->id, base ? base + 1 : n->dir, sizeof(n->id));
	return RS_OK;
}

void rs_file_info_fill(struct rs_file_info *fi, const struct bolt_view *bv)
{
	fi->present = 1;
	fi->file_size = bv->file_size;
	fi->page_size = bv->page_size;
	fi->txid = bv->meta.txid;
	fi->hwm = bv->meta.pgid;
	fi->active_meta = bv->active;
	fi->meta_status[0] = bv->meta_status[0];
	fi->meta_status[1] = bv->meta_status[1];
}

const char *rs_meta_status_text(int status)
{
	return bolt_meta_status_text(status);
}

const char *rs_meta_status_name(int status)
{
	switch (status) {
	case BOLT_META_OK:
		return "ok";
	case BOLT_META_SHORT:
		return "short";
	case BOLT_META_BADMAGIC:
		return "bad_magic";
	case BOLT_META_BADVERSION:
		return "bad_version";
	case BOLT_META_BADCHECKSUM:
		return "bad_checksum";
	case BOLT_META_BADFLAGS:
		return "bad_flags";
	case BOLT_META_BADPAGESIZE:
		return "bad_page_size";
	default:
		return "unknown";
	}
}

int rs_err_from_bolt(struct rs_err *err, const struct bolt_err *be)
{
	int code, rc;

	switch (be->code) {
	case BOLT_ELOCKED:
		code = RS_ELOCKED;
		break;
	case BOLT_ENOMEM:
		code = RS_ENOMEM;
		break;
	case BOLT_ENOTFOUND:
		code = RS_ENOTFOUND;
		break;
	case BOLT_EINVAL:
		code = RS_EINVAL;
		break;
	case BOLT_ECORRUPT:
		code = RS_ECORRUPT;
		break;
	case BOLT_ELIMIT:
		code = RS_ELIMIT;
		break;
	case BOLT_EEXIST:
		code = RS_EEXIST;
		break;
	default: /* BOLT_EIO, BOLT_ECHANGED */
		code = RS_EIO;
	}
	rc = rs_errf(err, code, "%s", be->msg);
	if (err != NULL)
		err->sys_errno = be->sys_errno;
	if (be->code == BOLT_EIO && rs_errno_fix(be->sys_errno) != NULL) {
		char fix[200];

		(void)snprintf(fix, sizeof(fix), " (%s)", rs_errno_fix(be->sys_errno));
		(void)rs_err_suffix(err, fix);
	}
	return rc;
}

int rs_server_same(const struct rs_server *x, const struct rs_server *y)
{
	return x->suffrage == y->suffrage && x->id_len == y->id_len &&
	       x->address_len == y->address_len && memcmp(x->id, y->id, x->id_len) == 0 &&
	       memcmp(x->address, y->address, x->address_len) == 0;
}

int rs_config_same(const struct rs_config *a, const struct rs_config *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct rs_server *x = &a->servers[i];
		int found = 0;

		for (size_t j = 0; j < b->n && !found; j++)
			found = rs_server_same(x, &b->servers[j]);
		if (!found)
			return 0;
	}
	return 1;
}

/* A payload op-conductor would not apply can be big; the head never needs
 * more than this of state.bin (an envelope holds at most 2^20 transactions
 * and op-stack blocks are far smaller). */
#define STATE_MAX ((size_t)256 << 20)

int rs_node_snapshot_head(struct rs_node *n, struct rs_err *err)
{
	const struct rs_snapshot *s = rs_node_newest_snapshot(n);
	struct rs_head *h = &n->head;
	struct rs_err rerr = {0};
	uint8_t *buf = NULL;
	size_t len = 0;
	int form;

	h->snap_state = RS_SNAP_STATE_NONE;
	h->snap_name[0] = h->snap_why[0] = 0;
	memset(&h->snap_block, 0, sizeof(h->snap_block));
	if (s == NULL)
		return RS_OK;
	strlcpy(h->snap_name, s->name, sizeof(h->snap_name));
	if (rs_snapshot_read_state(n->dir, s, STATE_MAX, &buf, &len, &rerr) != RS_OK) {
		if (rerr.code == RS_ENOMEM) /* no fact about the file */
			return rs_errf(err, RS_ENOMEM, "%s", rerr.msg);
		h->snap_state = RS_SNAP_STATE_UNREAD;
		strlcpy(h->snap_why, rerr.msg, sizeof(h->snap_why));
		return RS_OK;
	}
	if (len == 0) {
		/* raft_fsm.go Restore: n == 0 is "no unsafe head" (PR 22908) */
		h->snap_state = RS_SNAP_STATE_EMPTY;
		free(buf);
		return RS_OK;
	}
	form = rs_payload_decode(buf, len, &h->snap_block, h->snap_why, sizeof(h->snap_why));
	free(buf);
	h->snap_state = form == RS_PAYLOAD_ENVELOPE ? RS_SNAP_STATE_PAYLOAD : RS_SNAP_STATE_BAD;
	if (form != RS_PAYLOAD_NONE) {
		h->snap_block.source = RS_BLOCK_SNAPSHOT;
		strlcpy(h->snap_block.snapshot, s->name, sizeof(h->snap_block.snapshot));
	}
	return RS_OK;
}

/* Apply's rule: replace when the block number is higher. Walking newest
 * first, an equal number seen later is an older entry, which Apply applied
 * first and kept: it wins. */
static int replaces(const struct rs_block *cur, const struct rs_block *b, int backward)
{
	return !cur->found || b->number > cur->number || (backward && b->number == cur->number);
}

static void keep_higher(struct rs_block *cur, const struct rs_block *b, int backward)
{
	if (replaces(cur, b, backward))
		*cur = *b;
}

void rs_node_head_offer(struct rs_node *n, int form, const struct rs_block *decoded,
                        const char *why, uint64_t index, int backward)
{
	struct rs_head *h = &n->head;
	struct rs_block *cur;

	if (h->commands == 0 || index < h->from)
		h->from = index;
	if (h->commands == 0 || index > h->to)
		h->to = index;
	h->commands++;
	if (form == RS_PAYLOAD_NONE) {
		if (h->not_payloads++ == 0 || !backward) {
			h->first_bad = index;
			strlcpy(h->first_bad_why, why ? why : "", sizeof(h->first_bad_why));
		}
		return;
	}
	cur = &h->block;
	if (form == RS_PAYLOAD_LEGACY) {
		/* today's Apply rejects it; that era's FSM kept the highest the same way */
		h->legacy++;
		cur = &h->legacy_block;
	}
	if (!replaces(cur, decoded, backward))
		return;
	/* Called for every LogCommand entry, and in a log that counts up each
	 * one replaces the last: copy the decoded fields only, not the
	 * snapshot name (a log's block has none). */
	memcpy(cur, decoded, offsetof(struct rs_block, snapshot));
	cur->snapshot[0] = 0;
	cur->source = RS_BLOCK_LOG;
	cur->entry_index = index;
}

void rs_node_head_merge(struct rs_node *n, const struct rs_head *p)
{
	struct rs_head *h = &n->head;

	if (p->commands == 0)
		return;
	if (h->commands == 0 || p->from < h->from)
		h->from = p->from;
	if (h->commands == 0 || p->to > h->to)
		h->to = p->to;
	h->commands += p->commands;
	if (p->not_payloads > 0) {
		h->first_bad = p->first_bad;
		strlcpy(h->first_bad_why, p->first_bad_why, sizeof(h->first_bad_why));
	}
	h->not_payloads += p->not_payloads;
	h->legacy += p->legacy;
	if (p->legacy_block.found)
		keep_higher(&h->legacy_block, &p->legacy_block, 0);
	if (p->block.found)
		keep_higher(&h->block, &p->block, 0);
}

uint64_t rs_node_since_snapshot(const struct rs_node *n)
{
	const struct rs_snapshot *s = rs_node_newest_snapshot(n);
	uint64_t base = s != NULL ? s->index : 0;

	return n->last_index > base ? n->last_index - base : 0;
}

int rs_node_nil_head(const struct rs_node *n, uint64_t threshold, const char *src, char *buf,
                     size_t size)
{
	const struct rs_head *h = &n->head;
	uint64_t since = rs_node_since_snapshot(n);

	if ((h->block.found && h->block.form == RS_PAYLOAD_ENVELOPE) ||
	    h->snap_state == RS_SNAP_STATE_EMPTY || h->snap_state == RS_SNAP_STATE_BAD ||
	    h->snap_state == RS_SNAP_STATE_UNREAD ||
	    (h->not_payloads > 0 && n->snapshots.tmp_count == 0))
		return 0;
	if (since >= threshold) {
		snprintf(
		    buf, size,
		    "no unsafe head (none in the snapshot or the log) and %llu entries follow "
		    "the last snapshot, at or above the snapshot threshold %llu (%s): "
		    "op-conductor <= v1.19.6 panics in snapshot.Persist (nil head; optimism "
		    "issue 13363) at its first snapshot check, within --raft.snapshot-interval "
		    "(120 s by default) of starting, and again after every restart, leaving "
		    "snapshots/*.tmp behind; start it with --raft.snapshot-threshold above "
		    "%llu and let the sequencer commit a block first, or, as the log holds no "
		    "payload to keep, generate this node's state again",
		    (unsigned long long)since, (unsigned long long)threshold, src,
		    (unsigned long long)since);
		return 2;
	}
	snprintf(buf, size,
	         "no unsafe head yet: op-conductor <= v1.19.6 panics in snapshot.Persist (nil "
	         "head; optimism issue 13363) if raft snapshots this node before a block is "
	         "committed, i.e. once %llu entries follow the last snapshot (%s); %llu do now. "
	         "The first committed block removes the risk",
	         (unsigned long long)threshold, src, (unsigned long long)since);
	return 1;
}

void rs_node_head_finish(struct rs_node *n)
{
	struct rs_head *h = &n->head;

	/* Restore first, then the entries after the snapshot index */
	if (h->snap_state == RS_SNAP_STATE_PAYLOAD &&
	    (!h->block.found || h->snap_block.number >= h->block.number))
		h->block = h->snap_block;
	/* entries only in the early-2024 form: their head stands in, marked by its
	 * form (unsafe_head "form": "legacy"); today's op-conductor holds none */
	if (!h->block.found && h->legacy_block.found)
		h->block = h->legacy_block;
	/* the early-2024 FSM restored its own form the same way */
	if (h->snap_state == RS_SNAP_STATE_BAD && h->snap_block.found &&
	    (!h->legacy_block.found || h->snap_block.number >= h->legacy_block.number))
		h->legacy_block = h->snap_block;
}

int rs_err_unsettled(struct rs_err *err, int code, const struct bolt_err *why, int attempts)
{
	if (code == BOLT_ECHANGED)
		return rs_errf(err, RS_EIO,
		               "%s, at each of %d attempts to read it; retry, or stop the writer",
		               why->msg, attempts);
	return rs_err_from_bolt(err, why);
}

int rs_live_settled(int recheck, const struct bolt_err *why, int attempt, struct rs_err *err)
{
	if (recheck == BOLT_OK)
		return RS_OK;
	if (recheck == BOLT_ECHANGED && attempt + 1 < RS_LIVE_RETRIES)
		return RS_LIVE_AGAIN;
	return rs_err_unsettled(err, recheck, why, RS_LIVE_RETRIES);
}

void rs_scratch_free(struct rs_scratch *s)
{
	free(s->p);
	memset(s, 0, sizeof(*s));
}

/* rs_log_decode_at of a live view (node.h): the value copied once into *s,
 * then decoded from the copy. */
int rs_log_decode_copy(const struct bolt_elem *e, int header_only, struct rs_scratch *s,
                       struct rs_log *out, struct rs_err *err)
{
	size_t n = e->vlen;

	if (n > s->cap) {
		uint8_t *np = realloc(s->p, n);

		if (np == NULL)
			return rs_errf(err, RS_ENOMEM,
			               "out of memory copying a log value of %zu bytes", n);
		s->p = np;
		s->cap = n;
	}
	memcpy(s->p, e->value, n);
	/* the decoder must read the copy, not the mapping again */
	__asm__ volatile("" ::: "memory");
	return header_only ? rs_log_decode_header(s->p, n, out, err)
	                   : rs_log_decode(s->p, n, out, err);
}
