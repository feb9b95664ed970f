/*
 * The `raft info --json` node object (nodejson.h): written by info, read
 * back by compare --from-json. The field names are the schema of
 * docs/json.md; a field is added or renamed here, on both sides at once.
 */
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "present/jsonout.h"
#include "present/nodejson.h"
#include "present/nodetext.h"
#include "present/report.h"
#include "raftstate/config.h"
#include "raftstate/json.h"

const struct rs_server *np_self_member(const struct rs_node *n)
{
	for (size_t i = 0; i < n->config.n; i++) {
		const struct rs_server *s = &n->config.servers[i];

		if (s->id_len == strlen(n->id) && memcmp(s->id, n->id, s->id_len) == 0)
			return s;
	}
	return NULL;
}

/* ---- writing ---------------------------------------------------------- */

cJSON *np_json_file(const struct rs_file_info *fi)
{
	cJSON *o = cJSON_CreateObject(), *m, *p;

	/* a file that exists but does not open as a bolt file (both meta
	 * pages damaged, not a bolt file) is present, in state "unreadable" */
	cJSON_AddBoolToObject(o, "present", fi->present || fi->exists);
	if (!fi->present) {
		if (fi->exists) {
			cJSON_AddStringToObject(o, "state", "unreadable");
			cJSON_AddStringToObject(o, "reason", fi->unreadable);
		}
		return o;
	}
	cJSON_AddStringToObject(o, "state", "readable");
	cJSON_AddItemToObject(o, "size", np_json_u64(fi->file_size));
	cJSON_AddItemToObject(o, "page_size", np_json_u64(fi->page_size));
	cJSON_AddItemToObject(o, "txid", np_json_u64(fi->txid));
	cJSON_AddItemToObject(o, "hwm", np_json_u64(fi->hwm));
	cJSON_AddNumberToObject(o, "active_meta", fi->active_meta);
	m = cJSON_AddArrayToObject(o, "meta");
	cJSON_AddItemToArray(m, cJSON_CreateString(rs_meta_status_name(fi->meta_status[0])));
	cJSON_AddItemToArray(m, cJSON_CreateString(rs_meta_status_name(fi->meta_status[1])));
	if (!fi->checked)
		return o;
	p = cJSON_AddObjectToObject(o, "pages");
	cJSON_AddItemToObject(p, "branch", np_json_u64(fi->stats.branch_pages));
	cJSON_AddItemToObject(p, "leaf", np_json_u64(fi->stats.leaf_pages));
	cJSON_AddItemToObject(p, "overflow", np_json_u64(fi->stats.overflow_pages));
	cJSON_AddItemToObject(p, "freelist", np_json_u64(fi->stats.freelist_pages));
	cJSON_AddItemToObject(p, "free", np_json_u64(fi->stats.free_pages));
	return o;
}

cJSON *np_json_stable(const struct rs_node *n)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "current_term",
	                      n->has_current_term ? np_json_u64(n->current_term)
	                                          : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "last_vote_term",
	                      n->has_last_vote_term ? np_json_u64(n->last_vote_term)
	                                            : cJSON_CreateNull());
	cJSON_AddItemToObject(
	    o, "last_vote_candidate",
	    n->has_last_vote_cand
	        ? np_json_strn(n->last_vote_cand, n->last_vote_cand_len < sizeof(n->last_vote_cand)
	                                              ? n->last_vote_cand_len
	                                              : strlen(n->last_vote_cand))
	        : cJSON_CreateNull());
	return o;
}

cJSON *np_json_log(const struct rs_node *n)
{
	cJSON *o = cJSON_CreateObject(), *t;
	char name[32];

	cJSON_AddItemToObject(o, "first_index", np_json_u64(n->first_index));
	cJSON_AddItemToObject(o, "last_index", np_json_u64(n->last_index));
	cJSON_AddItemToObject(o, "count", np_json_u64(n->count));
	cJSON_AddItemToObject(o, "last_term", np_json_u64(n->last_term));
	cJSON_AddItemToObject(o, "data_bytes", np_json_u64(n->data_bytes));
	cJSON_AddBoolToObject(o, "types_complete", n->types_complete);
	cJSON_AddItemToObject(o, "types_from", np_json_u64(n->count ? n->types_from : 0));
	cJSON_AddItemToObject(o, "scanned", np_json_u64(n->scanned));
	t = cJSON_AddObjectToObject(o, "types");
	for (int i = 0; i < RS_LOG_TYPE_COUNT; i++)
		cJSON_AddItemToObject(t, np_type_name((uint64_t)i, name, sizeof(name)),
		                      np_json_u64(n->types[i]));
	cJSON_AddItemToObject(t, "unknown", np_json_u64(n->types[RS_LOG_TYPE_COUNT]));
	return o;
}

cJSON *np_json_servers(const struct rs_config *c)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < c->n; i++) {
		const struct rs_server *s = &c->servers[i];
		const char *sn = rs_suffrage_name(s->suffrage);
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToObject(o, "id", np_json_strn(s->id, s->id_len));
		cJSON_AddItemToObject(o, "address", np_json_strn(s->address, s->address_len));
		if (sn != NULL)
			cJSON_AddStringToObject(o, "suffrage", sn);
		else
			cJSON_AddItemToObject(o, "suffrage", np_json_u64(s->suffrage));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

cJSON *np_json_config(const struct rs_node *n)
{
	cJSON *o = cJSON_CreateObject();

	switch (n->config_source) {
	case RS_CONFIG_LOG:
		cJSON_AddStringToObject(o, "source", "log");
		cJSON_AddItemToObject(o, "index", np_json_u64(n->config_index));
		cJSON_AddNullToObject(o, "snapshot");
		break;
	case RS_CONFIG_SNAPSHOT:
		cJSON_AddStringToObject(o, "source", "snapshot");
		cJSON_AddItemToObject(o, "index", np_json_u64(n->config_index));
		cJSON_AddStringToObject(o, "snapshot", n->config_snapshot);
		break;
	default:
		cJSON_AddStringToObject(o, "source", "none");
		cJSON_AddNullToObject(o, "index");
		cJSON_AddNullToObject(o, "snapshot");
	}
	cJSON_AddItemToObject(o, "servers", np_json_servers(&n->config));
	return o;
}

cJSON *np_json_snapshots(const struct rs_node *n, int with_crc)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n->snapshots.n; i++) {
		const struct rs_snapshot *s = &n->snapshots.v[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", s->name);
		cJSON_AddStringToObject(o, "id", s->id);
		cJSON_AddItemToObject(o, "index", np_json_u64(s->index));
		cJSON_AddItemToObject(o, "term", np_json_u64(s->term));
		cJSON_AddItemToObject(o, "size", np_json_u64(s->size));
		cJSON_AddItemToObject(o, "configuration_index", np_json_u64(s->config_index));
		if (with_crc) {
			if (s->checked)
				cJSON_AddBoolToObject(o, "crc_ok",
				                      s->has_crc && s->actual_crc == s->crc &&
				                          s->actual_size == s->size);
			else
				cJSON_AddNullToObject(o, "crc_ok");
		}
		if (s->problem[0] != '\0')
			cJSON_AddStringToObject(o, "problem", s->problem);
		else
			cJSON_AddNullToObject(o, "problem");
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

cJSON *np_json_payload(const struct rs_block *b)
{
	char hex[67], when[64];
	cJSON *o;

	if (!b->found)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "number", np_json_u64(b->number));
	cJSON_AddStringToObject(o, "hash", np_hash_hex(b->hash, hex, sizeof(hex)));
	cJSON_AddStringToObject(o, "parent_hash", np_hash_hex(b->parent_hash, hex, sizeof(hex)));
	cJSON_AddItemToObject(o, "timestamp", np_json_u64(b->timestamp));
	cJSON_AddStringToObject(o, "time", np_unix_time(b->timestamp, when, sizeof(when)));
	cJSON_AddNumberToObject(o, "version", b->version);
	cJSON_AddStringToObject(o, "form", b->form == RS_PAYLOAD_LEGACY ? "legacy" : "envelope");
	cJSON_AddItemToObject(o, "transactions", np_json_u64(b->tx_count));
	if (b->source == RS_BLOCK_SNAPSHOT) {
		cJSON_AddStringToObject(o, "source", "snapshot");
		cJSON_AddNullToObject(o, "entry_index");
		cJSON_AddStringToObject(o, "snapshot", b->snapshot);
	} else {
		cJSON_AddStringToObject(o, "source", "log");
		cJSON_AddItemToObject(o, "entry_index", np_json_u64(b->entry_index));
		cJSON_AddNullToObject(o, "snapshot");
	}
	return o;
}

cJSON *np_json_head_scan(const struct rs_node *n)
{
	const struct rs_head *h = &n->head;
	cJSON *o = cJSON_CreateObject(), *ss;

	cJSON_AddItemToObject(o, "from", np_json_u64(h->from));
	cJSON_AddItemToObject(o, "to", np_json_u64(h->to));
	cJSON_AddBoolToObject(o, "complete", h->complete);
	cJSON_AddItemToObject(o, "commands", np_json_u64(h->commands));
	cJSON_AddItemToObject(o, "not_payloads", np_json_u64(h->not_payloads));
	cJSON_AddItemToObject(o, "legacy", np_json_u64(h->legacy));
	cJSON_AddItemToObject(o, "legacy_head", np_json_payload(&h->legacy_block));
	if (h->not_payloads > 0) {
		cJSON *b = cJSON_AddObjectToObject(o, "newest_not_payload");

		cJSON_AddItemToObject(b, "index", np_json_u64(h->first_bad));
		cJSON_AddStringToObject(b, "why", h->first_bad_why);
	} else {
		cJSON_AddNullToObject(o, "newest_not_payload");
	}
	ss = cJSON_AddObjectToObject(o, "snapshot_state");
	if (h->snap_name[0])
		cJSON_AddStringToObject(ss, "snapshot", h->snap_name);
	else
		cJSON_AddNullToObject(ss, "snapshot");
	cJSON_AddStringToObject(ss, "state", np_snap_state_name(h->snap_state));
	if (h->snap_why[0])
		cJSON_AddStringToObject(ss, "why", h->snap_why);
	else
		cJSON_AddNullToObject(ss, "why");
	cJSON_AddItemToObject(ss, "payload", np_json_payload(&h->snap_block));
	return o;
}

cJSON *np_json_terms(const struct rs_node *n)
{
	const struct rs_terms *t = &n->terms;
	cJSON *o, *a;

	if (!t->valid)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "complete", t->complete);
	a = cJSON_AddArrayToObject(o, "starts");
	for (size_t i = 0; i < t->n; i++) {
		cJSON *p = cJSON_CreateArray();

		cJSON_AddItemToArray(p, np_json_u64(t->v[i].index));
		cJSON_AddItemToArray(p, np_json_u64(t->v[i].term));
		cJSON_AddItemToArray(a, p);
	}
	return o;
}

cJSON *np_json_problems(const struct rs_problems *p)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a != NULL && i < p->n; i++) {
		const struct rs_problem *pr = &p->v[i];
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "severity",
		                        pr->severity == RS_PROBLEM ? "error" : "warning");
		cJSON_AddStringToObject(x, "file", pr->file);
		cJSON_AddStringToObject(x, "where", pr->where);
		cJSON_AddStringToObject(x, "reason", pr->reason);
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

cJSON *np_info_json_node(const struct rs_node *n, const char *error)
{
	cJSON *o = cJSON_CreateObject(), *vote, *files;
	const struct rs_server *me, *cand;
	char vt[700];

	cJSON_AddStringToObject(o, "node", n->id);
	cJSON_AddStringToObject(o, "dir", n->dir);
	if (error != NULL) {
		cJSON_AddStringToObject(o, "error", error);
		return o;
	}
	cJSON_AddNullToObject(o, "error");
	me = np_self_member(n);
	cJSON_AddBoolToObject(o, "member", me != NULL);
	cJSON_AddBoolToObject(o, "voter", me != NULL && me->suffrage == RS_VOTER);
	if (me != NULL && rs_suffrage_name(me->suffrage) != NULL)
		cJSON_AddStringToObject(o, "suffrage", rs_suffrage_name(me->suffrage));
	else
		cJSON_AddNullToObject(o, "suffrage");
	cJSON_AddItemToObject(o, "stable", np_json_stable(n));
	vote = cJSON_AddObjectToObject(o, "vote");
	cJSON_AddItemToObject(vote, "term",
	                      n->has_last_vote_term ? np_json_u64(n->last_vote_term)
	                                            : cJSON_CreateNull());
	cand = n->has_last_vote_cand
	           ? rs_config_find(&n->config, n->last_vote_cand, n->last_vote_cand_len)
	           : NULL;
	if (n->has_last_vote_cand)
		cJSON_AddStringToObject(vote, "candidate", n->last_vote_cand);
	else
		cJSON_AddNullToObject(vote, "candidate");
	if (cand != NULL)
		cJSON_AddItemToObject(vote, "candidate_id", np_json_strn(cand->id, cand->id_len));
	else
		cJSON_AddNullToObject(vote, "candidate_id");
	if (n->has_last_vote_cand)
		cJSON_AddStringToObject(vote, "text", np_vote_text(n, vt, sizeof(vt)));
	cJSON_AddItemToObject(o, "log", np_json_log(n));
	cJSON_AddItemToObject(o, "configuration", np_json_config(n));
	cJSON_AddItemToObject(o, "snapshots", np_json_snapshots(n, 0));
	cJSON_AddItemToObject(o, "unsafe_head", np_json_payload(&n->head.block));
	cJSON_AddItemToObject(o, "head_scan", np_json_head_scan(n));
	cJSON_AddItemToObject(o, "terms", np_json_terms(n));
	files = cJSON_AddObjectToObject(o, "files");
	cJSON_AddItemToObject(files, "raft-log.db", np_json_file(&n->log_file));
	cJSON_AddItemToObject(files, "raft-stable.db", np_json_file(&n->stable_file));
	return o;
}

/* ---- reading ---------------------------------------------------------- */

/* An exact unsigned integer member (rs_json_u64). With `present`, null or
 * absent is allowed (*present = 0); without, it is an error. */
static int get_u64(const cJSON *o, const char *key, uint64_t *v, int *present)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	if (present != NULL)
		*present = 0;
	if (j == NULL || cJSON_IsNull(j))
		return present != NULL ? 0 : -1;
	if (rs_json_u64(j, v) != 0)
		return -1;
	if (present != NULL)
		*present = 1;
	return 0;
}

static const char *get_str(const cJSON *o, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The bytes of string member key: from its "<key>_hex" sibling when there
 * is one (the writer adds it to a value that is not UTF-8, whose text is
 * then only a rendering), else its text. A heap copy, NUL-terminated, *len
 * bytes; NULL when absent, malformed or out of memory. */
static char *get_bytes(const cJSON *o, const char *key, size_t *len)
{
	char hk[64];
	const char *h, *s;
	char *out;

	(void)snprintf(hk, sizeof(hk), "%s_hex", key);
	if ((h = get_str(o, hk)) != NULL) {
		size_t n = strlen(h);

		if (n % 2 != 0 || (out = malloc(n / 2 + 1)) == NULL)
			return NULL;
		for (size_t i = 0; i < n / 2; i++) {
			int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);

			if (a < 0 || b < 0) {
				free(out);
				return NULL;
			}
			out[i] = (char)(a << 4 | b);
		}
		out[n / 2] = '\0';
		*len = n / 2;
		return out;
	}
	if ((s = get_str(o, key)) == NULL || (out = strdup(s)) == NULL)
		return NULL;
	*len = strlen(s);
	return out;
}

/* get_bytes into a fixed C string (a name: no NUL inside). */
static int get_name(const cJSON *o, const char *key, char *buf, size_t size)
{
	size_t n = 0;
	char *b = get_bytes(o, key, &n);
	int ok = b != NULL && n < size && memchr(b, '\0', n) == NULL;

	if (ok)
		memcpy(buf, b, n + 1);
	free(b);
	return ok ? 0 : -1;
}

static int hex32(const char *s, uint8_t out[32])
{
	if (s == NULL || strlen(s) != 66 || s[0] != '0' || s[1] != 'x')
		return -1;
	for (int i = 0; i < 32; i++) {
		int a = hexval(s[2 + 2 * i]), b = hexval(s[3 + 2 * i]);

		if (a < 0 || b < 0)
			return -1;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return 0;
}

static int json_servers(const cJSON *a, struct rs_config *c)
{
	int n = cJSON_GetArraySize(a);

	if (!cJSON_IsArray(a) || n > 1024)
		return -1;
	c->servers = calloc((size_t)(n ? n : 1), sizeof(*c->servers));
	if (c->servers == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		const cJSON *s = cJSON_GetArrayItem(a, i);
		const char *suf = get_str(s, "suffrage");
		struct rs_server *x = &c->servers[c->n];

		if ((x->id = get_bytes(s, "id", &x->id_len)) == NULL)
			return -1;
		c->n++;
		if ((x->address = get_bytes(s, "address", &x->address_len)) == NULL)
			return -1;
		/* a suffrage raft has no name for is written as its number */
		if (suf == NULL && get_u64(s, "suffrage", &x->suffrage, NULL) == 0)
			continue;
		x->suffrage = suf == NULL                    ? 99
		              : strcmp(suf, "Voter") == 0    ? RS_VOTER
		              : strcmp(suf, "Nonvoter") == 0 ? RS_NONVOTER
		              : strcmp(suf, "Staging") == 0  ? RS_STAGING
		                                             : 99;
	}
	return 0;
}

static int json_payload(const cJSON *o, struct rs_block *b)
{
	const char *src = get_str(o, "source"), *form = get_str(o, "form");
	uint64_t version = 0, txs = 0;

	memset(b, 0, sizeof(*b));
	if (o == NULL || cJSON_IsNull(o))
		return 0;
	if (get_u64(o, "number", &b->number, NULL) != 0 ||
	    hex32(get_str(o, "hash"), b->hash) != 0 ||
	    get_u64(o, "timestamp", &b->timestamp, NULL) != 0 ||
	    get_u64(o, "version", &version, NULL) != 0 || version > 255 ||
	    get_u64(o, "transactions", &txs, NULL) != 0 || txs > UINT32_MAX || src == NULL ||
	    form == NULL)
		return -1;
	(void)hex32(get_str(o, "parent_hash"), b->parent_hash);
	b->found = 1;
	b->version = (int)version;
	b->tx_count = (uint32_t)txs;
	b->form = strcmp(form, "legacy") == 0 ? RS_PAYLOAD_LEGACY : RS_PAYLOAD_ENVELOPE;
	if (strcmp(src, "snapshot") == 0) {
		b->source = RS_BLOCK_SNAPSHOT;
		strlcpy(b->snapshot, get_str(o, "snapshot") ? get_str(o, "snapshot") : "",
		        sizeof(b->snapshot));
	} else {
		b->source = RS_BLOCK_LOG;
		if (get_u64(o, "entry_index", &b->entry_index, NULL) != 0)
			return -1;
	}
	return 0;
}

/* NEED(cond, field): a node reader's check; when cond fails, what[] names
 * the field and the reader returns -1. */
#define NEED(cond, field)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			(void)snprintf(what, wsize, "%s", field);                                  \
			return -1;                                                                 \
		}                                                                                  \
	} while (0)

/* "snapshots": the newest usable one, and those raft would not restore. */
static int read_snapshots(const cJSON *snaps, struct rs_cmp_node *c, char *what, size_t wsize)
{
	NEED(cJSON_IsArray(snaps), "snapshots");
	for (int i = 0; i < cJSON_GetArraySize(snaps); i++) {
		const cJSON *s = cJSON_GetArrayItem(snaps, i);

		if (get_str(s, "problem") != NULL) {
			/* not usable: raft does not restore it */
			rs_cmp_add_unusable(c, get_str(s, "name") ? get_str(s, "name") : "?",
			                    get_str(s, "problem"));
			continue;
		}
		if (c->has_snapshot)
			continue;
		NEED(get_u64(s, "index", &c->snap_index, NULL) == 0 &&
		         get_u64(s, "term", &c->snap_term, NULL) == 0 && get_str(s, "name") != NULL,
		     "snapshots/index");
		c->has_snapshot = 1;
		strlcpy(c->snap_name, get_str(s, "name"), sizeof(c->snap_name));
	}
	return 0;
}

/* "configuration": where it comes from, its index and servers. */
static int read_config(const cJSON *cfg, struct rs_cmp_node *c, char *what, size_t wsize)
{
	const char *src = get_str(cfg, "source");

	NEED(src != NULL, "configuration/source");
	c->config_source = strcmp(src, "log") == 0        ? RS_CONFIG_LOG
	                   : strcmp(src, "snapshot") == 0 ? RS_CONFIG_SNAPSHOT
	                                                  : RS_CONFIG_NONE;
	if (c->config_source != RS_CONFIG_NONE)
		NEED(get_u64(cfg, "index", &c->config_index, NULL) == 0, "configuration/index");
	NEED(json_servers(cJSON_GetObjectItemCaseSensitive(cfg, "servers"), &c->config) == 0,
	     "configuration/servers");
	return 0;
}

/* "head_scan": whether the scan was complete and what the snapshot held
 * (after "unsafe_head" was read into c->head). */
static int read_head_scan(const cJSON *scan, struct rs_cmp_node *c, char *what, size_t wsize)
{
	const char *st;

	NEED(cJSON_IsObject(scan), "head_scan");
	c->head_complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(scan, "complete"));
	st = get_str(cJSON_GetObjectItemCaseSensitive(scan, "snapshot_state"), "state");
	NEED(st != NULL, "head_scan/snapshot_state/state");
	c->snap_state = strcmp(st, "payload") == 0       ? RS_SNAP_STATE_PAYLOAD
	                : strcmp(st, "empty") == 0       ? RS_SNAP_STATE_EMPTY
	                : strcmp(st, "undecodable") == 0 ? RS_SNAP_STATE_BAD
	                : strcmp(st, "unreadable") == 0  ? RS_SNAP_STATE_UNREAD
	                                                 : RS_SNAP_STATE_NONE;
	if (c->snap_state == RS_SNAP_STATE_BAD && !c->head.found &&
	    cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(scan, "snapshot_state"), "payload")))
		c->snap_state = RS_SNAP_STATE_NONE; /* as rs_cmp_from_node */
	return 0;
}

/* "terms": the term starts, in index order (null: not recorded). */
static int read_terms(const cJSON *terms, struct rs_cmp_node *c, char *what, size_t wsize)
{
	const cJSON *starts = cJSON_GetObjectItemCaseSensitive(terms, "starts");
	int k = cJSON_GetArraySize(starts);

	if (cJSON_IsNull(terms))
		return 0;
	NEED(cJSON_IsObject(terms) && cJSON_IsArray(starts) && k <= RS_TERMS_MAX, "terms/starts");
	for (int i = 0; i < k; i++) {
		const cJSON *p = cJSON_GetArrayItem(starts, i);

		NEED(cJSON_IsArray(p) && cJSON_GetArraySize(p) == 2 &&
		         rs_json_u64(cJSON_GetArrayItem(p, 0), &c->terms.v[i].index) == 0 &&
		         rs_json_u64(cJSON_GetArrayItem(p, 1), &c->terms.v[i].term) == 0,
		     "terms/starts");
		NEED(i == 0 || c->terms.v[i].index > c->terms.v[i - 1].index,
		     "terms/starts (in index order)");
	}
	c->terms.n = (size_t)k;
	c->terms.complete = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(terms, "complete"));
	c->terms.valid = 1;
	return 0;
}

/* One node object (np_info_json_node). Returns 0, or -1 with what[] naming
 * the field that is missing or wrong. */
static int read_node(const cJSON *o, struct rs_cmp_node *c, char *what, size_t wsize)
{
	const cJSON *stable = cJSON_GetObjectItemCaseSensitive(o, "stable");
	const cJSON *vote = cJSON_GetObjectItemCaseSensitive(o, "vote");
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(o, "log");
	const char *err = get_str(o, "error");
	uint64_t count = 0;
	int has_vote_term = 0;

	NEED(cJSON_IsObject(o) && get_name(o, "node", c->name, sizeof(c->name)) == 0, "node");
	if (err != NULL) {
		(void)snprintf(c->error, sizeof(c->error),
		               "could not be read where info ran: %.500s", err);
		return 0;
	}
	NEED(get_u64(stable, "current_term", &c->current_term, &c->has_current_term) == 0,
	     "stable/current_term");
	NEED(get_u64(vote, "term", &c->vote_term, &has_vote_term) == 0, "vote/term");
	if (get_str(vote, "candidate") != NULL) {
		NEED(get_name(vote, "candidate", c->vote_cand, sizeof(c->vote_cand)) == 0,
		     "vote/candidate");
		c->has_vote = 1;
	}
	NEED(get_u64(log, "count", &count, NULL) == 0, "log/count");
	NEED(get_u64(log, "first_index", &c->first_index, NULL) == 0, "log/first_index");
	NEED(get_u64(log, "last_index", &c->last_index, NULL) == 0, "log/last_index");
	NEED(get_u64(log, "last_term", &c->last_term, NULL) == 0, "log/last_term");
	if (count == 0)
		c->first_index = c->last_index = c->last_term = 0;
	if (read_snapshots(cJSON_GetObjectItemCaseSensitive(o, "snapshots"), c, what, wsize) != 0 ||
	    read_config(cJSON_GetObjectItemCaseSensitive(o, "configuration"), c, what, wsize) != 0)
		return -1;
	NEED(json_payload(cJSON_GetObjectItemCaseSensitive(o, "unsafe_head"), &c->head) == 0,
	     "unsafe_head");
	if (read_head_scan(cJSON_GetObjectItemCaseSensitive(o, "head_scan"), c, what, wsize) != 0)
		return -1;
	return read_terms(cJSON_GetObjectItemCaseSensitive(o, "terms"), c, what, wsize);
}
#undef NEED

int np_info_json_read(cJSON *doc, const char *path, struct rs_cmp_node *v, size_t room,
                      size_t *count, struct rs_err *err)
{
	struct oci_quoted q = oci_path(path);
	const char *shown = q.s;
	char what[64] = "";
	cJSON *list;
	uint64_t ver = 0;
	int n;

	*count = 0;
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return rs_errf(err, RS_ECORRUPT,
		               "%s is not a `raft info --json` document (not a JSON object)",
		               shown);
	}
	if (get_u64(doc, "schema_version", &ver, NULL) != 0) {
		cJSON_Delete(doc);
		(void)rs_errf(err, RS_ECORRUPT,
		              "%s has no schema_version: compare reads version %d", shown,
		              NP_JSON_SCHEMA_VERSION);
		return rs_err_suffix(err, "; write it with this release's `raft info --json`");
	}
	if (ver != NP_JSON_SCHEMA_VERSION) {
		cJSON_Delete(doc);
		(void)rs_errf(err, RS_ECORRUPT,
		              "%s has JSON schema_version %llu; compare reads version %d", shown,
		              (unsigned long long)ver, NP_JSON_SCHEMA_VERSION);
		return rs_err_suffix(err, "; write it with this release's `raft info --json`");
	}
	list = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
	n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 1;
	for (int i = 0; i < n; i++) {
		const cJSON *o = cJSON_IsArray(list) ? cJSON_GetArrayItem(list, i) : doc;
		struct rs_cmp_node *c = &v[*count];

		if (*count >= room) {
			cJSON_Delete(doc);
			return rs_errf(err, RS_ELIMIT, "more than %zu nodes to compare", room);
		}
		memset(c, 0, sizeof(*c));
		(*count)++;
		strlcpy(c->origin, path, sizeof(c->origin));
		if (read_node(o, c, what, sizeof(what)) != 0) {
			cJSON_Delete(doc);
			return rs_errf(
			    err, RS_ECORRUPT,
			    "%s is not a `raft info --json` document: node %d has no valid %s",
			    shown, i + 1, what);
		}
	}
	cJSON_Delete(doc);
	return RS_OK;
}
