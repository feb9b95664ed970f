package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"time"

	raft "github.com/hashicorp/raft"
)

type biglogJSON struct {
	File       string            `json:"file"`
	Seed       int64             `json:"seed"`
	Entries    uint64            `json:"entries"`
	Kept       uint64            `json:"kept"`
	FirstIndex uint64            `json:"first_index"`
	LastIndex  uint64            `json:"last_index"`
	LastTerm   uint64            `json:"last_term"`
	DataBytes  uint64            `json:"data_bytes"`
	Types      map[string]uint64 `json:"types"`
	Batches    int               `json:"batches"`
	FileSize   int64             `json:"file_size"`
	ElapsedMS  int64             `json:"elapsed_ms"`
}

func bigConfiguration(withNonvoter bool) raft.Configuration {
	var c raft.Configuration
	for i := 1; i <= 3; i++ {
		c.Servers = append(c.Servers, raft.Server{Suffrage: raft.Voter,
			ID:      raft.ServerID(fmt.Sprintf("sequencer-%d", i)),
			Address: raft.ServerAddress(fmt.Sprintf("sequencer-%d.sequencer-headless.default.svc.cluster.local:50050", i))})
	}
	if withNonvoter {
		c.Servers = append(c.Servers, raft.Server{Suffrage: raft.Nonvoter, ID: "sequencer-4",
			Address: "sequencer-4.sequencer-headless.default.svc.cluster.local:50050"})
	}
	return c
}

// cmdBiglog writes a large, realistic raft-log.db with the real bolt writer
// (raft-boltdb v1 StoreLogs in batches of 64), then compacts it with
// DeleteRange like raft does after a snapshot. Deterministic by seed.
//
// Entry i: 1 = LogConfiguration (3 voters); a LogNoop opening term k+1 at
// every i = k*T+1; a LogConfiguration at i%C == C/2 (alternately 3 voters and
// 3 voters + one Nonvoter); a LogBarrier at i%B == B/2; everything else a
// LogCommand of size uniform in [BYTES/2, 3*BYTES/2] of PRNG bytes.
func cmdBiglog(args []string) error {
	fs := flag.NewFlagSet("biglog", flag.ContinueOnError)
	outPath := fs.String("out", "", "file to create (must not exist)")
	entries := fs.Uint64("entries", 0, "entries to write (indexes 1..N)")
	size := fs.Int("size", 4000, "mean command payload size in bytes")
	keep := fs.Uint64("keep", 0, "entries to keep at the end (DeleteRange(1, N-K)); 0 = keep all")
	seed := fs.Int64("seed", 1, "PRNG seed")
	termEvery := fs.Uint64("term-every", 0, "start a new term (with a LogNoop) every T entries")
	barrierEvery := fs.Uint64("barrier-every", 0, "a LogBarrier every B entries")
	configEvery := fs.Uint64("config-every", 0, "a LogConfiguration every C entries")
	payload := fs.String("payload", "random", "LogCommand data: random bytes, or opc (op-conductor's SSZ envelopes)")
	appendedAt := fs.Int64("appended-at-ms", 0, "AppendedAt of entry 1 in unix ms (raft v1.7 stack; 0 = zero time)")
	stateOut := fs.String("state-out", "", "write the newest LogCommand data at or before --state-at here")
	stateAt := fs.Uint64("state-at", 0, "index for --state-out")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *outPath == "" || *entries == 0 || *size < 2 {
		return usagef("usage: oci-harness biglog --out FILE --entries N --size BYTES --keep K --seed S [--term-every T --barrier-every B --config-every C]")
	}
	if *payload != "random" && *payload != "opc" {
		return usagef("biglog: --payload is random or opc, not %q", *payload)
	}
	if *appendedAt != 0 && !hasAppendedAt {
		return usagef("biglog: --appended-at-ms needs raft >= 1.3 (AppendedAt); this harness is %s", stackName)
	}
	if (*stateOut == "") != (*stateAt == 0) || *stateAt > *entries {
		return usagef("biglog: --state-out FILE and --state-at I (1..entries) go together")
	}
	if *keep == 0 || *keep > *entries {
		*keep = *entries
	}
	if _, err := os.Stat(*outPath); err == nil {
		return fmt.Errorf("%s already exists", *outPath)
	}
	t0 := time.Now()
	s, err := openStoreRW(*outPath, true)
	if err != nil {
		return err
	}
	defer s.Close()

	out := &biglogJSON{File: *outPath, Seed: *seed, Entries: *entries, Kept: *keep, Types: map[string]uint64{}}
	rng := rand.New(rand.NewSource(*seed))
	term := uint64(1)
	nconf := 0
	var chain *chainGen
	if *payload == "opc" {
		// Isthmus (V4) at the middle of the log; 2 s per block
		chain = newChainGen(*seed, 20_000_000, uint64(isthmusTime)-(*entries/2)*2)
	}
	var state []byte
	batch := make([]*raft.Log, 0, 64)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := s.StoreLogs(batch); err != nil {
			return fmt.Errorf("StoreLogs ending at %d: %v", batch[len(batch)-1].Index, err)
		}
		out.Batches++
		batch = batch[:0]
		return nil
	}
	for i := uint64(1); i <= *entries; i++ {
		l := &raft.Log{Index: i}
		switch {
		case i == 1:
			l.Type, l.Data = raft.LogConfiguration, raft.EncodeConfiguration(bigConfiguration(false))
		case *termEvery > 0 && (i-1)%*termEvery == 0:
			term++
			l.Type = raft.LogNoop
		case *configEvery > 0 && i%*configEvery == *configEvery/2:
			nconf++
			l.Type, l.Data = raft.LogConfiguration, raft.EncodeConfiguration(bigConfiguration(nconf%2 == 1))
		case *barrierEvery > 0 && i%*barrierEvery == *barrierEvery/2:
			l.Type = raft.LogBarrier
		case chain != nil:
			v := blockV3
			if chain.timestamp >= isthmusTime {
				v = blockV4
			}
			chain.fillTo = 0
			if *size > 2000 {
				chain.fillTo = *size/2 + rng.Intn(*size+1)
			}
			l.Type, l.Data = raft.LogCommand, chain.next(v).encode()
		default:
			n := *size/2 + rng.Intn(*size+1)
			d := make([]byte, n)
			rng.Read(d)
			copy(d, fmt.Sprintf("oci-biglog-%09d:", i))
			l.Type, l.Data = raft.LogCommand, d
		}
		l.Term = term
		if *appendedAt != 0 {
			setAppendedAt(l, time.UnixMilli(*appendedAt+2000*int64(i-1)).UTC())
		}
		if i <= *stateAt && l.Type == raft.LogCommand {
			state = l.Data
		}
		batch = append(batch, l)
		if len(batch) == 64 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if *keep < *entries {
		if err := s.DeleteRange(1, *entries-*keep); err != nil {
			return fmt.Errorf("DeleteRange(1, %d): %v", *entries-*keep, err)
		}
	}
	if err := s.Sync(); err != nil {
		return err
	}
	if *stateOut != "" {
		if err := os.WriteFile(*stateOut, state, 0o644); err != nil {
			return err
		}
	}
	sc, err := scanLog(s, *outPath, false)
	if err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	out.FirstIndex, out.LastIndex, out.LastTerm, out.DataBytes, out.Types = sc.First, sc.Last, sc.LastTerm, sc.DataBytes, sc.Types
	st, err := os.Stat(*outPath)
	if err != nil {
		return err
	}
	out.FileSize = st.Size()
	out.ElapsedMS = time.Since(t0).Milliseconds()
	return printJSON(out)
}
