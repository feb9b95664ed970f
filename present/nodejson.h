/*
 * The node in JSON, both ways, in one place: the pieces every --json
 * document about a node is made of (np_json_*: files, stable, log,
 * configuration, snapshots, unsafe head, head scan, terms, problems), the
 * `raft info --json` node object info writes (np_info_json_node), and the
 * reader `raft compare --from-json` reads it back with (np_info_json_read),
 * so a field is added, renamed or read in one file. docs/json.md describes
 * them; change a name only together with that text.
 *
 * Reading gives exactly what the directory gives: 64-bit integers from
 * their text (raftstate/json.h rs_json_u64, never through a double), a
 * string that is not UTF-8 from its "<key>_hex" sibling (the bytes, as
 * np_json_render wrote them), and the file through the strict JSON reader
 * (one document: a second one after it is refused by name).
 */
#ifndef PRESENT_NODEJSON_H
#define PRESENT_NODEJSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "raftstate/compare.h"
#include "raftstate/error.h"
#include "raftstate/node.h"
#include "raftstate/verify.h"

/* JSON pieces of a node, shared by info, verify, compare and recover (NULL
 * on allocation failure; cJSON_Add* tolerates NULL parents, so a caller
 * checks once at the end, when the document is rendered). */
cJSON *np_json_file(const struct rs_file_info *fi);
cJSON *np_json_stable(const struct rs_node *n);
cJSON *np_json_log(const struct rs_node *n);
cJSON *np_json_servers(const struct rs_config *c);
cJSON *np_json_config(const struct rs_node *n);
cJSON *np_json_snapshots(const struct rs_node *n, int with_crc);
/* The unsafe head pieces (raftstate/node.h struct rs_head), as documented
 * in the JSON schema: "unsafe_head" (a payload or null), "head_scan", "terms". */
cJSON *np_json_payload(const struct rs_block *b);
/* verify's "problems": [{severity, file, where, reason}, ...] */
cJSON *np_json_problems(const struct rs_problems *p);
cJSON *np_json_head_scan(const struct rs_node *n);
cJSON *np_json_terms(const struct rs_node *n);

/* The member this node is, by ID (the directory name), or NULL. */
const struct rs_server *np_self_member(const struct rs_node *n);

/* The node object of `raft info --json`; with error, only node, dir, error. */
cJSON *np_info_json_node(const struct rs_node *n, const char *error);

/* The largest `raft info --json` document compare reads (64 MiB). */
#define NP_INFO_JSON_MAX ((size_t)64 << 20)
/* Reads DOC, the `raft info --json` document the file PATH held (read with
 * rs_json_load: strict, one document, exact integers), as one node or a
 * cluster root's {"nodes": [...]} into v[0..room): *count nodes, origin =
 * path. Takes DOC over (deletes it). RS_OK; RS_ELIMIT when it holds more
 * than room nodes; RS_ECORRUPT with one sentence naming the file (and the
 * node and field at fault). */
int np_info_json_read(cJSON *doc, const char *path, struct rs_cmp_node *v, size_t room,
                      size_t *count, struct rs_err *err);

#endif
