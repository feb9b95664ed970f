/*
 * Opening a file for writing: create it as bbolt.Open does, or load the
 * newest valid meta and its freelist; page access for the writer; the
 * high-water mark and file growth rules of bbolt:
 *   mmap size   32 KiB, doubling up to 1 GiB, then whole GiB steps;
 *   growth      when a commit moves the high-water mark past the file end,
 *               the file is truncated up to the mmap size while that is
 *               <= 16 MiB (AllocSize), else to (hwm + 1) pages + 16 MiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>

#include "bolt/file.h"
#include "bolt/lock.h"
#include "bolt/writer.h"

#define ALLOC_SIZE    (UINT64_C(16) << 20)
#define MAX_MMAP_STEP (UINT64_C(1) << 30)

static uint64_t mmap_size(uint64_t size)
{
	for (int i = 15; i <= 30; i++)
		if (size <= (UINT64_C(1) << i))
			return UINT64_C(1) << i;
	if (size % MAX_MMAP_STEP)
		size += MAX_MMAP_STEP - size % MAX_MMAP_STEP;
	return size;
}

int bolt_db_fd(const struct bolt_db *db)
{
	return db->fd;
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, off_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* bbolt's init(): two metas, an empty freelist (page 2), an empty leaf
 * (page 3) for the root bucket. */
static int init_file(struct bolt_db *db, struct bolt_err *err)
{
	size_t ps = db->page_size;
	uint8_t *buf = calloc(4, ps);
	int rc = BOLT_OK;

	if (buf == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	for (uint64_t i = 0; i < 2; i++) {
		struct bolt_meta m = {
		    .magic = BOLT_MAGIC,
		    .version = BOLT_VERSION,
		    .page_size = (uint32_t)ps,
		    .root = 3,
		    .freelist = 2,
		    .pgid = 4,
		    .txid = i,
		};
		(void)bolt_meta_encode(&m, buf + i * ps);
	}
	bolt_put64(buf + 2 * ps, 2);
	bolt_put16(buf + 2 * ps + 8, BOLT_PAGE_FREELIST);
	bolt_put64(buf + 3 * ps, 3);
	bolt_put16(buf + 3 * ps + 8, BOLT_PAGE_LEAF);
	if (pwrite_all(db->fd, buf, 4 * ps, 0) != 0)
		rc = bolt_syserr(err, "cannot write %s", db->name);
	else
		rc = bolt_db_sync(db, 0, err);
	free(buf);
	return rc;
}

int bolt_db_sync(struct bolt_db *db, int full, struct bolt_err *err)
{
	if (db->no_sync || (full ? fsync(db->fd) : fdatasync(db->fd)) == 0)
		return BOLT_OK;
	return bolt_syserr(err, "cannot sync %s", db->name);
}

int bolt_db_remap(struct bolt_db *db, struct bolt_err *err)
{
	struct stat st;
	size_t len;

	if (fstat(db->fd, &st) != 0)
		return bolt_syserr(err, "cannot stat %s", db->name);
	db->filesz = (uint64_t)st.st_size;
	len = (size_t)db->filesz;
	if (db->map != NULL && len == db->map_len)
		return BOLT_OK;
	if (db->map != NULL)
		munmap(db->map, db->map_len);
	db->map = NULL;
	db->map_len = 0;
	if (len == 0)
		return BOLT_OK;
	db->map = mmap(NULL, len, PROT_READ, MAP_SHARED, db->fd, 0);
	if (db->map == MAP_FAILED) {
		db->map = NULL;
		return bolt_syserr(err, "cannot map %s", db->name);
	}
	db->map_len = len;
	return BOLT_OK;
}

int bolt_db_page(struct bolt_db *db, bolt_pgid id, const uint8_t **page, size_t *span,
                 struct bolt_err *err)
{
	uint64_t ps = db->page_size, pages = db->map_len / ps, n = 0;
	const uint8_t *p = NULL;
	int at = bolt_page_within(db->map, ps, pages, id, &p, &n);

	if (at == 1)
		return bolt_errf(err, BOLT_ECORRUPT, id,
		                 "page %llu lies beyond the end of the file (%llu pages)",
		                 (unsigned long long)id, (unsigned long long)pages);
	if (at == 2)
		return bolt_errf(err, BOLT_ECORRUPT, id,
		                 "page %llu claims %llu overflow pages, past the end of the file",
		                 (unsigned long long)id, (unsigned long long)(n - 1));
	*page = p;
	*span = (size_t)(n * ps);
	return BOLT_OK;
}

int bolt_db_allocate_id(struct bolt_db *db, struct bolt_meta *meta, size_t count, bolt_pgid *id,
                        struct bolt_err *err)
{
	uint64_t minsz;

	*id = bolt_freelist_allocate(&db->freelist, count);
	if (*id != 0)
		return BOLT_OK;
	if (meta->pgid > UINT64_MAX / db->page_size - count - 1)
		return bolt_errf(err, BOLT_ELIMIT, BOLT_NO_PGID, "%s cannot grow any further",
		                 db->name);
	*id = meta->pgid;
	minsz = (meta->pgid + count + 1) * db->page_size;
	if (minsz >= db->datasz)
		db->datasz = mmap_size(db->filesz > minsz ? db->filesz : minsz);
	meta->pgid += count;
	return BOLT_OK;
}

int bolt_db_grow(struct bolt_db *db, uint64_t size, struct bolt_err *err)
{
	int rc;

	if (size <= db->filesz)
		return BOLT_OK;
	if (db->datasz <= ALLOC_SIZE)
		size = db->datasz;
	else
		size += ALLOC_SIZE;
	if (ftruncate(db->fd, (off_t)size) != 0)
		return bolt_syserr(err, "cannot grow %s to %llu bytes", db->name,
		                   (unsigned long long)size);
	rc = bolt_db_sync(db, 1, err);
	if (rc != BOLT_OK)
		return rc;
	db->filesz = size;
	return BOLT_OK;
}

static int load_existing(struct bolt_db *db, struct bolt_err *err)
{
	const uint8_t *p;
	size_t span;
	int rc;

	struct bolt_meta m[2];
	int st[2], active;

	if ((rc = bolt_db_remap(db, err)) != BOLT_OK)
		return rc;
	active = bolt_meta_pick(db->map, db->map_len, m, st);
	if (active < 0)
		return bolt_errf(err, BOLT_ECORRUPT, 0,
		                 "%s: both meta pages are invalid (meta 0: %s; meta 1: %s)",
		                 db->name, bolt_meta_status_text(st[0]),
		                 bolt_meta_status_text(st[1]));
	db->meta = m[active];
	db->page_size = db->meta.page_size;
	if (db->meta.pgid > db->map_len / db->page_size)
		return bolt_errf(err, BOLT_ECORRUPT, db->meta.pgid,
		                 "%s is truncated: its high-water mark is page %llu but the file "
		                 "holds %llu pages",
		                 db->name, (unsigned long long)db->meta.pgid,
		                 (unsigned long long)(db->map_len / db->page_size));
	if (db->meta.root < 2 || db->meta.root >= db->meta.pgid)
		return bolt_errf(err, BOLT_ECORRUPT, db->meta.root,
		                 "%s: root page %llu outside 2..%llu", db->name,
		                 (unsigned long long)db->meta.root,
		                 (unsigned long long)(db->meta.pgid - 1));
	/* at or above the mark, the freelist page is one the next commit may
	 * allocate as new and then list as free (view.c refuses it too) */
	if (db->meta.freelist < 2 || db->meta.freelist >= db->meta.pgid)
		return bolt_errf(err, BOLT_ECORRUPT, db->meta.freelist,
		                 "%s: freelist page %llu outside 2..%llu", db->name,
		                 (unsigned long long)db->meta.freelist,
		                 (unsigned long long)(db->meta.pgid - 1));
	if ((rc = bolt_db_page(db, db->meta.freelist, &p, &span, err)) != BOLT_OK)
		return rc;
	if ((rc = bolt_freelist_read(&db->freelist, p, span, db->meta.pgid, err)) != BOLT_OK)
		return rc;
	db->datasz = mmap_size(db->filesz);
	return BOLT_OK;
}

int bolt_db_open_fd(int fd, const char *name, const struct bolt_db_options *opt,
                    struct bolt_db **out, struct bolt_err *err)
{
	struct bolt_db *db;
	struct stat st;
	int rc;

	db = calloc(1, sizeof(*db));
	if (db == NULL) {
		close(fd);
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory");
	}
	db->fd = fd;
	strlcpy(db->name, name, sizeof(db->name));
	db->no_sync = opt ? opt->no_sync : 0;
	bolt_freelist_init(&db->freelist);
	if ((rc = bolt_lock(fd, LOCK_EX, opt ? opt->lock_timeout : 0, name, err)) != BOLT_OK)
		goto fail;
	if ((rc = bolt_file_check(fd, name, &st, err)) != BOLT_OK)
		goto fail;
	if (st.st_size == 0) {
		long sys = sysconf(_SC_PAGESIZE);

		db->page_size = opt && opt->page_size ? opt->page_size : (uint32_t)sys;
		if (db->page_size < BOLT_MIN_PAGE_SIZE || db->page_size > BOLT_MAX_PAGE_SIZE ||
		    (db->page_size & (db->page_size - 1))) {
			rc = bolt_errf(err, BOLT_EINVAL, BOLT_NO_PGID, "invalid page size %u",
			               db->page_size);
			goto fail;
		}
		if ((rc = init_file(db, err)) != BOLT_OK)
			goto fail;
		if ((rc = load_existing(db, err)) != BOLT_OK)
			goto fail;
	} else if ((rc = load_existing(db, err)) != BOLT_OK) {
		goto fail;
	}
	*out = db;
	return BOLT_OK;
fail:
	(void)bolt_db_close(db, NULL);
	return rc;
}

int bolt_db_open(const char *path, int create, const struct bolt_db_options *opt,
                 struct bolt_db **out, struct bolt_err *err)
{
	/* O_NONBLOCK: no effect on a regular file, and bolt_db_open_fd refuses
	 * anything else (see bolt/file.h) */
	int fd = open(
	    path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0),
	    0600);

	if (fd < 0)
		return bolt_syserr(err, "cannot open %s", path);
	return bolt_db_open_fd(fd, path, opt, out, err);
}

int bolt_db_close(struct bolt_db *db, struct bolt_err *err)
{
	int rc = BOLT_OK;

	if (db == NULL)
		return BOLT_OK;
	if (db->rwtx != NULL)
		bolt_tx_rollback(db->rwtx);
	if (db->map != NULL)
		munmap(db->map, db->map_len);
	bolt_freelist_destroy(&db->freelist);
	if (db->fd >= 0 && close(db->fd) != 0)
		rc = bolt_syserr(err, "cannot close %s", db->name);
	free(db);
	return rc;
}
