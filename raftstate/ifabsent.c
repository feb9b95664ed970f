/*
 * --if-absent's verdict on existing state (ifabsent.h): a node directory
 * compared with what generate would write, and an existing cluster.json
 * with the cluster given.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt/file.h"
#include "raftstate/clusterfile.h"
#include "raftstate/filecopy.h"
#include "raftstate/generate.h"
#include "raftstate/ifabsent.h"
#include "raftstate/node.h"
#include "raftstate/nodedir.h"
#include "raftstate/path.h"
#include "raftstate/summary.h"

/* ---- differences ------------------------------------------------------- */

void rs_diff_add(struct rs_diff *d, const char *fmt, ...)
{
	char line[PATH_MAX + 1200]; /* a note names a node directory */
	va_list ap;
	char *p;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	if ((size_t)k >= sizeof(line))
		k = (int)sizeof(line) - 1;
	p = realloc(d->text, d->len + (size_t)k + 2);
	if (p == NULL) {
		d->nomem = 1;
		return;
	}
	memcpy(p + d->len, line, (size_t)k);
	d->len += (size_t)k;
	p[d->len++] = '\n';
	p[d->len] = '\0';
	d->text = p;
	d->n++;
}

/* Appends the lines of `from` to `to`. */
static void diff_append(struct rs_diff *to, const struct rs_diff *from)
{
	char *p;

	if (from->len == 0 || (p = realloc(to->text, to->len + from->len + 1)) == NULL)
		return;
	memcpy(p + to->len, from->text, from->len + 1);
	to->text = p;
	to->len += from->len;
	to->n += from->n;
}

void rs_diff_free(struct rs_diff *d)
{
	free(d->text);
	memset(d, 0, sizeof(*d));
}

/* ---- --if-absent ------------------------------------------------------- */

/* 1: a and b hold the same bytes; 0: not (a FIFO or a link in place of a
 * state file is "not the same"); -1: a read failed, so it cannot tell. Each
 * piece is read whole (rs_pread_full: a read cut short is read on). */
static int same_file(const char *a, const char *b)
{
	uint8_t ba[8192], bb[8192];
	struct stat sa, sb;
	int fa, fb, same;

	(void)bolt_file_open(AT_FDCWD, a, 0, NULL, &fa, &sa, NULL);
	(void)bolt_file_open(AT_FDCWD, b, 0, NULL, &fb, &sb, NULL);
	same = fa >= 0 && fb >= 0 && sa.st_size == sb.st_size;
	for (uint64_t off = 0; same == 1 && off < (uint64_t)sa.st_size; off += sizeof(ba)) {
		size_t n = (uint64_t)sa.st_size - off < sizeof(ba) ? (size_t)((uint64_t)sa.st_size - off)
		                                                    : sizeof(ba);
		int x = bolt_pread_full(fa, ba, n, off), y = bolt_pread_full(fb, bb, n, off);

		if (x < 0 || y < 0)
			same = -1;
		else if (x > 0 || y > 0 || memcmp(ba, bb, n) != 0)
			same = 0; /* one ended early (it shrank), or they differ */
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return same;
}

/* Are the node's files byte for byte what rs_generate_node would write?
 * The reference goes into a private temporary directory (never into the
 * node's: --if-absent writes nothing there). -1: could not tell. */
static int same_bytes(const char *node_dir, const struct rs_config *cfg, const char *id,
                      const char *leader, uint64_t term)
{
	static const char *const dbs[] = {RS_LOG_FILE, RS_STABLE_FILE};
	char tmpl[PATH_MAX], a[PATH_MAX + 32], b[PATH_MAX + 32];
	const char *tmpdir = getenv("TMPDIR");
	struct rs_err err = {0};
	int same = -1;

	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if (snprintf(tmpl, sizeof(tmpl), "%s/oci-if-absent.XXXXXX", tmpdir) >= (int)sizeof(tmpl) ||
	    mkdtemp(tmpl) == NULL)
		return -1;
	if (rs_generate_node(tmpl, cfg, id, leader, term, NULL, &err) == RS_OK) {
		same = 1;
		for (size_t i = 0; i < 2; i++) {
			if (rs_path_join(a, sizeof(a), node_dir, dbs[i]) != 0)
				same = -1;
			(void)rs_path_join(b, sizeof(b), tmpl, dbs[i]);
			if (same == 1)
				same = same_file(a, b);
		}
	}
	rs_remove_tree(tmpl);
	return same;
}

static const char *suffrage_word(uint64_t s)
{
	return s == RS_VOTER ? "voter" : s == RS_NONVOTER ? "nonvoter" : "staging";
}

static int same_server(const struct rs_server *a, const struct rs_server *b)
{
	return a != NULL && b != NULL && a->address_len == b->address_len &&
	       memcmp(a->address, b->address, a->address_len) == 0 && a->suffrage == b->suffrage;
}

/* Members as sets keyed by ID: "- ID ADDRESS SUFFRAGE" for what the state
 * holds and the command was not given, "+ ..." for the reverse. */
static void diff_members(struct rs_diff *d, const char *id, const struct rs_config *have,
                         const struct rs_config *want)
{
	char q1[600], q2[600];

	for (size_t i = 0; i < have->n; i++) {
		const struct rs_server *h = &have->servers[i];

		if (!same_server(h, rs_config_server(want, h->id, h->id_len)))
			rs_diff_add(
			    d, "  %s: - member %s %s %s", id, rs_quote(h->id, q1, sizeof(q1)),
			    rs_quote(h->address, q2, sizeof(q2)), suffrage_word(h->suffrage));
	}
	for (size_t j = 0; j < want->n; j++) {
		const struct rs_server *w = &want->servers[j];

		if (!same_server(w, rs_config_server(have, w->id, w->id_len)))
			rs_diff_add(
			    d, "  %s: + member %s %s %s", id, rs_quote(w->id, q1, sizeof(q1)),
			    rs_quote(w->address, q2, sizeof(q2)), suffrage_word(w->suffrage));
	}
}

/* Whether the two configurations have a server in common (same ID and
 * address): the mark of one cluster, whatever raft changed since. */
static int share_a_server(const struct rs_config *a, const struct rs_config *b)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct rs_server *o =
		    rs_config_server(b, a->servers[i].id, a->servers[i].id_len);

		if (o != NULL && o->address_len == a->servers[i].address_len &&
		    memcmp(o->address, a->servers[i].address, o->address_len) == 0)
			return 1;
	}
	return 0;
}

struct first_entry {
	int found;
	uint64_t index, term;
};

static int take_first(void *ctx, const struct rs_log *log, const struct rs_config *cfg)
{
	struct first_entry *f = ctx;

	(void)cfg;
	f->found = 1;
	f->index = log->index;
	f->term = log->term;
	return 1;
}

/* Generated state raft has not touched: the vote must be what generate
 * records (the leader's own vote in the initial term; none elsewhere). */
static int vote_as_generated(const struct rs_node *n, const char *id, int is_leader, uint64_t term,
                             struct rs_diff *d)
{
	int has_vote = n->has_last_vote_cand || n->has_last_vote_term;
	char q[600];

	if (is_leader ? n->has_last_vote_cand && n->has_last_vote_term &&
	                    n->last_vote_term == term && strcmp(n->last_vote_cand, id) == 0
	              : !has_vote)
		return 1;
	if (has_vote)
		rs_diff_add(d, "  %s: - vote for %s in term %llu", id,
		            rs_quote(n->last_vote_cand, q, sizeof(q)),
		            (unsigned long long)n->last_vote_term);
	else
		rs_diff_add(d, "  %s: - no vote", id);
	if (is_leader)
		rs_diff_add(d, "  %s: + vote for %s in term %llu", id, rs_quote(id, q, sizeof(q)),
		            (unsigned long long)term);
	else
		rs_diff_add(d, "  %s: + no vote", id);
	return 0;
}

int rs_if_absent_node(const char *node_dir, const char *id, const struct rs_config *want,
                      const char *leader, uint64_t term, struct rs_diff *changed,
                      struct rs_diff *conflict, char *note, size_t notesize)
{
	struct rs_summary_opts o = {.lock_timeout = 2.0};
	struct first_entry first = {0};
	struct rs_err err = {0};
	struct rs_diff members = {0};
	struct rs_node *n;
	size_t before = conflict->n;
	int rc, written, verdict = RS_NODE_CONFLICT;

	if (same_bytes(node_dir, want, id, leader, term) == 1) {
		(void)snprintf(note, notesize, "identical to what this command writes");
		return RS_NODE_SAME;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return RS_NODE_NOMEM;
	rc = rs_node_summarize(node_dir, &o, n, &err);
	if (rc == RS_ELOCKED) { /* a running node holds it: read it live */
		o.live = 1;
		rs_node_free(n);
		memset(n, 0, sizeof(*n));
		rc = rs_node_summarize(node_dir, &o, n, &err);
	}
	if (rc == RS_ENOMEM) {
		verdict = RS_NODE_NOMEM;
		goto out;
	}
	if (rc != RS_OK) {
		rs_diff_add(conflict, "  %s: the existing state cannot be read: %s", id, err.msg);
		goto out;
	}
	/* raft has written to it: a higher term, more than the generated
	 * entry 1, or a snapshot */
	written = (n->has_current_term && n->current_term > term) || n->last_index > 1 ||
	          n->snapshots.n > 0;
	if (n->config_source == RS_CONFIG_NONE)
		rs_diff_add(&members, "  %s: - no configuration in the log or a snapshot", id);
	else
		diff_members(&members, id, &n->config, want);
	/* what no run of this cluster can have produced, raft or not */
	if (n->first_index == 1 && n->count > 0 &&
	    rs_node_entries(node_dir, &o, 0, take_first, &first, &err) == RS_OK && first.found &&
	    first.index == 1 && first.term != term) {
		rs_diff_add(conflict, "  %s: - initial term %llu (log entry 1)", id,
		            (unsigned long long)first.term);
		rs_diff_add(conflict, "  %s: + initial term %llu", id, (unsigned long long)term);
	}
	if (!n->has_current_term || n->current_term < term) {
		if (n->has_current_term)
			rs_diff_add(conflict, "  %s: - current term %llu", id,
			            (unsigned long long)n->current_term);
		else
			rs_diff_add(conflict, "  %s: - no current term", id);
		rs_diff_add(conflict, "  %s: + current term %llu", id, (unsigned long long)term);
	}
	if (written && n->config_source != RS_CONFIG_NONE && !share_a_server(&n->config, want))
		rs_diff_add(conflict,
		            "  %s: no server of raft's configuration is in the given one (another "
		            "cluster's state?)",
		            id);
	if (conflict->n > before || (!written && members.n > 0)) {
		diff_append(conflict, &members);
		goto out;
	}
	if (!written) {
		if (!vote_as_generated(n, id, strcmp(id, leader) == 0, term, conflict))
			goto out;
		(void)snprintf(note, notesize,
		               "same configuration, term and vote as this command writes");
		verdict = RS_NODE_SAME;
		goto out;
	}
	if (members.n > 0) {
		diff_append(changed, &members);
		(void)snprintf(note, notesize,
		               "already initialized: raft has moved on (current term %llu, last "
		               "index %llu) and changed the configuration; the state here is kept",
		               (unsigned long long)n->current_term,
		               (unsigned long long)n->last_index);
	} else {
		(void)snprintf(note, notesize,
		               "already initialized: raft has moved on (current term %llu, last "
		               "index %llu), same members",
		               (unsigned long long)n->current_term,
		               (unsigned long long)n->last_index);
	}
	verdict = RS_NODE_MOVED_ON;
out:
	rs_diff_free(&members);
	rs_node_free(n);
	free(n);
	return verdict;
}

/* ---- cluster.json ---------------------------------------------------------- */

static int same_member(const struct rs_member *a, const struct rs_member *b)
{
	return strcmp(a->id, b->id) == 0 && strcmp(a->address, b->address) == 0 &&
	       a->nonvoter == b->nonvoter;
}

/* "- node ..." for each member of `from` that `in` lacks ('-' or '+'). */
static void diff_nodes(struct rs_diff *d, char sign, const struct rs_members *from,
                       const struct rs_members *in)
{
	for (size_t i = 0; i < from->n; i++) {
		size_t j = 0;

		while (j < in->n && !same_member(&from->m[i], &in->m[j]))
			j++;
		if (j == in->n)
			rs_diff_add(d, "  %s: %c node %s %s %s", RS_CLUSTER_JSON, sign,
			            rs_q(from->m[i].id).s, rs_q(from->m[i].address).s,
			            from->m[i].nonvoter ? "nonvoter" : "voter");
	}
}

void rs_if_absent_record(const char *outdir, const struct rs_members *ms, uint64_t term,
                         const char *network, struct rs_diff *d)
{
	char path[PATH_MAX], msg[1024];
	struct rs_cluster_file cf;
	struct stat st;
	int rc;

	if (rs_path_join(path, sizeof(path), outdir, RS_CLUSTER_JSON) != 0 ||
	    lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return; /* none (or a node named cluster.json): nothing to compare */
	if ((rc = rs_cluster_file_load(path, &cf, msg, sizeof(msg))) != RS_CLUSTER_FILE_OK) {
		if (rc == RS_CLUSTER_FILE_ENOMEM)
			d->nomem = 1; /* no fact about the file */
		else
			rs_diff_add(d, "  %s: %s", RS_CLUSTER_JSON, msg);
		rs_cluster_file_free(&cf);
		return;
	}
	if (cf.has_term && cf.term != term) {
		rs_diff_add(d, "  %s: - initial_term %llu", RS_CLUSTER_JSON,
		            (unsigned long long)cf.term);
		rs_diff_add(d, "  %s: + initial_term %llu", RS_CLUSTER_JSON,
		            (unsigned long long)term);
	}
	if (cf.leader != NULL && strcmp(cf.leader, ms->m[ms->leader].id) != 0) {
		rs_diff_add(d, "  %s: - initial_leader %s", RS_CLUSTER_JSON, rs_q(cf.leader).s);
		rs_diff_add(d, "  %s: + initial_leader %s", RS_CLUSTER_JSON,
		            rs_q(ms->m[ms->leader].id).s);
	}
	if (network != NULL && *network != '\0' &&
	    (cf.network == NULL || strcmp(cf.network, network) != 0)) {
		rs_diff_add(d, "  %s: - network %s", RS_CLUSTER_JSON,
		            cf.network != NULL ? rs_q(cf.network).s : "null");
		rs_diff_add(d, "  %s: + network %s", RS_CLUSTER_JSON, rs_q(network).s);
	}
	diff_nodes(d, '-', &cf.ms, ms);
	diff_nodes(d, '+', ms, &cf.ms);
	rs_cluster_file_free(&cf);
}
