/* Every --json document: see jsonout.h. */
#include "present/jsonout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "present/report.h"
#include "raftstate/json.h"

cJSON *np_json_u64(uint64_t v)
{
	char num[24];

	(void)snprintf(num, sizeof(num), "%" PRIu64, v);
	return cJSON_CreateRaw(num);
}

cJSON *np_json_strn(const char *s, size_t n)
{
	char *tmp;
	cJSON *j;

	/* cJSON strings end at a NUL: a value holding one keeps its prefix;
	 * the copy is cJSON's allocation, so that its failure is counted
	 * (rs_json_nomem) like any item cJSON could not make */
	if ((tmp = cJSON_malloc(n + 1)) == NULL)
		return NULL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	j = cJSON_CreateString(tmp);
	cJSON_free(tmp);
	return j;
}

/* ---- every string valid UTF-8 (docs/json.md, "Bytes that are not UTF-8") */

/* Bytes of the well-formed UTF-8 sequence at p (RFC 3629 table 3-7: no
 * overlong form, no surrogate, nothing above U+10FFFF); 0 when p starts
 * none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* s with each byte that starts no UTF-8 sequence written as the character
 * of the same value (U+0080..U+00FF, two bytes); NULL when s is valid
 * already, or on allocation failure (*oom set). */
static char *utf8_fixed(const char *s, int *oom)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0, l;
	int bad = 0;
	char *out;

	for (i = 0; i < n; i += l ? l : 1)
		if ((l = utf8_len(p + i, n - i)) == 0)
			bad = 1;
	if (!bad)
		return NULL;
	if ((out = malloc(2 * n + 1)) == NULL) {
		*oom = 1;
		return NULL;
	}
	for (i = 0; i < n; i += l ? l : 1) {
		if ((l = utf8_len(p + i, n - i)) != 0) {
			memcpy(out + o, p + i, l);
			o += l;
		} else {
			out[o++] = (char)(0xc0 | (p[i] >> 6));
			out[o++] = (char)(0x80 | (p[i] & 0x3f));
		}
	}
	out[o] = '\0';
	return out;
}

/* Rewrites every string (and key) under item that is not UTF-8; a string
 * value in an object gets the sibling "<key>_hex" with its bytes. *fixed
 * counts them. -1 when out of memory. */
static int json_utf8(cJSON *item, int depth, int *fixed)
{
	static const char hex[] = "0123456789abcdef";
	int oom = 0;

	if (depth > 64) /* our own documents are a few levels deep */
		return 0;
	for (cJSON *c = item->child; c != NULL; c = c->next) {
		char *f;

		if (c->string != NULL && !(c->type & cJSON_StringIsConst) &&
		    (f = utf8_fixed(c->string, &oom)) != NULL) {
			cJSON_free(c->string);
			c->string = f; /* cJSON frees keys with its hooks: malloc here */
			(*fixed)++;
		}
		if (cJSON_IsString(c) && c->valuestring != NULL &&
		    (f = utf8_fixed(c->valuestring, &oom)) != NULL) {
			size_t n = strlen(c->valuestring), kl;
			char *h = malloc(2 * n + 1), *key = NULL;

			for (size_t i = 0; h != NULL && i < n; i++) {
				h[2 * i] = hex[(unsigned char)c->valuestring[i] >> 4];
				h[2 * i + 1] = hex[(unsigned char)c->valuestring[i] & 15];
			}
			if (h != NULL)
				h[2 * n] = '\0';
			if (c->type & cJSON_IsReference) /* not its own: now it is */
				c->type &= ~cJSON_IsReference;
			else
				cJSON_free(c->valuestring);
			c->valuestring = f;
			(*fixed)++;
			if (cJSON_IsObject(item) && c->string != NULL && h != NULL &&
			    (key = malloc((kl = strlen(c->string)) + 5)) != NULL) {
				memcpy(key, c->string, kl);
				memcpy(key + kl, "_hex", 5);
				/* appended at the end: the loop meets it later, and it is
				 * ASCII */
				if (!cJSON_AddStringToObject(item, key, h))
					oom = 1;
			} else if (h == NULL || (cJSON_IsObject(item) && c->string != NULL)) {
				oom = 1;
			}
			free(key);
			free(h);
		}
		if (oom || json_utf8(c, depth + 1, fixed) != 0)
			return -1;
	}
	return oom ? -1 : 0;
}

char *np_json_render(cJSON *doc)
{
	cJSON *ver = cJSON_CreateNumber(NP_JSON_SCHEMA_VERSION);
	char *s = NULL;
	int fixed = 0;

	/* bytes read from disk may not be UTF-8: one rule for every document */
	if (doc != NULL && (json_utf8(doc, 0, &fixed) != 0 ||
	                    (fixed > 0 && !cJSON_AddTrueToObject(doc, "invalid_utf8")))) {
		cJSON_Delete(ver);
		cJSON_Delete(doc);
		return NULL;
	}

	/* first, so a reader sees the version before anything else; ver is
	 * ours again whenever it is not in doc */
	if (doc != NULL && ver != NULL && cJSON_AddItemToObject(doc, "schema_version", ver)) {
		ver = cJSON_DetachItemFromObjectCaseSensitive(doc, "schema_version");
		if (ver != NULL && cJSON_InsertItemInArray(doc, 0, ver)) {
			ver = NULL;
			s = cJSON_Print(doc);
		}
	}
	cJSON_Delete(ver);
	cJSON_Delete(doc);
	if (s != NULL && rs_json_nomem() != 0) { /* some item may be missing */
		cJSON_free(s);
		s = NULL;
	}
	return s;
}

int np_json_emit(cJSON *doc)
{
	char *s = np_json_render(doc);

	if (s == NULL)
		return -1;
	oci_log_conf.json_emitted = 1;
	fputs(s, stdout);
	fputc('\n', stdout);
	free(s);
	return 0;
}
