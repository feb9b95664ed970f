/*
 * Making a backup of Raft state directories: rs_backup_plan and
 * rs_backup_apply. See backup.h for the layout of a backup.
 *
 * Order inside a node, so that the copy is one state raft can start from
 * even while a node runs: raft-log.db first, then raft-stable.db (raft
 * raises CurrentTerm before it appends entries of the new term, so the later
 * stable copy has a term >= every copied entry), then snapshots/ (raft
 * compacts the log only after a snapshot is stored, so snapshots listed
 * after the log copy cover everything below its first index).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "bolt/copy.h"
#include "bolt/file.h"
#include "bolt/lock.h"
#include "raftstate/backup.h"
#include "raftstate/backupfile.h"
#include "raftstate/filecopy.h"
#include "raftstate/manifest.h"
#include "raftstate/node.h"
#include "raftstate/nodedir.h"
#include "raftstate/path.h"

#define SNAPSHOT_RETRIES 5

/* ---- small helpers ----------------------------------------------------- */

/* Go's time.RFC3339 in local time: 2006-01-02T15:04:05Z07:00. */
static void rfc3339(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	char z[32];
	size_t n;

	localtime_r(&now, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (tm.tm_gmtoff == 0) {
		strlcat(buf, "Z", size);
		return;
	}
	(void)n;
	(void)snprintf(z, sizeof(z), "%c%02ld:%02ld", tm.tm_gmtoff < 0 ? '-' : '+',
	               labs(tm.tm_gmtoff) / 3600, (labs(tm.tm_gmtoff) % 3600) / 60);
	strlcat(buf, z, size);
}

/* ---- backup ------------------------------------------------------------ */

/* RS_ELIMIT with one sentence when `need` bytes do not fit in the free
 * space of the file system holding dir (statvfs: what an unprivileged
 * writer may use). */
static int check_space(const char *dir, uint64_t need, const char *what, struct rs_err *err)
{
	struct statvfs vs;
	uint64_t avail;

	if (statvfs(dir, &vs) != 0)
		return rs_syserr(err, "cannot inspect the file system of", dir);
	avail = (uint64_t)vs.f_bavail * (uint64_t)vs.f_frsize;
	if (need > avail)
		return rs_errf(err, RS_ELIMIT,
		               "%s needs %llu bytes, but the file system of %s has only %llu free",
		               what, (unsigned long long)need, dir, (unsigned long long)avail);
	return RS_OK;
}

/* The locked copy of the database fd (src, LOCK_SH held): it must be a
 * bbolt file of plausible size (bolt_copy_check) and fit in the backup's
 * file system before a byte is copied; then its bytes, checksummed. */
static int copy_locked_db(int fd, const char *src, int out, const char *dst,
                          const struct rs_backup_opts *opt, struct bolt_copy_info *info,
                          struct rs_backup_file *f, struct rs_err *err)
{
	struct rs_bk_relay relay = {.pg = &opt->progress, .verb = "copying", .file = src};
	struct bolt_err be = {0};
	char dir[PATH_MAX];
	struct stat st;
	int rc;

	if (fstat(fd, &st) != 0)
		return rs_syserr(err, "cannot stat", src);
	if (bolt_copy_check(fd, (uint64_t)st.st_size, src, info, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	rs_path_parent(dst, dir, sizeof(dir));
	if ((rc = check_space(dir, (uint64_t)st.st_size, src, err)) != RS_OK)
		return rc;
	rc = rs_copy_range(fd, out, (uint64_t)st.st_size, src,
	                   opt->progress.fn != NULL ? rs_bk_relay_progress : NULL, &relay,
	                   &f->crc32, err);
	if (rc != RS_OK)
		return rc;
	f->crc_known = 1;
	f->size = (uint64_t)st.st_size;
	return RS_OK;
}

/* Before a live copy: it holds at most the pages below the high-water mark
 * of the newest meta, which must fit in the backup's file system. Metas
 * that cannot be read here (a writer mid-commit) are left to
 * bolt_copy_live, which retries and judges them. */
static int live_space(int fd, const char *src, const char *dst, struct rs_err *err)
{
	struct bolt_copy_info info = {0};
	struct bolt_err be = {0};
	char dir[PATH_MAX];
	struct stat st;

	if (fstat(fd, &st) != 0 ||
	    bolt_copy_check(fd, (uint64_t)st.st_size, src, &info, &be) != BOLT_OK)
		return RS_OK;
	rs_path_parent(dst, dir, sizeof(dir));
	return check_space(dir, info.pages * info.page_size, src, err);
}

/* One database: the locked copy, or with --live the lock-free one when a
 * writer holds the lock (it holds LOCK_EX for as long as it runs, so
 * --live does not wait for it). */
static int backup_db(const char *src, const char *dst, const char *rel,
                     const struct rs_backup_opts *opt, struct rs_bk_files *files,
                     struct rs_backup_result *res, struct rs_err *err)
{
	struct bolt_copy_info info = {0};
	struct rs_backup_file copied = {0}, *f;
	struct bolt_err be = {0};
	struct stat st;
	int in, fd, rc = RS_OK;

	if (bolt_file_open(AT_FDCWD, src, 0, NULL, &in, &st, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = rs_syserr(err, "cannot create", dst);
		close(in);
		return rc;
	}
	switch (bolt_lock(in, LOCK_SH, opt->live ? 0 : opt->lock_timeout, src, &be)) {
	case BOLT_OK:
		rc = copy_locked_db(in, src, fd, dst, opt, &info, &copied, err);
		bolt_unlock(in);
		break;
	case BOLT_ELOCKED:
		if (opt->live) {
			if ((rc = live_space(in, src, dst, err)) == RS_OK &&
			    bolt_copy_live(src, fd, 0, &info, &be) != BOLT_OK)
				rc = rs_err_from_bolt(err, &be);
			break;
		}
		rc = rs_errf(err, RS_ELOCKED,
		             "%s is locked by another process (is op-conductor running?); "
		             "gave up after %.1f s (use --live to copy it without the lock)",
		             src, opt->lock_timeout);
		break;
	default:
		rc = rs_err_from_bolt(err, &be);
	}
	close(in);
	/* fsynced with the rest of the backup once it is verified (sync_copies) */
	if (close(fd) != 0 && rc == RS_OK)
		rc = rs_syserr(err, "cannot write", dst);
	if (rc != RS_OK)
		return rc;
	if ((f = rs_bk_files_add(files, rel, err)) == NULL)
		return err->code;
	f->is_db = 1;
	f->live = info.live;
	f->txid = info.txid;
	f->pages = info.pages;
	if (copied.crc_known) { /* the locked copy checksummed what it wrote */
		f->crc_known = 1;
		f->size = copied.size;
		f->crc32 = copied.crc32;
	}
	res->ndb++;
	if (info.live) {
		res->nlive++;
		if (info.attempts > res->max_attempts)
			res->max_attempts = info.attempts;
	}
	return RS_OK;
}

/* The copy of snapshots/ in progress: where from, where to, the backup's
 * name for it, and whether something vanished under it (a running raft
 * deleted an old snapshot: the copy starts over). */
struct snap_copy {
	const char *src, *dst, *rel_node;
	struct rs_bk_files *files;
	int vanished;
};

/* One file `name` of snapshot `snap` (s1 -> d1): a regular file, copied
 * and listed. */
static int copy_snapshot_file(struct snap_copy *c, const char *snap, const char *s1, const char *d1,
                              const char *name, struct rs_err *err)
{
	char s2[PATH_MAX], d2[PATH_MAX], rel[PATH_MAX];
	struct rs_backup_file *f;
	struct stat st;
	uint64_t size;
	uint32_t crc;
	int rc;

	if (rs_path_join(s2, sizeof(s2), s1, name) || rs_path_join(d2, sizeof(d2), d1, name) ||
	    snprintf(rel, sizeof(rel), "%s%s%s/%s/%s", c->rel_node, *c->rel_node ? "/" : "",
	             RS_SNAP_DIR, snap, name) >= (int)sizeof(rel))
		return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", s1, name);
	if (lstat(s2, &st) != 0) {
		c->vanished = errno == ENOENT;
		return c->vanished ? RS_OK : rs_syserr(err, "cannot inspect", s2);
	}
	if (!S_ISREG(st.st_mode)) /* meta.json or state.bin as a FIFO: the copy
	                           * would not verify; say why */
		return rs_errf(err, RS_ECORRUPT, "%s is %s, not a regular file", s2,
		               bolt_file_kind(st.st_mode));
	/* fsynced with the rest of the backup once it is verified */
	rc = rs_bk_copy_at(s2, AT_FDCWD, d2, d2, 0644, 0, NULL, &size, &crc, err);
	if (rc != RS_OK && err->sys_errno == ENOENT) {
		c->vanished = 1;
		return RS_OK;
	}
	if (rc != RS_OK)
		return rc;
	if ((f = rs_bk_files_add(c->files, rel, err)) == NULL)
		return err->code;
	f->crc_known = 1;
	f->size = size;
	f->crc32 = crc;
	return RS_OK;
}

/* One entry `snap` of snapshots/: a directory (a snapshot) copied file by
 * file and synced; anything else is not raft's and skipped. */
static int copy_snapshot(struct snap_copy *c, const char *snap, struct rs_err *err)
{
	char s1[PATH_MAX], d1[PATH_MAX];
	struct dirent *fe;
	struct stat st;
	int rc = RS_OK;
	DIR *sd;

	if (rs_path_join(s1, sizeof(s1), c->src, snap) ||
	    rs_path_join(d1, sizeof(d1), c->dst, snap))
		return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", c->src, snap);
	if (lstat(s1, &st) != 0) {
		c->vanished = errno == ENOENT;
		return c->vanished ? RS_OK : rs_syserr(err, "cannot inspect", s1);
	}
	if (!S_ISDIR(st.st_mode))
		return RS_OK; /* raft keeps only directories here */
	if (mkdir(d1, 0755) != 0)
		return rs_syserr(err, "cannot create", d1);
	if ((sd = opendir(s1)) == NULL) {
		c->vanished = errno == ENOENT;
		return c->vanished ? RS_OK : rs_syserr(err, "cannot read", s1);
	}
	while (rc == RS_OK && !c->vanished && (fe = rs_path_readdir(sd, s1, &rc, err)) != NULL)
		if (fe->d_name[0] != '.')
			rc = copy_snapshot_file(c, snap, s1, d1, fe->d_name, err);
	closedir(sd);
	return rc;
}

/* One attempt at the whole snapshots/ (complete snapshots only: raft
 * ignores *.tmp), into a fresh dst. */
static int copy_snapshots_once(struct snap_copy *c, struct rs_err *err)
{
	struct dirent *de;
	int rc = RS_OK;
	DIR *d;

	rs_remove_tree(c->dst);
	if (mkdir(c->dst, 0755) != 0)
		return rs_syserr(err, "cannot create", c->dst);
	if ((d = opendir(c->src)) == NULL)
		return rs_syserr(err, "cannot read", c->src);
	while (rc == RS_OK && !c->vanished && (de = rs_path_readdir(d, c->src, &rc, err)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] != '.' && !(l > 4 && strcmp(de->d_name + l - 4, ".tmp") == 0))
			rc = copy_snapshot(c, de->d_name, err);
	}
	closedir(d);
	return rc;
}

/* Copies <node>/snapshots/ (complete snapshots only: raft ignores *.tmp).
 * A running raft may delete an old snapshot while we copy it; then the
 * whole snapshots/ copy starts over (a newer snapshot exists by then). */
static int backup_snapshots(const char *node, const char *dst_node, const char *rel_node,
                            struct rs_bk_files *files, struct rs_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct snap_copy c = {src, dst, rel_node, files, 0};
	size_t mark = files->n;
	struct stat st;
	int rc;

	if ((rc = rs_path_join_err(src, sizeof(src), node, RS_SNAP_DIR, err)) ||
	    (rc = rs_path_join_err(dst, sizeof(dst), dst_node, RS_SNAP_DIR, err)))
		return rc;
	if (lstat(src, &st) != 0) {
		if (errno == ENOENT)
			return RS_OK;
		return rs_syserr(err, "cannot inspect", src);
	}
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_ECORRUPT, "%s is not a directory", src);
	for (int attempt = 0; attempt < SNAPSHOT_RETRIES; attempt++) {
		files->n = mark;
		c.vanished = 0;
		if ((rc = copy_snapshots_once(&c, err)) != RS_OK)
			return rc;
		if (!c.vanished)
			return RS_OK;
	}
	return rs_errf(err, RS_EIO,
	               "%s kept changing while it was copied; stop op-conductor, or run "
	               "the backup again",
	               src);
}

static int backup_node(const char *node, const char *dst_node, const char *rel_node,
                       const struct rs_backup_opts *opt, struct rs_bk_files *files,
                       struct rs_backup_result *res, struct rs_err *err)
{
	static const char *const dbs[] = {RS_LOG_FILE, RS_STABLE_FILE};
	char src[PATH_MAX], dst[PATH_MAX], rel[PATH_MAX];
	struct stat st;
	int rc;

	for (size_t i = 0; i < 2; i++) {
		if ((rc = rs_path_join_err(src, sizeof(src), node, dbs[i], err)) ||
		    (rc = rs_path_join_err(dst, sizeof(dst), dst_node, dbs[i], err)) ||
		    (rc = rs_path_join_err(rel, sizeof(rel), rel_node, dbs[i], err)))
			return rc;
		if (lstat(src, &st) != 0) {
			if (errno == ENOENT)
				return rs_errf(err, RS_ENOTFOUND, "%s is missing", src);
			return rs_syserr(err, "cannot inspect", src);
		}
		if (!S_ISREG(st.st_mode))
			return rs_errf(err, RS_ECORRUPT, "%s is %s, not a regular file", src,
			               bolt_file_kind(st.st_mode));
		if ((rc = backup_db(src, dst, rel, opt, files, res, err)) != RS_OK)
			return rc;
	}
	return backup_snapshots(node, dst_node, rel_node, files, err);
}

static int write_text(const char *path, const char *text, struct rs_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	size_t len = strlen(text), off = 0;
	int rc = RS_OK;

	if (fd < 0)
		return rs_syserr(err, "cannot create", path);
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = rs_syserr(err, "cannot write", path);
			break;
		}
		off += (size_t)w;
	}
	if (rc == RS_OK)
		rc = rs_fsync_fd(fd, path, err);
	if (close(fd) != 0 && rc == RS_OK)
		rc = rs_syserr(err, "cannot write", path);
	return rc;
}

static int write_manifest(const char *dir, const struct rs_backup_result *res, const char *version,
                          const char *created, char **nodes, size_t nnodes, struct rs_err *err)
{
	struct rs_manifest m = {.layout = res->layout,
	                        .version = version,
	                        .created = created,
	                        .source = res->source,
	                        .nodes = nodes,
	                        .nnodes = nnodes,
	                        .files = res->files,
	                        .nfiles = res->nfiles};
	char path[PATH_MAX], *text = rs_manifest_text(&m);
	int rc;

	if (text == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory writing the manifest");
	if ((rc = rs_path_join_err(path, sizeof(path), dir, RS_BACKUP_MANIFEST, err)) == RS_OK)
		rc = write_text(path, text, err);
	free(text);
	return rc;
}

static int verify_tree(const char *dir, int layout, char **nodes, size_t nnodes,
                       double lock_timeout, struct rs_problems *problems, struct rs_err *err)
{
	struct rs_verify_opts vo = {.lock_timeout = lock_timeout, .live = 0};
	char p[PATH_MAX];
	int rc;

	for (size_t i = 0; i < (layout == RS_LAYOUT_NODE ? 1 : nnodes); i++) {
		size_t before = problems->errors;

		if (layout == RS_LAYOUT_NODE)
			strlcpy(p, dir, sizeof(p));
		else if ((rc = rs_path_join_err(p, sizeof(p), dir, nodes[i], err)) != RS_OK)
			return rc;
		if ((rc = rs_verify_node(p, &vo, problems, err)) != RS_OK)
			return rc;
		if (problems->errors > before)
			return rs_errf(err, RS_ECORRUPT, "%s does not verify", p);
	}
	return RS_OK;
}

/* Whether directory a is b or holds it (paths as this file builds them). */
static int holds(const char *a, const char *b)
{
	size_t l = strlen(a);

	return strncmp(a, b, l) == 0 && (b[l] == '\0' || b[l] == '/');
}

/*
 * Makes the copies in `dir` durable: every file fsynced, then every
 * directory from each file's up to `dir` itself. It runs after the verify,
 * so the verify reads the copies while the disk still writes their last
 * chunks (rs_copy_range started each chunk's write-back), and the first
 * fsync here waits only for what is left; until the finished backup is
 * renamed (after this) a crash leaves only the hidden temporary directory.
 * files lists the files depth first (a directory's files one after
 * another), so a file's directories not yet synced are those that do not
 * hold the previous file.
 */
static int sync_copies(const char *dir, const struct rs_bk_files *files, struct rs_err *err)
{
	char p[PATH_MAX], d[PATH_MAX], prev[PATH_MAX] = "";
	int rc;

	for (size_t i = 0; i < files->n; i++)
		if ((rc = rs_path_join_err(p, sizeof(p), dir, files->v[i].path, err)) != RS_OK ||
		    (rc = rs_fsync_path(p, err)) != RS_OK)
			return rc;
	for (size_t i = 0; i < files->n; i++) {
		if ((rc = rs_path_join_err(p, sizeof(p), dir, files->v[i].path, err)) != RS_OK)
			return rc;
		rs_path_parent(p, d, sizeof(d));
		/* bounded: each step shortens d, and it stops at dir */
		while (holds(dir, d) && !(*prev != '\0' && holds(d, prev))) {
			char up[PATH_MAX];

			if ((rc = rs_fsync_path(d, err)) != RS_OK)
				return rc;
			if (strcmp(d, dir) == 0)
				break;
			rs_path_parent(d, up, sizeof(up));
			strlcpy(d, up, sizeof(d));
		}
		rs_path_parent(p, prev, sizeof(prev));
	}
	return files->n == 0 ? rs_fsync_path(dir, err) : RS_OK;
}

/* --compress: replaces every file of the verified backup in `dir` by
 * <file>.gz, then reads every .gz back and checks it against the size and
 * crc32 the manifest will list. */
static int compress_tree(const char *dir, struct rs_bk_files *files, unsigned threads,
                         const struct rs_progress *pg, struct rs_err *err)
{
	char plain[PATH_MAX], gz[PATH_MAX + 4], parent[PATH_MAX];
	uint64_t size;
	uint32_t crc;
	int rc;

	for (size_t i = 0; i < files->n; i++) {
		struct rs_backup_file *f = &files->v[i];

		if ((rc = rs_path_join_err(plain, sizeof(plain), dir, f->path, err)) != RS_OK)
			return rc;
		(void)snprintf(gz, sizeof(gz), "%s" RS_BK_GZ_SUFFIX, plain);
		if ((rc = rs_bk_gzip_file(plain, gz, f->size, f->crc32, threads, pg,
		                          &f->stored_size, err)) != RS_OK)
			return rc;
		if (unlink(plain) != 0)
			return rs_syserr(err, "cannot remove", plain);
		f->compressed = 1;
		rs_path_parent(plain, parent, sizeof(parent));
		if ((rc = rs_fsync_path(parent, err)) != RS_OK)
			return rc;
	}
	for (size_t i = 0; i < files->n; i++) {
		const struct rs_backup_file *f = &files->v[i];

		if ((rc = rs_path_join_err(plain, sizeof(plain), dir, f->path, err)) != RS_OK)
			return rc;
		(void)snprintf(gz, sizeof(gz), "%s" RS_BK_GZ_SUFFIX, plain);
		if ((rc = rs_bk_gunzip_file(gz, gz, -1, NULL, f->size, threads, pg, &size, &crc,
		                            err)) != RS_OK)
			return rc;
		if (size != f->size || crc != f->crc32)
			return rs_errf(
			    err, RS_EIO,
			    "%s reads back as %llu bytes with crc32 %08x, but %llu bytes "
			    "with crc32 %08x were compressed",
			    gz, (unsigned long long)size, crc, (unsigned long long)f->size,
			    f->crc32);
	}
	return RS_OK;
}

/* The backup is on disk (fsynced) and checked, so its pages in the page
 * cache are clean and of no more use here; the verify's read even made them
 * look recently used. Dropping them keeps the backup of a multi-GB log from
 * pushing the working set of the node's other processes (op-node, the
 * execution client) out of memory. Only a hint: failures are ignored. */
static void drop_cached(const char *dir, const struct rs_bk_files *files)
{
	char p[PATH_MAX], gz[PATH_MAX + 4];

	for (size_t i = 0; i < files->n; i++) {
		const struct rs_backup_file *f = &files->v[i];
		struct stat st;
		int fd;

		if (rs_path_join(p, sizeof(p), dir, f->path) != 0)
			continue;
		(void)snprintf(gz, sizeof(gz), "%s%s", p, f->compressed ? RS_BK_GZ_SUFFIX : "");
		if (bolt_file_open(AT_FDCWD, gz, 0, NULL, &fd, &st, NULL) != BOLT_OK)
			continue;
		rs_drop_cached(fd, (uint64_t)st.st_size);
		close(fd);
	}
}

static int finish_name(const char *backup_dir, const char *tmp, const char *ts, char *final,
                       size_t size, struct rs_err *err)
{
	char name[128];

	for (int i = 1; i <= 1000; i++) {
		if (i == 1)
			(void)snprintf(name, sizeof(name), "raft-backup-%s", ts);
		else
			(void)snprintf(name, sizeof(name), "raft-backup-%s-%d", ts, i);
		if (rs_path_join(final, size, backup_dir, name) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", backup_dir, name);
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) == 0) {
			int rc = rs_fsync_path(backup_dir, err);

			/* a name that may not survive a crash makes a failed
			 * backup, and a failed backup leaves nothing behind */
			if (rc != RS_OK)
				rs_remove_tree(final);
			return rc;
		}
		if (errno != EEXIST && errno != ENOTEMPTY)
			return rs_syserr(err, "cannot rename the finished backup to", final);
	}
	return rs_errf(err, RS_EEXIST, "%s/raft-backup-%s already exists 1000 times", backup_dir,
	               ts);
}
/* What state_dir is (a node, or a cluster root) and, for a cluster, its
 * node directories (sorted names). */
static int find_layout(const char *state_dir, int *layout, char ***nodes, size_t *nnodes,
                       struct rs_err *err)
{
	int rc;

	*nodes = NULL;
	*nnodes = 0;
	if (rs_nd_has(state_dir, RS_ND_DBS)) {
		*layout = RS_LAYOUT_NODE;
		return RS_OK;
	}
	*layout = RS_LAYOUT_CLUSTER;
	if ((rc = rs_nd_list(state_dir, 0, nodes, nnodes, err)) != RS_OK)
		return rc;
	if (*nnodes == 0)
		return rs_errf(err, RS_ENOTFOUND,
		               "no Raft state in %s: neither %s nor node directories holding it; "
		               "give a node directory (<raft.storage.dir>/<server-id>) or the "
		               "storage directory above it",
		               state_dir, RS_LOG_FILE);
	return RS_OK;
}

int rs_backup_plan(const char *state_dir, const char *backup_dir, struct rs_backup_plan *plan,
                   struct rs_err *err)
{
	struct stat st;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if (stat(state_dir, &st) != 0)
		return rs_syserr(err, "cannot read --state-dir", state_dir);
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL,
		               "--state-dir %s is not a directory; give a node directory "
		               "(<raft.storage.dir>/<server-id>) or the storage directory above it",
		               state_dir);
	if (strlcpy(plan->state_dir, state_dir, sizeof(plan->state_dir)) >=
	        sizeof(plan->state_dir) ||
	    strlcpy(plan->backup_dir, backup_dir, sizeof(plan->backup_dir)) >=
	        sizeof(plan->backup_dir))
		return rs_errf(err, RS_ELIMIT, "--state-dir or --backup-dir is too long");
	if (realpath(state_dir, plan->source) == NULL)
		return rs_syserr(err, "cannot resolve --state-dir", state_dir);
	if ((rc = rs_bk_check_apart(state_dir, "--state-dir", backup_dir, "--backup-dir", err)) !=
	    RS_OK)
		return rc;
	if ((rc = find_layout(state_dir, &plan->layout, &plan->nodes, &plan->nnodes, err)) != RS_OK)
		return rc;
	if (plan->layout == RS_LAYOUT_NODE)
		rs_nd_lock_dir_of(state_dir, plan->lock_dir, sizeof(plan->lock_dir));
	else
		strlcpy(plan->lock_dir, state_dir, sizeof(plan->lock_dir));
	return RS_OK;
}

void rs_backup_plan_free(struct rs_backup_plan *plan)
{
	rs_nd_free_list(plan->nodes, plan->nnodes);
	plan->nodes = NULL;
	plan->nnodes = 0;
}

/* Fills tmp with the backup of the nodes (as listed under the run lock):
 * the copies, verified, each file's crc32, compressed (--compress), the
 * manifest and backup-metadata.txt, all fsynced. */
static int fill_backup(const struct rs_backup_plan *plan, char **nodes, size_t nnodes,
                       const char *tmp, const char *created, const struct rs_backup_opts *opt,
                       struct rs_backup_result *res, struct rs_problems *problems,
                       struct rs_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX], meta[PATH_MAX * 2];
	struct rs_bk_files files = {0};
	int rc = RS_OK;

	if (res->layout == RS_LAYOUT_NODE)
		rc = backup_node(plan->state_dir, tmp, "", opt, &files, res, err);
	for (size_t i = 0; res->layout == RS_LAYOUT_CLUSTER && i < nnodes && rc == RS_OK; i++) {
		if ((rc = rs_path_join_err(src, sizeof(src), plan->state_dir, nodes[i], err)) ||
		    (rc = rs_path_join_err(dst, sizeof(dst), tmp, nodes[i], err)))
			break;
		if (mkdir(dst, 0755) != 0)
			rc = rs_syserr(err, "cannot create", dst);
		else
			rc = backup_node(src, dst, nodes[i], opt, &files, res, err);
	}
	if (rc == RS_OK)
		rc = verify_tree(tmp, res->layout, nodes, nnodes, opt->lock_timeout, problems, err);
	for (size_t i = 0; i < files.n && rc == RS_OK; i++) {
		if (files.v[i].crc_known)
			continue;
		if ((rc = rs_path_join_err(dst, sizeof(dst), tmp, files.v[i].path, err)) == RS_OK)
			rc = rs_bk_crc_file(dst, &opt->progress, &files.v[i].size,
			                    &files.v[i].crc32, err);
	}
	if (rc == RS_OK)
		rc = sync_copies(tmp, &files, err);
	if (rc == RS_OK && opt->compress)
		rc = compress_tree(tmp, &files, opt->threads, &opt->progress, err);
	if (rc != RS_OK) {
		free(files.v);
		return rc;
	}
	drop_cached(tmp, &files);
	res->files = files.v;
	res->nfiles = files.n;
	if (res->layout == RS_LAYOUT_NODE) {
		char *one = (char *)(uintptr_t)rs_path_base(res->source);

		rc = write_manifest(tmp, res, opt->version, created, &one, 1, err);
	} else {
		rc = write_manifest(tmp, res, opt->version, created, nodes, nnodes, err);
	}
	if (rc != RS_OK)
		return rc;
	(void)snprintf(meta, sizeof(meta),
	               "Backup created: %s\nSource directory: %s\nFiles backed up: %zu\n", created,
	               plan->state_dir, res->ndb);
	if ((rc = rs_path_join_err(dst, sizeof(dst), tmp, RS_BACKUP_METADATA, err)) ||
	    (rc = write_text(dst, meta, err)))
		return rc;
	return rs_fsync_path(tmp, err);
}

/* Under the run lock: the state directory looked at again (another run may
 * have written it since the plan); its nodes as they are now. */
static int recheck(const struct rs_backup_plan *plan, char ***nodes, size_t *nnodes,
                   struct rs_err *err)
{
	int layout, rc = find_layout(plan->state_dir, &layout, nodes, nnodes, err);

	if (rc == RS_OK && layout != plan->layout)
		rc = rs_errf(err, RS_EINVAL,
		             "%s changed from a %s to a %s since it was looked at (another run?); "
		             "run backup again",
		             plan->state_dir,
		             plan->layout == RS_LAYOUT_NODE ? "node directory" : "cluster root",
		             layout == RS_LAYOUT_NODE ? "node directory" : "cluster root");
	return rc;
}

int rs_backup_apply(const struct rs_backup_plan *plan, const struct rs_backup_opts *opt,
                    struct rs_backup_result *res, struct rs_problems *problems, struct rs_err *err)
{
	char ts[32], created[64], tmp[PATH_MAX];
	struct rs_nd_lock lk = {.fd = -1};
	char **nodes = NULL;
	size_t nnodes = 0;
	int rc;

	memset(res, 0, sizeof(*res));
	strlcpy(res->source, plan->source, sizeof(res->source));
	res->layout = plan->layout;
	if ((rc = rs_nd_lock(plan->lock_dir, opt->run_lock_timeout, &lk, err)) != RS_OK)
		return rc;
	res->run_locked = 1;
	if ((rc = recheck(plan, &nodes, &nnodes, err)) != RS_OK ||
	    (rc = rs_path_mkdir_p(plan->backup_dir, 1, err)) != RS_OK)
		goto out;
	res->nnodes = res->layout == RS_LAYOUT_NODE ? 1 : nnodes;
	rs_bk_timestamp(ts, sizeof(ts));
	rfc3339(created, sizeof(created));
	if (snprintf(tmp, sizeof(tmp), "%s/.raft-backup-%s.tmp-%ld", plan->backup_dir, ts,
	             (long)getpid()) >= (int)sizeof(tmp)) {
		rc = rs_errf(err, RS_ELIMIT, "--backup-dir %s is too long", plan->backup_dir);
		goto out;
	}
	if (mkdir(tmp, 0755) != 0) {
		rc = rs_syserr(err, "cannot create", tmp);
		goto out;
	}
	rc = fill_backup(plan, nodes, nnodes, tmp, created, opt, res, problems, err);
	if (rc == RS_OK)
		rc = finish_name(plan->backup_dir, tmp, ts, res->path, sizeof(res->path), err);
	if (rc != RS_OK)
		rs_remove_tree(tmp);
out:
	if (rc != RS_OK)
		rs_backup_result_free(res);
	rs_nd_free_list(nodes, nnodes);
	rs_nd_unlock(&lk);
	return rc;
}

void rs_backup_result_free(struct rs_backup_result *res)
{
	free(res->files);
	res->files = NULL;
	res->nfiles = 0;
}
