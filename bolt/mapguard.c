/* SIGBUS in a guarded mapping becomes zeros and a flag (see mapguard.h). */
#include "bolt/mapguard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Views open at once: verify of a cluster root holds two; far above that. */
#define SLOTS 64

/* The table the handler reads: process-wide by nature (a signal handler has
 * no other way to find the ranges), lock-free, one slot per guarded range. */
struct bolt_mapguard {
	atomic_uintptr_t start; /* 0: free; RESERVED: being filled in */
	atomic_size_t len;
	atomic_int hit;
};

#define RESERVED ((uintptr_t)1) /* never a page-aligned address */

static struct bolt_mapguard slots[SLOTS];
static uintptr_t page_size;
static struct sigaction previous;
static pthread_once_t installed = PTHREAD_ONCE_INIT;
static int install_errno;

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;

	for (int i = 0; i < SLOTS; i++) {
		uintptr_t s = atomic_load(&slots[i].start);
		size_t n = atomic_load(&slots[i].len);
		uintptr_t page;

		if (s == 0 || s == RESERVED || a < s || a - s >= n)
			continue;
		page = a & ~(page_size - 1);
		/* the raw system call: no interposed mmap (sanitizers) runs
		 * in the handler */
		if ((void *)syscall(SYS_mmap, (void *)page, (size_t)(s + n - page), PROT_READ,
		                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		                    (off_t)0) == MAP_FAILED)
			break;
		atomic_store(&slots[i].hit, 1);
		return;
	}
	/* not ours */
	if (previous.sa_flags & SA_SIGINFO) {
		if (previous.sa_sigaction != NULL) {
			previous.sa_sigaction(sig, si, ctx);
			return;
		}
	} else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
		return;
	}
	/* the default: put it back; the faulting access, redone, ends the
	 * process as it would have without us */
	(void)signal(SIGBUS, SIG_DFL);
}

static void install(void)
{
	struct sigaction sa;

	page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &previous) != 0)
		install_errno = errno ? errno : EINVAL;
}

int bolt_mapguard_add(const void *p, size_t len, struct bolt_mapguard **out, struct bolt_err *err)
{
	*out = NULL;
	(void)pthread_once(&installed, install);
	if (install_errno != 0) {
		errno = install_errno;
		return bolt_syserr(err, "cannot install the SIGBUS handler");
	}
	for (int i = 0; i < SLOTS; i++) {
		uintptr_t free_slot = 0;

		/* reserve, fill in, then publish: the handler matches on start */
		if (!atomic_compare_exchange_strong(&slots[i].start, &free_slot, RESERVED))
			continue;
		atomic_store(&slots[i].len, len);
		atomic_store(&slots[i].hit, 0);
		atomic_store(&slots[i].start, (uintptr_t)p);
		*out = &slots[i];
		return BOLT_OK;
	}
	return bolt_errf(err, BOLT_ELIMIT, BOLT_NO_PGID, "more than %d files mapped at once",
	                 SLOTS);
}

int bolt_mapguard_hit(const struct bolt_mapguard *g)
{
	return g != NULL && atomic_load(&g->hit);
}

void bolt_mapguard_remove(struct bolt_mapguard *g)
{
	if (g != NULL)
		atomic_store(&g->start, 0);
}
