/*
 * What `raft verify` and `raft info` share: finding the node directories
 * under --state-dir, the --timeout / --entries values, and printing a
 * struct rs_node (raftstate/node.h) as text or as JSON.
 *
 * JSON field names built here are part of the documented schema
 * (docs/operations.md: "Inspecting state"; docs/json.md): change them only together with that text.
 * Every 64-bit integer is written as an exact JSON number (never rounded
 * through a double).
 */
#ifndef CMD_NODEPRINT_H
#define CMD_NODEPRINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "raftstate/backup.h"
#include "raftstate/log.h"
#include "raftstate/node.h"
#include "raftstate/verify.h"

struct oci_command;

/* The node directories to look at. A directory holding raft-log.db or
 * raft-stable.db is a node; otherwise its subdirectories that are nodes
 * (sorted by name) make a cluster root. */
struct np_nodes {
	char **dirs;
	size_t n;
	int cluster; /* 1: --state-dir is a cluster root */
};

/* Returns 0, or prints the error (naming `what`, e.g. "--state-dir") and
 * returns the exit code. */
int np_find_nodes(const struct oci_command *cmd, const char *dir, const char *what,
                  struct np_nodes *out);
void np_nodes_free(struct np_nodes *ns);

/* --timeout: seconds, decimal, optionally with a fraction and an "s"
 * suffix ("5", "0.5", "2s"), 0..86400. flag_spec.check style: 0 if valid. */
int np_timeout_check(const char *s);
double np_timeout_value(const char *s);
#define NP_TIMEOUT_ACCEPTS "a number of seconds between 0 and 86400 (e.g. 5, 0.5, 2s)"

/* How long a command that changes node state (generate, restore, recover,
 * backup) waits for the run lock its apply takes (raftstate/nodedir.h):
 * --timeout seconds only when --timeout was given, else 0 (one try). */
struct flag_value;
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

/* A log type's name, or "LogType(N)" for unknown values. Returns buf. */
const char *np_type_name(uint64_t type, char *buf, size_t size);

/* Go's time.Time as RFC 3339 with nanoseconds and zone offset,
 * "2024-05-01T12:00:01.123456789Z" / "...+02:00". Returns buf. */
const char *np_time(const struct rs_time *t, char *buf, size_t size);
/* Unix seconds as RFC 3339 (UTC). Returns buf. */
const char *np_unix_time(uint64_t unix_sec, char *buf, size_t size);

/* A byte string for text output: as is when printable, else Go-%q quoted.
 * Returns buf. */
const char *np_str(const char *s, size_t n, char *buf, size_t size);

/* How the vote candidate relates to the configuration:
 * "sequencer-1" or "127.0.0.1:37211 (sequencer-1)" or "x (not a member)". */
const char *np_vote_text(const struct rs_node *n, char *buf, size_t size);

/* Text blocks, each ending with a newline. `indent` is prefixed to every line. */
void np_print_file(FILE *out, const char *indent, const struct rs_file_info *fi);
void np_print_stable(FILE *out, const char *indent, const struct rs_node *n);
/* "LABEL first..last (N entries), last term T", or LABEL EMPTY; label includes the indent */
void np_print_log(FILE *out, const char *label, const char *empty, const struct rs_node *n);
/* Entries per type, then the data bytes they hold, each after its label. */
void np_print_types(FILE *out, const char *indent, const char *types_label, const char *bytes_label,
                    const struct rs_node *n);
void np_print_config_source(FILE *out, const struct rs_node *n); /* no newline */
void np_print_servers(FILE *out, const char *indent, const struct rs_config *c);
void np_print_snapshots(FILE *out, const char *indent, const struct rs_node *n, int with_crc);

/* JSON pieces (NULL on allocation failure; cJSON_Add* tolerates NULL
 * parents, so a caller checks once at the end with cJSON_PrintUnformatted). */
cJSON *np_json_u64(uint64_t v);
cJSON *np_json_strn(const char *s, size_t n);
cJSON *np_json_file(const struct rs_file_info *fi);
cJSON *np_json_stable(const struct rs_node *n);
cJSON *np_json_log(const struct rs_node *n);
cJSON *np_json_servers(const struct rs_config *c);
cJSON *np_json_config(const struct rs_node *n);
cJSON *np_json_snapshots(const struct rs_node *n, int with_crc);
/* The unsafe head pieces (raftstate/node.h struct rs_head), as documented
 * in the JSON schema: "unsafe_head" (a payload or null), "head_scan", "terms". */
cJSON *np_json_payload(const struct rs_block *b);
/* verify's "problems": [{severity, file, where, reason}, ...] */
cJSON *np_json_problems(const struct rs_problems *p);
cJSON *np_json_head_scan(const struct rs_node *n);
cJSON *np_json_terms(const struct rs_node *n);
const char *np_snap_state_name(int state);
/* 0x + 64 hex digits; buf holds at least 67 bytes. Returns buf. */
const char *np_hash_hex(const uint8_t h[32], char *buf, size_t size);
/* "  Unsafe head:   N 0x..." with its source, the snapshot's state.bin and
 * the range of the log read. */
void np_print_head(FILE *out, const struct rs_node *n);
/* "N 0xHASH" then a line with time, version, transactions and source. */
void np_print_payload_line(FILE *out, const struct rs_block *b);

/* The first 10 errors of p on stderr, one indented line each ("file:
 * where: reason"); with more_hint, a last line "... and N more (HINT)"
 * when some were not shown. Warnings are left out. */
void np_print_errors(const struct rs_problems *p, const char *more_hint);

/* Progress of backup and restore, for a person at a terminal: for files of
 * 64 MiB or more one line on stderr ("  copying FILE: 512 of 1238 MiB
 * (41%)"), rewritten in place and ended at 100%. NULL when stderr is not a
 * terminal (nothing is printed there then). */
const struct rs_progress *np_tty_progress(void);

/* The version of the JSON documents --json prints (docs/json.md): raised
 * when a field is renamed, removed or changes meaning, not when one is
 * added. Every document's first field is "schema_version". */
#define NP_JSON_SCHEMA_VERSION 2

/* Prints the document on stdout, with "schema_version" put first, followed
 * by a newline, and frees it. Every --json document goes through here.
 * Returns 0, or -1 when it could not be rendered (out of memory). */
int np_json_emit(cJSON *doc);
/* What np_json_emit prints (without the newline), as a string to free; it
 * frees doc. NULL when out of memory. Strings that are not UTF-8 are
 * rewritten as docs/json.md says ("Bytes that are not UTF-8"). */
char *np_json_render(cJSON *doc);

/* For a read-only command that failed on a database op-conductor holds
 * (RS_ELOCKED): "; give --live to read it while op-conductor runs", else "". */
const char *np_locked_fix(const struct rs_err *err);

#endif
