//go:build !raft17
// +build !raft17

package main

// The differential msgpack commands compare with go-msgpack/v2, which only the
// raft-1.7.2 build links (msgdiff_raft17.go).

func cmdMsgpackDecode(args []string) error {
	return usagef("msgpack-decode needs the raft-1.7.2 build (go-msgpack/v2): build-harness.sh OUTDIR raft-1.7.2")
}

func cmdMsgpackCorpus(args []string) error {
	return usagef("msgpack-corpus needs the raft-1.7.2 build (go-msgpack/v2): build-harness.sh OUTDIR raft-1.7.2")
}
