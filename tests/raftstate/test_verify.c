/* verify: Raft-level corruptions built with the bolt writer (structure
 * intact, content wrong), each asserting the exact problem reported (file,
 * where, a distinctive part of the reason); snapshots damaged on a copy of
 * lived/three; and random damage to real files never crashes or hangs. */
#include <check.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bolt/cursor.h"
#include "bolt/db.h"
#include "bolt/view.h"
#include "raftstate/config.h"
#include "raftstate/generate.h"
#include "raftstate/log.h"
#include "raftstate/node.h"
#include "raftstate/stable.h"
#include "raftstate/verify.h"
#include "tests/check_support.h"
#include "bolt_fixture.h"

/* ---- building node directories --------------------------------------- */

struct ent {
	uint64_t key;
	uint64_t index; /* 0: = key */
	uint64_t term;
	uint64_t type;
	size_t cut;   /* > 0: store only the first `cut` bytes of the value */
	size_t klen;  /* 0: 8 */
	int bad_conf; /* configuration entry whose Data is not a configuration */
};

static char servers_id[3][16] = {"sequencer-1", "sequencer-2", "sequencer-3"};
static char servers_addr[3][24] = {"10.0.0.1:50050", "10.0.0.2:50050", "10.0.0.3:50050"};

static void config3(struct rs_config *c, struct rs_server *s)
{
	for (int i = 0; i < 3; i++) {
		s[i].suffrage = RS_VOTER;
		s[i].id = servers_id[i];
		s[i].id_len = strlen(servers_id[i]);
		s[i].address = servers_addr[i];
		s[i].address_len = strlen(servers_addr[i]);
	}
	c->servers = s;
	c->n = 3;
}

static char *make_node(void)
{
	char tmpl[] = "/tmp/oci-tverify.XXXXXX";
	char *d = mkdtemp(tmpl);
	char *node;

	ck_assert_ptr_nonnull(d);
	ck_assert(asprintf(&node, "%s/sequencer-1", d) > 0);
	ck_assert_int_eq(mkdir(node, 0755), 0);
	return node;
}

static void rm_node(char *node)
{
	char *cmd, *slash = strrchr(node, '/');

	ck_assert_ptr_nonnull(slash);
	*slash = '\0'; /* the mkdtemp directory above the node */
	ck_assert(asprintf(&cmd, "rm -rf '%s'", node) > 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(node);
}

static void write_log(const char *node, const struct ent *e, size_t n)
{
	struct kv *kvs = calloc(n, sizeof(*kvs));
	struct mp_buf *vals = calloc(n, sizeof(*vals));
	uint8_t(*keys)[8] = calloc(n, 8);
	struct rs_server s[3];
	struct rs_config cfg;
	struct mp_buf conf = {0};
	struct rs_err err = {0};

	config3(&cfg, s);
	ck_assert(rs_config_encode(&cfg, &conf, &err) == RS_OK);
	for (size_t i = 0; i < n; i++) {
		struct rs_log l = {0};
		static const uint8_t cmd[] = "op-conductor payload";

		l.index = e[i].index ? e[i].index : e[i].key;
		l.term = e[i].term;
		l.type = e[i].type;
		l.ext_nil = 1;
		l.appended_at.utc = 1;
		l.appended_at_present = 1;
		if (e[i].type == RS_LOG_CONFIGURATION && !e[i].bad_conf) {
			l.data = conf.p;
			l.data_len = conf.len;
		} else {
			l.data = cmd;
			l.data_len = sizeof(cmd) - 1;
		}
		ck_assert_msg(rs_log_encode(&l, &vals[i], &err) == RS_OK, "%s", err.msg);
		rs_put_be64(keys[i], e[i].key);
		kvs[i].k = e[i].klen ? keys[i] + 8 - e[i].klen : keys[i];
		kvs[i].klen = e[i].klen ? e[i].klen : 8;
		kvs[i].v = vals[i].p;
		kvs[i].vlen = e[i].cut ? e[i].cut : vals[i].len;
	}
	write_db(node, RS_LOG_FILE, RS_BUCKET_LOGS, kvs, n);
	for (size_t i = 0; i < n; i++)
		mp_buf_free(&vals[i]);
	mp_buf_free(&conf);
	free(vals);
	free(keys);
	free(kvs);
}

/* vote_term 0: no LastVoteTerm; cand NULL: no LastVoteCand */
static void write_stable(const char *node, uint64_t current, uint64_t vote_term, const char *cand)
{
	uint8_t ct[8], vt[8];
	struct kv kvs[3];
	size_t n = 0;

	rs_put_be64(ct, current);
	rs_put_be64(vt, vote_term);
	kvs[n++] = (struct kv){RS_KEY_CURRENT_TERM, strlen(RS_KEY_CURRENT_TERM), ct, 8};
	if (cand != NULL)
		kvs[n++] = (struct kv){RS_KEY_LAST_VOTE_CAND, strlen(RS_KEY_LAST_VOTE_CAND), cand,
		                       strlen(cand)};
	if (vote_term != 0)
		kvs[n++] = (struct kv){RS_KEY_LAST_VOTE_TERM, strlen(RS_KEY_LAST_VOTE_TERM), vt, 8};
	write_db(node, RS_STABLE_FILE, RS_BUCKET_CONF, kvs, n);
}

/* ---- verifying -------------------------------------------------------- */

struct result {
	struct rs_node node;
	struct rs_problems probs;
};

static struct result *verify(const char *node)
{
	struct result *r = calloc(1, sizeof(*r));
	struct rs_verify_opts o = {.lock_timeout = 1, .live = 0};
	struct rs_err err = {0};

	ck_assert_msg(rs_verify_node_full(node, &o, &r->node, &r->probs, &err) == RS_OK, "%s",
	              err.msg);
	return r;
}

static void result_free(struct result *r)
{
	rs_node_free(&r->node);
	rs_problems_free(&r->probs);
	free(r);
}

static void dump(const struct result *r)
{
	for (size_t i = 0; i < r->probs.n; i++)
		fprintf(stderr, "  [%d] %s | %s | %s\n", r->probs.v[i].severity, r->probs.v[i].file,
		        r->probs.v[i].where, r->probs.v[i].reason);
}

/* The problem with this severity, file and where whose reason contains `part`. */
static void assert_problem(const struct result *r, int severity, const char *file,
                           const char *where, const char *part)
{
	for (size_t i = 0; i < r->probs.n; i++) {
		const struct rs_problem *p = &r->probs.v[i];

		if (p->severity == severity && strcmp(p->file, file) == 0 &&
		    strcmp(p->where, where) == 0 && strstr(p->reason, part) != NULL)
			return;
	}
	dump(r);
	ck_abort_msg("no problem (%d, %s, %s, ...%s...)", severity, file, where, part);
}

static void assert_valid(const struct result *r)
{
	if (r->probs.errors != 0)
		dump(r);
	ck_assert_uint_eq(r->probs.errors, 0);
}

/* ---- tests ------------------------------------------------------------- */

#define CFG(k, t)                                                                                  \
	{                                                                                          \
		.key = (k), .term = (t), .type = RS_LOG_CONFIGURATION                              \
	}
#define CMD(k, t)                                                                                  \
	{                                                                                          \
		.key = (k), .term = (t), .type = RS_LOG_COMMAND                                    \
	}

START_TEST(writer_built_log_is_valid)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1), CMD(2, 1), CMD(3, 2)};
	struct result *r;

	write_log(n, e, 3);
	write_stable(n, 2, 2, "sequencer-1");
	r = verify(n);
	assert_valid(r);
	ck_assert_uint_eq(r->probs.warnings, 0);
	ck_assert_uint_eq(r->node.first_index, 1);
	ck_assert_uint_eq(r->node.last_index, 3);
	ck_assert_uint_eq(r->node.count, 3);
	ck_assert_uint_eq(r->node.types[RS_LOG_COMMAND], 2);
	ck_assert_int_eq(r->node.config_source, RS_CONFIG_LOG);
	ck_assert_uint_eq(r->node.config_index, 1);
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(gap_in_indices)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1), CMD(2, 1), CMD(4, 1)};
	struct result *r;

	write_log(n, e, 3);
	write_stable(n, 1, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, RS_LOG_FILE, "index 4",
	               "index 4 follows index 2: a gap in the log");
	ck_assert_uint_eq(r->probs.errors, 1);
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(index_differs_from_key)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1), CMD(2, 1), {.key = 3, .index = 7, .term = 1}};
	struct result *r;

	write_log(n, e, 3);
	write_stable(n, 1, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, RS_LOG_FILE, "index 3",
	               "the entry stored under index 3 says Index 7");
	ck_assert_uint_eq(r->probs.errors, 1);
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(decreasing_term)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1), CMD(2, 3), CMD(3, 2), CMD(4, 3)};
	struct result *r;

	write_log(n, e, 4);
	write_stable(n, 3, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, RS_LOG_FILE, "index 3",
	               "term 2 is lower than the previous entry's term 3");
	ck_assert_uint_eq(r->probs.errors, 1);
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(current_term_below_last_log_term)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1), CMD(2, 1), CMD(3, 5)};
	struct result *r;

	write_log(n, e, 3);
	write_stable(n, 2, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, RS_STABLE_FILE, RS_KEY_CURRENT_TERM,
	               "CurrentTerm 2 is lower than the last log entry's term 5");
	ck_assert_uint_eq(r->probs.errors, 1);
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(truncated_msgpack_value)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1), {.key = 2, .term = 1, .cut = 20}, CMD(3, 1)};
	struct result *r;

	write_log(n, e, 3);
	write_stable(n, 1, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, RS_LOG_FILE, "index 2",
	               "the value does not decode as a raft log entry");
	ck_assert_uint_eq(r->node.types[RS_LOG_TYPE_COUNT], 1);
	ck_assert_uint_eq(r->probs.errors, 1);
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(truncated_at_every_length_is_reported)
{
	/* the configuration entry cut at every length: always a problem at
	 * index 1, never a crash */
	struct mp_buf probe = {0};
	struct rs_err err = {0};
	size_t len;

	{
		/* the encoded length of the entry */
		struct rs_server s[3];
		struct rs_config cfg;
		struct mp_buf conf = {0};
		struct rs_log l = {.index = 1,
		                   .term = 1,
		                   .type = RS_LOG_CONFIGURATION,
		                   .ext_nil = 1,
		                   .appended_at_present = 1};

		config3(&cfg, s);
		ck_assert(rs_config_encode(&cfg, &conf, &err) == RS_OK);
		l.appended_at.utc = 1;
		l.data = conf.p;
		l.data_len = conf.len;
		ck_assert(rs_log_encode(&l, &probe, &err) == RS_OK);
		mp_buf_free(&conf);
	}
	len = probe.len;
	mp_buf_free(&probe);
	for (size_t cut = 1; cut < len; cut += 7) {
		char *n = make_node();
		struct ent e = CFG(1, 1);
		struct result *r;

		e.cut = cut;
		write_log(n, &e, 1);
		write_stable(n, 1, 0, NULL);
		r = verify(n);
		assert_problem(r, RS_PROBLEM, RS_LOG_FILE, "index 1", "does not decode");
		result_free(r);
		rm_node(n);
	}
}
END_TEST

START_TEST(unknown_entry_type)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1), {.key = 2, .term = 1, .type = 9}};
	struct result *r;

	write_log(n, e, 2);
	write_stable(n, 1, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, RS_LOG_FILE, "index 2", "unknown entry type 9");
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(key_of_wrong_size)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1), {.key = 2, .term = 1, .klen = 4}};
	struct result *r;

	write_log(n, e, 2);
	write_stable(n, 1, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, RS_LOG_FILE, "",
	               "a key of 4 bytes in bucket logs (index keys are 8 bytes)");
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(configuration_entry_that_does_not_decode)
{
	char *n = make_node();
	const struct ent e[] = {{.key = 1, .term = 1, .type = RS_LOG_CONFIGURATION, .bad_conf = 1}};
	struct result *r;

	write_log(n, e, 1);
	write_stable(n, 1, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, RS_LOG_FILE, "index 1", "the configuration does not decode");
	assert_problem(r, RS_PROBLEM, "", "", "no configuration in the log or in a snapshot");
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(vote_term_without_candidate)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1)};
	struct result *r;

	write_log(n, e, 1);
	write_stable(n, 1, 1, NULL);
	r = verify(n);
	/* raft's persistVote writes the two in turn: a crash between leaves
	 * this, and raft starts on it (a warning, not damage) */
	assert_problem(r, RS_WARNING, RS_STABLE_FILE, "LastVoteCand",
	               "LastVoteTerm is set but LastVoteCand is not");
	assert_valid(r);
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(vote_term_above_current_term)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1)};
	struct result *r;

	write_log(n, e, 1);
	write_stable(n, 2, 5, "sequencer-2");
	r = verify(n);
	assert_problem(r, RS_PROBLEM, RS_STABLE_FILE, RS_KEY_LAST_VOTE_TERM,
	               "LastVoteTerm 5 is above CurrentTerm 2");
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(vote_for_a_stranger_is_a_warning)
{
	char *n = make_node();
	const struct ent e[] = {CFG(1, 1)};
	struct result *r;

	write_log(n, e, 1);
	write_stable(n, 1, 1, "10.9.9.9:50050");
	r = verify(n);
	assert_valid(r);
	assert_problem(r, RS_WARNING, RS_STABLE_FILE, RS_KEY_LAST_VOTE_CAND,
	               "the vote candidate 10.9.9.9:50050 is not a member of the configuration");
	result_free(r);
	rm_node(n);
	/* by address, raft's own way, is a member */
	n = make_node();
	write_log(n, e, 1);
	write_stable(n, 1, 1, "10.0.0.2:50050");
	r = verify(n);
	assert_valid(r);
	ck_assert_uint_eq(r->probs.warnings, 0);
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(empty_log_has_no_configuration)
{
	char *n = make_node();
	struct result *r;

	write_log(n, NULL, 0);
	write_stable(n, 1, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, "", "", "no configuration in the log or in a snapshot");
	result_free(r);
	rm_node(n);
}
END_TEST

START_TEST(compacted_log_without_snapshot)
{
	char *n = make_node();
	const struct ent e[] = {CFG(5, 1), CMD(6, 1)};
	struct result *r;

	write_log(n, e, 2);
	write_stable(n, 1, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, RS_LOG_FILE, "",
	               "the log starts at index 5 but no snapshot covers index 4");
	result_free(r);
	rm_node(n);
}
END_TEST

/* ---- on copies of the shared vectors ------------------------------------ */

static char *copy_vector(const char *rel)
{
	const char *shared = getenv("OCI_SHARED");
	char *n = make_node(), *cmd;

	ck_assert_msg(shared != NULL, "OCI_SHARED is not set");
	ck_assert(asprintf(&cmd, "cp -r '%s/vectors/%s/.' '%s/' && chmod -R u+w '%s'", shared, rel,
	                   n, n) > 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	return n;
}

START_TEST(snapshot_crc_mismatch)
{
	char *n = copy_vector("lived/three/sequencer-1");
	char *path;
	struct result *r;
	int fd;

	ck_assert(asprintf(&path, "%s/snapshots/2-527-1795355416795/state.bin", n) > 0);
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "#", 1, 0), 1);
	close(fd);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, "snapshots/2-527-1795355416795", "",
	               "but meta.json says 05b03f7062778e9a");
	result_free(r);
	free(path);
	rm_node(n);
}
END_TEST

/* raft takes the snapshot's term as its last log term at start: a snapshot
 * of a term above CurrentTerm is a stable store behind its own state */
START_TEST(snapshot_term_above_current_term)
{
	char *n = copy_vector("lived/three/sequencer-1");
	struct result *r;

	write_stable(n, 1, 0, NULL);
	r = verify(n);
	assert_problem(r, RS_PROBLEM, "snapshots/2-527-1795355416795", "",
	               "snapshot term 2 is above CurrentTerm 1");
	result_free(r);
	rm_node(n);
}
END_TEST

/* A stable store without CurrentTerm (raft starts at term 0) and a node
 * whose directory name is not a member: warnings, named. */
START_TEST(no_current_term_and_a_stranger_node)
{
	char *n = make_node(), *stranger;
	const struct ent e[] = {CFG(1, 1), CMD(2, 1)};
	struct result *r;

	write_log(n, e, 2);
	write_db(n, RS_STABLE_FILE, RS_BUCKET_CONF, NULL, 0);
	r = verify(n);
	assert_valid(r);
	assert_problem(r, RS_WARNING, RS_STABLE_FILE, RS_KEY_CURRENT_TERM,
	               "CurrentTerm is not set (raft starts at term 0)");
	result_free(r);
	/* the same files in a directory named after no member */
	ck_assert(asprintf(&stranger, "%.*s/stranger", (int)(strrchr(n, '/') - n), n) > 0);
	ck_assert_int_eq(rename(n, stranger), 0);
	r = verify(stranger);
	assert_problem(r, RS_WARNING, "", "",
	               "this node (stranger, from the directory name) is not a member");
	result_free(r);
	ck_assert_int_eq(rename(stranger, n), 0);
	free(stranger);
	rm_node(n);
}
END_TEST

/* The problem list holds at most 1000 entries and counts the rest; a
 * missing directory is an error, not a problem. */
START_TEST(problem_list_bounded_and_missing_dir)
{
	struct rs_problems p = {0};
	struct rs_err err = {0};

	for (int i = 0; i < 1005; i++)
		rs_problem_add(&p, i % 2 ? RS_WARNING : RS_PROBLEM, NULL, NULL, "problem %d", i);
	ck_assert_uint_eq(p.n, 1000);
	ck_assert_uint_eq(p.dropped, 5);
	ck_assert_uint_eq(p.errors, 503);
	ck_assert_uint_eq(p.warnings, 502);
	ck_assert_str_eq(p.v[999].reason, "problem 999");
	ck_assert_str_eq(p.v[0].file, "");
	ck_assert_str_eq(p.v[0].where, "");
	rs_problems_free(&p);
	ck_assert_int_eq(rs_verify_node("/nonexistent/oci-tverify", NULL, &p, &err), RS_ENOTFOUND);
	ck_assert_msg(strstr(err.msg, "cannot open state directory") != NULL, "%s", err.msg);
	rs_problems_free(&p);
}
END_TEST

START_TEST(lived_vector_is_valid)
{
	char *n = copy_vector("lived/three/sequencer-1");
	struct result *r = verify(n);

	assert_valid(r);
	ck_assert_uint_eq(r->probs.warnings, 0);
	ck_assert_uint_eq(r->node.first_index, 465);
	ck_assert_uint_eq(r->node.last_index, 602);
	ck_assert_int_eq(r->node.config_source, RS_CONFIG_SNAPSHOT);
	result_free(r);
	rm_node(n);
}
END_TEST

/* Random byte damage to a real multi-page log: verify always returns (the
 * check is bounded) and never crashes; under ASan/UBSan also no memory or
 * UB error. Deterministic (fixed seed). */
START_TEST(random_damage_never_crashes)
{
	char *n = copy_vector("lived/three/sequencer-2");
	char *path;
	struct stat st;
	uint8_t *good;
	unsigned seed = 12345;
	int fd;

	ck_assert(asprintf(&path, "%s/raft-log.db", n) > 0);
	ck_assert_int_eq(stat(path, &st), 0);
	good = malloc((size_t)st.st_size);
	fd = open(path, O_RDONLY);
	ck_assert(read(fd, good, (size_t)st.st_size) == st.st_size);
	close(fd);
	for (int round = 0; round < 60; round++) {
		struct rs_problems p = {0};
		struct rs_err err = {0};
		struct rs_verify_opts o = {.lock_timeout = 1};
		/* damage the used part: pages below the high-water mark (507) */
		uint64_t used = 507ull * 4096;

		fd = open(path, O_WRONLY | O_TRUNC);
		ck_assert_int_ge(fd, 0);
		ck_assert(write(fd, good, (size_t)st.st_size) == st.st_size);
		for (int k = 0; k < 1 + round % 8; k++) {
			uint8_t b = (uint8_t)rand_r(&seed);
			off_t off =
			    (off_t)(((uint64_t)rand_r(&seed) << 16 ^ (uint64_t)rand_r(&seed)) %
			            used);

			/* half of the hits go to page headers and elements */
			if (k % 2 == 0)
				off = (off / 4096) * 4096 + (off % 64);
			ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
		}
		close(fd);
		(void)rs_verify_node(n, &o, &p, &err);
		rs_problems_free(&p);
	}
	free(good);
	free(path);
	rm_node(n);
}
END_TEST

/* rs_log_decode_at: with the lock held a value is decoded where it is
 * mapped; in live mode from one private copy, so that a writer rewriting
 * the bytes while they are decoded cannot make the decoder act on two
 * values (a canonical-layout integer whose first byte was read three
 * times indexed a 4-entry table at 39 under UBSan, 1 round in 8,000 of
 * test_verify_live_rewrite before the copy). Here the value is rewritten
 * in the file right after the live decode: what was decoded stays. */
START_TEST(live_reads_decode_a_copy)
{
	static const char want[] = "op-conductor payload";
	struct ent ents[] = {{.key = 1, .term = 1, .type = RS_LOG_CONFIGURATION},
	                     {.key = 2, .term = 1, .type = RS_LOG_COMMAND}};
	char *n = make_node(), *path;

	write_log(n, ents, 2);
	ck_assert(asprintf(&path, "%s/%s", n, RS_LOG_FILE) > 0);
	for (int mode = BOLT_VIEW_LOCKED; mode <= BOLT_VIEW_LIVE; mode++) {
		struct bolt_view *v;
		struct bolt_vbucket b;
		struct bolt_cursor c;
		struct bolt_elem e = {0};
		struct bolt_err be = {0};
		struct rs_scratch copy = {0};
		struct rs_err err = {0};
		struct rs_log log;
		const uint8_t *map_end;
		int in_map;

		ck_assert_msg(bolt_view_open(path, mode, 1.0, &v, &be) == BOLT_OK, "%s", be.msg);
		ck_assert(bolt_view_bucket(v, NULL, RS_BUCKET_LOGS, 4, &b, &be) == BOLT_OK);
		bolt_cursor_init(&c, v, &b);
		ck_assert(bolt_cursor_last(&c, &e, &be) == BOLT_OK && e.key != NULL);
		ck_assert_msg(rs_log_decode_at(v, &e, 0, &copy, &log, &err) == RS_OK, "%s",
		              err.msg);
		ck_assert_uint_eq(log.index, 2);
		ck_assert_uint_eq(log.data_len, sizeof(want) - 1);
		ck_assert_mem_eq(log.data, want, sizeof(want) - 1);
		map_end = v->map + v->map_len;
		in_map = log.data >= v->map && log.data < map_end;
		if (mode == BOLT_VIEW_LOCKED) {
			ck_assert_msg(in_map, "a locked read was copied");
			ck_assert_ptr_null(copy.p);
		} else {
			static uint8_t junk[4096];
			int fd = open(path, O_WRONLY);

			memset(junk, 0xff, sizeof(junk));

			ck_assert_msg(!in_map, "a live read was decoded in place");
			ck_assert(log.data >= copy.p &&
			          log.data + log.data_len <= copy.p + copy.cap);
			/* the writer rewrites the value: the mapping shows it at once,
			 * what was decoded does not change */
			ck_assert_int_ge(fd, 0);
			ck_assert(e.vlen <= sizeof(junk));
			ck_assert_int_eq(pwrite(fd, junk, e.vlen, (off_t)(e.value - v->map)),
			                 (ssize_t)e.vlen);
			close(fd);
			ck_assert_mem_eq(e.value, junk, e.vlen);
			ck_assert_mem_eq(log.data, want, sizeof(want) - 1);
		}
		rs_scratch_free(&copy);
		bolt_view_close(v);
	}
	free(path);
	rm_node(n);
}
END_TEST

/* The settled --live read's one decision (rs_live_settled): a read that
 * stands, another attempt while the writer keeps committing, up to
 * RS_LIVE_RETRIES reads, and a file that shrank at once. */
START_TEST(live_read_settles_or_gives_up)
{
	struct bolt_err why = {.code = BOLT_ECHANGED};
	struct rs_err e = {0};

	strcpy(why.msg, "raft-log.db changed while it was read");
	ck_assert_int_eq(rs_live_settled(BOLT_OK, &why, 0, &e), RS_OK);
	for (int attempt = 0; attempt + 1 < RS_LIVE_RETRIES; attempt++)
		ck_assert_int_eq(rs_live_settled(BOLT_ECHANGED, &why, attempt, &e), RS_LIVE_AGAIN);
	ck_assert_int_eq(rs_live_settled(BOLT_ECHANGED, &why, RS_LIVE_RETRIES - 1, &e), RS_EIO);
	ck_assert_str_eq(e.msg, "raft-log.db changed while it was read, at each of 8 attempts to "
	                        "read it; retry, or stop the writer");
	why.code = BOLT_ESHRANK;
	strcpy(why.msg, "raft-log.db shrank while it was read");
	ck_assert_int_eq(rs_live_settled(BOLT_ESHRANK, &why, 0, &e), RS_EIO);
	ck_assert_str_eq(e.msg, "raft-log.db shrank while it was read");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("verify");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, writer_built_log_is_valid);
	tcase_add_test(tc, live_read_settles_or_gives_up);
	tcase_add_test(tc, gap_in_indices);
	tcase_add_test(tc, index_differs_from_key);
	tcase_add_test(tc, decreasing_term);
	tcase_add_test(tc, current_term_below_last_log_term);
	tcase_add_test(tc, truncated_msgpack_value);
	tcase_add_test(tc, truncated_at_every_length_is_reported);
	tcase_add_test(tc, unknown_entry_type);
	tcase_add_test(tc, key_of_wrong_size);
	tcase_add_test(tc, configuration_entry_that_does_not_decode);
	tcase_add_test(tc, vote_term_without_candidate);
	tcase_add_test(tc, vote_term_above_current_term);
	tcase_add_test(tc, vote_for_a_stranger_is_a_warning);
	tcase_add_test(tc, empty_log_has_no_configuration);
	tcase_add_test(tc, compacted_log_without_snapshot);
	tcase_add_test(tc, snapshot_crc_mismatch);
	tcase_add_test(tc, snapshot_term_above_current_term);
	tcase_add_test(tc, no_current_term_and_a_stranger_node);
	tcase_add_test(tc, problem_list_bounded_and_missing_dir);
	tcase_add_test(tc, lived_vector_is_valid);
	tcase_add_test(tc, random_damage_never_crashes);
	tcase_add_test(tc, live_reads_decode_a_copy);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return oci_check_run(suite());
}
