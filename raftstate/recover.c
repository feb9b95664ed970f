/*
 * raft recover, the engine: see recover.h for what is written and why.
 *
 * Order of work, so that a failure at any step leaves the node as it was:
 *   plan   verify the node (read-only, LOCK_SH), work out index/term/vote,
 *          note each database's inode, size and mtime;
 *   apply  1. LOCK_EX on both databases (refused while op-conductor runs),
 *             then check they are the files that were verified;
 *          2-6. raftstate/nodedir.h's replace: the node's state copied into
 *             a stage .<id>.recover-tmp-XXXXXXXX/ beside it (fill_stage:
 *             the copy, then with the bolt writer logs[index] = the entry
 *             and conf: CurrentTerm, the vote keys removed if planned),
 *             synced, given the replaced files' owner and mode, verified
 *             (check_filled: the new entry is the last one, its
 *             configuration is the one raft takes, the new CurrentTerm),
 *             swapped with the node in one renameat2(RENAME_EXCHANGE)
 *             (name by name inside a mount point), the old state kept as
 *             .<id>.pre-recover-YYYYMMDD-HHMMSS/;
 *          7. drop the locks (they were on the old files).
 */
#include <string.h>
#include <time.h>

#include <bsd/string.h>

#include "bolt/db.h"
#include "raftstate/node.h"
#include "raftstate/nodedir.h"
#include "raftstate/log.h"
#include "raftstate/msgpack.h"
#include "raftstate/path.h"
#include "raftstate/recover.h"
#include "raftstate/snapshot.h"
#include "raftstate/stable.h"

static const char *const db_names[2] = {RS_LOG_FILE, RS_STABLE_FILE};

/* ---- plan --------------------------------------------------------------- */

static int find_id(const struct rs_config *c, const char *id)
{
	size_t len = strlen(id);

	for (size_t i = 0; i < c->n; i++)
		if (c->servers[i].id_len == len && memcmp(c->servers[i].id, id, len) == 0)
			return (int)i;
	return -1;
}

/* Raft's checkConfiguration: IDs and addresses present and unique, at
 * least one voter. */
static int check_config(const struct rs_config *c, struct rs_err *err)
{
	size_t voters = 0;

	if (c->n == 0)
		return rs_errf(err, RS_EINVAL, "the new configuration has no servers");
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_server *s = &c->servers[i];

		if (s->id_len == 0 || s->address_len == 0)
			return rs_errf(err, RS_EINVAL,
			               "server %zu of the new configuration has an "
			               "empty ID or address",
			               i + 1);
		if (s->suffrage > RS_STAGING)
			return rs_errf(err, RS_EINVAL, "server %s has an unknown suffrage %llu",
			               s->id, (unsigned long long)s->suffrage);
		if (s->suffrage == RS_VOTER)
			voters++;
		for (size_t j = 0; j < i; j++) {
			const struct rs_server *t = &c->servers[j];

			if (s->id_len == t->id_len && memcmp(s->id, t->id, s->id_len) == 0)
				return rs_errf(err, RS_EINVAL, "server ID %s appears twice", s->id);
			if (s->address_len == t->address_len &&
			    memcmp(s->address, t->address, s->address_len) == 0)
				return rs_errf(err, RS_EINVAL, "address %s appears twice",
				               s->address);
		}
	}
	if (voters == 0)
		return rs_errf(err, RS_EINVAL,
		               "the new configuration has no voter; raft needs at "
		               "least one voter to elect a leader");
	return RS_OK;
}

/* Verifies node_dir into plan->old, recording the identity of the files
 * judged; refuses a node that does not verify or changed meanwhile. */
static int read_verified(const char *node_dir, const struct rs_recover_opts *opts,
                         struct rs_recover_plan *plan, struct rs_problems *problems,
                         struct rs_err *err)
{
	struct rs_verify_opts vo = {.lock_timeout = opts->lock_timeout};
	struct rs_nd_ident now;
	int rc;

	for (int i = 0; i < 2; i++)
		if ((rc = rs_nd_db_ident(node_dir, i, &plan->ident[i], err)) != RS_OK)
			return rc;
	rc = rs_verify_node_full(node_dir, &vo, &plan->old, problems, err);
	if (rc == RS_ELOCKED)
		return rs_err_suffix(err, "; stop op-conductor on this node first (recover "
		                          "rewrites a stopped node)");
	if (rc != RS_OK)
		return rc;
	if (problems->errors > 0) {
		(void)rs_errf(err, RS_ECORRUPT, "%s does not verify (%zu problem%s)", node_dir,
		              problems->errors, problems->errors == 1 ? "" : "s");
		return rs_err_suffix(err, "; recover only rewrites valid state: restore the node "
		                          "from a backup (raft restore) first, or leave it out");
	}
	for (int i = 0; i < 2; i++) {
		if ((rc = rs_nd_db_ident(node_dir, i, &now, err)) != RS_OK)
			return rc;
		if (memcmp(&now, &plan->ident[i], sizeof(now)) != 0)
			return rs_errf(err, RS_ELOCKED,
			               "%s/%s changed while it was verified; is "
			               "op-conductor running?",
			               node_dir, db_names[i]);
	}
	return RS_OK;
}

/* This node's place in the new configuration (plan->self); refuses one
 * that is not a voter there unless forced. */
static int check_self(const struct rs_config *config, const struct rs_recover_opts *opts,
                      struct rs_recover_plan *plan, struct rs_err *err)
{
	const struct rs_node *n = &plan->old;
	int self = find_id(config, n->id);

	plan->self = self < 0 ? -1 : (int)config->servers[self].suffrage;
	if (plan->self != RS_VOTER && !opts->force) {
		const char *why = self < 0 ? "is not in the new configuration"
		                           : "is only a nonvoter in the new configuration";

		return rs_errf(err, RS_EINVAL,
		               "this node (%s: the directory name is its server ID) %s: after "
		               "recovery it could "
		               "never stand for election or count towards a quorum, and a "
		               "cluster of such nodes elects no leader; list %s as a voter, or "
		               "use --force if this node is really meant to leave or only follow",
		               n->id, why, n->id);
	}
	return RS_OK;
}

/* Where the new entry goes (plan->index, plan->log_empty): after raft's
 * last entry (getLastEntry), which is the snapshot when the log ends at or
 * below it, leaving the old entries below the snapshot index, where raft
 * never reads (raftrules.h). */
static int place_entry(const char *node_dir, struct rs_recover_plan *plan,
                       struct rs_last_entry *last, struct rs_err *err)
{
	const struct rs_node *n = &plan->old;
	const struct rs_snapshot *snap = rs_node_newest_snapshot(n);

	*last = rs_rule_last_entry(n->count > 0 ? n->last_index : 0, n->last_term, snap != NULL,
	                           snap != NULL ? snap->index : 0, snap != NULL ? snap->term : 0);
	if (last->index == 0)
		return rs_errf(err, RS_ECORRUPT, "%s has neither log entries nor a snapshot",
		               node_dir);
	plan->log_empty = last->from_snapshot;
	plan->index = last->index + 1;
	if (plan->index == 0) {
		(void)rs_errf(err, RS_ELIMIT, "the log index cannot grow beyond 2^64-1");
		return rs_err_suffix(err, ": no raft log reaches its last index, so this state is "
		                          "damaged; restore the node from a backup (raft restore)");
	}
	return RS_OK;
}

/* The new entry's term (plan->term, and CurrentTerm): --term, which must be
 * above every term this node has seen, or the highest of them plus one. */
static int pick_term(const struct rs_last_entry *last, const struct rs_recover_opts *opts,
                     struct rs_recover_plan *plan, struct rs_err *err)
{
	const struct rs_node *n = &plan->old;
	uint64_t top = n->has_current_term ? n->current_term : 0;

	if (n->last_term > top)
		top = n->last_term;
	if (last->term > top)
		top = last->term;
	/* no term above it, with or without --term */
	if (top == UINT64_MAX) {
		(void)rs_errf(err, RS_ELIMIT, "the term cannot grow beyond 2^64-1");
		return rs_err_suffix(err, ": this node has seen term 2^64-1, which no raft cluster "
		                          "reaches, so its state is damaged; restore it from a "
		                          "backup (raft restore)");
	}
	if (opts->term != 0) {
		if (opts->term <= top)
			return rs_errf(
			    err, RS_EINVAL,
			    "--term %llu is not above this node's "
			    "CurrentTerm/last log term %llu: an entry in a term a leader "
			    "may have used can collide with another node's entry at the "
			    "same index and term; give every survivor the same --term above "
			    "all their CurrentTerms (raft compare shows them), at least %llu here",
			    (unsigned long long)opts->term, (unsigned long long)top,
			    (unsigned long long)top + 1);
		plan->term = opts->term;
	} else {
		plan->term = top + 1;
	}
	plan->current_term = plan->term;
	return RS_OK;
}

/* The vote is cleared when its candidate is not in the new configuration
 * (or too long to have been read whole), or a vote term has no candidate. */
static int vote_to_clear(const struct rs_node *n, const struct rs_config *config)
{
	if (n->has_last_vote_cand && n->last_vote_cand_len > 0 &&
	    (n->last_vote_cand_len >= sizeof(n->last_vote_cand) ||
	     rs_config_find(config, n->last_vote_cand, n->last_vote_cand_len) == NULL))
		return 1;
	return n->has_last_vote_term && !n->has_last_vote_cand;
}

int rs_recover_plan(const char *node_dir, const struct rs_config *config,
                    const struct rs_recover_opts *opts, struct rs_recover_plan *plan,
                    struct rs_problems *problems, struct rs_err *err)
{
	struct rs_last_entry last;
	int rc;

	memset(plan, 0, sizeof(*plan));
	plan->self = -1;
	if ((rc = rs_nd_check_node_dir(node_dir, plan->node_dir, sizeof(plan->node_dir), err)) !=
	    RS_OK)
		return rc;
	/* like raft.RecoverCluster: no state is an operator error */
	if (!rs_nd_has(node_dir, RS_ND_DBS))
		return rs_errf(err, RS_ENOTFOUND,
		               "%s holds no Raft state (no %s or %s); is it a "
		               "node directory <state-dir>/<server-id>?",
		               node_dir, RS_LOG_FILE, RS_STABLE_FILE);
	if ((rc = check_config(config, err)) != RS_OK ||
	    (rc = read_verified(node_dir, opts, plan, problems, err)) != RS_OK ||
	    (rc = check_self(config, opts, plan, err)) != RS_OK ||
	    (rc = place_entry(node_dir, plan, &last, err)) != RS_OK ||
	    (rc = pick_term(&last, opts, plan, err)) != RS_OK)
		return rc;
	plan->clear_vote = vote_to_clear(&plan->old, config);
	if (rs_config_copy(&plan->config, config) != 0)
		return rs_errf(err, RS_ENOMEM, "out of memory");
	return RS_OK;
}

/* ---- apply ------------------------------------------------------------- */

static void now_utc(struct rs_time *t)
{
	struct timespec ts;

	memset(t, 0, sizeof(*t));
	t->utc = 1;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return;
	t->sec = (int64_t)ts.tv_sec + RS_TIME_UNIX_TO_INTERNAL;
	t->nsec = (int32_t)ts.tv_nsec;
}

static int write_log(const char *stage, const struct rs_recover_plan *plan, struct rs_err *err)
{
	struct bolt_db_options bo = {.lock_timeout = 0};
	struct mp_buf cfg = {0}, val = {0};
	struct bolt_bucket *logs;
	struct bolt_err be = {0};
	struct bolt_db *db = NULL;
	struct bolt_tx *tx = NULL;
	struct rs_log entry = {0};
	uint8_t key[8];
	char path[PATH_MAX];
	int rc;

	if ((rc = rs_path_join_err(path, sizeof(path), stage, RS_LOG_FILE, err)) != RS_OK)
		return rc;
	if ((rc = rs_config_encode(&plan->config, &cfg, err)) != RS_OK)
		goto out;
	entry.index = plan->index;
	entry.term = plan->term;
	entry.type = RS_LOG_CONFIGURATION;
	entry.data = cfg.p;
	entry.data_len = cfg.len;
	entry.ext_nil = 1;
	now_utc(&entry.appended_at);
	entry.appended_at_present = 1;
	if ((rc = rs_log_encode(&entry, &val, err)) != RS_OK)
		goto out;
	if (cfg.oom || val.oom) {
		rc = rs_errf(err, RS_ENOMEM, "out of memory encoding the entry");
		goto out;
	}
	rs_put_be64(key, plan->index);
	if (bolt_db_open(path, 0, &bo, &db, &be) != BOLT_OK ||
	    bolt_tx_begin(db, &tx, &be) != BOLT_OK ||
	    bolt_bucket_open(bolt_tx_root(tx), RS_BUCKET_LOGS, strlen(RS_BUCKET_LOGS), &logs,
	                     &be) != BOLT_OK ||
	    bolt_bucket_put(logs, key, sizeof(key), val.p, val.len, &be) != BOLT_OK) {
		rc = rs_err_from_bolt(err, &be);
		if (tx != NULL)
			bolt_tx_rollback(tx);
		goto out;
	}
	if (bolt_tx_commit(tx, &be) != BOLT_OK) {
		rc = rs_err_from_bolt(err, &be);
		goto out;
	}
	rc = RS_OK;
out:
	if (db != NULL && bolt_db_close(db, &be) != BOLT_OK && rc == RS_OK)
		rc = rs_err_from_bolt(err, &be);
	mp_buf_free(&cfg);
	mp_buf_free(&val);
	return rc;
}

static int write_stable(const char *stage, const struct rs_recover_plan *plan, struct rs_err *err)
{
	static const char *const vote_keys[2] = {RS_KEY_LAST_VOTE_TERM, RS_KEY_LAST_VOTE_CAND};
	struct bolt_db_options bo = {.lock_timeout = 0};
	struct bolt_bucket *conf;
	struct bolt_err be = {0};
	struct bolt_db *db = NULL;
	struct bolt_tx *tx = NULL;
	const uint8_t *v;
	size_t vlen;
	uint8_t term[8];
	char path[PATH_MAX];
	int rc;

	if ((rc = rs_path_join_err(path, sizeof(path), stage, RS_STABLE_FILE, err)) != RS_OK)
		return rc;
	rs_put_be64(term, plan->current_term);
	if (bolt_db_open(path, 0, &bo, &db, &be) != BOLT_OK ||
	    bolt_tx_begin(db, &tx, &be) != BOLT_OK ||
	    bolt_bucket_open(bolt_tx_root(tx), RS_BUCKET_CONF, strlen(RS_BUCKET_CONF), &conf,
	                     &be) != BOLT_OK ||
	    bolt_bucket_put(conf, RS_KEY_CURRENT_TERM, strlen(RS_KEY_CURRENT_TERM), term,
	                    sizeof(term), &be) != BOLT_OK)
		goto fail;
	for (int i = 0; plan->clear_vote && i < 2; i++) {
		const char *k = vote_keys[i];

		if (bolt_bucket_get(conf, k, strlen(k), &v, &vlen, &be) == BOLT_ENOTFOUND)
			continue;
		if (bolt_bucket_delete(conf, k, strlen(k), &be) != BOLT_OK)
			goto fail;
	}
	{
		struct bolt_tx *t = tx;

		tx = NULL; /* commit frees it, whatever the outcome */
		if (bolt_tx_commit(t, &be) != BOLT_OK)
			goto fail;
	}
	return bolt_db_close(db, &be) == BOLT_OK ? RS_OK : rs_err_from_bolt(err, &be);
fail:
	rc = rs_err_from_bolt(err, &be);
	if (tx != NULL)
		bolt_tx_rollback(tx);
	if (db != NULL)
		(void)bolt_db_close(db, &be);
	return rc;
}

/* The copy must be exactly the planned state. */
static int check_stage(const char *stage, const struct rs_recover_plan *plan, double timeout,
                       struct rs_problems *problems, struct rs_err *err)
{
	struct rs_verify_opts vo = {.lock_timeout = timeout};
	struct rs_node n;
	size_t before = problems->errors;
	int rc;

	memset(&n, 0, sizeof(n));
	rc = rs_verify_node_full(stage, &vo, &n, problems, err);
	if (rc != RS_OK) {
		rs_node_free(&n);
		return rc;
	}
	if (problems->errors > before)
		rc = rs_errf(err, RS_ECORRUPT, "the recovered copy %s does not verify", stage);
	else if (n.last_index != plan->index || n.last_term != plan->term ||
	         n.config_source != RS_CONFIG_LOG || n.config_index != plan->index ||
	         n.config.n != plan->config.n || n.current_term != plan->current_term ||
	         (plan->clear_vote && (n.has_last_vote_term || n.has_last_vote_cand)))
		rc = rs_errf(err, RS_ECORRUPT,
		             "the recovered copy %s does not read back as "
		             "written (last index %llu, configuration from index %llu)",
		             stage, (unsigned long long)n.last_index,
		             (unsigned long long)n.config_index);
	rs_node_free(&n);
	return rc;
}

struct recover_ctx {
	const struct rs_recover_plan *plan;
	const struct rs_recover_opts *opts;
	struct rs_problems *problems;
};

/* The stage: a copy of the node's state (the databases and snapshots/),
 * then the new configuration entry and stable keys written into it. */
static int fill_stage(void *ctx, int sfd, const char *stage, const char *old, struct rs_err *err)
{
	const struct recover_ctx *c = ctx;
	int rc;

	(void)sfd;
	rc = rs_nd_copy_state(old != NULL ? old : c->plan->node_dir, stage, RS_ND_STATE, err);
	if (rc != RS_OK)
		return rc;
	if ((rc = write_log(stage, c->plan, err)) != RS_OK)
		return rc;
	return write_stable(stage, c->plan, err);
}

static int check_filled(void *ctx, const char *stage, struct rs_err *err)
{
	const struct recover_ctx *c = ctx;

	return check_stage(stage, c->plan, c->opts->lock_timeout, c->problems, err);
}

/*
 * The replace is raftstate/nodedir.h's (stage beside the node, swap, keep
 * the old directory as .<id>.pre-recover-*; name by name inside a mount
 * point). Both databases stay under LOCK_EX from before the copy until the
 * new state is in place, so op-conductor cannot start on them half-way.
 */
int rs_recover_apply(const struct rs_recover_plan *plan, const struct rs_recover_opts *opts,
                     char *kept, size_t kept_size, struct rs_problems *problems, struct rs_err *err)
{
	struct recover_ctx c = {plan, opts, problems};
	struct rs_nd_lock lk = {.fd = -1};
	struct rs_nd_replace r;
	char lockdir[PATH_MAX];
	int fds[2] = {-1, -1};
	int rc;

	if (kept_size > 0)
		kept[0] = '\0';
	rs_nd_lock_dir_of(plan->node_dir, lockdir, sizeof(lockdir));
	if ((rc = rs_nd_lock(lockdir, opts->run_lock_timeout, &lk, err)) != RS_OK)
		return rc;
	if ((rc = rs_nd_hold_dbs(plan->node_dir, opts->lock_timeout, plan->ident, "recover", fds,
	                         err)) != RS_OK) {
		rs_nd_release_dbs(fds);
		rs_nd_unlock(&lk);
		return rc;
	}
	rs_nd_replace_init(&r, plan->node_dir, "recover", fill_stage, check_filled, &c);
	r.uid = opts->uid;
	r.gid = opts->gid;
	r.dbs_held = 1;
	rc = rs_nd_replace_node(&r, NULL, 0, err);
	strlcpy(kept, r.kept, kept_size);
	rs_nd_release_dbs(fds);
	rs_nd_unlock(&lk);
	return rc;
}

void rs_recover_plan_free(struct rs_recover_plan *plan)
{
	rs_node_free(&plan->old);
	rs_config_free(&plan->config);
}
