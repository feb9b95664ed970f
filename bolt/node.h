/*
 * The writer's in-memory node (bbolt's node.go): a page a transaction
 * changes is read into a node (its inodes: keys with a value or a child
 * page), changed there, and at commit split to fit a page and spilled
 * onto freshly allocated pages (copy-on-write); a node left too small is
 * merged into a sibling (rebalance). Keys and values point into the
 * transaction's arena (tx.h), never into the file mapping. Not for use
 * outside bolt/.
 */
#ifndef BOLT_NODE_H
#define BOLT_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "bolt/error.h"
#include "bolt/page.h"

struct bolt_bucket;

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
