package fastpath

import (
	"math/rand/v2"
	"testing"
)

// Benchmarks of the C table through its Go wrapper: single lookups pay one
// cgo call each (tens of ns), bulk lookups one per burst of 32. The
// wrapper-free cost per lookup is bench/conntable's (`go run ./bench -only
// conntable`), which also compares the table with rte_hash.

const benchBurst = 32 // the lcore's burst

// filledTables keeps the full read-only tables between runs of b.N.
var filledTables = map[int]*filledTable{}

type filledTable struct {
	ct   *ConnTable
	keys []ConnKey // both keys of every conn, shuffled, as lcores see them
}

// filled is a full table of n random conns in C heap memory, built once.
func filled(b *testing.B, n int) *filledTable {
	if f, ok := filledTables[n]; ok {
		return f
	}
	f := fillTable(b, Heap{}, n)
	filledTables[n] = f
	return f
}

// fillTable builds a table at capacity n (index load 1/2) of random conns.
func fillTable(b *testing.B, mem Memory, n int) *filledTable {
	ct, err := NewConnTable(mem, n, connTestSeed)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	f := &filledTable{ct: ct, keys: make([]ConnKey, 0, 2*n)}
	for ct.Len() < n {
		c := randConn(r)
		if ok, _ := ct.Insert(c); ok {
			f.keys = append(f.keys, c.InKey(), c.OutKey())
		}
	}
	r.Shuffle(len(f.keys), func(i, j int) { f.keys[i], f.keys[j] = f.keys[j], f.keys[i] })
	return f
}

func benchLookupHit(b *testing.B, f *filledTable) {
	b.ResetTimer()
	for i := range b.N {
		if _, ok := f.ct.Lookup(f.keys[i%len(f.keys)]); !ok {
			b.Fatal("miss")
		}
	}
}

// At 1M both the index (32 MB) and the records (32 MB) miss the caches.
func BenchmarkConnLookupHit64k(b *testing.B) { benchLookupHit(b, filled(b, 1<<16)) }
func BenchmarkConnLookupHit1M(b *testing.B)  { benchLookupHit(b, filled(b, 1<<20)) }

// The same in memory on transparent huge pages (fewer TLB misses).
func BenchmarkConnLookupHit1MHugePages(b *testing.B) {
	f := fillTable(b, &thpMemory{}, 1<<20)
	b.Cleanup(f.ct.Free)
	benchLookupHit(b, f)
}

func benchLookupBulk(b *testing.B, n int) {
	f := filled(b, n)
	var idx [benchBurst]int
	b.ResetTimer()
	for i := 0; i < b.N; i += benchBurst {
		j := i % (len(f.keys) - benchBurst)
		if f.ct.LookupBulkIndex(f.keys[j:j+benchBurst], idx[:]) != benchBurst {
			b.Fatal("miss")
		}
	}
}

// Per-key cost (ns/op) of lookups in bursts of 32.
func BenchmarkConnLookupBulkHit64k(b *testing.B) { benchLookupBulk(b, 1<<16) }
func BenchmarkConnLookupBulkHit1M(b *testing.B)  { benchLookupBulk(b, 1<<20) }

func BenchmarkConnLookupMiss1M(b *testing.B) {
	f := filled(b, 1<<20)
	r := rand.New(rand.NewPCG(7, 8))
	keys := make([]ConnKey, 1<<16)
	for i := range keys {
		keys[i] = randConn(r).InKey()
	}
	b.ResetTimer()
	for i := range b.N {
		if _, ok := f.ct.Lookup(keys[i&(len(keys)-1)]); ok {
			b.Fatal("hit")
		}
	}
}

// BenchmarkConnInsertRemove inserts and removes one conn in a half-full 1M
// table (remove by record, as the lcore does).
func BenchmarkConnInsertRemove(b *testing.B) {
	const n = 1 << 20
	ct := newTestConnTable(b, Heap{}, n)
	r := rand.New(rand.NewPCG(9, 10))
	for ct.Len() < n/2 {
		ct.Insert(randConn(r))
	}
	conns := make([]Conn, 1<<16)
	for i := range conns {
		conns[i] = randConn(r)
	}
	b.ResetTimer()
	for i := range b.N {
		if idx, _ := ct.InsertIndex(conns[i&(len(conns)-1)]); idx >= 0 {
			ct.RemoveRecord(ct.RecordAddr(idx))
		}
	}
}

// BenchmarkConnExpireScan is one busy-loop expiry step over a full 1M table
// where nothing is due (the conns' deadline 0 is 2^31 ms away).
func BenchmarkConnExpireScan(b *testing.B) {
	f := filled(b, 1<<20)
	b.ResetTimer()
	for range b.N {
		if f.ct.Expire(1<<31, 256) != 0 {
			b.Fatal("expired")
		}
	}
}
