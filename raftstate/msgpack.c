/*
 * msgpack encoder and bounded reader (see msgpack.h for the contract).
 *
 * First byte of every value (all multi-byte numbers big-endian):
 *   byte       meaning                    followed by
 *   00-7f      positive fixint 0..127     -
 *   80-8f      fixmap, n = low 4 bits     n key/value pairs
 *   90-9f      fixarray, n = low 4 bits   n values
 *   a0-bf      fixstr, n = low 5 bits     n bytes
 *   c0         nil                        -
 *   c1         (never used: invalid)      -
 *   c2 / c3    false / true               -
 *   c4 c5 c6   bin 8/16/32                len u8/u16/u32, len bytes
 *   c7 c8 c9   ext 8/16/32                len u8/u16/u32, type i8, len bytes
 *   ca / cb    float32 / float64          4 / 8 bytes
 *   cc-cf      uint 8/16/32/64            1/2/4/8 bytes
 *   d0-d3      int 8/16/32/64             1/2/4/8 bytes (two's complement)
 *   d4-d8      fixext 1/2/4/8/16          type i8, 1/2/4/8/16 bytes
 *   d9 da db   str 8/16/32                len u8/u16/u32, len bytes
 *   dc / dd    array 16/32                n u16/u32, n values
 *   de / df    map 16/32                  n u16/u32, n key/value pairs
 *   e0-ff      negative fixint -32..-1    -
 */
#include "raftstate/msgpack.h"

#include <stdlib.h>
#include <string.h>

/* ---- encoder ---------------------------------------------------------- */

static int buf_reserve(struct mp_buf *b, size_t more)
{
	size_t want, cap;
	uint8_t *np;

	if (b->oom)
		return -1;
	if (more > SIZE_MAX - b->len) {
		b->oom = 1;
		return -1;
	}
	want = b->len + more;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	np = realloc(b->p, cap);
	if (np == NULL) {
		b->oom = 1;
		return -1;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

static void put(struct mp_buf *b, const void *s, size_t n)
{
	if (n == 0 || buf_reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Writes tag followed by the low `width` bytes of v, big-endian. */
static void put_tagged(struct mp_buf *b, uint8_t tag, uint64_t v, int width)
{
	uint8_t t[9];
	int i;

	t[0] = tag;
	for (i = 0; i < width; i++)
		t[1 + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
	put(b, t, (size_t)width + 1);
}

void mp_buf_free(struct mp_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void mp_put_nil(struct mp_buf *b)
{
	uint8_t c = 0xc0;

	put(b, &c, 1);
}

void mp_put_uint(struct mp_buf *b, uint64_t v)
{
	uint8_t c;

	if (v <= 0x7f) {
		c = (uint8_t)v;
		put(b, &c, 1);
	} else if (v <= UINT8_MAX) {
		put_tagged(b, 0xcc, v, 1);
	} else if (v <= UINT16_MAX) {
		put_tagged(b, 0xcd, v, 2);
	} else if (v <= UINT32_MAX) {
		put_tagged(b, 0xce, v, 4);
	} else {
		put_tagged(b, 0xcf, v, 8);
	}
}

void mp_put_int(struct mp_buf *b, int64_t v)
{
	uint8_t c;

	if (v > INT8_MAX) {
		if (v <= INT16_MAX)
			put_tagged(b, 0xd1, (uint64_t)v, 2);
		else if (v <= INT32_MAX)
			put_tagged(b, 0xd2, (uint64_t)v, 4);
		else
			put_tagged(b, 0xd3, (uint64_t)v, 8);
	} else if (v >= -32) {
		c = (uint8_t)v;
		put(b, &c, 1);
	} else if (v >= INT8_MIN) {
		put_tagged(b, 0xd0, (uint64_t)v, 1);
	} else if (v >= INT16_MIN) {
		put_tagged(b, 0xd1, (uint64_t)v, 2);
	} else if (v >= INT32_MIN) {
		put_tagged(b, 0xd2, (uint64_t)v, 4);
	} else {
		put_tagged(b, 0xd3, (uint64_t)v, 8);
	}
}

/* fix: tag|n below `fixmax`+1 (0 = no fix form), then 16- and 32-bit forms. */
static void put_len(struct mp_buf *b, uint8_t fix, uint32_t fixlim, uint8_t t16, uint8_t t32,
                    uint32_t n)
{
	uint8_t c;

	if (n < fixlim) {
		c = (uint8_t)(fix | n);
		put(b, &c, 1);
	} else if (n <= UINT16_MAX) {
		put_tagged(b, t16, n, 2);
	} else {
		put_tagged(b, t32, n, 4);
	}
}

void mp_put_map(struct mp_buf *b, uint32_t n)
{
	put_len(b, 0x80, 16, 0xde, 0xdf, n);
}

void mp_put_array(struct mp_buf *b, uint32_t n)
{
	put_len(b, 0x90, 16, 0xdc, 0xdd, n);
}

void mp_put_raw(struct mp_buf *b, const void *s, size_t n)
{
	if (n > UINT32_MAX) {
		b->oom = 1;
		return;
	}
	put_len(b, 0xa0, 32, 0xda, 0xdb, (uint32_t)n);
	put(b, s, n);
}

void mp_put_bytes(struct mp_buf *b, const void *s, size_t n)
{
	if (s == NULL)
		mp_put_nil(b);
	else
		mp_put_raw(b, s, n);
}

/* ---- reader ----------------------------------------------------------- */

void mp_reader_init(struct mp_reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->depth = 0;
}

static uint64_t be(const uint8_t *p, int width)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < width; i++)
		v = (v << 8) | p[i];
	return v;
}

static int eof_err(const struct mp_reader *r, size_t at, const char *what, size_t need,
                   struct rs_err *err)
{
	return rs_errf(
	    err, RS_ECORRUPT,
	    "msgpack: unexpected end of input at offset %zu: %s needs %zu bytes, %zu remain", at,
	    what, need, r->len - at);
}

static int bad_byte(const struct mp_reader *r, size_t at, const char *want, struct rs_err *err)
{
	return rs_errf(err, RS_ECORRUPT, "msgpack: byte 0x%02x at offset %zu is not %s", r->p[at],
	               at, want);
}

/* Head of the next value: tag byte, its fixed-size argument (if any) and
 * where the payload begins. Only reads; never advances. */
struct head {
	size_t at; /* offset of the tag byte */
	uint8_t tag;
	uint64_t arg; /* length, count, or integer bits */
	size_t body;  /* offset right after tag + argument */
};

static int read_head(const struct mp_reader *r, struct head *h, struct rs_err *err)
{
	size_t at = r->pos;
	uint8_t tag;
	int width = 0;

	if (at >= r->len)
		return eof_err(r, at, "a value", 1, err);
	tag = r->p[at];
	h->at = at;
	h->tag = tag;
	h->arg = 0;
	switch (tag) {
	case 0xc1:
		return rs_errf(err, RS_ECORRUPT,
		               "msgpack: byte 0xc1 at offset %zu is not a valid type", at);
	case 0xc4:
	case 0xc7:
	case 0xcc:
	case 0xd0:
	case 0xd9:
		width = 1;
		break;
	case 0xc5:
	case 0xc8:
	case 0xcd:
	case 0xd1:
	case 0xda:
	case 0xdc:
	case 0xde:
		width = 2;
		break;
	case 0xc6:
	case 0xc9:
	case 0xce:
	case 0xd2:
	case 0xdb:
	case 0xdd:
	case 0xdf:
	case 0xca:
		width = 4;
		break;
	case 0xcf:
	case 0xd3:
	case 0xcb:
		width = 8;
		break;
	default:
		break;
	}
	if (width > 0) {
		if ((size_t)width > r->len - at - 1)
			return eof_err(r, at, "the value's header", (size_t)width + 1, err);
		h->arg = be(r->p + at + 1, width);
	} else if (tag <= 0x7f) {
		h->arg = tag;
	} else if (tag <= 0x8f) {
		h->arg = tag & 0x0f;
	} else if (tag <= 0x9f) {
		h->arg = tag & 0x0f;
	} else if (tag <= 0xbf) {
		h->arg = tag & 0x1f;
	}
	h->body = at + 1 + (size_t)width;
	return RS_OK;
}

int mp_peek(const struct mp_reader *r, enum mp_type *t, struct rs_err *err)
{
	uint8_t c;

	if (r->pos >= r->len)
		return eof_err(r, r->pos, "a value", 1, err);
	c = r->p[r->pos];
	if (c <= 0x7f || (c >= 0xcc && c <= 0xcf))
		*t = MP_T_UINT;
	else if (c >= 0xe0 || (c >= 0xd0 && c <= 0xd3))
		*t = MP_T_INT;
	else if (c <= 0x8f || c == 0xde || c == 0xdf)
		*t = MP_T_MAP;
	else if (c <= 0x9f || c == 0xdc || c == 0xdd)
		*t = MP_T_ARRAY;
	else if (c <= 0xbf || (c >= 0xd9 && c <= 0xdb))
		*t = MP_T_STR;
	else if (c == 0xc0)
		*t = MP_T_NIL;
	else if (c == 0xc2 || c == 0xc3)
		*t = MP_T_BOOL;
	else if (c >= 0xc4 && c <= 0xc6)
		*t = MP_T_BIN;
	else if (c == 0xca || c == 0xcb)
		*t = MP_T_FLOAT;
	else if ((c >= 0xc7 && c <= 0xc9) || (c >= 0xd4 && c <= 0xd8))
		*t = MP_T_EXT;
	else
		return rs_errf(err, RS_ECORRUPT,
		               "msgpack: byte 0x%02x at offset %zu is not a valid type", c, r->pos);
	return RS_OK;
}

int mp_try_nil(struct mp_reader *r)
{
	if (r->pos < r->len && r->p[r->pos] == 0xc0) {
		r->pos++;
		return 1;
	}
	return 0;
}

/* Reads any integer form into a sign flag and magnitude bits. */
static int read_integer(struct mp_reader *r, int *neg, uint64_t *bits, struct rs_err *err)
{
	struct head h = {0};
	int rc;

	if ((rc = read_head(r, &h, err)) != RS_OK)
		return rc;
	*neg = 0;
	if (h.tag <= 0x7f || (h.tag >= 0xcc && h.tag <= 0xcf)) {
		*bits = h.arg;
	} else if (h.tag >= 0xe0) {
		*bits = (uint64_t)(int64_t)(int8_t)h.tag;
		*neg = 1;
	} else if (h.tag >= 0xd0 && h.tag <= 0xd3) {
		int64_t s;

		switch (h.tag) {
		case 0xd0:
			s = (int8_t)(uint8_t)h.arg;
			break;
		case 0xd1:
			s = (int16_t)(uint16_t)h.arg;
			break;
		case 0xd2:
			s = (int32_t)(uint32_t)h.arg;
			break;
		default:
			s = (int64_t)h.arg;
			break;
		}
		*bits = (uint64_t)s;
		*neg = s < 0;
	} else {
		return bad_byte(r, h.at, "an integer", err);
	}
	r->pos = h.body;
	return RS_OK;
}

int mp_read_uint(struct mp_reader *r, uint64_t *v, struct rs_err *err)
{
	size_t at = r->pos;
	uint64_t bits = 0;
	int neg, rc;

	if ((rc = read_integer(r, &neg, &bits, err)) != RS_OK)
		return rc;
	if (neg) {
		r->pos = at;
		return rs_errf(err, RS_ECORRUPT,
		               "msgpack: negative integer %lld at offset %zu where an unsigned "
		               "integer is expected",
		               (long long)(int64_t)bits, at);
	}
	*v = bits;
	return RS_OK;
}

int mp_read_int(struct mp_reader *r, int64_t *v, struct rs_err *err)
{
	uint64_t bits = 0;
	int neg, rc;

	if ((rc = read_integer(r, &neg, &bits, err)) != RS_OK)
		return rc;
	*v = (int64_t)bits;
	return RS_OK;
}

/* Length of a str/bin value whose head is h, checked against the input. */
static int raw_span(const struct mp_reader *r, const struct head *h, size_t *n, struct rs_err *err)
{
	if (h->arg > r->len - h->body)
		return rs_errf(err, RS_ECORRUPT,
		               "msgpack: string at offset %zu claims %llu bytes, only %zu remain",
		               h->at, (unsigned long long)h->arg, r->len - h->body);
	*n = (size_t)h->arg;
	return RS_OK;
}

static int is_raw_tag(uint8_t t)
{
	return (t >= 0xa0 && t <= 0xbf) || (t >= 0xd9 && t <= 0xdb) || (t >= 0xc4 && t <= 0xc6);
}

static int is_array_tag(uint8_t t)
{
	return (t >= 0x90 && t <= 0x9f) || t == 0xdc || t == 0xdd;
}

static int is_map_tag(uint8_t t)
{
	return (t >= 0x80 && t <= 0x8f) || t == 0xde || t == 0xdf;
}

int mp_read_raw(struct mp_reader *r, const uint8_t **s, size_t *n, struct rs_err *err)
{
	struct head h = {0};
	int rc;

	if ((rc = read_head(r, &h, err)) != RS_OK)
		return rc;
	if (!is_raw_tag(h.tag))
		return bad_byte(r, h.at, "a string or binary", err);
	if ((rc = raw_span(r, &h, n, err)) != RS_OK)
		return rc;
	*s = r->p + h.body;
	r->pos = h.body + *n;
	return RS_OK;
}

/* A container count, checked: each element needs >= per_elem bytes. */
static int container(struct mp_reader *r, int is_map, uint32_t *n, struct rs_err *err)
{
	struct head h = {0};
	uint64_t need;
	int rc;

	if ((rc = read_head(r, &h, err)) != RS_OK)
		return rc;
	if (is_map ? !is_map_tag(h.tag) : !is_array_tag(h.tag))
		return bad_byte(r, h.at, is_map ? "a map" : "an array", err);
	need = is_map ? h.arg * 2 : h.arg;
	if (need > r->len - h.body)
		return rs_errf(err, RS_ECORRUPT,
		               "msgpack: %s at offset %zu claims %llu %s, only %zu bytes remain",
		               is_map ? "map" : "array", h.at, (unsigned long long)h.arg,
		               is_map ? "entries" : "elements", r->len - h.body);
	*n = (uint32_t)h.arg;
	r->pos = h.body;
	return RS_OK;
}

int mp_read_array(struct mp_reader *r, uint32_t *n, struct rs_err *err)
{
	return container(r, 0, n, err);
}

int mp_read_map(struct mp_reader *r, uint32_t *n, struct rs_err *err)
{
	return container(r, 1, n, err);
}

int mp_read_bytes(struct mp_reader *r, uint8_t *buf, size_t cap, struct mp_bytes *out,
                  struct rs_err *err)
{
	size_t start = r->pos, body;
	uint32_t n, i;
	int all_fix = 1, rc;

	out->s = NULL;
	out->n = 0;
	out->was_nil = 0;
	out->copied = 0;
	if (r->pos >= r->len)
		return eof_err(r, r->pos, "a byte string", 1, err);
	if (mp_try_nil(r)) {
		out->was_nil = 1;
		return RS_OK;
	}
	if (is_raw_tag(r->p[r->pos]))
		return mp_read_raw(r, &out->s, &out->n, err);
	if (!is_array_tag(r->p[r->pos]))
		return bad_byte(r, r->pos, "a byte string (str, bin, nil or array of bytes)", err);
	/* go-msgpack decodes an array of small unsigned integers into []byte. */
	if ((rc = mp_read_array(r, &n, err)) != RS_OK)
		return rc;
	body = r->pos;
	for (i = 0; i < n; i++) {
		size_t at = r->pos;
		uint64_t v = 0;

		if (!mp_try_nil(r)) {
			if ((rc = mp_read_uint(r, &v, err)) != RS_OK)
				goto fail;
			if (v > UINT8_MAX) {
				rc = rs_errf(err, RS_ECORRUPT,
				             "msgpack: byte array element %llu at offset %zu "
				             "overflows uint8",
				             (unsigned long long)v, at);
				goto fail;
			}
		}
		if (r->p[at] > 0x7f)
			all_fix = 0;
		if (i < cap)
			buf[i] = (uint8_t)v;
	}
	out->n = n;
	if (all_fix) {
		out->s = r->p + body;
	} else {
		out->s = buf;
		out->copied = 1;
	}
	return RS_OK;
fail:
	r->pos = start;
	return rc;
}

int mp_read_ext(struct mp_reader *r, int8_t *type, const uint8_t **data, size_t *n,
                struct rs_err *err)
{
	struct head h = {0};
	size_t len, tpos;

	int rc;

	if ((rc = read_head(r, &h, err)) != RS_OK)
		return rc;
	if (h.tag >= 0xd4 && h.tag <= 0xd8)
		len = (size_t)1 << (h.tag - 0xd4);
	else if (h.tag >= 0xc7 && h.tag <= 0xc9)
		len = (size_t)h.arg;
	else
		return bad_byte(r, h.at, "an extension", err);
	tpos = h.body;
	if (tpos >= r->len)
		return eof_err(r, h.at, "the extension type", tpos - h.at + 1, err);
	if (len > r->len - tpos - 1)
		return rs_errf(err, RS_ECORRUPT,
		               "msgpack: extension at offset %zu claims %zu bytes, only %zu remain",
		               h.at, len, r->len - tpos - 1);
	*type = (int8_t)r->p[tpos];
	*data = r->p + tpos + 1;
	*n = len;
	r->pos = tpos + 1 + len;
	return RS_OK;
}

int mp_skip(struct mp_reader *r, struct rs_err *err)
{
	size_t start = r->pos;
	enum mp_type t;
	uint32_t n, i;
	int rc;

	if ((rc = mp_peek(r, &t, err)) != RS_OK)
		return rc;
	switch (t) {
	case MP_T_NIL:
	case MP_T_BOOL:
		r->pos++;
		return RS_OK;
	case MP_T_UINT:
	case MP_T_INT:
	case MP_T_FLOAT: {
		struct head h = {0};

		if ((rc = read_head(r, &h, err)) != RS_OK)
			return rc;
		r->pos = h.body;
		return RS_OK;
	}
	case MP_T_STR:
	case MP_T_BIN: {
		const uint8_t *s;
		size_t len;

		return mp_read_raw(r, &s, &len, err);
	}
	case MP_T_EXT: {
		const uint8_t *d;
		size_t len;
		int8_t ty;

		return mp_read_ext(r, &ty, &d, &len, err);
	}
	case MP_T_ARRAY:
	case MP_T_MAP:
		break;
	}
	if (r->depth + 1 >= MP_MAX_DEPTH)
		return rs_errf(err, RS_ELIMIT,
		               "msgpack: containers nested deeper than %d at offset %zu",
		               MP_MAX_DEPTH, start);
	if ((rc = container(r, t == MP_T_MAP, &n, err)) != RS_OK)
		return rc;
	r->depth++;
	for (i = 0; i < n; i++) {
		if ((rc = mp_skip(r, err)) != RS_OK)
			break;
		if (t == MP_T_MAP && (rc = mp_skip(r, err)) != RS_OK)
			break;
	}
	r->depth--;
	if (rc != RS_OK)
		return rc;
	return RS_OK;
}
