/*
 * Strict JSON for the files that are ours: cluster.json / --config and a
 * backup's MANIFEST.json. cJSON alone is lenient where it matters to us: it
 * stops a string at a \u0000 (so "seq-1\u0000-old" reads as "seq-1"),
 * ignores a second document after the first, and keeps the last of two
 * equal keys. So the raw bytes first pass a small validator that accepts
 * exactly one RFC 8259 document:
 *
 *   - a value, then only white space (anything else: "data after the JSON
 *     document");
 *   - strings with no control characters, valid escapes only, no \u0000
 *     (a NUL) and no unpaired surrogate (other bytes are taken as they are,
 *     UTF-8 or not: a server ID or path may hold any byte but '/' and
 *     control characters, and what we write must read back);
 *   - numbers in the RFC grammar (no leading zeros, no "+", no NaN);
 *   - no two equal keys in one object (compared after unescaping);
 *   - at most RS_JSON_MAX_DEPTH levels of nesting;
 *
 * and every refusal names the JSON path at fault ("nodes[1].id", "files[0]"
 * or "the document"), then cJSON builds the tree. The consumers check the
 * types, naming paths the same way.
 */
#ifndef RAFTSTATE_JSON_H
#define RAFTSTATE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "raftstate/error.h"

#define RS_JSON_MAX_DEPTH 32

/* Checks text[0, len) as above and parses it. RS_OK with the tree in *out
 * (cJSON_Delete it); RS_ECORRUPT with "NAME: <why>" (name: how messages
 * call the document, a file name) otherwise; RS_ENOMEM. */
int rs_json_parse(const char *text, size_t len, const char *name, cJSON **out, struct rs_err *err);

/* A number of a tree rs_json_parse built, as an exact unsigned 64-bit
 * integer: its text (kept on the node) is digits only and at most
 * 2^64-1; cJSON's double would round above 2^53. 0, or -1 for anything
 * else (not a number, negative, a fraction or exponent, too large). */
int rs_json_u64(const cJSON *j, uint64_t *out);
/* Reads the regular file path (at most max bytes; symbolic links followed
 * only with `follow`, for a file the operator names) and rs_json_parse's it.
 * RS_EIO when it cannot be read, RS_ECORRUPT when it is not a regular file,
 * too large, or not strict JSON; messages call it `name`. */
int rs_json_load(const char *path, const char *name, size_t max, int follow, cJSON **out,
                 struct rs_err *err);

/* cJSON reports a failed allocation in a tree it builds by leaving the item
 * out (cJSON_AddItemToObject(doc, "k", NULL) adds nothing): a document
 * written after one would be short, with nothing said. rs_json_hooks (once,
 * before any cJSON call: main) routes cJSON's allocations through a counter;
 * rs_json_nomem is then the number that failed in this process, and a
 * writer of a document refuses to write it (out of memory) when it is not
 * 0. Without rs_json_hooks (the unit tests' programs), always 0. */
void rs_json_hooks(void);
unsigned long rs_json_nomem(void);

#endif
