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
#include <dirent.h>
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
	int fd = -1, rc;

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
	if (rc == BOLT_OK && fsync(bolt_db_fd(db)) != 0)
		rc = bolt_syserr(&be, "cannot sync %s", path);
	if (db != NULL) {
		int crc = bolt_db_close(db, rc == BOLT_OK ? &be : NULL);

		if (rc == BOLT_OK)
			rc = crc;
	}
	if (rc == BOLT_OK && renameat(dirfd, tmp, dirfd, name) != 0)
		rc = bolt_syserr(&be, "cannot rename the temporary file to %s", path);
	if (rc == BOLT_OK && fsync(dirfd) != 0)
		rc = bolt_syserr(&be, "cannot sync directory %s", dir);
	if (rc != BOLT_OK) {
		(void)unlinkat(dirfd, tmp, 0);
		return from_bolt(err, path, &be);
	}
	return RS_OK;
}

struct files {
	const struct kv *log;
	size_t nlog;
	const struct kv *stable;
	size_t nstable;
};

/* Internal: the staged swap is not possible here; write file by file. */
#define RS_EAGAIN_FILES (-1)

static int write_both(int dirfd, const char *dir, const struct files *f, struct rs_err *err)
{
	int rc = write_db(dirfd, dir, RS_LOG_FILE, f->log, f->nlog, err);

	if (rc == RS_OK)
		rc = write_db(dirfd, dir, RS_STABLE_FILE, f->stable, f->nstable, err);
	return rc;
}

/* Fallback: each file replaced atomically on its own. */
static int write_in_place(const char *node_dir, const struct files *f, struct rs_err *err)
{
	int dirfd = open(node_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc;

	if (dirfd < 0)
		return rs_errf(err, RS_EIO, "cannot open directory %s: %s", node_dir,
		               strerror(errno));
	rc = write_both(dirfd, node_dir, f, err);
	close(dirfd);
	return rc;
}

/* Whether dir holds nothing but state files (so swapping the whole
 * directory loses nothing); a missing dir counts as empty. */
static int only_state_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int ok = 1;

	if (d == NULL)
		return errno == ENOENT;
	while (ok && (de = readdir(d)) != NULL) {
		const char *n = de->d_name;

		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, RS_LOG_FILE) == 0 ||
		    strcmp(n, RS_STABLE_FILE) == 0)
			continue;
		ok = 0;
	}
	closedir(d);
	return ok;
}

static void remove_stage(int pfd, const char *stage)
{
	int sfd = openat(pfd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (sfd >= 0 && (d = fdopendir(sfd)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				(void)unlinkat(dirfd(d), de->d_name, 0);
		closedir(d);
	} else if (sfd >= 0) {
		close(sfd);
	}
	(void)unlinkat(pfd, stage, AT_REMOVEDIR);
}

/* A run killed mid-way may leave ".<id>.gen-XXXXXXXX" beside the node
 * directory (holding either the unfinished new pair or the replaced old
 * one); the next run removes them. */
static void remove_stale_stages(int pfd, const char *base)
{
	char prefix[300];
	int fd = dup(pfd);
	DIR *d;
	struct dirent *de;
	size_t plen;

	(void)snprintf(prefix, sizeof(prefix), ".%s.gen-", base);
	plen = strlen(prefix);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, plen) == 0 && strlen(de->d_name) == plen + 8)
			remove_stage(pfd, de->d_name);
	closedir(d);
}

/*
 * Both files of a node change together: they are written into a new
 * directory beside the node directory, which is then swapped with it in
 * one step (renameat2 RENAME_EXCHANGE, or a plain rename when the node
 * directory does not exist yet). A crash leaves either the old pair or the
 * new pair under the node's name, never one of each; at worst a stale
 * ".<id>.gen-XXXXXXXX" directory beside it. Returns RS_EAGAIN_FILES when a
 * swap is not possible (other files in the node directory, a mount point, a
 * file system without RENAME_EXCHANGE): the caller then replaces the files
 * one by one.
 */
static int write_staged(const char *node_dir, const struct files *f, struct rs_err *err)
{
	char parent[4096], base[256], stage[320];
	const char *slash;
	struct stat st;
	int pfd, sfd, exists, rc, tries = 0;

	if (!only_state_files(node_dir))
		return RS_EAGAIN_FILES;
	slash = strrchr(node_dir, '/');
	if (slash == NULL) {
		strlcpy(parent, ".", sizeof(parent));
		strlcpy(base, node_dir, sizeof(base));
	} else {
		size_t plen = (size_t)(slash - node_dir);

		if (plen >= sizeof(parent) ||
		    strlcpy(base, slash + 1, sizeof(base)) >= sizeof(base))
			return RS_EAGAIN_FILES;
		memcpy(parent, node_dir, plen);
		parent[plen] = 0;
		if (plen == 0)
			strlcpy(parent, "/", sizeof(parent));
	}
	if (base[0] == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return RS_EAGAIN_FILES;
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return rs_errf(err, RS_EIO, "cannot open directory %s: %s", parent,
		               strerror(errno));
	exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && !S_ISDIR(st.st_mode)) {
		close(pfd);
		return rs_errf(err, RS_EIO, "%s is not a directory", node_dir);
	}
	remove_stale_stages(pfd, base);
	do {
		(void)snprintf(stage, sizeof(stage), ".%s.gen-%08x", base, arc4random());
		rc = mkdirat(pfd, stage, 0755);
	} while (rc != 0 && errno == EEXIST && ++tries < 16);
	if (rc != 0) {
		close(pfd);
		return RS_EAGAIN_FILES; /* e.g. parent not writable: let the caller try */
	}
	sfd = openat(pfd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0) {
		rc = rs_errf(err, RS_EIO, "cannot open %s/%s: %s", parent, stage, strerror(errno));
		goto fail;
	}
	if ((rc = write_both(sfd, node_dir, f, err)) != RS_OK)
		goto fail;
	if (fsync(sfd) != 0) {
		rc = rs_errf(err, RS_EIO, "cannot sync %s/%s: %s", parent, stage, strerror(errno));
		goto fail;
	}
	if (exists) {
		if (renameat2(pfd, stage, pfd, base, RENAME_EXCHANGE) != 0) {
			remove_stage(pfd, stage);
			close(sfd);
			close(pfd);
			return RS_EAGAIN_FILES;
		}
	} else if (renameat(pfd, stage, pfd, base) != 0) {
		rc = rs_errf(err, RS_EIO, "cannot rename the staged state to %s: %s", node_dir,
		             strerror(errno));
		goto fail;
	}
	if (fsync(pfd) != 0) {
		rc = rs_errf(err, RS_EIO, "cannot sync directory %s: %s", parent, strerror(errno));
		close(sfd);
		close(pfd);
		return rc;
	}
	if (exists)
		remove_stage(pfd, stage); /* the previous pair, now under the stage name */
	close(sfd);
	close(pfd);
	return RS_OK;
fail:
	if (sfd >= 0)
		close(sfd);
	remove_stage(pfd, stage);
	close(pfd);
	return rc;
}

int rs_generate_node(const char *node_dir, const struct rs_config *cfg, const char *self_id,
                     const char *leader_id, uint64_t term, struct rs_err *err)
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

		rc = write_staged(node_dir, &f, err);
		if (rc == RS_EAGAIN_FILES)
			rc = write_in_place(node_dir, &f, err);
	}
out:
	mp_buf_free(&conf);
	mp_buf_free(&entry);
	return rc;
}
