package conntrack

import "unsafe"

// slot is one entry of the open-addressing index.
type slot struct {
	tag uint32 // high 32 bits of the key's hash; determines the home slot
	ref uint32 // (conn index+1)<<1 | direction; 0 = empty
}

const slotSize = unsafe.Sizeof(slot{})

// Directions stored in a slot's ref.
const (
	dirIn  = 0 // client -> VIP
	dirOut = 1 // real server -> client
)

func tagOf(h uint64) uint32 { return uint32(h >> 32) }

func makeRef(idx uint32, dir uint32) uint32 { return (idx+1)<<1 | dir }

// home maps a tag onto [0, nslots) by multiply-shift, which needs no
// power-of-two size and depends on the tag alone (see doc.go).
func (t *Table) home(tag uint32) uint64 { return (uint64(tag) * t.nslots) >> 32 }

func (t *Table) next(i uint64) uint64 {
	i++
	if i == t.nslots {
		i = 0
	}
	return i
}

// probe looks k up. It returns the matching conn, or nil and the position of
// the empty slot that ends k's probe sequence (where k would be inserted).
// The load factor is <= 0.5, so an empty slot always exists.
func (t *Table) probe(k Key, tag uint32, dir uint32) (uint64, *Conn) {
	for i := t.home(tag); ; i = t.next(i) {
		s := t.slots[i]
		if s.ref == 0 {
			return i, nil
		}
		if s.tag == tag && s.ref&1 == dir {
			c := &t.conns[s.ref>>1-1]
			if c.matches(k, dir) {
				return i, c
			}
		}
	}
}

// nextEmpty returns the first empty slot after i.
func (t *Table) nextEmpty(i uint64) uint64 {
	for i = t.next(i); t.slots[i].ref != 0; i = t.next(i) {
	}
	return i
}

// unindex removes the slot with the given ref from k's probe sequence and
// closes the gap by backward shifting: each following slot of the cluster
// moves into the hole if the hole lies between its home and its position.
func (t *Table) unindex(k Key, ref uint32) {
	tag := tagOf(Hash(k, t.seed))
	i := t.home(tag)
	for t.slots[i].ref != ref {
		if t.slots[i].ref == 0 {
			return // not indexed: the caller changed key fields; nothing safe to do
		}
		i = t.next(i)
	}
	hole := i
	for j := t.next(hole); ; j = t.next(j) {
		s := t.slots[j]
		if s.ref == 0 {
			break
		}
		if t.dist(t.home(s.tag), j) >= t.dist(hole, j) {
			t.slots[hole] = s
			hole = j
		}
	}
	t.slots[hole] = slot{}
}

// dist is the forward distance from a to b around the ring.
func (t *Table) dist(a, b uint64) uint64 {
	if b >= a {
		return b - a
	}
	return b + t.nslots - a
}
