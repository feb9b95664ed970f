/*
 * raft recover: give one stopped node a new configuration (outage recovery,
 * offline membership change). The engine is raftstate/recover.h; here:
 *   1. parse flags; the new members come from --nodes/--server-ids or
 *      --config (present/members.h, raftstate/clusterfile.h) with --nonvoters;
 *   2. rs_recover_plan(): verify the node (refuse invalid or locked state),
 *      refuse a configuration without this node as a voter unless --force;
 *   3. print old members -> new members and the entry to be written;
 *   4. --dry-run stops here; else rs_recover_apply() and print where the
 *      previous state was kept.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "raftstate/clusterfile.h"
#include "present/chown.h"
#include "cmd/command.h"
#include "present/flags.h"
#include "present/jsonout.h"
#include "present/members.h"
#include "present/nodeflags.h"
#include "present/nodejson.h"
#include "present/nodetext.h"
#include "present/report.h"
#include "raftstate/config.h"
#include "raftstate/recover.h"

enum {
	F_STATE_DIR,
	F_NODES,
	F_SERVER_IDS,
	F_CONFIG,
	F_NONVOTERS,
	F_TERM,
	F_FORCE,
	F_DRY_RUN,
	F_TIMEOUT,
	F_CHOWN,
	F_JSON,
	F_COUNT,
};

static const struct flag_spec recover_flags[F_COUNT] = {
    [F_STATE_DIR] = {.name = "state-dir",
                     .kind = FLAG_STRING,
                     .metavar = "DIR",
                     .required = 1,
                     .help = "The node directory to recover (<raft.storage-dir>/<server-id>); "
                             "its name is this node's server ID"},
    [F_NODES] = {.name = "nodes",
                 .kind = FLAG_STRING,
                 .metavar = "ADDR,...",
                 .help = "The new configuration: addresses (with --server-ids) or "
                         "id=address pairs"},
    [F_SERVER_IDS] = {.name = "server-ids",
                      .kind = FLAG_STRING,
                      .metavar = "ID,...",
                      .help = "Server IDs, in the order of --nodes"},
    [F_CONFIG] = {.name = "config",
                  .kind = FLAG_STRING,
                  .metavar = "FILE",
                  .help = "The cluster file (cluster.json): the new configuration, unless "
                          "--nodes gives it; refused unless it says \"formed\": true"},
    [F_NONVOTERS] = {.name = "nonvoters",
                     .kind = FLAG_STRING,
                     .metavar = "ID,...",
                     .help = "Members of the new configuration that do not vote"},
    [F_TERM] = {.name = "term",
                .kind = FLAG_UINT64,
                .metavar = "N",
                .min = 1,
                .help = "Term of the recovery entry (default: this node's CurrentTerm + 1); "
                        "give every recovered node the same value, above all their "
                        "CurrentTerms"},
    [F_FORCE] = {.name = "force",
                 .kind = FLAG_BOOL,
                 .def = "false",
                 .env = "OP_CONDUCTOR_INIT_RECOVER_FORCE",
                 .help = "Accept a configuration in which this node is not a voter"},
    [F_DRY_RUN] = {.name = "dry-run",
                   .kind = FLAG_BOOL,
                   .def = "false",
                   .help = "Print the change and write nothing"},
    [F_TIMEOUT] = {.name = "timeout",
                   .kind = FLAG_STRING,
                   .metavar = "SECONDS",
                   .def = "5",
                   .help = "How long to wait for a lock on each database file (and, when\n"
                           "                           given, for another run's lock)",
                   .check = np_timeout_check,
                   .accepts = NP_TIMEOUT_ACCEPTS},
    [F_CHOWN] = {.name = "chown",
                 .kind = FLAG_STRING,
                 .metavar = "USER:GROUP",
                 .help = "Owner for the recovered files (default: the owner of the files\n"
                         "                           they replace)"},
    [F_JSON] = NP_FLAG_JSON,
};

static const char *given(const struct flag_value *v)
{
	return v->src == FLAG_ARGV || v->src == FLAG_ENV ? v->str : NULL;
}

/* The member list from the flags or the cluster file, validated. */
static int read_members(const struct oci_command *cmd, const struct flag_set *fs,
                        struct rs_members *ms, struct rs_cluster_file *cf)
{
	const struct flag_value *v = fs->v;
	char wn[128], wi[128], wv[128], wc[128], wf[4400], env[128], msg[1024];
	struct rs_members_names names = {0};
	const char *config = given(&v[F_CONFIG]), *nonvoters = given(&v[F_NONVOTERS]);
	const char *leader = NULL;
	struct rs_err err = {0};
	int rc;

	flags_what(&cmd->flags[F_NODES], &v[F_NODES], wn, sizeof(wn));
	flags_what(&cmd->flags[F_SERVER_IDS], &v[F_SERVER_IDS], wi, sizeof(wi));
	flags_what(&cmd->flags[F_NONVOTERS], &v[F_NONVOTERS], wv, sizeof(wv));
	flags_what(&cmd->flags[F_CONFIG], &v[F_CONFIG], wc, sizeof(wc));

	if (config != NULL) {
		rc = rs_cluster_file_load(config, cf, msg, sizeof(msg));
		if (rc != RS_CLUSTER_FILE_OK)
			return oci_usage(cmd, "%s: %s", wc, msg);
		/* a cluster file that generate still creates nodes from would
		 * bring the old members back on any empty state directory (a pod
		 * back with a new volume) once this recovery has changed them:
		 * the file must be disarmed first, whatever gives the members */
		if (!cf->formed)
			return oci_fail(cmd,
			                "%s%s%s does not say \"formed\": true, so raft generate "
			                "would still re-create any node with an empty state "
			                "directory from its old members after this recovery; set "
			                "\"formed\": true in it (in Kubernetes: in the ConfigMap, "
			                "then kubectl apply) and run recover again; nothing was "
			                "changed",
			                wc, v[F_CONFIG].src == FLAG_ENV ? "=" : " ",
			                oci_path(config).s);
	}
	if (given(&v[F_NODES]) == NULL && !cf->has_nodes)
		return config != NULL
		           ? oci_usage(cmd, "--nodes is required: %s has no \"nodes\"",
		                       oci_path(config).s)
		           : oci_usage(cmd,
		                       "the new configuration is required: give --nodes "
		                       "(with --server-ids, or id=address pairs) or --config FILE");
	if (given(&v[F_NODES]) != NULL) {
		struct rs_members_input in = {
		    .nodes = v[F_NODES].str,
		    .nodes_what = wn,
		    .ids = given(&v[F_SERVER_IDS]),
		    .ids_what = wi,
		    .ids_env = flags_env_name(&cmd->flags[F_SERVER_IDS], env, sizeof(env)),
		};

		if (strchr(v[F_NODES].str, '=') == NULL && in.ids == NULL)
			return oci_usage(cmd, "--server-ids is required with plain addresses in "
			                      "--nodes (or give id=address pairs)");
		if ((rc = members_split(cmd, &in, ms, &names)) != 0)
			return rc;
	} else {
		if (given(&v[F_SERVER_IDS]) != NULL)
			return oci_usage(cmd, "%s needs --nodes: the nodes come from %s", wi,
			                 oci_path(config).s);
		*ms = cf->ms;
		memset(&cf->ms, 0, sizeof(cf->ms));
		names.file = config;
		(void)snprintf(wf, sizeof(wf), "%s: nodes", oci_path(config).s);
		names.nodes_what = names.ids_what = wf;
	}
	/* members_validate checks a leader too; recover has none, so hand it a
	 * member that will vote (whether this node is one is checked later,
	 * with the reason). */
	if (rs_members_first_voter(ms, nonvoters, &leader, &err) != 0)
		return oci_fail(cmd, "%s%s", err.msg, np_err_fix(cmd, &err, NULL).s);
	if (leader == NULL) {
		if (ms->n == 0)
			return oci_usage(cmd, "%s lists no nodes", names.nodes_what);
		return oci_usage(cmd, "the new configuration has no voter: raft needs at least "
		                      "one voter to elect a leader");
	}
	return members_validate(cmd, ms, &names, leader, "the configuration", nonvoters, wv);
}

static void print_server(FILE *out, char mark, const struct rs_server *s, const char *note)
{
	char a[600], b[600];
	const char *suf = rs_suffrage_name(s->suffrage);

	fprintf(out, "  %c %s %s %s%s\n", mark, np_str(s->id, s->id_len, a, sizeof(a)),
	        np_str(s->address, s->address_len, b, sizeof(b)), suf != NULL ? suf : "?", note);
}

/* "~ id old-address old-suffrage -> new-address new-suffrage" */
static void print_moved(FILE *out, const struct rs_server *o, const struct rs_server *s)
{
	char a[600], b[600], c[600];
	const char *os = rs_suffrage_name(o->suffrage), *ns = rs_suffrage_name(s->suffrage);

	fprintf(out, "  ~ %s %s %s -> %s %s   (changed)\n", np_str(s->id, s->id_len, a, sizeof(a)),
	        np_str(o->address, o->address_len, b, sizeof(b)), os != NULL ? os : "?",
	        np_str(s->address, s->address_len, c, sizeof(c)), ns != NULL ? ns : "?");
}

static void print_change(FILE *out, const struct rs_recover_plan *p, const char *from_env)
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
static void print_env_values(FILE *out, const struct oci_command *cmd, const struct flag_value *v)
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

/* One run, from its flags to the recovered node. */
struct recover_run {
	struct rs_recover_opts opts;
	struct rs_members ms;
	struct rs_cluster_file cf;
	struct rs_config cfg;
	struct rs_recover_plan plan;
	struct rs_problems probs;
	const char *dir;
	int json;       /* --json: the document on stdout */
	FILE *out;      /* the text: stdout, or stderr with --json */
	char from[128]; /* the variable the members came from ("" for flags) */
	char kept[PATH_MAX];
};

/* Parse: the flags into options and the new configuration. */
static int recover_parse(const struct oci_command *cmd, const struct flag_set *fs,
                         struct recover_run *r)
{
	const struct flag_value *v = fs->v;
	struct rs_err err = {0};
	char msg[PATH_MAX];
	int rc;

	r->opts = (struct rs_recover_opts){
	    .lock_timeout = np_timeout_value(v[F_TIMEOUT].str),
	    .run_lock_timeout = np_run_lock_timeout(&v[F_TIMEOUT]),
	    .term = given(&v[F_TERM]) != NULL ? v[F_TERM].u : 0,
	    .force = v[F_FORCE].b,
	    .uid = (uid_t)-1,
	    .gid = (gid_t)-1,
	};
	r->dir = v[F_STATE_DIR].str;
	if (r->dir[0] == '\0')
		return oci_usage(cmd, "--state-dir is empty");
	if (given(&v[F_CHOWN]) != NULL &&
	    owner_parse(v[F_CHOWN].str, &r->opts.uid, &r->opts.gid, msg, sizeof(msg)) != 0)
		return oci_usage(cmd, "--chown: %s", msg);
	if ((rc = read_members(cmd, fs, &r->ms, &r->cf)) != 0)
		return rc;
	if (rs_members_config(&r->ms, &r->cfg, &err) != RS_OK)
		return oci_fail(cmd, "%s%s", err.msg, np_err_fix(cmd, &err, NULL).s);
	return 0;
}

/* Plan and check: the node is read and verified and the change worked out
 * (rs_recover_plan refuses what it must); printed. */
static int recover_plan(const struct oci_command *cmd, const struct flag_value *v,
                        struct recover_run *r)
{
	struct rs_err err = {0};
	int rc, src;

	if (rs_recover_plan(r->dir, &r->cfg, &r->opts, &r->plan, &r->probs, &err) != RS_OK) {
		rc = oci_fail(cmd, "%s%s; nothing was changed", err.msg,
		              np_err_fix(cmd, &err, r->dir).s);
		np_print_errors(&r->probs, "run raft verify");
		return rc;
	}
	print_env_values(r->out, cmd, v);
	/* the members come from --nodes when given, else from --config */
	src = given(&v[F_NODES]) != NULL ? F_NODES : F_CONFIG;
	if (v[src].src == FLAG_ENV)
		flags_env_name(&cmd->flags[src], r->from, sizeof(r->from));
	print_change(r->out, &r->plan, r->from[0] != '\0' ? r->from : NULL);
	return 0;
}

/* Apply: under the run lock, the change, on a copy swapped in
 * (raftstate/recover.h). */
static int recover_apply(const struct oci_command *cmd, struct recover_run *r)
{
	struct rs_err err = {0};
	char *kept = r->kept;
	FILE *out = r->out;
	int rc;

	if (rs_recover_apply(&r->plan, &r->opts, kept, sizeof(r->kept), &r->probs, &err) != RS_OK) {
		if (kept[0] != '\0')
			rc = oci_fail(cmd, "%s%s (previous state: %s)", err.msg,
			              np_err_fix(cmd, &err, r->plan.node_dir).s, kept);
		else
			rc = oci_fail(cmd, "%s%s; nothing was changed", err.msg,
			              np_err_fix(cmd, &err, r->plan.node_dir).s);
		np_print_errors(&r->probs, "run raft verify");
		return rc;
	}
	fprintf(out,
	        "Recovered %s: the configuration entry is index %llu (term %llu); the state "
	        "verifies.\n",
	        r->plan.node_dir, (unsigned long long)r->plan.index,
	        (unsigned long long)r->plan.term);
	fprintf(out, "The previous state was kept in: %s\n", kept);
	fprintf(out,
	        "Next: recover every other surviving member with the same configuration and "
	        "--term %llu, start new members with empty state directories, then start the "
	        "nodes.\n",
	        (unsigned long long)r->plan.term);
	return OCI_EXIT_OK;
}

static int print_json(const struct oci_command *cmd, const struct flag_value *v,
                      const struct recover_run *r)
{
	const struct rs_recover_plan *p = &r->plan;
	const struct rs_config *old = &p->old.config, *cur = &p->config;
	cJSON *doc = cJSON_CreateObject(), *ch, *env, *vote;
	char name[128];

	cJSON_AddStringToObject(doc, "node", p->old.id);
	cJSON_AddStringToObject(doc, "node_dir", p->node_dir);
	cJSON_AddBoolToObject(doc, "dry_run", v[F_DRY_RUN].b);
	cJSON_AddItemToObject(doc, "old_configuration", np_json_servers(old));
	cJSON_AddItemToObject(doc, "new_configuration", np_json_servers(cur));
	if (r->from[0] != '\0')
		cJSON_AddStringToObject(doc, "members_from", r->from);
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
	if (r->kept[0] != '\0')
		cJSON_AddStringToObject(doc, "kept", r->kept);
	else
		cJSON_AddNullToObject(doc, "kept");
	return np_json_emit(doc) != 0 ? oci_fail(cmd, "out of memory") : OCI_EXIT_OK;
}

static int run_recover(const struct oci_command *cmd, const struct flag_set *fs)
{
	struct recover_run r = {0};
	int rc;

	memset(&r.plan, 0, sizeof(r.plan));
	r.json = fs->v[F_JSON].b;
	r.out = r.json ? oci_info_stream() : stdout;
	if ((rc = recover_parse(cmd, fs, &r)) == 0 && (rc = recover_plan(cmd, fs->v, &r)) == 0) {
		if (fs->v[F_DRY_RUN].b) {
			fprintf(r.out, "Dry run: nothing was written.\n");
			rc = OCI_EXIT_OK;
		} else {
			rc = recover_apply(cmd, &r);
		}
		if (rc == OCI_EXIT_OK && r.json)
			rc = print_json(cmd, fs->v, &r);
	}
	rs_recover_plan_free(&r.plan);
	rs_problems_free(&r.probs);
	rs_members_config_free(&r.cfg); /* the strings belong to ms */
	rs_members_free(&r.ms);
	rs_cluster_file_free(&r.cf);
	return rc;
}

const struct oci_command oci_cmd_raft_recover = {
    .group = "raft",
    .name = "recover",
    .summary = "Give a stopped node a new configuration (outage recovery, membership change)",
    .synopsis = "--state-dir NODE_DIR (--nodes ... [--server-ids ...] | --config FILE)\n"
                "           [--nonvoters ID,...] [--term N] [--force] [--dry-run] [--json] "
                "[--timeout SECONDS]\n"
                "           [--chown USER:GROUP]",
    .description =
        "For when a majority of the cluster is lost for good, or members must change while\n"
        "no leader can be elected. Verifies the node (refuses invalid or locked state),\n"
        "then appends one LogConfiguration entry with the new configuration after the\n"
        "last entry (after the snapshot when the log is empty), in a term no leader has\n"
        "used (--term, default CurrentTerm + 1), and raises CurrentTerm to it; a vote for\n"
        "a server that is not in the new configuration is removed. Every existing entry\n"
        "and snapshot is kept. The change is made on a copy beside the node directory,\n"
        "verified, given the owner (or --chown's) and mode of the files it replaces, and\n"
        "swapped in atomically (name by name inside a mount point); the previous state\n"
        "is kept as the sibling .<server-id>.pre-recover-YYYYMMDD-HHMMSS/ (a new name\n"
        "each time, never deleted). The run holds a lock on the node's parent directory: a second\n"
        "run there fails at once naming the first (pid, command); --timeout also makes\n"
        "it wait that long for that lock.\n"
        "\n"
        "Refuses a configuration in which this node (the directory name) is not a voter\n"
        "unless --force. Recover every surviving member with the same configuration and\n"
        "the same --term (above every survivor's CurrentTerm); new members start with\n"
        "empty state directories. --dry-run prints the change and writes nothing.",
    .flags = recover_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_recover,
};
