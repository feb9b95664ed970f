/* msgpack encoder boundaries and the bounded reader's acceptance/rejection. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgpack_fixtures.h"
#include "raftstate/msgpack.h"
#include "tests/check_support.h"

static void expect_hex(const struct mp_buf *b, size_t off, size_t n, const char *hex)
{
	char *got;

	ck_assert_uint_ge(b->len, off + n);
	got = fx_hex(b->p + off, n);
	ck_assert_str_eq(got, hex);
	free(got);
}

START_TEST(encode_uint_smallest_form_at_every_boundary)
{
	static const struct {
		uint64_t v;
		const char *hex;
	} c[] = {
	    {0, "00"},
	    {127, "7f"},
	    {128, "cc80"},
	    {255, "ccff"},
	    {256, "cd0100"},
	    {65535, "cdffff"},
	    {65536, "ce00010000"},
	    {UINT32_MAX, "ceffffffff"},
	    {UINT64_C(1) << 32, "cf0000000100000000"},
	    {UINT64_MAX, "cfffffffffffffffff"},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mp_buf b = {0};
		struct mp_reader r;
		uint64_t back;

		mp_put_uint(&b, c[i].v);
		ck_assert(!b.oom);
		expect_hex(&b, 0, b.len, c[i].hex);
		mp_reader_init(&r, b.p, b.len);
		ck_assert_int_eq(mp_read_uint(&r, &back, NULL), RS_OK);
		ck_assert_uint_eq(back, c[i].v);
		ck_assert_uint_eq(r.pos, b.len);
		mp_buf_free(&b);
	}
}
END_TEST

START_TEST(encode_int_like_go_int)
{
	static const struct {
		int64_t v;
		const char *hex;
	} c[] = {
	    {0, "00"},
	    {2, "02"},
	    {127, "7f"},
	    {128, "d10080"},
	    {200, "d100c8"},
	    {32768, "d200008000"},
	    {-32768, "d18000"},
	    {-32769, "d2ffff7fff"},
	    {INT32_MIN, "d280000000"},
	    {(int64_t)INT32_MIN - 1, "d3ffffffff7fffffff"},
	    {-1, "ff"},
	    {-32, "e0"},
	    {-33, "d0df"},
	    {-128, "d080"},
	    {-129, "d1ff7f"},
	    {INT64_MIN, "d38000000000000000"},
	    {INT64_MAX, "d37fffffffffffffff"},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mp_buf b = {0};
		struct mp_reader r;
		int64_t back;

		mp_put_int(&b, c[i].v);
		expect_hex(&b, 0, b.len, c[i].hex);
		mp_reader_init(&r, b.p, b.len);
		ck_assert_int_eq(mp_read_int(&r, &back, NULL), RS_OK);
		ck_assert_int_eq(back, c[i].v);
		mp_buf_free(&b);
	}
}
END_TEST

START_TEST(encode_raw_legacy_headers_at_every_boundary)
{
	static const struct {
		size_t n;
		const char *hdr;
	} c[] = {
	    {0, "a0"},       {31, "bf"},        {32, "da0020"},        {255, "da00ff"},
	    {256, "da0100"}, {65535, "daffff"}, {65536, "db00010000"},
	};
	uint8_t *src = calloc(1, 65536);
	size_t i;

	ck_assert_ptr_nonnull(src);
	memset(src, 'x', 65536);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mp_buf b = {0};
		struct mp_reader r;
		const uint8_t *s;
		size_t n, h = strlen(c[i].hdr) / 2;

		mp_put_raw(&b, src, c[i].n);
		ck_assert_uint_eq(b.len, h + c[i].n);
		expect_hex(&b, 0, h, c[i].hdr);
		mp_reader_init(&r, b.p, b.len);
		ck_assert_int_eq(mp_read_raw(&r, &s, &n, NULL), RS_OK);
		ck_assert_uint_eq(n, c[i].n);
		ck_assert_ptr_eq(s, b.p + h);
		mp_buf_free(&b);
	}
	free(src);
}
END_TEST

START_TEST(encode_containers_nil_and_bytes)
{
	struct mp_buf b = {0};

	mp_put_map(&b, 15);
	mp_put_map(&b, 16);
	mp_put_map(&b, 65536);
	mp_put_array(&b, 15);
	mp_put_array(&b, 16);
	mp_put_array(&b, 65535);
	mp_put_array(&b, 65536);
	mp_put_nil(&b);
	mp_put_bytes(&b, NULL, 0); /* nil []byte */
	mp_put_bytes(&b, "", 0);   /* empty []byte */
	expect_hex(&b, 0, b.len, "8fde0010df000100009fdc0010dcffffdd00010000c0c0a0");
	mp_buf_free(&b);
}
END_TEST

START_TEST(read_uint_accepts_what_go_msgpack_accepts)
{
	static const struct {
		const char *hex;
		int ok;
		uint64_t v;
	} c[] = {
	    {"05", 1, 5},
	    {"cc05", 1, 5},
	    {"cd0005", 1, 5},
	    {"ce00000005", 1, 5},
	    {"cf0000000000000005", 1, 5},
	    {"d005", 1, 5},
	    {"d10005", 1, 5},
	    {"d200000005", 1, 5},
	    {"d30000000000000005", 1, 5},
	    {"d07f", 1, 127},
	    {"ff", 0, 0},
	    {"e0", 0, 0},
	    {"d0ff", 0, 0},
	    {"d1ffff", 0, 0},
	    {"d3ffffffffffffffff", 0, 0},
	    {"c0", 0, 0},
	    {"a130", 0, 0},
	    {"ca00000000", 0, 0},
	    {"c3", 0, 0},
	    {"cd00", 0, 0},
	    {"", 0, 0},
	    {"c1", 0, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t *p;
		size_t n = fx_unhex(c[i].hex, &p);
		struct mp_reader r;
		struct rs_err err = {0};
		uint64_t v = 0;
		int rc;

		mp_reader_init(&r, p, n);
		rc = mp_read_uint(&r, &v, &err);
		if (c[i].ok) {
			ck_assert_msg(rc == RS_OK, "%s: %s", c[i].hex, err.msg);
			ck_assert_uint_eq(v, c[i].v);
			ck_assert_uint_eq(r.pos, n);
		} else {
			ck_assert_msg(rc == RS_ECORRUPT, "%s accepted", c[i].hex);
			ck_assert(strlen(err.msg) > 0);
		}
		free(p);
	}
}
END_TEST

START_TEST(read_raw_every_str_and_bin_form)
{
	static const char *const c[] = {"a26869",   "d9026869",   "da00026869",    "db000000026869",
	                                "c4026869", "c500026869", "c6000000026869"};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t *p;
		size_t n = fx_unhex(c[i], &p), len;
		const uint8_t *s;
		struct mp_reader r;
		enum mp_type t;

		mp_reader_init(&r, p, n);
		ck_assert_int_eq(mp_peek(&r, &t, NULL), RS_OK);
		ck_assert(t == MP_T_STR || t == MP_T_BIN);
		ck_assert_int_eq(mp_read_raw(&r, &s, &len, NULL), RS_OK);
		ck_assert_uint_eq(len, 2);
		ck_assert(memcmp(s, "hi", 2) == 0);
		ck_assert_ptr_eq(s, p + n - 2); /* zero copy */
		ck_assert_uint_eq(r.pos, n);
		free(p);
	}
}
END_TEST

/* A claimed length larger than the input fails at once, without reading or
 * allocating anything proportional to the claim. */
START_TEST(length_claims_beyond_the_buffer_fail_fast)
{
	static const char *const raw[] = {"dbffffffff", "c6ffffffff", "daffff00",
	                                  "d9ff",       "bf41",       "c4020a"};
	static const char *const cont[] = {"ddffffffff", "dfffffffff", "dcffff",
	                                   "deffff00",   "9f00",       "8f0000"};
	static const char *const ext[] = {"c9ffffffff01", "c8ffff01", "c7ff01", "d8010000", "d601"};
	size_t i;

	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		uint8_t *p;
		size_t n = fx_unhex(raw[i], &p), len;
		const uint8_t *s;
		struct mp_reader r;
		struct rs_err err = {0};

		mp_reader_init(&r, p, n);
		ck_assert_int_eq(mp_read_raw(&r, &s, &len, &err), RS_ECORRUPT);
		mp_reader_init(&r, p, n);
		ck_assert_int_eq(mp_skip(&r, &err), RS_ECORRUPT);
		free(p);
	}
	for (i = 0; i < sizeof(cont) / sizeof(cont[0]); i++) {
		uint8_t *p;
		size_t n = fx_unhex(cont[i], &p);
		struct mp_reader r;
		struct rs_err err = {0};
		uint32_t cnt;

		mp_reader_init(&r, p, n);
		ck_assert_int_eq(p[0] >= 0x90 && p[0] != 0xde && p[0] != 0xdf
		                     ? mp_read_array(&r, &cnt, &err)
		                     : mp_read_map(&r, &cnt, &err),
		                 RS_ECORRUPT);
		mp_reader_init(&r, p, n);
		ck_assert_int_eq(mp_skip(&r, &err), RS_ECORRUPT);
		free(p);
	}
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		uint8_t *p;
		size_t n = fx_unhex(ext[i], &p), len;
		const uint8_t *d;
		struct mp_reader r;
		struct rs_err err = {0};
		int8_t ty;

		mp_reader_init(&r, p, n);
		ck_assert_int_eq(mp_read_ext(&r, &ty, &d, &len, &err), RS_ECORRUPT);
		free(p);
	}
	{
		uint8_t four_gb[] = {0xdb, 0xff, 0xff, 0xff, 0xff, 'a'};
		struct mp_reader r;
		struct rs_err err = {0};
		const uint8_t *s;
		size_t len;

		mp_reader_init(&r, four_gb, sizeof(four_gb));
		ck_assert_int_eq(mp_read_raw(&r, &s, &len, &err), RS_ECORRUPT);
		ck_assert_msg(strstr(err.msg, "4294967295") != NULL, "%s", err.msg);
	}
}
END_TEST

START_TEST(ext_every_form)
{
	static const struct {
		const char *hex;
		size_t len;
	} c[] = {
	    {"d4ff01", 1},
	    {"d5ff0102", 2},
	    {"d6ff01020304", 4},
	    {"d7ff0102030405060708", 8},
	    {"d8ff00000000000000000000000000000000", 16},
	    {"c703ff010203", 3},
	    {"c80003ff010203", 3},
	    {"c900000003ff010203", 3},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t *p;
		size_t n = fx_unhex(c[i].hex, &p), len;
		const uint8_t *d;
		struct mp_reader r;
		int8_t ty;

		mp_reader_init(&r, p, n);
		ck_assert_int_eq(mp_read_ext(&r, &ty, &d, &len, NULL), RS_OK);
		ck_assert_int_eq(ty, -1);
		ck_assert_uint_eq(len, c[i].len);
		ck_assert_uint_eq(r.pos, n);
		mp_reader_init(&r, p, n);
		ck_assert_int_eq(mp_skip(&r, NULL), RS_OK);
		ck_assert_uint_eq(r.pos, n);
		free(p);
	}
}
END_TEST

START_TEST(c1_is_rejected_with_its_offset)
{
	uint8_t p[] = {0xc1};
	uint8_t q[] = {0x92, 0x01, 0xc1};
	struct mp_reader r;
	struct rs_err err = {0};
	enum mp_type t;

	mp_reader_init(&r, p, 1);
	ck_assert_int_eq(mp_peek(&r, &t, &err), RS_ECORRUPT);
	ck_assert_str_eq(err.msg, "msgpack: byte 0xc1 at offset 0 is not a valid type");
	mp_reader_init(&r, q, 3);
	ck_assert_int_eq(mp_skip(&r, &err), RS_ECORRUPT);
	ck_assert_str_eq(err.msg, "msgpack: byte 0xc1 at offset 2 is not a valid type");
}
END_TEST

START_TEST(skip_every_type_nested)
{
	uint8_t *p;
	size_t n = fx_unhex("93"                           /* array of 3 */
	                    "82a16101a162c3"               /* {a:1, b:true} */
	                    "92cb3ff0000000000000c4026869" /* [1.0, bin "hi"] */
	                    "d6ff00000001"                 /* timestamp ext */
	                    "c0",
	                    &p);
	struct mp_reader r;

	mp_reader_init(&r, p, n);
	ck_assert_int_eq(mp_skip(&r, NULL), RS_OK);
	ck_assert_uint_eq(r.pos, n - 1);
	ck_assert_int_eq(mp_skip(&r, NULL), RS_OK);
	ck_assert_uint_eq(r.pos, n);
	ck_assert_int_eq(r.depth, 0);
	/* every proper prefix is truncated */
	for (size_t cut = 0; cut < n - 1; cut++) {
		struct rs_err err = {0};

		mp_reader_init(&r, p, cut);
		ck_assert_msg(mp_skip(&r, &err) == RS_ECORRUPT, "prefix %zu accepted", cut);
		ck_assert_uint_le(r.pos, cut);
	}
	free(p);
}
END_TEST

START_TEST(nesting_bomb_is_bounded)
{
	size_t n = 10u * 1000 * 1000, i;
	uint8_t *p = malloc(n);
	struct mp_reader r;
	struct rs_err err = {0};

	ck_assert_ptr_nonnull(p);
	memset(p, 0x91, n); /* [[[[...]]]] ten million deep, never closed */
	mp_reader_init(&r, p, n);
	ck_assert_int_eq(mp_skip(&r, &err), RS_ELIMIT);
	ck_assert_msg(strstr(err.msg, "nested deeper") != NULL, "%s", err.msg);
	ck_assert_uint_lt(r.pos, 2 * MP_MAX_DEPTH);
	/* maps too */
	memset(p, 0x81, n);
	mp_reader_init(&r, p, n);
	ck_assert_int_eq(mp_skip(&r, &err), RS_ELIMIT);
	/* just under the bound is fine */
	for (i = 0; i < MP_MAX_DEPTH - 1; i++)
		p[i] = 0x91;
	p[MP_MAX_DEPTH - 1] = 0x00;
	mp_reader_init(&r, p, MP_MAX_DEPTH);
	ck_assert_int_eq(mp_skip(&r, &err), RS_OK);
	free(p);
}
END_TEST

START_TEST(read_bytes_forms)
{
	struct {
		const char *hex;
		int ok, nil, copied;
		const char *val;
	} c[] = {
	    {"c0", 1, 1, 0, ""},         {"a26869", 1, 0, 0, "hi"},     {"c4026869", 1, 0, 0, "hi"},
	    {"926869", 1, 0, 0, "hi"},   {"92cc68d069", 1, 0, 1, "hi"}, {"92c069", 1, 0, 1, "\0i"},
	    {"92cd010069", 0, 0, 0, ""}, {"92ff69", 0, 0, 0, ""},       {"8100", 0, 0, 0, ""},
	    {"05", 0, 0, 0, ""},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t *p, buf[8];
		size_t n = fx_unhex(c[i].hex, &p);
		struct mp_reader r;
		struct mp_bytes b;
		struct rs_err err = {0};
		int rc;

		mp_reader_init(&r, p, n);
		rc = mp_read_bytes(&r, buf, sizeof(buf), &b, &err);
		if (!c[i].ok) {
			ck_assert_msg(rc == RS_ECORRUPT, "%s accepted", c[i].hex);
			free(p);
			continue;
		}
		ck_assert_msg(rc == RS_OK, "%s: %s", c[i].hex, err.msg);
		ck_assert_int_eq(b.was_nil, c[i].nil);
		ck_assert_int_eq(b.copied, c[i].copied);
		ck_assert_uint_eq(b.n, c[i].nil ? 0 : 2);
		if (!c[i].nil)
			ck_assert(memcmp(b.s, c[i].val, 2) == 0);
		ck_assert_uint_eq(r.pos, n);
		free(p);
	}
}
END_TEST

/* Every byte's type as the msgpack spec's format table gives it, the
 * ranges written out here one by one. */
static int spec_type(unsigned v)
{
	static const struct {
		unsigned lo, hi;
		enum mp_type t;
	} table[] = {
	    {0x00, 0x7f, MP_T_UINT}, {0x80, 0x8f, MP_T_MAP},   {0x90, 0x9f, MP_T_ARRAY},
	    {0xa0, 0xbf, MP_T_STR},  {0xc0, 0xc0, MP_T_NIL},   {0xc2, 0xc3, MP_T_BOOL},
	    {0xc4, 0xc6, MP_T_BIN},  {0xc7, 0xc9, MP_T_EXT},   {0xca, 0xcb, MP_T_FLOAT},
	    {0xcc, 0xcf, MP_T_UINT}, {0xd0, 0xd3, MP_T_INT},   {0xd4, 0xd8, MP_T_EXT},
	    {0xd9, 0xdb, MP_T_STR},  {0xdc, 0xdd, MP_T_ARRAY}, {0xde, 0xdf, MP_T_MAP},
	    {0xe0, 0xff, MP_T_INT},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (v >= table[i].lo && v <= table[i].hi)
			return (int)table[i].t;
	return -1; /* 0xc1, never used */
}

START_TEST(peek_classifies_every_byte)
{
	unsigned v;

	for (v = 0; v < 256; v++) {
		uint8_t b = (uint8_t)v;
		struct mp_reader r;
		enum mp_type t;
		int rc, want = spec_type(v);

		mp_reader_init(&r, &b, 1);
		rc = mp_peek(&r, &t, NULL);
		ck_assert_int_eq(rc, want < 0 ? RS_ECORRUPT : RS_OK);
		if (want >= 0)
			ck_assert_msg((int)t == want, "0x%02x: type %d, want %d", v, (int)t, want);
	}
}
END_TEST

/* A reader asked for one type refuses another, naming the byte and what
 * it wanted, and consumes nothing. */
START_TEST(readers_refuse_the_wrong_type)
{
	static const struct {
		const char *hex, *want;
		int call; /* 0 raw, 1 map, 2 array, 3 ext */
	} c[] = {
	    {"9100", "byte 0x91 at offset 0 is not a string or binary", 0},
	    {"c0", "byte 0xc0 at offset 0 is not a string or binary", 0},
	    {"9100", "byte 0x91 at offset 0 is not a map", 1},
	    {"a0", "byte 0xa0 at offset 0 is not a map", 1},
	    {"8100", "byte 0x81 at offset 0 is not an array", 2},
	    {"a161", "byte 0xa1 at offset 0 is not an extension", 3},
	    {"c4016100", "byte 0xc4 at offset 0 is not an extension", 3},
	    {"", "msgpack: ", 3},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t *p;
		size_t n = fx_unhex(c[i].hex, &p), len;
		struct rs_err err = {0};
		struct mp_reader r;
		const uint8_t *s;
		uint32_t cnt;
		int8_t ty;
		int rc;

		mp_reader_init(&r, p, n);
		switch (c[i].call) {
		case 0:
			rc = mp_read_raw(&r, &s, &len, &err);
			break;
		case 1:
			rc = mp_read_map(&r, &cnt, &err);
			break;
		case 2:
			rc = mp_read_array(&r, &cnt, &err);
			break;
		default:
			rc = mp_read_ext(&r, &ty, &s, &len, &err);
			break;
		}
		ck_assert_msg(rc == RS_ECORRUPT, "%s accepted", c[i].hex);
		ck_assert_msg(strstr(err.msg, c[i].want) != NULL, "%s: %s", c[i].hex, err.msg);
		ck_assert_uint_eq(r.pos, 0);
		free(p);
	}
}
END_TEST

/* map16 and map32 heads, and their counts checked against the bytes left */
START_TEST(map16_and_map32_heads)
{
	static const struct {
		const char *hex;
		uint32_t n;
		int ok;
	} c[] = {
	    {"de00010102", 1, 1},
	    {"df000000010102", 1, 1},
	    {"de0002010203", 2, 0},
	    {"df0000000201", 2, 0},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t *p;
		size_t n = fx_unhex(c[i].hex, &p);
		struct rs_err err = {0};
		struct mp_reader r;
		uint32_t cnt = 0;

		mp_reader_init(&r, p, n);
		if (c[i].ok) {
			ck_assert_msg(mp_read_map(&r, &cnt, &err) == RS_OK, "%s", err.msg);
			ck_assert_uint_eq(cnt, c[i].n);
			mp_reader_init(&r, p, n);
			ck_assert_int_eq(mp_skip(&r, NULL), RS_OK);
			ck_assert_uint_eq(r.pos, n);
		} else {
			ck_assert_int_eq(mp_read_map(&r, &cnt, &err), RS_ECORRUPT);
			ck_assert_msg(strstr(err.msg, "claims 2 entries") != NULL, "%s", err.msg);
		}
		free(p);
	}
}
END_TEST

/* A string too long for msgpack's 32-bit length marks the buffer out of
 * memory (the encoder's one failure) and nothing more is written. */
START_TEST(raw_beyond_u32_fails_the_buffer)
{
	static const uint8_t one = 1;
	struct mp_buf b = {0};

	mp_put_uint(&b, 7);
	ck_assert_uint_eq(b.len, 1);
	mp_put_raw(&b, &one, (size_t)UINT32_MAX + 1); /* refused before any read */
	ck_assert_int_eq(b.oom, 1);
	ck_assert_uint_eq(b.len, 1);
	mp_put_uint(&b, 8);
	mp_put_raw(&b, "x", 1);
	ck_assert_uint_eq(b.len, 1);
	mp_buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("msgpack");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, encode_uint_smallest_form_at_every_boundary);
	tcase_add_test(tc, encode_int_like_go_int);
	tcase_add_test(tc, encode_raw_legacy_headers_at_every_boundary);
	tcase_add_test(tc, encode_containers_nil_and_bytes);
	tcase_add_test(tc, read_uint_accepts_what_go_msgpack_accepts);
	tcase_add_test(tc, read_raw_every_str_and_bin_form);
	tcase_add_test(tc, length_claims_beyond_the_buffer_fail_fast);
	tcase_add_test(tc, ext_every_form);
	tcase_add_test(tc, c1_is_rejected_with_its_offset);
	tcase_add_test(tc, skip_every_type_nested);
	tcase_add_test(tc, nesting_bomb_is_bounded);
	tcase_add_test(tc, read_bytes_forms);
	tcase_add_test(tc, peek_classifies_every_byte);
	tcase_add_test(tc, readers_refuse_the_wrong_type);
	tcase_add_test(tc, map16_and_map32_heads);
	tcase_add_test(tc, raw_beyond_u32_fails_the_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
