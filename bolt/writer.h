/*
 * The writer's database (db.c's internals; db.h is its public face), shared
 * with the transaction (tx.h) and node (node.h) files it is made of; not
 * for use outside bolt/. The structures mirror bbolt's: a transaction
 * materialises the pages it changes as nodes, and at commit spills them
 * onto freshly allocated pages (copy-on-write).
 */
#ifndef BOLT_WRITER_H
#define BOLT_WRITER_H

#include "bolt/db.h"
#include "bolt/freelist.h"
#include "bolt/meta.h"
#include "bolt/node.h"
#include "bolt/tx.h"

struct bolt_db {
	int fd;
	char name[256];
	uint32_t page_size;
	int no_sync;
	uint8_t *map; /* read-only MAP_SHARED view of [0, map_len) */
	size_t map_len;
	uint64_t filesz; /* bytes on disk */
	uint64_t datasz; /* bbolt's mmap size: decides growth */
	struct bolt_meta meta;
	struct bolt_freelist freelist;
	struct bolt_tx *rwtx;
};

/* db.c */
int bolt_db_page(struct bolt_db *db, bolt_pgid id, const uint8_t **page, size_t *span,
                 struct bolt_err *err);
int bolt_db_allocate_id(struct bolt_db *db, struct bolt_meta *meta, size_t count, bolt_pgid *id,
                        struct bolt_err *err);
int bolt_db_grow(struct bolt_db *db, uint64_t size, struct bolt_err *err);
int bolt_db_remap(struct bolt_db *db, struct bolt_err *err);
/* The writer's one sync of its file (nothing when no_sync): fdatasync, as
 * bbolt's fdatasync() in bolt_linux.go, or with `full` fsync, as the
 * file.Sync() of bbolt's (*DB).grow (db.go) after its Truncate. */
int bolt_db_sync(struct bolt_db *db, int full, struct bolt_err *err);

#endif
