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
#include <stdio.h>
#include <string.h>

#include "raftstate/clusterfile.h"
#include "present/chown.h"
#include "cmd/command.h"
#include "present/flags.h"
#include "present/jsonout.h"
#include "present/members.h"
#include "present/nodeflags.h"
#include "present/nodetext.h"
#include "present/recover.h"
#include "present/report.h"
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

/* The member list from the flags or the cluster file, validated. */
static int read_members(const struct oci_command *cmd, const struct flag_set *fs,
                        struct rs_members *ms, struct rs_cluster_file *cf)
{
	const struct flag_value *v = fs->v;
	char wn[128], wi[128], wv[128], wc[128], wf[4400], env[128], msg[1024];
	struct rs_members_names names = {0};
	const char *config = flags_given(&v[F_CONFIG]), *nonvoters = flags_given(&v[F_NONVOTERS]);
	const char *leader = NULL;
	struct rs_err err = {0};
	int rc;

	flags_what(&cmd->flags[F_NODES], &v[F_NODES], wn, sizeof(wn));
	flags_what(&cmd->flags[F_SERVER_IDS], &v[F_SERVER_IDS], wi, sizeof(wi));
	flags_what(&cmd->flags[F_NONVOTERS], &v[F_NONVOTERS], wv, sizeof(wv));
	flags_what(&cmd->flags[F_CONFIG], &v[F_CONFIG], wc, sizeof(wc));

	if (config != NULL) {
		rc = rs_cluster_file_load(config, cf, msg, sizeof(msg));
		if (rc == RS_CLUSTER_FILE_ENOMEM) /* no fault of the file's */
			return oci_fail(cmd, "%s: %s", wc, msg);
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
	if (flags_given(&v[F_NODES]) == NULL && !cf->has_nodes)
		return config != NULL
		           ? oci_usage(cmd, "--nodes is required: %s has no \"nodes\"",
		                       oci_path(config).s)
		           : oci_usage(cmd,
		                       "the new configuration is required: give --nodes "
		                       "(with --server-ids, or id=address pairs) or --config FILE");
	if (flags_given(&v[F_NODES]) != NULL) {
		struct rs_members_input in = {
		    .nodes = v[F_NODES].str,
		    .nodes_what = wn,
		    .ids = flags_given(&v[F_SERVER_IDS]),
		    .ids_what = wi,
		    .ids_env = flags_env_name(&cmd->flags[F_SERVER_IDS], env, sizeof(env)),
		};

		if (strchr(v[F_NODES].str, '=') == NULL && in.ids == NULL)
			return oci_usage(cmd, "--server-ids is required with plain addresses in "
			                      "--nodes (or give id=address pairs)");
		if ((rc = members_split(cmd, &in, ms, &names)) != 0)
			return rc;
	} else {
		if (flags_given(&v[F_SERVER_IDS]) != NULL)
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
	    .term = flags_given(&v[F_TERM]) != NULL ? v[F_TERM].u : 0,
	    .force = v[F_FORCE].b,
	    .uid = (uid_t)-1,
	    .gid = (gid_t)-1,
	};
	r->dir = v[F_STATE_DIR].str;
	if (r->dir[0] == '\0')
		return oci_usage(cmd, "--state-dir is empty");
	if (flags_given(&v[F_CHOWN]) != NULL &&
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
	np_env_values(r->out, cmd, v);
	/* the members come from --nodes when given, else from --config */
	src = flags_given(&v[F_NODES]) != NULL ? F_NODES : F_CONFIG;
	if (v[src].src == FLAG_ENV)
		flags_env_name(&cmd->flags[src], r->from, sizeof(r->from));
	np_recover_change(r->out, &r->plan, r->from[0] != '\0' ? r->from : NULL);
	return 0;
}

/* Apply: under the run lock, the change, on a copy swapped in
 * (raftstate/recover.h). */
static int recover_apply(const struct oci_command *cmd, struct recover_run *r)
{
	struct rs_err err = {0};
	char *kept = r->kept;
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
	np_recover_done(r->out, &r->plan, kept);
	return OCI_EXIT_OK;
}

static int print_json(const struct oci_command *cmd, const struct flag_value *v,
                      const struct recover_run *r)
{
	cJSON *doc = np_recover_json(cmd, v, &r->plan, v[F_DRY_RUN].b, r->from, r->kept);

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
