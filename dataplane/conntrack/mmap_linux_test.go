package conntrack

import (
	"syscall"
	"testing"
	"unsafe"
)

// newInMmap builds a table outside the Go heap, in anonymous memory advised
// to use transparent huge pages: the closest stand-in for DPDK hugepage
// memory without DPDK, and the layout production uses.
func newInMmap(tb testing.TB, capacity int) *Table {
	const huge = 2 << 20
	size := Footprint(capacity)
	mem, err := syscall.Mmap(-1, 0, int(size)+huge, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { syscall.Munmap(mem) })
	base := uintptr(unsafe.Pointer(&mem[0]))
	off := (base+huge-1)&^(huge-1) - base
	_ = syscall.Madvise(mem[off:], syscall.MADV_HUGEPAGE) // best effort
	t, err := New(unsafe.Pointer(&mem[off]), size, capacity, 0x9e3779b97f4a7c15)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestOutsideGoHeap(t *testing.T) {
	tb := newInMmap(t, 4096)
	for i := uint32(0); i < 4096; i++ {
		if _, ok := tb.Insert(testConn(i)); !ok {
			t.Fatal("insert failed")
		}
	}
	checkIndex(t, tb)
	for i := uint32(0); i < 4096; i += 2 {
		c := testConn(i)
		p, ok := tb.LookupOut(c.OutKey())
		if !ok {
			t.Fatal("lookup failed")
		}
		tb.Delete(p)
	}
	checkIndex(t, tb)
}

func BenchmarkLookupHit1MHugePages(b *testing.B) {
	const n = 1 << 20
	tb := newInMmap(b, n)
	keys := fillTable(tb, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := tb.LookupIn(keys[i%n]); !ok {
			b.Fatal("miss")
		}
	}
}
