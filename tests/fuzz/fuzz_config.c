/*
 * Fuzz target: arbitrary bytes as raft.Configuration (the Data of a
 * LogConfiguration entry). Whatever decodes must re-encode and decode to
 * the same servers; nothing may leak (rs_config_free on every path).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/config.h"
#include "raftstate/msgpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_config c, again;
	struct mp_buf out = {0};
	struct rs_err err;
	uint8_t *p = malloc(size ? size : 1);

	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	if (rs_config_decode(p, size, &c, &err) != RS_OK) {
		free(p);
		return 0;
	}
	for (size_t i = 0; i < c.n; i++)
		if (c.servers[i].id == NULL || c.servers[i].address == NULL ||
		    c.servers[i].id[c.servers[i].id_len] != '\0' ||
		    c.servers[i].address[c.servers[i].address_len] != '\0')
			abort();
	if (rs_config_encode(&c, &out, &err) == RS_OK) {
		if (rs_config_decode(out.p, out.len, &again, &err) != RS_OK)
			abort();
		if (again.n != c.n)
			abort();
		for (size_t i = 0; i < c.n; i++) {
			const struct rs_server *a = &c.servers[i], *b = &again.servers[i];

			if (a->suffrage != b->suffrage || a->id_len != b->id_len ||
			    a->address_len != b->address_len ||
			    memcmp(a->id, b->id, a->id_len) != 0 ||
			    memcmp(a->address, b->address, a->address_len) != 0)
				abort();
		}
		rs_config_free(&again);
	}
	mp_buf_free(&out);
	rs_config_free(&c);
	free(p);
	return 0;
}
