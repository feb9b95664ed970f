/*
 * The strict JSON reader (raftstate/json.h): what it accepts is exactly
 * what cJSON builds, and what it refuses is named by JSON path. Hostile
 * sizes are bounded: ten million '[' stop at the depth bound without deep
 * recursion, and an object of 200000 keys (one repeated at the end) is
 * checked in well under a second.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "raftstate/json.h"
#include "tests/check_support.h"

static int parse(const char *s, size_t n, struct rs_err *e)
{
	cJSON *root = NULL;
	int rc = rs_json_parse(s, n, "t.json", &root, e);

	ck_assert(rc == RS_OK ? root != NULL : root == NULL);
	cJSON_Delete(root);
	return rc;
}

#define REFUSED(lit, want)                                                                         \
	do {                                                                                       \
		struct rs_err e_ = {0};                                                            \
		ck_assert_int_eq(parse(lit, sizeof(lit) - 1, &e_), RS_ECORRUPT);                   \
		ck_assert_msg(strstr(e_.msg, want) != NULL && strncmp(e_.msg, "t.json: ", 8) == 0, \
		              "%s: got \"%s\", want \"%s\"", lit, e_.msg, want);                   \
	} while (0)

START_TEST(test_accepts_rfc8259)
{
	static const char *const good[] = {
	    "{}",
	    " [ ] ",
	    "0",
	    "-0.5e+10",
	    "1E3",
	    "\"\"",
	    "true",
	    "null",
	    "{\"a\":[1,2,{\"b\":\"\\u00e9\\ud83d\\ude00\\n\\\"\\/\"}],\"c\":false}\r\n",
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
	    "{\"a\":1,\"b\":1,\"A\":1}",
	    "[\"\xff\xc0\xaf\"]" /* not UTF-8: taken as it is (json.h) */};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct rs_err e = {0};

		ck_assert_msg(parse(good[i], strlen(good[i]), &e) == RS_OK, "%s: %s", good[i],
		              e.msg);
	}
}
END_TEST

START_TEST(test_refuses_with_path)
{
	REFUSED("{\"a\":[1,{\"id\":\"x\\u0000y\"}]}", "a[1].id holds a NUL character");
	REFUSED("{\"a\":\"x\0y\"}", "a holds a control character (0x00)");
	REFUSED("{\"a\":1} {}", "data after the JSON document (byte 8, line 1)");
	REFUSED("{\"a\":1}\n\n]", "data after the JSON document (byte 9, line 3)");
	REFUSED("{\"n\":{\"k\":1,\"k\":2}}", "n has the key \"k\" twice");
	REFUSED("{\"k\":1,\"\\u006b\":2}", "the document has the key \"k\" twice");
	REFUSED("[\"\\udc00\"]", "[0] holds an unpaired surrogate");
	REFUSED("[\"\\ud800x\"]", "unpaired surrogate");
	REFUSED("[\"\\x\"]", "an unknown escape");
	REFUSED("[01]", "not valid JSON: a ',' or ']' is missing");
	REFUSED("[+1]", "a bad number");
	REFUSED("[1.]", "a bad number");
	REFUSED("[NaN]", "a bad number");
	REFUSED("{\"a\" 1}", "a ':' is missing");
	REFUSED("{1:2}", "an object key must be a string");
	REFUSED("[tru]", "an unexpected character");
	REFUSED("\"abc", "a string is not closed");
	REFUSED("", "the document ends early");
	REFUSED("\xef\xbb\xbf{}", "a bad number"); /* a BOM is not JSON */
}
END_TEST

START_TEST(test_hostile_sizes_are_bounded)
{
	size_t n = 10u * 1000 * 1000, k = 200000;
	char *deep = malloc(n), *wide = malloc(k * 16 + 64);
	struct rs_err e = {0};
	struct timespec t0, t1;
	size_t o = 0;

	ck_assert_ptr_nonnull(deep);
	ck_assert_ptr_nonnull(wide);
	memset(deep, '[', n);
	ck_assert_int_eq(parse(deep, n, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "nests deeper than 32 levels") != NULL, "%s", e.msg);
	wide[o++] = '{';
	for (size_t i = 0; i < k; i++)
		o += (size_t)sprintf(wide + o, "\"k%zu\":1,", i);
	o += (size_t)sprintf(wide + o, "\"k7\":2}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(parse(wide, o, &e), RS_ECORRUPT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(strstr(e.msg, "has the key \"k7\" twice") != NULL, "%s", e.msg);
	ck_assert_msg((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 <
	                  2.0,
	              "200000 keys took too long");
	free(deep);
	free(wide);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("strict json");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_accepts_rfc8259);
	tcase_add_test(tc, test_refuses_with_path);
	tcase_add_test(tc, test_hostile_sizes_are_bounded);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
