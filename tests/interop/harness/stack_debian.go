//go:build !raft17
// +build !raft17

package main

// The Debian stack (build-harness.sh's GOPATH build, no build tag): raft 1.1.2
// (golang-github-hashicorp-raft-dev) with raft-boltdb v1 on boltdb/bolt 1.3.1,
// whose codec is go-msgpack 0.5.5. Everything that differs between the two
// stacks lives in this file and in stack_raft17.go.

import (
	"time"

	boltv1 "github.com/boltdb/bolt"
	raft "github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb"
)

const stackName = "raft-1.1.2"
const stackLong = "hashicorp/raft 1.1.2 + raft-boltdb v1 (boltdb/bolt 1.3.1, go-msgpack 0.5.5), Debian packages"

type boltStore = raftboltdb.BoltStore

var errKeyNotFound = raftboltdb.ErrKeyNotFound

func newStore(path string, readOnly, noSync bool) (*boltStore, error) {
	return raftboltdb.New(raftboltdb.Options{Path: path, NoSync: noSync,
		BoltOptions: &boltv1.Options{ReadOnly: readOnly, Timeout: openTimeout}})
}

// newBoltStore is raftboltdb.NewBoltStore: what op-conductor (and the Go
// op-conductor-init) call, default options.
func newBoltStore(path string) (*boltStore, error) { return raftboltdb.NewBoltStore(path) }

// lockBolt holds an exclusive read-write bolt open on path (the writer's flock).
func lockBolt(path string) (func() error, error) {
	db, err := boltv1.Open(path, 0600, &boltv1.Options{Timeout: openTimeout})
	if err != nil {
		return nil, err
	}
	return db.Close, nil
}

// hasAppendedAt: raft 1.1.2's raft.Log has no AppendedAt.
const hasAppendedAt = false

func setAppendedAt(l *raft.Log, t time.Time) {}
