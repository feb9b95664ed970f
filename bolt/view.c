/*
 * Read-only mapping of a bbolt file. What it trusts: nothing in the file.
 * What it checks on open: at least one valid meta page, and that the
 * active meta's high-water mark, root and freelist lie inside the file
 * (bbolt 1.3.9 does not: a truncated file opens and then dies with SIGBUS).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bsd/string.h>

#include "bolt/cursor.h"
#include "bolt/file.h"
#include "bolt/lock.h"
#include "bolt/meta.h"
#include "bolt/view.h"

static int check_active(struct bolt_view *v, struct bolt_err *err)
{
	const struct bolt_meta *m = &v->meta;
	uint64_t pages = v->map_len / v->page_size;

	if (m->pgid < 4 || m->pgid > pages)
		return bolt_errf(err, BOLT_ECORRUPT, m->pgid,
		                 "%s is truncated or damaged: meta %d says the file has %llu pages "
		                 "but it holds %llu",
		                 v->name, v->active, (unsigned long long)m->pgid,
		                 (unsigned long long)pages);
	if (m->root < 2 || m->root >= m->pgid)
		return bolt_errf(err, BOLT_ECORRUPT, m->root,
		                 "%s: meta %d points its root bucket at page %llu, outside 2..%llu",
		                 v->name, v->active, (unsigned long long)m->root,
		                 (unsigned long long)(m->pgid - 1));
	if (m->freelist < 2 || m->freelist >= m->pgid)
		return bolt_errf(err, BOLT_ECORRUPT, m->freelist,
		                 "%s: meta %d points its freelist at page %llu, outside 2..%llu",
		                 v->name, v->active, (unsigned long long)m->freelist,
		                 (unsigned long long)(m->pgid - 1));
	return BOLT_OK;
}

/* A view never writes, and its reads leave the inode alone too: with
 * O_NOATIME each pread skips the access-time check (relatime's clock read
 * and compare: ~4 % of info's fast scan, which makes a read an entry), and
 * the mapping does not touch it either. Only the file's owner (or
 * CAP_FOWNER) may set it; for anyone else reads go on as before. */
static void no_atime(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(fd, F_SETFL, fl | O_NOATIME);
}

int bolt_view_open(const char *path, int mode, double lock_timeout, struct bolt_view **out,
                   struct bolt_err *err)
{
	struct bolt_view *v;
	struct stat st;
	void *map;
	int rc;

	*out = NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	v->mode = mode;
	strlcpy(v->name, path, sizeof(v->name));
	if ((rc = bolt_file_open(AT_FDCWD, path, 0, NULL, &v->fd, NULL, err)) != BOLT_OK) {
		free(v);
		return rc;
	}
	no_atime(v->fd);
	if (mode == BOLT_VIEW_LOCKED &&
	    (rc = bolt_lock(v->fd, LOCK_SH, lock_timeout, path, err)) != BOLT_OK)
		goto fail;
	/* the size once the lock is held (a writer may have grown it) */
	if ((rc = bolt_file_check(v->fd, path, &st, err)) != BOLT_OK)
		goto fail;
	v->file_size = (uint64_t)st.st_size;
	if (v->file_size == 0) {
		/* bbolt v1.3.6 Open (db.go) writes new meta pages into a file of
		 * size 0: to op-conductor it is an empty database */
		rc = bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
		               "%s is not a bolt database: 0 bytes is too short (bbolt would "
		               "initialize it as a new, empty database: op-conductor would "
		               "start with nothing in it)",
		               path);
		goto fail;
	}
	if (v->file_size < 2 * BOLT_MIN_PAGE_SIZE) {
		rc = bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
		               "%s is not a bolt database: %llu bytes is too short", path,
		               (unsigned long long)v->file_size);
		goto fail;
	}
	map = mmap(NULL, (size_t)v->file_size, PROT_READ, MAP_SHARED, v->fd, 0);
	if (map == MAP_FAILED) {
		rc = bolt_syserr(err, "cannot map %s", path);
		goto fail;
	}
	v->map = map;
	v->map_len = (size_t)v->file_size;
	if ((rc = bolt_mapguard_add(v->map, v->map_len, &v->guard, err)) != BOLT_OK)
		goto fail;
	v->active = bolt_meta_pick(v->map, v->map_len, v->metas, v->meta_status);
	if (bolt_mapguard_hit(v->guard)) {
		rc = bolt_errf(err, mode == BOLT_VIEW_LIVE ? BOLT_ECHANGED : BOLT_ESHRANK,
		               BOLT_NO_PGID, "%s shrank while it was read", path);
		goto fail;
	}
	if (v->active < 0) {
		rc = bolt_errf(err, BOLT_ECORRUPT, 0,
		               "%s: both meta pages are invalid (meta 0: %s; meta 1: %s)", path,
		               bolt_meta_status_text(v->meta_status[0]),
		               bolt_meta_status_text(v->meta_status[1]));
		goto fail;
	}
	v->meta = v->metas[v->active];
	v->page_size = v->meta.page_size;
	v->map_len -= v->map_len % v->page_size;
	if ((rc = check_active(v, err)) != BOLT_OK)
		goto fail;
	*out = v;
	return BOLT_OK;
fail:
	bolt_view_close(v);
	return rc;
}

void bolt_view_advise_random(const struct bolt_view *v)
{
	(void)madvise((void *)v->map, (size_t)v->file_size, MADV_RANDOM);
	(void)posix_fadvise(v->fd, 0, 0, POSIX_FADV_RANDOM);
}

void bolt_view_close(struct bolt_view *v)
{
	if (v == NULL)
		return;
	bolt_mapguard_remove(v->guard);
	if (v->map != NULL)
		munmap((void *)v->map, (size_t)v->file_size);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

int bolt_view_page(const struct bolt_view *v, bolt_pgid id, const uint8_t **page, size_t *span,
                   struct bolt_err *err)
{
	uint64_t ps = v->page_size, hwm = v->meta.pgid, n = 0;
	const uint8_t *p = NULL;
	int at = bolt_page_within(v->map, ps, hwm, id, &p, &n);

	if (at == 1)
		return bolt_errf(err, BOLT_ECORRUPT, id,
		                 "page %llu is beyond the high-water mark %llu",
		                 (unsigned long long)id, (unsigned long long)hwm);
	if (at == 2)
		return bolt_errf(err, BOLT_ECORRUPT, id,
		                 "page %llu has %llu overflow pages, past the high-water mark %llu",
		                 (unsigned long long)id, (unsigned long long)(n - 1),
		                 (unsigned long long)hwm);
	*page = p;
	*span = (size_t)(n * ps);
	return BOLT_OK;
}

int bolt_view_recheck(const struct bolt_view *v, struct bolt_err *err)
{
	struct bolt_meta m[2];
	int st[2];

	if (bolt_mapguard_hit(v->guard))
		return bolt_errf(err, v->mode == BOLT_VIEW_LIVE ? BOLT_ECHANGED : BOLT_ESHRANK,
		                 BOLT_NO_PGID, "%s shrank while it was read", v->name);
	if (v->mode != BOLT_VIEW_LIVE)
		return BOLT_OK;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	(void)bolt_meta_pick(v->map, v->map_len, m, st);
	if (bolt_mapguard_hit(v->guard))
		return bolt_errf(err, BOLT_ECHANGED, BOLT_NO_PGID, "%s shrank while it was read",
		                 v->name);
	for (int i = 0; i < 2; i++)
		if (st[i] == BOLT_META_OK && m[i].txid > v->meta.txid)
			return bolt_errf(err, BOLT_ECHANGED, BOLT_NO_PGID,
			                 "%s changed while it was read (txid %llu -> %llu)",
			                 v->name, (unsigned long long)v->meta.txid,
			                 (unsigned long long)m[i].txid);
	return BOLT_OK;
}

void bolt_view_root(const struct bolt_view *v, struct bolt_vbucket *out)
{
	memset(out, 0, sizeof(*out));
	out->root = v->meta.root;
	out->sequence = v->meta.sequence;
}

int bolt_view_bucket(const struct bolt_view *v, const struct bolt_vbucket *parent, const void *name,
                     size_t len, struct bolt_vbucket *out, struct bolt_err *err)
{
	struct bolt_vbucket root;
	struct bolt_cursor c;
	struct bolt_elem e = {0};
	int rc;

	if (parent == NULL) {
		bolt_view_root(v, &root);
		parent = &root;
	}
	bolt_cursor_init(&c, v, parent);
	if ((rc = bolt_cursor_seek(&c, name, len, &e, err)) != BOLT_OK)
		return rc;
	if (e.key == NULL || bolt_keycmp(e.key, e.klen, name, len) != 0 ||
	    !(e.flags & BOLT_BUCKET_LEAF_FLAG))
		return bolt_errf(err, BOLT_ENOTFOUND, BOLT_NO_PGID, "bucket \"%.*s\" not found",
		                 (int)(len > 64 ? 64 : len), (const char *)name);
	if (e.vlen < BOLT_BUCKET_HEADER_SIZE)
		return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
		                 "bucket \"%.*s\": value of %u bytes is too short for a bucket",
		                 (int)(len > 64 ? 64 : len), (const char *)name, e.vlen);
	memset(out, 0, sizeof(*out));
	out->root = bolt_le64(e.value);
	out->sequence = bolt_le64(e.value + 8);
	if (out->root == 0) {
		out->inline_page = e.value + BOLT_BUCKET_HEADER_SIZE;
		out->inline_len = e.vlen - BOLT_BUCKET_HEADER_SIZE;
		if (out->inline_len < BOLT_PAGE_HEADER_SIZE ||
		    (bolt_page_flags(out->inline_page) & BOLT_PAGE_LEAF) == 0)
			return bolt_errf(err, BOLT_ECORRUPT, BOLT_NO_PGID,
			                 "bucket \"%.*s\": inline bucket is not a leaf page image",
			                 (int)(len > 64 ? 64 : len), (const char *)name);
	}
	return BOLT_OK;
}
