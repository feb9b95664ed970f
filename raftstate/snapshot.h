/*
 * HashiCorp Raft's FileSnapshotStore, as it sits beside the .db files:
 *   <node>/snapshots/<term>-<index>-<unix-ms>/meta.json
 *   <node>/snapshots/<term>-<index>-<unix-ms>/state.bin
 * (in-progress snapshots end in ".tmp" and are ignored, as raft does).
 *
 * meta.json: {"Version":1,"ID":...,"Index":N,"Term":N,"Peers":<base64>,
 *   "Configuration":{"Servers":[{"Suffrage":0,"ID":...,"Address":...}]},
 *   "ConfigurationIndex":N,"Size":N,"CRC":<base64 of 8 bytes>}
 * CRC is the big-endian CRC-64/ECMA (Go hash/crc64 ECMA table, = CRC-64/XZ)
 * of state.bin; Size its length.
 */
#ifndef RAFTSTATE_SNAPSHOT_H
#define RAFTSTATE_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/config.h"
#include "raftstate/error.h"

struct rs_snapshot {
	char name[256]; /* directory name */
	char id[256];   /* ID from meta.json */
	uint64_t version, index, term, config_index, size;
	struct rs_config config;
	int has_crc;
	uint64_t crc; /* from meta.json */
	/* filled by rs_snapshot_check */
	int checked;
	uint64_t actual_size, actual_crc;
	char problem[320]; /* empty when the snapshot is sound */
};

struct rs_snapshots {
	struct rs_snapshot *v; /* newest first: by term, index, then name */
	size_t n;
	/* <name>.tmp directories: snapshots raft began and never finished (a
	 * failed Persist, a process that died); raft ignores them at start and
	 * never removes them (file_snapshot.go getSnapshots, reapSnapshots) */
	size_t tmp_count;
	char tmp_name[256]; /* the greatest such name */
};

/* CRC-64/ECMA as Go's hash/crc64 with the ECMA table. */
uint64_t rs_crc64_update(uint64_t crc, const void *p, size_t n);

/* Lists and parses <node_dir>/snapshots/. A missing directory is no
 * snapshots. A snapshot whose meta.json is unreadable or malformed is kept
 * with `problem` set. With verify_data, state.bin's size and CRC are
 * checked too (reads every byte). Bounded: at most 1024 entries. */
int rs_snapshots_load(const char *node_dir, int verify_data, struct rs_snapshots *out,
                      struct rs_err *err);
void rs_snapshots_free(struct rs_snapshots *s);

/* Reads <node_dir>/snapshots/<s->name>/state.bin whole (at most max bytes)
 * into a new buffer (*buf, *len; free it). RS_ELIMIT when larger, RS_EIO
 * when it cannot be opened or read (O_NOFOLLOW, a regular file only). */
int rs_snapshot_read_state(const char *node_dir, const struct rs_snapshot *s, size_t max,
                           uint8_t **buf, size_t *len, struct rs_err *err);

/* Parses one meta.json text (len bytes). */
int rs_snapshot_parse_meta(const char *text, size_t len, struct rs_snapshot *out,
                           struct rs_err *err);

#endif
