package conntrack

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

func TestLayout(t *testing.T) {
	if ConnSize != 32 || slotSize != 8 {
		t.Fatalf("Conn %d B, slot %d B; want 32 and 8", ConnSize, slotSize)
	}
	for _, n := range []int{1, 3, 1000, 1 << 20} {
		fp := Footprint(n)
		if fp%64 != 0 || fp < uintptr(n)*64 || fp > uintptr(n)*64+128 {
			t.Errorf("Footprint(%d) = %d, want 64-aligned ~%d", n, fp, n*64)
		}
	}
	if Footprint(0) != 0 || Footprint(MaxCapacity+1) != 0 {
		t.Error("Footprint of an invalid capacity should be 0")
	}
}

func TestNewErrors(t *testing.T) {
	buf := make([]byte, Footprint(16)+128)
	base := unsafe.Pointer(&buf[0])
	aligned := unsafe.Add(base, alignUp(uintptr(base))-uintptr(base))
	for _, tc := range []struct {
		name string
		mem  unsafe.Pointer
		size uintptr
		cap  int
		want string
	}{
		{"zero capacity", aligned, Footprint(16), 0, "capacity 0 out of range"},
		{"huge capacity", aligned, Footprint(16), MaxCapacity + 1, "out of range"},
		{"nil", nil, Footprint(16), 16, "nil memory"},
		{"misaligned", unsafe.Add(aligned, 8), Footprint(16), 16, "not 64-byte aligned"},
		{"too small", aligned, Footprint(16) - 64, 16, "needs"},
	} {
		_, err := New(tc.mem, tc.size, tc.cap, 1)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	if _, err := New(aligned, Footprint(16), 16, 1); err != nil {
		t.Fatal(err)
	}
}

func TestLookupBothKeys(t *testing.T) {
	tb := NewInGoMemory(64)
	conns := []Conn{testConn(1), testConn(2), testConn(0x1234), {
		ClientIP: 1, VIP: 2, RSIP: 3, ClientPort: 4, VPort: 5, RSPort: 6, Proto: 17, State: StateUDP,
	}}
	for _, c := range conns {
		if _, ok := tb.Insert(c); !ok {
			t.Fatalf("insert %+v failed", c)
		}
	}
	for _, c := range conns {
		in, out := c.InKey(), c.OutKey()
		for _, tc := range []struct {
			name string
			got  func(Key) (*Conn, bool)
			key  Key
			hit  bool
		}{
			{"in by in-key", tb.LookupIn, in, true},
			{"out by out-key", tb.LookupOut, out, true},
			{"in by out-key", tb.LookupIn, out, false},
			{"out by in-key", tb.LookupOut, in, false},
			{"other proto", tb.LookupIn, Key{in.SrcIP, in.DstIP, in.SrcPort, in.DstPort, 99}, false},
			{"other port", tb.LookupOut, Key{out.SrcIP, out.DstIP, out.SrcPort + 1, out.DstPort, out.Proto}, false},
		} {
			p, ok := tc.got(tc.key)
			if ok != tc.hit || (ok && *p != withUsed(c)) || (!ok && p != nil) {
				t.Errorf("%s for %+v: got %+v, %v", tc.name, c, p, ok)
			}
		}
	}
	checkIndex(t, tb)
}

func withUsed(c Conn) Conn { c.used = 1; return c }

func TestInsertDuplicateAndFull(t *testing.T) {
	tb := NewInGoMemory(4)
	a := testConn(1)
	pa, ok := tb.Insert(a)
	if !ok {
		t.Fatal("first insert failed")
	}
	sameIn := a
	sameIn.RSIP++ // same client->VIP key, different real server
	if p, ok := tb.Insert(sameIn); ok || p != pa {
		t.Errorf("duplicate in-key: got %p, %v; want existing %p, false", p, ok, pa)
	}
	sameOut := a
	sameOut.VIP++ // same RS->client key
	if p, ok := tb.Insert(sameOut); ok || p != pa {
		t.Errorf("duplicate out-key: got %p, %v; want existing %p, false", p, ok, pa)
	}
	for i := uint32(2); i <= 4; i++ {
		if _, ok := tb.Insert(testConn(i)); !ok {
			t.Fatalf("insert %d failed below capacity", i)
		}
	}
	if p, ok := tb.Insert(testConn(5)); ok || p != nil {
		t.Errorf("insert into full table: got %p, %v; want nil, false", p, ok)
	}
	if tb.Len() != 4 || tb.Cap() != 4 {
		t.Errorf("Len %d Cap %d", tb.Len(), tb.Cap())
	}
	tb.Delete(pa)
	if _, ok := tb.Insert(testConn(5)); !ok {
		t.Error("insert after delete failed")
	}
	checkIndex(t, tb)
}

func TestDeleteIgnoresForeignPointers(t *testing.T) {
	tb := NewInGoMemory(8)
	p, _ := tb.Insert(testConn(1))
	other := testConn(1)
	tb.Delete(&other) // not in the table's memory
	tb.Delete(nil)
	tb.Delete((*Conn)(unsafe.Add(unsafe.Pointer(p), 8))) // misaligned
	tb.Delete(p)
	tb.Delete(p) // already free
	if tb.Len() != 0 {
		t.Fatalf("Len = %d", tb.Len())
	}
	checkIndex(t, tb)
}

// TestCollisions forces every key of several conns onto the last slot of a
// small index, so they form one cluster that wraps around the end, then
// deletes them in random order checking the rest stay findable.
func TestCollisions(t *testing.T) {
	const capacity = 16
	tb := NewInGoMemory(capacity)
	last := tb.nslots - 1
	var conns []Conn
	r := rand.New(rand.NewPCG(1, 2))
	for len(conns) < capacity/2 {
		c := randConn(r)
		if tb.home(tagOf(Hash(c.InKey(), tb.seed))) == last && tb.home(tagOf(Hash(c.OutKey(), tb.seed))) == last {
			conns = append(conns, c)
		}
	}
	for _, c := range conns {
		if _, ok := tb.Insert(c); !ok {
			t.Fatal("insert failed")
		}
	}
	checkIndex(t, tb)
	for i := 0; i < len(conns); i++ { // the cluster wraps: slots 0.. are used
		if tb.slots[i].ref == 0 {
			t.Fatalf("slot %d empty; expected the cluster to wrap", i)
		}
	}
	r.Shuffle(len(conns), func(i, j int) { conns[i], conns[j] = conns[j], conns[i] })
	for i, c := range conns {
		p, ok := tb.LookupIn(c.InKey())
		if !ok {
			t.Fatal("lookup before delete failed")
		}
		tb.Delete(p)
		checkIndex(t, tb)
		for _, rest := range conns[i+1:] {
			pi, okIn := tb.LookupIn(rest.InKey())
			po, okOut := tb.LookupOut(rest.OutKey())
			if !okIn || !okOut || pi != po {
				t.Fatalf("after deleting %d conns, a remaining one is lost", i+1)
			}
		}
		if _, ok := tb.LookupOut(c.OutKey()); ok {
			t.Fatal("deleted conn still found")
		}
	}
}

// TestAgainstModel runs random inserts, deletes and lookups against a Go map
// model, with a key space small enough to produce duplicates and a full table.
func TestAgainstModel(t *testing.T) {
	const capacity = 512
	tb := NewInGoMemory(capacity)
	r := rand.New(rand.NewPCG(3, 4))
	small := func() Conn { // ~4k distinct in-keys and out-keys
		return Conn{
			ClientIP: r.Uint32N(16), VIP: 100, RSIP: 200 + r.Uint32N(4),
			ClientPort: uint16(r.Uint32N(64)), VPort: 80, RSPort: 8080 + uint16(r.Uint32N(2)), Proto: 6,
			SvcID: uint16(r.Uint32()),
		}
	}
	in := map[Key]Conn{}
	out := map[Key]Conn{}
	var fulls, dups int
	for op := 0; op < 100_000; op++ {
		c := small()
		switch r.IntN(3) {
		case 0: // insert
			_, dupIn := in[c.InKey()]
			_, dupOut := out[c.OutKey()]
			p, ok := tb.Insert(c)
			full := len(in) == capacity
			if ok != (!dupIn && !dupOut && !full) {
				t.Fatalf("op %d: insert ok=%v, model dupIn=%v dupOut=%v full=%v", op, ok, dupIn, dupOut, full)
			}
			if dupIn || dupOut {
				dups++
			} else if full {
				fulls++
			}
			if ok {
				in[c.InKey()], out[c.OutKey()] = c, c
			} else if (p != nil) != (dupIn || dupOut) {
				t.Fatalf("op %d: failed insert returned %p; dup=%v", op, p, dupIn || dupOut)
			}
		case 1: // delete via lookup in either direction
			var p *Conn
			var ok bool
			if r.IntN(2) == 0 {
				p, ok = tb.LookupIn(c.InKey())
			} else {
				p, ok = tb.LookupOut(c.OutKey())
			}
			if ok {
				m := *p
				tb.Delete(p)
				delete(in, m.InKey())
				delete(out, m.OutKey())
			}
		case 2: // lookup
			p, ok := tb.LookupIn(c.InKey())
			m, mok := in[c.InKey()]
			if ok != mok || (ok && *p != withUsed(m)) {
				t.Fatalf("op %d: LookupIn = %v, model %v", op, ok, mok)
			}
			p, ok = tb.LookupOut(c.OutKey())
			m, mok = out[c.OutKey()]
			if ok != mok || (ok && *p != withUsed(m)) {
				t.Fatalf("op %d: LookupOut = %v, model %v", op, ok, mok)
			}
		}
		if tb.Len() != len(in) {
			t.Fatalf("op %d: Len %d, model %d", op, tb.Len(), len(in))
		}
		if op%5000 == 0 {
			checkIndex(t, tb)
		}
	}
	checkIndex(t, tb)
	if fulls == 0 || dups == 0 {
		t.Fatalf("model run never hit a full table (%d) or a duplicate (%d)", fulls, dups)
	}
	for k, m := range in {
		if p, ok := tb.LookupIn(k); !ok || *p != withUsed(m) {
			t.Fatal("final model conn missing")
		}
	}
}

func TestHashSpread(t *testing.T) {
	// Sequential client ports/IPs must spread evenly over both the high bits
	// (index) and the low bits (lcore choice).
	const buckets, n = 64, 64 * 4096
	var hi, lo [buckets]int
	for i := uint32(0); i < n; i++ {
		h := Hash(Key{SrcIP: 0x0a000000 + i>>10, DstIP: 0x0a0000c8, SrcPort: uint16(i), DstPort: 80, Proto: 6}, 42)
		hi[h>>58]++
		lo[h%buckets]++
	}
	for b := 0; b < buckets; b++ {
		for _, cnt := range []int{hi[b], lo[b]} {
			if cnt < n/buckets*9/10 || cnt > n/buckets*11/10 {
				t.Fatalf("bucket %d holds %d of %d keys; want ~%d", b, cnt, n, n/buckets)
			}
		}
	}
	if Hash(Key{SrcIP: 1}, 1) == Hash(Key{SrcIP: 1}, 2) {
		t.Error("seed does not change the hash")
	}
}

func TestZeroAllocs(t *testing.T) {
	tb := NewInGoMemory(1024)
	for i := uint32(0); i < 512; i++ {
		tb.Insert(testConn(i))
	}
	c := testConn(9999)
	c7 := testConn(7)
	k, ko := c7.InKey(), c7.OutKey()
	var sink int
	onExp := func(c *Conn) { sink += int(c.SvcID) }
	for name, f := range map[string]func(){
		"LookupIn":  func() { tb.LookupIn(k) },
		"LookupOut": func() { tb.LookupOut(ko) },
		"InsertDelete": func() {
			p, _ := tb.Insert(c)
			tb.Delete(p)
		},
		"Expire": func() { tb.Expire(0, 64, onExp) },
	} {
		if a := testing.AllocsPerRun(1000, f); a != 0 {
			t.Errorf("%s: %v allocs per run", name, a)
		}
	}
	_ = sink
}

func TestLookupBatch(t *testing.T) {
	tb := NewInGoMemory(256)
	r := rand.New(rand.NewPCG(11, 12))
	var in, out []Key
	for i := 0; i < 100; i++ {
		c := randConn(r)
		if i%3 != 0 { // a third of the keys miss
			tb.Insert(c)
		}
		in, out = append(in, c.InKey()), append(out, c.OutKey())
	}
	got := make([]*Conn, len(in))
	for _, tc := range []struct {
		name   string
		keys   []Key
		batch  func([]Key, []*Conn) int
		single func(Key) (*Conn, bool)
	}{
		{"in", in, tb.LookupInBatch, tb.LookupIn},
		{"out", out, tb.LookupOutBatch, tb.LookupOut},
		{"out keys in the in direction", out, tb.LookupInBatch, tb.LookupIn},
	} {
		hits := tc.batch(tc.keys, got)
		want := 0
		for i, k := range tc.keys {
			p, ok := tc.single(k)
			if ok {
				want++
			}
			if got[i] != p {
				t.Fatalf("%s: key %d: batch %p, single %p", tc.name, i, got[i], p)
			}
		}
		if hits != want {
			t.Fatalf("%s: %d hits, want %d", tc.name, hits, want)
		}
	}
	if a := testing.AllocsPerRun(100, func() { tb.LookupInBatch(in, got) }); a != 0 {
		t.Errorf("LookupInBatch: %v allocs per run", a)
	}
}
