package main

// Checks of `raft logs` and `raft compact` against the Go code op-conductor runs:
//
//   logs-check --dir NODE --ndjson FILE
//       every entry of NODE/raft-log.db read with raft-boltdb/v2 (GetLog, on a copy
//       of the file: the store opens read-write) and compared with its line in
//       FILE (the output of `raft logs --payload json` over the whole log): index,
//       term, type, appended_at, data size; a LogCommand entry is decoded as
//       op-conductor's FSM does (raft_fsm.go Apply: ExecutionPayloadEnvelope
//       UnmarshalSSZ as BlockV4, else BlockV3) and, when that succeeds, the line's
//       "envelope" must be the same JSON value as encoding/json of that envelope
//       (op-service/eth/types.go), and its "payload" fields must match; when it
//       fails, the line must not claim an envelope.
//   bolt-check --file DB
//       bbolt's own view of a database file: tx.Check (no error), the free and
//       pending pages of its freelist, the high-water mark, the page size, and the
//       buckets with their key counts.
//
// Both print one JSON document; logs-check fails (exit 1) on the first mismatch.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/ethereum-optimism/optimism/op-service/eth"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"
)

type ociLine struct {
	Index      uint64          `json:"index"`
	Term       uint64          `json:"term"`
	Type       string          `json:"type"`
	AppendedAt *string         `json:"appended_at"`
	DataSize   int             `json:"data_size"`
	Payload    *ociPayload     `json:"payload"`
	Envelope   json.RawMessage `json:"envelope"`
}

type ociPayload struct {
	Form         string `json:"form"`
	Version      int    `json:"version"`
	BlockNumber  uint64 `json:"block_number"`
	Hash         string `json:"hash"`
	ParentHash   string `json:"parent_hash"`
	Timestamp    uint64 `json:"timestamp"`
	GasUsed      uint64 `json:"gas_used"`
	Transactions int    `json:"transactions"`
	Withdrawals  int    `json:"withdrawals"`
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// sameJSON: a and b decode to the same JSON value (numbers as text).
func sameJSON(a, b []byte) (bool, error) {
	var va, vb interface{}
	da := json.NewDecoder(bytes.NewReader(a))
	da.UseNumber()
	db := json.NewDecoder(bytes.NewReader(b))
	db.UseNumber()
	if err := da.Decode(&va); err != nil {
		return false, err
	}
	if err := db.Decode(&vb); err != nil {
		return false, err
	}
	return reflect.DeepEqual(va, vb), nil
}

// fsmDecode: raft_fsm.go Apply's decoding.
func fsmDecode(data []byte) (*eth.ExecutionPayloadEnvelope, int) {
	env := &eth.ExecutionPayloadEnvelope{}
	if err := env.UnmarshalSSZ(eth.BlockV4, uint32(len(data)), bytes.NewReader(data)); err == nil {
		return env, 4
	}
	env = &eth.ExecutionPayloadEnvelope{}
	if err := env.UnmarshalSSZ(eth.BlockV3, uint32(len(data)), bytes.NewReader(data)); err == nil {
		return env, 3
	}
	return nil, 0
}

func checkLine(l *raft.Log, o *ociLine) (bool, error) {
	if o.Term != l.Term || o.Type != l.Type.String() || o.DataSize != len(l.Data) {
		return false, fmt.Errorf("index %d: term/type/size %d %s %d, raft-boltdb reads %d %s %d",
			l.Index, o.Term, o.Type, o.DataSize, l.Term, l.Type.String(), len(l.Data))
	}
	// null: no time stored (raft-boltdb reads the zero time); a stored zero
	// time is printed as 0001-01-01T00:00:00Z
	if o.AppendedAt == nil && !l.AppendedAt.IsZero() {
		return false, fmt.Errorf("index %d: appended_at null, raft-boltdb reads %s", l.Index, l.AppendedAt.Format(time.RFC3339Nano))
	}
	if o.AppendedAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *o.AppendedAt)
		if err != nil || !t.Equal(l.AppendedAt) {
			return false, fmt.Errorf("index %d: appended_at %s, raft-boltdb reads %s", l.Index, *o.AppendedAt, l.AppendedAt.Format(time.RFC3339Nano))
		}
	}
	if l.Type != raft.LogCommand {
		if o.Payload != nil || o.Envelope != nil {
			return false, fmt.Errorf("index %d: a %s entry with a payload", l.Index, l.Type)
		}
		return false, nil
	}
	env, version := fsmDecode(l.Data)
	if env == nil {
		if o.Envelope != nil && o.Payload != nil && o.Payload.Form == "envelope" {
			return false, fmt.Errorf("index %d: op-service does not decode it (V4, V3), raft logs says envelope V%d", l.Index, o.Payload.Version)
		}
		return false, nil
	}
	p := env.ExecutionPayload
	if o.Payload == nil || o.Payload.Form != "envelope" || o.Envelope == nil {
		return false, fmt.Errorf("index %d: op-service decodes a V%d envelope, raft logs prints none", l.Index, version)
	}
	want := ociPayload{Form: "envelope", Version: version, BlockNumber: uint64(p.BlockNumber), Hash: p.BlockHash.Hex(),
		ParentHash: p.ParentHash.Hex(), Timestamp: uint64(p.Timestamp), GasUsed: uint64(p.GasUsed),
		Transactions: len(p.Transactions)}
	if p.Withdrawals != nil {
		want.Withdrawals = len(*p.Withdrawals)
	}
	if *o.Payload != want {
		return false, fmt.Errorf("index %d: payload %+v, op-service decodes %+v", l.Index, *o.Payload, want)
	}
	js, err := json.Marshal(env)
	if err != nil {
		return false, err
	}
	same, err := sameJSON(js, o.Envelope)
	if err != nil {
		return false, fmt.Errorf("index %d: %v", l.Index, err)
	}
	if !same {
		return false, fmt.Errorf("index %d: the envelope differs from op-service's JSON:\n  ours: %.600s\n  op-service: %.600s", l.Index, o.Envelope, js)
	}
	return true, nil
}

func cmdLogsCheck(args []string) error {
	fs := flag.NewFlagSet("logs-check", flag.ContinueOnError)
	dir := fs.String("dir", "", "")
	nd := fs.String("ndjson", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" || *nd == "" {
		return usagef("logs-check --dir NODE --ndjson FILE")
	}
	tmp, err := os.MkdirTemp("", "oci-logs-check")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cp := filepath.Join(tmp, "raft-log.db")
	if err := copyFile(filepath.Join(*dir, "raft-log.db"), cp); err != nil {
		return err
	}
	store, err := raftboltdb.New(raftboltdb.Options{Path: cp, BoltOptions: &bbolt.Options{Timeout: 5 * time.Second}})
	if err != nil {
		return err
	}
	defer store.Close()

	f, err := os.Open(*nd)
	if err != nil {
		return err
	}
	defer f.Close()
	lines := map[uint64]*ociLine{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		o := &ociLine{}
		if err := json.Unmarshal(sc.Bytes(), o); err != nil {
			return fmt.Errorf("line %d of %s: %v", len(lines)+1, *nd, err)
		}
		lines[o.Index] = o
	}
	if err := sc.Err(); err != nil {
		return err
	}
	first, err := store.FirstIndex()
	if err != nil {
		return err
	}
	last, err := store.LastIndex()
	if err != nil {
		return err
	}
	res := struct {
		First     uint64 `json:"first_index"`
		Last      uint64 `json:"last_index"`
		Entries   int    `json:"entries"`
		Envelopes int    `json:"envelopes"`
	}{First: first, Last: last}
	if uint64(len(lines)) != last-first+1 && last != 0 {
		return fmt.Errorf("%s has %d lines, the log %d..%d entries", *nd, len(lines), first, last)
	}
	for i := first; i <= last && last != 0; i++ {
		var l raft.Log
		if err := store.GetLog(i, &l); err != nil {
			return fmt.Errorf("GetLog(%d): %v", i, err)
		}
		o, ok := lines[i]
		if !ok {
			return fmt.Errorf("index %d has no line", i)
		}
		env, err := checkLine(&l, o)
		if err != nil {
			return err
		}
		res.Entries++
		if env {
			res.Envelopes++
		}
	}
	return printJSON(res)
}

func cmdBoltCheck(args []string) error {
	fs := flag.NewFlagSet("bolt-check", flag.ContinueOnError)
	file := fs.String("file", "", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("bolt-check --file DB")
	}
	db, err := bbolt.Open(*file, 0600, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := os.Stat(*file)
	if err != nil {
		return err
	}
	res := struct {
		Errors    []string          `json:"errors"`
		FreePages int               `json:"free_pages"`
		Pending   int               `json:"pending_pages"`
		HWM       int64             `json:"hwm_pages"`
		PageSize  int               `json:"page_size"`
		FileSize  int64             `json:"file_size"`
		Buckets   map[string]int    `json:"buckets"`
		Sequences map[string]uint64 `json:"sequences"`
	}{Errors: []string{}, Buckets: map[string]int{}, Sequences: map[string]uint64{}, FileSize: st.Size(), PageSize: db.Info().PageSize}
	err = db.View(func(tx *bbolt.Tx) error {
		for e := range tx.Check() {
			res.Errors = append(res.Errors, e.Error())
		}
		res.HWM = tx.Size() / int64(res.PageSize)
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			res.Buckets[string(name)] = b.Stats().KeyN
			res.Sequences[string(name)] = b.Sequence()
			return nil
		})
	})
	if err != nil {
		return err
	}
	s := db.Stats()
	res.FreePages, res.Pending = s.FreePageN, s.PendingPageN
	return printJSON(res)
}
