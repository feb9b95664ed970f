#include "bolt/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#define FIT_WORD_MIN 32 /* shorter runs are the sentence's words: never cut */

/* How many bytes cutting every word of t[0..len) longer than keep down to
 * keep bytes saves (before rounding to UTF-8 boundaries, which saves more). */
static size_t saved_by(const char *t, size_t len, size_t keep)
{
	size_t saved = 0;

	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && t[j] != ' ')
			j++;
		if (j - i > keep)
			saved += j - i - keep;
		i = j + 1;
	}
	return saved;
}

/* Cuts the word t[a, b) down to `keep` bytes, "head...tail", moving the rest
 * of t (len bytes) up; never inside a UTF-8 sequence. The new length. */
static size_t cut_word(char *t, size_t len, size_t a, size_t b, size_t keep)
{
	size_t head = a + (keep - 3) / 2, tail = b - (keep - 3 - (keep - 3) / 2);

	while (head > a && ((unsigned char)t[head] & 0xc0) == 0x80)
		head--;
	while (tail < b && ((unsigned char)t[tail] & 0xc0) == 0x80)
		tail++;
	memcpy(t + head, "...", 3);
	memmove(t + head + 3, t + tail, len - tail);
	return len - (tail - head - 3);
}

char *bolt_text_fit(char *dst, size_t size, const char *src, size_t len)
{
	size_t lo = FIT_WORD_MIN, hi = len, keep;
	char *t;

	if (size == 0)
		return dst;
	if (len < size || (t = malloc(len + 1)) == NULL) {
		size_t n = len < size ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
		return dst;
	}
	memcpy(t, src, len);
	/* the longest length `keep` >= FIT_WORD_MIN every word may keep so
	 * that the text fits: every longer word cut to it */
	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;

		if (saved_by(t, len, mid) >= len - (size - 1))
			lo = mid;
		else
			hi = mid - 1;
	}
	keep = lo;
	for (size_t i = len; i > 0;) { /* from the end: what is before stays put */
		size_t j = i;

		while (i > 0 && t[i - 1] != ' ')
			i--;
		if (j - i > keep)
			len = cut_word(t, len, i, j, keep);
		if (i > 0)
			i--;
	}
	if (len >= size) /* no words long enough: the end goes */
		len = size - 1;
	memcpy(dst, t, len);
	dst[len] = '\0';
	free(t);
	return dst;
}

void bolt_vfmt_fit(char *dst, size_t size, const char *fmt, va_list ap)
{
	va_list again;
	char *t;
	int n;

	va_copy(again, ap);
	n = vsnprintf(dst, size, fmt, ap);
	if (n >= 0 && (size_t)n >= size && (t = malloc((size_t)n + 1)) != NULL) {
		(void)vsnprintf(t, (size_t)n + 1, fmt, again);
		bolt_text_fit(dst, size, t, (size_t)n);
		free(t);
	}
	va_end(again);
}

int bolt_errf(struct bolt_err *err, int code, uint64_t pgid, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	err->sys_errno = 0;
	err->pgid = pgid;
	va_start(ap, fmt);
	bolt_vfmt_fit(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int bolt_syserr(struct bolt_err *err, const char *fmt, ...)
{
	int saved = errno;
	const char *why = strerror(saved);
	va_list ap;
	char *t;
	int n;

	if (err == NULL)
		return BOLT_EIO;
	err->code = BOLT_EIO;
	err->sys_errno = saved;
	err->pgid = BOLT_NO_PGID;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n + 2 + strlen(why) < sizeof(err->msg)) {
		(void)snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", why);
		return BOLT_EIO;
	}
	if ((t = malloc((size_t)n + 3 + strlen(why))) == NULL)
		return BOLT_EIO; /* the sentence, cut */
	va_start(ap, fmt);
	(void)vsnprintf(t, (size_t)n + 1, fmt, ap);
	va_end(ap);
	(void)snprintf(t + n, 3 + strlen(why), ": %s", why);
	bolt_text_fit(err->msg, sizeof(err->msg), t, strlen(t));
	free(t);
	return BOLT_EIO;
}
