/*
 * The node directory, as op-conductor reads it and as every command of this
 * tool finds, locks and replaces it (one engine; no printing here):
 *
 *   <root>/<server-id>/raft-log.db      LogStore (bucket logs)
 *                      raft-stable.db   StableStore (bucket conf)
 *                      snapshots/       raft FileSnapshotStore
 *
 * What counts as state: any of those three names (of any file type). A
 * fresh log beside an old snapshots/ is not a new node: raft starts from
 * the newest snapshot's configuration (FORMAT.md, "The configuration it
 * starts with"), so snapshots/ is state as much as the databases are.
 *
 * Discovery (rs_nd_list): the node directories of a root are its entries
 * that are real directories (never a symbolic link), whose name does not
 * start with '.' (stages and kept copies are hidden), and that hold
 * raft-log.db or raft-stable.db. Every command uses this one rule.
 *
 * The lock (rs_nd_lock): flock(LOCK_EX) on the directory that holds the node
 * directories (a cluster's --output-dir/--state-dir, or a node directory's
 * parent), held for the whole run. It never moves (only node directories
 * are swapped), it writes nothing, and a killed run's lock goes with its
 * process, so a re-run with the same PID never mistakes a stale lock for
 * its own. A second run fails at once, naming the holder (pid and command,
 * from /proc/locks), or waits up to its timeout.
 *
 * The replace (struct rs_nd_replace): the new state is made in a stage
 * beside the target, ".<id>.<verb>-tmp-XXXXXXXX" (a name made with mkdir,
 * so never anyone else's), filled, fsynced, given the owner and mode of what
 * it replaces, checked, and then
 *   - no target yet:      renamed to the target's name (RENAME_NOREPLACE);
 *   - a plain directory:  swapped with it in one renameat2(RENAME_EXCHANGE),
 *                         and the old directory, now under the stage's name,
 *                         renamed over a fresh empty keep directory
 *                         ".<id>.pre-<verb>-YYYYMMDD-HHMMSS[-N]" (or, for
 *                         a cluster, <id> in one keep directory per run:
 *                         <root>/.pre-<verb>-YYYYMMDD-HHMMSS[-N]/, or one
 *                         the caller places, e.g. generate's beside the
 *                         output directory);
 *   - a mount point, a directory holding other files, an unwritable parent,
 *     or a file system that cannot swap directories: staged inside the node
 *     directory and swapped name by name (raft-log.db, raft-stable.db,
 *     snapshots/), the old entries going to NODE/.pre-<verb>-YYYYMMDD-HHMMSS.
 * Keep directories are made with mkdir, so a name is never reused and never
 * taken over from another run. Nothing here deletes a kept copy. A stage a
 * killed run left behind is removed by a later run (under the lock, after
 * its own replace) only when every file in it is also in the target with
 * the same bytes; otherwise it is renamed to a keep name, so whatever it
 * held (the new state of a run killed before its swap, or the old state of
 * one killed right after it) stays.
 */
#ifndef RAFTSTATE_NODEDIR_H
#define RAFTSTATE_NODEDIR_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "raftstate/error.h"

#define RS_LOG_FILE    "raft-log.db"
#define RS_STABLE_FILE "raft-stable.db"
#define RS_SNAP_DIR    "snapshots"

/* ---- layout ---- */

enum {
	RS_ND_LOG = 1,     /* raft-log.db exists */
	RS_ND_STABLE = 2,  /* raft-stable.db exists */
	RS_ND_SNAPS = 4,   /* snapshots/ exists */
	RS_ND_DBS = 1 | 2, /* either database: the discovery rule */
	RS_ND_STATE = 1 | 2 | 4,
};

/* Whether name is one of the three state names. */
int rs_nd_is_state_name(const char *name);
/* Which state names exist in dir (lstat: a link counts, it is not
 * followed): a mask of RS_ND_*. 0 when dir is missing; -1 with err when it
 * cannot be read. */
int rs_nd_state(const char *dir, struct rs_err *err);
/* rs_nd_state(dir, NULL) & want, as 0/1; unreadable: 1 (as if held: the
 * caller goes on to read it, and says why it cannot). */
int rs_nd_has(const char *dir, int want);

/* The node directories of root by the rule above, sorted names; `gz`: a
 * compressed backup, where <db>.gz also counts. An entry that cannot be
 * looked at (fstatat, openat or a lookup inside it failing other than with
 * ENOENT: EACCES, EIO) is an error naming it, never skipped: a node left
 * out would be missing, unseen, from a compare, an info or a backup. */
int rs_nd_list(const char *root, int gz, char ***out, size_t *n, struct rs_err *err);
void rs_nd_free_list(char **v, size_t n);

/* The node directories a command that reads state is given (--state-dir
 * DIR): DIR itself when it holds raft-log.db or raft-stable.db (trailing
 * slashes dropped), else its node directories by the rule above, sorted by
 * name (a cluster root: `cluster` set). `what` names DIR in messages
 * ("--state-dir"). RS_OK; RS_ELIMIT (RS_ND_FIND_MAX bytes or longer);
 * RS_EINVAL (not a directory); RS_EIO (cannot be opened or read);
 * RS_ENOTFOUND (no node: the message says whether it is a --compress
 * backup, whose databases are .gz files); RS_ENOMEM. */
struct rs_nd_nodes {
	char **dirs;
	size_t n;
	int cluster;
};
#define RS_ND_FIND_MAX (PATH_MAX - 1 - NAME_MAX - 1 - sizeof(RS_STABLE_FILE))
int rs_nd_find(const char *dir, const char *what, struct rs_nd_nodes *out, struct rs_err *err);
void rs_nd_nodes_free(struct rs_nd_nodes *ns);

/* ---- files ---- */

/* fsync(fd); `path` names it in the message. */
int rs_fsync_fd(int fd, const char *path, struct rs_err *err);

/* Ownership, in one place. rs_nd_chown_at gives dirfd/name (name "": dirfd
 * itself) the owner uid:gid, never through a symbolic link; (uid_t)-1 or
 * (gid_t)-1 keeps that part, both: nothing is done. RS_EIO "cannot change
 * the owner of SHOWN: why", sys_errno and errno set. */
int rs_nd_chown_at(int dirfd, const char *name, uid_t uid, gid_t gid, const char *shown,
                   struct rs_err *err);
/* --chown of a path that exists: a symbolic link there is refused ("P is a
 * symbolic link; refusing to change its owner"), else rs_nd_chown_at. */
int rs_nd_chown_path(const char *path, uid_t uid, gid_t gid, struct rs_err *err);
/* Opens path (a file or a directory, not following a final symlink) and
 * fsyncs it. */
int rs_fsync_path(const char *path, struct rs_err *err);
/* rm -rf of `name` in directory dfd, through directory descriptors only (a
 * symlink anywhere is removed, never followed), at most 8 levels deep.
 * Only for trees this run made itself. */
void rs_remove_tree_at(int dfd, const char *name);
/* rs_remove_tree_at of a path. */
void rs_remove_tree(const char *path);

/* ---- the lock ---- */

struct rs_nd_lock {
	int fd;
	char dir[PATH_MAX];
};

/* Takes the run lock on dir (which must exist), waiting up to `timeout`
 * seconds (0: one try). RS_ELOCKED: "<dir> is in use by another run (pid
 * N: COMMAND); ..." */
int rs_nd_lock(const char *dir, double timeout, struct rs_nd_lock *lk, struct rs_err *err);
/* The directory whose lock guards node_dir: its parent. */
void rs_nd_lock_dir_of(const char *node_dir, char *out, size_t size);
void rs_nd_unlock(struct rs_nd_lock *lk);

/* RS_ELOCKED when another process holds a lock on one of node_dir's
 * databases (op-conductor running on it); `doing` ends the sentence
 * ("stop it before restoring"). Readers alone (LOCK_SH: a verify, a backup,
 * another run's plan) are waited for up to BOLT_READER_GRACE seconds. */
int rs_nd_check_unlocked(const char *node_dir, const char *doing, struct rs_err *err);

/* ---- copying and holding a node's state ---- */

/* The node directory a replacing command (recover, compact) is given:
 * copied into out (size bytes), and it must exist and be a real directory
 * (a symbolic link would be replaced by the swap, not followed).
 * RS_ENOTFOUND, RS_EINVAL or RS_ELIMIT with one sentence. */
int rs_nd_check_node_dir(const char *node_dir, char *out, size_t size, struct rs_err *err);

/* Copies the state names of node directory src chosen by mask (RS_ND_*)
 * into the directory dst: the databases as plain copies (modes kept),
 * snapshots/ as a tree (directories, regular files, symlinks as symlinks;
 * anything else refused; at most 8 levels). Names src lacks are skipped.
 * Everything written is fsynced. */
int rs_nd_copy_state(const char *src, const char *dst, int mask, struct rs_err *err);

/* What a database file was when a plan read it: a change means someone
 * wrote it since (apply refuses to work from a stale plan). */
struct rs_nd_ident {
	uint64_t ino, size;
	int64_t mtime_ns;
};
/* which: 0 raft-log.db, 1 raft-stable.db. */
int rs_nd_db_ident(const char *node_dir, int which, struct rs_nd_ident *id, struct rs_err *err);
/* LOCK_EX on both databases of node_dir (waiting up to timeout seconds
 * each), then checks each is still the file `want` describes: RS_ELOCKED
 * "... changed since it was verified; run <verb> again once nothing uses
 * it" otherwise. fds[] receive the descriptors, also on failure: always
 * call rs_nd_release_dbs. */
int rs_nd_hold_dbs(const char *node_dir, double timeout, const struct rs_nd_ident want[2],
                   const char *verb, int fds[2], struct rs_err *err);
void rs_nd_release_dbs(int fds[2]);

/* ---- the replace ---- */

/* Fills the new, empty stage directory sfd (path `stage`) with the node's
 * new state - only raft-log.db, raft-stable.db and snapshots/ - every file
 * fsynced. `old` is the node directory being replaced (NULL when there is
 * none). */
typedef int (*rs_nd_fill_fn)(void *ctx, int sfd, const char *stage, const char *old,
                             struct rs_err *err);
/* Checks a filled stage (e.g. verifies it); may be NULL. */
typedef int (*rs_nd_check_fn)(void *ctx, const char *stage, struct rs_err *err);

struct rs_nd_replace {
	/* set by rs_nd_replace_init */
	char target[PATH_MAX];
	char verb[16]; /* "restore", "generate", "recover": names the stage and keep */
	rs_nd_fill_fn fill;
	rs_nd_check_fn check;
	void *ctx;
	uid_t uid; /* --chown; (uid_t)-1: keep the replaced files' owner */
	gid_t gid;
	int dbs_held; /* the caller holds the databases' locks itself */
	/* where rs_nd_commit makes a cluster's shared keep directory (NULL:
	 * in the node's parent, named .pre-<verb>-TS) and its name's prefix */
	const char *keep_dir;
	const char *keep_prefix;
	/* filled by rs_nd_prepare / rs_nd_commit */
	int existed;           /* the target held state */
	int in_place;          /* replaced name by name (see in_place_why) */
	char in_place_why[64]; /* "it is a mount point", ... */
	char stage[PATH_MAX];  /* the stage's path, while it exists */
	char kept[PATH_MAX];   /* where the replaced state went ("" if none) */
	int replaced;          /* the new state is in place */
	size_t salvaged;       /* leftovers of killed runs renamed to a keep name */
	size_t cleaned;        /* leftovers removed (the target holds all of them) */
	char salvaged_to[PATH_MAX];
	/* internal */
	int mode, pfd, nfd, staged;
	char parent[PATH_MAX], sname[NAME_MAX + 1];
};

void rs_nd_replace_init(struct rs_nd_replace *r, const char *target, const char *verb,
                        rs_nd_fill_fn fill, rs_nd_check_fn check, void *ctx);
/* Stages, fills, syncs, sets owners and checks the new state; replaces
 * nothing. Refuses a target whose databases are locked. */
int rs_nd_prepare(struct rs_nd_replace *r, struct rs_err *err);
/* Puts the prepared stage in place and keeps what it replaced. keep_root
 * (size keep_size; may be NULL): for a cluster, the shared keep directory,
 * made on first use ("" until then); NULL: a keep directory beside the node.
 * A failure before the replaced state is in its keep directory is undone:
 * the node is as it was, kept is "", and no stage or keep directory this
 * call made is left (rs_nd_replace_end removes the stage). A failed sync
 * after that leaves the new state in place and kept set. Only when an undo
 * fails too does a stage holding old state stay; the message names it. */
int rs_nd_commit(struct rs_nd_replace *r, char *keep_root, size_t keep_size, struct rs_err *err);
/* Removes the stage if it still holds only this run's unused new state;
 * closes everything. Always call it. */
void rs_nd_replace_end(struct rs_nd_replace *r);
/* prepare + commit + end for one node. */
int rs_nd_replace_node(struct rs_nd_replace *r, char *keep_root, size_t keep_size,
                       struct rs_err *err);

#endif
