/*
 * What raft-boltdb keeps besides the log entries.
 *
 * Both files of a node hold the buckets `logs` and `conf`.
 *   logs  key = log index as 8 bytes big-endian, value = msgpack raft.Log
 *   conf  the stable store:
 *           CurrentTerm    8 bytes big-endian
 *           LastVoteTerm   8 bytes big-endian
 *           LastVoteCand   raw bytes: the Go tool writes the server ID,
 *                          raft itself writes the candidate's address
 */
#ifndef RAFTSTATE_STABLE_H
#define RAFTSTATE_STABLE_H

#include <stdint.h>

#define RS_BUCKET_LOGS        "logs"
#define RS_BUCKET_CONF        "conf"
#define RS_KEY_CURRENT_TERM   "CurrentTerm"
#define RS_KEY_LAST_VOTE_TERM "LastVoteTerm"
#define RS_KEY_LAST_VOTE_CAND "LastVoteCand"

static inline void rs_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Spelled out so that compilers emit one byte-swapped load (the log scan
 * calls this for every key). */
static inline uint64_t rs_be64(const uint8_t *p)
{
	return (uint64_t)p[0] << 56 | (uint64_t)p[1] << 48 | (uint64_t)p[2] << 40 |
	       (uint64_t)p[3] << 32 | (uint64_t)p[4] << 24 | (uint64_t)p[5] << 16 |
	       (uint64_t)p[6] << 8 | (uint64_t)p[7];
}

#endif
