/*
 * Verifying a node directory (<state-dir>/<server-id>/ with raft-log.db,
 * raft-stable.db and snapshots/) read-only: the bolt structure of both
 * files, then the invariants HashiCorp Raft relies on when it starts.
 * Everything found is collected as problems; nothing is ever written.
 */
#ifndef RAFTSTATE_VERIFY_H
#define RAFTSTATE_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/error.h"

enum rs_severity {
	RS_WARNING = 1, /* worth knowing, raft still starts (e.g. meta 0 damaged, meta 1 used) */
	RS_PROBLEM = 2, /* the state is invalid */
};

struct rs_problem {
	int severity;
	char file[64];    /* "raft-log.db", "raft-stable.db", "snapshots/2-454-.../meta.json", "" */
	char where[64];   /* "page 2508", "index 1999", "key CurrentTerm", "" */
	char reason[640]; /* one sentence */
};

struct rs_problems {
	struct rs_problem *v;
	size_t n, cap;
	size_t dropped; /* problems not kept once the list is full (bounded memory) */
	size_t errors, warnings;
};

void rs_problems_free(struct rs_problems *p);
void rs_problem_add(struct rs_problems *p, int severity, const char *file, const char *where,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

struct rs_verify_opts {
	double lock_timeout; /* seconds to wait for LOCK_SH on each file; default 5 */
	int live;            /* read without the lock (consistent-snapshot protocol) */
	/* also judge the data as op-conductor's FSM will (raft_fsm.go): LogCommand
	 * entries that are not payloads, blocks going backwards (warnings), a
	 * newest snapshot whose state.bin Restore rejects (error). `raft verify`
	 * sets it; backup, restore, recover and bootstrap check raft's structure only. */
	int op_conductor;
	/* also warn about a node op-conductor <= v1.19.6 will crash on at its
	 * next snapshot (rs_node_nil_head; verify and the bootstrap preflight),
	 * and about unfinished snapshots (*.tmp directories); snapshot_threshold 0 means
	 * op-conductor's default, threshold_src where a given one came from */
	int nil_head;
	uint64_t snapshot_threshold;
	const char *threshold_src;
	/* threads walking the log (the result is the same for any number);
	 * 0: automatic, the processors this process may run on (at most 4) for
	 * a log of 64 MiB or more, else 1 */
	int threads;
};

/* Verifies node_dir. Returns RS_OK when the check ran to completion (the
 * state is valid iff problems->errors == 0); another code when it could not
 * run at all (directory missing, file locked, I/O error), with err filled. */
int rs_verify_node(const char *node_dir, const struct rs_verify_opts *opts,
                   struct rs_problems *problems, struct rs_err *err);

struct rs_node;
/* The same, also returning everything read (for `verify` to print it and
 * for --json). `node` must be freed with rs_node_free. */
int rs_verify_node_full(const char *node_dir, const struct rs_verify_opts *opts,
                        struct rs_node *node, struct rs_problems *problems, struct rs_err *err);

#endif
