/*
 * The writer's transaction (bbolt's tx.go and bucket.go): the pages it
 * allocated (dirty, by id), the buckets it opened and the nodes it
 * materialised, and the arena every key and value it holds is copied
 * into; everything is released when the transaction ends. Not for use
 * outside bolt/.
 */
#ifndef BOLT_TX_H
#define BOLT_TX_H

#include <stddef.h>
#include <stdint.h>

#include "bolt/error.h"
#include "bolt/meta.h"
#include "bolt/node.h"
#include "bolt/page.h"

struct bolt_db;

struct bolt_arena_chunk {
	struct bolt_arena_chunk *next;
	size_t used, cap;
	uint8_t data[];
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

void *bolt_tx_alloc(struct bolt_tx *tx, size_t n);
const uint8_t *bolt_tx_dup(struct bolt_tx *tx, const void *p, size_t n);
int bolt_tx_page(struct bolt_tx *tx, bolt_pgid id, const uint8_t **page, size_t *span,
                 struct bolt_err *err);
int bolt_tx_allocate(struct bolt_tx *tx, size_t count, uint8_t **page, struct bolt_err *err);
int bolt_tx_free_page(struct bolt_tx *tx, bolt_pgid id, struct bolt_err *err);
int bolt_bucket_node(struct bolt_bucket *b, bolt_pgid id, struct bolt_node *parent,
                     struct bolt_node **out, struct bolt_err *err);

#endif
