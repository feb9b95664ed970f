/*
 * raftstate/manifest.c on documents built by hand (rs_manifest_parse, as if
 * read from B/MANIFEST.json): each malformed field is refused with a
 * sentence naming it, a well-formed one reads back; the written document
 * (rs_manifest_text) with the optional facts absent; rs_manifest_present on
 * a symbolic link, a FIFO and a device in MANIFEST.json's place.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <unistd.h>

#include "raftstate/manifest.h"
#include "raftstate/nodedir.h"
#include "tests/check_support.h"

#define HEAD   "{\"format\": \"op-conductor-init-backup/1\", \"layout\": \"node\", "
#define ONE(x) HEAD "\"files\": [{\"path\": \"raft-log.db\", \"size\": 4096, \"crc32\": 7" x "}]}"

static int parse(const char *text, struct rs_manifest *m, struct rs_err *e)
{
	memset(e, 0, sizeof(*e));
	return rs_manifest_parse(text, strlen(text), "B", m, e);
}

START_TEST(refusals)
{
	static const struct {
		const char *doc, *why;
	} cases[] = {
	    {"[]", "B/MANIFEST.json: the document must be a JSON object"},
	    {"{\"format\": \"other/1\"}", "B/MANIFEST.json: unknown format"},
	    {"{\"format\": 3}", "B/MANIFEST.json: unknown format"},
	    {"{\"format\": \"op-conductor-init-backup/1\", \"layout\": \"tree\"}",
	     "layout must be \"node\" or \"cluster\""},
	    {HEAD "\"x\": 1}", "B/MANIFEST.json: files is missing"},
	    {HEAD "\"files\": {}}", "B/MANIFEST.json: files must be an array"},
	    {HEAD "\"files\": [7]}", "files[0] must be an object"},
	    {HEAD "\"files\": [{\"size\": 1, \"crc32\": 1}]}", "files[0].path is missing"},
	    {HEAD "\"files\": [{\"path\": 1}]}", "files[0].path must be a string"},
	    {HEAD "\"files\": [{\"path\": \"a\", \"crc32\": 1}]}", "files[0].size is missing"},
	    {HEAD "\"files\": [{\"path\": \"a\", \"size\": -1}]}",
	     "files[0].size must be an integer from 0 to 9007199254740992"},
	    {HEAD "\"files\": [{\"path\": \"a\", \"size\": 1.5}]}",
	     "files[0].size must be an integer"},
	    {HEAD "\"files\": [{\"path\": \"a\", \"size\": \"1\"}]}",
	     "files[0].size must be an integer"},
	    {HEAD "\"files\": [{\"path\": \"a\", \"size\": 1e300}]}",
	     "files[0].size must be an integer"},
	    {HEAD "\"files\": [{\"path\": \"a\", \"size\": 1, \"crc32\": 4294967296}]}",
	     "files[0].crc32 must be an integer from 0 to 4294967295"},
	    {HEAD "\"files\": [{\"path\": \"../a\", \"size\": 1, \"crc32\": 1}]}",
	     "the manifest names the unsafe path \"../a\""},
	    {ONE(", \"compression\": 5"), "files[0].compression must be a string"},
	    {ONE(", \"compression\": \"zstd\""), "raft-log.db has an unknown \"compression\""},
	    {ONE(", \"compression\": \"gzip\""),
	     "the \"stored_path\" of raft-log.db is missing, not raft-log.db.gz"},
	    {ONE(", \"compression\": \"gzip\", \"stored_path\": \"x.gz\""),
	     "the \"stored_path\" of raft-log.db is \"x.gz\", not raft-log.db.gz"},
	    {ONE(", \"compression\": \"gzip\", \"stored_path\": []"),
	     "files[0].stored_path must be a string"},
	    {ONE(", \"compression\": \"gzip\", \"stored_path\": \"raft-log.db.gz\""),
	     "files[0].stored_size is missing"},
	    {HEAD "\"files\": [{\"path\": \"a\", \"size\": 1, \"crc32\": 1}, {\"path\": \"b\", "
	          "\"size\": 1, \"crc32\": 1}, {\"path\": \"a\", \"size\": 2, \"crc32\": 2}]}",
	     "files[2] lists \"a\" a second time"},
	};
	struct rs_manifest m;
	struct rs_err e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(parse(cases[i].doc, &m, &e) == RS_ECORRUPT, "case %zu accepted", i);
		ck_assert_msg(strstr(e.msg, cases[i].why) != NULL, "case %zu: wanted \"%s\" in: %s",
		              i, cases[i].why, e.msg);
		ck_assert_ptr_null(m.files);
		ck_assert_int_eq(m.layout, 0);
	}
	/* larger than the bound: refused before it is parsed */
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(rs_manifest_parse("{}", RS_MANIFEST_MAX + 1u, "B", &m, &e), RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "B/MANIFEST.json is larger than") != NULL, "%s", e.msg);
}
END_TEST

START_TEST(reads_back)
{
	struct rs_manifest m;
	struct rs_err e;

	ck_assert_msg(parse(ONE(", \"compression\": \"gzip\", \"stored_path\": \"raft-log.db.gz\", "
	                        "\"stored_size\": 99, \"txid\": 3"),
	                    &m, &e) == RS_OK,
	              "%s", e.msg);
	ck_assert_int_eq(m.layout, RS_LAYOUT_NODE);
	ck_assert_uint_eq(m.nfiles, 1);
	ck_assert_str_eq(m.files[0].path, "raft-log.db");
	ck_assert_uint_eq(m.files[0].size, 4096);
	ck_assert_uint_eq(m.files[0].crc32, 7);
	ck_assert(m.files[0].compressed);
	ck_assert_uint_eq(m.files[0].stored_size, 99);
	ck_assert_str_eq(m.node, ""); /* no nodes recorded */
	rs_manifest_free(&m);

	/* the node of a node backup: only a valid server ID */
	ck_assert_int_eq(parse(HEAD "\"nodes\": [\"s1\"], \"files\": []}", &m, &e), RS_OK);
	ck_assert_str_eq(m.node, "s1");
	rs_manifest_free(&m);
	ck_assert_int_eq(parse(HEAD "\"nodes\": [\"a/b\"], \"files\": []}", &m, &e), RS_OK);
	ck_assert_str_eq(m.node, "");
	rs_manifest_free(&m);
	ck_assert_int_eq(parse(HEAD "\"nodes\": [7], \"files\": []}", &m, &e), RS_OK);
	ck_assert_str_eq(m.node, "");
	rs_manifest_free(&m);
	/* a cluster's nodes are its directories, not recorded here */
	ck_assert_int_eq(parse("{\"format\": \"op-conductor-init-backup/1\", \"layout\": "
	                       "\"cluster\", \"nodes\": [\"s1\"], \"files\": []}",
	                       &m, &e),
	                 RS_OK);
	ck_assert_int_eq(m.layout, RS_LAYOUT_CLUSTER);
	ck_assert_str_eq(m.node, "");
	rs_manifest_free(&m);
}
END_TEST

/* Written without version, time or source: placeholders; read back the
 * same files. */
START_TEST(written_defaults)
{
	struct rs_backup_file f[2] = {0};
	struct rs_manifest w = {0}, m;
	struct rs_err e;
	char *text;

	strcpy(f[0].path, "raft-log.db");
	f[0].size = 8192;
	f[0].crc32 = 0xdeadbeef;
	f[0].is_db = 1;
	f[0].live = 1;
	strcpy(f[1].path, "snapshots/1-2-3/state.bin");
	f[1].size = 10;
	f[1].compressed = 1;
	f[1].stored_size = 30;
	w.layout = RS_LAYOUT_NODE;
	w.files = f;
	w.nfiles = 2;
	text = rs_manifest_text(&w);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, "\"version\":\t\"unknown\"") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"created\":\t\"\"") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"source\":\t\"\"") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"copy\":\t\"live-compact\"") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"nodes\":\t[]") != NULL, "%s", text);
	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	ck_assert_msg(parse(text, &m, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_eq(m.nfiles, 2);
	ck_assert_uint_eq(m.files[0].crc32, 0xdeadbeef);
	ck_assert(!m.files[0].compressed);
	ck_assert_str_eq(m.files[1].path, "snapshots/1-2-3/state.bin");
	ck_assert(m.files[1].compressed);
	ck_assert_uint_eq(m.files[1].stored_size, 30);
	rs_manifest_free(&m);
	free(text);
}
END_TEST

START_TEST(present_kinds)
{
	char dir[] = "/tmp/oci-manifest-cases-XXXXXX", p[200];
	struct rs_err e = {0};

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/MANIFEST.json", dir);
	ck_assert_int_eq(rs_manifest_present(dir, &e), 0);
	ck_assert_int_eq(symlink("elsewhere", p), 0);
	ck_assert_int_eq(rs_manifest_present(dir, &e), -RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "MANIFEST.json is a symbolic link, not a regular file") != NULL,
	              "%s", e.msg);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(rs_manifest_present(dir, &e), -RS_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "is a FIFO") != NULL, "%s", e.msg);
	ck_assert_int_eq(unlink(p), 0);
	if (mknod(p, S_IFCHR | 0600, makedev(1, 3)) == 0) { /* root only */
		ck_assert_int_eq(rs_manifest_present(dir, &e), -RS_ECORRUPT);
		ck_assert_msg(strstr(e.msg, "is a device or socket") != NULL, "%s", e.msg);
		ck_assert_int_eq(unlink(p), 0);
	}
	/* a backup path that is no directory: cannot be inspected */
	snprintf(p, sizeof(p), "%s/file", dir);
	ck_assert_int_eq(close(creat(p, 0600)), 0);
	ck_assert_int_eq(rs_manifest_present(p, &e), -RS_EIO);
	rs_remove_tree(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("manifest_cases");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, refusals);
	tcase_add_test(tc, reads_back);
	tcase_add_test(tc, written_defaults);
	tcase_add_test(tc, present_kinds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
