package fastpath

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

const connTestSeed = 0x9e3779b97f4a7c15

// newTestConnTable is a table in C heap memory, freed with the test.
func newTestConnTable(t testing.TB, mem Memory, capacity int) *ConnTable {
	t.Helper()
	ct, err := NewConnTable(mem, capacity, connTestSeed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ct.Free)
	return ct
}

// seqConn builds a distinct TCP conn from n (distinct in- and out-keys).
func seqConn(n uint32) Conn {
	return Conn{
		ClientIP: 0x0a000000 | n>>8, VIP: 0x0a0000c8, RSIP: 0xc0a80000 | n&0xff,
		ClientPort: uint16(1024 + n&0xff), VPort: 80, RSPort: 8080,
		Proto: 6, State: StateSynRecv, SvcID: 1, RSID: uint16(n & 0xff),
	}
}

func randConn(r *rand.Rand) Conn {
	return Conn{
		ClientIP: r.Uint32(), VIP: r.Uint32(), RSIP: r.Uint32(),
		ClientPort: uint16(r.Uint32()), VPort: uint16(r.Uint32()), RSPort: uint16(r.Uint32()),
		Proto: 17,
	}
}

// checkConnIndex verifies the index's invariants: empty slots are zero,
// every occupied slot is reachable from its home without crossing an empty
// slot and refs a record in the table whose key has the slot's tag, and each
// record in the table is indexed exactly once per direction.
func checkConnIndex(t testing.TB, ct *ConnTable) {
	t.Helper()
	slots := ct.Slots()
	seen := map[uint32]int{}
	for i, s := range slots {
		if s.Ref == 0 {
			if s.Tag != 0 {
				t.Fatalf("empty slot %d has tag %#x", i, s.Tag)
			}
			continue
		}
		for j := ct.HomeOfTag(s.Tag); j != i; j = (j + 1) % len(slots) {
			if slots[j].Ref == 0 {
				t.Fatalf("slot %d unreachable from its home %d: empty slot %d", i, ct.HomeOfTag(s.Tag), j)
			}
		}
		idx := int(s.Ref>>1) - 1 // ref = (index + 1) << 1 | direction
		if idx >= ct.HighWater() {
			t.Fatalf("slot %d refs record %d beyond the high-water mark %d", i, idx, ct.HighWater())
		}
		c, used := ct.Record(idx)
		if !used {
			t.Fatalf("slot %d refs free record %d", i, idx)
		}
		k := c.InKey()
		if s.Ref&1 == 1 {
			k = c.OutKey()
		}
		if ct.TagOf(k) != s.Tag {
			t.Fatalf("slot %d: tag %#x, its record's key has %#x", i, s.Tag, ct.TagOf(k))
		}
		seen[s.Ref]++
	}
	live := 0
	for i := range ct.HighWater() {
		if _, used := ct.Record(i); !used {
			continue
		}
		live++
		in, out := uint32(i+1)<<1, uint32(i+1)<<1|1
		if seen[in] != 1 || seen[out] != 1 {
			t.Fatalf("record %d indexed in=%d out=%d times", i, seen[in], seen[out])
		}
	}
	if live != ct.Len() || len(seen) != 2*live {
		t.Fatalf("records in the table %d, Len %d, indexed refs %d", live, ct.Len(), len(seen))
	}
}

func TestConnLayout(t *testing.T) {
	if ConnRecordSize != 32 || ConnSlotSize != 8 {
		t.Fatalf("conn %d B, slot %d B; want 32 and 8", ConnRecordSize, ConnSlotSize)
	}
	for _, n := range []int{1, 3, 1000, 1 << 20} {
		fp := ConnFootprint(n)
		if fp%64 != 0 || fp < uintptr(n)*64 || fp > uintptr(n)*64+128 {
			t.Errorf("ConnFootprint(%d) = %d, want 64-aligned ~%d", n, fp, n*64)
		}
	}
	if fp := ConnFootprint(MaxConnCapacity); fp != 64*MaxConnCapacity {
		t.Errorf("ConnFootprint(max) = %d, want exactly 64 B per conn", fp)
	}
	if ConnFootprint(0) != 0 || ConnFootprint(-1) != 0 || ConnFootprint(MaxConnCapacity+1) != 0 {
		t.Error("the footprint of a capacity out of range should be 0")
	}
}

func TestConnTableInitErrors(t *testing.T) {
	fp := ConnFootprint(16)
	mem, err := Heap{}.Alloc("test", fp+128, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer Heap{}.Free(mem)
	for _, tc := range []struct {
		name string
		mem  unsafe.Pointer
		size uintptr
		cap  int
	}{
		{"zero capacity", mem, fp, 0},
		{"negative capacity", mem, fp, -1},
		{"capacity over the maximum", mem, fp, MaxConnCapacity + 1},
		{"nil memory", nil, fp, 16},
		{"memory not 64-byte aligned", unsafe.Add(mem, 8), fp, 16},
		{"memory smaller than the footprint", mem, fp - 64, 16},
	} {
		if _, err := NewConnTableAt(tc.mem, tc.size, tc.cap, 1); err == nil {
			t.Errorf("%s: fp_conn_init accepted it", tc.name)
		}
	}
	for _, c := range []int{0, MaxConnCapacity + 1} {
		if _, err := NewConnTable(Heap{}, c, 1); err == nil {
			t.Errorf("NewConnTable(%d) accepted it", c)
		}
	}
	ct, err := NewConnTableAt(mem, fp, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ct.Len() != 0 || ct.Cap() != 16 || ct.HighWater() != 0 {
		t.Errorf("new table: Len %d Cap %d high-water %d", ct.Len(), ct.Cap(), ct.HighWater())
	}
	checkConnIndex(t, ct)
}

func TestConnLookupBothKeys(t *testing.T) {
	ct := newTestConnTable(t, Heap{}, 64)
	conns := []Conn{seqConn(1), seqConn(2), seqConn(0x1234), {
		ClientIP: 1, VIP: 2, RSIP: 3, ClientPort: 4, VPort: 5, RSPort: 6, Proto: 17, State: StateUDP,
	}}
	for _, c := range conns {
		if ok, _ := ct.Insert(c); !ok {
			t.Fatalf("insert %+v failed", c)
		}
	}
	for _, c := range conns {
		in, out := c.InKey(), c.OutKey()
		asOut, asIn := in, out
		asOut.Out, asIn.Out = true, false
		otherProto, otherPort := in, out
		otherProto.Proto, otherPort.SrcPort = 99, out.SrcPort+1
		for _, tc := range []struct {
			name string
			key  ConnKey
			hit  bool
		}{
			{"in-key", in, true},
			{"out-key", out, true},
			{"out-key's fields in the in direction", asIn, false},
			{"in-key's fields in the out direction", asOut, false},
			{"other protocol", otherProto, false},
			{"other port", otherPort, false},
		} {
			got, ok := ct.Lookup(tc.key)
			if ok != tc.hit || (ok && got != c) {
				t.Errorf("%s of %+v: got %+v, %v", tc.name, c, got, ok)
			}
		}
		if ct.IndexOf(in) != ct.IndexOf(out) {
			t.Errorf("%+v: in-key finds record %d, out-key %d", c, ct.IndexOf(in), ct.IndexOf(out))
		}
	}
	checkConnIndex(t, ct)
}

func TestConnInsertDuplicateAndFull(t *testing.T) {
	ct := newTestConnTable(t, Heap{}, 4)
	a := seqConn(1)
	ia, _ := ct.InsertIndex(a)
	if ia < 0 {
		t.Fatal("first insert failed")
	}
	sameIn := a
	sameIn.RSIP++ // same client -> VIP key, another real server
	if idx, dup := ct.InsertIndex(sameIn); idx >= 0 || dup != ia {
		t.Errorf("duplicate in-key: inserted at %d, duplicate %d; want -1 and the existing %d", idx, dup, ia)
	}
	sameOut := a
	sameOut.VIP++ // same real server -> client key
	if idx, dup := ct.InsertIndex(sameOut); idx >= 0 || dup != ia {
		t.Errorf("duplicate out-key: inserted at %d, duplicate %d; want -1 and the existing %d", idx, dup, ia)
	}
	for i := uint32(2); i <= 4; i++ {
		if ok, _ := ct.Insert(seqConn(i)); !ok {
			t.Fatalf("insert %d failed below capacity", i)
		}
	}
	if idx, dup := ct.InsertIndex(seqConn(5)); idx >= 0 || dup >= 0 {
		t.Errorf("insert into a full table: at %d, duplicate %d; want -1, -1", idx, dup)
	}
	if ct.Len() != 4 || ct.Cap() != 4 {
		t.Errorf("Len %d Cap %d", ct.Len(), ct.Cap())
	}
	if !ct.Remove(a.InKey()) {
		t.Fatal("remove failed")
	}
	if idx, _ := ct.InsertIndex(seqConn(5)); idx != ia {
		t.Errorf("insert after remove went to record %d, want the freed %d", idx, ia)
	}
	checkConnIndex(t, ct)
}

// fp_conn_remove takes a record pointer; it must ignore any pointer that
// is not a record of this table in the table.
func TestConnRemoveIgnoresForeignPointers(t *testing.T) {
	ct := newTestConnTable(t, Heap{}, 8)
	a, b := seqConn(1), seqConn(2)
	ia, _ := ct.InsertIndex(a)
	if ok, _ := ct.Insert(b); ia < 0 || !ok {
		t.Fatal("insert failed")
	}
	foreign := make([]byte, ConnRecordSize) // a record-sized block elsewhere
	for _, tc := range []struct {
		name string
		p    unsafe.Pointer
	}{
		{"outside the table", unsafe.Pointer(&foreign[0])},
		{"nil", nil},
		{"misaligned", unsafe.Add(ct.RecordAddr(ia), 8)},
		{"below the first record", unsafe.Add(ct.RecordAddr(0), -ConnRecordSize)},
		{"beyond the high-water mark", ct.RecordAddr(ct.HighWater())},
	} {
		ct.RemoveRecord(tc.p)
		if ct.Len() != 2 {
			t.Fatalf("%s: Len = %d after removing it", tc.name, ct.Len())
		}
	}
	ct.RemoveRecord(ct.RecordAddr(ia))
	ct.RemoveRecord(ct.RecordAddr(ia)) // already free
	if ct.Len() != 1 || ct.Remove(a.InKey()) {
		t.Fatalf("Len = %d after removing the same record twice", ct.Len())
	}
	if !ct.Remove(b.OutKey()) || ct.Len() != 0 {
		t.Fatalf("remove by out-key: Len = %d", ct.Len())
	}
	checkConnIndex(t, ct)
}

// TestConnCollisionsWrap puts both keys of several conns on the last slot
// of a small index, so they form one cluster that wraps around the end,
// then removes them in random order checking the rest stay findable.
func TestConnCollisionsWrap(t *testing.T) {
	const capacity = 16
	ct := newTestConnTable(t, Heap{}, capacity)
	last := len(ct.Slots()) - 1
	var conns []Conn
	r := rand.New(rand.NewPCG(1, 2))
	for len(conns) < capacity/2 {
		c := randConn(r)
		if ct.HomeOf(c.InKey()) == last && ct.HomeOf(c.OutKey()) == last {
			conns = append(conns, c)
		}
	}
	for _, c := range conns {
		if ok, _ := ct.Insert(c); !ok {
			t.Fatal("insert failed")
		}
	}
	checkConnIndex(t, ct)
	slots := ct.Slots()
	for i := range 2*len(conns) - 1 { // the cluster wraps: slots 0.. are used
		if slots[i].Ref == 0 {
			t.Fatalf("slot %d empty; the cluster of %d keys from slot %d should wrap over it", i, 2*len(conns), last)
		}
	}
	r.Shuffle(len(conns), func(i, j int) { conns[i], conns[j] = conns[j], conns[i] })
	for i, c := range conns {
		if !ct.Remove(c.InKey()) {
			t.Fatal("lookup before remove failed")
		}
		checkConnIndex(t, ct)
		for _, rest := range conns[i+1:] {
			in, out := ct.IndexOf(rest.InKey()), ct.IndexOf(rest.OutKey())
			if in < 0 || in != out {
				t.Fatalf("after removing %d conns, a remaining one is lost (in %d, out %d)", i+1, in, out)
			}
		}
		if _, ok := ct.Lookup(c.OutKey()); ok {
			t.Fatal("removed conn still found by its out-key")
		}
	}
}

// TestConnTableAgainstModel runs random inserts, removes, lookups and
// expiry steps against a Go map, with a key space small enough to produce
// duplicates and a full table, and a clock that wraps during the run.
func TestConnTableAgainstModel(t *testing.T) {
	const capacity = 512
	ct := newTestConnTable(t, Heap{}, capacity)
	r := rand.New(rand.NewPCG(3, 4))
	now := uint32(0xffff_0000)
	small := func() Conn { // 1024 distinct in-keys, 8192 out-keys
		return Conn{
			ClientIP: r.Uint32N(16), VIP: 100, RSIP: 200 + r.Uint32N(4),
			ClientPort: uint16(r.Uint32N(64)), VPort: 80, RSPort: 8080 + uint16(r.Uint32N(2)), Proto: 6,
			SvcID: uint16(r.Uint32()), Expire: now + r.Uint32N(40_000),
		}
	}
	in, out := map[ConnKey]Conn{}, map[ConnKey]Conn{}
	forget := func(m Conn) { delete(in, m.InKey()); delete(out, m.OutKey()) }
	var fulls, dups, expired int
	wrapped := false
	for op := range 100_000 {
		c := small()
		switch k := r.IntN(32); {
		case k < 12: // insert
			_, dupIn := in[c.InKey()]
			_, dupOut := out[c.OutKey()]
			full := len(in) == capacity
			idx, dupIdx := ct.InsertIndex(c)
			if (idx >= 0) != (!dupIn && !dupOut && !full) || (dupIdx >= 0) != (dupIn || dupOut) {
				t.Fatalf("op %d: insert at %d duplicate %d, model dupIn=%v dupOut=%v full=%v", op, idx, dupIdx, dupIn, dupOut, full)
			}
			switch {
			case idx >= 0:
				in[c.InKey()], out[c.OutKey()] = c, c
			case dupIdx >= 0:
				dups++
			default:
				fulls++
			}
		case k < 20: // remove, found in either direction
			key := c.InKey()
			if r.IntN(2) == 0 {
				key = c.OutKey()
			}
			m, ok := ct.Lookup(key)
			if ok != ct.Remove(key) {
				t.Fatalf("op %d: Lookup and Remove disagree", op)
			}
			if ok {
				forget(m)
			}
		case k < 31: // lookup both ways
			for _, key := range []ConnKey{c.InKey(), c.OutKey()} {
				model := in
				if key.Out {
					model = out
				}
				got, ok := ct.Lookup(key)
				m, mok := model[key]
				if ok != mok || got != m {
					t.Fatalf("op %d: Lookup(%+v) = %+v, %v; model %+v, %v", op, key, got, ok, m, mok)
				}
			}
		default: // expiry step: it may only take due conns, and says how many
			step := r.Uint32N(200)
			wrapped = wrapped || now+step < now
			now += step
			n := ct.Expire(now, 1+r.IntN(2*capacity))
			gone := 0
			for key, m := range in {
				if _, ok := ct.Lookup(key); ok {
					continue
				}
				if int32(now-m.Expire) < 0 {
					t.Fatalf("op %d: expired a conn %d ms before its deadline", op, m.Expire-now)
				}
				forget(m)
				gone++
			}
			if gone != n {
				t.Fatalf("op %d: Expire reported %d, %d conns are gone", op, n, gone)
			}
			expired += n
		}
		if ct.Len() != len(in) || len(in) != len(out) {
			t.Fatalf("op %d: Len %d, model %d in, %d out", op, ct.Len(), len(in), len(out))
		}
		if op%5000 == 0 {
			checkConnIndex(t, ct)
		}
	}
	checkConnIndex(t, ct)
	if fulls == 0 || dups == 0 || expired == 0 || !wrapped {
		t.Fatalf("the run never hit a full table (%d), a duplicate (%d), an expiry (%d) or the clock's wrap (now %#x)", fulls, dups, expired, now)
	}
	t.Logf("%d full, %d duplicate inserts, %d conns expired, clock at %#x", fulls, dups, expired, now)
	for key, m := range in {
		if got, ok := ct.Lookup(key); !ok || got != m {
			t.Fatalf("final model conn %+v: table has %+v, %v", m, got, ok)
		}
	}
}

// TestConnTagSpread: sequential clients spread evenly over the tag's high
// bits (which pick the home slot) and its low bits (which filter slots),
// and the per-table seed changes the tags.
func TestConnTagSpread(t *testing.T) {
	const buckets, n = 64, 64 * 4096
	ct := newTestConnTable(t, Heap{}, 16)
	var hi, lo [buckets]int
	for i := uint32(0); i < n; i++ {
		tag := ct.TagOf(ConnKey{SrcIP: 0x0a000000 + i>>10, DstIP: 0x0a0000c8, SrcPort: uint16(i), DstPort: 80, Proto: 6})
		hi[tag>>26]++
		lo[tag%buckets]++
	}
	for b := range buckets {
		for _, cnt := range []int{hi[b], lo[b]} {
			if cnt < n/buckets*9/10 || cnt > n/buckets*11/10 {
				t.Fatalf("bucket %d holds %d of %d keys; want ~%d", b, cnt, n, n/buckets)
			}
		}
	}
	other, err := NewConnTable(Heap{}, 16, connTestSeed+1)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Free()
	if k := (ConnKey{SrcIP: 1}); ct.TagOf(k) == other.TagOf(k) {
		t.Error("the seed does not change the tag")
	}
}

func TestConnLookupBulk(t *testing.T) {
	ct := newTestConnTable(t, Heap{}, 512)
	r := rand.New(rand.NewPCG(11, 12))
	var keys []ConnKey
	for i := range 300 {
		c := randConn(r)
		if i%3 != 0 { // a third of the conns are not in the table
			ct.Insert(c)
		}
		in, out := c.InKey(), c.OutKey()
		flippedIn, flippedOut := in, out // the right fields, the wrong direction
		flippedIn.Out, flippedOut.Out = true, false
		keys = append(keys, in, out, flippedIn, flippedOut)
	}
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	got := make([]int, MaxBurst)
	found := make([]bool, MaxBurst)
	for _, burst := range []int{1, 7, 32, MaxBurst} {
		for start := 0; start < len(keys); start += burst {
			chunk := keys[start:min(start+burst, len(keys))]
			hits := ct.LookupBulkIndex(chunk, got)
			if ct.LookupBulk(chunk, found) != hits {
				t.Fatal("LookupBulk and LookupBulkIndex count different hits")
			}
			want := 0
			for i, k := range chunk {
				single := ct.IndexOf(k)
				if single >= 0 {
					want++
				}
				if got[i] != single || found[i] != (single >= 0) {
					t.Fatalf("burst of %d, key %d (%+v): bulk %d (found %v), single lookup %d", burst, i, k, got[i], found[i], single)
				}
			}
			if hits != want {
				t.Fatalf("burst of %d: %d hits, want %d", burst, hits, want)
			}
		}
	}
}

// TestConnLookupTagCollision: two keys with the same tag (so the same home)
// are told apart by the record's key, in single and bulk lookups, whichever
// of the two slots the probe meets first.
func TestConnLookupTagCollision(t *testing.T) {
	ct := newTestConnTable(t, Heap{}, 16)
	r := rand.New(rand.NewPCG(13, 14))
	byTag := map[uint32]Conn{}
	var a, b Conn
	for { // a birthday search: ~80k conns for 32-bit tags
		c := randConn(r)
		tag := ct.TagOf(c.InKey())
		if prev, ok := byTag[tag]; ok && prev.InKey() != c.InKey() {
			a, b = prev, c
			break
		}
		byTag[tag] = c
	}
	for _, c := range []Conn{a, b} {
		if ok, _ := ct.Insert(c); !ok {
			t.Fatal("insert failed")
		}
	}
	keys := []ConnKey{b.InKey(), a.InKey(), b.OutKey(), a.OutKey()}
	idx := make([]int, len(keys))
	if hits := ct.LookupBulkIndex(keys, idx); hits != len(keys) {
		t.Fatalf("bulk lookup found %d of %d keys", hits, len(keys))
	}
	for i, k := range keys {
		c, _ := ct.Record(idx[i])
		if idx[i] != ct.IndexOf(k) || !c.matches(k) {
			t.Errorf("key %d: bulk found record %d (%+v), single lookup %d", i, idx[i], c, ct.IndexOf(k))
		}
	}
	if ct.Remove(a.InKey()); ct.IndexOf(b.InKey()) < 0 {
		t.Error("removing one of the colliding conns lost the other")
	}
	checkConnIndex(t, ct)
}

func TestConnExpireIncremental(t *testing.T) {
	const n = 1000
	ct := newTestConnTable(t, Heap{}, n)
	for i := range uint32(n) {
		c := seqConn(i)
		c.Expire = 1000 // half are due at 1000, half live long
		if i%2 == 1 {
			c.Expire = 1_000_000
		}
		ct.Insert(c)
	}
	if got := ct.Expire(999, n); got != 0 {
		t.Fatalf("expired %d before the deadline", got)
	}
	total, seen := 0, 0
	for call := range n / 100 { // one sweep in steps of 100
		rep := ct.ExpireWithCallback(1000, 100, false)
		if rep.Expired > 100 || len(rep.Seen) != rep.Expired || rep.NotInTable != 0 {
			t.Fatalf("call %d with budget 100: expired %d, %d callbacks, %d on freed conns", call, rep.Expired, len(rep.Seen), rep.NotInTable)
		}
		for _, c := range rep.Seen {
			if c.Expire != 1000 {
				t.Fatalf("callback got a conn not due: %+v", c)
			}
		}
		total += rep.Expired
		seen += len(rep.Seen)
	}
	if total != n/2 || seen != n/2 || ct.Len() != n/2 {
		t.Fatalf("after one sweep: expired %d, callbacks %d, Len %d; want %d each", total, seen, ct.Len(), n/2)
	}
	checkConnIndex(t, ct)
	// A budget above the table size still examines each conn at most once.
	if got := ct.Expire(1_000_000, 10*n); got != n/2 || ct.Len() != 0 {
		t.Fatalf("big budget expired %d, Len %d", got, ct.Len())
	}
	if got := ct.Expire(1_000_000, 10); got != 0 {
		t.Fatal("expired from an empty table")
	}
	checkConnIndex(t, ct)
}

func TestConnExpireClockWrap(t *testing.T) {
	ct := newTestConnTable(t, Heap{}, 8)
	now := uint32(0xffff_ff00)
	c := seqConn(1)
	c.Expire = now + 1000 // wraps past zero to 0x2e8
	ct.Insert(c)
	if c.Expire > now {
		t.Fatal("test setup: the deadline should have wrapped")
	}
	for _, tc := range []struct {
		now  uint32
		want int
	}{
		{now, 0},
		{now + 999, 0},  // still before the deadline
		{now + 1000, 1}, // after the wrap
	} {
		if got := ct.Expire(tc.now, 8); got != tc.want {
			t.Fatalf("Expire(%#x) = %d, want %d", tc.now, got, tc.want)
		}
	}
}

func TestConnExpireCallbackMayRemove(t *testing.T) {
	ct := newTestConnTable(t, Heap{}, 8)
	ct.Insert(seqConn(1))
	ct.Insert(seqConn(2))
	rep := ct.ExpireWithCallback(0, 8, true)
	if rep.Expired != 2 || len(rep.Seen) != 2 || rep.NotInTable != 0 || ct.Len() != 0 {
		t.Fatalf("expired %d, %d callbacks (%d on freed conns), Len %d", rep.Expired, len(rep.Seen), rep.NotInTable, ct.Len())
	}
	checkConnIndex(t, ct)
}

// thpMemory maps anonymous memory advised to use transparent huge pages:
// the closest stand-in for DPDK's hugepages without EAL.
type thpMemory struct{ maps map[unsafe.Pointer][]byte }

func (m *thpMemory) Alloc(_ string, size uintptr, _ int) (unsafe.Pointer, error) {
	const huge = 2 << 20
	b, err := syscall.Mmap(-1, 0, int(size)+huge, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, err
	}
	base := uintptr(unsafe.Pointer(&b[0]))
	off := (base+huge-1)&^(huge-1) - base
	_ = syscall.Madvise(b[off:], syscall.MADV_HUGEPAGE) // best effort
	p := unsafe.Pointer(&b[off])
	if m.maps == nil {
		m.maps = map[unsafe.Pointer][]byte{}
	}
	m.maps[p] = b
	return p, nil
}

func (m *thpMemory) Free(p unsafe.Pointer) {
	_ = syscall.Munmap(m.maps[p])
	delete(m.maps, p)
}

func TestConnTableInHugePages(t *testing.T) {
	ct := newTestConnTable(t, &thpMemory{}, 4096)
	for i := range uint32(4096) {
		if ok, _ := ct.Insert(seqConn(i)); !ok {
			t.Fatal("insert failed")
		}
	}
	checkConnIndex(t, ct)
	for i := uint32(0); i < 4096; i += 2 {
		if !ct.Remove(seqConn(i).OutKey()) {
			t.Fatal("remove by out-key failed")
		}
	}
	checkConnIndex(t, ct)
}
