/*
 * The transactional writer: bbolt v1.3.9's commit algorithm in C, so that a
 * sequence of transactions produces the same file, byte for byte, as
 * go.etcd.io/bbolt with its default options (array freelist, fill percent
 * 0.5, freelist synced, AllocSize 16 MiB).
 *
 * A bolt_db holds the file open read-write under an exclusive flock for its
 * whole life, like bbolt. One write transaction at a time; no readers in the
 * same process, so pages freed by transaction t are reusable from t+1 on.
 */
#ifndef BOLT_DB_H
#define BOLT_DB_H

#include <stddef.h>
#include <stdint.h>

#include "bolt/error.h"
#include "bolt/page.h"

struct bolt_db;
struct bolt_tx;
struct bolt_bucket;

struct bolt_db_options {
	uint32_t page_size;  /* for a new file; 0 = the OS page size, as bbolt */
	double lock_timeout; /* seconds to wait for LOCK_EX; 0 = try once */
	int no_sync;         /* skip fdatasync (tests, scratch files only) */
};

/* Opens the file behind fd (read-write, owned by the db from now on, closed
 * by bolt_db_close). An empty file is initialised as bbolt.Open does: meta
 * pages 0/1 (txid 0/1), freelist page 2, empty leaf page 3. `name` is used
 * in messages. */
int bolt_db_open_fd(int fd, const char *name, const struct bolt_db_options *opt,
                    struct bolt_db **out, struct bolt_err *err);
/* Opens (O_RDWR|O_NOFOLLOW, creating with mode 0600 when `create`) path. */
int bolt_db_open(const char *path, int create, const struct bolt_db_options *opt,
                 struct bolt_db **out, struct bolt_err *err);
/* Closes the file and releases the lock. Returns BOLT_EIO if close failed. */
int bolt_db_close(struct bolt_db *db, struct bolt_err *err);
/* The file descriptor (for fsync by the caller, fstat, ...). */
int bolt_db_fd(const struct bolt_db *db);

int bolt_tx_begin(struct bolt_db *db, struct bolt_tx **out, struct bolt_err *err);
/* Writes the transaction; the tx is freed whether or not it succeeds. */
int bolt_tx_commit(struct bolt_tx *tx, struct bolt_err *err);
void bolt_tx_rollback(struct bolt_tx *tx);

/* The root bucket (its keys are bucket names). */
struct bolt_bucket *bolt_tx_root(struct bolt_tx *tx);

/* Nested buckets: *out stays valid until the transaction ends. */
int bolt_bucket_create(struct bolt_bucket *b, const void *name, size_t len,
                       struct bolt_bucket **out, struct bolt_err *err);
int bolt_bucket_create_if_missing(struct bolt_bucket *b, const void *name, size_t len,
                                  struct bolt_bucket **out, struct bolt_err *err);
int bolt_bucket_open(struct bolt_bucket *b, const void *name, size_t len, struct bolt_bucket **out,
                     struct bolt_err *err);

int bolt_bucket_put(struct bolt_bucket *b, const void *key, size_t klen, const void *value,
                    size_t vlen, struct bolt_err *err);
int bolt_bucket_delete(struct bolt_bucket *b, const void *key, size_t klen, struct bolt_err *err);
/* *value points into transaction memory, valid until the next change or the
 * end of the transaction. BOLT_ENOTFOUND when absent. */
int bolt_bucket_get(struct bolt_bucket *b, const void *key, size_t klen, const uint8_t **value,
                    size_t *vlen, struct bolt_err *err);

#endif
