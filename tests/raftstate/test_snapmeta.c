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
 * The snapshots/ directory: newest first (term, index, then name), begun
 * snapshots (<name>.tmp directories) counted apart, other entries skipped,
 * each snapshot's problem named (CRC, size, no CRC, no or oversized
 * meta.json, state.bin not a file), and state.bin read within a bound.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	/* a CRC that is not a string is no CRC (raft writes base64 []byte) */
	ck_assert_msg(parse("{\"ID\":\"x\",\"Index\":1,\"Term\":1,\"Size\":0,\"CRC\":5}", &s, &e) ==
	                  RS_OK,
	              "%s", e.msg);
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
    {"{\"ID\":\"x\",\"Index\":1,\"Term\":\"1\",\"Size\":0}", "lacks a valid Index, Term or Size"},
    {HEAD "\"Version\":-1}", "lacks a valid Index, Term or Size"},
    {HEAD "\"ConfigurationIndex\":\"1\"}", "lacks a valid Index, Term or Size"},
    {HEAD "\"Version\":18446744073709551616}", "lacks a valid Index, Term or Size"},
    {HEAD "\"CRC\":\"\"}", "meta.json CRC is not 8 bytes of base64"},
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

/* ---- the snapshots/ directory (rs_snapshots_load, rs_snapshot_read_state) */

static char dir[] = "/tmp/oci-tsnap-XXXXXX";

static void put(const char *rel, const char *text, size_t n)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

static void mk(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

/* meta.json of snapshot `name` at term/index with Size and (crc_of != NULL)
 * the CRC-64 of crc_of as raft writes it: 8 bytes big-endian, base64 */
static void meta(const char *name, uint64_t term, uint64_t index, size_t size, const char *crc_of)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char rel[256], doc[512], crc[16] = "";

	if (crc_of != NULL) {
		uint64_t c = rs_crc64_update(0, crc_of, strlen(crc_of));
		uint8_t b[9] = {0};
		size_t o = 0;

		for (int k = 0; k < 8; k++)
			b[k] = (uint8_t)(c >> (56 - 8 * k));
		for (int k = 0; k < 9; k += 3) {
			uint32_t v = (uint32_t)b[k] << 16 | (uint32_t)b[k + 1] << 8 | b[k + 2];

			crc[o++] = b64[v >> 18];
			crc[o++] = b64[(v >> 12) & 63];
			crc[o++] = k + 1 < 8 ? b64[(v >> 6) & 63] : '=';
			crc[o++] = k + 2 < 8 ? b64[v & 63] : '=';
		}
		crc[o] = '\0';
	}
	snprintf(rel, sizeof(rel), "snapshots/%s/meta.json", name);
	snprintf(doc, sizeof(doc),
	         "{\"Version\":1,\"ID\":\"%s\",\"Index\":%llu,\"Term\":%llu,\"Size\":%zu%s%s%s}",
	         name, (unsigned long long)index, (unsigned long long)term, size,
	         crc_of ? ",\"CRC\":\"" : "", crc, crc_of ? "\"" : "");
	put(rel, doc, strlen(doc));
}

static const struct rs_snapshot *named(const struct rs_snapshots *ss, const char *name)
{
	for (size_t i = 0; i < ss->n; i++)
		if (strcmp(ss->v[i].name, name) == 0)
			return &ss->v[i];
	ck_abort_msg("no snapshot %s", name);
	return NULL;
}

START_TEST(test_directory)
{
	struct rs_snapshots ss;
	struct rs_err e = {0};
	char node[256], *big;
	uint8_t *buf;
	size_t len;

	snprintf(node, sizeof(node), "%s", dir);
	/* no snapshots/ at all: none, no error */
	ck_assert_int_eq(rs_snapshots_load(node, 1, &ss, &e), RS_OK);
	ck_assert_uint_eq(ss.n, 0);
	rs_snapshots_free(&ss);

	mk("snapshots");
	mk("snapshots/2-10-100");
	meta("2-10-100", 2, 10, 5, "hello");
	put("snapshots/2-10-100/state.bin", "hello", 5);
	mk("snapshots/2-10-200"); /* same term and index: the greater name is newer */
	meta("2-10-200", 2, 10, 5, "hello");
	put("snapshots/2-10-200/state.bin", "hellp", 5);
	mk("snapshots/1-5-1");
	meta("1-5-1", 1, 5, 3, "abcd");
	put("snapshots/1-5-1/state.bin", "abcd", 4);
	mk("snapshots/1-4-1");
	meta("1-4-1", 1, 4, 2, NULL);
	put("snapshots/1-4-1/state.bin", "ab", 2);
	mk("snapshots/1-3-1"); /* no meta.json */
	mk("snapshots/1-2-1");
	big = malloc((1 << 20) + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', (1 << 20) + 1);
	put("snapshots/1-2-1/meta.json", big, (1 << 20) + 1);
	free(big);
	mk("snapshots/1-1-1");
	meta("1-1-1", 1, 1, 0, "");
	mk("snapshots/1-1-1/state.bin"); /* a directory */
	mk("snapshots/1-9-1.tmp");
	mk("snapshots/1-8-1.tmp");
	put("snapshots/2-11-1.tmp", "", 0); /* a file: not a snapshot begun */
	mk("snapshots/.hidden");
	put("snapshots/notes.txt", "x", 1);
	mk("snapshots/.tmp"); /* a dot entry, not a begun snapshot */
	{
		char target[512], link[512];

		snprintf(target, sizeof(target), "%s/snapshots/2-10-100", dir);
		snprintf(link, sizeof(link), "%s/snapshots/3-1-1.tmp", dir);
		ck_assert_int_eq(symlink(target, link), 0); /* links are never followed */
		snprintf(link, sizeof(link), "%s/snapshots/3-2-1", dir);
		ck_assert_int_eq(symlink(target, link), 0);
	}

	ck_assert_int_eq(rs_snapshots_load(node, 1, &ss, &e), RS_OK);
	ck_assert_uint_eq(ss.n, 7);
	ck_assert_uint_eq(ss.tmp_count, 2);
	ck_assert_str_eq(ss.tmp_name, "1-9-1.tmp");
	ck_assert_str_eq(ss.v[0].name, "2-10-200");
	ck_assert_str_eq(ss.v[1].name, "2-10-100");
	ck_assert_msg(strstr(ss.v[0].problem, "state.bin CRC-64 is") != NULL, "%s",
	              ss.v[0].problem);
	ck_assert_str_eq(ss.v[1].problem, "");
	ck_assert(ss.v[1].checked && ss.v[1].actual_size == 5);
	ck_assert_str_eq(named(&ss, "1-5-1")->problem,
	                 "state.bin holds 4 bytes but meta.json says 3");
	ck_assert_str_eq(named(&ss, "1-4-1")->problem, "meta.json has no CRC");
	ck_assert_msg(strstr(named(&ss, "1-3-1")->problem, "meta.json") != NULL, "%s",
	              named(&ss, "1-3-1")->problem);
	ck_assert_str_eq(named(&ss, "1-2-1")->problem, "meta.json is larger than 1048576 bytes");
	ck_assert_msg(named(&ss, "1-1-1")->problem[0] != '\0', "state.bin, a directory, passed");

	/* state.bin read whole, within a bound */
	ck_assert_int_eq(rs_snapshot_read_state(node, named(&ss, "2-10-100"), 100, &buf, &len, &e),
	                 RS_OK);
	ck_assert(len == 5 && memcmp(buf, "hello", 5) == 0);
	free(buf);
	ck_assert_int_eq(rs_snapshot_read_state(node, named(&ss, "2-10-100"), 4, &buf, &len, &e),
	                 RS_ELIMIT);
	ck_assert_msg(strstr(e.msg, "state.bin holds 5 bytes, more than the 4 read") != NULL, "%s",
	              e.msg);
	ck_assert_ptr_null(buf);
	ck_assert_int_eq(rs_snapshot_read_state(node, named(&ss, "1-1-1"), 100, &buf, &len, &e),
	                 RS_EIO);
	ck_assert_msg(strstr(e.msg, "is not a regular file") != NULL, "%s", e.msg);
	ck_assert_int_eq(rs_snapshot_read_state(node, named(&ss, "1-3-1"), 100, &buf, &len, &e),
	                 RS_EIO);
	ck_assert_msg(strstr(e.msg, "cannot open") != NULL, "%s", e.msg);
	rs_snapshots_free(&ss);

	/* snapshots/ that is not a directory */
	{
		char other[300];
		struct rs_snapshots none;

		snprintf(other, sizeof(other), "%s/other", dir);
		ck_assert_int_eq(mkdir(other, 0755), 0);
		put("other/snapshots", "x", 1);
		ck_assert_int_eq(rs_snapshots_load(other, 1, &none, &e), RS_EIO);
		ck_assert_msg(strstr(e.msg, "cannot open") != NULL, "%s", e.msg);
	}
	/* without verify_data: meta.json only */
	ck_assert_int_eq(rs_snapshots_load(node, 0, &ss, &e), RS_OK);
	ck_assert_str_eq(ss.v[0].problem, "");
	ck_assert_int_eq(ss.v[0].checked, 0);
	rs_snapshots_free(&ss);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("snapshot meta");
	TCase *tc = tcase_create("snapmeta");

	tcase_add_test(tc, test_full);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_directory);
	suite_add_tcase(s, tc);
	return oci_check_run_in_tmpdir(s, dir);
}
