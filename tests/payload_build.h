/*
 * Test-only: builds op-conductor payloads byte by byte the way
 * op-service/eth/ssz.go ExecutionPayload.MarshalSSZ and
 * ExecutionPayloadEnvelope.MarshalSSZ write them (layout:
 * raftstate/payload.h), so the decoder's tests and the CLI tests' node
 * builder can make V1..V4 payloads, envelopes and the early-2024 legacy form
 * with chosen fields. Header-only (static functions): included by
 * tests/raftstate/test_payload.c and tests/cli/mknode.c.
 */
#ifndef TESTS_PAYLOAD_BUILD_H
#define TESTS_PAYLOAD_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct pb_spec {
	int version; /* 1..4 */
	uint64_t number, timestamp;
	uint8_t hash[32], parent[32];
	uint32_t extra_len;   /* bytes of extra data */
	uint32_t txs;         /* transactions */
	uint32_t tx_size;     /* bytes each */
	uint32_t withdrawals; /* V2+ */
};

static void pb_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void pb_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t pb_fixed(int version)
{
	return version == 4 ? 560 : version == 3 ? 528 : version == 2 ? 512 : 508;
}

/* The SSZ ExecutionPayload at out (NULL: only the size). Returns its size. */
static size_t pb_payload(const struct pb_spec *s, uint8_t *out)
{
	uint32_t fixed = pb_fixed(s->version);
	uint32_t txbytes = s->txs * 4 + s->txs * s->tx_size;
	uint32_t wd = s->version >= 2 ? s->withdrawals * 44 : 0;
	size_t size = (size_t)fixed + s->extra_len + txbytes + wd;
	uint8_t *t;

	if (out == NULL)
		return size;
	memset(out, 0, size);
	memcpy(out + 0, s->parent, 32);
	memset(out + 32, 0xfe, 20); /* fee recipient */
	pb_le64(out + 404, s->number);
	pb_le64(out + 412, 30000000);
	pb_le64(out + 428, s->timestamp);
	pb_le32(out + 436, fixed);
	out[440] = 7; /* base fee */
	memcpy(out + 472, s->hash, 32);
	pb_le32(out + 504, fixed + s->extra_len);
	if (s->version >= 2)
		pb_le32(out + 508, fixed + s->extra_len + txbytes);
	memset(out + fixed, 0xee, s->extra_len);
	t = out + fixed + s->extra_len;
	for (uint32_t i = 0; i < s->txs; i++) {
		pb_le32(t + 4 * i, s->txs * 4 + i * s->tx_size);
		memset(t + s->txs * 4 + (size_t)i * s->tx_size, 0x02, s->tx_size);
	}
	for (uint32_t i = 0; i < wd / 44; i++)
		pb_le64(t + txbytes + 44 * (size_t)i, i);
	return size;
}

/* A new buffer: the envelope (beacon root + payload), or with legacy the
 * early-2024 form (version byte version-1 + payload). */
static uint8_t *pb_build(const struct pb_spec *s, int legacy, size_t *len)
{
	size_t head = legacy ? 1 : 32, n = pb_payload(s, NULL);
	uint8_t *b = malloc(head + n);

	if (b == NULL)
		abort();
	if (legacy)
		b[0] = (uint8_t)(s->version - 1);
	else
		memset(b, 0xbb, 32); /* parent beacon block root */
	pb_payload(s, b + head);
	*len = head + n;
	return b;
}

/* A hash whose bytes are all derived from seed (splitmix64 per 8 bytes):
 * distinct seeds, distinct hashes. */
static void pb_hash(uint8_t h[32], uint64_t seed)
{
	for (int k = 0; k < 4; k++) {
		uint64_t z = seed + (uint64_t)(k + 1) * UINT64_C(0x9e3779b97f4a7c15);

		z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
		z ^= z >> 31;
		for (int i = 0; i < 8; i++)
			h[8 * k + i] = (uint8_t)(z >> (8 * i));
	}
}

#endif
