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
static int decode_env(const struct pb_spec *s, void (*fix)(uint8_t *, size_t), struct rs_block *b)
{
	size_t len;
	uint8_t *buf = pb_build(s, 0, &len);
	char why[256];
	int form;

	if (fix != NULL)
		fix(buf + 32, len - 32);
	form = rs_payload_decode(buf, len, b, why, sizeof(why));
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
	ck_assert_int_eq(decode_env(&s, extra_off_minus1, &b), RS_PAYLOAD_NONE);
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
	ck_assert_int_eq(decode_env(&s, tx_off_beyond_scope, &b), RS_PAYLOAD_NONE);
	ck_assert_int_eq(decode_env(&s, wd_off_below_tx, &b), RS_PAYLOAD_NONE);
	ck_assert_int_eq(decode_env(&s, wd_off_beyond_scope, &b), RS_PAYLOAD_NONE);
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

static void first_tx_beyond_list(uint8_t *p, size_t n)
{
	(void)n;
	pb_le32(txlist(p), get32(p + 508) - get32(p + 504) + 4);
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

START_TEST(transaction_offset_list)
{
	struct pb_spec s = spec(4);
	struct rs_block b;

	ck_assert_int_eq(decode_env(&s, first_tx_not_multiple_of_4, &b), RS_PAYLOAD_NONE);
	ck_assert_int_eq(decode_env(&s, first_tx_beyond_list, &b), RS_PAYLOAD_NONE);
	ck_assert_int_eq(decode_env(&s, first_tx_zero, &b), RS_PAYLOAD_NONE);
	ck_assert_int_eq(decode_env(&s, tx_offsets_decrease, &b), RS_PAYLOAD_NONE);
	ck_assert_int_eq(decode_env(&s, tx_offset_beyond_list, &b), RS_PAYLOAD_NONE);
	ck_assert_int_eq(decode_env(&s, tx_list_3_bytes, &b), RS_PAYLOAD_NONE);
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

static Suite *suite(void)
{
	Suite *s = suite_create("payload");
	TCase *tc = tcase_create("decode");

	tcase_add_test(tc, v4_and_v3_envelopes_decode);
	tcase_add_test(tc, v1_v2_envelopes_are_not_payloads);
	tcase_add_test(tc, legacy_form_is_recognised);
	tcase_add_test(tc, extra_data_offset_must_be_the_fixed_size);
	tcase_add_test(tc, extra_data_32_bytes_but_not_33);
	tcase_add_test(tc, transactions_and_withdrawals_offsets_in_order_and_in_scope);
	tcase_add_test(tc, transaction_offset_list);
	tcase_add_test(tc, two_to_the_20_transactions_but_not_one_more);
	tcase_add_test(tc, withdrawals_16_but_not_17_and_multiple_of_44);
	tcase_add_test(tc, truncations_never_decode_and_never_read_past_the_end);
	tcase_add_test(tc, why_names_both_versions);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
