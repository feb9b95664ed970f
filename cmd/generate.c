/*
 * raft generate: write the initial Raft state of every node of a new
 * op-conductor cluster, so that all sequencers start as equals with
 * --raft.bootstrap=false.
 *
 * Order of work, so that bad input never costs anything:
 *   1. parse and validate every flag and the member list (exit 2);
 *   2. rs_generate_plan() (raftstate/generate.h) looks at the output tree
 *      without changing it: symlinks, non-directories, unwritable
 *      directories, existing state (the two databases and snapshots/),
 *      locked databases, a cluster that has formed, --if-absent's verdict;
 *      printed as found (exit 1 on a refusal);
 *   3. rs_generate_apply() creates OUTPUT_DIR (mkdir -p), takes the run
 *      lock on it (--timeout), looks again under it, and writes each node
 *      through nodedir's replace (the replaced node kept beside
 *      OUTPUT_DIR), --chown's owner and cluster.json;
 *   4. print what was written and what to do next.
 *
 * Beyond the Go tool (docs/operations.md: "Operator features"): --node-id writes one node
 * only; --if-absent compares existing state with what would be written
 * (raftstate/ifabsent.h) instead of refusing; --nodes id=address pairs,
 * --nonvoters and --config FILE (raftstate/clusterfile.h) describe the cluster;
 * --chown hands the result to op-conductor's user; cluster.json records
 * what was written whenever one of these is used (a plain Go-compatible
 * invocation writes exactly the Go tool's files and nothing else).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cmd/generate.h"

#include "present/chown.h"
#include "cmd/command.h"
#include "present/flags.h"
#include "present/generate.h"
#include "present/jsonout.h"
#include "present/members.h"
#include "present/nodeflags.h"
#include "present/report.h"
#include "raftstate/clusterfile.h"
#include "raftstate/generate.h"
#include "raftstate/path.h"

enum {
	F_NODES,
	F_SERVER_IDS,
	F_OUTPUT_DIR,
	F_INITIAL_LEADER,
	F_INITIAL_TERM,
	F_NETWORK,
	F_FORCE,
	F_NODE_ID,
	F_ONLY,
	F_IF_ABSENT,
	F_NONVOTERS,
	F_CONFIG,
	F_CHOWN,
	F_CLUSTER_JSON,
	F_TIMEOUT,
	F_JSON,
	F_COUNT,
};

static const struct flag_spec generate_flags[F_COUNT] = {
    [F_NODES] =
        {
            .name = "nodes",
            .kind = FLAG_STRING,
            .metavar = "A1,A2,...",
            .help = "Comma-separated node addresses host:port ([ipv6]:port), or\n"
                    "                           id=host:port pairs (then --server-ids may be left\n"
                    "                           out); required unless --config gives the nodes",
        },
    [F_SERVER_IDS] =
        {
            .name = "server-ids",
            .kind = FLAG_STRING,
            .metavar = "S1,S2,...",
            .help = "Comma-separated server IDs, in the same order as --nodes",
        },
    [F_OUTPUT_DIR] =
        {
            .name = "output-dir",
            .kind = FLAG_STRING,
            .metavar = "DIR",
            .def = "./raft-state",
            .help = "Output directory; node state goes to DIR/<server-id>/",
        },
    [F_INITIAL_LEADER] =
        {
            .name = "initial-leader",
            .kind = FLAG_STRING,
            .metavar = "ID",
            .help = "Server ID that records a vote for itself (see the note above);\n"
                    "                           required unless --config gives it",
        },
    [F_INITIAL_TERM] =
        {
            .name = "initial-term",
            .kind = FLAG_UINT64,
            .metavar = "N",
            .def = "1",
            .min = 1,
            .help = "Initial Raft term",
        },
    [F_NETWORK] =
        {
            .name = "network",
            .kind = FLAG_STRING,
            .metavar = "NAME",
            .help = "Network name, e.g. op-mainnet (recorded in cluster.json)",
        },
    [F_FORCE] =
        {
            .name = "force",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Overwrite existing state files",
        },
    [F_NODE_ID] =
        {
            .name = "node-id",
            .kind = FLAG_STRING,
            .metavar = "ID",
            .help = "Write only this node, into DIR/ID/ (e.g. the pod's name)",
        },
    [F_ONLY] =
        {
            .name = "only",
            .kind = FLAG_STRING,
            .metavar = "ID",
            .help = "Alias of --node-id",
        },
    [F_IF_ABSENT] =
        {
            .name = "if-absent",
            .kind = FLAG_BOOL,
            .def = "false",
            .help =
                "Existing state is fine if it is what this command would write,\n"
                "                           or raft's later state of the same cluster (exit 0,\n"
                "                           nothing written); any other state: exit 1, never\n"
                "                           overwritten",
        },
    [F_NONVOTERS] =
        {
            .name = "nonvoters",
            .kind = FLAG_STRING,
            .metavar = "ID,...",
            .help = "Server IDs that join as nonvoters (never the initial leader)",
        },
    [F_CONFIG] =
        {
            .name = "config",
            .kind = FLAG_STRING,
            .metavar = "FILE",
            .help = "JSON cluster definition (nodes, initial_leader, initial_term,\n"
                    "                           network); flags override it",
        },
    [F_CHOWN] =
        {
            .name = "chown",
            .kind = FLAG_STRING,
            .metavar = "USER:GROUP",
            .help = "Owner for the written directories and files (names or numbers)",
        },
    [F_CLUSTER_JSON] =
        {
            .name = "cluster-json",
            .kind = FLAG_BOOL,
            .help = "Write DIR/cluster.json (default: when a feature beyond the Go\n"
                    "                           tool is used: --config, --node-id, --if-absent,\n"
                    "                           --nonvoters, --chown or id=address pairs)",
        },
    [F_TIMEOUT] =
        {
            .name = "timeout",
            .kind = FLAG_STRING,
            .metavar = "SECONDS",
            .def = "0",
            .help = "How long to wait for another run's lock on DIR (0: fail at once)",
            .check = np_timeout_check,
            .accepts = NP_TIMEOUT_ACCEPTS,
        },
    [F_JSON] = NP_FLAG_JSON,
};

/* ---- the command ------------------------------------------------------- */

static int required(const struct oci_command *cmd, int k)
{
	char env[128];

	return oci_usage(cmd, "--%s is required (or set %s)", cmd->flags[k].name,
	                 flags_env_name(&cmd->flags[k], env, sizeof(env)));
}

/* The cluster as given (step 1): the --config file first, then the flags
 * override it. */
struct given_cluster {
	struct rs_members ms; /* validated; leader set */
	struct rs_members_names names;
	struct rs_cluster_file cf;
	uint64_t term;
	const char *network;
	int pairs; /* --nodes holds id=address pairs */
	char wn[128], wi[128], wl[128], wv[128], wc[128], wx[4400], wf[4400];
};

static void given_cluster_free(struct given_cluster *gc)
{
	rs_members_free(&gc->ms);
	rs_cluster_file_free(&gc->cf);
}

static int read_cluster(const struct oci_command *cmd, const struct flag_value *v,
                        struct given_cluster *gc)
{
	const char *config = flags_given(&v[F_CONFIG]), *leader, *leader_what;
	char msg[1024], env[128];
	int rc;

	flags_what(&cmd->flags[F_NODES], &v[F_NODES], gc->wn, sizeof(gc->wn));
	flags_what(&cmd->flags[F_SERVER_IDS], &v[F_SERVER_IDS], gc->wi, sizeof(gc->wi));
	flags_what(&cmd->flags[F_INITIAL_LEADER], &v[F_INITIAL_LEADER], gc->wl, sizeof(gc->wl));
	flags_what(&cmd->flags[F_NONVOTERS], &v[F_NONVOTERS], gc->wv, sizeof(gc->wv));
	flags_what(&cmd->flags[F_CONFIG], &v[F_CONFIG], gc->wc, sizeof(gc->wc));

	/* 1. the cluster: the file first, then the flags override it */
	if (config != NULL) {
		rc = rs_cluster_file_load(config, &gc->cf, msg, sizeof(msg));
		if (rc == RS_CLUSTER_FILE_ENOMEM) /* no fault of the file's */
			return oci_fail(cmd, "%s: %s", gc->wc, msg);
		if (rc != RS_CLUSTER_FILE_OK) {
			rc = oci_usage(cmd, "%s: %s", gc->wc, msg);
			return rc;
		}
	}
	if (flags_given(&v[F_NODES]) == NULL && !gc->cf.has_nodes) {
		rc = config != NULL
		         ? oci_usage(cmd, "--nodes is required (or set %s): %s has no \"nodes\"",
		                     flags_env_name(&cmd->flags[F_NODES], env, sizeof(env)),
		                     oci_path(config).s)
		         : required(cmd, F_NODES);
		return rc;
	}
	if (flags_given(&v[F_NODES]) != NULL) {
		gc->pairs = strchr(v[F_NODES].str, '=') != NULL;
		if (!gc->pairs && flags_given(&v[F_SERVER_IDS]) == NULL) {
			rc = required(cmd, F_SERVER_IDS);
			return rc;
		}
	} else if (flags_given(&v[F_SERVER_IDS]) != NULL) {
		rc = oci_usage(cmd, "%s needs --nodes: the nodes come from %s", gc->wi,
		               oci_path(config).s);
		return rc;
	}
	leader = flags_given(&v[F_INITIAL_LEADER]);
	leader_what = gc->wl;
	if (leader == NULL && gc->cf.leader != NULL) {
		leader = gc->cf.leader;
		(void)snprintf(gc->wx, sizeof(gc->wx), "%s: initial_leader", oci_path(config).s);
		leader_what = gc->wx;
	}
	if (leader == NULL) {
		rc = required(cmd, F_INITIAL_LEADER);
		return rc;
	}
	if (flags_given(&v[F_NODES]) != NULL) {
		struct rs_members_input in = {
		    .nodes = v[F_NODES].str,
		    .nodes_what = gc->wn,
		    .ids = flags_given(&v[F_SERVER_IDS]),
		    .ids_what = gc->wi,
		    .ids_env = flags_env_name(&cmd->flags[F_SERVER_IDS], env, sizeof(env)),
		};

		if ((rc = members_split(cmd, &in, &gc->ms, &gc->names)) != 0)
			return rc;
	} else {
		gc->ms = gc->cf.ms;
		memset(&gc->cf.ms, 0, sizeof(gc->cf.ms));
		gc->names.file = config;
		(void)snprintf(gc->wf, sizeof(gc->wf), "%s: nodes", oci_path(config).s);
		gc->names.nodes_what = gc->names.ids_what = gc->wf;
	}
	rc = members_validate(cmd, &gc->ms, &gc->names, leader, leader_what,
	                      flags_given(&v[F_NONVOTERS]), gc->wv);
	if (rc != 0)
		return rc;

	if (v[F_INITIAL_TERM].src == FLAG_ARGV || v[F_INITIAL_TERM].src == FLAG_ENV ||
	    !gc->cf.has_term)
		gc->term = v[F_INITIAL_TERM].u;
	else
		gc->term = gc->cf.term;
	gc->network = flags_given(&v[F_NETWORK]) != NULL ? v[F_NETWORK].str : gc->cf.network;

	return 0;
}

/* One run, from its flags to the written nodes. */
struct gen_run {
	struct given_cluster gc;
	struct rs_config cfg;
	struct rs_generate_opts opts;
	struct rs_generate_plan plan;
	const char *node_id_what;
	int json;  /* --json: the document on stdout, notes on stderr */
	FILE *say; /* where notes go: stdout, or stderr with --json */
	char wid[128];
};

/* Parse (steps 1 and 2): the cluster, and which nodes, how, as whom. */
static int gen_parse(const struct oci_command *cmd, const struct flag_value *v, struct gen_run *r)
{
	struct rs_generate_opts *o = &r->opts;
	char wo[128], msg[1024];
	struct rs_err err = {0};
	size_t len;
	int rc;

	if ((rc = read_cluster(cmd, v, &r->gc)) != 0)
		return rc;
	o->node_id = flags_given(&v[F_NODE_ID]);
	if (o->node_id != NULL)
		r->node_id_what =
		    flags_what(&cmd->flags[F_NODE_ID], &v[F_NODE_ID], r->wid, sizeof(r->wid));
	if (flags_given(&v[F_ONLY]) != NULL) {
		if (o->node_id != NULL && strcmp(o->node_id, v[F_ONLY].str) != 0)
			return oci_usage(cmd,
			                 "%s %s and --only %s disagree; --only is an alias of "
			                 "--node-id, give one",
			                 r->node_id_what, oci_q(o->node_id).s,
			                 oci_q(v[F_ONLY].str).s);
		o->node_id = v[F_ONLY].str;
		r->node_id_what =
		    flags_what(&cmd->flags[F_ONLY], &v[F_ONLY], r->wid, sizeof(r->wid));
	}
	if (o->if_absent && o->force)
		return oci_usage(cmd, "--if-absent and --force contradict each other; give one");
	if (o->chown && owner_parse(v[F_CHOWN].str, &o->uid, &o->gid, msg, sizeof(msg)) != 0)
		return oci_usage(cmd, "--chown: %s", msg);

	flags_what(&cmd->flags[F_OUTPUT_DIR], &v[F_OUTPUT_DIR], wo, sizeof(wo));
	len = strlen(v[F_OUTPUT_DIR].str);
	if (len == 0)
		return oci_usage(cmd, "%s is empty", wo);
	if (len + 1 + RS_SERVER_ID_MAX + 1 + sizeof(RS_STABLE_FILE) + 32 > PATH_MAX)
		return oci_usage(cmd, "%s is too long (%zu bytes)", wo, len);
	o->output_dir = v[F_OUTPUT_DIR].str;
	o->ms = &r->gc.ms;
	o->cfg = &r->cfg;
	o->term = r->gc.term;
	o->network = r->gc.network;
	o->formed_file = r->gc.cf.formed ? flags_given(&v[F_CONFIG]) : NULL;
	o->cluster_json = v[F_CLUSTER_JSON].src == FLAG_ARGV || v[F_CLUSTER_JSON].src == FLAG_ENV
	                      ? v[F_CLUSTER_JSON].b
	                      : flags_given(&v[F_CONFIG]) != NULL || o->node_id != NULL ||
	                            o->if_absent || o->chown || r->gc.pairs ||
	                            flags_given(&v[F_NONVOTERS]) != NULL;
	if (rs_members_config(&r->gc.ms, &r->cfg, &err) != RS_OK)
		return oci_fail(cmd, "out of memory");
	return 0;
}

/* Plan and check (step 3): what is there already, printed as found; -1:
 * nothing left to write (exit 0). */
static int gen_plan(const struct oci_command *cmd, struct gen_run *r)
{
	struct rs_generate_plan *p = &r->plan;
	struct rs_err err = {0};
	int rc = rs_generate_plan(&r->opts, p, &err);

	if (p->notes.text != NULL)
		fputs(p->notes.text, r->say);
	if (rc == RS_ENOTFOUND)
		return oci_usage(cmd, "%s %s is not one of the server IDs in %s", r->node_id_what,
		                 oci_q(r->opts.node_id).s, r->gc.names.ids_what);
	if (rc != RS_OK) {
		rc = oci_fail(cmd, "%s%s", err.msg, np_err_fix(cmd, &err, NULL).s);
		oci_detail_lines(OCI_LVL_ERROR, p->conflict.text);
		return rc;
	}
	if (p->changed.n > 0) {
		/* raft's own changes (a member added through op-conductor, say)
		 * win: the volume's state is the cluster's */
		oci_warn(cmd,
		         "--if-absent: raft has changed the configuration in %s since it was "
		         "initialized; that state is kept as it is (- raft's configuration now, + "
		         "the one given):",
		         oci_path(p->outdir).s);
		oci_detail_lines(OCI_LVL_WARN, p->changed.text);
	}
	if (p->done && p->npresent > 0)
		fprintf(r->say,
		        "Nothing to do: %s already holds the state of %zu node%s; nothing was "
		        "written.\n",
		        p->outdir, p->npresent, p->npresent == 1 ? "" : "s");
	return p->done ? -1 : 0;
}

/* --json (docs/json.md, "raft generate --json"): what was written, where,
 * with each file's size and sha256, and the nodes left as they were. */
static int print_json(const struct oci_command *cmd, const struct gen_run *r)
{
	cJSON *doc = cJSON_CreateObject(), *wr, *left;
	const struct rs_generate_plan *p = &r->plan;
	char dir[PATH_MAX], path[PATH_MAX], msg[1024];

	cJSON_AddStringToObject(doc, "output_dir", p->outdir);
	if (r->gc.network != NULL)
		cJSON_AddStringToObject(doc, "network", r->gc.network);
	else
		cJSON_AddNullToObject(doc, "network");
	cJSON_AddItemToObject(doc, "initial_term", np_json_u64(r->gc.term));
	wr = cJSON_AddArrayToObject(doc, "written");
	left = cJSON_AddArrayToObject(doc, "left_as_is");
	for (size_t i = 0; i < r->gc.ms.n; i++) {
		const char *id = r->gc.ms.m[i].id;
		cJSON *n, *files;

		if (!p->asked[i])
			continue;
		(void)rs_path_join(dir, sizeof(dir), p->outdir, id);
		n = cJSON_CreateObject();
		cJSON_AddStringToObject(n, "id", id);
		cJSON_AddStringToObject(n, "dir", dir);
		if (!p->written[i]) {
			cJSON_AddItemToArray(left, n);
			continue;
		}
		cJSON_AddBoolToObject(n, "votes_for_itself", i == r->gc.ms.leader);
		files = cJSON_AddArrayToObject(n, "files");
		for (size_t f = 0; f < 2; f++) {
			struct rs_cluster_file_entry e = {0};
			cJSON *fo = cJSON_CreateObject();

			(void)rs_path_join(path, sizeof(path), dir,
			                   f == 0 ? RS_LOG_FILE : RS_STABLE_FILE);
			if (rs_cluster_hash_file(path, &e, msg, sizeof(msg)) != 0) {
				cJSON_Delete(n);
				cJSON_Delete(fo);
				cJSON_Delete(doc);
				return oci_fail(cmd, "the state was written, but %s", msg);
			}
			cJSON_AddStringToObject(fo, "path", path);
			cJSON_AddItemToObject(fo, "size", np_json_u64(e.size));
			cJSON_AddStringToObject(fo, "sha256", e.sha256);
			cJSON_AddItemToArray(files, fo);
		}
		cJSON_AddItemToArray(wr, n);
	}
	(void)rs_path_join(path, sizeof(path), p->outdir, RS_CLUSTER_JSON);
	if (p->cluster_json && cJSON_GetArraySize(wr) > 0)
		cJSON_AddStringToObject(doc, "cluster_json", path);
	else
		cJSON_AddNullToObject(doc, "cluster_json");
	if (p->keep_root[0] != '\0')
		cJSON_AddStringToObject(doc, "replaced_state_kept_in", p->keep_root);
	else
		cJSON_AddNullToObject(doc, "replaced_state_kept_in");
	if (p->put.salvaged > 0)
		cJSON_AddStringToObject(doc, "interrupted_stages_kept_in", p->put.salvaged_to);
	else
		cJSON_AddNullToObject(doc, "interrupted_stages_kept_in");
	return np_json_emit(doc) != 0 ? oci_fail(cmd, "out of memory") : OCI_EXIT_OK;
}

/* Apply (step 4): the nodes written under the run lock on OUTPUT_DIR. */
static int gen_apply(const struct oci_command *cmd, struct gen_run *r)
{
	const struct rs_generate_plan *p = &r->plan;
	struct rs_err err = {0};

	if (rs_generate_apply(&r->opts, &r->plan, &err) != RS_OK)
		return oci_fail(cmd, "%s%s", err.msg, np_err_fix(cmd, &err, NULL).s);
	if (r->json)
		return print_json(cmd, r);
	np_generate_done(p, &r->gc.ms, r->gc.term, r->gc.network);
	return OCI_EXIT_OK;
}

/* A run with its flags' options set, before anything is parsed; NULL after
 * printing when out of memory. */
static struct gen_run *gen_run_new(const struct oci_command *cmd, const struct flag_value *v)
{
	struct gen_run *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		oci_fail(cmd, "out of memory");
		return NULL;
	}
	r->opts = (struct rs_generate_opts){
	    .force = v[F_FORCE].b,
	    .if_absent = v[F_IF_ABSENT].b,
	    .chown = flags_given(&v[F_CHOWN]) != NULL,
	    .uid = (uid_t)-1,
	    .gid = (gid_t)-1,
	    .run_lock_timeout = np_run_lock_timeout(&v[F_TIMEOUT]),
	};
	r->json = v[F_JSON].b;
	r->say = r->json ? oci_info_stream() : stdout;
	return r;
}

static void gen_run_free(struct gen_run *r)
{
	rs_generate_plan_free(&r->plan);
	rs_members_config_free(&r->cfg); /* the strings belong to ms */
	given_cluster_free(&r->gc);
	free(r);
}

int generate_parse(const struct flag_set *fs, size_t *members, size_t *leader)
{
	struct gen_run *r = gen_run_new(&oci_cmd_raft_generate, fs->v);
	int rc;

	if (r == NULL)
		return OCI_EXIT_FAIL;
	rc = gen_parse(&oci_cmd_raft_generate, fs->v, r);
	*members = r->gc.ms.n;
	*leader = r->gc.ms.leader;
	gen_run_free(r);
	return rc;
}

static int run_generate(const struct oci_command *cmd, const struct flag_set *fs)
{
	struct gen_run *r = gen_run_new(cmd, fs->v);
	int rc;

	if (r == NULL)
		return OCI_EXIT_FAIL;
	if ((rc = gen_parse(cmd, fs->v, r)) == 0 && (rc = gen_plan(cmd, r)) == 0)
		rc = gen_apply(cmd, r);
	else if (rc < 0) /* --if-absent: nothing left to write */
		rc = r->json ? print_json(cmd, r) : OCI_EXIT_OK;
	gen_run_free(r);
	return rc;
}

const struct oci_command oci_cmd_raft_generate = {
    .group = "raft",
    .name = "generate",
    .summary = "Generate pre-configured Raft state for every node of a new cluster",
    .synopsis = "--nodes A1,A2,... --server-ids S1,S2,... --initial-leader ID\n"
                "           [--output-dir DIR] [--initial-term N] [--network NAME] [--force]\n"
                "           [--node-id ID] [--if-absent] [--nonvoters ID,...] [--config FILE]\n"
                "           [--chown USER:GROUP] [--cluster-json[=false]] [--timeout SECONDS]\n"
                "           [--json]\n"
                "       raft generate --nodes ID1=A1,ID2=A2,... --initial-leader ID ...\n"
                "       raft generate --config cluster.json [flags that override it]",
    .description =
        "Writes DIR/<server-id>/raft-log.db (one configuration entry listing every node\n"
        "as a voter, at index 1 and the initial term) and DIR/<server-id>/raft-stable.db\n"
        "(CurrentTerm; the initial leader also records a vote for itself), byte for byte\n"
        "as the Go op-conductor-init writes them. Everything is validated before anything\n"
        "is written; existing state (raft-log.db, raft-stable.db, and snapshots/, from\n"
        "which raft would start whatever a fresh log says) is only replaced with --force,\n"
        "never while op-conductor holds a database locked. --force replaces whole nodes,\n"
        "snapshots/ included, and keeps what it replaced beside DIR in\n"
        ".<DIR>.pre-generate-YYYYMMDD-HHMMSS/<server-id>/ (a new name each time, never\n"
        "deleted). The run holds a lock on DIR: a second run on it fails at once naming\n"
        "the first (pid, command), or waits up to --timeout seconds.\n"
        "\n"
        "Per pod: --node-id ID writes only DIR/ID/ (the same bytes as a full run), and\n"
        "--if-absent makes a rerun safe: exit 0 when the state is already there (as\n"
        "written, or as raft has since advanced it: then the state wins, and how raft's\n"
        "configuration now differs from the given one is printed on stderr), exit 1\n"
        "with a diff when no run of this cluster could have produced it (another\n"
        "cluster's, or generated with other members and untouched by raft).\n"
        "--nonvoters members replicate but never vote.\n"
        "\n"
        "Note: the vote recorded for --initial-leader does not choose the first leader:\n"
        "every voter campaigns at term N+1 and any node may win the first election.",
    .flags = generate_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_generate,
};
