/* A scratch directory for each test case, as a Check checked fixture:
 * setup makes `root` under /tmp (named SCRATCH_PREFIX-XXXXXX, defined by
 * the includer), teardown removes it whole, path() names a file below it.
 * Include after check.h, <stdio.h>, <stdlib.h>, <string.h> and
 * raftstate/nodedir.h (rs_remove_tree). */
#ifndef TESTS_RAFTSTATE_SCRATCH_FIXTURE_H
#define TESTS_RAFTSTATE_SCRATCH_FIXTURE_H

static char root[256];

static void setup(void)
{
	strcpy(root, "/tmp/" SCRATCH_PREFIX "-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	rs_remove_tree(root);
}

static void path(char *out, size_t size, const char *rel)
{
	ck_assert_int_lt(snprintf(out, size, "%s/%s", root, rel), (int)size);
}

#endif
