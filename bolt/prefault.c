/* The page-table helper thread (see prefault.h). */
#include "bolt/prefault.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* Below this the thread costs more than it saves. */
#define PREFAULT_MIN_BYTES ((size_t)64 << 20)
/* Work between two looks at the stop flag: about 0.1 ms of kernel time. */
#define PREFAULT_CHUNK ((size_t)2 << 20)
#define PREFAULT_STACK ((size_t)64 << 10)
/* How far behind the reader page tables are dropped. */
#define ZAP_MARGIN ((size_t)64 << 20)

struct bolt_prefault {
	pthread_t thread;
	uintptr_t start; /* page-aligned */
	size_t len;
	atomic_size_t reader; /* offset of the page the reader is on */
	atomic_int stop;
};

/* Drops the page tables of [*zapped, reader - ZAP_MARGIN), where the reader
 * has been; the page cache is untouched, and a page the reader comes back
 * to is simply faulted in again (once: *zapped only grows). */
static void zap_behind(struct bolt_prefault *pf, size_t *zapped)
{
	size_t r = atomic_load_explicit(&pf->reader, memory_order_relaxed), upto;

	if (r < ZAP_MARGIN)
		return;
	upto = (r - ZAP_MARGIN) & ~(PREFAULT_CHUNK - 1);
	if (upto <= *zapped)
		return;
	(void)madvise((void *)(pf->start + *zapped), upto - *zapped, MADV_DONTNEED);
	*zapped = upto;
}

static void *populate(void *arg)
{
	struct bolt_prefault *pf = arg;
	size_t off = 0, zapped = 0;
	int populating = 1;

	while (!atomic_load_explicit(&pf->stop, memory_order_relaxed)) {
		size_t n = pf->len - off < PREFAULT_CHUNK ? pf->len - off : PREFAULT_CHUNK;

		/* EINVAL: kernel without it; EFAULT: past the end of the file
		 * (a live writer's file, say). Either way the reader faults
		 * pages in itself. */
		if (populating && n > 0 &&
		    madvise((void *)(pf->start + off), n, MADV_POPULATE_READ) == 0) {
			off += n;
		} else {
			struct timespec ts = {0, 200 * 1000};

			populating = 0;
			nanosleep(&ts, NULL);
		}
		zap_behind(pf, &zapped);
	}
	return NULL;
}

void bolt_prefault_at(struct bolt_prefault *pf, const uint8_t *p)
{
	if (pf != NULL && (uintptr_t)p >= pf->start)
		atomic_store_explicit(&pf->reader, (size_t)((uintptr_t)p - pf->start),
		                      memory_order_relaxed);
}

struct bolt_prefault *bolt_prefault_start(const uint8_t *p, size_t len)
{
	struct bolt_prefault *pf;
	pthread_attr_t attr;
	int rc;

	if (p == NULL || len < PREFAULT_MIN_BYTES)
		return NULL;
	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		return NULL;
	pf->start = (uintptr_t)p & ~(uintptr_t)4095;
	pf->len = len + (size_t)((uintptr_t)p - pf->start);
	atomic_init(&pf->reader, 0);
	atomic_init(&pf->stop, 0);
	if (pthread_attr_init(&attr) != 0) {
		free(pf);
		return NULL;
	}
	(void)pthread_attr_setstacksize(&attr, PREFAULT_STACK);
	rc = pthread_create(&pf->thread, &attr, populate, pf);
	(void)pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(pf);
		return NULL;
	}
	return pf;
}

void bolt_prefault_stop(struct bolt_prefault *pf)
{
	if (pf == NULL)
		return;
	atomic_store(&pf->stop, 1);
	(void)pthread_join(pf->thread, NULL);
	free(pf);
}
