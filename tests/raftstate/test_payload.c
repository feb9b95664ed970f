/*
 * The payload decoder at every boundary op-service's ssz.go draws
 * (ExecutionPayload.UnmarshalSSZ, unmarshalTransactions,
 * unmarshalWithdrawals) and op-conductor's choice of versions
 * (raft_fsm.go Apply: V4, else V3): each test builds a valid payload
 * (tests/payload_build.h), checks it decodes, then moves one thing one
 * step past the rule and checks it no longer does.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/json.h"
#include "raftstate/payload.h"
#include "tests/check_support.h"
#include "tests/payload_build.h"

static struct pb_spec spec(int version)
{
	struct pb_spec s = {.version = version, .number = 123456789, .timestamp = 1733000000};

	pb_hash(s.hash, 1);
	pb_hash(s.parent, 2);
	s.extra_len = 5;
	s.txs = 3;
	s.tx_size = 10;
	s.withdrawals = version >= 2 ? 2 : 0;
	return s;
}

/* rs_payload_decode of the envelope of s (after fix(buf) when given). */
/* The reason of decode_env's last refusal. */
static char last_why[256];

/* the V4 attempt's reason in last_why names `want` */
#define WHY_V4_HAS(want)                                                                           \
	ck_assert_msg(strncmp(last_why, "not a V4 envelope (", 19) == 0 &&                         \
	                  strstr(last_why, want) != NULL &&                                        \
	                  strstr(last_why, want) < strstr(last_why, "), nor V3"),                  \
	              "%s", last_why)

/* rs_payload_decode of the envelope of s (after fix(buf) when given), with
 * its reason in last_why; the verdict is the same without reasons (verify's
 * path), with a reason buffer of size 0 (left untouched), from the
 * prefix decoder given every byte, and from V4 then V3 one at a time. */
static int decode_env(const struct pb_spec *s, void (*fix)(uint8_t *, size_t), struct rs_block *b)
{
	size_t len;
	uint8_t *buf = pb_build(s, 0, &len);
	struct rs_block b2;
	char none = 'x';
	int form;

	if (fix != NULL)
		fix(buf + 32, len - 32);
	form = rs_payload_decode(buf, len, b, last_why, sizeof(last_why));
	ck_assert_int_eq(rs_payload_decode(buf, len, &b2, NULL, 0), form);
	ck_assert_int_eq(rs_payload_decode(buf, len, &b2, &none, 0), form);
	ck_assert_int_eq(none, 'x');
	ck_assert_int_eq(rs_payload_decode_prefix(buf, len, len, &b2, NULL, 0), form);
	/* one version at a time, through the public call, reasons off both ways */
	ck_assert_int_eq(rs_payload_decode_version(buf + 32, len - 32, 4, &b2, &none, 0) ||
	                     rs_payload_decode_version(buf + 32, len - 32, 3, &b2, NULL, 0),
	                 form == RS_PAYLOAD_ENVELOPE);
	ck_assert_int_eq(none, 'x');
	if (form == RS_PAYLOAD_NONE)
		ck_assert(last_why[0] != '\0');
	free(buf);
	return form;
}

START_TEST(v4_and_v3_envelopes_decode)
{
	for (int v = 3; v <= 4; v++) {
		struct pb_spec s = spec(v);
		struct rs_block b;

		ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_ENVELOPE);
		ck_assert_int_eq(b.version, v);
		ck_assert_uint_eq(b.number, 123456789);
		ck_assert_uint_eq(b.timestamp, 1733000000);
		ck_assert_mem_eq(b.hash, s.hash, 32);
		ck_assert_mem_eq(b.parent_hash, s.parent, 32);
		ck_assert_uint_eq(b.tx_count, 3);
		ck_assert_uint_eq(b.withdrawals, 2);
		ck_assert_uint_eq(b.extra_len, 5);
	}
}
END_TEST

START_TEST(v1_v2_envelopes_are_not_payloads)
{
	/* op-conductor tries V4 and V3 only: an envelope around V2 is rejected */
	for (int v = 1; v <= 2; v++) {
		struct pb_spec s = spec(v);
		struct rs_block b;

		ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_NONE);
	}
}
END_TEST

START_TEST(legacy_form_is_recognised)
{
	for (int v = 1; v <= 2; v++) {
		struct pb_spec s = spec(v);
		struct rs_block b;
		size_t len;
		uint8_t *buf = pb_build(&s, 1, &len);

		ck_assert_int_eq(rs_payload_decode(buf, len, &b, NULL, 0), RS_PAYLOAD_LEGACY);
		ck_assert_int_eq(b.version, v);
		ck_assert_uint_eq(b.number, 123456789);
		buf[0] = 2; /* only 0 and 1 were ever written */
		ck_assert_int_eq(rs_payload_decode(buf, len, &b, NULL, 0), RS_PAYLOAD_NONE);
		free(buf);
	}
}
END_TEST

/* The decoder fills the caller's block in place (verify decodes every
 * LogCommand entry and copies no block): *out is written only when the form
 * is not NONE and not MORE, and then every field but the data's is reset,
 * the snapshot name to "". */
START_TEST(block_written_in_place_only_on_success)
{
	struct pb_spec v2 = spec(2), v4 = spec(4);
	struct rs_block b, poison;
	size_t len;
	uint8_t *buf = pb_build(&v2, 0, &len);

	memset(&poison, 0xa5, sizeof(poison));
	b = poison;
	ck_assert_int_eq(rs_payload_decode(buf, len, &b, NULL, 0), RS_PAYLOAD_NONE);
	ck_assert_mem_eq(&b, &poison, sizeof(b));
	free(buf);
	buf = pb_build(&v4, 0, &len);
	ck_assert_int_eq(rs_payload_decode_prefix(buf, 100, len, &b, NULL, 0), RS_PAYLOAD_MORE);
	ck_assert_mem_eq(&b, &poison, sizeof(b));
	ck_assert_int_eq(rs_payload_decode(buf, len, &b, NULL, 0), RS_PAYLOAD_ENVELOPE);
	ck_assert_int_eq(b.found, 1);
	ck_assert_int_eq(b.form, RS_PAYLOAD_ENVELOPE);
	ck_assert_uint_eq(b.size, len);
	ck_assert_int_eq(b.source, 0);
	ck_assert_uint_eq(b.entry_index, 0);
	ck_assert_uint_eq(b.gas_used, 0);
	ck_assert_str_eq(b.snapshot, "");
	ck_assert_uint_eq(b.number, 123456789);
	free(buf);
}
END_TEST

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void extra_off_plus1(uint8_t *p, size_t n)
{
	(void)n;
	pb_le32(p + 436, get32(p + 436) + 1);
}

static void extra_off_minus1(uint8_t *p, size_t n)
{
	(void)n;
	pb_le32(p + 436, get32(p + 436) - 1);
}

START_TEST(extra_data_offset_must_be_the_fixed_size)
{
	struct pb_spec s = spec(4);
	struct rs_block b;

	ck_assert_int_eq(decode_env(&s, extra_off_plus1, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("the extra-data offset is 561, not 560");
	ck_assert_int_eq(decode_env(&s, extra_off_minus1, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("the extra-data offset is 559, not 560");
	/* a V3 payload has offset 528: it fails V4 and decodes as V3 */
	s = spec(3);
	ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_ENVELOPE);
	ck_assert_int_eq(b.version, 3);
}
END_TEST

START_TEST(extra_data_32_bytes_but_not_33)
{
	for (int v = 3; v <= 4; v++) {
		struct pb_spec s = spec(v);
		struct rs_block b;

		s.extra_len = 32;
		ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_ENVELOPE);
		ck_assert_uint_eq(b.extra_len, 32);
		s.extra_len = 33;
		ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_NONE);
		s.extra_len = 0;
		ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_ENVELOPE);
	}
}
END_TEST

static void tx_off_below_extra(uint8_t *p, size_t n)
{
	(void)n;
	pb_le32(p + 504, get32(p + 436) - 1);
}

static void tx_off_beyond_scope(uint8_t *p, size_t n)
{
	pb_le32(p + 504, (uint32_t)n + 1);
	pb_le32(p + 508, (uint32_t)n + 1);
}

static void wd_off_below_tx(uint8_t *p, size_t n)
{
	(void)n;
	pb_le32(p + 508, get32(p + 504) - 1);
}

static void wd_off_beyond_scope(uint8_t *p, size_t n)
{
	pb_le32(p + 508, (uint32_t)n + 1);
}

static void wd_off_at_scope(uint8_t *p, size_t n)
{
	/* the withdrawals become part of the last transaction: still valid */
	pb_le32(p + 508, (uint32_t)n);
}

START_TEST(transactions_and_withdrawals_offsets_in_order_and_in_scope)
{
	struct pb_spec s = spec(4);
	struct rs_block b;

	ck_assert_int_eq(decode_env(&s, tx_off_below_extra, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("is below the extra-data offset");
	ck_assert_int_eq(decode_env(&s, tx_off_beyond_scope, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("is beyond the");
	ck_assert_int_eq(decode_env(&s, wd_off_below_tx, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("is below the transactions offset");
	ck_assert_int_eq(decode_env(&s, wd_off_beyond_scope, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("is beyond the");
	ck_assert_int_eq(decode_env(&s, wd_off_at_scope, &b), RS_PAYLOAD_ENVELOPE);
	ck_assert_uint_eq(b.withdrawals, 0);
}
END_TEST

/* the transaction list starts at fixed + 5 (spec's extra data) */
static uint8_t *txlist(uint8_t *p)
{
	return p + get32(p + 504);
}

static void first_tx_not_multiple_of_4(uint8_t *p, size_t n)
{
	(void)n;
	pb_le32(txlist(p), get32(txlist(p)) + 1);
}

/* the list's length rounded up past it to a multiple of 4 (an offset
 * that is not a multiple of 4 is refused first) */
static void first_tx_beyond_list(uint8_t *p, size_t n)
{
	uint32_t len = get32(p + 508) - get32(p + 504);

	(void)n;
	pb_le32(txlist(p), (len / 4 + 1) * 4);
}

static void first_tx_zero(uint8_t *p, size_t n)
{
	(void)n;
	pb_le32(txlist(p), 0);
}

static void tx_offsets_decrease(uint8_t *p, size_t n)
{
	(void)n;
	/* tx 1 ends before it starts */
	pb_le32(txlist(p) + 8, get32(txlist(p) + 4) - 1);
}

static void tx_offset_beyond_list(uint8_t *p, size_t n)
{
	(void)n;
	pb_le32(txlist(p) + 8, get32(p + 508) - get32(p + 504) + 1);
}

static void tx_list_3_bytes(uint8_t *p, size_t n)
{
	(void)n;
	pb_le32(p + 508, get32(p + 504) + 3);
}

/* The reason rs_payload_decode gives for the envelope of s after fix(buf):
 * its V4 part (the V3 attempt fails on the extra-data offset). */
static void assert_v4_why(const struct pb_spec *s, void (*fix)(uint8_t *, size_t), const char *want)
{
	size_t len;
	uint8_t *buf = pb_build(s, 0, &len);
	struct rs_block b;
	char why[400];

	fix(buf + 32, len - 32);
	ck_assert_int_eq(rs_payload_decode(buf, len, &b, why, sizeof(why)), RS_PAYLOAD_NONE);
	ck_assert_msg(strstr(why, want) != NULL, "reason '%s' lacks '%s'", why, want);
	ck_assert_int_eq(rs_payload_decode(buf, len, &b, NULL, 0), RS_PAYLOAD_NONE);
	free(buf);
}

START_TEST(transaction_offset_list)
{
	struct pb_spec s = spec(4);
	struct rs_block b;
	char want[80];

	ck_assert_int_eq(decode_env(&s, first_tx_not_multiple_of_4, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("is not a multiple of 4");
	ck_assert_int_eq(decode_env(&s, first_tx_beyond_list, &b), RS_PAYLOAD_NONE);
	ck_assert_msg(strstr(last_why, "is beyond the list") != NULL, "%s", last_why);
	ck_assert_int_eq(decode_env(&s, first_tx_zero, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("the first transaction offset is 0");
	ck_assert_int_eq(decode_env(&s, tx_offsets_decrease, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("has a bad end offset");
	ck_assert_int_eq(decode_env(&s, tx_offset_beyond_list, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("has a bad end offset");
	ck_assert_int_eq(decode_env(&s, tx_list_3_bytes, &b), RS_PAYLOAD_NONE);
	WHY_V4_HAS("too few for an offset");
	/* the offset table's checks, each named: 3 transactions of 10 bytes
	 * after a 12-byte table; the list is 42 bytes */
	assert_v4_why(&s, tx_offsets_decrease, "transaction 1 has a bad end offset 21");
	snprintf(want, sizeof(want), "transaction 1 has a bad end offset %d", 12 + 3 * 10 + 1);
	assert_v4_why(&s, tx_offset_beyond_list, want);
	/* one and two transactions: the last one ends at the list's end */
	for (s.txs = 1; s.txs <= 2; s.txs++) {
		ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_ENVELOPE);
		ck_assert_uint_eq(b.tx_count, s.txs);
	}
	s.txs = 0;
	s.withdrawals = 0;
	ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_ENVELOPE);
	ck_assert_uint_eq(b.tx_count, 0);
}
END_TEST

START_TEST(two_to_the_20_transactions_but_not_one_more)
{
	struct pb_spec s = spec(4);
	struct rs_block b;

	s.txs = RS_PAYLOAD_MAX_TXS;
	s.tx_size = 0;
	ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_ENVELOPE);
	ck_assert_uint_eq(b.tx_count, RS_PAYLOAD_MAX_TXS);
	s.txs = RS_PAYLOAD_MAX_TXS + 1;
	ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_NONE);
}
END_TEST

static void wd_one_byte_short(uint8_t *p, size_t n)
{
	(void)n;
	pb_le32(p + 508, get32(p + 508) + 1);
}

START_TEST(withdrawals_16_but_not_17_and_multiple_of_44)
{
	struct pb_spec s = spec(4);
	struct rs_block b;

	s.withdrawals = 16;
	ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_ENVELOPE);
	ck_assert_uint_eq(b.withdrawals, 16);
	s.withdrawals = 17;
	ck_assert_int_eq(decode_env(&s, NULL, &b), RS_PAYLOAD_NONE);
	s.withdrawals = 2;
	ck_assert_int_eq(decode_env(&s, wd_one_byte_short, &b), RS_PAYLOAD_NONE);
}
END_TEST

START_TEST(truncations_never_decode_and_never_read_past_the_end)
{
	for (int v = 3; v <= 4; v++) {
		struct pb_spec s = spec(v);
		size_t len;
		uint8_t *full = pb_build(&s, 0, &len);
		struct rs_block b;

		size_t wd = 32 + get32(full + 32 + 508);

		ck_assert_int_eq(rs_payload_decode(full, len, &b, NULL, 0), RS_PAYLOAD_ENVELOPE);
		for (size_t cut = 0; cut < len; cut++) {
			/* an exact-size copy, so ASan sees any read past `cut` */
			uint8_t *p = malloc(cut ? cut : 1);
			/* cutting whole withdrawals off leaves a valid, shorter list */
			int whole = cut >= wd && (cut - wd) % 44 == 0;

			memcpy(p, full, cut);
			ck_assert_int_eq(rs_payload_decode(p, cut, &b, NULL, 0),
			                 whole ? RS_PAYLOAD_ENVELOPE : RS_PAYLOAD_NONE);
			free(p);
		}
		free(full);
	}
	ck_assert_int_eq(rs_payload_decode(NULL, 0, NULL, NULL, 0), RS_PAYLOAD_NONE);
}
END_TEST

/* rs_payload_decode_prefix over data[0..avail), copied to a buffer of
 * exactly avail bytes (ASan sees a read past it): RS_PAYLOAD_MORE, or what
 * rs_payload_decode of all len bytes says, with the same block. */
static void prefix_agrees(const uint8_t *data, size_t len, size_t avail)
{
	uint8_t *p = malloc(avail ? avail : 1);
	struct rs_block a, b;
	int fa = rs_payload_decode(data, len, &a, NULL, 0), fb;

	memcpy(p, data, avail);
	fb = rs_payload_decode_prefix(p, avail, len, &b, NULL, 0);
	if (fb != RS_PAYLOAD_MORE) {
		ck_assert_int_eq(fb, fa);
		if (fa != RS_PAYLOAD_NONE) {
			ck_assert_int_eq(a.version, b.version);
			ck_assert_uint_eq(a.number, b.number);
			ck_assert_uint_eq(a.timestamp, b.timestamp);
			ck_assert_uint_eq(a.tx_count, b.tx_count);
			ck_assert_uint_eq(a.withdrawals, b.withdrawals);
			ck_assert_uint_eq(a.extra_len, b.extra_len);
			ck_assert_uint_eq(a.size, b.size);
			ck_assert_mem_eq(a.hash, b.hash, 32);
		}
	}
	if (avail == len)
		ck_assert_int_eq(fb, fa);
	free(p);
}

/* info's fast scan decodes a payload from the first bytes of an entry (the
 * rest not read): for every prefix of V3, V4 and early-2024 payloads, valid
 * and with one offset byte changed, the answer is "read more" or exactly the
 * whole payload's, and it never reads past the prefix. */
START_TEST(prefix_decode_agrees_or_asks_for_more)
{
	static const uint32_t txs[] = {0, 1, 3, 40, 300};
	static const int at[] = {32 + 436, 32 + 504, 32 + 508, 32 + 560, 32 + 600};

	for (int v = 2; v <= 4; v++) {
		for (size_t t = 0; t < sizeof(txs) / sizeof(txs[0]); t++) {
			for (int legacy = 0; legacy <= (v == 2); legacy++) {
				struct pb_spec s = spec(v);
				size_t len, more = 0;
				uint8_t *full;

				s.txs = txs[t];
				full = pb_build(&s, legacy, &len);
				for (size_t avail = 0; avail <= len; avail++) {
					struct rs_block b;

					prefix_agrees(full, len, avail);
					more += rs_payload_decode_prefix(full, avail, len, &b, NULL,
					                                 0) == RS_PAYLOAD_MORE;
				}
				ck_assert_uint_gt(more, 0);
				for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
					if ((size_t)at[k] + 1 >= len)
						continue;
					full[at[k] + 1] ^= 0x01;
					for (size_t avail = 0; avail <= len; avail += 7)
						prefix_agrees(full, len, avail);
					prefix_agrees(full, len, len);
					full[at[k] + 1] ^= 0x01;
				}
				free(full);
			}
		}
	}
}
END_TEST

/* Every quantity of the payload p (version v, nwd withdrawals at the end of
 * its n bytes) set to all ones: the longest hex they can print. */
static void max_quantities(uint8_t *p, size_t n, int v, uint32_t nwd)
{
	memset(p + 404, 0xff, 32); /* number, gas limit, gas used, timestamp */
	memset(p + 440, 0xff, 32); /* base fee */
	if (v >= 3)
		memset(p + 512, 0xff, 16); /* blob gas used, excess blob gas */
	for (uint32_t i = 0; i < nwd; i++) {
		uint8_t *w = p + n - (size_t)(nwd - i) * RS_PAYLOAD_WD_SIZE;

		memset(w, 0xff, 16);     /* index, validator index */
		memset(w + 36, 0xff, 8); /* amount */
	}
}

/* rs_payload_json of s (legacy: the early-2024 form; maxq: every quantity
 * all ones) into a buffer of exactly rs_payload_json_bound bytes (the rest
 * of a larger allocation is a canary), parsed back. */
static cJSON *envelope_json(const struct pb_spec *s, int legacy, int maxq)
{
	size_t len, bound, n;
	uint8_t *buf = pb_build(s, legacy, &len);
	size_t skip = legacy ? 1 : 32;

	if (maxq)
		max_quantities(buf + skip, len - skip, s->version,
		               s->version >= 2 ? s->withdrawals : 0);
	struct rs_block b;
	struct rs_err err = {0};
	cJSON *doc = NULL;
	char *out;

	ck_assert_int_eq(rs_payload_decode(buf, len, &b, NULL, 0),
	                 legacy ? RS_PAYLOAD_LEGACY : RS_PAYLOAD_ENVELOPE);
	bound = rs_payload_json_bound(len, &b);
	out = malloc(bound + 64);
	ck_assert_ptr_nonnull(out);
	memset(out, 0x5a, bound + 64);
	n = rs_payload_json(buf, len, &b, out);
	ck_assert_uint_le(n, bound);
	for (size_t i = bound; i < bound + 64; i++)
		ck_assert_int_eq((unsigned char)out[i], 0x5a);
	ck_assert_int_eq(rs_json_parse(out, n, "envelope", &doc, &err), RS_OK);
	free(out);
	free(buf);
	return doc;
}

static const char *str_at(const cJSON *o, const char *k)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);

	ck_assert_msg(cJSON_IsString(j), "%s is not a string", k);
	return j->valuestring;
}

START_TEST(json_envelope_within_its_bound_and_in_op_service_form)
{
	static const struct {
		int version, legacy;
		uint32_t txs, tx_size, wds, extra;
	} cases[] = {
	    {4, 0, 3, 10, 2, 5},      {3, 0, 0, 0, 0, 0},     {4, 0, 0, 0, 16, 32},
	    {4, 0, 1 << 20, 0, 0, 0}, {3, 0, 2, 70000, 1, 1}, {1, 1, 2, 3, 0, 0},
	    {2, 1, 1, 4, 3, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pb_spec s = spec(cases[i].version);
		int maxq = i % 2;
		cJSON *doc, *p;
		char num[32];

		s.txs = cases[i].txs;
		s.tx_size = cases[i].tx_size;
		s.withdrawals = cases[i].version >= 2 ? cases[i].wds : 0;
		s.extra_len = cases[i].extra;
		doc = envelope_json(&s, cases[i].legacy, maxq);
		p = cJSON_GetObjectItemCaseSensitive(doc, "executionPayload");
		ck_assert_ptr_nonnull(p);
		/* the beacon root only in the envelope form */
		ck_assert_int_eq(cJSON_HasObjectItem(doc, "parentBeaconBlockRoot"),
		                 !cases[i].legacy);
		(void)snprintf(num, sizeof(num), "0x%llx",
		               maxq ? 0xffffffffffffffffULL : (unsigned long long)s.number);
		ck_assert_str_eq(str_at(p, "blockNumber"), num);
		ck_assert_int_eq(strlen(str_at(p, "blockHash")), 66);
		ck_assert_int_eq(strlen(str_at(p, "extraData")), 2 + 2 * cases[i].extra);
		ck_assert_int_eq(
		    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "transactions")),
		    (int)cases[i].txs);
		ck_assert_int_eq(cJSON_HasObjectItem(p, "withdrawals"), cases[i].version >= 2);
		if (cases[i].version >= 2)
			ck_assert_int_eq(
			    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "withdrawals")),
			    (int)cases[i].wds);
		ck_assert_int_eq(cJSON_HasObjectItem(p, "blobGasUsed"), cases[i].version >= 3);
		ck_assert_int_eq(cJSON_HasObjectItem(p, "withdrawalsRoot"), cases[i].version >= 4);
		cJSON_Delete(doc);
	}
}
END_TEST

START_TEST(why_names_both_versions)
{
	struct pb_spec s = spec(4);
	size_t len;
	uint8_t *buf = pb_build(&s, 0, &len);
	struct rs_block b;
	char why[256];

	buf[32 + 436] ^= 0x40;
	ck_assert_int_eq(rs_payload_decode(buf, len, &b, why, sizeof(why)), RS_PAYLOAD_NONE);
	ck_assert_ptr_nonnull(strstr(why, "V4"));
	ck_assert_ptr_nonnull(strstr(why, "V3"));
	ck_assert_ptr_nonnull(strstr(why, "extra-data offset"));
	free(buf);
}
END_TEST

/* The edges of the API: versions outside 1..4, a length no SSZ scope
 * holds (refused before a byte is read), a prefix longer than the value,
 * no byte at hand, and a reason buffer of size 0 left untouched. */
START_TEST(api_edges)
{
	struct pb_spec s4 = spec(4);
	size_t len;
	uint8_t *env = pb_build(&s4, 0, &len), one = 0;
	struct rs_block b;
	char why[160];

	ck_assert_uint_eq(rs_payload_fixed_size(0), 0);
	ck_assert_uint_eq(rs_payload_fixed_size(5), 0);
	ck_assert_uint_eq(rs_payload_fixed_size(4), 560);
	ck_assert_int_eq(rs_payload_decode_version(env + 32, len - 32, 5, &b, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "version 5 is not one of 1..4");
	ck_assert_int_eq(rs_payload_decode_version(env + 32, len - 32, 0, &b, why, sizeof(why)), 0);
	ck_assert_int_eq(
	    rs_payload_decode_version(&one, (size_t)UINT32_MAX + 1, 4, &b, why, sizeof(why)), 0);
	ck_assert_str_eq(why, "4294967296 bytes, more than an SSZ scope (u32) holds");
	/* avail beyond len is len */
	ck_assert_int_eq(rs_payload_decode_prefix(env, len + 100, len, &b, NULL, 0),
	                 RS_PAYLOAD_ENVELOPE);
	ck_assert_uint_eq(b.number, s4.number);
	/* nothing at hand of a short value: more is needed */
	ck_assert_int_eq(rs_payload_decode_prefix(env, 0, 20, &b, NULL, 0), RS_PAYLOAD_MORE);
	/* ws 0: the buffer is not written */
	why[0] = 'x';
	ck_assert_int_eq(rs_payload_decode(env, 20, &b, why, 0), RS_PAYLOAD_NONE);
	ck_assert_int_eq(why[0], 'x');
	free(env);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("payload");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, v4_and_v3_envelopes_decode);
	tcase_add_test(tc, api_edges);
	tcase_add_test(tc, v1_v2_envelopes_are_not_payloads);
	tcase_add_test(tc, legacy_form_is_recognised);
	tcase_add_test(tc, block_written_in_place_only_on_success);
	tcase_add_test(tc, extra_data_offset_must_be_the_fixed_size);
	tcase_add_test(tc, extra_data_32_bytes_but_not_33);
	tcase_add_test(tc, transactions_and_withdrawals_offsets_in_order_and_in_scope);
	tcase_add_test(tc, transaction_offset_list);
	tcase_add_test(tc, two_to_the_20_transactions_but_not_one_more);
	tcase_add_test(tc, withdrawals_16_but_not_17_and_multiple_of_44);
	tcase_add_test(tc, truncations_never_decode_and_never_read_past_the_end);
	tcase_add_test(tc, prefix_decode_agrees_or_asks_for_more);
	tcase_add_test(tc, why_names_both_versions);
	tcase_add_test(tc, json_envelope_within_its_bound_and_in_op_service_form);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
