/*
 * Test-only: summarizes each node directory given twice, as `raft info`
 * does (rs_node_summarize), once with the fast scan (pread, two threads)
 * and once with the scan through the mapping, and prints what each found,
 * field by field, then whether the two agree (exit 1 when they do not).
 *
 * usage: scanboth DIR...
 * Each DIR's line says "fast N preads H hints" when the fast scan answered
 * (N > 0; H: its posix_fadvise calls, made while the file reads cold)
 * or "mapped" when it handed the log back to the scan through the mapping.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftstate/summary.h"

static void put_block(FILE *f, const char *what, const struct rs_block *b)
{
	fprintf(f,
	        "%s found=%d form=%d version=%d number=%" PRIu64 " time=%" PRIu64 " gas=%" PRIu64
	        " txs=%u wd=%u extra=%u size=%zu source=%d entry=%" PRIu64 " hash=",
	        what, b->found, b->form, b->version, b->number, b->timestamp, b->gas_used,
	        b->tx_count, b->withdrawals, b->extra_len, b->size, b->source, b->entry_index);
	for (int i = 0; i < 32; i++)
		fprintf(f, "%02x", b->hash[i]);
	fprintf(f, " parent=");
	for (int i = 0; i < 32; i++)
		fprintf(f, "%02x", b->parent_hash[i]);
	fprintf(f, "\n");
}

/* Everything info, compare and verify's summary take from the log. */
static char *digest(const char *dir, int no_fast, int *rc, uint64_t *preads, uint64_t *hints)
{
	struct rs_summary_opts o = {.lock_timeout = 5.0, .no_fast = no_fast};
	struct rs_node *n = calloc(1, sizeof(*n));
	struct rs_err err = {0};
	const struct rs_head *h = &n->head;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (n == NULL || f == NULL)
		exit(2);
	*rc = rs_node_summarize(dir, &o, n, &err);
	*preads = n->scan_preads;
	*hints = n->scan_hints;
	fprintf(f, "rc=%d err=%s partial=%d\n", *rc, err.msg, n->partial);
	fprintf(f,
	        "log %" PRIu64 "..%" PRIu64 " count=%" PRIu64 " scanned=%" PRIu64
	        " last_term=%" PRIu64 " data=%" PRIu64 " complete=%d from=%" PRIu64 "\n",
	        n->first_index, n->last_index, n->count, n->scanned, n->last_term, n->data_bytes,
	        n->types_complete, n->types_from);
	for (int t = 0; t <= RS_LOG_TYPE_COUNT; t++)
		fprintf(f, "type%d=%" PRIu64 " ", t, n->types[t]);
	fprintf(f,
	        "\nconfig source=%d index=%" PRIu64 " snapshot=%s servers=%zu shadowed=%d/%" PRIu64
	        "/%d\n",
	        n->config_source, n->config_index, n->config_snapshot, n->config.n,
	        n->shadowed_config, n->shadowed_index, n->shadowed_differs);
	for (size_t i = 0; i < n->config.n; i++)
		fprintf(f, "  server %.*s %.*s %" PRIu64 "\n", (int)n->config.servers[i].id_len,
		        n->config.servers[i].id, (int)n->config.servers[i].address_len,
		        n->config.servers[i].address, n->config.servers[i].suffrage);
	put_block(f, "head", &h->block);
	put_block(f, "legacy", &h->legacy_block);
	put_block(f, "snap", &h->snap_block);
	fprintf(f,
	        "head from=%" PRIu64 " to=%" PRIu64 " complete=%d commands=%" PRIu64
	        " not_payloads=%" PRIu64 " legacy=%" PRIu64 " peeked=%" PRIu64 " first_bad=%" PRIu64
	        " why=%s snap_state=%d\n",
	        h->from, h->to, h->complete, h->commands, h->not_payloads, h->legacy, h->peeked,
	        h->first_bad, h->first_bad_why, h->snap_state);
	fprintf(f, "terms valid=%d complete=%d n=%zu:", n->terms.valid, n->terms.complete,
	        n->terms.n);
	for (size_t i = 0; i < n->terms.n; i++)
		fprintf(f, " %" PRIu64 "@%" PRIu64, n->terms.v[i].term, n->terms.v[i].index);
	fprintf(f, "\n");
	fclose(f);
	rs_node_free(n);
	free(n);
	return buf;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: scanboth DIR...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int rf, rm;
		uint64_t pf, pm, hf, hm;
		char *fast = digest(argv[i], 0, &rf, &pf, &hf),
		     *mapped = digest(argv[i], 1, &rm, &pm, &hm);

		if (pm != 0) {
			fprintf(stderr, "scanboth: %s: the mapped scan made %" PRIu64 " preads\n",
			        argv[i], pm);
			bad = 1;
		}
		if (strcmp(fast, mapped) != 0) {
			printf("%s: DIFFER\n--- fast\n%s--- mapped\n%s", argv[i], fast, mapped);
			bad = 1;
		} else if (pf > 0) {
			printf("%s: same, fast %" PRIu64 " preads %" PRIu64 " hints\n", argv[i], pf,
			       hf);
		} else {
			printf("%s: same, mapped\n", argv[i]);
		}
		free(fast);
		free(mapped);
	}
	return bad;
}
