/*
 * --version and --version --json (docs/json.md, "op-conductor-init
 * --version --json"). The first line, "op-conductor-init VERSION", is what
 * scripts read (`--version | awk '{ print $2 }'`); the rest are "name:
 * value" lines. libbsd has no version in its headers and no call that
 * returns one, so its version is the one pkg-config named when the build
 * was configured; libdeflate's header has one, but no call; cJSON and zlib have both a compile-time
 * version (their headers) and a call that asks the library linked at run time, and both are shown:
 * they differ when the shared library was upgraded since.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libdeflate.h>
#include <zlib.h>

#include "cmd/command.h"
#include "present/jsonout.h"
#include "present/report.h"
#include "cmd/version.h"
#include "oci_buildinfo.h"
#include "raftstate/ocflags.h"

#define OCI_LICENSE "MIT"
#define STR_(x)     #x
#define STR(x)      STR_(x)
#define CJSON_BUILT                                                                                \
	STR(CJSON_VERSION_MAJOR) "." STR(CJSON_VERSION_MINOR) "." STR(CJSON_VERSION_PATCH)

struct library {
	const char *name;
	const char *key;   /* in --version --json */
	const char *built; /* the headers' version at compile time */
	const char *run;   /* what the linked library says; NULL: it cannot say */
};

#define NLIBS 4

static void libraries(struct library lib[NLIBS])
{
	lib[0] = (struct library){"libbsd", "libbsd", OCI_BUILD_LIBBSD, NULL};
	lib[1] = (struct library){"cJSON", "cjson", CJSON_BUILT, cJSON_Version()};
	lib[2] = (struct library){"zlib", "zlib", ZLIB_VERSION, zlibVersion()};
	lib[3] = (struct library){"libdeflate", "libdeflate", LIBDEFLATE_VERSION_STRING, NULL};
}

static int version_text(void)
{
	struct library lib[NLIBS];
	size_t i;

	libraries(lib);
	printf("%s %s\n", OCI_PROG, OCI_VERSION);
	printf("commit:     %s\n", OCI_BUILD_COMMIT);
	printf("built:      %s\n", OCI_BUILD_DATE);
	for (i = 0; i < NLIBS; i++) {
		char label[16];

		(void)snprintf(label, sizeof(label), "%s:", lib[i].name);
		printf("%-11s %s (compiled against)", label, lib[i].built);
		if (lib[i].run != NULL)
			printf(", %s (running)", lib[i].run);
		putchar('\n');
	}
	printf("license:    %s (the LICENSE file; /usr/share/doc/%s/copyright when installed)\n",
	       OCI_LICENSE, OCI_PROG);
	return OCI_EXIT_OK;
}

static int version_json(void)
{
	cJSON *doc = cJSON_CreateObject(), *libs = cJSON_CreateObject();
	const char *commit = OCI_BUILD_COMMIT, *date = OCI_BUILD_DATE;
	const char *dirty = strstr(commit, "-dirty");
	struct library lib[NLIBS];
	size_t i;

	if (doc == NULL || libs == NULL) {
		cJSON_Delete(doc);
		cJSON_Delete(libs);
		return oci_fail(NULL, "--version --json: out of memory");
	}
	libraries(lib);
	cJSON_AddStringToObject(doc, "name", OCI_PROG);
	cJSON_AddStringToObject(doc, "version", OCI_VERSION);
	if (strcmp(commit, "unknown") == 0) {
		cJSON_AddNullToObject(doc, "commit");
		cJSON_AddNullToObject(doc, "dirty");
	} else {
		cJSON_AddItemToObject(doc, "commit",
		                      np_json_strn(commit, dirty != NULL ? (size_t)(dirty - commit)
		                                                         : strlen(commit)));
		cJSON_AddBoolToObject(doc, "dirty", dirty != NULL);
	}
	if (strcmp(date, "unknown") == 0)
		cJSON_AddNullToObject(doc, "build_date");
	else
		cJSON_AddStringToObject(doc, "build_date", date);
	for (i = 0; i < NLIBS; i++) {
		cJSON *l = cJSON_CreateObject();

		cJSON_AddStringToObject(l, "compiled", lib[i].built);
		if (lib[i].run != NULL)
			cJSON_AddStringToObject(l, "running", lib[i].run);
		else
			cJSON_AddNullToObject(l, "running");
		cJSON_AddItemToObject(libs, lib[i].key, l);
	}
	cJSON_AddItemToObject(doc, "libraries", libs);
	cJSON_AddStringToObject(doc, "license", OCI_LICENSE);
	if (np_json_emit(doc) != 0)
		return oci_fail(NULL, "--version --json: out of memory");
	return OCI_EXIT_OK;
}

/* -json, --json or --json=BOOL (the forms every boolean flag takes): the
 * value, else NULL. */
static const char *json_flag(const char *a)
{
	if (a[0] != '-')
		return NULL;
	a += a[1] == '-' ? 2 : 1;
	if (strncmp(a, "json", 4) != 0)
		return NULL;
	return a[4] == '\0' ? "true" : a[4] == '=' ? a + 5 : NULL;
}

int oci_version(int argc, char **argv)
{
	const char *v;
	int json;

	if (argc == 0)
		return version_text();
	if ((v = json_flag(argv[0])) == NULL)
		return oci_usage(NULL, "--version takes one flag, --json; not %s",
		                 oci_q(argv[0]).s);
	if (argc > 1)
		return oci_usage(NULL, "--version takes one flag, --json; %s is one too many",
		                 oci_q(argv[1]).s);
	if (rs_go_parse_bool(v, &json) != 0)
		return oci_usage(NULL, "--json must be true or false, got %s", oci_q(v).s);
	return json ? version_json() : version_text();
}
