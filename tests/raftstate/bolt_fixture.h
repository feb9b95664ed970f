/*
 * Writes a bolt file of a node directory through our own bolt writer (the
 * code `raft generate` uses): the raftstate unit tests build the logs and
 * stable stores they judge with it (header-only: every test_*.c is its own
 * program).
 */
#ifndef TESTS_RAFTSTATE_BOLT_FIXTURE_H
#define TESTS_RAFTSTATE_BOLT_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolt/db.h"
#include "raftstate/stable.h"

struct kv {
	const void *k;
	size_t klen;
	const void *v;
	size_t vlen;
};

/* node/file with the buckets logs and conf; kvs put into `bucket`. */
static inline void write_db(const char *node, const char *file, const char *bucket,
                            const struct kv *kvs, size_t n)
{
	struct bolt_db_options opt = {.page_size = 4096, .no_sync = 1};
	struct bolt_err be = {0};
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *logs, *conf, *b;
	char *path;

	ck_assert(asprintf(&path, "%s/%s", node, file) > 0);
	ck_assert_msg(bolt_db_open(path, 1, &opt, &db, &be) == BOLT_OK, "%s", be.msg);
	ck_assert_msg(bolt_tx_begin(db, &tx, &be) == BOLT_OK, "%s", be.msg);
	ck_assert(bolt_bucket_create_if_missing(bolt_tx_root(tx), RS_BUCKET_LOGS, 4, &logs, &be) ==
	          BOLT_OK);
	ck_assert(bolt_bucket_create_if_missing(bolt_tx_root(tx), RS_BUCKET_CONF, 4, &conf, &be) ==
	          BOLT_OK);
	b = strcmp(bucket, RS_BUCKET_LOGS) == 0 ? logs : conf;
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(bolt_bucket_put(b, kvs[i].k, kvs[i].klen, kvs[i].v, kvs[i].vlen,
		                              &be) == BOLT_OK,
		              "%s", be.msg);
	ck_assert_msg(bolt_tx_commit(tx, &be) == BOLT_OK, "%s", be.msg);
	ck_assert(bolt_db_close(db, &be) == BOLT_OK);
	free(path);
}

#endif
