/*
 * op-conductor's LogCommand data: what its FSM applies (best effort, never
 * an error). Data = 1 block-version byte (0 = V1, 1 = V2, 2 = V3, 3 = V4)
 * then the SSZ execution payload; newer op-conductor versions store the
 * envelope, which for V3 and later puts the 32-byte parent beacon block
 * root before the payload. Fixed part of the SSZ ExecutionPayload:
 *   off  size
 *   0    32   parent_hash
 *   32   20   fee_recipient
 *   52   32   state_root
 *   84   32   receipts_root
 *   116  256  logs_bloom
 *   372  32   prev_randao
 *   404  8    block_number (LE)
 *   412  8    gas_limit
 *   420  8    gas_used
 *   428  8    timestamp (LE)
 *   436  4    extra_data offset
 *   440  32   base_fee_per_gas
 *   472  32   block_hash
 */
#ifndef RAFTSTATE_PAYLOAD_H
#define RAFTSTATE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "raftstate/node.h"

/* Fills *out (found = 1) when data looks like an op-conductor payload. */
void rs_payload_peek(const uint8_t *data, size_t len, uint64_t index, struct rs_block *out);

#endif
