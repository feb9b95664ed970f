/*
 * raft logs' lines: each entry as one NDJSON object on stdout (index,
 * term, type, time, size, the payload's facts, and with --payload json the
 * envelope in op-node's JSON form from raftstate/payload.h). The reading is
 * raftstate/logread.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "present/logs.h"
#include "present/nodetext.h"

int np_logs_entry(void *ctx, const struct rs_log *log, int form, const struct rs_block *b)
{
	struct np_logs_out *o = ctx;
	char tn[32], tm[64], hex[67];

	printf("{\"index\":%" PRIu64 ",\"term\":%" PRIu64 ",\"type\":\"%s\",\"appended_at\":",
	       log->index, log->term, np_type_name(log->type, tn, sizeof(tn)));
	if (log->appended_at_present)
		printf("\"%s\"", np_time(&log->appended_at, tm, sizeof(tm)));
	else
		fputs("null", stdout);
	printf(",\"data_size\":%zu,\"payload\":", log->data_len);
	if (form == RS_PAYLOAD_NONE) {
		fputs("null", stdout);
	} else {
		printf("{\"form\":\"%s\",\"version\":%d,\"block_number\":%" PRIu64 ",\"hash\":\"",
		       form == RS_PAYLOAD_ENVELOPE ? "envelope" : "legacy", b->version, b->number);
		fputs(np_hash_hex(b->hash, hex, sizeof(hex)), stdout);
		fputs("\",\"parent_hash\":\"", stdout);
		fputs(np_hash_hex(b->parent_hash, hex, sizeof(hex)), stdout);
		printf("\",\"timestamp\":%" PRIu64 ",\"gas_used\":%" PRIu64
		       ",\"transactions\":%u,\"withdrawals\":%u}",
		       b->timestamp, b->gas_used, b->tx_count, b->withdrawals);
	}
	if (o->json && form != RS_PAYLOAD_NONE) {
		size_t need = rs_payload_json_bound(log->data_len, b), n;

		if (need > o->cap) {
			char *p = realloc(o->buf, need);

			if (p == NULL)
				return -1;
			o->buf = p;
			o->cap = need;
		}
		n = rs_payload_json(log->data, log->data_len, b, o->buf);
		fputs(",\"envelope\":", stdout);
		fwrite(o->buf, 1, n, stdout);
	}
	fputs("}\n", stdout);
	if (ferror(stdout)) {
		o->failed = 1;
		return -1;
	}
	return 0;
}
