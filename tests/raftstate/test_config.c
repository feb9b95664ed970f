/* raft.Configuration codec: Go's exact bytes, lenient decoding, rejection. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgpack_fixtures.h"
#include "raftstate/config.h"
#include "tests/check_support.h"

static struct rs_server srv(const char *addr, const char *id, uint64_t suffrage)
{
	struct rs_server s;

	s.address = (char *)addr;
	s.address_len = strlen(addr);
	s.id = (char *)id;
	s.id_len = strlen(id);
	s.suffrage = suffrage;
	return s;
}

static char *encode_hex(const struct rs_config *c)
{
	struct mp_buf b = {0};
	struct rs_err err = {0};
	char *hex;

	ck_assert_msg(rs_config_encode(c, &b, &err) == RS_OK, "%s", err.msg);
	hex = fx_hex(b.p, b.len);
	mp_buf_free(&b);
	return hex;
}

static char *demo(cJSON *j, const char *name)
{
	const char *spaced =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "encode_configuration"), name)->valuestring;
	uint8_t *p;
	size_t n = fx_unhex(spaced, &p);
	char *hex = fx_hex(p, n);

	free(p);
	return hex;
}

START_TEST(suffrage_names)
{
	ck_assert_str_eq(rs_suffrage_name(0), "Voter");
	ck_assert_str_eq(rs_suffrage_name(1), "Nonvoter");
	ck_assert_str_eq(rs_suffrage_name(2), "Staging");
	ck_assert_ptr_null(rs_suffrage_name(3));
}
END_TEST

static void assert_decodes_to(const char *hex, const struct rs_config *want)
{
	uint8_t *p;
	size_t n = fx_unhex(hex, &p), i;
	struct rs_config got;
	struct rs_err err = {0};

	ck_assert_msg(rs_config_decode(p, n, &got, &err) == RS_OK, "%s", err.msg);
	ck_assert_uint_eq(got.n, want->n);
	for (i = 0; i < want->n; i++) {
		ck_assert_uint_eq(got.servers[i].address_len, want->servers[i].address_len);
		ck_assert(memcmp(got.servers[i].address, want->servers[i].address,
		                 want->servers[i].address_len) == 0);
		ck_assert_uint_eq(got.servers[i].id_len, want->servers[i].id_len);
		ck_assert(memcmp(got.servers[i].id, want->servers[i].id, want->servers[i].id_len) ==
		          0);
		ck_assert_uint_eq(got.servers[i].suffrage, want->servers[i].suffrage);
	}
	rs_config_free(&got);
	free(p);
}

START_TEST(encode_demo_configurations)
{
	cJSON *j = fx_json("OCI_TESTDATA", "msgpack/encode-demo.json");
	struct rs_server one[] = {srv("127.0.0.1:7001", "a", RS_VOTER)};
	struct rs_server three[] = {
	    srv("sequencer-1.ns.svc.cluster.local:50050", "sequencer-1", RS_VOTER),
	    srv("sequencer-2.ns.svc.cluster.local:50050", "sequencer-2", RS_VOTER),
	    srv("sequencer-3.ns.svc.cluster.local:50050", "sequencer-3", RS_VOTER),
	};
	struct rs_server mixed[] = {srv("x", "n", RS_NONVOTER), srv("y", "s", RS_STAGING)};
	struct rs_server empty_arr[1];
	const struct {
		const char *name;
		struct rs_config c;
	} c[] = {
	    {"1 voter 127.0.0.1", {one, 1}},    {"3 voters (gen)", {three, 3}},
	    {"Nonvoter + Staging", {mixed, 2}}, {"Servers empty", {empty_arr, 0}},
	    {"Servers nil", {NULL, 0}},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *want = demo(j, c[i].name), *got = encode_hex(&c[i].c);

		ck_assert_msg(strcmp(got, want) == 0, "%s:\n got %s\nwant %s", c[i].name, got,
		              want);
		assert_decodes_to(want, &c[i].c);
		free(want);
		free(got);
	}
	cJSON_Delete(j);
}
END_TEST

START_TEST(array_header_15_16_65536_servers)
{
	static const struct {
		size_t n;
		const char *hdr;
	} c[] = {{15, "9f"}, {16, "dc0010"}, {65535, "dcffff"}, {65536, "dd00010000"}};
	size_t i, k;

	for (i = 0; i < 4; i++) {
		struct rs_config cfg = {calloc(c[i].n, sizeof(struct rs_server)), c[i].n}, back;
		struct mp_buf b = {0};
		struct rs_err err = {0};
		char *hex;

		for (k = 0; k < c[i].n; k++)
			cfg.servers[k] = srv("h:1", "i", RS_VOTER);
		ck_assert_int_eq(rs_config_encode(&cfg, &b, &err), RS_OK);
		hex = fx_hex(b.p, 9 + strlen(c[i].hdr) / 2);
		ck_assert_str_eq(hex + 18, c[i].hdr); /* after 81 a7 "Servers" */
		ck_assert_int_eq(rs_config_decode(b.p, b.len, &back, &err), RS_OK);
		ck_assert_uint_eq(back.n, c[i].n);
		ck_assert_str_eq(back.servers[c[i].n - 1].address, "h:1");
		rs_config_free(&back);
		free(hex);
		free(cfg.servers);
		mp_buf_free(&b);
	}
}
END_TEST

START_TEST(strings_use_legacy_raw_and_suffrage_is_go_int)
{
	char addr[40];
	struct rs_server s[1];
	struct rs_config cfg = {s, 1};
	char *hex;

	memset(addr, 'a', 32);
	addr[32] = '\0';
	s[0] = srv(addr, "", 200);
	hex = encode_hex(&cfg);
	/* Address da 00 20, ID a0 (empty string, not nil), Suffrage d1 00 c8 */
	ck_assert_msg(strstr(hex, "a741646472657373da0020") != NULL, "%s", hex);
	ck_assert_msg(strstr(hex, "a24944a0") != NULL, "%s", hex);
	ck_assert_msg(strstr(hex, "a85375666672616765d100c8") != NULL, "%s", hex);
	free(hex);
}
END_TEST

START_TEST(lenient_forms)
{
	/* each decodes to one server {Address "x", ID "n", Suffrage 1} */
	static const char *const ok[] = {
	    /* key order: ID, Suffrage, Address */
	    "81a7536572766572739183a24944a16ea85375666672616765 01a741646472657373a178",
	    /* strings as bin8 and str8, Suffrage as cc */
	    "81a7536572766572739183a741646472657373c40178a24944d9016ea853756666726167 65cc01",
	    /* server as array [Suffrage, ID, Address] */
	    "81a7536572766572739193 01 a16e a178",
	    /* configuration as array [Servers] */
	    "919193 01 a16e a178",
	    /* unknown keys at both levels, with nested values */
	    "82a3466f6f928001a7536572766572739184a3426172c0a741646472657373a178a24944a16ea8537566"
	    "6672616765d001",
	    /* ID as array of bytes */
	    "81a7536572766572739183a7416464726573739178a2494491cc6ea85375666672616765 01",
	    /* duplicate Address: last wins */
	    "81a7536572766572739184a741646472657373a17aa741646472657373a178a24944a16ea85375666672"
	    "616765 01",
	};
	struct rs_server want_s[] = {srv("x", "n", RS_NONVOTER)};
	struct rs_config want = {want_s, 1};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_decodes_to(ok[i], &want);
	{
		/* nil server and nil strings -> empty strings, Suffrage 0 */
		struct rs_server e[] = {srv("", "", 0), srv("", "", 0)};
		struct rs_config we = {e, 2};

		assert_decodes_to(
		    "81a753657276657273 92 c0 83a741646472657373c0a24944c0a8537566667261"
		    "6765c0",
		    &we);
	}
	{
		/* Servers given as a map: keys and values in sequence */
		struct rs_server m[] = {srv("", "", 0), srv("x", "n", 1)};
		struct rs_config wm = {m, 2};

		assert_decodes_to("81a753657276657273 81 c0 93 01 a16e a178", &wm);
	}
	{
		/* lower-case key is not Servers; top-level nil is an empty configuration */
		struct rs_config none = {NULL, 0};

		assert_decodes_to("81a7736572766572739193 01 a16e a178", &none);
		assert_decodes_to("c0", &none);
		assert_decodes_to("80", &none);
	}
}
END_TEST

START_TEST(rejects_damage)
{
	static const char *const bad[] = {
	    "",
	    "c1",
	    "05",
	    "a3616263",
	    "81a75365727665727391 83a741646472657373 05",         /* Address int */
	    "81a75365727665727391 81a853756666726167 65a130",     /* Suffrage string */
	    "81a753657276657273ddffffffff",                       /* 4G servers claimed */
	    "81a7536572766572739181a741646472657373dbffffffff78", /* 4G address */
	    "81a753657276657273909090",                           /* trailing bytes */
	    "81a7536572766572739181a2494492cd010078",             /* ID byte 256 */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *p;
		size_t n = fx_unhex(bad[i], &p);
		struct rs_config c;
		struct rs_err err = {0};

		ck_assert_msg(rs_config_decode(p, n, &c, &err) == RS_ECORRUPT, "case %zu accepted",
		              i);
		ck_assert(strlen(err.msg) > 0);
		ck_assert_ptr_null(c.servers);
		free(p);
	}
}
END_TEST

START_TEST(truncated_at_every_offset_is_corrupt)
{
	cJSON *j = fx_json("OCI_TESTDATA", "msgpack/encode-demo.json");
	char *hex = demo(j, "3 voters (gen)");
	uint8_t *raw;
	size_t n = fx_unhex(hex, &raw), cut;

	for (cut = 0; cut < n; cut++) {
		uint8_t *p = malloc(cut ? cut : 1);
		struct rs_config c;
		struct rs_err err = {0};

		memcpy(p, raw, cut);
		ck_assert_msg(rs_config_decode(p, cut, &c, &err) == RS_ECORRUPT, "cut %zu", cut);
		free(p);
	}
	free(raw);
	free(hex);
	cJSON_Delete(j);
}
END_TEST

START_TEST(nesting_bomb_is_bounded)
{
	size_t n = 10u * 1000 * 1000;
	uint8_t *p = malloc(n);
	struct rs_config c;
	struct rs_err err = {0};

	ck_assert_ptr_nonnull(p);
	memset(p, 0x91, n);
	memcpy(p,
	       "\x82\xa3"
	       "Foo",
	       5);
	ck_assert_int_eq(rs_config_decode(p, n, &c, &err), RS_ELIMIT);
	free(p);
}
END_TEST

START_TEST(encode_rejects_inconsistent_input)
{
	struct rs_server s[1] = {{0, NULL, 3, "a", 1}};
	struct rs_config c = {s, 1};
	struct mp_buf b = {0};
	struct rs_err err = {0};

	ck_assert_int_eq(rs_config_encode(&c, &b, &err), RS_EINVAL);
	mp_buf_free(&b);
}
END_TEST

/* More of go-msgpack's leniency: extra elements of a top-level array and
 * of an array server are skipped, as are unknown keys of any length (a nil
 * key too) and a top-level key that only resembles Servers. */
START_TEST(lenient_skips)
{
	static const char *const ok[] = {
	    /* [Servers, extra]: the extra element skipped */
	    "92 9193 01 a16e a178 c0",
	    /* server array with a 4th element */
	    "81a753657276657273 91 94 01 a16e a178 82c0c0a0c0",
	    /* a 17-byte unknown key and a nil key in a server map */
	    "81a753657276657273 91 85 b1 7878787878787878787878787878787878 c0 c0 c0"
	    " a741646472657373 a178 a24944 a16e a853756666726167 65 01",
	    /* top level: a nil key, "Servert", then Servers */
	    "83 c0 c0 a7 53657276657274 92c0c0 a753657276657273 9193 01 a16e a178",
	};
	struct rs_server want_s[] = {srv("x", "n", RS_NONVOTER)};
	struct rs_config want = {want_s, 1};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_decodes_to(ok[i], &want);
}
END_TEST

/* Damage inside a server is named by the server and the field (or the part
 * of the value) it sits in. */
START_TEST(rejects_naming_the_field)
{
	static const struct {
		const char *hex, *says;
	} bad[] = {
	    {"81a753657276657273 91 93 01 05 a178", "raft.Configuration server 0 ID: "},
	    {"81a753657276657273 91 94 01 a16e a178 c1", "raft.Configuration server 0 extra: "},
	    {"81a753657276657273 91 dc00", "raft.Configuration server 0 header: "},
	    {"81a753657276657273 91 de00", "raft.Configuration server 0 header: "},
	    {"81a753657276657273 91 8105 01", "raft.Configuration server 0 key: "},
	    {"81a753657276657273 91 81a3466f6f c1", "raft.Configuration server 0 (unknown key): "},
	    {"81a753657276657273 92 c0 81a24944 cc01",
	     "raft.Configuration server 1 ID: msgpack: byte 0xcc"},
	    {"81a753657276657273 de0001", "claims 1 entries"},
	    {"8105c0", "byte 0x05 at offset 1"},
	    {"91dc00", "unexpected end of input at offset 1"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *p;
		size_t n = fx_unhex(bad[i].hex, &p);
		struct rs_config c;
		struct rs_err err = {0};
		int rc = rs_config_decode(p, n, &c, &err);

		ck_assert_msg(rc == RS_ECORRUPT, "case %zu: rc %d", i, rc);
		ck_assert_msg(strstr(err.msg, bad[i].says) != NULL, "case %zu: \"%s\" lacks \"%s\"",
		              i, err.msg, bad[i].says);
		ck_assert_ptr_null(c.servers);
		/* without an error struct: the same code */
		ck_assert_int_eq(rs_config_decode(p, n, &c, NULL), RS_ECORRUPT);
		free(p);
	}
}
END_TEST

/* The encoder: Servers nil for no list, [] for an empty one, a NULL string
 * of length 0 as "", and sizes msgpack cannot hold refused before any
 * byte is read. */
START_TEST(encode_edges)
{
	static const char one = 'x';
	struct rs_server empty[1] = {{2, NULL, 0, NULL, 0}};
	struct rs_config none = {NULL, 0}, zero = {empty, 0}, blank = {empty, 1};
	struct rs_server wide[1] = {{0, "a", 1, (char *)&one, (size_t)UINT32_MAX + 1}};
	struct rs_server noaddr[1] = {{0, "a", 1, NULL, 2}};
	struct rs_config many = {empty, (size_t)UINT32_MAX + 1}, big = {wide, 1},
	                 hole = {noaddr, 1};
	struct mp_buf b = {0};
	struct rs_err err = {0};
	char *hex;

	hex = encode_hex(&none);
	ck_assert_str_eq(hex, "81a753657276657273c0");
	free(hex);
	hex = encode_hex(&zero);
	ck_assert_str_eq(hex, "81a75365727665727390");
	free(hex);
	hex = encode_hex(&blank);
	ck_assert_str_eq(hex, "81a7536572766572739183a741646472657373a0a24944a0a853756666726167"
	                      "6502");
	free(hex);
	ck_assert_int_eq(rs_config_encode(&many, &b, &err), RS_EINVAL);
	ck_assert_str_eq(err.msg, "configuration has 4294967296 servers: too many");
	ck_assert_int_eq(rs_config_encode(&big, &b, &err), RS_EINVAL);
	ck_assert_str_eq(err.msg, "server 0: Address of 4294967296 bytes is too long for msgpack");
	ck_assert_int_eq(rs_config_encode(&hole, &b, &err), RS_EINVAL);
	ck_assert_str_eq(err.msg, "server 0: Address has length 2 but no bytes");
	ck_assert_uint_eq(b.len, 0);
	b.oom = 1; /* a buffer that already failed */
	ck_assert_int_eq(rs_config_encode(&none, &b, &err), RS_ENOMEM);
	ck_assert_str_eq(err.msg, "out of memory encoding the configuration");
	mp_buf_free(&b);
}
END_TEST

/* rs_config_copy makes an independent copy (an empty one too);
 * rs_config_server finds a server by its exact ID bytes. */
START_TEST(copy_and_lookup)
{
	struct rs_server s[] = {srv("h:1", "a", RS_VOTER), srv("h:2", "ab", RS_NONVOTER)};
	struct rs_config c = {s, 2}, none = {NULL, 0}, d;
	const struct rs_server *f;

	ck_assert_int_eq(rs_config_copy(&d, &none), RS_OK);
	ck_assert_ptr_null(d.servers);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_int_eq(rs_config_copy(&d, &c), RS_OK);
	ck_assert_uint_eq(d.n, 2);
	ck_assert_ptr_ne(d.servers[1].id, s[1].id);
	ck_assert_str_eq(d.servers[1].id, "ab");
	ck_assert_str_eq(d.servers[1].address, "h:2");
	ck_assert_uint_eq(d.servers[1].suffrage, RS_NONVOTER);
	f = rs_config_server(&d, "ab", 2);
	ck_assert_ptr_eq(f, &d.servers[1]);
	ck_assert_ptr_eq(rs_config_server(&d, "ab", 1), &d.servers[0]);
	ck_assert_ptr_null(rs_config_server(&d, "b", 1));
	rs_config_free(&d);
	ck_assert_ptr_null(d.servers);
	rs_config_free(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, suffrage_names);
	tcase_add_test(tc, encode_demo_configurations);
	tcase_add_test(tc, array_header_15_16_65536_servers);
	tcase_add_test(tc, strings_use_legacy_raw_and_suffrage_is_go_int);
	tcase_add_test(tc, lenient_forms);
	tcase_add_test(tc, rejects_damage);
	tcase_add_test(tc, truncated_at_every_offset_is_corrupt);
	tcase_add_test(tc, nesting_bomb_is_bounded);
	tcase_add_test(tc, encode_rejects_inconsistent_input);
	tcase_add_test(tc, lenient_skips);
	tcase_add_test(tc, rejects_naming_the_field);
	tcase_add_test(tc, encode_edges);
	tcase_add_test(tc, copy_and_lookup);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
