/*
 * What the commands that read or change node state share on the command
 * line: --state-dir turned into node directories (raftstate's discovery
 * rule, raftstate/nodedir.h rs_nd_find, with cmd's usage errors), the
 * --timeout value, and the flag specs of --state-dir, --json and --timeout
 * (one definition, so their help and parsing never drift apart).
 */
#ifndef PRESENT_NODEFLAGS_H
#define PRESENT_NODEFLAGS_H

#include "present/report.h"
#include "raftstate/nodedir.h"

struct oci_command;
struct flag_value;

/* rs_nd_find of --state-dir `dir` (`what` names it: "--state-dir"): an
 * empty or too long value is a usage error, anything else rs_nd_find
 * refuses a failure. Returns 0, or prints the one-sentence error and
 * returns the exit code. rs_nd_nodes_free(out) after success. */
int np_find_nodes(const struct oci_command *cmd, const char *dir, const char *what,
                  struct rs_nd_nodes *out);

/* The fix of an error whose message carries none (err->has_fix unset), by
 * its class and the command, as a suffix for its sentence ("; ..."), or ""
 * (the one home of these fixes; a site with a better one says it with
 * rs_err_suffix):
 *   RS_ELOCKED   a command with --live: give --live
 *   RS_ECORRUPT  restore: another backup; otherwise the node's state is
 *                damaged: verify names every fault (not said by verify
 *                itself), restore it from a backup or let the leader fill
 *                it from an empty state directory (docs/operations.md)
 *   RS_ELIMIT    no flag raises the bound the message names: a shorter
 *                path, or the input is not the state raft wrote
 *   RS_ENOMEM    free memory or raise the container's memory limit
 * `dir` is the node directory (or --state-dir) for verify's command line;
 * NULL: "the node directory". Same lifetime rule as oci_q. */
struct oci_quoted np_err_fix(const struct oci_command *cmd, const struct rs_err *err,
                             const char *dir);

/* --timeout: seconds, decimal, optionally with a fraction and an "s"
 * suffix ("5", "0.5", "2s"), 0..86400. flag_spec.check style: 0 if valid. */
int np_timeout_check(const char *s);
double np_timeout_value(const char *s);
#define NP_TIMEOUT_ACCEPTS "a number of seconds between 0 and 86400 (e.g. 5, 0.5, 2s)"

/* --threads of verify and backup: "auto" (0) or 1..NP_THREADS_MAX, decimal
 * without leading zeros; -1 for anything else. np_threads_check is the
 * flag's check (0: acceptable), NP_THREADS_ACCEPTS completes its message. */
#define NP_THREADS_MAX     64 /* as bolt/check.c walks with at most */
#define NP_THREADS_ACCEPTS "auto or a number of threads from 1 to 64"
int np_threads_value(const char *s);
int np_threads_check(const char *s);

/* How long a command that changes node state (generate, restore, recover,
 * backup) waits for the run lock its apply takes (raftstate/nodedir.h):
 * --timeout seconds only when --timeout was given, else 0 (one try). */
double np_run_lock_timeout(const struct flag_value *timeout);

/* Flag specs shared by the commands that read node state (verify, info,
 * backup): one definition, so their help and parsing never drift apart. */
#define NP_FLAG_STATE_DIR                                                                          \
	{                                                                                          \
		.name = "state-dir", .kind = FLAG_STRING, .metavar = "DIR", .required = 1,         \
		.help = "A node's state directory (holding raft-log.db), or a directory of them",  \
	}
#define NP_FLAG_JSON                                                                               \
	{                                                                                          \
		.name = "json", .kind = FLAG_BOOL, .def = "false",                                 \
		.help = "Print one JSON document instead of text",                                 \
	}
#define NP_FLAG_LOCK_TIMEOUT                                                                       \
	{                                                                                          \
		.name = "timeout", .kind = FLAG_STRING, .metavar = "SECONDS", .def = "5",          \
		.help = "How long to wait for a shared lock on each database file",                \
		.check = np_timeout_check, .accepts = NP_TIMEOUT_ACCEPTS,                          \
	}

#endif
