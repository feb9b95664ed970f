package main

// Execution payloads the way op-conductor stores them (../../../../shared/FORMAT.md,
// "op-conductor command entries and snapshots"), written for this harness from
// what ethereum-optimism/optimism's source does:
//
//   - op-service/eth/ssz.go, (*ExecutionPayload).MarshalSSZ / UnmarshalSSZ:
//     the SSZ ExecutionPayload of BlockV1..BlockV4 (fixed parts 508, 512, 528,
//     560 bytes; offsets little-endian u32 from the payload's start), and
//     (*ExecutionPayloadEnvelope).MarshalSSZ / UnmarshalSSZ: the 32-byte parent
//     beacon block root, then the payload.
//   - op-conductor/consensus/raft_fsm.go, (*unsafeHeadTracker).Apply / Restore:
//     decode as BlockV4, and when that fails as BlockV3; keep the highest block
//     number; Restore of 0 bytes is "no unsafe head".
//   - op-conductor/consensus/raft.go and raft_fsm.go of early 2024
//     (unsafeHeadData.MarshalSSZ): one version byte (0 = V1, 1 = V2) then the
//     payload, no beacon root: the legacy form.
//
// The decoder below applies the checks UnmarshalSSZ applies, in its order, so a
// Restore or Apply here succeeds exactly when op-conductor's would.

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
)

const (
	blockV1 = 1
	blockV2 = 2
	blockV3 = 3
	blockV4 = 4

	withdrawalBytes = 8 + 8 + 20 + 8
	maxTransactions = 1 << 20 // MAX_TRANSACTIONS_PER_PAYLOAD (ssz.go maxTransactionsPerPayload)
	maxWithdrawals  = 1 << 4  // MAX_WITHDRAWALS_PER_PAYLOAD (ssz.go maxWithdrawalsPerPayload)
	extraDataMax    = 32
)

// fixedPart is ssz.go's executionPayloadFixedPart: where extra_data starts.
func fixedPart(version int) uint32 {
	switch version {
	case blockV1:
		return 508
	case blockV2:
		return 512
	case blockV3:
		return 528
	default:
		return 560
	}
}

type withdrawal struct {
	Index, Validator uint64
	Address          [20]byte
	Amount           uint64
}

type execPayload struct {
	Version         int
	ParentHash      [32]byte
	FeeRecipient    [20]byte
	StateRoot       [32]byte
	ReceiptsRoot    [32]byte
	LogsBloom       [256]byte
	PrevRandao      [32]byte
	Number          uint64
	GasLimit        uint64
	GasUsed         uint64
	Timestamp       uint64
	ExtraData       []byte
	BaseFee         [32]byte // u256 little-endian
	BlockHash       [32]byte
	Transactions    [][]byte
	Withdrawals     []withdrawal // V2+
	BlobGasUsed     uint64       // V3+
	ExcessBlobGas   uint64       // V3+
	WithdrawalsRoot [32]byte     // V4
}

type envelope struct {
	BeaconRoot [32]byte
	Payload    execPayload
}

func (p *execPayload) encode() []byte {
	fixed := fixedPart(p.Version)
	txBytes := uint32(4 * len(p.Transactions))
	for _, t := range p.Transactions {
		txBytes += uint32(len(t))
	}
	size := fixed + uint32(len(p.ExtraData)) + txBytes
	if p.Version >= blockV2 {
		size += uint32(withdrawalBytes * len(p.Withdrawals))
	}
	b := make([]byte, size)
	le32, le64 := binary.LittleEndian.PutUint32, binary.LittleEndian.PutUint64
	copy(b[0:], p.ParentHash[:])
	copy(b[32:], p.FeeRecipient[:])
	copy(b[52:], p.StateRoot[:])
	copy(b[84:], p.ReceiptsRoot[:])
	copy(b[116:], p.LogsBloom[:])
	copy(b[372:], p.PrevRandao[:])
	le64(b[404:], p.Number)
	le64(b[412:], p.GasLimit)
	le64(b[420:], p.GasUsed)
	le64(b[428:], p.Timestamp)
	le32(b[436:], fixed)
	copy(b[440:], p.BaseFee[:])
	copy(b[472:], p.BlockHash[:])
	txOff := fixed + uint32(len(p.ExtraData))
	le32(b[504:], txOff)
	if p.Version >= blockV2 {
		le32(b[508:], txOff+txBytes)
	}
	if p.Version >= blockV3 {
		le64(b[512:], p.BlobGasUsed)
		le64(b[520:], p.ExcessBlobGas)
	}
	if p.Version >= blockV4 {
		copy(b[528:], p.WithdrawalsRoot[:])
	}
	copy(b[fixed:], p.ExtraData)
	list := b[txOff : txOff+txBytes]
	at := uint32(4 * len(p.Transactions))
	for i, t := range p.Transactions {
		le32(list[4*i:], at)
		copy(list[at:], t)
		at += uint32(len(t))
	}
	w := b[txOff+txBytes:]
	if p.Version >= blockV2 {
		for i, x := range p.Withdrawals {
			o := w[i*withdrawalBytes:]
			le64(o[0:], x.Index)
			le64(o[8:], x.Validator)
			copy(o[16:], x.Address[:])
			le64(o[36:], x.Amount)
		}
	}
	return b
}

func (e *envelope) encode() []byte {
	return append(append([]byte{}, e.BeaconRoot[:]...), e.Payload.encode()...)
}

// encodeLegacy is the early-2024 form: version byte (BlockV1 = 0, BlockV2 = 1), then the payload.
func encodeLegacy(p *execPayload) []byte {
	return append([]byte{byte(p.Version - 1)}, p.encode()...)
}

var errNotPayload = errors.New("not an execution payload")

// decodePayload follows ssz.go's (*ExecutionPayload).UnmarshalSSZ(version, scope, r).
func decodePayload(version int, b []byte) (*execPayload, error) {
	scope := uint32(len(b))
	if uint64(len(b)) > 0xffffffff {
		return nil, fmt.Errorf("payload of %d bytes does not fit a u32 scope", len(b))
	}
	fixed := fixedPart(version)
	if scope < fixed {
		return nil, fmt.Errorf("scope too small to decode execution payload: %d", scope)
	}
	u32, u64 := binary.LittleEndian.Uint32, binary.LittleEndian.Uint64
	p := &execPayload{Version: version}
	copy(p.ParentHash[:], b[0:])
	copy(p.FeeRecipient[:], b[32:])
	copy(p.StateRoot[:], b[52:])
	copy(p.ReceiptsRoot[:], b[84:])
	copy(p.LogsBloom[:], b[116:])
	copy(p.PrevRandao[:], b[372:])
	p.Number, p.GasLimit, p.GasUsed, p.Timestamp = u64(b[404:]), u64(b[412:]), u64(b[420:]), u64(b[428:])
	extraOff := u32(b[436:])
	if extraOff != fixed {
		return nil, fmt.Errorf("unexpected extra data offset: %d <> %d", extraOff, fixed)
	}
	copy(p.BaseFee[:], b[440:472])
	copy(p.BlockHash[:], b[472:504])
	txOff := u32(b[504:])
	if txOff < extraOff {
		return nil, errors.New("transactions offset is smaller than extra data offset")
	}
	wOff := scope
	if version >= blockV2 {
		wOff = u32(b[508:])
		if wOff < txOff {
			return nil, errors.New("withdrawals offset is smaller than transaction offset")
		}
		if wOff > scope {
			return nil, fmt.Errorf("withdrawals offset is too large: %d", wOff)
		}
	}
	if version >= blockV3 {
		p.BlobGasUsed, p.ExcessBlobGas = u64(b[512:]), u64(b[520:])
	}
	if version >= blockV4 {
		copy(p.WithdrawalsRoot[:], b[528:560])
	}
	if txOff > extraOff+extraDataMax || txOff > scope {
		return nil, fmt.Errorf("extra-data is too large: %d", txOff-extraOff)
	}
	p.ExtraData = append([]byte{}, b[extraOff:txOff]...)
	txs, err := decodeTransactions(b[txOff:wOff])
	if err != nil {
		return nil, fmt.Errorf("failed to unmarshal transactions list: %v", err)
	}
	p.Transactions = txs
	if version >= blockV2 {
		w := b[wOff:]
		if len(w)%withdrawalBytes != 0 {
			return nil, errors.New("invalid withdrawals data")
		}
		if len(w)/withdrawalBytes > maxWithdrawals {
			return nil, fmt.Errorf("too many withdrawals: %d > %d", len(w)/withdrawalBytes, maxWithdrawals)
		}
		p.Withdrawals = []withdrawal{}
		for i := 0; i < len(w); i += withdrawalBytes {
			var x withdrawal
			x.Index, x.Validator, x.Amount = u64(w[i:]), u64(w[i+8:]), u64(w[i+36:])
			copy(x.Address[:], w[i+16:i+36])
			p.Withdrawals = append(p.Withdrawals, x)
		}
	}
	return p, nil
}

// decodeTransactions follows ssz.go's unmarshalTransactions.
func decodeTransactions(in []byte) ([][]byte, error) {
	scope := uint32(len(in))
	if scope == 0 {
		return [][]byte{}, nil
	}
	if scope < 4 {
		return nil, fmt.Errorf("not enough scope to read first tx offset: %d", scope)
	}
	first := binary.LittleEndian.Uint32(in)
	if first%4 != 0 {
		return nil, fmt.Errorf("invalid first tx offset: %d, not a multiple of offset size", first)
	}
	if first > scope {
		return nil, fmt.Errorf("invalid first tx offset: %d, out of scope %d", first, scope)
	}
	n := first / 4
	if n > maxTransactions {
		return nil, fmt.Errorf("too many transactions: %d > %d", n, maxTransactions)
	}
	txs := make([][]byte, n)
	cur := first
	for i := uint32(0); i < n; i++ {
		next := scope
		if i+1 < n {
			next = binary.LittleEndian.Uint32(in[4*(i+1):])
		}
		if next < cur || next > scope {
			return nil, fmt.Errorf("tx %d has bad next offset: %d, current is %d, scope is %d", i, next, cur, scope)
		}
		txs[i] = append([]byte{}, in[cur:next]...)
		cur = next
	}
	return txs, nil
}

// decodeEnvelope follows (*ExecutionPayloadEnvelope).UnmarshalSSZ.
func decodeEnvelope(version int, b []byte) (*envelope, error) {
	if len(b) < 32 {
		return nil, fmt.Errorf("scope too small to decode execution payload envelope: %d", len(b))
	}
	p, err := decodePayload(version, b[32:])
	if err != nil {
		return nil, err
	}
	e := &envelope{Payload: *p}
	copy(e.BeaconRoot[:], b[:32])
	return e, nil
}

// decodeOpConductor is unsafeHeadTracker.Apply's / Restore's rule: BlockV4,
// else BlockV3, else the V3 error.
func decodeOpConductor(b []byte) (*envelope, error) {
	if len(b) == 0 {
		return nil, errors.New("log data is nil or empty")
	}
	if e, err := decodeEnvelope(blockV4, b); err == nil {
		return e, nil
	}
	return decodeEnvelope(blockV3, b)
}

// decodeLegacy is early-2024 unsafeHeadData.UnmarshalSSZ: version byte, payload.
func decodeLegacy(b []byte) (*execPayload, error) {
	if len(b) < 1 {
		return nil, errors.New("data is too short to contain version information")
	}
	if b[0] > 1 {
		return nil, fmt.Errorf("legacy version byte %d is neither 0 (V1) nor 1 (V2)", b[0])
	}
	return decodePayload(int(b[0])+1, b[1:])
}

func hash0x(h [32]byte) string { return "0x" + hex.EncodeToString(h[:]) }

// ---- a plausible OP Stack chain of blocks -----------------------------------

// chainGen makes consecutive L2 blocks: parent hashes chain, timestamps step by
// 2 s (OP Stack block time), the L1 origin (beacon root, prev_randao) changes
// every 6 blocks, every block starts with an L1-attributes deposit
// transaction (type 0x7e) and carries 0..4 user transactions (type 0x02).
// Every 5th block of V2+ carries one or two withdrawals (an OP chain after
// Canyon keeps the list empty; these exercise the decoders' withdrawals list).
// The block hash is SHA-256 over the encoded payload with a zero hash field,
// not Ethereum's keccak of the RLP header: op-conductor's FSM never checks it.
type chainGen struct {
	rng        *rand.Rand
	number     uint64
	parent     [32]byte
	timestamp  uint64
	beaconRoot [32]byte
	randao     [32]byte
	wIndex     uint64
	fillTo     int // > 0: one more transaction brings the envelope to about this many bytes
}

// Mainnet dates used for plausible timestamps: Canyon (V2) 2024-01-11
// 17:00:01 UTC, Holocene (extra data carries EIP-1559 parameters)
// 2025-01-09 18:00:01 UTC, Isthmus (V4) 2025-05-09 16:00:01 UTC.
const (
	canyonTime   = 1704992401
	holoceneTime = 1736445601
	isthmusTime  = 1746806401
)

func newChainGen(seed int64, firstNumber, firstTimestamp uint64) *chainGen {
	g := &chainGen{rng: rand.New(rand.NewSource(seed)), number: firstNumber, timestamp: firstTimestamp}
	g.rng.Read(g.parent[:])
	return g
}

// continueFrom makes the next block follow head.
func (g *chainGen) continueFrom(head *execPayload) {
	g.number, g.parent, g.timestamp = head.Number+1, head.BlockHash, head.Timestamp+2
}

func (g *chainGen) next(version int) *envelope {
	r := g.rng
	if g.number%6 == 0 || g.beaconRoot == ([32]byte{}) {
		r.Read(g.beaconRoot[:])
		r.Read(g.randao[:])
	}
	p := execPayload{Version: version, ParentHash: g.parent, Number: g.number, Timestamp: g.timestamp,
		GasLimit: 60_000_000, PrevRandao: g.randao}
	copy(p.FeeRecipient[:], []byte{0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11})
	r.Read(p.StateRoot[:])
	r.Read(p.ReceiptsRoot[:])
	for i := 0; i < 6; i++ {
		p.LogsBloom[r.Intn(256)] |= 1 << uint(r.Intn(8))
	}
	binary.LittleEndian.PutUint64(p.BaseFee[:], 250_000+uint64(r.Intn(50_000)))
	if g.timestamp >= holoceneTime {
		// Holocene extra data: version 0, denominator 250, elasticity 6 (u32 big-endian).
		p.ExtraData = []byte{0, 0, 0, 0, 250, 0, 0, 0, 6}
	}
	deposit := make([]byte, 230+r.Intn(40))
	r.Read(deposit)
	deposit[0] = 0x7e
	p.Transactions = [][]byte{deposit}
	p.GasUsed = 46_000
	for i, n := 0, r.Intn(5); i < n; i++ {
		tx := make([]byte, 110+r.Intn(300))
		r.Read(tx)
		tx[0] = 0x02
		p.Transactions = append(p.Transactions, tx)
		p.GasUsed += 21_000 + uint64(r.Intn(200_000))
	}
	if g.fillTo > 0 {
		// the envelope so far: 32 (beacon root) + fixed part + extra data +
		// each transaction and its 4-byte offset (+ withdrawals, below)
		have := 32 + int(fixedPart(version)) + len(p.ExtraData)
		for _, tx := range p.Transactions {
			have += 4 + len(tx)
		}
		if n := g.fillTo - have - 4; n > 1 {
			tx := make([]byte, n)
			r.Read(tx)
			tx[0] = 0x02
			p.Transactions = append(p.Transactions, tx)
			p.GasUsed += 21_000 + uint64(n)*16
		}
	}
	if version >= blockV2 {
		p.Withdrawals = []withdrawal{}
		if g.number%5 == 0 {
			for i, n := 0, 1+r.Intn(2); i < n; i++ {
				w := withdrawal{Index: g.wIndex, Validator: uint64(r.Intn(1_000_000)), Amount: uint64(r.Intn(32_000_000_000))}
				r.Read(w.Address[:])
				g.wIndex++
				p.Withdrawals = append(p.Withdrawals, w)
			}
		}
	}
	if version >= blockV4 {
		r.Read(p.WithdrawalsRoot[:]) // L2ToL1MessagePasser storage root since Isthmus
	}
	enc := p.encode()
	p.BlockHash = sha256.Sum256(append([]byte("oci-harness block hash\x00"), enc...))
	g.parent = p.BlockHash
	g.number++
	g.timestamp += 2
	return &envelope{BeaconRoot: g.beaconRoot, Payload: p}
}
