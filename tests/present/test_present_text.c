/*
 * The text and JSON forms of values every command prints (present/): times
 * as Go wrote them (raft.Log's AppendedAt carries the zone of the writer's
 * clock: Go's Time.MarshalBinary keeps the offset in minutes, and version 2
 * adds a seconds byte for zones such as local mean time), names of log types
 * raft does not know, IDs that need quoting, and the rule that every string
 * of a --json document is UTF-8 (docs/json.md, "Bytes that are not UTF-8"):
 * a byte that starts no well-formed sequence (RFC 3629 table 3-7: no
 * overlong form, no surrogate, nothing above U+10FFFF) becomes the
 * character of the same value, the original bytes go in "<key>_hex" beside
 * it, and the document says "invalid_utf8": true.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "present/jsonout.h"
#include "present/nodetext.h"
#include "present/report.h"
#include "tests/check_support.h"
#include "tests/present/present_support.h"

/* 2023-11-14T22:13:20Z as raft-boltdb stores it (seconds since year 1) */
#define T0 (RS_TIME_UNIX_TO_INTERNAL + INT64_C(1700000000))

static const char *at(int64_t sec, int32_t nsec, int16_t min, uint8_t s, int utc)
{
	static char buf[64];
	struct rs_time t = {
	    .sec = sec, .nsec = nsec, .offset_min = min, .offset_sec = s, .utc = (uint8_t)utc};

	return np_time(&t, buf, sizeof(buf));
}

START_TEST(test_time_zones)
{
	ck_assert_str_eq(at(T0, 5, 0, 0, 1), "2023-11-14T22:13:20.000000005Z");
	/* a zone of offset 0 that is not UTC prints as Z too */
	ck_assert_str_eq(at(T0, 0, 0, 0, 0), "2023-11-14T22:13:20.000000000Z");
	/* the wall clock of the zone, with its offset (RFC 3339) */
	ck_assert_str_eq(at(T0, 0, 330, 0, 0), "2023-11-15T03:43:20.000000000+05:30");
	ck_assert_str_eq(at(T0, 0, -180, 0, 0), "2023-11-14T19:13:20.000000000-03:00");
	/* version 2: minutes and a seconds byte, added unsigned as Go does */
	ck_assert_str_eq(at(T0, 0, 19, 32, 0), "2023-11-14T22:32:52.000000000+00:19:32");
	ck_assert_str_eq(at(T0, 0, -18, 28, 0), "2023-11-14T21:55:48.000000000-00:17:32");
	/* utc wins over offset bytes */
	ck_assert_str_eq(at(T0, 0, 60, 0, 1), "2023-11-14T22:13:20.000000000Z");
}
END_TEST

START_TEST(test_time_out_of_range)
{
	char buf[64];

	ck_assert_str_eq(at(INT64_MIN, 0, 0, 0, 1), "(time out of range)");
	ck_assert_str_eq(at(INT64_MIN + RS_TIME_UNIX_TO_INTERNAL - 1, 0, 0, 0, 1),
	                 "(time out of range)");
	ck_assert_str_eq(at(INT64_MAX, 0, 0, 0, 1), "(time out of range)");
	ck_assert_str_eq(at(RS_TIME_UNIX_TO_INTERNAL, 0, 0, 0, 1),
	                 "1970-01-01T00:00:00.000000000Z");
	ck_assert_str_eq(at(0, 0, 0, 0, 1), "0001-01-01T00:00:00.000000000Z");
	ck_assert_str_eq(np_unix_time(UINT64_MAX, buf, sizeof(buf)), "(time out of range)");
	ck_assert_str_eq(np_unix_time((uint64_t)INT64_MAX / 4 + 1, buf, sizeof(buf)),
	                 "(time out of range)");
	ck_assert_str_eq(np_unix_time(1700000000, buf, sizeof(buf)),
	                 "2023-11-14T22:13:20.000000000Z");
}
END_TEST

START_TEST(test_type_names)
{
	char buf[32];

	ck_assert_str_eq(np_type_name(0, buf, sizeof(buf)), "LogCommand");
	ck_assert_str_eq(np_type_name(5, buf, sizeof(buf)), "LogConfiguration");
	ck_assert_str_eq(np_type_name(77, buf, sizeof(buf)), "LogType(77)");
	ck_assert_str_eq(np_type_name(UINT64_MAX, buf, sizeof(buf)),
	                 "LogType(18446744073709551615)");
	ck_assert_str_eq(np_suffrage_text(RS_STAGING, buf, sizeof(buf)), "Staging");
	ck_assert_str_eq(np_suffrage_text(7, buf, sizeof(buf)), "Suffrage(7)");
	ck_assert_str_eq(np_snap_state_name(RS_SNAP_STATE_UNREAD), "unreadable");
	ck_assert_str_eq(np_snap_state_name(RS_SNAP_STATE_BAD), "undecodable");
}
END_TEST

START_TEST(test_ids)
{
	char buf[32], tiny[8];
	uint8_t h[32];

	/* a plain ID is printed as it is; one a reader could misread is quoted */
	ck_assert_str_eq(np_str("seq-1", 5, buf, sizeof(buf)), "seq-1");
	ck_assert_str_eq(np_str("a b", 3, buf, sizeof(buf)), "\"a b\"");
	ck_assert_str_eq(np_str("a\"b", 3, buf, sizeof(buf)), "\"a\\\"b\"");
	ck_assert_str_eq(np_str("a\\b", 3, buf, sizeof(buf)), "\"a\\\\b\"");
	ck_assert_str_eq(np_str("a\x7f", 2, buf, sizeof(buf)), "\"a\\x7f\"");
	ck_assert_str_eq(np_str("", 0, buf, sizeof(buf)), "\"\"");
	/* only the n bytes count, and a NUL among them is shown */
	ck_assert_str_eq(np_str("s1zzz", 2, buf, sizeof(buf)), "s1");
	ck_assert_str_eq(np_str("s\0"
	                        "1",
	                        3, buf, sizeof(buf)),
	                 "\"s\\x001\"");
	/* too long for the buffer: quoted and cut, never overflowing */
	np_str("abcdefghijklmnop", 16, tiny, sizeof(tiny));
	ck_assert_uint_lt(strlen(tiny), sizeof(tiny));
	ck_assert_int_eq(tiny[0], '"');
	ck_assert_ptr_nonnull(strstr(tiny, "..."));
	/* a hash needs 67 bytes; a smaller buffer gets "" */
	memset(h, 0xab, sizeof(h));
	ck_assert_str_eq(np_hash_hex(h, tiny, sizeof(tiny)), "");
	ck_assert_uint_eq(strlen(np_hash_hex(h, (char[67]){0}, 67)), 66);
}
END_TEST

/* np_json_render of {"v": <bytes>} (bytes a NUL-terminated C string); the
 * document, parsed back */
static cJSON *render_value(const char *bytes, int by_reference)
{
	cJSON *doc = cJSON_CreateObject(), *back;
	char *s;

	if (by_reference)
		cJSON_AddItemToObject(doc, "v", cJSON_CreateStringReference(bytes));
	else
		cJSON_AddStringToObject(doc, "v", bytes);
	s = np_json_render(doc);
	ck_assert_ptr_nonnull(s);
	back = cJSON_Parse(s);
	ck_assert_ptr_nonnull(back);
	ck_assert_str_eq(back->child->string, "schema_version");
	free(s);
	return back;
}

/* bytes must come back unchanged, with no "_hex" and no invalid_utf8 */
static void valid(const char *bytes)
{
	cJSON *d = render_value(bytes, 0);

	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(d, "v")->valuestring, bytes);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(d, "v_hex"));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(d, "invalid_utf8"));
	cJSON_Delete(d);
}

/* bytes must come back as want (UTF-8), with hex and invalid_utf8 */
static void fixed(const char *bytes, const char *want, const char *hex, int by_reference)
{
	cJSON *d = render_value(bytes, by_reference);

	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(d, "v")->valuestring, want);
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(d, "v_hex")->valuestring, hex);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "invalid_utf8")));
	cJSON_Delete(d);
}

START_TEST(test_json_utf8_boundaries)
{
	valid("plain");
	valid("\xc2\x80");         /* U+0080 */
	valid("\xe0\xa0\x80");     /* U+0800, the first 3-byte one */
	valid("\xed\x9f\xbf");     /* U+D7FF, below the surrogates */
	valid("\xf0\x90\x80\x80"); /* U+10000, the first 4-byte one */
	valid("\xf4\x8f\xbf\xbf"); /* U+10FFFF, the last */
	/* overlong forms: each byte becomes the character of its value */
	fixed("\xc1\x81", "\xc3\x81\xc2\x81", "c181", 0);
	fixed("\xe0\x9f\xbf", "\xc3\xa0\xc2\x9f\xc2\xbf", "e09fbf", 0);
	fixed("\xf0\x8f\xbf\xbf", "\xc3\xb0\xc2\x8f\xc2\xbf\xc2\xbf", "f08fbfbf", 0);
	/* a surrogate, above U+10FFFF, a bad third byte, a cut sequence */
	fixed("\xed\xa0\x80", "\xc3\xad\xc2\xa0\xc2\x80", "eda080", 0);
	fixed("\xf4\x90\x80\x80", "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80", "f4908080", 0);
	fixed("\xe1\x80\x41",
	      "\xc3\xa1\xc2\x80"
	      "A",
	      "e18041", 0);
	fixed("a\xe1\x80", "a\xc3\xa1\xc2\x80", "61e180", 0);
	/* a string the document does not own (a reference) is replaced too */
	fixed("x\xff", "x\xc3\xbf", "78ff", 1);
}
END_TEST

START_TEST(test_json_utf8_keys_and_arrays)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_CreateArray(), *d;
	char *s;

	cJSON_AddItemToArray(arr, cJSON_CreateString("\xfe"));
	cJSON_AddItemToObject(doc, "list", arr);
	cJSON_AddNumberToObject(doc, "k\xff", 1);
	s = np_json_render(doc);
	ck_assert_ptr_nonnull(s);
	d = cJSON_Parse(s);
	free(s);
	ck_assert_ptr_nonnull(d);
	/* an array element has no key: fixed, no "_hex" beside it */
	ck_assert_str_eq(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "list"), 0)->valuestring,
	    "\xc3\xbe");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "list")), 1);
	/* a key is fixed the same way */
	ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(d, "k\xc3\xbf"));
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "invalid_utf8")));
	cJSON_Delete(d);
	/* nothing to render: NULL */
	ck_assert_ptr_null(np_json_render(NULL));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("present_text");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_time_zones);
	tcase_add_test(tc, test_time_out_of_range);
	tcase_add_test(tc, test_type_names);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_json_utf8_boundaries);
	tcase_add_test(tc, test_json_utf8_keys_and_arrays);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
