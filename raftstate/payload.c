/*
 * The payload decoder (layout: payload.h). Each rule below is one check of
 * op-service/eth/ssz.go (ethereum-optimism/optimism): the function named
 * in the comment is where op-service makes it. We only decide "would
 * op-conductor accept these bytes" and read the few fields we report;
 * nothing is copied, and every read is inside [0, len).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "raftstate/payload.h"

#define OFF_PARENT_HASH 0
#define OFF_FEE_RECIP   32
#define OFF_STATE_ROOT  52
#define OFF_RCPT_ROOT   84
#define OFF_BLOOM       116
#define OFF_RANDAO      372
#define OFF_NUMBER      404
#define OFF_GAS_LIMIT   412
#define OFF_GAS_USED    420
#define OFF_TIMESTAMP   428
#define OFF_EXTRA       436
#define OFF_HASH        472
#define OFF_BASE_FEE    440
#define OFF_TXS         504
#define OFF_WDS         508
#define OFF_BLOB_GAS    512
#define OFF_EXCESS_BLOB 520
#define OFF_WD_ROOT     528

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

#define U(x) ((unsigned long long)(x))

/* The decode path every verified entry takes: inlined, so that the version
 * is a constant in each call and the reasons cost nothing when none is
 * asked for. Not in the coverage build (OCI_COVERAGE, as in log.c): there
 * each branch is counted once, where it is written. */
#ifdef OCI_COVERAGE
#define HOT static inline
#else
#define HOT static inline __attribute__((always_inline))
#endif

__attribute__((format(printf, 3, 4))) static int fail_fmt(char *why, size_t size, const char *fmt,
                                                          ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return 0;
}

/* Writes the reason (when asked for) and is 0: "not this version". A macro,
 * not a call: a varargs function is never inlined. */
#define fail(why, size, ...) ((why) != NULL && (size) > 0 ? fail_fmt(why, size, __VA_ARGS__) : 0)

uint32_t rs_payload_fixed_size(int version)
{
	/* ssz.go executionPayloadFixedPart: blockV1FixedPart .. blockV4FixedPart */
	static const uint32_t fixed[5] = {0, 508, 512, 528, 560};

	return version >= 1 && version <= 4 ? fixed[version] : 0;
}

/* ssz.go unmarshalTransactions over list[0..n): the offset table, of which
 * list[0..avail) is readable (avail <= n); -1 when the answer needs more. */
HOT int check_txs(const uint8_t *list, uint32_t n, size_t avail, uint32_t *count, char *why,
                  size_t ws)
{
	uint32_t first, cur;

	*count = 0;
	if (n == 0)
		return 1; /* empty list */
	if (n < 4)
		return fail(why, ws, "the transaction list has %llu bytes, too few for an offset",
		            U(n));
	if (avail < 4)
		return -1;
	first = le32(list);
	if (first % 4 != 0)
		return fail(why, ws, "the first transaction offset %llu is not a multiple of 4",
		            U(first));
	if (first > n)
		return fail(why, ws,
		            "the first transaction offset %llu is beyond the list (%llu bytes)",
		            U(first), U(n));
	if (first == 0)
		return fail(why, ws, "the first transaction offset is 0 in a list of %llu bytes",
		            U(n));
	if (first / 4 > RS_PAYLOAD_MAX_TXS)
		return fail(why, ws, "%llu transactions, more than the %llu allowed", U(first / 4),
		            U(RS_PAYLOAD_MAX_TXS));
	/* offset i+1 is at 4(i+1) < first <= n: inside the list */
	if (first > avail)
		return -1;
	/* transaction i ends where i+1 starts, the last one at n (<= n, and
	 * never below cur, as cur <= n) */
	cur = first;
	for (uint32_t i = 0; i + 1 < first / 4; i++) {
		uint32_t next = le32(list + 4 * (i + 1));

		if (next < cur || next > n)
			return fail(why, ws, "transaction %llu has a bad end offset %llu", U(i),
			            U(next));
		cur = next;
	}
	*count = first / 4;
	return 1;
}

/* rs_payload_decode_version with only p[0..avail) readable (avail <= len):
 * 1 or 0 as it, or -1 when it would read a byte past avail. */
HOT int decode_version(const uint8_t *p, size_t avail, size_t len, int version,
                       struct rs_block *out, char *why, size_t ws)
{
	uint32_t fixed = rs_payload_fixed_size(version), scope, extra, txs, wds, ntx;
	size_t wd_bytes, la;
	int rc;

	if (fixed == 0)
		return fail(why, ws, "version %llu is not one of 1..4", U(version));
	if (len > UINT32_MAX)
		return fail(why, ws, "%llu bytes, more than an SSZ scope (u32) holds", U(len));
	scope = (uint32_t)len;
	/* ExecutionPayload.UnmarshalSSZ, in its order */
	if (scope < fixed)
		return fail(why, ws, "%llu bytes, fewer than the fixed part (%llu)", U(scope),
		            U(fixed));
	if (avail < fixed)
		return -1;
	extra = le32(p + OFF_EXTRA);
	if (extra != fixed)
		return fail(why, ws, "the extra-data offset is %llu, not %llu", U(extra), U(fixed));
	txs = le32(p + OFF_TXS);
	if (txs < extra)
		return fail(why, ws,
		            "the transactions offset %llu is below the extra-data offset %llu",
		            U(txs), U(extra));
	wds = scope;
	if (version >= 2) {
		wds = le32(p + OFF_WDS);
		if (wds < txs)
			return fail(
			    why, ws,
			    "the withdrawals offset %llu is below the transactions offset %llu",
			    U(wds), U(txs));
		if (wds > scope)
			return fail(why, ws, "the withdrawals offset %llu is beyond the %llu bytes",
			            U(wds), U(scope));
	}
	if (txs > extra + RS_PAYLOAD_MAX_EXTRA || txs > scope)
		return fail(why, ws,
		            "the extra data is %llu bytes (at most 32; payload %llu bytes)",
		            U(txs - extra), U(scope));
	la = avail > txs ? avail - txs : 0;
	if ((rc = check_txs(p + txs, wds - txs, la < wds - txs ? la : wds - txs, &ntx, why, ws)) !=
	    1)
		return rc;
	wd_bytes = version >= 2 ? scope - wds : 0;
	/* unmarshalWithdrawals */
	if (wd_bytes % RS_PAYLOAD_WD_SIZE != 0)
		return fail(why, ws, "the withdrawals take %llu bytes, not a multiple of %llu",
		            U(wd_bytes), U(RS_PAYLOAD_WD_SIZE));
	if (wd_bytes / RS_PAYLOAD_WD_SIZE > RS_PAYLOAD_MAX_WD)
		return fail(why, ws, "%llu withdrawals, more than the %llu allowed",
		            U(wd_bytes / RS_PAYLOAD_WD_SIZE), U(RS_PAYLOAD_MAX_WD));
	/* Every field, one store each: verify decodes every LogCommand entry,
	 * and zeroing the struct (its 256-byte snapshot name above all) cost
	 * more than the decode. The snapshot name is the empty string here. */
	out->found = 1;
	out->form = RS_PAYLOAD_NONE; /* the caller names the form */
	out->source = RS_BLOCK_NONE;
	out->entry_index = 0;
	out->snapshot[0] = 0;
	out->version = version;
	out->number = le64(p + OFF_NUMBER);
	out->timestamp = le64(p + OFF_TIMESTAMP);
	out->gas_used = le64(p + OFF_GAS_USED);
	memcpy(out->hash, p + OFF_HASH, 32);
	memcpy(out->parent_hash, p + OFF_PARENT_HASH, 32);
	out->tx_count = ntx;
	out->withdrawals = (uint32_t)(wd_bytes / RS_PAYLOAD_WD_SIZE);
	out->extra_len = txs - extra;
	out->size = len;
	return 1;
}

int rs_payload_decode_version(const uint8_t *p, size_t len, int version, struct rs_block *out,
                              char *why, size_t ws)
{
	return decode_version(p, len, len, version, out, why, ws);
}

HOT int decode_prefix(const uint8_t *data, size_t avail, size_t len, struct rs_block *out,
                      char *why, size_t ws)
{
	char w4[160], w3[160];
	int r4, r3 = 0;

	if (avail > len)
		avail = len;
	if (why != NULL && ws > 0)
		why[0] = 0;
	if (data == NULL || len == 0) {
		/* raft_fsm.go Apply: "log data is nil or empty" */
		(void)fail(why, ws, "no data");
		return RS_PAYLOAD_NONE;
	}
	/* ExecutionPayloadEnvelope.UnmarshalSSZ: the beacon root, then the payload */
	if (len < RS_PAYLOAD_BEACON_ROOT) {
		(void)fail(why, ws, "%llu bytes, fewer than the %llu-byte beacon block root",
		           U(len), U(RS_PAYLOAD_BEACON_ROOT));
	} else {
		const uint8_t *p = data + RS_PAYLOAD_BEACON_ROOT;
		size_t n = len - RS_PAYLOAD_BEACON_ROOT;
		size_t pa = avail > RS_PAYLOAD_BEACON_ROOT ? avail - RS_PAYLOAD_BEACON_ROOT : 0;

		/* raft_fsm.go Apply/Restore: BlockV4 first, then BlockV3 */
		/* the reasons are formatted only when asked for: verify decodes
		 * every LogCommand entry, and formatting costs more than decoding */
		/* decode_version writes *out only when it returns 1, so the
		 * envelope is decoded in place, without a copy of the block */
		int want = why != NULL && ws > 0;

		if (want)
			w4[0] = w3[0] = 0;
		if ((r4 = decode_version(p, pa, n, 4, out, want ? w4 : NULL, sizeof(w4))) < 0 ||
		    (r4 == 0 &&
		     (r3 = decode_version(p, pa, n, 3, out, want ? w3 : NULL, sizeof(w3))) < 0))
			return RS_PAYLOAD_MORE;
		if (r4 || r3) {
			out->form = RS_PAYLOAD_ENVELOPE;
			out->size = len;
			return RS_PAYLOAD_ENVELOPE;
		}
		if (why != NULL && ws > 0)
			(void)snprintf(why, ws, "not a V4 envelope (%s), nor V3 (%s)", w4, w3);
	}
	/* early 2024: unsafeHeadData.UnmarshalSSZ, version byte 0 (V1) or 1 (V2) */
	if (avail == 0)
		return RS_PAYLOAD_MORE;
	if (data[0] <= 1 &&
	    (r4 = decode_version(data + 1, avail - 1, len - 1, data[0] + 1, out, NULL, 0)) < 0)
		return RS_PAYLOAD_MORE;
	if (data[0] <= 1 && r4) {
		out->form = RS_PAYLOAD_LEGACY;
		out->size = len;
		return RS_PAYLOAD_LEGACY;
	}
	return RS_PAYLOAD_NONE;
}

/* The decode without reasons, verify's for every entry: a function of its
 * own, without the reason buffers' stack frame. */
static __attribute__((noinline)) int decode_plain(const uint8_t *data, size_t len,
                                                  struct rs_block *out)
{
	return decode_prefix(data, len, len, out, NULL, 0);
}

static __attribute__((noinline)) int decode_why(const uint8_t *data, size_t len,
                                                struct rs_block *out, char *why, size_t ws)
{
	return decode_prefix(data, len, len, out, why, ws);
}

int rs_payload_decode(const uint8_t *data, size_t len, struct rs_block *out, char *why, size_t ws)
{
	if (why == NULL || ws == 0)
		return decode_plain(data, len, out);
	return decode_why(data, len, out, why, ws);
}

int rs_payload_decode_prefix(const uint8_t *data, size_t avail, size_t len, struct rs_block *out,
                             char *why, size_t ws)
{
	return decode_prefix(data, avail, len, out, why, ws);
}

/* ---- op-node's JSON form (payload.h) ------------------------------------ */

static const char hexdig[16] = "0123456789abcdef";

static char *put_str(char *o, const char *s)
{
	size_t n = strlen(s);

	memcpy(o, s, n);
	return o + n;
}

/* "0x" + the bytes in hex, quoted (hexutil.Bytes.MarshalText) */
static char *put_hex(char *o, const uint8_t *p, size_t n)
{
	*o++ = '"';
	*o++ = '0';
	*o++ = 'x';
	for (size_t i = 0; i < n; i++) {
		*o++ = hexdig[p[i] >> 4];
		*o++ = hexdig[p[i] & 15];
	}
	*o++ = '"';
	return o;
}

/* A quantity: "0x" + big-endian hex without leading zeros, "0x0" for zero
 * (hexutil.Uint64 and hexutil.U256 MarshalText). le: n little-endian bytes. */
static char *put_quantity_le(char *o, const uint8_t *le, size_t n)
{
	size_t top = n;
	int first = 1;

	while (top > 0 && le[top - 1] == 0)
		top--;
	o = put_str(o, "\"0x");
	if (top == 0)
		*o++ = '0';
	for (size_t i = top; i-- > 0;) {
		if (!first || (le[i] >> 4) != 0)
			*o++ = hexdig[le[i] >> 4];
		*o++ = hexdig[le[i] & 15];
		first = 0;
	}
	*o++ = '"';
	return o;
}

static char *put_field(char *o, const char *name, int comma)
{
	if (comma)
		*o++ = ',';
	*o++ = '"';
	o = put_str(o, name);
	*o++ = '"';
	*o++ = ':';
	return o;
}

size_t rs_payload_json_bound(size_t len, const struct rs_block *b)
{
	/* every byte at most 2 hex digits; per transaction "0x" and 3 marks;
	 * the names, the fixed fields' marks and the withdrawals' names */
	return 2 * len + 8 * (size_t)b->tx_count + 1024 + 128 * (size_t)RS_PAYLOAD_MAX_WD;
}

size_t rs_payload_json(const uint8_t *data, size_t len, const struct rs_block *b, char *out)
{
	size_t skip = b->form == RS_PAYLOAD_ENVELOPE ? RS_PAYLOAD_BEACON_ROOT : 1;
	const uint8_t *p = data + skip;
	uint32_t scope = (uint32_t)(len - skip), fixed = rs_payload_fixed_size(b->version);
	uint32_t txs = le32(p + OFF_TXS), wds = b->version >= 2 ? le32(p + OFF_WDS) : scope;
	char *o = out;

	*o++ = '{';
	if (b->form == RS_PAYLOAD_ENVELOPE) {
		o = put_field(o, "parentBeaconBlockRoot", 0);
		o = put_hex(o, data, RS_PAYLOAD_BEACON_ROOT);
		*o++ = ',';
	}
	o = put_field(o, "executionPayload", 0);
	*o++ = '{';
	o = put_hex(put_field(o, "parentHash", 0), p + OFF_PARENT_HASH, 32);
	o = put_hex(put_field(o, "feeRecipient", 1), p + OFF_FEE_RECIP, 20);
	o = put_hex(put_field(o, "stateRoot", 1), p + OFF_STATE_ROOT, 32);
	o = put_hex(put_field(o, "receiptsRoot", 1), p + OFF_RCPT_ROOT, 32);
	o = put_hex(put_field(o, "logsBloom", 1), p + OFF_BLOOM, 256);
	o = put_hex(put_field(o, "prevRandao", 1), p + OFF_RANDAO, 32);
	o = put_quantity_le(put_field(o, "blockNumber", 1), p + OFF_NUMBER, 8);
	o = put_quantity_le(put_field(o, "gasLimit", 1), p + OFF_GAS_LIMIT, 8);
	o = put_quantity_le(put_field(o, "gasUsed", 1), p + OFF_GAS_USED, 8);
	o = put_quantity_le(put_field(o, "timestamp", 1), p + OFF_TIMESTAMP, 8);
	o = put_hex(put_field(o, "extraData", 1), p + fixed, txs - fixed);
	o = put_quantity_le(put_field(o, "baseFeePerGas", 1), p + OFF_BASE_FEE, 32);
	o = put_hex(put_field(o, "blockHash", 1), p + OFF_HASH, 32);
	o = put_field(o, "transactions", 1);
	*o++ = '[';
	/* the offset table was checked by rs_payload_decode_version */
	for (uint32_t i = 0; i < b->tx_count; i++) {
		const uint8_t *list = p + txs;
		uint32_t start = le32(list + 4 * i);
		uint32_t end = i + 1 < b->tx_count ? le32(list + 4 * (i + 1)) : wds - txs;

		if (i > 0)
			*o++ = ',';
		o = put_hex(o, list + start, end - start);
	}
	*o++ = ']';
	if (b->version >= 2) {
		o = put_field(o, "withdrawals", 1);
		*o++ = '[';
		for (uint32_t i = 0; i < b->withdrawals; i++) {
			const uint8_t *w = p + wds + (size_t)i * RS_PAYLOAD_WD_SIZE;

			if (i > 0)
				*o++ = ',';
			*o++ = '{';
			o = put_quantity_le(put_field(o, "index", 0), w, 8);
			o = put_quantity_le(put_field(o, "validatorIndex", 1), w + 8, 8);
			o = put_hex(put_field(o, "address", 1), w + 16, 20);
			o = put_quantity_le(put_field(o, "amount", 1), w + 36, 8);
			*o++ = '}';
		}
		*o++ = ']';
	}
	if (b->version >= 3) {
		o = put_quantity_le(put_field(o, "blobGasUsed", 1), p + OFF_BLOB_GAS, 8);
		o = put_quantity_le(put_field(o, "excessBlobGas", 1), p + OFF_EXCESS_BLOB, 8);
	}
	if (b->version >= 4)
		o = put_hex(put_field(o, "withdrawalsRoot", 1), p + OFF_WD_ROOT, 32);
	*o++ = '}';
	*o++ = '}';
	return (size_t)(o - out);
}
