/*
 * The `raft info --json` node object, both ways, in one place: info writes
 * it (np_info_json_node) and `raft compare --from-json` reads it back
 * (np_info_json_load), so a field is added, renamed or read in one file.
 * docs/json.md describes it.
 *
 * Reading gives exactly what the directory gives: 64-bit integers from
 * their text (raftstate/json.h rs_json_u64, never through a double), a
 * string that is not UTF-8 from its "<key>_hex" sibling (the bytes, as
 * np_json_render wrote them), and the file through the strict JSON reader
 * (one document: a second one after it is refused by name).
 */
#ifndef CMD_NODEJSON_H
#define CMD_NODEJSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "raftstate/compare.h"
#include "raftstate/error.h"
#include "raftstate/node.h"

/* The member this node is, by ID (the directory name), or NULL. */
const struct rs_server *np_self_member(const struct rs_node *n);

/* The node object of `raft info --json`; with error, only node, dir, error. */
cJSON *np_info_json_node(const struct rs_node *n, const char *error);

/* Reads the `raft info --json` document at path (one node, or a cluster
 * root's {"nodes": [...]}) into v[0..room): *count nodes, origin = path.
 * RS_OK; RS_ELIMIT when it holds more than room nodes; RS_EIO / RS_ECORRUPT
 * with one sentence naming the file (and the node and field at fault). */
int np_info_json_load(const char *path, struct rs_cmp_node *v, size_t room, size_t *count,
                      struct rs_err *err);

#endif
