/*
 * The cluster as a JSON document, read by `raft generate --config FILE` and
 * written by `raft generate` as OUTPUT_DIR/cluster.json:
 *
 *   {
 *     "tool": "op-conductor-init", "version": "0.1.0",   (written; ignored on input)
 *     "network": "op-mainnet",                           (optional)
 *     "initial_term": 1,                                 (optional, integer >= 1;
 *                                                         a decimal string for > 2^53)
 *     "initial_leader": "sequencer-1",
 *     "nodes": [ {"id": "sequencer-1", "address": "host:50050",
 *                 "suffrage": "voter" | "nonvoter"}, ... ],   (suffrage optional)
 *     "formed": true,                                    (optional, default false: the
 *                                                         cluster has run; generate then
 *                                                         writes no node: raft owns them)
 *     "node_id": "sequencer-1",                          (written with --node-id; ignored)
 *     "files": [ {"path": "sequencer-1/raft-log.db", "size": 32768,
 *                 "sha256": "<64 hex>"}, ... ]           (written; ignored on input)
 *   }
 *
 * Unknown keys are errors (a typo must not silently drop a setting), and
 * every error names the JSON path at fault: "FILE: nodes[2].address must be
 * a string". A cluster.json written by this tool is a valid --config.
 */
#ifndef RAFTSTATE_CLUSTERFILE_H
#define RAFTSTATE_CLUSTERFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "raftstate/cluster.h"

#define RS_CLUSTER_JSON "cluster.json"

struct rs_cluster_file {
	struct rs_members ms; /* unvalidated; has_nodes says whether "nodes" was given */
	int has_nodes;
	char *leader;  /* NULL: not given */
	char *network; /* NULL: not given */
	int has_term;
	uint64_t term;
	int formed; /* "formed": true: generate writes nothing for this cluster */
};

enum {
	RS_CLUSTER_FILE_OK = 0,
	RS_CLUSTER_FILE_EIO = -1,      /* cannot read it (errno kept in the message) */
	RS_CLUSTER_FILE_EINVALID = -2, /* not the document described above */
	RS_CLUSTER_FILE_ENOMEM = -3,   /* out of memory: nothing known about it */
};

/* Reads and checks the document's shape (not the values: present/members.h does
 * that). Returns RS_CLUSTER_FILE_*; on error `msg` holds one sentence starting
 * with the file name. `out` must be freed with rs_cluster_file_free either way. */
int rs_cluster_file_load(const char *path, struct rs_cluster_file *out, char *msg, size_t msgsize);
/* The same for a document in memory (name: how messages call it). */
int rs_cluster_file_parse(const char *text, size_t len, const char *name,
                          struct rs_cluster_file *out, char *msg, size_t msgsize);
void rs_cluster_file_free(struct rs_cluster_file *cf);

/* One file recorded in cluster.json. */
struct rs_cluster_file_entry {
	char path[600]; /* relative to OUTPUT_DIR */
	uint64_t size;
	char sha256[65];
};

/* SHA-256 (libmd) and size of a regular file, read with O_NOFOLLOW. */
int rs_cluster_hash_file(const char *path, struct rs_cluster_file_entry *out, char *msg,
                         size_t msgsize);

struct rs_cluster_record {
	const struct rs_members *ms;
	uint64_t term;
	const char *network; /* NULL: recorded as null */
	const char *node_id; /* NULL: all nodes were written */
	const struct rs_cluster_file_entry *files;
	size_t nfiles;
};

/* Writes OUTPUT_DIR/cluster.json atomically (temporary file, fsync, chown
 * when uid/gid != -1, rename, fsync OUTPUT_DIR), mode 0644. */
int rs_cluster_json_write(const char *outdir, const struct rs_cluster_record *rec, uid_t uid,
                          gid_t gid, char *msg, size_t msgsize);

#endif
