/*
 * msgpack as hashicorp/go-msgpack writes and reads it for raft values.
 *
 * Encoder: produces exactly go-msgpack's bytes for the raft-boltdb handle
 *   - unsigned integers in the smallest form: fixint 0x00-0x7f, cc u8,
 *     cd u16, ce u32, cf u64 (big-endian);
 *   - signed integers (Go int) as go-msgpack's EncodeInt: fixint -32..127,
 *     d0 i8 below -32, d1/d2/d3 for anything wider (also for positive
 *     values above 127: go-msgpack never writes cc..cf for a Go int);
 *   - []byte and strings in the legacy raw (str) family only: a0|len (<32),
 *     da u16, db u32 — never d9, never bin (c4-c6);
 *   - nil c0, maps 8x / de u16 / df u32, arrays 9x / dc u16 / dd u32.
 * Decoder: a bounded reader over a byte range; every read is bounds-checked,
 * nesting is limited, lengths are checked against what remains.
 */
#ifndef RAFTSTATE_MSGPACK_H
#define RAFTSTATE_MSGPACK_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/error.h"

/* A growable output buffer. On allocation failure `oom` is set, later writes
 * are ignored, and the final check of the caller returns RS_ENOMEM. A zeroed
 * struct is an empty buffer. */
struct mp_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	int oom;
};

void mp_buf_free(struct mp_buf *b);
void mp_put_nil(struct mp_buf *b);
void mp_put_uint(struct mp_buf *b, uint64_t v);
void mp_put_int(struct mp_buf *b, int64_t v); /* Go int: see above */
void mp_put_map(struct mp_buf *b, uint32_t n);
void mp_put_array(struct mp_buf *b, uint32_t n);
/* A Go string: header + bytes, legacy raw. n must be <= UINT32_MAX (larger
 * sets oom: it cannot be represented). */
void mp_put_raw(struct mp_buf *b, const void *s, size_t n); /* legacy raw */
/* A Go []byte: s == NULL writes nil (c0), anything else mp_put_raw. */
void mp_put_bytes(struct mp_buf *b, const void *s, size_t n);

/*
 * Decoder.
 *
 * The reader never reads outside [p, p + len). Every function returns RS_OK
 * and advances `pos` past what it consumed, or returns an error code and
 * fills `err` with the reason and the byte offset; after an error `pos` is
 * unspecified (within bounds) and the reader should be abandoned. Strings and ext payloads are
 * returned as pointers into the input (zero copy). Length claims are compared with the bytes that
 * remain before anything else happens, so a 4 GiB claim in a 10-byte buffer fails at once; nothing
 * allocates.
 */

/* go-msgpack's decDefMaxDepth: a container nested this deep is an error. */
#define MP_MAX_DEPTH 1024

struct mp_reader {
	const uint8_t *p;
	size_t len;
	size_t pos;
	int depth; /* containers currently open; mp_skip bounds it */
};

/* The kind of the next value, from its first byte. */
enum mp_type {
	MP_T_NIL,
	MP_T_BOOL,
	MP_T_UINT,  /* positive fixint, cc-cf */
	MP_T_INT,   /* negative fixint, d0-d3 */
	MP_T_FLOAT, /* ca, cb */
	MP_T_STR,   /* a0-bf, d9, da, db */
	MP_T_BIN,   /* c4, c5, c6 */
	MP_T_ARRAY, /* 90-9f, dc, dd */
	MP_T_MAP,   /* 80-8f, de, df */
	MP_T_EXT,   /* d4-d8, c7-c9 */
};

void mp_reader_init(struct mp_reader *r, const void *p, size_t len);

/* Type of the next value without consuming it. RS_ECORRUPT at the end of
 * input or on the unused byte 0xc1. */
int mp_peek(const struct mp_reader *r, enum mp_type *t, struct rs_err *err);

/* 1 and consumes the byte when the next value is nil (c0); else 0. */
int mp_try_nil(struct mp_reader *r);

/* An unsigned integer as go-msgpack's DecodeUint64 takes it: positive
 * fixint, cc..cf, and d0..d3 when the value is not negative. A negative
 * value is an error. */
int mp_read_uint(struct mp_reader *r, uint64_t *v, struct rs_err *err);
/* A signed integer as DecodeInt64: fixints, d0..d3, cc..cf (a cf above
 * INT64_MAX wraps, as Go's int64(uint64) conversion does). */
int mp_read_int(struct mp_reader *r, int64_t *v, struct rs_err *err);

/* A str or bin value (a0-bf, d9, da, db, c4, c5, c6): *s points into the
 * input, *n is its length. */
int mp_read_raw(struct mp_reader *r, const uint8_t **s, size_t *n, struct rs_err *err);

/* Like mp_read_raw, but also takes what go-msgpack's DecodeBytes takes for
 * a []byte or string: nil (*s = NULL, *n = 0, *was_nil = 1) and an array
 * whose elements are unsigned integers <= 255 (or nil = 0). For an array,
 * the elements are copied into buf (at most cap of them; *n is the full
 * count), and *s points to buf — unless every element is a positive fixint,
 * in which case the array body IS the byte string and *s points into the
 * input. `buf` may be NULL with cap 0 when only the zero-copy forms are
 * wanted; *copied says whether *s points to buf. */
struct mp_bytes {
	const uint8_t *s;
	size_t n;
	int was_nil;
	int copied; /* 1: s is the caller's buf (array with non-fixint elements) */
};
int mp_read_bytes(struct mp_reader *r, uint8_t *buf, size_t cap, struct mp_bytes *out,
                  struct rs_err *err);

/* Container headers. The count is checked against the remaining input:
 * every array element and every map key/value needs at least one byte. */
int mp_read_array(struct mp_reader *r, uint32_t *n, struct rs_err *err);
int mp_read_map(struct mp_reader *r, uint32_t *n, struct rs_err *err);

/* An extension (d4-d8 fixext 1/2/4/8/16, c7-c9 ext 8/16/32). */
int mp_read_ext(struct mp_reader *r, int8_t *type, const uint8_t **data, size_t *n,
                struct rs_err *err);

/* Skips one complete value of any type, nested containers included, with
 * the depth bounded by MP_MAX_DEPTH (RS_ELIMIT beyond). */
int mp_skip(struct mp_reader *r, struct rs_err *err);

#endif
