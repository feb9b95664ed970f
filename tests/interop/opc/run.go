package main

// run: op-conductor's RaftConsensus on node directories (see usage).
//
// The defaults are op-conductor v1.19.6's (op-conductor/flags/flags.go:
// --raft.snapshot-interval 120s, --raft.snapshot-threshold 8192,
// --raft.trailing-logs 10240, --raft.heartbeat-timeout 1s, --raft.lease-timeout
// 500ms); the tests lower the snapshot interval and thresholds so raft snapshots
// and truncates within seconds.
//
// The harness only reads raft's state through RaftConsensus's own methods
// (Leader, AddVoter, CommitUnsafePayload, LatestUnsafePayload), except for
// waiting: how far each node has applied and snapshotted is read from the
// *raft.Raft that RaftConsensus keeps in its unexported field r (raftOf).

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/ethereum-optimism/optimism/op-conductor/consensus"
	"github.com/ethereum-optimism/optimism/op-node/rollup"
	"github.com/ethereum-optimism/optimism/op-service/eth"
	"github.com/ethereum/go-ethereum/log"
	"github.com/hashicorp/raft"
)

type opcNode struct {
	id   string
	port int
	rc   *consensus.RaftConsensus
}

func (n *opcNode) addr() string { return fmt.Sprintf("127.0.0.1:%d", n.port) }

// raftOf: the *raft.Raft inside a RaftConsensus (unexported field "r"), read
// for Stats/AppliedIndex only.
func raftOf(rc *consensus.RaftConsensus) *raft.Raft {
	f := reflect.ValueOf(rc).Elem().FieldByName("r")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*raft.Raft)(nil)) {
		panic("oci-opc: RaftConsensus has no field r *raft.Raft (op-conductor changed)")
	}
	return *(**raft.Raft)(unsafe.Pointer(f.UnsafeAddr()))
}

type nodeJSON struct {
	ID            string `json:"id"`
	State         string `json:"state"`
	Term          uint64 `json:"term"`
	LastIndex     uint64 `json:"last_index"`
	AppliedIndex  uint64 `json:"applied_index"`
	SnapshotIndex uint64 `json:"snapshot_index"`
}

func statU(s map[string]string, k string) uint64 {
	v, _ := strconv.ParseUint(s[k], 10, 64)
	return v
}

func nodeStats(n *opcNode) nodeJSON {
	r := raftOf(n.rc)
	s := r.Stats()
	return nodeJSON{ID: n.id, State: s["state"], Term: statU(s, "term"), LastIndex: r.LastIndex(),
		AppliedIndex: r.AppliedIndex(), SnapshotIndex: statU(s, "last_snapshot_index")}
}

type runResult struct {
	Leader    string    `json:"leader"`
	Committed int       `json:"committed"`
	Barriers  int       `json:"barriers"`
	Head      *headJSON `json:"head"`
	// nodes whose --raft.bootstrap raft refused with ErrCantBootstrap (ignored)
	BootstrapIgnored []string   `json:"bootstrap_ignored,omitempty"`
	Nodes            []nodeJSON `json:"nodes"`
	// commits raft gave up with the leadership (then found, or made again)
	LostCommits int `json:"lost_commits"`
}

func parseNodes(s string) ([]*opcNode, error) {
	var out []*opcNode
	seen := map[string]bool{}
	for _, it := range strings.Split(s, ",") {
		kv := strings.SplitN(it, "=", 2)
		if len(kv) != 2 || kv[0] == "" {
			return nil, usagef("--nodes: %q: want ID=PORT", it)
		}
		p, err := strconv.Atoi(kv[1])
		if err != nil || p < 1 || p > 65535 {
			return nil, usagef("--nodes: %q: bad port", it)
		}
		if seen[kv[0]] {
			return nil, usagef("--nodes: %s given twice", kv[0])
		}
		seen[kv[0]] = true
		out = append(out, &opcNode{id: kv[0], port: p})
	}
	return out, nil
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(d time.Duration, what string, cond func() bool) error {
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			return fmt.Errorf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// logsOf: raft's LogStore (the unexported field "logs" of raft.Raft v1.7.3,
// api.go), read by reflection as raftOf reads RaftConsensus.
func logsOf(r *raft.Raft) raft.LogStore {
	f := reflect.ValueOf(r).Elem().FieldByName("logs")
	if !f.IsValid() || f.Type() != reflect.TypeOf((*raft.LogStore)(nil)).Elem() {
		panic("oci-opc: raft.Raft has no field logs raft.LogStore (raft changed)")
	}
	return *(*raft.LogStore)(unsafe.Pointer(f.UnsafeAddr()))
}

// lostLeader: raft gave up an operation because this node stopped being the
// leader (a loaded machine misses heartbeats: raft v1.7.3 checkLeaderLease).
func lostLeader(err error) bool {
	return errors.Is(err, raft.ErrLeadershipLost) || errors.Is(err, raft.ErrNotLeader) ||
		errors.Is(err, raft.ErrLeadershipTransferInProgress)
}

// settle waits for a leader (the same node or another) and for it to apply
// every committed entry (LatestUnsafePayload is a barrier), trying again
// while the leadership moves on (a transfer takes a round of elections),
// for at most timeout; *leader is the new leader.
func settle(nodes []*opcNode, leader **opcNode, timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for {
		if err := waitFor(time.Until(end), "a leader", func() bool {
			for _, n := range nodes {
				if n.rc.Leader() {
					*leader = n
					return true
				}
			}
			return false
		}); err != nil {
			return err
		}
		_, err := (*leader).rc.LatestUnsafePayload()
		if err == nil || !lostLeader(err) || time.Now().After(end) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// commitPayload: CommitUnsafePayload on the leader. When raft loses the
// leadership while committing, the entry may or may not be committed: the
// new leader, settled, is searched for the entry's bytes after the index the
// old leader had reached, and the payload is committed again only when it is
// not there (a second copy would be a second block in the log).
func commitPayload(nodes []*opcNode, leader **opcNode, env *eth.ExecutionPayloadEnvelope,
	timeout time.Duration, lost *int) error {
	var buf bytes.Buffer
	if _, err := env.MarshalSSZ(&buf); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		from := raftOf((*leader).rc).LastIndex()
		err := (*leader).rc.CommitUnsafePayload(env)
		if err == nil {
			return nil
		}
		if attempt >= 5 || !lostLeader(err) {
			return err
		}
		*lost++
		if serr := settle(nodes, leader, timeout); serr != nil {
			return fmt.Errorf("%v; then: %w", err, serr)
		}
		r := raftOf((*leader).rc)
		st := logsOf(r)
		for i := from + 1; i <= r.LastIndex(); i++ {
			var l raft.Log
			if st.GetLog(i, &l) == nil && l.Type == raft.LogCommand && bytes.Equal(l.Data, buf.Bytes()) {
				return nil
			}
		}
	}
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	storage := fs.String("storage", "", "")
	nodesArg := fs.String("nodes", "", "")
	bootstrap := fs.String("bootstrap", "", "")
	join := fs.String("join", "", "")
	spec := fs.String("blocks", "", "")
	barriers := fs.Int("barriers", 0, "")
	threshold := fs.Uint64("threshold", 8192, "")
	trailing := fs.Uint64("trailing", 10240, "")
	interval := fs.Duration("interval", 120*time.Second, "")
	waitSnap := fs.Bool("wait-snapshot", false, "")
	stay := fs.Duration("stay", 0, "")
	timeout := fs.Duration("timeout", 60*time.Second, "")
	verbose := fs.Bool("verbose", false, "")
	stepDown := fs.Int("step-down-at", -1, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *storage == "" || *nodesArg == "" {
		return usagef("run: --storage DIR and --nodes ID=PORT,... are required")
	}
	nodes, err := parseNodes(*nodesArg)
	if err != nil {
		return err
	}
	items, err := parseSpec(*spec)
	if err != nil {
		return err
	}
	joining := map[string]bool{}
	if *join != "" {
		for _, id := range strings.Split(*join, ",") {
			joining[id] = true
		}
	}
	logger := log.NewLogger(log.DiscardHandler())
	if *verbose {
		logger = log.NewLogger(log.NewTerminalHandlerWithLevel(os.Stderr, log.LevelInfo, false))
	}

	var started []*opcNode
	var bootstrapIgnored []string
	defer func() {
		// followers first, so that no new leader appends after the leader stops
		for i := len(started) - 1; i >= 0; i-- {
			if !started[i].rc.Leader() {
				started[i].rc.Shutdown()
			}
		}
		for _, n := range started {
			n.rc.Shutdown() // a second Shutdown is a no-op
		}
	}()
	for _, n := range nodes {
		rc, err := consensus.NewRaftConsensus(logger.New("node", n.id), &consensus.RaftConsensusConfig{
			ServerID:           n.id,
			AdvertisedAddr:     raft.ServerAddress(n.addr()),
			ListenAddr:         "127.0.0.1",
			ListenPort:         n.port,
			StorageDir:         *storage,
			Bootstrap:          n.id == *bootstrap,
			RollupCfg:          &rollup.Config{},
			SnapshotInterval:   *interval,
			SnapshotThreshold:  *threshold,
			TrailingLogs:       *trailing,
			HeartbeatTimeout:   1000 * time.Millisecond,
			LeaderLeaseTimeout: 500 * time.Millisecond,
		})
		// On a node that has state, --raft.bootstrap=true makes NewRaftConsensus
		// return the RaftConsensus together with raft.ErrCantBootstrap (raft.go
		// keeps the error it logged as a warning); op-conductor's service.go
		// (OpConductor.initConsensus) ignores that error and runs on, as here.
		if err != nil && !(errors.Is(err, raft.ErrCantBootstrap) && rc != nil) {
			return fmt.Errorf("node %s: NewRaftConsensus: %w", n.id, err)
		}
		if err != nil {
			bootstrapIgnored = append(bootstrapIgnored, n.id)
		}
		n.rc = rc
		started = append(started, n)
	}

	var leader *opcNode
	if err := waitFor(*timeout, "a leader", func() bool {
		for _, n := range nodes {
			if n.rc.Leader() {
				leader = n
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	for _, n := range nodes {
		if joining[n.id] {
			if err := leader.rc.AddVoter(n.id, n.addr(), 0); err != nil {
				return fmt.Errorf("AddVoter %s: %w", n.id, err)
			}
		}
	}
	lost := 0
	for i, it := range items {
		if i == *stepDown {
			// the leader hands over while this payload commits, as a loaded
			// machine's missed heartbeats make it: commitPayload's retry
			go raftOf(leader.rc).LeadershipTransfer()
		}
		if err := commitPayload(nodes, &leader, makeEnvelope(it, i), *timeout, &lost); err != nil {
			return fmt.Errorf("payload %d (block %d): CommitUnsafePayload: %w", i, it.number, err)
		}
	}
	for i := 0; i < *barriers; i++ {
		// a barrier lost with the leadership: settle's own barrier stands for it
		if _, err := leader.rc.LatestUnsafePayload(); err != nil &&
			(!lostLeader(err) || settle(nodes, &leader, *timeout) != nil) {
			return fmt.Errorf("LatestUnsafePayload: %w", err)
		}
	}
	head, err := leader.rc.LatestUnsafePayload()
	if err != nil && lostLeader(err) {
		if err = settle(nodes, &leader, *timeout); err == nil {
			head, err = leader.rc.LatestUnsafePayload()
		}
	}
	if err != nil {
		return fmt.Errorf("LatestUnsafePayload: %w", err)
	}
	last := raftOf(leader.rc).LastIndex()
	if err := waitFor(*timeout, fmt.Sprintf("every node to apply index %d", last), func() bool {
		for _, n := range nodes {
			if raftOf(n.rc).AppliedIndex() < last {
				return false
			}
		}
		return true
	}); err != nil {
		return err
	}
	if *waitSnap {
		// raft snapshots when lastIndex - lastSnapshot >= threshold (snapshot.go
		// shouldSnapshot), checked every interval..2*interval
		if err := waitFor(*timeout+4**interval, "raft to snapshot every node", func() bool {
			for _, n := range nodes {
				s := nodeStats(n)
				if s.SnapshotIndex == 0 || s.LastIndex-s.SnapshotIndex >= *threshold {
					return false
				}
			}
			return true
		}); err != nil {
			return err
		}
	}
	if *stay > 0 {
		time.Sleep(*stay)
	}
	res := runResult{Leader: leader.id, Committed: len(items), Barriers: *barriers, Head: newHead(head),
		BootstrapIgnored: bootstrapIgnored, LostCommits: lost}
	for _, n := range nodes {
		res.Nodes = append(res.Nodes, nodeStats(n))
	}
	return printJSON(res)
}
