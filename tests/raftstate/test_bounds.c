/*
 * Resource bounds of the msgpack decoders: a length or count claim of
 * 4 GiB in a few bytes, and nesting 10 million levels deep, must fail at
 * once with a clear message, allocating nothing for the claim and
 * recursing no deeper than MP_MAX_DEPTH. Checked through the entry points
 * verify uses (rs_log_decode, rs_log_decode_header, rs_config_decode) and
 * the reader itself (mp_skip, mp_read_raw, mp_read_array).
 *
 * "Bounded memory": the growth of the peak RSS (VmHWM, reset through
 * /proc/self/clear_refs) across the call, measured after the input exists.
 */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "raftstate/config.h"
#include "raftstate/log.h"
#include "raftstate/msgpack.h"
#include "tests/check_support.h"

#define MEM_BOUND_KB (16 * 1024)
#define TIME_BOUND_S 5.0
#define DEEP         10000000u /* ten million levels */

/* Decodes p as a raft.Log and as a raft.Configuration; each must fail with
 * `code` and a message containing `log_msg` / `cfg_msg`. */
static void expect_log(const uint8_t *p, size_t n, int code, const char *want)
{
	struct rs_log l;
	struct rs_err err = {0};
	struct bound b;

	bound_start(&b, MEM_BOUND_KB, TIME_BOUND_S);
	ck_assert_int_eq(rs_log_decode(p, n, &l, &err), code);
	ck_assert_msg(strstr(err.msg, want) != NULL, "want \"%s\", got: %s", want, err.msg);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(rs_log_decode_header(p, n, &l, &err), code);
	ck_assert_msg(strstr(err.msg, want) != NULL, "header: want \"%s\", got: %s", want, err.msg);
	bound_check(&b, want);
}

static void expect_config(const uint8_t *p, size_t n, int code, const char *want)
{
	struct rs_config c = {0};
	struct rs_err err = {0};
	struct bound b;

	bound_start(&b, MEM_BOUND_KB, TIME_BOUND_S);
	ck_assert_int_eq(rs_config_decode(p, n, &c, &err), code);
	ck_assert_msg(strstr(err.msg, want) != NULL, "want \"%s\", got: %s", want, err.msg);
	ck_assert_ptr_null(c.servers);
	bound_check(&b, want);
}

#define DATA_KEY    0xa4, 'D', 'a', 't', 'a'
#define SERVERS_KEY 0xa7, 'S', 'e', 'r', 'v', 'e', 'r', 's'

START_TEST(string_claims_4gib)
{
	static const uint8_t str32[] = {0x81, DATA_KEY, 0xdb, 0xff, 0xff, 0xff, 0xff, 'x', 'y'};
	static const uint8_t bin32[] = {0x81, DATA_KEY, 0xc6, 0xff, 0xff, 0xff, 0xff, 'x'};
	static const uint8_t addr[] = {0x81, SERVERS_KEY, 0x91, 0x81, 0xa7, 'A',  'd',  'd',  'r',
	                               'e',  's',         's',  0xdb, 0xff, 0xff, 0xff, 0xff, '1'};
	const uint8_t *s;
	size_t n;
	struct mp_reader r;
	struct rs_err err = {0};

	expect_log(str32, sizeof(str32), RS_ECORRUPT,
	           "raft.Log Data: msgpack: string at offset 6 claims 4294967295 bytes, only 2 "
	           "remain");
	expect_log(bin32, sizeof(bin32), RS_ECORRUPT,
	           "msgpack: string at offset 6 claims 4294967295 bytes, only 1 remain");
	expect_config(addr, sizeof(addr), RS_ECORRUPT, "claims 4294967295 bytes, only 1 remain");
	mp_reader_init(&r, str32 + 6, sizeof(str32) - 6);
	ck_assert_int_eq(mp_read_raw(&r, &s, &n, &err), RS_ECORRUPT);
	ck_assert_str_eq(err.msg, "msgpack: string at offset 0 claims 4294967295 bytes, only 2 "
	                          "remain");
}
END_TEST

START_TEST(ext_claims_4gib)
{
	static const uint8_t ext32[] = {0x81, 0xa1, 'X', 0xc9, 0xff, 0xff, 0xff, 0xff, 1, 'x'};

	expect_log(ext32, sizeof(ext32), RS_ECORRUPT,
	           "raft.Log (unknown key): msgpack: extension at offset 3 claims 4294967295 "
	           "bytes, only 1 remain");
}
END_TEST

/* 2^32-1 servers must not become calloc(2^32-1, sizeof(struct rs_server)). */
START_TEST(array_and_map_claim_4g_elements)
{
	static const uint8_t servers[] = {0x81, SERVERS_KEY, 0xdd, 0xff, 0xff, 0xff, 0xff, 0x80};
	static const uint8_t data_arr[] = {0x81, DATA_KEY, 0xdd, 0xff, 0xff, 0xff, 0xff, 1, 2};
	static const uint8_t map32[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0};
	struct mp_reader r;
	struct rs_err err = {0};
	uint32_t n;

	expect_config(servers, sizeof(servers), RS_ECORRUPT,
	              "msgpack: array at offset 9 claims 4294967295 elements, only 1 bytes remain");
	expect_log(data_arr, sizeof(data_arr), RS_ECORRUPT,
	           "raft.Log Data: msgpack: array at offset 6 claims 4294967295 elements, only 2 "
	           "bytes remain");
	expect_log(map32, sizeof(map32), RS_ECORRUPT,
	           "msgpack: map at offset 0 claims 4294967295 entries, only 2 bytes remain");
	expect_config(map32, sizeof(map32), RS_ECORRUPT, "claims 4294967295 entries");
	mp_reader_init(&r, servers + 9, sizeof(servers) - 9);
	ck_assert_int_eq(mp_read_array(&r, &n, &err), RS_ECORRUPT);
}
END_TEST

/* Ten million nested containers (10 MB of 0x91 = fixarray of 1, or
 * 81 a0 = fixmap {"": ...}) under a key the decoder skips: RS_ELIMIT at
 * depth 1024, no stack overflow (ASan would catch one), no allocation. */
START_TEST(nesting_10_million_deep)
{
	size_t n = 3 + DEEP + 1, m = 2 * (size_t)DEEP + 1;
	uint8_t *arr = malloc(n), *map = malloc(m);
	struct mp_reader r;
	struct rs_err err = {0};
	struct bound b;

	ck_assert_ptr_nonnull(arr);
	ck_assert_ptr_nonnull(map);
	memcpy(arr, "\x81\xa1X", 3);
	memset(arr + 3, 0x91, DEEP);
	arr[n - 1] = 0xc0;
	for (size_t i = 0; i < 2 * (size_t)DEEP; i += 2) {
		map[i] = 0x81;
		map[i + 1] = 0xa0;
	}
	map[m - 1] = 0xc0;

	expect_log(arr, n, RS_ELIMIT,
	           "raft.Log (unknown key): msgpack: containers nested deeper than 1024 at "
	           "offset 1025");
	expect_config(arr, n, RS_ELIMIT,
	              "msgpack: containers nested deeper than 1024 at offset 1025");

	bound_start(&b, MEM_BOUND_KB, TIME_BOUND_S);
	mp_reader_init(&r, map, m);
	ck_assert_int_eq(mp_skip(&r, &err), RS_ELIMIT);
	ck_assert_str_eq(err.msg, "msgpack: containers nested deeper than 1024 at offset 2046");
	mp_reader_init(&r, arr + 3, n - 3);
	ck_assert_int_eq(mp_skip(&r, &err), RS_ELIMIT);
	bound_check(&b, "mp_skip over 10 million levels");

	/* the same depth as the whole value: fails on the first field */
	memset(arr, 0x91, n - 1);
	expect_log(arr, n, RS_ECORRUPT,
	           "raft.Log Index: msgpack: byte 0x91 at offset 1 is not an integer");
	free(arr);
	free(map);
}
END_TEST

/* Deep but legal: 1000 levels under an unknown key still decode. */
START_TEST(nesting_1000_deep_is_accepted)
{
	static const uint8_t tail[] = {0xa5, 'I', 'n', 'd', 'e', 'x', 0x07};
	size_t depth = 1000, n = 3 + depth + 1 + sizeof(tail);
	uint8_t *p = malloc(n);
	struct rs_log l;
	struct rs_err err = {0};

	ck_assert_ptr_nonnull(p);
	memcpy(p, "\x82\xa1X", 3);
	memset(p + 3, 0x91, depth);
	p[3 + depth] = 0xc0;
	memcpy(p + 4 + depth, tail, sizeof(tail));
	ck_assert_msg(rs_log_decode(p, n, &l, &err) == RS_OK, "%s", err.msg);
	ck_assert_uint_eq(l.index, 7);
	free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bounds");
	TCase *tc = tcase_create("msgpack");

	tcase_add_test(tc, string_claims_4gib);
	tcase_add_test(tc, ext_claims_4gib);
	tcase_add_test(tc, array_and_map_claim_4g_elements);
	tcase_add_test(tc, nesting_10_million_deep);
	tcase_add_test(tc, nesting_1000_deep_is_accepted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
