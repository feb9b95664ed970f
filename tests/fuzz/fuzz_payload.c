/*
 * Fuzz target: arbitrary bytes as a LogCommand entry's Data or a snapshot's
 * state.bin, through the payload decoder (raftstate/payload.h). It must
 * never crash or read outside the input (the input is copied to an exact-size
 * buffer), and whatever it accepts must satisfy op-service's limits and
 * decode again, as that version, from the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/payload.h"

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);
	struct rs_block b, again;
	char why[256];
	size_t skip;
	int form;

	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	form = rs_payload_decode(p, size, &b, why, sizeof(why));
	if (form == RS_PAYLOAD_NONE) {
		if (why[0] == 0)
			abort(); /* a rejection always says why */
		free(p);
		return 0;
	}
	if (!b.found || b.extra_len > RS_PAYLOAD_MAX_EXTRA || b.tx_count > RS_PAYLOAD_MAX_TXS ||
	    b.withdrawals > RS_PAYLOAD_MAX_WD || b.size != size)
		abort();
	if (form == RS_PAYLOAD_ENVELOPE && b.version != 4 && b.version != 3)
		abort();
	if (form == RS_PAYLOAD_LEGACY && b.version != 1 && b.version != 2)
		abort();
	skip = form == RS_PAYLOAD_ENVELOPE ? RS_PAYLOAD_BEACON_ROOT : 1;
	if (b.number != get64(p + skip + 404) || b.timestamp != get64(p + skip + 428) ||
	    memcmp(b.hash, p + skip + 472, 32) != 0)
		abort();
	if (!rs_payload_decode_version(p + skip, size - skip, b.version, &again, NULL, 0) ||
	    again.number != b.number || again.tx_count != b.tx_count)
		abort();
	free(p);
	return 0;
}
