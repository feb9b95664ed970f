/*
 * Helpers shared by the msgpack/log/config unit tests: hex, files under
 * OCI_TESTDATA / OCI_SHARED, JSON (cJSON) and Go-style time formatting.
 * Header-only (static functions) because every test_*.c is its own program.
 */
#ifndef TESTS_RAFTSTATE_MSGPACK_FIXTURES_H
#define TESTS_RAFTSTATE_MSGPACK_FIXTURES_H

#include <check.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/log.h"

/* Hex (spaces allowed) to bytes; returns the length, aborts the test on
 * bad input. */
static inline size_t fx_unhex(const char *hex, uint8_t **out)
{
	size_t cap = strlen(hex) / 2 + 1, n = 0;
	uint8_t *b = malloc(cap);
	int hi = -1;

	ck_assert_ptr_nonnull(b);
	for (; *hex; hex++) {
		int v;

		if (isspace((unsigned char)*hex))
			continue;
		ck_assert_msg(isxdigit((unsigned char)*hex), "bad hex char %c", *hex);
		v = isdigit((unsigned char)*hex) ? *hex - '0' : (tolower(*hex) - 'a' + 10);
		if (hi < 0) {
			hi = v;
		} else {
			b[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	ck_assert_int_eq(hi, -1);
	*out = b;
	return n;
}

static inline char *fx_hex(const uint8_t *p, size_t n)
{
	char *s = malloc(n * 2 + 1);
	size_t i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
}

/* Reads $env/rel; NULL when the file does not exist. */
static inline char *fx_read(const char *env, const char *rel, size_t *len)
{
	const char *dir = getenv(env);
	char path[4096];
	FILE *f;
	char *buf;
	long sz;

	if (dir == NULL)
		dir = strcmp(env, "OCI_SHARED") == 0 ? "/work/shared" : "testdata";
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	ck_assert_int_ge(sz, 0);
	rewind(f);
	buf = malloc((size_t)sz + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)sz, f), (size_t)sz);
	buf[sz] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)sz;
	return buf;
}

static inline cJSON *fx_json(const char *env, const char *rel)
{
	char *s = fx_read(env, rel, NULL);
	cJSON *j;

	ck_assert_msg(s != NULL, "cannot read %s/%s", env, rel);
	j = cJSON_Parse(s);
	free(s);
	ck_assert_msg(j != NULL, "bad JSON in %s", rel);
	return j;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static inline void fx_civil(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* time.Time.Format(time.RFC3339Nano) in the time's own zone. */
static inline void fx_time_str(const struct rs_time *t, char *out, size_t cap)
{
	int64_t off = t->utc ? 0 : (int64_t)t->offset_min * 60 + (uint8_t)t->offset_sec;
	int64_t unix = t->sec - RS_TIME_UNIX_TO_INTERNAL + off;
	int64_t days = (unix >= 0 ? unix : unix - 86399) / 86400, secs = unix - days * 86400;
	int64_t y;
	int m, d, n;
	char frac[16] = "";

	fx_civil(days, &y, &m, &d);
	if (t->nsec != 0) {
		snprintf(frac, sizeof(frac), ".%09d", (int)t->nsec);
		for (n = (int)strlen(frac) - 1; frac[n] == '0'; n--)
			frac[n] = '\0';
	}
	n = snprintf(out, cap, "%04lld-%02d-%02dT%02d:%02d:%02d%s", (long long)y, m, d,
	             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), frac);
	if (off == 0)
		snprintf(out + n, cap - (size_t)n, "Z");
	else
		snprintf(out + n, cap - (size_t)n, "%c%02d:%02d", off < 0 ? '-' : '+',
		         (int)((off < 0 ? -off : off) / 3600),
		         (int)((off < 0 ? -off : off) / 60 % 60));
}

static inline int fx_time_is_zero(const struct rs_time *t)
{
	return t->sec == 0 && t->nsec == 0;
}

#endif
