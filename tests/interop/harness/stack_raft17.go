//go:build raft17
// +build raft17

package main

// The op-conductor stack (build-harness.sh's module build, -tags raft17, go.mod
// in this directory pinned by go.sum): hashicorp/raft v1.7.2 with
// raft-boltdb/v2 v2.3.1 on go.etcd.io/bbolt, whose codec is go-msgpack/v2.
// Everything that differs between the two stacks lives in this file and in
// stack_debian.go.

import (
	"time"

	raft "github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	bbolt "go.etcd.io/bbolt"
)

const stackName = "raft-1.7.2"
const stackLong = "hashicorp/raft v1.7.2 + raft-boltdb/v2 v2.3.1 (go.etcd.io/bbolt v1.3.5, go-msgpack/v2 v2.1.2), Go modules"

type boltStore = raftboltdb.BoltStore

var errKeyNotFound = raftboltdb.ErrKeyNotFound

func newStore(path string, readOnly, noSync bool) (*boltStore, error) {
	return raftboltdb.New(raftboltdb.Options{Path: path, NoSync: noSync,
		BoltOptions: &bbolt.Options{ReadOnly: readOnly, Timeout: openTimeout}})
}

// newBoltStore is raftboltdb.NewBoltStore: what op-conductor (and the Go
// op-conductor-init) call, default options.
func newBoltStore(path string) (*boltStore, error) { return raftboltdb.NewBoltStore(path) }

// lockBolt holds an exclusive read-write bolt open on path (the writer's flock).
func lockBolt(path string) (func() error, error) {
	db, err := bbolt.Open(path, 0600, &bbolt.Options{Timeout: openTimeout})
	if err != nil {
		return nil, err
	}
	return db.Close, nil
}

// hasAppendedAt: raft.Log has AppendedAt (raft >= 1.3).
const hasAppendedAt = true

func setAppendedAt(l *raft.Log, t time.Time) { l.AppendedAt = t }
