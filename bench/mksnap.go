// mksnap — writes the HashiCorp-Raft FileSnapshotStore snapshot that makes a
// compacted `oci-harness biglog` log startable by raft (and valid for
// `op-conductor-init raft verify`): <node>/snapshots/<term>-<index>-<ms>/
// meta.json + state.bin, with the Size and big-endian CRC-64/ECMA that
// raft's FileSnapshotStore writes.
//
// It replays biglog's entry-type rules (tests/interop/harness/biglog.go) to
// find, for the snapshot index S (entries - keep, or --snap-index: op-conductor's
// raft snapshots every 8,192 entries and keeps 10,240 entries before its
// snapshot), the term of entry S and the newest configuration at or before S.
// Prints the term of the LAST entry (for the stable file's CurrentTerm) as
// `last_term N` on stdout.
//
// Standard library only (GO111MODULE=off go build); deterministic.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/crc64"
	"os"
	"path/filepath"
)

type server struct {
	Suffrage int
	ID       string
	Address  string
}

type configuration struct {
	Servers []server
}

// field order = raft.SnapshotMeta's, as encoding/json writes it
type meta struct {
	Version            int
	ID                 string
	Index              uint64
	Term               uint64
	Peers              []byte
	Configuration      configuration
	ConfigurationIndex uint64
	Size               int64
	CRC                []byte
}

func bigConfiguration(withNonvoter bool) configuration {
	var c configuration
	for i := 1; i <= 3; i++ {
		c.Servers = append(c.Servers, server{Suffrage: 0,
			ID:      fmt.Sprintf("sequencer-%d", i),
			Address: fmt.Sprintf("sequencer-%d.sequencer-headless.default.svc.cluster.local:50050", i)})
	}
	if withNonvoter {
		c.Servers = append(c.Servers, server{Suffrage: 1, ID: "sequencer-4",
			Address: "sequencer-4.sequencer-headless.default.svc.cluster.local:50050"})
	}
	return c
}

// encodePeers: raft's legacy Peers field, go-msgpack of the voter
// addresses ([]string, strings as legacy raw).
func encodePeers(c configuration) []byte {
	var b []byte
	var addrs []string
	for _, s := range c.Servers {
		if s.Suffrage == 0 {
			addrs = append(addrs, s.Address)
		}
	}
	b = append(b, 0x90|byte(len(addrs)))
	for _, a := range addrs {
		switch {
		case len(a) < 32:
			b = append(b, 0xa0|byte(len(a)))
		default:
			b = append(b, 0xda, byte(len(a)>>8), byte(len(a)))
		}
		b = append(b, a...)
	}
	return b
}

func main() {
	dir := flag.String("dir", "", "node directory (snapshots/ is created in it)")
	entries := flag.Uint64("entries", 0, "biglog --entries")
	keep := flag.Uint64("keep", 0, "biglog --keep")
	termEvery := flag.Uint64("term-every", 0, "biglog --term-every")
	barrierEvery := flag.Uint64("barrier-every", 0, "biglog --barrier-every")
	configEvery := flag.Uint64("config-every", 0, "biglog --config-every")
	stateSize := flag.Int("state-size", 4096, "bytes of state.bin")
	stateFile := flag.String("state", "", "state.bin's bytes from this file (biglog --state-out) instead of --state-size PRNG bytes")
	snapAt := flag.Uint64("snap-index", 0, "snapshot index (default entries-keep, the last removed entry); raft keeps TrailingLogs entries before it")
	ms := flag.Int64("ms", 1714564800123, "unix milliseconds in the snapshot ID")
	flag.Parse()
	if *dir == "" || *entries == 0 || *keep == 0 || *keep >= *entries {
		fmt.Fprintln(os.Stderr, "usage: mksnap --dir NODE --entries N --keep K (K < N) [--term-every T --barrier-every B --config-every C]")
		os.Exit(2)
	}
	_ = barrierEvery // barriers do not change term or configuration
	snapIndex := *entries - *keep
	if *snapAt != 0 {
		if *snapAt < snapIndex || *snapAt > *entries {
			fmt.Fprintln(os.Stderr, "mksnap: --snap-index must lie between entries-keep and entries")
			os.Exit(2)
		}
		snapIndex = *snapAt
	}
	term, nconf := uint64(1), 0
	var snapTerm, confIndex uint64
	conf := bigConfiguration(false)
	for i := uint64(1); i <= *entries; i++ {
		switch {
		case i == 1:
			confIndex = 1
		case *termEvery > 0 && (i-1)%*termEvery == 0:
			term++
		case *configEvery > 0 && i%*configEvery == *configEvery/2:
			nconf++
			if i <= snapIndex {
				conf, confIndex = bigConfiguration(nconf%2 == 1), i
			}
		}
		if i == snapIndex {
			snapTerm = term
		}
	}

	// state.bin: the given FSM state, or a small one of deterministic bytes
	state := make([]byte, *stateSize)
	x := uint32(2463534242)
	for i := range state {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		state[i] = byte(x)
	}
	if *stateFile != "" {
		b, err := os.ReadFile(*stateFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mksnap:", err)
			os.Exit(1)
		}
		state = b
	}
	h := crc64.New(crc64.MakeTable(crc64.ECMA))
	h.Write(state)

	id := fmt.Sprintf("%d-%d-%d", snapTerm, snapIndex, *ms)
	m := meta{Version: 1, ID: id, Index: snapIndex, Term: snapTerm, Peers: encodePeers(conf),
		Configuration: conf, ConfigurationIndex: confIndex, Size: int64(len(state)), CRC: h.Sum(nil)}
	js, err := json.Marshal(&m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mksnap:", err)
		os.Exit(1)
	}
	sdir := filepath.Join(*dir, "snapshots", id)
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "mksnap:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(sdir, "state.bin"), state, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "mksnap:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(sdir, "meta.json"), append(js, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "mksnap:", err)
		os.Exit(1)
	}
	fmt.Printf("snapshot %s\nlast_term %d\n", id, term)
}
