/*
 * A node (struct rs_node, raftstate/node.h) as text, for `raft verify`,
 * `raft info`, `raft compare` and `raft recover`: small renderings of
 * values (a log type, Go's time, a byte string, a hash, the vote) and the
 * text blocks the commands print. Everything printed here was read by
 * raftstate/; nothing here reads a file.
 */
#ifndef PRESENT_NODETEXT_H
#define PRESENT_NODETEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "raftstate/node.h"
#include "raftstate/verify.h"

/* A log type's name, or "LogType(N)" for unknown values. Returns buf. */
const char *np_type_name(uint64_t type, char *buf, size_t size);

/* Go's time.Time as RFC 3339 with nanoseconds and zone offset,
 * "2024-05-01T12:00:01.123456789Z" / "...+02:00". Returns buf. */
const char *np_time(const struct rs_time *t, char *buf, size_t size);
/* Unix seconds as RFC 3339 (UTC). Returns buf. */
const char *np_unix_time(uint64_t unix_sec, char *buf, size_t size);

/* A byte string for text output: as is when printable, else Go-%q quoted.
 * Returns buf. */
/* raft's name of a suffrage (Voter, Nonvoter, Staging), else "Suffrage(N)"
 * in buf; returns the text. */
const char *np_suffrage_text(uint64_t suffrage, char *buf, size_t size);
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

/* What the newest snapshot's state.bin held (RS_SNAP_STATE_*), as
 * head_scan's "state" names it: payload, empty, undecodable, unreadable,
 * none. */
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

#endif
