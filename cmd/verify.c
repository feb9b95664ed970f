/*
 * raft verify: check a node's Raft state read-only and say whether raft
 * (and so op-conductor) can start from it.
 *
 *   1. find the node directories (--state-dir is a node, or a cluster
 *      root whose subdirectories are nodes);
 *   2. rs_verify_node_full() per node: bolt structure of both files, the
 *      Raft invariants, the snapshots (raftstate/verify.c);
 *   3. print what was read, every problem, and one verdict line per node
 *      (plus one overall for a cluster root), or one JSON document;
 *   4. exit 0 when every node is valid (warnings allowed), 1 otherwise or
 *      when a node could not be read at all (locked, I/O error).
 * Nothing is ever written: the files are opened O_RDONLY and mapped
 * PROT_READ by bolt/view.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/command.h"
#include "present/flags.h"
#include "present/jsonout.h"
#include "present/nodeflags.h"
#include "present/verify.h"
#include "present/report.h"
#include "raftstate/node.h"
#include "raftstate/verify.h"

enum {
	F_STATE_DIR,
	F_JSON,
	F_TIMEOUT,
	F_LIVE,
	F_THREADS,
	F_COUNT,
};

static const struct flag_spec verify_flags[F_COUNT] = {
    [F_STATE_DIR] = NP_FLAG_STATE_DIR,
    [F_JSON] = NP_FLAG_JSON,
    [F_TIMEOUT] = NP_FLAG_LOCK_TIMEOUT,
    [F_LIVE] =
        {
            .name = "live",
            .kind = FLAG_BOOL,
            .def = "false",
            .help = "Read without the lock, while op-conductor runs (consistent snapshot)",
        },
    [F_THREADS] =
        {
            .name = "threads",
            .kind = FLAG_STRING,
            .metavar = "N",
            .def = "auto",
            .help = "Threads that check the log; auto: the processors this process may run on, "
                    "at most 4, for a log of 64 MiB or more, else 1. The report is the same "
                    "for any number",
            .check = np_threads_check,
            .accepts = NP_THREADS_ACCEPTS,
        },
};

/* Verifies one node into r: r->ran when it could be read (its problems in
 * r->probs); otherwise the error is printed and r->node holds its ID. */
static void verify_one(const struct oci_command *cmd, const char *dir,
                       const struct rs_verify_opts *opts, struct np_verify_result *r)
{
	if (rs_verify_node_full(dir, opts, r->node, &r->probs, &r->err) == RS_OK) {
		r->ran = 1;
		return;
	}
	/* rs_node_init may have failed before recording the ID */
	rs_node_free(r->node);
	if (rs_node_init(r->node, dir, NULL) != RS_OK)
		(void)snprintf(r->node->id, sizeof(r->node->id), "%s", dir);
	oci_fail(cmd, "cannot verify %s: %s%s", oci_path(dir).s, r->err.msg,
	         np_err_fix(cmd, &r->err, dir).s);
}

static int run_verify(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	struct rs_verify_opts opts = {
	    .lock_timeout = np_timeout_value(v[F_TIMEOUT].str),
	    .live = v[F_LIVE].b,
	    .op_conductor = 1,
	    .nil_head = 1,
	    .threads = np_threads_value(v[F_THREADS].str),
	};
	struct np_verify_result *res = NULL;
	struct rs_nd_nodes ns;
	char what[128];
	size_t i, invalid = 0, unverified = 0;
	int rc, json = v[F_JSON].b;

	flags_what(&cmd->flags[F_STATE_DIR], &v[F_STATE_DIR], what, sizeof(what));
	if ((rc = np_find_nodes(cmd, v[F_STATE_DIR].str, what, &ns)) != 0)
		return rc;
	res = calloc(ns.n, sizeof(*res));
	for (i = 0; res != NULL && i < ns.n; i++)
		if ((res[i].node = calloc(1, sizeof(*res[i].node))) == NULL)
			break;
	if (res == NULL || i < ns.n) {
		rc = oci_fail(cmd, "out of memory");
		goto done;
	}

	for (i = 0; i < ns.n; i++) {
		struct np_verify_result *r = &res[i];

		verify_one(cmd, ns.dirs[i], &opts, r);
		if (!r->ran && r->err.code == RS_ENOMEM) {
			/* no fact about the node: the command stops, no verdict */
			rc = OCI_EXIT_FAIL;
			goto done;
		}
		unverified += !r->ran;
		invalid += r->ran && r->probs.errors > 0;
		if (!json) {
			if (i > 0)
				printf("\n");
			np_verify_text(r);
		}
	}

	if (json) {
		if (np_json_emit(np_verify_json(res, &ns, v[F_STATE_DIR].str,
		                                invalid == 0 && unverified == 0)) != 0) {
			rc = oci_fail(cmd, "out of memory while writing the JSON document");
			goto done;
		}
	} else if (ns.cluster) {
		np_verify_cluster_text(res, &ns, v[F_STATE_DIR].str, invalid + unverified);
	}
	rc = invalid == 0 && unverified == 0 ? OCI_EXIT_OK : OCI_EXIT_FAIL;
done:
	for (i = 0; res != NULL && i < ns.n; i++) {
		if (res[i].node != NULL)
			rs_node_free(res[i].node);
		free(res[i].node);
		rs_problems_free(&res[i].probs);
	}
	free(res);
	rs_nd_nodes_free(&ns);
	return rc;
}

const struct oci_command oci_cmd_raft_verify = {
    .group = "raft",
    .name = "verify",
    .summary = "Check a node's Raft state read-only (bolt structure and Raft invariants)",
    .synopsis = "--state-dir DIR [--json] [--timeout SECONDS] [--live]",
    .description =
        "Checks raft-log.db and raft-stable.db page by page (both meta pages, page ids,\n"
        "cycles, key order, overflow, freelist) and the invariants raft relies on when it\n"
        "starts (contiguous indices, decodable entries, terms, vote, a configuration in\n"
        "the log or in a snapshot, snapshot CRCs). Prints what it read, every problem,\n"
        "and one verdict line; exits 0 when the state is valid, 1 when it is not or\n"
        "could not be read. DIR may also be a directory of node directories: each node\n"
        "is verified, with an overall verdict.\n"
        "\n"
        "Never writes. A shared lock is taken on each file; when op-conductor holds the\n"
        "files, it fails after --timeout seconds unless --live is given.",
    .flags = verify_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_verify,
};
