/* The page-table helper thread (see prefault.h). */
#include "bolt/prefault.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

/* Below this the thread costs more than it saves. */
#define PREFAULT_MIN_BYTES ((size_t)64 << 20)
/* Work between two looks at the stop flag: about 0.1 ms of kernel time. */
#define PREFAULT_CHUNK ((size_t)2 << 20)
#define PREFAULT_STACK ((size_t)64 << 10)

struct bolt_prefault {
	pthread_t thread;
	uintptr_t start;
	size_t len;
	atomic_int stop;
};

static void *populate(void *arg)
{
	struct bolt_prefault *pf = arg;
	size_t page = 4096, off = 0;
	uintptr_t a = pf->start & ~(uintptr_t)(page - 1);
	size_t len = pf->len + (size_t)(pf->start - a);

	while (off < len && !atomic_load_explicit(&pf->stop, memory_order_relaxed)) {
		size_t n = len - off < PREFAULT_CHUNK ? len - off : PREFAULT_CHUNK;

		/* EINVAL: kernel without it; EFAULT: past the end of the file
		 * (a live writer's file, say). Either way the reader faults
		 * pages in itself, so just stop. */
		if (madvise((void *)(a + off), n, MADV_POPULATE_READ) != 0)
			break;
		off += n;
	}
	return NULL;
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
	pf->start = (uintptr_t)p;
	pf->len = len;
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
