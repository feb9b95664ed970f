/*
 * The cluster document (raftstate/clusterfile.h) as `raft generate
 * --config FILE` reads it, through rs_cluster_file_parse / _load:
 *   accepted   a minimal document; every optional key (network, formed,
 *              a decimal-string initial_term up to 2^64-1, suffrage in any
 *              case); the keys the writer adds (tool, version, node_id,
 *              files) are ignored;
 *   refused    each shape error, RS_CLUSTER_FILE_EINVALID with one sentence
 *              starting with the file name and naming the JSON path:
 *              initial_term out of range as a number (0, a fraction, above
 *              2^53) or as a string (empty, leading zero, "0", 2^64, not a
 *              number), every key of the wrong type, unknown keys at both
 *              levels, a node without id or address, an unknown suffrage,
 *              more than RS_MEMBERS_MAX nodes, a document above 16 MiB;
 *   load       a missing file is RS_CLUSTER_FILE_EIO naming it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/clusterfile.h"
#include "tests/check_support.h"

static int parse(const char *doc, size_t len, struct rs_cluster_file *cf, char *msg, size_t size)
{
	memset(cf, 0, sizeof(*cf));
	msg[0] = '\0';
	return rs_cluster_file_parse(doc, len, "c.json", cf, msg, size);
}

START_TEST(test_accepted)
{
	static const char doc[] =
	    "{\"tool\": \"op-conductor-init\", \"version\": \"0.1.0\", \"network\": \"op-x\",\n"
	    " \"initial_term\": \"18446744073709551615\", \"initial_leader\": \"a\", \"formed\": "
	    "true,\n"
	    " \"nodes\": [{\"id\": \"a\", \"address\": \"h:1\", \"suffrage\": \"Voter\"},\n"
	    "           {\"id\": \"b\", \"address\": \"g:2\", \"suffrage\": \"NONVOTER\"}],\n"
	    " \"node_id\": \"a\", \"files\": [{\"path\": \"a/raft-log.db\"}]}";
	struct rs_cluster_file cf;
	char msg[512];

	ck_assert_msg(parse(doc, sizeof(doc) - 1, &cf, msg, sizeof(msg)) == RS_CLUSTER_FILE_OK,
	              "%s", msg);
	ck_assert(cf.has_nodes && cf.has_term && cf.formed);
	ck_assert(cf.term == UINT64_MAX);
	ck_assert_str_eq(cf.network, "op-x");
	ck_assert_str_eq(cf.leader, "a");
	ck_assert_uint_eq(cf.ms.n, 2);
	ck_assert_str_eq(cf.ms.m[1].address, "g:2");
	ck_assert(!cf.ms.m[0].nonvoter && cf.ms.m[1].nonvoter);
	rs_cluster_file_free(&cf);

	ck_assert_int_eq(parse("{\"initial_term\": 9007199254740991}", 34, &cf, msg, sizeof(msg)),
	                 RS_CLUSTER_FILE_OK);
	ck_assert(cf.term == 9007199254740991ull && !cf.has_nodes && cf.leader == NULL);
	rs_cluster_file_free(&cf);
}
END_TEST

static const struct {
	const char *doc, *says;
} refused[] = {
    {"[]", "c.json: the document must be a JSON object"},
    {"{\"bogus\": 1}",
     "c.json: unknown key \"bogus\" (expected nodes, initial_leader, initial_term, network, "
     "formed)"},
    {"{\"initial_term\": 0}", "initial_term must be an integer from 1 to 2^53-1"},
    {"{\"initial_term\": 1.5}", "initial_term must be an integer from 1 to 2^53-1"},
    {"{\"initial_term\": 9007199254740993}", "write larger terms as a decimal string"},
    {"{\"initial_term\": \"\"}", "initial_term must be an integer >= 1"},
    {"{\"initial_term\": \"007\"}", "initial_term must be an integer >= 1"},
    {"{\"initial_term\": \"0\"}", "initial_term must be an integer >= 1"},
    {"{\"initial_term\": \"18446744073709551616\"}", "initial_term must be an integer >= 1"},
    {"{\"initial_term\": \"12a\"}", "initial_term must be an integer >= 1"},
    {"{\"initial_term\": true}", "initial_term must be an integer >= 1"},
    {"{\"formed\": 1}", "c.json: formed must be true or false"},
    {"{\"network\": 5}", "c.json: network must be a string"},
    {"{\"initial_leader\": 5}", "c.json: initial_leader must be a string"},
    {"{\"nodes\": {}}", "c.json: nodes must be an array of objects"},
    {"{\"nodes\": [1]}", "c.json: nodes[0] must be an object"},
    {"{\"nodes\": [{\"id\": \"a\"}]}", "c.json: nodes[0].address is missing"},
    {"{\"nodes\": [{\"address\": \"h:1\"}]}", "c.json: nodes[0].id is missing"},
    {"{\"nodes\": [{\"id\": 7, \"address\": \"h:1\"}]}", "c.json: nodes[0].id must be a string"},
    {"{\"nodes\": [{\"id\": \"a\", \"address\": \"h:1\", \"suffrage\": \"maybe\"}]}",
     "c.json: nodes[0].suffrage must be \"voter\" or \"nonvoter\""},
    {"{\"nodes\": [{\"id\": \"a\", \"address\": \"h:1\", \"x\": 1}]}",
     "c.json: nodes[0] has an unknown key \"x\""},
    {"{\"nodes\": [] ", "c.json"},
    {"{\"nodes\": []}", "c.json: nodes is empty"},
    {"{\"nodes\": [{\"id\": \"a\", \"address\": \"h:1\", \"suffrage\": 1}]}",
     "c.json: nodes[0].suffrage must be \"voter\" or \"nonvoter\""},
    {"{\"nodes\": [{\"id\": \"a\", \"address\": []}]}",
     "c.json: nodes[0].address must be a string"},
    {"{\"initial_term\": \"99999999999999999999\"}", "initial_term must be an integer >= 1"},
    {"{\"initial_term\": \"18446744073709551619\"}", "initial_term must be an integer >= 1"},
};

START_TEST(test_refused)
{
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct rs_cluster_file cf;
		char msg[512];
		int rc = parse(refused[i].doc, strlen(refused[i].doc), &cf, msg, sizeof(msg));

		ck_assert_msg(rc == RS_CLUSTER_FILE_EINVALID, "%s: rc %d", refused[i].doc, rc);
		ck_assert_msg(strstr(msg, refused[i].says) != NULL &&
		                  strncmp(msg, "c.json: ", 8) == 0,
		              "%s: \"%s\" lacks \"%s\"", refused[i].doc, msg, refused[i].says);
		rs_cluster_file_free(&cf);
	}
}
END_TEST

START_TEST(test_bounds)
{
	size_t n = 4097, cap = n * 48 + 64, o = 0;
	char *doc = malloc(cap), msg[512];
	struct rs_cluster_file cf;

	ck_assert_ptr_nonnull(doc);
	o += (size_t)snprintf(doc + o, cap - o, "{\"nodes\": [");
	for (size_t i = 0; i < n; i++)
		o +=
		    (size_t)snprintf(doc + o, cap - o, "%s{\"id\": \"s%zu\", \"address\": \"h:1\"}",
		                     i ? "," : "", i);
	o += (size_t)snprintf(doc + o, cap - o, "]}");
	ck_assert_int_eq(parse(doc, o, &cf, msg, sizeof(msg)), RS_CLUSTER_FILE_EINVALID);
	ck_assert_msg(strstr(msg, "nodes has 4097 entries; at most 4096") != NULL, "%s", msg);
	rs_cluster_file_free(&cf);
	free(doc);

	/* 16 MiB + 1 of white space: refused by its size, before parsing */
	cap = (16u << 20) + 1;
	doc = malloc(cap);
	ck_assert_ptr_nonnull(doc);
	memset(doc, ' ', cap);
	doc[0] = '{';
	doc[cap - 1] = '}';
	ck_assert_int_eq(parse(doc, cap, &cf, msg, sizeof(msg)), RS_CLUSTER_FILE_EINVALID);
	ck_assert_msg(strstr(msg, "is larger than") != NULL, "%s", msg);
	rs_cluster_file_free(&cf);
	free(doc);

	/* a message buffer too small for the file's name: refused all the same */
	ck_assert_int_eq(parse("[]", 2, &cf, msg, 5), RS_CLUSTER_FILE_EINVALID);
	ck_assert_uint_lt(strlen(msg), 5);
	rs_cluster_file_free(&cf);

	memset(&cf, 0, sizeof(cf));
	ck_assert_int_eq(rs_cluster_file_load("/nonexistent/oci/c.json", &cf, msg, sizeof(msg)),
	                 RS_CLUSTER_FILE_EIO);
	ck_assert_msg(strstr(msg, "/nonexistent/oci/c.json") != NULL, "%s", msg);
	rs_cluster_file_free(&cf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cluster file");
	TCase *tc = tcase_create("clusterfile");

	tcase_add_test(tc, test_accepted);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return oci_check_run(s);
}
