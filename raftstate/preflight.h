/*
 * The bootstrap preflight's plan (`bootstrap cluster`, before it execs
 * op-conductor): from op-conductor's own flags (raftstate/ocflags.h), the
 * node directory op-conductor will open, whether it holds state, that
 * state verified read-only (with the nil-head prediction of op-conductor's
 * first snapshot at its snapshot threshold), and the verdict: start, or
 * refuse. Read-only; prints nothing: cmd/bootstrap.c prints and execs.
 */
#ifndef RAFTSTATE_PREFLIGHT_H
#define RAFTSTATE_PREFLIGHT_H

#include <limits.h>

#include "raftstate/error.h"
#include "raftstate/ocflags.h"
#include "raftstate/verify.h"

/* How long the preflight waits for each database's lock (seconds). */
#define RS_PREFLIGHT_LOCK_SEC 5.0

enum rs_pf_state {
	RS_PF_SKIPPED,     /* the preflight was not run (the caller's choice) */
	RS_PF_NOT_CHECKED, /* no node directory: help/version, no server ID or storage dir */
	RS_PF_NONE,        /* the node directory holds no database: a new node */
	RS_PF_VALID,
	RS_PF_WARNINGS,   /* usable, with warnings */
	RS_PF_INVALID,    /* errors: refused */
	RS_PF_UNREADABLE, /* cannot be checked or verified: refused */
};

enum rs_pf_note {
	RS_PF_NOTE_NONE,
	RS_PF_BOOTSTRAP_FIRST_START, /* --raft.bootstrap on a new node: a paused first start */
	RS_PF_BOOTSTRAP_ON_STATE,    /* --raft.bootstrap on a node with state: not again */
};

struct rs_preflight_plan {
	char node_dir[PATH_MAX]; /* <storage-dir>/<server-id>; "" when not known */
	enum rs_pf_state state;
	int bootstrap;               /* --raft.bootstrap reads as true */
	const char *bootstrap_src;   /* where it came from (flag or variable) */
	int verified;                /* problems holds rs_verify_node's findings */
	struct rs_problems problems; /* what verify found (freed by rs_preflight_plan_free) */
	enum rs_pf_note note;
};

/*
 * Works out the verdict for op-conductor started with flags r. RS_OK: the
 * plan says start (state not_checked, none, valid or warnings) or refuse
 * (invalid). Else an error, and the start is refused: RS_ELIMIT when
 * <storage-dir>/<server-id> is too long (state not_checked), or state
 * unreadable: the directory could not be looked at (verified 0,
 * err->sys_errno set) or its state could not be verified (verified 1,
 * err->msg says why).
 */
int rs_preflight_plan(const struct rs_oc_flags *r, double lock_timeout,
                      struct rs_preflight_plan *plan, struct rs_err *err);

/* Whether the plan lets op-conductor start. */
int rs_preflight_starts(const struct rs_preflight_plan *plan);

/* "skipped", "not_checked", "none", "valid", "warnings", "invalid",
 * "unreadable" (docs/json.md, bootstrap cluster --json). */
const char *rs_pf_state_name(enum rs_pf_state s);
/* "bootstrap_first_start", "bootstrap_on_state", or NULL. */
const char *rs_pf_note_name(enum rs_pf_note n);

void rs_preflight_plan_free(struct rs_preflight_plan *plan);

#endif
