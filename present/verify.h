/*
 * raft verify shown (present/verify.c).
 */
#ifndef PRESENT_VERIFY_H
#define PRESENT_VERIFY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "raftstate/error.h"
#include "raftstate/node.h"
#include "raftstate/nodedir.h"
#include "raftstate/verify.h"

/* One node verified. */
struct np_verify_result {
	int ran; /* 0: could not be verified; err says why */
	struct rs_err err;
	struct rs_node *node;
	struct rs_problems probs;
};

/* The node as text on stdout: what was read, its problems, its verdict. */
void np_verify_text(const struct np_verify_result *r);
/* A cluster root DIR's last line: VALID, or INVALID naming each node at
 * fault (BAD of them); RES holds one result per node of NS. */
void np_verify_cluster_text(const struct np_verify_result *res, const struct rs_nd_nodes *ns,
                            const char *dir, size_t bad);
/* The --json document: the node's object, or a cluster root's with every
 * node's (VALID: every node is). */
cJSON *np_verify_json(const struct np_verify_result *res, const struct rs_nd_nodes *ns,
                      const char *dir, int valid);

#endif
