package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	raft "github.com/hashicorp/raft"
)

// ---- a small FSM: counts applied commands and chains their data ------------

// chainFSM keeps chain_k = SHA256(chain_{k-1} || data_k) over applied
// LogCommand data, so replicas can be compared byte for byte. Its snapshot
// is one JSON line (the same keys as the reference vectors' state.bin, which
// it can also restore).
type chainFSM struct {
	mu        sync.Mutex
	applied   uint64
	lastIndex uint64
	dataBytes uint64
	chain     [32]byte
	restored  string
}

type fsmState struct {
	Format          string `json:"format"`
	AppliedCommands uint64 `json:"applied_commands"`
	LastIndex       uint64 `json:"last_index"`
	DataBytes       uint64 `json:"data_bytes"`
	ChainSHA256     string `json:"chain_sha256"`
}

func (f *chainFSM) Apply(l *raft.Log) interface{} {
	if l.Type != raft.LogCommand {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	chainStep(&f.chain, l.Data)
	f.applied++
	f.dataBytes += uint64(len(l.Data))
	f.lastIndex = l.Index
	return f.applied
}

// chainStep: chain = SHA256(chain || data).
func chainStep(chain *[32]byte, data []byte) {
	h := sha256.New()
	h.Write(chain[:])
	h.Write(data)
	copy(chain[:], h.Sum(nil))
}

func (f *chainFSM) state() fsmState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fsmState{Format: "oci-harness-chain-fsm-v1", AppliedCommands: f.applied, LastIndex: f.lastIndex,
		DataBytes: f.dataBytes, ChainSHA256: hexSum(f.chain)}
}

type fsmSnap struct{ st fsmState }

func (s fsmSnap) Persist(sink raft.SnapshotSink) error {
	b, _ := json.Marshal(s.st)
	if _, err := sink.Write(append(b, '\n')); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}
func (s fsmSnap) Release() {}

func (f *chainFSM) Snapshot() (raft.FSMSnapshot, error) { return fsmSnap{f.state()}, nil }

func (f *chainFSM) status() fsmStatus {
	st := f.state()
	return fsmStatus{Commands: st.AppliedCommands, LastIndex: st.LastIndex, ChainSHA256: st.ChainSHA256,
		Accepted: st.AppliedCommands, Rejected: []uint64{}, Restored: f.restored}
}

func (f *chainFSM) headPayload() *execPayload { return nil }

func (f *chainFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	b, err := ioutil.ReadAll(rc)
	if err != nil {
		return err
	}
	var st fsmState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("snapshot state is not a chain-FSM state: %v", err)
	}
	c, err := hex.DecodeString(st.ChainSHA256)
	if err != nil || len(c) != 32 {
		return fmt.Errorf("snapshot state: bad chain_sha256 %q", st.ChainSHA256)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied, f.lastIndex, f.dataBytes = st.AppliedCommands, st.LastIndex, st.DataBytes
	copy(f.chain[:], c)
	f.restored = st.Format
	return nil
}

// ---- cluster ----------------------------------------------------------------

type clusterNode struct {
	id, dir, addr string
	conf          raft.Configuration
	confJSON      *configJSON
	snapshotID    string
	logs, stable  *boltStore
	snaps         *raft.FileSnapshotStore
	trans         raft.Transport // TCP (NewTCPTransport) or in-memory; both are io.Closers
	fsm           harnessFSM
	r             *raft.Raft
	peer          bool // --peer: a new member started on an empty directory
}

type nodeJSON struct {
	ID               string     `json:"id"`
	Address          string     `json:"address"`
	ConfigSource     string     `json:"config_source"`
	RestoredSnapshot string     `json:"restored_snapshot"`
	State            string     `json:"state"`
	AppliedCommands  uint64     `json:"applied_commands"`
	LastAppliedIndex uint64     `json:"last_applied_index"`
	ChainSHA256      string     `json:"chain_sha256"`
	PayloadsAccepted uint64     `json:"payloads_accepted"`
	RejectedIndexes  []uint64   `json:"rejected_indexes"`
	UnsafeHead       *headJSON  `json:"unsafe_head"`
	ConfigurationOK  bool       `json:"configuration_ok"`
	Peer             bool       `json:"peer,omitempty"`
	After            *afterJSON `json:"after"`
}

type afterJSON struct {
	FirstIndex  uint64 `json:"first_index"`
	LastIndex   uint64 `json:"last_index"`
	CurrentTerm uint64 `json:"current_term"`
	BboltCheck  string `json:"bbolt_check"`
}

type clusterJSON struct {
	Stack          string      `json:"stack"`
	FSM            string      `json:"fsm"`
	Root           string      `json:"root"`
	InPlace        bool        `json:"in_place"`
	Kept           bool        `json:"kept"`
	Started        []string    `json:"started"`
	Leader         string      `json:"leader"`
	LeaderAddress  string      `json:"leader_address"`
	Term           uint64      `json:"term"`
	ElectionMS     int64       `json:"election_ms"`
	Applies        int         `json:"applies"`
	LastApplyIndex uint64      `json:"last_apply_index"`
	Stopped        string      `json:"stopped,omitempty"`
	StoppedAtIndex uint64      `json:"stopped_at_index,omitempty"`
	ElapsedMS      int64       `json:"elapsed_ms"`
	Configuration  *configJSON `json:"configuration"`
	Nodes          []*nodeJSON `json:"nodes"`
}

func cmdCluster(args []string) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	inPlace := fs.Bool("in-place", false, "run on ROOT itself instead of a temp copy")
	keep := fs.Bool("keep", false, "keep the temp copy")
	applies := fs.Int("applies", 10, "commands to apply through the leader")
	timeout := fs.Duration("timeout", 30*time.Second, "bound for the election and for the replication")
	startList := fs.String("start", "", "comma-separated server IDs to start (default: all)")
	seed := fs.Int64("seed", 1, "PRNG seed for command payloads")
	verbose := fs.Bool("verbose", false, "raft logs to stderr")
	fsmKind := fs.String("fsm", "op-conductor", "op-conductor (SSZ payload envelopes, see fsm_opc.go) or chain (the JSON chain FSM of the lived/ vectors)")
	payloadVersion := fs.Int("payload", 4, "version of the payloads applied (op-conductor: 3 or 4; op-conductor-legacy: 1 or 2)")
	stopAfter := fs.Int("stop-follower-after", -1, "after K commands reached every node, shut one follower down and apply the rest on the others")
	peerList := fs.String("peer", "", "ID=127.0.0.1:PORT,... new members started on EMPTY state dirs (see peers.go)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: oci-harness cluster ROOT [--in-place] [--keep] [--applies N] [--timeout D] [--start ID,ID]")
	}
	peers, err := parsePeers(*peerList)
	if err != nil {
		return err
	}
	if *applies < 0 || *timeout <= 0 {
		return usagef("--applies must be >= 0 and --timeout > 0")
	}
	newFSM, err := fsmFactory(*fsmKind)
	if err != nil {
		return err
	}
	if legacy := *fsmKind == "op-conductor-legacy"; (legacy && *payloadVersion > 2) || (!legacy && *payloadVersion < 3) || *payloadVersion < 1 || *payloadVersion > 4 {
		return usagef("--payload: the op-conductor FSM takes 3 or 4, the legacy one 1 or 2")
	}
	t0 := time.Now()
	root := pos[0]
	out := &clusterJSON{Stack: stackName, FSM: *fsmKind, InPlace: *inPlace, Applies: *applies, Nodes: []*nodeJSON{}}
	if !*inPlace {
		tmp, err := ioutil.TempDir("", "oci-cluster-")
		if err != nil {
			return err
		}
		if *keep {
			out.Kept = true
		} else {
			defer os.RemoveAll(tmp)
		}
		if err := copyTree(root, tmp); err != nil {
			return fmt.Errorf("copying %s: %v", root, err)
		}
		root = tmp
	}
	out.Root = root

	var logOut io.Writer = ioutil.Discard
	logLevel := "ERROR"
	if *verbose {
		logOut, logLevel = os.Stderr, "DEBUG"
	}

	// Every directory holding a raft-log.db is a node; its name is the server ID.
	ents, err := ioutil.ReadDir(root)
	if err != nil {
		return err
	}
	all := map[string]string{}
	var ids []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue // hidden: kept previous state (.ID.pre-recover-*, .pre-restore-*), not a node
		}
		d := filepath.Join(root, e.Name())
		if _, err := os.Stat(filepath.Join(d, logFileName)); e.IsDir() && err == nil {
			all[e.Name()] = d
			ids = append(ids, e.Name())
		}
	}
	if len(ids) == 0 && len(peers) == 0 {
		return fmt.Errorf("%s: no <server-id>/%s directories", pos[0], logFileName)
	}
	sort.Strings(ids)
	if *startList != "" {
		ids = nil
		for _, id := range strings.Split(*startList, ",") {
			if _, ok := all[id]; !ok {
				return usagef("--start: no node directory %q under %s", id, pos[0])
			}
			ids = append(ids, id)
		}
	}
	out.Started = ids

	var nodes []*clusterNode
	defer func() {
		for _, n := range nodes {
			n.close()
		}
	}()
	for _, id := range ids {
		n, err := openNode(id, all[id], newFSM(), logOut)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}
	if len(nodes) == 0 {
		return fmt.Errorf("%s: --peer alone: at least one node must have a configuration", pos[0])
	}
	for _, p := range peers {
		if _, ok := all[p.id]; ok {
			return usagef("--peer %s: %s/%s already holds Raft state", p.id, pos[0], p.id)
		}
		n, err := openPeer(root, p, newFSM(), logOut)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
		out.Started = append(out.Started, p.id)
	}
	// Files of different nodes must agree on the configuration.
	for _, n := range nodes[1:] {
		if n.peer {
			continue
		}
		if !sameConfiguration(n.conf, nodes[0].conf) {
			return fmt.Errorf("configurations differ: %s has %s, %s has %s",
				nodes[0].id, configString(nodes[0].conf), n.id, configString(n.conf))
		}
	}
	out.Configuration = nodes[0].confJSON

	// Start raft on every node. Never BootstrapCluster: the configuration
	// must come from the files.
	for _, n := range nodes {
		cfg := raft.DefaultConfig()
		cfg.LocalID = raft.ServerID(n.id)
		// Short enough for quick elections, long enough that a leader
		// starved of CPU on a loaded 2-core CI machine keeps its lease
		// (at 150 ms it stepped down mid-apply: "node is not the leader";
		// at 400 ms, under load ~10, "leadership lost while committing log").
		cfg.HeartbeatTimeout = 1000 * time.Millisecond
		cfg.ElectionTimeout = 1000 * time.Millisecond
		cfg.LeaderLeaseTimeout = 900 * time.Millisecond
		cfg.CommitTimeout = 20 * time.Millisecond
		cfg.SnapshotInterval = time.Hour
		cfg.SnapshotThreshold = 1 << 30
		cfg.LogOutput = logOut
		cfg.LogLevel = logLevel
		// raft 1.1.2 (Debian's) grants votes to a nonvoter candidate, and
		// on fresh files (configuration not yet committed) a nonvoter does
		// campaign; raft >= 1.3 (hashicorp/raft#526, op-conductor's 1.7.3)
		// rejects such votes. Give nonvoters a long timeout so the voters
		// elect first, as they must under the raft op-conductor runs.
		if isNonvoter(n.conf, n.id) {
			cfg.HeartbeatTimeout = 3 * time.Second
			cfg.ElectionTimeout = 3 * time.Second
		}
		r, err := newRaftNoPanic(cfg, n)
		if err != nil {
			return fmt.Errorf("node %s: NewRaft: %v", n.id, err)
		}
		n.r = r
	}

	// Exactly one leader, known to every started node.
	tElect := time.Now()
	var leader *clusterNode
	deadline := time.Now().Add(*timeout)
	for leader == nil {
		var leaders []*clusterNode
		for _, n := range nodes {
			if n.r.State() == raft.Leader {
				leaders = append(leaders, n)
			}
		}
		if len(leaders) == 1 {
			agreed := true
			for _, n := range nodes {
				if string(n.r.Leader()) != leaders[0].addr {
					agreed = false
				}
			}
			if agreed {
				leader = leaders[0]
				break
			}
		}
		if time.Now().After(deadline) {
			if len(leaders) > 1 {
				return fmt.Errorf("%d leaders after %v", len(leaders), *timeout)
			}
			return fmt.Errorf("no leader elected within %v (%d of %d nodes started)", *timeout, len(nodes), len(all))
		}
		time.Sleep(20 * time.Millisecond)
	}
	out.ElectionMS = time.Since(tElect).Milliseconds()
	out.Leader, out.LeaderAddress = leader.id, leader.addr

	// Every node's live configuration equals the one in its files.
	nj := map[string]*nodeJSON{}
	for _, n := range nodes {
		j := &nodeJSON{ID: n.id, Address: n.addr, ConfigSource: n.confJSON.Source, RestoredSnapshot: n.snapshotID}
		nj[n.id] = j
		out.Nodes = append(out.Nodes, j)
		if n.peer {
			continue // checked after replication (checkPeers)
		}
		// A follower behind the leader's compacted log installs its
		// snapshot first, whose configuration may be older than the
		// entries that follow it (after raft recover): for a moment it runs
		// with that one, so wait (bounded) for the files' configuration.
		var live raft.Configuration
		cdeadline := time.Now().Add(*timeout)
		for {
			f := n.r.GetConfiguration()
			if err := f.Error(); err != nil {
				return fmt.Errorf("node %s: GetConfiguration: %v", n.id, err)
			}
			if live = f.Configuration(); sameConfiguration(live, n.conf) || time.Now().After(cdeadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !sameConfiguration(live, n.conf) {
			return fmt.Errorf("node %s: live configuration %s differs from the files' %s",
				n.id, configString(live), configString(n.conf))
		}
		j.ConfigurationOK = true
	}

	// Apply N commands through the leader.
	cmds, err := nextCommands(leader, *fsmKind, *applies, *seed, *payloadVersion, *timeout)
	if err != nil {
		return err
	}
	// applyAndWait applies cmds through the leader and waits until every node
	// in on has applied them.
	applyAndWait := func(cmds [][]byte, on []*clusterNode) error {
		var futures []raft.ApplyFuture
		for _, c := range cmds {
			futures = append(futures, leader.r.Apply(c, 10*time.Second))
		}
		for i, f := range futures {
			if err := f.Error(); err != nil {
				return fmt.Errorf("apply %d through leader %s: %v", i+1, leader.id, err)
			}
			out.LastApplyIndex = f.Index()
		}
		if len(cmds) == 0 {
			return nil
		}
		deadline := time.Now().Add(*timeout)
		for {
			done := true
			for _, n := range on {
				if n.fsm.status().LastIndex < out.LastApplyIndex {
					done = false
				}
			}
			if done {
				return nil
			}
			if time.Now().After(deadline) {
				var lag []string
				for _, n := range on {
					lag = append(lag, fmt.Sprintf("%s@%d", n.id, n.fsm.status().LastIndex))
				}
				return fmt.Errorf("not replicated within %v: want index %d, applied %s", *timeout, out.LastApplyIndex, strings.Join(lag, " "))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	running := nodes
	var stopped *clusterNode
	var stoppedStatus fsmStatus
	if *stopAfter >= 0 && *stopAfter <= len(cmds) {
		// --stop-follower-after K: K commands reach every node, then one
		// follower (the first voter by ID that is not the leader) shuts down
		// cleanly and the others go on with the rest: its files end behind.
		if err := applyAndWait(cmds[:*stopAfter], nodes); err != nil {
			return err
		}
		running = nil
		for _, n := range nodes {
			if stopped == nil && n != leader && !n.peer && !isNonvoter(n.conf, n.id) {
				stopped = n
				continue
			}
			running = append(running, n)
		}
		if stopped == nil {
			return usagef("--stop-follower-after: no follower to stop")
		}
		stoppedStatus = stopped.fsm.status()
		if err := stopped.shutdown(); err != nil {
			return err
		}
		out.Stopped, out.StoppedAtIndex = stopped.id, out.LastApplyIndex
		cmds = cmds[*stopAfter:]
	}
	if err := applyAndWait(cmds, running); err != nil {
		return err
	}
	if err := checkPeers(nodes, nj, nodes[0].conf); err != nil {
		return err
	}
	out.Term = leaderTerm(leader.r)
	var chain0 string
	if stopped != nil {
		j := nj[stopped.id]
		j.State = "Shutdown (--stop-follower-after)"
		j.AppliedCommands, j.LastAppliedIndex, j.ChainSHA256 = stoppedStatus.Commands, stoppedStatus.LastIndex, stoppedStatus.ChainSHA256
		j.PayloadsAccepted, j.RejectedIndexes, j.UnsafeHead = stoppedStatus.Accepted, stoppedStatus.Rejected, stoppedStatus.Head
	}
	for i, n := range running {
		st := n.fsm.status()
		j := nj[n.id]
		j.State = n.r.State().String()
		j.AppliedCommands, j.LastAppliedIndex, j.ChainSHA256 = st.Commands, st.LastIndex, st.ChainSHA256
		j.PayloadsAccepted, j.RejectedIndexes, j.UnsafeHead = st.Accepted, st.Rejected, st.Head
		if i == 0 {
			chain0 = st.ChainSHA256
		} else if st.ChainSHA256 != chain0 {
			return fmt.Errorf("FSM chains differ: %s %s vs %s %s", running[0].id, chain0, n.id, st.ChainSHA256)
		}
	}

	// Clean shutdown, then the files raft wrote must still be sound.
	for _, n := range nodes {
		if err := n.shutdown(); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		a, err := afterRun(n.dir)
		if err != nil {
			return fmt.Errorf("node %s after the run: %v", n.id, err)
		}
		nj[n.id].After = a
	}
	out.ElapsedMS = time.Since(t0).Milliseconds()
	return printJSON(out)
}

func isNonvoter(c raft.Configuration, id string) bool {
	for _, s := range c.Servers {
		if string(s.ID) == id {
			return s.Suffrage == raft.Nonvoter
		}
	}
	return false
}

func leaderTerm(r *raft.Raft) uint64 {
	var t uint64
	fmt.Sscan(r.Stats()["term"], &t)
	return t
}

// openNode opens the node's stores, finds its configuration (newest snapshot,
// then LogConfiguration entries after it — what NewRaft does) and binds its
// transport to its own address from that configuration.
func openNode(id, dir string, fsm harnessFSM, logOut io.Writer) (*clusterNode, error) {
	n := &clusterNode{id: id, dir: dir, fsm: fsm}
	snaps, err := readSnapshots(dir)
	if err != nil {
		return nil, fmt.Errorf("node %s: %v", id, err)
	}
	if n.logs, err = openStoreRW(filepath.Join(dir, logFileName), false); err != nil {
		return nil, fmt.Errorf("node %s: %v", id, err)
	}
	if n.stable, err = openStoreRW(filepath.Join(dir, stableFileName), false); err != nil {
		n.close()
		return nil, fmt.Errorf("node %s: %v", id, err)
	}
	var from uint64 // as NewRaft: only the entries after the newest snapshot
	if len(snaps) > 0 {
		from = snaps[0].Index + 1
	}
	sc, err := scanLogFrom(n.logs, filepath.Join(dir, logFileName), true, from)
	if err != nil {
		n.close()
		return nil, fmt.Errorf("node %s: %v", id, err)
	}
	n.confJSON, n.conf = effectiveConfiguration(snaps, sc)
	if len(snaps) > 0 {
		n.snapshotID = snaps[0].ID
	}
	if n.confJSON == nil || len(n.conf.Servers) == 0 {
		n.close()
		return nil, fmt.Errorf("node %s: no configuration in its log or snapshots", id)
	}
	for _, s := range n.conf.Servers {
		if string(s.ID) == id {
			n.addr = string(s.Address)
		}
	}
	if n.addr == "" {
		n.close()
		return nil, fmt.Errorf("node %s: not a member of its own configuration %s", id, configString(n.conf))
	}
	host, _, err := net.SplitHostPort(n.addr)
	if err != nil || host != "127.0.0.1" {
		n.close()
		return nil, fmt.Errorf("node %s: address %q is not 127.0.0.1:PORT; the harness binds loopback only", id, n.addr)
	}
	if n.snaps, err = raft.NewFileSnapshotStore(dir, 2, logOut); err != nil {
		n.close()
		return nil, fmt.Errorf("node %s: snapshot store: %v", id, err)
	}
	tt, err := bindTCP(n.addr, logOut)
	if err != nil { // (assigned only on success: a nil *NetworkTransport in the interface would not be nil)
		n.close()
		return nil, fmt.Errorf("node %s: TCP transport on %s: %v", id, n.addr, err)
	}
	n.trans = tt
	return n, nil
}

// bindTCP is NewTCPTransport on addr, retried for up to 10 s while the port is
// in use: the lived/ vectors' nodes have fixed ports, which another test run
// on the same machine may hold for a moment.
func bindTCP(addr string, logOut io.Writer) (*raft.NetworkTransport, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		tt, err := raft.NewTCPTransport(addr, nil, 3, 5*time.Second, logOut)
		if err == nil || !strings.Contains(err.Error(), "address already in use") || time.Now().After(deadline) {
			return tt, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// newRaftNoPanic turns NewRaft's panic on a log gap into an error.
func newRaftNoPanic(cfg *raft.Config, n *clusterNode) (r *raft.Raft, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return raft.NewRaft(cfg, n.fsm, n.logs, n.stable, n.snaps, n.trans)
}

func (n *clusterNode) shutdown() error {
	if n.r != nil {
		r := n.r
		n.r = nil
		if err := withTimeout(15*time.Second, "shutdown of "+n.id, func() error { return r.Shutdown().Error() }); err != nil {
			return err
		}
	}
	n.close()
	return nil
}

func (n *clusterNode) close() {
	if n.r != nil {
		withTimeout(15*time.Second, "shutdown", func() error { return n.r.Shutdown().Error() })
		n.r = nil
	}
	if c, ok := n.trans.(io.Closer); ok {
		c.Close()
	}
	n.trans = nil
	if n.logs != nil {
		n.logs.Close()
		n.logs = nil
	}
	if n.stable != nil {
		n.stable.Close()
		n.stable = nil
	}
}

func afterRun(dir string) (*afterJSON, error) {
	a := &afterJSON{}
	for _, f := range []string{logFileName, stableFileName} {
		if _, err := bboltCheck(filepath.Join(dir, f)); err != nil {
			return nil, err
		}
	}
	a.BboltCheck = "ok"
	err := withTimeout(checkTimeout, "reading "+dir, func() error {
		ls, err := openStoreRO(filepath.Join(dir, logFileName))
		if err != nil {
			return err
		}
		defer ls.Close()
		if a.FirstIndex, err = ls.FirstIndex(); err != nil {
			return err
		}
		if a.LastIndex, err = ls.LastIndex(); err != nil {
			return err
		}
		st, err := openStoreRO(filepath.Join(dir, stableFileName))
		if err != nil {
			return err
		}
		defer st.Close()
		t, err := getUint64(st, keyCurrentTerm)
		if err != nil {
			return err
		}
		if t != nil {
			a.CurrentTerm = *t
		}
		return nil
	})
	return a, err
}

func fsmFactory(kind string) (func() harnessFSM, error) {
	switch kind {
	case "op-conductor":
		return func() harnessFSM { return &opcFSM{} }, nil
	case "op-conductor-legacy":
		return func() harnessFSM { return &opcFSM{legacy: true} }, nil
	case "chain":
		return func() harnessFSM { return &chainFSM{} }, nil
	}
	return nil, usagef("--fsm: want op-conductor, op-conductor-legacy or chain, got %q", kind)
}

// nextCommands makes the commands the leader applies. For the op-conductor
// FSMs: consecutive blocks after the leader's unsafe head (a Barrier first, so
// its FSM holds everything in its log when it won: waitFSM), as CommitUnsafePayload
// would commit them; for the chain FSM: random bytes.
func nextCommands(leader *clusterNode, kind string, n int, seed int64, version int, timeout time.Duration) ([][]byte, error) {
	var out [][]byte
	if kind == "chain" {
		rng := rand.New(rand.NewSource(seed))
		for i := 1; i <= n; i++ {
			p := []byte(fmt.Sprintf("oci-harness-cmd-%05d:", i))
			extra := make([]byte, 16+rng.Intn(2048))
			rng.Read(extra)
			out = append(out, append(p, extra...))
		}
		return out, nil
	}
	if err := waitFSM(leader, timeout); err != nil {
		return nil, fmt.Errorf("leader %s: %v", leader.id, err)
	}
	legacy := kind == "op-conductor-legacy"
	g := newChainGen(seed, 135_000_000, isthmusTime)
	if head := leader.fsm.headPayload(); head != nil {
		g.continueFrom(head)
	}
	for i := 0; i < n; i++ {
		out = append(out, commandFor(g.next(version), legacy))
	}
	return out, nil
}
