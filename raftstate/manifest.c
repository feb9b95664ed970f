/*
 * MANIFEST.json: the writer (rs_manifest_text) and the strict reader
 * (rs_manifest_read). See manifest.h for the document.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "raftstate/backupfile.h"
#include "raftstate/cluster.h"
#include "raftstate/json.h"
#include "raftstate/manifest.h"
#include "raftstate/path.h"

#define EXACT_MAX (UINT64_C(1) << 53) /* larger doubles lose integers */

int rs_manifest_present(const char *backup, struct rs_err *err)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if ((rc = rs_path_join_err(path, sizeof(path), backup, RS_BACKUP_MANIFEST, err)) != RS_OK)
		return -rc;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return -rs_syserr(err, "cannot inspect", path);
	}
	if (!S_ISREG(st.st_mode))
		return -rs_errf(err, RS_ECORRUPT,
		                "refusing backup %s: %s is %s, not a regular file (a manifest "
		                "that cannot be read is never taken for no manifest)",
		                backup, RS_BACKUP_MANIFEST,
		                S_ISDIR(st.st_mode)    ? "a directory"
		                : S_ISLNK(st.st_mode)  ? "a symbolic link"
		                : S_ISFIFO(st.st_mode) ? "a FIFO"
		                                       : "a device or socket");
	return 1;
}

/* An integer member 0..max of entry i, or an error naming files[i].key. */
static int get_u64(const cJSON *o, const char *key, size_t i, uint64_t max, const char *name,
                   uint64_t *out, struct rs_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL)
		return rs_errf(err, RS_ECORRUPT, "%s: files[%zu].%s is missing", name, i, key);
	/* range first: the cast is defined only for values that fit */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= (double)max) ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return rs_errf(err, RS_ECORRUPT,
		               "%s: files[%zu].%s must be an integer from 0 to %llu", name, i, key,
		               (unsigned long long)max);
	*out = (uint64_t)v->valuedouble;
	return RS_OK;
}

/* A string member of entry i (NULL when absent and optional). */
static int get_str(const cJSON *o, const char *key, size_t i, int required, const char *name,
                   const char **out, struct rs_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (v == NULL && !required)
		return RS_OK;
	if (v == NULL)
		return rs_errf(err, RS_ECORRUPT, "%s: files[%zu].%s is missing", name, i, key);
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return rs_errf(err, RS_ECORRUPT, "%s: files[%zu].%s must be a string", name, i,
		               key);
	*out = v->valuestring;
	return RS_OK;
}

static int read_entry(const char *backup, const char *name, const cJSON *f, size_t i,
                      struct rs_bk_files *out, struct rs_err *err)
{
	const char *path, *comp, *sp;
	char stored[PATH_MAX + 4], q[1100];
	struct rs_backup_file *rec;
	uint64_t size = 0, crc = 0, ssize = 0; /* set by get_u64 before use */
	int rc;

	if (!cJSON_IsObject(f))
		return rs_errf(err, RS_ECORRUPT, "%s: files[%zu] must be an object", name, i);
	if ((rc = get_str(f, "path", i, 1, name, &path, err)) ||
	    (rc = get_u64(f, "size", i, EXACT_MAX, name, &size, err)) ||
	    (rc = get_u64(f, "crc32", i, UINT32_MAX, name, &crc, err)) ||
	    (rc = get_str(f, "compression", i, 0, name, &comp, err)))
		return rc;
	if (!rs_path_safe_relative(path))
		return rs_errf(err, RS_ECORRUPT,
		               "refusing backup %s: the manifest names the unsafe path \"%.200s\"",
		               backup, path);
	if (comp != NULL) {
		if (strcmp(comp, "gzip") != 0)
			return rs_errf(
			    err, RS_ECORRUPT,
			    "backup %s: %s has an unknown \"compression\" (only \"gzip\" is "
			    "supported)",
			    backup, path);
		(void)snprintf(stored, sizeof(stored), "%s" RS_BK_GZ_SUFFIX, path);
		if ((rc = get_str(f, "stored_path", i, 0, name, &sp, err)) != RS_OK)
			return rc;
		if (sp == NULL || strcmp(sp, stored) != 0)
			return rs_errf(
			    err, RS_ECORRUPT,
			    "refusing backup %s: the \"stored_path\" of %s is %s, not %s", backup,
			    path, sp ? rs_quote(sp, q, sizeof(q)) : "missing", stored);
		if (!rs_path_safe_relative(stored))
			return rs_errf(err, RS_ECORRUPT,
			               "refusing backup %s: the manifest names the unsafe path "
			               "\"%.200s\"",
			               backup, stored);
		if ((rc = get_u64(f, "stored_size", i, EXACT_MAX, name, &ssize, err)) != RS_OK)
			return rc;
	}
	for (size_t k = 0; k < out->n; k++)
		if (strcmp(out->v[k].path, path) == 0)
			return rs_errf(err, RS_ECORRUPT, "%s: files[%zu] lists %s a second time",
			               name, i, rs_quote(path, q, sizeof(q)));
	if ((rec = rs_bk_files_add(out, path, err)) == NULL)
		return err->code;
	rec->size = size;
	rec->crc32 = (uint32_t)crc;
	rec->compressed = comp != NULL;
	rec->stored_size = ssize;
	return RS_OK;
}

static int from_tree(const char *backup, const char *path, cJSON *root, struct rs_manifest *m,
                     struct rs_err *err);
static void read_node(const cJSON *root, struct rs_manifest *m);

int rs_manifest_read(const char *backup, struct rs_manifest *m, struct rs_err *err)
{
	char path[PATH_MAX];
	cJSON *root = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = rs_path_join_err(path, sizeof(path), backup, RS_BACKUP_MANIFEST, err)) != RS_OK ||
	    (rc = rs_json_load(path, path, RS_MANIFEST_MAX, 0, &root, err)) != RS_OK)
		return rc;
	return from_tree(backup, path, root, m, err);
}

int rs_manifest_parse(const char *text, size_t len, const char *backup, struct rs_manifest *m,
                      struct rs_err *err)
{
	char path[PATH_MAX];
	cJSON *root = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len > RS_MANIFEST_MAX)
		return rs_errf(err, RS_ECORRUPT, "%s/%s is larger than %u bytes", backup,
		               RS_BACKUP_MANIFEST, RS_MANIFEST_MAX);
	if ((rc = rs_path_join_err(path, sizeof(path), backup, RS_BACKUP_MANIFEST, err)) != RS_OK ||
	    (rc = rs_json_parse(text, len, path, &root, err)) != RS_OK)
		return rc;
	return from_tree(backup, path, root, m, err);
}

/* The document, from its strict parse (consumed). */
static int from_tree(const char *backup, const char *path, cJSON *root, struct rs_manifest *m,
                     struct rs_err *err)
{
	struct rs_bk_files files = {0};
	const cJSON *fmt, *lay, *arr, *f;
	size_t i = 0;
	int rc = RS_OK;

	fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
	lay = cJSON_GetObjectItemCaseSensitive(root, "layout");
	arr = cJSON_GetObjectItemCaseSensitive(root, "files");
	if (!cJSON_IsObject(root))
		rc = rs_errf(err, RS_ECORRUPT, "%s: the document must be a JSON object", path);
	else if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, RS_BACKUP_FORMAT) != 0)
		rc = rs_errf(err, RS_ECORRUPT, "%s: unknown format (expected \"%s\")", path,
		             RS_BACKUP_FORMAT);
	else if (cJSON_IsString(lay) && strcmp(lay->valuestring, "node") == 0)
		m->layout = RS_LAYOUT_NODE;
	else if (cJSON_IsString(lay) && strcmp(lay->valuestring, "cluster") == 0)
		m->layout = RS_LAYOUT_CLUSTER;
	else
		rc = rs_errf(err, RS_ECORRUPT, "%s: layout must be \"node\" or \"cluster\"", path);
	if (rc == RS_OK && !cJSON_IsArray(arr))
		rc = rs_errf(err, RS_ECORRUPT, "%s: files %s", path,
		             arr == NULL ? "is missing" : "must be an array");
	if (rc == RS_OK)
		cJSON_ArrayForEach(f, arr)
		{
			if ((rc = read_entry(backup, path, f, i++, &files, err)) != RS_OK)
				break;
		}
	if (rc == RS_OK)
		read_node(root, m);
	cJSON_Delete(root);
	if (rc != RS_OK) {
		free(files.v);
		m->layout = 0;
		return rc;
	}
	m->files = files.v;
	m->nfiles = files.n;
	return RS_OK;
}

/* The node a node-layout backup records (nodes[0]), if it is a server ID
 * (restore compares it with the target directory's name). */
static void read_node(const cJSON *root, struct rs_manifest *m)
{
	const cJSON *na = cJSON_GetObjectItemCaseSensitive(root, "nodes");
	const cJSON *first = cJSON_IsArray(na) ? cJSON_GetArrayItem(na, 0) : NULL;

	m->node[0] = '\0';
	if (m->layout == RS_LAYOUT_NODE && cJSON_IsString(first) && first->valuestring != NULL &&
	    rs_server_id_check(first->valuestring) == RS_ID_OK)
		strlcpy(m->node, first->valuestring, sizeof(m->node));
}

void rs_manifest_free(struct rs_manifest *m)
{
	free(m->files);
	m->files = NULL;
	m->nfiles = 0;
}

cJSON *rs_manifest_file_json(const struct rs_backup_file *bf)
{
	cJSON *f = cJSON_CreateObject();

	if (f == NULL)
		return NULL;
	cJSON_AddStringToObject(f, "path", bf->path);
	cJSON_AddNumberToObject(f, "size", (double)bf->size);
	cJSON_AddNumberToObject(f, "crc32", (double)bf->crc32);
	if (bf->is_db) {
		cJSON_AddNumberToObject(f, "txid", (double)bf->txid);
		cJSON_AddNumberToObject(f, "pages", (double)bf->pages);
		cJSON_AddStringToObject(f, "copy", bf->live ? "live-compact" : "locked");
	}
	if (bf->compressed) {
		char sp[PATH_MAX + 4];

		(void)snprintf(sp, sizeof(sp), "%s" RS_BK_GZ_SUFFIX, bf->path);
		cJSON_AddStringToObject(f, "compression", "gzip");
		cJSON_AddStringToObject(f, "stored_path", sp);
		cJSON_AddNumberToObject(f, "stored_size", (double)bf->stored_size);
	}
	return f;
}

char *rs_manifest_text(const struct rs_manifest *m)
{
	cJSON *root = cJSON_CreateObject(), *arr, *f, *na;
	char *text, *out = NULL;
	size_t l;

	if (root == NULL)
		return NULL;
	cJSON_AddStringToObject(root, "format", RS_BACKUP_FORMAT);
	cJSON_AddStringToObject(root, "tool", "op-conductor-init");
	cJSON_AddStringToObject(root, "version", m->version ? m->version : "unknown");
	cJSON_AddStringToObject(root, "created", m->created ? m->created : "");
	cJSON_AddStringToObject(root, "source", m->source ? m->source : "");
	cJSON_AddStringToObject(root, "layout", m->layout == RS_LAYOUT_NODE ? "node" : "cluster");
	na = cJSON_AddArrayToObject(root, "nodes");
	for (size_t i = 0; na != NULL && i < m->nnodes; i++)
		cJSON_AddItemToArray(na, cJSON_CreateString(m->nodes[i]));
	arr = cJSON_AddArrayToObject(root, "files");
	for (size_t i = 0; arr != NULL && i < m->nfiles; i++) {
		if ((f = rs_manifest_file_json(&m->files[i])) == NULL)
			break;
		cJSON_AddItemToArray(arr, f);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text != NULL && rs_json_nomem() != 0) { /* some item may be missing */
		cJSON_free(text);
		text = NULL;
	}
	if (text == NULL)
		return NULL;
	l = strlen(text);
	if ((out = malloc(l + 2)) != NULL) {
		memcpy(out, text, l);
		out[l] = '\n';
		out[l + 1] = '\0';
	}
	cJSON_free(text);
	return out;
}
