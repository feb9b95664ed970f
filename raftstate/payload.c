#include <string.h>

#include "raftstate/payload.h"

#define FIXED_PART 504
/* 2015-07-30 (Ethereum genesis) .. 2100-01-01: a timestamp outside is not a block */
#define MIN_TS UINT64_C(1438214400)
#define MAX_TS UINT64_C(4102444800)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int try_at(const uint8_t *data, size_t len, size_t off, struct rs_block *b)
{
	uint64_t ts;

	if (len < off || len - off < FIXED_PART)
		return 0;
	ts = le64(data + off + 428);
	if (ts < MIN_TS || ts > MAX_TS)
		return 0;
	b->number = le64(data + off + 404);
	b->timestamp = ts;
	memcpy(b->hash, data + off + 472, 32);
	return 1;
}

void rs_payload_peek(const uint8_t *data, size_t len, uint64_t index, struct rs_block *out)
{
	struct rs_block b = {0};
	int envelope_first;

	if (data == NULL || len < 1 + FIXED_PART || data[0] > 3)
		return;
	b.version = data[0];
	b.entry_index = index;
	envelope_first = b.version >= 2;
	if ((envelope_first && (try_at(data, len, 33, &b) || try_at(data, len, 1, &b))) ||
	    (!envelope_first && (try_at(data, len, 1, &b) || try_at(data, len, 33, &b)))) {
		b.found = 1;
		*out = b;
	}
}
