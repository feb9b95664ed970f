/*
 * op-conductor's unsafe-head payloads: the Data of its LogCommand entries
 * and the bytes of a snapshot's state.bin.
 *
 * What op-conductor stores (ethereum-optimism/optimism,
 * op-conductor/consensus/raft.go CommitUnsafePayload, raft_fsm.go
 * snapshot.Persist): ExecutionPayloadEnvelope.MarshalSSZ, i.e. the 32-byte
 * parent beacon block root, then the SSZ ExecutionPayload. No version byte,
 * no length prefix. raft_fsm.go unsafeHeadTracker.Apply and .Restore decode
 * it as BlockV4 and, when that fails, as BlockV3; when both fail the entry
 * is not applied (Apply) or the node does not start (Restore).
 *
 * The early-2024 form (unsafeHeadData.MarshalSSZ of the first op-conductor,
 * Dec 2023 - Jan 2024): 1 version byte (0 = BlockV1, 1 = BlockV2), then the
 * SSZ ExecutionPayload, no beacon root. Today's op-conductor rejects it; we
 * recognise it only to say what it is.
 *
 * SSZ ExecutionPayload (op-service/eth/ssz.go ExecutionPayload.UnmarshalSSZ;
 * integers little-endian; offsets u32 from the payload's first byte):
 *   off  size
 *   0    32   parent_hash
 *   32   20   fee_recipient
 *   52   32   state_root
 *   84   32   receipts_root
 *   116  256  logs_bloom
 *   372  32   prev_randao
 *   404  8    block_number
 *   412  8    gas_limit
 *   420  8    gas_used
 *   428  8    timestamp
 *   436  4    offset of extra_data      == fixed size of the version
 *   440  32   base_fee_per_gas (u256)
 *   472  32   block_hash
 *   504  4    offset of transactions    >= extra_data offset, <= it + 32, <= size
 *   508  4    V2+: offset of withdrawals >= transactions offset, <= size
 *   512  8    V3+: blob_gas_used
 *   520  8    V3+: excess_blob_gas
 *   528  32   V4: withdrawals_root
 * Fixed size: V1 508, V2 512, V3 528, V4 560. Then extra_data (<= 32
 * bytes), the transactions (u32 offsets relative to the list's start, the
 * first = 4 x count, count <= 2^20, each offset >= the one before and <= the
 * list's size; a non-empty list whose first offset is 0 is rejected), then
 * the withdrawals (44 bytes each, at most 16).
 */
#ifndef RAFTSTATE_PAYLOAD_H
#define RAFTSTATE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#define RS_PAYLOAD_BEACON_ROOT 32
#define RS_PAYLOAD_MAX_TXS     (UINT32_C(1) << 20) /* ssz.go maxTransactionsPerPayload */
#define RS_PAYLOAD_MAX_WD      16                  /* ssz.go maxWithdrawalsPerPayload */
#define RS_PAYLOAD_WD_SIZE     44                  /* ssz.go withdrawalSize */
#define RS_PAYLOAD_MAX_EXTRA   32                  /* BytesMax32 */

enum rs_payload_form {
	RS_PAYLOAD_NONE = 0,     /* not a payload op-conductor decodes */
	RS_PAYLOAD_ENVELOPE = 1, /* beacon root + V4 or V3 payload: what op-conductor applies */
	RS_PAYLOAD_LEGACY = 2,   /* early-2024 version byte + V1/V2 payload: not applied today */
};

enum rs_block_source {
	RS_BLOCK_NONE = 0,
	RS_BLOCK_LOG = 1,      /* entry_index is the LogCommand entry */
	RS_BLOCK_SNAPSHOT = 2, /* snapshot names the snapshot whose state.bin it is */
};

/* One decoded payload, and where it came from (filled by the caller). */
struct rs_block {
	int found;   /* 1: decoded (form != RS_PAYLOAD_NONE) */
	int form;    /* enum rs_payload_form */
	int version; /* 1..4 = BlockV1..BlockV4 */
	uint64_t number;
	uint64_t timestamp; /* unix seconds */
	uint64_t gas_used;
	uint8_t hash[32];
	uint8_t parent_hash[32];
	uint32_t tx_count;
	uint32_t withdrawals;
	uint32_t extra_len;
	size_t size; /* bytes of the whole entry data / state.bin */
	int source;  /* enum rs_block_source */
	uint64_t entry_index;
	char snapshot[256];
};

/* Decodes data as op-conductor does: envelope V4, else envelope V3, else
 * (only to name it) the legacy form. Returns the form; *out is filled when
 * it is not RS_PAYLOAD_NONE (source fields left to the caller). `why`
 * (may be NULL) gets one sentence on why V4 and V3 both failed, also when
 * the legacy form matched. Never fails otherwise; reads only data[0..len). */
int rs_payload_decode(const uint8_t *data, size_t len, struct rs_block *out, char *why,
                      size_t why_size);

/* rs_payload_decode when only data[0..avail) can be read (the rest of the
 * len bytes is not at hand): its answer, or RS_PAYLOAD_MORE when that answer
 * needs a byte past avail (decode the whole data then). Reads nothing past
 * avail. */
#define RS_PAYLOAD_MORE (-1)
int rs_payload_decode_prefix(const uint8_t *data, size_t avail, size_t len, struct rs_block *out,
                             char *why, size_t why_size);

/* One SSZ ExecutionPayload of version 1..4 (no beacon root, no version
 * byte), as ssz.go ExecutionPayload.UnmarshalSSZ. Returns 1 and fills
 * number, timestamp, hashes and counts, or 0 with the reason in why. */
int rs_payload_decode_version(const uint8_t *p, size_t len, int version, struct rs_block *out,
                              char *why, size_t why_size);

/* Fixed size of version 1..4 (where extra_data starts); 0 for others. */
uint32_t rs_payload_fixed_size(int version);

/*
 * The payload as op-node reads it over JSON-RPC (admin_postUnsafePayload
 * takes an eth.ExecutionPayloadEnvelope): encoding/json of op-service's
 * ExecutionPayloadEnvelope (op-service/eth/types.go, optimism v1.19.6) as
 * ExecutionPayloadEnvelope.UnmarshalSSZ fills it (ssz.go), fields in the
 * struct's order:
 *   {"parentBeaconBlockRoot": hash (omitted for the legacy form, which has
 *    none), "executionPayload": {parentHash, feeRecipient, stateRoot,
 *    receiptsRoot, logsBloom, prevRandao, blockNumber, gasLimit, gasUsed,
 *    timestamp, extraData, baseFeePerGas, blockHash, transactions,
 *    withdrawals (V2+), blobGasUsed, excessBlobGas (V3+), withdrawalsRoot
 *    (V4)}}
 * Hashes, addresses and byte strings are "0x" + lower-case hex (hexutil
 * Bytes; "0x" when empty); quantities (hexutil.Uint64, hexutil.U256) "0x" +
 * hex without leading zeros ("0x0"); transactions is a list of byte
 * strings, [] when empty (unmarshalTransactions makes it non-nil); each
 * withdrawal is {"index", "validatorIndex", "address", "amount"} (op-geth
 * gen_withdrawal_json.go: quantities and an address).
 *
 * b is what rs_payload_decode returned for these bytes (form ENVELOPE or
 * LEGACY). rs_payload_json_bound is an upper bound of the bytes written
 * (no NUL); rs_payload_json writes them to out and returns the count.
 */
size_t rs_payload_json_bound(size_t len, const struct rs_block *b);
size_t rs_payload_json(const uint8_t *data, size_t len, const struct rs_block *b, char *out);

#endif
