/*
 * Fuzz target: arbitrary bytes as one of our own JSON files, through the
 * readers the tool uses: the strict validator (raftstate/json.h), the
 * cluster.json / --config reader (raftstate/clusterfile.h) and the
 * MANIFEST.json reader (raftstate/manifest.h). Invariants: whatever the
 * strict reader accepts, cJSON's printing of it is accepted again (what we
 * write reads back); a refusal is one line naming the document; nothing
 * leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/backupfile.h"
#include "raftstate/clusterfile.h"
#include "raftstate/json.h"
#include "raftstate/manifest.h"
#include "raftstate/path.h"

static void one_line(const char *msg, const char *name)
{
	if (strchr(msg, '\n') != NULL || strncmp(msg, name, strlen(name)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_cluster_file cf;
	struct rs_manifest m;
	struct rs_err err = {0};
	char msg[1024];
	cJSON *root = NULL;

	if (rs_json_parse((const char *)data, size, "f.json", &root, &err) == RS_OK) {
		char *again = cJSON_PrintUnformatted(root);
		cJSON *root2 = NULL;

		if (again == NULL)
			abort();
		if (rs_json_parse(again, strlen(again), "again", &root2, &err) != RS_OK)
			abort();
		cJSON_Delete(root2);
		cJSON_free(again);
		cJSON_Delete(root);
	} else if (err.code == RS_ECORRUPT) {
		one_line(err.msg, "f.json: ");
	}
	if (rs_cluster_file_parse((const char *)data, size, "c.json", &cf, msg, sizeof(msg)) !=
	    RS_CLUSTER_FILE_OK)
		one_line(msg, "c.json");
	rs_cluster_file_free(&cf);
	if (rs_manifest_parse((const char *)data, size, "bk", &m, &err) == RS_OK) {
		for (size_t i = 0; i < m.nfiles; i++)
			if (!rs_path_safe_relative(m.files[i].path))
				abort();
	} else if (err.code == RS_ECORRUPT && strstr(err.msg, "bk") == NULL) {
		abort();
	}
	rs_manifest_free(&m);
	return 0;
}
