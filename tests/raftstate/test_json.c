/*
 * The strict JSON reader (raftstate/json.h): what it accepts is exactly
 * what cJSON builds, and what it refuses is named by JSON path. Hostile
 * sizes are bounded: ten million '[' stop at the depth bound without deep
 * recursion, and an object of 200000 keys (one repeated at the end) is
 * checked in well under a second. rs_json_u64 is exact to 2^64-1 and
 * refuses the rest; rs_json_load reads only a regular file of at most
 * `max` bytes, follows a link only when asked, and names the file.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
	REFUSED("[-]", "a bad number");
	REFUSED("[1e]", "a bad number");
	REFUSED("[1e+]", "a bad number");
	REFUSED("[1,]", "[1] is not valid JSON: a bad number");
	REFUSED("{\"a\":1,}", "an object key must be a string");
	REFUSED("{\"a\":1", "a ',' or '}' is missing in an object");
	REFUSED("[1", "a ',' or ']' is missing in an array");
	REFUSED("{\"a", "a string is not closed");
	REFUSED("{\"a\"", "a ':' is missing");
	REFUSED("[\"\\u12G4\"]", "[0] is not valid JSON: a bad \\u escape");
	REFUSED("[\"\\u12\"]", "a bad \\u escape");
	REFUSED("[\"\\ud800\\u0041\"]", "[0] holds an unpaired surrogate (\\ud800)");
	REFUSED("[fals]", "an unexpected character");
	REFUSED("[nul]", "an unexpected character");
	REFUSED("[x]", "[0] is not valid JSON");
	REFUSED("{\"a\nb\":1}", "the document holds a control character (0x0a)");
}
END_TEST

/* escapes decode to the bytes cJSON keeps, in keys and values alike */
START_TEST(test_escapes_decode)
{
	static const char doc[] =
	    "{\"\\u00C9t\\u00e9\":\"\\uD83D\\uDE00\\t\\b\\f\\r\\\\\",\"k\":-0}";
	struct rs_err e = {0};
	cJSON *root = NULL, *v;

	ck_assert_msg(rs_json_parse(doc, sizeof(doc) - 1, "t.json", &root, &e) == RS_OK, "%s",
	              e.msg);
	v = cJSON_GetObjectItemCaseSensitive(root, "\xc3\x89t\xc3\xa9");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->valuestring, "\xf0\x9f\x98\x80\t\b\f\r\\");
	cJSON_Delete(root);
}
END_TEST

/* Keys are compared after their escapes are decoded: every escape form
 * (one byte, two-, three- and four-byte UTF-8, a surrogate pair) names the
 * same key as its literal bytes, and the duplicate is shown with bytes
 * outside printable ASCII (and '"') as '?'. */
START_TEST(test_key_escapes_compare_decoded)
{
	REFUSED("{\"\\u20ac\":1,\"\xe2\x82\xac\":2}", "the document has the key \"???\" twice");
	REFUSED("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", "has the key \"????\" twice");
	REFUSED("{\"\\u00e9\":1,\"\xc3\xa9\":2}", "has the key \"??\" twice");
	REFUSED("{\"a\\nb\":1,\"a\\u000ab\":2}", "has the key \"a?b\" twice");
	REFUSED("{\"\\\"q\":1,\"\\u0022q\":2}", "has the key \"?q\" twice");
	REFUSED("{\"\\/\\b\\f\\r\\t\\\\\":1,\"/\\u0008\\u000c\\u000d\\u0009\\u005c\":2}",
	        "has the key \"/????\\\" twice");
	REFUSED("{\"x\":{\"\\u0041\":1,\"A\":2}}", "x has the key \"A\" twice");
	/* different code points are different keys */
	{
		static const char ok[] = "{\"\\u20ac\":1,\"\\u20ad\":2,\"\\ud83d\\ude01\":3,"
		                         "\"\\ud83d\\ude00\":4,\"\\u07ff\":5,\"\\u0800\":6}";
		struct rs_err e = {0};
		cJSON *root = NULL;

		ck_assert_msg(rs_json_parse(ok, sizeof(ok) - 1, "t.json", &root, &e) == RS_OK, "%s",
		              e.msg);
		ck_assert_int_eq(cJSON_GetArraySize(root), 6);
		ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(root, "\xdf\xbf"));
		ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(root, "\xe0\xa0\x80"));
		cJSON_Delete(root);
	}
}
END_TEST

/* Every way a document can end inside a token is a syntax error (never a
 * read past the end), and a number or literal may end the document. */
START_TEST(test_ends_inside_tokens)
{
	static const char *const good[] = {"-0", "1.25", "1e5", "2E-3", "0.5e+7", "[]", "{}"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct rs_err e = {0};

		ck_assert_msg(parse(good[i], strlen(good[i]), &e) == RS_OK, "%s: %s", good[i],
		              e.msg);
	}
	REFUSED("-", "the document is not valid JSON: a bad number (byte 0, line 1)");
	REFUSED("1.", "a bad number");
	REFUSED("1e", "a bad number");
	REFUSED("1e+", "a bad number");
	REFUSED("tru", "an unexpected character");
	REFUSED("{", "an object key must be a string");
	REFUSED("{\"a\":1,", "an object key must be a string");
	REFUSED("[", "the document ends early");
	REFUSED("\"abc\\", "a string is not closed");
	REFUSED("{\"ab\\", "a string is not closed");
	REFUSED("\"\\u12", "a bad \\u escape");
	REFUSED("[\"\\u12g4\"]", "[0] is not valid JSON: a bad \\u escape");
	REFUSED("[\"\\ud800", "[0] holds an unpaired surrogate (\\ud800)");
	REFUSED("[\"\\ud800\\n\"]", "[0] holds an unpaired surrogate (\\ud800)");
	REFUSED("[\"\\ud800\\uzzzz\"]", "[0] holds an unpaired surrogate (\\ud800)");
	REFUSED("[\"\\ud800\\ue000\"]", "[0] holds an unpaired surrogate (\\ud800)");
	REFUSED("[\"\\ud800\\udbff\"]", "[0] holds an unpaired surrogate (\\ud800)");
	REFUSED("[\"\\\0\"]", "[0] is not valid JSON: an unknown escape");
}
END_TEST

/* The JSON path in a message: keys outside printable ASCII as '?', and a
 * path longer than its buffer is cut, never overrun. */
START_TEST(test_path_shown_and_cut)
{
	char doc[2048], want[300];
	size_t o = 0;

	REFUSED("{\"\xc3\xa9 x\":[1,tru]}", "???x[1] is not valid JSON");
	o += (size_t)snprintf(doc + o, sizeof(doc) - o, "{\"%0200d\":", 7);
	for (int i = 0; i < 30; i++)
		o += (size_t)snprintf(doc + o, sizeof(doc) - o, "[");
	o += (size_t)snprintf(doc + o, sizeof(doc) - o, "x");
	{
		struct rs_err e = {0};

		ck_assert_int_eq(parse(doc, o, &e), RS_ECORRUPT);
		/* 255 bytes of path at most: 200 digits and 18 "[i]" (a 19th
		 * would not fit whole, so it is left out) */
		o = (size_t)snprintf(want, sizeof(want), "t.json: %0200d", 7);
		for (int i = 0; i < 18; i++)
			o += (size_t)snprintf(want + o, sizeof(want) - o, "[0]");
		snprintf(want + o, sizeof(want) - o, " is not valid JSON: a bad number");
		ck_assert_msg(strncmp(e.msg, want, strlen(want)) == 0, "%s", e.msg);
	}
	/* a long key after a long key: the '.' and the key are cut too */
	o = 0;
	o += (size_t)snprintf(doc + o, sizeof(doc) - o, "{\"%0250d\":{\"%0100d\":x}}", 1, 2);
	{
		struct rs_err e = {0};

		ck_assert_int_eq(parse(doc, o, &e), RS_ECORRUPT);
		ck_assert_msg(strstr(e.msg, "is not valid JSON: a bad number") != NULL, "%s",
		              e.msg);
		ck_assert_msg(strstr(e.msg, "0002") == NULL, "%s", e.msg);
	}
}
END_TEST

/* rs_json_u64 of the one value of doc */
static int u64_of(const char *doc, uint64_t *x)
{
	struct rs_err e = {0};
	cJSON *root = NULL;
	int rc;

	ck_assert_msg(rs_json_parse(doc, strlen(doc), "t.json", &root, &e) == RS_OK, "%s", e.msg);
	rc = rs_json_u64(cJSON_GetArrayItem(root, 0), x);
	cJSON_Delete(root);
	return rc;
}

START_TEST(test_u64_exact)
{
	uint64_t x = 7;
	cJSON *n;

	ck_assert_int_eq(u64_of("[18446744073709551615]", &x), 0);
	ck_assert(x == UINT64_MAX);
	ck_assert_int_eq(u64_of("[9007199254740993]", &x), 0); /* 2^53+1: a double rounds */
	ck_assert(x == 9007199254740993ull);
	ck_assert_int_eq(u64_of("[0]", &x), 0);
	ck_assert(x == 0);
	ck_assert_int_eq(u64_of("[18446744073709551616]", &x), -1);
	ck_assert_int_eq(u64_of("[-1]", &x), -1);
	ck_assert_int_eq(u64_of("[1.5]", &x), -1);
	ck_assert_int_eq(u64_of("[1e3]", &x), -1);
	ck_assert_int_eq(u64_of("[\"1\"]", &x), -1);
	ck_assert_int_eq(rs_json_u64(NULL, &x), -1);
	/* a tree cJSON built itself: exact up to 2^53 only */
	n = cJSON_CreateNumber(4096);
	ck_assert_int_eq(rs_json_u64(n, &x), 0);
	ck_assert(x == 4096);
	cJSON_SetNumberValue(n, 1.5);
	ck_assert_int_eq(rs_json_u64(n, &x), -1);
	cJSON_SetNumberValue(n, -2);
	ck_assert_int_eq(rs_json_u64(n, &x), -1);
	cJSON_SetNumberValue(n, 18014398509481984.0); /* 2^54 */
	ck_assert_int_eq(rs_json_u64(n, &x), -1);
	/* a number node with its text (as rs_json_parse leaves it): the text
	 * decides, and an empty text is no number */
	n->valuestring = strdup("12");
	ck_assert_int_eq(rs_json_u64(n, &x), 0);
	ck_assert(x == 12);
	n->valuestring[0] = '\0';
	ck_assert_int_eq(rs_json_u64(n, &x), -1);
	free(n->valuestring);
	n->valuestring = NULL;
	cJSON_Delete(n);
}
END_TEST

static char dir[] = "/tmp/oci-json-XXXXXX";

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* rs_json_load of dir/name: its code, the message in e */
static int load(const char *name, size_t max, int follow, struct rs_err *e)
{
	char p[256];
	cJSON *root = (cJSON *)1;
	int rc;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	memset(e, 0, sizeof(*e));
	rc = rs_json_load(p, "the file", max, follow, &root, e);
	ck_assert(rc == RS_OK ? root != NULL : root == NULL);
	cJSON_Delete(root);
	return rc;
}

START_TEST(test_load)
{
	struct rs_err e;
	char p[256], q[256];

	put("ok.json", "{\"a\": [1, 2]}\n");
	ck_assert_msg(load("ok.json", 4096, 0, &e) == RS_OK, "%s", e.msg);
	/* larger than max */
	ck_assert_int_eq(load("ok.json", 8, 0, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "larger than 8 bytes") != NULL, "%s", e.msg);
	/* not strict JSON: named */
	put("bad.json", "{\"a\": 1} x");
	ck_assert_int_eq(load("bad.json", 4096, 0, &e), RS_ECORRUPT);
	ck_assert_msg(strncmp(e.msg, "the file: data after", 20) == 0, "%s", e.msg);
	/* missing: an I/O error with its errno */
	ck_assert_int_eq(load("none.json", 4096, 0, &e), RS_EIO);
	ck_assert_int_eq(e.sys_errno, ENOENT);
	/* a directory, a FIFO: not regular files (and the FIFO never blocks) */
	snprintf(p, sizeof(p), "%s/d.json", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	ck_assert_int_eq(load("d.json", 4096, 0, &e), RS_ECORRUPT);
	snprintf(p, sizeof(p), "%s/fifo.json", dir);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	ck_assert_int_eq(load("fifo.json", 4096, 0, &e), RS_ECORRUPT);
	/* a link: followed only when asked */
	snprintf(p, sizeof(p), "%s/ok.json", dir);
	snprintf(q, sizeof(q), "%s/link.json", dir);
	ck_assert_int_eq(symlink(p, q), 0);
	ck_assert_int_ne(load("link.json", 4096, 0, &e), RS_OK);
	ck_assert_msg(load("link.json", 4096, 1, &e) == RS_OK, "%s", e.msg);
	/* no error struct: the code alone */
	{
		cJSON *root = (cJSON *)1;

		snprintf(p, sizeof(p), "%s/none.json", dir);
		ck_assert_int_eq(rs_json_load(p, "the file", 4096, 0, &root, NULL), RS_EIO);
		ck_assert_ptr_null(root);
	}
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
	tcase_add_test(tc, test_escapes_decode);
	tcase_add_test(tc, test_u64_exact);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_key_escapes_compare_decoded);
	tcase_add_test(tc, test_ends_inside_tokens);
	tcase_add_test(tc, test_path_shown_and_cut);
	suite_add_tcase(s, tc);
	return oci_check_run_in_tmpdir(s, dir);
}
