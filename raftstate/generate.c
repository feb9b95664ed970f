/*
 * The engine of `raft generate` (generate.h). Below, the output tree:
 * rs_generate_plan (inspect, --if-absent, a formed cluster) and
 * rs_generate_apply (mkdir -p, run lock, inspect again, the nodes, --chown,
 * cluster.json). First, one node:
 *
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
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>

#include "bolt/db.h"
#include "raftstate/clusterfile.h"
#include "raftstate/generate.h"
#include "raftstate/ifabsent.h"
#include "raftstate/log.h"
#include "raftstate/nodedir.h"
#include "raftstate/path.h"
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

	(void)rs_path_join(path, sizeof(path), dir, name);
	for (int tries = 0; fd < 0; tries++) {
		(void)snprintf(tmp, sizeof(tmp), ".%s.tmp-%08x", name, rs_path_nonce());
		fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && (errno != EEXIST || tries > 16)) {
			rs_errf(err, RS_EIO, "cannot create a temporary file in %s: %s", dir,
			        rs_errno_text(errno).s);
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

/* err's sentence, with "; nothing was changed" appended. */
static int nothing_changed(struct rs_err *err, int rc)
{
	char msg[sizeof(err->msg)];

	if (err == NULL)
		return rc;
	strlcpy(msg, err->msg, sizeof(msg));
	return rs_errf(err, rc, "%s; nothing was changed", msg);
}

/* ---- the output tree: plan -------------------------------------------------- */

/* OUTPUT_DIR/b, or OUTPUT_DIR/b/c when c is non-NULL; -1 when too long */
static int join3(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	char ab[PATH_MAX];

	if (c == NULL)
		return rs_path_join(buf, size, a, b);
	return rs_path_join(ab, sizeof(ab), a, b) != 0 ? -1 : rs_path_join(buf, size, ab, c);
}

/* What stands in OUTPUT_DIR: the parts of a plan that inspect() fills. */
struct tree {
	int make_outdir;
	unsigned char *make, *have;
	char *existing;
	size_t nexisting;
};

static int append_existing(struct tree *t, const char *path, struct rs_err *err)
{
	size_t old = t->existing != NULL ? strlen(t->existing) : 0;
	size_t add = strlen(rs_qpath(path).s) + 2;
	char *p = realloc(t->existing, old + add + 1);

	if (p == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	(void)snprintf(p + old, add + 1, "%s%s", old > 0 ? ", " : "", rs_qpath(path).s);
	t->existing = p;
	t->nexisting++;
	return RS_OK;
}

/* OUTPUT_DIR is missing: the nearest existing ancestor must be a writable
 * directory, or mkdir -p would fail half-way. */
static int check_creatable(const char *outdir, struct rs_err *err)
{
	char parent[PATH_MAX];
	struct stat st;
	char *slash;

	(void)snprintf(parent, sizeof(parent), "%s", outdir);
	for (;;) {
		slash = strrchr(parent, '/');
		if (slash == NULL)
			(void)snprintf(parent, sizeof(parent), ".");
		else if (slash == parent)
			parent[1] = '\0';
		else
			*slash = '\0';
		if (stat(parent, &st) == 0)
			break;
		if (errno != ENOENT)
			return rs_errf(err, RS_EIO, "cannot create --output-dir %s: %s: %s",
			               rs_qpath(outdir).s, rs_qpath(parent).s,
			               rs_errno_text(errno).s);
		if (strcmp(parent, ".") == 0 || strcmp(parent, "/") == 0)
			return rs_errf(err, RS_EINVAL,
			               "cannot create --output-dir %s: %s does not exist",
			               rs_qpath(outdir).s, rs_qpath(parent).s);
	}
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL,
		               "cannot create --output-dir %s: %s is not a directory",
		               rs_qpath(outdir).s, rs_qpath(parent).s);
	if (access(parent, W_OK | X_OK) != 0)
		return rs_errf(err, RS_EIO,
		               "cannot create --output-dir %s: %s is not writable (%s)",
		               rs_qpath(outdir).s, rs_qpath(parent).s, rs_errno_text(errno).s);
	return RS_OK;
}

/* What stands at path, which state is written into or replaces: nothing
 * (*exists 0), or a `type` (S_IFDIR or S_IFREG); never a symbolic link (we
 * do not write through one), never anything else. */
static int existing(const char *path, mode_t type, int *exists, struct rs_err *err)
{
	struct stat st;

	*exists = 0;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return RS_OK;
		return rs_errf(err, RS_EIO, "cannot inspect %s: %s", rs_qpath(path).s,
		               rs_errno_text(errno).s);
	}
	*exists = 1;
	if (S_ISLNK(st.st_mode))
		return rs_errf(err, RS_EINVAL,
		               "%s is a symbolic link; refusing to write state through it (give "
		               "--output-dir where the link points, or remove the link)",
		               rs_qpath(path).s);
	if ((st.st_mode & S_IFMT) != type)
		return rs_errf(
		    err, RS_EINVAL,
		    "%s exists and is not a %s; move it away or give another --output-dir",
		    rs_qpath(path).s, type == S_IFDIR ? "directory" : "regular file");
	return RS_OK;
}

/* A state file that exists must be a regular file: never write through a
 * symbolic link, never replace a directory. */
static int inspect_state_file(struct tree *t, const char *path, struct rs_err *err)
{
	int rc, exists;

	if ((rc = existing(path, S_IFREG, &exists, err)) != RS_OK || !exists)
		return rc;
	return append_existing(t, path, err);
}

/* OUTPUT_DIR itself: a directory we can enter, or missing (t->make_outdir
 * set, every target to be made) with a place to make it. */
static int inspect_outdir(const char *outdir, const unsigned char *target, size_t n, struct tree *t,
                          struct rs_err *err)
{
	struct stat st;

	if (lstat(outdir, &st) != 0) {
		if (errno == ENOTDIR)
			return rs_errf(err, RS_EINVAL,
			               "cannot create --output-dir %s: a part of its path is not a "
			               "directory",
			               rs_qpath(outdir).s);
		if (errno != ENOENT)
			return rs_errf(err, RS_EIO, "cannot inspect --output-dir %s: %s",
			               rs_qpath(outdir).s, rs_errno_text(errno).s);
		t->make_outdir = 1;
		memcpy(t->make, target, n);
		return check_creatable(outdir, err);
	}
	if (S_ISLNK(st.st_mode))
		return rs_errf(
		    err, RS_EINVAL,
		    "--output-dir %s is a symbolic link; give the directory it points to",
		    rs_qpath(outdir).s);
	if (!S_ISDIR(st.st_mode))
		return rs_errf(err, RS_EINVAL,
		               "--output-dir %s exists and is not a directory; give a directory",
		               rs_qpath(outdir).s);
	if (access(outdir, X_OK) != 0)
		return rs_errf(err, RS_EIO, "cannot enter --output-dir %s: %s", rs_qpath(outdir).s,
		               rs_errno_text(errno).s);
	return RS_OK;
}

/* One target node directory: missing (to be made), or a real directory
 * whose databases and snapshots/ are counted as existing state; with
 * --if-absent a node with state is compared later, never written, and one
 * holding only snapshots/ is refused. *need_write: something is to be made
 * in OUTPUT_DIR. */
static int inspect_node(const char *outdir, const char *id, int if_absent, struct tree *t, size_t i,
                        int *need_write, struct rs_err *err)
{
	static const char *const files[] = {RS_LOG_FILE, RS_STABLE_FILE};
	char path[PATH_MAX], file[PATH_MAX];
	struct stat st;
	size_t before = t->nexisting;
	int rc, exists;

	if (join3(path, sizeof(path), outdir, id, NULL) != 0)
		return rs_errf(err, RS_ELIMIT, "path %s/%s is too long", rs_qpath(outdir).s, id);
	if ((rc = existing(path, S_IFDIR, &exists, err)) != RS_OK)
		return rc;
	if (!exists) {
		t->make[i] = 1;
		*need_write = 1;
		return RS_OK;
	}
	for (size_t f = 0; f < 2; f++) {
		if (join3(file, sizeof(file), outdir, id, files[f]) != 0)
			return rs_errf(err, RS_ELIMIT, "path %s is too long", rs_qpath(path).s);
		if ((rc = inspect_state_file(t, file, err)) != RS_OK)
			return rc;
	}
	t->have[i] = (unsigned char)(t->nexisting - before);
	/* snapshots/ is state too: raft starts from the newest snapshot's
	 * configuration whatever a fresh log says (FORMAT.md) */
	if (join3(file, sizeof(file), outdir, id, RS_SNAP_DIR) != 0)
		return rs_errf(err, RS_ELIMIT, "path %s is too long", rs_qpath(path).s);
	if (lstat(file, &st) == 0) {
		if (if_absent && t->have[i] == 0)
			return rs_errf(
			    err, RS_EINVAL,
			    "--if-absent: %s holds no database but a %s/ directory: raft "
			    "would start from its snapshot, not from what this command "
			    "writes; nothing was changed (move it away, or replace the "
			    "node with --force)",
			    rs_qpath(path).s, RS_SNAP_DIR);
		if ((rc = append_existing(t, file, err)) != RS_OK)
			return rc;
	}
	if (if_absent && t->have[i] > 0)
		return RS_OK; /* compared, never written: see if_absent_check */
	if (access(path, W_OK | X_OK) != 0)
		return rs_errf(err, RS_EIO, "%s is not writable: %s", rs_qpath(path).s,
		               rs_errno_text(errno).s);
	return RS_OK;
}

/* The output tree as it stands, for the target nodes: what exists, what
 * must be made; refuses symbolic links, non-directories, unwritable
 * directories, existing state without --force (and --if-absent), and with
 * --force a node whose database is in use. Changes nothing. */
static int inspect(const char *outdir, const struct rs_members *ms, const unsigned char *target,
                   int force, int if_absent, struct tree *t, struct rs_err *err)
{
	char path[PATH_MAX];
	int need_write = 0, rc;

	if ((rc = inspect_outdir(outdir, target, ms->n, t, err)) != RS_OK || t->make_outdir)
		return rc;
	for (size_t i = 0; i < ms->n; i++)
		if (target[i] && (rc = inspect_node(outdir, ms->m[i].id, if_absent, t, i,
		                                    &need_write, err)) != RS_OK)
			return rc;
	if (t->nexisting > 0 && !force && !if_absent)
		return rs_errf(
		    err, RS_EEXIST,
		    "refusing to overwrite %zu existing state file%s without --force: %s",
		    t->nexisting, t->nexisting == 1 ? "" : "s", t->existing);
	/* --force replaces whole nodes: none may be in use */
	for (size_t i = 0; force && i < ms->n; i++) {
		if (!target[i] || join3(path, sizeof(path), outdir, ms->m[i].id, NULL) != 0)
			continue;
		if ((rc = rs_nd_check_unlocked(path, "stop it before generating over it", err)) !=
		    RS_OK)
			return nothing_changed(err, rc);
	}
	if (need_write && access(outdir, W_OK | X_OK) != 0)
		return rs_errf(err, RS_EIO, "--output-dir %s is not writable: %s",
		               rs_qpath(outdir).s, rs_errno_text(errno).s);
	return RS_OK;
}

/* A cluster file that says "formed": true: the cluster has run, and its
 * nodes' state is raft's. After a recover or a membership change the
 * file's members are older than the cluster's, and a node generated from
 * them (a pod back with an empty volume) would bring the old configuration
 * back. So nothing is generated: without --if-absent that is refused; with
 * it, a node without state is left empty (op-conductor starts it empty and
 * the leader sends it the configuration once it is a member), and nodes
 * with state are checked as usual. */
static int formed_skip(const struct rs_generate_opts *o, struct rs_generate_plan *p,
                       struct rs_err *err)
{
	const char *file = rs_qpath(o->formed_file).s;
	char node_dir[PATH_MAX];

	if (!o->if_absent)
		return rs_errf(
		    err, RS_EINVAL,
		    "%s says the cluster has formed (\"formed\": true): its nodes' state "
		    "comes from raft now, never from generate; nothing was written "
		    "(start a new member with an empty state directory, change members "
		    "with raft recover, or use --if-absent to check existing state)",
		    file);
	for (size_t i = 0; i < p->n; i++) {
		if (!p->target[i] || p->have[i] != 0)
			continue;
		(void)join3(node_dir, sizeof(node_dir), p->outdir, o->ms->m[i].id, NULL);
		rs_diff_add(&p->notes,
		            "%s: no state, and %s says the cluster has formed: nothing written; "
		            "op-conductor starts this node empty, and the leader sends it the "
		            "configuration once it is a member",
		            node_dir, file);
		p->target[i] = 0;
		p->nwrite--;
	}
	p->done = p->nwrite == 0;
	return RS_OK;
}

/* --if-absent: what is there is compared, never written. A node with
 * both databases gets the verdict of raftstate/ifabsent.h (a note when it
 * is fine); one with one database is a conflict; cluster.json must agree.
 * Conflicts: RS_EEXIST (p->conflict). Else the nodes with state are no
 * longer targets; p->done when none is left. */
static int if_absent_check(const struct rs_generate_opts *o, struct rs_generate_plan *p,
                           struct rs_err *err)
{
	const struct rs_members *ms = o->ms;
	char node_dir[PATH_MAX], note[256];
	int verdict;

	for (size_t i = 0; i < p->n; i++) {
		if (!p->target[i] || p->have[i] == 0)
			continue;
		p->npresent++;
		(void)join3(node_dir, sizeof(node_dir), p->outdir, ms->m[i].id, NULL);
		if (p->have[i] == 1) {
			rs_diff_add(&p->conflict,
			            "  %s: - only one of %s and %s exists (a partial state)",
			            ms->m[i].id, RS_LOG_FILE, RS_STABLE_FILE);
			continue;
		}
		verdict = rs_if_absent_node(node_dir, ms->m[i].id, o->cfg, ms->m[ms->leader].id,
		                            o->term, &p->changed, &p->conflict, note, sizeof(note));
		if (verdict == RS_NODE_NOMEM)
			return rs_errf(err, RS_ENOMEM, "out of memory reading %s",
			               rs_qpath(node_dir).s);
		if (verdict != RS_NODE_CONFLICT)
			rs_diff_add(&p->notes, "%s: %s", node_dir, note);
	}
	if (p->npresent > 0)
		rs_if_absent_record(p->outdir, ms, o->term, o->network, &p->conflict);
	/* a verdict on a diff that lost a line would be no verdict */
	if (p->conflict.nomem || p->changed.nomem || p->notes.nomem)
		return rs_errf(err, RS_ENOMEM, "out of memory comparing the state in %s",
		               rs_qpath(p->outdir).s);
	if (p->conflict.n > 0)
		return rs_errf(err, RS_EEXIST,
		               "--if-absent: the existing state in %s is not what this command "
		               "would write; nothing was changed (- existing, + this command):",
		               rs_qpath(p->outdir).s);
	if (p->npresent == p->nwrite) {
		p->done = 1;
		return RS_OK;
	}
	for (size_t i = 0; i < p->n; i++)
		if (p->have[i] > 0)
			p->target[i] = 0; /* keep what is there, write the rest */
	return RS_OK;
}

static int plan_alloc(struct rs_generate_plan *p, size_t n, struct rs_err *err)
{
	size_t k = n > 0 ? n : 1;

	p->n = n;
	p->asked = calloc(k, 1);
	p->target = calloc(k, 1);
	p->make = calloc(k, 1);
	p->have = calloc(k, 1);
	p->written = calloc(k, 1);
	if (p->asked == NULL || p->target == NULL || p->make == NULL || p->have == NULL ||
	    p->written == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	return RS_OK;
}

/* The plan's view of the tree (make, have, existing) from t. */
static void take_tree(struct rs_generate_plan *p, struct tree *t)
{
	free(p->make);
	free(p->have);
	free(p->existing);
	p->make = t->make;
	p->have = t->have;
	p->existing = t->existing;
	p->nexisting = t->nexisting;
	memset(t, 0, sizeof(*t));
}

int rs_generate_plan(const struct rs_generate_opts *o, struct rs_generate_plan *p,
                     struct rs_err *err)
{
	struct tree t = {0};
	size_t len;
	int rc;

	memset(p, 0, sizeof(*p));
	p->put.uid = o->chown ? o->uid : (uid_t)-1;
	p->put.gid = o->chown ? o->gid : (gid_t)-1;
	len = strlcpy(p->outdir, o->output_dir, sizeof(p->outdir));
	if (len >= sizeof(p->outdir))
		return rs_errf(err, RS_ELIMIT, "--output-dir %s is too long", o->output_dir);
	/* "out/" must be inspected as "out": lstat("link/") follows the link */
	while (len > 1 && p->outdir[len - 1] == '/')
		p->outdir[--len] = '\0';
	if ((rc = plan_alloc(p, o->ms->n, err)) != RS_OK)
		return rc;
	for (size_t i = 0; i < p->n; i++) {
		p->target[i] = o->node_id == NULL || strcmp(o->ms->m[i].id, o->node_id) == 0;
		p->nwrite += p->target[i];
	}
	memcpy(p->asked, p->target, p->n);
	if (p->nwrite == 0 && o->formed_file != NULL && o->if_absent) {
		/* a member added since the cluster formed (not in the file): it
		 * starts empty and gets everything from the leader */
		rs_diff_add(&p->notes,
		            "%s/%s: %s is not in %s, and the cluster has formed: nothing written; "
		            "op-conductor starts this node as its state directory is",
		            p->outdir, o->node_id, o->node_id, rs_qpath(o->formed_file).s);
		p->done = 1;
		return RS_OK;
	}
	if (p->nwrite == 0)
		return rs_errf(err, RS_ENOTFOUND, "%s is not one of the server IDs",
		               rs_q(o->node_id).s);
	p->cluster_json = o->cluster_json;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(o->ms->m[i].id, RS_CLUSTER_JSON) == 0)
			p->cluster_json = 0; /* that name is a node directory here */
	t.make = p->make;
	t.have = p->have;
	p->make = p->have = NULL;
	rc = inspect(p->outdir, o->ms, p->target, o->force, o->if_absent, &t, err);
	p->make_outdir = t.make_outdir;
	take_tree(p, &t);
	if (rc == RS_OK && o->formed_file != NULL)
		rc = formed_skip(o, p, err);
	if (rc == RS_OK && !p->done && o->if_absent)
		rc = if_absent_check(o, p, err);
	return rc;
}

void rs_generate_plan_free(struct rs_generate_plan *p)
{
	free(p->asked);
	free(p->target);
	free(p->make);
	free(p->have);
	free(p->written);
	free(p->existing);
	rs_diff_free(&p->notes);
	rs_diff_free(&p->conflict);
	rs_diff_free(&p->changed);
	memset(p, 0, sizeof(*p));
}

/* ---- the output tree: apply ------------------------------------------------- */

/* mkdir then lstat: what we will write into must be a real directory, even
 * if it appeared between the inspection and now. */
static int make_dir(const char *path, struct rs_err *err)
{
	int rc, exists;

	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return rs_errf(err, RS_EIO, "cannot create directory %s: %s", rs_qpath(path).s,
		               rs_errno_text(errno).s);
	if ((rc = existing(path, S_IFDIR, &exists, err)) == RS_OK && !exists)
		rc = rs_errf(err, RS_EIO, "cannot inspect %s: %s", rs_qpath(path).s,
		             rs_errno_text(ENOENT).s); /* removed as soon as it was made */
	return rc;
}

/* mkdir -p: the parents may be symbolic links (e.g. /var -> /data/var);
 * only OUTPUT_DIR itself must not be one (make_dir). */
static int make_outdir(const char *outdir, struct rs_err *err)
{
	char msg[sizeof(err->msg)];
	int rc;

	if ((rc = rs_path_mkdir_p(outdir, 0, err)) != RS_OK) {
		if (rc != RS_EINVAL)
			return rc;
		strlcpy(msg, err->msg, sizeof(msg));
		return rs_errf(err, rc, "cannot create --output-dir %s: %s", rs_qpath(outdir).s,
		               msg);
	}
	return make_dir(outdir, err);
}

/* rs_err text plus the system's reason when the message lacks it. */
static const char *err_text(const struct rs_err *e, char *buf, size_t size)
{
	if (e->sys_errno != 0 && strstr(e->msg, strerror(e->sys_errno)) == NULL)
		(void)snprintf(buf, size, "%s: %s", e->msg, strerror(e->sys_errno));
	else
		(void)snprintf(buf, size, "%s", e->msg);
	return buf;
}

/* One target node: its state written (replacing and keeping what was
 * there), its directory and files given --chown's owner, and its files
 * listed for cluster.json (files[*nfiles...]). */
static int write_one(const struct rs_generate_opts *o, struct rs_generate_plan *p, size_t i,
                     struct rs_cluster_file_entry *files, size_t *nfiles, struct rs_err *err)
{
	static const char *const names[] = {RS_LOG_FILE, RS_STABLE_FILE};
	const struct rs_members *ms = o->ms;
	char node_dir[PATH_MAX], path[PATH_MAX], msg[1024];
	struct rs_err e = {0};
	int rc;

	(void)join3(node_dir, sizeof(node_dir), p->outdir, ms->m[i].id, NULL);
	if (rs_generate_node(node_dir, o->cfg, ms->m[i].id, ms->m[ms->leader].id, o->term, &p->put,
	                     &e) != RS_OK)
		return rs_errf(
		    err, e.code, "failed to write the state of %s in %s: %s%s", rs_q(ms->m[i].id).s,
		    rs_qpath(node_dir).s, err_text(&e, msg, sizeof(msg)),
		    *nfiles > 0 ? " (the nodes before it were written; rerun with --force)" : "");
	p->written[i] = 1;
	if (o->chown && (rc = rs_nd_chown_path(node_dir, o->uid, o->gid, err)) != RS_OK)
		return rc;
	for (size_t f = 0; f < 2; f++) {
		(void)join3(path, sizeof(path), p->outdir, ms->m[i].id, names[f]);
		if (o->chown && (rc = rs_nd_chown_path(path, o->uid, o->gid, err)) != RS_OK)
			return rc;
		if (p->cluster_json) {
			(void)rs_path_join(files[*nfiles].path, sizeof(files[*nfiles].path),
			                   ms->m[i].id, names[f]);
			if (rs_cluster_hash_file(path, &files[*nfiles], msg, sizeof(msg)) != 0)
				return rs_errf(err, RS_EIO, "%s", msg);
		}
		(*nfiles)++;
	}
	return RS_OK;
}

/* Under the run lock: each target node's directory and state, their owner,
 * and cluster.json listing what was written. */
static int write_nodes(const struct rs_generate_opts *o, struct rs_generate_plan *p,
                       struct rs_err *err)
{
	struct rs_cluster_file_entry *files = calloc(2 * (p->n > 0 ? p->n : 1), sizeof(*files));
	char node_dir[PATH_MAX], msg[1024];
	size_t nfiles = 0;
	int rc = RS_OK;

	if (files == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n && rc == RS_OK; i++) {
		if (!p->target[i])
			continue;
		if (join3(node_dir, sizeof(node_dir), p->outdir, o->ms->m[i].id, NULL) != 0)
			rc = rs_errf(err, RS_ELIMIT, "path %s/%s is too long",
			             rs_qpath(p->outdir).s, o->ms->m[i].id);
		else if (p->make[i])
			rc = make_dir(node_dir, err);
	}
	for (size_t i = 0; i < p->n && rc == RS_OK; i++)
		if (p->target[i])
			rc = write_one(o, p, i, files, &nfiles, err);
	if (rc == RS_OK && p->cluster_json) {
		struct rs_cluster_record rec = {
		    .ms = o->ms,
		    .term = o->term,
		    .network = o->network,
		    .node_id = o->node_id,
		    .files = files,
		    .nfiles = nfiles,
		};

		if (rs_cluster_json_write(p->outdir, &rec, p->put.uid, p->put.gid, msg,
		                          sizeof(msg)) != 0)
			rc = rs_errf(err, RS_EIO, "the state files were written, but %s", msg);
	}
	free(files);
	return rc;
}

int rs_generate_apply(const struct rs_generate_opts *o, struct rs_generate_plan *p,
                      struct rs_err *err)
{
	struct rs_nd_lock lk = {.fd = -1};
	struct tree t = {0};
	const char *base = strrchr(p->outdir, '/');
	int rc = RS_OK, made = p->make_outdir;

	if (p->done)
		return RS_OK;
	/* what --force replaces is kept beside OUTPUT_DIR, not in it (OUTPUT_DIR
	 * holds exactly the nodes' state): ../.<name>.pre-generate-TS/<id> */
	rs_nd_lock_dir_of(p->outdir, p->keep_parent, sizeof(p->keep_parent));
	(void)snprintf(p->keep_prefix, sizeof(p->keep_prefix), ".%.200s.pre-generate-",
	               base != NULL ? base + 1 : p->outdir);
	p->put.keep_root = p->keep_root;
	p->put.keep_size = sizeof(p->keep_root);
	p->put.keep_dir = p->keep_parent;
	p->put.keep_prefix = p->keep_prefix;
	if (p->make_outdir && (rc = make_outdir(p->outdir, err)) != RS_OK)
		return rc;
	if ((rc = rs_nd_lock(p->outdir, o->run_lock_timeout, &lk, err)) != RS_OK)
		return nothing_changed(err, rc);
	/* under the lock, the tree again: another run may have written it */
	t.make = calloc(p->n > 0 ? p->n : 1, 1);
	t.have = calloc(p->n > 0 ? p->n : 1, 1);
	rc = t.make == NULL || t.have == NULL
	         ? rs_errf(err, RS_ENOMEM, "out of memory")
	         : inspect(p->outdir, o->ms, p->target, o->force, 0, &t, err);
	take_tree(p, &t);
	p->make_outdir = made;
	if (rc == RS_OK && made && o->chown)
		rc = rs_nd_chown_path(p->outdir, o->uid, o->gid, err);
	if (rc == RS_OK)
		rc = write_nodes(o, p, err);
	rs_nd_unlock(&lk);
	return rc;
}
