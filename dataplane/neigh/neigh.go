// Package neigh is the director's neighbour (ARP) table, shared by all worker
// lcores. It is a fixed-size open-addressing array of atomics: lookups and
// updates never lock and never allocate, and entries are never deleted (a
// neighbour that goes away keeps its last MAC until a newer ARP replaces it), which
// keeps the lock-free insertion simple. The table is sized for the next hops
// of one director (real servers, gateways, clients on connected subnets).
package neigh

import (
	"sync/atomic"
)

// validBit marks a resolved MAC in the packed word (MAC in the low 48 bits);
// staticBit a configured one that ARP never replaces or asks for.
const (
	validBit  = uint64(1) << 63
	staticBit = uint64(1) << 62
)

type entry struct {
	ip        atomic.Uint32 // 0 = free slot; 0.0.0.0 is never a neighbour
	port      atomic.Uint32
	mac       atomic.Uint64 // validBit | MAC
	confirmed atomic.Uint32 // ms clock of the last ARP that confirmed the MAC
	requested atomic.Uint32 // ms clock of the last ARP request we sent for it
	_         [40]byte      // one entry per cache line: writers on different lcores do not share lines
}

// Table is the neighbour table. The zero value is not usable; call New.
type Table struct {
	slots   []entry
	mask    uint32
	_       [48]byte      // keep version on its own cache line: read per packet, written rarely
	version atomic.Uint32 // bumped whenever a MAC changes, so lcores may cache lookups
	_       [60]byte
}

// New returns a table with room for capacity neighbours (rounded up to a power of two, at least 64).
func New(capacity int) *Table {
	n := 64
	for n < capacity*2 {
		n <<= 1
	}
	return &Table{slots: make([]entry, n), mask: uint32(n - 1)}
}

func hash(ip uint32) uint32 {
	h := ip * 0x9E3779B1
	return h ^ h>>15
}

// find returns the slot holding ip, or nil.
func (t *Table) find(ip uint32) *entry {
	if ip == 0 {
		return nil
	}
	i := hash(ip) & t.mask
	for n := uint32(0); n <= t.mask; n++ {
		e := &t.slots[i]
		switch e.ip.Load() {
		case ip:
			return e
		case 0:
			return nil
		}
		i = (i + 1) & t.mask
	}
	return nil
}

// slot returns the slot for ip, claiming a free one if needed; nil when full.
func (t *Table) slot(ip uint32, port int) *entry {
	if ip == 0 {
		return nil
	}
	i := hash(ip) & t.mask
	for n := uint32(0); n <= t.mask; n++ {
		e := &t.slots[i]
		cur := e.ip.Load()
		if cur == ip {
			return e
		}
		if cur == 0 {
			e.port.Store(uint32(port))
			if e.ip.CompareAndSwap(0, ip) {
				return e
			}
			if e.ip.Load() == ip { // another lcore claimed it for the same address
				return e
			}
		}
		i = (i + 1) & t.mask
	}
	return nil
}

// Lookup returns the MAC of ip if it is resolved.
func (t *Table) Lookup(ip uint32) (mac [6]byte, ok bool) {
	e := t.find(ip)
	if e == nil {
		return mac, false
	}
	w := e.mac.Load()
	if w&validBit == 0 {
		return mac, false
	}
	return unpack(w), true
}

// Learn records that ip is at mac on port (from an ARP reply or request). It
// returns false only when the table is full.
func (t *Table) Learn(ip uint32, mac [6]byte, port int, now uint32) bool {
	e := t.slot(ip, port)
	if e == nil {
		return false
	}
	if e.mac.Load()&staticBit != 0 {
		return true
	}
	e.port.Store(uint32(port))
	e.confirmed.Store(now)
	t.setMAC(e, validBit|pack(mac))
	return true
}

// setMAC stores w and bumps the version if the entry changed.
func (t *Table) setMAC(e *entry, w uint64) {
	if e.mac.Swap(w) != w {
		t.version.Add(1)
	}
}

// Version changes whenever any entry's MAC changes. A cache of lookups made
// at one version is valid as long as Version returns the same value.
func (t *Table) Version() uint32 { return t.version.Load() }

// SetStatic records a permanent entry (configuration, not ARP). It returns
// false only when the table is full.
func (t *Table) SetStatic(ip uint32, mac [6]byte, port int) bool {
	e := t.slot(ip, port)
	if e == nil {
		return false
	}
	e.port.Store(uint32(port))
	t.setMAC(e, validBit|staticBit|pack(mac))
	return true
}

// Update refreshes ip's MAC only if ip is already in the table: what a
// gratuitous ARP or a request from a known host tells us, without letting
// arbitrary senders fill the table.
func (t *Table) Update(ip uint32, mac [6]byte, now uint32) {
	if e := t.find(ip); e != nil && e.mac.Load()&staticBit == 0 {
		e.confirmed.Store(now)
		t.setMAC(e, validBit|pack(mac))
	}
}

// Want makes sure ip has an entry (unresolved if new), so that resolution
// and refresh can be driven from the table. It returns false when full.
func (t *Table) Want(ip uint32, port int) bool {
	return t.slot(ip, port) != nil
}

// ShouldRequest reports whether an ARP request for ip is due: unresolved and
// not asked within retry ms, or resolved but not confirmed within refresh ms.
// When it returns true it records now as the time of the request, so that
// several lcores asking at once send one request.
func (t *Table) ShouldRequest(ip uint32, port int, now, retry, refresh uint32) bool {
	e := t.slot(ip, port)
	if e == nil {
		return false
	}
	last := e.requested.Load()
	w := e.mac.Load()
	if w&staticBit != 0 {
		return false
	}
	if w&validBit != 0 {
		if int32(now-e.confirmed.Load()) < int32(refresh) {
			return false
		}
	}
	if last != 0 && int32(now-last) < int32(retry) {
		return false
	}
	return e.requested.CompareAndSwap(last, now|1) // |1: 0 means "never asked"
}

// Entry is a snapshot of one neighbour, for status output.
type Entry struct {
	IP       uint32
	MAC      [6]byte
	Port     int
	Resolved bool
	Static   bool
}

// Entries lists the table (not on the hot path).
func (t *Table) Entries() []Entry {
	var out []Entry
	for i := range t.slots {
		e := &t.slots[i]
		ip := e.ip.Load()
		if ip == 0 {
			continue
		}
		w := e.mac.Load()
		out = append(out, Entry{IP: ip, MAC: unpack(w), Port: int(e.port.Load()), Resolved: w&validBit != 0, Static: w&staticBit != 0})
	}
	return out
}

func pack(m [6]byte) uint64 {
	return uint64(m[0])<<40 | uint64(m[1])<<32 | uint64(m[2])<<24 | uint64(m[3])<<16 | uint64(m[4])<<8 | uint64(m[5])
}

func unpack(w uint64) (m [6]byte) {
	for i := 0; i < 6; i++ {
		m[i] = byte(w >> (40 - 8*i))
	}
	return m
}
