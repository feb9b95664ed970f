#include "raftstate/clusterfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sha2.h>

#include "bolt/file.h"
#include "raftstate/json.h"
#include "raftstate/nodedir.h"
#include "raftstate/path.h"

#define CLUSTER_FILE_MAX (16u << 20)        /* far above any real cluster */
#define EXACT_MAX        9007199254740991.0 /* 2^53 - 1: larger doubles lose integers */

static int invalid(char *msg, size_t size, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int invalid(char *msg, size_t size, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(msg, size, "%s: ", rs_qpath(path).s);

	if (n < 0 || (size_t)n >= size)
		return RS_CLUSTER_FILE_EINVALID;
	va_start(ap, fmt);
	(void)vsnprintf(msg + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	return RS_CLUSTER_FILE_EINVALID;
}

/* Running out of memory: no fact about the document. */
static int nomem(char *msg, size_t size, const char *path)
{
	(void)snprintf(msg, size, "out of memory reading %s", rs_qpath(path).s);
	return RS_CLUSTER_FILE_ENOMEM;
}

/* A string member, or an error naming it. */
static int get_string(const cJSON *item, const char *file, const char *jpath, char **out, char *msg,
                      size_t size)
{
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return invalid(msg, size, file, "%s must be a string", jpath);
	*out = strdup(item->valuestring);
	if (*out == NULL)
		return nomem(msg, size, file);
	return RS_CLUSTER_FILE_OK;
}

static int get_term(const cJSON *item, const char *file, uint64_t *out, char *msg, size_t size)
{
	if (cJSON_IsNumber(item)) {
		double d = item->valuedouble;

		/* range first: the cast is defined only for values that fit */
		if (!(d >= 1 && d <= EXACT_MAX) || d != (double)(uint64_t)d)
			return invalid(msg, size, file,
			               "initial_term must be an integer from 1 to 2^53-1 (write "
			               "larger terms as a decimal string)");
		*out = (uint64_t)d;
		return RS_CLUSTER_FILE_OK;
	}
	if (cJSON_IsString(item) && item->valuestring != NULL) {
		const char *s = item->valuestring;
		uint64_t v = 0;

		if (*s == '\0' || (*s == '0' && s[1] != '\0'))
			goto bad;
		for (; *s != '\0'; s++) {
			if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
				goto bad;
			v = v * 10 + (uint64_t)(*s - '0');
		}
		if (v < 1)
			goto bad;
		*out = v;
		return RS_CLUSTER_FILE_OK;
	}
bad:
	return invalid(msg, size, file,
	               "initial_term must be an integer >= 1 (a number, or a decimal string)");
}

static int get_node(const cJSON *node, size_t i, const char *file, struct rs_member *m, char *msg,
                    size_t size)
{
	char jpath[64];
	const cJSON *k;
	int rc;

	if (!cJSON_IsObject(node))
		return invalid(msg, size, file, "nodes[%zu] must be an object", i);
	cJSON_ArrayForEach(k, node)
	{
		if (strcmp(k->string, "id") == 0) {
			(void)snprintf(jpath, sizeof(jpath), "nodes[%zu].id", i);
			if ((rc = get_string(k, file, jpath, &m->id, msg, size)) != 0)
				return rc;
		} else if (strcmp(k->string, "address") == 0) {
			(void)snprintf(jpath, sizeof(jpath), "nodes[%zu].address", i);
			if ((rc = get_string(k, file, jpath, &m->address, msg, size)) != 0)
				return rc;
		} else if (strcmp(k->string, "suffrage") == 0) {
			if (cJSON_IsString(k) && strcasecmp(k->valuestring, "voter") == 0)
				m->nonvoter = 0;
			else if (cJSON_IsString(k) && strcasecmp(k->valuestring, "nonvoter") == 0)
				m->nonvoter = 1;
			else
				return invalid(
				    msg, size, file,
				    "nodes[%zu].suffrage must be \"voter\" or \"nonvoter\"", i);
		} else {
			return invalid(msg, size, file, "nodes[%zu] has an unknown key %s", i,
			               rs_q(k->string).s);
		}
	}
	if (m->id == NULL)
		return invalid(msg, size, file, "nodes[%zu].id is missing", i);
	if (m->address == NULL)
		return invalid(msg, size, file, "nodes[%zu].address is missing", i);
	return RS_CLUSTER_FILE_OK;
}

static int get_nodes(const cJSON *nodes, const char *file, struct rs_cluster_file *cf, char *msg,
                     size_t size)
{
	const cJSON *node;
	size_t n, i = 0;
	int rc;

	if (!cJSON_IsArray(nodes))
		return invalid(msg, size, file, "nodes must be an array of objects");
	n = (size_t)cJSON_GetArraySize(nodes);
	if (n == 0)
		return invalid(msg, size, file, "nodes is empty");
	if (n > RS_MEMBERS_MAX)
		return invalid(msg, size, file, "nodes has %zu entries; at most %d are supported",
		               n, RS_MEMBERS_MAX);
	cf->ms.m = calloc(n, sizeof(*cf->ms.m));
	if (cf->ms.m == NULL)
		return nomem(msg, size, file);
	cf->ms.n = n;
	cJSON_ArrayForEach(node, nodes)
	{
		if ((rc = get_node(node, i, file, &cf->ms.m[i], msg, size)) != 0)
			return rc;
		i++;
	}
	cf->has_nodes = 1;
	return RS_CLUSTER_FILE_OK;
}

static int from_tree(cJSON *root, const char *path, struct rs_cluster_file *cf, char *msg,
                     size_t size);

int rs_cluster_file_load(const char *path, struct rs_cluster_file *cf, char *msg, size_t size)
{
	struct rs_err err = {0};
	cJSON *root;

	memset(cf, 0, sizeof(*cf));
	/* strict JSON (raftstate/json.h); followed: a --config file may be a
	 * ConfigMap's symbolic link */
	if (rs_json_load(path, rs_qpath(path).s, CLUSTER_FILE_MAX, 1, &root, &err) != RS_OK) {
		(void)snprintf(msg, size, "%s", err.msg);
		return err.code == RS_EIO      ? RS_CLUSTER_FILE_EIO
		       : err.code == RS_ENOMEM ? RS_CLUSTER_FILE_ENOMEM
		                               : RS_CLUSTER_FILE_EINVALID;
	}
	return from_tree(root, path, cf, msg, size);
}

int rs_cluster_file_parse(const char *text, size_t len, const char *name,
                          struct rs_cluster_file *cf, char *msg, size_t size)
{
	struct rs_err err = {0};
	cJSON *root;

	memset(cf, 0, sizeof(*cf));
	if (len > CLUSTER_FILE_MAX) {
		(void)snprintf(msg, size, "%s is larger than %u bytes", rs_qpath(name).s,
		               CLUSTER_FILE_MAX);
		return RS_CLUSTER_FILE_EINVALID;
	}
	if (rs_json_parse(text, len, rs_qpath(name).s, &root, &err) != RS_OK) {
		(void)snprintf(msg, size, "%s", err.msg);
		return err.code == RS_ENOMEM ? RS_CLUSTER_FILE_ENOMEM : RS_CLUSTER_FILE_EINVALID;
	}
	return from_tree(root, name, cf, msg, size);
}

/* The document's shape, from its strict parse (consumed). */
static int from_tree(cJSON *root, const char *path, struct rs_cluster_file *cf, char *msg,
                     size_t size)
{
	const cJSON *k;
	int rc = RS_CLUSTER_FILE_OK;

	if (!cJSON_IsObject(root)) {
		rc = invalid(msg, size, path, "the document must be a JSON object");
		goto done;
	}
	cJSON_ArrayForEach(k, root)
	{
		if (strcmp(k->string, "nodes") == 0)
			rc = get_nodes(k, path, cf, msg, size);
		else if (strcmp(k->string, "initial_leader") == 0)
			rc = get_string(k, path, "initial_leader", &cf->leader, msg, size);
		else if (strcmp(k->string, "network") == 0)
			rc = cJSON_IsNull(k)
			         ? 0
			         : get_string(k, path, "network", &cf->network, msg, size);
		else if (strcmp(k->string, "initial_term") == 0)
			rc = get_term(k, path, &cf->term, msg, size), cf->has_term = rc == 0;
		else if (strcmp(k->string, "formed") == 0)
			rc = cJSON_IsBool(k)
			         ? (cf->formed = cJSON_IsTrue(k), 0)
			         : invalid(msg, size, path, "formed must be true or false");
		else if (strcmp(k->string, "tool") != 0 && strcmp(k->string, "version") != 0 &&
		         strcmp(k->string, "files") != 0 && strcmp(k->string, "node_id") != 0)
			rc =
			    invalid(msg, size, path,
			            "unknown key %s (expected nodes, initial_leader, initial_term, "
			            "network, formed)",
			            rs_q(k->string).s);
		if (rc != 0)
			break;
	}
done:
	cJSON_Delete(root);
	return rc;
}

void rs_cluster_file_free(struct rs_cluster_file *cf)
{
	rs_members_free(&cf->ms);
	free(cf->leader);
	free(cf->network);
	memset(cf, 0, sizeof(*cf));
}

int rs_cluster_hash_file(const char *path, struct rs_cluster_file_entry *out, char *msg,
                         size_t msgsize)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t buf[65536], digest[SHA256_DIGEST_LENGTH];
	SHA2_CTX ctx;
	struct bolt_err be = {0};
	ssize_t r;
	int fd, i;

	if (bolt_file_open(AT_FDCWD, path, 0, rs_qpath(path).s, &fd, NULL, &be) != BOLT_OK) {
		(void)snprintf(msg, msgsize, "%s", be.msg);
		return -1;
	}
	SHA256Init(&ctx);
	out->size = 0;
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			(void)snprintf(msg, msgsize, "cannot read %s: %s", rs_qpath(path).s,
			               rs_errno_text(errno).s);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		SHA256Update(&ctx, buf, (size_t)r);
		out->size += (uint64_t)r;
	}
	close(fd);
	SHA256Final(digest, &ctx);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out->sha256[2 * i] = hex[digest[i] >> 4];
		out->sha256[2 * i + 1] = hex[digest[i] & 15];
	}
	out->sha256[64] = '\0';
	return 0;
}

static cJSON *record_json(const struct rs_cluster_record *rec)
{
	cJSON *root = cJSON_CreateObject(), *nodes, *files, *o;
	size_t i;
	char term[24];

	if (root == NULL)
		return NULL;
	cJSON_AddStringToObject(root, "tool", "op-conductor-init");
	cJSON_AddStringToObject(root, "version", OCI_VERSION);
	if (rec->network != NULL && *rec->network != '\0')
		cJSON_AddStringToObject(root, "network", rec->network);
	else
		cJSON_AddNullToObject(root, "network");
	if ((double)rec->term <= EXACT_MAX) {
		cJSON_AddNumberToObject(root, "initial_term", (double)rec->term);
	} else {
		(void)snprintf(term, sizeof(term), "%llu", (unsigned long long)rec->term);
		cJSON_AddStringToObject(root, "initial_term", term);
	}
	cJSON_AddStringToObject(root, "initial_leader", rec->ms->m[rec->ms->leader].id);
	nodes = cJSON_AddArrayToObject(root, "nodes");
	for (i = 0; nodes != NULL && i < rec->ms->n; i++) {
		o = cJSON_CreateObject();
		if (o == NULL)
			break;
		cJSON_AddStringToObject(o, "id", rec->ms->m[i].id);
		cJSON_AddStringToObject(o, "address", rec->ms->m[i].address);
		cJSON_AddStringToObject(o, "suffrage",
		                        rec->ms->m[i].nonvoter ? "nonvoter" : "voter");
		cJSON_AddItemToArray(nodes, o);
	}
	if (rec->node_id != NULL)
		cJSON_AddStringToObject(root, "node_id", rec->node_id);
	files = cJSON_AddArrayToObject(root, "files");
	for (i = 0; files != NULL && i < rec->nfiles; i++) {
		o = cJSON_CreateObject();
		if (o == NULL)
			break;
		cJSON_AddStringToObject(o, "path", rec->files[i].path);
		cJSON_AddNumberToObject(o, "size", (double)rec->files[i].size);
		cJSON_AddStringToObject(o, "sha256", rec->files[i].sha256);
		cJSON_AddItemToArray(files, o);
	}
	return root;
}

static int write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int rs_cluster_json_write(const char *outdir, const struct rs_cluster_record *rec, uid_t uid,
                          gid_t gid, char *msg, size_t msgsize)
{
	char tmp[PATH_MAX], final[PATH_MAX], *text;
	cJSON *doc = record_json(rec);
	struct rs_err e = {0};
	int fd = -1;
	size_t len;

	text = doc != NULL ? cJSON_Print(doc) : NULL;
	cJSON_Delete(doc);
	if (text != NULL && rs_json_nomem() != 0) { /* some item may be missing */
		cJSON_free(text);
		text = NULL;
	}
	if (text == NULL) {
		(void)snprintf(msg, msgsize, "out of memory");
		return -1;
	}
	if (rs_path_join(final, sizeof(final), outdir, RS_CLUSTER_JSON) != 0 ||
	    rs_path_join(tmp, sizeof(tmp), outdir, "." RS_CLUSTER_JSON ".XXXXXX") != 0) {
		(void)snprintf(msg, msgsize, "path %s/%s is too long", rs_qpath(outdir).s,
		               RS_CLUSTER_JSON);
		free(text);
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		(void)snprintf(msg, msgsize, "cannot create a temporary file in %s: %s",
		               rs_qpath(outdir).s, rs_errno_text(errno).s);
		free(text);
		return -1;
	}
	len = strlen(text);
	text[len] = '\n'; /* cJSON_Print leaves no final newline; keep the NUL out */
	if (write_all(fd, text, len + 1) != 0 || fchmod(fd, 0644) != 0 ||
	    rs_nd_chown_at(fd, "", uid, gid, rs_qpath(tmp).s, NULL) != RS_OK) {
		(void)snprintf(msg, msgsize, "cannot write %s: %s", rs_qpath(tmp).s,
		               rs_errno_text(errno).s);
		goto fail;
	}
	if (rs_fsync_fd(fd, rs_qpath(tmp).s, &e) != RS_OK) {
		(void)snprintf(msg, msgsize, "%s", e.msg);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		(void)snprintf(msg, msgsize, "cannot write %s: %s", rs_qpath(tmp).s,
		               rs_errno_text(errno).s);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, final) != 0) {
		(void)snprintf(msg, msgsize, "cannot rename %s to %s: %s", rs_qpath(tmp).s,
		               rs_qpath(final).s, rs_errno_text(errno).s);
		goto fail;
	}
	free(text);
	if (rs_fsync_path(outdir, &e) != RS_OK) {
		(void)snprintf(msg, msgsize, "%s", e.msg);
		return -1;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	free(text);
	return -1;
}
