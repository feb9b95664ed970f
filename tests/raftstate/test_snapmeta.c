/*
 * A snapshot's meta.json as raft's FileSnapshotStore writes it
 * (raftstate/snapshot.h, rs_snapshot_parse_meta): a full document reads
 * back field by field (the CRC from 8 bytes of base64, big-endian; the
 * servers with their suffrage); every hostile shape is RS_ECORRUPT with a
 * sentence naming the field: not an object, no string ID, Index/Term/Size
 * missing or negative, a CRC that is not base64 or not 8 bytes,
 * Configuration.Servers not an array, a server that is not an object, has
 * a non-numeric Suffrage, or lacks its ID or Address. Servers: null is an
 * empty configuration (Go writes that for a nil slice).
 */
#include <check.h>
#include <string.h>

#include "raftstate/snapshot.h"
#include "tests/check_support.h"

static int parse(const char *doc, struct rs_snapshot *s, struct rs_err *e)
{
	memset(s, 0, sizeof(*s));
	memset(e, 0, sizeof(*e));
	return rs_snapshot_parse_meta(doc, strlen(doc), s, e);
}

START_TEST(test_full)
{
	static const char doc[] =
	    "{\"Version\":1,\"ID\":\"2-10-1\",\"Index\":10,\"Term\":2,\"Peers\":\"\","
	    "\"Configuration\":{\"Servers\":[{\"Suffrage\":0,\"ID\":\"a\",\"Address\":\"h:1\"},"
	    "{\"Suffrage\":1,\"ID\":\"b\",\"Address\":\"g:1\"}]},\"ConfigurationIndex\":1,"
	    "\"Size\":5,\"CRC\":\"AAECAwQFBgc=\"}";
	struct rs_snapshot s;
	struct rs_err e;

	ck_assert_msg(parse(doc, &s, &e) == RS_OK, "%s", e.msg);
	ck_assert_str_eq(s.id, "2-10-1");
	ck_assert(s.version == 1 && s.index == 10 && s.term == 2 && s.config_index == 1 &&
	          s.size == 5);
	ck_assert(s.has_crc);
	ck_assert(s.crc == 0x0001020304050607ull);
	ck_assert_uint_eq(s.config.n, 2);
	rs_config_free(&s.config);

	ck_assert_msg(parse("{\"ID\":\"x\",\"Index\":1,\"Term\":1,\"Size\":0,"
	                    "\"Configuration\":{\"Servers\":null}}",
	                    &s, &e) == RS_OK,
	              "%s", e.msg);
	ck_assert_uint_eq(s.config.n, 0);
	ck_assert(!s.has_crc);
	rs_config_free(&s.config);
}
END_TEST

#define HEAD "{\"ID\":\"x\",\"Index\":1,\"Term\":1,\"Size\":0,"

static const struct {
	const char *doc, *says;
} refused[] = {
    {"[]", "meta.json is not a JSON object"},
    {"{\"Index\":1", "meta.json is not a JSON object"},
    {"{}", "meta.json has no string ID"},
    {"{\"ID\":5,\"Index\":1,\"Term\":1,\"Size\":0}", "meta.json has no string ID"},
    {"{\"ID\":\"x\",\"Term\":1,\"Size\":0}", "lacks a valid Index, Term or Size"},
    {"{\"ID\":\"x\",\"Index\":-1,\"Term\":1,\"Size\":0}", "lacks a valid Index, Term or Size"},
    {"{\"ID\":\"x\",\"Index\":1,\"Term\":1}", "lacks a valid Index, Term or Size"},
    {HEAD "\"CRC\":\"AAECAwQFBg==\"}", "meta.json CRC is not 8 bytes of base64"},
    {HEAD "\"CRC\":\"AA*CAwQFBgc=\"}", "meta.json CRC is not 8 bytes of base64"},
    {HEAD "\"CRC\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}",
     "meta.json CRC is not 8 bytes of base64"},
    {HEAD "\"Configuration\":{\"Servers\":5}}", "meta.json Configuration.Servers is not an array"},
    {HEAD "\"Configuration\":{\"Servers\":[5]}}", "Configuration.Servers[0] is malformed"},
    {HEAD "\"Configuration\":{\"Servers\":[{\"Suffrage\":\"a\",\"ID\":\"a\",\"Address\":\"h\"}]}}",
     "Configuration.Servers[0] is malformed"},
    {HEAD "\"Configuration\":{\"Servers\":[{\"Suffrage\":0,\"Address\":\"h\"}]}}",
     "Configuration.Servers[0] lacks a string ID or Address"},
    {HEAD "\"Configuration\":{\"Servers\":[{\"Suffrage\":0,\"ID\":\"a\"}]}}",
     "Configuration.Servers[0] lacks a string ID or Address"},
};

START_TEST(test_refused)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct rs_snapshot s;
		struct rs_err e;

		ck_assert_msg(parse(refused[i].doc, &s, &e) == RS_ECORRUPT, "accepted: %s",
		              refused[i].doc);
		ck_assert_msg(strstr(e.msg, refused[i].says) != NULL, "%s: \"%s\" lacks \"%s\"",
		              refused[i].doc, e.msg, refused[i].says);
		rs_config_free(&s.config);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot meta");
	TCase *tc = tcase_create("snapmeta");

	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
