package main

import (
	"flag"
	"fmt"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	raft "github.com/hashicorp/raft"
)

// cmdPorts prints N distinct TCP ports in [20000, 40000) that could all be
// bound on 127.0.0.1 at the same moment (they are released before exit, so a
// caller must still retry if a port is taken in between).
func cmdPorts(args []string) error {
	fs := flag.NewFlagSet("ports", flag.ContinueOnError)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	n := 0
	if len(pos) == 1 {
		fmt.Sscan(pos[0], &n)
	}
	if n < 1 || n > 100 {
		return usagef("usage: oci-harness ports N (1..100)")
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano() ^ int64(os.Getpid())))
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []string
	for tries := 0; len(ls) < n; tries++ {
		if tries > 1000 {
			return fmt.Errorf("could not find %d free ports on 127.0.0.1", n)
		}
		p := 20000 + rng.Intn(20000)
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

// cmdRefgen makes the library calls the Go op-conductor-init's `raft
// generate` makes, but with this harness's libraries (raft 1.1.2 /
// raft-boltdb v1): NewBoltStore, SetUint64/Set on raft-stable.db and StoreLog
// of one LogConfiguration entry on raft-log.db. raft 1.1.2's Log has no
// AppendedAt field, so the bytes are NOT the Go tool's (entry 1 is a 5-key
// map); it exists only to self-test the harness on a fresh-state shape.
func cmdRefgen(args []string) error {
	fs := flag.NewFlagSet("refgen", flag.ContinueOnError)
	nodes := fs.String("nodes", "", "comma-separated addresses")
	ids := fs.String("server-ids", "", "comma-separated server IDs")
	leader := fs.String("initial-leader", "", "server ID of the initial leader")
	term := fs.Uint64("initial-term", 1, "initial term")
	outDir := fs.String("output-dir", "", "output directory")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	addrs, sids := strings.Split(*nodes, ","), strings.Split(*ids, ",")
	if len(pos) != 0 || *nodes == "" || *outDir == "" || len(addrs) != len(sids) || *term < 1 {
		return usagef("usage: oci-harness refgen --nodes A,.. --server-ids S,.. --initial-leader S --output-dir DIR [--initial-term T]")
	}
	var c raft.Configuration
	for i := range addrs {
		c.Servers = append(c.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(sids[i]), Address: raft.ServerAddress(addrs[i])})
	}
	for _, id := range sids {
		d := filepath.Join(*outDir, id)
		if err := os.MkdirAll(d, 0755); err != nil {
			return err
		}
		st, err := newBoltStore(filepath.Join(d, stableFileName))
		if err != nil {
			return err
		}
		if err := st.SetUint64(keyCurrentTerm, *term); err != nil {
			return err
		}
		if id == *leader {
			if err := st.SetUint64(keyLastVoteTerm, *term); err != nil {
				return err
			}
			if err := st.Set(keyLastVoteCand, []byte(id)); err != nil {
				return err
			}
		}
		st.Close()
		ls, err := newBoltStore(filepath.Join(d, logFileName))
		if err != nil {
			return err
		}
		if err := ls.StoreLog(&raft.Log{Index: 1, Term: *term, Type: raft.LogConfiguration, Data: raft.EncodeConfiguration(c)}); err != nil {
			return err
		}
		ls.Close()
	}
	return nil
}
