/*
 * raft info shown as text: one screen about a node (who it is and whether
 * it votes, term and vote, log, configuration, snapshots, the unsafe head),
 * and the listed entries, as text or as the "entries" of its --json
 * document (docs/json.md; the node object itself is present/nodejson.c's).
 */
#include <inttypes.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "present/info.h"
#include "present/jsonout.h"
#include "present/nodejson.h"
#include "present/nodetext.h"
#include "raftstate/payload.h"

static const char *role_text(const struct rs_node *n)
{
	const struct rs_server *me = np_self_member(n);

	if (n->config_source == RS_CONFIG_NONE)
		return "membership unknown (no configuration found)";
	if (me == NULL)
		return "not a member of the configuration";
	switch (me->suffrage) {
	case RS_VOTER:
		return "Voter";
	case RS_NONVOTER:
		return "Nonvoter (does not vote)";
	case RS_STAGING:
		return "Staging (does not vote yet)";
	default:
		return "member with an unknown suffrage";
	}
}

int np_info_entry(void *ctx, const struct rs_log *log, const struct rs_config *cfg)
{
	struct np_info_entries *c = ctx;
	char type[32], when[64], hex[67], why[240];
	struct rs_block b = {0};
	int form = log->type == RS_LOG_COMMAND
	               ? rs_payload_decode(log->data, log->data_len, &b, why, sizeof(why))
	               : RS_PAYLOAD_NONE;

	c->n++;
	np_type_name(log->type, type, sizeof(type));
	if (log->appended_at_present)
		np_time(&log->appended_at, when, sizeof(when));
	else
		(void)snprintf(when, sizeof(when), "-");
	if (c->json != NULL) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToObject(o, "index", np_json_u64(log->index));
		cJSON_AddItemToObject(o, "term", np_json_u64(log->term));
		cJSON_AddStringToObject(o, "type", type);
		cJSON_AddItemToObject(o, "data_size", np_json_u64(log->data_len));
		if (log->appended_at_present)
			cJSON_AddStringToObject(o, "appended_at", when);
		else
			cJSON_AddNullToObject(o, "appended_at");
		if (cfg != NULL)
			cJSON_AddItemToObject(o, "configuration", np_json_servers(cfg));
		if (log->type == RS_LOG_COMMAND) {
			b.source = RS_BLOCK_LOG;
			b.entry_index = log->index;
			cJSON_AddItemToObject(o, "payload", np_json_payload(&b));
			if (form == RS_PAYLOAD_NONE)
				cJSON_AddStringToObject(o, "not_payload", why);
		}
		cJSON_AddItemToArray(c->json, o);
		return 0;
	}
	printf("  %10" PRIu64 "  %6" PRIu64 "  %-16s  %9zu  %s", log->index, log->term, type,
	       log->data_len, when);
	if (form != RS_PAYLOAD_NONE)
		printf("  block %" PRIu64 " %.12s%s", b.number,
		       np_hash_hex(b.hash, hex, sizeof(hex)),
		       form == RS_PAYLOAD_LEGACY ? " (legacy form)" : "");
	else if (log->type == RS_LOG_COMMAND)
		printf("  not a payload");
	printf("\n");
	if (cfg != NULL)
		np_print_servers(stdout, "              ", cfg);
	else if (log->type == RS_LOG_CONFIGURATION)
		printf("              (the configuration does not decode; run verify)\n");
	return 0;
}

void np_info_text(const struct rs_node *n)
{
	char vote[700];

	printf("Node %s (%s): %s\n", n->id, n->dir, role_text(n));
	if (n->has_current_term)
		printf("  CurrentTerm:   %" PRIu64 "\n", n->current_term);
	else
		printf("  CurrentTerm:   not set (raft starts at 0)\n");
	if (n->has_last_vote_term || n->has_last_vote_cand) {
		printf("  Vote:          ");
		if (n->has_last_vote_term)
			printf("term %" PRIu64, n->last_vote_term);
		else
			printf("term not set");
		if (n->has_last_vote_cand)
			printf(" for %s\n", np_vote_text(n, vote, sizeof(vote)));
		else
			printf(", no candidate recorded\n");
	} else {
		printf("  Vote:          none recorded\n");
	}
	np_print_log(stdout, "  Log:           ", "empty", n);
	np_print_types(stdout, "  ", "Entry types:   ", "Data bytes:    ", n);
	printf("  Configuration: ");
	np_print_config_source(stdout, n);
	printf("\n");
	if (n->config_source != RS_CONFIG_NONE)
		np_print_servers(stdout, "    ", &n->config);
	printf("  Snapshots:\n");
	np_print_snapshots(stdout, "    ", n, 0);
	np_print_head(stdout, n);
}
