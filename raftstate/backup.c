/*
 * Backup and restore of Raft state directories. See backup.h for the layout
 * of a backup and the order of the checks.
 *
 * Order inside a node, so that the copy is one state raft can start from
 * even while a node runs: raft-log.db first, then raft-stable.db (raft
 * raises CurrentTerm before it appends entries of the new term, so the later
 * stable copy has a term >= every copied entry), then snapshots/ (raft
 * compacts the log only after a snapshot is stored, so snapshots listed
 * after the log copy cover everything below its first index).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>
#include <cjson/cJSON.h>
#include <zlib.h>

#include "bolt/copy.h"
#include "bolt/lock.h"
#include "raftstate/node.h"
#include "raftstate/backup.h"
#include "raftstate/generate.h"

#define SNAP_DIR         "snapshots"
#define MAX_ENTRIES      100000
#define MAX_MANIFEST     (64u << 20)
#define SNAPSHOT_RETRIES 5
#define GZ_SUFFIX        ".gz" /* --compress: <path>.gz */
#define GZ_MODE          "wb6" /* gzip, zlib level 6 */
#define GZ_CHUNK         (1u << 20)

/* ---- small helpers ----------------------------------------------------- */

static int join(char *buf, size_t size, const char *a, const char *b)
{
	int n = (b == NULL || *b == '\0') ? snprintf(buf, size, "%s", a)
	        : *a == '\0'              ? snprintf(buf, size, "%s", b)
	                                  : snprintf(buf, size, "%s/%s", a, b);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int join_err(char *buf, size_t size, const char *a, const char *b, struct rs_err *err)
{
	if (join(buf, size, a, b) != 0)
		return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", a, b ? b : "");
	return RS_OK;
}

/* "<what> <path>: <strerror(errno)>" */
static int fsync_path(const char *path, struct rs_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return rs_syserr(err, "cannot open (to sync it)", path);
	if (fsync(fd) != 0) {
		int rc = rs_syserr(err, "cannot sync", path);
		close(fd);
		return rc;
	}
	close(fd);
	return RS_OK;
}

static void parent_of(const char *path, char *out, size_t size)
{
	const char *slash;

	strlcpy(out, path, size);
	slash = strrchr(out, '/');
	if (slash == NULL)
		strlcpy(out, ".", size);
	else if (slash == out)
		out[1] = '\0';
	else
		out[slash - out] = '\0';
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

/* rm -rf of a directory we created (never follows symlinks). */
static void remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char child[PATH_MAX];

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		(void)unlink(path);
		return;
	}
	d = opendir(path);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (join(child, sizeof(child), path, de->d_name) == 0)
				remove_tree(child);
		}
		closedir(d);
	}
	(void)rmdir(path);
}

/* YYYYMMDD-HHMMSS in local time, as the Go tool names backups. */
static void timestamp(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	if (strftime(buf, size, "%Y%m%d-%H%M%S", &tm) == 0)
		strlcpy(buf, "unknown", size);
}

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

static int is_state_file(const char *name)
{
	return strcmp(name, RS_LOG_FILE) == 0 || strcmp(name, RS_STABLE_FILE) == 0;
}

/* A node directory: holds raft-log.db or raft-stable.db (or, in a
 * compressed backup, `gz`: raft-log.db.gz or raft-stable.db.gz). */
static int has_state_gz(const char *dir, int gz)
{
	static const char *const names[] = {RS_LOG_FILE, RS_STABLE_FILE, RS_LOG_FILE GZ_SUFFIX,
	                                    RS_STABLE_FILE GZ_SUFFIX};
	char p[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < (gz ? 4u : 2u); i++)
		if (join(p, sizeof(p), dir, names[i]) == 0 && lstat(p, &st) == 0)
			return 1;
	return 0;
}

static int has_state(const char *dir)
{
	return has_state_gz(dir, 0);
}

/* The rule `raft generate` applies to server IDs: they become directory
 * names. */
static int valid_server_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 255 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (id[i] == '/' || (unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The node directories of a cluster root: non-hidden directories (not
 * symlinks) holding a state file (or its .gz when `gz`), sorted. */
static int list_nodes_gz(const char *root, int gz, char ***out, size_t *n, struct rs_err *err)
{
	DIR *d = opendir(root);
	struct dirent *de;
	char **v = NULL, p[PATH_MAX];
	size_t cnt = 0, cap = 0;
	struct stat st;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return rs_syserr(err, "cannot read", root);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (join(p, sizeof(p), root, de->d_name) != 0 || lstat(p, &st) != 0 ||
		    !S_ISDIR(st.st_mode) || !has_state_gz(p, gz))
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = reallocarray(v, nc, sizeof(*nv));

			if (nv == NULL || cnt >= MAX_ENTRIES)
				goto nomem;
			v = nv;
			cap = nc;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL)
			goto nomem;
		cnt++;
	}
	closedir(d);
	if (cnt > 0)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*out = v;
	*n = cnt;
	return RS_OK;
nomem:
	closedir(d);
	for (size_t i = 0; i < cnt; i++)
		free(v[i]);
	free(v);
	return rs_errf(err, RS_ENOMEM, "out of memory listing %s", root);
}

static int list_nodes(const char *root, char ***out, size_t *n, struct rs_err *err)
{
	return list_nodes_gz(root, 0, out, n, err);
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int crc_file(const char *path, uint64_t *size, uint32_t *crc, struct rs_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t bufsz = 1u << 20;
	unsigned char *buf;
	uLong c = crc32(0L, Z_NULL, 0);
	uint64_t total = 0;
	ssize_t n;

	if (fd < 0)
		return rs_syserr(err, "cannot open", path);
	buf = malloc(bufsz);
	if (buf == NULL) {
		close(fd);
		return rs_errf(err, RS_ENOMEM, "out of memory");
	}
	while ((n = read(fd, buf, bufsz)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = rs_syserr(err, "cannot read", path);
			free(buf);
			close(fd);
			return rc;
		}
		c = crc32(c, buf, (uInt)n);
		total += (uint64_t)n;
	}
	free(buf);
	close(fd);
	*size = total;
	*crc = (uint32_t)c;
	return RS_OK;
}

/* Copies regular file src to the new file `name` in directory dfd (dst is
 * its path, for messages), fsynced. */
static int copy_at(const char *src, int dfd, const char *name, const char *dst, mode_t mode,
                   struct rs_err *err)
{
	struct bolt_err be = {0};
	struct stat st;
	int in, out, rc = RS_OK;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return rs_syserr(err, "cannot open", src);
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(in);
		return rs_errf(err, RS_ECORRUPT, "%s is not a regular file", src);
	}
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0) {
		rc = rs_syserr(err, "cannot create", dst);
		close(in);
		return rc;
	}
	if (bolt_copy_fd(in, out, (uint64_t)st.st_size, src, &be) != BOLT_OK)
		rc = rs_err_from_bolt(err, &be);
	else if (fsync(out) != 0)
		rc = rs_syserr(err, "cannot sync", dst);
	close(in);
	if (close(out) != 0 && rc == RS_OK)
		rc = rs_syserr(err, "cannot write", dst);
	return rc;
}

static int copy_plain(const char *src, const char *dst, mode_t mode, struct rs_err *err)
{
	return copy_at(src, AT_FDCWD, dst, dst, mode, err);
}

static int write_all(int fd, const unsigned char *buf, size_t len, const char *path,
                     struct rs_err *err)
{
	size_t off = 0;

	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return rs_syserr(err, "cannot write", path);
		off += (size_t)w;
	}
	return RS_OK;
}

/* ---- gzip-compressed backup files ---------------------------------------
 *
 * With --compress every file of the finished, verified backup is stored as
 * <path>.gz (a gzip stream, zlib level 6) and the plain file removed.
 * MANIFEST.json keeps "path", "size" and "crc32" for the uncompressed
 * content and adds "compression": "gzip", "stored_path" (<path>.gz) and
 * "stored_size". Nothing trusts a .gz: every reader inflates it, counts and
 * checksums what comes out, and compares that with the manifest.
 */

/* zlib's message for the last error of gz, without its "<fd:N>: " prefix. */
static const char *gz_reason(gzFile gz, int *errnum)
{
	const char *m = gzerror(gz, errnum), *c;

	if (*errnum == Z_ERRNO)
		return strerror(errno);
	c = m != NULL ? strstr(m, ": ") : NULL;
	return c != NULL ? c + 2 : (m != NULL ? m : "unknown error");
}

/* Compresses the plain file `src` into the new file `dst` (0600), checking
 * that what it read has the size and crc32 already recorded for it, and
 * fsyncs dst. *stored receives dst's size. */
static int gzip_file(const char *src, const char *dst, uint64_t size, uint32_t crc,
                     uint64_t *stored, struct rs_err *err)
{
	unsigned char *buf = NULL;
	uLong c = crc32(0L, Z_NULL, 0);
	uint64_t total = 0;
	gzFile gz = NULL;
	struct stat st;
	int in, out, gfd, rc = RS_OK;
	ssize_t n;

	if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return rs_syserr(err, "cannot open", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = rs_syserr(err, "cannot create", dst);
		close(in);
		return rc;
	}
	/* gzclose closes the descriptor it was given; keep `out` to fsync */
	if ((gfd = fcntl(out, F_DUPFD_CLOEXEC, 0)) < 0 || (gz = gzdopen(gfd, GZ_MODE)) == NULL) {
		rc = gfd < 0 ? rs_syserr(err, "cannot write", dst)
		             : rs_errf(err, RS_ENOMEM, "out of memory compressing %s", src);
		if (gfd >= 0)
			close(gfd);
		goto out;
	}
	if (gzbuffer(gz, GZ_CHUNK) != 0 || (buf = malloc(GZ_CHUNK)) == NULL) {
		rc = rs_errf(err, RS_ENOMEM, "out of memory compressing %s", src);
		goto out;
	}
	while ((n = read(in, buf, GZ_CHUNK)) != 0) {
		int e;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rs_syserr(err, "cannot read", src);
			goto out;
		}
		c = crc32(c, buf, (uInt)n);
		total += (uint64_t)n;
		if (gzwrite(gz, buf, (unsigned)n) != (int)n) {
			rc = rs_errf(err, RS_EIO, "cannot write %s: %s", dst, gz_reason(gz, &e));
			goto out;
		}
	}
	{
		int zr = gzclose(gz);

		gz = NULL;
		if (zr != Z_OK) {
			rc = rs_errf(err, RS_EIO, "cannot write %s: %s", dst,
			             zr == Z_ERRNO ? strerror(errno) : "zlib error");
			goto out;
		}
	}
	if (fsync(out) != 0 || fstat(out, &st) != 0) {
		rc = rs_syserr(err, "cannot sync", dst);
		goto out;
	}
	*stored = (uint64_t)st.st_size;
	if (total != size || (uint32_t)c != crc)
		rc = rs_errf(err, RS_EIO,
		             "%s changed while it was compressed (%llu bytes, crc32 %08x; "
		             "expected %llu bytes, crc32 %08x)",
		             src, (unsigned long long)total, (uint32_t)c, (unsigned long long)size,
		             crc);
out:
	if (gz != NULL)
		(void)gzclose(gz);
	free(buf);
	close(in);
	if (close(out) != 0 && rc == RS_OK)
		rc = rs_syserr(err, "cannot write", dst);
	return rc;
}

/* Inflates the gzip file `path` (called `label` in messages), writing what
 * comes out to out_fd when it is >= 0 (out_path names it), and returns the
 * inflated size and crc32. Reading stops with an error past `limit` bytes
 * (the size the manifest lists), so a hostile file cannot fill the disk.
 * RS_ECORRUPT for anything but whole gzip data: not gzip at all (zlib
 * would pass such a file through unchanged), a truncated stream, damaged
 * deflate data, a bad gzip trailer (crc32 or length). */
static int gunzip_file(const char *path, const char *label, int out_fd, const char *out_path,
                       uint64_t limit, uint64_t *size, uint32_t *crc, struct rs_err *err)
{
	unsigned char *buf = NULL, magic[2];
	uLong c = crc32(0L, Z_NULL, 0);
	uint64_t total = 0;
	gzFile gz = NULL;
	struct stat st;
	int fd, n, e, rc = RS_OK;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return rs_syserr(err, "cannot open", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return rs_errf(err, RS_ECORRUPT, "%s is not a regular file", label);
	}
	if (pread(fd, magic, 2, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
		close(fd);
		return rs_errf(err, RS_ECORRUPT, "%s is not gzip data", label);
	}
	if ((gz = gzdopen(fd, "rb")) == NULL) {
		close(fd);
		return rs_errf(err, RS_ENOMEM, "out of memory reading %s", label);
	}
	if (gzbuffer(gz, GZ_CHUNK) != 0 || (buf = malloc(GZ_CHUNK)) == NULL) {
		rc = rs_errf(err, RS_ENOMEM, "out of memory reading %s", label);
		goto out;
	}
	if (gzdirect(gz)) {
		rc = rs_errf(err, RS_ECORRUPT, "%s is not gzip data", label);
		goto out;
	}
	while ((n = gzread(gz, buf, GZ_CHUNK)) > 0) {
		total += (uint64_t)n;
		if (total > limit) {
			rc = rs_errf(err, RS_ECORRUPT,
			             "%s inflates to more than the %llu bytes the manifest lists",
			             label, (unsigned long long)limit);
			goto out;
		}
		c = crc32(c, buf, (uInt)n);
		if (out_fd >= 0 && (rc = write_all(out_fd, buf, (size_t)n, out_path, err)) != RS_OK)
			goto out;
	}
	/* a truncated stream ends with n == 0 and Z_BUF_ERROR */
	if (n < 0 || gzerror(gz, &e) == NULL || e != Z_OK) {
		const char *why = gz_reason(gz, &e);

		rc = e == Z_BUF_ERROR ? rs_errf(err, RS_ECORRUPT,
		                                "%s is truncated (its gzip data ends early)", label)
		     : e == Z_ERRNO
		         ? rs_errf(err, RS_EIO, "cannot read %s: %s", label, why)
		         : rs_errf(err, RS_ECORRUPT, "%s holds damaged gzip data (%s)", label, why);
		goto out;
	}
	*size = total;
	*crc = (uint32_t)c;
out:
	free(buf);
	(void)gzclose(gz);
	return rc;
}

/* ---- the list of files a backup holds ---------------------------------- */

struct files {
	struct rs_backup_file *v;
	size_t n, cap;
};

static struct rs_backup_file *files_add(struct files *f, const char *rel, struct rs_err *err)
{
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 16;
		struct rs_backup_file *nv;

		if (f->n >= MAX_ENTRIES) {
			rs_errf(err, RS_ELIMIT, "more than %d files", MAX_ENTRIES);
			return NULL;
		}
		nv = reallocarray(f->v, nc, sizeof(*nv));
		if (nv == NULL) {
			rs_errf(err, RS_ENOMEM, "out of memory");
			return NULL;
		}
		f->v = nv;
		f->cap = nc;
	}
	memset(&f->v[f->n], 0, sizeof(f->v[0]));
	strlcpy(f->v[f->n].path, rel, sizeof(f->v[0].path));
	return &f->v[f->n++];
}

/* ---- backup ------------------------------------------------------------ */

struct progress_relay {
	const struct rs_backup_opts *opt;
	const char *file;
};

static void relay_progress(void *ctx, uint64_t done, uint64_t total)
{
	const struct progress_relay *r = ctx;

	r->opt->progress(r->opt->progress_ctx, r->file, done, total);
}

static int backup_db(const char *src, const char *dst, const char *rel,
                     const struct rs_backup_opts *opt, struct files *files,
                     struct rs_backup_result *res, struct rs_err *err)
{
	struct progress_relay relay = {.opt = opt, .file = src};
	struct bolt_copy_opts co = {
	    .lock_timeout = opt->lock_timeout,
	    .live = opt->live,
	    .progress = opt->progress != NULL ? relay_progress : NULL,
	    .progress_ctx = &relay,
	};
	struct bolt_copy_info info;
	struct bolt_err be = {0};
	struct rs_backup_file *f;
	int fd, rc = RS_OK;

	fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return rs_syserr(err, "cannot create", dst);
	if (bolt_copy(src, fd, &co, &info, &be) != BOLT_OK) {
		rc = be.code == BOLT_ELOCKED
		         ? rs_errf(err, RS_ELOCKED,
		                   "%s is locked by another process (is op-conductor running?); "
		                   "gave up after %.1f s (use --live to copy it without the lock)",
		                   src, opt->lock_timeout)
		         : rs_err_from_bolt(err, &be);
	} else if (fsync(fd) != 0) {
		rc = rs_syserr(err, "cannot sync", dst);
	}
	if (close(fd) != 0 && rc == RS_OK)
		rc = rs_syserr(err, "cannot write", dst);
	if (rc != RS_OK)
		return rc;
	if ((f = files_add(files, rel, err)) == NULL)
		return err->code;
	f->is_db = 1;
	f->live = info.live;
	f->txid = info.txid;
	f->pages = info.pages;
	if (info.has_crc) { /* the locked copy checksummed what it wrote */
		f->crc_known = 1;
		f->size = info.size;
		f->crc32 = info.crc32;
	}
	res->ndb++;
	if (info.live) {
		res->nlive++;
		if (info.attempts > res->max_attempts)
			res->max_attempts = info.attempts;
	}
	return RS_OK;
}

/* Copies <node>/snapshots/ (complete snapshots only: raft ignores *.tmp).
 * A running raft may delete an old snapshot while we copy it; then the
 * whole snapshots/ copy starts over (a newer snapshot exists by then). */
static int backup_snapshots(const char *node, const char *dst_node, const char *rel_node,
                            struct files *files, struct rs_err *err)
{
	char src[PATH_MAX], dst[PATH_MAX], s1[PATH_MAX], d1[PATH_MAX], s2[PATH_MAX], d2[PATH_MAX],
	    rel[PATH_MAX];
	size_t mark = files->n;
	struct stat st;
	int rc = RS_OK;

	if ((rc = join_err(src, sizeof(src), node, SNAP_DIR, err)) ||
	    (rc = join_err(dst, sizeof(dst), dst_node, SNAP_DIR, err)))
		return rc;
	if (lstat(src, &st) != 0) {
		if (errno == ENOENT)
			return RS_OK;
		return rs_syserr(err, "cannot inspect", src);
	}
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_ECORRUPT, "%s is not a directory", src);

	for (int attempt = 0; attempt < SNAPSHOT_RETRIES; attempt++) {
		DIR *d, *sd;
		struct dirent *de, *fe;
		int vanished = 0;

		files->n = mark;
		remove_tree(dst);
		if (mkdir(dst, 0755) != 0)
			return rs_syserr(err, "cannot create", dst);
		if ((d = opendir(src)) == NULL)
			return rs_syserr(err, "cannot read", src);
		rc = RS_OK;
		while (rc == RS_OK && !vanished && (de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);

			if (de->d_name[0] == '.' ||
			    (l > 4 && strcmp(de->d_name + l - 4, ".tmp") == 0))
				continue;
			if (join(s1, sizeof(s1), src, de->d_name) ||
			    join(d1, sizeof(d1), dst, de->d_name)) {
				rc = rs_errf(err, RS_ELIMIT, "path %s/%s is too long", src,
				             de->d_name);
				break;
			}
			if (lstat(s1, &st) != 0) {
				vanished = errno == ENOENT;
				if (!vanished)
					rc = rs_syserr(err, "cannot inspect", s1);
				break;
			}
			if (!S_ISDIR(st.st_mode))
				continue; /* raft keeps only directories here */
			if (mkdir(d1, 0755) != 0) {
				rc = rs_syserr(err, "cannot create", d1);
				break;
			}
			if ((sd = opendir(s1)) == NULL) {
				vanished = errno == ENOENT;
				if (!vanished)
					rc = rs_syserr(err, "cannot read", s1);
				break;
			}
			while (rc == RS_OK && (fe = readdir(sd)) != NULL) {
				if (fe->d_name[0] == '.')
					continue;
				if (join(s2, sizeof(s2), s1, fe->d_name) ||
				    join(d2, sizeof(d2), d1, fe->d_name) ||
				    snprintf(rel, sizeof(rel), "%s%s%s/%s/%s", rel_node,
				             *rel_node ? "/" : "", SNAP_DIR, de->d_name,
				             fe->d_name) >= (int)sizeof(rel)) {
					rc = rs_errf(err, RS_ELIMIT, "path %s/%s is too long", s1,
					             fe->d_name);
					break;
				}
				if (lstat(s2, &st) != 0) {
					vanished = errno == ENOENT;
					if (!vanished)
						rc = rs_syserr(err, "cannot inspect", s2);
					break;
				}
				if (!S_ISREG(st.st_mode))
					continue;
				rc = copy_plain(s2, d2, 0644, err);
				if (rc != RS_OK && err->sys_errno == ENOENT) {
					vanished = 1;
					rc = RS_OK;
					break;
				}
				if (rc == RS_OK && files_add(files, rel, err) == NULL)
					rc = err->code;
			}
			closedir(sd);
			if (rc == RS_OK && !vanished && fsync_path(d1, err) != RS_OK)
				rc = err->code;
		}
		closedir(d);
		if (rc != RS_OK)
			return rc;
		if (!vanished)
			return fsync_path(dst, err);
	}
	return rs_errf(err, RS_EIO, "%s kept changing while it was copied", src);
}

static int backup_node(const char *node, const char *dst_node, const char *rel_node,
                       const struct rs_backup_opts *opt, struct files *files,
                       struct rs_backup_result *res, struct rs_err *err)
{
	static const char *const dbs[] = {RS_LOG_FILE, RS_STABLE_FILE};
	char src[PATH_MAX], dst[PATH_MAX], rel[PATH_MAX];
	struct stat st;
	int rc;

	for (size_t i = 0; i < 2; i++) {
		if ((rc = join_err(src, sizeof(src), node, dbs[i], err)) ||
		    (rc = join_err(dst, sizeof(dst), dst_node, dbs[i], err)) ||
		    (rc = join_err(rel, sizeof(rel), rel_node, dbs[i], err)))
			return rc;
		if (lstat(src, &st) != 0) {
			if (errno == ENOENT)
				return rs_errf(err, RS_ENOTFOUND, "%s is missing", src);
			return rs_syserr(err, "cannot inspect", src);
		}
		if (!S_ISREG(st.st_mode))
			return rs_errf(err, RS_ECORRUPT, "%s is not a regular file", src);
		if ((rc = backup_db(src, dst, rel, opt, files, res, err)) != RS_OK)
			return rc;
	}
	if ((rc = backup_snapshots(node, dst_node, rel_node, files, err)) != RS_OK)
		return rc;
	return fsync_path(dst_node, err);
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
	if (rc == RS_OK && fsync(fd) != 0)
		rc = rs_syserr(err, "cannot sync", path);
	if (close(fd) != 0 && rc == RS_OK)
		rc = rs_syserr(err, "cannot write", path);
	return rc;
}

static int write_manifest(const char *dir, const struct rs_backup_result *res, const char *version,
                          const char *created, char **nodes, size_t nnodes, struct rs_err *err)
{
	cJSON *root = cJSON_CreateObject(), *arr, *f, *na;
	char path[PATH_MAX], *text;
	int rc;

	if (root == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	cJSON_AddStringToObject(root, "format", RS_BACKUP_FORMAT);
	cJSON_AddStringToObject(root, "tool", "op-conductor-init");
	cJSON_AddStringToObject(root, "version", version ? version : "unknown");
	cJSON_AddStringToObject(root, "created", created);
	cJSON_AddStringToObject(root, "source", res->source);
	cJSON_AddStringToObject(root, "layout", res->layout == RS_LAYOUT_NODE ? "node" : "cluster");
	na = cJSON_AddArrayToObject(root, "nodes");
	for (size_t i = 0; na != NULL && i < nnodes; i++)
		cJSON_AddItemToArray(na, cJSON_CreateString(nodes[i]));
	arr = cJSON_AddArrayToObject(root, "files");
	for (size_t i = 0; arr != NULL && i < res->nfiles; i++) {
		const struct rs_backup_file *bf = &res->files[i];

		if ((f = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddStringToObject(f, "path", bf->path);
		cJSON_AddNumberToObject(f, "size", (double)bf->size);
		cJSON_AddNumberToObject(f, "crc32", (double)bf->crc32);
		if (bf->is_db) {
			cJSON_AddNumberToObject(f, "txid", (double)bf->txid);
			cJSON_AddNumberToObject(f, "pages", (double)bf->pages);
			cJSON_AddStringToObject(f, "copy", bf->live ? "live-compact" : "locked");
		}
		if (bf->compressed) {
			char sp[PATH_MAX + 4];

			(void)snprintf(sp, sizeof(sp), "%s" GZ_SUFFIX, bf->path);
			cJSON_AddStringToObject(f, "compression", "gzip");
			cJSON_AddStringToObject(f, "stored_path", sp);
			cJSON_AddNumberToObject(f, "stored_size", (double)bf->stored_size);
		}
		cJSON_AddItemToArray(arr, f);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory writing the manifest");
	if ((rc = join_err(path, sizeof(path), dir, RS_BACKUP_MANIFEST, err)) == RS_OK) {
		size_t l = strlen(text);
		char *t2 = malloc(l + 2);

		if (t2 == NULL) {
			rc = rs_errf(err, RS_ENOMEM, "out of memory");
		} else {
			memcpy(t2, text, l);
			t2[l] = '\n';
			t2[l + 1] = '\0';
			rc = write_text(path, t2, err);
			free(t2);
		}
	}
	cJSON_free(text);
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
		else if ((rc = join_err(p, sizeof(p), dir, nodes[i], err)) != RS_OK)
			return rc;
		if ((rc = rs_verify_node(p, &vo, problems, err)) != RS_OK)
			return rc;
		if (problems->errors > before)
			return rs_errf(err, RS_ECORRUPT, "%s does not verify", p);
	}
	return RS_OK;
}

/* --compress: replaces every file of the verified backup in `dir` by
 * <file>.gz, then reads every .gz back and checks it against the size and
 * crc32 the manifest will list. */
static int compress_tree(const char *dir, struct files *files, struct rs_err *err)
{
	char plain[PATH_MAX], gz[PATH_MAX + 4], parent[PATH_MAX];
	uint64_t size;
	uint32_t crc;
	int rc;

	for (size_t i = 0; i < files->n; i++) {
		struct rs_backup_file *f = &files->v[i];

		if ((rc = join_err(plain, sizeof(plain), dir, f->path, err)) != RS_OK)
			return rc;
		(void)snprintf(gz, sizeof(gz), "%s" GZ_SUFFIX, plain);
		if ((rc = gzip_file(plain, gz, f->size, f->crc32, &f->stored_size, err)) != RS_OK)
			return rc;
		if (unlink(plain) != 0)
			return rs_syserr(err, "cannot remove", plain);
		f->compressed = 1;
		parent_of(plain, parent, sizeof(parent));
		if ((rc = fsync_path(parent, err)) != RS_OK)
			return rc;
	}
	for (size_t i = 0; i < files->n; i++) {
		const struct rs_backup_file *f = &files->v[i];

		if ((rc = join_err(plain, sizeof(plain), dir, f->path, err)) != RS_OK)
			return rc;
		(void)snprintf(gz, sizeof(gz), "%s" GZ_SUFFIX, plain);
		if ((rc = gunzip_file(gz, gz, -1, NULL, f->size, &size, &crc, err)) != RS_OK)
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

static int finish_name(const char *backup_dir, const char *tmp, const char *ts, char *final,
                       size_t size, struct rs_err *err)
{
	char name[128];

	for (int i = 1; i <= 1000; i++) {
		if (i == 1)
			(void)snprintf(name, sizeof(name), "raft-backup-%s", ts);
		else
			(void)snprintf(name, sizeof(name), "raft-backup-%s-%d", ts, i);
		if (join(final, size, backup_dir, name) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", backup_dir, name);
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
			return fsync_path(backup_dir, err);
		if (errno != EEXIST && errno != ENOTEMPTY)
			return rs_syserr(err, "cannot rename the finished backup to", final);
	}
	return rs_errf(err, RS_EEXIST, "%s/raft-backup-%s already exists 1000 times", backup_dir,
	               ts);
}

static int mkdir_p(const char *dir, struct rs_err *err)
{
	char p[PATH_MAX];
	struct stat st;

	if (strlcpy(p, dir, sizeof(p)) >= sizeof(p))
		return rs_errf(err, RS_ELIMIT, "path %s is too long", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			return rs_syserr(err, "cannot create directory", p);
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		return rs_syserr(err, "cannot create directory", p);
	if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "%s is not a directory", p);
	return RS_OK;
}

int rs_backup_create(const char *state_dir, const char *backup_dir,
                     const struct rs_backup_opts *opt, struct rs_backup_result *res,
                     struct rs_problems *problems, struct rs_err *err)
{
	char ts[32], created[64], tmp[PATH_MAX], dst[PATH_MAX], src[PATH_MAX], meta[PATH_MAX * 2];
	struct files files = {0};
	char **nodes = NULL;
	size_t nnodes = 0;
	struct stat st;
	int rc;

	memset(res, 0, sizeof(*res));
	if (stat(state_dir, &st) != 0)
		return rs_syserr(err, "cannot read --state-dir", state_dir);
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "--state-dir %s is not a directory", state_dir);
	if (realpath(state_dir, res->source) == NULL)
		return rs_syserr(err, "cannot resolve --state-dir", state_dir);
	if (has_state(state_dir)) {
		res->layout = RS_LAYOUT_NODE;
		res->nnodes = 1;
	} else {
		res->layout = RS_LAYOUT_CLUSTER;
		if ((rc = list_nodes(state_dir, &nodes, &nnodes, err)) != RS_OK)
			return rc;
		if (nnodes == 0)
			return rs_errf(err, RS_ENOTFOUND,
			               "no Raft state in %s: neither %s nor node directories "
			               "holding it",
			               state_dir, RS_LOG_FILE);
		res->nnodes = nnodes;
	}
	if ((rc = mkdir_p(backup_dir, err)) != RS_OK)
		goto out;

	timestamp(ts, sizeof(ts));
	rfc3339(created, sizeof(created));
	if (snprintf(tmp, sizeof(tmp), "%s/.raft-backup-%s.tmp-%ld", backup_dir, ts,
	             (long)getpid()) >= (int)sizeof(tmp)) {
		rc = rs_errf(err, RS_ELIMIT, "--backup-dir %s is too long", backup_dir);
		goto out;
	}
	if (mkdir(tmp, 0755) != 0) {
		rc = rs_syserr(err, "cannot create", tmp);
		goto out;
	}

	if (res->layout == RS_LAYOUT_NODE) {
		rc = backup_node(state_dir, tmp, "", opt, &files, res, err);
	} else {
		for (size_t i = 0; i < nnodes; i++) {
			if ((rc = join_err(src, sizeof(src), state_dir, nodes[i], err)) ||
			    (rc = join_err(dst, sizeof(dst), tmp, nodes[i], err)))
				break;
			if (mkdir(dst, 0755) != 0) {
				rc = rs_syserr(err, "cannot create", dst);
				break;
			}
			if ((rc = backup_node(src, dst, nodes[i], opt, &files, res, err)) != RS_OK)
				break;
		}
	}
	if (rc != RS_OK)
		goto fail;
	if ((rc = verify_tree(tmp, res->layout, nodes, nnodes, opt->lock_timeout, problems, err)) !=
	    RS_OK)
		goto fail;

	for (size_t i = 0; i < files.n; i++) {
		if (files.v[i].crc_known)
			continue;
		if ((rc = join_err(dst, sizeof(dst), tmp, files.v[i].path, err)) ||
		    (rc = crc_file(dst, &files.v[i].size, &files.v[i].crc32, err)))
			goto fail;
	}
	if (opt->compress && (rc = compress_tree(tmp, &files, err)) != RS_OK)
		goto fail;
	res->files = files.v;
	res->nfiles = files.n;
	files.v = NULL;
	if (res->layout == RS_LAYOUT_NODE) {
		const char *b = base_of(res->source);
		char *one = (char *)(uintptr_t)b;

		rc = write_manifest(tmp, res, opt->version, created, &one, 1, err);
	} else {
		rc = write_manifest(tmp, res, opt->version, created, nodes, nnodes, err);
	}
	if (rc != RS_OK)
		goto fail;
	(void)snprintf(meta, sizeof(meta),
	               "Backup created: %s\nSource directory: %s\nFiles backed up: %zu\n", created,
	               state_dir, res->ndb);
	if ((rc = join_err(dst, sizeof(dst), tmp, RS_BACKUP_METADATA, err)) ||
	    (rc = write_text(dst, meta, err)) || (rc = fsync_path(tmp, err)))
		goto fail;
	if ((rc = finish_name(backup_dir, tmp, ts, res->path, sizeof(res->path), err)) != RS_OK)
		goto fail;
	goto out;
fail:
	remove_tree(tmp);
out:
	free(files.v);
	free_list(nodes, nnodes);
	return rc;
}

void rs_backup_result_free(struct rs_backup_result *res)
{
	free(res->files);
	res->files = NULL;
	res->nfiles = 0;
}

/* ---- restore: checking the backup -------------------------------------- */

/* A relative path that stays inside the backup: no empty, "." or ".."
 * component, not absolute, no control characters or backslashes. */
static int safe_relpath(const char *p)
{
	const char *s = p;

	if (*p == '\0' || *p == '/' || strlen(p) >= PATH_MAX)
		return 0;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\')
			return 0;
	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		s += n;
		if (*s == '/')
			s++;
		else
			break;
		if (*s == '\0')
			return 0;
	}
	return 1;
}

/* s with control bytes, '"' and '\\' escaped, quoted: safe in a one-line
 * message. Returns buf. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	if (size < 8)
		return "";
	buf[o++] = '"';
	for (; *s != '\0' && o + 6 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\t' || c == '\n')
			o += (size_t)snprintf(buf + o, size - o, "\\%c", c == '\t' ? 't' : 'n');
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, size - o, "\\%c", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* Every entry of the backup tree (depth-bounded): only directories and
 * regular files; regular files are listed relative to the root. */
static int walk_backup(const char *root, const char *rel, int depth, struct files *out,
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
	if (join(dir, sizeof(dir), root, rel) != 0)
		return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", root, rel);
	if ((d = opendir(dir)) == NULL)
		return rs_syserr(err, "cannot read", dir);
	while (rc == RS_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (join(p, sizeof(p), dir, de->d_name) || join(r, sizeof(r), rel, de->d_name)) {
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
		else if (!safe_relpath(r))
			rc = rs_errf(err, RS_ECORRUPT, "refusing backup %s: unsafe file name %s",
			             root, printable(r, p, sizeof(p)));
		else if (files_add(out, r, err) == NULL)
			rc = err->code;
		else
			out->v[out->n - 1].size = (uint64_t)st.st_size;
	}
	closedir(d);
	return rc;
}

static struct rs_backup_file *find_file(struct files *f, const char *rel)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].path, rel) == 0)
			return &f->v[i];
	return NULL;
}

static int read_small(const char *path, char **out, size_t *len, struct rs_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	char *buf;
	size_t off = 0;

	if (fd < 0)
		return rs_syserr(err, "cannot open", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_MANIFEST) {
		close(fd);
		return rs_errf(err, RS_ECORRUPT, "%s is not a regular file of at most %u bytes",
		               path, MAX_MANIFEST);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return rs_errf(err, RS_ENOMEM, "out of memory");
	}
	while (off < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + off, (size_t)st.st_size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	*out = buf;
	*len = off;
	return RS_OK;
}

static int json_u64(const cJSON *o, const char *key, uint64_t max, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)max ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return -1;
	*out = (uint64_t)v->valuedouble;
	return 0;
}

/* A file a manifest must list: a state file (or its .gz) or anything under
 * snapshots/. */
static int must_be_listed(const char *rel)
{
	const char *b = base_of(rel);

	return is_state_file(b) || strcmp(b, RS_LOG_FILE GZ_SUFFIX) == 0 ||
	       strcmp(b, RS_STABLE_FILE GZ_SUFFIX) == 0 || strstr(rel, SNAP_DIR "/") != NULL;
}

/* One "files" entry of MANIFEST.json: its fields, checked against the
 * file found in the backup (the .gz for a compressed entry, inflated to
 * check size and crc32), and recorded in `out`. */
static int check_entry(const char *backup, const cJSON *f, size_t idx, struct files *found,
                       struct files *out, struct rs_err *err)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(f, "path");
	const cJSON *comp = cJSON_GetObjectItemCaseSensitive(f, "compression");
	const cJSON *sp = cJSON_GetObjectItemCaseSensitive(f, "stored_path");
	char path[PATH_MAX], stored[PATH_MAX + 4], q[1100];
	struct rs_backup_file *bf, *rec;
	uint64_t size, crc, ssize = 0, asize;
	uint32_t acrc;
	int rc;

	if (!cJSON_IsString(p) || json_u64(f, "size", UINT64_C(1) << 53, &size) ||
	    json_u64(f, "crc32", UINT32_MAX, &crc))
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s: manifest file entry %zu lacks path, size or crc32",
		               backup, idx);
	if (!safe_relpath(p->valuestring))
		return rs_errf(err, RS_ECORRUPT,
		               "refusing backup %s: the manifest names the unsafe path \"%.200s\"",
		               backup, p->valuestring);
	(void)snprintf(stored, sizeof(stored), "%s", p->valuestring);
	if (comp != NULL) {
		if (!cJSON_IsString(comp) || strcmp(comp->valuestring, "gzip") != 0)
			return rs_errf(
			    err, RS_ECORRUPT,
			    "backup %s: %s has an unknown \"compression\" (only \"gzip\" "
			    "is supported)",
			    backup, p->valuestring);
		(void)snprintf(stored, sizeof(stored), "%s" GZ_SUFFIX, p->valuestring);
		if (!cJSON_IsString(sp) || strcmp(sp->valuestring, stored) != 0)
			return rs_errf(
			    err, RS_ECORRUPT,
			    "refusing backup %s: the \"stored_path\" of %s is %s, not %s", backup,
			    p->valuestring,
			    cJSON_IsString(sp) ? printable(sp->valuestring, q, sizeof(q))
			                       : "missing",
			    stored);
		if (!safe_relpath(stored))
			return rs_errf(err, RS_ECORRUPT,
			               "refusing backup %s: the manifest names the unsafe path "
			               "\"%.200s\"",
			               backup, stored);
		if (json_u64(f, "stored_size", UINT64_C(1) << 53, &ssize))
			return rs_errf(err, RS_ECORRUPT,
			               "backup %s: the manifest entry of %s lacks \"stored_size\"",
			               backup, p->valuestring);
		if (find_file(found, p->valuestring) != NULL)
			return rs_errf(err, RS_ECORRUPT,
			               "refusing backup %s: it holds both %s and %s", backup,
			               p->valuestring, stored);
	}
	bf = find_file(found, stored);
	if (bf == NULL)
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s is incomplete: %s is listed in the manifest but missing",
		               backup, stored);
	if (bf->size != (comp != NULL ? ssize : size))
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s is damaged: %s has %llu bytes, the manifest says %llu",
		               backup, stored, (unsigned long long)bf->size,
		               (unsigned long long)(comp != NULL ? ssize : size));
	if ((rc = join_err(path, sizeof(path), backup, stored, err)) != RS_OK)
		return rc;
	if (comp == NULL) {
		if ((rc = crc_file(path, &asize, &acrc, err)) != RS_OK)
			return rc;
	} else if ((rc = gunzip_file(path, stored, -1, NULL, size, &asize, &acrc, err)) != RS_OK) {
		char why[sizeof(err->msg)];

		if (rc != RS_ECORRUPT)
			return rc;
		strlcpy(why, err->msg, sizeof(why));
		return rs_errf(err, RS_ECORRUPT, "backup %s is damaged: %s", backup, why);
	}
	if (asize != size)
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s is damaged: %s inflates to %llu bytes, the manifest says "
		               "%llu",
		               backup, stored, (unsigned long long)asize, (unsigned long long)size);
	if (acrc != (uint32_t)crc)
		return rs_errf(err, RS_ECORRUPT,
		               "backup %s is damaged: %s has crc32 %08x, the manifest says %08x",
		               backup, stored, acrc, (uint32_t)crc);
	bf->crc32 = 1; /* mark: listed */
	if ((rec = files_add(out, p->valuestring, err)) == NULL)
		return err->code;
	rec->size = size;
	rec->crc32 = (uint32_t)crc;
	rec->compressed = comp != NULL;
	rec->stored_size = ssize;
	return RS_OK;
}

/* Checks MANIFEST.json against the files found: every listed file exists
 * with its size and crc32, and every state file found is listed. The
 * entries go to plan->listed. */
static int check_manifest(const char *backup, struct files *found, int *layout,
                          struct rs_restore_plan *plan, struct rs_err *err)
{
	char path[PATH_MAX], *text = NULL;
	const cJSON *files, *f, *lay, *fmt;
	struct files listed = {0};
	cJSON *root;
	size_t len = 0;
	int rc;

	if ((rc = join_err(path, sizeof(path), backup, RS_BACKUP_MANIFEST, err)) ||
	    (rc = read_small(path, &text, &len, err)))
		return rc;
	root = cJSON_ParseWithLength(text, len);
	free(text);
	if (root == NULL || !cJSON_IsObject(root))
		rc = rs_errf(err, RS_ECORRUPT, "%s is not valid JSON", path);
	fmt = root ? cJSON_GetObjectItemCaseSensitive(root, "format") : NULL;
	lay = root ? cJSON_GetObjectItemCaseSensitive(root, "layout") : NULL;
	files = root ? cJSON_GetObjectItemCaseSensitive(root, "files") : NULL;
	if (rc == RS_OK &&
	    (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, RS_BACKUP_FORMAT) != 0))
		rc = rs_errf(err, RS_ECORRUPT, "%s: unknown format (expected \"%s\")", path,
		             RS_BACKUP_FORMAT);
	if (rc == RS_OK && cJSON_IsString(lay) && strcmp(lay->valuestring, "node") == 0)
		*layout = RS_LAYOUT_NODE;
	else if (rc == RS_OK && cJSON_IsString(lay) && strcmp(lay->valuestring, "cluster") == 0)
		*layout = RS_LAYOUT_CLUSTER;
	else if (rc == RS_OK)
		rc = rs_errf(err, RS_ECORRUPT, "%s: \"layout\" must be \"node\" or \"cluster\"",
		             path);
	if (rc == RS_OK && !cJSON_IsArray(files))
		rc = rs_errf(err, RS_ECORRUPT, "%s: \"files\" is missing", path);
	cJSON_ArrayForEach(f, files)
	{
		if (rc != RS_OK)
			break;
		rc = check_entry(backup, f, listed.n + 1, found, &listed, err);
	}
	cJSON_Delete(root);
	for (size_t i = 0; rc == RS_OK && i < found->n; i++)
		if (found->v[i].crc32 == 0 && must_be_listed(found->v[i].path))
			rc =
			    rs_errf(err, RS_ECORRUPT, "backup %s: %s is not listed in the manifest",
			            backup, found->v[i].path);
	if (rc != RS_OK) {
		free(listed.v);
		return rc;
	}
	plan->listed = listed.v;
	plan->nfiles = listed.n;
	for (size_t i = 0; i < listed.n; i++)
		plan->ncompressed += listed.v[i].compressed != 0;
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

/* Whether a target database is held by another process. */
static int target_locked(const char *node_dir, struct rs_err *err)
{
	static const char *const dbs[] = {RS_LOG_FILE, RS_STABLE_FILE};
	char p[PATH_MAX];

	for (size_t i = 0; i < 2; i++) {
		int fd, r;

		if (join(p, sizeof(p), node_dir, dbs[i]) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s is too long", node_dir);
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return rs_syserr(err, "cannot open", p);
		}
		r = bolt_lock_probe(fd, LOCK_EX);
		close(fd);
		if (r == 1)
			return rs_errf(
			    err, RS_ELOCKED,
			    "%s is locked by another process (is op-conductor running?); "
			    "stop it before restoring",
			    p);
		if (r < 0)
			return rs_syserr(err, "cannot lock", p);
	}
	return RS_OK;
}

static int plan_add(struct rs_restore_plan *plan, const char *id, struct rs_err *err)
{
	struct rs_restore_node *nv, *n;
	struct stat st;

	nv = reallocarray(plan->nodes, plan->nnodes + 1, sizeof(*nv));
	if (nv == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	plan->nodes = nv;
	n = &nv[plan->nnodes];
	memset(n, 0, sizeof(*n));
	strlcpy(n->id, id, sizeof(n->id));
	if (join(n->src, sizeof(n->src), plan->backup, id) != 0 ||
	    join(n->target, sizeof(n->target), plan->state_dir, id) != 0)
		return rs_errf(err, RS_ELIMIT, "path for node %s is too long", id);
	plan->nnodes++;
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
	if (has_state(n->target)) {
		char snap[PATH_MAX];

		n->target_exists = 1;
		plan->nexisting++;
		(void)snap;
	} else {
		char snap[PATH_MAX];

		if (join(snap, sizeof(snap), n->target, SNAP_DIR) == 0 && lstat(snap, &st) == 0) {
			n->target_exists = 1;
			plan->nexisting++;
		}
	}
	return RS_OK;
}

int rs_restore_check(const char *backup_dir, const char *state_dir, double lock_timeout,
                     struct rs_restore_plan *plan, struct rs_problems *problems, struct rs_err *err)
{
	struct files found = {0};
	struct stat st;
	char **nodes = NULL;
	size_t nnodes = 0;
	int rc, layout = 0;

	memset(plan, 0, sizeof(*plan));
	if (stat(backup_dir, &st) != 0) {
		if (errno == ENOENT)
			return rs_errf(err, RS_ENOTFOUND, "backup directory %s does not exist",
			               backup_dir);
		return rs_syserr(err, "cannot read backup directory", backup_dir);
	}
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL, "--backup-dir %s is not a directory", backup_dir);
	if (strlcpy(plan->backup, backup_dir, sizeof(plan->backup)) >= sizeof(plan->backup) ||
	    strlcpy(plan->state_dir, state_dir, sizeof(plan->state_dir)) >= sizeof(plan->state_dir))
		return rs_errf(err, RS_ELIMIT, "path too long");
	for (size_t l = strlen(plan->state_dir); l > 1 && plan->state_dir[l - 1] == '/'; l--)
		plan->state_dir[l - 1] = '\0';

	if ((rc = walk_backup(backup_dir, "", 0, &found, err)) != RS_OK)
		goto out;
	if (find_file(&found, RS_BACKUP_MANIFEST) != NULL) {
		plan->has_manifest = 1;
		if ((rc = check_manifest(backup_dir, &found, &layout, plan, err)) != RS_OK)
			goto out;
	}
	if (layout == 0)
		layout = has_state(backup_dir) ? RS_LAYOUT_NODE : RS_LAYOUT_CLUSTER;
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
			if (has_state(n->target)) {
				n->target_exists = 1;
				plan->nexisting = 1;
			}
		}
	} else {
		if ((rc = list_nodes_gz(backup_dir, plan->ncompressed > 0, &nodes, &nnodes, err)) !=
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

			if (!valid_server_id(nodes[i])) {
				rc = rs_errf(err, RS_ECORRUPT,
				             "refusing backup %s: node directory %s is not a valid "
				             "server ID",
				             backup_dir, printable(nodes[i], qname, sizeof(qname)));
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
		    (rc = target_locked(plan->nodes[i].target, err)) != RS_OK)
			goto out;
	rc = RS_OK;
out:
	free(found.v);
	free_list(nodes, nnodes);
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

/* ---- restore: replacing the target -------------------------------------
 *
 * Every node is first staged - the backup's files copied (or inflated)
 * into a new dot-named directory, fsynced, and verified - and only when all
 * staged copies verify is the first node replaced. A node goes in one of
 * three ways:
 *
 *   PUT_NEW       no target directory: the stage, beside it, is renamed to
 *                 the target's name.
 *   PUT_SWAP      the stage, beside the target, and the target directory
 *                 swap names in one renameat2(RENAME_EXCHANGE): a crash
 *                 leaves the old node directory or the new one, never a mix.
 *   PUT_IN_PLACE  the target directory cannot be renamed - it is a mount
 *                 point (a Kubernetes volume), its parent is not writable,
 *                 or the swap failed with EBUSY/EXDEV or for want of
 *                 RENAME_EXCHANGE - or it holds files other than raft state
 *                 (which must stay where they are, as `raft generate` keeps
 *                 them): the stage is made inside the node directory (same
 *                 file system), and raft-log.db, raft-stable.db and
 *                 snapshots/ are swapped one by one (see put_in_place).
 */

enum put_mode {
	PUT_NEW = 1,
	PUT_SWAP,
	PUT_IN_PLACE,
};

struct put {
	int mode;
	int pfd;                  /* the directory holding the stage */
	int nfd;                  /* the target node directory, -1 when missing */
	char parent[PATH_MAX];    /* path of the target's parent */
	char sname[NAME_MAX + 1]; /* the stage's name in pfd */
	char stage[PATH_MAX];     /* the stage's path, for verify and messages */
	int staged;               /* sname exists and is ours */
};

static void put_init(struct put *pu)
{
	memset(pu, 0, sizeof(*pu));
	pu->pfd = pu->nfd = -1;
}

static void put_close(struct put *pu)
{
	if (pu->pfd >= 0)
		close(pu->pfd);
	if (pu->nfd >= 0)
		close(pu->nfd);
	pu->pfd = pu->nfd = -1;
}

/* rm -rf of `name` in dfd, relative to directory descriptors only (so a
 * symlink swapped in anywhere on the path is removed, never followed);
 * a stage is at most stage/snapshots/<snapshot>/<file> deep. */
static void remove_tree_at(int dfd, const char *name, int depth)
{
	struct dirent *de;
	int fd;
	DIR *d;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT || depth > 4)
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
			remove_tree_at(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	(void)unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Removes the stage (only ours: created by make_stage). */
static void put_unstage(struct put *pu)
{
	if (pu->staged)
		remove_tree_at(pu->pfd, pu->sname, 0);
	pu->staged = 0;
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

/* Whether the directory open at fd holds anything but raft-log.db,
 * raft-stable.db and snapshots/ (1), only those (0), or cannot be read
 * (-1, errno set). */
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
	while (!other && (de = readdir(d)) != NULL)
		other = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		        !is_state_file(de->d_name) && strcmp(de->d_name, SNAP_DIR) != 0;
	closedir(d);
	return other;
}

static int fsync_fd(int fd, const char *path, struct rs_err *err)
{
	if (fsync(fd) != 0)
		return rs_syserr(err, "cannot sync", path);
	return RS_OK;
}

/* Creates the stage directory in pu->pfd (`prefix`restore-tmp-<pid>[-N]);
 * fails with errno kept in err->sys_errno. */
static int make_stage(struct put *pu, const char *dir, const char *prefix, struct rs_err *err)
{
	for (int i = 1; i <= 100; i++) {
		int n = i == 1 ? snprintf(pu->sname, sizeof(pu->sname), "%srestore-tmp-%ld", prefix,
		                          (long)getpid())
		               : snprintf(pu->sname, sizeof(pu->sname), "%srestore-tmp-%ld-%d",
		                          prefix, (long)getpid(), i);

		if (n < 0 || (size_t)n >= sizeof(pu->sname) ||
		    join(pu->stage, sizeof(pu->stage), dir, pu->sname) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", dir, prefix);
		if (mkdirat(pu->pfd, pu->sname, 0755) == 0) {
			pu->staged = 1;
			return RS_OK;
		}
		if (errno != EEXIST)
			return rs_syserr(err, "cannot create", pu->stage);
	}
	return rs_errf(err, RS_EEXIST, "too many stale %srestore-tmp-* directories in %s", prefix,
	               dir);
}

/* Copies one file of the backup (`rel` from its root, at path `src`) to
 * `name` in dfd (`dst` names it): inflated when the manifest lists it as
 * compressed (src is then the .gz), checked once more against the
 * manifest's size and crc32 on the way. */
static int stage_file(const struct rs_restore_plan *plan, const char *rel, const char *src, int dfd,
                      const char *name, const char *dst, mode_t mode, struct rs_err *err)
{
	const struct rs_backup_file *f = listed_file(plan, rel);
	uint64_t size;
	uint32_t crc;
	int out, rc;

	if (f == NULL || !f->compressed)
		return copy_at(src, dfd, name, dst, mode, err);
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0)
		return rs_syserr(err, "cannot create", dst);
	rc = gunzip_file(src, src, out, dst, f->size, &size, &crc, err);
	if (rc == RS_OK && (size != f->size || crc != f->crc32))
		rc = rs_errf(err, RS_ECORRUPT,
		             "%s changed since it was checked: it inflates to %llu bytes with "
		             "crc32 %08x, the manifest says %llu bytes, %08x",
		             src, (unsigned long long)size, crc, (unsigned long long)f->size,
		             f->crc32);
	if (rc == RS_OK && fsync(out) != 0)
		rc = rs_syserr(err, "cannot sync", dst);
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
	               f != NULL && f->compressed ? GZ_SUFFIX : "");
	return join_err(path, size, plan->backup, rel, err);
}

/* Opens the directory `name` in dfd, not following a symlink. */
static int open_dir_at(int dfd, const char *name, const char *path, struct rs_err *err, int *out)
{
	*out = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*out < 0)
		return rs_syserr(err, "cannot open", path);
	return RS_OK;
}

/* Fills the (new, empty) stage of node n from the backup: the two
 * databases and snapshots/ (nothing else), every file and directory
 * fsynced. */
static int stage_node(const struct rs_restore_plan *plan, const struct rs_restore_node *n,
                      const struct put *pu, struct rs_err *err)
{
	static const char *const dbs[] = {RS_LOG_FILE, RS_STABLE_FILE};
	char rel[PATH_MAX], s[PATH_MAX], d[PATH_MAX], rs[PATH_MAX], ss[PATH_MAX];
	int sfd = -1, snapfd = -1, rc;
	struct stat st;
	DIR *dir = NULL;
	struct dirent *de;

	if ((rc = open_dir_at(pu->pfd, pu->sname, pu->stage, err, &sfd)) != RS_OK)
		return rc;
	for (size_t i = 0; i < 2; i++) {
		if ((rc = join_err(rel, sizeof(rel), n->id, dbs[i], err)) ||
		    (rc = backup_path(plan, rel, s, sizeof(s), err)) ||
		    (rc = join_err(d, sizeof(d), pu->stage, dbs[i], err)) ||
		    (rc = stage_file(plan, rel, s, sfd, dbs[i], d, 0600, err)))
			goto out;
	}
	if ((rc = join_err(rs, sizeof(rs), n->id, SNAP_DIR, err)) ||
	    (rc = join_err(ss, sizeof(ss), plan->backup, rs, err)) ||
	    (rc = join_err(d, sizeof(d), pu->stage, SNAP_DIR, err)))
		goto out;
	if (lstat(ss, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (mkdirat(sfd, SNAP_DIR, 0755) != 0) {
			rc = rs_syserr(err, "cannot create", d);
			goto out;
		}
		if ((rc = open_dir_at(sfd, SNAP_DIR, d, err, &snapfd)) != RS_OK)
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
			if ((rc = join_err(s1, sizeof(s1), ss, de->d_name, err)) ||
			    (rc = join_err(d1, sizeof(d1), d, de->d_name, err)) ||
			    (rc = join_err(r1, sizeof(r1), rs, de->d_name, err)))
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
				size_t l = strlen(fe->d_name), sl = strlen(GZ_SUFFIX);

				if (fe->d_name[0] == '.')
					continue;
				/* a compressed file is listed under its plain name */
				strlcpy(name, fe->d_name, sizeof(name));
				if (l > sl && strcmp(fe->d_name + l - sl, GZ_SUFFIX) == 0) {
					name[l - sl] = '\0';
					if ((rc = join_err(r2, sizeof(r2), r1, name, err)) != RS_OK)
						break;
					f = listed_file(plan, r2);
					if (f == NULL || !f->compressed)
						strlcpy(name, fe->d_name, sizeof(name));
				}
				if ((rc = join_err(s2, sizeof(s2), s1, fe->d_name, err)) ||
				    (rc = join_err(r2, sizeof(r2), r1, name, err)) ||
				    (rc = join_err(d2, sizeof(d2), d1, name, err)))
					break;
				if (lstat(s2, &st) != 0 || !S_ISREG(st.st_mode))
					continue;
				rc = stage_file(plan, r2, s2, fd1, name, d2, 0644, err);
			}
			closedir(sd);
			if (rc == RS_OK)
				rc = fsync_fd(fd1, d1, err);
			close(fd1);
		}
		if (rc == RS_OK)
			rc = fsync_fd(snapfd, d, err);
		if (rc != RS_OK)
			goto out;
	}
	rc = fsync_fd(sfd, pu->stage, err);
out:
	if (dir != NULL)
		closedir(dir);
	if (snapfd >= 0)
		close(snapfd);
	close(sfd);
	return rc;
}

/* Stages node n into the stage made by make_stage and verifies the staged
 * copy. */
static int stage_and_verify(const struct rs_restore_plan *plan, const struct rs_restore_node *n,
                            struct put *pu, double lock_timeout, struct rs_problems *problems,
                            struct rs_err *err)
{
	struct rs_verify_opts vo = {.lock_timeout = lock_timeout, .live = 0};
	size_t before = problems->errors;
	int rc;

	if ((rc = stage_node(plan, n, pu, err)) != RS_OK ||
	    (rc = rs_verify_node(pu->stage, &vo, problems, err)) != RS_OK)
		return rc;
	if (problems->errors > before)
		return rs_errf(err, RS_ECORRUPT, "the staged copy %s does not verify", pu->stage);
	return RS_OK;
}

/* Switches node n to PUT_IN_PLACE (why: the reason, for the report) and
 * stages it inside the node directory. */
static int prepare_in_place(const struct rs_restore_plan *plan, struct rs_restore_node *n,
                            struct put *pu, const char *why, double lock_timeout,
                            struct rs_problems *problems, struct rs_err *err)
{
	int dup_fd;

	put_unstage(pu);
	if ((dup_fd = fcntl(pu->nfd, F_DUPFD_CLOEXEC, 0)) < 0)
		return rs_syserr(err, "cannot open", n->target);
	close(pu->pfd);
	pu->pfd = dup_fd;
	pu->mode = PUT_IN_PLACE;
	n->in_place = 1;
	strlcpy(n->in_place_why, why, sizeof(n->in_place_why));
	if (make_stage(pu, n->target, ".", err) != RS_OK)
		return err->code;
	return stage_and_verify(plan, n, pu, lock_timeout, problems, err);
}

/* Picks how node n goes in, and stages and verifies it. */
static int prepare_node(const struct rs_restore_plan *plan, struct rs_restore_node *n,
                        struct put *pu, double lock_timeout, struct rs_problems *problems,
                        struct rs_err *err)
{
	const char *base = base_of(n->target), *why = NULL;
	char prefix[NAME_MAX + 1];
	int rc, other;

	parent_of(n->target, pu->parent, sizeof(pu->parent));
	if (plan->layout == RS_LAYOUT_NODE && (rc = mkdir_p(pu->parent, err)) != RS_OK)
		return rc;
	pu->pfd = open(pu->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pu->pfd < 0)
		return rs_syserr(err, "cannot open", pu->parent);
	pu->mode = PUT_NEW;
	if (n->target_dir_exists) {
		if ((rc = open_dir_at(pu->pfd, base, n->target, err, &pu->nfd)) != RS_OK)
			return rc;
		pu->mode = PUT_SWAP;
		if ((other = holds_other_files(pu->nfd)) < 0)
			return rs_syserr(err, "cannot read", n->target);
		if (is_mount_point(pu->nfd))
			why = "it is a mount point";
		else if (other)
			why = "it holds other files, which stay";
		if (why != NULL)
			return prepare_in_place(plan, n, pu, why, lock_timeout, problems, err);
	}
	if (snprintf(prefix, sizeof(prefix), ".%.200s.", base) >= (int)sizeof(prefix))
		return rs_errf(err, RS_ELIMIT, "path %s is too long", n->target);
	if ((rc = make_stage(pu, pu->parent, prefix, err)) != RS_OK) {
		int e = err->sys_errno;

		if (pu->mode == PUT_SWAP && (e == EACCES || e == EPERM || e == EROFS))
			return prepare_in_place(plan, n, pu, "its parent directory is not writable",
			                        lock_timeout, problems, err);
		return rc;
	}
	return stage_and_verify(plan, n, pu, lock_timeout, problems, err);
}

/* A new directory in dfd (at `dir`) named `prefix`YYYYMMDD-HHMMSS[-N];
 * its name goes to name, its path to path. */
static int make_keep_dir(int dfd, const char *dir, const char *prefix, char *name, size_t name_size,
                         char *path, size_t path_size, struct rs_err *err)
{
	char ts[32];

	timestamp(ts, sizeof(ts));
	for (int i = 1; i <= 1000; i++) {
		int n = i == 1 ? snprintf(name, name_size, "%s%s", prefix, ts)
		               : snprintf(name, name_size, "%s%s-%d", prefix, ts, i);

		if (n < 0 || (size_t)n >= name_size || join(path, path_size, dir, name) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s is too long", dir);
		if (mkdirat(dfd, name, 0700) == 0)
			return RS_OK;
		if (errno != EEXIST)
			return rs_syserr(err, "cannot create", path);
	}
	return rs_errf(err, RS_EEXIST, "too many %s%s directories in %s", prefix, ts, dir);
}

/* The swap could not happen for a reason an in-place replacement avoids. */
static int swap_impossible(int e)
{
	return e == EBUSY || e == EXDEV || e == EINVAL || e == ENOSYS || e == EOPNOTSUPP;
}

/*
 * PUT_IN_PLACE: the staged files (in the stage inside the node directory)
 * replace raft-log.db, raft-stable.db and snapshots/ one at a time, and
 * what they replace goes to NODE/.pre-restore-YYYYMMDD-HHMMSS/ (inside the
 * node directory: the same file system, so every step is a rename).
 *
 * For each name: renameat2(RENAME_EXCHANGE) of the staged entry with the
 * current one - the name never goes missing - then the old entry, now in
 * the stage, is renamed into the keep directory. A file system without
 * RENAME_EXCHANGE gets rename-old-away then rename-new-in, so there the
 * name is briefly missing. Every new file was fsynced before, the
 * directories are fsynced after.
 *
 * Unlike the directory swap this is NOT atomic across the files: a crash
 * part way leaves, for each name, either its old or its new entry (never a
 * torn file), but raft-log.db may already be new while raft-stable.db is
 * still old; the stage (.restore-tmp-*) and keep (.pre-restore-*)
 * directories are then left behind and say which is which; run the restore
 * again.
 */
static int put_in_place(struct rs_restore_node *n, struct put *pu, struct rs_err *err)
{
	static const char *const names[] = {RS_LOG_FILE, RS_STABLE_FILE, SNAP_DIR};
	char kname[NAME_MAX + 1], done[64] = "";
	int sfd = -1, kfd = -1, rc = RS_OK;
	struct stat st;

	if ((rc = open_dir_at(pu->nfd, pu->sname, pu->stage, err, &sfd)) != RS_OK)
		return rc;
	for (size_t i = 0; i < 3 && kfd < 0; i++) {
		if (fstatat(pu->nfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if ((rc = make_keep_dir(pu->nfd, n->target, ".pre-restore-", kname, sizeof(kname),
		                        n->kept, sizeof(n->kept), err)) != RS_OK ||
		    (rc = open_dir_at(pu->nfd, kname, n->kept, err, &kfd)) != RS_OK)
			goto out;
	}
	for (size_t i = 0; i < 3; i++) {
		const char *nm = names[i];
		int has_old = fstatat(pu->nfd, nm, &st, AT_SYMLINK_NOFOLLOW) == 0;
		int has_new = fstatat(sfd, nm, &st, AT_SYMLINK_NOFOLLOW) == 0;
		int r = 0;

		if (has_old && has_new) {
			r = renameat2(sfd, nm, pu->nfd, nm, RENAME_EXCHANGE);
			if (r == 0)
				r = renameat(sfd, nm, kfd, nm);
			else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
				r = renameat(pu->nfd, nm, kfd, nm) != 0
				        ? -1
				        : renameat(sfd, nm, pu->nfd, nm);
		} else if (has_old) {
			r = renameat(pu->nfd, nm, kfd, nm);
		} else if (has_new) {
			r = renameat(sfd, nm, pu->nfd, nm);
		}
		if (r != 0) {
			char p[PATH_MAX];

			(void)join(p, sizeof(p), n->target, nm);
			rc = rs_syserr(err, "cannot replace", p);
			if (done[0] != '\0') {
				char m[sizeof(err->msg)];

				if (snprintf(
				        m, sizeof(m),
				        "%s (already replaced: %s; the old files are in %s, the "
				        "new ones not yet moved in %s)",
				        err->msg, done, n->kept, pu->stage) > 0)
					strlcpy(err->msg, m, sizeof(err->msg));
			}
			pu->staged = 0; /* it may hold old files now: leave it */
			goto out;
		}
		if (has_old || has_new)
			(void)snprintf(done + strlen(done), sizeof(done) - strlen(done), "%s%s",
			               done[0] ? ", " : "", nm);
	}
	if ((kfd >= 0 && (rc = fsync_fd(kfd, n->kept, err)) != RS_OK) ||
	    (rc = fsync_fd(sfd, pu->stage, err)) != RS_OK ||
	    (rc = fsync_fd(pu->nfd, n->target, err)) != RS_OK)
		goto out;
	if (unlinkat(pu->nfd, pu->sname, AT_REMOVEDIR) != 0) {
		rc = rs_syserr(err, "cannot remove the emptied stage", pu->stage);
		goto out;
	}
	pu->staged = 0;
	rc = fsync_fd(pu->nfd, n->target, err);
out:
	if (kfd >= 0)
		close(kfd);
	close(sfd);
	return rc;
}

/* PUT_SWAP after the exchange: the stage holds the replaced directory.
 * Cluster layout: it goes to STATE_DIR/.pre-restore-*\/<id> (keep_root,
 * made on first use); node layout: it is renamed to the sibling
 * .<name>.pre-restore-*. */
static int keep_swapped(const struct rs_restore_plan *plan, struct rs_restore_node *n,
                        struct put *pu, char *keep_root, size_t keep_size, struct rs_err *err)
{
	char name[NAME_MAX + 1], prefix[NAME_MAX + 1];
	int kfd, rc;

	if (plan->layout == RS_LAYOUT_CLUSTER) {
		if (keep_root[0] == '\0' &&
		    (rc = make_keep_dir(pu->pfd, pu->parent, ".pre-restore-", name, sizeof(name),
		                        keep_root, keep_size, err)) != RS_OK)
			return rc;
		if ((rc = join_err(n->kept, sizeof(n->kept), keep_root, n->id, err)) != RS_OK)
			return rc;
		kfd = open(keep_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (kfd < 0)
			return rs_syserr(err, "cannot open", keep_root);
		if (renameat(pu->pfd, pu->sname, kfd, n->id) != 0) {
			close(kfd);
			return rs_syserr(err, "cannot keep the replaced state in", n->kept);
		}
		pu->staged = 0;
		rc = fsync_fd(kfd, keep_root, err);
		close(kfd);
		if (rc != RS_OK)
			return rc;
		return fsync_fd(pu->pfd, pu->parent, err);
	}
	(void)snprintf(prefix, sizeof(prefix), ".%.200s.pre-restore-", base_of(n->target));
	if ((rc = make_keep_dir(pu->pfd, pu->parent, prefix, name, sizeof(name), n->kept,
	                        sizeof(n->kept), err)) != RS_OK)
		return rc;
	/* the keep dir itself becomes the replaced node directory */
	if (unlinkat(pu->pfd, name, AT_REMOVEDIR) != 0 ||
	    renameat2(pu->pfd, pu->sname, pu->pfd, name, RENAME_NOREPLACE) != 0)
		return rs_syserr(err, "cannot keep the replaced state in", n->kept);
	pu->staged = 0;
	strlcpy(keep_root, n->kept, keep_size);
	return fsync_fd(pu->pfd, pu->parent, err);
}

/* Puts the staged node n in place. */
static int put_node(const struct rs_restore_plan *plan, struct rs_restore_node *n, struct put *pu,
                    double lock_timeout, char *keep_root, size_t keep_size,
                    struct rs_problems *problems, struct rs_err *err)
{
	const char *base = base_of(n->target);
	int rc;

	/* the target may have been locked since the check */
	if (n->target_exists && (rc = target_locked(n->target, err)) != RS_OK)
		return rc;
	if (pu->mode == PUT_NEW) {
		if (renameat2(pu->pfd, pu->sname, pu->pfd, base, RENAME_NOREPLACE) != 0)
			return rs_syserr(err, "cannot move the restored state to", n->target);
		pu->staged = 0;
		return fsync_fd(pu->pfd, pu->parent, err);
	}
	if (pu->mode == PUT_SWAP) {
		if (renameat2(pu->pfd, pu->sname, pu->pfd, base, RENAME_EXCHANGE) == 0) {
			if ((rc = fsync_fd(pu->pfd, pu->parent, err)) != RS_OK) {
				pu->staged = 0; /* it holds the replaced state now */
				return rc;
			}
			return keep_swapped(plan, n, pu, keep_root, keep_size, err);
		}
		if (!swap_impossible(errno))
			return rs_syserr(err, "cannot swap the restored state into", n->target);
		rc = prepare_in_place(plan, n, pu,
		                      errno == EBUSY || errno == EXDEV
		                          ? "it cannot be renamed (a mount point?)"
		                          : "the file system cannot swap directories",
		                      lock_timeout, problems, err);
		if (rc != RS_OK)
			return rc;
		if (n->target_exists && (rc = target_locked(n->target, err)) != RS_OK)
			return rc;
	}
	return put_in_place(n, pu, err);
}

int rs_restore_apply(struct rs_restore_plan *plan, double lock_timeout, char *kept,
                     size_t kept_size, struct rs_problems *problems, struct rs_err *err)
{
	char keep_root[PATH_MAX] = "";
	struct put *puts;
	size_t i;
	int rc = RS_OK;

	if (kept_size > 0)
		kept[0] = '\0';
	if (plan->layout == RS_LAYOUT_CLUSTER && (rc = mkdir_p(plan->state_dir, err)) != RS_OK)
		return rc;
	if ((puts = calloc(plan->nnodes ? plan->nnodes : 1, sizeof(*puts))) == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	for (i = 0; i < plan->nnodes; i++)
		put_init(&puts[i]);
	/* 1. stage and verify every node; nothing is replaced yet */
	for (i = 0; i < plan->nnodes && rc == RS_OK; i++)
		rc = prepare_node(plan, &plan->nodes[i], &puts[i], lock_timeout, problems, err);
	/* 2. no target may be locked; then replace node by node */
	for (i = 0; i < plan->nnodes && rc == RS_OK; i++)
		if (plan->nodes[i].target_exists)
			rc = target_locked(plan->nodes[i].target, err);
	for (i = 0; i < plan->nnodes && rc == RS_OK; i++) {
		struct rs_restore_node *n = &plan->nodes[i];

		rc = put_node(plan, n, &puts[i], lock_timeout, keep_root, sizeof(keep_root),
		              problems, err);
		if (rc == RS_OK)
			n->restored = 1;
	}
	if (rc == RS_OK) {
		if (plan->layout == RS_LAYOUT_NODE && plan->nnodes == 1)
			strlcpy(kept, plan->nodes[0].kept, kept_size);
		else
			strlcpy(kept, keep_root, kept_size);
	}
	for (i = 0; i < plan->nnodes; i++) {
		put_unstage(&puts[i]);
		put_close(&puts[i]);
	}
	free(puts);
	return rc;
}
