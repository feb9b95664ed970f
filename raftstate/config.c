/*
 * raft.Configuration <-> msgpack (raft.EncodeConfiguration /
 * DecodeConfiguration, go-msgpack v2 default handle).
 *
 * Canonical bytes (what the encoder writes):
 *   81 a7 "Servers"
 *      c0                       Servers == nil (servers NULL and n 0)
 *    | 9x / dc u16 / dd u32     array of n servers, each:
 *      83 a7 "Address" raw      legacy raw string (a0|n, da u16, db u32)
 *         a2 "ID"      raw
 *         a8 "Suffrage" int     Go int: fixint, or d0-d3 (never cc-cf)
 *
 * What the decoder accepts besides (as go-msgpack does):
 *   Configuration  c0 (no servers); a map with any keys (unknown skipped,
 *                  exact case-sensitive match); an array [Servers]
 *   Servers        nil; an array; a map (go-msgpack decodes a slice from a
 *                  map as its keys and values in sequence)
 *   Server         c0 (zero server); a map; an array [Suffrage, ID, Address]
 *                  (struct declaration order)
 *   ID, Address    str/bin of any width, nil (= ""), array of bytes
 *   Suffrage       any integer form (Go int), nil (= 0)
 */
#include "raftstate/config.h"

#include <stdlib.h>
#include <string.h>

const char *rs_suffrage_name(uint64_t suffrage)
{
	static const char *const names[] = {"Voter", "Nonvoter", "Staging"};

	return suffrage < 3 ? names[suffrage] : NULL;
}

/* ---- encoding --------------------------------------------------------- */

static int check_str(const char *s, size_t n, const char *what, size_t i, struct rs_err *err)
{
	if (n > UINT32_MAX)
		return rs_errf(err, RS_EINVAL,
		               "server %zu: %s of %zu bytes is too long for msgpack", i, what, n);
	if (s == NULL && n > 0)
		return rs_errf(err, RS_EINVAL, "server %zu: %s has length %zu but no bytes", i,
		               what, n);
	return RS_OK;
}

int rs_config_encode(const struct rs_config *c, struct mp_buf *out, struct rs_err *err)
{
	size_t i;
	int rc;

	if (c->n > UINT32_MAX)
		return rs_errf(err, RS_EINVAL, "configuration has %zu servers: too many", c->n);
	for (i = 0; i < c->n; i++) {
		const struct rs_server *s = &c->servers[i];

		if ((rc = check_str(s->address, s->address_len, "Address", i, err)) != RS_OK ||
		    (rc = check_str(s->id, s->id_len, "ID", i, err)) != RS_OK)
			return rc;
	}
	mp_put_map(out, 1);
	mp_put_raw(out, "Servers", 7);
	if (c->servers == NULL && c->n == 0) {
		mp_put_nil(out);
	} else {
		mp_put_array(out, (uint32_t)c->n);
		for (i = 0; i < c->n; i++) {
			const struct rs_server *s = &c->servers[i];

			mp_put_map(out, 3);
			mp_put_raw(out, "Address", 7);
			mp_put_raw(out, s->address ? s->address : "", s->address_len);
			mp_put_raw(out, "ID", 2);
			mp_put_raw(out, s->id ? s->id : "", s->id_len);
			mp_put_raw(out, "Suffrage", 8);
			/* ServerSuffrage is a Go int. */
			mp_put_int(out, (int64_t)s->suffrage);
		}
	}
	if (out->oom)
		return rs_errf(err, RS_ENOMEM, "out of memory encoding the configuration");
	return RS_OK;
}

/* ---- decoding --------------------------------------------------------- */

enum { F_ADDRESS, F_ID, F_SUFFRAGE, F_UNKNOWN };

static int prefix(struct rs_err *err, int rc, const char *what, size_t i)
{
	char tmp[sizeof(err->msg)];

	if (err == NULL)
		return rc;
	memcpy(tmp, err->msg, sizeof(tmp));
	tmp[sizeof(tmp) - 1] = '\0';
	return rs_errf(err, rc, "raft.Configuration server %zu %s: %s", i, what, tmp);
}

static int is_array_tag(uint8_t t)
{
	return (t >= 0x90 && t <= 0x9f) || t == 0xdc || t == 0xdd;
}

static int is_map_tag(uint8_t t)
{
	return (t >= 0x80 && t <= 0x8f) || t == 0xde || t == 0xdf;
}

/* A Go string into a NUL-terminated heap copy. */
static int read_string(struct mp_reader *r, char **out, size_t *out_len, struct rs_err *err)
{
	struct mp_reader probe = *r;
	struct mp_bytes b;
	uint8_t *scratch = NULL;
	uint32_t cnt = 0;
	char *s;
	int rc;

	/* An array of bytes needs room to be assembled; its count is already
	 * bounded by the input size (each element takes a byte). */
	if (r->pos < r->len && is_array_tag(r->p[r->pos]) &&
	    mp_read_array(&probe, &cnt, NULL) == RS_OK && cnt > 0) {
		scratch = malloc(cnt);
		if (scratch == NULL)
			return rs_errf(err, RS_ENOMEM, "out of memory");
	}
	rc = mp_read_bytes(r, scratch, cnt, &b, err);
	if (rc == RS_OK) {
		s = malloc(b.n + 1);
		if (s == NULL) {
			rc = rs_errf(err, RS_ENOMEM, "out of memory");
		} else {
			if (b.n > 0)
				memcpy(s, b.s, b.n);
			s[b.n] = '\0';
			free(*out);
			*out = s;
			*out_len = b.n;
		}
	}
	free(scratch);
	return rc;
}

static int server_field(struct mp_reader *r, int f, struct rs_server *s, struct rs_err *err)
{
	int64_t v;
	int rc;

	switch (f) {
	case F_ADDRESS:
		return read_string(r, &s->address, &s->address_len, err);
	case F_ID:
		return read_string(r, &s->id, &s->id_len, err);
	case F_SUFFRAGE:
		if (mp_try_nil(r)) {
			s->suffrage = 0;
			return RS_OK;
		}
		if ((rc = mp_read_int(r, &v, err)) != RS_OK)
			return rc;
		s->suffrage = (uint64_t)v;
		return RS_OK;
	default:
		return mp_skip(r, err);
	}
}

static const char *const server_keys[] = {"Address", "ID", "Suffrage"};

static int decode_server(struct mp_reader *r, struct rs_server *s, size_t idx, struct rs_err *err)
{
	static const int order[] = {F_SUFFRAGE, F_ID, F_ADDRESS};
	uint8_t kbuf[16];
	struct mp_bytes key;
	uint32_t n, i;
	int f, rc;

	if (mp_try_nil(r))
		return RS_OK;
	if (r->pos < r->len && is_array_tag(r->p[r->pos])) {
		if ((rc = mp_read_array(r, &n, err)) != RS_OK)
			return prefix(err, rc, "header", idx);
		r->depth++;
		for (i = 0; i < n; i++) {
			f = i < 3 ? order[i] : F_UNKNOWN;
			if ((rc = server_field(r, f, s, err)) != RS_OK)
				return prefix(err, rc, f < F_UNKNOWN ? server_keys[f] : "extra",
				              idx);
		}
		r->depth--;
		return RS_OK;
	}
	if ((rc = mp_read_map(r, &n, err)) != RS_OK)
		return prefix(err, rc, "header", idx);
	r->depth++;
	for (i = 0; i < n; i++) {
		if ((rc = mp_read_bytes(r, kbuf, sizeof(kbuf), &key, err)) != RS_OK)
			return prefix(err, rc, "key", idx);
		f = F_UNKNOWN;
		if (!key.was_nil && key.n <= sizeof(kbuf))
			for (f = 0; f < F_UNKNOWN; f++)
				if (strlen(server_keys[f]) == key.n &&
				    memcmp(server_keys[f], key.s, key.n) == 0)
					break;
		if ((rc = server_field(r, f, s, err)) != RS_OK)
			return prefix(err, rc, f < F_UNKNOWN ? server_keys[f] : "(unknown key)",
			              idx);
	}
	r->depth--;
	return RS_OK;
}

static void free_servers(struct rs_server *sv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(sv[i].id);
		free(sv[i].address);
	}
	free(sv);
}

/* Servers: nil, an array of servers, or a map read as a flat sequence. */
static int decode_servers(struct mp_reader *r, struct rs_config *c, struct rs_err *err)
{
	struct rs_server *sv;
	uint32_t n;
	size_t count, i;
	int rc;

	free_servers(c->servers, c->n);
	c->servers = NULL;
	c->n = 0;
	if (mp_try_nil(r))
		return RS_OK;
	if (r->pos < r->len && is_map_tag(r->p[r->pos])) {
		if ((rc = mp_read_map(r, &n, err)) != RS_OK)
			return rc;
		count = (size_t)n * 2;
	} else {
		if ((rc = mp_read_array(r, &n, err)) != RS_OK)
			return rc;
		count = n;
	}
	if (count == 0)
		return RS_OK;
	/* count <= remaining input bytes, so this is bounded by the input. */
	sv = calloc(count, sizeof(*sv));
	if (sv == NULL)
		return rs_errf(err, RS_ENOMEM, "out of memory for %zu servers", count);
	r->depth++;
	for (i = 0; i < count; i++) {
		if ((rc = decode_server(r, &sv[i], i, err)) != RS_OK) {
			free_servers(sv, count);
			return rc;
		}
		/* A nil server or missing keys decode as empty strings. */
		if ((sv[i].id == NULL && (sv[i].id = calloc(1, 1)) == NULL) ||
		    (sv[i].address == NULL && (sv[i].address = calloc(1, 1)) == NULL)) {
			free_servers(sv, count);
			return rs_errf(err, RS_ENOMEM, "out of memory");
		}
	}
	r->depth--;
	c->servers = sv;
	c->n = count;
	return RS_OK;
}

int rs_config_decode(const uint8_t *p, size_t n, struct rs_config *out, struct rs_err *err)
{
	struct mp_reader r;
	uint8_t kbuf[16];
	struct mp_bytes key;
	uint32_t cnt, i;
	int rc = RS_OK;

	memset(out, 0, sizeof(*out));
	mp_reader_init(&r, p, n);
	if (n == 0)
		return rs_errf(err, RS_ECORRUPT, "raft.Configuration: empty value");
	if (mp_try_nil(&r)) {
		/* zero Configuration */
	} else if (is_array_tag(p[0])) {
		r.depth = 1;
		if ((rc = mp_read_array(&r, &cnt, err)) == RS_OK)
			for (i = 0; i < cnt && rc == RS_OK; i++)
				rc = i == 0 ? decode_servers(&r, out, err) : mp_skip(&r, err);
	} else if (is_map_tag(p[0])) {
		r.depth = 1;
		if ((rc = mp_read_map(&r, &cnt, err)) == RS_OK) {
			for (i = 0; i < cnt && rc == RS_OK; i++) {
				rc = mp_read_bytes(&r, kbuf, sizeof(kbuf), &key, err);
				if (rc != RS_OK)
					break;
				if (!key.was_nil && key.n == 7 && memcmp(key.s, "Servers", 7) == 0)
					rc = decode_servers(&r, out, err);
				else
					rc = mp_skip(&r, err);
			}
		}
	} else {
		rc = rs_errf(err, RS_ECORRUPT,
		             "raft.Configuration: byte 0x%02x at offset 0 is not a map or array",
		             p[0]);
	}
	if (rc == RS_OK && r.pos != n)
		rc = rs_errf(
		    err, RS_ECORRUPT,
		    "raft.Configuration: %zu trailing bytes after the value, from offset %zu",
		    n - r.pos, r.pos);
	if (rc != RS_OK)
		rs_config_free(out);
	return rc;
}

void rs_config_free(struct rs_config *c)
{
	if (c == NULL)
		return;
	free_servers(c->servers, c->n);
	c->servers = NULL;
	c->n = 0;
}

static char *dup_bytes(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

int rs_config_copy(struct rs_config *dst, const struct rs_config *src)
{
	dst->servers = NULL;
	dst->n = 0;
	if (src->n == 0)
		return RS_OK;
	dst->servers = calloc(src->n, sizeof(*dst->servers));
	if (dst->servers == NULL)
		return RS_ENOMEM;
	for (size_t i = 0; i < src->n; i++) {
		const struct rs_server *s = &src->servers[i];
		struct rs_server *d = &dst->servers[i];

		d->suffrage = s->suffrage;
		d->id = dup_bytes(s->id, s->id_len);
		d->id_len = s->id_len;
		d->address = dup_bytes(s->address, s->address_len);
		d->address_len = s->address_len;
		dst->n = i + 1;
		if (d->id == NULL || d->address == NULL) {
			rs_config_free(dst);
			return RS_ENOMEM;
		}
	}
	return RS_OK;
}

const struct rs_server *rs_config_server(const struct rs_config *c, const char *id, size_t id_len)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->servers[i].id_len == id_len && memcmp(c->servers[i].id, id, id_len) == 0)
			return &c->servers[i];
	return NULL;
}
