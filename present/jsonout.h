/*
 * Every --json document (docs/json.md) goes out through here: its
 * "schema_version" first, every 64-bit integer an exact JSON number (never
 * rounded through a double), and every string valid UTF-8 (a string read
 * from disk that is not gets the "<key>_hex" sibling with its bytes, and
 * the document "invalid_utf8": true; present/nodejson.c reads those back).
 */
#ifndef PRESENT_JSONOUT_H
#define PRESENT_JSONOUT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* The version of the JSON documents --json prints (docs/json.md): raised
 * when a field is renamed, removed or changes meaning, not when one is
 * added. Every document's first field is "schema_version". */
#define NP_JSON_SCHEMA_VERSION 2

/* An exact unsigned integer; n bytes of s as a string (cJSON strings end
 * at a NUL: a value holding one keeps its prefix). NULL when out of
 * memory; cJSON_Add* tolerates NULL parents, so a caller checks once at
 * the end. */
cJSON *np_json_u64(uint64_t v);
cJSON *np_json_strn(const char *s, size_t n);

/* Prints the document on stdout, with "schema_version" put first, followed
 * by a newline, and frees it. Every --json document goes through here.
 * Returns 0, or -1 when it could not be rendered (out of memory). */
int np_json_emit(cJSON *doc);
/* What np_json_emit prints (without the newline), as a string to free; it
 * frees doc. NULL when out of memory. Strings that are not UTF-8 are
 * rewritten as docs/json.md says ("Bytes that are not UTF-8"). */
char *np_json_render(cJSON *doc);

#endif
