/*
 * raft.Log <-> msgpack (layout and field meanings: see log.h).
 *
 * What the decoder accepts, field by field (go-msgpack v2.1.2 with
 * raft-boltdb's default decode handle, plus what 0.5.5 accepts):
 *   whole value  c0 (all fields zero), a map (any key order, unknown keys
 *                skipped, missing keys left zero, a repeated key wins last),
 *                or an array in declaration order
 *                [Index, Term, Type, Data, Extensions, AppendedAt] (short
 *                arrays leave the rest zero, extra elements are skipped)
 *   keys         str/bin/nil/array-of-bytes, compared exactly (case matters)
 *   Index, Term  any integer form >= 0, or nil (= 0)
 *   Type         same, and <= 255 (Go's LogType is a uint8)
 *   Data, Ext    str (a0-bf, d9, da, db), bin (c4-c6), nil, or an array of
 *                positive fixints (zero copy; other array forms: error)
 *   AppendedAt   nil; str/bin of 15/16 bytes = time.MarshalBinary; str/bin
 *                of 4, 8 or 12 bytes = msgpack timestamp payload; ext -1 as
 *                d6 (4 bytes), d7 (8 bytes) or c7 0c (12 bytes)
 *
 * time.MarshalBinary payload (15 bytes, version 2: 16):
 *   off size
 *   0   1    version 1 | 2
 *   1   8    seconds since 0001-01-01 UTC, int64 BE
 *   9   4    nanoseconds, int32 BE
 *   13  2    zone offset minutes, int16 BE (-1 = UTC)
 *   15  1    version 2 only: extra offset seconds (unsigned byte in Go's
 *            UnmarshalBinary; UTC when minutes*60 + this byte == -60)
 * msgpack timestamp payload (always UTC):
 *   4 bytes   u32 BE unix seconds
 *   8 bytes   u64 BE: nanoseconds << 34 | unix seconds (34 bits)
 *   12 bytes  u32 BE nanoseconds, then i64 BE unix seconds
 */
#include "raftstate/log.h"

#include <string.h>

/* The decode path every scanned entry takes (the canonical layout below):
 * inlined into its callers so that the reader's position stays in a
 * register. Not in the coverage build (scripts/coverage.sh defines
 * OCI_COVERAGE; -O0 then inlines nothing): gcov counts a branch once where
 * it is written, not once in each inlined copy, whose constant arguments
 * leave some branches no test can take. */
#ifdef OCI_COVERAGE
#define HOT static inline
#else
#define HOT static inline __attribute__((always_inline))
#endif

enum {
	F_APPENDED_AT,
	F_DATA,
	F_EXTENSIONS,
	F_INDEX,
	F_TERM,
	F_TYPE,
	F_UNKNOWN,
};

static const char *const field_names[] = {"AppendedAt", "Data", "Extensions",
                                          "Index",      "Term", "Type"};

/* Struct declaration order in raft v1.7.3 log.go: the array form. */
static const int array_order[] = {F_INDEX, F_TERM, F_TYPE, F_DATA, F_EXTENSIONS, F_APPENDED_AT};

const char *rs_log_type_name(uint64_t type)
{
	static const char *const names[RS_LOG_TYPE_COUNT] = {
	    "LogCommand", "LogNoop",          "LogAddPeerDeprecated", "LogRemovePeerDeprecated",
	    "LogBarrier", "LogConfiguration",
	};

	return type < RS_LOG_TYPE_COUNT ? names[type] : NULL;
}

/* ---- encoding --------------------------------------------------------- */

static void put_be(uint8_t *p, uint64_t v, int width)
{
	int i;

	for (i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

/* time.MarshalBinary of t into out (15 or 16 bytes); returns the length. */
static size_t time_marshal(const struct rs_time *t, uint8_t out[16])
{
	int v2 = !t->utc && t->offset_sec != 0;

	out[0] = v2 ? 2 : 1;
	put_be(out + 1, (uint64_t)t->sec, 8);
	put_be(out + 9, (uint32_t)t->nsec, 4);
	put_be(out + 13, t->utc ? 0xffff : (uint16_t)t->offset_min, 2);
	if (!v2)
		return 15;
	out[15] = (uint8_t)t->offset_sec;
	return 16;
}

static int check_span(const uint8_t *p, size_t n, int is_nil, const char *what, struct rs_err *err)
{
	if (is_nil)
		return RS_OK;
	if (n > UINT32_MAX)
		return rs_errf(err, RS_EINVAL,
		               "raft.Log %s is %zu bytes: msgpack raw strings hold "
		               "at most 4294967295",
		               what, n);
	if (p == NULL && n > 0)
		return rs_errf(err, RS_EINVAL, "raft.Log %s has length %zu but no bytes", what, n);
	return RS_OK;
}

static void put_key(struct mp_buf *out, int f)
{
	mp_put_raw(out, field_names[f], strlen(field_names[f]));
}

int rs_log_encode(const struct rs_log *log, struct mp_buf *out, struct rs_err *err)
{
	static const struct rs_time zero_time = {.utc = 1};
	uint8_t tb[16];
	size_t tn;
	int rc;

	if (log->type > UINT8_MAX)
		return rs_errf(err, RS_EINVAL, "raft.Log Type %llu does not fit Go's uint8 LogType",
		               (unsigned long long)log->type);
	if ((rc = check_span(log->data, log->data_len, log->data_nil, "Data", err)) != RS_OK)
		return rc;
	if ((rc = check_span(log->ext, log->ext_len, log->ext_nil, "Extensions", err)) != RS_OK)
		return rc;
	tn = time_marshal(log->appended_at_present ? &log->appended_at : &zero_time, tb);

	/* go-msgpack writes every field, keys sorted bytewise. */
	mp_put_map(out, 6);
	put_key(out, F_APPENDED_AT);
	mp_put_raw(out, tb, tn);
	put_key(out, F_DATA);
	mp_put_bytes(out, log->data_nil ? NULL : (log->data ? (const void *)log->data : ""),
	             log->data_len);
	put_key(out, F_EXTENSIONS);
	mp_put_bytes(out, log->ext_nil ? NULL : (log->ext ? (const void *)log->ext : ""),
	             log->ext_len);
	put_key(out, F_INDEX);
	mp_put_uint(out, log->index);
	put_key(out, F_TERM);
	mp_put_uint(out, log->term);
	put_key(out, F_TYPE);
	mp_put_uint(out, log->type);
	if (out->oom)
		return rs_errf(err, RS_ENOMEM, "out of memory encoding raft.Log %llu",
		               (unsigned long long)log->index);
	return RS_OK;
}

/* ---- decoding --------------------------------------------------------- */

/* Prefixes the message already in err with the field it concerns. */
static int in_field(struct rs_err *err, int rc, int f)
{
	char tmp[sizeof(err->msg)];

	if (err == NULL)
		return rc;
	memcpy(tmp, err->msg, sizeof(tmp));
	tmp[sizeof(tmp) - 1] = '\0';
	return rs_errf(err, rc, "raft.Log %s: %s", f < F_UNKNOWN ? field_names[f] : "(unknown key)",
	               tmp);
}

/* Big-endian unsigned of `width` bytes. The widths msgpack and Go's time
 * encodings use are spelled out so that each becomes one byte-swapped load
 * (the scan reads several per entry); any other width takes the loop. */
HOT uint64_t be_u(const uint8_t *p, int width)
{
	uint64_t v = 0;
	int i;

	switch (width) {
	case 1:
		return p[0];
	case 2:
		return (uint64_t)p[0] << 8 | p[1];
	case 4:
		return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
	case 8:
		return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
		       (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
		       (uint64_t)p[6] << 8 | (uint64_t)p[7];
	default:
		for (i = 0; i < width; i++)
			v = (v << 8) | p[i];
		return v;
	}
}

/* Go's time.Unix(sec, nsec).UTC() in rs_time terms (nsec normalized into
 * [0, 1e9) by carrying into seconds; int64 overflow wraps as in Go). The
 * timestamp payloads carry nsec unsigned (go-msgpack/v2 decodeTime reads a
 * uint32 or the top 30 bits of a uint64), so it is never negative here. */
static void time_from_unix(struct rs_time *t, int64_t sec, uint64_t nsec)
{
	if (nsec >= 1000000000) {
		sec = (int64_t)((uint64_t)sec + nsec / 1000000000);
		nsec %= 1000000000;
	}
	memset(t, 0, sizeof(*t));
	t->sec = (int64_t)((uint64_t)sec + (uint64_t)RS_TIME_UNIX_TO_INTERNAL);
	t->nsec = (int32_t)nsec;
	t->utc = 1;
}

/* A msgpack timestamp payload of 4, 8 or 12 bytes. */
static int time_from_timestamp(struct rs_time *t, const uint8_t *s, size_t n)
{
	uint64_t v;

	switch (n) {
	case 4:
		time_from_unix(t, (int64_t)be_u(s, 4), 0);
		return 0;
	case 8:
		v = be_u(s, 8);
		time_from_unix(t, (int64_t)(v & UINT64_C(0x3ffffffff)), v >> 34);
		return 0;
	case 12:
		time_from_unix(t, (int64_t)be_u(s + 4, 8), be_u(s, 4));
		return 0;
	default:
		return -1;
	}
}

/* Go's Time packs nanoseconds into the low 30 bits of its wall word; when the
 * top bit (hasMonotonic) is set, the wall word's bits 30..62 are seconds since
 * 1885-01-01 (Go's wallToInternal) instead of the ext word. */
#define GO_NSEC_MASK        ((UINT64_C(1) << 30) - 1)
#define GO_WALL_TO_INTERNAL INT64_C(59453308800)

/* time.UnmarshalBinary (Go's time/time.go) and the Time it makes, read back
 * as Go's Unix()/Nanosecond()/Zone() would: it stores the nanoseconds word
 * sign-extended as the wall word without checking it, so bytes whose
 * nanoseconds are outside [0, 1e9) come out as Go's packing makes them; the
 * version-2 seconds byte is added unsigned. -1 when Go would reject the bytes. */
HOT int time_unmarshal(struct rs_time *t, const uint8_t *s, size_t n)
{
	uint64_t wall;
	int32_t off;

	if (n == 0 || (s[0] != 1 && s[0] != 2) || n != (s[0] == 1 ? 15u : 16u))
		return -1;
	memset(t, 0, sizeof(*t));
	wall = (uint64_t)(int64_t)(int32_t)(uint32_t)be_u(s + 9, 4);
	t->nsec = (int32_t)(wall & GO_NSEC_MASK);
	if (wall >> 63)
		t->sec = GO_WALL_TO_INTERNAL + (int64_t)((wall << 1) >> 31);
	else
		t->sec = (int64_t)be_u(s + 1, 8);
	t->offset_min = (int16_t)(uint16_t)be_u(s + 13, 2);
	t->offset_sec = s[0] == 2 ? s[15] : 0;
	off = (int32_t)t->offset_min * 60 + t->offset_sec;
	if (off == -60) {
		t->utc = 1;
		t->offset_min = 0;
		t->offset_sec = 0;
	}
	return 0;
}

static int decode_time(struct mp_reader *r, struct rs_log *out, struct rs_err *err)
{
	size_t at = r->pos;
	enum mp_type ty;
	const uint8_t *s;
	size_t n;
	int8_t xt;
	int rc;

	if ((rc = mp_peek(r, &ty, err)) != RS_OK)
		return rc;
	if (ty == MP_T_STR || ty == MP_T_BIN) {
		/* go-msgpack/v2 decodeTime (msgpack.go): only a fixstr is tried as
		 * time.MarshalBinary; any raw of 4, 8 or 12 bytes is a timestamp. */
		int fixstr = (r->p[at] & 0xe0) == 0xa0;

		if ((rc = mp_read_raw(r, &s, &n, err)) != RS_OK)
			return rc;
		if ((fixstr && time_unmarshal(&out->appended_at, s, n) == 0) ||
		    time_from_timestamp(&out->appended_at, s, n) == 0) {
			out->appended_at_present = 1;
			return RS_OK;
		}
		return rs_errf(
		    err, RS_ECORRUPT,
		    "string of %zu bytes at offset %zu is neither time.MarshalBinary "
		    "(15/16 bytes, version 1/2, in a fixstr) nor a timestamp (4, 8 or 12 "
		    "bytes)",
		    n, at);
	}
	if (ty == MP_T_EXT) {
		if ((rc = mp_read_ext(r, &xt, &s, &n, err)) != RS_OK)
			return rc;
		/* go-msgpack takes exactly d6 ff, d7 ff and c7 0c ff. */
		if (xt == -1 &&
		    (r->p[at] == 0xd6 || r->p[at] == 0xd7 || (r->p[at] == 0xc7 && n == 12))) {
			(void)time_from_timestamp(&out->appended_at, s, n);
			out->appended_at_present = 1;
			return RS_OK;
		}
		return rs_errf(err, RS_ECORRUPT,
		               "extension at offset %zu (type %d, %zu bytes) is not a msgpack "
		               "timestamp (type -1 as d6, d7 or c7 0c)",
		               at, xt, n);
	}
	return rs_errf(err, RS_ECORRUPT, "byte 0x%02x at offset %zu cannot be decoded as a time",
	               r->p[at], at);
}

static int decode_span(struct mp_reader *r, const uint8_t **p, size_t *n, int *is_nil,
                       struct rs_err *err)
{
	struct mp_bytes b;
	size_t at = r->pos;
	uint32_t pairs, i;
	int rc;

	if (r->pos < r->len &&
	    (r->p[r->pos] >> 4 == 0x8 || r->p[r->pos] == 0xde || r->p[r->pos] == 0xdf)) {
		/* go-msgpack decodes a map into a []byte as its keys and values in
		 * turn (decSliceHelperStart); when they are all positive fixints the
		 * map body is that byte string. */
		if ((rc = mp_read_map(r, &pairs, err)) != RS_OK)
			return rc; /* (it checks that the 2 * pairs bytes are there) */
		for (i = 0; i < pairs * 2; i++)
			if (r->p[r->pos + i] >= 0x80)
				return rs_errf(
				    err, RS_ECORRUPT,
				    "map at offset %zu holds a value wider than a positive "
				    "fixint: go-msgpack would accept it as bytes, this "
				    "zero-copy decoder does not",
				    at);
		*p = r->p + r->pos;
		*n = (size_t)pairs * 2;
		*is_nil = 0;
		r->pos += *n;
		return RS_OK;
	}
	if ((rc = mp_read_bytes(r, NULL, 0, &b, err)) != RS_OK)
		return rc;
	if (b.copied)
		return rs_errf(
		    err, RS_ECORRUPT,
		    "array at offset %zu holds integers wider than a positive fixint: "
		    "go-msgpack would accept it as bytes, this zero-copy decoder does not",
		    at);
	*p = b.was_nil ? NULL : b.s;
	*n = b.n;
	*is_nil = b.was_nil;
	return RS_OK;
}

static int decode_field(struct mp_reader *r, int f, struct rs_log *out, struct rs_err *err)
{
	size_t at = r->pos;
	uint64_t v;
	int rc;

	if (f == F_UNKNOWN)
		return mp_skip(r, err);
	if (mp_try_nil(r)) {
		/* go-msgpack sets the field to its zero value. */
		switch (f) {
		case F_INDEX:
			out->index = 0;
			break;
		case F_TERM:
			out->term = 0;
			break;
		case F_TYPE:
			out->type = 0;
			break;
		case F_DATA:
			out->data = NULL;
			out->data_len = 0;
			out->data_nil = 1;
			break;
		case F_EXTENSIONS:
			out->ext = NULL;
			out->ext_len = 0;
			out->ext_nil = 1;
			break;
		default:
			memset(&out->appended_at, 0, sizeof(out->appended_at));
			out->appended_at.utc = 1;
			out->appended_at_present = 0;
			break;
		}
		return RS_OK;
	}
	switch (f) {
	case F_INDEX:
		return mp_read_uint(r, &out->index, err);
	case F_TERM:
		return mp_read_uint(r, &out->term, err);
	case F_TYPE:
		if ((rc = mp_read_uint(r, &v, err)) != RS_OK)
			return rc;
		if (v > UINT8_MAX)
			return rs_errf(err, RS_ECORRUPT,
			               "value %llu at offset %zu overflows Go's uint8 LogType",
			               (unsigned long long)v, at);
		out->type = v;
		return RS_OK;
	case F_DATA:
		return decode_span(r, &out->data, &out->data_len, &out->data_nil, err);
	case F_EXTENSIONS:
		return decode_span(r, &out->ext, &out->ext_len, &out->ext_nil, err);
	default:
		return decode_time(r, out, err);
	}
}

/* Which field a key names; exact, case-sensitive, as go-msgpack matches.
 * Called once per key on every scanned entry, so compare lengths first. */
static int field_of(const uint8_t *k, size_t n)
{
	static const uint8_t lens[F_UNKNOWN] = {10, 4, 10, 5, 4, 4};
	int f;

	for (f = 0; f < F_UNKNOWN; f++)
		if (lens[f] == n && memcmp(field_names[f], k, n) == 0)
			return f;
	return F_UNKNOWN;
}

static int decode_map(struct mp_reader *r, struct rs_log *out, struct rs_err *err)
{
	uint8_t kbuf[16];
	struct mp_bytes key;
	uint32_t n, i;
	int f, rc;

	if ((rc = mp_read_map(r, &n, err)) != RS_OK)
		return rc;
	for (i = 0; i < n; i++) {
		size_t kat = r->pos;

		if ((rc = mp_read_bytes(r, kbuf, sizeof(kbuf), &key, err)) != RS_OK)
			return in_field(err, rc, F_UNKNOWN);
		/* go-msgpack/v2 fails on a nil or empty key (its struct field lookup
		 * indexes the name's first byte: "index out of range [0]"). */
		if (key.was_nil || key.n == 0)
			return rs_errf(
			    err, RS_ECORRUPT,
			    "raft.Log: %s map key at offset %zu: go-msgpack cannot decode a "
			    "struct from it",
			    key.was_nil ? "nil" : "empty", kat);
		f = key.n > sizeof(kbuf) ? F_UNKNOWN : field_of(key.s, key.n);
		if ((rc = decode_field(r, f, out, err)) != RS_OK)
			return in_field(err, rc, f);
	}
	return RS_OK;
}

static int decode_array(struct mp_reader *r, struct rs_log *out, struct rs_err *err)
{
	uint32_t n, i;
	int f, rc;

	if ((rc = mp_read_array(r, &n, err)) != RS_OK)
		return rc;
	for (i = 0; i < n; i++) {
		f = i < sizeof(array_order) / sizeof(array_order[0]) ? array_order[i] : F_UNKNOWN;
		if ((rc = decode_field(r, f, out, err)) != RS_OK)
			return in_field(err, rc, f);
	}
	return RS_OK;
}

static void log_zero(struct rs_log *out)
{
	memset(out, 0, sizeof(*out));
	out->data_nil = 1;
	out->ext_nil = 1;
	out->appended_at.utc = 1;
}

int rs_log_decode_prefix_general(const uint8_t *p, size_t n, struct rs_log *out, size_t *used,
                                 struct rs_err *err)
{
	struct mp_reader r;
	int rc = RS_OK;

	log_zero(out);
	mp_reader_init(&r, p, n);
	if (n == 0)
		return rs_errf(err, RS_ECORRUPT, "raft.Log: empty value");
	if (!mp_try_nil(&r)) {
		/* The struct itself is one level of go-msgpack's depth count. */
		r.depth = 1;
		if (p[0] >= 0x80 && (p[0] <= 0x8f || p[0] == 0xde || p[0] == 0xdf))
			rc = decode_map(&r, out, err);
		else if (p[0] >= 0x90 && (p[0] <= 0x9f || p[0] == 0xdc || p[0] == 0xdd))
			rc = decode_array(&r, out, err);
		else
			rc =
			    rs_errf(err, RS_ECORRUPT,
			            "raft.Log: byte 0x%02x at offset 0 is not a map or array: only "
			            "an encoded map or array can be decoded into a struct",
			            p[0]);
	}
	if (rc != RS_OK) {
		log_zero(out);
		return rc;
	}
	if (used != NULL)
		*used = r.pos;
	return RS_OK;
}

/*
 * The canonical fast path. Nearly every value in a real log is exactly what
 * go-msgpack writes (FORMAT.md): 86, then the six keys as fixstr in sorted
 * order (or 85 and the five without AppendedAt: raft before v1.3), AppendedAt
 * as c0 or MarshalBinary bytes (af 01 + 14, b0 02 + 15),
 * Data and Extensions as c0 or raw (a0-bf, da, db), Index and Term as the
 * smallest unsigned form, Type a fixint or cc. This reads that layout
 * directly; on the first byte that differs it returns -1 and the general
 * decoder decides, so acceptance and results are the general decoder's
 * (tests/fuzz/fuzz_log.c and test_log.c compare the two).
 */
struct canon {
	const uint8_t *p;
	size_t n, pos;
};

/* The key as go-msgpack writes it: fixstr header and name, `hk` =
 * "\xa0+len" "Name" (klen + 1 bytes). Inlined so that the memcmp has a
 * constant length and becomes one or two loads. */
HOT int canon_key(struct canon *c, const char *hk, size_t klen)
{
	if (c->n - c->pos < klen + 1 || memcmp(c->p + c->pos, hk, klen + 1) != 0)
		return -1;
	c->pos += klen + 1;
	return 0;
}

/* The header of the raw (str) value at c->pos: its size *hl and the byte
 * length *bl that follows it (not checked against c->n); *hl = 0 for nil. */
HOT int canon_raw_header(const struct canon *c, size_t *hl, size_t *bl)
{
	size_t left = c->n - c->pos;
	uint8_t t;

	if (left == 0)
		return -1;
	t = c->p[c->pos];
	if (t == 0xc0) {
		*hl = *bl = 0;
	} else if ((t & 0xe0) == 0xa0) {
		*hl = 1;
		*bl = t & 0x1f;
	} else if (t == 0xda && left >= 3) {
		*hl = 3;
		*bl = (size_t)c->p[c->pos + 1] << 8 | c->p[c->pos + 2];
	} else if (t == 0xdb && left >= 5) {
		*hl = 5;
		*bl = (size_t)c->p[c->pos + 1] << 24 | (size_t)c->p[c->pos + 2] << 16 |
		      (size_t)c->p[c->pos + 3] << 8 | c->p[c->pos + 4];
	} else {
		return -1;
	}
	return 0;
}

HOT int canon_raw(struct canon *c, const uint8_t **s, size_t *len, int *is_nil)
{
	size_t hl, bl;

	if (canon_raw_header(c, &hl, &bl) != 0)
		return -1;
	if (hl == 0) {
		*s = NULL;
		*len = 0;
		*is_nil = 1;
		c->pos++;
		return 0;
	}
	if (bl > c->n - c->pos - hl)
		return -1;
	*s = c->p + c->pos + hl;
	*len = bl;
	*is_nil = 0;
	c->pos += hl + bl;
	return 0;
}

HOT int canon_uint(struct canon *c, uint64_t *v)
{
	static const uint8_t width[4] = {1, 2, 4, 8}; /* cc cd ce cf */
	size_t left = c->n - c->pos, w;
	const uint8_t *q = c->p + c->pos;

	if (left == 0)
		return -1;
	if (q[0] < 0x80) {
		*v = q[0];
		c->pos++;
		return 0;
	}
	if (q[0] < 0xcc || q[0] > 0xcf || left < 1 + (w = width[q[0] - 0xcc]))
		return -1;
	*v = be_u(q + 1, (int)w);
	c->pos += 1 + w;
	return 0;
}

/* The canonical layout up to Data's header: AppendedAt, and Data's raw
 * header, whose length is checked against `total` (the whole value), not
 * against c->n (what is at hand). *off and *len: Data's bytes. */
HOT int canon_head(struct canon *c, size_t total, struct rs_log *out, size_t *off, size_t *len)
{
	const uint8_t *ts;
	size_t tn, hl, bl;
	int tnil;

	if (c->n < 1 || (c->p[0] != 0x86 && c->p[0] != 0x85))
		return -1;
	if (c->p[0] == 0x85)
		tnil = 1;
	else if (canon_key(c,
	                   "\xaa"
	                   "AppendedAt",
	                   10) != 0 ||
	         (c->pos < c->n && c->p[c->pos] != 0xc0 && (c->p[c->pos] & 0xe0) != 0xa0) ||
	         canon_raw(c, &ts, &tn, &tnil) != 0)
		return -1; /* (MarshalBinary is read from a fixstr only: decode_time) */
	if (!tnil) {
		if (time_unmarshal(&out->appended_at, ts, tn) != 0)
			return -1;
		out->appended_at_present = 1;
	} else {
		/* log_zero's values: the caller need not clear *out first */
		memset(&out->appended_at, 0, sizeof(out->appended_at));
		out->appended_at.utc = 1;
		out->appended_at_present = 0;
	}
	if (canon_key(c,
	              "\xa4"
	              "Data",
	              4) != 0 ||
	    canon_raw_header(c, &hl, &bl) != 0)
		return -1;
	out->data_nil = hl == 0;
	if (hl == 0) /* nil */
		hl = 1;
	if (bl > total - c->pos - hl)
		return -1;
	c->pos += hl;
	*off = c->pos;
	*len = bl;
	return 0;
}

/* The canonical layout after Data: Extensions, Index, Term, Type. */
HOT int canon_tail(struct canon *c, struct rs_log *out)
{
	if (canon_key(c,
	              "\xaa"
	              "Extensions",
	              10) != 0 ||
	    canon_raw(c, &out->ext, &out->ext_len, &out->ext_nil) != 0 ||
	    canon_key(c,
	              "\xa5"
	              "Index",
	              5) != 0 ||
	    canon_uint(c, &out->index) != 0 ||
	    canon_key(c,
	              "\xa4"
	              "Term",
	              4) != 0 ||
	    canon_uint(c, &out->term) != 0 ||
	    canon_key(c,
	              "\xa4"
	              "Type",
	              4) != 0 ||
	    canon_uint(c, &out->type) != 0 || out->type > UINT8_MAX)
		return -1;
	return 0;
}

/* Sets every field of *out when it returns 0 (no log_zero needed before:
 * verify and info decode every entry); *out is undefined after -1. */
HOT int decode_canonical(const uint8_t *p, size_t n, struct rs_log *out, size_t *used)
{
	struct canon c = {p, n, 1};
	size_t off, len;

	if (canon_head(&c, n, out, &off, &len) != 0)
		return -1;
	out->data = out->data_nil ? NULL : p + off;
	out->data_len = len;
	c.pos = off + len;
	if (canon_tail(&c, out) != 0)
		return -1;
	*used = c.pos;
	return 0;
}

int rs_log_peek_data(const uint8_t *p, size_t avail, size_t total, size_t *off, size_t *len)
{
	struct canon c = {p, avail, 1};
	struct rs_log scratch;

	if (avail > total)
		return -1;
	log_zero(&scratch);
	return canon_head(&c, total, &scratch, off, len);
}

int rs_log_decode_split(const uint8_t *head, size_t hlen, const uint8_t *tail, size_t tlen,
                        size_t total, struct rs_log *out)
{
	struct canon c = {head, hlen, 1}, t;
	size_t off, len, end;

	log_zero(out);
	if (hlen > total || tlen > total || canon_head(&c, total, out, &off, &len) != 0)
		goto undecided;
	end = off + len; /* <= total: canon_head checked */
	if (end < total - tlen)
		goto undecided; /* the bytes after Data are not all in tail */
	t.p = tail + (end - (total - tlen));
	t.n = total - end;
	t.pos = 0;
	if (canon_tail(&t, out) != 0 || t.pos != t.n)
		goto undecided;
	out->data = out->data_nil ? NULL : head + off;
	out->data_len = len;
	return 0;
undecided:
	log_zero(out);
	return -1;
}

int rs_log_decode_prefix(const uint8_t *p, size_t n, struct rs_log *out, size_t *used,
                         struct rs_err *err)
{
	size_t u = 0;

	if (decode_canonical(p, n, out, &u) == 0) {
		if (used != NULL)
			*used = u;
		return RS_OK;
	}
	return rs_log_decode_prefix_general(p, n, out, used, err);
}

int rs_log_decode(const uint8_t *p, size_t n, struct rs_log *out, struct rs_err *err)
{
	size_t used = 0;
	int rc;

	/* rs_log_decode_prefix, with the canonical path inlined here (the
	 * call every verified entry makes) */
	if (decode_canonical(p, n, out, &used) != 0 &&
	    (rc = rs_log_decode_prefix_general(p, n, out, &used, err)) != RS_OK)
		return rc;
	if (used != n) {
		log_zero(out);
		return rs_errf(err, RS_ECORRUPT,
		               "raft.Log: %zu trailing bytes after the value, from offset %zu",
		               n - used, used);
	}
	return RS_OK;
}

int rs_log_decode_header(const uint8_t *p, size_t n, struct rs_log *out, struct rs_err *err)
{
	/* Data is a pointer and a length here, so the full decode costs the
	 * same as skipping it; one code path keeps the acceptance identical. */
	return rs_log_decode(p, n, out, err);
}
