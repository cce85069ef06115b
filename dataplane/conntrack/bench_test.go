package conntrack

import (
	"math/rand/v2"
	"testing"
)

func fill(b *testing.B, n int) (*Table, []Key) {
	tb := NewInGoMemory(n)
	return tb, fillTable(tb, n)
}

// fillTable inserts n random conns and returns their in-keys, shuffled.
func fillTable(tb *Table, n int) []Key {
	r := rand.New(rand.NewPCG(5, 6))
	keys := make([]Key, 0, n)
	for len(keys) < n {
		c := randConn(r)
		if _, ok := tb.Insert(c); ok {
			keys = append(keys, c.InKey())
		}
	}
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	return keys
}

func benchLookupHit(b *testing.B, n int) {
	tb, keys := fill(b, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := tb.LookupIn(keys[i%n]); !ok {
			b.Fatal("miss")
		}
	}
}

// The table is filled to capacity (load factor 0.5) and probed in random
// order, so at 1M the index (32 MB) and conns (32 MB) miss the caches.
func BenchmarkLookupHit64k(b *testing.B) { benchLookupHit(b, 1<<16) }
func BenchmarkLookupHit1M(b *testing.B)  { benchLookupHit(b, 1<<20) }

func BenchmarkLookupMiss1M(b *testing.B) {
	tb, _ := fill(b, 1<<20)
	r := rand.New(rand.NewPCG(7, 8))
	keys := make([]Key, 1<<16)
	for i := range keys {
		c := randConn(r)
		keys[i] = c.InKey()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb.LookupIn(keys[i&(len(keys)-1)])
	}
}

// BenchmarkInsertDelete inserts and deletes one conn into a half-full 1M table.
func BenchmarkInsertDelete(b *testing.B) {
	const n = 1 << 20
	tb := NewInGoMemory(n)
	r := rand.New(rand.NewPCG(9, 10))
	for tb.Len() < n/2 {
		tb.Insert(randConn(r))
	}
	conns := make([]Conn, 1<<16)
	for i := range conns {
		conns[i] = randConn(r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, ok := tb.Insert(conns[i&(len(conns)-1)])
		if ok {
			tb.Delete(p)
		}
	}
}

func BenchmarkExpireScan(b *testing.B) {
	tb, _ := fill(b, 1<<20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb.Expire(1<<31, 256, nil) // Expire is 0 in fill's conns: none is due
	}
}

func benchLookupBatch(b *testing.B, n int) {
	tb, keys := fill(b, n)
	var conns [batchChunk]*Conn
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += batchChunk {
		j := i % n
		if tb.LookupInBatch(keys[j:j+batchChunk], conns[:]) != batchChunk {
			b.Fatal("miss")
		}
	}
}

// Per-lookup cost when lookups come in bursts of 32 (ns/op is per key).
func BenchmarkLookupBatchHit64k(b *testing.B) { benchLookupBatch(b, 1<<16) }
func BenchmarkLookupBatchHit1M(b *testing.B)  { benchLookupBatch(b, 1<<20) }
