/*
 * msgpack as hashicorp/go-msgpack writes and reads it for raft values.
 *
 * Encoder: produces exactly go-msgpack's bytes for the raft-boltdb handle
 *   - unsigned integers in the smallest form: fixint 0x00-0x7f, cc u8,
 *     cd u16, ce u32, cf u64 (big-endian);
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
 * are ignored, and the final check of the caller returns RS_ENOMEM. */
struct mp_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	int oom;
};

void mp_buf_free(struct mp_buf *b);
void mp_put_nil(struct mp_buf *b);
void mp_put_uint(struct mp_buf *b, uint64_t v);
void mp_put_map(struct mp_buf *b, uint32_t n);
void mp_put_array(struct mp_buf *b, uint32_t n);
void mp_put_raw(struct mp_buf *b, const void *s, size_t n); /* legacy raw */
void mp_put_bytes(struct mp_buf *b, const void *s, size_t n);

#endif
