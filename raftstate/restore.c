/*
 * Restoring a backup: rs_restore_plan checks the backup and the target
 * without changing anything, rs_restore_apply replaces the target. See
 * restore.h for the checks.
 *
 * Every node is first staged - the backup's files copied (or inflated)
 * into a new dot-named directory, fsynced, and verified - and only when all
 * staged copies verify is the first node replaced. Staging, the choice
 * between one directory swap and a name-by-name replace (a mount point, a
 * node directory holding other files), and keeping the replaced state are
 * raftstate/nodedir.h's replace, shared with generate and recover; this
 * file supplies what goes into a stage (stage_node) and its check
 * (verify_stage).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>

#include "raftstate/backupfile.h"
#include "raftstate/cluster.h"
#include "raftstate/manifest.h"
#include "raftstate/nodedir.h"
#include "raftstate/path.h"
#include "raftstate/restore.h"

/* ---- checking the backup ---------------------------------------------- */

static int is_state_file(const char *name)
{
	return strcmp(name, RS_LOG_FILE) == 0 || strcmp(name, RS_STABLE_FILE) == 0;
}

/* Every entry of the backup tree (depth-bounded): only directories and
 * regular files; regular files are listed relative to the root. */
static int walk_backup(const char *root, const char *rel, int depth, struct rs_bk_files *out,
                       struct rs_err *err)
{
	char dir[PATH_MAX], p[PATH_MAX], r[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = RS_OK;

	if (depth > 6)
		return rs_errf(err, RS_ECORRUPT, "backup %s nests directories too deep at %s", root,
		               rel);
	if (rs_path_join(dir, sizeof(dir), root, rel) != 0)
		return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", root, rel);
	if ((d = opendir(dir)) == NULL)
		return rs_syserr(err, "cannot read", dir);
	while (rc == RS_OK && (de = rs_path_readdir(d, dir, &rc, err)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rs_path_join(p, sizeof(p), dir, de->d_name) ||
		    rs_path_join(r, sizeof(r), rel, de->d_name)) {
			rc = rs_errf(err, RS_ELIMIT, "path %s/%s is too long", dir, de->d_name);
			break;
		}
		if (lstat(p, &st) != 0) {
			rc = rs_syserr(err, "cannot inspect", p);
			break;
		}
		if (S_ISLNK(st.st_mode))
			rc = rs_errf(err, RS_ECORRUPT, "refusing backup %s: %s is a symbolic link",
			             root, r);
		else if (S_ISDIR(st.st_mode))
			rc = walk_backup(root, r, depth + 1, out, err);
		else if (!S_ISREG(st.st_mode))
			rc =
			    rs_errf(err, RS_ECORRUPT,
			            "refusing backup %s: %s is not a regular file (device, fifo or "
			            "socket)",
			            root, r);
		else if (!rs_path_safe_relative(r))
			rc = rs_errf(err, RS_ECORRUPT, "refusing backup %s: unsafe file name %s",
			             root, rs_quote(r, p, sizeof(p)));
		else if (rs_bk_files_add(out, r, err) == NULL)
			rc = err->code;
		else
			out->v[out->n - 1].size = (uint64_t)st.st_size;
	}
	closedir(d);
	return rc;
}

static struct rs_backup_file *find_file(struct rs_bk_files *f, const char *rel)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].path, rel) == 0)
			return &f->v[i];
	return NULL;
}

/* A file a manifest must list: a state file (or its .gz) or anything under
 * snapshots/. */
static int must_be_listed(const char *rel)
{
	const char *b = rs_path_base(rel);

	return is_state_file(b) || strcmp(b, RS_LOG_FILE RS_BK_GZ_SUFFIX) == 0 ||
	       strcmp(b, RS_STABLE_FILE RS_BK_GZ_SUFFIX) == 0 ||
	       strstr(rel, RS_SNAP_DIR "/") != NULL;
}

/* One entry of MANIFEST.json (rs_manifest_read checked its fields and
 * paths) against the file found in the backup: it is there, with the size
 * listed (the .gz's stored size for a compressed entry). */
static int entry_present(const char *backup, const struct rs_backup_file *e,
                         struct rs_bk_files *found, struct rs_err *err)
{
	char stored[PATH_MAX + 4];
	struct rs_backup_file *bf;

	(void)snprintf(stored, sizeof(stored), "%s%s", e->path,
	               e->compressed ? RS_BK_GZ_SUFFIX : "");
	if (e->compressed && find_file(found, e->path) != NULL)
		return rs_errf(err, RS_ECORRUPT, "refusing backup %s: it holds both %s and %s",
		               backup, e->path, stored);
	bf = find_file(found, stored);
	if (bf == NULL)
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s is incomplete: %s is listed in the manifest but missing",
		               backup, stored);
	if (bf->size != (e->compressed ? e->stored_size : e->size))
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s is damaged: %s has %llu bytes, the manifest says %llu",
		               backup, stored, (unsigned long long)bf->size,
		               (unsigned long long)(e->compressed ? e->stored_size : e->size));
	bf->crc32 = 1; /* mark: listed */
	return RS_OK;
}

/* What a file of the backup held, read (inflated for a compressed entry)
 * into asize and acrc, against its manifest entry e. rc is the read's
 * result: a damaged .gz (RS_ECORRUPT) is said to be the backup's damage. */
static int entry_sums_match(const char *backup, const struct rs_backup_file *e, int rc,
                            uint64_t asize, uint32_t acrc, struct rs_err *err)
{
	const char *sfx = e->compressed ? RS_BK_GZ_SUFFIX : "";

	if (rc == RS_ECORRUPT && e->compressed) {
		char why[sizeof(err->msg)];

		strlcpy(why, err->msg, sizeof(why));
		return rs_errf(err, RS_ECORRUPT, "backup %s is damaged: %s", backup, why);
	}
	if (rc != RS_OK)
		return rc;
	if (asize != e->size)
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s is damaged: %s%s inflates to %llu bytes, the manifest "
		               "says %llu",
		               backup, e->path, sfx, (unsigned long long)asize,
		               (unsigned long long)e->size);
	if (acrc != e->crc32)
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s is damaged: %s%s has crc32 %08x, the manifest says %08x",
		               backup, e->path, sfx, acrc, e->crc32);
	return RS_OK;
}

/* The bytes of one listed file of the backup: read (inflated) where they
 * lie, against their size and crc32. */
static int entry_sums(const char *backup, const struct rs_backup_file *e,
                      const struct rs_progress *pg, struct rs_err *err)
{
	char path[PATH_MAX], stored[PATH_MAX + 4];
	uint64_t asize = 0;
	uint32_t acrc = 0;
	int rc;

	(void)snprintf(stored, sizeof(stored), "%s%s", e->path,
	               e->compressed ? RS_BK_GZ_SUFFIX : "");
	if ((rc = rs_path_join_err(path, sizeof(path), backup, stored, err)) != RS_OK)
		return rc;
	if (!e->compressed)
		rc = rs_bk_crc_file(path, pg, &asize, &acrc, err);
	else
		rc = rs_bk_gunzip_file(path, stored, -1, NULL, e->size, 0, pg, &asize, &acrc, err);
	return entry_sums_match(backup, e, rc, asize, acrc, err);
}

/* Whether rel lies under prefix ("" : everything). */
static int under(const char *rel, const char *prefix)
{
	size_t l = strlen(prefix);

	return l == 0 || (strncmp(rel, prefix, l) == 0 && rel[l] == '/');
}

/* Checks plan->listed (MANIFEST.json's entries) against the files found:
 * every listed file exists with its size (and, with `sums`, its crc32),
 * and every state file found is listed; only those under plan->prefix (a
 * node of a cluster backup restored alone; "" for all). */
static int check_manifest(const char *backup, struct rs_bk_files *found, int sums,
                          struct rs_restore_plan *plan, struct rs_err *err)
{
	int rc = RS_OK;

	for (size_t i = 0; rc == RS_OK && i < plan->nfiles; i++) {
		if (!under(plan->listed[i].path, plan->prefix))
			continue;
		rc = entry_present(backup, &plan->listed[i], found, err);
		if (rc == RS_OK && sums)
			rc = entry_sums(backup, &plan->listed[i], &plan->progress, err);
		plan->nchecked++;
		plan->ncompressed += plan->listed[i].compressed != 0;
	}
	for (size_t i = 0; rc == RS_OK && i < found->n; i++)
		if (found->v[i].crc32 == 0 && must_be_listed(found->v[i].path) &&
		    under(found->v[i].path, plan->prefix))
			rc =
			    rs_errf(err, RS_ECORRUPT, "backup %s: %s is not listed in the manifest",
			            backup, found->v[i].path);
	return rc;
}

/* Every node of the plan verified where it lies in the backup (not for a
 * compressed backup: rs_restore_apply verifies its inflated staged copies). */
static int verify_in_place(struct rs_restore_plan *plan, double lock_timeout,
                           struct rs_problems *problems, struct rs_err *err)
{
	struct rs_verify_opts vo = {.lock_timeout = lock_timeout, .live = 0};
	int rc;

	for (size_t i = 0; i < plan->nnodes; i++) {
		size_t before = problems->errors;

		if ((rc = rs_verify_node(plan->nodes[i].src, &vo, problems, err)) != RS_OK)
			return rc;
		if (problems->errors > before) {
			const struct rs_restore_node *n = &plan->nodes[i];
			int go = !plan->has_manifest && !rs_nd_has(n->src, RS_ND_SNAPS);

			return rs_errf(err, RS_ECORRUPT, "backup of %s does not verify%s",
			               n->id[0] ? n->id : "the node",
			               go ? " (a backup without MANIFEST.json, made by the Go "
			                    "tool, holds only the .db files and never snapshots/, "
			                    "so a compacted node's backup lacks the snapshot its "
			                    "log starts after: back such a node up with "
			                    "op-conductor-init raft backup)"
			                  : "");
		}
	}
	plan->verified = 1;
	return RS_OK;
}

int rs_restore_check_deferred(struct rs_restore_plan *plan, double lock_timeout,
                              struct rs_problems *problems, struct rs_err *err)
{
	int rc = RS_OK;

	if (!plan->deferred)
		return RS_OK;
	for (size_t i = 0; rc == RS_OK && i < plan->nfiles; i++)
		if (under(plan->listed[i].path, plan->prefix))
			rc = entry_sums(plan->backup, &plan->listed[i], &plan->progress, err);
	if (rc == RS_OK && plan->ncompressed == 0)
		rc = verify_in_place(plan, lock_timeout, problems, err);
	if (rc == RS_OK)
		plan->deferred = 0;
	return rc;
}

/* The manifest's entry for `rel` (a path relative to the backup), or NULL. */
static const struct rs_backup_file *listed_file(const struct rs_restore_plan *plan, const char *rel)
{
	for (size_t i = 0; i < plan->nfiles; i++)
		if (strcmp(plan->listed[i].path, rel) == 0)
			return &plan->listed[i];
	return NULL;
}

/* What is at node n's target now: nothing, a directory, one holding state
 * (what counts as state: raftstate/nodedir.h). */
static int inspect_target(struct rs_restore_plan *plan, struct rs_restore_node *n,
                          struct rs_err *err)
{
	struct stat st;

	n->target_exists = n->target_dir_exists = 0;
	if (lstat(n->target, &st) != 0) {
		if (errno != ENOENT)
			return rs_syserr(err, "cannot inspect", n->target);
		return RS_OK;
	}
	if (S_ISLNK(st.st_mode))
		return rs_errf(err, RS_EINVAL,
		               "%s is a symbolic link; refusing to restore through it", n->target);
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "%s exists and is not a directory", n->target);
	n->target_dir_exists = 1;
	if (rs_nd_has(n->target, RS_ND_STATE)) {
		n->target_exists = 1;
		plan->nexisting++;
	}
	return RS_OK;
}

/* One node of the plan: the backup's node `id` ("" for a node backup, whose
 * files are at its top) into `target` ("": only the backup is checked). */
static int plan_add(struct rs_restore_plan *plan, const char *id, const char *target,
                    struct rs_err *err)
{
	struct rs_restore_node *nv, *n;

	nv = reallocarray(plan->nodes, plan->nnodes + 1, sizeof(*nv));
	if (nv == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	plan->nodes = nv;
	n = &nv[plan->nnodes];
	memset(n, 0, sizeof(*n));
	strlcpy(n->id, id, sizeof(n->id));
	if ((id[0] == '\0' ? strlcpy(n->src, plan->backup, sizeof(n->src)) >= sizeof(n->src)
	                   : rs_path_join(n->src, sizeof(n->src), plan->backup, id) != 0) ||
	    strlcpy(n->target, target, sizeof(n->target)) >= sizeof(n->target))
		return rs_errf(err, RS_ELIMIT, "path for node %s is too long", id);
	plan->nnodes++;
	return target[0] == '\0' ? RS_OK : inspect_target(plan, n, err);
}

static int in_list(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* "a, b, c" (cut short with "..." when long) for a message. */
static const char *id_list(char **v, size_t n, char *buf, size_t size)
{
	size_t l = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		l = strlcat(buf, i > 0 ? ", " : "", size);
		l = strlcat(buf, v[i], size);
		if (l >= size - 4 || (i > 0 && l > 200)) {
			if (i + 1 < n || l >= size)
				(void)snprintf(buf + (size > 205 ? 200 : size - 5), 5, "...");
			break;
		}
	}
	return buf;
}

/* The server ID a Go-tool backup (no manifest) was made of: the name of
 * the "Source directory:" its backup-metadata.txt records; "" when there
 * is none or it is not a server ID. Read bounded, never followed. */
static void metadata_source_id(const char *backup, char *out, size_t size)
{
	static const char key[] = "Source directory: ";
	char path[PATH_MAX], buf[8192], *p, *e;
	ssize_t n;
	int fd;

	out[0] = '\0';
	if (rs_path_join(path, sizeof(path), backup, RS_BACKUP_METADATA) != 0 ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (p = buf; p != NULL; p = (e = strchr(p, '\n')) ? e + 1 : NULL)
		if (strncmp(p, key, sizeof(key) - 1) == 0)
			break;
	if (p == NULL)
		return;
	p += sizeof(key) - 1;
	p[strcspn(p, "\r\n")] = '\0';
	for (size_t l = strlen(p); l > 1 && p[l - 1] == '/'; l--)
		p[l - 1] = '\0';
	if ((e = strrchr(p, '/')) != NULL)
		p = e + 1;
	if (rs_server_id_check(p) == RS_ID_OK && strcmp(p, ".") != 0 && strcmp(p, "..") != 0)
		strlcpy(out, p, size);
}

/* A cluster is not restored into a directory that sits beside node
 * directories: it is a node directory of that cluster root (an empty one
 * after a lost volume). */
static int beside_nodes(const struct rs_restore_plan *plan, const char *name, char **bnodes,
                        size_t nb, struct rs_err *err)
{
	char parent[PATH_MAX], list[256], tl[256];
	char **sib = NULL;
	size_t ns = 0;
	int rc = RS_OK;

	rs_path_parent(plan->state_dir, parent, sizeof(parent));
	if (rs_nd_list(parent, 0, &sib, &ns, err) != RS_OK)
		return RS_OK; /* an unreadable parent says nothing */
	if (ns > 0 && !(ns == 1 && strcmp(sib[0], name) == 0))
		rc = rs_errf(err, RS_EINVAL,
		             "--state-dir %s sits beside the node directories of %s (%s), so it is "
		             "a node's directory, and backup %s is of a cluster (%s): give "
		             "--node-id ID to restore one node into it, or a cluster root",
		             plan->state_dir, parent, id_list(sib, ns, tl, sizeof(tl)),
		             plan->backup, id_list(bnodes, nb, list, sizeof(list)));
	rs_nd_free_list(sib, ns);
	return rc;
}

/* --node-id: a node the backup has; it becomes plan->from_id. */
static int fit_node_id(struct rs_restore_plan *plan, const struct rs_restore_opts *opt,
                       char **bnodes, size_t nb, struct rs_err *err)
{
	char list[256];

	if (plan->backup_layout == RS_LAYOUT_NODE && plan->from_id[0] != '\0' &&
	    strcmp(opt->node_id, plan->from_id) != 0)
		return rs_errf(err, RS_EINVAL,
		               "--node-id %s: backup %s holds only node %s (a node backup); "
		               "give --node-id %s or leave it out",
		               opt->node_id, plan->backup, plan->from_id, plan->from_id);
	if (plan->backup_layout == RS_LAYOUT_CLUSTER && !in_list(bnodes, nb, opt->node_id))
		return rs_errf(err, RS_EINVAL,
		               "--node-id %s: backup %s has no such node (it holds %s)",
		               opt->node_id, plan->backup, id_list(bnodes, nb, list, sizeof(list)));
	strlcpy(plan->from_id, opt->node_id, sizeof(plan->from_id));
	return RS_OK;
}

/* One node into --state-dir sd: a node directory (no node directories in
 * it), named for the backup's node unless --into-other-node. */
static int fit_one(struct rs_restore_plan *plan, const struct rs_restore_opts *opt, char **tnodes,
                   size_t nt, struct rs_err *err)
{
	const char *sd = plan->state_dir, *name = rs_path_base(sd);
	char tl[256];

	if (nt > 0)
		return rs_errf(err, RS_EINVAL,
		               "--state-dir %s holds node directories (%s), and %s is one "
		               "node's state: give that node's directory, --state-dir %s/%s",
		               sd, id_list(tnodes, nt, tl, sizeof(tl)), plan->backup, sd,
		               plan->from_id[0] ? plan->from_id : "ID");
	if (plan->from_id[0] != '\0' && strcmp(name, plan->from_id) != 0 && !opt->other_node)
		return rs_errf(err, RS_EINVAL,
		               "%s holds node %s's state, but --state-dir %s is named for node "
		               "%s (op-conductor reads <raft.storage.dir>/<raft.server.id>/): "
		               "give the directory of %s, or --into-other-node to put %s's "
		               "state into %s",
		               plan->backup, plan->from_id, sd, name, plan->from_id, plan->from_id,
		               name);
	plan->other_node = plan->from_id[0] != '\0' && strcmp(name, plan->from_id) != 0;
	return plan_add(plan, plan->backup_layout == RS_LAYOUT_NODE ? "" : opt->node_id, sd, err);
}

/* A cluster backup into --state-dir sd: a cluster root (has: whether sd
 * holds a node's state itself; tnodes: its node directories), every one of
 * which the backup has; each backup node goes to sd/<id>. */
static int fit_cluster(struct rs_restore_plan *plan, int has, char **bnodes, size_t nb,
                       char **tnodes, size_t nt, struct rs_err *err)
{
	const char *sd = plan->state_dir, *name = rs_path_base(sd);
	char list[256], target[PATH_MAX];
	int rc = RS_OK;

	if (has > 0)
		rc = rs_errf(err, RS_EINVAL,
		             "--state-dir %s holds a node's state, and backup %s is of a cluster "
		             "(%s): restore one node into it with --node-id %s, or the whole "
		             "cluster into its root (the parent directory)",
		             sd, plan->backup, id_list(bnodes, nb, list, sizeof(list)),
		             in_list(bnodes, nb, name) ? name : "ID");
	else if (in_list(bnodes, nb, name))
		rc = rs_errf(err, RS_EINVAL,
		             "--state-dir %s is named for node %s of backup %s, a cluster (%s): "
		             "give --node-id %s to restore that node into it, or the parent "
		             "directory to restore the whole cluster",
		             sd, name, plan->backup, id_list(bnodes, nb, list, sizeof(list)), name);
	else if (nt == 0)
		rc = beside_nodes(plan, name, bnodes, nb, err);
	for (size_t i = 0; rc == RS_OK && i < nt; i++)
		if (!in_list(bnodes, nb, tnodes[i]))
			rc = rs_errf(
			    err, RS_EINVAL,
			    "--state-dir %s holds node %s, which backup %s does not have (it "
			    "holds %s); a restore would leave it beside the restored nodes "
			    "with its own state: move it away first, or restore nodes one "
			    "by one with --node-id ID --state-dir %s/ID",
			    sd, tnodes[i], plan->backup, id_list(bnodes, nb, list, sizeof(list)),
			    sd);
	for (size_t i = 0; rc == RS_OK && i < nb; i++) {
		if (rs_path_join(target, sizeof(target), sd, bnodes[i]) != 0)
			rc = rs_errf(err, RS_ELIMIT, "path for node %s is too long", bnodes[i]);
		else
			rc = plan_add(plan, bnodes[i], target, err);
	}
	return rc;
}

/* The rules of restore.h: which target the backup fits; fills plan->nodes.
 * bnodes: a cluster backup's node IDs. */
static int fit_target(struct rs_restore_plan *plan, const struct rs_restore_opts *opt,
                      char **bnodes, size_t nb, struct rs_err *err)
{
	const char *sd = plan->state_dir;
	char **tnodes = NULL;
	size_t nt = 0;
	struct stat st;
	int one = plan->backup_layout == RS_LAYOUT_NODE || opt->node_id != NULL;
	int has, rc = RS_OK;

	if (opt->node_id != NULL && (rc = fit_node_id(plan, opt, bnodes, nb, err)) != RS_OK)
		return rc;
	plan->layout = one ? RS_LAYOUT_NODE : RS_LAYOUT_CLUSTER;
	if (sd[0] == '\0') { /* only the backup is checked */
		if (one)
			return plan_add(plan,
			                plan->backup_layout == RS_LAYOUT_NODE ? "" : opt->node_id,
			                "", err);
		for (size_t i = 0; i < nb && rc == RS_OK; i++)
			rc = plan_add(plan, bnodes[i], "", err);
		return rc;
	}
	if ((has = rs_nd_state(sd, err)) < 0)
		return err->code;
	if (has == 0 && stat(sd, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (rc = rs_nd_list(sd, 0, &tnodes, &nt, err)) != RS_OK)
		return rc;
	rc = one ? fit_one(plan, opt, tnodes, nt, err)
	         : fit_cluster(plan, has, bnodes, nb, tnodes, nt, err);
	rs_nd_free_list(tnodes, nt);
	return rc;
}

/* What the backup holds: its files (found), MANIFEST.json's listing (none:
 * a Go-tool backup), its layout and node (plan->backup_layout, from_id)
 * and, for a cluster, its node directories, each a valid server ID. */
static int read_backup(const char *backup_dir, struct rs_restore_plan *plan,
                       struct rs_bk_files *found, char ***nodes, size_t *nnodes, struct rs_err *err)
{
	struct rs_manifest m;
	int rc, layout = 0;

	/* a MANIFEST.json that is not a regular file is refused, never taken
	 * for a Go-tool backup without one (which skips every checksum) */
	if ((rc = rs_manifest_present(backup_dir, err)) < 0)
		return -rc;
	plan->has_manifest = rc;
	if ((rc = walk_backup(backup_dir, "", 0, found, err)) != RS_OK)
		return rc;
	if (plan->has_manifest) {
		if ((rc = rs_manifest_read(backup_dir, &m, err)) != RS_OK)
			return rc;
		layout = m.layout;
		strlcpy(plan->from_id, m.node, sizeof(plan->from_id));
		plan->listed = m.files; /* rs_restore_plan_free frees them */
		plan->nfiles = m.nfiles;
		for (size_t i = 0; i < m.nfiles; i++)
			plan->ncompressed += m.files[i].compressed != 0;
	}
	if (layout == 0) {
		layout = rs_nd_has(backup_dir, RS_ND_DBS) ? RS_LAYOUT_NODE : RS_LAYOUT_CLUSTER;
		if (layout == RS_LAYOUT_NODE)
			metadata_source_id(backup_dir, plan->from_id, sizeof(plan->from_id));
	}
	plan->backup_layout = layout;
	if (layout != RS_LAYOUT_CLUSTER)
		return RS_OK;
	if ((rc = rs_nd_list(backup_dir, plan->ncompressed > 0, nodes, nnodes, err)) != RS_OK)
		return rc;
	if (*nnodes == 0)
		return rs_errf(err, RS_ENOTFOUND,
		               "backup %s holds no Raft state (no %s in it or in a node directory)",
		               backup_dir, RS_LOG_FILE);
	for (size_t i = 0; i < *nnodes; i++) {
		char qname[1100];

		if (rs_server_id_check((*nodes)[i]) != RS_ID_OK)
			return rs_errf(
			    err, RS_ECORRUPT,
			    "refusing backup %s: node directory %s is not a valid server ID",
			    backup_dir, rs_quote((*nodes)[i], qname, sizeof(qname)));
	}
	return RS_OK;
}

int rs_restore_plan(const char *backup_dir, const char *state_dir,
                    const struct rs_restore_opts *opt, struct rs_restore_plan *plan,
                    struct rs_problems *problems, struct rs_err *err)
{
	struct rs_bk_files found = {0};
	struct stat st;
	char **nodes = NULL;
	size_t nnodes = 0;
	int rc, layout = 0;

	memset(plan, 0, sizeof(*plan));
	plan->uid = (uid_t)-1;
	plan->gid = (gid_t)-1;
	if (state_dir == NULL)
		state_dir = "";
	if (opt->pg != NULL)
		plan->progress = *opt->pg;
	if (stat(backup_dir, &st) != 0) {
		if (errno == ENOENT)
			return rs_errf(err, RS_ENOTFOUND,
			               "backup directory %s does not exist; give a raft-backup-... "
			               "directory that raft backup wrote",
			               backup_dir);
		return rs_syserr(err, "cannot read backup directory", backup_dir);
	}
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "--backup-dir %s is not a directory", backup_dir);
	if (state_dir[0] != '\0' && (rc = rs_bk_check_apart(backup_dir, "--backup-dir", state_dir,
	                                                    "--state-dir", err)) != RS_OK)
		return rc;
	if (strlcpy(plan->backup, backup_dir, sizeof(plan->backup)) >= sizeof(plan->backup) ||
	    strlcpy(plan->state_dir, state_dir, sizeof(plan->state_dir)) >= sizeof(plan->state_dir))
		return rs_errf(err, RS_ELIMIT, "path too long");
	for (size_t l = strlen(plan->state_dir); l > 1 && plan->state_dir[l - 1] == '/'; l--)
		plan->state_dir[l - 1] = '\0';

	if ((rc = read_backup(backup_dir, plan, &found, &nodes, &nnodes, err)) != RS_OK)
		goto out;
	layout = plan->backup_layout;
	/* does it fit the target? (before any checksum is read) */
	if ((rc = fit_target(plan, opt, nodes, nnodes, err)) != RS_OK)
		goto out;
	if (layout == RS_LAYOUT_CLUSTER && opt->node_id != NULL)
		strlcpy(plan->prefix, opt->node_id, sizeof(plan->prefix));
	plan->ncompressed = 0;
	/* deferred: each byte is checksummed once, as its staged copy is
	 * written, and each node verified once, staged (rs_restore_apply) */
	plan->deferred = opt->defer_to_stage && plan->has_manifest;
	if (plan->has_manifest &&
	    (rc = check_manifest(backup_dir, &found, !plan->deferred, plan, err)) != RS_OK)
		goto out;
	/* in a node-layout backup every top-level dir except snapshots/ is
	 * foreign; in a cluster backup, directories holding state that are not
	 * valid server IDs were already refused (hidden ones are ignored).
	 * Compressed nodes cannot be verified here: rs_restore_apply verifies
	 * their inflated staged copies before it replaces anything. */
	if (plan->ncompressed == 0 && !plan->deferred &&
	    (rc = verify_in_place(plan, opt->lock_timeout, problems, err)) != RS_OK)
		goto out;
	for (size_t i = 0; i < plan->nnodes; i++)
		if (plan->nodes[i].target_exists &&
		    (rc = rs_nd_check_unlocked(plan->nodes[i].target, "stop it before restoring",
		                               err)) != RS_OK)
			goto out;
	rc = RS_OK;
out:
	free(found.v);
	rs_nd_free_list(nodes, nnodes);
	return rc;
}

static int stage_node(const struct rs_restore_plan *plan, const struct rs_restore_node *n, int sfd,
                      const char *stage, struct rs_err *err);

/* Fills a new private directory under tmp_parent with node n, verifies it,
 * removes it. */
static int verify_inflated_node(struct rs_restore_plan *plan, const struct rs_restore_node *n,
                                const char *tmp_parent, double lock_timeout,
                                struct rs_problems *problems, struct rs_err *err)
{
	struct rs_verify_opts vo = {.lock_timeout = lock_timeout, .live = 0};
	char dir[PATH_MAX];
	size_t before = problems->errors;
	int fd, rc;

	if (snprintf(dir, sizeof(dir), "%s/.oci-restore-check-XXXXXX", tmp_parent) >=
	    (int)sizeof(dir))
		return rs_errf(err, RS_ELIMIT, "path %s is too long", tmp_parent);
	if (mkdtemp(dir) == NULL)
		return rs_syserr(err, "cannot create a directory in", tmp_parent);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = rs_syserr(err, "cannot open", dir);
	} else {
		rc = stage_node(plan, n, fd, dir, err);
		close(fd);
	}
	if (rc == RS_OK && (rc = rs_verify_node(dir, &vo, problems, err)) == RS_OK &&
	    problems->errors > before)
		rc = rs_errf(err, RS_ECORRUPT, "backup of %s does not verify (inflated)",
		             n->id[0] ? n->id : "the node");
	rs_remove_tree(dir);
	return rc;
}

int rs_restore_verify_inflated(struct rs_restore_plan *plan, const char *tmp_parent,
                               double lock_timeout, struct rs_problems *problems,
                               struct rs_err *err)
{
	int rc = RS_OK;

	for (size_t i = 0; i < plan->nnodes && rc == RS_OK; i++)
		rc = verify_inflated_node(plan, &plan->nodes[i], tmp_parent, lock_timeout, problems,
		                          err);
	if (rc == RS_OK)
		plan->verified = 1;
	return rc;
}

void rs_restore_plan_free(struct rs_restore_plan *plan)
{
	free(plan->listed);
	plan->listed = NULL;
	plan->nfiles = 0;
	free(plan->nodes);
	plan->nodes = NULL;
	plan->nnodes = 0;
}

/* ---- replacing the target (raftstate/nodedir.h does the replace) ----- */

/* Opens the directory `name` in dfd, not following a symlink. */
static int open_dir_at(int dfd, const char *name, const char *path, struct rs_err *err, int *out)
{
	*out = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*out < 0)
		return rs_syserr(err, "cannot open", path);
	return RS_OK;
}

/* Copies one file of the backup (`rel` from its root, at path `src`) to
 * `name` in dfd (`dst` names it): inflated when the manifest lists it as
 * compressed (src is then the .gz). A file the manifest lists is checked
 * once more against its crc32 (and, inflated, its size) on the way. */
static int stage_file(const struct rs_restore_plan *plan, const char *rel, const char *src, int dfd,
                      const char *name, const char *dst, mode_t mode, struct rs_err *err)
{
	const struct rs_backup_file *f = listed_file(plan, rel);
	char label[PATH_MAX + 4];
	uint64_t size;
	uint32_t crc;
	int out, rc;

	if (f == NULL || !f->compressed) {
		rc = rs_bk_copy_at(src, dfd, name, dst, mode, 1, &plan->progress, NULL, &crc, err);
		if (rc == RS_OK && f != NULL && crc != f->crc32 && plan->deferred)
			rc = entry_sums_match(plan->backup, f, rc, f->size, crc, err);
		else if (rc == RS_OK && f != NULL && crc != f->crc32)
			rc =
			    rs_errf(err, RS_ECORRUPT,
			            "%s changed since it was checked: its copy has crc32 %08x, the "
			            "manifest says %08x",
			            src, crc, f->crc32);
		return rc;
	}
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0)
		return rs_syserr(err, "cannot create", dst);
	/* deferred, this is the backup's first check: its errors name the
	 * file as the manifest does */
	(void)snprintf(label, sizeof(label), "%s" RS_BK_GZ_SUFFIX, rel);
	rc = rs_bk_gunzip_file(src, plan->deferred ? label : src, out, dst, f->size, 0,
	                       &plan->progress, &size, &crc, err);
	if (plan->deferred)
		rc = entry_sums_match(plan->backup, f, rc, size, crc, err);
	else if (rc == RS_OK && (size != f->size || crc != f->crc32))
		rc = rs_errf(err, RS_ECORRUPT,
		             "%s changed since it was checked: it inflates to %llu bytes with "
		             "crc32 %08x, the manifest says %llu bytes, %08x",
		             src, (unsigned long long)size, crc, (unsigned long long)f->size,
		             f->crc32);
	if (rc == RS_OK)
		rc = rs_fsync_fd(out, dst, err);
	if (close(out) != 0 && rc == RS_OK)
		rc = rs_syserr(err, "cannot write", dst);
	return rc;
}

/* The backup's file for `rel_plain`: its path and its own relative path
 * (<rel_plain>.gz when the manifest lists it as compressed). */
static int backup_path(const struct rs_restore_plan *plan, const char *rel_plain, char *path,
                       size_t size, struct rs_err *err)
{
	const struct rs_backup_file *f = listed_file(plan, rel_plain);
	char rel[PATH_MAX + 4];

	(void)snprintf(rel, sizeof(rel), "%s%s", rel_plain,
	               f != NULL && f->compressed ? RS_BK_GZ_SUFFIX : "");
	return rs_path_join_err(path, size, plan->backup, rel, err);
}

/* The name a file of a backup's snapshot directory (backup-relative r1)
 * takes in the stage: a compressed file is listed under its plain name. */
static int staged_name(const struct rs_restore_plan *plan, const char *r1, const char *file,
                       char *name, size_t size, struct rs_err *err)
{
	char r2[PATH_MAX];
	const struct rs_backup_file *f;
	size_t l = strlen(file), sl = strlen(RS_BK_GZ_SUFFIX);
	int rc;

	strlcpy(name, file, size);
	if (l > sl && strcmp(file + l - sl, RS_BK_GZ_SUFFIX) == 0) {
		name[l - sl] = '\0';
		if ((rc = rs_path_join_err(r2, sizeof(r2), r1, name, err)) != RS_OK)
			return rc;
		f = listed_file(plan, r2);
		if (f == NULL || !f->compressed)
			strlcpy(name, file, size);
	}
	return RS_OK;
}

/* Copies the regular files of the backup's snapshot directory s1
 * (backup-relative r1) into the stage's directory fd1 (path d1), then
 * fsyncs it. */
static int stage_snapshot(const struct rs_restore_plan *plan, const char *s1, const char *r1,
                          int fd1, const char *d1, struct rs_err *err)
{
	char s2[PATH_MAX], d2[PATH_MAX], r2[PATH_MAX], name[NAME_MAX + 1];
	struct dirent *fe;
	struct stat st;
	int rc = RS_OK;
	DIR *sd = opendir(s1);

	if (sd == NULL)
		return rs_syserr(err, "cannot read", s1);
	while (rc == RS_OK && (fe = rs_path_readdir(sd, s1, &rc, err)) != NULL) {
		if (fe->d_name[0] == '.')
			continue;
		if ((rc = staged_name(plan, r1, fe->d_name, name, sizeof(name), err)) ||
		    (rc = rs_path_join_err(s2, sizeof(s2), s1, fe->d_name, err)) ||
		    (rc = rs_path_join_err(r2, sizeof(r2), r1, name, err)) ||
		    (rc = rs_path_join_err(d2, sizeof(d2), d1, name, err)))
			break;
		if (lstat(s2, &st) != 0) {
			rc = rs_syserr(err, "cannot inspect", s2);
			break;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		rc = stage_file(plan, r2, s2, fd1, name, d2, 0644, err);
	}
	closedir(sd);
	if (rc == RS_OK)
		rc = rs_fsync_fd(fd1, d1, err);
	return rc;
}

/* Creates the stage's snapshots/ (sfd's RS_SNAP_DIR, path d) and fills it
 * from the backup's snapshots directory ss (backup-relative rs): each
 * snapshot directory, every one fsynced. */
static int stage_snapshots(const struct rs_restore_plan *plan, int sfd, const char *rs,
                           const char *ss, const char *d, struct rs_err *err)
{
	char s1[PATH_MAX], d1[PATH_MAX], r1[PATH_MAX];
	int snapfd, fd1, rc = RS_OK;
	struct dirent *de;
	struct stat st;
	DIR *dir;

	if (mkdirat(sfd, RS_SNAP_DIR, 0755) != 0)
		return rs_syserr(err, "cannot create", d);
	if ((rc = open_dir_at(sfd, RS_SNAP_DIR, d, err, &snapfd)) != RS_OK)
		return rc;
	if ((dir = opendir(ss)) == NULL) {
		rc = rs_syserr(err, "cannot read", ss);
		close(snapfd);
		return rc;
	}
	while (rc == RS_OK && (de = rs_path_readdir(dir, ss, &rc, err)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((rc = rs_path_join_err(s1, sizeof(s1), ss, de->d_name, err)) ||
		    (rc = rs_path_join_err(d1, sizeof(d1), d, de->d_name, err)) ||
		    (rc = rs_path_join_err(r1, sizeof(r1), rs, de->d_name, err)))
			break;
		if (lstat(s1, &st) != 0) {
			rc = rs_syserr(err, "cannot inspect", s1);
			break;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		if (mkdirat(snapfd, de->d_name, 0755) != 0) {
			rc = rs_syserr(err, "cannot create", d1);
			break;
		}
		if ((rc = open_dir_at(snapfd, de->d_name, d1, err, &fd1)) != RS_OK)
			break;
		rc = stage_snapshot(plan, s1, r1, fd1, d1, err);
		close(fd1);
	}
	closedir(dir);
	if (rc == RS_OK)
		rc = rs_fsync_fd(snapfd, d, err);
	close(snapfd);
	return rc;
}

/* Fills the (new, empty) stage of node n from the backup: the two
 * databases and snapshots/ (nothing else), every file and directory
 * fsynced. */
static int stage_node(const struct rs_restore_plan *plan, const struct rs_restore_node *n, int sfd,
                      const char *stage, struct rs_err *err)
{
	static const char *const dbs[] = {RS_LOG_FILE, RS_STABLE_FILE};
	char rel[PATH_MAX], s[PATH_MAX], d[PATH_MAX], rs[PATH_MAX], ss[PATH_MAX];
	struct stat st;
	int rc;

	for (size_t i = 0; i < 2; i++) {
		if ((rc = rs_path_join_err(rel, sizeof(rel), n->id, dbs[i], err)) ||
		    (rc = backup_path(plan, rel, s, sizeof(s), err)) ||
		    (rc = rs_path_join_err(d, sizeof(d), stage, dbs[i], err)) ||
		    (rc = stage_file(plan, rel, s, sfd, dbs[i], d, 0600, err)))
			return rc;
	}
	if ((rc = rs_path_join_err(rs, sizeof(rs), n->id, RS_SNAP_DIR, err)) ||
	    (rc = rs_path_join_err(ss, sizeof(ss), plan->backup, rs, err)) ||
	    (rc = rs_path_join_err(d, sizeof(d), stage, RS_SNAP_DIR, err)))
		return rc;
	/* no snapshots/ in the backup: none to restore; one that cannot be
	 * inspected is an error, not a backup without snapshots */
	if (lstat(ss, &st) != 0) {
		if (errno != ENOENT)
			return rs_syserr(err, "cannot inspect", ss);
	} else if (S_ISDIR(st.st_mode) &&
	           (rc = stage_snapshots(plan, sfd, rs, ss, d, err)) != RS_OK) {
		return rc;
	}
	return rs_fsync_fd(sfd, stage, err);
}

struct restore_ctx {
	const struct rs_restore_plan *plan;
	const struct rs_restore_node *n;
	double lock_timeout;
	struct rs_problems *problems;
};

static int fill_node(void *ctx, int sfd, const char *stage, const char *old, struct rs_err *err)
{
	const struct restore_ctx *c = ctx;

	(void)old;
	return stage_node(c->plan, c->n, sfd, stage, err);
}

/* The staged copy must verify before anything is replaced. */
static int verify_stage(void *ctx, const char *stage, struct rs_err *err)
{
	const struct restore_ctx *c = ctx;
	struct rs_verify_opts vo = {.lock_timeout = c->lock_timeout, .live = 0};
	size_t before = c->problems->errors;
	int rc;

	if ((rc = rs_verify_node(stage, &vo, c->problems, err)) != RS_OK)
		return rc;
	if (c->problems->errors > before && c->plan->deferred) /* its first verify */
		return rs_errf(err, RS_ECORRUPT, "backup of %s does not verify",
		               c->n->id[0] ? c->n->id : "the node");
	if (c->problems->errors > before)
		return rs_errf(err, RS_ECORRUPT, "the staged copy %s does not verify", stage);
	return RS_OK;
}

/* The run lock (raftstate/nodedir.h) on what guards the plan's targets:
 * STATE_DIR for a cluster, its parent for a node (made when missing). Under
 * it the targets are looked at again, as another run may have written them
 * since rs_restore_plan: target_exists and nexisting are updated, and
 * without opt->force a target that holds state now but did not then is
 * refused (nobody agreed to replace it). */
static int lock_targets(struct rs_restore_plan *plan, const struct rs_restore_opts *opt,
                        struct rs_nd_lock *lk, struct rs_err *err)
{
	char lockdir[PATH_MAX];
	int rc;

	if (plan->layout == RS_LAYOUT_CLUSTER)
		strlcpy(lockdir, plan->state_dir, sizeof(lockdir));
	else
		rs_nd_lock_dir_of(plan->state_dir, lockdir, sizeof(lockdir));
	if ((rc = rs_path_mkdir_p(lockdir, 1, err)) != RS_OK ||
	    (rc = rs_nd_lock(lockdir, opt->run_lock_timeout, lk, err)) != RS_OK)
		return rc;
	plan->nexisting = 0;
	for (size_t i = 0; i < plan->nnodes; i++) {
		struct rs_restore_node *n = &plan->nodes[i];
		int before = n->target_exists;

		if ((rc = inspect_target(plan, n, err)) != RS_OK)
			return rc;
		if (n->target_exists && !before && !opt->force)
			return rs_errf(err, RS_EINVAL,
			               "%s holds Raft state it did not hold when the backup was "
			               "checked (another run wrote it); run restore again",
			               n->target);
	}
	return RS_OK;
}

int rs_restore_apply(struct rs_restore_plan *plan, const struct rs_restore_opts *opt, char *kept,
                     size_t kept_size, struct rs_problems *problems, struct rs_err *err)
{
	char keep_root[PATH_MAX] = "", parent[PATH_MAX];
	struct rs_nd_lock lk = {.fd = -1};
	struct rs_nd_replace *rs;
	struct restore_ctx *cs;
	size_t i;
	int rc;

	if (kept_size > 0)
		kept[0] = '\0';
	rc = lock_targets(plan, opt, &lk, err);
	if (rc == RS_OK && plan->layout != RS_LAYOUT_CLUSTER && plan->nnodes == 1) {
		rs_path_parent(plan->nodes[0].target, parent, sizeof(parent));
		rc = rs_path_mkdir_p(parent, 1, err);
	}
	if (rc != RS_OK) {
		rs_nd_unlock(&lk);
		return rc;
	}
	rs = calloc(plan->nnodes ? plan->nnodes : 1, sizeof(*rs));
	cs = calloc(plan->nnodes ? plan->nnodes : 1, sizeof(*cs));
	if (rs == NULL || cs == NULL) {
		free(rs);
		free(cs);
		rs_nd_unlock(&lk);
		return rs_errf(err, RS_ENOMEM, "out of memory");
	}
	for (i = 0; i < plan->nnodes; i++) {
		cs[i] = (struct restore_ctx){plan, &plan->nodes[i], opt->lock_timeout, problems};
		rs_nd_replace_init(&rs[i], plan->nodes[i].target, "restore", fill_node,
		                   verify_stage, &cs[i]);
		rs[i].uid = plan->uid;
		rs[i].gid = plan->gid;
	}
	/* 1. stage and verify every node; nothing is replaced yet */
	for (i = 0; i < plan->nnodes && rc == RS_OK; i++)
		rc = rs_nd_prepare(&rs[i], err);
	plan->staged = rc == RS_OK;
	/* 2. no target may be locked; then replace node by node */
	for (i = 0; i < plan->nnodes && rc == RS_OK; i++)
		if (plan->nodes[i].target_exists)
			rc = rs_nd_check_unlocked(plan->nodes[i].target, "stop it before restoring",
			                          err);
	for (i = 0; i < plan->nnodes && rc == RS_OK; i++) {
		struct rs_restore_node *n = &plan->nodes[i];

		rc = rs_nd_commit(&rs[i], plan->layout == RS_LAYOUT_CLUSTER ? keep_root : NULL,
		                  sizeof(keep_root), err);
		n->restored = rs[i].replaced;
		n->in_place = rs[i].in_place;
		strlcpy(n->in_place_why, rs[i].in_place_why, sizeof(n->in_place_why));
		strlcpy(n->kept, rs[i].kept, sizeof(n->kept));
		plan->salvaged += rs[i].salvaged;
		if (rs[i].salvaged > 0)
			strlcpy(plan->salvaged_to, rs[i].salvaged_to, sizeof(plan->salvaged_to));
	}
	if (rc == RS_OK && plan->deferred) /* every staged node verified */
		plan->verified = plan->ncompressed == 0;
	if (rc == RS_OK) {
		if (plan->layout == RS_LAYOUT_NODE && plan->nnodes == 1)
			strlcpy(kept, plan->nodes[0].kept, kept_size);
		else
			strlcpy(kept, keep_root, kept_size);
	}
	for (i = 0; i < plan->nnodes; i++) {
		if (rc != RS_OK && rs[i].in_place && !rs[i].replaced)
			plan->nodes[i].in_place = 1;
		rs_nd_replace_end(&rs[i]);
	}
	free(rs);
	free(cs);
	rs_nd_unlock(&lk);
	return rc;
}
