/*
 * raft generate: write the initial Raft state of every node of a new
 * op-conductor cluster, so that all sequencers start as equals with
 * --raft.bootstrap=false.
 *
 * Order of work, so that bad input never costs anything:
 *   1. parse and validate every flag and the member list (exit 2);
 *   2. inspect the output tree without changing it: symlinks, non-
 *      directories, unwritable directories, existing state files (exit 1);
 *   3. create OUTPUT_DIR (mkdir -p) and OUTPUT_DIR/<id>/, mode 0755;
 *   4. rs_generate_node() per node (temp file, fsync, rename, fsync dir);
 *   5. print what was written and what to do next.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cmd/command.h"
#include "cmd/flags.h"
#include "cmd/members.h"
#include "cmd/report.h"
#include "raftstate/config.h"
#include "raftstate/error.h"
#include "raftstate/generate.h"

enum {
	F_NODES,
	F_SERVER_IDS,
	F_OUTPUT_DIR,
	F_INITIAL_LEADER,
	F_INITIAL_TERM,
	F_NETWORK,
	F_FORCE,
	F_COUNT,
};

static const struct flag_spec generate_flags[F_COUNT] = {
    [F_NODES] =
        {
            .name = "nodes",
            .kind = FLAG_STRING,
            .metavar = "A1,A2,...",
            .required = 1,
            .help = "Comma-separated node addresses host:port ([ipv6]:port)",
        },
    [F_SERVER_IDS] =
        {
            .name = "server-ids",
            .kind = FLAG_STRING,
            .metavar = "S1,S2,...",
            .required = 1,
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
            .required = 1,
            .help = "Server ID that records a vote for itself (see the note above)",
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
            .help = "Network name, e.g. op-mainnet (accepted, not stored)",
        },
    [F_FORCE] =
        {
            .name = "force",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Overwrite existing state files",
        },
};

/* What stands in OUTPUT_DIR before we touch it. */
struct preflight {
	int make_outdir;     /* OUTPUT_DIR does not exist */
	unsigned char *make; /* per node: OUTPUT_DIR/<id> does not exist */
	char *existing;      /* ", "-separated state files found */
	size_t nexisting;
};

static int join(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	int n = c != NULL ? snprintf(buf, size, "%s/%s/%s", a, b, c)
	                  : snprintf(buf, size, "%s/%s", a, b);

	return n < 0 || (size_t)n >= size ? -1 : 0;
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

static int inspect(const struct oci_command *cmd, const char *outdir, const struct members *ms,
                   int force, struct preflight *pf)
{
	static const char *const files[] = {RS_LOG_FILE, RS_STABLE_FILE};
	char path[PATH_MAX];
	struct stat st;
	int need_write = 0, rc;
	size_t i, f;

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
		memset(pf->make, 1, ms->n);
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
		for (f = 0; f < 2; f++) {
			char file[PATH_MAX];

			if (join(file, sizeof(file), outdir, ms->m[i].id, files[f]) != 0)
				return oci_fail(cmd, "path %s is too long", oci_path(path).s);
			if ((rc = inspect_state_file(cmd, pf, file)) != 0)
				return rc;
		}
		if (access(path, W_OK | X_OK) != 0)
			return oci_fail(cmd, "%s is not writable: %s", oci_path(path).s,
			                strerror(errno));
	}
	if (pf->nexisting > 0 && !force)
		return oci_fail(
		    cmd, "refusing to overwrite %zu existing state file%s without --force: %s",
		    pf->nexisting, pf->nexisting == 1 ? "" : "s", pf->existing);
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
 * only OUTPUT_DIR itself must not be one. */
static int make_outdir(const struct oci_command *cmd, const char *outdir)
{
	char path[PATH_MAX];
	struct stat st;
	char *p;

	(void)snprintf(path, sizeof(path), "%s", outdir);
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return oci_fail(cmd, "cannot create directory %s: %s", oci_path(path).s,
			                strerror(errno));
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			return oci_fail(cmd, "cannot create --output-dir %s: %s is not a directory",
			                oci_path(outdir).s, oci_path(path).s);
		*p = '/';
	}
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

static void print_summary(const char *outdir, const struct members *ms, uint64_t term,
                          const char *network)
{
	size_t i;

	printf("Generated Raft state for %zu node%s in %s (initial term %llu%s%s):\n", ms->n,
	       ms->n == 1 ? "" : "s", outdir, (unsigned long long)term,
	       network != NULL && *network != '\0' ? ", network " : "",
	       network != NULL ? network : "");
	for (i = 0; i < ms->n; i++) {
		printf("  %s/%s/%s\n", outdir, ms->m[i].id, RS_LOG_FILE);
		printf("  %s/%s/%s%s\n", outdir, ms->m[i].id, RS_STABLE_FILE,
		       i == ms->leader ? "   (records a vote for itself)" : "");
	}
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

static int run_generate(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	char wn[128], wi[128], wl[128], wo[128], node_dir[PATH_MAX], msg[1024];
	struct members ms;
	struct members_input in;
	struct preflight pf = {0};
	struct rs_config cfg = {0};
	struct rs_err err = {0};
	char *outdir = NULL;
	size_t i, len;
	int rc;

	in.nodes = v[F_NODES].str;
	in.nodes_what = flags_what(&cmd->flags[F_NODES], &v[F_NODES], wn, sizeof(wn));
	in.ids = v[F_SERVER_IDS].str;
	in.ids_what = flags_what(&cmd->flags[F_SERVER_IDS], &v[F_SERVER_IDS], wi, sizeof(wi));
	in.leader = v[F_INITIAL_LEADER].str;
	in.leader_what =
	    flags_what(&cmd->flags[F_INITIAL_LEADER], &v[F_INITIAL_LEADER], wl, sizeof(wl));
	rc = members_parse(cmd, &in, &ms);
	if (rc != 0)
		goto done;

	flags_what(&cmd->flags[F_OUTPUT_DIR], &v[F_OUTPUT_DIR], wo, sizeof(wo));
	len = strlen(v[F_OUTPUT_DIR].str);
	if (len == 0) {
		rc = oci_usage(cmd, "%s is empty", wo);
		goto done;
	}
	if (len + 1 + MEMBER_ID_MAX + 1 + sizeof(RS_STABLE_FILE) + 32 > PATH_MAX) {
		rc = oci_usage(cmd, "%s is too long (%zu bytes)", wo, len);
		goto done;
	}
	outdir = strdup(v[F_OUTPUT_DIR].str);
	if (outdir == NULL) {
		rc = oci_fail(cmd, "out of memory");
		goto done;
	}
	/* "out/" must be inspected as "out": lstat("link/") follows the link */
	while (len > 1 && outdir[len - 1] == '/')
		outdir[--len] = '\0';

	pf.make = calloc(ms.n, 1);
	cfg.servers = calloc(ms.n, sizeof(*cfg.servers));
	if (pf.make == NULL || cfg.servers == NULL) {
		rc = oci_fail(cmd, "out of memory");
		goto done;
	}
	for (i = 0; i < ms.n; i++) {
		cfg.servers[i].suffrage = RS_VOTER;
		cfg.servers[i].id = ms.m[i].id;
		cfg.servers[i].id_len = strlen(ms.m[i].id);
		cfg.servers[i].address = ms.m[i].address;
		cfg.servers[i].address_len = strlen(ms.m[i].address);
	}
	cfg.n = ms.n;

	rc = inspect(cmd, outdir, &ms, v[F_FORCE].b, &pf);
	if (rc != 0)
		goto done;

	if (pf.make_outdir && (rc = make_outdir(cmd, outdir)) != 0)
		goto done;
	for (i = 0; i < ms.n; i++) {
		if (join(node_dir, sizeof(node_dir), outdir, ms.m[i].id, NULL) != 0) {
			rc =
			    oci_fail(cmd, "path %s/%s is too long", oci_path(outdir).s, ms.m[i].id);
			goto done;
		}
		if (pf.make[i] && (rc = make_dir(cmd, node_dir)) != 0)
			goto done;
	}
	for (i = 0; i < ms.n; i++) {
		(void)join(node_dir, sizeof(node_dir), outdir, ms.m[i].id, NULL);
		if (rs_generate_node(node_dir, &cfg, ms.m[i].id, ms.m[ms.leader].id,
		                     v[F_INITIAL_TERM].u, &err) != RS_OK) {
			rc = oci_fail(
			    cmd, "failed to write the state of %s in %s: %s%s", oci_q(ms.m[i].id).s,
			    oci_path(node_dir).s, err_text(&err, msg, sizeof(msg)),
			    i > 0 ? " (the nodes before it were written; rerun with --force)" : "");
			goto done;
		}
	}
	print_summary(outdir, &ms, v[F_INITIAL_TERM].u, v[F_NETWORK].str);
	rc = OCI_EXIT_OK;
done:
	free(cfg.servers);
	free(pf.make);
	free(pf.existing);
	free(outdir);
	members_free(&ms);
	return rc;
}

const struct oci_command oci_cmd_raft_generate = {
    .group = "raft",
    .name = "generate",
    .summary = "Generate pre-configured Raft state for every node of a new cluster",
    .synopsis = "--nodes A1,A2,... --server-ids S1,S2,... --initial-leader ID\n"
                "           [--output-dir DIR] [--initial-term N] [--network NAME] [--force]",
    .description =
        "Writes DIR/<server-id>/raft-log.db (one configuration entry listing every node\n"
        "as a voter, at index 1 and the initial term) and DIR/<server-id>/raft-stable.db\n"
        "(CurrentTerm; the initial leader also records a vote for itself), byte for byte\n"
        "as the Go op-conductor-init writes them. Everything is validated before anything\n"
        "is written; existing state files are only replaced with --force.\n"
        "\n"
        "Note: the vote recorded for --initial-leader does not choose the first leader:\n"
        "every voter campaigns at term N+1 and any node may win the first election.",
    .flags = generate_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_generate,
};
