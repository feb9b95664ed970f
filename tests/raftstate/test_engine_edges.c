/*
 * The small engine modules at their edges (raftstate/ocflags.c,
 * preflight.c, error.c, path.c):
 *   op-conductor's command line as Go's flag package reads it: -help=true
 *   and -version=junk ask for help, a bare "-" or "--=x" or "---x" ends the
 *   flags, an unknown boolean flag takes no value, a valued flag without
 *   its value stops; --raft.snapshot-threshold that is not a number, is
 *   negative, has junk after it, or overflows is not taken;
 *   the preflight: nothing checked for help, an empty or missing server ID,
 *   no storage dir; a storage "dir" that is a file is a new node; a
 *   --raft.bootstrap value Go would not parse is not a bootstrap; the
 *   state and note names, out-of-range values too;
 *   errors: the fixes for EROFS and ELOOP, none for others; a NULL rs_err
 *   is ignored; a message longer than the buffer is cut to fit with its end
 *   kept; a quoted string cut short keeps its closing quote;
 *   rs_path_safe_relative refuses a name of PATH_MAX bytes.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raftstate/error.h"
#include "raftstate/ocflags.h"
#include "raftstate/path.h"
#include "raftstate/preflight.h"
#include "tests/check_support.h"

static void read_flags(struct rs_oc_flags *r, int argc, const char *const *argv)
{
	rs_oc_flags_read(argc, (char **)argv, r);
}

START_TEST(oc_flags_edges)
{
	static const char *const a1[] = {"-help=true", "--raft.server.id", "a"};
	static const char *const a2[] = {"-version=junk"};
	static const char *const a3[] = {"--raft.server.id", "a", "-", "--raft.server.id", "b"};
	static const char *const a4[] = {"--raft.server.id", "a", "--=x", "--raft.server.id", "b"};
	static const char *const a5[] = {"--raft.server.id", "a", "---x", "--raft.server.id", "b"};
	static const char *const a6[] = {"--raft.server.id", "a", "--raft.storage.dir"};
	static const char *const a7[] = {"--paused", "--raft.server.id", "c"};
	static const char *const a8[] = {"--unknown-flag", "v", "--raft.server.id", "d"};
	struct rs_oc_flags r;

	unsetenv(RS_OC_SERVER_ID_ENV);
	unsetenv(RS_OC_STORAGE_DIR_ENV);
	read_flags(&r, 3, a1);
	ck_assert(r.help);
	ck_assert_str_eq(r.server_id.val, "a");
	read_flags(&r, 1, a2);
	ck_assert(r.help); /* Go's flag package: a bad value for -version still asks */
	read_flags(&r, 5, a3);
	ck_assert_str_eq(r.server_id.val, "a"); /* "-" is an argument: the flags end */
	read_flags(&r, 5, a4);
	ck_assert_str_eq(r.server_id.val, "a"); /* bad flag syntax */
	read_flags(&r, 5, a5);
	ck_assert_str_eq(r.server_id.val, "a");
	read_flags(&r, 3, a6);
	ck_assert_str_eq(r.server_id.val, "a");
	ck_assert_ptr_null(r.storage_dir.val); /* a flag needs an argument: it stops */
	read_flags(&r, 3, a7);
	ck_assert_str_eq(r.server_id.val, "c"); /* --paused is a boolean: takes no value */
	read_flags(&r, 4, a8);
	ck_assert_str_eq(r.server_id.val, "d"); /* an unknown flag took "v" */
}
END_TEST

START_TEST(snapshot_threshold_values)
{
	static const char *const bad[] = {"x1", "-1", "12x", "99999999999999999999", ""};
	struct rs_oc_flags r;
	uint64_t t = 7;

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.snapshot_threshold.val = bad[i];
		ck_assert_msg(!rs_oc_snapshot_threshold(&r, &t), "took \"%s\"", bad[i]);
	}
	r.snapshot_threshold.val = "0x10";
	ck_assert(rs_oc_snapshot_threshold(&r, &t));
	ck_assert_uint_eq(t, 16);
	r.snapshot_threshold.val = "18446744073709551615";
	ck_assert(rs_oc_snapshot_threshold(&r, &t));
	ck_assert_uint_eq(t, UINT64_MAX);
}
END_TEST

START_TEST(preflight_edges)
{
	char dir[] = "/tmp/oci-engine-edges-XXXXXX", file[64];
	struct rs_preflight_plan p;
	struct rs_oc_flags r;
	struct rs_err e = {0};
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	memset(&r, 0, sizeof(r));
	/* nothing to check: no server ID, an empty one, no storage dir, help */
	ck_assert_int_eq(rs_preflight_plan(&r, 1, &p, &e), RS_OK);
	ck_assert_int_eq(p.state, RS_PF_NOT_CHECKED);
	rs_preflight_plan_free(&p);
	r.server_id.val = "";
	r.storage_dir.val = dir;
	ck_assert_int_eq(rs_preflight_plan(&r, 1, &p, &e), RS_OK);
	ck_assert_int_eq(p.state, RS_PF_NOT_CHECKED);
	rs_preflight_plan_free(&p);
	r.server_id.val = "s1";
	r.storage_dir.val = NULL;
	ck_assert_int_eq(rs_preflight_plan(&r, 1, &p, &e), RS_OK);
	ck_assert_int_eq(p.state, RS_PF_NOT_CHECKED);
	rs_preflight_plan_free(&p);
	r.storage_dir.val = dir;
	r.help = 1;
	ck_assert_int_eq(rs_preflight_plan(&r, 1, &p, &e), RS_OK);
	ck_assert_int_eq(p.state, RS_PF_NOT_CHECKED);
	rs_preflight_plan_free(&p);
	r.help = 0;

	/* a storage "directory" that is a file: no state there, a new node;
	 * "yes" is no boolean Go parses: not a bootstrap */
	snprintf(file, sizeof(file), "%s/file", dir);
	fp = fopen(file, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	r.storage_dir.val = file;
	r.bootstrap.val = "yes";
	strcpy(r.bootstrap.src, "--raft.bootstrap");
	ck_assert_msg(rs_preflight_plan(&r, 1, &p, &e) == RS_OK, "%s", e.msg);
	ck_assert_int_eq(p.state, RS_PF_NONE);
	ck_assert(!p.bootstrap);
	ck_assert_int_eq(p.note, RS_PF_NOTE_NONE);
	ck_assert(rs_preflight_starts(&p));
	rs_preflight_plan_free(&p);
	unlink(file);
	rmdir(dir);

	ck_assert_str_eq(rs_pf_state_name(RS_PF_SKIPPED), "skipped");
	ck_assert_str_eq(rs_pf_state_name(RS_PF_UNREADABLE), "unreadable");
	ck_assert_str_eq(rs_pf_state_name((enum rs_pf_state)99), "unreadable");
	ck_assert_str_eq(rs_pf_note_name(RS_PF_BOOTSTRAP_FIRST_START), "bootstrap_first_start");
	ck_assert_ptr_null(rs_pf_note_name(RS_PF_NOTE_NONE));
	p.state = RS_PF_UNREADABLE;
	ck_assert(!rs_preflight_starts(&p));
	p.state = RS_PF_INVALID;
	ck_assert(!rs_preflight_starts(&p));
}
END_TEST

START_TEST(error_edges)
{
	struct rs_err e = {0};
	char big[2000], buf[16];
	const char *q;

	ck_assert_str_eq(rs_errno_fix(EROFS),
	                 "the file system is mounted read-only: mount it read-write");
	ck_assert_str_eq(rs_errno_fix(ELOOP), "a symbolic link is in the way: give the real path");
	ck_assert_ptr_null(rs_errno_fix(EINTR));
	ck_assert_int_eq(rs_errf(NULL, RS_EIO, "x"), RS_EIO); /* the code, nowhere to write */
	ck_assert_int_eq(rs_err_append(NULL, "x"), RS_OK);
	ck_assert_int_eq(rs_err_suffix(NULL, "x"), RS_OK);

	/* appended past the buffer: cut in the middle, both ends kept */
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(rs_errf(&e, RS_ECORRUPT, "start"), RS_ECORRUPT);
	ck_assert_int_eq(rs_err_append(&e, " %s end", big), RS_ECORRUPT);
	ck_assert_uint_lt(strlen(e.msg), sizeof(e.msg));
	ck_assert_msg(strncmp(e.msg, "start", 5) == 0, "%s", e.msg);
	ck_assert_msg(strcmp(e.msg + strlen(e.msg) - 4, " end") == 0, "%s", e.msg);

	/* quoted into a small buffer: cut, still closed */
	q = rs_quote("a\tlong\tvalue\tthat does not fit", buf, sizeof(buf));
	ck_assert_ptr_eq(q, buf);
	ck_assert_uint_lt(strlen(buf), sizeof(buf));
	ck_assert_int_eq(buf[0], '"');
	ck_assert_int_eq(buf[strlen(buf) - 1], '"');
}
END_TEST

START_TEST(safe_relative_length)
{
	char *p = malloc(PATH_MAX + 1);

	ck_assert_ptr_nonnull(p);
	memset(p, 'a', PATH_MAX);
	for (size_t i = 200; i < PATH_MAX; i += 200)
		p[i] = '/';
	p[PATH_MAX] = '\0';
	ck_assert(!rs_path_safe_relative(p));
	p[PATH_MAX - 1] = '\0'; /* one byte shorter: fits */
	ck_assert(rs_path_safe_relative(p));
	free(p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("engine_edges");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, oc_flags_edges);
	tcase_add_test(tc, snapshot_threshold_values);
	tcase_add_test(tc, preflight_edges);
	tcase_add_test(tc, error_edges);
	tcase_add_test(tc, safe_relative_length);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
