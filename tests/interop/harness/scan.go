package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	raft "github.com/hashicorp/raft"
)

type scanJSON struct {
	File       string            `json:"file"`
	Open       string            `json:"open"`
	BboltCheck string            `json:"bbolt_check,omitempty"`
	Count      uint64            `json:"count"`
	DataBytes  uint64            `json:"data_bytes"`
	First      uint64            `json:"first"`
	Last       uint64            `json:"last"`
	LastTerm   uint64            `json:"last_term"`
	Types      map[string]uint64 `json:"types"`
	ElapsedMS  int64             `json:"elapsed_ms"`
}

// cmdScan is the Go reference reader for benchmarks: raft-boltdb GetLog of
// every index FirstIndex..LastIndex on the original file, opened read-only.
func cmdScan(args []string) error {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	check := fs.Bool("check", false, "run bbolt tx.Check (read-only) first")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: oci-harness scan [--check] FILE")
	}
	t0 := time.Now()
	out := &scanJSON{File: pos[0], Open: "read-only"}
	if *check {
		if _, err := bboltCheck(pos[0]); err != nil {
			return err
		}
		out.BboltCheck = "ok"
	} else if err := metaGuard(pos[0]); err != nil {
		return err
	}
	s, err := openStoreRO(pos[0])
	if err != nil {
		return err
	}
	sc, err := scanLog(s, pos[0], false)
	s.Close()
	if err != nil {
		return err
	}
	out.Count, out.DataBytes, out.First, out.Last, out.LastTerm, out.Types = sc.Count, sc.DataBytes, sc.First, sc.Last, sc.LastTerm, sc.Types
	out.ElapsedMS = time.Since(t0).Milliseconds()
	return printJSON(out)
}

// cmdAppend holds FILE open read-write (exclusive flock, as a running
// op-conductor does) and appends LogCommand entries at ~R per second for S
// seconds. After each commit returns it prints "committed INDEX" (flushed),
// so a test knows what was durable before a given moment. SIGINT/SIGTERM
// stop it cleanly.
func cmdAppend(args []string) error {
	fs := flag.NewFlagSet("append", flag.ContinueOnError)
	rate := fs.Float64("rate", 10, "entries per second")
	seconds := fs.Float64("seconds", 5, "how long to keep appending")
	size := fs.Int("size", 256, "payload bytes per entry")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *rate <= 0 || *seconds < 0 || *size < 0 {
		return usagef("usage: oci-harness append FILE --rate R --seconds S")
	}
	path := pos[0]
	if _, err := os.Stat(path); err != nil {
		return err
	}
	if err := metaGuard(path); err != nil {
		return err
	}
	s, err := openStoreRW(path, false)
	if err != nil {
		return err
	}
	defer s.Close()
	w := bufio.NewWriter(os.Stdout)
	say := func(format string, a ...interface{}) {
		fmt.Fprintf(w, format+"\n", a...)
		w.Flush()
	}
	last, err := s.LastIndex()
	if err != nil {
		return err
	}
	term := uint64(1)
	if last > 0 {
		var l raft.Log
		if err := s.GetLog(last, &l); err != nil {
			return fmt.Errorf("GetLog(%d): %v", last, err)
		}
		term = l.Term
	}
	say("locked %s last %d term %d", path, last, term)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	end := time.After(time.Duration(*seconds * float64(time.Second)))
	n := 0
	for {
		select {
		case <-end:
			say("done %d", n)
			return s.Close()
		case <-sig:
			say("stopped %d", n)
			return s.Close()
		case <-tick.C:
			last++
			d := make([]byte, *size)
			copy(d, fmt.Sprintf("oci-append-%09d:", last))
			for i := 20; i < len(d); i++ {
				d[i] = byte(last*31 + uint64(i))
			}
			if err := s.StoreLog(&raft.Log{Index: last, Term: term, Type: raft.LogCommand, Data: d}); err != nil {
				return fmt.Errorf("StoreLog(%d): %v", last, err)
			}
			n++
			say("committed %d", last)
		}
	}
}

// cmdWaitLock holds an exclusive bolt (flock LOCK_EX, read-write) open on an
// existing FILE for SECONDS, printing "locked FILE" once it holds the lock.
func cmdWaitLock(args []string) error {
	fs := flag.NewFlagSet("wait-lock", flag.ContinueOnError)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("usage: oci-harness wait-lock FILE SECONDS")
	}
	secs, err := strconv.ParseFloat(pos[1], 64)
	if err != nil || secs < 0 {
		return usagef("wait-lock: bad SECONDS %q", pos[1])
	}
	if _, err := os.Stat(pos[0]); err != nil {
		return err
	}
	if err := metaGuard(pos[0]); err != nil {
		return err
	}
	unlock, err := lockBolt(pos[0])
	if err != nil {
		return fmt.Errorf("%s: bolt open: %v", pos[0], err)
	}
	defer unlock()
	fmt.Printf("locked %s\n", pos[0])
	os.Stdout.Sync()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-time.After(time.Duration(secs * float64(time.Second))):
	case <-sig:
	}
	fmt.Printf("released %s\n", pos[0])
	return unlock()
}
