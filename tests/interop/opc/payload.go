package main

// Payloads: op-service/eth ExecutionPayloadEnvelopes made from a SPEC
// (usage), deterministic, encoded by eth's own MarshalSSZ (op-service/eth/ssz.go),
// which picks the SSZ form from the fields that are set (inferVersion): V4 when a
// withdrawals root other than the empty one is set, V3 when the blob gas fields
// are, V2 with withdrawals, else V1. The FSM (op-conductor/consensus/raft_fsm.go
// Apply) decodes V4, then V3, and rejects the rest: the V1/V2 forms, extra data of
// 33 bytes and more than 16 withdrawals (UnmarshalSSZ's limits) go into the log and
// are then ignored, which is what those forms are for.

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ethereum-optimism/optimism/op-service/eth"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

type blockItem struct {
	number uint64
	form   string
	txSize int
}

var forms = map[string]bool{"v3": true, "v4": true, "v4empty": true, "v1": true, "v2": true, "extra33": true, "w17": true}

func parseSpec(spec string) ([]blockItem, error) {
	var out []blockItem
	if spec == "" {
		return nil, nil
	}
	for _, it := range strings.Split(spec, ",") {
		parts := strings.Split(it, ":")
		if len(parts) > 3 {
			return nil, usagef("--blocks: %q: want FROM[-TO][:FORM[:BYTES]]", it)
		}
		form, size := "v3", 100
		if len(parts) >= 2 && parts[1] != "" {
			form = parts[1]
			if !forms[form] {
				return nil, usagef("--blocks: %q: unknown form %q", it, form)
			}
		}
		if len(parts) == 3 {
			n, err := strconv.Atoi(parts[2])
			if err != nil || n < 1 || n > 64<<20 {
				return nil, usagef("--blocks: %q: BYTES must be 1..%d", it, 64<<20)
			}
			size = n
		}
		rng := strings.SplitN(parts[0], "-", 2)
		from, err := strconv.ParseUint(rng[0], 10, 64)
		if err != nil {
			return nil, usagef("--blocks: %q: bad block number", it)
		}
		to := from
		if len(rng) == 2 {
			if to, err = strconv.ParseUint(rng[1], 10, 64); err != nil {
				return nil, usagef("--blocks: %q: bad block number", it)
			}
		}
		step := int64(1)
		if to < from {
			step = -1
		}
		for n := int64(from); ; n += step {
			out = append(out, blockItem{number: uint64(n), form: form, txSize: size})
			if len(out) > 1_000_000 {
				return nil, usagef("--blocks: more than 1,000,000 payloads")
			}
			if uint64(n) == to {
				break
			}
		}
	}
	return out, nil
}

// h32 is a deterministic 32-byte value for (what, ordinal, number): the ordinal
// (position in the SPEC) makes two payloads of one block number differ.
func h32(what string, ordinal int, number uint64) common.Hash {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], uint64(ordinal))
	binary.BigEndian.PutUint64(b[8:16], number)
	return sha256.Sum256(append([]byte("oci-opc "+what+" "), b[:]...))
}

// makeEnvelope builds the payload of item number ordinal of a SPEC.
func makeEnvelope(it blockItem, ordinal int) *eth.ExecutionPayloadEnvelope {
	pbbr := h32("parent-beacon-block-root", ordinal, it.number)
	tx := bytes.Repeat([]byte{0x02}, it.txSize)
	copy(tx[1:], []byte(fmt.Sprintf("oci-opc tx %d/%d", ordinal, it.number)))
	var parent common.Hash
	if it.number > 0 {
		parent = h32("block", -1, it.number-1)
	}
	p := &eth.ExecutionPayload{
		ParentHash:   parent,
		FeeRecipient: common.HexToAddress("0x4200000000000000000000000000000000000011"),
		StateRoot:    eth.Bytes32(h32("state", ordinal, it.number)),
		ReceiptsRoot: eth.Bytes32(h32("receipts", ordinal, it.number)),
		PrevRandao:   eth.Bytes32(h32("randao", ordinal, it.number)),
		BlockNumber:  eth.Uint64Quantity(it.number),
		GasLimit:     30_000_000,
		GasUsed:      21_000,
		Timestamp:    eth.Uint64Quantity(1_700_000_000 + 2*it.number),
		ExtraData:    eth.BytesMax32{0x00, 0x00, 0x00, 0x00, 0xfa, 0x00, 0x00, 0x00, 0x06},
		BlockHash:    h32("block", ordinal, it.number),
		Transactions: []eth.Data{tx},
	}
	p.BaseFeePerGas[0] = 1_000_000 + it.number // little-endian limbs (hexutil.U256)
	blob, excess := eth.Uint64Quantity(0), eth.Uint64Quantity(0)
	ws := types.Withdrawals{}
	switch it.form {
	case "v1":
	case "v2":
		p.Withdrawals = &ws
	case "v3", "extra33", "w17":
		p.Withdrawals = &ws
		p.BlobGasUsed, p.ExcessBlobGas = &blob, &excess
		if it.form == "extra33" {
			p.ExtraData = bytes.Repeat([]byte{0x0e}, 33)
		}
		if it.form == "w17" {
			for i := 0; i < 17; i++ {
				ws = append(ws, &types.Withdrawal{Index: uint64(i), Validator: 7, Amount: 1})
			}
			p.Withdrawals = &ws
		}
	case "v4", "v4empty":
		p.Withdrawals = &ws
		p.BlobGasUsed, p.ExcessBlobGas = &blob, &excess
		root := h32("withdrawals-root", ordinal, it.number)
		if it.form == "v4empty" {
			root = types.EmptyWithdrawalsHash
		}
		p.WithdrawalsRoot = &root
	}
	return &eth.ExecutionPayloadEnvelope{ParentBeaconBlockRoot: &pbbr, ExecutionPayload: p}
}

func cmdPayload(args []string) error {
	fs := flag.NewFlagSet("payload", flag.ContinueOnError)
	spec := fs.String("blocks", "", "")
	out := fs.String("out", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("payload: --out DIR is required")
	}
	items, err := parseSpec(*spec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var files []string
	for i, it := range items {
		var buf bytes.Buffer
		if _, err := makeEnvelope(it, i).MarshalSSZ(&buf); err != nil {
			return fmt.Errorf("payload %d (block %d): MarshalSSZ: %w", i, it.number, err)
		}
		f := filepath.Join(*out, fmt.Sprintf("%d.ssz", i))
		if err := os.WriteFile(f, buf.Bytes(), 0o644); err != nil {
			return err
		}
		files = append(files, f)
	}
	return printJSON(files)
}

type headJSON struct {
	Number uint64 `json:"number"`
	Hash   string `json:"hash"`
	Form   string `json:"form"`
}

func newHead(env *eth.ExecutionPayloadEnvelope) *headJSON {
	if env == nil || env.ExecutionPayload == nil {
		return nil
	}
	p := env.ExecutionPayload
	form := "V3"
	if p.WithdrawalsRoot != nil {
		form = "V4" // what the FSM decoded (it tries V4 first)
	}
	return &headJSON{Number: uint64(p.BlockNumber), Hash: p.BlockHash.Hex(), Form: form}
}
