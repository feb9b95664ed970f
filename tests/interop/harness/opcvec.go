package main

// `opc-vectors`: node directories written the way op-conductor writes them,
// by a real raft node (this stack's raft, raft-boltdb NewBoltStore for
// raft-log.db and raft-stable.db, FileSnapshotStore retaining 1, as
// op-conductor/consensus/raft.go NewRaftConsensus sets them up, bootstrapped
// with BootstrapCluster of itself as its --raft.bootstrap does) whose FSM is
// opcFSM, each beside an expected.json naming the exact unsafe head.
//
// `opc-read DIR`: this harness's own reading of such a directory, twice: by
// decoding (the newest snapshot's state.bin and every LogCommand after its
// index) and by starting raft on a copy with opcFSM (NewRaft restores the
// snapshot, the node elects itself and applies its log), which is what
// op-conductor holds after a start.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	raft "github.com/hashicorp/raft"
)

const vecNodeID = "sequencer-1"

type appliedJSON struct {
	Index    uint64 `json:"index"`
	Form     string `json:"form"`
	Number   uint64 `json:"number,omitempty"`
	Hash     string `json:"hash,omitempty"`
	Bytes    int    `json:"bytes"`
	Accepted bool   `json:"accepted"`
	Response string `json:"response,omitempty"`
}

type vecSnapJSON struct {
	ID            string `json:"id"`
	Index         uint64 `json:"index"`
	Term          uint64 `json:"term"`
	StateBinBytes int64  `json:"state_bin_bytes"`
	State         string `json:"state"`
}

type expectedJSON struct {
	Case              string         `json:"case"`
	Description       string         `json:"description"`
	Stack             string         `json:"stack"`
	StackLong         string         `json:"stack_long"`
	Go                string         `json:"go"`
	Command           string         `json:"harness_command"`
	Node              string         `json:"node"`
	HeadNumber        *uint64        `json:"head_number"`
	HeadHash          *string        `json:"head_hash"`
	HeadSource        string         `json:"head_source"`
	Head              *headJSON      `json:"head"`
	LegacyHeadNumber  *uint64        `json:"legacy_head_number"`
	LegacyHeadHash    *string        `json:"legacy_head_hash"`
	OpConductorStarts string         `json:"op_conductor_restore"`
	Snapshot          *vecSnapJSON   `json:"snapshot"`
	LogFirstIndex     uint64         `json:"log_first_index"`
	LogLastIndex      uint64         `json:"log_last_index"`
	NonPayloadIndexes []uint64       `json:"non_payload_indexes"`
	Applied           []*appliedJSON `json:"applied"`
}

// step of a case: apply n blocks of a version (legacy: the early-2024 form),
// apply raw bytes, a Barrier, or take a snapshot.
type vecStep struct {
	blocks  int
	version int
	raw     []byte
	snap    bool
	barrier bool // r.Barrier, as op-conductor's LatestUnsafePayload does (raft.go)
}

type vecCase struct {
	name, desc string
	legacy     bool   // the node runs the early-2024 FSM
	trailing   uint64 // raft TrailingLogs (0: DefaultConfig's)
	number, ts uint64 // the first block
	steps      []vecStep
}

var notPayload = []byte("oci-harness: a LogCommand that is not an ExecutionPayloadEnvelope (op-conductor's Apply rejects it)")

func vecCases() []vecCase {
	return []vecCase{
		{name: "v3", desc: "12 V3 (Ecotone..Holocene) envelopes of consecutive blocks", number: 130_000_000, ts: isthmusTime - 100_000,
			steps: []vecStep{{blocks: 12, version: blockV3}}},
		{name: "v4", desc: "12 V4 (Isthmus) envelopes of consecutive blocks", number: 136_000_000, ts: isthmusTime + 86_400,
			steps: []vecStep{{blocks: 12, version: blockV4}}},
		{name: "v3-v4", desc: "the Isthmus activation: 6 V3 envelopes, then 6 V4 ones", number: 135_500_000, ts: isthmusTime - 12,
			steps: []vecStep{{blocks: 6, version: blockV3}, {blocks: 6, version: blockV4}}},
		{name: "legacy", desc: "early-2024 op-conductor: version byte + payload, no beacon root; 6 V1 (version 0) then 6 V2 (version 1, Canyon); today's FSM rejects every entry",
			legacy: true, number: 114_600_000, ts: canyonTime - 12,
			steps: []vecStep{{blocks: 6, version: blockV1}, {blocks: 6, version: blockV2}}},
		{name: "compacted", desc: "40 V4 envelopes, then a snapshot (state.bin = the head envelope) that compacted the log to its last 8 entries",
			trailing: 8, number: 136_100_000, ts: isthmusTime + 90_000,
			steps: []vecStep{{blocks: 40, version: blockV4}, {snap: true}}},
		{name: "empty-snapshot", desc: "a snapshot taken before any payload was committed (after a Barrier, as op-conductor's LatestUnsafePayload issues; raft snapshots only once its FSM has applied an entry): state.bin is 0 bytes, no unsafe head (releases before optimism PR 19149 panic in Persist instead)",
			number: 136_200_000, ts: isthmusTime + 100_000,
			steps: []vecStep{{barrier: true}, {snap: true}}},
		{name: "undecodable-snapshot", desc: "a node written by the early-2024 FSM, snapshotted: state.bin is version byte 1 + a V2 payload, which today's Restore (V4, then V3) cannot decode, so op-conductor does not start",
			legacy: true, number: 114_700_000, ts: canyonTime + 20_000,
			steps: []vecStep{{blocks: 6, version: blockV2}, {snap: true}}},
		{name: "non-payload", desc: "V4 envelopes with one LogCommand that is not a payload and one empty LogCommand between them (Apply rejects both; raft carries on)",
			number: 136_300_000, ts: isthmusTime + 110_000,
			steps: []vecStep{{blocks: 4, version: blockV4}, {raw: notPayload}, {blocks: 2, version: blockV4}, {raw: []byte{}}, {blocks: 3, version: blockV4}}},
	}
}

func quietConfig(id string) *raft.Config {
	cfg := raft.DefaultConfig()
	cfg.LocalID = raft.ServerID(id)
	cfg.HeartbeatTimeout = 200 * time.Millisecond
	cfg.ElectionTimeout = 200 * time.Millisecond
	cfg.LeaderLeaseTimeout = 100 * time.Millisecond
	cfg.CommitTimeout = 10 * time.Millisecond
	cfg.SnapshotInterval = time.Hour // snapshots only when a case asks for one
	cfg.SnapshotThreshold = 1 << 30
	cfg.LogOutput = ioutil.Discard
	cfg.LogLevel = "ERROR"
	return cfg
}

func waitLeader(r *raft.Raft, d time.Duration) error {
	deadline := time.Now().Add(d)
	for r.State() != raft.Leader {
		if time.Now().After(deadline) {
			return fmt.Errorf("the node did not elect itself within %v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// waitApplied waits until raft has handed every entry it has now to the FSM
// (AppliedIndex; see waitFSM for the FSM itself), without a Barrier, which
// would add a LogBarrier entry.
func waitApplied(r *raft.Raft, d time.Duration) error {
	want := r.LastIndex()
	deadline := time.Now().Add(d)
	for r.AppliedIndex() < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("raft applied up to %d, not %d, within %v", r.AppliedIndex(), want, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// waitFSM waits until n's FSM has applied every LogCommand raft has handed
// it: raft's AppliedIndex moves when a batch is dispatched to the FSM
// goroutine, before Apply ran, so wait for the FSM's own last index to reach
// the last LogCommand at or below it and after the newest snapshot (found
// reading back from it; none: all came from the snapshot, which NewRaft
// restored synchronously).
func waitFSM(n *clusterNode, d time.Duration) error {
	if err := waitApplied(n.r, d); err != nil {
		return err
	}
	applied := n.r.AppliedIndex()
	first, err := n.logs.FirstIndex()
	if err != nil {
		return err
	}
	if snaps, err := n.snaps.List(); err == nil && len(snaps) > 0 && snaps[0].Index+1 > first {
		first = snaps[0].Index + 1 // entries up to the snapshot are never applied again
	}
	var want uint64
	for i := applied; i >= first && i > 0; i-- {
		var l raft.Log
		if err := n.logs.GetLog(i, &l); err != nil {
			break // compacted away: older entries are in the snapshot
		}
		if l.Type == raft.LogCommand {
			want = i
			break
		}
	}
	deadline := time.Now().Add(d)
	for n.fsm.status().LastIndex < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("the FSM applied up to %d, not %d, within %v", n.fsm.status().LastIndex, want, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// startWriter opens dir as op-conductor does and bootstraps a one-node cluster.
func startWriter(dir string, c vecCase) (*clusterNode, *opcFSM, error) {
	if err := os.MkdirAll(dir, 0755); err != nil {
		return nil, nil, err
	}
	fsm := &opcFSM{legacy: c.legacy}
	n := &clusterNode{id: vecNodeID, dir: dir, fsm: fsm}
	var err error
	if n.logs, err = newBoltStore(filepath.Join(dir, logFileName)); err != nil {
		return nil, nil, err
	}
	if n.stable, err = newBoltStore(filepath.Join(dir, stableFileName)); err != nil {
		n.close()
		return nil, nil, err
	}
	if n.snaps, err = raft.NewFileSnapshotStore(dir, 1, ioutil.Discard); err != nil {
		n.close()
		return nil, nil, err
	}
	tt, err := raft.NewTCPTransport("127.0.0.1:0", nil, 3, 5*time.Second, ioutil.Discard)
	if err != nil {
		n.close()
		return nil, nil, err
	}
	n.trans = tt
	cfg := quietConfig(vecNodeID)
	if c.trailing > 0 {
		cfg.TrailingLogs = c.trailing
	}
	if n.r, err = raft.NewRaft(cfg, n.fsm, n.logs, n.stable, n.snaps, n.trans); err != nil {
		n.close()
		return nil, nil, fmt.Errorf("NewRaft: %v", err)
	}
	boot := raft.Configuration{Servers: []raft.Server{{ID: cfg.LocalID, Address: n.trans.LocalAddr(), Suffrage: raft.Voter}}}
	if err := n.r.BootstrapCluster(boot).Error(); err != nil {
		n.close()
		return nil, nil, fmt.Errorf("BootstrapCluster: %v", err)
	}
	if err := waitLeader(n.r, 10*time.Second); err != nil {
		n.close()
		return nil, nil, err
	}
	return n, fsm, nil
}

func formOf(p *execPayload, legacy bool) string {
	if legacy {
		return fmt.Sprintf("legacy-V%d", p.Version)
	}
	return fmt.Sprintf("V%d", p.Version)
}

func writeCase(root string, c vecCase, seed int64, command string) (*expectedJSON, error) {
	caseDir := filepath.Join(root, c.name)
	if _, err := os.Stat(caseDir); err == nil {
		return nil, fmt.Errorf("%s already exists; opc-vectors writes new directories only", caseDir)
	}
	n, fsm, err := startWriter(filepath.Join(caseDir, vecNodeID), c)
	if err != nil {
		return nil, fmt.Errorf("case %s: %v", c.name, err)
	}
	defer n.close()
	ex := &expectedJSON{Case: c.name, Description: c.desc, Stack: stackName, StackLong: stackLong, Go: runtime.Version(),
		Command: command, Node: vecNodeID, Applied: []*appliedJSON{}, NonPayloadIndexes: []uint64{}, HeadSource: "none"}
	g := newChainGen(seed, c.number, c.ts)
	var head, legacyHead *execPayload
	var headIndex uint64
	apply := func(cmd []byte, a *appliedJSON) error {
		f := n.r.Apply(cmd, 10*time.Second)
		if err := f.Error(); err != nil {
			return fmt.Errorf("case %s: Apply: %v", c.name, err)
		}
		a.Index, a.Bytes, a.Accepted = f.Index(), len(cmd), f.Response() == nil
		if e, ok := f.Response().(error); ok {
			a.Response = e.Error()
		}
		ex.Applied = append(ex.Applied, a)
		return nil
	}
	for _, s := range c.steps {
		switch {
		case s.snap:
			if err := waitApplied(n.r, 10*time.Second); err != nil {
				return nil, err
			}
			if err := n.r.Snapshot().Error(); err != nil {
				return nil, fmt.Errorf("case %s: Snapshot: %v", c.name, err)
			}
		case s.barrier:
			if err := n.r.Barrier(10 * time.Second).Error(); err != nil {
				return nil, fmt.Errorf("case %s: Barrier: %v", c.name, err)
			}
		case s.raw != nil:
			if err := apply(s.raw, &appliedJSON{Form: "not a payload"}); err != nil {
				return nil, err
			}
			ex.NonPayloadIndexes = append(ex.NonPayloadIndexes, ex.Applied[len(ex.Applied)-1].Index)
		default:
			for i := 0; i < s.blocks; i++ {
				e := g.next(s.version)
				a := &appliedJSON{Form: formOf(&e.Payload, c.legacy), Number: e.Payload.Number, Hash: hash0x(e.Payload.BlockHash)}
				if err := apply(commandFor(e, c.legacy), a); err != nil {
					return nil, err
				}
				if !a.Accepted {
					return nil, fmt.Errorf("case %s: the writer's FSM rejected block %d: %s", c.name, a.Number, a.Response)
				}
				p := e.Payload
				if c.legacy {
					if legacyHead == nil || legacyHead.Number < p.Number {
						legacyHead = &p
					}
				} else if head == nil || head.Number < p.Number {
					head, headIndex = &p, a.Index
				}
			}
		}
	}
	if err := waitApplied(n.r, 10*time.Second); err != nil {
		return nil, err
	}
	// What the writer's FSM holds must be what the apply record says.
	st := fsm.status()
	want := head
	if c.legacy {
		want = legacyHead
	}
	if (st.Head == nil) != (want == nil) || (want != nil && (st.Head.Number != want.Number || st.Head.Hash != hash0x(want.BlockHash))) {
		return nil, fmt.Errorf("case %s: the FSM's head %+v is not the highest block applied", c.name, st.Head)
	}
	if err := n.r.Shutdown().Error(); err != nil {
		return nil, err
	}
	n.r = nil
	if ex.LogFirstIndex, err = n.logs.FirstIndex(); err != nil {
		return nil, err
	}
	if ex.LogLastIndex, err = n.logs.LastIndex(); err != nil {
		return nil, err
	}
	n.close()

	snaps, err := readSnapshots(n.dir)
	if err != nil {
		return nil, err
	}
	ex.OpConductorStarts = "ok"
	var snapIndex uint64
	if len(snaps) > 0 {
		s := snaps[0]
		snapIndex = s.Index
		ex.Snapshot = &vecSnapJSON{ID: s.ID, Index: s.Index, Term: s.Term, StateBinBytes: s.Size}
		state, err := ioutil.ReadFile(filepath.Join(n.dir, "snapshots", s.ID, "state.bin"))
		if err != nil {
			return nil, err
		}
		ex.Snapshot.State, err = describeState(state)
		if err != nil {
			ex.OpConductorStarts = "fails: Restore: " + err.Error()
		}
	}
	if head != nil && ex.OpConductorStarts == "ok" {
		ex.Head = newHeadJSON(head, false, fmt.Sprintf("entry %d", headIndex))
		if headIndex <= snapIndex {
			ex.Head.Source = "snapshot " + ex.Snapshot.ID
		}
		num, h := head.Number, hash0x(head.BlockHash)
		ex.HeadNumber, ex.HeadHash, ex.HeadSource = &num, &h, ex.Head.Source
	}
	if legacyHead != nil {
		num, h := legacyHead.Number, hash0x(legacyHead.BlockHash)
		ex.LegacyHeadNumber, ex.LegacyHeadHash = &num, &h
	}
	b, err := json.MarshalIndent(ex, "", "  ")
	if err != nil {
		return nil, err
	}
	return ex, ioutil.WriteFile(filepath.Join(caseDir, "expected.json"), append(b, '\n'), 0644)
}

// describeState says what op-conductor's Restore makes of a state.bin; the
// error is Restore's.
func describeState(b []byte) (string, error) {
	if len(b) == 0 {
		return "empty (no unsafe head)", nil
	}
	e, err := decodeOpConductor(b)
	if err == nil {
		return fmt.Sprintf("%s envelope of block %d", formOf(&e.Payload, false), e.Payload.Number), nil
	}
	if p, lerr := decodeLegacy(b); lerr == nil {
		return fmt.Sprintf("%s payload of block %d (undecodable as a V4 or V3 envelope)", formOf(p, true), p.Number), err
	}
	return "undecodable", err
}

func cmdOpcVectors(args []string) error {
	fs := flag.NewFlagSet("opc-vectors", flag.ContinueOnError)
	out := fs.String("out", "", "directory to write <case>/ into")
	only := fs.String("cases", "", "comma-separated case names (default: all)")
	seed := fs.Int64("seed", 1, "PRNG seed of the block contents")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *out == "" {
		return usagef("usage: oci-harness opc-vectors --out DIR [--cases A,B] [--seed S]")
	}
	cases := vecCases()
	if *only != "" {
		var sel []vecCase
		for _, name := range strings.Split(*only, ",") {
			found := false
			for _, c := range cases {
				if c.name == name {
					sel, found = append(sel, c), true
				}
			}
			if !found {
				return usagef("--cases: no case %q", name)
			}
		}
		cases = sel
	}
	command := fmt.Sprintf("oci-harness opc-vectors --out DIR --seed %d", *seed)
	if *only != "" {
		command += " --cases " + *only
	}
	type summary struct {
		Case       string  `json:"case"`
		HeadNumber *uint64 `json:"head_number"`
		HeadHash   *string `json:"head_hash"`
		Restore    string  `json:"op_conductor_restore"`
	}
	res := struct {
		Stack string    `json:"stack"`
		Out   string    `json:"out"`
		Cases []summary `json:"cases"`
	}{Stack: stackName, Out: *out}
	for _, c := range cases {
		ex, err := writeCase(*out, c, *seed, command)
		if err != nil {
			return err
		}
		res.Cases = append(res.Cases, summary{c.name, ex.HeadNumber, ex.HeadHash, ex.OpConductorStarts})
	}
	return printJSON(res)
}

// ---- opc-read ------------------------------------------------------------------

type readEntryJSON struct {
	Index  uint64 `json:"index"`
	Term   uint64 `json:"term"`
	Form   string `json:"form"`
	Number uint64 `json:"number,omitempty"`
	Hash   string `json:"hash,omitempty"`
}

type opcReadJSON struct {
	Stack         string           `json:"stack"`
	Dir           string           `json:"dir"`
	Snapshot      *vecSnapJSON     `json:"snapshot"`
	Entries       []*readEntryJSON `json:"entries"`
	DecodedHead   *headJSON        `json:"decoded_head"`
	LegacyHead    *headJSON        `json:"decoded_legacy_head"`
	RaftRestore   string           `json:"raft_restore"`
	RaftHead      *headJSON        `json:"raft_head"`
	RaftRejected  []uint64         `json:"raft_rejected_indexes"`
	RaftLastIndex uint64           `json:"raft_last_applied_index"`
	// One-line summaries for shell tests.
	DecodedHeadNumber *uint64 `json:"decoded_head_number"`
	DecodedHeadHash   *string `json:"decoded_head_hash"`
	RaftHeadNumber    *uint64 `json:"raft_head_number"`
	RaftHeadHash      *string `json:"raft_head_hash"`
}

func cmdOpcRead(args []string) error {
	fs := flag.NewFlagSet("opc-read", flag.ContinueOnError)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: oci-harness opc-read NODE_DIR")
	}
	dir := pos[0]
	out := &opcReadJSON{Stack: stackName, Dir: dir, Entries: []*readEntryJSON{}, RaftRejected: []uint64{}}

	// 1. By decoding: the newest snapshot, then every LogCommand after its index.
	snaps, err := readSnapshots(dir)
	if err != nil {
		return err
	}
	var snapIndex uint64
	var head, legacyHead *execPayload
	var headFrom, legacyFrom string
	if len(snaps) > 0 {
		s := snaps[0]
		snapIndex = s.Index
		state, err := ioutil.ReadFile(filepath.Join(dir, "snapshots", s.ID, "state.bin"))
		if err != nil {
			return err
		}
		out.Snapshot = &vecSnapJSON{ID: s.ID, Index: s.Index, Term: s.Term, StateBinBytes: int64(len(state))}
		out.Snapshot.State, _ = describeState(state)
		if e, err := decodeOpConductor(state); err == nil {
			p := e.Payload
			head, headFrom = &p, "snapshot "+s.ID
		}
	}
	ls, err := openStoreRO(filepath.Join(dir, logFileName))
	if err != nil {
		return err
	}
	err = withTimeout(checkTimeout, "reading "+dir, func() error {
		first, err := ls.FirstIndex()
		if err != nil {
			return err
		}
		last, err := ls.LastIndex()
		if err != nil {
			return err
		}
		for i := first; i <= last && last > 0; i++ {
			var l raft.Log
			if err := ls.GetLog(i, &l); err != nil {
				return fmt.Errorf("GetLog(%d): %v", i, err)
			}
			if l.Type != raft.LogCommand {
				continue
			}
			re := &readEntryJSON{Index: i, Term: l.Term, Form: "not a payload"}
			if e, err := decodeOpConductor(l.Data); err == nil {
				re.Form, re.Number, re.Hash = formOf(&e.Payload, false), e.Payload.Number, hash0x(e.Payload.BlockHash)
				if i > snapIndex && (head == nil || head.Number < e.Payload.Number) {
					p := e.Payload
					head, headFrom = &p, fmt.Sprintf("entry %d", i)
				}
			} else if p, err := decodeLegacy(l.Data); err == nil {
				re.Form, re.Number, re.Hash = formOf(p, true), p.Number, hash0x(p.BlockHash)
				if i > snapIndex && (legacyHead == nil || legacyHead.Number < p.Number) {
					legacyHead, legacyFrom = p, fmt.Sprintf("entry %d", i)
				}
			}
			out.Entries = append(out.Entries, re)
		}
		return nil
	})
	ls.Close()
	if err != nil {
		return err
	}
	if head != nil {
		out.DecodedHead = newHeadJSON(head, false, headFrom)
		out.DecodedHeadNumber, out.DecodedHeadHash = &out.DecodedHead.Number, &out.DecodedHead.Hash
	}
	if legacyHead != nil {
		out.LegacyHead = newHeadJSON(legacyHead, true, legacyFrom)
	}

	// 2. By raft: NewRaft with opcFSM on a copy (raft writes to the files it
	// starts on), the one-node configuration elects itself, applies the log.
	tmp, err := ioutil.TempDir("", "oci-opc-read-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := copyTree(dir, tmp); err != nil {
		return err
	}
	out.RaftRestore = "ok"
	st, err := raftRead(tmp)
	if err != nil {
		out.RaftRestore = "fails: " + err.Error()
	} else {
		out.RaftHead, out.RaftRejected, out.RaftLastIndex = st.Head, st.Rejected, st.LastIndex
		if st.Head != nil {
			out.RaftHeadNumber, out.RaftHeadHash = &st.Head.Number, &st.Head.Hash
		}
	}
	return printJSON(out)
}

func raftRead(dir string) (*fsmStatus, error) {
	n := &clusterNode{dir: dir, fsm: &opcFSM{}}
	defer n.close()
	var err error
	if n.logs, err = openStoreRW(filepath.Join(dir, logFileName), false); err != nil {
		return nil, err
	}
	if n.stable, err = openStoreRW(filepath.Join(dir, stableFileName), false); err != nil {
		return nil, err
	}
	if n.snaps, err = raft.NewFileSnapshotStore(dir, 1, ioutil.Discard); err != nil {
		return nil, err
	}
	// The node's own address from its configuration: a one-node cluster
	// never dials it, so raft's in-memory transport serves (no port needed).
	snaps, err := readSnapshots(dir)
	if err != nil {
		return nil, err
	}
	sc, err := scanLog(n.logs, filepath.Join(dir, logFileName), true)
	if err != nil {
		return nil, err
	}
	_, conf := effectiveConfiguration(snaps, sc)
	if len(conf.Servers) != 1 {
		return nil, fmt.Errorf("opc-read starts one-node directories only; the configuration is %s", configString(conf))
	}
	_, it := raft.NewInmemTransport(conf.Servers[0].Address)
	n.trans = it
	r, err := raft.NewRaft(quietConfig(string(conf.Servers[0].ID)), n.fsm, n.logs, n.stable, n.snaps, n.trans)
	if err != nil {
		return nil, fmt.Errorf("NewRaft: %v", err)
	}
	n.r = r
	if err := waitLeader(r, 10*time.Second); err != nil {
		return nil, err
	}
	if err := waitFSM(n, 10*time.Second); err != nil {
		return nil, err
	}
	st := n.fsm.status()
	return &st, nil
}
