/*
 * The node-state model (raftstate/node.h) on its own: rs_node_init's
 * refusals and the server ID it takes from the directory name; a bolt error
 * as a raftstate error (every code, the fix added to an I/O error); the
 * settled --live read; the meta-status names of `info --json`; and the
 * unsafe head as op-conductor's FSM keeps it (Apply's "higher block number
 * wins", the early-2024 form kept apart, Restore first), with the nil-head
 * warning at and below the snapshot threshold.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bolt/error.h"
#include "bolt/meta.h"
#include "raftstate/node.h"
#include "tests/check_support.h"

static char dir[] = "/tmp/oci-tnode-XXXXXX";

START_TEST(init_refuses_and_names)
{
	struct rs_node n;
	struct rs_err e = {0};
	char p[4200], f[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/seq-1", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/seq-1///", dir);
	ck_assert_msg(rs_node_init(&n, p, &e) == RS_OK, "%s", e.msg);
	ck_assert_str_eq(n.id, "seq-1");
	snprintf(p, sizeof(p), "%s/seq-1", dir);
	ck_assert_str_eq(n.dir, p);
	rs_node_free(&n);

	snprintf(p, sizeof(p), "%s/none", dir);
	ck_assert_int_eq(rs_node_init(&n, p, &e), RS_ENOTFOUND);
	ck_assert_msg(strstr(e.msg, "cannot open state directory") != NULL, "%s", e.msg);

	snprintf(f, sizeof(f), "%s/file", dir);
	fp = fopen(f, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_int_eq(rs_node_init(&n, f, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "is not a directory") != NULL, "%s", e.msg);

	/* "/" keeps its slash; its ID is empty */
	ck_assert_int_eq(rs_node_init(&n, "/", &e), RS_OK);
	ck_assert_str_eq(n.dir, "/");
	ck_assert_str_eq(n.id, "");
}
END_TEST

START_TEST(bolt_errors_map_to_raftstate_codes)
{
	static const struct {
		int bolt, rs;
	} map[] = {
	    {BOLT_ELOCKED, RS_ELOCKED},     {BOLT_ENOMEM, RS_ENOMEM},
	    {BOLT_ENOTFOUND, RS_ENOTFOUND}, {BOLT_EINVAL, RS_EINVAL},
	    {BOLT_ECORRUPT, RS_ECORRUPT},   {BOLT_ELIMIT, RS_ELIMIT},
	    {BOLT_EEXIST, RS_EEXIST},       {BOLT_EIO, RS_EIO},
	    {BOLT_ECHANGED, RS_EIO},        {BOLT_ESHRANK, RS_EIO},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		struct bolt_err be = {.code = map[i].bolt, .sys_errno = 0};
		struct rs_err e = {0};

		snprintf(be.msg, sizeof(be.msg), "what bolt said %zu", i);
		ck_assert_int_eq(rs_err_from_bolt(&e, &be), map[i].rs);
		ck_assert_int_eq(e.code, map[i].rs);
		ck_assert_str_eq(e.msg, be.msg);
		ck_assert_int_eq(rs_err_from_bolt(NULL, &be), map[i].rs);
	}
	/* an I/O error whose errno has a fix gets it, and keeps its errno */
	{
		struct bolt_err be = {.code = BOLT_EIO, .sys_errno = EACCES};
		struct rs_err e = {0};

		snprintf(be.msg, sizeof(be.msg), "cannot open f: Permission denied");
		ck_assert_int_eq(rs_err_from_bolt(&e, &be), RS_EIO);
		ck_assert_int_eq(e.sys_errno, EACCES);
		ck_assert_str_eq(e.msg, "cannot open f: Permission denied (run as root, or as the "
		                        "files' owner)");
		ck_assert_int_eq(rs_err_from_bolt(NULL, &be), RS_EIO);
	}
}
END_TEST

START_TEST(live_read_settles_after_retries)
{
	struct bolt_err why = {.code = BOLT_ECHANGED};
	struct rs_err e = {0};

	snprintf(why.msg, sizeof(why.msg), "raft-log.db changed while it was read");
	ck_assert_int_eq(rs_live_settled(BOLT_OK, &why, 0, &e), RS_OK);
	for (int a = 0; a + 1 < RS_LIVE_RETRIES; a++)
		ck_assert_int_eq(rs_live_settled(BOLT_ECHANGED, &why, a, &e), RS_LIVE_AGAIN);
	ck_assert_int_eq(rs_live_settled(BOLT_ECHANGED, &why, RS_LIVE_RETRIES - 1, &e), RS_EIO);
	ck_assert_str_eq(e.msg, "raft-log.db changed while it was read, at each of 8 attempts to "
	                        "read it; retry, or stop the writer");
	/* any other answer is that error at once */
	why.code = BOLT_ESHRANK;
	snprintf(why.msg, sizeof(why.msg), "raft-log.db shrank while it was read");
	ck_assert_int_eq(rs_live_settled(BOLT_ESHRANK, &why, 0, &e), RS_EIO);
	ck_assert_str_eq(e.msg, "raft-log.db shrank while it was read");
}
END_TEST

START_TEST(meta_status_names)
{
	static const char *const names[] = {"ok",           "short",        "bad_magic",
	                                    "bad_version",  "bad_checksum", "bad_flags",
	                                    "bad_page_size"};

	ck_assert_int_eq(BOLT_META_OK, 0);
	ck_assert_int_eq(BOLT_META_BADPAGESIZE, 6);
	for (int s = 0; s < 7; s++) {
		ck_assert_str_eq(rs_meta_status_name(s), names[s]);
		ck_assert_ptr_nonnull(rs_meta_status_text(s));
	}
	ck_assert_str_eq(rs_meta_status_name(7), "unknown");
	ck_assert_str_eq(rs_meta_status_name(-1), "unknown");
}
END_TEST

static struct rs_block blk(uint64_t number, int form)
{
	struct rs_block b;

	memset(&b, 0, sizeof(b));
	b.found = 1;
	b.form = form;
	b.number = number;
	b.timestamp = 1700000000 + number;
	return b;
}

/* Apply walks the log forward and keeps a block only when its number is
 * higher; read newest first (backward), an equal number met later is the
 * older entry, which Apply kept. */
START_TEST(head_offer_keeps_what_apply_keeps)
{
	struct rs_node fw, bw;
	struct rs_block b7 = blk(7, RS_PAYLOAD_ENVELOPE), b9 = blk(9, RS_PAYLOAD_ENVELOPE),
	                l5 = blk(5, RS_PAYLOAD_LEGACY), l3 = blk(3, RS_PAYLOAD_LEGACY);

	memset(&fw, 0, sizeof(fw));
	memset(&bw, 0, sizeof(bw));
	/* forward: entries 10..14 */
	rs_node_head_offer(&fw, RS_PAYLOAD_ENVELOPE, &b7, NULL, 10, 0);
	rs_node_head_offer(&fw, RS_PAYLOAD_ENVELOPE, &b9, NULL, 11, 0);
	rs_node_head_offer(&fw, RS_PAYLOAD_ENVELOPE, &b9, NULL, 12, 0);
	rs_node_head_offer(&fw, RS_PAYLOAD_NONE, NULL, "not a payload", 13, 0);
	rs_node_head_offer(&fw, RS_PAYLOAD_LEGACY, &l5, NULL, 14, 0);
	ck_assert_uint_eq(fw.head.block.number, 9);
	ck_assert_uint_eq(fw.head.block.entry_index, 11); /* the first 9: Apply ignored 12 */
	ck_assert_int_eq(fw.head.block.source, RS_BLOCK_LOG);
	ck_assert_uint_eq(fw.head.from, 10);
	ck_assert_uint_eq(fw.head.to, 14);
	ck_assert_uint_eq(fw.head.commands, 5);
	ck_assert_uint_eq(fw.head.not_payloads, 1);
	ck_assert_uint_eq(fw.head.first_bad, 13);
	ck_assert_str_eq(fw.head.first_bad_why, "not a payload");
	ck_assert_uint_eq(fw.head.legacy, 1);
	ck_assert_uint_eq(fw.head.legacy_block.number, 5);

	/* backward over the same entries: the same answer */
	rs_node_head_offer(&bw, RS_PAYLOAD_LEGACY, &l5, NULL, 14, 1);
	rs_node_head_offer(&bw, RS_PAYLOAD_NONE, NULL, NULL, 13, 1);
	rs_node_head_offer(&bw, RS_PAYLOAD_ENVELOPE, &b9, NULL, 12, 1);
	rs_node_head_offer(&bw, RS_PAYLOAD_ENVELOPE, &b9, NULL, 11, 1);
	rs_node_head_offer(&bw, RS_PAYLOAD_ENVELOPE, &b7, NULL, 10, 1);
	rs_node_head_offer(&bw, RS_PAYLOAD_LEGACY, &l3, NULL, 9, 1);
	ck_assert_uint_eq(bw.head.block.number, 9);
	ck_assert_uint_eq(bw.head.block.entry_index, 11);
	ck_assert_uint_eq(bw.head.from, 9);
	ck_assert_uint_eq(bw.head.to, 14);
	ck_assert_uint_eq(bw.head.first_bad, 13);
	ck_assert_str_eq(bw.head.first_bad_why, "");
	ck_assert_uint_eq(bw.head.legacy_block.number, 5);

	/* merging the backward part into the forward one */
	rs_node_head_merge(&fw, &bw.head);
	ck_assert_uint_eq(fw.head.commands, 11);
	ck_assert_uint_eq(fw.head.from, 9);
	ck_assert_uint_eq(fw.head.to, 14);
	ck_assert_uint_eq(fw.head.not_payloads, 2);
	ck_assert_uint_eq(fw.head.legacy, 3);
	ck_assert_uint_eq(fw.head.block.number, 9);
	ck_assert_uint_eq(fw.head.legacy_block.number, 5);
	/* into an empty head, and an empty part changes nothing */
	{
		struct rs_node m;
		struct rs_head none;

		memset(&m, 0, sizeof(m));
		memset(&none, 0, sizeof(none));
		rs_node_head_merge(&m, &bw.head);
		ck_assert_uint_eq(m.head.from, 9);
		ck_assert_uint_eq(m.head.block.number, 9);
		rs_node_head_merge(&m, &none);
		ck_assert_uint_eq(m.head.commands, 6);
	}
}
END_TEST

/* Restore first (state.bin), then the entries: the higher block wins; an
 * early-2024 head stands in only when nothing today's FSM applies is there. */
START_TEST(head_finish_restore_then_entries)
{
	struct rs_node n;

	memset(&n, 0, sizeof(n));
	n.head.snap_state = RS_SNAP_STATE_PAYLOAD;
	n.head.snap_block = blk(20, RS_PAYLOAD_ENVELOPE);
	n.head.block = blk(15, RS_PAYLOAD_ENVELOPE);
	rs_node_head_finish(&n);
	ck_assert_uint_eq(n.head.block.number, 20);

	memset(&n, 0, sizeof(n));
	n.head.snap_state = RS_SNAP_STATE_PAYLOAD;
	n.head.snap_block = blk(20, RS_PAYLOAD_ENVELOPE);
	n.head.block = blk(25, RS_PAYLOAD_ENVELOPE);
	rs_node_head_finish(&n);
	ck_assert_uint_eq(n.head.block.number, 25);

	memset(&n, 0, sizeof(n));
	n.head.legacy_block = blk(4, RS_PAYLOAD_LEGACY);
	rs_node_head_finish(&n);
	ck_assert(n.head.block.found && n.head.block.form == RS_PAYLOAD_LEGACY);

	/* a state.bin in the early-2024 form: that era's Restore, higher wins */
	memset(&n, 0, sizeof(n));
	n.head.snap_state = RS_SNAP_STATE_BAD;
	n.head.snap_block = blk(30, RS_PAYLOAD_LEGACY);
	n.head.legacy_block = blk(31, RS_PAYLOAD_LEGACY);
	rs_node_head_finish(&n);
	ck_assert_uint_eq(n.head.legacy_block.number, 31);
	n.head.legacy_block = blk(29, RS_PAYLOAD_LEGACY);
	rs_node_head_finish(&n);
	ck_assert_uint_eq(n.head.legacy_block.number, 30);
}
END_TEST

/* The nil-head warning: none when a head exists or Restore fails anyway; 1
 * below the threshold, 2 at or above it; entries counted from the newest
 * snapshot. */
START_TEST(nil_head_warning_levels)
{
	struct rs_snapshot snap;
	struct rs_node n;
	char buf[1024];

	memset(&n, 0, sizeof(n));
	n.last_index = 100;
	ck_assert_uint_eq(rs_node_since_snapshot(&n), 100);
	ck_assert_int_eq(rs_node_nil_head(&n, 8192, "the default", buf, sizeof(buf)), 1);
	ck_assert_msg(strstr(buf, "once 8192 entries follow the last snapshot (the default); 100 "
	                          "do now") != NULL,
	              "%s", buf);
	ck_assert_int_eq(rs_node_nil_head(&n, 100, "--snapshot-threshold", buf, sizeof(buf)), 2);
	ck_assert_msg(strstr(buf, "and 100 entries follow the last snapshot, at or above the "
	                          "snapshot threshold 100 (--snapshot-threshold)") != NULL,
	              "%s", buf);
	n.head.block = blk(1, RS_PAYLOAD_ENVELOPE);
	ck_assert_int_eq(rs_node_nil_head(&n, 1, "x", buf, sizeof(buf)), 0);
	n.head.block.form = RS_PAYLOAD_LEGACY; /* today's FSM holds no legacy head */
	ck_assert_int_eq(rs_node_nil_head(&n, 1, "x", buf, sizeof(buf)), 2);
	for (int st = RS_SNAP_STATE_EMPTY; st <= RS_SNAP_STATE_UNREAD; st++) {
		n.head.snap_state = st;
		ck_assert_int_eq(rs_node_nil_head(&n, 1, "x", buf, sizeof(buf)), 0);
	}
	n.head.snap_state = RS_SNAP_STATE_NONE;
	n.head.not_payloads = 1; /* Apply fails on it: no snapshot is ever taken */
	ck_assert_int_eq(rs_node_nil_head(&n, 1, "x", buf, sizeof(buf)), 0);
	n.snapshots.tmp_count = 1; /* ...unless it already panicked once */
	ck_assert_int_eq(rs_node_nil_head(&n, 1, "x", buf, sizeof(buf)), 2);

	/* counted from the newest snapshot; none past it: 0 */
	memset(&snap, 0, sizeof(snap));
	snap.index = 100;
	snap.term = 1;
	strcpy(snap.name, "1-100-1700000000000");
	n.snapshots.v = &snap;
	n.snapshots.n = 1;
	ck_assert_uint_eq(rs_node_since_snapshot(&n), 0);
	n.last_index = 130;
	ck_assert_uint_eq(rs_node_since_snapshot(&n), 30);
	n.snapshots.v = NULL;
	n.snapshots.n = 0;
}
END_TEST

START_TEST(configs_compare_as_sets)
{
	struct rs_server a[] = {{0, "a", 1, "h:1", 3}, {1, "b", 1, "h:2", 3}};
	struct rs_server b[] = {{1, "b", 1, "h:2", 3}, {0, "a", 1, "h:1", 3}};
	struct rs_server c[] = {{1, "b", 1, "h:2", 3}, {1, "a", 1, "h:1", 3}};
	struct rs_server d[] = {{0, "a", 1, "h:1", 3}};
	struct rs_config ca = {a, 2}, cb = {b, 2}, cc = {c, 2}, cd = {d, 1};

	ck_assert_int_eq(rs_config_same(&ca, &cb), 1);
	ck_assert_int_eq(rs_config_same(&ca, &cc), 0); /* a's suffrage differs */
	ck_assert_int_eq(rs_config_same(&ca, &cd), 0);
	ck_assert_ptr_eq(rs_config_find(&ca, "b", 1), &a[1]);
	ck_assert_ptr_eq(rs_config_find(&ca, "h:1", 3), &a[0]);
	ck_assert_ptr_null(rs_config_find(&ca, "h:", 2));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("node");
	TCase *tc = tcase_create("node");

	tcase_add_test(tc, init_refuses_and_names);
	tcase_add_test(tc, bolt_errors_map_to_raftstate_codes);
	tcase_add_test(tc, live_read_settles_after_retries);
	tcase_add_test(tc, meta_status_names);
	tcase_add_test(tc, head_offer_keeps_what_apply_keeps);
	tcase_add_test(tc, head_finish_restore_then_entries);
	tcase_add_test(tc, nil_head_warning_levels);
	tcase_add_test(tc, configs_compare_as_sets);
	suite_add_tcase(s, tc);
	return oci_check_run_in_tmpdir(s, dir);
}
