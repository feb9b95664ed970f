/*
 * The files of a backup, for backup.c (making one) and restore.c (checking
 * and applying one): path helpers, the node directories of a state or
 * backup directory, checksums, copies, and the gzip form of --compress.
 * See backupfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>
#include <zlib.h>

#include "bolt/file.h"
#include "raftstate/backupfile.h"
#include "raftstate/crc32.h"
#include "raftstate/filecopy.h"
#include "raftstate/gzmember.h"
#include "raftstate/node.h"
#include "raftstate/path.h"

#define MAX_ENTRIES 100000
/* What one gzread inflates at a time. The fuzz build (tests/fuzz/build.sh)
 * sets a smaller one: with 1 MiB, each input of fuzz_gunzip cost ~3 MiB of
 * fresh mappings under ASan and ran at ~1,000 inputs a second. The loop is
 * the same; only where its chunk boundaries fall moves. */
#ifndef OCI_GZ_CHUNK
#define OCI_GZ_CHUNK (1u << 20)
#endif
#define GZ_CHUNK OCI_GZ_CHUNK

/* YYYYMMDD-HHMMSS in local time, as the Go tool names backups. */
void rs_bk_timestamp(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	if (strftime(buf, size, "%Y%m%d-%H%M%S", &tm) == 0)
		strlcpy(buf, "unknown", size);
}

/* ---- source and target apart ---- */

/* The directories from path (or, when it does not exist yet, from its
 * nearest existing ancestor) up to "/", by device and inode: each found by
 * opening ".." of the one before, so symbolic links, "..", bind mounts and
 * different spellings all give the same chain. */
struct dir_chain {
	dev_t *dev;
	ino_t *ino;
	size_t n;
	int exists; /* path itself exists */
};

static int chain_of(const char *path, struct dir_chain *c, struct rs_err *err)
{
	char p[PATH_MAX];
	struct stat st;
	int fd;

	memset(c, 0, sizeof(*c));
	if (strlcpy(p, path, sizeof(p)) >= sizeof(p))
		return rs_errf(err, RS_ELIMIT, "path %s is too long", path);
	c->exists = 1;
	/* the nearest directory: a path that is missing, or not a directory
	 * (which the caller refuses later, naming it), contains nothing; each
	 * step shortens p */
	for (;;) {
		char up[PATH_MAX];

		if (stat(p, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				break;
		} else if (errno != ENOENT) {
			return rs_syserr(err, "cannot inspect", p);
		}
		c->exists = 0;
		rs_path_parent(p, up, sizeof(up));
		if (strcmp(up, p) == 0)
			return rs_errf(err, RS_EIO, "cannot inspect %s: no directory holds it", p);
		strlcpy(p, up, sizeof(p));
	}
	if ((fd = open(p, O_RDONLY | O_CLOEXEC | O_PATH)) < 0)
		return rs_syserr(err, "cannot open", p);
	/* bounded: a path of PATH_MAX bytes has at most PATH_MAX / 2 levels */
	for (size_t depth = 0; depth < PATH_MAX / 2; depth++) {
		int up;

		if (fstat(fd, &st) != 0) {
			/* a chain cut short would hide a containment: an error,
			 * never a shorter chain (nor, at the first step, none) */
			close(fd);
			return rs_syserr(err, "cannot inspect", p);
		}
		if (c->n > 0 && c->dev[c->n - 1] == st.st_dev && c->ino[c->n - 1] == st.st_ino)
			break; /* "/" is its own parent */
		{
			dev_t *nd = reallocarray(c->dev, c->n + 1, sizeof(*nd));
			ino_t *ni = nd ? reallocarray(c->ino, c->n + 1, sizeof(*ni)) : NULL;

			if (nd != NULL)
				c->dev = nd;
			if (ni == NULL) {
				close(fd);
				return rs_errf(err, RS_ENOMEM, "out of memory");
			}
			c->ino = ni;
		}
		c->dev[c->n] = st.st_dev;
		c->ino[c->n] = st.st_ino;
		c->n++;
		up = openat(fd, "..", O_RDONLY | O_CLOEXEC | O_PATH | O_DIRECTORY);
		close(fd);
		if (up < 0)
			return rs_syserr(err, "cannot open the parent of", p);
		fd = up;
	}
	close(fd);
	return RS_OK;
}

/* Whether the directory at the head of `outer` is in `inner`'s chain. */
static int chain_holds(const struct dir_chain *inner, const struct dir_chain *outer)
{
	if (outer->n == 0 || !outer->exists)
		return 0;
	for (size_t i = 0; i < inner->n; i++)
		if (inner->dev[i] == outer->dev[0] && inner->ino[i] == outer->ino[0])
			return 1;
	return 0;
}

int rs_bk_check_apart(const char *a, const char *a_what, const char *b, const char *b_what,
                      struct rs_err *err)
{
	struct dir_chain ca, cb;
	int rc;

	memset(&cb, 0, sizeof(cb));
	if ((rc = chain_of(a, &ca, err)) == RS_OK && (rc = chain_of(b, &cb, err)) == RS_OK) {
		if (ca.exists && cb.exists && ca.dev[0] == cb.dev[0] && ca.ino[0] == cb.ino[0])
			rc = rs_errf(err, RS_EINVAL, "%s %s and %s %s are the same directory",
			             a_what, a, b_what, b);
		else if (chain_holds(&cb, &ca))
			rc =
			    rs_errf(err, RS_EINVAL,
			            "%s %s is inside %s %s; they must not contain each other: give "
			            "a directory outside it",
			            b_what, b, a_what, a);
		else if (chain_holds(&ca, &cb))
			rc =
			    rs_errf(err, RS_EINVAL,
			            "%s %s is inside %s %s; they must not contain each other: give "
			            "a directory outside it",
			            a_what, a, b_what, b);
	}
	free(ca.dev), free(ca.ino), free(cb.dev), free(cb.ino);
	return rc;
}

/* ---- checksums and copies ---------------------------------------------- */

void rs_bk_relay_progress(void *ctx, uint64_t done, uint64_t total)
{
	const struct rs_bk_relay *r = ctx;

	r->pg->fn(r->pg->ctx, r->verb, r->file, done, total);
}

/* rs_copy_range's progress arguments for pg (NULL or without fn: none) */
#define RELAY_FN(pg) ((pg) != NULL && (pg)->fn != NULL ? rs_bk_relay_progress : NULL)

int rs_bk_crc_file(const char *path, const struct rs_progress *pg, uint64_t *size, uint32_t *crc,
                   struct rs_err *err)
{
	struct rs_bk_relay relay = {.pg = pg, .verb = "checking", .file = path};
	struct bolt_err be = {0};
	struct stat st;
	int fd, rc = RS_OK;

	if (bolt_file_open(AT_FDCWD, path, 0, NULL, &fd, &st, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	if ((rc = rs_copy_range(fd, -1, (uint64_t)st.st_size, path, RELAY_FN(pg), &relay, crc,
	                        err)) == RS_OK)
		*size = (uint64_t)st.st_size;
	close(fd);
	return rc;
}

int rs_bk_copy_at(const char *src, int dfd, const char *name, const char *dst, mode_t mode,
                  int sync, const struct rs_progress *pg, uint64_t *size, uint32_t *crc,
                  struct rs_err *err)
{
	struct rs_bk_relay relay = {.pg = pg, .verb = "copying", .file = src};
	struct bolt_err be = {0};
	struct stat st;
	uint32_t c;
	int in, out, rc = RS_OK;

	if (bolt_file_open(AT_FDCWD, src, 0, NULL, &in, &st, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (out < 0) {
		rc = rs_syserr(err, "cannot create", dst);
		close(in);
		return rc;
	}
	rc = rs_copy_range(in, out, (uint64_t)st.st_size, src, RELAY_FN(pg), &relay, &c, err);
	if (rc == RS_OK && sync)
		rc = rs_fsync_fd(out, dst, err);
	if (rc == RS_OK && size != NULL)
		*size = (uint64_t)st.st_size;
	if (rc == RS_OK && crc != NULL)
		*crc = c;
	close(in);
	if (close(out) != 0 && rc == RS_OK)
		rc = rs_syserr(err, "cannot write", dst);
	return rc;
}

int rs_bk_copy_plain(const char *src, const char *dst, mode_t mode, struct rs_err *err)
{
	return rs_bk_copy_at(src, AT_FDCWD, dst, dst, mode, 1, NULL, NULL, NULL, err);
}

/* ---- gzip-compressed backup files ---------------------------------------
 *
 * With --compress every file of the finished, verified backup is stored as
 * <path>.gz and the plain file removed: a gzip file of sized members
 * (raftstate/gzmember.h: 4 MiB blocks deflated by libdeflate on several
 * threads, each member's length in its header so that readers inflate
 * members on several threads too). MANIFEST.json keeps "path", "size" and
 * "crc32" for the uncompressed content and adds "compression": "gzip",
 * "stored_path" (<path>.gz) and "stored_size". Nothing trusts a .gz: every
 * reader inflates it, counts and checksums what comes out, and compares
 * that with the manifest. Backups made before the sized members (one zlib
 * member per 8 MiB block, or any other gzip data) are read with zlib's
 * gzread, one thread.
 */

/* Tells pg of `done` of `total` bytes once `done` reaches `next` (and at
 * the end); returns the next byte count to report at. */
static uint64_t report(const struct rs_progress *pg, const char *verb, const char *file,
                       uint64_t done, uint64_t total, uint64_t next)
{
	if (pg == NULL || pg->fn == NULL || (done < next && done < total))
		return next;
	pg->fn(pg->ctx, verb, file, done < total ? done : total, total);
	return done + RS_PROGRESS_STEP;
}

/* rs_gz_progress_fn to report() */
struct gz_relay {
	const struct rs_progress *pg;
	const char *verb, *file;
	uint64_t total, next;
};

static void gz_relay_progress(void *ctx, uint64_t done)
{
	struct gz_relay *r = ctx;

	r->next = report(r->pg, r->verb, r->file, done, r->total, r->next);
}

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
int rs_bk_gzip_file(const char *src, const char *dst, uint64_t size, uint32_t crc, unsigned threads,
                    const struct rs_progress *pg, uint64_t *stored, struct rs_err *err)
{
	struct gz_relay relay = {
	    .pg = pg, .verb = "compressing", .file = src, .total = size, .next = RS_PROGRESS_STEP};
	struct rs_gz_opts go = {
	    .threads = threads, .progress = gz_relay_progress, .progress_ctx = &relay};
	struct bolt_err be = {0};
	struct stat st;
	uint32_t c = 0;
	int in, out, rc;

	if (bolt_file_open(AT_FDCWD, src, 0, NULL, &in, NULL, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = rs_syserr(err, "cannot create", dst);
		close(in);
		return rc;
	}
	if ((rc = rs_gz_write(in, src, size, out, dst, &go, &c, err)) == RS_OK &&
	    (rc = rs_fsync_fd(out, dst, err)) == RS_OK) {
		if (fstat(out, &st) != 0)
			rc = rs_syserr(err, "cannot inspect", dst);
		else
			*stored = (uint64_t)st.st_size;
	}
	if (rc == RS_OK && c != crc)
		rc = rs_errf(err, RS_EIO,
		             "%s changed while it was compressed (crc32 %08x; expected %08x)", src,
		             c, crc);
	close(in);
	if (close(out) != 0 && rc == RS_OK)
		rc = rs_syserr(err, "cannot write", dst);
	return rc;
}

/* Inflates the gzip data of fd (any gzip: backups from before the sized
 * members) with zlib's gzread, on this thread; see rs_bk_gunzip_file. Takes
 * fd. */
static int gunzip_stream(int fd, const char *path, const char *label, int out_fd,
                         const char *out_path, uint64_t limit, const struct rs_progress *pg,
                         uint64_t *size, uint32_t *crc, struct rs_err *err)
{
	unsigned char *buf = NULL;
	uint32_t c = 0;
	uint64_t total = 0, next = RS_PROGRESS_STEP;
	gzFile gz;
	int n, e, rc = RS_OK;

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
		c = rs_crc32(c, buf, (size_t)n);
		if (out_fd >= 0 &&
		    (rc = rs_write_all(out_fd, buf, (size_t)n, out_path, err)) != RS_OK)
			goto out;
		next = report(pg, out_fd >= 0 ? "inflating" : "checking", path, total, limit, next);
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
	*crc = c;
out:
	free(buf);
	(void)gzclose(gz);
	return rc;
}

/* Inflates the gzip file `path` (called `label` in messages), writing what
 * comes out to out_fd when it is >= 0 (out_path names it), and returns the
 * inflated size and crc32. Reading stops with an error past `limit` bytes
 * (the size the manifest lists), so a hostile file cannot fill the disk.
 * RS_ECORRUPT for anything but whole gzip data: not gzip at all (zlib
 * would pass such a file through unchanged), a truncated stream, damaged
 * deflate data, a bad gzip trailer (crc32 or length). */
int rs_bk_gunzip_file(const char *path, const char *label, int out_fd, const char *out_path,
                      uint64_t limit, unsigned threads, const struct rs_progress *pg,
                      uint64_t *size, uint32_t *crc, struct rs_err *err)
{
	struct gz_relay relay = {.pg = pg,
	                         .verb = out_fd >= 0 ? "inflating" : "checking",
	                         .file = path,
	                         .total = limit,
	                         .next = RS_PROGRESS_STEP};
	struct rs_gz_opts go = {
	    .threads = threads, .progress = gz_relay_progress, .progress_ctx = &relay};
	unsigned char head[32];
	struct bolt_err be = {0};
	struct stat st;
	ssize_t got;
	int fd, rc;

	if (bolt_file_open(AT_FDCWD, path, 0, label, &fd, &st, &be) != BOLT_OK)
		return rs_err_from_bolt(err, &be);
	got = pread(fd, head, sizeof(head), 0);
	if (got < 2 || head[0] != 0x1f || head[1] != 0x8b) {
		close(fd);
		return rs_errf(err, RS_ECORRUPT, "%s is not gzip data", label);
	}
	if (!rs_gz_is_sized(head, (uint64_t)got))
		return gunzip_stream(fd, path, label, out_fd, out_path, limit, pg, size, crc, err);
	rc = rs_gz_read(fd, label, (uint64_t)st.st_size, out_fd, out_path, limit, &go, size, crc,
	                err);
	close(fd);
	return rc;
}

/* ---- the list of files a backup holds ---------------------------------- */

struct rs_backup_file *rs_bk_files_add(struct rs_bk_files *f, const char *rel, struct rs_err *err)
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
