package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc64"
	"hash/fnv"
	"io"
	"io/ioutil"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	raft "github.com/hashicorp/raft"
	bbolt "go.etcd.io/bbolt"
)

const (
	logFileName    = "raft-log.db"
	stableFileName = "raft-stable.db"
	openTimeout    = 5 * time.Second
	checkTimeout   = 60 * time.Second
)

var (
	keyCurrentTerm  = []byte("CurrentTerm")
	keyLastVoteTerm = []byte("LastVoteTerm")
	keyLastVoteCand = []byte("LastVoteCand")
)

func logTypeName(t raft.LogType) string {
	switch t {
	case raft.LogCommand:
		return "LogCommand"
	case raft.LogNoop:
		return "LogNoop"
	case raft.LogAddPeerDeprecated:
		return "LogAddPeerDeprecated"
	case raft.LogRemovePeerDeprecated:
		return "LogRemovePeerDeprecated"
	case raft.LogBarrier:
		return "LogBarrier"
	case raft.LogConfiguration:
		return "LogConfiguration"
	}
	return fmt.Sprintf("LogType(%d)", uint8(t))
}

// ---- configurations -------------------------------------------------------

type serverJSON struct {
	ID       string `json:"id"`
	Address  string `json:"address"`
	Suffrage string `json:"suffrage"`
}

type configJSON struct {
	Source  string       `json:"source"` // "log" or "snapshot:<id>"
	Index   uint64       `json:"index"`
	Term    uint64       `json:"term,omitempty"`
	Servers []serverJSON `json:"servers"`
}

func serversJSON(c raft.Configuration) []serverJSON {
	out := make([]serverJSON, 0, len(c.Servers))
	for _, s := range c.Servers {
		out = append(out, serverJSON{ID: string(s.ID), Address: string(s.Address), Suffrage: s.Suffrage.String()})
	}
	return out
}

func sameConfiguration(a, b raft.Configuration) bool {
	if len(a.Servers) != len(b.Servers) {
		return false
	}
	for i := range a.Servers {
		if a.Servers[i] != b.Servers[i] {
			return false
		}
	}
	return true
}

func configString(c raft.Configuration) string {
	var parts []string
	for _, s := range c.Servers {
		parts = append(parts, fmt.Sprintf("%s@%s/%s", s.ID, s.Address, s.Suffrage))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// decodeConfiguration wraps raft.DecodeConfiguration (which panics on bad input).
func decodeConfiguration(data []byte) (c raft.Configuration, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return raft.DecodeConfiguration(data), nil
}

// ---- snapshots (FileSnapshotStore layout, read without modifying anything) --

type snapshotJSON struct {
	ID                 string       `json:"id"`
	Version            int          `json:"version"`
	Index              uint64       `json:"index"`
	Term               uint64       `json:"term"`
	ConfigurationIndex uint64       `json:"configuration_index"`
	Size               int64        `json:"size"`
	CRCOK              bool         `json:"crc_ok"`
	Servers            []serverJSON `json:"servers"`

	meta raft.SnapshotMeta
}

type fileMeta struct {
	raft.SnapshotMeta
	CRC []byte
}

// readSnapshots lists DIR/snapshots/* newest first (FileSnapshotStore order:
// term, index, ID), verifying size and CRC-64/ECMA of each state.bin.
func readSnapshots(dir string) ([]*snapshotJSON, error) {
	base := filepath.Join(dir, "snapshots")
	ents, err := ioutil.ReadDir(base)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*snapshotJSON
	for _, e := range ents {
		if !e.IsDir() || strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		raw, err := ioutil.ReadFile(filepath.Join(base, e.Name(), "meta.json"))
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %v", e.Name(), err)
		}
		var m fileMeta
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("snapshot %s: meta.json: %v", e.Name(), err)
		}
		state, err := ioutil.ReadFile(filepath.Join(base, e.Name(), "state.bin"))
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %v", e.Name(), err)
		}
		sum := make([]byte, 8)
		binary.BigEndian.PutUint64(sum, crc64.Checksum(state, crc64.MakeTable(crc64.ECMA)))
		s := &snapshotJSON{
			ID: m.ID, Version: int(m.Version), Index: m.Index, Term: m.Term,
			ConfigurationIndex: m.ConfigurationIndex, Size: m.Size,
			CRCOK:   bytes.Equal(sum, m.CRC) && int64(len(state)) == m.Size,
			Servers: serversJSON(m.Configuration),
			meta:    m.SnapshotMeta,
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Term != b.Term {
			return a.Term > b.Term
		}
		if a.Index != b.Index {
			return a.Index > b.Index
		}
		return a.ID > b.ID
	})
	return out, nil
}

// ---- bbolt structural check (go.etcd.io/bbolt, read-only) -----------------

type fileCheckJSON struct {
	Path          string   `json:"path"`
	Size          int64    `json:"size"`
	PageSize      int      `json:"page_size"`
	Txid          int      `json:"txid"`
	HighWaterMark int64    `json:"high_water_mark"`
	Buckets       []string `json:"buckets"`
	BboltCheck    string   `json:"bbolt_check"`
}

// metaGuard reads the two meta pages the way bbolt chooses between them and
// refuses files whose high-water mark lies beyond the end of the file: bbolt
// does not check that and dies with SIGBUS on the first touch of such a page.
func metaGuard(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	type meta struct {
		ok                  bool
		pageSize            uint32
		root, freelist, hwm uint64
		txid                uint64
	}
	read := func(off int64) meta {
		buf := make([]byte, 16+64)
		if _, err := f.ReadAt(buf, off); err != nil {
			return meta{}
		}
		b := buf[16:]
		h := fnv.New64a()
		h.Write(b[:56])
		m := meta{
			pageSize: binary.LittleEndian.Uint32(b[8:]),
			root:     binary.LittleEndian.Uint64(b[16:]),
			freelist: binary.LittleEndian.Uint64(b[32:]),
			hwm:      binary.LittleEndian.Uint64(b[40:]),
			txid:     binary.LittleEndian.Uint64(b[48:]),
		}
		m.ok = binary.LittleEndian.Uint32(b[0:]) == 0xED0CDAED && binary.LittleEndian.Uint32(b[4:]) == 2 &&
			h.Sum64() == binary.LittleEndian.Uint64(b[56:])
		return m
	}
	m0 := read(0)
	ps := int64(m0.pageSize)
	if !m0.ok || ps < 512 || ps > 1<<16 {
		ps = int64(os.Getpagesize())
	}
	m1 := read(ps)
	best := m0
	if !m0.ok || (m1.ok && m1.txid > m0.txid) {
		best = m1
	}
	if !best.ok {
		return nil // let bbolt report its own error ("invalid"/"checksum error")
	}
	size := int64(best.pageSize)
	if best.hwm*uint64(size) > uint64(st.Size()) {
		return fmt.Errorf("%s: truncated: high-water mark %d pages x %d B is beyond the file size %d B (bbolt would fault with SIGBUS)",
			path, best.hwm, size, st.Size())
	}
	if best.root >= best.hwm || best.freelist >= best.hwm {
		return fmt.Errorf("%s: meta txid %d: root %d / freelist %d not below high-water mark %d", path, best.txid, best.root, best.freelist, best.hwm)
	}
	return nil
}

// bboltCheck opens path read-only with go.etcd.io/bbolt and runs tx.Check.
func bboltCheck(path string) (*fileCheckJSON, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if err := metaGuard(path); err != nil {
		return nil, err
	}
	res := &fileCheckJSON{Path: path, Size: st.Size()}
	err = withTimeout(checkTimeout, "bbolt tx.Check of "+path, func() error {
		db, err := bbolt.Open(path, 0600, &bbolt.Options{ReadOnly: true, Timeout: openTimeout})
		if err != nil {
			return fmt.Errorf("%s: bbolt open: %v", path, err)
		}
		defer db.Close()
		res.PageSize = db.Info().PageSize
		return db.View(func(tx *bbolt.Tx) error {
			res.Txid = tx.ID()
			res.HighWaterMark = tx.Size() / int64(res.PageSize)
			var errs []string
			for e := range tx.Check() {
				errs = append(errs, e.Error())
			}
			if len(errs) > 0 {
				return fmt.Errorf("%s: bbolt tx.Check: %d error(s): %s", path, len(errs), strings.Join(errs, "; "))
			}
			res.Buckets = []string{}
			return tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
				res.Buckets = append(res.Buckets, string(name))
				return nil
			})
		})
	})
	if err != nil {
		return nil, err
	}
	res.BboltCheck = "ok"
	return res, nil
}

// ---- raft-boltdb (the stack's: v1 on boltdb/bolt or v2 on bbolt) ----------------------------------------

// openStoreRO opens a raft-boltdb store read-only (shared flock, O_RDONLY):
// raft-boltdb's Options.BoltOptions.ReadOnly skips its bucket-creating commit.
func openStoreRO(path string) (*boltStore, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	s, err := newStore(path, true, false)
	if err != nil {
		return nil, fmt.Errorf("%s: raft-boltdb open: %v", path, err)
	}
	return s, nil
}

// openStoreRW opens a raft-boltdb store read-write (exclusive flock), the
// way raft/op-conductor do; the open commits a transaction.
func openStoreRW(path string, noSync bool) (*boltStore, error) {
	s, err := newStore(path, false, noSync)
	if err != nil {
		return nil, fmt.Errorf("%s: raft-boltdb open: %v", path, err)
	}
	return s, nil
}

type logScan struct {
	First, Last, Count, DataBytes, LastTerm uint64
	Types                                   map[string]uint64
	Configs                                 []configJSON
	configs                                 []raft.Configuration
}

// scanLog reads every index First..Last with GetLog; a missing index, an
// entry whose Index differs from its key, or a term going backwards fails.
func scanLog(s *boltStore, path string, wantConfigs bool) (*logScan, error) {
	return scanLogFrom(s, path, wantConfigs, 0)
}

// scanLogFrom is scanLog from index `from` on (when above First): what
// NewRaft reads, the entries after the restored snapshot's index (api.go;
// a gap at or below it is never read). First stays the store's.
func scanLogFrom(s *boltStore, path string, wantConfigs bool, from uint64) (*logScan, error) {
	res := &logScan{Types: map[string]uint64{}}
	err := withTimeout(10*time.Minute, "reading "+path, func() error {
		var err error
		if res.First, err = s.FirstIndex(); err != nil {
			return fmt.Errorf("%s: FirstIndex: %v", path, err)
		}
		if res.Last, err = s.LastIndex(); err != nil {
			return fmt.Errorf("%s: LastIndex: %v", path, err)
		}
		if res.First == 0 && res.Last == 0 {
			return nil
		}
		var prevTerm uint64
		start := res.First
		if from > start {
			start = from
		}
		for i := start; i <= res.Last; i++ {
			var l raft.Log
			if err := s.GetLog(i, &l); err != nil {
				return fmt.Errorf("%s: GetLog(%d) (log range %d..%d): %v", path, i, res.First, res.Last, err)
			}
			if l.Index != i {
				return fmt.Errorf("%s: entry under key %d has Index %d", path, i, l.Index)
			}
			if l.Term < prevTerm {
				return fmt.Errorf("%s: entry %d has term %d after term %d", path, i, l.Term, prevTerm)
			}
			prevTerm = l.Term
			res.Count++
			res.DataBytes += uint64(len(l.Data))
			res.Types[logTypeName(l.Type)]++
			if wantConfigs && l.Type == raft.LogConfiguration {
				c, err := decodeConfiguration(l.Data)
				if err != nil {
					return fmt.Errorf("%s: entry %d: DecodeConfiguration: %v", path, i, err)
				}
				res.Configs = append(res.Configs, configJSON{Source: "log", Index: i, Term: l.Term, Servers: serversJSON(c)})
				res.configs = append(res.configs, c)
			}
		}
		res.LastTerm = prevTerm
		return nil
	})
	return res, err
}

func getUint64(s *boltStore, key []byte) (*uint64, error) {
	v, err := s.Get(key)
	if err == errKeyNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(v) != 8 {
		return nil, fmt.Errorf("%s is %d bytes, want 8", key, len(v))
	}
	x := binary.BigEndian.Uint64(v)
	return &x, nil
}

// ---- helpers ---------------------------------------------------------------

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	// owner-writable whatever the source: the copy is ours to open read-write
	// (raft-boltdb opens its files O_RDWR), and ../shared's vectors are read-only
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, st.Mode().Perm()|0600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// copyTree copies a directory tree of regular files and directories.
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case info.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0700)
		case info.Mode().IsRegular():
			return copyFile(p, target)
		}
		return nil // skip sockets, symlinks, ...
	})
}

func hexSum(b [32]byte) string { return hex.EncodeToString(b[:]) }
