//go:build raft17
// +build raft17

package main

// Differential msgpack decoding against go-msgpack/v2 (tests/interop/diff_msgpack.sh).
//
//   msgpack-corpus --count N [--seed S] [--demo FILE] [--hex FILE] > FRAMES
//       inputs, each framed as a 4-byte little-endian length + the bytes: valid
//       raft.Log encodings (go-msgpack/v2 with raft-boltdb/v2's encode handle, both
//       time formats, the array form, raft < 1.3's five keys, hand-made variants,
//       shared/vectors/msgpack/encode-demo.json's raw_hex values), every byte of
//       each replaced by each of the 256 values, every truncation, insertions of
//       24 interesting bytes at every position, deletions, then random maps and
//       arrays with reordered, missing, duplicated, unknown and re-typed keys.
//       Fewer than the structured inputs: an even subset of them plus random ones.
//       --hex FILE: only the inputs of FILE (one hex string a line, # comments).
//   msgpack-decode < FRAMES
//       decodes each input as raft-boltdb/v2's GetLog does (bolt_store.go GetLog ->
//       util.go decodeMsgPack: bytes.NewBuffer, codec.MsgpackHandle{} zero value,
//       NewDecoder(...).Decode(&raft.Log{})) and prints one line per input:
//       "ok i= t= y= d= e= a=" or "err" (tests/interop/msgpack_decode.c prints the
//       same for our decoder).

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"math"
	"math/rand"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-msgpack/v2/codec"
	raft "github.com/hashicorp/raft"
)

// decodeLikeRaftBoltDB is raft-boltdb/v2's decodeMsgPack (util.go), on a fresh
// raft.Log as GetLog's callers pass one.
func decodeLikeRaftBoltDB(buf []byte, out *raft.Log) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	r := bytes.NewBuffer(buf)
	hd := codec.MsgpackHandle{}
	dec := codec.NewDecoder(r, &hd)
	return dec.Decode(out)
}

func fnv1a(b []byte) uint64 {
	h := uint64(0xcbf29ce484222325)
	for _, c := range b {
		h ^= uint64(c)
		h *= 0x100000001b3
	}
	return h
}

func spanField(b []byte) string {
	if b == nil {
		return "nil"
	}
	return fmt.Sprintf("%d:%016x", len(b), fnv1a(b))
}

func logLine(l *raft.Log) string {
	t := l.AppendedAt
	_, off := t.Zone()
	sec := t.Unix() + 62135596800 // seconds since 0001-01-01, Go's internal epoch
	return fmt.Sprintf("ok i=%d t=%d y=%d d=%s e=%s a=%d.%09d@%d", l.Index, l.Term, uint8(l.Type),
		spanField(l.Data), spanField(l.Extensions), sec, t.Nanosecond(), off)
}

func readFrame(r *bufio.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if n > 64<<20 {
		return nil, fmt.Errorf("an input of %d bytes is over the 64 MiB limit", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("the last input is truncated")
	}
	return b, nil
}

func cmdMsgpackDecode(args []string) error {
	why := len(args) == 1 && args[0] == "--why"
	if len(args) != 0 && !why {
		return usagef("usage: oci-harness msgpack-decode [--why] < FRAMES")
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	for {
		b, err := readFrame(in)
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		var l raft.Log
		if err := decodeLikeRaftBoltDB(b, &l); err != nil {
			if why { // --why: go-msgpack's reason after the verdict
				out.WriteString("err " + strings.ReplaceAll(err.Error(), "\n", " ") + "\n")
				continue
			}
			out.WriteString("err\n")
			continue
		}
		out.WriteString(logLine(&l))
		out.WriteByte('\n')
	}
	return out.Flush()
}

// ---- the corpus ------------------------------------------------------------------

type frameWriter struct {
	w *bufio.Writer
	n int
}

func (f *frameWriter) put(b []byte) {
	var hdr [4]byte
	binary.LittleEndian.PutUint32(hdr[:], uint32(len(b)))
	f.w.Write(hdr[:])
	f.w.Write(b)
	f.n++
}

// encodeLog is raft-boltdb/v2's encodeMsgPack (util.go): TimeNotBuiltin unless
// the new time format is asked for; structToArray: the array form.
func encodeLog(v interface{}, newTime, structToArray bool) []byte {
	var buf bytes.Buffer
	hd := codec.MsgpackHandle{BasicHandle: codec.BasicHandle{TimeNotBuiltin: !newTime}}
	hd.StructToArray = structToArray
	if err := codec.NewEncoder(&buf, &hd).Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// oldLog is raft.Log before AppendedAt (raft < 1.3, e.g. Debian's 1.1.2).
type oldLog struct {
	Index      uint64
	Term       uint64
	Type       raft.LogType
	Data       []byte
	Extensions []byte
}

func seedEncodings(demo string) [][]byte {
	var out [][]byte
	pat := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + 3)
		}
		return b
	}
	ist := time.FixedZone("IST", 5*3600+1800)
	odd := time.FixedZone("", -(3*3600 + 25)) // an offset with seconds: MarshalBinary version 2
	times := []time.Time{{}, time.Date(2024, 1, 2, 3, 4, 5, 678901234, time.UTC),
		time.Date(2025, 5, 9, 16, 0, 1, 1, ist), time.Date(1999, 12, 31, 23, 59, 59, 999999999, odd),
		time.Unix(0, 0).UTC(), time.Unix(1<<34, 5).UTC()}
	nums := []uint64{0, 1, 127, 128, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, 1 << 63, math.MaxUint64}
	datas := [][]byte{nil, {}, []byte("hi"), pat(31), pat(32), pat(255), pat(256)}
	for i, num := range nums {
		l := raft.Log{Index: num, Term: nums[(i+3)%len(nums)], Type: raft.LogType(i % 6),
			Data: datas[i%len(datas)], AppendedAt: times[i%len(times)]}
		if i%3 == 1 {
			l.Extensions = []byte("x")
		}
		out = append(out, encodeLog(&l, false, false))
	}
	for i, t := range times {
		l := raft.Log{Index: uint64(1000 + i), Term: 2, Type: raft.LogCommand, Data: pat(40), AppendedAt: t}
		out = append(out, encodeLog(&l, false, false), encodeLog(&l, true, false), encodeLog(&l, false, true))
	}
	conf := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: "sequencer-1", Address: "sequencer-1:50050"}}}
	out = append(out, encodeLog(&raft.Log{Index: 1, Term: 1, Type: raft.LogConfiguration, Data: raft.EncodeConfiguration(conf)}, false, false))
	out = append(out, encodeLog(&raft.Log{Index: 7, Term: 3, Type: 255, Data: pat(300), Extensions: pat(33)}, false, false))
	out = append(out, encodeLog(&oldLog{Index: 9, Term: 2, Type: raft.LogNoop}, false, false),
		encodeLog(&oldLog{Index: 10, Term: 2, Data: []byte("abc")}, false, true))
	// a real op-conductor command: a V4 envelope
	g := newChainGen(1, 136_000_000, isthmusTime)
	out = append(out, encodeLog(&raft.Log{Index: 12, Term: 2, Data: g.next(blockV4).encode(), AppendedAt: times[1]}, false, false))
	// hand-made: keys as bin8 and str8, Data as bin8, a nil value, an unknown key
	hand := []byte{0x86, 0xc4, 10}
	hand = append(hand, "AppendedAt"...)
	hand = append(hand, 0xc0, 0xd9, 4)
	hand = append(hand, "Data"...)
	hand = append(hand, 0xc4, 2, 'h', 'i', 0xaa)
	hand = append(hand, "Extensions"...)
	hand = append(hand, 0xc0, 0xc4, 5)
	hand = append(hand, "Index"...)
	hand = append(hand, 0x05, 0xa4)
	hand = append(hand, "Term"...)
	hand = append(hand, 0x01, 0xa4)
	hand = append(hand, "Type"...)
	out = append(out, append(hand, 0x00))
	out = append(out, mustHex("81a3466f6f93010203"), mustHex("c0"), mustHex("80"), mustHex("90"))
	if demo != "" {
		var d struct {
			DecodeTolerance []struct {
				RawHex string `json:"raw_hex"`
			} `json:"decode_tolerance"`
		}
		if b, err := ioutil.ReadFile(demo); err == nil && json.Unmarshal(b, &d) == nil {
			for _, c := range d.DecodeTolerance {
				if x, err := hex.DecodeString(c.RawHex); err == nil {
					out = append(out, x)
				}
			}
		}
	}
	return out
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// One structured mutation of a seed.
type mutation struct {
	seed int32
	kind uint8 // 0 replace, 1 truncate, 2 insert, 3 delete, 4 the seed itself
	pos  int32
	val  uint8
}

var insertBytes = []byte{0x00, 0x01, 0x7f, 0x80, 0x81, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1,
	0xc4, 0xc7, 0xca, 0xcb, 0xcc, 0xcf, 0xd0, 0xd3, 0xd6, 0xd9, 0xdc, 0xff}

// positions: every byte of a short seed; of a long one, the first 300 and last 60.
func positions(n int) []int {
	var p []int
	for i := 0; i < n; i++ {
		if n <= 400 || i < 300 || i >= n-60 {
			p = append(p, i)
		}
	}
	return p
}

func (m mutation) apply(seeds [][]byte) []byte {
	s := seeds[m.seed]
	switch m.kind {
	case 0:
		b := append([]byte{}, s...)
		b[m.pos] = m.val
		return b
	case 1:
		return append([]byte{}, s[:m.pos]...)
	case 2:
		b := append([]byte{}, s[:m.pos]...)
		b = append(b, m.val)
		return append(b, s[m.pos:]...)
	case 3:
		return append(append([]byte{}, s[:m.pos]...), s[m.pos+1:]...)
	}
	return s
}

func structured(seeds [][]byte) []mutation {
	var ms []mutation
	for si, s := range seeds {
		ms = append(ms, mutation{seed: int32(si), kind: 4})
		for _, p := range positions(len(s)) {
			for v := 0; v < 256; v++ {
				if byte(v) != s[p] {
					ms = append(ms, mutation{int32(si), 0, int32(p), uint8(v)})
				}
			}
			ms = append(ms, mutation{int32(si), 1, int32(p), 0}, mutation{int32(si), 3, int32(p), 0})
			for _, v := range insertBytes {
				ms = append(ms, mutation{int32(si), 2, int32(p), v})
			}
		}
	}
	return ms
}

// ---- random maps ------------------------------------------------------------------

type gen struct{ r *rand.Rand }

func (g gen) bytes(n int) []byte {
	b := make([]byte, n)
	g.r.Read(b)
	return b
}

func putBE(b []byte, v uint64, w int) []byte {
	for i := w - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*uint(i))))
	}
	return b
}

func minimalUint(v uint64) []byte {
	switch {
	case v < 128:
		return []byte{byte(v)}
	case v < 1<<8:
		return []byte{0xcc, byte(v)}
	case v < 1<<16:
		return putBE([]byte{0xcd}, v, 2)
	case v < 1<<32:
		return putBE([]byte{0xce}, v, 4)
	}
	return putBE([]byte{0xcf}, v, 8)
}

// uintEnc: v in some integer form, minimal or not, unsigned or signed, or a float.
func (g gen) uintEnc(v uint64) []byte {
	widths := []int{1, 2, 4, 8}
	switch g.r.Intn(8) {
	case 1:
		return putBE([]byte{0xcf}, v, 8)
	case 2:
		i := g.r.Intn(4)
		return putBE([]byte{0xcc + byte(i)}, v, widths[i])
	case 3:
		i := g.r.Intn(4)
		return putBE([]byte{0xd0 + byte(i)}, v, widths[i])
	case 4:
		return []byte{byte(0xe0 | g.r.Intn(32))} // negative fixint
	case 5:
		return putBE([]byte{0xca}, uint64(math.Float32bits(float32(v))), 4)
	case 6:
		return putBE([]byte{0xcb}, math.Float64bits(float64(v)), 8)
	}
	return minimalUint(v)
}

func (g gen) rawEnc(s []byte) []byte {
	n := len(s)
	switch g.r.Intn(7) {
	case 0:
		if n < 32 {
			return append([]byte{0xa0 | byte(n)}, s...)
		}
		fallthrough
	case 1:
		return append(putBE([]byte{0xda}, uint64(n), 2), s...)
	case 2:
		if n < 256 {
			return append([]byte{0xd9, byte(n)}, s...)
		}
		return append(putBE([]byte{0xdb}, uint64(n), 4), s...)
	case 3:
		if n < 256 {
			return append([]byte{0xc4, byte(n)}, s...)
		}
		return append(putBE([]byte{0xc5}, uint64(n), 2), s...)
	case 4:
		return append(putBE([]byte{0xc6}, uint64(n), 4), s...)
	case 5: // an array of small ints (go-msgpack takes it as bytes)
		if n < 16 {
			b := []byte{0x90 | byte(n)}
			for _, c := range s {
				if c < 128 || g.r.Intn(2) == 0 {
					b = append(b, c&0x7f)
				} else {
					b = append(b, 0xcc, c)
				}
			}
			return b
		}
	}
	if n < 32 {
		return append([]byte{0xa0 | byte(n)}, s...)
	}
	return append(putBE([]byte{0xdb}, uint64(n), 4), s...)
}

func (g gen) timeEnc() []byte {
	sec := uint64(g.r.Int63n(1 << 40))
	switch g.r.Intn(8) {
	case 0:
		return []byte{0xc0}
	case 1:
		return putBE([]byte{0xd6, 0xff}, sec&0xffffffff, 4)
	case 2:
		return putBE([]byte{0xd7, 0xff}, uint64(g.r.Intn(2e9))<<34|sec&0x3ffffffff, 8)
	case 3:
		return putBE(putBE([]byte{0xc7, 12, 0xff}, uint64(g.r.Intn(2e9)), 4), sec, 8)
	case 4: // MarshalBinary version 1/2 (or a bad version), as some raw form
		v := byte(1 + g.r.Intn(2))
		if g.r.Intn(8) == 0 {
			v = byte(g.r.Intn(4))
		}
		b := putBE([]byte{v}, sec+62135596800, 8)
		b = putBE(b, uint64(g.r.Intn(1e9)), 4)
		b = putBE(b, uint64([]int{0xffff, 0, 330, 0xff00}[g.r.Intn(4)]), 2)
		if v == 2 {
			b = append(b, byte(g.r.Intn(60)))
		}
		return g.rawEnc(b)
	case 5: // a raw of a timestamp's length
		return g.rawEnc(g.bytes([]int{4, 8, 12, 15, 16}[g.r.Intn(5)]))
	case 6: // another extension
		return append([]byte{[]byte{0xd4, 0xd5, 0xd6, 0xd7, 0xd8}[g.r.Intn(5)], byte(g.r.Intn(256))}, g.bytes(16)...)[:2+[]int{1, 2, 4, 8, 16}[g.r.Intn(5)]]
	}
	return g.any(2)
}

// any: a random value of any type, nested up to depth.
func (g gen) any(depth int) []byte {
	switch k := g.r.Intn(12); {
	case k == 0:
		return []byte{0xc0}
	case k == 1:
		return []byte{0xc2 + byte(g.r.Intn(2))}
	case k <= 3:
		return g.uintEnc(uint64(g.r.Int63()) >> uint(g.r.Intn(64)))
	case k <= 5:
		return g.rawEnc(g.bytes(g.r.Intn(40)))
	case k == 6 && depth > 0:
		n := g.r.Intn(4)
		b := []byte{0x90 | byte(n)}
		for i := 0; i < n; i++ {
			b = append(b, g.any(depth-1)...)
		}
		return b
	case k == 7 && depth > 0:
		n := g.r.Intn(3)
		b := []byte{0x80 | byte(n)}
		for i := 0; i < n; i++ {
			b = append(b, g.any(depth-1)...)
			b = append(b, g.any(depth-1)...)
		}
		return b
	case k == 8:
		return g.timeEnc()
	case k == 9:
		return []byte{0xc1}
	}
	return []byte{byte(g.r.Intn(128))}
}

var fieldNames = []string{"AppendedAt", "Data", "Extensions", "Index", "Term", "Type"}
var otherKeys = []string{"Foo", "index", "INDEX", "Indexx", "", "AppendedAtX", "Dat", "type",
	"ExtensionsExtensionsExtensions12345"}

func (g gen) value(field string) []byte {
	if g.r.Intn(5) == 0 {
		return g.any(2) // re-typed
	}
	switch field {
	case "Index", "Term":
		return g.uintEnc(uint64(g.r.Int63()) >> uint(g.r.Intn(64)))
	case "Type":
		v := uint64(g.r.Intn(7))
		if g.r.Intn(6) == 0 {
			v = uint64(g.r.Intn(70000))
		}
		return g.uintEnc(v)
	case "Data", "Extensions":
		if g.r.Intn(6) == 0 {
			return []byte{0xc0}
		}
		return g.rawEnc(g.bytes(g.r.Intn(70)))
	case "AppendedAt":
		return g.timeEnc()
	}
	return g.any(2)
}

func (g gen) key(k string) []byte {
	switch g.r.Intn(40) {
	case 0:
		return []byte{0xc0}
	case 1:
		return g.uintEnc(uint64(g.r.Intn(8)))
	case 2, 3, 4:
		return append([]byte{0xd9, byte(len(k))}, k...)
	case 5, 6, 7:
		return append([]byte{0xc4, byte(len(k))}, k...)
	case 8:
		return append(putBE([]byte{0xda}, uint64(len(k)), 2), k...)
	}
	if len(k) < 32 {
		return append([]byte{0xa0 | byte(len(k))}, k...)
	}
	return append([]byte{0xd9, byte(len(k))}, k...)
}

func (g gen) randomLog() []byte {
	var b []byte
	if g.r.Intn(10) == 0 { // the array form
		n := g.r.Intn(9)
		b = []byte{0x90 | byte(n)}
		order := []string{"Index", "Term", "Type", "Data", "Extensions", "AppendedAt"}
		for i := 0; i < n; i++ {
			f := ""
			if i < len(order) {
				f = order[i]
			}
			b = append(b, g.value(f)...)
		}
	} else {
		var keys []string
		for _, f := range fieldNames {
			if g.r.Intn(6) != 0 {
				keys = append(keys, f)
			}
		}
		for g.r.Intn(4) == 0 {
			keys = append(keys, otherKeys[g.r.Intn(len(otherKeys))])
		}
		if g.r.Intn(8) == 0 && len(keys) > 0 {
			keys = append(keys, keys[g.r.Intn(len(keys))]) // a duplicate
		}
		g.r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		n := len(keys)
		switch g.r.Intn(12) {
		case 0:
			b = putBE([]byte{0xde}, uint64(n), 2)
		case 1:
			b = putBE([]byte{0xdf}, uint64(n), 4)
		case 2: // a count that does not match
			b = []byte{0x80 | byte((n+1+g.r.Intn(2))&0xf)}
		default:
			b = []byte{0x80 | byte(n&0xf)}
		}
		for _, k := range keys {
			b = append(b, g.key(k)...)
			b = append(b, g.value(k)...)
		}
	}
	if g.r.Intn(10) == 0 {
		b = append(b, g.bytes(1+g.r.Intn(4))...) // trailing bytes (GetLog decodes one value)
	}
	return b
}

func cmdMsgpackCorpus(args []string) error {
	fs := flag.NewFlagSet("msgpack-corpus", flag.ContinueOnError)
	count := fs.Int("count", 1_000_000, "inputs to write")
	seed := fs.Int64("seed", 1, "PRNG seed of the random part")
	demo := fs.String("demo", "", "shared/vectors/msgpack/encode-demo.json: its raw_hex values join the seeds")
	hexFile := fs.String("hex", "", "write only the inputs of this file (hex, one a line)")
	pick := fs.String("pick", "", "print the inputs with these 1-based numbers (comma-separated) as hex lines instead")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *count < 1 {
		return usagef("usage: oci-harness msgpack-corpus --count N [--seed S] [--demo FILE] | --hex FILE")
	}
	fw := &frameWriter{w: bufio.NewWriterSize(os.Stdout, 1<<20)}
	if *hexFile != "" {
		b, err := ioutil.ReadFile(*hexFile)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if c := strings.IndexByte(line, '#'); c >= 0 {
				line = strings.TrimSpace(line[:c])
			}
			if line == "" {
				continue
			}
			x, err := hex.DecodeString(line)
			if err != nil {
				return fmt.Errorf("%s line %d: %v", *hexFile, i+1, err)
			}
			fw.put(x)
		}
		return fw.w.Flush()
	}
	seeds := seedEncodings(*demo)
	ms := structured(seeds)
	take := len(ms)
	if *count < len(ms) {
		take = *count * 7 / 10
	}
	for i := 0; i < take && *pick == ""; i++ {
		fw.put(ms[int(int64(i)*int64(len(ms))/int64(take))].apply(seeds))
	}
	g := gen{rand.New(rand.NewSource(*seed))}
	picked := map[int]bool{}
	for _, x := range strings.Split(*pick, ",") {
		var k int
		if _, err := fmt.Sscan(x, &k); err == nil {
			picked[k] = true
		}
	}
	if *pick != "" {
		// the same sequence, printed as hex for the numbers asked for
		for i := 1; i <= *count; i++ {
			var b []byte
			if i <= take {
				b = ms[int(int64(i-1)*int64(len(ms))/int64(take))].apply(seeds)
			} else {
				b = g.randomLog()
			}
			if picked[i] {
				fmt.Printf("%s # input %d\n", hex.EncodeToString(b), i)
			}
		}
		return nil
	}
	for fw.n < *count {
		fw.put(g.randomLog())
	}
	fmt.Fprintf(os.Stderr, "msgpack-corpus: %d inputs: %d of %d structured (%d seeds), %d random\n",
		fw.n, take, len(ms), len(seeds), fw.n-take)
	return fw.w.Flush()
}
