/*
 * The configuration rs_recover_plan is handed is checked before anything
 * else is read (raftstate/recover.h): on a real node written by
 * rs_generate_node, each malformed configuration is RS_EINVAL with one
 * sentence naming the fault (no servers, an empty ID or address, an
 * unknown suffrage, an ID or an address twice, no voter), and the node's
 * files stay byte for byte as they were. A plain directory without Raft
 * state is RS_ENOTFOUND saying so.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raftstate/config.h"
#include "raftstate/generate.h"
#include "raftstate/nodedir.h"
#include "raftstate/recover.h"
#include "tests/check_support.h"

static char root[] = "/tmp/oci-recover-config-XXXXXX";

static struct rs_server srv(const char *id, const char *address, uint64_t suffrage)
{
	struct rs_server s = {.suffrage = suffrage,
	                      .id = (char *)id,
	                      .id_len = strlen(id),
	                      .address = (char *)address,
	                      .address_len = strlen(address)};
	return s;
}

/* the bytes of root/s1/raft-log.db, for "nothing changed" */
static char *log_bytes(size_t *len)
{
	char p[300];
	struct stat st;
	char *buf;
	int fd;

	snprintf(p, sizeof(p), "%s/s1/raft-log.db", root);
	fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

START_TEST(test_malformed_configurations)
{
	struct rs_server good[3] = {srv("s1", "h:1", RS_VOTER), srv("s2", "h:2", RS_VOTER),
	                            srv("s3", "h:3", RS_VOTER)};
	struct rs_config c = {good, 3};
	struct rs_recover_opts o = {.lock_timeout = 5, .uid = (uid_t)-1, .gid = (gid_t)-1};
	struct {
		struct rs_server s[2];
		size_t n;
		const char *says;
	} bad[] = {
	    {{{0}}, 0, "the new configuration has no servers"},
	    {{srv("", "h:1", RS_VOTER)}, 1, "server 1 of the new configuration has an empty ID"},
	    {{srv("s1", "", RS_VOTER)}, 1, "has an empty ID or address"},
	    {{srv("s1", "h:1", 7)}, 1, "server s1 has an unknown suffrage 7"},
	    {{srv("s1", "h:1", RS_VOTER), srv("s1", "h:2", RS_VOTER)},
	     2,
	     "server ID s1 appears twice"},
	    {{srv("s1", "h:1", RS_VOTER), srv("s2", "h:1", RS_VOTER)},
	     2,
	     "address h:1 appears twice"},
	    {{srv("s1", "h:1", RS_NONVOTER), srv("s2", "h:2", RS_STAGING)},
	     2,
	     "the new configuration has no voter"},
	};
	struct rs_err e = {0};
	char dir[300], plain[300];
	size_t len, len2;
	char *before, *after;

	snprintf(dir, sizeof(dir), "%s/s1", root);
	ck_assert_msg(rs_generate_node(dir, &c, "s1", "s1", 1, NULL, &e) == RS_OK, "%s", e.msg);
	before = log_bytes(&len);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rs_config bc = {bad[i].s, bad[i].n};
		struct rs_recover_plan plan;
		struct rs_problems pr = {0};

		memset(&e, 0, sizeof(e));
		ck_assert_int_eq(rs_recover_plan(dir, &bc, &o, &plan, &pr, &e), RS_EINVAL);
		ck_assert_msg(strstr(e.msg, bad[i].says) != NULL, "case %zu: \"%s\" lacks \"%s\"",
		              i, e.msg, bad[i].says);
		rs_recover_plan_free(&plan);
		rs_problems_free(&pr);
	}
	after = log_bytes(&len2);
	ck_assert_uint_eq(len, len2);
	ck_assert(memcmp(before, after, len) == 0);
	free(before);
	free(after);

	/* a directory without Raft state */
	snprintf(plain, sizeof(plain), "%s/plain", root);
	ck_assert_int_eq(mkdir(plain, 0755), 0);
	{
		struct rs_recover_plan plan;
		struct rs_problems pr = {0};

		ck_assert_int_eq(rs_recover_plan(plain, &c, &o, &plan, &pr, &e), RS_ENOTFOUND);
		ck_assert_msg(strstr(e.msg, "holds no Raft state") != NULL, "%s", e.msg);
		rs_recover_plan_free(&plan);
		rs_problems_free(&pr);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("recover configuration");
	TCase *tc = tcase_create("recover_config");

	tcase_add_test(tc, test_malformed_configurations);
	suite_add_tcase(s, tc);
	return oci_check_run_in_tmpdir(s, root);
}
