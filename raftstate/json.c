/*
 * The strict JSON validator (see json.h), a recursive descent over the raw
 * bytes that trusts nothing: every read is checked against the end, the
 * recursion is bounded by RS_JSON_MAX_DEPTH, and the keys of one object
 * are compared after sorting (n log n, not n^2, for a hostile object of
 * many keys).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bolt/file.h"
#include "raftstate/json.h"

struct jv {
	const unsigned char *s, *p, *end;
	const char *name;
	char path[256]; /* the JSON path of the value being read */
	size_t plen;
	int depth;
	struct rs_err *err;
	int rc;
	/* every number's text, in document order (attached to cJSON's
	 * number nodes after the parse: rs_json_u64 reads them exactly) */
	struct numtext {
		size_t off, len;
	} * nums;
	size_t nnums, capnums;
	int oom;
};

struct key {
	char *k;
	size_t n;
};

static int fail(struct jv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct jv *v, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (v->rc != RS_OK)
		return v->rc;
	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	v->rc = rs_errf(v->err, RS_ECORRUPT, "%s: %s %s", v->name,
	                v->plen ? v->path : "the document", why);
	return v->rc;
}

/* A syntax error: where, by byte and line. */
static int syntax(struct jv *v, const char *what)
{
	size_t off = (size_t)(v->p - v->s), line = 1;

	for (const unsigned char *c = v->s; c < v->p; c++)
		line += *c == '\n';
	return fail(v, "is not valid JSON: %s (byte %zu, line %zu)", what, off, line);
}

static void ws(struct jv *v)
{
	while (v->p < v->end && (*v->p == ' ' || *v->p == '\t' || *v->p == '\n' || *v->p == '\r'))
		v->p++;
}

/* Appends ".key" (bytes outside printable ASCII as '?') or "[i]" to the
 * path; returns the old length, for pop. A path too long is cut. */
static size_t push_key(struct jv *v, const char *k, size_t n)
{
	size_t old = v->plen;

	if (v->plen + 2 < sizeof(v->path) && v->plen > 0)
		v->path[v->plen++] = '.';
	for (size_t i = 0; i < n && v->plen + 1 < sizeof(v->path); i++)
		v->path[v->plen++] = (k[i] > 0x20 && k[i] < 0x7f) ? k[i] : '?';
	v->path[v->plen] = '\0';
	return old;
}

static size_t push_index(struct jv *v, size_t i)
{
	size_t old = v->plen;
	int n = snprintf(v->path + v->plen, sizeof(v->path) - v->plen, "[%zu]", i);

	if (n > 0 && v->plen + (size_t)n < sizeof(v->path))
		v->plen += (size_t)n;
	else
		v->path[v->plen] = '\0';
	return old;
}

static void pop(struct jv *v, size_t old)
{
	v->plen = old;
	v->path[old] = '\0';
}

static int hex4(const unsigned char *p, unsigned *out)
{
	unsigned x = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];

		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = x;
	return 0;
}

/* The UTF-8 of code point u (below 0x110000) at out; returns its length. */
static size_t utf8_put(char *out, unsigned u)
{
	if (u < 0x80) {
		out[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		out[0] = (char)(0xc0 | (u >> 6));
		out[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		out[0] = (char)(0xe0 | (u >> 12));
		out[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		out[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (u >> 18));
	out[1] = (char)(0x80 | ((u >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((u >> 6) & 0x3f));
	out[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/* A \uXXXX escape at v->p (a surrogate pair: two), no NUL and no unpaired
 * surrogate; its code point in *u. */
static int escape_u(struct jv *v, unsigned *u)
{
	unsigned u2;

	if (v->end - v->p < 6 || hex4(v->p + 2, u) != 0)
		return syntax(v, "a bad \\u escape in a string");
	if (*u == 0)
		return fail(v, "holds a NUL character (\\u0000) inside a string");
	v->p += 6;
	if (*u >= 0xdc00 && *u <= 0xdfff)
		return fail(v, "holds an unpaired surrogate (\\u%04x)", *u);
	if (*u >= 0xd800 && *u <= 0xdbff) {
		if (v->end - v->p < 6 || v->p[0] != '\\' || v->p[1] != 'u' ||
		    hex4(v->p + 2, &u2) != 0 || u2 < 0xdc00 || u2 > 0xdfff)
			return fail(v, "holds an unpaired surrogate (\\u%04x)", *u);
		v->p += 6;
		*u = 0x10000 + ((*u - 0xd800) << 10) + (u2 - 0xdc00);
	}
	return RS_OK;
}

/* An escape at v->p (the backslash); what it stands for is appended to out
 * (when not NULL) at *o: at most the bytes the escape took. */
static int escape(struct jv *v, char *out, size_t *o)
{
	static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
	const char *e;
	unsigned u = 0; /* set by escape_u on success; gcc -O3 cannot see that */
	int rc;

	if (v->end - v->p < 2)
		return syntax(v, "a string is not closed");
	if (v->p[1] == 'u') {
		if ((rc = escape_u(v, &u)) != RS_OK)
			return rc;
		if (out != NULL) /* at most the 6 or 12 bytes read */
			*o += utf8_put(out + *o, u);
		return RS_OK;
	}
	e = v->p[1] != '\0' ? strchr(esc, v->p[1]) : NULL;
	if (e == NULL)
		return syntax(v, "an unknown escape in a string");
	if (out != NULL)
		out[(*o)++] = val[e - esc];
	v->p += 2;
	return RS_OK;
}

/* A string at v->p (the opening quote). With `key`, its unescaped bytes go
 * to a new buffer (*key, *klen); a key's problems are named with the key
 * appended to the path. */
static int string(struct jv *v, char **key, size_t *klen)
{
	const unsigned char *start = ++v->p;
	char *out = NULL;
	size_t o = 0;
	int rc = RS_OK;

	if (key != NULL) {
		/* the unescaped string is never longer than its source */
		const unsigned char *q = start;

		while (q < v->end && *q != '"')
			q += (*q == '\\' && q + 1 < v->end) ? 2 : 1;
		out = malloc((size_t)(q - start) + 1);
		if (out == NULL)
			return v->rc = rs_errf(v->err, RS_ENOMEM, "out of memory");
	}
	while (rc == RS_OK) {
		unsigned char c;

		if (v->p >= v->end) {
			rc = syntax(v, "a string is not closed");
			break;
		}
		c = *v->p;
		if (c == '"')
			break;
		if (c < 0x20) {
			rc = fail(v, "holds a control character (0x%02x) inside a string", c);
		} else if (c == '\\') {
			rc = escape(v, out, &o);
		} else {
			/* other bytes, UTF-8 or not, are the string's own (see json.h) */
			if (out != NULL)
				out[o++] = (char)c;
			v->p++;
		}
	}
	if (rc != RS_OK) {
		free(out);
		return rc;
	}
	v->p++; /* the closing quote */
	if (key != NULL) {
		out[o] = '\0';
		*key = out;
		*klen = o;
	}
	return RS_OK;
}

static int number(struct jv *v)
{
	const unsigned char *p = v->p;

#define DIGIT(q) ((q) < v->end && *(q) >= '0' && *(q) <= '9')
	if (p < v->end && *p == '-')
		p++;
	if (!DIGIT(p))
		return syntax(v, "a bad number");
	if (*p == '0')
		p++;
	else
		while (DIGIT(p))
			p++;
	if (p < v->end && *p == '.') {
		p++;
		if (!DIGIT(p))
			return syntax(v, "a bad number");
		while (DIGIT(p))
			p++;
	}
	if (p < v->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < v->end && (*p == '+' || *p == '-'))
			p++;
		if (!DIGIT(p))
			return syntax(v, "a bad number");
		while (DIGIT(p))
			p++;
	}
#undef DIGIT
	if (v->nnums == v->capnums) {
		size_t cap = v->capnums ? v->capnums * 2 : 64;
		struct numtext *n = reallocarray(v->nums, cap, sizeof(*n));

		if (n == NULL) {
			v->oom = 1;
			v->p = p;
			return RS_OK;
		}
		v->nums = n;
		v->capnums = cap;
	}
	v->nums[v->nnums].off = (size_t)(v->p - v->s);
	v->nums[v->nnums++].len = (size_t)(p - v->p);
	v->p = p;
	return RS_OK;
}

static int literal(struct jv *v, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(v->end - v->p) < n || memcmp(v->p, word, n) != 0)
		return syntax(v, "an unexpected character");
	v->p += n;
	return RS_OK;
}

static int value(struct jv *v);

static int key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->k, y->k, n);

	return c != 0 ? c : (x->n > y->n) - (x->n < y->n);
}

static void free_keys(struct key *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i].k);
	free(keys);
}

/* After a member of an object or array: 1 at a ',' (another follows), 0 at
 * `close` (the end), -1 with a syntax error otherwise. */
static int next(struct jv *v, char close)
{
	ws(v);
	if (v->p < v->end && *v->p == ',') {
		v->p++;
		return 1;
	}
	if (v->p < v->end && *v->p == (unsigned char)close) {
		v->p++;
		return 0;
	}
	(void)syntax(v, close == '}' ? "a ',' or '}' is missing in an object"
	                             : "a ',' or ']' is missing in an array");
	return -1;
}

static int object(struct jv *v)
{
	struct key *keys = NULL;
	size_t n = 0, cap = 0;
	int more;

	v->p++; /* { */
	ws(v);
	if (v->p < v->end && *v->p == '}') {
		v->p++;
		return RS_OK;
	}
	for (;;) {
		size_t old;
		char *k;
		size_t kn;

		ws(v);
		if (v->p >= v->end || *v->p != '"') {
			free_keys(keys, n);
			return syntax(v, "an object key must be a string");
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			struct key *nk = reallocarray(keys, nc, sizeof(*keys));

			if (nk == NULL) {
				free_keys(keys, n);
				return v->rc = rs_errf(v->err, RS_ENOMEM, "out of memory");
			}
			keys = nk, cap = nc;
		}
		if (string(v, &k, &kn) != RS_OK) {
			free_keys(keys, n);
			return v->rc;
		}
		keys[n].k = k, keys[n].n = kn, n++;
		ws(v);
		if (v->p >= v->end || *v->p != ':') {
			free_keys(keys, n);
			return syntax(v, "a ':' is missing after an object key");
		}
		v->p++;
		old = push_key(v, k, kn);
		if (value(v) != RS_OK) {
			free_keys(keys, n);
			return v->rc;
		}
		pop(v, old);
		if ((more = next(v, '}')) < 0) {
			free_keys(keys, n);
			return v->rc;
		}
		if (!more)
			break;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (size_t i = 1; i < n; i++)
		if (key_cmp(&keys[i - 1], &keys[i]) == 0) {
			char q[80];
			size_t o = 0;

			for (size_t j = 0; j < keys[i].n && o + 1 < sizeof(q); j++)
				q[o++] = (keys[i].k[j] >= 0x20 && keys[i].k[j] < 0x7f &&
				          keys[i].k[j] != '"')
				             ? keys[i].k[j]
				             : '?';
			q[o] = '\0';
			free_keys(keys, n);
			return fail(v, "has the key \"%s\" twice", q);
		}
	free_keys(keys, n);
	return RS_OK;
}

static int array(struct jv *v)
{
	v->p++; /* [ */
	ws(v);
	if (v->p < v->end && *v->p == ']') {
		v->p++;
		return RS_OK;
	}
	for (size_t i = 0;; i++) {
		size_t old = push_index(v, i);

		if (value(v) != RS_OK)
			return v->rc;
		pop(v, old);
		switch (next(v, ']')) {
		case 0:
			return RS_OK;
		case -1:
			return v->rc;
		}
	}
}

static int value(struct jv *v)
{
	int rc;

	ws(v);
	if (v->p >= v->end)
		return syntax(v, "the document ends early");
	switch (*v->p) {
	case '{':
	case '[':
		if (++v->depth > RS_JSON_MAX_DEPTH)
			return fail(v, "nests deeper than %d levels", RS_JSON_MAX_DEPTH);
		rc = *v->p == '{' ? object(v) : array(v);
		v->depth--;
		return rc;
	case '"':
		return string(v, NULL, NULL);
	case 't':
		return literal(v, "true");
	case 'f':
		return literal(v, "false");
	case 'n':
		return literal(v, "null");
	default:
		return number(v);
	}
}

/* Gives each number node of the tree its text, in document order (the
 * order the validator met them). */
static int attach_numbers(cJSON *item, const struct jv *v, size_t *i, int depth)
{
	for (cJSON *c = item; c != NULL && depth <= RS_JSON_MAX_DEPTH + 1; c = c->next) {
		if (cJSON_IsNumber(c) && *i < v->nnums) {
			const struct numtext *t = &v->nums[(*i)++];

			if ((c->valuestring = strndup((const char *)v->s + t->off, t->len)) == NULL)
				return -1;
		}
		if (c->child != NULL && attach_numbers(c->child, v, i, depth + 1) != 0)
			return -1;
	}
	return 0;
}

int rs_json_parse(const char *text, size_t len, const char *name, cJSON **out, struct rs_err *err)
{
	struct jv v = {.s = (const unsigned char *)text,
	               .p = (const unsigned char *)text,
	               .end = (const unsigned char *)text + len,
	               .name = name,
	               .err = err};
	cJSON *root;

	*out = NULL;
	if (value(&v) != RS_OK) {
		free(v.nums);
		return v.rc;
	}
	ws(&v);
	if (v.p != v.end) {
		free(v.nums);
		size_t off = (size_t)(v.p - v.s), line = 1;

		for (const unsigned char *c = v.s; c < v.p; c++)
			line += *c == '\n';
		return rs_errf(err, RS_ECORRUPT,
		               "%s: data after the JSON document (byte %zu, line %zu); a file "
		               "holds one document",
		               name, off, line);
	}
	root = cJSON_ParseWithLength(text, len);
	if (root == NULL || v.oom) { /* the validator accepted it: only memory can fail */
		cJSON_Delete(root);
		free(v.nums);
		return rs_errf(err, RS_ENOMEM, "out of memory parsing %s", name);
	}
	{
		size_t i = 0;

		if (attach_numbers(root, &v, &i, 0) != 0 || i != v.nnums) {
			cJSON_Delete(root);
			free(v.nums);
			return rs_errf(err, RS_ENOMEM, "out of memory parsing %s", name);
		}
	}
	free(v.nums);
	*out = root;
	return RS_OK;
}

int rs_json_u64(const cJSON *j, uint64_t *out)
{
	uint64_t x = 0;

	if (!cJSON_IsNumber(j))
		return -1;
	if (j->valuestring == NULL) {
		/* a tree not from rs_json_parse: exact only up to 2^53 */
		if (!(j->valuedouble >= 0 && j->valuedouble <= 9007199254740992.0) ||
		    j->valuedouble != (double)(uint64_t)j->valuedouble)
			return -1;
		*out = (uint64_t)j->valuedouble;
		return 0;
	}
	for (const char *c = j->valuestring; *c != '\0'; c++) {
		if (*c < '0' || *c > '9' || x > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
			return -1; /* a sign, a fraction, an exponent, or above 2^64-1 */
		x = x * 10 + (uint64_t)(*c - '0');
	}
	if (j->valuestring[0] == '\0')
		return -1;
	*out = x;
	return 0;
}

/* The one safe open for rs_json_load: RS_ECORRUPT when not a regular file,
 * RS_EIO with sys_errno when open fails. */
static int json_open(const char *path, const char *name, int follow, int *fd, struct stat *st,
                     struct rs_err *err)
{
	struct bolt_err be = {0};
	int rc;

	/* the one safe open (bolt/file.h): never blocks on a FIFO, follows a
	 * link only for a file the operator names (follow) */
	if (bolt_file_open(AT_FDCWD, path, follow ? BOLT_FILE_FOLLOW : 0, name, fd, st, &be) ==
	    BOLT_OK)
		return RS_OK;
	rc = rs_errf(err, be.code == BOLT_EINVAL ? RS_ECORRUPT : RS_EIO, "%s", be.msg);
	if (err != NULL)
		err->sys_errno = be.sys_errno;
	return rc;
}

int rs_json_load(const char *path, const char *name, size_t max, int follow, cJSON **out,
                 struct rs_err *err)
{
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd, rc;

	*out = NULL;
	if ((rc = json_open(path, name, follow, &fd, &st, err)) != RS_OK)
		return rc;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return rs_errf(err, RS_ECORRUPT, "%s is larger than %zu bytes", name, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return rs_errf(err, RS_ENOMEM, "out of memory reading %s", name);
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? rs_syserr(err, "cannot read", name)
			           : rs_errf(err, RS_EIO, "%s shrank while it was read", name);
			free(buf);
			close(fd);
			return rc;
		}
		got += (size_t)r;
	}
	close(fd);
	rc = rs_json_parse(buf, got, name, out, err);
	free(buf);
	return rc;
}

static unsigned long cjson_nomem;

static void *counted_malloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL)
		(void)__atomic_add_fetch(&cjson_nomem, 1, __ATOMIC_SEQ_CST);
	return p;
}

void rs_json_hooks(void)
{
	cJSON_Hooks h = {.malloc_fn = counted_malloc, .free_fn = free};

	cJSON_InitHooks(&h);
}

unsigned long rs_json_nomem(void)
{
	return __atomic_load_n(&cjson_nomem, __ATOMIC_SEQ_CST);
}
