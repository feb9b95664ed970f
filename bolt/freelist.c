#include "bolt/freelist.h"

#include <stdlib.h>

void bolt_freelist_init(struct bolt_freelist *f)
{
	memset(f, 0, sizeof(*f));
}

void bolt_freelist_destroy(struct bolt_freelist *f)
{
	free(f->free);
	free(f->pending);
	memset(f, 0, sizeof(*f));
}

static int cmp_pgid(const void *a, const void *b)
{
	bolt_pgid x = *(const bolt_pgid *)a, y = *(const bolt_pgid *)b;

	return (x > y) - (x < y);
}

static int reserve(bolt_pgid **v, size_t *cap, size_t want, struct bolt_err *err)
{
	bolt_pgid *p;
	size_t ncap;

	if (want <= *cap)
		return BOLT_OK;
	ncap = *cap ? *cap : 64;
	while (ncap < want)
		ncap *= 2;
	p = reallocarray(*v, ncap, sizeof(**v));
	if (p == NULL)
		return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID, "out of memory for the freelist");
	*v = p;
	*cap = ncap;
	return BOLT_OK;
}

int bolt_freelist_read(struct bolt_freelist *f, const uint8_t *page, size_t len, bolt_pgid hwm,
                       struct bolt_err *err)
{
	uint64_t count = bolt_page_count(page);
	size_t first = 0;
	bolt_pgid id = bolt_page_id(page);
	int rc;

	if ((bolt_page_flags(page) & BOLT_PAGE_FREELIST) == 0)
		return bolt_errf(err, BOLT_ECORRUPT, id, "page %llu is not a freelist page",
		                 (unsigned long long)id);
	if (count == 0xFFFF) {
		if (len < BOLT_PAGE_HEADER_SIZE + 8)
			return bolt_errf(err, BOLT_ECORRUPT, id, "freelist page %llu is truncated",
			                 (unsigned long long)id);
		count = bolt_le64(page + BOLT_PAGE_HEADER_SIZE);
		first = 1;
	}
	if (count > (len - BOLT_PAGE_HEADER_SIZE) / 8 - first)
		return bolt_errf(err, BOLT_ECORRUPT, id,
		                 "freelist page %llu claims %llu ids, more than its pages hold",
		                 (unsigned long long)id, (unsigned long long)count);
	f->nfree = 0;
	if ((rc = reserve(&f->free, &f->capfree, (size_t)count, err)) != BOLT_OK)
		return rc;
	for (size_t i = 0; i < count; i++) {
		bolt_pgid v = bolt_le64(page + BOLT_PAGE_HEADER_SIZE + 8 * (i + first));

		if (v < 2 || v >= hwm)
			return bolt_errf(err, BOLT_ECORRUPT, id,
			                 "freelist page %llu lists page %llu outside 2..%llu",
			                 (unsigned long long)id, (unsigned long long)v,
			                 (unsigned long long)(hwm - 1));
		f->free[f->nfree++] = v;
	}
	if (f->nfree > 1)
		qsort(f->free, f->nfree, sizeof(*f->free), cmp_pgid);
	for (size_t i = 1; i < f->nfree; i++)
		if (f->free[i] == f->free[i - 1])
			return bolt_errf(err, BOLT_ECORRUPT, id,
			                 "freelist page %llu lists page %llu twice",
			                 (unsigned long long)id, (unsigned long long)f->free[i]);
	return BOLT_OK;
}

bolt_pgid bolt_freelist_allocate(struct bolt_freelist *f, size_t n)
{
	bolt_pgid initial = 0, prev = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < f->nfree; i++) {
		bolt_pgid id = f->free[i];

		if (prev == 0 || id - prev != 1)
			initial = id;
		if (id - initial + 1 == n) {
			size_t start = i + 1 - n;

			memmove(f->free + start, f->free + i + 1,
			        (f->nfree - i - 1) * sizeof(*f->free));
			f->nfree -= n;
			return initial;
		}
		prev = id;
	}
	return 0;
}

int bolt_freelist_free(struct bolt_freelist *f, bolt_pgid id, size_t n, struct bolt_err *err)
{
	int rc;

	if (id < 2)
		return bolt_errf(err, BOLT_ECORRUPT, id, "attempt to free meta page %llu",
		                 (unsigned long long)id);
	if ((rc = reserve(&f->pending, &f->cappending, f->npending + n, err)) != BOLT_OK)
		return rc;
	for (size_t i = 0; i < n; i++)
		f->pending[f->npending++] = id + i;
	return BOLT_OK;
}

int bolt_freelist_release(struct bolt_freelist *f, struct bolt_err *err)
{
	int rc;

	if (f->npending == 0)
		return BOLT_OK;
	if ((rc = reserve(&f->free, &f->capfree, f->nfree + f->npending, err)) != BOLT_OK)
		return rc;
	memcpy(f->free + f->nfree, f->pending, f->npending * sizeof(*f->pending));
	f->nfree += f->npending;
	f->npending = 0;
	if (f->nfree > 1)
		qsort(f->free, f->nfree, sizeof(*f->free), cmp_pgid);
	for (size_t i = 1; i < f->nfree; i++)
		if (f->free[i] == f->free[i - 1])
			return bolt_errf(err, BOLT_ECORRUPT, f->free[i], "page %llu freed twice",
			                 (unsigned long long)f->free[i]);
	return BOLT_OK;
}

void bolt_freelist_rollback(struct bolt_freelist *f)
{
	f->npending = 0;
}

size_t bolt_freelist_count(const struct bolt_freelist *f)
{
	return f->nfree + f->npending;
}

size_t bolt_freelist_size(const struct bolt_freelist *f)
{
	size_t n = bolt_freelist_count(f);

	if (n >= 0xFFFF)
		n++;
	return BOLT_PAGE_HEADER_SIZE + 8 * n;
}

int bolt_freelist_write(const struct bolt_freelist *f, uint8_t *page, struct bolt_err *err)
{
	size_t n = bolt_freelist_count(f), out = 0, i = 0, j = 0;
	uint8_t *ids = page + BOLT_PAGE_HEADER_SIZE;
	bolt_pgid *pend = NULL;

	bolt_put16(page + 8, (uint16_t)(bolt_page_flags(page) | BOLT_PAGE_FREELIST));
	if (n == 0) {
		bolt_put16(page + 10, 0);
		return BOLT_OK;
	}
	if (n < 0xFFFF) {
		bolt_put16(page + 10, (uint16_t)n);
	} else {
		bolt_put16(page + 10, 0xFFFF);
		bolt_put64(ids, n);
		ids += 8;
	}
	if (f->npending > 0) {
		pend = malloc(f->npending * sizeof(*pend));
		if (pend == NULL)
			return bolt_errf(err, BOLT_ENOMEM, BOLT_NO_PGID,
			                 "out of memory writing the freelist");
		memcpy(pend, f->pending, f->npending * sizeof(*pend));
		qsort(pend, f->npending, sizeof(*pend), cmp_pgid);
	}
	/* merge the two sorted lists */
	while (i < f->nfree || j < f->npending) {
		bolt_pgid v;

		if (j >= f->npending || (i < f->nfree && f->free[i] < pend[j]))
			v = f->free[i++];
		else
			v = pend[j++];
		bolt_put64(ids + 8 * out++, v);
	}
	free(pend);
	return BOLT_OK;
}
