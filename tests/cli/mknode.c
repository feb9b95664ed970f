/*
 * Test-only: writes an op-conductor-shaped node directory through our own
 * bolt writer and raft.Log encoder (the same code `raft generate` uses), so
 * the CLI tests can build the states `info`, `verify` and `compare` must
 * judge: terms, divergent tails, payload entries, snapshots.
 *
 * usage: mknode DIR [OPTION...] RANGE...
 *   --term T            CurrentTerm (default: the last entry's term)
 *   --vote T:ID         LastVoteTerm / LastVoteCand; "T:" writes only
 *                       LastVoteTerm (what raft leaves when it dies between
 *                       persistVote's two writes, raft v1.7.3 raft.go), ":ID"
 *                       only LastVoteCand
 *   --members LIST      id=address,... (Voters; ~id=address a Nonvoter,
 *                       ^id=address Staging, !id=address suffrage 7, which raft
 *                       does not have) for config entries and snapshots
 *   --snapshot-members LIST  the snapshots' members, when they differ
 *   --snapshot I:T:STATE  snapshots/T-I-1700000000000/ with meta.json
 *                       (configuration = --snapshot-members, else --members;
 *                       ConfigurationIndex 1) and
 *                       state.bin: block:N[:FORK] (V4 envelope), block3:N[:FORK],
 *                       legacy:N, empty, garbage
 *   --tx-bytes N        every block holds 2 transactions of N/2 bytes (default:
 *                       number % 4 transactions of 40 bytes)
 *   --batch N           commit the log every N entries (default: one transaction;
 *                       the writer holds a transaction's pages in memory, ~120 KB
 *                       an entry: use it for logs of more than ~10,000 entries)
 *   --delete FROM-TO    afterwards, in a transaction of its own, remove
 *                       entries FROM..TO (as raft-boltdb's DeleteRange after
 *                       a snapshot): their pages become free pages
 *   RANGE = FROM-TO:TERM:KIND  entries FROM..TO of TERM; KIND:
 *       config              LogConfiguration of --members
 *       badconfig           LogConfiguration whose data is no configuration
 *       block[:OFF[:FORK]]  LogCommand, V4 envelope of block index+OFF
 *       block3[:OFF[:FORK]] the same as V3
 *       legacy[:OFF]        the early-2024 form (version byte 1, V2)
 *       junk                LogCommand data that is no payload
 *       noop                LogNoop
 *   A block's hash is pb_hash(number + FORK * 2^32) (tests/payload_build.h).
 * mknode --hash N [FORK]  prints that hash as 0x... and exits.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt/db.h"
#include "raftstate/config.h"
#include "raftstate/log.h"
#include "raftstate/snapshot.h"
#include "raftstate/stable.h"
#include "tests/payload_build.h"

static struct rs_config members, snap_members;
static uint32_t tx_bytes;   /* --tx-bytes: 2 transactions of half that each */
static unsigned long batch; /* --batch: entries a write transaction (0: all) */

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "mknode: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static void bolt_die(const char *what, const struct bolt_err *e)
{
	fprintf(stderr, "mknode: %s: %s\n", what, e->msg);
	exit(1);
}

static uint8_t *block_data(int version, int legacy, uint64_t number, uint64_t fork, size_t *len)
{
	struct pb_spec s = {.version = version, .number = number, .timestamp = 1700000000 + number};

	pb_hash(s.hash, number + (fork << 32));
	pb_hash(s.parent, number - 1 + (fork << 32));
	s.extra_len = 8;
	s.txs = (uint32_t)(number % 4);
	s.tx_size = 40;
	if (tx_bytes > 0) {
		s.txs = 2;
		s.tx_size = tx_bytes / 2;
	}
	s.withdrawals = version >= 2 ? 1 : 0;
	return pb_build(&s, legacy, len);
}

static void parse_members(const char *list, struct rs_config *into)
{
	char *dup = strdup(list), *save = NULL;

	rs_config_free(into); /* a later --members replaces the default */
	into->servers = calloc(64, sizeof(*into->servers));
	for (char *t = strtok_r(dup, ",", &save); t != NULL && into->n < 64;
	     t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		struct rs_server *s = &into->servers[into->n++];
		/* ~ Nonvoter (1), ^ Staging (2, raft v1.7.3 configuration.go),
		 * ! a suffrage raft does not have (7) */
		int suffrage = t[0] == '~' ? 1 : t[0] == '^' ? 2 : t[0] == '!' ? 7 : 0;

		t += suffrage != 0;

		if (eq == NULL)
			die("a member is id=address", t);
		*eq = 0;
		s->id = strdup(t);
		s->id_len = strlen(t);
		s->address = strdup(eq + 1);
		s->address_len = strlen(eq + 1);
		s->suffrage = (uint64_t)suffrage;
	}
	free(dup);
}

static void put(struct bolt_bucket *b, const void *k, size_t kl, const void *v, size_t vl)
{
	struct bolt_err e = {0};

	if (bolt_bucket_put(b, k, kl, v, vl, &e) != BOLT_OK)
		bolt_die("put", &e);
}

/* dir/name created with raft-boltdb's two buckets, in an open transaction. */
static struct bolt_db *open_with_buckets(const char *dir, const char *name, struct bolt_tx **tx,
                                         struct bolt_bucket **logs, struct bolt_bucket **conf)
{
	char path[4096];
	struct bolt_db *db;
	struct bolt_err e = {0};
	struct bolt_db_options o = {.no_sync = 1};

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (bolt_db_open(path, 1, &o, &db, &e) != BOLT_OK)
		bolt_die(path, &e);
	if (bolt_tx_begin(db, tx, &e) != BOLT_OK ||
	    bolt_bucket_create_if_missing(bolt_tx_root(*tx), "logs", 4, logs, &e) != BOLT_OK ||
	    bolt_bucket_create_if_missing(bolt_tx_root(*tx), "conf", 4, conf, &e) != BOLT_OK)
		bolt_die("buckets", &e);
	return db;
}

struct range {
	uint64_t from, to, term;
	char kind[16];
	uint64_t off, fork;
};

static void entry_data(const struct range *r, uint64_t index, struct rs_log *log, uint8_t **owned,
                       struct mp_buf *cfgbuf)
{
	struct rs_err err = {0};
	size_t len = 0;

	*owned = NULL;
	log->type = RS_LOG_COMMAND;
	if (strcmp(r->kind, "config") == 0) {
		log->type = RS_LOG_CONFIGURATION;
		cfgbuf->len = 0;
		if (rs_config_encode(&members, cfgbuf, &err) != RS_OK)
			die("config", err.msg);
		log->data = cfgbuf->p;
		log->data_len = cfgbuf->len;
		return;
	}
	if (strcmp(r->kind, "badconfig") == 0) {
		log->type = RS_LOG_CONFIGURATION;
		*owned = malloc(5);
		memcpy(*owned, "\xc1junk", 5); /* 0xc1: never used by msgpack */
		log->data = *owned;
		log->data_len = 5;
		return;
	}
	if (strcmp(r->kind, "noop") == 0) {
		log->type = RS_LOG_NOOP;
		log->data_nil = 1;
		return;
	}
	if (strcmp(r->kind, "junk") == 0) {
		*owned = malloc(700);
		for (int i = 0; i < 700; i++)
			(*owned)[i] = (uint8_t)(index * 7 + (uint64_t)i * 13);
		len = 700;
	} else if (strcmp(r->kind, "block") == 0) {
		*owned = block_data(4, 0, index + r->off, r->fork, &len);
	} else if (strcmp(r->kind, "block3") == 0) {
		*owned = block_data(3, 0, index + r->off, r->fork, &len);
	} else if (strcmp(r->kind, "legacy") == 0) {
		*owned = block_data(2, 1, index + r->off, r->fork, &len);
	} else {
		die("unknown entry kind", r->kind);
	}
	log->data = *owned;
	log->data_len = len;
}

static void write_log(const char *dir, const struct range *rs, size_t nr, uint64_t *last_term)
{
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *logs, *conf;
	struct bolt_err e = {0};
	struct mp_buf cfgbuf = {0};
	unsigned long in_tx = 0;

	db = open_with_buckets(dir, "raft-log.db", &tx, &logs, &conf);
	for (size_t i = 0; i < nr; i++) {
		for (uint64_t idx = rs[i].from; idx <= rs[i].to; idx++) {
			struct rs_log log = {.index = idx, .term = rs[i].term, .ext_nil = 1};
			struct mp_buf out = {0};
			struct rs_err err = {0};
			uint8_t *owned, key[8];

			log.appended_at.utc = 1;
			log.appended_at.sec = RS_TIME_UNIX_TO_INTERNAL + 1700000000 + (int64_t)idx;
			log.appended_at_present = 1;
			entry_data(&rs[i], idx, &log, &owned, &cfgbuf);
			if (rs_log_encode(&log, &out, &err) != RS_OK)
				die("encode", err.msg);
			rs_put_be64(key, idx);
			put(logs, key, 8, out.p, out.len);
			mp_buf_free(&out);
			free(owned);
			*last_term = rs[i].term;
			if (batch > 0 && ++in_tx == batch) {
				/* the writer holds a transaction's pages in memory */
				if (bolt_tx_commit(tx, &e) != BOLT_OK ||
				    bolt_db_close(db, &e) != BOLT_OK)
					bolt_die("commit", &e);
				db = open_with_buckets(dir, "raft-log.db", &tx, &logs, &conf);
				in_tx = 0;
			}
		}
	}
	if (bolt_tx_commit(tx, &e) != BOLT_OK || bolt_db_close(db, &e) != BOLT_OK)
		bolt_die("commit", &e);
	mp_buf_free(&cfgbuf);
}

static void delete_range(const char *dir, uint64_t from, uint64_t to)
{
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *logs, *conf;
	struct bolt_err e = {0};
	uint8_t key[8];

	db = open_with_buckets(dir, "raft-log.db", &tx, &logs, &conf);
	for (uint64_t idx = from; idx <= to; idx++) {
		rs_put_be64(key, idx);
		if (bolt_bucket_delete(logs, key, 8, &e) != BOLT_OK)
			bolt_die("delete", &e);
	}
	if (bolt_tx_commit(tx, &e) != BOLT_OK || bolt_db_close(db, &e) != BOLT_OK)
		bolt_die("commit", &e);
}

static void write_stable(const char *dir, uint64_t term, int has_vote_term, uint64_t vote_term,
                         const char *cand)
{
	struct bolt_db *db;
	struct bolt_tx *tx;
	struct bolt_bucket *logs, *conf;
	struct bolt_err e = {0};
	uint8_t v[8];

	db = open_with_buckets(dir, "raft-stable.db", &tx, &logs, &conf);
	rs_put_be64(v, term);
	put(conf, RS_KEY_CURRENT_TERM, strlen(RS_KEY_CURRENT_TERM), v, 8);
	if (has_vote_term) {
		rs_put_be64(v, vote_term);
		put(conf, RS_KEY_LAST_VOTE_TERM, strlen(RS_KEY_LAST_VOTE_TERM), v, 8);
	}
	if (cand != NULL && cand[0] != '\0')
		put(conf, RS_KEY_LAST_VOTE_CAND, strlen(RS_KEY_LAST_VOTE_CAND), cand, strlen(cand));
	if (bolt_tx_commit(tx, &e) != BOLT_OK || bolt_db_close(db, &e) != BOLT_OK)
		bolt_die("commit", &e);
}

static void b64(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);

		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = 0;
}

static void write_snapshot(const char *dir, const char *spec)
{
	uint64_t index, term, n = 0, fork = 0;
	char state[32] = "", path[4096], crcb64[16], servers[8192] = "";
	uint8_t *data = NULL, crcbe[8];
	size_t len = 0;
	uint64_t crc;
	FILE *f;

	if (sscanf(spec, "%lu:%lu:%31[a-z0-9]:%lu:%lu", &index, &term, state, &n, &fork) < 3)
		die("--snapshot is I:T:STATE", spec);
	if (strcmp(state, "block") == 0)
		data = block_data(4, 0, n, fork, &len);
	else if (strcmp(state, "block3") == 0)
		data = block_data(3, 0, n, fork, &len);
	else if (strcmp(state, "legacy") == 0)
		data = block_data(2, 1, n, fork, &len);
	else if (strcmp(state, "garbage") == 0) {
		data = malloc(300);
		memset(data, 0x5a, 300);
		len = 300;
	} else if (strcmp(state, "empty") != 0)
		die("unknown snapshot state", state);
	snprintf(path, sizeof(path), "%s/snapshots", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/snapshots/%lu-%lu-1700000000000", dir, term, index);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/snapshots/%lu-%lu-1700000000000/state.bin", dir, term,
	         index);
	f = fopen(path, "wb");
	if (f == NULL || (len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
		die("cannot write", path);
	crc = rs_crc64_update(0, data ? data : (const uint8_t *)"", len);
	rs_put_be64(crcbe, crc);
	b64(crcbe, 8, crcb64);
	const struct rs_config *sm = snap_members.n > 0 ? &snap_members : &members;

	for (size_t i = 0; i < sm->n; i++) {
		char one[600];

		snprintf(one, sizeof(one), "%s{\"Suffrage\":0,\"ID\":\"%s\",\"Address\":\"%s\"}",
		         i ? "," : "", sm->servers[i].id, sm->servers[i].address);
		strncat(servers, one, sizeof(servers) - strlen(servers) - 1);
	}
	snprintf(path, sizeof(path), "%s/snapshots/%lu-%lu-1700000000000/meta.json", dir, term,
	         index);
	f = fopen(path, "w");
	if (f == NULL)
		die("cannot write", path);
	fprintf(f,
	        "{\"Version\":1,\"ID\":\"%lu-%lu-1700000000000\",\"Index\":%lu,\"Term\":%lu,"
	        "\"Peers\":null,\"Configuration\":{\"Servers\":[%s]},\"ConfigurationIndex\":1,"
	        "\"Size\":%zu,\"CRC\":\"%s\"}",
	        term, index, index, term, servers, len, crcb64);
	fclose(f);
	free(data);
}

int main(int argc, char **argv)
{
	struct range rs[64];
	size_t nr = 0;
	uint64_t term = 0, vote_term = 0, last_term = 0;
	unsigned long del_from = 0, del_to = 0;
	int has_term = 0, has_vote_term = 0;
	const char *cand = NULL, *snaps[8], *dir;
	size_t ns = 0;

	if (argc >= 3 && strcmp(argv[1], "--hash") == 0) {
		uint8_t h[32];
		uint64_t fork = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;

		pb_hash(h, strtoull(argv[2], NULL, 10) + (fork << 32));
		printf("0x");
		for (int i = 0; i < 32; i++)
			printf("%02x", h[i]);
		printf("\n");
		return 0;
	}
	if (argc < 2)
		die("usage: mknode DIR [OPTION...] RANGE...", NULL);
	dir = argv[1];
	parse_members("sequencer-1=127.0.0.1:50051,sequencer-2=127.0.0.1:50052,"
	              "sequencer-3=127.0.0.1:50053",
	              &members);
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--term") == 0 && i + 1 < argc) {
			term = strtoull(argv[++i], NULL, 10);
			has_term = 1;
		} else if (strcmp(argv[i], "--vote") == 0 && i + 1 < argc) {
			char *c = strchr(argv[++i], ':');

			if (c == NULL)
				die("--vote is T:ID", argv[i]);
			vote_term = strtoull(argv[i], NULL, 10);
			has_vote_term = c > argv[i];
			cand = c + 1;
		} else if (strcmp(argv[i], "--tx-bytes") == 0 && i + 1 < argc) {
			tx_bytes = (uint32_t)strtoul(argv[++i], NULL, 10);
			if (tx_bytes < 2 || tx_bytes > (64u << 20))
				die("--tx-bytes is 2..64 MiB", argv[i]);
		} else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
			batch = strtoul(argv[++i], NULL, 10);
			if (batch == 0)
				die("--batch is a number of entries, 1 or more", argv[i]);
		} else if (strcmp(argv[i], "--delete") == 0 && i + 1 < argc) {
			if (sscanf(argv[++i], "%lu-%lu", &del_from, &del_to) != 2 ||
			    del_from == 0 || del_to < del_from)
				die("--delete is FROM-TO", argv[i]);
		} else if (strcmp(argv[i], "--members") == 0 && i + 1 < argc) {
			parse_members(argv[++i], &members);
		} else if (strcmp(argv[i], "--snapshot-members") == 0 && i + 1 < argc) {
			parse_members(argv[++i], &snap_members);
		} else if (strcmp(argv[i], "--snapshot") == 0 && i + 1 < argc && ns < 8) {
			snaps[ns++] = argv[++i];
		} else if (nr < 64) {
			struct range *r = &rs[nr++];
			char kind[16] = "";

			memset(r, 0, sizeof(*r));
			if (sscanf(argv[i], "%lu-%lu:%lu:%15[a-z0-9]:%lu:%lu", &r->from, &r->to,
			           &r->term, kind, &r->off, &r->fork) < 4 ||
			    r->to < r->from)
				die("a range is FROM-TO:TERM:KIND[:OFF[:FORK]]", argv[i]);
			memcpy(r->kind, kind, sizeof(r->kind));
		}
	}
	{
		char p[4096];

		snprintf(p, sizeof(p), "%s", dir);
		for (char *c = p + 1; *c; c++)
			if (*c == '/') {
				*c = 0;
				mkdir(p, 0755);
				*c = '/';
			}
		mkdir(p, 0755);
	}
	write_log(dir, rs, nr, &last_term);
	if (del_from != 0)
		delete_range(dir, del_from, del_to);
	write_stable(dir, has_term ? term : last_term, has_vote_term, vote_term, cand);
	for (size_t i = 0; i < ns; i++)
		write_snapshot(dir, snaps[i]);
	return 0;
}
