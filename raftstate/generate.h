/*
 * The state `raft generate` writes for one node, byte-identical to the Go
 * op-conductor-init (raft-boltdb NewBoltStore + StoreLog / SetUint64 / Set):
 *   raft-log.db     buckets logs+conf, logs[1] = LogConfiguration entry
 *                   {Index 1, Term term, zero AppendedAt, Data = config}
 *   raft-stable.db  buckets logs+conf, conf CurrentTerm = term; the initial
 *                   leader also gets LastVoteTerm = term (own tx) and
 *                   LastVoteCand = its server ID (own tx).
 */
#ifndef RAFTSTATE_GENERATE_H
#define RAFTSTATE_GENERATE_H

#include <stdint.h>

#include "raftstate/config.h"
#include "raftstate/error.h"
#include "raftstate/nodedir.h"

/* Writes RS_LOG_FILE and RS_STABLE_FILE into the existing directory
 * node_dir for server `self_id` (which votes for itself when it equals
 * leader_id). Each file is written to a fresh temporary name in node_dir
 * (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), fsynced, renamed over the final
 * name, and the directory fsynced. Existing files are replaced: the caller
 * decides whether that is allowed. On failure no temporary file remains. */
int rs_generate_node(const char *node_dir, const struct rs_config *cfg, const char *self_id,
                     const char *leader_id, uint64_t term, struct rs_err *err);

#endif
