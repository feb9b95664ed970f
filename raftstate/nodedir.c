/*
 * The node directory engine: layout, discovery, the run lock, and the one
 * replace routine (see nodedir.h for the rules; this file says how).
 *
 * Replace, step by step (each step is one system call, so a SIGKILL between
 * two of them leaves one of the states listed; tests/cli/test_nodedir_kill.sh
 * kills at every one of them):
 *
 *   directory swap (PUT_SWAP)          what a kill here leaves
 *   1 mkdirat  .<id>.<verb>-tmp-X      an empty stage beside the node
 *   2 fill, fsync the files and dirs   a stage holding (part of) the new state
 *   3 renameat2 RENAME_EXCHANGE        node = new state, stage = old state
 *   4 fsync the parent
 *   5 mkdirat  .<id>.pre-<verb>-TS     ... and an empty keep directory
 *   6 renameat stage -> keep           node = new, keep = old: done
 *   7 fsync the parent
 *
 *   name by name (PUT_IN_PLACE)        for each of stable, log, snapshots/
 *   1 mkdirat  NODE/.<verb>-tmp-X, fill as above
 *   2 mkdirat  NODE/.pre-<verb>-TS     the keep directory
 *   3 renameat2 RENAME_EXCHANGE        NODE/name = new, stage/name = old
 *   4 renameat stage/name -> keep/name
 *   5 fsync keep, stage, node; rmdir the empty stage
 *
 * A later run finds what such a kill left (a stage: `.<id>.<verb>-tmp-*`
 * beside the node or `.<verb>-tmp-*` inside it) and, under the lock and
 * after its own replace, removes it only when the target holds every file of
 * it with the same bytes, or else renames it to a keep name (salvage).
 */
#include "raftstate/nodedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "bolt/file.h"
#include "bolt/lock.h"
#include "raftstate/backupfile.h"
#include "raftstate/node.h"
#include "raftstate/path.h"

#define TREE_MAX_DEPTH 8
#define LIST_MAX       100000 /* node directories in one root */

static const char *const state_names[3] = {RS_LOG_FILE, RS_STABLE_FILE, RS_SNAP_DIR};

/* ---- layout ------------------------------------------------------------ */

int rs_nd_is_state_name(const char *name)
{
	for (size_t i = 0; i < 3; i++)
		if (strcmp(name, state_names[i]) == 0)
			return 1;
	return 0;
}

/* The mask of state names in dfd, or -1 (errno set) when one cannot be
 * looked up for a reason other than its absence (EACCES, EIO): a node
 * whose files cannot be seen is not a directory without them. */
static int state_at(int dfd, int gz)
{
	static const char *const gzn[2] = {RS_LOG_FILE ".gz", RS_STABLE_FILE ".gz"};
	struct stat st;
	int mask = 0;

	for (int i = 0; i < 3; i++) {
		if (fstatat(dfd, state_names[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
			mask |= 1 << i;
			continue;
		}
		if (errno != ENOENT)
			return -1;
		if (!gz || i >= 2)
			continue;
		if (fstatat(dfd, gzn[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			mask |= 1 << i;
		else if (errno != ENOENT)
			return -1;
	}
	return mask;
}

int rs_nd_state(const char *dir, struct rs_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), mask;

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		rs_syserr(err, "cannot read", dir);
		return -1;
	}
	mask = state_at(fd, 0);
	if (mask < 0)
		rs_syserr(err, "cannot read", dir);
	close(fd);
	return mask;
}

int rs_nd_has(const char *dir, int want)
{
	int m = rs_nd_state(dir, NULL);

	return m < 0 || (m & want) != 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void rs_nd_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* One entry of a listed root: 1 when it is a node directory, 0 when not
 * (or gone since the listing), -1 with err when it cannot be looked at: a
 * node skipped here would be missing, unseen, from a compare or a backup. */
static int node_entry(int dfd, const char *root, const char *name, int gz, struct rs_err *err)
{
	char p[PATH_MAX];
	struct stat st;
	int sfd, mask, e;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return 0;
		goto fail;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	sfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0) {
		/* gone, or replaced by a link or a file since the fstatat */
		if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
			return 0;
		/* the root of an ext4 volume (a storage directory that is a
		 * mount point) holds fsck's lost+found, root's and 0700: not a
		 * node, and no reason to refuse a user who cannot open it */
		if (errno == EACCES && strcmp(name, "lost+found") == 0)
			return 0;
		goto fail;
	}
	mask = state_at(sfd, gz);
	e = errno;
	close(sfd);
	if (mask >= 0)
		return (mask & RS_ND_DBS) != 0;
	errno = e;
fail:
	e = errno;
	(void)rs_path_join(p, sizeof(p), root, name);
	errno = e;
	rs_syserr(err, "cannot read", p);
	return -1;
}

/* rs_nd_list; *at_entry: the failure is one entry's, not the root's. */
static int list_nodes(const char *root, int gz, char ***out, size_t *n, int *at_entry,
                      struct rs_err *err)
{
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = RS_OK, is;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*n = 0;
	*at_entry = 0;
	if (rfd < 0 || (d = fdopendir(rfd)) == NULL) {
		rs_syserr(err, "cannot read", root);
		if (rfd >= 0)
			close(rfd);
		return RS_EIO;
	}
	/* a listing that fails part way is an error, not its end */
	while ((de = rs_path_readdir(d, root, &rc, err)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((is = node_entry(dirfd(d), root, de->d_name, gz, err)) < 0) {
			*at_entry = 1;
			rc = err != NULL && err->code != RS_OK ? err->code : RS_EIO;
			break;
		}
		if (is == 0)
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = cnt >= LIST_MAX ? NULL : reallocarray(v, nc, sizeof(*nv));

			if (nv == NULL)
				goto nomem;
			v = nv;
			cap = nc;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL)
			goto nomem;
		cnt++;
	}
	closedir(d);
	if (rc != RS_OK) {
		rs_nd_free_list(v, cnt);
		return rc;
	}
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*out = v;
	*n = cnt;
	return RS_OK;
nomem:
	closedir(d);
	rs_nd_free_list(v, cnt);
	return rs_errf(err, RS_ENOMEM, "out of memory listing %s", root);
}

int rs_nd_list(const char *root, int gz, char ***out, size_t *n, struct rs_err *err)
{
	int at_entry;

	return list_nodes(root, gz, out, n, &at_entry, err);
}

static int add_node(struct rs_nd_nodes *ns, const char *path)
{
	char **v = reallocarray(ns->dirs, ns->n + 1, sizeof(*v));

	if (v == NULL)
		return -1;
	ns->dirs = v;
	if ((v[ns->n] = strdup(path)) == NULL)
		return -1;
	ns->n++;
	return 0;
}

void rs_nd_nodes_free(struct rs_nd_nodes *ns)
{
	rs_nd_free_list(ns->dirs, ns->n);
	memset(ns, 0, sizeof(*ns));
}

/* A root without node directories: a --compress backup's databases are .gz
 * files (of its nodes, or at its top), else it holds no Raft state. */
static int no_nodes(const char *path, const char *dir, const char *what, struct rs_err *err)
{
	char gz[PATH_MAX + 16];
	char **names = NULL;
	size_t n = 0;
	struct stat st;

	if (rs_nd_list(path, 1, &names, &n, err) == RS_OK) {
		rs_nd_free_list(names, n);
		(void)rs_path_join(gz, sizeof(gz), path, RS_LOG_FILE ".gz");
		if (n > 0 || lstat(gz, &st) == 0)
			return rs_errf(
			    err, RS_ENOTFOUND,
			    "%s %s is a compressed backup (raft-log.db.gz, ...): check it "
			    "with op-conductor-init raft restore --dry-run --backup-dir %s",
			    what, rs_qpath(dir).s, rs_qpath(dir).s);
	}
	return rs_errf(err, RS_ENOTFOUND,
	               "%s %s holds no Raft state: neither %s nor %s, and no node "
	               "directory holding them; give a node directory "
	               "(<raft.storage.dir>/<server-id>) or the storage directory above it",
	               what, rs_qpath(dir).s, RS_LOG_FILE, RS_STABLE_FILE);
}

int rs_nd_find(const char *dir, const char *what, struct rs_nd_nodes *out, struct rs_err *err)
{
	char path[PATH_MAX], sub[PATH_MAX];
	char **names = NULL;
	size_t len = strlen(dir), nnames = 0;
	struct stat st;
	int rc, at_entry;

	memset(out, 0, sizeof(*out));
	if (len >= RS_ND_FIND_MAX)
		return rs_errf(err, RS_ELIMIT, "%s is too long (%zu bytes)", what, len);
	(void)snprintf(path, sizeof(path), "%s", dir);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (stat(path, &st) != 0)
		return rs_errf(err, RS_EIO, "cannot open %s %s: %s", what, rs_qpath(dir).s,
		               rs_errno_text(errno).s);
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "%s %s is not a directory", what, rs_qpath(dir).s);
	if ((rc = rs_nd_state(path, err)) < 0)
		return rs_errf(err, err->code == RS_ENOMEM ? RS_ENOMEM : RS_EIO,
		               "cannot read %s %s: %s", what, rs_qpath(dir).s,
		               rs_errno_text(err->sys_errno).s);
	if ((rc & RS_ND_DBS) != 0)
		return add_node(out, path) == 0 ? RS_OK : rs_errf(err, RS_ENOMEM, "out of memory");
	/* the one discovery rule; a node directory that cannot be looked at
	 * keeps its own message, which names it */
	if (list_nodes(path, 0, &names, &nnames, &at_entry, err) != RS_OK)
		return at_entry ? err->code
		       : err->code == RS_ENOMEM
		           ? rs_errf(err, RS_ENOMEM, "out of memory reading %s %s", what,
		                     rs_qpath(dir).s)
		           : rs_errf(err, RS_EIO, "cannot read %s %s: %s", what, rs_qpath(dir).s,
		                     rs_errno_text(err->sys_errno).s);
	rc = RS_OK;
	for (size_t i = 0; i < nnames && rc == RS_OK; i++)
		if (rs_path_join(sub, sizeof(sub), path, names[i]) == 0 && add_node(out, sub) != 0)
			rc = rs_errf(err, RS_ENOMEM, "out of memory");
	rs_nd_free_list(names, nnames);
	if (rc == RS_OK && out->n == 0)
		rc = no_nodes(path, dir, what, err);
	if (rc != RS_OK) {
		rs_nd_nodes_free(out);
		return rc;
	}
	out->cluster = 1;
	return RS_OK;
}

/* ---- files ------------------------------------------------------------- */

int rs_fsync_fd(int fd, const char *path, struct rs_err *err)
{
	if (fsync(fd) != 0)
		return rs_syserr(err, "cannot sync", path);
	return RS_OK;
}

int rs_fsync_path(const char *path, struct rs_err *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC),
	    rc; /* a dir or our own file */

	if (fd < 0)
		return rs_syserr(err, "cannot open (to sync it)", path);
	rc = rs_fsync_fd(fd, path, err);
	close(fd);
	return rc;
}

static void remove_at(int dfd, const char *name, int depth)
{
	struct dirent *de;
	int fd;
	DIR *d;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT || depth > TREE_MAX_DEPTH)
		return;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			remove_at(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	(void)unlinkat(dfd, name, AT_REMOVEDIR);
}

void rs_remove_tree_at(int dfd, const char *name)
{
	remove_at(dfd, name, 0);
}

static void split(const char *path, char *parent, size_t psize, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		strlcpy(parent, ".", psize);
		*base = path;
		return;
	}
	strlcpy(parent, path, psize);
	parent[slash == path                    ? 1
	       : (size_t)(slash - path) < psize ? (size_t)(slash - path)
	                                        : psize - 1] = '\0';
	*base = slash + 1;
}

void rs_remove_tree(const char *path)
{
	char parent[PATH_MAX];
	const char *base;
	int pfd;

	split(path, parent, sizeof(parent), &base);
	if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	rs_remove_tree_at(pfd, base);
	close(pfd);
}

/* ---- the lock ---------------------------------------------------------- */

void rs_nd_lock_dir_of(const char *node_dir, char *out, size_t size)
{
	char tmp[PATH_MAX];
	const char *base;
	size_t l;

	strlcpy(tmp, node_dir, sizeof(tmp));
	for (l = strlen(tmp); l > 1 && tmp[l - 1] == '/'; l--)
		tmp[l - 1] = '\0';
	split(tmp, out, size, &base);
}

int rs_nd_lock(const char *dir, double timeout, struct rs_nd_lock *lk, struct rs_err *err)
{
	struct bolt_err be = {0};
	struct stat a, b;

	lk->fd = -1;
	strlcpy(lk->dir, dir, sizeof(lk->dir));
	for (int tries = 0; tries < 16; tries++) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return rs_syserr(err, "cannot open (to lock it)", dir);
		if (bolt_lock(fd, LOCK_EX, timeout, dir, &be) != BOLT_OK) {
			char cmd[200] = "", who[260] = "pid unknown";
			long pid;

			if (be.code != BOLT_ELOCKED) {
				close(fd);
				return rs_errf(err, RS_EIO, "%s", be.msg);
			}
			pid = bolt_lock_holder(fd, cmd, sizeof(cmd));
			close(fd);
			if (pid > 0)
				(void)snprintf(who, sizeof(who), "pid %ld: %s", pid,
				               cmd[0] != '\0' ? cmd : "command unknown");
			return rs_errf(
			    err, RS_ELOCKED,
			    "%s is in use by another run (%s); wait for it to finish, or "
			    "give --timeout SECONDS to wait%s",
			    dir, who, timeout > 0 ? " longer" : "");
		}
		/* the directory must still be the one locked */
		if (fstat(fd, &a) == 0 && stat(dir, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			lk->fd = fd;
			return RS_OK;
		}
		close(fd);
	}
	return rs_errf(err, RS_ELOCKED, "%s keeps being replaced while it is locked", dir);
}

void rs_nd_unlock(struct rs_nd_lock *lk)
{
	if (lk->fd >= 0) {
		bolt_unlock(lk->fd);
		close(lk->fd);
	}
	lk->fd = -1;
}

/* rs_nd_check_unlocked's looks at a held lock: ~250 ms in all */
#define PROBE_TRIES    26
#define PROBE_PAUSE_US 10000

int rs_nd_check_unlocked(const char *node_dir, const char *doing, struct rs_err *err)
{
	struct bolt_err be = {0};
	char p[PATH_MAX];

	for (size_t i = 0; i < 2; i++) {
		int fd, r;

		if (rs_path_join(p, sizeof(p), node_dir, state_names[i]) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s is too long", node_dir);
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0) {
			if (errno == ENOENT || errno == ELOOP)
				continue;
			return rs_syserr(err, "cannot open", p);
		}
		/* a writer is refused, readers are waited out (bolt_lock:
		 * BOLT_READER_GRACE); a lock held for an instant is another run
		 * of this check (its LOCK_EX below), so a writer must still hold
		 * it after PROBE_TRIES looks PROBE_PAUSE_US apart: two runs
		 * racing on one node used to refuse each other, both failing */
		for (int t = 1;; t++) {
			if (bolt_lock_probe(fd, LOCK_SH) == 1)
				r = t < PROBE_TRIES ? BOLT_ELOCKED : bolt_lock_refusal(fd, p, doing, &be);
			else if ((r = bolt_lock(fd, LOCK_EX, 0, p, &be)) == BOLT_OK)
				bolt_unlock(fd);
			if (r != BOLT_ELOCKED || t >= PROBE_TRIES)
				break;
			(void)usleep(PROBE_PAUSE_US);
		}
		close(fd);
		if (r == BOLT_ELOCKED)
			return rs_errf(err, RS_ELOCKED, "%s", be.msg);
		if (r != BOLT_OK)
			return rs_errf(err, RS_EIO, "%s", be.msg);
	}
	return RS_OK;
}

/* ---- copying and holding a node's state -------------------------------- */

int rs_nd_check_node_dir(const char *node_dir, char *out, size_t size, struct rs_err *err)
{
	struct stat st;

	if (strlcpy(out, node_dir, size) >= size)
		return rs_errf(err, RS_ELIMIT, "path too long: %s", node_dir);
	if (lstat(node_dir, &st) != 0)
		return rs_errf(err, RS_ENOTFOUND, "node directory %s does not exist", node_dir);
	if (S_ISLNK(st.st_mode))
		return rs_errf(err, RS_EINVAL,
		               "%s is a symlink; give the node directory itself "
		               "(it is swapped atomically, a link would be replaced)",
		               node_dir);
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "%s is not a directory", node_dir);
	return RS_OK;
}

/* Copies the tree under src into the new directory dst (see
 * rs_nd_copy_state). */
static int copy_tree(const char *src, const char *dst, int depth, struct rs_err *err)
{
	char s[PATH_MAX], d[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int rc = RS_OK;

	if (depth > TREE_MAX_DEPTH)
		return rs_errf(err, RS_ELIMIT, "%s is nested too deeply to copy", src);
	if (lstat(src, &st) != 0)
		return rs_syserr(err, "cannot stat", src);
	if (mkdir(dst, 0700) != 0)
		return rs_syserr(err, "cannot create", dst);
	if ((dir = opendir(src)) == NULL)
		return rs_syserr(err, "cannot read", src);
	while (rc == RS_OK && (de = rs_path_readdir(dir, src, &rc, err)) != NULL) {
		struct stat cs;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rs_path_join(s, sizeof(s), src, de->d_name) != 0 ||
		    rs_path_join(d, sizeof(d), dst, de->d_name) != 0) {
			rc = rs_errf(err, RS_ELIMIT, "path too long: %s/%s", src, de->d_name);
			break;
		}
		if (lstat(s, &cs) != 0) {
			rc = rs_syserr(err, "cannot stat", s);
			break;
		}
		if (S_ISDIR(cs.st_mode)) {
			rc = copy_tree(s, d, depth + 1, err);
		} else if (S_ISREG(cs.st_mode)) {
			rc = rs_bk_copy_plain(s, d, cs.st_mode & 07777, err);
		} else if (S_ISLNK(cs.st_mode)) {
			ssize_t n = readlink(s, target, sizeof(target) - 1);

			if (n < 0)
				rc = rs_syserr(err, "cannot read the link", s);
			else {
				target[n] = '\0';
				if (symlink(target, d) != 0)
					rc = rs_syserr(err, "cannot create the link", d);
			}
		} else {
			rc = rs_errf(err, RS_EINVAL,
			             "%s is not a file, directory or symlink; refusing to copy it",
			             s);
		}
	}
	closedir(dir);
	if (rc == RS_OK && chmod(dst, st.st_mode & 07777) != 0)
		rc = rs_syserr(err, "cannot set the mode of", dst);
	if (rc == RS_OK)
		rc = rs_fsync_path(dst, err);
	return rc;
}

int rs_nd_copy_state(const char *src, const char *dst, int mask, struct rs_err *err)
{
	char s[PATH_MAX], d[PATH_MAX];
	struct stat st;
	int rc;

	for (int i = 0; i < 3; i++) {
		if (!(mask & (1 << i)))
			continue;
		if (rs_path_join(s, sizeof(s), src, state_names[i]) != 0 ||
		    rs_path_join(d, sizeof(d), dst, state_names[i]) != 0)
			return rs_errf(err, RS_ELIMIT, "path too long: %s/%s", src, state_names[i]);
		if (lstat(s, &st) != 0) {
			if (errno == ENOENT)
				continue;
			return rs_syserr(err, "cannot stat", s);
		}
		if (S_ISDIR(st.st_mode))
			rc = copy_tree(s, d, 1, err);
		else if (S_ISREG(st.st_mode))
			rc = rs_bk_copy_plain(s, d, st.st_mode & 07777, err);
		else
			rc = rs_errf(err, RS_EINVAL,
			             "%s is not a regular file; refusing to copy it", s);
		if (rc != RS_OK)
			return rc;
	}
	return RS_OK;
}

int rs_nd_db_ident(const char *node_dir, int which, struct rs_nd_ident *id, struct rs_err *err)
{
	char p[PATH_MAX];
	struct stat st;

	if (rs_path_join(p, sizeof(p), node_dir, state_names[which]) != 0)
		return rs_errf(err, RS_ELIMIT, "path %s is too long", node_dir);
	if (lstat(p, &st) != 0)
		return rs_syserr(err, "cannot stat", p);
	memset(id, 0, sizeof(*id));
	id->ino = (uint64_t)st.st_ino;
	id->size = (uint64_t)st.st_size;
	id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return RS_OK;
}

int rs_nd_hold_dbs(const char *node_dir, double timeout, const struct rs_nd_ident want[2],
                   const char *verb, int fds[2], struct rs_err *err)
{
	struct bolt_err be = {0};
	struct rs_nd_ident now;
	char p[PATH_MAX];
	int rc;

	fds[0] = fds[1] = -1;
	for (int i = 0; i < 2; i++) {
		if (rs_path_join(p, sizeof(p), node_dir, state_names[i]) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s is too long", node_dir);
		if (bolt_file_open(AT_FDCWD, p, 0, NULL, &fds[i], NULL, &be) != BOLT_OK)
			return rs_err_from_bolt(err, &be);
		if (bolt_lock(fds[i], LOCK_EX, timeout, p, &be) != BOLT_OK)
			return rs_err_from_bolt(err, &be);
		if ((rc = rs_nd_db_ident(node_dir, i, &now, err)) != RS_OK)
			return rc;
		if (memcmp(&now, &want[i], sizeof(now)) != 0)
			return rs_errf(err, RS_ELOCKED,
			               "%s changed since it was verified; run %s again once "
			               "nothing uses it",
			               p, verb);
	}
	return RS_OK;
}

void rs_nd_release_dbs(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0) {
			bolt_unlock(fds[i]);
			close(fds[i]);
			fds[i] = -1;
		}
}

/* ---- the replace ------------------------------------------------------- */

enum put_mode {
	PUT_NEW = 1,
	PUT_SWAP,
	PUT_IN_PLACE,
};

void rs_nd_replace_init(struct rs_nd_replace *r, const char *target, const char *verb,
                        rs_nd_fill_fn fill, rs_nd_check_fn check, void *ctx)
{
	size_t l;

	memset(r, 0, sizeof(*r));
	strlcpy(r->target, target, sizeof(r->target));
	for (l = strlen(r->target); l > 1 && r->target[l - 1] == '/'; l--)
		r->target[l - 1] = '\0';
	strlcpy(r->verb, verb, sizeof(r->verb));
	r->fill = fill;
	r->check = check;
	r->ctx = ctx;
	r->uid = (uid_t)-1;
	r->gid = (gid_t)-1;
	r->pfd = r->nfd = -1;
}

static const char *base_of(const struct rs_nd_replace *r)
{
	const char *s = strrchr(r->target, '/');

	return s != NULL ? s + 1 : r->target;
}

static int open_dir_at(int dfd, const char *name, const char *path, struct rs_err *err, int *out)
{
	*out = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*out < 0)
		return rs_syserr(err, "cannot open", path);
	return RS_OK;
}

/* Whether the directory open at fd is the root of a mount: such a
 * directory cannot be renamed (EBUSY). */
static int is_mount_point(int fd)
{
	struct stat st, up;
#ifdef STATX_ATTR_MOUNT_ROOT
	struct statx sx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
	    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0)
		return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
#endif
	return fstat(fd, &st) == 0 && fstatat(fd, "..", &up, 0) == 0 && st.st_dev != up.st_dev;
}

/* 1: the directory open at fd holds something besides the state names;
 * 0: only those; -1: unreadable (errno set). */
static int holds_other_files(int fd)
{
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0), other = 0;
	struct dirent *de;
	DIR *d;

	if (dfd < 0)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	rewinddir(d);
	/* a listing cut short by an error is unreadable, not "only those" */
	for (errno = 0; !other && (de = readdir(d)) != NULL; errno = 0)
		other = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		        !rs_nd_is_state_name(de->d_name);
	if (!other && errno != 0) {
		int e = errno;

		closedir(d);
		errno = e;
		return -1;
	}
	closedir(d);
	return other;
}

/* A new directory in dfd named `prefix`XXXXXXXX (random hex): the stage. */
static int make_stage_dir(struct rs_nd_replace *r, int dfd, const char *dir, const char *prefix,
                          struct rs_err *err)
{
	for (int i = 0; i < 64; i++) {
		int n = snprintf(r->sname, sizeof(r->sname), "%s%08x", prefix, rs_path_nonce());

		if (n < 0 || (size_t)n >= sizeof(r->sname) ||
		    rs_path_join(r->stage, sizeof(r->stage), dir, r->sname) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", dir, prefix);
		if (mkdirat(dfd, r->sname, 0700) == 0) {
			r->staged = 1;
			return RS_OK;
		}
		if (errno != EEXIST)
			return rs_syserr(err, "cannot create", r->stage);
	}
	return rs_errf(err, RS_EEXIST, "cannot find a free name for a stage in %s", dir);
}

/* A new directory in dfd (at `dir`) named `prefix`YYYYMMDD-HHMMSS[-N],
 * made with mkdir (so it was nobody's before); its name goes to name, its
 * path to path. */
static int make_keep_dir(int dfd, const char *dir, const char *prefix, char *name, size_t name_size,
                         char *path, size_t path_size, struct rs_err *err)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	if (strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", &tm) == 0)
		strlcpy(ts, "unknown", sizeof(ts));
	for (int i = 1; i <= 1000; i++) {
		int n = i == 1 ? snprintf(name, name_size, "%s%s", prefix, ts)
		               : snprintf(name, name_size, "%s%s-%d", prefix, ts, i);

		if (n < 0 || (size_t)n >= name_size ||
		    rs_path_join(path, path_size, dir, name) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s is too long", dir);
		if (mkdirat(dfd, name, 0700) == 0) {
			/* it belongs to whoever owns the directory it sits in
			 * (the node's user, in a node directory) */
			struct stat st;
			int rc = fstat(dfd, &st) != 0 ? rs_syserr(err, "cannot inspect", dir)
			         : st.st_uid == geteuid() && st.st_gid == getegid()
			             ? RS_OK
			             : rs_nd_chown_at(dfd, name, st.st_uid, st.st_gid, path, err);

			if (rc != RS_OK)
				(void)unlinkat(dfd, name, AT_REMOVEDIR);
			return rc;
		}
		if (errno != EEXIST)
			return rs_syserr(err, "cannot create", path);
	}
	return rs_errf(err, RS_EEXIST, "too many %s%s directories in %s", prefix, ts, dir);
}

/* The permission bits a new entry takes from the one it replaces: the same,
 * but always readable and writable (and a directory searchable) by its
 * owner - raft must write its files, so a read-only copy is never what it
 * ran on. */
static mode_t want_mode(const struct stat *old)
{
	return (old->st_mode & 07777) | (S_ISDIR(old->st_mode) ? S_IRWXU : S_IRUSR | S_IWUSR);
}

/* Gives entry `name` of sfd (and, for a directory, what it holds) the owner
 * and mode of the entry it replaces (same name in ofd, which may be -1), or
 * the owner `dflt` (the replaced node directory's) when there is none; the
 * caller's --chown owner wins over both. */
static int set_owner_at(const struct rs_nd_replace *r, int sfd, const char *name, int ofd,
                        const struct stat *dflt, int depth, struct rs_err *err)
{
	struct stat st, old;
	int have_old = ofd >= 0 && fstatat(ofd, name, &old, AT_SYMLINK_NOFOLLOW) == 0;
	uid_t uid;
	gid_t gid;
	char p[PATH_MAX];

	(void)rs_path_join(p, sizeof(p), r->stage, name);
	/* an entry it replaces that cannot be looked at: its owner unknown */
	if (ofd >= 0 && !have_old && errno != ENOENT)
		return rs_syserr(err, "cannot inspect the state it replaces, beside", p);
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return rs_syserr(err, "cannot inspect", p);
	if (have_old && (old.st_mode & S_IFMT) != (st.st_mode & S_IFMT))
		have_old = 0;
	uid = r->uid != (uid_t)-1 ? r->uid
	      : have_old          ? old.st_uid
	      : dflt              ? dflt->st_uid
	                          : st.st_uid;
	gid = r->gid != (gid_t)-1 ? r->gid
	      : have_old          ? old.st_gid
	      : dflt              ? dflt->st_gid
	                          : st.st_gid;
	if ((uid != st.st_uid || gid != st.st_gid) &&
	    rs_nd_chown_at(sfd, name, uid, gid, p, NULL) != RS_OK)
		return rs_errf(err, RS_EIO,
		               "cannot give %s the owner %ld:%ld of the state it replaces: %s", p,
		               (long)uid, (long)gid, rs_errno_text(errno).s);
	if (have_old && !S_ISLNK(st.st_mode) && want_mode(&old) != (st.st_mode & 07777) &&
	    fchmodat(sfd, name, want_mode(&old), 0) != 0)
		return rs_syserr(err, "cannot set the mode of", p);
	if (S_ISDIR(st.st_mode) && depth < TREE_MAX_DEPTH) {
		int cfd, ocfd = -1, dfd, rc = RS_OK;
		struct dirent *de;
		DIR *d;

		if ((cfd = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
			return rs_syserr(err, "cannot open", p);
		if (have_old)
			ocfd = openat(ofd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if ((dfd = dup(cfd)) < 0 || (d = fdopendir(dfd)) == NULL) {
			if (dfd >= 0)
				close(dfd);
			close(cfd);
			if (ocfd >= 0)
				close(ocfd);
			return rs_syserr(err, "cannot read", p);
		}
		while (rc == RS_OK && (de = rs_path_readdir(d, p, &rc, err)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				rc = set_owner_at(r, cfd, de->d_name, ocfd, have_old ? &old : dflt,
				                  depth + 1, err);
		closedir(d);
		close(cfd);
		if (ocfd >= 0)
			close(ocfd);
		return rc;
	}
	return RS_OK;
}

/* Owner and mode for the filled stage: the stage directory itself takes the
 * node directory's (swap) - it becomes the node directory -, each entry its
 * counterpart's. */
static int set_owners(struct rs_nd_replace *r, struct rs_err *err)
{
	struct stat nst;
	int have_node = r->nfd >= 0;
	int sfd, dfd, rc = RS_OK;
	struct dirent *de;
	DIR *d;

	/* the node's owner unknown is an error, not root's files in its place */
	if (have_node && fstat(r->nfd, &nst) != 0)
		return rs_syserr(err, "cannot inspect", r->target);

	if (r->mode != PUT_IN_PLACE) {
		rc = set_owner_at(r, r->pfd, r->sname, -1, have_node ? &nst : NULL, TREE_MAX_DEPTH,
		                  err);
		if (rc == RS_OK && have_node && fchmodat(r->pfd, r->sname, want_mode(&nst), 0) != 0)
			rc = rs_syserr(err, "cannot set the mode of", r->stage);
		if (rc == RS_OK && !have_node && fchmodat(r->pfd, r->sname, 0755, 0) != 0)
			rc = rs_syserr(err, "cannot set the mode of", r->stage);
		if (rc != RS_OK)
			return rc;
	}
	if ((rc = open_dir_at(r->mode == PUT_IN_PLACE ? r->nfd : r->pfd, r->sname, r->stage, err,
	                      &sfd)) != RS_OK)
		return rc;
	if ((dfd = dup(sfd)) < 0 || (d = fdopendir(dfd)) == NULL) {
		if (dfd >= 0)
			close(dfd);
		close(sfd);
		return rs_syserr(err, "cannot read", r->stage);
	}
	while (rc == RS_OK && (de = rs_path_readdir(d, r->stage, &rc, err)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rc = set_owner_at(r, sfd, de->d_name, r->nfd, have_node ? &nst : NULL, 0,
			                  err);
	closedir(d);
	if (rc == RS_OK)
		rc = rs_fsync_fd(sfd, r->stage, err);
	close(sfd);
	return rc;
}

static int stage_dirfd(const struct rs_nd_replace *r)
{
	return r->mode == PUT_IN_PLACE ? r->nfd : r->pfd;
}

static void unstage(struct rs_nd_replace *r)
{
	if (r->staged)
		rs_remove_tree_at(stage_dirfd(r), r->sname);
	r->staged = 0;
	r->stage[0] = '\0';
}

/* Makes the stage (where r->mode says), fills, syncs, owns and checks it. */
static int stage_and_fill(struct rs_nd_replace *r, struct rs_err *err)
{
	char prefix[NAME_MAX + 1];
	int sfd, rc;

	if (r->mode == PUT_IN_PLACE)
		(void)snprintf(prefix, sizeof(prefix), ".%s-tmp-", r->verb);
	else if (snprintf(prefix, sizeof(prefix), ".%.200s.%s-tmp-", base_of(r), r->verb) >=
	         (int)sizeof(prefix))
		return rs_errf(err, RS_ELIMIT, "path %s is too long", r->target);
	rc = make_stage_dir(r, stage_dirfd(r), r->mode == PUT_IN_PLACE ? r->target : r->parent,
	                    prefix, err);
	if (rc != RS_OK)
		return rc;
	if ((rc = open_dir_at(stage_dirfd(r), r->sname, r->stage, err, &sfd)) != RS_OK)
		return rc;
	rc = r->fill(r->ctx, sfd, r->stage, r->existed ? r->target : NULL, err);
	if (rc == RS_OK)
		rc = rs_fsync_fd(sfd, r->stage, err);
	close(sfd);
	if (rc == RS_OK)
		rc = set_owners(r, err);
	if (rc == RS_OK && (rc = rs_fsync_fd(stage_dirfd(r), r->parent, err)) == RS_OK &&
	    r->check != NULL)
		rc = r->check(r->ctx, r->stage, err);
	return rc;
}

static int go_in_place(struct rs_nd_replace *r, const char *why, struct rs_err *err)
{
	unstage(r);
	r->mode = PUT_IN_PLACE;
	r->in_place = 1;
	strlcpy(r->in_place_why, why, sizeof(r->in_place_why));
	return stage_and_fill(r, err);
}

int rs_nd_prepare(struct rs_nd_replace *r, struct rs_err *err)
{
	const char *base = base_of(r), *why = NULL;
	struct stat st;
	int rc, other;

	split(r->target, r->parent, sizeof(r->parent), &base);
	if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return rs_errf(err, RS_EINVAL, "%s does not name a node directory", r->target);
	r->pfd = open(r->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->pfd < 0)
		return rs_syserr(err, "cannot open", r->parent);
	r->mode = PUT_NEW;
	if (fstatat(r->pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return rs_errf(
			    err, RS_EINVAL,
			    "%s is a symbolic link; refusing to replace state through it",
			    r->target);
		if (!S_ISDIR(st.st_mode))
			return rs_errf(err, RS_EINVAL, "%s exists and is not a directory",
			               r->target);
		if ((rc = open_dir_at(r->pfd, base, r->target, err, &r->nfd)) != RS_OK)
			return rc;
		r->mode = PUT_SWAP;
		r->existed = state_at(r->nfd, 0) != 0;
		if (r->existed && !r->dbs_held &&
		    (rc = rs_nd_check_unlocked(r->target, "stop it first", err)) != RS_OK)
			return rc;
		if ((other = holds_other_files(r->nfd)) < 0)
			return rs_syserr(err, "cannot read", r->target);
		if (is_mount_point(r->nfd))
			why = "it is a mount point";
		else if (other)
			why = "it holds other files, which stay";
		if (why != NULL)
			return go_in_place(r, why, err);
	} else if (errno != ENOENT) {
		return rs_syserr(err, "cannot inspect", r->target);
	}
	rc = stage_and_fill(r, err);
	if (rc != RS_OK && r->mode == PUT_SWAP && r->staged == 0 &&
	    (err->sys_errno == EACCES || err->sys_errno == EPERM || err->sys_errno == EROFS))
		return go_in_place(r, "its parent directory is not writable", err);
	return rc;
}

/* The swap could not happen for a reason an in-place replacement avoids. */
static int swap_impossible(int e)
{
	return e == EBUSY || e == EXDEV || e == EINVAL || e == ENOSYS || e == EOPNOTSUPP;
}

/* Where one name's old and new entries are during PUT_IN_PLACE. */
enum { AT_NONE, AT_NODE, AT_STAGE, AT_KEEP };
struct name_moves {
	int old_at, new_at;
};

/* Puts name nm back as it was (old entry in the node, new one in the
 * stage); 0, or -1 when a rename fails. */
static int undo_name(int nfd, int sfd, int kfd, const char *nm, const struct name_moves *m)
{
	if (m->new_at == AT_NODE && m->old_at == AT_STAGE)
		return renameat2(sfd, nm, nfd, nm, RENAME_EXCHANGE);
	if (m->new_at == AT_NODE && m->old_at == AT_KEEP) {
		if (renameat2(kfd, nm, nfd, nm, RENAME_EXCHANGE) == 0)
			return renameat(kfd, nm, sfd, nm);
		return renameat(nfd, nm, sfd, nm) != 0 ? -1 : renameat(kfd, nm, nfd, nm);
	}
	if (m->new_at == AT_NODE)
		return renameat(nfd, nm, sfd, nm);
	if (m->old_at == AT_KEEP)
		return renameat(kfd, nm, nfd, nm);
	return 0;
}

/* Moves name nm: the old entry (if any) to the keep directory, the new one
 * (if any) into the node; m says where each went, also on failure (-1). */
static int move_name(int nfd, int sfd, int kfd, const char *nm, struct name_moves *m)
{
	struct stat st;
	int has_old, has_new;

	m->old_at = m->new_at = AT_NONE;
	/* absent is ENOENT only: an old entry not seen would be renamed over,
	 * not kept */
	if ((has_old = fstatat(nfd, nm, &st, AT_SYMLINK_NOFOLLOW) == 0) == 0 && errno != ENOENT)
		return -1;
	if ((has_new = fstatat(sfd, nm, &st, AT_SYMLINK_NOFOLLOW) == 0) == 0 && errno != ENOENT)
		return -1;
	m->old_at = has_old ? AT_NODE : AT_NONE;
	m->new_at = has_new ? AT_STAGE : AT_NONE;
	if (has_old && has_new) {
		if (renameat2(sfd, nm, nfd, nm, RENAME_EXCHANGE) == 0) {
			m->old_at = AT_STAGE;
			m->new_at = AT_NODE;
			if (renameat(sfd, nm, kfd, nm) != 0)
				return -1;
			m->old_at = AT_KEEP;
			return 0;
		}
		if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return -1;
	}
	if (has_old) {
		if (renameat(nfd, nm, kfd, nm) != 0)
			return -1;
		m->old_at = AT_KEEP;
	}
	if (has_new) {
		if (renameat(sfd, nm, nfd, nm) != 0)
			return -1;
		m->new_at = AT_NODE;
	}
	return 0;
}

/* PUT_IN_PLACE: see the table at the top. Not atomic across the names: a
 * kill part way leaves, for each name, its old or its new entry (never a
 * torn file), the old ones in the keep directory or still in the stage. A
 * failure is undone name by name, so that the node is as it was, the stage
 * holds only the new state (rs_nd_replace_end removes it) and the empty
 * keep directory goes; only when the undo fails too are both left, the
 * message saying where. */
static int put_in_place(struct rs_nd_replace *r, struct rs_err *err)
{
	/* raft-stable.db first: a kill between the two leaves the old log with
	 * the new CurrentTerm - valid state (CurrentTerm >= the last log term),
	 * which a re-run of recover accepts - never a new log whose last term
	 * is above the old CurrentTerm */
	static const char *const order[3] = {RS_STABLE_FILE, RS_LOG_FILE, RS_SNAP_DIR};
	struct name_moves moves[3] = {{AT_NONE, AT_NONE}, {AT_NONE, AT_NONE}, {AT_NONE, AT_NONE}};
	char kname[NAME_MAX + 1] = "", prefix[32];
	int sfd = -1, kfd = -1, rc = RS_OK, undone = 1;
	size_t i;

	(void)snprintf(prefix, sizeof(prefix), ".pre-%s-", r->verb);
	if ((rc = open_dir_at(r->nfd, r->sname, r->stage, err, &sfd)) != RS_OK)
		return rc;
	if (state_at(r->nfd, 0) != 0) {
		if ((rc = make_keep_dir(r->nfd, r->target, prefix, kname, sizeof(kname), r->kept,
		                        sizeof(r->kept), err)) != RS_OK)
			kname[0] = '\0'; /* not made: not ours to remove */
		if (rc != RS_OK || (rc = open_dir_at(r->nfd, kname, r->kept, err, &kfd)) != RS_OK)
			goto undo;
	}
	for (i = 0; i < 3; i++)
		if (move_name(r->nfd, sfd, kfd, order[i], &moves[i]) != 0) {
			char p[PATH_MAX];

			(void)rs_path_join(p, sizeof(p), r->target, order[i]);
			rc = rs_syserr(err, "cannot replace", p);
			goto undo;
		}
	if ((kfd >= 0 && (rc = rs_fsync_fd(kfd, r->kept, err)) != RS_OK) ||
	    (rc = rs_fsync_fd(sfd, r->stage, err)) != RS_OK ||
	    (rc = rs_fsync_fd(r->nfd, r->target, err)) != RS_OK)
		goto undo;
	if (unlinkat(r->nfd, r->sname, AT_REMOVEDIR) != 0) {
		rc = rs_syserr(err, "cannot remove the emptied stage", r->stage);
		goto undo;
	}
	r->staged = 0;
	r->stage[0] = '\0';
	rc = rs_fsync_fd(r->nfd, r->target, err);
	goto out;
undo:
	for (i = 3; i-- > 0;)
		if (undo_name(r->nfd, sfd, kfd, order[i], &moves[i]) != 0)
			undone = 0;
	if (undone) {
		if (kname[0] != '\0')
			(void)unlinkat(r->nfd, kname, AT_REMOVEDIR);
		r->kept[0] = '\0';
		(void)fsync(r->nfd);
	} else {
		r->staged = 0; /* it may hold old files: leave it */
		(void)rs_err_append(err,
		                    " (partly replaced: the old files are in %s, the new ones not "
		                    "yet moved in %s)",
		                    r->kept, r->stage);
	}
out:
	if (kfd >= 0)
		close(kfd);
	close(sfd);
	return rc;
}

/* A cluster's shared keep directory: in r->keep_dir (named
 * r->keep_prefix-TS) when that is writable and on the node's file system
 * (a rename must reach it), else in the node's parent (.pre-<verb>-TS). */
static int make_keep_root(struct rs_nd_replace *r, char *keep_root, size_t keep_size,
                          struct rs_err *err)
{
	char name[NAME_MAX + 1], prefix[NAME_MAX + 1];
	struct stat a, b;
	int kfd, rc;

	if (r->keep_dir != NULL && r->keep_prefix != NULL && stat(r->keep_dir, &a) == 0 &&
	    fstat(r->pfd, &b) == 0 && a.st_dev == b.st_dev &&
	    access(r->keep_dir, W_OK | X_OK) == 0 &&
	    (kfd = open(r->keep_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		rc = make_keep_dir(kfd, r->keep_dir, r->keep_prefix, name, sizeof(name), keep_root,
		                   keep_size, err);
		if (rc == RS_OK)
			rc = rs_fsync_fd(kfd, r->keep_dir, err);
		close(kfd);
		return rc;
	}
	(void)snprintf(prefix, sizeof(prefix), ".pre-%s-", r->verb);
	return make_keep_dir(r->pfd, r->parent, prefix, name, sizeof(name), keep_root, keep_size,
	                     err);
}

/* After the exchange the stage holds the replaced directory: rename it over
 * a fresh empty keep directory (keep_root/<id> for a cluster, else the
 * sibling .<id>.pre-<verb>-*). */
static int keep_swapped(struct rs_nd_replace *r, char *keep_root, size_t keep_size,
                        struct rs_err *err)
{
	char name[NAME_MAX + 1], prefix[NAME_MAX + 1];
	int kfd, rc, made;

	/* an empty directory held nothing to keep (rmdir fails on anything else) */
	if (!r->existed && unlinkat(r->pfd, r->sname, AT_REMOVEDIR) == 0) {
		r->staged = 0;
		r->stage[0] = '\0';
		return rs_fsync_fd(r->pfd, r->parent, err);
	}
	if (keep_root != NULL) {
		if (keep_root[0] == '\0' &&
		    (rc = make_keep_root(r, keep_root, keep_size, err)) != RS_OK)
			return rc;
		if (rs_path_join(r->kept, sizeof(r->kept), keep_root, base_of(r)) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s is too long", keep_root);
		kfd = open(keep_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (kfd < 0)
			return rs_syserr(err, "cannot open", keep_root);
		made = mkdirat(kfd, base_of(r), 0700) == 0;
		if (!made || renameat(r->pfd, r->sname, kfd, base_of(r)) != 0) {
			rc = rs_syserr(err, "cannot keep the replaced state in", r->kept);
			if (made)
				(void)unlinkat(kfd, base_of(r), AT_REMOVEDIR);
			close(kfd);
			return rc;
		}
		r->staged = 0;
		rc = rs_fsync_fd(kfd, keep_root, err);
		close(kfd);
	} else {
		(void)snprintf(prefix, sizeof(prefix), ".%.200s.pre-%s-", base_of(r), r->verb);
		if ((rc = make_keep_dir(r->pfd, r->parent, prefix, name, sizeof(name), r->kept,
		                        sizeof(r->kept), err)) != RS_OK)
			return rc;
		/* over the empty directory just made: the name was ours */
		if (renameat(r->pfd, r->sname, r->pfd, name) != 0) {
			rc = rs_syserr(err, "cannot keep the replaced state in", r->kept);
			(void)unlinkat(r->pfd, name, AT_REMOVEDIR);
			return rc;
		}
		r->staged = 0;
		rc = RS_OK;
	}
	r->stage[0] = '\0';
	if (rc == RS_OK)
		rc = rs_fsync_fd(r->pfd, r->parent, err);
	return rc;
}

/* After the exchange (node = new state, stage = the replaced one): the
 * parent synced and the replaced state moved to its keep name. When that
 * fails while the replaced state is still under the stage's name, the
 * exchange is undone, so that a failed commit changed nothing and leaves no
 * stage: the stage holds this run's new state again, which
 * rs_nd_replace_end removes. Only when the undo fails too does the new state
 * stay, the replaced one under the stage's name (r->kept names it; a later
 * run salvages it). A failure once the replaced state is kept (a sync)
 * leaves the new state in place, r->kept naming the old. */
static int settle_swap(struct rs_nd_replace *r, char *keep_root, size_t keep_size,
                       struct rs_err *err)
{
	int made_root = keep_root != NULL && keep_root[0] == '\0';
	int rc = rs_fsync_fd(r->pfd, r->parent, err);

	if (rc == RS_OK)
		rc = keep_swapped(r, keep_root, keep_size, err);
	if (rc == RS_OK)
		return RS_OK;
	if (r->stage[0] == '\0')
		return rc;
	r->kept[0] = '\0';
	/* a keep root made for this node alone (or named, not made) goes */
	if (made_root && keep_root[0] != '\0' && (rmdir(keep_root) == 0 || errno == ENOENT))
		keep_root[0] = '\0';
	if (renameat2(r->pfd, r->sname, r->pfd, base_of(r), RENAME_EXCHANGE) == 0) {
		r->staged = 1;
		(void)fsync(r->pfd);
		return rc;
	}
	strlcpy(r->kept, r->stage, sizeof(r->kept));
	r->stage[0] = '\0';
	r->replaced = 1;
	(void)rs_err_append(err, " (the new state is in place; the replaced state is in %s)",
	                    r->kept);
	return rc;
}

/* ---- leftovers of killed runs ---- */

/* rest is "<verb>-tmp-<hex/digits/->" (a stage of any version of this
 * tool), or for a sibling also "gen-<8 hex>" (generate before nodedir). */
static int is_stage_rest(const char *rest, int sibling)
{
	static const char *const verbs[] = {"restore-tmp-", "recover-tmp-", "generate-tmp-"};
	const char *p = NULL;

	for (size_t i = 0; i < 3 && p == NULL; i++)
		if (strncmp(rest, verbs[i], strlen(verbs[i])) == 0)
			p = rest + strlen(verbs[i]);
	if (p == NULL && sibling && strncmp(rest, "gen-", 4) == 0 && strlen(rest) == 12)
		p = rest + 4;
	if (p == NULL || *p == '\0')
		return 0;
	for (; *p; p++)
		if (strchr("0123456789abcdef-", *p) == NULL)
			return 0;
	return 1;
}

/* A partly written database of a killed write (raftstate/generate.c names
 * them .<name>.tmp-XXXXXXXX): never state anyone needs. */
static int is_unfinished_file(const char *name)
{
	return name[0] == '.' && strstr(name, ".tmp-") != NULL;
}

static int same_bytes(int afd, int bfd)
{
	static char a[1 << 16], b[1 << 16];

	for (;;) {
		ssize_t n = read(afd, a, sizeof(a)), m;

		if (n < 0)
			return 0;
		if (n == 0)
			return read(bfd, b, 1) == 0;
		for (m = 0; m < n;) {
			ssize_t k = read(bfd, b + m, (size_t)(n - m));

			if (k <= 0)
				return 0;
			m += k;
		}
		if (memcmp(a, b, (size_t)n) != 0)
			return 0;
	}
}

/* 1 when every file under directory lfd is also under tfd (same relative
 * path, a regular file with the same bytes). */
static int covered(int lfd, int tfd, int depth)
{
	struct dirent *de;
	int dfd, ok = 1;
	DIR *d;

	if (depth > TREE_MAX_DEPTH || (dfd = dup(lfd)) < 0)
		return 0;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return 0;
	}
	/* a listing cut short by an error covers nothing (the leftover stays) */
	for (errno = 0; ok && (de = readdir(d)) != NULL; errno = 0) {
		struct stat ls, ts;
		int a, b;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(lfd, de->d_name, &ls, AT_SYMLINK_NOFOLLOW) != 0) {
			ok = 0;
			break;
		}
		if (S_ISREG(ls.st_mode) && is_unfinished_file(de->d_name))
			continue;
		if (tfd < 0 || fstatat(tfd, de->d_name, &ts, AT_SYMLINK_NOFOLLOW) != 0 ||
		    (ls.st_mode & S_IFMT) != (ts.st_mode & S_IFMT) ||
		    !(S_ISREG(ls.st_mode) || S_ISDIR(ls.st_mode)) ||
		    (S_ISREG(ls.st_mode) && ls.st_size != ts.st_size)) {
			ok = 0;
			break;
		}
		a = openat(lfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		b = openat(tfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (a < 0 || b < 0)
			ok = 0;
		else
			ok = S_ISDIR(ls.st_mode) ? covered(a, b, depth + 1) : same_bytes(a, b);
		if (a >= 0)
			close(a);
		if (b >= 0)
			close(b);
	}
	if (ok && errno != 0)
		ok = 0;
	closedir(d);
	return ok;
}

/* Removes or keeps the leftover `name` in dfd (at `dir`), comparing it with
 * the directory tfd. */
static void settle_leftover(struct rs_nd_replace *r, int dfd, const char *dir, const char *name,
                            int tfd, const char *keep_prefix)
{
	char kname[NAME_MAX + 1], kpath[PATH_MAX];
	struct rs_err e = {0};
	int lfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), ok;

	if (lfd < 0)
		return;
	ok = covered(lfd, tfd, 0);
	close(lfd);
	if (ok) {
		rs_remove_tree_at(dfd, name);
		r->cleaned++;
		return;
	}
	if (make_keep_dir(dfd, dir, keep_prefix, kname, sizeof(kname), kpath, sizeof(kpath), &e) ==
	    RS_OK) {
		if (renameat(dfd, name, dfd, kname) == 0) {
			r->salvaged++;
			strlcpy(r->salvaged_to, kpath, sizeof(r->salvaged_to));
		} else {
			(void)unlinkat(dfd, kname, AT_REMOVEDIR);
		}
	}
}

/* Every stage left beside the node and inside it by a killed run (this
 * run's own are gone by now); run under the lock, after the replace. */
static void settle_leftovers(struct rs_nd_replace *r)
{
	char prefix[NAME_MAX + 1], kprefix[NAME_MAX + 1];
	int tfd, dfd;
	size_t plen;
	struct dirent *de;
	DIR *d;

	(void)snprintf(prefix, sizeof(prefix), ".%.200s.", base_of(r));
	plen = strlen(prefix);
	tfd = open(r->target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	for (int pass = 0; pass < 2; pass++) {
		int where = pass == 0 ? r->pfd : tfd;

		if (where < 0 || (dfd = dup(where)) < 0)
			continue;
		if ((d = fdopendir(dfd)) == NULL) {
			close(dfd);
			continue;
		}
		(void)snprintf(kprefix, sizeof(kprefix),
		               pass == 0 ? ".%.200s.pre-%s-interrupted-" : ".pre-%s-interrupted-",
		               pass == 0 ? base_of(r) : r->verb, r->verb);
		for (size_t seen = 0; (de = readdir(d)) != NULL && seen < LIST_MAX; seen++) {
			const char *n = de->d_name;

			if (pass == 0 ? strncmp(n, prefix, plen) == 0 && is_stage_rest(n + plen, 1)
			              : n[0] == '.' && is_stage_rest(n + 1, 0))
				settle_leftover(r, where, pass == 0 ? r->parent : r->target, n, tfd,
				                kprefix);
		}
		closedir(d);
	}
	if (tfd >= 0)
		close(tfd);
}

int rs_nd_commit(struct rs_nd_replace *r, char *keep_root, size_t keep_size, struct rs_err *err)
{
	const char *base = base_of(r);
	int rc;

	/* op-conductor may have started on it since the prepare */
	if (r->existed && !r->dbs_held &&
	    (rc = rs_nd_check_unlocked(r->target, "stop it first", err)) != RS_OK)
		return rc;
	if (r->mode == PUT_NEW) {
		if (renameat2(r->pfd, r->sname, r->pfd, base, RENAME_NOREPLACE) != 0 &&
		    (errno != EINVAL || renameat(r->pfd, r->sname, r->pfd, base) != 0))
			return rs_syserr(err, "cannot move the new state to", r->target);
		r->staged = 0;
		r->stage[0] = '\0';
		if ((rc = rs_fsync_fd(r->pfd, r->parent, err)) != RS_OK)
			return rc;
	} else if (r->mode == PUT_SWAP &&
	           renameat2(r->pfd, r->sname, r->pfd, base, RENAME_EXCHANGE) == 0) {
		r->staged = 0; /* it holds the replaced state now: never removed */
		if ((rc = settle_swap(r, keep_root, keep_size, err)) != RS_OK)
			return rc;
	} else {
		if (r->mode == PUT_SWAP) {
			int e = errno;

			if (!swap_impossible(e))
				return rs_syserr(err, "cannot swap the new state into", r->target);
			if ((rc = go_in_place(r,
			                      e == EBUSY || e == EXDEV
			                          ? "it cannot be renamed (a mount point?)"
			                          : "the file system cannot swap directories",
			                      err)) != RS_OK)
				return rc;
			if (r->existed && !r->dbs_held &&
			    (rc = rs_nd_check_unlocked(r->target, "stop it first", err)) != RS_OK)
				return rc;
		}
		if ((rc = put_in_place(r, err)) != RS_OK)
			return rc;
	}
	r->replaced = 1;
	settle_leftovers(r);
	return RS_OK;
}

void rs_nd_replace_end(struct rs_nd_replace *r)
{
	if (r->pfd >= 0 || r->nfd >= 0)
		unstage(r);
	if (r->pfd >= 0)
		close(r->pfd);
	if (r->nfd >= 0)
		close(r->nfd);
	r->pfd = r->nfd = -1;
}

int rs_nd_replace_node(struct rs_nd_replace *r, char *keep_root, size_t keep_size,
                       struct rs_err *err)
{
	int rc = rs_nd_prepare(r, err);

	if (rc == RS_OK)
		rc = rs_nd_commit(r, keep_root, keep_size, err);
	rs_nd_replace_end(r);
	return rc;
}

int rs_nd_chown_at(int dirfd, const char *name, uid_t uid, gid_t gid, const char *shown,
                   struct rs_err *err)
{
	int e, rc;

	if (uid == (uid_t)-1 && gid == (gid_t)-1)
		return RS_OK;
	if (fchownat(dirfd, name, uid, gid, *name == '\0' ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW) ==
	    0)
		return RS_OK;
	e = errno;
	rc = rs_errf(err, RS_EIO, "cannot change the owner of %s: %s", shown, rs_errno_text(e).s);
	if (err != NULL)
		err->sys_errno = e;
	errno = e;
	return rc;
}

int rs_nd_chown_path(const char *path, uid_t uid, gid_t gid, struct rs_err *err)
{
	struct stat st;
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC), rc;

	if (fd < 0) {
		int e = errno;

		rc = rs_errf(err, RS_EIO, "cannot open %s to change its owner: %s",
		             rs_qpath(path).s, rs_errno_text(e).s);
		if (err != NULL)
			err->sys_errno = e;
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		rc = rs_syserr(err, "cannot inspect", rs_qpath(path).s);
		close(fd);
		return rc;
	}
	if (S_ISLNK(st.st_mode)) {
		close(fd);
		return rs_errf(err, RS_EINVAL,
		               "%s is a symbolic link; refusing to change its owner",
		               rs_qpath(path).s);
	}
	rc = rs_nd_chown_at(fd, "", uid, gid, rs_qpath(path).s, err);
	close(fd);
	return rc;
}
