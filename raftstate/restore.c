/*
 * Restoring a backup: rs_restore_check checks the backup and the target
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
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>

#include "bolt/lock.h"
#include "raftstate/backupfile.h"
#include "raftstate/cluster.h"
#include "raftstate/generate.h"
#include "raftstate/manifest.h"
#include "raftstate/nodedir.h"
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
	if (rs_bk_join(dir, sizeof(dir), root, rel) != 0)
		return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", root, rel);
	if ((d = opendir(dir)) == NULL)
		return rs_syserr(err, "cannot read", dir);
	while (rc == RS_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rs_bk_join(p, sizeof(p), dir, de->d_name) ||
		    rs_bk_join(r, sizeof(r), rel, de->d_name)) {
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
		else if (!rs_bk_safe_relpath(r))
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
	const char *b = rs_bk_base_of(rel);

	return is_state_file(b) || strcmp(b, RS_LOG_FILE RS_BK_GZ_SUFFIX) == 0 ||
	       strcmp(b, RS_STABLE_FILE RS_BK_GZ_SUFFIX) == 0 ||
	       strstr(rel, RS_SNAP_DIR "/") != NULL;
}

/* One entry of MANIFEST.json (rs_manifest_read checked its fields and
 * paths) against the file found in the backup (the .gz for a compressed
 * entry, inflated to check size and crc32). */
static int check_entry(const char *backup, const struct rs_backup_file *e,
                       struct rs_bk_files *found, const struct rs_progress *pg, struct rs_err *err)
{
	char path[PATH_MAX], stored[PATH_MAX + 4];
	struct rs_backup_file *bf;
	uint64_t asize;
	uint32_t acrc;
	int rc;

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
	if ((rc = rs_bk_join_err(path, sizeof(path), backup, stored, err)) != RS_OK)
		return rc;
	if (!e->compressed) {
		if ((rc = rs_bk_crc_file(path, pg, &asize, &acrc, err)) != RS_OK)
			return rc;
	} else if ((rc = rs_bk_gunzip_file(path, stored, -1, NULL, e->size, pg, &asize, &acrc,
	                                   err)) != RS_OK) {
		char why[sizeof(err->msg)];

		if (rc != RS_ECORRUPT)
			return rc;
		strlcpy(why, err->msg, sizeof(why));
		return rs_errf(err, RS_ECORRUPT, "backup %s is damaged: %s", backup, why);
	}
	if (asize != e->size)
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s is damaged: %s inflates to %llu bytes, the manifest says "
		               "%llu",
		               backup, stored, (unsigned long long)asize,
		               (unsigned long long)e->size);
	if (acrc != e->crc32)
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s is damaged: %s has crc32 %08x, the manifest says %08x",
		               backup, stored, acrc, e->crc32);
	bf->crc32 = 1; /* mark: listed */
	return RS_OK;
}

/* Checks MANIFEST.json against the files found: every listed file exists
 * with its size and crc32, and every state file found is listed. The
 * entries go to plan->listed. */
static int check_manifest(const char *backup, struct rs_bk_files *found, int *layout,
                          struct rs_restore_plan *plan, struct rs_err *err)
{
	struct rs_manifest m;
	int rc;

	if ((rc = rs_manifest_read(backup, &m, err)) != RS_OK)
		return rc;
	for (size_t i = 0; rc == RS_OK && i < m.nfiles; i++)
		rc = check_entry(backup, &m.files[i], found, &plan->progress, err);
	for (size_t i = 0; rc == RS_OK && i < found->n; i++)
		if (found->v[i].crc32 == 0 && must_be_listed(found->v[i].path))
			rc =
			    rs_errf(err, RS_ECORRUPT, "backup %s: %s is not listed in the manifest",
			            backup, found->v[i].path);
	if (rc != RS_OK) {
		rs_manifest_free(&m);
		return rc;
	}
	*layout = m.layout;
	plan->listed = m.files;
	plan->nfiles = m.nfiles;
	for (size_t i = 0; i < m.nfiles; i++)
		plan->ncompressed += m.files[i].compressed != 0;
	return RS_OK;
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

static int plan_add(struct rs_restore_plan *plan, const char *id, struct rs_err *err)
{
	struct rs_restore_node *nv, *n;

	nv = reallocarray(plan->nodes, plan->nnodes + 1, sizeof(*nv));
	if (nv == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	plan->nodes = nv;
	n = &nv[plan->nnodes];
	memset(n, 0, sizeof(*n));
	strlcpy(n->id, id, sizeof(n->id));
	if (rs_bk_join(n->src, sizeof(n->src), plan->backup, id) != 0 ||
	    rs_bk_join(n->target, sizeof(n->target), plan->state_dir, id) != 0)
		return rs_errf(err, RS_ELIMIT, "path for node %s is too long", id);
	plan->nnodes++;
	return inspect_target(plan, n, err);
}

int rs_restore_check(const char *backup_dir, const char *state_dir, double lock_timeout,
                     const struct rs_progress *pg, struct rs_restore_plan *plan,
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
	if (pg != NULL)
		plan->progress = *pg;
	if (stat(backup_dir, &st) != 0) {
		if (errno == ENOENT)
			return rs_errf(err, RS_ENOTFOUND, "backup directory %s does not exist",
			               backup_dir);
		return rs_syserr(err, "cannot read backup directory", backup_dir);
	}
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "--backup-dir %s is not a directory", backup_dir);
	if ((rc = rs_bk_check_apart(backup_dir, "--backup-dir", state_dir, "--state-dir", err)) !=
	    RS_OK)
		return rc;
	if (strlcpy(plan->backup, backup_dir, sizeof(plan->backup)) >= sizeof(plan->backup) ||
	    strlcpy(plan->state_dir, state_dir, sizeof(plan->state_dir)) >= sizeof(plan->state_dir))
		return rs_errf(err, RS_ELIMIT, "path too long");
	for (size_t l = strlen(plan->state_dir); l > 1 && plan->state_dir[l - 1] == '/'; l--)
		plan->state_dir[l - 1] = '\0';

	/* a MANIFEST.json that is not a regular file is refused, never taken
	 * for a Go-tool backup without one (which skips every checksum) */
	if ((rc = rs_manifest_present(backup_dir, err)) < 0) {
		rc = -rc;
		goto out;
	}
	plan->has_manifest = rc;
	if ((rc = walk_backup(backup_dir, "", 0, &found, err)) != RS_OK)
		goto out;
	if (plan->has_manifest) {
		if ((rc = check_manifest(backup_dir, &found, &layout, plan, err)) != RS_OK)
			goto out;
	}
	if (layout == 0)
		layout = rs_nd_has(backup_dir, RS_ND_DBS) ? RS_LAYOUT_NODE : RS_LAYOUT_CLUSTER;
	plan->layout = layout;

	if (layout == RS_LAYOUT_NODE) {
		struct rs_restore_node *n = calloc(1, sizeof(*n));

		if (n == NULL) {
			rc = rs_errf(err, RS_ENOMEM, "out of memory");
			goto out;
		}
		plan->nodes = n;
		plan->nnodes = 1;
		strlcpy(n->src, backup_dir, sizeof(n->src));
		strlcpy(n->target, plan->state_dir, sizeof(n->target));
		if (lstat(n->target, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				rc = rs_errf(err, RS_EINVAL, "--state-dir %s is not a directory",
				             n->target);
				goto out;
			}
			n->target_dir_exists = 1;
			if (rs_nd_has(n->target, RS_ND_STATE)) {
				n->target_exists = 1;
				plan->nexisting = 1;
			}
		}
	} else {
		if ((rc = rs_nd_list(backup_dir, plan->ncompressed > 0, &nodes, &nnodes, err)) !=
		    RS_OK)
			goto out;
		if (nnodes == 0) {
			rc = rs_errf(err, RS_ENOTFOUND,
			             "backup %s holds no Raft state (no %s in it or in a node "
			             "directory)",
			             backup_dir, RS_LOG_FILE);
			goto out;
		}
		if (lstat(plan->state_dir, &st) == 0 && S_ISLNK(st.st_mode) == 0 &&
		    !S_ISDIR(st.st_mode)) {
			rc = rs_errf(err, RS_EINVAL, "--state-dir %s is not a directory",
			             plan->state_dir);
			goto out;
		}
		for (size_t i = 0; i < nnodes; i++) {
			char qname[1100];

			if (rs_server_id_check(nodes[i]) != RS_ID_OK) {
				rc = rs_errf(err, RS_ECORRUPT,
				             "refusing backup %s: node directory %s is not a valid "
				             "server ID",
				             backup_dir, rs_quote(nodes[i], qname, sizeof(qname)));
				goto out;
			}
			if ((rc = plan_add(plan, nodes[i], err)) != RS_OK)
				goto out;
		}
	}
	/* in a node-layout backup every top-level dir except snapshots/ is
	 * foreign; in a cluster backup, directories holding state that are not
	 * valid server IDs were already refused (hidden ones are ignored).
	 * Compressed nodes cannot be verified here: rs_restore_apply verifies
	 * their inflated staged copies before it replaces anything. */
	if (plan->ncompressed == 0) {
		struct rs_verify_opts vo = {.lock_timeout = lock_timeout, .live = 0};

		for (size_t i = 0; i < plan->nnodes; i++) {
			size_t before = problems->errors;

			if ((rc = rs_verify_node(plan->nodes[i].src, &vo, problems, err)) != RS_OK)
				goto out;
			if (problems->errors > before) {
				rc = rs_errf(err, RS_ECORRUPT, "backup of %s does not verify",
				             plan->layout == RS_LAYOUT_NODE ? "the node"
				                                            : plan->nodes[i].id);
				goto out;
			}
		}
		plan->verified = 1;
	}
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

int rs_restore_recheck(struct rs_restore_plan *plan, struct rs_err *err)
{
	int rc = RS_OK;

	plan->nexisting = 0;
	for (size_t i = 0; i < plan->nnodes && rc == RS_OK; i++)
		rc = inspect_target(plan, &plan->nodes[i], err);
	return rc;
}

void rs_restore_lock_dir(const struct rs_restore_plan *plan, char *out, size_t size)
{
	if (plan->layout == RS_LAYOUT_CLUSTER)
		strlcpy(out, plan->state_dir, size);
	else
		rs_nd_lock_dir_of(plan->state_dir, out, size);
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
	uint64_t size;
	uint32_t crc;
	int out, rc;

	if (f == NULL || !f->compressed) {
		rc = rs_bk_copy_at(src, dfd, name, dst, mode, &plan->progress, &crc, err);
		if (rc == RS_OK && f != NULL && crc != f->crc32)
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
	rc = rs_bk_gunzip_file(src, src, out, dst, f->size, &plan->progress, &size, &crc, err);
	if (rc == RS_OK && (size != f->size || crc != f->crc32))
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
	return rs_bk_join_err(path, size, plan->backup, rel, err);
}

/* Fills the (new, empty) stage of node n from the backup: the two
 * databases and snapshots/ (nothing else), every file and directory
 * fsynced. */
static int stage_node(const struct rs_restore_plan *plan, const struct rs_restore_node *n, int sfd,
                      const char *stage, struct rs_err *err)
{
	static const char *const dbs[] = {RS_LOG_FILE, RS_STABLE_FILE};
	char rel[PATH_MAX], s[PATH_MAX], d[PATH_MAX], rs[PATH_MAX], ss[PATH_MAX];
	int snapfd = -1, rc;
	struct stat st;
	DIR *dir = NULL;
	struct dirent *de;

	for (size_t i = 0; i < 2; i++) {
		if ((rc = rs_bk_join_err(rel, sizeof(rel), n->id, dbs[i], err)) ||
		    (rc = backup_path(plan, rel, s, sizeof(s), err)) ||
		    (rc = rs_bk_join_err(d, sizeof(d), stage, dbs[i], err)) ||
		    (rc = stage_file(plan, rel, s, sfd, dbs[i], d, 0600, err)))
			goto out;
	}
	if ((rc = rs_bk_join_err(rs, sizeof(rs), n->id, RS_SNAP_DIR, err)) ||
	    (rc = rs_bk_join_err(ss, sizeof(ss), plan->backup, rs, err)) ||
	    (rc = rs_bk_join_err(d, sizeof(d), stage, RS_SNAP_DIR, err)))
		goto out;
	if (lstat(ss, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (mkdirat(sfd, RS_SNAP_DIR, 0755) != 0) {
			rc = rs_syserr(err, "cannot create", d);
			goto out;
		}
		if ((rc = open_dir_at(sfd, RS_SNAP_DIR, d, err, &snapfd)) != RS_OK)
			goto out;
		if ((dir = opendir(ss)) == NULL) {
			rc = rs_syserr(err, "cannot read", ss);
			goto out;
		}
		while (rc == RS_OK && (de = readdir(dir)) != NULL) {
			char s1[PATH_MAX], d1[PATH_MAX], r1[PATH_MAX];
			struct dirent *fe;
			DIR *sd;
			int fd1;

			if (de->d_name[0] == '.')
				continue;
			if ((rc = rs_bk_join_err(s1, sizeof(s1), ss, de->d_name, err)) ||
			    (rc = rs_bk_join_err(d1, sizeof(d1), d, de->d_name, err)) ||
			    (rc = rs_bk_join_err(r1, sizeof(r1), rs, de->d_name, err)))
				break;
			if (lstat(s1, &st) != 0 || !S_ISDIR(st.st_mode))
				continue;
			if (mkdirat(snapfd, de->d_name, 0755) != 0) {
				rc = rs_syserr(err, "cannot create", d1);
				break;
			}
			if ((rc = open_dir_at(snapfd, de->d_name, d1, err, &fd1)) != RS_OK)
				break;
			if ((sd = opendir(s1)) == NULL) {
				rc = rs_syserr(err, "cannot read", s1);
				close(fd1);
				break;
			}
			while (rc == RS_OK && (fe = readdir(sd)) != NULL) {
				char s2[PATH_MAX], d2[PATH_MAX], r2[PATH_MAX], name[NAME_MAX + 1];
				const struct rs_backup_file *f;
				size_t l = strlen(fe->d_name), sl = strlen(RS_BK_GZ_SUFFIX);

				if (fe->d_name[0] == '.')
					continue;
				/* a compressed file is listed under its plain name */
				strlcpy(name, fe->d_name, sizeof(name));
				if (l > sl && strcmp(fe->d_name + l - sl, RS_BK_GZ_SUFFIX) == 0) {
					name[l - sl] = '\0';
					if ((rc = rs_bk_join_err(r2, sizeof(r2), r1, name, err)) !=
					    RS_OK)
						break;
					f = listed_file(plan, r2);
					if (f == NULL || !f->compressed)
						strlcpy(name, fe->d_name, sizeof(name));
				}
				if ((rc = rs_bk_join_err(s2, sizeof(s2), s1, fe->d_name, err)) ||
				    (rc = rs_bk_join_err(r2, sizeof(r2), r1, name, err)) ||
				    (rc = rs_bk_join_err(d2, sizeof(d2), d1, name, err)))
					break;
				if (lstat(s2, &st) != 0 || !S_ISREG(st.st_mode))
					continue;
				rc = stage_file(plan, r2, s2, fd1, name, d2, 0644, err);
			}
			closedir(sd);
			if (rc == RS_OK)
				rc = rs_fsync_fd(fd1, d1, err);
			close(fd1);
		}
		if (rc == RS_OK)
			rc = rs_fsync_fd(snapfd, d, err);
		if (rc != RS_OK)
			goto out;
	}
	rc = rs_fsync_fd(sfd, stage, err);
out:
	if (dir != NULL)
		closedir(dir);
	if (snapfd >= 0)
		close(snapfd);
	return rc;
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
	if (c->problems->errors > before)
		return rs_errf(err, RS_ECORRUPT, "the staged copy %s does not verify", stage);
	return RS_OK;
}

int rs_restore_apply(struct rs_restore_plan *plan, double lock_timeout, char *kept,
                     size_t kept_size, struct rs_problems *problems, struct rs_err *err)
{
	char keep_root[PATH_MAX] = "", parent[PATH_MAX];
	struct rs_nd_replace *rs;
	struct restore_ctx *cs;
	size_t i;
	int rc = RS_OK;

	if (kept_size > 0)
		kept[0] = '\0';
	if (plan->layout == RS_LAYOUT_CLUSTER)
		rc = rs_bk_mkdir_p(plan->state_dir, err);
	else if (plan->nnodes == 1) {
		rs_bk_parent_of(plan->nodes[0].target, parent, sizeof(parent));
		rc = rs_bk_mkdir_p(parent, err);
	}
	if (rc != RS_OK)
		return rc;
	rs = calloc(plan->nnodes ? plan->nnodes : 1, sizeof(*rs));
	cs = calloc(plan->nnodes ? plan->nnodes : 1, sizeof(*cs));
	if (rs == NULL || cs == NULL) {
		free(rs);
		free(cs);
		return rs_errf(err, RS_ENOMEM, "out of memory");
	}
	for (i = 0; i < plan->nnodes; i++) {
		cs[i] = (struct restore_ctx){plan, &plan->nodes[i], lock_timeout, problems};
		rs_nd_replace_init(&rs[i], plan->nodes[i].target, "restore", fill_node,
		                   verify_stage, &cs[i]);
		rs[i].uid = plan->uid;
		rs[i].gid = plan->gid;
	}
	/* 1. stage and verify every node; nothing is replaced yet */
	for (i = 0; i < plan->nnodes && rc == RS_OK; i++)
		rc = rs_nd_prepare(&rs[i], err);
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
	return rc;
}
