/*
 * raft.Configuration as raft.EncodeConfiguration writes it (the Data of a
 * LogConfiguration entry):
 *   81 a7 "Servers" <array: 9x | dc u16 | dd u32>
 *     each server: 83 a7 "Address" raw  a2 "ID" raw  a8 "Suffrage" uint
 * Suffrage: Voter 0, Nonvoter 1, Staging 2.
 */
#ifndef RAFTSTATE_CONFIG_H
#define RAFTSTATE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/error.h"
#include "raftstate/msgpack.h"

enum rs_suffrage {
	RS_VOTER = 0,
	RS_NONVOTER = 1,
	RS_STAGING = 2,
};

const char *rs_suffrage_name(uint64_t suffrage); /* "Voter", ...; NULL if unknown */

/* Strings are NUL-terminated heap copies; *_len is the byte length (a
 * decoded value may contain NUL bytes; the length is authoritative). */
struct rs_server {
	uint64_t suffrage;
	char *id;
	size_t id_len;
	char *address;
	size_t address_len;
};

struct rs_config {
	struct rs_server *servers;
	size_t n;
};

int rs_config_encode(const struct rs_config *c, struct mp_buf *out, struct rs_err *err);
/* Lenient like rs_log_decode (key order, unknown keys, str/bin, int widths,
 * array-encoded structs). `out` must be freed with rs_config_free. */
int rs_config_decode(const uint8_t *p, size_t n, struct rs_config *out, struct rs_err *err);
void rs_config_free(struct rs_config *c);
/* The server of c whose ID is id (id_len bytes), or NULL. */
const struct rs_server *rs_config_server(const struct rs_config *c, const char *id, size_t id_len);
/* Deep copy of src into dst (dst is overwritten, not freed first). */
int rs_config_copy(struct rs_config *dst, const struct rs_config *src);

#endif
