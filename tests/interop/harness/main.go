// oci-harness: interop test harness for op-conductor-init.
//
// It drives the real Go libraries that op-conductor's storage stack is made
// of against state files written by the C tool, so the tests can prove those
// files are accepted by real HashiCorp Raft. Two builds (../build-harness.sh):
// the Debian stack (GOPATH mode, Debian's golang-*-dev packages: raft 1.1.2,
// raft-boltdb v1 on boltdb/bolt) and op-conductor's stack (-tags raft17, the
// go.mod here: raft v1.7.2, raft-boltdb/v2 v2.3.1 on go.etcd.io/bbolt,
// go-msgpack/v2). What differs is in stack_debian.go / stack_raft17.go. Every subcommand prints one JSON document on stdout
// (except append / wait-lock, which print progress lines) and exits non-zero
// with a one-line reason on stderr on any failure.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

const usage = `usage: oci-harness COMMAND [ARGS]

commands:
  check DIR                     bbolt tx.Check + raft-boltdb read of DIR/raft-log.db and DIR/raft-stable.db
  cluster ROOT [--in-place] [--keep] [--applies N] [--timeout D] [--start ID,ID] [--verbose]
                                run one real raft node per ROOT/<server-id>/ (no BootstrapCluster)
  biglog --out FILE --entries N --size BYTES --keep K --seed S [--term-every T] [--barrier-every B] [--config-every C]
                                write a large realistic raft-log.db through raft-boltdb StoreLogs
  scan [--check] FILE           read every entry of FILE with raft-boltdb (read-only)
  append FILE --rate R --seconds S
                                hold FILE open read-write and append LogCommand entries
  wait-lock FILE SECONDS        hold an exclusive bolt (flock) open on FILE for SECONDS
  boltwrite --out FILE [--entries N --batch B --max-value V --delete-to D --after A --seed S]
                                a deterministic append/delete workload through go.etcd.io/bbolt
                                (compared byte for byte with our writer)
  boltcheck FILE                bbolt tx.Check of any bolt file (read-only)
  opc-vectors --out DIR [--cases A,B] [--seed S]
                                op-conductor-shaped node dirs written by a real raft node with the
                                op-conductor FSM (fsm_opc.go), each with an expected.json (opcvec.go)
  opc-read NODE_DIR             this harness's reading of such a dir: decoded, and by raft on a copy
  msgpack-corpus --count N [--seed S] [--demo FILE] | --hex FILE
                                framed msgpack inputs for the differential test (msgdiff_raft17.go)
  msgpack-decode < FRAMES       decode each as raft-boltdb/v2 GetLog does (go-msgpack/v2), one line each
                                (both: the raft-1.7.2 build only)
  stack                         print which raft stack this binary was built against
  ports N                       print N free TCP ports in [20000,40000) on 127.0.0.1
  lagging --out ROOT --snap-copy DIR --ports P1,..,P5
                                five real raft nodes; n5 falls behind a compacted leader and
                                catches up by InstallSnapshot (lagging.go): a short old log below
                                the snapshot (copied to DIR), then a gap below the snapshot index
  refgen --nodes .. --server-ids .. --initial-leader S --output-dir DIR [--initial-term T]
                                generate-like state via raft-boltdb v1 (harness self-test only;
                                NOT byte-identical to the Go tool: raft 1.1.2 has no AppendedAt)
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "check":
		err = cmdCheck(args)
	case "cluster":
		err = cmdCluster(args)
	case "biglog":
		err = cmdBiglog(args)
	case "scan":
		err = cmdScan(args)
	case "append":
		err = cmdAppend(args)
	case "wait-lock":
		err = cmdWaitLock(args)
	case "ports":
		err = cmdPorts(args)
	case "lagging":
		err = cmdLagging(args)
	case "refgen":
		err = cmdRefgen(args)
	case "boltwrite":
		err = cmdBoltwrite(args)
	case "boltcheck":
		err = cmdBoltcheck(args)
	case "opc-vectors":
		err = cmdOpcVectors(args)
	case "opc-read":
		err = cmdOpcRead(args)
	case "msgpack-corpus":
		err = cmdMsgpackCorpus(args)
	case "msgpack-decode":
		err = cmdMsgpackDecode(args)
	case "stack":
		fmt.Println(stackName + ": " + stackLong + builtModules())
		return
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "oci-harness: unknown command %q\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fail(cmd, err)
	}
}

// usageError marks errors caused by bad arguments (exit 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, a ...interface{}) error {
	return usageError{fmt.Sprintf(format, a...)}
}

func fail(cmd string, err error) {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(os.Stderr, "oci-harness %s: %s\n", cmd, msg)
	if _, ok := err.(usageError); ok {
		os.Exit(2)
	}
	os.Exit(1)
}

// parseArgs parses flags that may appear before, between or after the
// positional arguments ("cluster ROOT --in-place" as well as "cluster --in-place ROOT").
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func printJSON(v interface{}) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = os.Stdout.Write(b)
	return err
}

// withTimeout runs f in a goroutine and gives up after d: some damaged files
// make library code loop forever (bbolt's tx.Check on a page that is both
// live and free), and every wait in this harness must be bounded.
func withTimeout(d time.Duration, what string, f func() error) error {
	ch := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- fmt.Errorf("%s: panic: %v", what, r)
			}
		}()
		ch <- f()
	}()
	select {
	case err := <-ch:
		return err
	case <-time.After(d):
		return fmt.Errorf("%s: did not finish within %v", what, d)
	}
}

// builtModules names the storage modules this binary was linked with, read
// from its build info (module builds only; a GOPATH build has none).
func builtModules() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "; " + runtime.Version()
	}
	var parts []string
	for _, d := range bi.Deps {
		switch d.Path {
		case "github.com/hashicorp/raft", "github.com/hashicorp/raft-boltdb/v2", "github.com/hashicorp/go-msgpack/v2", "go.etcd.io/bbolt":
			parts = append(parts, d.Path+" "+d.Version)
		}
	}
	if len(parts) == 0 {
		return "; " + runtime.Version()
	}
	return "; linked: " + strings.Join(parts, ", ") + "; " + runtime.Version()
}
