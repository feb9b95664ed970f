package main

// oci-harness lagging: the states raft itself leaves on a follower that falls
// behind a compacted leader and catches up by InstallSnapshot (issue 24).
//
// Five real raft nodes (TCP on 127.0.0.1, raft-boltdb files, FileSnapshotStore,
// the chain FSM), TrailingLogs 10, bootstrapped on n1 only so that n1 leads:
//
//  1. every node applies 5 commands (log 1..6 after the configuration entry);
//  2. n4 and n5 are shut down; n1..n3 apply 100 more; n1 takes a snapshot,
//     which compacts its log to the last 10 entries;
//  3. n5 restarts: its next entry is gone from n1's log, so n1 sends its
//     snapshot (installSnapshot). n5's old log (6 entries) is not longer than
//     TrailingLogs, so compactLogsWithTrailing keeps it: n5 now holds log
//     1..6 and the snapshot. It is shut down and copied to --snap-copy (the
//     "snapshot with a short log" state);
//  4. n5 restarts again and the leader applies 5 more: n5 appends S+1..S+5
//     after its old 1..6 (a gap at or below the snapshot index, written by
//     raft). Every node is shut down cleanly; n4 keeps log 1..6.
//
// Prints the snapshot index and every node's last index as raft reports it.

import (
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/raft"
)

type laggingJSON struct {
	Stack         string            `json:"stack"`
	Root          string            `json:"root"`
	SnapCopy      string            `json:"snap_copy"`
	SnapshotIndex uint64            `json:"snapshot_index"`
	SnapshotTerm  uint64            `json:"snapshot_term"`
	N5Installed   string            `json:"n5_installed_snapshot"`
	LastIndex     map[string]uint64 `json:"last_index"`
	FirstIndex    map[string]uint64 `json:"first_index"`
}

type lagNode struct {
	id, dir, addr string
	logs, stable  *boltStore
	trans         *raft.NetworkTransport
	fsm           harnessFSM
	r             *raft.Raft
}

func (n *lagNode) start(logOut io.Writer, servers []raft.Server, bootstrap bool) error {
	var err error
	if n.logs, err = newBoltStore(filepath.Join(n.dir, logFileName)); err != nil {
		return err
	}
	if n.stable, err = newBoltStore(filepath.Join(n.dir, stableFileName)); err != nil {
		return err
	}
	snaps, err := raft.NewFileSnapshotStore(n.dir, 1, logOut)
	if err != nil {
		return err
	}
	if n.trans, err = bindTCP(n.addr, logOut); err != nil {
		return fmt.Errorf("TCP transport on %s: %v", n.addr, err)
	}
	n.fsm = &chainFSM{}
	cfg := raft.DefaultConfig()
	cfg.LocalID = raft.ServerID(n.id)
	cfg.HeartbeatTimeout = 1000 * time.Millisecond
	cfg.ElectionTimeout = 1000 * time.Millisecond
	cfg.LeaderLeaseTimeout = 900 * time.Millisecond
	cfg.CommitTimeout = 20 * time.Millisecond
	cfg.SnapshotInterval = time.Hour
	cfg.SnapshotThreshold = 1 << 30
	cfg.TrailingLogs = 10
	cfg.LogOutput = logOut
	cfg.LogLevel = "ERROR"
	if n.id != "n1" {
		// n1 must win the first election (it is the one that compacts)
		cfg.HeartbeatTimeout = 3 * time.Second
		cfg.ElectionTimeout = 3 * time.Second
	}
	if n.r, err = raft.NewRaft(cfg, n.fsm, n.logs, n.stable, snaps, n.trans); err != nil {
		return err
	}
	if bootstrap {
		return n.r.BootstrapCluster(raft.Configuration{Servers: servers}).Error()
	}
	return nil
}

func (n *lagNode) stop() error {
	var err error
	if n.r != nil {
		r := n.r
		err = withTimeout(15*time.Second, "shutdown of "+n.id, func() error { return r.Shutdown().Error() })
		n.r = nil
	}
	if n.trans != nil {
		n.trans.Close()
		n.trans = nil
	}
	for _, s := range []**boltStore{&n.logs, &n.stable} {
		if *s != nil {
			(*s).Close()
			*s = nil
		}
	}
	return err
}

// waitFor polls cond every 20 ms for up to d.
func waitFor(d time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func cmdLagging(args []string) error {
	fs := flag.NewFlagSet("lagging", flag.ContinueOnError)
	out := fs.String("out", "", "ROOT to create (ROOT/n1..n5)")
	snapCopy := fs.String("snap-copy", "", "where n5's state right after InstallSnapshot is copied")
	ports := fs.String("ports", "", "five free TCP ports, comma-separated")
	timeout := fs.Duration("timeout", 60*time.Second, "bound for each wait")
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	p := strings.Split(*ports, ",")
	if *out == "" || *snapCopy == "" || len(p) != 5 {
		return usagef("usage: oci-harness lagging --out ROOT --snap-copy DIR --ports P1,P2,P3,P4,P5 [--timeout D]")
	}
	logOut := ioutil.Discard
	var nodes []*lagNode
	var servers []raft.Server
	for i := 0; i < 5; i++ {
		n := &lagNode{id: fmt.Sprintf("n%d", i+1), addr: "127.0.0.1:" + p[i]}
		n.dir = filepath.Join(*out, n.id)
		if err := os.MkdirAll(n.dir, 0755); err != nil {
			return err
		}
		nodes = append(nodes, n)
		servers = append(servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(n.id), Address: raft.ServerAddress(n.addr)})
	}
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	for i, n := range nodes {
		if err := n.start(logOut, servers, i == 0); err != nil {
			return fmt.Errorf("%s: %v", n.id, err)
		}
	}
	n1 := nodes[0]
	if err := waitFor(*timeout, "n1 leads", func() bool { return n1.r.State() == raft.Leader }); err != nil {
		return err
	}
	seq := 0
	apply := func(k int) (uint64, error) {
		var last uint64
		for i := 0; i < k; i++ {
			seq++
			f := n1.r.Apply([]byte(fmt.Sprintf("oci-harness-lagging-%05d", seq)), 10*time.Second)
			if err := f.Error(); err != nil {
				return 0, fmt.Errorf("apply %d: %v", seq, err)
			}
			last = f.Index()
		}
		return last, nil
	}
	caughtUp := func(on []*lagNode, index uint64) error {
		return waitFor(*timeout, fmt.Sprintf("every node applies index %d", index), func() bool {
			for _, n := range on {
				if n.fsm.status().LastIndex < index {
					return false
				}
			}
			return true
		})
	}
	// 1.
	last, err := apply(5)
	if err != nil {
		return err
	}
	if err := caughtUp(nodes, last); err != nil {
		return err
	}
	// 2.
	for _, n := range nodes[3:] {
		if err := n.stop(); err != nil {
			return err
		}
	}
	if last, err = apply(100); err != nil {
		return err
	}
	if err := caughtUp(nodes[:3], last); err != nil {
		return err
	}
	sf := n1.r.Snapshot()
	if err := sf.Error(); err != nil {
		return fmt.Errorf("n1 snapshot: %v", err)
	}
	meta, rc, err := sf.Open()
	if err != nil {
		return fmt.Errorf("n1 snapshot open: %v", err)
	}
	rc.Close()
	res := &laggingJSON{Stack: stackName, Root: *out, SnapCopy: *snapCopy, SnapshotIndex: meta.Index,
		SnapshotTerm: meta.Term, LastIndex: map[string]uint64{}, FirstIndex: map[string]uint64{}}
	// 3.
	n5 := nodes[4]
	if err := n5.start(logOut, servers, false); err != nil {
		return fmt.Errorf("n5 restart: %v", err)
	}
	if err := caughtUp([]*lagNode{n5}, meta.Index); err != nil {
		return err
	}
	if s, err := raft.NewFileSnapshotStore(n5.dir, 1, logOut); err == nil {
		if l, err := s.List(); err == nil && len(l) > 0 {
			res.N5Installed = l[0].ID
		}
	}
	if res.N5Installed == "" {
		return fmt.Errorf("n5 caught up without installing a snapshot")
	}
	if err := n5.stop(); err != nil {
		return err
	}
	if err := copyTree(n5.dir, *snapCopy); err != nil {
		return fmt.Errorf("copying n5: %v", err)
	}
	// 4.
	if err := n5.start(logOut, servers, false); err != nil {
		return fmt.Errorf("n5 second restart: %v", err)
	}
	if last, err = apply(5); err != nil {
		return err
	}
	if err := caughtUp([]*lagNode{nodes[0], nodes[1], nodes[2], n5}, last); err != nil {
		return err
	}
	for _, n := range nodes {
		if n.logs != nil {
			f, _ := n.logs.FirstIndex()
			l, _ := n.logs.LastIndex()
			res.FirstIndex[n.id], res.LastIndex[n.id] = f, l
		}
	}
	for _, n := range nodes {
		if err := n.stop(); err != nil {
			return err
		}
	}
	// n4 was stopped in step 2: read its files now
	if s, err := newBoltStore(filepath.Join(nodes[3].dir, logFileName)); err == nil {
		res.FirstIndex["n4"], _ = s.FirstIndex()
		res.LastIndex["n4"], _ = s.LastIndex()
		s.Close()
	}
	return printJSON(res)
}
