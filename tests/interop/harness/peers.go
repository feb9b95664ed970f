package main

// `cluster --peer ID=ADDR,...`: new members that start with EMPTY state.
//
// After `raft recover` adds members to a configuration, the new members must
// start with empty state directories and learn everything (configuration
// included) from the leader: a log of their own could put a different entry
// at an (index, term) the others already have. Such a node has no
// configuration in its files, so the harness cannot find its address there;
// --peer gives it. Its directory ROOT/ID is created when missing and must
// hold no Raft state; raft-boltdb creates the files when the node starts.

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	raft "github.com/hashicorp/raft"
)

type peerSpec struct{ id, addr string }

func parsePeers(list string) ([]peerSpec, error) {
	var out []peerSpec
	if list == "" {
		return nil, nil
	}
	for _, item := range strings.Split(list, ",") {
		kv := strings.SplitN(strings.TrimSpace(item), "=", 2)
		if len(kv) != 2 || kv[0] == "" || kv[1] == "" || strings.ContainsAny(kv[0], "/\x00") || kv[0] == "." || kv[0] == ".." {
			return nil, usagef("--peer: want ID=127.0.0.1:PORT, got %q", item)
		}
		host, _, err := net.SplitHostPort(kv[1])
		if err != nil || host != "127.0.0.1" {
			return nil, usagef("--peer %s: address %q is not 127.0.0.1:PORT", kv[0], kv[1])
		}
		out = append(out, peerSpec{kv[0], kv[1]})
	}
	return out, nil
}

// openPeer opens a new member on an empty (or missing) ROOT/ID.
func openPeer(root string, p peerSpec, fsm harnessFSM, logOut io.Writer) (*clusterNode, error) {
	dir := filepath.Join(root, p.id)
	if err := os.MkdirAll(dir, 0755); err != nil {
		return nil, fmt.Errorf("peer %s: %v", p.id, err)
	}
	for _, f := range []string{logFileName, stableFileName, "snapshots"} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return nil, fmt.Errorf("peer %s: %s already holds %s; a new member must start with an empty state directory", p.id, dir, f)
		}
	}
	n := &clusterNode{id: p.id, dir: dir, addr: p.addr, fsm: fsm, peer: true}
	var err error
	if n.logs, err = openStoreRW(filepath.Join(dir, logFileName), false); err != nil {
		return nil, fmt.Errorf("peer %s: %v", p.id, err)
	}
	if n.stable, err = openStoreRW(filepath.Join(dir, stableFileName), false); err != nil {
		n.close()
		return nil, fmt.Errorf("peer %s: %v", p.id, err)
	}
	n.confJSON = &configJSON{Source: "none (new member, empty state)"}
	if n.snaps, err = raft.NewFileSnapshotStore(dir, 2, logOut); err != nil {
		n.close()
		return nil, fmt.Errorf("peer %s: snapshot store: %v", p.id, err)
	}
	tt, err := bindTCP(n.addr, logOut)
	if err != nil { // (assigned only on success: a nil *NetworkTransport in the interface would not be nil)
		n.close()
		return nil, fmt.Errorf("peer %s: TCP transport on %s: %v", p.id, n.addr, err)
	}
	n.trans = tt
	return n, nil
}

// checkPeers: after replication every new member runs the configuration of
// the nodes that had one.
func checkPeers(nodes []*clusterNode, nj map[string]*nodeJSON, want raft.Configuration) error {
	for _, n := range nodes {
		if !n.peer {
			continue
		}
		f := n.r.GetConfiguration()
		if err := f.Error(); err != nil {
			return fmt.Errorf("peer %s: GetConfiguration: %v", n.id, err)
		}
		if !sameConfiguration(f.Configuration(), want) {
			return fmt.Errorf("peer %s: live configuration %s differs from the others' %s",
				n.id, configString(f.Configuration()), configString(want))
		}
		nj[n.id].ConfigurationOK = true
		nj[n.id].Peer = true
	}
	return nil
}
