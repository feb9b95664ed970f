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
#include <stdio.h>
#include <string.h>

#include "bolt/error.h"
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
	/* an escape is never cut in half (a value that fits whole stays whole) */
	ck_assert_str_eq(rs_quote("abcde\x01", buf, sizeof(buf)), "\"abcde\\x01\"");
	ck_assert_str_eq(rs_quote("abcdef\x01", buf, sizeof(buf)), "\"abcdef...\"");
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

/* bolt_text_fit, the shortening behind every message: long words (paths)
 * cut in their middle, all to the same length, the sentence kept whole */
START_TEST(test_fit)
{
	char a[301], b[301], text[3100], out[120], *p, *q;
	struct rs_err e = {0};
	size_t la, lb;

	memset(a, 'a', 300);
	memset(b, 'b', 300);
	a[0] = b[0] = '/';
	a[300] = b[300] = '\0';
	(void)snprintf(text, sizeof(text), "cannot move %s to %s: gone (check the path)", a, b);
	bolt_text_fit(out, sizeof(out), text, strlen(text));
	ck_assert_uint_le(strlen(out), sizeof(out) - 1);
	ck_assert_msg(strncmp(out, "cannot move /aaa", 16) == 0, "%s", out);
	ck_assert_msg(strstr(out, "bbb: gone (check the path)") != NULL, "%s", out);
	/* both paths shortened, to the same length */
	p = strstr(out, "a...a");
	q = strstr(out, "b...b");
	ck_assert_msg(p != NULL && q != NULL, "%s", out);
	la = (size_t)(strstr(out, " to ") - (out + 12));
	lb = (size_t)(strstr(out, ": gone") - (strstr(out, " to ") + 4));
	ck_assert_msg(la + 1 >= lb && lb + 1 >= la, "%zu vs %zu: %s", la, lb, out);
	/* short words are never cut: the end goes */
	bolt_text_fit(out, 12, "one two three four", 18);
	ck_assert_str_eq(out, "one two thr");
	/* a UTF-8 sequence is never split */
	for (size_t i = 0; i < 100; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);
	bolt_text_fit(out, 40, text, 200);
	ck_assert_uint_le(strlen(out), 39);
	for (p = out; *p != '\0'; p++)
		if (*p == '.')
			continue;
		else if ((unsigned char)*p == 0xc3)
			ck_assert_msg((unsigned char)*++p == 0xa9, "split at %td", p - out);
		else
			ck_abort_msg("stray byte 0x%02x at %td", (unsigned char)*p, p - out);
	/* a whole rs_err: the fix survives a path of 3,000 bytes */
	memset(text, 'd', 3000);
	text[0] = '/';
	text[3000] = '\0';
	errno = ENOENT;
	ck_assert_int_eq(rs_syserr(&e, "cannot open", text), RS_EIO);
	ck_assert_uint_le(strlen(e.msg), sizeof(e.msg) - 1);
	ck_assert_msg(strstr(e.msg, ": No such file or directory (check the path)") != NULL &&
	                  strncmp(e.msg, "cannot open /ddd", 16) == 0,
	              "%s", e.msg);
	(void)rs_err_suffix(&e, "; give a shorter path");
	ck_assert_msg(strstr(e.msg, "(check the path); give a shorter path") != NULL, "%s", e.msg);
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
	tcase_add_test(tc, test_fit);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
