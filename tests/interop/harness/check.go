package main

import (
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"time"

	raft "github.com/hashicorp/raft"
)

type checkJSON struct {
	Dir            string            `json:"dir"`
	LogFile        *fileCheckJSON    `json:"log_file"`
	StableFile     *fileCheckJSON    `json:"stable_file"`
	RaftBoltDBOpen string            `json:"raftboltdb_open"`
	CurrentTerm    *uint64           `json:"current_term"`
	LastVoteTerm   *uint64           `json:"last_vote_term"`
	LastVoteCand   *string           `json:"last_vote_cand"`
	FirstIndex     uint64            `json:"first_index"`
	LastIndex      uint64            `json:"last_index"`
	Count          uint64            `json:"count"`
	DataBytes      uint64            `json:"data_bytes"`
	LastLogTerm    uint64            `json:"last_log_term"`
	Types          map[string]uint64 `json:"types"`
	Configurations []configJSON      `json:"configurations"`
	Snapshots      []*snapshotJSON   `json:"snapshots"`
	Configuration  *configJSON       `json:"configuration"`
	RWReopenCopy   string            `json:"rw_reopen_copy"`
}

// effectiveConfiguration is what NewRaft ends up with: the newest snapshot's
// configuration, replaced by any LogConfiguration entry after the snapshot.
func effectiveConfiguration(snaps []*snapshotJSON, sc *logScan) (*configJSON, raft.Configuration) {
	var cj *configJSON
	var c raft.Configuration
	var snapIndex uint64
	if len(snaps) > 0 {
		s := snaps[0]
		snapIndex = s.Index
		cj = &configJSON{Source: "snapshot:" + s.ID, Index: s.ConfigurationIndex, Servers: s.Servers}
		c = s.meta.Configuration
	}
	for i, lc := range sc.Configs {
		if lc.Index > snapIndex {
			x := sc.Configs[i]
			cj, c = &x, sc.configs[i]
		}
	}
	return cj, c
}

func cmdCheck(args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: oci-harness check DIR")
	}
	dir := pos[0]
	logPath := filepath.Join(dir, logFileName)
	stablePath := filepath.Join(dir, stableFileName)
	out := &checkJSON{Dir: dir, RaftBoltDBOpen: "read-only"}

	// 1. bbolt structure, read-only, both files.
	if out.LogFile, err = bboltCheck(logPath); err != nil {
		return err
	}
	if out.StableFile, err = bboltCheck(stablePath); err != nil {
		return err
	}

	// 2. raft-boltdb v1, read-only: stable keys.
	err = withTimeout(checkTimeout, "reading "+stablePath, func() error {
		st, err := openStoreRO(stablePath)
		if err != nil {
			return err
		}
		defer st.Close()
		if out.CurrentTerm, err = getUint64(st, keyCurrentTerm); err != nil {
			return fmt.Errorf("%s: %v", stablePath, err)
		}
		if out.LastVoteTerm, err = getUint64(st, keyLastVoteTerm); err != nil {
			return fmt.Errorf("%s: %v", stablePath, err)
		}
		v, err := st.Get(keyLastVoteCand)
		if err == nil {
			s := string(v)
			out.LastVoteCand = &s
		} else if err != errKeyNotFound {
			return fmt.Errorf("%s: LastVoteCand: %v", stablePath, err)
		}
		return nil
	})
	if err != nil {
		return err
	}

	// 3. raft-boltdb v1, read-only: every log entry.
	ls, err := openStoreRO(logPath)
	if err != nil {
		return err
	}
	sc, err := scanLog(ls, logPath, true)
	ls.Close()
	if err != nil {
		return err
	}
	out.FirstIndex, out.LastIndex, out.Count, out.DataBytes = sc.First, sc.Last, sc.Count, sc.DataBytes
	out.LastLogTerm, out.Types, out.Configurations = sc.LastTerm, sc.Types, sc.Configs
	if out.Configurations == nil {
		out.Configurations = []configJSON{}
	}

	// 4. snapshots beside the files (FileSnapshotStore layout).
	if out.Snapshots, err = readSnapshots(dir); err != nil {
		return err
	}
	if out.Snapshots == nil {
		out.Snapshots = []*snapshotJSON{}
	}
	for _, s := range out.Snapshots {
		if !s.CRCOK {
			return fmt.Errorf("%s: snapshot %s: state.bin size/CRC-64 does not match meta.json", dir, s.ID)
		}
	}

	// 5. the invariants NewRaft relies on.
	var snapIndex uint64
	if len(out.Snapshots) > 0 {
		snapIndex = out.Snapshots[0].Index
	}
	if sc.Last > 0 && snapIndex+1 < sc.First {
		return fmt.Errorf("%s: log starts at index %d but the newest snapshot covers only up to %d: NewRaft would panic at GetLog(%d)",
			dir, sc.First, snapIndex, snapIndex+1)
	}
	var term uint64
	if out.CurrentTerm != nil {
		term = *out.CurrentTerm
	}
	if term < sc.LastTerm {
		return fmt.Errorf("%s: CurrentTerm %d is below the last log term %d", dir, term, sc.LastTerm)
	}
	if (out.LastVoteTerm == nil) != (out.LastVoteCand == nil) {
		return fmt.Errorf("%s: only one of LastVoteTerm / LastVoteCand is set", dir)
	}
	var conf raft.Configuration
	out.Configuration, conf = effectiveConfiguration(out.Snapshots, sc)
	if out.Configuration == nil || len(conf.Servers) == 0 {
		return fmt.Errorf("%s: no configuration in the log or in a snapshot: raft would never elect a leader", dir)
	}

	// 6. the old bolt writer can commit onto a copy, and the result still checks.
	if err := rwReopenCopy(logPath, stablePath); err != nil {
		return err
	}
	out.RWReopenCopy = "ok"
	return printJSON(out)
}

// rwReopenCopy copies both files to a temp dir, opens each with raft-boltdb's
// NewBoltStore (read-write; it commits a transaction through boltdb/bolt's
// writer, as op-conductor's start does), closes, and runs tx.Check again.
func rwReopenCopy(paths ...string) error {
	tmp, err := ioutil.TempDir("", "oci-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, p := range paths {
		c := filepath.Join(tmp, filepath.Base(p))
		if err := copyFile(p, c); err != nil {
			return err
		}
		err := withTimeout(checkTimeout, "read-write reopen of a copy of "+p, func() error {
			s, err := newBoltStore(c)
			if err != nil {
				return fmt.Errorf("copy of %s: NewBoltStore: %v", p, err)
			}
			if _, err := s.LastIndex(); err != nil {
				s.Close()
				return fmt.Errorf("copy of %s: LastIndex after read-write open: %v", p, err)
			}
			return s.Close()
		})
		if err != nil {
			return err
		}
		if _, err := bboltCheck(c); err != nil {
			return fmt.Errorf("after read-write reopen of a copy of %s: %v", p, err)
		}
	}
	return nil
}

var _ = time.Second
