/*
 * raft compare's result as text and as JSON (docs/json.md): the table of
 * nodes, the findings in words, and the document. The comparison itself is
 * raftstate's (raftstate/compare.h); this only shows it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "present/compare.h"
#include "present/jsonout.h"
#include "present/nodejson.h"
#include "present/nodetext.h"

struct nodes {
	const struct rs_cmp_node *v;
	size_t n;
};

static const char *relation_name(int r)
{
	static const char *const names[] = {"source",     "same",    "behind",  "diverged",
	                                    "no_overlap", "unknown", "invalid", "ahead"};

	return r >= 0 && r <= RS_REL_AHEAD ? names[r] : "unknown";
}

static void print_table(const struct nodes *ns)
{
	char hex[67], vote[300], snap[32], log[64];

	printf("%-16s %6s  %-20s  %-24s  %9s  %-16s  %s\n", "NODE", "TERM", "VOTE",
	       "LOG first..last (term)", "SNAPSHOT", "CONFIGURATION", "UNSAFE HEAD");
	for (size_t i = 0; i < ns->n; i++) {
		const struct rs_cmp_node *c = &ns->v[i];

		if (c->error[0]) {
			printf("%-16s %s\n", c->name, c->error);
			continue;
		}
		if (c->has_vote)
			(void)snprintf(vote, sizeof(vote), "%" PRIu64 " %s", c->vote_term,
			               c->vote_cand);
		else
			(void)snprintf(vote, sizeof(vote), "-");
		if (c->last_index == 0)
			(void)snprintf(log, sizeof(log), "empty");
		else
			(void)snprintf(log, sizeof(log), "%" PRIu64 "..%" PRIu64 " (%" PRIu64 ")",
			               c->first_index, c->last_index, c->last_term);
		if (c->has_snapshot)
			(void)snprintf(snap, sizeof(snap), "%" PRIu64, c->snap_index);
		else
			(void)snprintf(snap, sizeof(snap), "-");
		printf("%-16s %6" PRIu64 "  %-20.20s  %-24s  %9s  ", c->name, c->current_term, vote,
		       log, snap);
		if (c->config_source == RS_CONFIG_NONE)
			printf("%-16s  ", "none");
		else
			printf("%-4s %-6" PRIu64 " (%zu)  ",
			       c->config_source == RS_CONFIG_LOG ? "log" : "snap", c->config_index,
			       c->config.n);
		if (c->head.found)
			printf("%" PRIu64 " %.18s%s\n", c->head.number,
			       np_hash_hex(c->head.hash, hex, sizeof(hex)),
			       c->head.form == RS_PAYLOAD_LEGACY ? " (legacy)" : "");
		else
			printf("none\n");
	}
}

static void print_members(const struct rs_config *c)
{
	char id[300], addr[300];

	for (size_t i = 0; i < c->n; i++)
		printf("%s%s=%s%s", i ? ", " : "",
		       np_str(c->servers[i].id, c->servers[i].id_len, id, sizeof(id)),
		       np_str(c->servers[i].address, c->servers[i].address_len, addr, sizeof(addr)),
		       c->servers[i].suffrage == RS_VOTER ? "" : " (not a voter)");
	if (c->n == 0)
		printf("(none)");
}

/* "index I, term T (from the log|its snapshot NAME)" */
static const char *last_text(const struct rs_cmp_node *c, char *buf, size_t size)
{
	struct rs_last_entry l = rs_cmp_last(c);

	if (l.from_snapshot)
		(void)snprintf(buf, size, "term %" PRIu64 ", index %" PRIu64 " (its snapshot %s)",
		               l.term, l.index, c->snap_name);
	else
		(void)snprintf(buf, size, "term %" PRIu64 ", index %" PRIu64, l.term, l.index);
	return buf;
}

/* Who raft elects, whether a recovery is needed, and with which term. */
static void print_source(const struct nodes *ns, const struct rs_cmp_result *r)
{
	const struct rs_cmp_node *src = r->has_source ? &ns->v[r->source] : NULL;
	char last[400];

	if (!r->has_ref) {
		printf("  No node can be compared: every one is invalid.\n");
		return;
	}
	if (src == NULL) {
		printf("  No valid node is a voter of its own configuration, so none starts an "
		       "election: raft elects no leader from these nodes. `raft recover` them "
		       "with a configuration that lists them as voters, with --term %" PRIu64
		       " on every one.\n",
		       r->recover_term);
		return;
	}
	printf("  Most up to date voter (last entry %s): %s%s.\n",
	       last_text(src, last, sizeof(last)), src->name,
	       r->tie ? " (tied with the nodes marked \"the same log\")" : "");
	if (ns->n == 1)
		printf("  One node: the only survivor compared. Its configuration has %zu voter%s; "
		       "a leader needs %zu.\n",
		       r->voters, r->voters == 1 ? "" : "s", r->quorum);
	if (r->recovery_needed)
		printf(
		    "  Recovery needed: %zu of its configuration's %zu voter%s %s here and valid; "
		    "a leader needs %zu. Start `raft recover` from %s, with --term %" PRIu64
		    " on every survivor.\n",
		    r->voters_present, r->voters, r->voters == 1 ? "" : "s",
		    r->voters_present == 1 ? "is" : "are", r->quorum, src->name, r->recover_term);
	else
		printf(
		    "  No recovery is needed: %zu of its configuration's %zu voter%s %s here and "
		    "valid (a leader needs %zu), and each grants %s its vote%s: raft elects a "
		    "leader by itself when they start.\n",
		    r->voters_present, r->voters, r->voters == 1 ? "" : "s",
		    r->voters_present == 1 ? "is" : "are", r->quorum, src->name,
		    r->tie ? " (and so each node with the same log: whichever campaigns first wins)"
		           : "");
	if (r->has_nonvoter_ahead) {
		const struct rs_cmp_node *a = &ns->v[r->nonvoter_ahead];
		const struct rs_cmp_pair *p = &r->pairs[r->nonvoter_ahead];

		printf("  NONVOTER AHEAD: %s holds more than every voter (last entry %s), but "
		       "a nonvoter never starts an election, so raft elects %s. ",
		       a->name, last_text(a, last, sizeof(last)), src->name);
		if (p->relation == RS_REL_AHEAD)
			printf(
			    "Its entries %" PRIu64 "..%" PRIu64 " are on no voter: they are "
			    "discarded when it follows %s. Recovering from %s instead (listed as "
			    "a voter) would keep them and lose nothing %s holds.\n",
			    p->common + 1, rs_cmp_last(a).index, src->name, a->name, src->name);
		else if (p->relation == RS_REL_DIVERGED)
			printf(
			    "Its entries %" PRIu64 "..%" PRIu64 " differ from %s's and are "
			    "discarded when it follows %s. Recovering from %s instead (listed as "
			    "a voter) would keep them and lose %s's entries %" PRIu64 "..%" PRIu64
			    ".\n",
			    p->discard_from, p->discard_to, src->name, src->name, a->name,
			    src->name, p->discard_from, rs_cmp_last(src).index);
		else
			printf("How its log relates to %s's cannot be decided from these facts.\n",
			       src->name);
	}
}

/* A diverging node: where it leaves the source, and whether its unsafe head
 * is on the tail it loses. */
static void print_diverged(const struct nodes *ns, const struct rs_cmp_node *src,
                           const struct rs_cmp_node *c, const struct rs_cmp_pair *p)
{
	char h1[67], h2[67];

	printf("  %s: DIVERGES from %s after index %" PRIu64 ": its entries %" PRIu64 "..%" PRIu64
	       " (term %" PRIu64 "; %s has term %" PRIu64
	       " there) are not on %s and are discarded when it follows %s.\n",
	       c->name, src->name, p->common, p->discard_from, p->discard_to, p->its_term,
	       src->name, p->source_term, src->name, src->name);
	if (p->head_conflict) {
		const struct rs_cmp_node *o = &ns->v[p->head_conflict_with];

		printf("    CONFLICT: its unsafe head, block %" PRIu64 " %s (entry %" PRIu64
		       "), is on that tail; %s holds block %" PRIu64
		       " with hash %s. The two blocks conflict: %s's is lost when it "
		       "follows %s.\n",
		       c->head.number, np_hash_hex(c->head.hash, h1, sizeof(h1)),
		       c->head.entry_index, o->name, o->head.number,
		       np_hash_hex(o->head.hash, h2, sizeof(h2)), c->name, src->name);
	} else if (p->head_lost) {
		printf("    Its unsafe head (block %" PRIu64 " %s, entry %" PRIu64
		       ") is on that tail: it is lost when it follows %s.\n",
		       c->head.number, np_hash_hex(c->head.hash, h1, sizeof(h1)),
		       c->head.entry_index, src->name);
	}
}

/* One line (two for a diverging node) on how node c's log relates to the
 * source's. */
static void print_relation(const struct nodes *ns, const struct rs_cmp_node *src,
                           const struct rs_cmp_node *c, const struct rs_cmp_pair *p)
{
	switch (p->relation) {
	case RS_REL_INVALID:
		printf("  %s: INVALID: %s\n", c->name, p->invalid_why);
		break;
	case RS_REL_SAME:
		printf("  %s: the same log as %s (both end at index %" PRIu64 ", term %" PRIu64
		       ").\n",
		       c->name, src->name, c->last_index, c->last_term);
		break;
	case RS_REL_BEHIND:
		printf("  %s: behind %s by %" PRIu64 " entr%s: its log is a prefix (they agree "
		       "up to index %" PRIu64 ").\n",
		       c->name, src->name, p->behind, p->behind == 1 ? "y" : "ies", p->common);
		break;
	case RS_REL_NO_OVERLAP:
		if (src->has_snapshot)
			printf("  %s: behind %s by %" PRIu64
			       " entr%s: its last entry (index %" PRIu64
			       ") is below what %s can send from its log, so it needs %s's "
			       "snapshot (%s, index %" PRIu64 ").\n",
			       c->name, src->name, p->behind, p->behind == 1 ? "y" : "ies",
			       rs_cmp_last(c).index, src->name, src->name, src->snap_name,
			       src->snap_index);
		else
			printf("  %s: its log (%" PRIu64 "..%" PRIu64
			       ") does not overlap %s's (%" PRIu64 "..%" PRIu64
			       "): it is behind and needs %s's snapshot.\n",
			       c->name, c->first_index, c->last_index, src->name, src->first_index,
			       src->last_index, src->name);
		break;
	case RS_REL_DIVERGED:
		print_diverged(ns, src, c, p);
		break;
	case RS_REL_AHEAD:
		printf("  %s: ahead of %s by %" PRIu64 " entr%s: %s's log is a prefix of its "
		       "own (they agree up to index %" PRIu64 ").\n",
		       c->name, src->name, p->ahead, p->ahead == 1 ? "y" : "ies", src->name,
		       p->common);
		break;
	case RS_REL_UNKNOWN:
		printf("  %s: cannot be matched against %s: the term starts recorded do not "
		       "cover their common range.\n",
		       c->name, src->name);
		break;
	default:
		break;
	}
}

/* What concerns the cluster as a whole: the highest unsafe head, a reorg
 * risk, unusable snapshots and configuration mismatches, then the verdict. */
static void print_cluster_findings(const struct nodes *ns, const struct rs_cmp_result *r,
                                   const struct rs_cmp_node *src)
{
	char h1[67], h2[67];

	if (r->has_head_high) {
		const struct rs_cmp_node *h = &ns->v[r->head_high];

		printf("  Highest unsafe head: %" PRIu64 " %s on %s.\n", h->head.number,
		       np_hash_hex(h->head.hash, h1, sizeof(h1)), h->name);
	} else {
		printf("  No unsafe head on any node.\n");
	}
	if (r->reorg) {
		const struct rs_cmp_node *a = &ns->v[r->reorg_a], *b = &ns->v[r->reorg_b];

		printf("  UNSAFE REORG RISK: %s and %s both hold block %" PRIu64
		       " with different hashes (%s vs %s).\n",
		       a->name, b->name, a->head.number, np_hash_hex(a->head.hash, h1, sizeof(h1)),
		       np_hash_hex(b->head.hash, h2, sizeof(h2)));
	}
	for (size_t i = 0; i < ns->n; i++) {
		const struct rs_cmp_node *c = &ns->v[i];

		if (c->snap_unusable == 0)
			continue;
		printf("  UNUSABLE SNAPSHOT on %s: %s%s; raft does not restore it", c->name,
		       c->snap_unusable_why,
		       c->snap_unusable > 1 ? " (and more: run raft verify)" : "");
		if (c->has_snapshot)
			printf(" (it restores %s instead).\n", c->snap_name);
		else
			printf(" (no other snapshot is usable).\n");
	}
	for (size_t i = 0; src != NULL && i < ns->n; i++) {
		if (!r->config_differs[i])
			continue;
		printf("  CONFIGURATION MISMATCH: %s starts with ", ns->v[i].name);
		print_members(&ns->v[i].config);
		printf("; %s with ", src->name);
		print_members(&src->config);
		printf(".\n");
	}
	printf("\n%s\n", r->consistent ? "CONSISTENT" : "NOT CONSISTENT");
}

static void print_findings(const struct nodes *ns, const struct rs_cmp_result *r)
{
	const struct rs_cmp_node *src = r->has_ref ? &ns->v[r->ref] : NULL;

	printf("\nFindings:\n");
	print_source(ns, r);
	for (size_t i = 0; i < ns->n; i++)
		print_relation(ns, src, &ns->v[i], &r->pairs[i]);
	print_cluster_findings(ns, r, src);
}

/* What compare knows of node c (as info read it), in the shape of info's
 * own document: term, vote, log, snapshots, configuration. */
static void json_facts(cJSON *o, const struct rs_cmp_node *c)
{
	cJSON *x;

	cJSON_AddItemToObject(o, "current_term",
	                      c->has_current_term ? np_json_u64(c->current_term)
	                                          : cJSON_CreateNull());
	x = cJSON_AddObjectToObject(o, "vote");
	cJSON_AddItemToObject(x, "term",
	                      c->has_vote ? np_json_u64(c->vote_term) : cJSON_CreateNull());
	if (c->has_vote)
		cJSON_AddStringToObject(x, "candidate", c->vote_cand);
	else
		cJSON_AddNullToObject(x, "candidate");
	x = cJSON_AddObjectToObject(o, "log");
	cJSON_AddItemToObject(x, "first_index", np_json_u64(c->first_index));
	cJSON_AddItemToObject(x, "last_index", np_json_u64(c->last_index));
	cJSON_AddItemToObject(x, "last_term", np_json_u64(c->last_term));
	if (c->has_snapshot) {
		x = cJSON_AddObjectToObject(o, "snapshot");
		cJSON_AddStringToObject(x, "name", c->snap_name);
		cJSON_AddItemToObject(x, "index", np_json_u64(c->snap_index));
		cJSON_AddItemToObject(x, "term", np_json_u64(c->snap_term));
	} else {
		cJSON_AddNullToObject(o, "snapshot");
	}
	if (c->snap_unusable > 0) {
		x = cJSON_AddObjectToObject(o, "unusable_snapshots");
		cJSON_AddItemToObject(x, "count", np_json_u64(c->snap_unusable));
		cJSON_AddStringToObject(x, "newest", c->snap_unusable_why);
	} else {
		cJSON_AddNullToObject(o, "unusable_snapshots");
	}
	x = cJSON_AddObjectToObject(o, "configuration");
	cJSON_AddStringToObject(x, "source",
	                        c->config_source == RS_CONFIG_LOG        ? "log"
	                        : c->config_source == RS_CONFIG_SNAPSHOT ? "snapshot"
	                                                                 : "none");
	cJSON_AddItemToObject(x, "index",
	                      c->config_source != RS_CONFIG_NONE ? np_json_u64(c->config_index)
	                                                         : cJSON_CreateNull());
	cJSON_AddItemToObject(x, "servers", np_json_servers(&c->config));
}

/* How node c relates to the source: candidate, last entry, distances, a
 * head conflict and what it discards. */
static void json_relation(cJSON *o, const struct nodes *ns, const struct rs_cmp_node *c,
                          const struct rs_cmp_pair *p)
{
	struct rs_last_entry l = rs_cmp_last(c);
	char hex[67];
	cJSON *x;

	cJSON_AddBoolToObject(o, "candidate", p->candidate);
	x = cJSON_AddObjectToObject(o, "last_entry");
	cJSON_AddItemToObject(x, "index", np_json_u64(l.index));
	cJSON_AddItemToObject(x, "term", np_json_u64(l.term));
	cJSON_AddStringToObject(x, "from", l.from_snapshot ? "snapshot" : "log");
	cJSON_AddItemToObject(o, "common_index", np_json_u64(p->common));
	cJSON_AddItemToObject(o, "behind_by", np_json_u64(p->behind));
	cJSON_AddItemToObject(o, "ahead_by", np_json_u64(p->ahead));
	if (p->head_conflict) {
		const struct rs_cmp_node *w = &ns->v[p->head_conflict_with];

		x = cJSON_AddObjectToObject(o, "head_conflict");
		cJSON_AddItemToObject(x, "number", np_json_u64(c->head.number));
		cJSON_AddStringToObject(x, "hash", np_hash_hex(c->head.hash, hex, sizeof(hex)));
		cJSON_AddStringToObject(x, "node", w->name);
		cJSON_AddStringToObject(x, "other_hash",
		                        np_hash_hex(w->head.hash, hex, sizeof(hex)));
	} else {
		cJSON_AddNullToObject(o, "head_conflict");
	}
	if (p->relation == RS_REL_DIVERGED) {
		x = cJSON_AddObjectToObject(o, "discarded");
		cJSON_AddItemToObject(x, "from", np_json_u64(p->discard_from));
		cJSON_AddItemToObject(x, "to", np_json_u64(p->discard_to));
		cJSON_AddItemToObject(x, "term", np_json_u64(p->its_term));
		cJSON_AddItemToObject(x, "source_term", np_json_u64(p->source_term));
	} else {
		cJSON_AddNullToObject(o, "discarded");
	}
}

/* The cluster's verdict: source, recovery, unsafe heads, consistency. */
static void json_summary(cJSON *doc, const struct nodes *ns, const struct rs_cmp_result *r)
{
	char hex[67];
	cJSON *u;

	if (r->has_source)
		cJSON_AddStringToObject(doc, "source", ns->v[r->source].name);
	else
		cJSON_AddNullToObject(doc, "source");
	cJSON_AddBoolToObject(doc, "tie", r->tie);
	if (r->has_nonvoter_ahead)
		cJSON_AddStringToObject(doc, "nonvoter_ahead", ns->v[r->nonvoter_ahead].name);
	else
		cJSON_AddNullToObject(doc, "nonvoter_ahead");
	u = cJSON_AddObjectToObject(doc, "recovery");
	cJSON_AddBoolToObject(u, "needed", r->recovery_needed);
	cJSON_AddItemToObject(u, "voters", np_json_u64(r->voters));
	cJSON_AddItemToObject(u, "voters_present", np_json_u64(r->voters_present));
	cJSON_AddItemToObject(u, "quorum", np_json_u64(r->quorum));
	cJSON_AddItemToObject(u, "term", np_json_u64(r->recover_term));
	u = cJSON_AddObjectToObject(doc, "unsafe_heads");
	if (r->has_head_high) {
		cJSON *h = cJSON_AddObjectToObject(u, "highest");

		cJSON_AddStringToObject(h, "node", ns->v[r->head_high].name);
		cJSON_AddItemToObject(h, "number", np_json_u64(ns->v[r->head_high].head.number));
		cJSON_AddStringToObject(
		    h, "hash", np_hash_hex(ns->v[r->head_high].head.hash, hex, sizeof(hex)));
	} else {
		cJSON_AddNullToObject(u, "highest");
	}
	if (r->reorg) {
		cJSON *h = cJSON_AddObjectToObject(u, "reorg_risk"), *nodes;

		cJSON_AddItemToObject(h, "number", np_json_u64(ns->v[r->reorg_a].head.number));
		nodes = cJSON_AddArrayToObject(h, "nodes");
		cJSON_AddItemToArray(nodes, cJSON_CreateString(ns->v[r->reorg_a].name));
		cJSON_AddItemToArray(nodes, cJSON_CreateString(ns->v[r->reorg_b].name));
	} else {
		cJSON_AddNullToObject(u, "reorg_risk");
	}
	cJSON_AddBoolToObject(doc, "config_mismatch", r->config_mismatch);
	cJSON_AddBoolToObject(doc, "unusable_snapshots", r->snap_unusable);
	cJSON_AddBoolToObject(doc, "consistent", r->consistent);
}

cJSON *np_compare_json(const struct rs_cmp_node *v, size_t n, const struct rs_cmp_result *r)
{
	const struct nodes nodes = {v, n}, *ns = &nodes;
	cJSON *doc = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(doc, "nodes");

	for (size_t i = 0; i < ns->n; i++) {
		const struct rs_cmp_node *c = &ns->v[i];
		const struct rs_cmp_pair *p = &r->pairs[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "node", c->name);
		cJSON_AddStringToObject(o, "origin", c->origin);
		if (c->error[0])
			cJSON_AddStringToObject(o, "error", c->error);
		else
			cJSON_AddNullToObject(o, "error");
		cJSON_AddStringToObject(o, "relation", relation_name(p->relation));
		if (p->relation == RS_REL_INVALID)
			cJSON_AddStringToObject(o, "invalid_reason", p->invalid_why);
		else
			cJSON_AddNullToObject(o, "invalid_reason");
		cJSON_AddItemToArray(a, o);
		if (c->error[0])
			continue;
		json_facts(o, c);
		cJSON_AddBoolToObject(o, "config_differs", r->config_differs[i] != 0);
		cJSON_AddItemToObject(o, "unsafe_head", np_json_payload(&c->head));
		json_relation(o, ns, c, p);
	}
	json_summary(doc, ns, r);
	return doc;
}

/* c's names as text shows them (np_str: quoted when a control byte, a
 * space or a quote is in one): they come from the files, and a hostile one
 * must neither break a line nor reach the terminal as a control sequence. */
static void shown_names(struct rs_cmp_node *c)
{
	char buf[sizeof(c->name)];

	(void)np_str(c->name, strlen(c->name), buf, sizeof(buf));
	memcpy(c->name, buf, sizeof(buf));
	(void)np_str(c->vote_cand, strlen(c->vote_cand), buf, sizeof(buf));
	memcpy(c->vote_cand, buf, sizeof(buf));
	(void)np_str(c->snap_name, strlen(c->snap_name), buf, sizeof(buf));
	memcpy(c->snap_name, buf, sizeof(buf));
}

void np_compare_text(const struct rs_cmp_node *v, size_t n, const struct rs_cmp_result *r)
{
	/* a copy with the names shown (the configurations' strings are
	 * shared, and print_members shows them); without the memory for it,
	 * the names as they are */
	struct rs_cmp_node *c = calloc(n ? n : 1, sizeof(*c));
	struct nodes ns = {v, n};

	if (c != NULL) {
		memcpy(c, v, n * sizeof(*c));
		for (size_t i = 0; i < n; i++)
			shown_names(&c[i]);
		ns.v = c;
	}
	printf("Comparing %zu node%s:\n\n", n, n == 1 ? "" : "s");
	print_table(&ns);
	print_findings(&ns, r);
	free(c);
}
