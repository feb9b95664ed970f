/*
 * Internals shared by the writer's files (db.c, tx.c, node.c); not for use
 * outside bolt/. The structures mirror bbolt's: a transaction materialises
 * the pages it changes as nodes, and at commit spills them onto freshly
 * allocated pages (copy-on-write).
 *
 * Memory: every key and value a node holds is copied into the transaction's
 * arena, so nodes never point into the file mapping; everything is released
 * when the transaction ends.
 */
#ifndef BOLT_WRITER_H
#define BOLT_WRITER_H

#include "bolt/db.h"
#include "bolt/freelist.h"
#include "bolt/meta.h"

struct bolt_arena_chunk {
	struct bolt_arena_chunk *next;
	size_t used, cap;
	uint8_t data[];
};

struct bolt_inode {
	uint32_t flags;
	bolt_pgid pgid; /* branch: child page */
	const uint8_t *key;
	uint32_t klen;
	const uint8_t *value; /* leaf: value bytes */
	uint32_t vlen;
};

struct bolt_node {
	struct bolt_bucket *bucket;
	int is_leaf;
	int unbalanced;
	int spilled;
	int dead;           /* merged away during rebalance */
	const uint8_t *key; /* first key when read; NULL for a new node */
	uint32_t klen;
	bolt_pgid pgid; /* page it was read from; 0 = not on disk yet */
	struct bolt_node *parent;
	struct bolt_node **children;
	size_t nchildren, capchildren;
	struct bolt_inode *inodes;
	size_t ninodes, capinodes;
	struct bolt_node *tx_next; /* all nodes of the tx, for freeing */
};

struct bolt_child {
	const uint8_t *name;
	size_t len;
	struct bolt_bucket *bucket;
};

struct bolt_bucket {
	struct bolt_tx *tx;
	bolt_pgid root; /* 0: inline */
	uint64_t sequence;
	const uint8_t *inline_page; /* inline leaf image (arena copy) */
	size_t inline_len;
	struct bolt_node *root_node;
	struct bolt_node **nodes; /* materialised nodes, looked up by pgid */
	size_t nnodes, capnodes;
	struct bolt_child *children; /* opened nested buckets */
	size_t nchildren, capchildren;
	struct bolt_bucket *tx_next;
};

struct bolt_dirty {
	bolt_pgid id; /* 0 = empty slot (page 0 is never dirty) */
	uint8_t *buf;
};

struct bolt_tx {
	struct bolt_db *db;
	struct bolt_meta meta;
	struct bolt_bucket root;
	struct bolt_dirty *dirty; /* open-addressing hash of allocated pages */
	size_t ndirty, capdirty;
	struct bolt_arena_chunk *arena;
	struct bolt_node *nodes;
	struct bolt_bucket *buckets;
};

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

/* tx.c */
void *bolt_tx_alloc(struct bolt_tx *tx, size_t n);
const uint8_t *bolt_tx_dup(struct bolt_tx *tx, const void *p, size_t n);
int bolt_tx_page(struct bolt_tx *tx, bolt_pgid id, const uint8_t **page, size_t *span,
                 struct bolt_err *err);
int bolt_tx_allocate(struct bolt_tx *tx, size_t count, uint8_t **page, struct bolt_err *err);
int bolt_tx_free_page(struct bolt_tx *tx, bolt_pgid id, struct bolt_err *err);
int bolt_bucket_node(struct bolt_bucket *b, bolt_pgid id, struct bolt_node *parent,
                     struct bolt_node **out, struct bolt_err *err);

/* node.c */
struct bolt_node *bolt_node_new(struct bolt_bucket *b, int is_leaf, struct bolt_node *parent);
int bolt_node_read(struct bolt_node *n, const uint8_t *page, size_t span, struct bolt_err *err);
size_t bolt_node_size(const struct bolt_node *n);
void bolt_node_write(const struct bolt_node *n, uint8_t *page);
int bolt_node_put(struct bolt_node *n, const uint8_t *old, uint32_t oldlen, const uint8_t *key,
                  uint32_t klen, const uint8_t *value, uint32_t vlen, bolt_pgid pgid,
                  uint32_t flags, struct bolt_err *err);
void bolt_node_del(struct bolt_node *n, const uint8_t *key, uint32_t klen);
int bolt_node_spill(struct bolt_node *n, struct bolt_err *err);
int bolt_node_rebalance(struct bolt_node *n, struct bolt_err *err);
int bolt_node_free(struct bolt_node *n, struct bolt_err *err);
struct bolt_node *bolt_node_root(struct bolt_node *n);
int bolt_node_add_child(struct bolt_node *n, struct bolt_node *child);

#endif
