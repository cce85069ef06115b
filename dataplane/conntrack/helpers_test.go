package conntrack

import (
	"math/rand/v2"
	"testing"
)

// testConn builds a distinct TCP conn from n.
func testConn(n uint32) Conn {
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

// checkIndex verifies the table's invariants: every occupied slot is
// reachable from its home without crossing an empty slot, refs point at
// used conns whose key hashes to the slot's tag, and each used conn is
// indexed exactly once per direction.
func checkIndex(t testing.TB, tb *Table) {
	t.Helper()
	seen := make(map[uint32]int)
	for i, s := range tb.slots {
		if s.ref == 0 {
			if s.tag != 0 {
				t.Fatalf("empty slot %d has tag %#x", i, s.tag)
			}
			continue
		}
		for j := tb.home(s.tag); j != uint64(i); j = tb.next(j) {
			if tb.slots[j].ref == 0 {
				t.Fatalf("slot %d unreachable: gap at %d", i, j)
			}
		}
		idx, dir := s.ref>>1-1, s.ref&1
		if idx >= tb.hw {
			t.Fatalf("slot %d refs conn %d beyond high-water %d", i, idx, tb.hw)
		}
		c := &tb.conns[idx]
		if c.used == 0 {
			t.Fatalf("slot %d refs free conn %d", i, idx)
		}
		k := c.InKey()
		if dir == dirOut {
			k = c.OutKey()
		}
		if tagOf(Hash(k, tb.seed)) != s.tag {
			t.Fatalf("slot %d tag does not match its conn's key", i)
		}
		seen[s.ref]++
	}
	live := 0
	for i := uint32(0); i < tb.hw; i++ {
		if tb.conns[i].used == 0 {
			continue
		}
		live++
		if seen[makeRef(i, dirIn)] != 1 || seen[makeRef(i, dirOut)] != 1 {
			t.Fatalf("conn %d indexed in=%d out=%d times", i, seen[makeRef(i, dirIn)], seen[makeRef(i, dirOut)])
		}
	}
	if live != tb.Len() || len(seen) != 2*live {
		t.Fatalf("live conns %d, Len %d, indexed refs %d", live, tb.Len(), len(seen))
	}
}
