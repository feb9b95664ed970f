/*
 * raft logs: a node's log entries as NDJSON, one entry per line, with the
 * payload op-conductor stored in each LogCommand entry, and with
 * --payload json the whole envelope in op-node's JSON form, ready for
 * admin_postUnsafePayload. The engine is raftstate/logread.h (ranges, the
 * block-number search, live reads, bounded memory); the envelope's JSON is
 * raftstate/payload.h's. Here: parse, render each line, say on stderr what
 * the reader noticed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/command.h"
#include "present/flags.h"
#include "present/logs.h"
#include "present/nodeflags.h"
#include "present/report.h"
#include "raftstate/log.h"
#include "raftstate/logread.h"

enum {
	F_STATE_DIR,
	F_FROM,
	F_TO,
	F_FROM_BLOCK,
	F_TO_BLOCK,
	F_TYPE,
	F_PAYLOAD,
	F_LIVE,
	F_TIMEOUT,
	F_COUNT,
};

static int payload_check(const char *s)
{
	return strcmp(s, "none") != 0 && strcmp(s, "json") != 0;
}

static const struct flag_spec logs_flags[F_COUNT] = {
    [F_STATE_DIR] = {.name = "state-dir",
                     .kind = FLAG_STRING,
                     .metavar = "DIR",
                     .required = 1,
                     .help = "The node directory (<raft.storage-dir>/<server-id>)"},
    [F_FROM] = {.name = "from",
                .kind = FLAG_UINT64,
                .metavar = "INDEX",
                .help = "First log index to print (default: the first entry)"},
    [F_TO] = {.name = "to",
              .kind = FLAG_UINT64,
              .metavar = "INDEX",
              .help = "Last log index to print (default: the last entry)"},
    [F_FROM_BLOCK] = {.name = "from-block",
                      .kind = FLAG_UINT64,
                      .metavar = "N",
                      .help = "Only payloads of block N or later (found by binary search)"},
    [F_TO_BLOCK] = {.name = "to-block",
                    .kind = FLAG_UINT64,
                    .metavar = "N",
                    .help = "Only payloads up to block N"},
    [F_TYPE] = {.name = "type",
                .kind = FLAG_STRING,
                .metavar = "TYPE,...",
                .help = "Only entries of these types (LogCommand, LogNoop, LogBarrier,\n"
                        "                           LogConfiguration, ... or numbers)"},
    [F_PAYLOAD] = {.name = "payload",
                   .kind = FLAG_STRING,
                   .metavar = "none|json",
                   .def = "none",
                   .help = "json: add each payload's whole envelope in op-node's JSON form",
                   .check = payload_check,
                   .accepts = "none or json"},
    [F_LIVE] = {.name = "live",
                .kind = FLAG_BOOL,
                .def = "false",
                .help = "Read while op-conductor runs (no lock; each batch read settled)"},
    [F_TIMEOUT] = NP_FLAG_LOCK_TIMEOUT,
};

#define TYPE_NAMES "LogCommand, LogNoop, LogBarrier, LogConfiguration, ... or a number 0..255"

/* --type: names as raft prints them (any case) or numbers; a bit mask. On
 * an error bad holds what is wrong, a sentence after "--type: ". */
static int parse_types(const char *list, uint64_t *mask, char *bad, size_t bad_size)
{
	char buf[512], *save = NULL, *tok;

	*mask = 0;
	if (strlen(list) >= sizeof(buf)) {
		(void)snprintf(bad, bad_size, "the list is longer than %zu bytes; name fewer types",
		               sizeof(buf) - 1);
		return -1;
	}
	memcpy(buf, list, strlen(list) + 1);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long long n;
		int found = 0;

		while (*tok == ' ')
			tok++;
		for (uint64_t t = 0; t < RS_LOG_TYPE_COUNT && !found; t++)
			if (strcasecmp(tok, rs_log_type_name(t)) == 0) {
				*mask |= UINT64_C(1) << t;
				found = 1;
			}
		if (found)
			continue;
		errno = 0;
		n = strtoull(tok, &end, 10);
		if (*tok == '\0' || *end != '\0' || errno != 0 || n > 255) {
			char q[256];

			(void)snprintf(bad, bad_size, "%s is not a log type (" TYPE_NAMES ")",
			               oci_quote(q, sizeof(q), tok, strlen(tok)));
			return -1;
		}
		*mask |= UINT64_C(1) << (n < RS_LOG_TYPE_COUNT ? n : 63);
	}
	if (*mask == 0) {
		(void)snprintf(bad, bad_size, "names no log type; give one or more of " TYPE_NAMES);
		return -1;
	}
	return 0;
}

static int run_logs(const struct oci_command *cmd, const struct flag_set *fs)
{
	const struct flag_value *v = fs->v;
	struct rs_logs_opts o = {
	    .lock_timeout = np_timeout_value(v[F_TIMEOUT].str),
	    .live = v[F_LIVE].b,
	    .from = flags_given(&v[F_FROM]) ? v[F_FROM].u : 0,
	    .to = flags_given(&v[F_TO]) ? v[F_TO].u : UINT64_MAX,
	    .has_from_block = flags_given(&v[F_FROM_BLOCK]) != NULL,
	    .from_block = v[F_FROM_BLOCK].u,
	    .has_to_block = flags_given(&v[F_TO_BLOCK]) != NULL,
	    .to_block = v[F_TO_BLOCK].u,
	};
	struct np_logs_out out = {.json = strcmp(v[F_PAYLOAD].str, "json") == 0};
	struct rs_logs_stats st;
	struct rs_err err = {0};
	static char obuf[1 << 20];
	char bad[512];
	int rc;

	if (v[F_STATE_DIR].str[0] == '\0')
		return oci_usage(cmd, "--state-dir is empty");
	if (o.from > o.to)
		return oci_usage(
		    cmd, "--from %" PRIu64 " is above --to %" PRIu64 "; give --from <= --to",
		    o.from, o.to);
	if (o.has_from_block && o.has_to_block && o.from_block > o.to_block)
		return oci_usage(cmd,
		                 "--from-block %" PRIu64 " is above --to-block %" PRIu64
		                 "; give --from-block <= --to-block",
		                 o.from_block, o.to_block);
	if (flags_given(&v[F_TYPE]) && parse_types(v[F_TYPE].str, &o.types, bad, sizeof(bad)) != 0)
		return oci_usage(cmd, "--type: %s", bad);
	(void)setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	rc = rs_logs_read(v[F_STATE_DIR].str, &o, np_logs_entry, &out, &st, &err);
	free(out.buf);
	if (fflush(stdout) != 0 || out.failed)
		return oci_fail(cmd, "cannot write the entries to stdout: %s",
		                rs_errno_text(errno).s);
	if (rc < 0)
		return oci_fail(cmd, "out of memory rendering a payload");
	if (rc != RS_OK)
		return oci_fail(cmd, "%s%s", err.msg, np_err_fix(cmd, &err, v[F_STATE_DIR].str).s);
	if (st.decreased && (o.has_from_block || o.has_to_block))
		oci_note(cmd,
		         "block numbers decrease at index %" PRIu64 " (%" PRIu64 " after %" PRIu64
		         "); the block range assumes they do not, so payloads in range before "
		         "index %" PRIu64 " or after the stop may be missing; use --from/--to "
		         "for every entry",
		         st.decrease_index, st.decrease_to, st.decrease_from, st.start_index);
	return OCI_EXIT_OK;
}

const struct oci_command oci_cmd_raft_logs = {
    .group = "raft",
    .name = "logs",
    .summary = "Print a node's log entries and payloads as NDJSON (one entry per line)",
    .synopsis = "--state-dir NODE_DIR [--from INDEX] [--to INDEX] [--from-block N]\n"
                "           [--to-block N] [--type TYPE,...] [--payload none|json] [--live]\n"
                "           [--timeout SECONDS]",
    .description =
        "One JSON object per line, oldest first: index, term, type, appended_at,\n"
        "data_size and, for a LogCommand entry holding an unsafe payload, its form,\n"
        "version, block number, hash, parent hash, timestamp, gas used and transaction\n"
        "and withdrawal counts (\"payload\", else null). --payload json adds\n"
        "\"envelope\": the ExecutionPayloadEnvelope in op-node's JSON form, the params\n"
        "of admin_postUnsafePayload. --from/--to select by index; --from-block and\n"
        "--to-block select payloads by block number (only payload entries are printed),\n"
        "the start found by binary search, which assumes block numbers do not decrease\n"
        "along the log (a note on stderr says where they do), then every entry to the\n"
        "end of the index range read. Memory stays bounded\n"
        "whatever the range. The read holds a shared lock on raft-log.db (so\n"
        "op-conductor cannot start meanwhile); --live reads without it while\n"
        "op-conductor runs, each batch of entries checked to be settled.",
    .flags = logs_flags,
    .nflags = F_COUNT,
    .max_args = 0,
    .run = run_logs,
};
