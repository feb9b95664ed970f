/*
 * raft recover's plan and result shown: the change as text (old members ->
 * new, the entry, the term and the vote), the run's values that came from
 * the environment, what was done, and the --json document (docs/json.md).
 */
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "present/jsonout.h"
#include "present/nodejson.h"
#include "present/nodetext.h"
#include "present/recover.h"
#include "present/report.h"
#include "raftstate/config.h"

static void print_server(FILE *out, char mark, const struct rs_server *s, const char *note)
{
	char a[600], b[600], suf[32];

	fprintf(out, "  %c %s %s %s%s\n", mark, np_str(s->id, s->id_len, a, sizeof(a)),
	        np_str(s->address, s->address_len, b, sizeof(b)),
	        np_suffrage_text(s->suffrage, suf, sizeof(suf)), note);
}

/* "~ id old-address old-suffrage -> new-address new-suffrage" */
static void print_moved(FILE *out, const struct rs_server *o, const struct rs_server *s)
{
	char a[600], b[600], c[600], os[32], ns[32];

	fprintf(out, "  ~ %s %s %s -> %s %s   (changed)\n", np_str(s->id, s->id_len, a, sizeof(a)),
	        np_str(o->address, o->address_len, b, sizeof(b)),
	        np_suffrage_text(o->suffrage, os, sizeof(os)),
	        np_str(s->address, s->address_len, c, sizeof(c)),
	        np_suffrage_text(s->suffrage, ns, sizeof(ns)));
}

void np_recover_change(FILE *out, const struct rs_recover_plan *p, const char *from_env)
{
	const struct rs_node *n = &p->old;
	const struct rs_config *old = &n->config, *cur = &p->config;
	char vote[600];

	fprintf(out, "Node %s (%s): verified.\n", n->id, p->node_dir);
	fprintf(out, "  CurrentTerm %llu, log ", (unsigned long long)n->current_term);
	if (n->count == 0)
		fprintf(out, "empty");
	else
		fprintf(out, "%llu..%llu (last term %llu)", (unsigned long long)n->first_index,
		        (unsigned long long)n->last_index, (unsigned long long)n->last_term);
	if (n->snapshots.n > 0)
		fprintf(out, ", newest snapshot %s (index %llu)", n->snapshots.v[0].name,
		        (unsigned long long)n->snapshots.v[0].index);
	fprintf(out, "\n");
	fprintf(out, "Configuration: old (");
	np_print_config_source(out, n);
	fprintf(out, ") -> new (%zu member%s%s%s):\n", cur->n, cur->n == 1 ? "" : "s",
	        from_env != NULL ? ", from " : "", from_env != NULL ? from_env : "");
	for (size_t i = 0; i < old->n; i++) {
		const struct rs_server *s = &old->servers[i],
		                       *t = rs_config_server(cur, s->id, s->id_len);

		if (t == NULL)
			print_server(out, '-', s, "   (removed)");
	}
	for (size_t i = 0; i < cur->n; i++) {
		const struct rs_server *s = &cur->servers[i],
		                       *o = rs_config_server(old, s->id, s->id_len);

		if (o == NULL)
			print_server(out, '+', s,
			             "   (added: start it with an EMPTY state directory)");
		else if (!rs_server_same(o, s))
			print_moved(out, o, s);
		else
			print_server(out, '=', s, "");
	}
	fprintf(out,
	        "Change: append LogConfiguration at index %llu, term %llu%s; CurrentTerm %llu -> "
	        "%llu; ",
	        (unsigned long long)p->index, (unsigned long long)p->term,
	        !p->log_empty   ? ""
	        : n->count == 0 ? " (the log is empty: right after the snapshot)"
	                        : " (right after the snapshot: the log ends below its index)",
	        (unsigned long long)n->current_term, (unsigned long long)p->current_term);
	if (!n->has_last_vote_cand && !n->has_last_vote_term)
		fprintf(out, "no vote recorded.\n");
	else if (p->clear_vote)
		fprintf(out, "vote for %s removed (not in the new configuration).\n",
		        np_vote_text(n, vote, sizeof(vote)));
	else
		fprintf(out, "vote for %s kept (for term %llu, now past).\n",
		        np_vote_text(n, vote, sizeof(vote)), (unsigned long long)n->last_vote_term);
	if (p->self != RS_VOTER)
		fprintf(out, "Warning: %s is %s the new configuration (--force).\n", n->id,
		        p->self < 0 ? "not in" : "a nonvoter in");
	if (rs_config_same(old, cur))
		fprintf(out,
		        "Warning: the new configuration is the one %s already has: nothing about "
		        "its members changes, yet recover appends an entry and raises CurrentTerm "
		        "to %llu. If the node only needs to start, leave it as it is.\n",
		        n->id, (unsigned long long)p->current_term);
}

/* Which of the run's values came from OP_CONDUCTOR_INIT_* variables, for
 * the output: "OP_CONDUCTOR_INIT_NODES, OP_CONDUCTOR_INIT_TERM". */
void np_env_values(FILE *out, const struct oci_command *cmd, const struct flag_value *v)
{
	char name[128];
	int any = 0;

	for (size_t i = 0; i < cmd->nflags; i++)
		if (v[i].src == FLAG_ENV) {
			fprintf(out, "%s%s=%s", any ? ", " : "From the environment: ",
			        flags_env_name(&cmd->flags[i], name, sizeof(name)),
			        oci_q(v[i].str).s);
			any = 1;
		}
	if (any)
		fprintf(out, "\n");
}

/* --json (docs/json.md): old and new members, each change, the entry,
 * the term and vote, the values from the environment, the kept copy. */
static cJSON *json_change(const struct rs_server *o, const struct rs_server *s)
{
	cJSON *c = cJSON_CreateObject();
	const struct rs_server *any = s != NULL ? s : o;
	const char *what = o == NULL               ? "added"
	                   : s == NULL             ? "removed"
	                   : !rs_server_same(o, s) ? "changed"
	                                           : "unchanged";

	cJSON_AddItemToObject(c, "id", np_json_strn(any->id, any->id_len));
	cJSON_AddStringToObject(c, "change", what);
	for (int k = 0; k < 2; k++) {
		const struct rs_server *x = k == 0 ? o : s;
		struct rs_config one = {.servers = (struct rs_server *)(uintptr_t)x, .n = 1};

		cJSON *arr = x != NULL ? np_json_servers(&one) : NULL;

		if (arr == NULL)
			cJSON_AddNullToObject(c, k == 0 ? "old" : "new");
		else
			cJSON_AddItemToObject(c, k == 0 ? "old" : "new",
			                      cJSON_DetachItemFromArray(arr, 0));
		cJSON_Delete(arr);
	}
	return c;
}

void np_recover_done(FILE *out, const struct rs_recover_plan *p, const char *kept)
{
	fprintf(out,
	        "Recovered %s: the configuration entry is index %llu (term %llu); the state "
	        "verifies.\n",
	        p->node_dir, (unsigned long long)p->index, (unsigned long long)p->term);
	fprintf(out, "The previous state was kept in: %s\n", kept);
	fprintf(out,
	        "Next: recover every other surviving member with the same configuration and "
	        "--term %llu, start new members with empty state directories, then start the "
	        "nodes.\n",
	        (unsigned long long)p->term);
}

cJSON *np_recover_json(const struct oci_command *cmd, const struct flag_value *v,
                       const struct rs_recover_plan *p, int dry_run, const char *from,
                       const char *kept)
{
	const struct rs_config *old = &p->old.config, *cur = &p->config;
	cJSON *doc = cJSON_CreateObject(), *ch, *env, *vote;
	char name[128];

	cJSON_AddStringToObject(doc, "node", p->old.id);
	cJSON_AddStringToObject(doc, "node_dir", p->node_dir);
	cJSON_AddBoolToObject(doc, "dry_run", dry_run);
	cJSON_AddItemToObject(doc, "old_configuration", np_json_servers(old));
	cJSON_AddItemToObject(doc, "new_configuration", np_json_servers(cur));
	if (from[0] != '\0')
		cJSON_AddStringToObject(doc, "members_from", from);
	else
		cJSON_AddNullToObject(doc, "members_from");
	ch = cJSON_AddArrayToObject(doc, "changes");
	for (size_t i = 0; i < old->n; i++)
		if (rs_config_server(cur, old->servers[i].id, old->servers[i].id_len) == NULL)
			cJSON_AddItemToArray(ch, json_change(&old->servers[i], NULL));
	for (size_t i = 0; i < cur->n; i++)
		cJSON_AddItemToArray(ch, json_change(rs_config_server(old, cur->servers[i].id,
		                                                      cur->servers[i].id_len),
		                                     &cur->servers[i]));
	cJSON_AddBoolToObject(doc, "same_members", rs_config_same(old, cur));
	cJSON_AddItemToObject(doc, "entry_index", np_json_u64(p->index));
	cJSON_AddItemToObject(doc, "entry_term", np_json_u64(p->term));
	cJSON_AddItemToObject(doc, "current_term_before", np_json_u64(p->old.current_term));
	cJSON_AddItemToObject(doc, "current_term_after", np_json_u64(p->current_term));
	vote = cJSON_CreateString(!p->old.has_last_vote_cand && !p->old.has_last_vote_term ? "none"
	                          : p->clear_vote ? "removed"
	                                          : "kept");
	cJSON_AddItemToObject(doc, "vote", vote);
	env = cJSON_AddArrayToObject(doc, "from_environment");
	for (size_t i = 0; i < cmd->nflags; i++)
		if (v[i].src == FLAG_ENV) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddStringToObject(e, "variable",
			                        flags_env_name(&cmd->flags[i], name, sizeof(name)));
			cJSON_AddStringToObject(e, "value", v[i].str);
			cJSON_AddItemToArray(env, e);
		}
	if (kept[0] != '\0')
		cJSON_AddStringToObject(doc, "kept", kept);
	else
		cJSON_AddNullToObject(doc, "kept");
	return doc;
}
