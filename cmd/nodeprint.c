/*
 * Shared by `raft verify` and `raft info`: node discovery, flag values,
 * and the text and JSON renderings of a struct rs_node. No file-format
 * code: everything printed here was read by raftstate/.
 */
#include "cmd/nodeprint.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/flags.h"
#include "cmd/report.h"
#include "raftstate/nodedir.h"
#include "raftstate/path.h"

/* ---- node discovery -------------------------------------------------- */

static int add_dir(struct np_nodes *ns, const char *path)
{
	char **v = reallocarray(ns->dirs, ns->n + 1, sizeof(*v));

	if (v == NULL)
		return -1;
	ns->dirs = v;
	if ((v[ns->n] = strdup(path)) == NULL)
		return -1;
	ns->n++;
	return 0;
}

int np_find_nodes(const struct oci_command *cmd, const char *dir, const char *what,
                  struct np_nodes *out)
{
	char path[PATH_MAX];
	struct rs_err err = {0};
	struct stat st;
	char **names = NULL;
	size_t len, nnames = 0;

	memset(out, 0, sizeof(*out));
	if (dir[0] == '\0')
		return oci_usage(cmd, "%s is empty", what);
	len = strlen(dir);
	if (len >= sizeof(path) - 1 - NAME_MAX - 1 - sizeof(RS_STABLE_FILE))
		return oci_usage(cmd, "%s is too long (%zu bytes)", what, len);
	(void)snprintf(path, sizeof(path), "%s", dir);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (stat(path, &st) != 0)
		return oci_fail(cmd, "cannot open %s %s: %s", what, oci_path(dir).s,
		                rs_errno_text(errno).s);
	if (!S_ISDIR(st.st_mode))
		return oci_fail(cmd, "%s %s is not a directory", what, oci_path(dir).s);
	if (rs_nd_has(path, RS_ND_DBS)) {
		if (add_dir(out, path) != 0)
			goto oom;
		return 0;
	}
	/* the one discovery rule (raftstate/nodedir.h) */
	if (rs_nd_list(path, 0, &names, &nnames, &err) != RS_OK)
		return oci_fail(cmd, "cannot read %s %s: %s", what, oci_path(dir).s,
		                rs_errno_text(err.sys_errno).s);
	for (size_t i = 0; i < nnames; i++) {
		char sub[PATH_MAX];
		if (rs_path_join(sub, sizeof(sub), path, names[i]) != 0)
			continue;
		if (add_dir(out, sub) != 0) {
			rs_nd_free_list(names, nnames);
			goto oom;
		}
	}
	rs_nd_free_list(names, nnames);
	if (out->n == 0 && rs_nd_list(path, 1, &names, &nnames, &err) == RS_OK) {
		/* a --compress backup: its databases are .gz files (of its nodes,
		 * or at its top) */
		char gz[PATH_MAX + 16];
		size_t n = nnames;

		rs_nd_free_list(names, nnames);
		(void)rs_path_join(gz, sizeof(gz), path, RS_LOG_FILE ".gz");
		if (n > 0 || lstat(gz, &st) == 0)
			return oci_fail(
			    cmd,
			    "%s %s is a compressed backup (raft-log.db.gz, ...): check it "
			    "with op-conductor-init raft restore --dry-run --backup-dir %s",
			    what, oci_path(dir).s, oci_path(dir).s);
	}
	if (out->n == 0)
		return oci_fail(
		    cmd,
		    "%s %s holds no Raft state: neither %s nor %s, and no node "
		    "directory holding them; give a node directory "
		    "(<raft.storage.dir>/<server-id>) or the storage directory above it",
		    what, oci_path(dir).s, RS_LOG_FILE, RS_STABLE_FILE);
	out->cluster = 1;
	return 0;
oom:
	np_nodes_free(out);
	return oci_fail(cmd, "out of memory");
}

void np_nodes_free(struct np_nodes *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->dirs[i]);
	free(ns->dirs);
	memset(ns, 0, sizeof(*ns));
}

/* ---- flag values ----------------------------------------------------- */

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double d;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || end == s)
		return -1;
	if (*end == 's')
		end++;
	if (*end != '\0' || !isfinite(d) || d < 0 || d > 86400)
		return -1;
	*out = d;
	return 0;
}

int np_timeout_check(const char *s)
{
	double d;

	return parse_seconds(s, &d);
}

double np_timeout_value(const char *s)
{
	double d = 5.0;

	(void)parse_seconds(s, &d);
	return d;
}

double np_run_lock_timeout(const struct flag_value *timeout)
{
	return timeout->src == FLAG_ARGV || timeout->src == FLAG_ENV
	           ? np_timeout_value(timeout->str)
	           : 0;
}

const char *np_locked_fix(const struct rs_err *err)
{
	return err->code == RS_ELOCKED ? "; give --live to read it while op-conductor runs" : "";
}

/* ---- small renderings ------------------------------------------------ */

const char *np_type_name(uint64_t type, char *buf, size_t size)
{
	const char *name = rs_log_type_name(type);

	if (name != NULL)
		(void)snprintf(buf, size, "%s", name);
	else
		(void)snprintf(buf, size, "LogType(%" PRIu64 ")", type);
	return buf;
}

static const char *format_tm(int64_t unix_sec, int32_t nsec, int offset_sec, int utc, char *buf,
                             size_t size)
{
	time_t t = (time_t)(unix_sec + offset_sec);
	struct tm tm;
	char zone[16];
	int off = offset_sec < 0 ? -offset_sec : offset_sec;

	if (unix_sec > INT64_MAX / 2 || unix_sec < INT64_MIN / 2 || gmtime_r(&t, &tm) == NULL) {
		(void)snprintf(buf, size, "(time out of range)");
		return buf;
	}
	if (utc || offset_sec == 0)
		(void)snprintf(zone, sizeof(zone), "Z");
	else if (off % 60 != 0)
		(void)snprintf(zone, sizeof(zone), "%c%02d:%02d:%02d", offset_sec < 0 ? '-' : '+',
		               off / 3600, off / 60 % 60, off % 60);
	else
		(void)snprintf(zone, sizeof(zone), "%c%02d:%02d", offset_sec < 0 ? '-' : '+',
		               off / 3600, off / 60 % 60);
	(void)snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%09d%s",
	               (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	               tm.tm_min, tm.tm_sec, (int)nsec, zone);
	return buf;
}

const char *np_time(const struct rs_time *t, char *buf, size_t size)
{
	int offset = t->utc ? 0 : t->offset_min * 60 + t->offset_sec;
	int64_t unix_sec;

	if (t->sec < INT64_MIN + RS_TIME_UNIX_TO_INTERNAL) {
		(void)snprintf(buf, size, "(time out of range)");
		return buf;
	}
	unix_sec = t->sec - RS_TIME_UNIX_TO_INTERNAL;
	return format_tm(unix_sec, t->nsec, offset, t->utc, buf, size);
}

const char *np_unix_time(uint64_t unix_sec, char *buf, size_t size)
{
	if (unix_sec > (uint64_t)INT64_MAX / 4) {
		(void)snprintf(buf, size, "(time out of range)");
		return buf;
	}
	return format_tm((int64_t)unix_sec, 0, 0, 1, buf, size);
}

const char *np_str(const char *s, size_t n, char *buf, size_t size)
{
	int plain = n > 0;

	for (size_t i = 0; i < n && plain; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f || c == '"' || c == '\\')
			plain = 0;
	}
	if (plain && n < size) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		return buf;
	}
	return oci_quote(buf, size, s, n);
}

const char *np_vote_text(const struct rs_node *n, char *buf, size_t size)
{
	const struct rs_server *s;
	char cand[300], id[300];

	np_str(n->last_vote_cand,
	       n->last_vote_cand_len < sizeof(n->last_vote_cand) - 1 ? n->last_vote_cand_len
	                                                             : strlen(n->last_vote_cand),
	       cand, sizeof(cand));
	s = rs_config_find(&n->config, n->last_vote_cand, n->last_vote_cand_len);
	if (n->config.n == 0)
		(void)snprintf(buf, size, "%s", cand);
	else if (s == NULL)
		(void)snprintf(buf, size, "%s (not a member of the configuration)", cand);
	else if (s->id_len == n->last_vote_cand_len &&
	         memcmp(s->id, n->last_vote_cand, s->id_len) == 0)
		(void)snprintf(buf, size, "%s", cand);
	else
		(void)snprintf(buf, size, "%s (= %s)", cand,
		               np_str(s->id, s->id_len, id, sizeof(id)));
	return buf;
}

/* ---- text blocks ----------------------------------------------------- */

void np_print_file(FILE *out, const char *ind, const struct rs_file_info *fi)
{
	const struct bolt_check_stats *s = &fi->stats;

	if (!fi->present) {
		if (fi->exists)
			fprintf(out, "%sfile: present, unreadable: %s\n", ind, fi->unreadable);
		else
			fprintf(out, "%sfile: not read\n", ind);
		return;
	}
	fprintf(out,
	        "%sfile: %" PRIu64 " bytes, page size %u, txid %" PRIu64
	        ", high-water mark %" PRIu64 " pages\n",
	        ind, fi->file_size, fi->page_size, fi->txid, fi->hwm);
	fprintf(out, "%smeta pages: using meta %d; meta 0 %s, meta 1 %s\n", ind, fi->active_meta,
	        rs_meta_status_text(fi->meta_status[0]), rs_meta_status_text(fi->meta_status[1]));
	if (fi->checked)
		fprintf(out,
		        "%spages: %" PRIu64 " branch, %" PRIu64 " leaf, %" PRIu64
		        " overflow, %" PRIu64 " freelist, %" PRIu64 " free\n",
		        ind, s->branch_pages, s->leaf_pages, s->overflow_pages, s->freelist_pages,
		        s->free_pages);
}

void np_print_stable(FILE *out, const char *ind, const struct rs_node *n)
{
	char cand[300];

	if (n->has_current_term)
		fprintf(out, "%sCurrentTerm: %" PRIu64 "\n", ind, n->current_term);
	else
		fprintf(out, "%sCurrentTerm: (not set)\n", ind);
	if (n->has_last_vote_term)
		fprintf(out, "%sLastVoteTerm: %" PRIu64 "\n", ind, n->last_vote_term);
	if (n->has_last_vote_cand)
		fprintf(out, "%sLastVoteCand: %s\n", ind,
		        np_str(n->last_vote_cand, strlen(n->last_vote_cand), cand, sizeof(cand)));
	if (!n->has_last_vote_term && !n->has_last_vote_cand)
		fprintf(out, "%s(no vote recorded)\n", ind);
}

void np_print_log(FILE *out, const char *label, const char *empty, const struct rs_node *n)
{
	if (n->count == 0) {
		fprintf(out, "%s%s\n", label, empty);
		return;
	}
	fprintf(out, "%s%" PRIu64 "..%" PRIu64 " (%" PRIu64 " entr%s", label, n->first_index,
	        n->last_index, n->count, n->count == 1 ? "y" : "ies");
	/* raft-boltdb may hold gaps (raftrules.h: below the snapshot index
	 * raft never reads them) */
	if (n->last_index - n->first_index + 1 > n->count)
		fprintf(out, " present; %" PRIu64 " of the indexes between hold none",
		        n->last_index - n->first_index + 1 - n->count);
	fprintf(out, "), last term %" PRIu64 "\n", n->last_term);
}

void np_print_types(FILE *out, const char *ind, const char *types_label, const char *bytes_label,
                    const struct rs_node *n)
{
	char name[32];
	int any = 0;

	if (n->count == 0)
		return;
	fprintf(out, "%s%s", ind, types_label);
	for (int t = 0; t < RS_LOG_TYPE_COUNT; t++) {
		if (n->types[t] == 0)
			continue;
		fprintf(out, "%s%s %" PRIu64, any ? ", " : "",
		        np_type_name((uint64_t)t, name, sizeof(name)), n->types[t]);
		any = 1;
	}
	if (n->types[RS_LOG_TYPE_COUNT] > 0)
		fprintf(out, "%sunknown or undecodable %" PRIu64, any ? ", " : "",
		        n->types[RS_LOG_TYPE_COUNT]);
	if (!n->types_complete)
		fprintf(out,
		        " (counted over %" PRIu64 "..%" PRIu64 ": %" PRIu64 " of %" PRIu64
		        " entries; --full counts all)",
		        n->types_from, n->last_index, n->scanned, n->count);
	fprintf(out, "\n%s%s%" PRIu64 "%s\n", ind, bytes_label, n->data_bytes,
	        n->types_complete ? "" : " (over the counted entries)");
}

void np_print_config_source(FILE *out, const struct rs_node *n)
{
	char name[300];

	switch (n->config_source) {
	case RS_CONFIG_LOG:
		fprintf(out, "log index %" PRIu64, n->config_index);
		break;
	case RS_CONFIG_SNAPSHOT:
		fprintf(out, "snapshot %s (configuration index %" PRIu64 ")",
		        np_str(n->config_snapshot, strlen(n->config_snapshot), name, sizeof(name)),
		        n->config_index);
		break;
	default:
		fprintf(out, "none found");
	}
}

void np_print_servers(FILE *out, const char *ind, const struct rs_config *c)
{
	char id[300], addr[300], suff[32];
	int wid = 2, waddr = 7;

	for (size_t i = 0; i < c->n; i++) {
		int a = (int)strlen(np_str(c->servers[i].id, c->servers[i].id_len, id, sizeof(id)));
		int b = (int)strlen(
		    np_str(c->servers[i].address, c->servers[i].address_len, addr, sizeof(addr)));

		wid = a > wid ? a : wid;
		waddr = b > waddr ? b : waddr;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct rs_server *s = &c->servers[i];
		const char *sn = rs_suffrage_name(s->suffrage);

		if (sn == NULL) {
			(void)snprintf(suff, sizeof(suff), "Suffrage(%" PRIu64 ")", s->suffrage);
			sn = suff;
		}
		fprintf(out, "%s%-*s  %-*s  %s\n", ind, wid,
		        np_str(s->id, s->id_len, id, sizeof(id)), waddr,
		        np_str(s->address, s->address_len, addr, sizeof(addr)), sn);
	}
	if (c->n == 0)
		fprintf(out, "%s(no servers)\n", ind);
}

void np_print_snapshots(FILE *out, const char *ind, const struct rs_node *n, int with_crc)
{
	char name[300];

	if (n->snapshots.tmp_count > 0)
		fprintf(out, "%s%s  unfinished (a *.tmp directory: raft ignores it)%s\n", ind,
		        np_str(n->snapshots.tmp_name, strlen(n->snapshots.tmp_name), name,
		               sizeof(name)),
		        n->snapshots.tmp_count > 1 ? ", and more beside it" : "");
	if (n->snapshots.n == 0) {
		if (n->snapshots.tmp_count == 0)
			fprintf(out, "%s(none)\n", ind);
		return;
	}
	for (size_t i = 0; i < n->snapshots.n; i++) {
		const struct rs_snapshot *s = &n->snapshots.v[i];

		fprintf(out, "%s%s", ind, np_str(s->name, strlen(s->name), name, sizeof(name)));
		if (s->problem[0] != '\0' && !s->checked) {
			fprintf(out, "  unusable: %s\n", s->problem);
			continue;
		}
		fprintf(out, "  index %" PRIu64 "  term %" PRIu64 "  size %" PRIu64, s->index,
		        s->term, s->size);
		if (with_crc) {
			if (!s->checked)
				fprintf(out, "  CRC not checked");
			else if (s->has_crc && s->actual_crc == s->crc && s->actual_size == s->size)
				fprintf(out, "  CRC ok");
			else
				fprintf(out, "  CRC MISMATCH");
		}
		fprintf(out, "\n");
	}
}

/* ---- JSON ------------------------------------------------------------ */

cJSON *np_json_u64(uint64_t v)
{
	char num[24];

	(void)snprintf(num, sizeof(num), "%" PRIu64, v);
	return cJSON_CreateRaw(num);
}

cJSON *np_json_strn(const char *s, size_t n)
{
	char *tmp;
	cJSON *j;

	/* cJSON strings end at a NUL: a value holding one keeps its prefix */
	if ((tmp = strndup(s, n)) == NULL)
		return NULL;
	j = cJSON_CreateString(tmp);
	free(tmp);
	return j;
}

cJSON *np_json_file(const struct rs_file_info *fi)
{
	cJSON *o = cJSON_CreateObject(), *m, *p;

	/* a file that exists but does not open as a bolt file (both meta
	 * pages damaged, not a bolt file) is present, in state "unreadable" */
	cJSON_AddBoolToObject(o, "present", fi->present || fi->exists);
	if (!fi->present) {
		if (fi->exists) {
			cJSON_AddStringToObject(o, "state", "unreadable");
			cJSON_AddStringToObject(o, "reason", fi->unreadable);
		}
		return o;
	}
	cJSON_AddStringToObject(o, "state", "readable");
	cJSON_AddItemToObject(o, "size", np_json_u64(fi->file_size));
	cJSON_AddItemToObject(o, "page_size", np_json_u64(fi->page_size));
	cJSON_AddItemToObject(o, "txid", np_json_u64(fi->txid));
	cJSON_AddItemToObject(o, "hwm", np_json_u64(fi->hwm));
	cJSON_AddNumberToObject(o, "active_meta", fi->active_meta);
	m = cJSON_AddArrayToObject(o, "meta");
	cJSON_AddItemToArray(m, cJSON_CreateString(rs_meta_status_name(fi->meta_status[0])));
	cJSON_AddItemToArray(m, cJSON_CreateString(rs_meta_status_name(fi->meta_status[1])));
	if (!fi->checked)
		return o;
	p = cJSON_AddObjectToObject(o, "pages");
	cJSON_AddItemToObject(p, "branch", np_json_u64(fi->stats.branch_pages));
	cJSON_AddItemToObject(p, "leaf", np_json_u64(fi->stats.leaf_pages));
	cJSON_AddItemToObject(p, "overflow", np_json_u64(fi->stats.overflow_pages));
	cJSON_AddItemToObject(p, "freelist", np_json_u64(fi->stats.freelist_pages));
	cJSON_AddItemToObject(p, "free", np_json_u64(fi->stats.free_pages));
	return o;
}

cJSON *np_json_stable(const struct rs_node *n)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "current_term",
	                      n->has_current_term ? np_json_u64(n->current_term)
	                                          : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "last_vote_term",
	                      n->has_last_vote_term ? np_json_u64(n->last_vote_term)
	                                            : cJSON_CreateNull());
	cJSON_AddItemToObject(
	    o, "last_vote_candidate",
	    n->has_last_vote_cand
	        ? np_json_strn(n->last_vote_cand, n->last_vote_cand_len < sizeof(n->last_vote_cand)
	                                              ? n->last_vote_cand_len
	                                              : strlen(n->last_vote_cand))
	        : cJSON_CreateNull());
	return o;
}

cJSON *np_json_log(const struct rs_node *n)
{
	cJSON *o = cJSON_CreateObject(), *t;
	char name[32];

	cJSON_AddItemToObject(o, "first_index", np_json_u64(n->first_index));
	cJSON_AddItemToObject(o, "last_index", np_json_u64(n->last_index));
	cJSON_AddItemToObject(o, "count", np_json_u64(n->count));
	cJSON_AddItemToObject(o, "last_term", np_json_u64(n->last_term));
	cJSON_AddItemToObject(o, "data_bytes", np_json_u64(n->data_bytes));
	cJSON_AddBoolToObject(o, "types_complete", n->types_complete);
	cJSON_AddItemToObject(o, "types_from", np_json_u64(n->count ? n->types_from : 0));
	cJSON_AddItemToObject(o, "scanned", np_json_u64(n->scanned));
	t = cJSON_AddObjectToObject(o, "types");
	for (int i = 0; i < RS_LOG_TYPE_COUNT; i++)
		cJSON_AddItemToObject(t, np_type_name((uint64_t)i, name, sizeof(name)),
		                      np_json_u64(n->types[i]));
	cJSON_AddItemToObject(t, "unknown", np_json_u64(n->types[RS_LOG_TYPE_COUNT]));
	return o;
}

cJSON *np_json_servers(const struct rs_config *c)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < c->n; i++) {
		const struct rs_server *s = &c->servers[i];
		const char *sn = rs_suffrage_name(s->suffrage);
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToObject(o, "id", np_json_strn(s->id, s->id_len));
		cJSON_AddItemToObject(o, "address", np_json_strn(s->address, s->address_len));
		if (sn != NULL)
			cJSON_AddStringToObject(o, "suffrage", sn);
		else
			cJSON_AddItemToObject(o, "suffrage", np_json_u64(s->suffrage));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

cJSON *np_json_config(const struct rs_node *n)
{
	cJSON *o = cJSON_CreateObject();

	switch (n->config_source) {
	case RS_CONFIG_LOG:
		cJSON_AddStringToObject(o, "source", "log");
		cJSON_AddItemToObject(o, "index", np_json_u64(n->config_index));
		cJSON_AddNullToObject(o, "snapshot");
		break;
	case RS_CONFIG_SNAPSHOT:
		cJSON_AddStringToObject(o, "source", "snapshot");
		cJSON_AddItemToObject(o, "index", np_json_u64(n->config_index));
		cJSON_AddStringToObject(o, "snapshot", n->config_snapshot);
		break;
	default:
		cJSON_AddStringToObject(o, "source", "none");
		cJSON_AddNullToObject(o, "index");
		cJSON_AddNullToObject(o, "snapshot");
	}
	cJSON_AddItemToObject(o, "servers", np_json_servers(&n->config));
	return o;
}

cJSON *np_json_snapshots(const struct rs_node *n, int with_crc)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n->snapshots.n; i++) {
		const struct rs_snapshot *s = &n->snapshots.v[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "name", s->name);
		cJSON_AddStringToObject(o, "id", s->id);
		cJSON_AddItemToObject(o, "index", np_json_u64(s->index));
		cJSON_AddItemToObject(o, "term", np_json_u64(s->term));
		cJSON_AddItemToObject(o, "size", np_json_u64(s->size));
		cJSON_AddItemToObject(o, "configuration_index", np_json_u64(s->config_index));
		if (with_crc) {
			if (s->checked)
				cJSON_AddBoolToObject(o, "crc_ok",
				                      s->has_crc && s->actual_crc == s->crc &&
				                          s->actual_size == s->size);
			else
				cJSON_AddNullToObject(o, "crc_ok");
		}
		if (s->problem[0] != '\0')
			cJSON_AddStringToObject(o, "problem", s->problem);
		else
			cJSON_AddNullToObject(o, "problem");
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

const char *np_hash_hex(const uint8_t h[32], char *buf, size_t size)
{
	if (size < 67) {
		if (size > 0)
			buf[0] = 0;
		return buf;
	}
	buf[0] = '0';
	buf[1] = 'x';
	for (int i = 0; i < 32; i++)
		(void)snprintf(buf + 2 + 2 * i, 3, "%02x", h[i]);
	return buf;
}

const char *np_snap_state_name(int state)
{
	switch (state) {
	case RS_SNAP_STATE_PAYLOAD:
		return "payload";
	case RS_SNAP_STATE_EMPTY:
		return "empty";
	case RS_SNAP_STATE_BAD:
		return "undecodable";
	case RS_SNAP_STATE_UNREAD:
		return "unreadable";
	default:
		return "none";
	}
}

cJSON *np_json_payload(const struct rs_block *b)
{
	char hex[67], when[64];
	cJSON *o;

	if (!b->found)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "number", np_json_u64(b->number));
	cJSON_AddStringToObject(o, "hash", np_hash_hex(b->hash, hex, sizeof(hex)));
	cJSON_AddStringToObject(o, "parent_hash", np_hash_hex(b->parent_hash, hex, sizeof(hex)));
	cJSON_AddItemToObject(o, "timestamp", np_json_u64(b->timestamp));
	cJSON_AddStringToObject(o, "time", np_unix_time(b->timestamp, when, sizeof(when)));
	cJSON_AddNumberToObject(o, "version", b->version);
	cJSON_AddStringToObject(o, "form", b->form == RS_PAYLOAD_LEGACY ? "legacy" : "envelope");
	cJSON_AddItemToObject(o, "transactions", np_json_u64(b->tx_count));
	if (b->source == RS_BLOCK_SNAPSHOT) {
		cJSON_AddStringToObject(o, "source", "snapshot");
		cJSON_AddNullToObject(o, "entry_index");
		cJSON_AddStringToObject(o, "snapshot", b->snapshot);
	} else {
		cJSON_AddStringToObject(o, "source", "log");
		cJSON_AddItemToObject(o, "entry_index", np_json_u64(b->entry_index));
		cJSON_AddNullToObject(o, "snapshot");
	}
	return o;
}

cJSON *np_json_head_scan(const struct rs_node *n)
{
	const struct rs_head *h = &n->head;
	cJSON *o = cJSON_CreateObject(), *ss;

	cJSON_AddItemToObject(o, "from", np_json_u64(h->from));
	cJSON_AddItemToObject(o, "to", np_json_u64(h->to));
	cJSON_AddBoolToObject(o, "complete", h->complete);
	cJSON_AddItemToObject(o, "commands", np_json_u64(h->commands));
	cJSON_AddItemToObject(o, "not_payloads", np_json_u64(h->not_payloads));
	cJSON_AddItemToObject(o, "legacy", np_json_u64(h->legacy));
	cJSON_AddItemToObject(o, "legacy_head", np_json_payload(&h->legacy_block));
	if (h->not_payloads > 0) {
		cJSON *b = cJSON_AddObjectToObject(o, "newest_not_payload");

		cJSON_AddItemToObject(b, "index", np_json_u64(h->first_bad));
		cJSON_AddStringToObject(b, "why", h->first_bad_why);
	} else {
		cJSON_AddNullToObject(o, "newest_not_payload");
	}
	ss = cJSON_AddObjectToObject(o, "snapshot_state");
	if (h->snap_name[0])
		cJSON_AddStringToObject(ss, "snapshot", h->snap_name);
	else
		cJSON_AddNullToObject(ss, "snapshot");
	cJSON_AddStringToObject(ss, "state", np_snap_state_name(h->snap_state));
	if (h->snap_why[0])
		cJSON_AddStringToObject(ss, "why", h->snap_why);
	else
		cJSON_AddNullToObject(ss, "why");
	cJSON_AddItemToObject(ss, "payload", np_json_payload(&h->snap_block));
	return o;
}

cJSON *np_json_terms(const struct rs_node *n)
{
	const struct rs_terms *t = &n->terms;
	cJSON *o, *a;

	if (!t->valid)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "complete", t->complete);
	a = cJSON_AddArrayToObject(o, "starts");
	for (size_t i = 0; i < t->n; i++) {
		cJSON *p = cJSON_CreateArray();

		cJSON_AddItemToArray(p, np_json_u64(t->v[i].index));
		cJSON_AddItemToArray(p, np_json_u64(t->v[i].term));
		cJSON_AddItemToArray(a, p);
	}
	return o;
}

void np_print_payload_line(FILE *out, const struct rs_block *b)
{
	char hex[67], when[64];

	fprintf(out, "%" PRIu64 " %s\n", b->number, np_hash_hex(b->hash, hex, sizeof(hex)));
	fprintf(out, "                 time %s (%" PRIu64 "), V%d%s, %u transaction%s, ",
	        np_unix_time(b->timestamp, when, sizeof(when)), b->timestamp, b->version,
	        b->form == RS_PAYLOAD_LEGACY ? " legacy (early-2024) form" : "", b->tx_count,
	        b->tx_count == 1 ? "" : "s");
	if (b->source == RS_BLOCK_SNAPSHOT)
		fprintf(out, "from snapshot %s\n", b->snapshot);
	else
		fprintf(out, "from entry %" PRIu64 "\n", b->entry_index);
}

void np_print_head(FILE *out, const struct rs_node *n)
{
	const struct rs_head *h = &n->head;

	fprintf(out, "  Unsafe head:   ");
	if (h->block.found)
		np_print_payload_line(out, &h->block);
	else
		fprintf(out, "none\n");
	if (h->block.found && h->block.form == RS_PAYLOAD_LEGACY)
		fprintf(out, "                 (the early-2024 form: today's op-conductor rejects "
		             "these entries and holds no head)\n");
	else if (h->legacy_block.found) {
		fprintf(out, "  Early-2024:    ");
		np_print_payload_line(out, &h->legacy_block);
		fprintf(out, "                 (the early-2024 form: today's op-conductor rejects "
		             "it; that era's FSM held this block)\n");
	}
	if (h->snap_state != RS_SNAP_STATE_NONE) {
		fprintf(out, "                 snapshot %s state.bin: ", h->snap_name);
		switch (h->snap_state) {
		case RS_SNAP_STATE_PAYLOAD:
			fprintf(out, "block %" PRIu64 "\n", h->snap_block.number);
			break;
		case RS_SNAP_STATE_EMPTY:
			fprintf(out, "empty (no unsafe head when it was taken)\n");
			break;
		case RS_SNAP_STATE_BAD:
			fprintf(out, "does not decode%s: op-conductor cannot restore it\n",
			        h->snap_block.found ? " (early-2024 legacy form)" : "");
			break;
		default:
			fprintf(out, "unreadable: %s\n", h->snap_why);
		}
	}
	if (h->from > h->to)
		fprintf(out, "                 log: no entry after the snapshot index\n");
	else if (h->peeked > 0)
		fprintf(out,
		        "                 log: entries %" PRIu64 "..%" PRIu64
		        " read (the newest %" PRIu64 " LogCommand in full, %" PRIu64
		        " not a payload; %" PRIu64 " older entries by block number)%s\n",
		        h->from, h->to, h->commands, h->not_payloads, h->peeked,
		        rs_node_newest_snapshot(n) ? ", all after the snapshot index"
		                                   : ", the whole log");
	else
		fprintf(out,
		        "                 log: entries %" PRIu64 "..%" PRIu64 " read (%" PRIu64
		        " LogCommand, %" PRIu64 " not a payload)%s\n",
		        h->from, h->to, h->commands, h->not_payloads,
		        !h->complete ? "; older ones not read (--full reads them all)"
		        : rs_node_newest_snapshot(n) ? ", all after the snapshot index"
		                                     : ", the whole log");
	{
		char msg[900];
		int lvl = rs_node_nil_head(n, RS_OPC_SNAPSHOT_THRESHOLD, "op-conductor's default",
		                           msg, sizeof(msg));

		if (lvl > 0)
			fprintf(out, "                 %s%s\n",
			        lvl == 2 ? "WARNING: " : "note: ", msg);
	}
}

/* ---- every string valid UTF-8 (docs/json.md, "Bytes that are not UTF-8") */

/* Bytes of the well-formed UTF-8 sequence at p (RFC 3629 table 3-7: no
 * overlong form, no surrogate, nothing above U+10FFFF); 0 when p starts
 * none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len, i;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* s with each byte that starts no UTF-8 sequence written as the character
 * of the same value (U+0080..U+00FF, two bytes); NULL when s is valid
 * already, or on allocation failure (*oom set). */
static char *utf8_fixed(const char *s, int *oom)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0, l;
	int bad = 0;
	char *out;

	for (i = 0; i < n; i += l ? l : 1)
		if ((l = utf8_len(p + i, n - i)) == 0)
			bad = 1;
	if (!bad)
		return NULL;
	if ((out = malloc(2 * n + 1)) == NULL) {
		*oom = 1;
		return NULL;
	}
	for (i = 0; i < n; i += l ? l : 1) {
		if ((l = utf8_len(p + i, n - i)) != 0) {
			memcpy(out + o, p + i, l);
			o += l;
		} else {
			out[o++] = (char)(0xc0 | (p[i] >> 6));
			out[o++] = (char)(0x80 | (p[i] & 0x3f));
		}
	}
	out[o] = '\0';
	return out;
}

/* Rewrites every string (and key) under item that is not UTF-8; a string
 * value in an object gets the sibling "<key>_hex" with its bytes. *fixed
 * counts them. -1 when out of memory. */
static int json_utf8(cJSON *item, int depth, int *fixed)
{
	static const char hex[] = "0123456789abcdef";
	int oom = 0;

	if (depth > 64) /* our own documents are a few levels deep */
		return 0;
	for (cJSON *c = item->child; c != NULL; c = c->next) {
		char *f;

		if (c->string != NULL && !(c->type & cJSON_StringIsConst) &&
		    (f = utf8_fixed(c->string, &oom)) != NULL) {
			cJSON_free(c->string);
			c->string = f; /* cJSON frees keys with its hooks: malloc here */
			(*fixed)++;
		}
		if (cJSON_IsString(c) && c->valuestring != NULL &&
		    (f = utf8_fixed(c->valuestring, &oom)) != NULL) {
			size_t n = strlen(c->valuestring), kl;
			char *h = malloc(2 * n + 1), *key = NULL;

			for (size_t i = 0; h != NULL && i < n; i++) {
				h[2 * i] = hex[(unsigned char)c->valuestring[i] >> 4];
				h[2 * i + 1] = hex[(unsigned char)c->valuestring[i] & 15];
			}
			if (h != NULL)
				h[2 * n] = '\0';
			if (c->type & cJSON_IsReference) /* not its own: now it is */
				c->type &= ~cJSON_IsReference;
			else
				cJSON_free(c->valuestring);
			c->valuestring = f;
			(*fixed)++;
			if (cJSON_IsObject(item) && c->string != NULL && h != NULL &&
			    (key = malloc((kl = strlen(c->string)) + 5)) != NULL) {
				memcpy(key, c->string, kl);
				memcpy(key + kl, "_hex", 5);
				/* appended at the end: the loop meets it later, and it is
				 * ASCII */
				if (!cJSON_AddStringToObject(item, key, h))
					oom = 1;
			} else if (h == NULL || (cJSON_IsObject(item) && c->string != NULL)) {
				oom = 1;
			}
			free(key);
			free(h);
		}
		if (oom || json_utf8(c, depth + 1, fixed) != 0)
			return -1;
	}
	return oom ? -1 : 0;
}

cJSON *np_json_problems(const struct rs_problems *p)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a != NULL && i < p->n; i++) {
		const struct rs_problem *pr = &p->v[i];
		cJSON *x = cJSON_CreateObject();

		cJSON_AddStringToObject(x, "severity",
		                        pr->severity == RS_PROBLEM ? "error" : "warning");
		cJSON_AddStringToObject(x, "file", pr->file);
		cJSON_AddStringToObject(x, "where", pr->where);
		cJSON_AddStringToObject(x, "reason", pr->reason);
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

char *np_json_render(cJSON *doc)
{
	cJSON *ver = cJSON_CreateNumber(NP_JSON_SCHEMA_VERSION);
	char *s = NULL;
	int fixed = 0;

	/* bytes read from disk may not be UTF-8: one rule for every document */
	if (doc != NULL && (json_utf8(doc, 0, &fixed) != 0 ||
	                    (fixed > 0 && !cJSON_AddTrueToObject(doc, "invalid_utf8")))) {
		cJSON_Delete(ver);
		cJSON_Delete(doc);
		return NULL;
	}

	/* first, so a reader sees the version before anything else; ver is
	 * ours again whenever it is not in doc */
	if (doc != NULL && ver != NULL && cJSON_AddItemToObject(doc, "schema_version", ver)) {
		ver = cJSON_DetachItemFromObjectCaseSensitive(doc, "schema_version");
		if (ver != NULL && cJSON_InsertItemInArray(doc, 0, ver)) {
			ver = NULL;
			s = cJSON_Print(doc);
		}
	}
	cJSON_Delete(ver);
	cJSON_Delete(doc);
	return s;
}

int np_json_emit(cJSON *doc)
{
	char *s = np_json_render(doc);

	if (s == NULL)
		return -1;
	oci_log_conf.json_emitted = 1;
	fputs(s, stdout);
	fputc('\n', stdout);
	free(s);
	return 0;
}

void np_print_errors(const struct rs_problems *p, const char *more_hint)
{
	size_t shown = 0;

	for (size_t i = 0; i < p->n && shown < 10; i++) {
		const struct rs_problem *pr = &p->v[i];

		if (pr->severity != RS_PROBLEM)
			continue;
		oci_detail(OCI_LVL_ERROR, "  %s%s%s%s%s", pr->file, pr->file[0] ? ": " : "",
		           pr->where, pr->where[0] ? ": " : "", pr->reason);
		shown++;
	}
	if (more_hint != NULL && p->errors > shown)
		oci_detail(OCI_LVL_ERROR, "  ... and %zu more (%s)", p->errors - shown, more_hint);
}

#define PROGRESS_MIN ((uint64_t)64 << 20)

static void tty_progress(void *ctx, const char *verb, const char *file, uint64_t done,
                         uint64_t total)
{
	(void)ctx;
	if (total < PROGRESS_MIN)
		return;
	oci_progress(verb, file, done, total);
}

const struct rs_progress *np_tty_progress(void)
{
	static const struct rs_progress tty = {.fn = tty_progress};

	return isatty(STDERR_FILENO) ? &tty : NULL;
}
