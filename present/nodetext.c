/* A node as text: see nodetext.h. */
#include "present/nodetext.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "present/report.h"

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

const char *np_suffrage_text(uint64_t suffrage, char *buf, size_t size)
{
	const char *name = rs_suffrage_name(suffrage);

	if (name != NULL)
		return name;
	(void)snprintf(buf, size, "Suffrage(%" PRIu64 ")", suffrage);
	return buf;
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
		fprintf(out, "%s%-*s  %-*s  %s\n", ind, wid,
		        np_str(s->id, s->id_len, id, sizeof(id)), waddr,
		        np_str(s->address, s->address_len, addr, sizeof(addr)),
		        np_suffrage_text(s->suffrage, suff, sizeof(suff)));
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

const char *np_hash_hex(const uint8_t h[32], char *buf, size_t size)
{
	if (size < 67) {
		if (size > 0)
			buf[0] = 0;
		return buf;
	}
	static const char hex[] = "0123456789abcdef";

	buf[0] = '0';
	buf[1] = 'x';
	for (int i = 0; i < 32; i++) {
		buf[2 + 2 * i] = hex[h[i] >> 4];
		buf[3 + 2 * i] = hex[h[i] & 15];
	}
	buf[66] = '\0';
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
