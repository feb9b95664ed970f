package main

// boltwrite: a deterministic workload written through go.etcd.io/bbolt
// directly, mirrored step for step by tests/interop/boltwrite.c through our
// C writer, so the two files can be compared byte for byte. It exercises
// what raft-boltdb does to a log over time: batched appends of values of
// varied size (many over a page: overflow), a DeleteRange of a prefix
// (rebalance/merge, freelist), more appends reusing freed pages, and a
// second bucket written in between.

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"

	bbolt "go.etcd.io/bbolt"
)

type xorshift struct{ x uint64 }

func (r *xorshift) next() uint64 {
	r.x ^= r.x << 13
	r.x ^= r.x >> 7
	r.x ^= r.x << 17
	return r.x
}

func cmdBoltwrite(args []string) error {
	fs := flag.NewFlagSet("boltwrite", flag.ContinueOnError)
	out := fs.String("out", "", "file to create")
	entries := fs.Int("entries", 1500, "entries appended before the delete")
	batch := fs.Int("batch", 64, "entries per transaction")
	maxv := fs.Int("max-value", 9000, "largest value size")
	deleteTo := fs.Int("delete-to", 1000, "DeleteRange(1, N)")
	after := fs.Int("after", 200, "entries appended after the delete")
	seed := fs.Uint64("seed", 42, "PRNG seed (non-zero)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *seed == 0 {
		return fmt.Errorf("--out and a non-zero --seed are required")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s already exists", *out)
	}
	db, err := bbolt.Open(*out, 0600, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	rng := &xorshift{*seed}
	if err := db.Update(func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists([]byte("logs")); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists([]byte("conf"))
		return err
	}); err != nil {
		return err
	}
	next := uint64(1)
	appendN := func(n int) error {
		for done := 0; done < n; {
			k := *batch
			if n-done < k {
				k = n - done
			}
			err := db.Update(func(tx *bbolt.Tx) error {
				b := tx.Bucket([]byte("logs"))
				for j := 0; j < k; j++ {
					key := make([]byte, 8)
					binary.BigEndian.PutUint64(key, next)
					vlen := 20 + int(rng.next()%uint64(*maxv))
					val := make([]byte, vlen)
					for i := range val {
						val[i] = byte(rng.next())
					}
					if err := b.Put(key, val); err != nil {
						return err
					}
					next++
				}
				if next%7 == 0 {
					conf := tx.Bucket([]byte("conf"))
					v := make([]byte, 8)
					binary.BigEndian.PutUint64(v, next)
					if err := conf.Put([]byte("CurrentTerm"), v); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			done += k
		}
		return nil
	}
	if err := appendN(*entries); err != nil {
		return err
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("logs"))
		for i := uint64(1); i <= uint64(*deleteTo); i++ {
			key := make([]byte, 8)
			binary.BigEndian.PutUint64(key, i)
			if err := b.Delete(key); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := appendN(*after); err != nil {
		return err
	}
	fmt.Printf("{\"out\": %q, \"next\": %d}\n", *out, next)
	return nil
}

// boltcheck FILE: bbolt tx.Check of any bolt file (read-only), as JSON.
func cmdBoltcheck(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: boltcheck FILE")
	}
	res, err := bboltCheck(args[0])
	if err != nil {
		return err
	}
	return printJSON(res)
}
