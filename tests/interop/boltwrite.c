/*
 * The C side of the writer comparison: the same workload as the harness's
 * `boltwrite` (harness/boltwrite.go), through our bolt writer. The test
 * compares the two files byte for byte.
 * usage: boltwrite OUT ENTRIES BATCH MAXVALUE DELETETO AFTER SEED
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bolt/db.h"

static uint64_t rng;
static uint64_t next_key = 1;
static size_t batch, maxv;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void die(const char *what, const struct bolt_err *e)
{
	fprintf(stderr, "boltwrite: %s: %s\n", what, e->msg);
	exit(1);
}

static void append_n(struct bolt_db *db, size_t n)
{
	struct bolt_err e = {0};
	static uint8_t val[1 << 20];

	for (size_t done = 0; done < n;) {
		size_t k = n - done < batch ? n - done : batch;
		struct bolt_tx *tx;
		struct bolt_bucket *b, *conf;

		if (bolt_tx_begin(db, &tx, &e) || bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e))
			die("begin", &e);
		for (size_t j = 0; j < k; j++) {
			uint8_t key[8];
			size_t vlen = 20 + (size_t)(xorshift() % maxv);

			be64(key, next_key);
			for (size_t i = 0; i < vlen; i++)
				val[i] = (uint8_t)xorshift();
			if (bolt_bucket_put(b, key, 8, val, vlen, &e))
				die("put", &e);
			next_key++;
		}
		if (next_key % 7 == 0) {
			uint8_t v[8];

			be64(v, next_key);
			if (bolt_bucket_open(bolt_tx_root(tx), "conf", 4, &conf, &e) ||
			    bolt_bucket_put(conf, "CurrentTerm", 11, v, 8, &e))
				die("put conf", &e);
		}
		if (bolt_tx_commit(tx, &e))
			die("commit", &e);
		done += k;
	}
}

int main(int argc, char **argv)
{
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	struct bolt_err e = {0};
	struct bolt_db_options opt = {0};
	size_t entries, delete_to, after;

	if (argc != 8) {
		fprintf(stderr, "usage: boltwrite OUT ENTRIES BATCH MAXVALUE DELETETO AFTER SEED\n");
		return 2;
	}
	entries = strtoul(argv[2], NULL, 10);
	batch = strtoul(argv[3], NULL, 10);
	maxv = strtoul(argv[4], NULL, 10);
	delete_to = strtoul(argv[5], NULL, 10);
	after = strtoul(argv[6], NULL, 10);
	rng = strtoull(argv[7], NULL, 10);
	if (batch == 0 || maxv == 0 || rng == 0 || maxv > (1 << 20) - 20) {
		fprintf(stderr, "boltwrite: bad arguments\n");
		return 2;
	}
	opt.no_sync = 1;
	if (bolt_db_open(argv[1], 1, &opt, &db, &e))
		die("open", &e);
	if (bolt_tx_begin(db, &tx, &e) ||
	    bolt_bucket_create_if_missing(bolt_tx_root(tx), "logs", 4, &b, &e) ||
	    bolt_bucket_create_if_missing(bolt_tx_root(tx), "conf", 4, &b, &e) ||
	    bolt_tx_commit(tx, &e))
		die("create buckets", &e);
	append_n(db, entries);
	if (bolt_tx_begin(db, &tx, &e) || bolt_bucket_open(bolt_tx_root(tx), "logs", 4, &b, &e))
		die("begin delete", &e);
	for (uint64_t i = 1; i <= delete_to; i++) {
		uint8_t key[8];

		be64(key, i);
		if (bolt_bucket_delete(b, key, 8, &e))
			die("delete", &e);
	}
	if (bolt_tx_commit(tx, &e))
		die("commit delete", &e);
	append_n(db, after);
	if (bolt_db_close(db, &e))
		die("close", &e);
	printf("{\"out\": \"%s\", \"next\": %llu}\n", argv[1], (unsigned long long)next_key);
	return 0;
}
