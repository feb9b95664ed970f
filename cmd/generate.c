/*
 * raft generate: write the initial Raft state of every node of a new
 * op-conductor cluster, so that all sequencers start as equals with
 * --raft.bootstrap=false.
 *
 * Order of work, so that bad input never costs anything:
 *   1. parse and validate every flag and the member list (exit 2);
 *   2. inspect the output tree without changing it: symlinks, non-
 *      directories, unwritable directories, existing state (the two
 *      databases and snapshots/), locked databases (exit 1);
 *   3. create OUTPUT_DIR (mkdir -p), take the run lock on it
 *      (raftstate/nodedir.h; --timeout) and inspect again under it;
 *   4. rs_generate_node() per node: nodedir's replace (stage, fsync, swap,
 *      the replaced node kept beside OUTPUT_DIR);
 *   5. print what was written and what to do next.
 *
 * Beyond the Go tool (docs/operations.md: "Operator features"): --node-id writes one node
 * only; --if-absent compares existing state with what would be written
 * (cmd/ifabsent below) instead of refusing; --nodes id=address pairs,
 * --nonvoters and --config FILE (raftstate/clusterfile.h) describe the cluster;
 * --chown hands the result to op-conductor's user; cluster.json records
 * what was written whenever one of these is used (a plain Go-compatible
 * invocation writes exactly the Go tool's files and nothing else).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cmd/chown.h"
#include "raftstate/clusterfile.h"
#include "cmd/command.h"
#include "cmd/flags.h"
#include "cmd/jsonout.h"
#include "cmd/members.h"
#include "cmd/nodeflags.h"
#include "cmd/report.h"
#include "raftstate/config.h"
#include "raftstate/error.h"
#include "raftstate/generate.h"
#include "raftstate/nodedir.h"
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

/* What stands in OUTPUT_DIR before we touch it. */
struct preflight {
	int make_outdir;     /* OUTPUT_DIR does not exist */
	unsigned char *make; /* per node: OUTPUT_DIR/<id> does not exist */
	unsigned char *have; /* per node: how many of its two state files exist */
	char *existing;      /* ", "-separated state files found */
	size_t nexisting;
};

/* OUTPUT_DIR/b, or OUTPUT_DIR/b/c when c is non-NULL; -1 when too long */
static int join(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	char ab[PATH_MAX];

	if (c == NULL)
		return rs_path_join(buf, size, a, b);
	return rs_path_join(ab, sizeof(ab), a, b) != 0 ? -1 : rs_path_join(buf, size, ab, c);
}

static int append_existing(struct preflight *pf, const char *path)
{
	size_t old = pf->existing != NULL ? strlen(pf->existing) : 0;
	size_t add = strlen(oci_path(path).s) + 2;
	char *p = realloc(pf->existing, old + add + 1);

	if (p == NULL)
		return -1;
	(void)snprintf(p + old, add + 1, "%s%s", old > 0 ? ", " : "", oci_path(path).s);
	pf->existing = p;
	pf->nexisting++;
	return 0;
}

/* OUTPUT_DIR is missing: the nearest existing ancestor must be a writable
 * directory, or mkdir -p would fail half-way. */
static int check_creatable(const struct oci_command *cmd, const char *outdir)
{
	char parent[PATH_MAX];
	struct stat st;
	char *slash;

	(void)snprintf(parent, sizeof(parent), "%s", outdir);
	for (;;) {
		slash = strrchr(parent, '/');
		if (slash == NULL)
			(void)snprintf(parent, sizeof(parent), ".");
		else if (slash == parent)
			parent[1] = '\0';
		else
			*slash = '\0';
		if (stat(parent, &st) == 0)
			break;
		if (errno != ENOENT)
			return oci_fail(cmd, "cannot create --output-dir %s: %s: %s",
			                oci_path(outdir).s, oci_path(parent).s, strerror(errno));
		if (strcmp(parent, ".") == 0 || strcmp(parent, "/") == 0)
			return oci_fail(cmd, "cannot create --output-dir %s: %s does not exist",
			                oci_path(outdir).s, oci_path(parent).s);
	}
	if (!S_ISDIR(st.st_mode))
		return oci_fail(cmd, "cannot create --output-dir %s: %s is not a directory",
		                oci_path(outdir).s, oci_path(parent).s);
	if (access(parent, W_OK | X_OK) != 0)
		return oci_fail(cmd, "cannot create --output-dir %s: %s is not writable (%s)",
		                oci_path(outdir).s, oci_path(parent).s, strerror(errno));
	return 0;
}

/* A state file that exists must be a regular file: never write through a
 * symbolic link, never replace a directory. */
static int inspect_state_file(const struct oci_command *cmd, struct preflight *pf, const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return oci_fail(cmd, "cannot inspect %s: %s", oci_path(path).s, strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return oci_fail(cmd, "%s is a symbolic link; refusing to write state through it",
		                oci_path(path).s);
	if (!S_ISREG(st.st_mode))
		return oci_fail(cmd, "%s exists and is not a regular file", oci_path(path).s);
	if (append_existing(pf, path) != 0)
		return oci_fail(cmd, "out of memory");
	return 0;
}

static int inspect(const struct oci_command *cmd, const char *outdir, const struct rs_members *ms,
                   const unsigned char *target, int force, int if_absent, struct preflight *pf)
{
	static const char *const files[] = {RS_LOG_FILE, RS_STABLE_FILE};
	char path[PATH_MAX], file_snap[PATH_MAX];
	struct stat st;
	int need_write = 0, rc;
	size_t i, f, before;

	if (lstat(outdir, &st) != 0) {
		if (errno == ENOTDIR)
			return oci_fail(
			    cmd,
			    "cannot create --output-dir %s: a part of its path is not a directory",
			    oci_path(outdir).s);
		if (errno != ENOENT)
			return oci_fail(cmd, "cannot inspect --output-dir %s: %s",
			                oci_path(outdir).s, strerror(errno));
		pf->make_outdir = 1;
		memcpy(pf->make, target, ms->n);
		return check_creatable(cmd, outdir);
	}
	if (S_ISLNK(st.st_mode))
		return oci_fail(
		    cmd, "--output-dir %s is a symbolic link; give the directory it points to",
		    oci_path(outdir).s);
	if (!S_ISDIR(st.st_mode))
		return oci_fail(cmd, "--output-dir %s exists and is not a directory",
		                oci_path(outdir).s);
	if (access(outdir, X_OK) != 0)
		return oci_fail(cmd, "cannot enter --output-dir %s: %s", oci_path(outdir).s,
		                strerror(errno));

	for (i = 0; i < ms->n; i++) {
		if (!target[i])
			continue;
		if (join(path, sizeof(path), outdir, ms->m[i].id, NULL) != 0)
			return oci_fail(cmd, "path %s/%s is too long", oci_path(outdir).s,
			                ms->m[i].id);
		if (lstat(path, &st) != 0) {
			if (errno != ENOENT)
				return oci_fail(cmd, "cannot inspect %s: %s", oci_path(path).s,
				                strerror(errno));
			pf->make[i] = 1;
			need_write = 1;
			continue;
		}
		if (S_ISLNK(st.st_mode))
			return oci_fail(cmd,
			                "%s is a symbolic link; refusing to write state through it",
			                oci_path(path).s);
		if (!S_ISDIR(st.st_mode))
			return oci_fail(cmd, "%s exists and is not a directory", oci_path(path).s);
		before = pf->nexisting;
		for (f = 0; f < 2; f++) {
			char file[PATH_MAX];

			if (join(file, sizeof(file), outdir, ms->m[i].id, files[f]) != 0)
				return oci_fail(cmd, "path %s is too long", oci_path(path).s);
			if ((rc = inspect_state_file(cmd, pf, file)) != 0)
				return rc;
		}
		pf->have[i] = (unsigned char)(pf->nexisting - before);
		/* snapshots/ is state too: raft starts from the newest snapshot's
		 * configuration whatever a fresh log says (FORMAT.md) */
		if (join(file_snap, sizeof(file_snap), outdir, ms->m[i].id, RS_SNAP_DIR) != 0)
			return oci_fail(cmd, "path %s is too long", oci_path(path).s);
		if (lstat(file_snap, &st) == 0) {
			if (if_absent && pf->have[i] == 0)
				return oci_fail(
				    cmd,
				    "--if-absent: %s holds no database but a %s/ directory: "
				    "raft would start from its snapshot, not from what this "
				    "command writes; nothing was changed (move it away, or "
				    "replace the node with --force)",
				    oci_path(path).s, RS_SNAP_DIR);
			if (append_existing(pf, file_snap) != 0)
				return oci_fail(cmd, "out of memory");
		}
		if (if_absent && pf->have[i] > 0)
			continue; /* compared, never written: see if_absent_check */
		if (access(path, W_OK | X_OK) != 0)
			return oci_fail(cmd, "%s is not writable: %s", oci_path(path).s,
			                strerror(errno));
	}
	if (pf->nexisting > 0 && !force && !if_absent)
		return oci_fail(
		    cmd, "refusing to overwrite %zu existing state file%s without --force: %s",
		    pf->nexisting, pf->nexisting == 1 ? "" : "s", pf->existing);
	/* --force replaces whole nodes: none may be in use */
	for (i = 0; force && i < ms->n; i++) {
		struct rs_err err = {0};

		if (!target[i] || join(path, sizeof(path), outdir, ms->m[i].id, NULL) != 0)
			continue;
		if (rs_nd_check_unlocked(path, "stop it before generating over it", &err) != RS_OK)
			return oci_fail(cmd, "%s; nothing was changed", err.msg);
	}
	if (need_write && access(outdir, W_OK | X_OK) != 0)
		return oci_fail(cmd, "--output-dir %s is not writable: %s", oci_path(outdir).s,
		                strerror(errno));
	return 0;
}

/* mkdir then lstat: what we will write into must be a real directory, even
 * if it appeared between the inspection and now. */
static int make_dir(const struct oci_command *cmd, const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return oci_fail(cmd, "cannot create directory %s: %s", oci_path(path).s,
		                strerror(errno));
	if (lstat(path, &st) != 0)
		return oci_fail(cmd, "cannot inspect %s: %s", oci_path(path).s, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return oci_fail(cmd, "%s is a symbolic link; refusing to write state through it",
		                oci_path(path).s);
	if (!S_ISDIR(st.st_mode))
		return oci_fail(cmd, "%s exists and is not a directory", oci_path(path).s);
	return 0;
}

/* mkdir -p: the parents may be symbolic links (e.g. /var -> /data/var);
 * only OUTPUT_DIR itself must not be one (make_dir). */
static int make_outdir(const struct oci_command *cmd, const char *outdir)
{
	struct rs_err e = {0};

	if (rs_path_mkdir_p(outdir, 0, &e) != RS_OK)
		return e.code == RS_EINVAL ? oci_fail(cmd, "cannot create --output-dir %s: %s",
		                                      oci_path(outdir).s, e.msg)
		                           : oci_fail(cmd, "%s", e.msg);
	return make_dir(cmd, outdir);
}

/* rs_err text plus the system's reason when the message lacks it. */
static const char *err_text(const struct rs_err *e, char *buf, size_t size)
{
	if (e->sys_errno != 0 && strstr(e->msg, strerror(e->sys_errno)) == NULL)
		(void)snprintf(buf, size, "%s: %s", e->msg, strerror(e->sys_errno));
	else
		(void)snprintf(buf, size, "%s", e->msg);
	return buf;
}

static void print_summary(const char *outdir, const struct rs_members *ms,
                          const unsigned char *written, uint64_t term, const char *network,
                          int cluster_json)
{
	size_t i, n = 0;

	for (i = 0; i < ms->n; i++)
		n += written[i];
	printf("Generated Raft state for %zu node%s in %s (initial term %llu%s%s):\n", n,
	       n == 1 ? "" : "s", outdir, (unsigned long long)term,
	       network != NULL && *network != '\0' ? ", network " : "",
	       network != NULL ? network : "");
	for (i = 0; i < ms->n; i++) {
		if (!written[i])
			continue;
		printf("  %s/%s/%s\n", outdir, ms->m[i].id, RS_LOG_FILE);
		printf("  %s/%s/%s%s\n", outdir, ms->m[i].id, RS_STABLE_FILE,
		       i == ms->leader ? "   (records a vote for itself)" : "");
	}
	if (cluster_json)
		printf("  %s/%s   (what was generated, with sha256 of each file)\n", outdir,
		       RS_CLUSTER_JSON);
	printf("\n"
	       "Next steps:\n"
	       "  1. Copy each %s/<server-id>/ directory into that sequencer's --raft.storage.dir\n"
	       "     volume under the same name: op-conductor reads "
	       "<raft.storage.dir>/<raft.server.id>/,\n"
	       "     so each node's --raft.server.id must be its <server-id>.\n"
	       "  2. Configure op-conductor on every node with --raft.bootstrap=false.\n"
	       "  3. Start all nodes.\n"
	       "\n"
	       "Note: the vote recorded for %s does NOT choose the first leader. Every voter\n"
	       "starts at term %llu and campaigns at term %llu%s when its election timer fires;\n"
	       "any node may win the first election.\n",
	       outdir, ms->m[ms->leader].id, (unsigned long long)term,
	       (unsigned long long)(term + 1),
	       term == UINT64_MAX ? " (it wraps: no term can follow the largest one)" : "");
}

/* ---- --if-absent ------------------------------------------------------- */

/* An existing cluster.json must describe the same cluster. */
static void compare_record(const char *outdir, const struct rs_members *ms, uint64_t term,
                           const char *network, struct rs_diff *d)
{
	char path[PATH_MAX], msg[1024];
	struct rs_cluster_file cf;
	struct stat st;
	size_t i, j;
	int rc;

	(void)join(path, sizeof(path), outdir, RS_CLUSTER_JSON, NULL);
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return; /* none (or a node named cluster.json): nothing to compare */
	rc = rs_cluster_file_load(path, &cf, msg, sizeof(msg));
	if (rc != RS_CLUSTER_FILE_OK) {
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
		rs_diff_add(d, "  %s: - initial_leader %s", RS_CLUSTER_JSON, oci_q(cf.leader).s);
		rs_diff_add(d, "  %s: + initial_leader %s", RS_CLUSTER_JSON,
		            oci_q(ms->m[ms->leader].id).s);
	}
	if (network != NULL && *network != '\0' &&
	    (cf.network == NULL || strcmp(cf.network, network) != 0)) {
		rs_diff_add(d, "  %s: - network %s", RS_CLUSTER_JSON,
		            cf.network != NULL ? oci_q(cf.network).s : "null");
		rs_diff_add(d, "  %s: + network %s", RS_CLUSTER_JSON, oci_q(network).s);
	}
	for (i = 0; i < cf.ms.n; i++) {
		for (j = 0; j < ms->n; j++)
			if (strcmp(cf.ms.m[i].id, ms->m[j].id) == 0 &&
			    strcmp(cf.ms.m[i].address, ms->m[j].address) == 0 &&
			    cf.ms.m[i].nonvoter == ms->m[j].nonvoter)
				break;
		if (j == ms->n)
			rs_diff_add(d, "  %s: - node %s %s %s", RS_CLUSTER_JSON,
			            oci_q(cf.ms.m[i].id).s, oci_q(cf.ms.m[i].address).s,
			            cf.ms.m[i].nonvoter ? "nonvoter" : "voter");
	}
	for (j = 0; j < ms->n; j++) {
		for (i = 0; i < cf.ms.n; i++)
			if (strcmp(cf.ms.m[i].id, ms->m[j].id) == 0 &&
			    strcmp(cf.ms.m[i].address, ms->m[j].address) == 0 &&
			    cf.ms.m[i].nonvoter == ms->m[j].nonvoter)
				break;
		if (i == cf.ms.n)
			rs_diff_add(d, "  %s: + node %s %s %s", RS_CLUSTER_JSON,
			            oci_q(ms->m[j].id).s, oci_q(ms->m[j].address).s,
			            ms->m[j].nonvoter ? "nonvoter" : "voter");
	}
	rs_cluster_file_free(&cf);
}

/* ---- the command ------------------------------------------------------- */

/* A flag's value when it was given (command line or environment). */
static const char *given(const struct flag_value *v)
{
	return v->src == FLAG_ARGV || v->src == FLAG_ENV ? v->str : NULL;
}

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
	const char *config = given(&v[F_CONFIG]), *leader, *leader_what;
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
		if (rc != RS_CLUSTER_FILE_OK) {
			rc = oci_usage(cmd, "%s: %s", gc->wc, msg);
			return rc;
		}
	}
	if (given(&v[F_NODES]) == NULL && !gc->cf.has_nodes) {
		rc = config != NULL
		         ? oci_usage(cmd, "--nodes is required (or set %s): %s has no \"nodes\"",
		                     flags_env_name(&cmd->flags[F_NODES], env, sizeof(env)),
		                     oci_path(config).s)
		         : required(cmd, F_NODES);
		return rc;
	}
	if (given(&v[F_NODES]) != NULL) {
		gc->pairs = strchr(v[F_NODES].str, '=') != NULL;
		if (!gc->pairs && given(&v[F_SERVER_IDS]) == NULL) {
			rc = required(cmd, F_SERVER_IDS);
			return rc;
		}
	} else if (given(&v[F_SERVER_IDS]) != NULL) {
		rc = oci_usage(cmd, "%s needs --nodes: the nodes come from %s", gc->wi,
		               oci_path(config).s);
		return rc;
	}
	leader = given(&v[F_INITIAL_LEADER]);
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
	if (given(&v[F_NODES]) != NULL) {
		struct rs_members_input in = {
		    .nodes = v[F_NODES].str,
		    .nodes_what = gc->wn,
		    .ids = given(&v[F_SERVER_IDS]),
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
	rc = members_validate(cmd, &gc->ms, &gc->names, leader, leader_what, given(&v[F_NONVOTERS]),
	                      gc->wv);
	if (rc != 0)
		return rc;

	if (v[F_INITIAL_TERM].src == FLAG_ARGV || v[F_INITIAL_TERM].src == FLAG_ENV ||
	    !gc->cf.has_term)
		gc->term = v[F_INITIAL_TERM].u;
	else
		gc->term = gc->cf.term;
	gc->network = given(&v[F_NETWORK]) != NULL ? v[F_NETWORK].str : gc->cf.network;

	return 0;
}

/* Step 3 with --if-absent: what is there is compared, never written. 0:
 * go on and write the nodes still missing (target[] now says which); -1:
 * nothing is left to write (exit 0); else the exit code of a refusal. */
/* A diff's lines (rs_diff text) as details of the message before them. */
static void print_diff(enum oci_log_level level, const char *text)
{
	for (const char *p = text; p != NULL && *p != '\0';) {
		const char *e = strchr(p, '\n');
		int n = e != NULL ? (int)(e - p) : (int)strlen(p);

		oci_detail(level, "%.*s", n, p);
		p = e != NULL ? e + 1 : NULL;
	}
}

static int check_if_absent(const struct oci_command *cmd, const char *outdir,
                           const struct given_cluster *gc, const struct rs_config *cfg,
                           unsigned char *target, const struct preflight *pf, size_t nwrite,
                           FILE *say)
{
	struct rs_diff d = {0}, changed = {0};
	char node_dir[PATH_MAX], note[256];
	size_t i;
	int rc = 0;

	{
		size_t present = 0, same = 0;

		for (i = 0; i < gc->ms.n; i++) {
			if (!target[i] || pf->have[i] == 0)
				continue;
			present++;
			(void)join(node_dir, sizeof(node_dir), outdir, gc->ms.m[i].id, NULL);
			if (pf->have[i] == 1) {
				rs_diff_add(
				    &d, "  %s: - only one of %s and %s exists (a partial state)",
				    gc->ms.m[i].id, RS_LOG_FILE, RS_STABLE_FILE);
				continue;
			}
			int verdict = rs_cluster_compare_node(node_dir, gc->ms.m[i].id, cfg,
			                                      gc->ms.m[gc->ms.leader].id, gc->term,
			                                      &changed, &d, note, sizeof(note));
			if (verdict != RS_NODE_CONFLICT) {
				fprintf(say, "%s: %s\n", node_dir, note);
				same++;
			}
		}
		if (present > 0)
			compare_record(outdir, &gc->ms, gc->term, gc->network, &d);
		if (d.n > 0) {
			rc = oci_fail(
			    cmd,
			    "--if-absent: the existing state in %s is not what this command "
			    "would write; nothing was changed (- existing, + this command):",
			    oci_path(outdir).s);
			print_diff(OCI_LVL_ERROR, d.text);
			goto out;
		}
		if (changed.n > 0) {
			/* raft's own changes (a member added through op-conductor, say)
			 * win: the volume's state is the cluster's */
			oci_warn(cmd,
			         "--if-absent: raft has changed the configuration in %s since it "
			         "was initialized; that state is kept as it is (- raft's "
			         "configuration now, + the one given):",
			         oci_path(outdir).s);
			print_diff(OCI_LVL_WARN, changed.text);
		}
		if (present == nwrite) {
			fprintf(say,
			        "Nothing to do: %s already holds the state of %zu node%s; nothing "
			        "was written.\n",
			        outdir, present, present == 1 ? "" : "s");
			rc = -1; /* done: exit 0 */
			goto out;
		}
		for (i = 0; i < gc->ms.n; i++)
			if (pf->have[i] > 0)
				target[i] = 0; /* keep what is there, write the rest */
	}

out:
	rs_diff_free(&d);
	rs_diff_free(&changed);
	return rc;
}

/* What --chown asks for (on: given). */
struct chown_to {
	int on;
	uid_t uid;
	gid_t gid;
};

/* Step 4's writing, under the run lock: each target node's directory and
 * two files, their owner, and cluster.json (want_json) listing them. */
static int write_nodes(const struct oci_command *cmd, const char *outdir,
                       const struct given_cluster *gc, const struct rs_config *cfg,
                       const unsigned char *target, unsigned char *written,
                       const struct preflight *pf, struct rs_generate_put *put,
                       const struct chown_to *own, int want_json, const char *node_id)
{
	char node_dir[PATH_MAX], path[PATH_MAX], msg[1024];
	struct rs_cluster_file_entry *files = calloc(2 * gc->ms.n, sizeof(*files));
	struct rs_err err = {0};
	size_t i, nfiles = 0;
	int rc = 0;

	if (files == NULL)
		return oci_fail(cmd, "out of memory");
	for (i = 0; i < gc->ms.n; i++) {
		if (!target[i])
			continue;
		if (join(node_dir, sizeof(node_dir), outdir, gc->ms.m[i].id, NULL) != 0) {
			rc = oci_fail(cmd, "path %s/%s is too long", oci_path(outdir).s,
			              gc->ms.m[i].id);
			goto out;
		}
		if (pf->make[i] && (rc = make_dir(cmd, node_dir)) != 0)
			goto out;
	}
	for (i = 0; i < gc->ms.n; i++) {
		static const char *const names2[] = {RS_LOG_FILE, RS_STABLE_FILE};
		size_t f;

		if (!target[i])
			continue;
		(void)join(node_dir, sizeof(node_dir), outdir, gc->ms.m[i].id, NULL);
		if (rs_generate_node(node_dir, cfg, gc->ms.m[i].id, gc->ms.m[gc->ms.leader].id,
		                     gc->term, put, &err) != RS_OK) {
			rc = oci_fail(
			    cmd, "failed to write the state of %s in %s: %s%s",
			    oci_q(gc->ms.m[i].id).s, oci_path(node_dir).s,
			    err_text(&err, msg, sizeof(msg)),
			    nfiles > 0 ? " (the nodes before it were written; rerun with --force)"
			               : "");
			goto out;
		}
		written[i] = 1;
		if (own->on && rs_nd_chown_path(node_dir, own->uid, own->gid, &err) != RS_OK) {
			rc = oci_fail(cmd, "%s", err.msg);
			goto out;
		}
		for (f = 0; f < 2; f++) {
			(void)join(path, sizeof(path), outdir, gc->ms.m[i].id, names2[f]);
			if (own->on && rs_nd_chown_path(path, own->uid, own->gid, &err) != RS_OK) {
				rc = oci_fail(cmd, "%s", err.msg);
				goto out;
			}
			if (want_json) {
				(void)snprintf(files[nfiles].path, sizeof(files[nfiles].path),
				               "%s/%s", gc->ms.m[i].id, names2[f]);
				if (rs_cluster_hash_file(path, &files[nfiles], msg, sizeof(msg)) !=
				    0) {
					rc = oci_fail(cmd, "%s", msg);
					goto out;
				}
			}
			nfiles++;
		}
	}
	if (want_json) {
		struct rs_cluster_record rec = {
		    .ms = &gc->ms,
		    .term = gc->term,
		    .network = gc->network,
		    .node_id = node_id,
		    .files = files,
		    .nfiles = nfiles,
		};

		if (rs_cluster_json_write(outdir, &rec, own->uid, own->gid, msg, sizeof(msg)) !=
		    0) {
			rc = oci_fail(cmd, "the state files were written, but %s", msg);
			goto out;
		}
	}
out:
	free(files);
	return rc;
}

/* One run, from its flags to the written nodes. */
struct gen_run {
	struct given_cluster gc;
	struct preflight pf;
	struct rs_config cfg;
	unsigned char *target, *written;
	const char *node_id, *node_id_what;
	char *outdir;
	struct chown_to own;
	size_t nwrite;
	int if_absent, want_json;
	int json;             /* --json: the document on stdout, notes on stderr */
	FILE *say;            /* where notes go: stdout, or stderr with --json */
	unsigned char *asked; /* the target nodes before --if-absent kept some */
	char wid[128];
	char keep_root[PATH_MAX], keep_parent[PATH_MAX], keep_prefix[NAME_MAX + 1];
	struct rs_nd_lock lk;
	struct rs_generate_put put;
};

/* Parse (steps 1 and 2): the cluster, and which nodes, how, as whom. */
static int gen_parse(const struct oci_command *cmd, const struct flag_value *v, struct gen_run *r)
{
	char wo[128], msg[1024];
	struct rs_err err = {0};
	size_t len;
	int rc;

	if ((rc = read_cluster(cmd, v, &r->gc)) != 0)
		return rc;
	r->node_id = given(&v[F_NODE_ID]);
	if (r->node_id != NULL)
		r->node_id_what =
		    flags_what(&cmd->flags[F_NODE_ID], &v[F_NODE_ID], r->wid, sizeof(r->wid));
	if (given(&v[F_ONLY]) != NULL) {
		if (r->node_id != NULL && strcmp(r->node_id, v[F_ONLY].str) != 0)
			return oci_usage(cmd,
			                 "%s %s and --only %s disagree; --only is an alias of "
			                 "--node-id, give one",
			                 r->node_id_what, oci_q(r->node_id).s,
			                 oci_q(v[F_ONLY].str).s);
		r->node_id = v[F_ONLY].str;
		r->node_id_what =
		    flags_what(&cmd->flags[F_ONLY], &v[F_ONLY], r->wid, sizeof(r->wid));
	}
	if (r->if_absent && v[F_FORCE].b)
		return oci_usage(cmd, "--if-absent and --force contradict each other; give one");
	if (r->own.on &&
	    owner_parse(v[F_CHOWN].str, &r->own.uid, &r->own.gid, msg, sizeof(msg)) != 0)
		return oci_usage(cmd, "--chown: %s", msg);
	r->put.uid = r->own.uid;
	r->put.gid = r->own.gid;
	r->put.keep_root = r->keep_root;
	r->put.keep_size = sizeof(r->keep_root);
	r->put.keep_dir = r->keep_parent;
	r->put.keep_prefix = r->keep_prefix;

	flags_what(&cmd->flags[F_OUTPUT_DIR], &v[F_OUTPUT_DIR], wo, sizeof(wo));
	len = strlen(v[F_OUTPUT_DIR].str);
	if (len == 0)
		return oci_usage(cmd, "%s is empty", wo);
	if (len + 1 + RS_SERVER_ID_MAX + 1 + sizeof(RS_STABLE_FILE) + 32 > PATH_MAX)
		return oci_usage(cmd, "%s is too long (%zu bytes)", wo, len);
	r->outdir = strdup(v[F_OUTPUT_DIR].str);
	r->pf.make = calloc(r->gc.ms.n, 1);
	r->pf.have = calloc(r->gc.ms.n, 1);
	r->target = calloc(r->gc.ms.n, 1);
	r->written = calloc(r->gc.ms.n, 1);
	if (r->outdir == NULL || r->pf.make == NULL || r->pf.have == NULL || r->target == NULL ||
	    r->written == NULL || rs_members_config(&r->gc.ms, &r->cfg, &err) != RS_OK)
		return oci_fail(cmd, "out of memory");
	return 0;
}

/* Plan: where, which nodes (target[]), where replaced state is kept, and
 * whether cluster.json is written. */
static int gen_plan(const struct oci_command *cmd, const struct flag_value *v, struct gen_run *r)
{
	size_t i, len = strlen(r->outdir);

	/* "out/" must be inspected as "out": lstat("link/") follows the link */
	while (len > 1 && r->outdir[len - 1] == '/')
		r->outdir[--len] = '\0';
	/* what --force replaces is kept beside OUTPUT_DIR, not in it (OUTPUT_DIR
	 * holds exactly the nodes' state): ../.<name>.pre-generate-TS/<id> */
	rs_nd_lock_dir_of(r->outdir, r->keep_parent, sizeof(r->keep_parent));
	(void)snprintf(r->keep_prefix, sizeof(r->keep_prefix), ".%.200s.pre-generate-",
	               strrchr(r->outdir, '/') != NULL ? strrchr(r->outdir, '/') + 1 : r->outdir);

	for (i = 0; i < r->gc.ms.n; i++) {
		r->target[i] = r->node_id == NULL || strcmp(r->gc.ms.m[i].id, r->node_id) == 0;
		r->nwrite += r->target[i];
	}
	if (r->nwrite == 0 && r->gc.cf.formed && r->if_absent) {
		/* a member added since the cluster formed (not in the file): it
		 * starts empty and gets everything from the leader */
		fprintf(r->say,
		        "%s/%s: %s is not in %s, and the cluster has formed: nothing written; "
		        "op-conductor starts this node as its state directory is\n",
		        r->outdir, r->node_id, r->node_id, oci_path(given(&v[F_CONFIG])).s);
		return -1;
	}
	if (r->nwrite == 0)
		return oci_usage(cmd, "%s %s is not one of the server IDs in %s", r->node_id_what,
		                 oci_q(r->node_id).s, r->gc.names.ids_what);
	r->want_json = v[F_CLUSTER_JSON].src == FLAG_ARGV || v[F_CLUSTER_JSON].src == FLAG_ENV
	                   ? v[F_CLUSTER_JSON].b
	                   : given(&v[F_CONFIG]) != NULL || r->node_id != NULL || r->if_absent ||
	                         r->own.on || r->gc.pairs || given(&v[F_NONVOTERS]) != NULL;
	for (i = 0; i < r->gc.ms.n; i++)
		if (strcmp(r->gc.ms.m[i].id, RS_CLUSTER_JSON) == 0)
			r->want_json = 0; /* that name is a node directory here */
	return 0;
}

/* A cluster file that says "formed": true: the cluster has run, and its
 * nodes' state is raft's. After a recover or a membership change the
 * file's members are older than the cluster's, and a node generated from
 * them (a pod back with an empty volume) would bring the old configuration
 * back. So nothing is generated: without --if-absent that is refused; with
 * it, a node without state is left empty (op-conductor starts it empty and
 * the leader sends it the configuration once it is a member), and nodes
 * with state are checked as usual. -1: nothing left to do. */
static int formed_skip(const struct oci_command *cmd, const struct flag_value *v, struct gen_run *r)
{
	const char *file = oci_path(given(&v[F_CONFIG])).s;
	char node_dir[PATH_MAX];

	if (!r->if_absent)
		return oci_fail(
		    cmd,
		    "%s says the cluster has formed (\"formed\": true): its nodes' state "
		    "comes from raft now, never from generate; nothing was written (start "
		    "a new member with an empty state directory, change members with raft "
		    "recover, or use --if-absent to check existing state)",
		    file);
	for (size_t i = 0; i < r->gc.ms.n; i++) {
		if (!r->target[i] || r->pf.have[i] != 0)
			continue;
		(void)join(node_dir, sizeof(node_dir), r->outdir, r->gc.ms.m[i].id, NULL);
		fprintf(r->say,
		        "%s: no state, and %s says the cluster has formed: nothing written; "
		        "op-conductor starts this node empty, and the leader sends it the "
		        "configuration once it is a member\n",
		        node_dir, file);
		r->target[i] = 0;
		r->nwrite--;
	}
	return r->nwrite == 0 ? -1 : 0;
}

/* Check (step 3): what is there already; -1: nothing left to write. */
static int gen_check(const struct oci_command *cmd, const struct flag_value *v, struct gen_run *r)
{
	int rc = inspect(cmd, r->outdir, &r->gc.ms, r->target, v[F_FORCE].b, r->if_absent, &r->pf);

	if (rc == 0 && r->gc.cf.formed)
		rc = formed_skip(cmd, v, r);
	if (rc != 0 || !r->if_absent)
		return rc;
	return check_if_absent(cmd, r->outdir, &r->gc, &r->cfg, r->target, &r->pf, r->nwrite,
	                       r->say);
}

/* --json (docs/json.md, "raft generate --json"): what was written, where,
 * with each file's size and sha256, and the nodes left as they were. */
static int print_json(const struct oci_command *cmd, const struct gen_run *r)
{
	cJSON *doc = cJSON_CreateObject(), *wr, *left;
	char dir[PATH_MAX], path[PATH_MAX], msg[1024];

	cJSON_AddStringToObject(doc, "output_dir", r->outdir);
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

		if (!r->asked[i])
			continue;
		(void)join(dir, sizeof(dir), r->outdir, id, NULL);
		n = cJSON_CreateObject();
		cJSON_AddStringToObject(n, "id", id);
		cJSON_AddStringToObject(n, "dir", dir);
		if (!r->written[i]) {
			cJSON_AddItemToArray(left, n);
			continue;
		}
		cJSON_AddBoolToObject(n, "votes_for_itself", i == r->gc.ms.leader);
		files = cJSON_AddArrayToObject(n, "files");
		for (size_t f = 0; f < 2; f++) {
			struct rs_cluster_file_entry e = {0};
			cJSON *fo = cJSON_CreateObject();

			(void)join(path, sizeof(path), r->outdir, id,
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
	(void)join(path, sizeof(path), r->outdir, RS_CLUSTER_JSON, NULL);
	if (r->want_json && cJSON_GetArraySize(wr) > 0)
		cJSON_AddStringToObject(doc, "cluster_json", path);
	else
		cJSON_AddNullToObject(doc, "cluster_json");
	if (r->keep_root[0] != '\0')
		cJSON_AddStringToObject(doc, "replaced_state_kept_in", r->keep_root);
	else
		cJSON_AddNullToObject(doc, "replaced_state_kept_in");
	if (r->put.salvaged > 0)
		cJSON_AddStringToObject(doc, "interrupted_stages_kept_in", r->put.salvaged_to);
	else
		cJSON_AddNullToObject(doc, "interrupted_stages_kept_in");
	return np_json_emit(doc) != 0 ? oci_fail(cmd, "out of memory") : OCI_EXIT_OK;
}

/* Apply (step 4): under the run lock on OUTPUT_DIR, after looking again. */
static int gen_apply(const struct oci_command *cmd, const struct flag_value *v, struct gen_run *r)
{
	struct preflight again = {0};
	struct rs_err oe = {0};
	int rc, made = r->pf.make_outdir;

	if (r->pf.make_outdir && (rc = make_outdir(cmd, r->outdir)) != 0)
		return rc;
	if (rs_nd_lock(r->outdir, np_run_lock_timeout(&v[F_TIMEOUT]), &r->lk, &oe) != RS_OK)
		return oci_fail(cmd, "%s; nothing was changed", oe.msg);
	again.make = calloc(r->gc.ms.n, 1);
	again.have = calloc(r->gc.ms.n, 1);
	rc = again.make == NULL || again.have == NULL
	         ? oci_fail(cmd, "out of memory")
	         : inspect(cmd, r->outdir, &r->gc.ms, r->target, v[F_FORCE].b, 0, &again);
	if (rc != 0) {
		free(again.make);
		free(again.have);
		free(again.existing);
		return rc;
	}
	free(r->pf.make);
	free(r->pf.have);
	free(r->pf.existing);
	r->pf = again;
	r->pf.make_outdir = made;
	if (r->pf.make_outdir && r->own.on &&
	    rs_nd_chown_path(r->outdir, r->own.uid, r->own.gid, &oe) != RS_OK)
		return oci_fail(cmd, "%s", oe.msg);
	rc = write_nodes(cmd, r->outdir, &r->gc, &r->cfg, r->target, r->written, &r->pf, &r->put,
	                 &r->own, r->want_json, r->node_id);
	if (rc != 0)
		return rc;
	if (r->json)
		return print_json(cmd, r);
	print_summary(r->outdir, &r->gc.ms, r->written, r->gc.term, r->gc.network, r->want_json);
	if (r->keep_root[0] != '\0')
		printf("The replaced state (snapshots/ included) was kept in: %s\n", r->keep_root);
	if (r->put.salvaged > 0)
		printf("Note: %zu stage%s left by an interrupted run (holding files the state does "
		       "not have) kept in: %s\n",
		       r->put.salvaged, r->put.salvaged == 1 ? "" : "s", r->put.salvaged_to);
	return OCI_EXIT_OK;
}

static int run_generate(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	struct gen_run *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL)
		return oci_fail(cmd, "out of memory");
	r->own =
	    (struct chown_to){.on = given(&v[F_CHOWN]) != NULL, .uid = (uid_t)-1, .gid = (gid_t)-1};
	r->if_absent = v[F_IF_ABSENT].b;
	r->lk.fd = -1;
	r->put.uid = (uid_t)-1;
	r->put.gid = (gid_t)-1;
	r->json = v[F_JSON].b;
	r->say = r->json ? stderr : stdout;
	if ((rc = gen_parse(cmd, v, r)) == 0 &&
	    (r->asked = calloc(r->gc.ms.n ? r->gc.ms.n : 1, 1)) == NULL)
		rc = oci_fail(cmd, "out of memory");
	if (rc == 0 && (rc = gen_plan(cmd, v, r)) == 0)
		memcpy(r->asked, r->target, r->gc.ms.n);
	if (rc == 0 && (rc = gen_check(cmd, v, r)) == 0)
		rc = gen_apply(cmd, v, r);
	else if (rc < 0) /* --if-absent: nothing left to write */
		rc = r->json && r->asked != NULL ? print_json(cmd, r) : OCI_EXIT_OK;
	rs_nd_unlock(&r->lk);
	rs_members_config_free(&r->cfg); /* the strings belong to ms */
	free(r->pf.make);
	free(r->pf.have);
	free(r->pf.existing);
	free(r->target);
	free(r->written);
	free(r->asked);
	free(r->outdir);
	given_cluster_free(&r->gc);
	free(r);
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
