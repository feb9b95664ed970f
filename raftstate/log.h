/*
 * raft.Log as raft-boltdb stores it: one msgpack value per entry of the
 * `logs` bucket, key = 8-byte big-endian index.
 *
 * Canonical encoding (go-msgpack, struct as map, keys sorted bytewise):
 *   86
 *   aa "AppendedAt"  af <time.MarshalBinary(): 15 bytes> (b0 + 16 when the
 *                    zone offset has seconds)
 *   a4 "Data"        raw (c0 for nil, a0 for empty)
 *   aa "Extensions"  raw (c0 for nil)
 *   a5 "Index"       uint
 *   a4 "Term"        uint
 *   a4 "Type"        uint (0..5)
 *
 * time.MarshalBinary() version 1, 15 bytes:
 *   off size
 *   0   1    version = 1 (2 when the zone offset has seconds: 16 bytes)
 *   1   8    seconds since 0001-01-01T00:00:00Z, int64 big-endian
 *   9   4    nanoseconds, int32 big-endian
 *   13  2    zone offset in minutes, int16 big-endian; -1 (ff ff) = UTC
 *   15  1    (version 2 only) zone offset seconds part, int8
 */
#ifndef RAFTSTATE_LOG_H
#define RAFTSTATE_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/error.h"
#include "raftstate/msgpack.h"

enum rs_log_type {
	RS_LOG_COMMAND = 0,
	RS_LOG_NOOP = 1,
	RS_LOG_ADD_PEER_DEPRECATED = 2,
	RS_LOG_REMOVE_PEER_DEPRECATED = 3,
	RS_LOG_BARRIER = 4,
	RS_LOG_CONFIGURATION = 5,
};
#define RS_LOG_TYPE_COUNT 6

/* Name as raft prints it ("LogCommand", ...); "LogType(N)" style for unknown
 * values is the caller's business: returns NULL for an unknown type. */
const char *rs_log_type_name(uint64_t type);

/* A Go time.Time as MarshalBinary writes it. The zero value of this struct
 * (all zero, utc = 1) is Go's zero time in UTC, which `raft generate`
 * writes. */
struct rs_time {
	int64_t sec;        /* seconds since 0001-01-01T00:00:00Z */
	int32_t nsec;       /* 0..999999999 (up to 2^30-1 as Go reads odd MarshalBinary bytes) */
	int16_t offset_min; /* zone offset in minutes, when !utc */
	uint8_t offset_sec; /* seconds byte of a version-2 offset, added unsigned (as Go's
	                       UnmarshalBinary adds it) */
	uint8_t utc;        /* 1: location UTC (offset bytes ff ff) */
};

/* Seconds between 0001-01-01 and 1970-01-01 (Go's unixToInternal). */
#define RS_TIME_UNIX_TO_INTERNAL INT64_C(62135596800)

/* A decoded entry. `data` and `ext` point into the buffer that was decoded
 * (zero copy); they are NULL with *_nil = 1 when the value was nil. */
struct rs_log {
	uint64_t index;
	uint64_t term;
	uint64_t type;
	const uint8_t *data;
	size_t data_len;
	int data_nil;
	const uint8_t *ext;
	size_t ext_len;
	int ext_nil;
	struct rs_time appended_at;
	int appended_at_present; /* 0 when the key was missing or nil */
};

/* Appends go-msgpack's exact bytes for `log` to `out`. */
int rs_log_encode(const struct rs_log *log, struct mp_buf *out, struct rs_err *err);

/* Decodes one raft.Log leniently (as go-msgpack would): any key order,
 * missing or unknown keys, str8/bin/raw for byte fields, any integer width,
 * a struct encoded as an array (field order Index, Term, Type, Data,
 * Extensions, AppendedAt), AppendedAt as raw MarshalBinary bytes, as the
 * msgpack timestamp extension, or nil. Trailing bytes after the value are an
 * error. RS_ECORRUPT with a reason (and byte position) on anything else. */
int rs_log_decode(const uint8_t *p, size_t n, struct rs_log *out, struct rs_err *err);

/* As rs_log_decode, but like go-msgpack (which raft-boltdb calls on a
 * bytes.Buffer) it stops after the value: bytes after it are not looked at
 * and *used (when non-NULL) says how many bytes the value took. */
int rs_log_decode_prefix(const uint8_t *p, size_t n, struct rs_log *out, size_t *used,
                         struct rs_err *err);

/* rs_log_decode_prefix without its fast path for the canonical layout: the
 * lenient decoder alone. The two must agree on every input; this exists so
 * the tests and the fuzzer can prove they do. */
int rs_log_decode_prefix_general(const uint8_t *p, size_t n, struct rs_log *out, size_t *used,
                                 struct rs_err *err);

/* Only the Index/Term/Type fields, without looking at Data beyond skipping
 * it; used by fast scans. Same acceptance as rs_log_decode. */
int rs_log_decode_header(const uint8_t *p, size_t n, struct rs_log *out, struct rs_err *err);

/* rs_log_decode of a value of `total` bytes of which only its first hlen
 * bytes (head) and its last tlen bytes (tail) are at hand: 0 and *out as
 * rs_log_decode would give it, when the value is in the canonical layout
 * go-msgpack writes and everything after Data lies in tail; else -1 (decide
 * from the whole value). out->data points into head, with min(data_len,
 * hlen - (out->data - head)) of its bytes at hand. */
int rs_log_decode_split(const uint8_t *head, size_t hlen, const uint8_t *tail, size_t tlen,
                        size_t total, struct rs_log *out);

/* Where Data sits in a raft.Log value of `total` bytes, from its first
 * `avail` bytes only, when they are in the canonical layout go-msgpack writes
 * (rs_log_decode_prefix's fast path): 0 and *off, *len (Data's bytes are
 * value[*off .. *off + *len), inside `total`; nil Data has *len 0), or -1
 * when the prefix is not that layout (decode the whole value instead). Checks
 * nothing after Data: a value it accepts may still fail rs_log_decode. */
int rs_log_peek_data(const uint8_t *p, size_t avail, size_t total, size_t *off, size_t *len);

#endif
