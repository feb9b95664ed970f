/*
 * Fuzz target: arbitrary bytes as a snapshot's meta.json. The text is
 * handed over with its length and no terminating NUL (an exact-size heap
 * copy), as rs_snapshots_load reads it from disk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_snapshot s;
	struct rs_err err;
	char *p = malloc(size ? size : 1);

	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	memset(&s, 0, sizeof(s));
	if (rs_snapshot_parse_meta(p, size, &s, &err) == RS_OK) {
		if (memchr(s.id, '\0', sizeof(s.id)) == NULL)
			abort();
	}
	rs_config_free(&s.config);
	free(p);
	return 0;
}
