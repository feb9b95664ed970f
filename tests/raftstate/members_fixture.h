/*
 * The members the raftstate unit tests generate and recover nodes with
 * (header-only: every test_*.c is its own program).
 */
#ifndef TESTS_RAFTSTATE_MEMBERS_FIXTURE_H
#define TESTS_RAFTSTATE_MEMBERS_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/cluster.h"

/* members s1..sN, leader s1; the address of member k is "host-k:7000", or
 * "other-k:7000" when other. Free with rs_members_free. */
static inline void fixture_members(struct rs_members *ms, size_t n, int other)
{
	ms->m = calloc(n, sizeof(*ms->m));
	ck_assert_ptr_nonnull(ms->m);
	ms->n = n;
	ms->leader = 0;
	for (size_t i = 0; i < n; i++) {
		char id[32], a[48];

		snprintf(id, sizeof(id), "s%zu", i + 1);
		snprintf(a, sizeof(a), "%s-%zu:7000", other ? "other" : "host", i + 1);
		ms->m[i].id = strdup(id);
		ms->m[i].address = strdup(a);
	}
}

#endif
