package main

// opcFSM: an FSM shaped like op-conductor's unsafeHeadTracker
// (op-conductor/consensus/raft_fsm.go): every LogCommand is an SSZ
// ExecutionPayloadEnvelope; Apply decodes it as V4, else V3, and keeps the one
// with the highest block number (a lower or equal one is ignored); an entry
// neither decodes is rejected (Apply returns the error as the future's
// response, raft carries on). Snapshot's state.bin is the head envelope's
// encoding, or 0 bytes when there is none (what the current Persist writes;
// older releases panicked there, FORMAT.md). Restore decodes V4, then V3, and
// fails otherwise, so NewRaft fails on such a snapshot as op-conductor's does.
//
// In legacy mode it is the early-2024 FSM instead (version byte + V1/V2
// payload in entries and in state.bin).
//
// Beside the head it keeps, for the tests, a SHA-256 chain over every applied
// command's data (so replicas can be compared byte for byte) and counts.
//
// op-conductor's own FSM now runs in the opc-1.19.6 stack (../opc, the real
// op-conductor/consensus package of v1.19.6); this re-statement stays for what
// that stack cannot do: states op-conductor v1.19.6 cannot write (the early-2024
// form, an empty state.bin as PR 22908 would write, an undecodable one:
// opconductor_vectors) and op-conductor-shaped data on the raft-1.1.2 and
// raft-1.7.2 stacks, whose tests run once per stack (cluster_generated,
// compare_interop).

import (
	"fmt"
	"io"
	"io/ioutil"
	"sync"
	"time"

	raft "github.com/hashicorp/raft"
)

type headJSON struct {
	Number       uint64 `json:"number"`
	Hash         string `json:"hash"`
	ParentHash   string `json:"parent_hash"`
	Timestamp    uint64 `json:"timestamp"`
	Time         string `json:"time"`
	Version      string `json:"version"`
	Transactions int    `json:"transactions"`
	Withdrawals  int    `json:"withdrawals"`
	Source       string `json:"source"`
}

func newHeadJSON(p *execPayload, legacy bool, source string) *headJSON {
	v := fmt.Sprintf("V%d", p.Version)
	if legacy {
		v = "legacy-" + v
	}
	return &headJSON{Number: p.Number, Hash: hash0x(p.BlockHash), ParentHash: hash0x(p.ParentHash),
		Timestamp: p.Timestamp, Time: time.Unix(int64(p.Timestamp), 0).UTC().Format(time.RFC3339),
		Version: v, Transactions: len(p.Transactions), Withdrawals: len(p.Withdrawals), Source: source}
}

type opcFSM struct {
	mu        sync.Mutex
	legacy    bool
	head      *execPayload
	headRaw   []byte
	headFrom  string
	commands  uint64 // LogCommand entries given to Apply
	accepted  uint64
	rejected  []uint64 // their indexes
	lastIndex uint64
	chain     [32]byte
	restored  string
}

type fsmStatus struct {
	Commands    uint64    `json:"applied_commands"`
	LastIndex   uint64    `json:"last_applied_index"`
	ChainSHA256 string    `json:"chain_sha256"`
	Accepted    uint64    `json:"payloads_accepted"`
	Rejected    []uint64  `json:"rejected_indexes"`
	Head        *headJSON `json:"unsafe_head"`
	Restored    string    `json:"restored_state,omitempty"`
}

// harnessFSM is what cluster and opc-read need from an FSM.
type harnessFSM interface {
	raft.FSM
	status() fsmStatus
	headPayload() *execPayload
}

func (f *opcFSM) decode(b []byte) (*execPayload, error) {
	if f.legacy {
		return decodeLegacy(b)
	}
	e, err := decodeOpConductor(b)
	if err != nil {
		return nil, err
	}
	return &e.Payload, nil
}

func (f *opcFSM) Apply(l *raft.Log) interface{} {
	if l.Type != raft.LogCommand {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	chainStep(&f.chain, l.Data)
	f.commands++
	f.lastIndex = l.Index
	p, err := f.decode(l.Data)
	if err != nil {
		f.rejected = append(f.rejected, l.Index)
		return err
	}
	f.accepted++
	if f.head == nil || f.head.Number < p.Number {
		f.head, f.headRaw, f.headFrom = p, append([]byte{}, l.Data...), fmt.Sprintf("entry %d", l.Index)
	}
	return nil
}

type opcSnap struct{ raw []byte }

func (s opcSnap) Persist(sink raft.SnapshotSink) error {
	if len(s.raw) > 0 {
		if _, err := sink.Write(s.raw); err != nil {
			sink.Cancel()
			return err
		}
	}
	return sink.Close()
}
func (s opcSnap) Release() {}

func (f *opcFSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return opcSnap{append([]byte{}, f.headRaw...)}, nil
}

func (f *opcFSM) Restore(rc io.ReadCloser) error {
	b, err := ioutil.ReadAll(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("error reading snapshot data: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(b) == 0 {
		f.head, f.headRaw, f.headFrom, f.restored = nil, nil, "", "empty (no unsafe head)"
		return nil
	}
	p, err := f.decode(b)
	if err != nil {
		return fmt.Errorf("snapshot state is not an execution payload envelope: %v", err)
	}
	f.head, f.headRaw, f.headFrom = p, b, "snapshot"
	f.restored = fmt.Sprintf("unsafe head %d", p.Number)
	return nil
}

func (f *opcFSM) status() fsmStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := fsmStatus{Commands: f.commands, LastIndex: f.lastIndex, ChainSHA256: hexSum(f.chain),
		Accepted: f.accepted, Rejected: append([]uint64{}, f.rejected...), Restored: f.restored}
	if f.head != nil {
		st.Head = newHeadJSON(f.head, f.legacy, f.headFrom)
	}
	return st
}

func (f *opcFSM) headPayload() *execPayload {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.head
}

// commandFor makes the command for the next block the way op-conductor's
// CommitUnsafePayload does (the envelope's SSZ; in legacy mode version byte +
// payload).
func commandFor(e *envelope, legacy bool) []byte {
	if legacy {
		return encodeLegacy(&e.Payload)
	}
	return e.encode()
}
