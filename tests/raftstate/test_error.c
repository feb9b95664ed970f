/*
 * The one quoting of every message (raftstate/error.h), so that a hostile
 * value can never break the one-line rule: rs_quote_n escapes '"', '\\',
 * \n, \r, \t, other control bytes and DEL in Go's %q style, keeps every
 * other byte, truncates with "..." inside the closing quote to fit, and
 * writes nothing but a NUL into a buffer too small for that; rs_path_text
 * leaves a plain path as it is and quotes one holding a control byte, DEL
 * or '"'; rs_errf / rs_syserr fill the error (code, errno, one line).
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "raftstate/error.h"
#include "tests/check_support.h"

START_TEST(test_quote_escapes)
{
	static const char in[] = "a\"b\\c\nd\re\tf\x01g\x7fh\xc3\xa9";
	char buf[128];

	ck_assert_str_eq(rs_quote_n(buf, sizeof(buf), in, sizeof(in) - 1),
	                 "\"a\\\"b\\\\c\\nd\\re\\tf\\x01g\\x7fh\xc3\xa9\"");
	/* a NUL inside the n bytes is a control byte like any other */
	ck_assert_str_eq(rs_quote_n(buf, sizeof(buf), "x\0y", 3), "\"x\\x00y\"");
	ck_assert_str_eq(rs_quote("", buf, sizeof(buf)), "\"\"");
	ck_assert_str_eq(rs_q("seq-1").s, "\"seq-1\"");
}
END_TEST

START_TEST(test_quote_truncates)
{
	char buf[12], tiny[5] = "zzzz";

	/* room for '"', 4 bytes of text, "...", '"' and the NUL */
	ck_assert_str_eq(rs_quote("abcdefghijkl", buf, sizeof(buf)), "\"abcdef...\"");
	ck_assert_uint_le(strlen(buf), sizeof(buf) - 1);
	/* an escape is never cut in half */
	ck_assert_str_eq(rs_quote("abcde\x01", buf, sizeof(buf)), "\"abcde...\"");
	/* below 6 bytes nothing fits: an empty string */
	ck_assert_str_eq(rs_quote("abc", tiny, sizeof(tiny)), "");
	ck_assert_ptr_eq(rs_quote("abc", tiny, 0), tiny);
	ck_assert_str_eq(tiny, "");
}
END_TEST

START_TEST(test_path_text)
{
	char buf[64];

	ck_assert_str_eq(rs_path_text("/var/lib/raft/s1", buf, sizeof(buf)), "/var/lib/raft/s1");
	ck_assert_str_eq(rs_path_text("/tmp/a\nb", buf, sizeof(buf)), "\"/tmp/a\\nb\"");
	ck_assert_str_eq(rs_path_text("/tmp/a\"b", buf, sizeof(buf)), "\"/tmp/a\\\"b\"");
	ck_assert_str_eq(rs_qpath("/tmp/\x7f").s, "\"/tmp/\\x7f\"");
}
END_TEST

START_TEST(test_errors)
{
	struct rs_err e = {0};

	ck_assert_int_eq(rs_errf(&e, RS_ECORRUPT, "page %d of %s", 7, "x.db"), RS_ECORRUPT);
	ck_assert_int_eq(e.code, RS_ECORRUPT);
	ck_assert_str_eq(e.msg, "page 7 of x.db");
	ck_assert_int_eq(rs_errf(NULL, RS_EINVAL, "ignored"), RS_EINVAL);
	errno = ENOSPC;
	ck_assert_int_eq(rs_syserr(&e, "cannot write", "/tmp/x"), RS_EIO);
	ck_assert_int_eq(e.sys_errno, ENOSPC);
	/* with the fix rs_syserr gives for a full file system (issue 26) */
	ck_assert_str_eq(e.msg, "cannot write /tmp/x: No space left on device (free space on that "
	                        "file system)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("error");

	tcase_add_test(tc, test_quote_escapes);
	tcase_add_test(tc, test_quote_truncates);
	tcase_add_test(tc, test_path_text);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
