/*
 * Fuzz target: arbitrary bytes as the strings of a --json document (what
 * IDs, addresses and directory names read from disk may hold), rendered by
 * np_json_render (present/jsonout.c), the one function every --json document
 * goes through. The input is cut at NUL bytes into strings used as values,
 * array elements, keys and nested values. The output must be valid UTF-8
 * (checked here independently: RFC 3629, no overlong forms, no surrogates,
 * nothing above U+10FFFF), parse back with cJSON, and say "invalid_utf8"
 * exactly when some string was not UTF-8.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "present/jsonout.h"
#include "present/report.h"

/* cmd/main.c is not linked: the run-wide stderr setting it holds */
struct oci_log_conf oci_log_conf = {.format = OCI_LOG_TEXT, .level = OCI_LVL_INFO};

static int valid_utf8(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i], need, min, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			need = 1, min = 0x80, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			need = 2, min = 0x800, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			need = 3, min = 0x10000, cp = c & 0x07;
		else
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if (i + k >= n || (p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *parts[8], *out;
	cJSON *doc = cJSON_CreateObject(), *arr, *obj, *back;
	size_t np = 0, start = 0;
	int any_bad = 0;

	if (buf == NULL || doc == NULL) {
		free(buf);
		cJSON_Delete(doc);
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i <= size && np < 8; i++)
		if (buf[i] == '\0') {
			parts[np++] = buf + start;
			start = i + 1;
		}
	for (size_t i = 0; i < np; i++)
		if (!valid_utf8((const unsigned char *)parts[i], strlen(parts[i])))
			any_bad = 1;
	arr = cJSON_AddArrayToObject(doc, "list");
	obj = cJSON_AddObjectToObject(doc, "nested");
	for (size_t i = 0; i < np; i++) {
		switch (i % 4) {
		case 0:
			cJSON_AddStringToObject(doc, i ? "more" : "id", parts[i]);
			break;
		case 1:
			cJSON_AddItemToArray(arr, cJSON_CreateString(parts[i]));
			break;
		case 2:
			cJSON_AddStringToObject(obj, "address", parts[i]);
			break;
		default: /* as a key (not the flag's own name) */
			if (strcmp(parts[i], "invalid_utf8") != 0)
				cJSON_AddNumberToObject(doc, parts[i], (double)i);
		}
	}
	out = np_json_render(doc);
	if (out != NULL) {
		if (!valid_utf8((const unsigned char *)out, strlen(out)))
			abort();
		back = cJSON_Parse(out);
		if (back == NULL)
			abort();
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(back, "invalid_utf8")) != any_bad)
			abort();
		cJSON_Delete(back);
		free(out);
	}
	free(buf);
	return 0;
}
