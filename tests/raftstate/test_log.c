/* raft.Log codec: exact bytes against the Go vectors, go-msgpack decode
 * tolerance, rejection of damaged input. */
#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msgpack_fixtures.h"
#include "raftstate/config.h"
#include "raftstate/log.h"
#include "tests/check_support.h"

static void encode_or_fail(const struct rs_log *l, struct mp_buf *b)
{
	struct rs_err err = {0};

	ck_assert_msg(rs_log_encode(l, b, &err) == RS_OK, "%s", err.msg);
}

/* decode(raw) then encode() must give raw back. */
static void assert_reencodes(const uint8_t *raw, size_t n, struct rs_log *out)
{
	struct rs_err err = {0};
	struct mp_buf b = {0};

	ck_assert_msg(rs_log_decode(raw, n, out, &err) == RS_OK, "%s", err.msg);
	encode_or_fail(out, &b);
	ck_assert_uint_eq(b.len, n);
	ck_assert(memcmp(b.p, raw, n) == 0);
	mp_buf_free(&b);
}

START_TEST(type_names)
{
	ck_assert_str_eq(rs_log_type_name(0), "LogCommand");
	ck_assert_str_eq(rs_log_type_name(1), "LogNoop");
	ck_assert_str_eq(rs_log_type_name(2), "LogAddPeerDeprecated");
	ck_assert_str_eq(rs_log_type_name(3), "LogRemovePeerDeprecated");
	ck_assert_str_eq(rs_log_type_name(4), "LogBarrier");
	ck_assert_str_eq(rs_log_type_name(5), "LogConfiguration");
	ck_assert_ptr_null(rs_log_type_name(6));
	ck_assert_ptr_null(rs_log_type_name(UINT64_MAX));
}
END_TEST

/* store_default_handle: every vector decodes and re-encodes to its bytes. */
START_TEST(go_encoded_entries_roundtrip_byte_identical)
{
	cJSON *j = fx_json("OCI_TESTDATA", "msgpack/encode-demo.json"), *e;
	int seen = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "store_default_handle"))
	{
		const char *hex = cJSON_GetObjectItem(e, "raw_hex")->valuestring;
		size_t want = (size_t)cJSON_GetObjectItem(e, "raw_len")->valuedouble;
		uint64_t index = (uint64_t)cJSON_GetObjectItem(e, "index")->valuedouble;
		struct rs_log l;
		uint8_t *raw;
		size_t n;

		if (strstr(hex, "...") != NULL)
			continue; /* the 64 KiB vector is abbreviated: see data_65536 */
		n = fx_unhex(hex, &raw);
		ck_assert_uint_eq(n, want);
		assert_reencodes(raw, n, &l);
		ck_assert_uint_eq(l.index, index);
		ck_assert(l.appended_at_present);
		free(raw);
		seen++;
	}
	ck_assert_int_eq(seen, 11);
	cJSON_Delete(j);
}
END_TEST

static struct rs_log base_log(void)
{
	struct rs_log l;

	memset(&l, 0, sizeof(l));
	l.index = 1;
	l.term = 1;
	l.ext_nil = 1;
	l.appended_at.utc = 1;
	return l;
}

START_TEST(encode_boundaries_match_go)
{
	static const struct {
		uint64_t index, term;
		const char *tail; /* hex of Index..Type */
	} c[] = {
	    {127, 128, "a5496e6465787fa45465726dcc80"},
	    {255, 256, "a5496e646578ccffa45465726dcd0100"},
	    {65535, 65536, "a5496e646578cdffffa45465726dce00010000"},
	    {UINT64_C(4294967296), UINT32_MAX,
	     "a5496e646578cf0000000100000000a45465726dceffffffff"},
	    {UINT64_MAX, 0, "a5496e646578cfffffffffffffffffa45465726d00"},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct rs_log l = base_log(), back;
		struct mp_buf b = {0};
		char *hex;

		l.index = c[i].index;
		l.term = c[i].term;
		l.data = (const uint8_t *)"";
		encode_or_fail(&l, &b);
		hex = fx_hex(b.p, b.len);
		ck_assert_msg(strstr(hex, c[i].tail) != NULL, "%s lacks %s", hex, c[i].tail);
		assert_reencodes(b.p, b.len, &back);
		ck_assert_uint_eq(back.index, c[i].index);
		ck_assert_uint_eq(back.term, c[i].term);
		free(hex);
		mp_buf_free(&b);
	}
}
END_TEST

START_TEST(nil_versus_empty_data)
{
	struct rs_log l = base_log(), back;
	struct mp_buf b = {0};
	char *hex;

	l.data_nil = 1;
	encode_or_fail(&l, &b);
	hex = fx_hex(b.p, b.len);
	ck_assert(strstr(hex, "a444617461c0") != NULL);
	free(hex);
	assert_reencodes(b.p, b.len, &back);
	ck_assert(back.data_nil && back.data == NULL && back.data_len == 0);
	mp_buf_free(&b);

	l.data_nil = 0;
	l.data = NULL; /* empty, not nil */
	l.ext_nil = 0;
	encode_or_fail(&l, &b);
	hex = fx_hex(b.p, b.len);
	ck_assert(strstr(hex, "a444617461a0aa457874656e73696f6e73a0") != NULL);
	free(hex);
	assert_reencodes(b.p, b.len, &back);
	ck_assert(!back.data_nil && back.data_len == 0 && !back.ext_nil);
	mp_buf_free(&b);
}
END_TEST

START_TEST(data_65536_and_index_2_63)
{
	static const char head[] =
	    "86aa417070656e6465644174af01000000000000000000000000ffffa4446174"
	    "61db00010000";
	static const char tail[] = "aa457874656e73696f6e73c0a5496e646578cf8000000000000000a4546572"
	                           "6d01a45479706500";
	struct rs_log l = base_log(), back;
	uint8_t *zeros = calloc(1, 65536);
	struct mp_buf b = {0};
	char *hex;

	l.index = UINT64_C(1) << 63;
	l.data = zeros;
	l.data_len = 65536;
	encode_or_fail(&l, &b);
	ck_assert_uint_eq(b.len, 65613);
	hex = fx_hex(b.p, b.len);
	ck_assert(strncmp(hex, head, strlen(head)) == 0);
	ck_assert_str_eq(hex + strlen(hex) - strlen(tail), tail);
	assert_reencodes(b.p, b.len, &back);
	ck_assert_ptr_eq(back.data, b.p + strlen(head) / 2); /* zero copy */
	free(hex);
	free(zeros);
	mp_buf_free(&b);
}
END_TEST

/* rs_log_peek_data finds Data where the full decode does, from any prefix
 * long enough to hold its header, for every raw width, nil and empty Data,
 * with and without AppendedAt; a prefix that is too short or not the
 * canonical layout says -1, never a wrong place. */
START_TEST(peek_data_agrees_with_decode)
{
	static const size_t lens[] = {0, 1, 31, 32, 255, 256, 65535, 65536, 70000};
	uint8_t *data = calloc(1, 70000);

	for (int nil = 0; nil <= 1; nil++) {
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			for (int appended = 0; appended <= 1; appended++) {
				struct rs_log l = base_log(), back;
				struct mp_buf b = {0};
				struct rs_err err = {0};
				size_t off = 0, len = 0, used = 0;

				if (nil && i > 0)
					continue;
				l.data_nil = nil;
				l.data = nil ? NULL : data;
				l.data_len = nil ? 0 : lens[i];
				l.appended_at_present = appended;
				encode_or_fail(&l, &b);
				ck_assert_int_eq(rs_log_decode(b.p, b.len, &back, &err), RS_OK);
				for (size_t avail = 1; avail <= b.len && avail <= 64; avail++) {
					if (rs_log_peek_data(b.p, avail, b.len, &off, &len) != 0)
						continue;
					ck_assert_uint_eq(len, back.data_len);
					if (back.data != NULL)
						ck_assert_ptr_eq(b.p + off, back.data);
					used++;
				}
				ck_assert_uint_gt(used, 0); /* 64 bytes always hold the header */
				/* the same bytes under a total that cannot hold Data */
				if (lens[i] > 0 && !nil)
					ck_assert_int_eq(
					    rs_log_peek_data(b.p, 40, off + len - 1, &off, &len),
					    -1);
				b.p[0] = 0x87; /* not the canonical map */
				ck_assert_int_eq(rs_log_peek_data(b.p, b.len, b.len, &off, &len),
				                 -1);
				mp_buf_free(&b);
			}
		}
	}
	free(data);
}
END_TEST

START_TEST(appended_at_marshal_binary_forms)
{
	cJSON *j = fx_json("OCI_TESTDATA", "msgpack/encode-demo.json");
	static const char *const keys[] = {"time_marshalbinary_fixed_utc",
	                                   "time_marshalbinary_local", "time_marshalbinary_zero"};
	struct rs_time t[3] = {
	    {.sec = 0x0edd257425, .nsec = 123456789, .utc = 1},
	    {.sec = 0x0edd257425, .nsec = 123456789, .offset_min = 0},
	    {.utc = 1},
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		struct rs_log l = base_log();
		struct mp_buf b = {0};
		uint8_t *want;
		size_t n = fx_unhex(cJSON_GetObjectItem(j, keys[i])->valuestring, &want);

		l.appended_at = t[i];
		l.appended_at_present = 1;
		encode_or_fail(&l, &b);
		ck_assert_uint_eq(n, 15);
		ck_assert_uint_eq(b.p[12], 0xaf);
		ck_assert(memcmp(b.p + 13, want, 15) == 0);
		free(want);
		mp_buf_free(&b);
	}
	{
		/* +01:00:30 -> version 2, 16 bytes */
		struct rs_log l = base_log(), back;
		struct mp_buf b = {0};
		char s[64];

		l.appended_at = (struct rs_time){
		    .sec = 0x0edd257425, .nsec = 123456789, .offset_min = 60, .offset_sec = 30};
		l.appended_at_present = 1;
		encode_or_fail(&l, &b);
		ck_assert_uint_eq(b.p[12], 0xb0);
		ck_assert_uint_eq(b.p[13], 2);
		ck_assert_uint_eq(b.p[28], 30);
		assert_reencodes(b.p, b.len, &back);
		ck_assert_int_eq(back.appended_at.offset_min, 60);
		ck_assert_int_eq(back.appended_at.offset_sec, 30);
		l.appended_at.offset_sec = 0;
		l.appended_at.offset_min = 0;
		l.appended_at.utc = 1;
		fx_time_str(&l.appended_at, s, sizeof(s));
		ck_assert_str_eq(s, "2024-01-02T03:04:05.123456789Z");
		mp_buf_free(&b);
	}
	cJSON_Delete(j);
}
END_TEST

/* Parses the table's "ok: Index=.. Term=.. Type=.. Data=".." Ext(nil=..,len=..)
 * AppendedAt=.. zero=.." and compares. */
static void check_result(const char *want, const struct rs_log *l)
{
	unsigned long long idx, term, type;
	char data[64], extnil[8], at[64], zero[8], got_at[64];
	unsigned extlen;

	ck_assert_int_eq(sscanf(want,
	                        "ok: Index=%llu Term=%llu Type=%llu Data=\"%63[^\"]\" "
	                        "Ext(nil=%7[a-z],len=%u) AppendedAt=%63s zero=%7s",
	                        &idx, &term, &type, data, extnil, &extlen, at, zero),
	                 8);
	ck_assert_uint_eq(l->index, idx);
	ck_assert_uint_eq(l->term, term);
	ck_assert_uint_eq(l->type, type);
	ck_assert_uint_eq(l->data_len, strlen(data));
	ck_assert(memcmp(l->data, data, l->data_len) == 0);
	ck_assert_int_eq(l->ext_nil, strcmp(extnil, "true") == 0);
	ck_assert_uint_eq(l->ext_len, extlen);
	fx_time_str(&l->appended_at, got_at, sizeof(got_at));
	ck_assert_str_eq(got_at, at);
	ck_assert_int_eq(fx_time_is_zero(&l->appended_at), strcmp(zero, "true") == 0);
}

START_TEST(decode_tolerance_table)
{
	cJSON *j = fx_json("OCI_TESTDATA", "msgpack/encode-demo.json"), *e;
	int seen = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "decode_tolerance"))
	{
		const char *name = cJSON_GetObjectItem(e, "case")->valuestring;
		const char *want = cJSON_GetObjectItem(e, "result")->valuestring;
		struct rs_err err = {0};
		struct rs_log l;
		uint8_t *raw;
		size_t n = fx_unhex(cJSON_GetObjectItem(e, "raw_hex")->valuestring, &raw);
		int rc = rs_log_decode(raw, n, &l, &err);

		if (strncmp(want, "ok:", 3) == 0) {
			ck_assert_msg(rc == RS_OK, "%s: %s", name, err.msg);
			check_result(want, &l);
		} else {
			ck_assert_msg(rc == RS_ECORRUPT, "%s: accepted", name);
			ck_assert(strlen(err.msg) > 0);
		}
		free(raw);
		seen++;
	}
	ck_assert_int_eq(seen, 11);
	cJSON_Delete(j);
}
END_TEST

START_TEST(new_time_format_entries)
{
	cJSON *j = fx_json("OCI_TESTDATA", "msgpack/encode-demo.json");
	cJSON *arr = cJSON_GetObjectItem(j, "store_new_time_format");
	struct rs_err err = {0};
	struct rs_log l;
	uint8_t *raw;
	size_t n;
	char s[64];

	/* zero time written as nil */
	n = fx_unhex(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "raw_hex")->valuestring, &raw);
	ck_assert_msg(rs_log_decode(raw, n, &l, &err) == RS_OK, "%s", err.msg);
	ck_assert(!l.appended_at_present);
	ck_assert(fx_time_is_zero(&l.appended_at));
	ck_assert_uint_eq(l.type, RS_LOG_CONFIGURATION);
	free(raw);
	/* 8-byte timestamp payload in a fixstr (a8) */
	n = fx_unhex(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "raw_hex")->valuestring, &raw);
	ck_assert_msg(rs_log_decode(raw, n, &l, &err) == RS_OK, "%s", err.msg);
	ck_assert(l.appended_at_present);
	fx_time_str(&l.appended_at, s, sizeof(s));
	ck_assert_str_eq(s, "2024-01-02T03:04:05.123456789Z");
	free(raw);
	cJSON_Delete(j);
}
END_TEST

static void build_gen_config(cJSON *argv, struct rs_config *c, uint64_t *term)
{
	const char *nodes = NULL, *ids = NULL;
	char *na, *ia, *sp1, *sp2, *a, *b;
	int i, k;

	for (i = 0; i < cJSON_GetArraySize(argv); i++) {
		const char *v = cJSON_GetArrayItem(argv, i)->valuestring;

		if (strcmp(v, "--nodes") == 0)
			nodes = cJSON_GetArrayItem(argv, i + 1)->valuestring;
		else if (strcmp(v, "--server-ids") == 0)
			ids = cJSON_GetArrayItem(argv, i + 1)->valuestring;
		else if (strcmp(v, "--initial-term") == 0)
			*term = strtoull(cJSON_GetArrayItem(argv, i + 1)->valuestring, NULL, 10);
	}
	ck_assert(nodes && ids);
	c->servers = calloc(64, sizeof(*c->servers));
	c->n = 0;
	na = strdup(nodes);
	ia = strdup(ids);
	for (a = strtok_r(na, ",", &sp1), b = strtok_r(ia, ",", &sp2), k = 0; a && b;
	     a = strtok_r(NULL, ",", &sp1), b = strtok_r(NULL, ",", &sp2), k++) {
		c->servers[k].address = strdup(a);
		c->servers[k].address_len = strlen(a);
		c->servers[k].id = strdup(b);
		c->servers[k].id_len = strlen(b);
		c->n++;
	}
	free(na);
	free(ia);
}

/* gen/<case>: entry 1 = LogConfiguration built from the case's servers. */
START_TEST(gen_entry_one_exact_bytes)
{
	static const char *const cases[] = {"one", "three", "five", "thirteen", "seventeen"};
	size_t i;

	for (i = 0; i < 5; i++) {
		char rel[128];
		cJSON *argv, *dump, *entry;
		struct rs_config c = {0}, back;
		struct mp_buf data = {0}, out = {0};
		struct rs_log l = base_log(), dec;
		struct rs_err err = {0};
		uint64_t term = 0;
		uint8_t *raw;
		size_t n, k;

		snprintf(rel, sizeof(rel), "gen-dumps/%s.argv.json", cases[i]);
		argv = fx_json("OCI_TESTDATA", rel);
		snprintf(rel, sizeof(rel), "gen-dumps/%s-sequencer-1.dump.json", cases[i]);
		dump = fx_json("OCI_TESTDATA", rel);
		entry = cJSON_GetArrayItem(
		    cJSON_GetObjectItem(
		        cJSON_GetObjectItem(
		            cJSON_GetObjectItem(cJSON_GetObjectItem(dump, "files"), "raft-log.db"),
		            "logs"),
		        "entries"),
		    0);
		n = fx_unhex(cJSON_GetObjectItem(entry, "raw_hex")->valuestring, &raw);

		build_gen_config(argv, &c, &term);
		ck_assert_int_eq(rs_config_encode(&c, &data, &err), RS_OK);
		l.term = term;
		l.type = RS_LOG_CONFIGURATION;
		l.data = data.p;
		l.data_len = data.len;
		encode_or_fail(&l, &out);
		ck_assert_msg(out.len == n && memcmp(out.p, raw, n) == 0, "%s: bytes differ",
		              cases[i]);

		ck_assert_int_eq(rs_log_decode(raw, n, &dec, &err), RS_OK);
		ck_assert_uint_eq(dec.index, 1);
		ck_assert_uint_eq(dec.term, term);
		ck_assert_uint_eq(dec.type, RS_LOG_CONFIGURATION);
		ck_assert(!dec.appended_at_present || fx_time_is_zero(&dec.appended_at));
		ck_assert_uint_eq(dec.data_len,
		                  (size_t)cJSON_GetObjectItem(entry, "data_len")->valuedouble);
		ck_assert_int_eq(rs_config_decode(dec.data, dec.data_len, &back, &err), RS_OK);
		ck_assert_uint_eq(back.n, c.n);
		for (k = 0; k < c.n; k++) {
			ck_assert_str_eq(back.servers[k].id, c.servers[k].id);
			ck_assert_str_eq(back.servers[k].address, c.servers[k].address);
			ck_assert_uint_eq(back.servers[k].suffrage, RS_VOTER);
		}
		rs_config_free(&back);
		rs_config_free(&c);
		mp_buf_free(&data);
		mp_buf_free(&out);
		free(raw);
		cJSON_Delete(argv);
		cJSON_Delete(dump);
	}
}
END_TEST

/* lived/three: entries written by real raft (Local zone, offset 00 00). */
START_TEST(lived_entries_decode_like_raft_boltdb)
{
	int node, checked = 0;

	for (node = 1; node <= 3; node++) {
		char rel[128];
		cJSON *dump, *e;

		snprintf(rel, sizeof(rel), "vectors/lived/three/sequencer-%d.dump.json", node);
		char *probe = fx_read("OCI_SHARED", rel, NULL);

		if (probe == NULL)
			continue; /* shared/ not present: nothing to compare with */
		free(probe);
		dump = fx_json("OCI_SHARED", rel);
		cJSON_ArrayForEach(
		    e,
		    cJSON_GetObjectItem(
		        cJSON_GetObjectItem(
		            cJSON_GetObjectItem(cJSON_GetObjectItem(dump, "files"), "raft-log.db"),
		            "logs"),
		        "entries"))
		{
			cJSON *rh = cJSON_GetObjectItem(e, "raw_hex");
			struct rs_log l;
			uint8_t *raw;
			size_t n;
			char at[64];

			if (!cJSON_IsString(rh) || rh->valuestring[0] == '\0')
				continue;
			n = fx_unhex(rh->valuestring, &raw);
			assert_reencodes(raw, n, &l);
			ck_assert_uint_eq(l.index,
			                  (uint64_t)cJSON_GetObjectItem(e, "index")->valuedouble);
			ck_assert_uint_eq(l.term,
			                  (uint64_t)cJSON_GetObjectItem(e, "term")->valuedouble);
			ck_assert_uint_eq(l.type,
			                  (uint64_t)cJSON_GetObjectItem(e, "type")->valuedouble);
			ck_assert_str_eq(rs_log_type_name(l.type),
			                 cJSON_GetObjectItem(e, "type_name")->valuestring);
			ck_assert_uint_eq(l.data_len,
			                  (size_t)cJSON_GetObjectItem(e, "data_len")->valuedouble);
			ck_assert_int_eq(l.data_nil,
			                 cJSON_IsTrue(cJSON_GetObjectItem(e, "data_nil")));
			ck_assert_int_eq(l.ext_nil,
			                 cJSON_IsTrue(cJSON_GetObjectItem(e, "extensions_nil")));
			ck_assert(l.appended_at_present);
			ck_assert(!l.appended_at.utc); /* Local, offset 0 */
			ck_assert_int_eq(l.appended_at.offset_min, 0);
			fx_time_str(&l.appended_at, at, sizeof(at));
			ck_assert_str_eq(at, cJSON_GetObjectItem(e, "appended_at")->valuestring);
			free(raw);
			checked++;
		}
		cJSON_Delete(dump);
	}
	if (getenv("OCI_SHARED") != NULL)
		ck_assert_int_gt(checked, 100);
}
END_TEST

static size_t gen_three(uint8_t **raw)
{
	cJSON *dump = fx_json("OCI_TESTDATA", "gen-dumps/three-sequencer-1.dump.json");
	cJSON *entry = cJSON_GetArrayItem(
	    cJSON_GetObjectItem(
	        cJSON_GetObjectItem(
	            cJSON_GetObjectItem(cJSON_GetObjectItem(dump, "files"), "raft-log.db"), "logs"),
	        "entries"),
	    0);
	size_t n = fx_unhex(cJSON_GetObjectItem(entry, "raw_hex")->valuestring, raw);

	cJSON_Delete(dump);
	return n;
}

START_TEST(truncated_at_every_offset_is_corrupt)
{
	uint8_t *raw;
	size_t n = gen_three(&raw), cut;

	for (cut = 0; cut < n; cut++) {
		/* a private copy, so ASan sees any read past `cut` */
		uint8_t *p = malloc(cut ? cut : 1);
		struct rs_err err = {0};
		struct rs_log l;

		memcpy(p, raw, cut);
		ck_assert_msg(rs_log_decode(p, cut, &l, &err) == RS_ECORRUPT, "cut %zu accepted",
		              cut);
		ck_assert(strlen(err.msg) > 0);
		ck_assert_msg(rs_log_decode_header(p, cut, &l, &err) == RS_ECORRUPT,
		              "header: cut %zu accepted", cut);
		free(p);
	}
	free(raw);
}
END_TEST

START_TEST(trailing_bytes_and_prefix_decode)
{
	uint8_t *raw, *p;
	size_t n = gen_three(&raw), used = 0;
	struct rs_err err = {0};
	struct rs_log l;

	p = malloc(n + 1);
	memcpy(p, raw, n);
	p[n] = 0x00;
	ck_assert_int_eq(rs_log_decode(p, n + 1, &l, &err), RS_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "trailing") != NULL, "%s", err.msg);
	ck_assert_int_eq(rs_log_decode_prefix(p, n + 1, &l, &used, &err), RS_OK);
	ck_assert_uint_eq(used, n);
	ck_assert_uint_eq(l.type, RS_LOG_CONFIGURATION);
	/* the corrupt/e case: first byte 0x86 -> 0xc1 */
	p[0] = 0xc1;
	ck_assert_int_eq(rs_log_decode(p, n, &l, &err), RS_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "0xc1") != NULL && strstr(err.msg, "offset 0") != NULL, "%s",
	              err.msg);
	free(p);
	free(raw);
}
END_TEST

struct lenient_case {
	const char *name, *hex;
	int rc;
	uint64_t index, term, type;
	const char *data; /* NULL: nil */
};

START_TEST(lenient_and_rejected_forms)
{
	/* zero AppendedAt as MarshalBinary, for building cases */
#define AT0 "aa417070656e6465644174af01000000000000000000000000ffff"
#define AK  "81aa417070656e6465644174"
	static const struct lenient_case c[] = {
	    {"top-level nil = zero Log", "c0", RS_OK, 0, 0, 0, NULL},
	    {"empty map", "80", RS_OK, 0, 0, 0, NULL},
	    {"empty array", "90", RS_OK, 0, 0, 0, NULL},
	    {"map16 header", "de0001a5496e64657805", RS_OK, 5, 0, 0, NULL},
	    {"short array", "920203", RS_OK, 2, 3, 0, NULL},
	    {"long array, extras skipped", "970203c0a26869c0c0a3666f6f", RS_OK, 2, 3, 0, "hi"},
	    {"Index as int64 d3", "81a5496e646578d30000000000000009", RS_OK, 9, 0, 0, NULL},
	    {"Index as int8 d0", "81a5496e646578d009", RS_OK, 9, 0, 0, NULL},
	    {"Index negative", "81a5496e646578ff", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"Index d0 negative", "81a5496e646578d0ff", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"Index nil", "81a5496e646578c0", RS_OK, 0, 0, 0, NULL},
	    {"Index as string", "81a5496e646578a131", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"Index as float", "81a5496e646578cb3ff0000000000000", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"Type 255", "81a454797065ccff", RS_OK, 0, 0, 255, NULL},
	    {"Type 256 overflows uint8", "81a454797065cd0100", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"key lower case is unknown", "82a5696e64657805a5496e64657806", RS_OK, 6, 0, 0, NULL},
	    {"key as bin", "81c405496e64657807", RS_OK, 7, 0, 0, NULL},
	    {"key as str8", "81d905496e64657807", RS_OK, 7, 0, 0, NULL},
	    /* go-msgpack/v2 fails on a nil or empty key (tests/interop/diff_msgpack.sh) */
	    {"key nil fails", "82c00aa5496e64657807", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"key empty fixstr fails", "82a00aa5496e64657807", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"key empty bin fails", "82c4000aa5496e64657807", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"key empty array fails", "82900aa5496e64657807", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"key as byte array", "8195496e64657808", RS_OK, 8, 0, 0, NULL},
	    {"key as int is corrupt", "810105", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"repeated key: last wins", "82a5496e64657801a5496e64657802", RS_OK, 2, 0, 0, NULL},
	    {"Data as bin16", "81a444617461c500026869", RS_OK, 0, 0, 0, "hi"},
	    {"Data as bin32", "81a444617461c6000000026869", RS_OK, 0, 0, 0, "hi"},
	    {"Data as str32", "81a444617461db000000026869", RS_OK, 0, 0, 0, "hi"},
	    {"Data as fixint array", "81a444617461926869", RS_OK, 0, 0, 0, "hi"},
	    {"Data as wide-int array", "81a44461746192cc6869", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"Data as int", "81a44461746105", RS_ECORRUPT, 0, 0, 0, NULL},
	    /* a map into []byte: its keys and values in turn (go-msgpack/v2) */
	    {"Data as empty map", "81a44461746180", RS_OK, 0, 0, 0, ""},
	    {"Data as fixint map", "81a444617461816869", RS_OK, 0, 0, 0, "hi"},
	    {"Data as wide-int map", "81a44461746181cc6869", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"unknown key with nested value", "82a3466f6f92810180c3a5496e64657803", RS_OK, 3, 0, 0,
	     NULL},
	    {"unknown key with ext", "82a3466f6fc702050102a5496e64657803", RS_OK, 3, 0, 0, NULL},
	    {"unknown key with c1", "82a3466f6fc1a5496e64657803", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"AppendedAt ts64 ext", AK "d7ff1d6f345465937d25", RS_OK, 0, 0, 0, NULL},
	    {"AppendedAt ts96 ext", AK "c70cff075bcd150000000065937d25", RS_OK, 0, 0, 0, NULL},
	    {"AppendedAt ts32 as bin", AK "c40465937d85", RS_OK, 0, 0, 0, NULL},
	    /* go-msgpack/v2 tries time.MarshalBinary only in a fixstr */
	    {"AppendedAt MarshalBinary as bin8", AK "c40f01000000000000000000000000ffff",
	     RS_ECORRUPT, 0, 0, 0, NULL},
	    {"AppendedAt MarshalBinary as str8", AK "d90f01000000000000000000000000ffff",
	     RS_ECORRUPT, 0, 0, 0, NULL},
	    {"AppendedAt ts64 as str8", AK "d9081d6f345465937d25", RS_OK, 0, 0, 0, NULL},
	    {"AppendedAt ext wrong type", AK "d6fe65937d85", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"AppendedAt ext8 len 4", AK "c704ff65937d85", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"AppendedAt fixext16", AK "d8ff00000000000000000000000000000000", RS_ECORRUPT, 0, 0, 0,
	     NULL},
	    {"AppendedAt 5-byte string", AK "a50102030405", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"AppendedAt version 3", AK "af03000000000000000000000000ffff", RS_ECORRUPT, 0, 0, 0,
	     NULL},
	    {"AppendedAt int", AK "05", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"map claims 4G entries", "df ffffffff a5496e64657801", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"Data claims 4G bytes", "81a444617461dbffffffff6869", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"string top level", "a3616263", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"int top level", "01", RS_ECORRUPT, 0, 0, 0, NULL},
	    {"empty input", "", RS_ECORRUPT, 0, 0, 0, NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct rs_err err = {0};
		struct rs_log l;
		uint8_t *raw;
		size_t n = fx_unhex(c[i].hex, &raw);
		int rc = rs_log_decode(raw, n, &l, &err);

		ck_assert_msg(rc == c[i].rc, "%s: rc %d (%s)", c[i].name, rc, err.msg);
		if (rc == RS_OK) {
			ck_assert_msg(l.index == c[i].index && l.term == c[i].term &&
			                  l.type == c[i].type,
			              "%s: fields", c[i].name);
			if (c[i].data == NULL) {
				ck_assert_msg(l.data_nil, "%s: data not nil", c[i].name);
			} else {
				ck_assert_uint_eq(l.data_len, strlen(c[i].data));
				ck_assert(memcmp(l.data, c[i].data, l.data_len) == 0);
			}
		} else {
			ck_assert(strlen(err.msg) > 0);
		}
		free(raw);
	}
#undef AT0
#undef AK
}
END_TEST

START_TEST(appended_at_extension_values)
{
	static const struct {
		const char *hex, *want;
	} c[] = {
	    {"d6ff65937d85", "2024-01-02T03:05:41Z"},
	    {"d7ff1d6f345465937d25", "2024-01-02T03:04:05.123456789Z"},
	    {"c70cff075bcd150000000065937d25", "2024-01-02T03:04:05.123456789Z"},
	    {"c70cff00000000ffffffffffffffff", "1969-12-31T23:59:59Z"},
	    /* nanoseconds of 1e9 and more carry into the seconds, as Go's
	     * time.Unix does (go-msgpack/v2 decodeTime): 30 bits of 2^30-1 in
	     * the 8-byte form, 32 bits of 2^32-1 in the 12-byte form */
	    {"d7fffffffffc65937d25", "2024-01-02T03:04:06.073741823Z"},
	    {"c70cffffffffff0000000065937d25", "2024-01-02T03:04:09.294967295Z"},
	    {"a8fffffffc65937d25", "2024-01-02T03:04:06.073741823Z"},
	    {"c40cffffffff0000000065937d25", "2024-01-02T03:04:09.294967295Z"},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char hex[256], s[64];
		struct rs_log l;
		struct rs_err err = {0};
		uint8_t *raw;
		size_t n;

		snprintf(hex, sizeof(hex), "81aa417070656e6465644174%s", c[i].hex);
		n = fx_unhex(hex, &raw);
		ck_assert_msg(rs_log_decode(raw, n, &l, &err) == RS_OK, "%s", err.msg);
		ck_assert(l.appended_at_present && l.appended_at.utc);
		fx_time_str(&l.appended_at, s, sizeof(s));
		ck_assert_str_eq(s, c[i].want);
		free(raw);
	}
}
END_TEST

/* time.MarshalBinary bytes that time.MarshalBinary never writes read as Go's
 * UnmarshalBinary makes them (values printed by go-msgpack/v2 through the
 * interop harness's msgpack-decode): nanoseconds outside [0, 1e9) land in the
 * 30-bit field of Go's wall word, a negative one sets its monotonic bit, and the
 * version-2 seconds byte is added unsigned. */
START_TEST(appended_at_marshal_binary_as_go_reads_it)
{
	static const struct {
		const char *hex;
		int64_t sec;
		int32_t nsec;
		int offset;
	} c[] = {
	    {"af0100000000000000004400000000ff", 0, 67108864, 15300},
	    {"af010000000000000001ffffffffffff", 68043243391, 1073741823, 0},
	    {"b0020000000000000001000000000ff4e7", 1, 0, 245271},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char hex[256];
		struct rs_log l;
		struct rs_err err = {0};
		uint8_t *raw;
		size_t n;

		snprintf(hex, sizeof(hex), "81aa417070656e6465644174%s", c[i].hex);
		n = fx_unhex(hex, &raw);
		ck_assert_msg(rs_log_decode(raw, n, &l, &err) == RS_OK, "%s", err.msg);
		ck_assert(l.appended_at_present);
		ck_assert_int_eq(l.appended_at.sec, c[i].sec);
		ck_assert_int_eq(l.appended_at.nsec, c[i].nsec);
		ck_assert_int_eq(l.appended_at.utc
		                     ? 0
		                     : l.appended_at.offset_min * 60 + l.appended_at.offset_sec,
		                 c[i].offset);
		free(raw);
	}
}
END_TEST

START_TEST(nesting_bomb_in_unknown_key_is_bounded)
{
	size_t n = 10u * 1000 * 1000;
	uint8_t *p = malloc(n);
	struct rs_err err = {0};
	struct rs_log l;

	ck_assert_ptr_nonnull(p);
	memset(p, 0x91, n);
	memcpy(p,
	       "\x81\xa3"
	       "Foo",
	       5);
	ck_assert_int_eq(rs_log_decode(p, n, &l, &err), RS_ELIMIT);
	memcpy(p, "\x96", 1); /* array form: bomb in Index position */
	ck_assert_int_eq(rs_log_decode(p, n, &l, &err), RS_ECORRUPT);
	free(p);
}
END_TEST

/* A tiny deterministic generator for round-trip cases. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random Index, Term (every integer width), Data (nil, short up to
 * `small` bytes, or up to 70000) and Extensions; buf holds 70000 bytes. */
static void random_fields(struct rs_log *l, uint64_t *s, uint8_t *buf, uint64_t small)
{
	static const uint64_t widths[] = {0x7f, 0xff, 0xffff, 0xffffffff, UINT64_MAX};

	l->index = rnd(s) & widths[rnd(s) % 5];
	l->term = rnd(s) & widths[rnd(s) % 5];
	l->data_nil = rnd(s) % 5 == 0;
	l->data_len = l->data_nil ? 0 : (size_t)(rnd(s) % 4 == 0 ? rnd(s) % 70000 : rnd(s) % small);
	for (size_t k = 0; k < l->data_len; k++)
		buf[k] = (uint8_t)rnd(s);
	l->data = l->data_nil ? NULL : buf;
	l->ext_nil = rnd(s) % 2;
	l->ext = l->ext_nil ? NULL : buf;
	l->ext_len = l->ext_nil ? 0 : (size_t)(rnd(s) % 40);
}

START_TEST(roundtrip_decode_encode_random)
{
	uint8_t *buf = malloc(70000);
	uint64_t s = 0x9e3779b97f4a7c15u;
	int it;

	for (it = 0; it < 2000; it++) {
		struct rs_log l = base_log(), back;
		struct mp_buf b = {0};
		struct rs_err err = {0};

		random_fields(&l, &s, buf, 300);
		l.type = rnd(&s) % 6;
		l.appended_at_present = 1;
		l.appended_at.sec = (int64_t)(rnd(&s) >> 2);
		l.appended_at.nsec = (int32_t)(rnd(&s) % 1000000000);
		l.appended_at.utc = rnd(&s) % 2;
		l.appended_at.offset_min = l.appended_at.utc ? 0 : (int16_t)(rnd(&s) % 1500 - 750);
		l.appended_at.offset_sec =
		    l.appended_at.utc || rnd(&s) % 3 ? 0 : (int8_t)(rnd(&s) % 59 + 1);
		if (!l.appended_at.utc && l.appended_at.offset_min == -1 &&
		    l.appended_at.offset_sec == 0)
			l.appended_at.offset_min = 0;
		encode_or_fail(&l, &b);
		ck_assert_msg(rs_log_decode(b.p, b.len, &back, &err) == RS_OK, "%s", err.msg);
		ck_assert_uint_eq(back.index, l.index);
		ck_assert_uint_eq(back.term, l.term);
		ck_assert_uint_eq(back.type, l.type);
		ck_assert_int_eq(back.data_nil, l.data_nil);
		ck_assert_uint_eq(back.data_len, l.data_len);
		ck_assert(l.data_len == 0 || memcmp(back.data, l.data, l.data_len) == 0);
		ck_assert_int_eq(back.ext_nil, l.ext_nil);
		ck_assert_uint_eq(back.ext_len, l.ext_len);
		ck_assert(memcmp(&back.appended_at, &l.appended_at, sizeof(l.appended_at)) == 0);
		mp_buf_free(&b);
	}
	free(buf);
}
END_TEST

/* Two decodes of one value give the same fields (the byte fields' lengths
 * and nil-ness; where they point is the caller's to compare). */
static void assert_same_fields(const struct rs_log *a, const struct rs_log *b)
{
	ck_assert_uint_eq(a->index, b->index);
	ck_assert_uint_eq(a->term, b->term);
	ck_assert_uint_eq(a->type, b->type);
	ck_assert_uint_eq(a->data_len, b->data_len);
	ck_assert_int_eq(a->data_nil, b->data_nil);
	ck_assert_uint_eq(a->ext_len, b->ext_len);
	ck_assert_int_eq(a->ext_nil, b->ext_nil);
	ck_assert_int_eq(a->appended_at_present, b->appended_at_present);
	ck_assert(memcmp(&a->appended_at, &b->appended_at, sizeof(a->appended_at)) == 0);
}

/* The fast path of rs_log_decode_prefix and rs_log_decode (each its own
 * copy) against the general decoder: same verdict, same fields, same
 * pointers. It does not clear *out first, so *out starts as garbage here:
 * every field must be set by the decode. */
static void assert_same_as_general(const uint8_t *p, size_t n)
{
	struct rs_log a, b, c;
	struct rs_err err;
	size_t ua = 0, ub = 0;
	int ra, rb, rc;

	memset(&a, 0xa5, sizeof(a));
	memset(&c, 0x5a, sizeof(c));
	ra = rs_log_decode_prefix(p, n, &a, &ua, &err);
	rb = rs_log_decode_prefix_general(p, n, &b, &ub, &err);
	rc = rs_log_decode(p, n, &c, &err);
	ck_assert_int_eq(ra == RS_OK, rb == RS_OK);
	ck_assert_int_eq(rc == RS_OK, rb == RS_OK && ub == n);
	if (ra != RS_OK)
		return;
	ck_assert_uint_eq(ua, ub);
	assert_same_fields(&a, &b);
	ck_assert_ptr_eq(a.data, b.data);
	ck_assert_ptr_eq(a.ext, b.ext);
	if (rc == RS_OK) {
		assert_same_fields(&c, &b);
		ck_assert_ptr_eq(c.data, b.data);
		ck_assert_ptr_eq(c.ext, b.ext);
	}
}

START_TEST(fast_path_agrees_with_general_decoder)
{
	static const uint8_t probes[] = {0x00, 0x01, 0x7f, 0x80, 0x85, 0x86, 0xa0, 0xa4,
	                                 0xaa, 0xaf, 0xb0, 0xc0, 0xc4, 0xcc, 0xcd, 0xce,
	                                 0xcf, 0xd0, 0xd9, 0xda, 0xdb, 0xdc, 0xff};
	uint8_t *buf = malloc(70000), *v5 = malloc(70100);
	uint64_t s = 0x2545f4914f6cdd1du;

	for (int it = 0; it < 200; it++) {
		struct rs_log l = base_log();
		struct mp_buf b = {0};
		size_t k, n5, skip;

		random_fields(&l, &s, buf, 70);
		l.type = rnd(&s) % 7;
		l.appended_at_present = rnd(&s) % 4 != 0;
		l.appended_at.sec = (int64_t)(rnd(&s) >> 2);
		l.appended_at.utc = rnd(&s) % 2;
		l.appended_at.offset_min = l.appended_at.utc ? 0 : 60;
		l.appended_at.offset_sec = l.appended_at.utc || rnd(&s) % 2 ? 0 : 7;
		encode_or_fail(&l, &b);
		assert_same_as_general(b.p, b.len);
		/* every byte of the head and of the tail, replaced by each probe */
		for (k = 0; k < b.len; k++) {
			uint8_t keep = b.p[k];

			if (k >= 48 && k + 48 < b.len)
				continue;
			for (size_t q = 0; q < sizeof(probes); q++) {
				b.p[k] = probes[q];
				assert_same_as_general(b.p, b.len);
				assert_same_as_general(b.p, k + 1);
			}
			b.p[k] = keep;
		}
		/* the five-field form of raft before AppendedAt existed: 85, no
		 * AppendedAt key and value (86 aa "AppendedAt" then af/b0 + body) */
		skip = 1 + 11 + (b.p[12] == 0xaf ? 16 : 17);
		ck_assert_uint_eq(b.p[12] == 0xaf || b.p[12] == 0xb0, 1);
		v5[0] = 0x85;
		memcpy(v5 + 1, b.p + skip, b.len - skip);
		n5 = 1 + b.len - skip;
		assert_same_as_general(v5, n5);
		for (k = 0; k < n5; k += 1 + (n5 > 200 ? n5 / 97 : 0))
			assert_same_as_general(v5, k);
		/* AppendedAt as nil (c0): 86 aa "AppendedAt" c0, then the rest */
		memcpy(v5, b.p, 12);
		v5[12] = 0xc0;
		memcpy(v5 + 13, b.p + skip, b.len - skip);
		assert_same_as_general(v5, 13 + b.len - skip);
		mp_buf_free(&b);
	}
	free(buf);
	free(v5);
}
END_TEST

/* rs_log_decode_split of p's first h and last t bytes (each copied to a
 * buffer of exactly that size, so that ASan sees a read past it) either
 * declines or gives what rs_log_decode gives of all n bytes. Returns 1 when
 * it decided. */
static int split_agrees(const uint8_t *p, size_t n, size_t h, size_t t)
{
	uint8_t *head = malloc(h ? h : 1), *tail = malloc(t ? t : 1);
	struct rs_log a, b;
	struct rs_err err;
	int ra = rs_log_decode(p, n, &a, &err), rb;

	memcpy(head, p, h);
	memcpy(tail, p + n - t, t);
	rb = rs_log_decode_split(head, h, tail, t, n, &b);
	if (rb == 0) {
		ck_assert_int_eq(ra, RS_OK);
		assert_same_fields(&a, &b);
		if (!a.data_nil)
			ck_assert_uint_eq((size_t)(a.data - p), (size_t)(b.data - head));
	}
	free(head);
	free(tail);
	return rb == 0;
}

/* The fast scan's decoder (info, summary.c) from a value's two ends: never
 * an answer rs_log_decode would not give, on canonical values of every
 * size with every split of head and tail, and on their bytes changed one at
 * a time; and it does decide when the head holds the msgpack up to Data and
 * the tail everything after it. */
START_TEST(split_decode_agrees_with_decode)
{
	static const size_t lens[] = {0, 1, 31, 200, 5000};
	static const uint8_t probes[] = {0x00, 0x7f, 0x85, 0x86, 0xa0,
	                                 0xa4, 0xc0, 0xcc, 0xcf, 0xff};
	uint8_t *data = calloc(1, 5000);
	uint64_t s = 0x9e3779b97f4a7c15u;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (int it = 0; it < 6; it++) {
			struct rs_log l = base_log();
			struct mp_buf b = {0};
			size_t n, decided = 0;

			l.data_len = lens[i];
			l.data = data;
			l.data_nil = it == 5 && lens[i] == 0;
			l.type = rnd(&s) % 6;
			l.index = rnd(&s) >> (rnd(&s) % 64);
			l.term = rnd(&s) >> (rnd(&s) % 64);
			l.appended_at_present = it % 2;
			if (it == 3) {
				l.ext = data;
				l.ext_len = 9;
				l.ext_nil = 0;
			}
			encode_or_fail(&l, &b);
			n = b.len;
			for (size_t h = 0; h <= n && h <= 80; h++)
				for (size_t t = 0; t <= n && t <= 80; t++)
					decided += (size_t)split_agrees(b.p, n, h, t);
			/* 64 head bytes and 64 tail bytes decide any of these */
			if (n > 128)
				ck_assert_int_eq(split_agrees(b.p, n, 64, 64), 1);
			/* a byte after the value: rs_log_decode refuses it, so must this */
			{
				uint8_t *more = malloc(n + 1);

				memcpy(more, b.p, n);
				more[n] = 0xc0;
				for (size_t h = 0; h <= n + 1 && h <= 80; h += 8)
					ck_assert_int_eq(
					    split_agrees(more, n + 1, h, n + 1 < 64 ? n + 1 : 64),
					    0);
				free(more);
			}
			ck_assert_uint_gt(decided, 0);
			/* one byte of the head or of the tail changed */
			for (size_t k = 0; k < n; k++) {
				uint8_t keep = b.p[k];

				if (k >= 64 && k + 64 < n)
					continue;
				for (size_t q = 0; q < sizeof(probes); q++) {
					b.p[k] = probes[q];
					split_agrees(b.p, n, n < 64 ? n : 64, n < 64 ? 0 : 64);
					split_agrees(b.p, n, n < 48 ? n : 48, n < 48 ? n : 48);
				}
				b.p[k] = keep;
			}
			mp_buf_free(&b);
		}
	}
	free(data);
}
END_TEST

/* Index, Term and Type in every unsigned width, and Extensions in every
 * raw width, through the fast path: the fields come back, the general
 * decoder agrees, and so does the split decoder. A Type above 255 leaves the fast path and is
 * refused. */
START_TEST(fast_path_every_width)
{
	static const uint64_t nums[] = {
	    0, 127, 128, 255, 256, 65535, 65536, UINT32_MAX, UINT64_C(1) << 32, UINT64_MAX};
	static const size_t exts[] = {0, 31, 32, 65535, 65536};
	uint8_t *ext = calloc(1, 65536);

	ck_assert_ptr_nonnull(ext);
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		for (size_t e = 0; e < sizeof(exts) / sizeof(exts[0]); e++) {
			struct rs_log l = base_log(), back, split;
			struct mp_buf b = {0};
			struct rs_err err = {0};
			size_t n;

			l.index = nums[i];
			l.term = nums[sizeof(nums) / sizeof(nums[0]) - 1 - i];
			l.type = nums[i] <= 255 ? nums[i] : 5;
			l.ext = ext;
			l.ext_len = exts[e];
			l.ext_nil = 0;
			l.appended_at_present = (int)(e % 2);
			encode_or_fail(&l, &b);
			n = b.len;
			ck_assert_msg(rs_log_decode(b.p, n, &back, &err) == RS_OK, "%s", err.msg);
			ck_assert(back.index == l.index && back.term == l.term &&
			          back.type == l.type);
			ck_assert_uint_eq(back.ext_len, exts[e]);
			if (exts[e] > 0) /* zero copy: the bytes inside the value */
				ck_assert(back.ext > b.p && back.ext + exts[e] < b.p + n);
			assert_same_as_general(b.p, n);
			/* the whole value as head and as tail */
			ck_assert_int_eq(rs_log_decode_split(b.p, n, b.p, n, n, &split), 0);
			ck_assert(split.index == l.index && split.term == l.term &&
			          split.type == l.type && split.ext_len == exts[e]);
			mp_buf_free(&b);
		}
	}
	free(ext);
	/* Type 256 (cd 01 00): Go's LogType is a uint8 */
	{
		struct rs_log l = base_log(), back;
		struct mp_buf b = {0};
		struct rs_err err = {0};

		encode_or_fail(&l, &b);
		ck_assert_uint_eq(b.p[b.len - 1], 0x00); /* Type 0, last */
		b.p[b.len - 1] = 0xcd;
		mp_put_uint(&b, 0); /* room for two more bytes */
		mp_put_uint(&b, 0);
		b.p[b.len - 2] = 0x01;
		ck_assert_int_eq(rs_log_decode(b.p, b.len, &back, &err), RS_ECORRUPT);
		ck_assert_msg(strstr(err.msg, "Type") != NULL, "%s", err.msg);
		assert_same_as_general(b.p, b.len);
		mp_buf_free(&b);
	}
}
END_TEST

/* What the encoder cannot write and the decoder's messages without an
 * error struct. */
START_TEST(encode_refuses_spans_and_decode_without_err)
{
	static const uint8_t one = 1;
	static const uint8_t map_short[] = {0x81, 0xa4, 'D', 'a', 't', 'a', 0x82, 0x01, 0x02};
	struct rs_log l = base_log(), back;
	struct mp_buf b = {0};
	struct rs_err err = {0};

	l.data = &one;
	l.data_len = (size_t)UINT32_MAX + 1; /* refused before a byte is read */
	ck_assert_int_eq(rs_log_encode(&l, &b, &err), RS_EINVAL);
	ck_assert_msg(strstr(err.msg, "raft.Log Data is 4294967296 bytes") != NULL, "%s", err.msg);
	l.data_len = 1;
	l.ext = NULL;
	l.ext_nil = 0;
	l.ext_len = 2;
	ck_assert_int_eq(rs_log_encode(&l, &b, &err), RS_EINVAL);
	ck_assert_str_eq(err.msg, "raft.Log Extensions has length 2 but no bytes");
	ck_assert_uint_eq(b.len, 0);
	mp_buf_free(&b);
	/* a buffer that already failed: out of memory, named by the index */
	l = base_log();
	l.index = 42;
	b.oom = 1;
	ck_assert_int_eq(rs_log_encode(&l, &b, &err), RS_ENOMEM);
	ck_assert_str_eq(err.msg, "out of memory encoding raft.Log 42");
	mp_buf_free(&b);
	/* Data as a map that claims more pairs than there are bytes */
	ck_assert_int_eq(rs_log_decode(map_short, sizeof(map_short), &back, &err), RS_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "raft.Log Data: msgpack: map at offset 6 claims 2") != NULL,
	              "%s", err.msg);
	ck_assert_int_eq(rs_log_decode(map_short, sizeof(map_short), &back, NULL), RS_ECORRUPT);
	ck_assert_int_eq(rs_log_decode_prefix_general(map_short, 8, &back, NULL, NULL),
	                 RS_ECORRUPT);
}
END_TEST

START_TEST(encode_rejects_what_go_cannot_hold)
{
	struct rs_log l = base_log();
	struct mp_buf b = {0};
	struct rs_err err = {0};

	l.type = 256;
	ck_assert_int_eq(rs_log_encode(&l, &b, &err), RS_EINVAL);
	l.type = 0;
	l.data = NULL;
	l.data_len = 3;
	ck_assert_int_eq(rs_log_encode(&l, &b, &err), RS_EINVAL);
	mp_buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, type_names);
	tcase_add_test(tc, go_encoded_entries_roundtrip_byte_identical);
	tcase_add_test(tc, encode_boundaries_match_go);
	tcase_add_test(tc, nil_versus_empty_data);
	tcase_add_test(tc, data_65536_and_index_2_63);
	tcase_add_test(tc, appended_at_marshal_binary_forms);
	tcase_add_test(tc, decode_tolerance_table);
	tcase_add_test(tc, new_time_format_entries);
	tcase_add_test(tc, gen_entry_one_exact_bytes);
	tcase_add_test(tc, lived_entries_decode_like_raft_boltdb);
	tcase_add_test(tc, truncated_at_every_offset_is_corrupt);
	tcase_add_test(tc, trailing_bytes_and_prefix_decode);
	tcase_add_test(tc, lenient_and_rejected_forms);
	tcase_add_test(tc, appended_at_extension_values);
	tcase_add_test(tc, appended_at_marshal_binary_as_go_reads_it);
	tcase_add_test(tc, nesting_bomb_in_unknown_key_is_bounded);
	tcase_add_test(tc, roundtrip_decode_encode_random);
	tcase_add_test(tc, encode_rejects_what_go_cannot_hold);
	tcase_add_test(tc, fast_path_every_width);
	tcase_add_test(tc, encode_refuses_spans_and_decode_without_err);
	tcase_add_test(tc, fast_path_agrees_with_general_decoder);
	tcase_add_test(tc, peek_data_agrees_with_decode);
	tcase_add_test(tc, split_decode_agrees_with_decode);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
