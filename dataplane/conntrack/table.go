package conntrack

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"unsafe"
)

// MaxCapacity bounds the number of conns per table. The index tag is 32 bits
// and also picks the home slot, so beyond ~2^26 conns (2^28 slots) it would
// leave too few bits to filter out foreign slots before touching their conns.
const MaxCapacity = 1 << 26

const (
	slotsPerConn = 4  // two keys per conn at a load factor <= 0.5
	memAlign     = 64 // cache line
)

// Table is a per-lcore connection table. See the package documentation.
type Table struct {
	conns  []Conn // views of the caller's memory
	slots  []slot
	nslots uint64
	seed   uint64
	count  int
	hw     uint32 // conns[:hw] have been handed out at least once
	free   uint32 // head of the free list as index+1; 0 when empty
	cursor uint32 // where the next Expire call starts
	warm   uint32 // sink for the loads of lookupBatch's first pass
}

func alignUp(n uintptr) uintptr { return (n + memAlign - 1) &^ (memAlign - 1) }

func connBytes(capacity int) uintptr { return alignUp(uintptr(capacity) * ConnSize) }

// Footprint returns the bytes New needs for capacity conns (conns + index;
// the free list lives inside free conns), a multiple of 64. It is 0 for a
// capacity New would refuse.
func Footprint(capacity int) uintptr {
	if capacity < 1 || capacity > MaxCapacity {
		return 0
	}
	return connBytes(capacity) + alignUp(uintptr(capacity)*slotsPerConn*slotSize)
}

// New builds a table for capacity conns in mem, which must be 64-byte
// aligned, at least Footprint(capacity) bytes long and stay valid (and not
// be moved) for the table's lifetime. New clears the index itself; conns
// are written on Insert, so mem need not be zeroed. seed should be random.
func New(mem unsafe.Pointer, size uintptr, capacity int, seed uint64) (*Table, error) {
	switch {
	case capacity < 1 || capacity > MaxCapacity:
		return nil, fmt.Errorf("conntrack: capacity %d out of range [1, %d]", capacity, MaxCapacity)
	case mem == nil:
		return nil, errors.New("conntrack: nil memory")
	case uintptr(mem)%memAlign != 0:
		return nil, fmt.Errorf("conntrack: memory at %p is not %d-byte aligned", mem, memAlign)
	case size < Footprint(capacity):
		return nil, fmt.Errorf("conntrack: %d bytes of memory, capacity %d needs %d", size, capacity, Footprint(capacity))
	}
	n := capacity * slotsPerConn
	t := &Table{
		conns:  unsafe.Slice((*Conn)(mem), capacity),
		slots:  unsafe.Slice((*slot)(unsafe.Add(mem, connBytes(capacity))), n),
		nslots: uint64(n),
		seed:   seed,
	}
	clear(t.slots)
	return t, nil
}

// NewInGoMemory builds a table in a fresh []byte with a random seed. The
// slice has no pointers, so the GC allocates it as noscan and never walks it.
// It panics if capacity is out of range (a programming error in tests).
func NewInGoMemory(capacity int) *Table {
	need := Footprint(capacity)
	if need == 0 {
		panic(fmt.Sprintf("conntrack: capacity %d out of range [1, %d]", capacity, MaxCapacity))
	}
	buf := make([]byte, need+memAlign)
	p := unsafe.Pointer(&buf[0])
	p = unsafe.Add(p, alignUp(uintptr(p))-uintptr(p))
	t, err := New(p, need, capacity, rand.Uint64())
	if err != nil {
		panic(err)
	}
	return t
}

// Len returns the number of conns in the table.
func (t *Table) Len() int { return t.count }

// Cap returns the maximum number of conns.
func (t *Table) Cap() int { return len(t.conns) }

// LookupIn finds a conn by its client->VIP key.
func (t *Table) LookupIn(k Key) (*Conn, bool) {
	_, c := t.probe(k, tagOf(Hash(k, t.seed)), dirIn)
	return c, c != nil
}

// LookupOut finds a conn by its real server->client key.
func (t *Table) LookupOut(k Key) (*Conn, bool) {
	_, c := t.probe(k, tagOf(Hash(k, t.seed)), dirOut)
	return c, c != nil
}

// Insert copies c into the table and indexes both of its keys. It fails
// with (existing, false) when a conn already has c's in-key or out-key, and
// with (nil, false) when the table is full.
func (t *Table) Insert(c Conn) (*Conn, bool) {
	in, out := c.InKey(), c.OutKey()
	tagIn, tagOut := tagOf(Hash(in, t.seed)), tagOf(Hash(out, t.seed))
	posIn, dup := t.probe(in, tagIn, dirIn)
	if dup != nil {
		return dup, false
	}
	posOut, dup := t.probe(out, tagOut, dirOut)
	if dup != nil {
		return dup, false
	}
	if t.count >= len(t.conns) {
		return nil, false
	}
	idx := t.alloc()
	p := &t.conns[idx]
	*p = c
	p.used = 1
	t.slots[posIn] = slot{tag: tagIn, ref: makeRef(idx, dirIn)}
	if posOut == posIn { // both probes ended on the same empty slot
		posOut = t.nextEmpty(posOut)
	}
	t.slots[posOut] = slot{tag: tagOut, ref: makeRef(idx, dirOut)}
	t.count++
	return p, true
}

// Delete removes c, which must have been returned by this table. Pointers
// that are not live conns of this table are ignored.
func (t *Table) Delete(c *Conn) {
	idx, ok := t.indexOf(c)
	if !ok {
		return
	}
	t.remove(c, idx)
}

// indexOf maps a Conn pointer back to its index, rejecting foreign pointers.
func (t *Table) indexOf(c *Conn) (uint32, bool) {
	if c == nil || t.hw == 0 {
		return 0, false
	}
	off := uintptr(unsafe.Pointer(c)) - uintptr(unsafe.Pointer(&t.conns[0]))
	if off%ConnSize != 0 || off/ConnSize >= uintptr(t.hw) {
		return 0, false
	}
	idx := uint32(off / ConnSize)
	return idx, t.conns[idx].used != 0
}

func (t *Table) remove(c *Conn, idx uint32) {
	t.unindex(c.InKey(), makeRef(idx, dirIn))
	t.unindex(c.OutKey(), makeRef(idx, dirOut))
	c.used = 0
	c.Expire = t.free
	t.free = idx + 1
	t.count--
}

// alloc takes a conn index from the free list, else from the high-water
// mark. The caller has checked that the table is not full.
func (t *Table) alloc() uint32 {
	if t.free != 0 {
		idx := t.free - 1
		t.free = t.conns[idx].Expire
		return idx
	}
	idx := t.hw
	t.hw++
	return idx
}
