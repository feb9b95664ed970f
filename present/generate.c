/*
 * raft generate shown as text: what was written and what to do next. Its
 * --json document stays
 * in cmd/generate.c: it hashes the files written (rs_cluster_hash_file),
 * and present/ reads no file.
 */
#include <stdint.h>
#include <stdio.h>

#include "present/generate.h"
#include "raftstate/clusterfile.h"
#include "raftstate/nodedir.h"

static void print_summary(const char *outdir, const struct rs_members *ms,
                          const unsigned char *written, uint64_t term, const char *network,
                          int cluster_json)
{
	size_t i, n = 0;

	for (i = 0; i < ms->n; i++)
		n += written[i];
	printf("Generated Raft state for %zu node%s in %s (initial term %llu%s%s):\n", n,
	       n == 1 ? "" : "s", outdir, (unsigned long long)term,
	       network != NULL && *network != '\0' ? ", network " : "",
	       network != NULL ? network : "");
	for (i = 0; i < ms->n; i++) {
		if (!written[i])
			continue;
		printf("  %s/%s/%s\n", outdir, ms->m[i].id, RS_LOG_FILE);
		printf("  %s/%s/%s%s\n", outdir, ms->m[i].id, RS_STABLE_FILE,
		       i == ms->leader ? "   (records a vote for itself)" : "");
	}
	if (cluster_json)
		printf("  %s/%s   (what was generated, with sha256 of each file)\n", outdir,
		       RS_CLUSTER_JSON);
	printf("\n"
	       "Next steps:\n"
	       "  1. Copy each %s/<server-id>/ directory into that sequencer's --raft.storage.dir\n"
	       "     volume under the same name: op-conductor reads "
	       "<raft.storage.dir>/<raft.server.id>/,\n"
	       "     so each node's --raft.server.id must be its <server-id>.\n"
	       "  2. Configure op-conductor on every node with --raft.bootstrap=false.\n"
	       "  3. Start all nodes.\n"
	       "\n"
	       "Note: the vote recorded for %s does NOT choose the first leader. Every voter\n"
	       "starts at term %llu and campaigns at term %llu%s when its election timer fires;\n"
	       "any node may win the first election.\n",
	       outdir, ms->m[ms->leader].id, (unsigned long long)term,
	       (unsigned long long)(term + 1),
	       term == UINT64_MAX ? " (it wraps: no term can follow the largest one)" : "");
}

void np_generate_done(const struct rs_generate_plan *p, const struct rs_members *ms, uint64_t term,
                      const char *network)
{
	print_summary(p->outdir, ms, p->written, term, network, p->cluster_json);
	if (p->keep_root[0] != '\0')
		printf("The replaced state (snapshots/ included) was kept in: %s\n", p->keep_root);
	if (p->put.salvaged > 0)
		printf("Note: %zu stage%s left by an interrupted run (holding files the state does "
		       "not have) kept in: %s\n",
		       p->put.salvaged, p->put.salvaged == 1 ? "" : "s", p->put.salvaged_to);
}
