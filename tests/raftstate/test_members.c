/*
 * The member list from flags (raftstate/members.h), through
 * rs_members_split then rs_members_validate, as `raft generate` calls them:
 *   accepted   plain addresses with --server-ids, id=address pairs with or
 *              without --server-ids repeating them in order, items trimmed
 *              like the Go tool (strings.TrimSpace), IPv6 with a zone,
 *              --nonvoters marking exactly the listed members;
 *   refused    each rule of the header's table, with RS_EINVAL and one
 *              sentence naming the flag, the entry and the value: counts,
 *              mixed forms, a missing --server-ids (naming its variable),
 *              addresses (port range and syntax, empty host, IPv4 and IPv6
 *              syntax, spaces, '/', duplicates compared case-insensitively
 *              and IPv6 by value), server IDs (empty, ".", "..", '/',
 *              control characters, duplicates), the leader (not a member, a
 *              nonvoter), --nonvoters (unknown, repeated);
 *   first voter  rs_members_first_voter, recover's stand-in leader.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/members.h"
#include "tests/check_support.h"

static int parse(const char *nodes, const char *ids, const char *leader, const char *nonvoters,
                 struct rs_members *ms, struct rs_err *e)
{
	struct rs_members_input in = {.nodes = nodes,
	                              .nodes_what = "--nodes",
	                              .ids = ids,
	                              .ids_what = "--server-ids",
	                              .ids_env = "OP_CONDUCTOR_INIT_SERVER_IDS"};
	struct rs_members_names names;
	int rc;

	memset(ms, 0, sizeof(*ms));
	memset(e, 0, sizeof(*e));
	rc = rs_members_split(&in, ms, &names, e);
	if (rc == RS_OK)
		rc = rs_members_validate(ms, &names, leader, "--initial-leader", nonvoters,
		                         "--nonvoters", e);
	return rc;
}

START_TEST(test_accepted)
{
	struct rs_members ms;
	struct rs_err e;

	ck_assert_msg(parse(" 10.0.0.1:7000 , host-b:7001 ,[fe80::1%eth0]:7002", " a , b ,c", "b",
	                    NULL, &ms, &e) == RS_OK,
	              "%s", e.msg);
	ck_assert_uint_eq(ms.n, 3);
	ck_assert_str_eq(ms.m[0].id, "a");
	ck_assert_str_eq(ms.m[0].address, "10.0.0.1:7000");
	ck_assert_str_eq(ms.m[1].address, "host-b:7001");
	ck_assert_str_eq(ms.m[2].address, "[fe80::1%eth0]:7002");
	ck_assert_uint_eq(ms.leader, 1);
	for (size_t i = 0; i < 3; i++)
		ck_assert(!ms.m[i].nonvoter);
	rs_members_free(&ms);

	/* id=address pairs, --server-ids left out or repeating them */
	ck_assert_msg(parse("x=h:1,y=g:2", NULL, "x", "y", &ms, &e) == RS_OK, "%s", e.msg);
	ck_assert_str_eq(ms.m[1].id, "y");
	ck_assert_str_eq(ms.m[1].address, "g:2");
	ck_assert(!ms.m[0].nonvoter && ms.m[1].nonvoter);
	rs_members_free(&ms);
	ck_assert_msg(parse("x=h:1,y=g:2", "x,y", "y", NULL, &ms, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_eq(ms.leader, 1);
	rs_members_free(&ms);
}
END_TEST

static const struct {
	const char *nodes, *ids, *leader, *nonvoters, *says;
} refused[] = {
    {"h:1,g:1", "a", "a", NULL, "--nodes has 2 entries but --server-ids has 1"},
    {"h:1,g:1", NULL, "a", NULL,
     "--server-ids is required (or set OP_CONDUCTOR_INIT_SERVER_IDS, or give --nodes as "
     "id=address pairs)"},
    {"a=h:1,g:1", NULL, "a", NULL,
     "--nodes mixes id=address pairs (entry 1) and plain addresses (entry 2)"},
    {"a=h:1,b=g:1", "b,a", "a", NULL,
     "--server-ids entry 1 is \"b\" but --nodes entry 1 names \"a\""},
    {"h:1,,g:1", "a,b,c", "a", NULL, "--nodes entry 2 is empty"},
    {"h:0", "a", "a", NULL, "--nodes entry 1 \"h:0\" has port 0; ports are 1 to 65535"},
    {"h:65536", "a", "a", NULL, "has port 65536"},
    {"h:", "a", "a", NULL, "--nodes entry 1 \"h:\" has an empty port"},
    {"h:1x", "a", "a", NULL, "has a port that is not a number"},
    {"h", "a", "a", NULL, "is not host:port (the port is missing)"},
    {":1", "a", "a", NULL, "has an empty host"},
    {"1.2.3:1", "a", "a", NULL, "has an invalid IPv4 address \"1.2.3\""},
    {"1.2.3.256:1", "a", "a", NULL, "invalid IPv4 address \"1.2.3.256\""},
    {"[::1:1", "a", "a", NULL, "has '[' without ']'"},
    {"[zz]:1", "a", "a", NULL, "has an invalid IPv6 address \"zz\""},
    {"::1:1", "a", "a", NULL, "has too many colons; write an IPv6 address as [addr]:port"},
    {"h h:1", "a", "a", NULL, "contains a space or control character"},
    {"h/x:1", "a", "a", NULL, "has a host with '[', ']' or '/'"},
    {"h:1,H:1", "a,b", "a", NULL,
     "--nodes lists the same address twice (entries 1 \"h:1\" and 2 \"H:1\")"},
    {"[::1]:1,[0:0::1]:1", "a,b", "a", NULL, "lists the same address twice"},
    {"h:1", "", "", NULL, "--server-ids entry 1 is empty"},
    {"h:1", ".", ".", NULL, "is \".\", which cannot be a server directory name"},
    {"h:1", "..", "..", NULL, "is \"..\", which cannot be a server directory name"},
    {"h:1", "a/b", "a/b", NULL, "contains '/', but a server ID becomes a directory name"},
    {"h:1", "a\x01", "a\x01", NULL, "contains a control character"},
    {"h:1,g:1", "a,a", "a", NULL, "--server-ids lists \"a\" twice (entries 1 and 2)"},
    {"h:1", "a", "b", NULL, "--initial-leader \"b\" is not one of the server IDs in --server-ids"},
    {"h:1,g:1", "a,b", "b", "b",
     "--initial-leader \"b\" is a nonvoter (listed in --nonvoters); a nonvoter cannot be the "
     "initial leader"},
    {"h:1,g:1", "a,b", "a", "c", "--nonvoters entry 1 \"c\" is not one of the server IDs"},
    {"h:1,g:1", "a,b", "a", "b,b", "--nonvoters lists \"b\" twice"},
    {"h:1,g:1", "a,b", "a", "b,,a", "--nonvoters entry 2 is empty"},
    {"h\x7f:1", "a", "a", NULL, "contains a space or control character"},
    {"h\t:1", "a", "a", NULL, "contains a space or control character"},
    {"[::1]1", "a", "a", NULL, "--nodes entry 1 \"[::1]1\" is not [ipv6]:port"},
    {"[fe80::1%]:1", "a", "a", NULL, "has an empty IPv6 zone"},
    {"h:-1", "a", "a", NULL, "has a port that is not a number"},
    {"h:99999999999999999999", "a", "a", NULL, "has port 99999999999999999999"},
};

START_TEST(test_refused)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct rs_members ms;
		struct rs_err e;
		int rc = parse(refused[i].nodes, refused[i].ids, refused[i].leader,
		               refused[i].nonvoters, &ms, &e);

		ck_assert_msg(rc == RS_EINVAL, "case %zu (%s): rc %d", i, refused[i].nodes, rc);
		ck_assert_msg(strstr(e.msg, refused[i].says) != NULL,
		              "case %zu: \"%s\" lacks \"%s\"", i, e.msg, refused[i].says);
		ck_assert_msg(strchr(e.msg, '\n') == NULL, "case %zu: more than one line", i);
		rs_members_free(&ms);
	}
}
END_TEST

/* recover's stand-in leader for rs_members_validate: the first member
 * that votes once --nonvoters (trimmed like every list item) applies */
START_TEST(test_first_voter)
{
	struct rs_members ms;
	struct rs_err e;
	const char *v = "x";

	ck_assert_msg(parse("a=h1:1,b=h2:2,c=h3:3", NULL, "a", NULL, &ms, &e) == RS_OK, "%s",
	              e.msg);
	ck_assert_int_eq(rs_members_first_voter(&ms, NULL, &v, &e), 0);
	ck_assert_str_eq(v, "a");
	ck_assert_int_eq(rs_members_first_voter(&ms,
	                                        " a ,\xc2\xa0"
	                                        "b",
	                                        &v, &e),
	                 0);
	ck_assert_str_eq(v, "c");
	ck_assert_int_eq(rs_members_first_voter(&ms, "a,b,c", &v, &e), 0);
	ck_assert_ptr_null(v);
	ms.m[0].nonvoter = 1; /* no list: the members' own suffrage */
	ck_assert_int_eq(rs_members_first_voter(&ms, NULL, &v, &e), 0);
	ck_assert_str_eq(v, "b");
	ck_assert_int_eq(rs_members_first_voter(&ms, "", &v, &e), 0); /* "": all vote */
	ck_assert_str_eq(v, "a");
	rs_members_free(&ms);
}
END_TEST

/* Items are trimmed exactly as Go's strings.TrimSpace trims (unicode.IsSpace:
 * ASCII white space, U+0085, U+00A0 and the Unicode Zs/line/paragraph
 * separators), on both ends; other format characters stay. */
START_TEST(test_trims_every_go_space)
{
	static const char *const spaces[] = {
	    " ",
	    "\t",
	    "\n",
	    "\v",
	    "\f",
	    "\r",
	    "\xc2\x85",
	    "\xc2\xa0",
	    "\xe1\x9a\x80",
	    "\xe2\x80\x80",
	    "\xe2\x80\x85",
	    "\xe2\x80\x8a",
	    "\xe2\x80\xa8",
	    "\xe2\x80\xa9",
	    "\xe2\x80\xaf",
	    "\xe2\x81\x9f",
	    "\xe3\x80\x80",
	};
	static const char *const kept[] = {
	    "\xe2\x80\x8b", /* U+200B zero width space: not white space */
	    "\xe1\xa0\x8e", /* U+180E: no longer white space in Go */
	    "\xe2\x80\xb0", "\xe2\x81\x9e", "\xe3\x80\x81", "\xc2\x84", "\xe1\x9a\x81",
	};
	struct rs_members ms;
	struct rs_err e;
	char ids[64], want[16];

	for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		snprintf(ids, sizeof(ids), "%s%sa%s%s", spaces[i], spaces[i], spaces[i], spaces[i]);
		ck_assert_msg(parse("h:1", ids, "a", NULL, &ms, &e) == RS_OK, "space %zu: %s", i,
		              e.msg);
		ck_assert_str_eq(ms.m[0].id, "a");
		rs_members_free(&ms);
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		snprintf(ids, sizeof(ids), " %sa%s ", kept[i], kept[i]);
		snprintf(want, sizeof(want), "%sa%s", kept[i], kept[i]);
		ck_assert_msg(parse("h:1", ids, want, NULL, &ms, &e) == RS_OK, "kept %zu: %s", i,
		              e.msg);
		ck_assert_str_eq(ms.m[0].id, want);
		rs_members_free(&ms);
	}
}
END_TEST

/* The bounds: a 255-byte ID and host are accepted, 256 bytes refused;
 * RS_MEMBERS_MAX members accepted, one more refused. */
START_TEST(test_lengths_and_counts)
{
	char id[300], addr[300], *nodes, *list;
	struct rs_members ms;
	struct rs_err e;
	size_t o = 0, k = 0;

	memset(id, 'i', 255);
	id[255] = '\0';
	memset(addr, 'h', 255);
	strcpy(addr + 255, ":1");
	ck_assert_msg(parse(addr, id, id, NULL, &ms, &e) == RS_OK, "%s", e.msg);
	rs_members_free(&ms);
	strcpy(id + 255, "i");
	ck_assert_int_eq(parse("h:1", id, id, NULL, &ms, &e), RS_EINVAL);
	ck_assert_msg(strstr(e.msg, "--server-ids entry 1 is 256 bytes long; a server ID becomes a "
	                            "directory name and may have at most 255") != NULL,
	              "%s", e.msg);
	rs_members_free(&ms);
	memset(addr, 'h', 256);
	strcpy(addr + 256, ":1");
	ck_assert_int_eq(parse(addr, "a", "a", NULL, &ms, &e), RS_EINVAL);
	ck_assert_str_eq(e.msg, "--nodes entry 1 has a host of more than 255 bytes");
	rs_members_free(&ms);

	nodes = malloc((RS_MEMBERS_MAX + 1) * 16);
	list = malloc((RS_MEMBERS_MAX + 1) * 16);
	ck_assert(nodes != NULL && list != NULL);
	for (size_t i = 0; i < RS_MEMBERS_MAX; i++) {
		o += (size_t)sprintf(nodes + o, "%sh%zu:1", i ? "," : "", i);
		k += (size_t)sprintf(list + k, "%ss%zu", i ? "," : "", i);
	}
	ck_assert_msg(parse(nodes, list, "s0", NULL, &ms, &e) == RS_OK, "%s", e.msg);
	ck_assert_uint_eq(ms.n, RS_MEMBERS_MAX);
	rs_members_free(&ms);
	sprintf(nodes + o, ",x:1");
	sprintf(list + k, ",x");
	ck_assert_int_eq(parse(nodes, list, "s0", NULL, &ms, &e), RS_EINVAL);
	ck_assert_str_eq(e.msg, "--nodes has 4097 entries; at most 4096 nodes are supported");
	rs_members_free(&ms);
	free(nodes);
	free(list);
}
END_TEST

/* A list from a cluster file: rs_members_validate names entries by their
 * JSON path, and a nonvoter leader by its suffrage field. */
static void file_members(struct rs_members *ms, const char *const *ids, const char *const *addrs,
                         size_t n)
{
	memset(ms, 0, sizeof(*ms));
	ms->m = calloc(n, sizeof(*ms->m));
	ck_assert_ptr_nonnull(ms->m);
	ms->n = n;
	for (size_t i = 0; i < n; i++) {
		ms->m[i].id = strdup(ids[i]);
		ms->m[i].address = strdup(addrs[i]);
	}
}

START_TEST(test_file_names_paths)
{
	static const struct rs_members_names nm = {
	    .file = "c.json", .nodes_what = "c.json: nodes", .ids_what = "c.json: nodes[].id"};
	static const char *const ids[] = {"a", "b", "a"}, *const uids[] = {"a", "b", "c"};
	static const char *const addrs[] = {"h:1", "g:1", "f:1"}, *const dup[] = {"h:1", "g:1",
	                                                                          "H:1"};
	static const char *const bad[] = {"h:1", "g:0", "f:1"};
	struct rs_members ms;
	struct rs_err e = {0};

	file_members(&ms, ids, addrs, 3);
	ck_assert_int_eq(rs_members_validate(&ms, &nm, "a", "leader", NULL, NULL, &e), RS_EINVAL);
	ck_assert_str_eq(e.msg,
	                 "c.json: nodes[2].id repeats the server ID \"a\" of c.json: nodes[0].id");
	rs_members_free(&ms);

	file_members(&ms, uids, dup, 3);
	ck_assert_int_eq(rs_members_validate(&ms, &nm, "a", "leader", NULL, NULL, &e), RS_EINVAL);
	ck_assert_str_eq(e.msg, "c.json: nodes[2].address \"H:1\" is the same address as c.json: "
	                        "nodes[0].address \"h:1\"");
	rs_members_free(&ms);

	file_members(&ms, uids, bad, 3);
	ck_assert_int_eq(rs_members_validate(&ms, &nm, "a", "leader", NULL, NULL, &e), RS_EINVAL);
	ck_assert_str_eq(e.msg,
	                 "c.json: nodes[1].address \"g:0\" has port 0; ports are 1 to 65535");
	rs_members_free(&ms);

	file_members(&ms, uids, addrs, 3);
	ms.m[1].nonvoter = 1;
	ck_assert_int_eq(rs_members_validate(&ms, &nm, "b", "leader", NULL, NULL, &e), RS_EINVAL);
	ck_assert_str_eq(e.msg, "leader \"b\" is a nonvoter (c.json: nodes[1].suffrage); a "
	                        "nonvoter cannot be the initial leader: name a voter");
	/* a --nonvoters list replaces the file's suffrage: "" makes all vote */
	ck_assert_msg(rs_members_validate(&ms, &nm, "b", "leader", "", "--nonvoters", &e) == RS_OK,
	              "%s", e.msg);
	ck_assert(!ms.m[0].nonvoter && !ms.m[1].nonvoter && !ms.m[2].nonvoter);
	ck_assert_uint_eq(ms.leader, 1);
	rs_members_free(&ms);

	memset(&ms, 0, sizeof(ms));
	ck_assert_int_eq(rs_members_validate(&ms, &nm, "a", "leader", NULL, NULL, &e), RS_EINVAL);
	ck_assert_str_eq(e.msg, "c.json: nodes lists no nodes");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("members");
	TCase *tc = tcase_create("members");

	tcase_add_test(tc, test_accepted);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_first_voter);
	tcase_add_test(tc, test_trims_every_go_space);
	tcase_add_test(tc, test_lengths_and_counts);
	tcase_add_test(tc, test_file_names_paths);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
