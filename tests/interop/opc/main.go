// oci-opc: the interop harness's third stack, op-conductor v1.19.6's own
// consensus. It runs op-conductor's RaftConsensus (op-conductor/consensus,
// raft.go NewRaftConsensus: raft-boltdb/v2 log and stable stores, raft's file
// snapshot store keeping one snapshot, a TCP transport, the unsafeHeadTracker
// FSM of raft_fsm.go) on node directories written or read by op-conductor-init,
// so that the tests compare what the C tool says with what op-conductor itself
// does: payloads go in through RaftConsensus.CommitUnsafePayload (SSZ envelopes
// made by op-service/eth's own MarshalSSZ), the head comes out of
// RaftConsensus.LatestUnsafePayload, snapshots and log truncation are raft's own
// (op-conductor's configuration; the tests only lower the thresholds).
//
// Built by ../build-harness.sh (stack opc-1.19.6) from this directory's go.mod
// and go.sum (-mod=readonly). Every command prints one JSON document on stdout
// and exits non-zero with one line on stderr on failure (2: bad arguments).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

const usage = `usage: oci-opc COMMAND [ARGS]

commands:
  run --storage DIR --nodes ID=PORT,... [--bootstrap ID] [--join ID,...] [--blocks SPEC]
      [--barriers N] [--threshold N] [--trailing N] [--interval D] [--wait-snapshot]
      [--stay D] [--timeout D] [--step-down-at K] [--verbose]
        start op-conductor's RaftConsensus for each node (StorageDir DIR, so node ID's
        state is DIR/ID, listening on 127.0.0.1:PORT), wait for a leader, add the --join
        nodes as voters (RaftConsensus.AddVoter), commit the payloads of SPEC through the
        leader's CommitUnsafePayload, call LatestUnsafePayload --barriers times more, wait
        until every node has applied everything (and, with --wait-snapshot, until raft
        itself has snapshotted every node past its threshold), then print the head
        LatestUnsafePayload returns and each node's raft stats, and shut down. A commit
        that raft gives up because the leader lost its leadership (a loaded machine's
        missed heartbeats) waits for a leader and is committed again unless the new
        leader's log holds it; --step-down-at K makes the leader hand over
        (LeadershipTransfer) while payload K (from 0) commits.
  payload --blocks SPEC --out DIR
        write each payload of SPEC as op-service/eth MarshalSSZ encodes it (DIR/N.ssz)
  logs-check --dir NODE --ndjson FILE
        compare raft logs --payload json output with raft-boltdb and op-service (logs_check.go)
  bolt-check --file DB
        bbolt's tx.Check, free pages, high-water mark and buckets of DB (logs_check.go)
  stack   which op-conductor, raft, raft-boltdb, go-msgpack and bbolt this binary runs
  ports N N free TCP ports on 127.0.0.1

SPEC: comma-separated items FROM[-TO][:FORM[:BYTES]] (block numbers, ascending or
descending), FORM one of v3 (default), v4, v4empty (V4 with the empty withdrawals
root: op-service encodes it as V3), v1, v2, extra33, w17 (forms the FSM rejects), and
BYTES the size of one transaction (default 100).
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "run":
		err = cmdRun(args)
	case "payload":
		err = cmdPayload(args)
	case "logs-check":
		err = cmdLogsCheck(args)
	case "bolt-check":
		err = cmdBoltCheck(args)
	case "stack":
		fmt.Println(stackLine())
	case "ports":
		err = cmdPorts(args)
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "oci-opc: unknown command %q\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oci-opc %s: %s\n", cmd, strings.ReplaceAll(err.Error(), "\n", " "))
		if _, ok := err.(usageError); ok {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...interface{}) error { return usageError{fmt.Sprintf(format, a...)} }

// parseFlags: flags only, no positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func printJSON(v interface{}) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Printf("%s\n", b)
	return err
}

// stackLine names the module versions this binary was built with.
func stackLine() string {
	want := map[string]string{
		"github.com/ethereum-optimism/optimism": "op-conductor",
		"github.com/hashicorp/raft":             "raft",
		"github.com/hashicorp/raft-boltdb/v2":   "raft-boltdb/v2",
		"github.com/hashicorp/go-msgpack/v2":    "go-msgpack/v2",
		"go.etcd.io/bbolt":                      "bbolt",
		"github.com/ethereum/go-ethereum":       "go-ethereum",
	}
	var parts []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			name, ok := want[m.Path]
			if !ok {
				continue
			}
			v := m.Version
			if m.Replace != nil {
				v = m.Replace.Path + " " + m.Replace.Version
			}
			parts = append(parts, name+" "+v)
		}
	}
	sort.Strings(parts)
	return "opc-1.19.6: op-conductor's own consensus (RaftConsensus, unsafeHeadTracker): " + strings.Join(parts, ", ")
}

// cmdPorts prints N distinct free TCP ports of 127.0.0.1, space-separated, from
// [20000, 32768): below Linux's ephemeral range, so an outgoing connection made
// between this answer and the node's bind cannot take one.
func cmdPorts(args []string) error {
	if len(args) != 1 {
		return usagef("ports N")
	}
	var n int
	if _, err := fmt.Sscanf(args[0], "%d", &n); err != nil || n < 1 || n > 64 {
		return usagef("ports: N must be 1..64")
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano() ^ int64(os.Getpid())))
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []string
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return fmt.Errorf("could not find %d free ports on 127.0.0.1", n)
		}
		p := 20000 + rng.Intn(12768)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		ls = append(ls, l)
		ports = append(ports, fmt.Sprint(p))
	}
	fmt.Println(strings.Join(ports, " "))
	return nil
}
