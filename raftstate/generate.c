/*
 * Writes a node's initial state with the same transactions, in the same
 * order, as the Go op-conductor-init (raft-boltdb NewBoltStore, then
 * StoreLog / SetUint64 / Set), so the files come out byte-identical:
 *   raft-log.db     tx 2: create buckets logs, conf
 *                   tx 3: logs[1] = the LogConfiguration entry
 *   raft-stable.db  tx 2: create buckets logs, conf
 *                   tx 3: conf CurrentTerm = term
 *                   leader only: tx 4 LastVoteTerm = term,
 *                                tx 5 LastVoteCand = its server ID
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "bolt/db.h"
#include "raftstate/generate.h"
#include "raftstate/log.h"
#include "raftstate/nodedir.h"
#include "raftstate/stable.h"

struct kv {
	const char *bucket;
	const void *key;
	size_t klen;
	const void *value;
	size_t vlen;
};

static int from_bolt(struct rs_err *err, const char *path, const struct bolt_err *be)
{
	int code = be->code == BOLT_ENOMEM    ? RS_ENOMEM
	           : be->code == BOLT_ELOCKED ? RS_ELOCKED
	                                      : RS_EIO;
	int rc = rs_errf(err, code, "%s: %s", path, be->msg);

	if (err != NULL)
		err->sys_errno = be->sys_errno;
	return rc;
}

/* NewBoltStore's initialize(): one transaction creating both buckets. */
static int create_buckets(struct bolt_db *db, struct bolt_err *be)
{
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	int rc;

	if ((rc = bolt_tx_begin(db, &tx, be)) != BOLT_OK)
		return rc;
	if ((rc = bolt_bucket_create_if_missing(bolt_tx_root(tx), RS_BUCKET_LOGS,
	                                        strlen(RS_BUCKET_LOGS), &b, be)) != BOLT_OK ||
	    (rc = bolt_bucket_create_if_missing(bolt_tx_root(tx), RS_BUCKET_CONF,
	                                        strlen(RS_BUCKET_CONF), &b, be)) != BOLT_OK) {
		bolt_tx_rollback(tx);
		return rc;
	}
	return bolt_tx_commit(tx, be);
}

/* One transaction per Set/SetUint64/StoreLog call, as raft-boltdb does. */
static int put_one(struct bolt_db *db, const struct kv *kv, struct bolt_err *be)
{
	struct bolt_tx *tx;
	struct bolt_bucket *b;
	int rc;

	if ((rc = bolt_tx_begin(db, &tx, be)) != BOLT_OK)
		return rc;
	if ((rc = bolt_bucket_open(bolt_tx_root(tx), kv->bucket, strlen(kv->bucket), &b, be)) !=
	        BOLT_OK ||
	    (rc = bolt_bucket_put(b, kv->key, kv->klen, kv->value, kv->vlen, be)) != BOLT_OK) {
		bolt_tx_rollback(tx);
		return rc;
	}
	return bolt_tx_commit(tx, be);
}

/* Writes `name` in dirfd atomically: a new temporary file (O_EXCL,
 * O_NOFOLLOW, 0600), the transactions, fsync, rename, fsync of the dir. */
static int write_db(int dirfd, const char *dir, const char *name, const struct kv *kvs, size_t n,
                    struct rs_err *err)
{
	char tmp[64], path[4096];
	struct bolt_db *db = NULL;
	struct bolt_err be = {0};
	int fd = -1, rc, src = RS_OK; /* src: a sync failure, already in err */

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int tries = 0; fd < 0; tries++) {
		(void)snprintf(tmp, sizeof(tmp), ".%s.tmp-%08x", name, arc4random());
		fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && (errno != EEXIST || tries > 16)) {
			rs_errf(err, RS_EIO, "cannot create a temporary file in %s: %s", dir,
			        strerror(errno));
			err->sys_errno = errno;
			return RS_EIO;
		}
	}
	rc = bolt_db_open_fd(fd, path, NULL, &db, &be);
	if (rc == BOLT_OK)
		rc = create_buckets(db, &be);
	for (size_t i = 0; rc == BOLT_OK && i < n; i++)
		rc = put_one(db, &kvs[i], &be);
	if (rc == BOLT_OK && (src = rs_fsync_fd(bolt_db_fd(db), path, err)) != RS_OK)
		rc = BOLT_EIO;
	if (db != NULL) {
		int crc = bolt_db_close(db, rc == BOLT_OK ? &be : NULL);

		if (rc == BOLT_OK)
			rc = crc;
	}
	if (rc == BOLT_OK && renameat(dirfd, tmp, dirfd, name) != 0)
		rc = bolt_syserr(&be, "cannot rename the temporary file to %s", path);
	if (rc == BOLT_OK && (src = rs_fsync_fd(dirfd, dir, err)) != RS_OK)
		rc = BOLT_EIO;
	if (rc != BOLT_OK) {
		(void)unlinkat(dirfd, tmp, 0);
		return src != RS_OK ? src : from_bolt(err, path, &be);
	}
	return RS_OK;
}

struct files {
	const struct kv *log;
	size_t nlog;
	const struct kv *stable;
	size_t nstable;
};

static int write_both(int dirfd, const char *dir, const struct files *f, struct rs_err *err)
{
	int rc = write_db(dirfd, dir, RS_LOG_FILE, f->log, f->nlog, err);

	if (rc == RS_OK)
		rc = write_db(dirfd, dir, RS_STABLE_FILE, f->stable, f->nstable, err);
	return rc;
}

static int fill_node(void *ctx, int sfd, const char *stage, const char *old, struct rs_err *err)
{
	(void)old;
	return write_both(sfd, stage, ctx, err);
}

int rs_generate_node(const char *node_dir, const struct rs_config *cfg, const char *self_id,
                     const char *leader_id, uint64_t term, struct rs_generate_put *put,
                     struct rs_err *err)
{
	struct mp_buf conf = {0}, entry = {0};
	struct rs_log log = {0};
	uint8_t index_key[8], term_be[8];
	int rc;

	if (term == 0)
		return rs_errf(err, RS_EINVAL, "the initial term must be at least 1");
	if ((rc = rs_config_encode(cfg, &conf, err)) != RS_OK)
		goto out;
	log.index = 1;
	log.term = term;
	log.type = RS_LOG_CONFIGURATION;
	log.data = conf.p;
	log.data_len = conf.len;
	log.ext_nil = 1;
	log.appended_at.utc = 1;
	log.appended_at_present = 1;
	if ((rc = rs_log_encode(&log, &entry, err)) != RS_OK)
		goto out;
	rs_put_be64(index_key, 1);
	rs_put_be64(term_be, term);

	{
		const struct kv log_kvs[] = {
		    {RS_BUCKET_LOGS, index_key, 8, entry.p, entry.len},
		};
		const struct kv stable_kvs[] = {
		    {RS_BUCKET_CONF, RS_KEY_CURRENT_TERM, strlen(RS_KEY_CURRENT_TERM), term_be, 8},
		    {RS_BUCKET_CONF, RS_KEY_LAST_VOTE_TERM, strlen(RS_KEY_LAST_VOTE_TERM), term_be,
		     8},
		    {RS_BUCKET_CONF, RS_KEY_LAST_VOTE_CAND, strlen(RS_KEY_LAST_VOTE_CAND), self_id,
		     strlen(self_id)},
		};
		int leader = leader_id != NULL && strcmp(self_id, leader_id) == 0;
		struct files f = {log_kvs, 1, stable_kvs, leader ? 3 : 1};

		struct rs_nd_replace r;

		rs_nd_replace_init(&r, node_dir, "generate", fill_node, NULL, &f);
		if (put != NULL) {
			r.uid = put->uid;
			r.gid = put->gid;
			r.keep_dir = put->keep_dir;
			r.keep_prefix = put->keep_prefix;
		}
		rc = rs_nd_replace_node(&r, put != NULL ? put->keep_root : NULL,
		                        put != NULL ? put->keep_size : 0, err);
		if (put != NULL) {
			put->in_place = r.in_place;
			strlcpy(put->in_place_why, r.in_place_why, sizeof(put->in_place_why));
			strlcpy(put->kept, r.kept, sizeof(put->kept));
			put->salvaged += r.salvaged;
			if (r.salvaged > 0)
				strlcpy(put->salvaged_to, r.salvaged_to, sizeof(put->salvaged_to));
		}
	}
out:
	mp_buf_free(&conf);
	mp_buf_free(&entry);
	return rc;
}
