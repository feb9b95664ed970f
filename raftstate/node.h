/*
 * The state of one op-conductor node directory, as raft reads it when it
 * starts: <dir>/raft-log.db (LogStore, bucket `logs`), <dir>/raft-stable.db
 * (StableStore, bucket `conf`), <dir>/snapshots/.
 *
 * Two ways to load it:
 *   rs_verify_node()     (verify.h) every page and every entry, with the
 *                        structural check; collects problems;
 *   rs_node_summarize()  what an operator needs on one screen, touching as
 *                        little of a multi-GB log as possible: the stable
 *                        keys, the first and last entries, and a backward
 *                        scan from the last entry that stops at the newest
 *                        configuration entry or at the newest snapshot.
 */
#ifndef RAFTSTATE_NODE_H
#define RAFTSTATE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "bolt/check.h"
#include "raftstate/config.h"
#include "raftstate/error.h"
#include "raftstate/log.h"
#include "raftstate/payload.h"
#include "raftstate/raftrules.h"
#include "raftstate/snapshot.h"

enum rs_config_source {
	RS_CONFIG_NONE = 0,
	RS_CONFIG_LOG = 1,      /* config_index is the entry holding it */
	RS_CONFIG_SNAPSHOT = 2, /* config_snapshot names the snapshot */
};

struct rs_file_info {
	int present;          /* the file exists and opened as a bolt file */
	int exists;           /* verify: the file exists (present or not) */
	char unreadable[200]; /* verify: it exists but does not open as a bolt file: why */
	uint64_t file_size;   /* bytes */
	uint32_t page_size;
	uint64_t txid;      /* active meta */
	uint64_t hwm;       /* high-water mark in pages */
	int active_meta;    /* 0 or 1 */
	int meta_status[2]; /* enum bolt_meta_status */
	int checked;        /* stats below are filled (verify only) */
	struct bolt_check_stats stats;
};

/* The unsafe head op-conductor's FSM holds once raft has started: the newest
 * snapshot's state.bin (raft_fsm.go Restore), then every LogCommand entry
 * after the snapshot's index (Apply keeps the payload with the highest block
 * number; an equal or lower one is ignored). */
enum rs_snap_state {
	RS_SNAP_STATE_NONE = 0,    /* no usable snapshot: nothing to restore */
	RS_SNAP_STATE_PAYLOAD = 1, /* state.bin decodes (V4 or V3 envelope) */
	RS_SNAP_STATE_EMPTY = 2,   /* 0 bytes: "no unsafe head" (PR 22908 releases only) */
	RS_SNAP_STATE_BAD = 3,     /* neither V4 nor V3 decodes: Restore fails */
	RS_SNAP_STATE_UNREAD = 4,  /* state.bin could not be read (why says why) */
};

struct rs_head {
	struct rs_block block;        /* the head today's op-conductor holds (found = 0: none);
	                               * when the entries read hold only the early-2024 form,
	                               * their highest, with form RS_PAYLOAD_LEGACY */
	struct rs_block legacy_block; /* the highest early-2024 payload (entries after the
	                               * snapshot index, or state.bin): what that era's FSM
	                               * held; today's rejects it */
	uint64_t from, to;     /* LogCommand entries of from..to were read (from > to: none) */
	int complete;          /* 1: from..to is every entry after the snapshot index */
	uint64_t commands;     /* LogCommand entries read */
	uint64_t not_payloads; /* of those, how many no form decodes */
	uint64_t legacy;       /* of those, how many are the early-2024 form */
	uint64_t peeked;       /* entries past those read by block number only (summary.c) */
	uint64_t first_bad;    /* index of the newest one that is not a payload */
	char first_bad_why[240];
	int snap_state; /* enum rs_snap_state, for the newest usable snapshot */
	char snap_name[256];
	char snap_why[240];
	struct rs_block snap_block; /* its payload (snap_state PAYLOAD, or legacy when BAD) */
	int fsm_data; /* verify: the node holds op-conductor data (its FSM checks count) */
};

/* Where each term starts in the log, oldest first: terms of a raft log
 * never decrease, so these points give the term of every index >= v[0].index
 * (raft's log matching compares (index, term) pairs). Found by binary search
 * (a few seeks per term), never by reading the entries in between. At most
 * RS_TERMS_MAX points, the newest; complete = v[0].index is the first index. */
#define RS_TERMS_MAX 128
struct rs_term_start {
	uint64_t index, term;
};
struct rs_terms {
	struct rs_term_start v[RS_TERMS_MAX];
	size_t n;
	int complete;
	int valid; /* 0: not looked up (or the log could not be searched) */
};

struct rs_node {
	char dir[4096];
	char id[256]; /* the directory name = the server ID */
	struct rs_file_info log_file, stable_file;

	/* stable store */
	int has_current_term, has_last_vote_term, has_last_vote_cand;
	uint64_t current_term, last_vote_term;
	char last_vote_cand[256]; /* NUL-terminated copy, truncated if longer */
	size_t last_vote_cand_len;

	/* log */
	uint64_t first_index, last_index;
	uint64_t count;   /* entries present (verify, info --full); info: last-first+1 */
	uint64_t scanned; /* entries decoded: types/data_bytes cover these */
	uint64_t last_term;
	uint64_t data_bytes;                   /* over counted entries */
	uint64_t types[RS_LOG_TYPE_COUNT + 1]; /* last slot: unknown types */
	int types_complete;                    /* 1: types cover the whole log */
	uint64_t types_from;                   /* else: first index counted */
	uint64_t scan_preads; /* info: reads of the fast scan (summary.c); 0: none ran */
	uint64_t scan_hints;  /* its posix_fadvise(WILLNEED) calls (a cold file) */

	/* newest configuration, as raft would pick it */
	int config_source;
	uint64_t config_index;
	char config_snapshot[256];
	struct rs_config config;

	/* the newest configuration entry at or below the snapshot index, which raft never
	 * reads at start (only known when those entries were read: verify, info --full) */
	int shadowed_config;
	uint64_t shadowed_index;
	int shadowed_differs; /* its members differ from the snapshot's */

	uint64_t payload_entries; /* verify: LogCommand entries holding a payload (either form) */

	struct rs_snapshots snapshots;
	struct rs_head head;
	struct rs_terms terms;

	/* rs_node_summarize failed because one of the two files is missing: the
	 * other one and the snapshots were still read (partial = 1) */
	int partial;
};

/* Zeroes n and records dir and its ID; fails when dir is not a directory. */
int rs_node_init(struct rs_node *n, const char *dir, struct rs_err *err);
void rs_node_free(struct rs_node *n);

struct bolt_view;
struct bolt_err;
/* The facts of an open view that info and verify report. */
void rs_file_info_fill(struct rs_file_info *fi, const struct bolt_view *bv);
/* A meta page's status (rs_file_info.meta_status[i]) in words for the text
 * output (bolt_meta_status_text), and as the name `info --json` gives it
 * ("ok", "bad_checksum", ...: docs/json.md); cmd/ asks these, not bolt/. */
const char *rs_meta_status_text(int status);
const char *rs_meta_status_name(int status);
/* A bolt error as a raftstate error (same message, mapped code). */
int rs_err_from_bolt(struct rs_err *err, const struct bolt_err *be);
/* What bolt_view_recheck said when a read could not be trusted: the live
 * read still changing after `attempts` tries (BOLT_ECHANGED), or the file
 * shrank under a locked read (BOLT_ESHRANK). RS_EIO with why's sentence. */
int rs_err_unsettled(struct rs_err *err, int code, const struct bolt_err *why, int attempts);
/* How many times a live read is made before rs_err_unsettled. */
#define RS_LIVE_RETRIES 8
/* The settled --live read, decided in one place: after read number
 * `attempt` (from 0) and bolt_view_recheck's answer `recheck` (why: its
 * reason), RS_OK when the read stands, RS_LIVE_AGAIN when a writer
 * committed meanwhile (BOLT_ECHANGED) and fewer than RS_LIVE_RETRIES reads
 * were made (read again), else rs_err_unsettled's error. */
#define RS_LIVE_AGAIN (-1)
int rs_live_settled(int recheck, const struct bolt_err *why, int attempt, struct rs_err *err);

/* Room for the values read through a live view (rs_log_decode_at); a zeroed
 * struct is empty. */
struct rs_scratch {
	uint8_t *p;
	size_t cap;
};
void rs_scratch_free(struct rs_scratch *s);

/* rs_log_decode_at: decodes the raft.Log value of element e, read through v (rs_log_decode,
 * or rs_log_decode_header when header_only). With the lock held the file
 * cannot change and the value is decoded in place. In live mode the writer
 * may rewrite it while it is decoded, and a decoder that reads a byte twice
 * could act on two values (a table indexed past its end, a length checked
 * and another one used), so the value is copied once into *s and decoded
 * from the copy: out->data then points into *s, valid until its next use.
 * What a torn copy decodes to is discarded by the caller's recheck, as any
 * torn read. RS_ENOMEM when the copy cannot be made. */
int rs_log_decode_copy(const struct bolt_elem *e, int header_only, struct rs_scratch *s,
                       struct rs_log *out, struct rs_err *err);
/* inline: verify and info call it for every entry */
static inline int rs_log_decode_at(const struct bolt_view *v, const struct bolt_elem *e,
                                   int header_only, struct rs_scratch *s, struct rs_log *out,
                                   struct rs_err *err)
{
	if (v->mode == BOLT_VIEW_LIVE && e->vlen > 0)
		return rs_log_decode_copy(e, header_only, s, out, err);
	return header_only ? rs_log_decode_header(e->value, e->vlen, out, err)
	                   : rs_log_decode(e->value, e->vlen, out, err);
}

/* Reads the newest usable snapshot's state.bin and decodes it as Restore
 * does; fills n->head.snap_*. An unreadable file is UNREAD (RS_OK); fails
 * only with RS_ENOMEM, when there is no memory to read it into. */
int rs_node_snapshot_head(struct rs_node *n, struct rs_err *err);

/* op-conductor <= v1.19.6 and a node whose FSM holds no unsafe head (none in
 * the newest snapshot, no entry after it that Apply accepts): raft snapshots
 * when lastIndex - lastSnapshotIndex >= --raft.snapshot-threshold (raft
 * snapshot.go shouldSnapshot, checked every --raft.snapshot-interval), the FSM's
 * snapshot.Persist then marshals the nil head and panics (raft_fsm.go; optimism
 * issue 13363), leaving snapshots/<term>-<index>-<ms>.tmp/. */
#define RS_OPC_SNAPSHOT_THRESHOLD 8192 /* op-conductor/flags/flags.go default */
/* Entries after the newest usable snapshot's index (all of them without one). */
uint64_t rs_node_since_snapshot(const struct rs_node *n);
/* One sentence on what op-conductor <= v1.19.6 will do with n, into buf:
 * 0 nothing to say (it holds a head; its state.bin has its own message; or
 * its LogCommand entries are another FSM's), 1 a note (fewer entries than
 * threshold follow the snapshot), 2 a warning (at or above it: the panic comes
 * at the first snapshot check). src names where threshold came from. */
int rs_node_nil_head(const struct rs_node *n, uint64_t threshold, const char *src, char *buf,
                     size_t size);
/* Offers one LogCommand entry at `index`, decoded by rs_payload_decode (its
 * form, block and why), to n->head as Apply would see it; `backward` when
 * entries come newest first (ties: the older wins). */
void rs_node_head_offer(struct rs_node *n, int form, const struct rs_block *b, const char *why,
                        uint64_t index, int backward);
/* Folds into n->head what rs_node_head_offer gathered in `part` from entries
 * that all follow n's (forward): the same head as offering them to n. */
void rs_node_head_merge(struct rs_node *n, const struct rs_head *part);
/* Final head: the snapshot's payload and the entries' highest, as Apply keeps. */
void rs_node_head_finish(struct rs_node *n);
/* Whether two servers have the same ID, address and suffrage. */
int rs_server_same(const struct rs_server *x, const struct rs_server *y);
/* Whether two configurations hold the same servers (ID, address, suffrage), in any order. */
int rs_config_same(const struct rs_config *a, const struct rs_config *b);

/* Whether `who` (an ID or an address, as raft stores votes) is a member of
 * the configuration; returns the server or NULL. */
const struct rs_server *rs_config_find(const struct rs_config *c, const char *who, size_t len);

#endif
