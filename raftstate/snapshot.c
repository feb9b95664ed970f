#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>
#include <cjson/cJSON.h>

#include "bolt/file.h"
#include "raftstate/path.h"
#include "raftstate/snapshot.h"

#define MAX_SNAPSHOTS  1024
#define MAX_META_BYTES (1 << 20)

static uint64_t crc_table[256];
static pthread_once_t crc_ready = PTHREAD_ONCE_INIT; /* nodes are read on threads */

static void crc_init(void)
{
	const uint64_t poly = UINT64_C(0xC96C5795D7870F42); /* ECMA-182, reversed */

	for (int i = 0; i < 256; i++) {
		uint64_t c = (uint64_t)i;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
		crc_table[i] = c;
	}
}

uint64_t rs_crc64_update(uint64_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;

	(void)pthread_once(&crc_ready, crc_init);
	crc = ~crc;
	for (size_t i = 0; i < n; i++)
		crc = crc_table[(uint8_t)(crc ^ b[i])] ^ (crc >> 8);
	return ~crc;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 with padding (Go's encoding/json for []byte). */
static int b64decode(const char *s, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t n = strlen(s), o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		int v;

		if (s[i] == '=')
			break;
		if ((v = b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	*outlen = o;
	return 0;
}

static int json_u64(const cJSON *obj, const char *key, uint64_t *v, int required)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (it == NULL)
		return required ? -1 : 0;
	/* 2^64 - 1 is not a double: the literal rounds to 2^64, and converting
	 * 2^64 (or more) to uint64_t is undefined. */
	if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0) ||
	    it->valuedouble >= 18446744073709551616.0)
		return -1;
	*v = (uint64_t)it->valuedouble;
	return 0;
}

/* the string value's copy in *out; -1 when it is not a string, -2 when
 * there is no memory for the copy */
static int json_strdup(const cJSON *it, char **out, size_t *len)
{
	if (!cJSON_IsString(it) || it->valuestring == NULL)
		return -1;
	if ((*out = strdup(it->valuestring)) == NULL)
		return -2;
	*len = strlen(*out);
	return 0;
}

/* cJSON's parser writes a process-wide error pointer (global_error, cJSON.c),
 * and nodes are read on threads (rs_node_summarize_all): one parse at a time. */
static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

int rs_snapshot_parse_meta(const char *text, size_t len, struct rs_snapshot *out,
                           struct rs_err *err)
{
	cJSON *root;
	const cJSON *id, *conf, *servers, *crc, *srv;
	size_t n = 0, i = 0;
	int rc = RS_ECORRUPT;

	(void)pthread_mutex_lock(&parse_lock);
	errno = 0;
	root = cJSON_ParseWithLength(text, len);
	/* cJSON returns NULL for bad text and for a failed allocation alike;
	 * only the allocator sets ENOMEM (cJSON's own code sets no errno) */
	if (root == NULL && errno == ENOMEM) {
		(void)pthread_mutex_unlock(&parse_lock);
		return rs_errf(err, RS_ENOMEM, "out of memory reading meta.json");
	}
	(void)pthread_mutex_unlock(&parse_lock);

	if (root == NULL || !cJSON_IsObject(root)) {
		rs_errf(err, RS_ECORRUPT, "meta.json is not a JSON object");
		goto out;
	}
	id = cJSON_GetObjectItemCaseSensitive(root, "ID");
	if (!cJSON_IsString(id) || id->valuestring == NULL) {
		rs_errf(err, RS_ECORRUPT, "meta.json has no string ID");
		goto out;
	}
	strlcpy(out->id, id->valuestring, sizeof(out->id));
	if (json_u64(root, "Version", &out->version, 0) ||
	    json_u64(root, "Index", &out->index, 1) || json_u64(root, "Term", &out->term, 1) ||
	    json_u64(root, "ConfigurationIndex", &out->config_index, 0) ||
	    json_u64(root, "Size", &out->size, 1)) {
		rs_errf(err, RS_ECORRUPT,
		        "meta.json lacks a valid Index, Term or Size (or a field is not a "
		        "non-negative number)");
		goto out;
	}
	crc = cJSON_GetObjectItemCaseSensitive(root, "CRC");
	if (cJSON_IsString(crc) && crc->valuestring != NULL) {
		uint8_t b[16];
		size_t bl = 0;

		if (b64decode(crc->valuestring, b, sizeof(b), &bl) != 0 || bl != 8) {
			rs_errf(err, RS_ECORRUPT, "meta.json CRC is not 8 bytes of base64");
			goto out;
		}
		out->crc = 0;
		for (int k = 0; k < 8; k++)
			out->crc = (out->crc << 8) | b[k];
		out->has_crc = 1;
	}
	conf = cJSON_GetObjectItemCaseSensitive(root, "Configuration");
	servers = conf ? cJSON_GetObjectItemCaseSensitive(conf, "Servers") : NULL;
	if (servers != NULL && !cJSON_IsNull(servers) && !cJSON_IsArray(servers)) {
		rs_errf(err, RS_ECORRUPT, "meta.json Configuration.Servers is not an array");
		goto out;
	}
	n = servers ? (size_t)cJSON_GetArraySize(servers) : 0;
	if (n > 0) {
		out->config.servers = calloc(n, sizeof(*out->config.servers));
		if (out->config.servers == NULL) {
			rc = rs_errf(err, RS_ENOMEM, "out of memory");
			goto out;
		}
	}
	cJSON_ArrayForEach(srv, servers)
	{
		struct rs_server *s = &out->config.servers[i];
		uint64_t suf = 0;
		int id_rc, addr_rc;

		if (!cJSON_IsObject(srv) || json_u64(srv, "Suffrage", &suf, 0)) {
			rs_errf(err, RS_ECORRUPT,
			        "meta.json Configuration.Servers[%zu] is malformed", i);
			goto out;
		}
		s->suffrage = suf;
		id_rc =
		    json_strdup(cJSON_GetObjectItemCaseSensitive(srv, "ID"), &s->id, &s->id_len);
		addr_rc = json_strdup(cJSON_GetObjectItemCaseSensitive(srv, "Address"), &s->address,
		                      &s->address_len);
		out->config.n = ++i;
		if (id_rc == -2 || addr_rc == -2) {
			rc = rs_errf(err, RS_ENOMEM, "out of memory reading meta.json");
			goto out;
		}
		if (id_rc != 0 || addr_rc != 0) {
			rs_errf(err, RS_ECORRUPT,
			        "meta.json Configuration.Servers[%zu] lacks a string ID or Address",
			        i - 1);
			goto out;
		}
	}
	rc = RS_OK;
out:
	cJSON_Delete(root);
	return rc;
}

/* A file of a snapshot that could not be opened: a system call that failed
 * (a dying disk, no descriptors left) is the command's error, RS_EIO with
 * the path: it says nothing about the snapshot. What it is (missing, not a
 * regular file) is the snapshot's problem, -1. */
static int open_failed(const struct bolt_err *be, const char *dir, char *problem, size_t psize,
                       struct rs_err *err)
{
	if (be->code == BOLT_EIO && be->sys_errno != ENOENT)
		return rs_errf(err, RS_EIO, "%s: %s", dir, be->msg);
	strlcpy(problem, be->msg, psize);
	return -1;
}

/* meta.json, whole: 0; -1 with the reason in problem; or RS_EIO in err
 * when a system call failed, RS_ENOMEM when there is no memory for it */
static int read_small(int dirfd, const char *dir, const char *name, char **buf, size_t *len,
                      char *problem, size_t psize, struct rs_err *err)
{
	struct bolt_err be = {0};
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd;

	if (bolt_file_open(dirfd, name, 0, NULL, &fd, &st, &be) != BOLT_OK)
		return open_failed(&be, dir, problem, psize, err);
	if (st.st_size > MAX_META_BYTES) {
		snprintf(problem, psize, "%s is larger than %d bytes", name, MAX_META_BYTES);
		close(fd);
		return -1;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (*buf == NULL) {
		close(fd);
		return rs_errf(err, RS_ENOMEM, "out of memory reading %s/%s", dir, name);
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, *buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			free(*buf);
			*buf = NULL;
			return rs_errf(err, RS_EIO, "cannot read %s/%s: %s", dir, name,
			               rs_errno_text(e).s);
		}
		if (r == 0) {
			snprintf(problem, psize, "%s cannot be read: it shrank while it was read",
			         name);
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	(*buf)[got] = 0;
	*len = got;
	return 0;
}

/* state.bin's size and CRC against meta.json's: RS_OK (a mismatch in
 * s->problem), or RS_EIO when a system call failed */
static int check_data(int dirfd, const char *dir, struct rs_snapshot *s, struct rs_err *err)
{
	struct bolt_err be = {0};
	int fd;
	uint8_t buf[1 << 16];
	uint64_t crc = 0, size = 0;
	ssize_t r;

	if (bolt_file_open(dirfd, "state.bin", 0, NULL, &fd, NULL, &be) != BOLT_OK)
		return open_failed(&be, dir, s->problem, sizeof(s->problem), err) < 0 ? RS_OK
		                                                                      : err->code;
	while ((r = read(fd, buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR)) {
		if (r < 0)
			continue;
		crc = rs_crc64_update(crc, buf, (size_t)r);
		size += (uint64_t)r;
	}
	if (r < 0) {
		int e = errno;

		close(fd);
		return rs_errf(err, RS_EIO, "cannot read %s/state.bin: %s", dir,
		               rs_errno_text(e).s);
	}
	close(fd);
	s->checked = 1;
	s->actual_size = size;
	s->actual_crc = crc;
	if (size != s->size)
		snprintf(s->problem, sizeof(s->problem),
		         "state.bin holds %llu bytes but meta.json says %llu",
		         (unsigned long long)size, (unsigned long long)s->size);
	else if (s->has_crc && crc != s->crc)
		snprintf(s->problem, sizeof(s->problem),
		         "state.bin CRC-64 is %016llx but meta.json says %016llx",
		         (unsigned long long)crc, (unsigned long long)s->crc);
	else if (!s->has_crc)
		snprintf(s->problem, sizeof(s->problem), "meta.json has no CRC");
	return RS_OK;
}

int rs_snapshot_read_state(const char *node_dir, const struct rs_snapshot *s, size_t max,
                           uint8_t **buf, size_t *len, struct rs_err *err)
{
	char path[4608];
	struct stat st;
	size_t got = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/snapshots/%s/state.bin", node_dir, s->name) >=
	    sizeof(path))
		return rs_errf(err, RS_EINVAL, "path too long: %s", node_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return rs_errf(err, RS_EIO, "cannot open %s: %s", path, rs_errno_text(errno).s);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return rs_errf(err, RS_EIO, "%s is not a regular file", path);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return rs_errf(err, RS_ELIMIT, "%s holds %llu bytes, more than the %zu read", path,
		               (unsigned long long)st.st_size, max);
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (*buf == NULL) {
		close(fd);
		return rs_errf(err, RS_ENOMEM, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);

		if (r <= 0) {
			int e = r < 0 ? errno : EIO;

			close(fd);
			free(*buf);
			*buf = NULL;
			return rs_errf(err, RS_EIO, "cannot read %s: %s", path, rs_errno_text(e).s);
		}
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return RS_OK;
}

static int cmp_newest(const void *a, const void *b)
{
	const struct rs_snapshot *x = a, *y = b;

	if (x->term != y->term)
		return x->term > y->term ? -1 : 1;
	if (x->index != y->index)
		return x->index > y->index ? -1 : 1;
	return -strcmp(x->name, y->name);
}

/* One snapshot directory, s->name in the directory dfd (dir its path): its
 * meta.json, and with verify_data its state.bin. A snapshot that cannot be
 * used has the reason in s->problem (RS_OK); a failed system call or
 * running out of memory is no fact about the snapshot: an error (> 0). */
static int load_one(int dfd, const char *dir, int verify_data, struct rs_snapshot *s,
                    struct rs_err *err)
{
	struct rs_err perr = {0};
	char *text = NULL;
	size_t tlen = 0;
	int sfd, rc;

	sfd = openat(dfd, s->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (sfd < 0) {
		if (errno != ENOENT)
			return rs_syserr(err, "cannot open", dir);
		snprintf(s->problem, sizeof(s->problem), "cannot open: %s", strerror(errno));
		return RS_OK;
	}
	rc = read_small(sfd, dir, "meta.json", &text, &tlen, s->problem, sizeof(s->problem), err);
	if (rc == 0) {
		rc = rs_snapshot_parse_meta(text, tlen, s, &perr);
		if (rc == RS_ENOMEM)
			rc = rs_errf(err, RS_ENOMEM, "out of memory reading %s", dir);
		else if (rc != RS_OK) {
			strlcpy(s->problem, perr.msg, sizeof(s->problem));
			rc = RS_OK;
		} else if (verify_data)
			rc = check_data(sfd, dir, s, err);
	}
	free(text);
	close(sfd);
	return rc > 0 ? rc : RS_OK;
}

int rs_snapshots_load(const char *node_dir, int verify_data, struct rs_snapshots *out,
                      struct rs_err *err)
{
	char path[4096];
	DIR *d;
	struct dirent *de;
	int dfd, rc;

	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(path, sizeof(path), "%s/snapshots", node_dir) >= sizeof(path))
		return rs_errf(err, RS_EINVAL, "path too long: %s", node_dir);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return RS_OK;
		return rs_syserr(err, "cannot open", path);
	}
	d = fdopendir(dfd);
	if (d == NULL) {
		rc = rs_syserr(err, "cannot read", path); /* ENOMEM: RS_ENOMEM */
		close(dfd);
		return rc;
	}
	out->v = calloc(MAX_SNAPSHOTS, sizeof(*out->v));
	if (out->v == NULL) {
		closedir(d);
		return rs_errf(err, RS_ENOMEM, "out of memory");
	}
	/* a failed system call (readdir, fstatat, a snapshot's open or read) is
	 * the caller's error, not a snapshot missing from the list: one left out
	 * would make the log look uncovered, the node damaged */
	rc = RS_OK;
	while (out->n < MAX_SNAPSHOTS && (de = rs_path_readdir(d, path, &rc, err)) != NULL) {
		struct rs_snapshot *s = &out->v[out->n];
		size_t nl = strlen(de->d_name);
		char dir[4608];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT) /* raft removed it since the listing */
				continue;
			rs_path_join(dir, sizeof(dir), path,
			             de->d_name); /* fits: 4096 + NAME_MAX */
			rc = rs_syserr(err, "cannot inspect", dir);
			goto fail;
		}
		if (nl > 4 && strcmp(de->d_name + nl - 4, ".tmp") == 0) {
			if (S_ISDIR(st.st_mode)) {
				out->tmp_count++;
				if (strcmp(de->d_name, out->tmp_name) > 0)
					strlcpy(out->tmp_name, de->d_name, sizeof(out->tmp_name));
			}
			continue;
		}
		if (!S_ISDIR(st.st_mode))
			continue;
		memset(s, 0, sizeof(*s));
		strlcpy(s->name, de->d_name, sizeof(s->name));
		out->n++;
		rs_path_join(dir, sizeof(dir), path, de->d_name); /* fits: 4096 + NAME_MAX */
		if ((rc = load_one(dfd, dir, verify_data, s, err)) > 0)
			goto fail;
		rc = RS_OK;
	}
	if (rc != RS_OK)
		goto fail;
	closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), cmp_newest);
	return RS_OK;
fail:
	closedir(d);
	rs_snapshots_free(out);
	return rc;
}

void rs_snapshots_free(struct rs_snapshots *s)
{
	for (size_t i = 0; i < s->n; i++)
		rs_config_free(&s->v[i].config);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
