package fastpath

/*
#include <stdlib.h>

#include "fp_conn.h"
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

// ConnTable is a connection table (fp_conn.c) outside any worker, for
// tests and benchmarks of the table itself. Workers embed theirs.
type ConnTable struct {
	t   C.struct_fp_conn_table
	mem Memory
	buf unsafe.Pointer
}

// NewConnTable builds a table for capacity conns in memory from mem.
func NewConnTable(mem Memory, capacity int, seed uint64) (*ConnTable, error) {
	fp := ConnFootprint(capacity)
	if fp == 0 {
		return nil, fmt.Errorf("capacity %d out of range [1, %d]", capacity, MaxConnCapacity)
	}
	buf, err := mem.Alloc("govs_conn_table", fp, -1)
	if err != nil {
		return nil, err
	}
	ct, err := NewConnTableAt(buf, fp, capacity, seed)
	if err != nil {
		mem.Free(buf)
		return nil, err
	}
	ct.mem, ct.buf = mem, buf
	return ct, nil
}

// NewConnTableAt builds a table in memory the caller owns and frees
// (64-byte aligned, >= ConnFootprint(capacity) bytes): fp_conn_init checks.
func NewConnTableAt(mem unsafe.Pointer, size uintptr, capacity int, seed uint64) (*ConnTable, error) {
	ct := &ConnTable{}
	if capacity < 0 || capacity > math.MaxUint32 ||
		C.fp_conn_init(&ct.t, mem, C.uint64_t(size), C.uint32_t(capacity), C.uint64_t(seed)) != 0 {
		return nil, fmt.Errorf("fp_conn_init refused capacity %d in %d bytes at %p", capacity, size, mem)
	}
	return ct, nil
}

// Free releases the table's memory.
func (ct *ConnTable) Free() {
	if ct.buf != nil {
		ct.mem.Free(ct.buf)
		ct.buf = nil
	}
}

func cKey(k ConnKey) C.struct_fp_key {
	ck := C.struct_fp_key{src_ip: C.uint32_t(k.SrcIP), dst_ip: C.uint32_t(k.DstIP), src_port: C.uint16_t(k.SrcPort), dst_port: C.uint16_t(k.DstPort), proto: C.uint8_t(k.Proto)}
	if k.Out {
		ck.dir = C.FP_DIR_OUT
	}
	return ck
}

func goConn(c *C.struct_fp_conn) Conn {
	return Conn{ClientIP: uint32(c.client_ip), VIP: uint32(c.vip), RSIP: uint32(c.rs_ip), ClientPort: uint16(c.client_port),
		VPort: uint16(c.vport), RSPort: uint16(c.rs_port), Proto: uint8(c.proto), State: uint8(c.state), Method: uint8(c.flags >> C.FP_CONN_METHOD_SHIFT),
		SvcID: uint16(c.svc_id), RSID: uint16(c.rs_id), Expire: uint32(c.expire), Template: c.flags&C.FP_CONN_F_TEMPLATE != 0,
		Synced: c.flags&C.FP_CONN_F_SYNCED != 0}
}

// InKey is the client -> VIP key of c.
func (c Conn) InKey() ConnKey {
	return ConnKey{SrcIP: c.ClientIP, DstIP: c.VIP, SrcPort: c.ClientPort, DstPort: c.VPort, Proto: c.Proto}
}

// OutKey is the real server -> client key of c.
func (c Conn) OutKey() ConnKey {
	return ConnKey{SrcIP: c.RSIP, DstIP: c.ClientIP, SrcPort: c.RSPort, DstPort: c.ClientPort, Proto: c.Proto, Out: true}
}

// Insert adds c. dup reports that a conn with either of its keys exists;
// false without dup means the table is full.
func (ct *ConnTable) Insert(c Conn) (ok, dup bool) {
	idx, dupIdx := ct.InsertIndex(c)
	return idx >= 0, dupIdx >= 0
}

// InsertIndex adds c and returns the index of its record, or -1 and the
// index of the record that holds one of its keys (-1 too: the table is full).
func (ct *ConnTable) InsertIndex(c Conn) (idx, dupIdx int) {
	cc := C.struct_fp_conn{client_ip: C.uint32_t(c.ClientIP), vip: C.uint32_t(c.VIP), rs_ip: C.uint32_t(c.RSIP),
		client_port: C.uint16_t(c.ClientPort), vport: C.uint16_t(c.VPort), rs_port: C.uint16_t(c.RSPort),
		proto: C.uint8_t(c.Proto), state: C.uint8_t(c.State), flags: C.uint8_t(c.Method << C.FP_CONN_METHOD_SHIFT),
		svc_id: C.uint16_t(c.SvcID), rs_id: C.uint16_t(c.RSID), expire: C.uint32_t(c.Expire)}
	if c.Template {
		cc.flags |= C.FP_CONN_F_TEMPLATE
	}
	var d *C.struct_fp_conn
	p := C.fp_conn_insert(&ct.t, &cc, &d)
	return ct.indexOf(p), ct.indexOf(d)
}

// indexOf is the index of a record of this table, -1 for nil.
func (ct *ConnTable) indexOf(c *C.struct_fp_conn) int {
	if c == nil {
		return -1
	}
	return int((uintptr(unsafe.Pointer(c)) - uintptr(unsafe.Pointer(ct.t.conns))) / C.sizeof_struct_fp_conn)
}

// Lookup finds the conn of k.
func (ct *ConnTable) Lookup(k ConnKey) (Conn, bool) {
	ck := cKey(k)
	c := C.fp_conn_lookup(&ct.t, &ck)
	if c == nil {
		return Conn{}, false
	}
	return goConn(c), true
}

// LookupBulk looks keys up in one batched call (len(keys) <= MaxBurst) and
// reports which were found.
func (ct *ConnTable) LookupBulk(keys []ConnKey, found []bool) int {
	var idx [MaxBurst]int
	hits := ct.LookupBulkIndex(keys, idx[:])
	for i := range min(len(keys), MaxBurst) {
		found[i] = idx[i] >= 0 && goConn(ct.record(idx[i])).matches(keys[i])
	}
	return hits
}

// LookupBulkIndex is LookupBulk reporting each key's record index (-1: miss)
// as fp_conn_lookup_bulk returned it, and the number of hits.
func (ct *ConnTable) LookupBulkIndex(keys []ConnKey, idx []int) int {
	var ck [MaxBurst]C.struct_fp_key
	var out [MaxBurst]*C.struct_fp_conn
	n := min(len(keys), MaxBurst)
	for i := range n {
		ck[i] = cKey(keys[i])
	}
	C.fp_conn_lookup_bulk(&ct.t, &ck[0], C.uint32_t(n), &out[0])
	hits := 0
	for i := range n {
		idx[i] = ct.indexOf(out[i])
		if out[i] != nil {
			hits++
		}
	}
	return hits
}

// IndexOf is the index of k's record, as fp_conn_lookup finds it; -1: none.
func (ct *ConnTable) IndexOf(k ConnKey) int {
	ck := cKey(k)
	return ct.indexOf(C.fp_conn_lookup(&ct.t, &ck))
}

func (c Conn) matches(k ConnKey) bool {
	if k.Out {
		return c.OutKey() == k
	}
	return c.InKey() == k
}

// Remove deletes the conn of k; false when there is none.
func (ct *ConnTable) Remove(k ConnKey) bool {
	ck := cKey(k)
	c := C.fp_conn_lookup(&ct.t, &ck)
	if c == nil {
		return false
	}
	C.fp_conn_remove(&ct.t, c)
	return true
}

// Expire runs one incremental expiry step (see fp_conn_expire).
func (ct *ConnTable) Expire(now uint32, budget int) int {
	return int(C.fp_conn_expire(&ct.t, C.uint32_t(now), C.uint32_t(budget), nil, nil))
}

// Len is the number of conns; Cap the capacity.
func (ct *ConnTable) Len() int { return int(ct.t.count) }
func (ct *ConnTable) Cap() int { return int(ct.t.capacity) }

// Slot is one index slot, for invariant checks.
type Slot struct{ Tag, Ref uint32 }

// Slots is a copy of the index, for invariant checks.
func (ct *ConnTable) Slots() []Slot {
	s := unsafe.Slice(ct.t.slots, int(ct.t.nslots))
	out := make([]Slot, len(s))
	for i := range s {
		out[i] = Slot{uint32(s[i].tag), uint32(s[i].ref)}
	}
	return out
}

// ---- introspection, for tests of the table's invariants ----

// Sizes of the C records (fp_layout.h, fp_conn.h).
const (
	ConnRecordSize = C.sizeof_struct_fp_conn
	ConnSlotSize   = C.sizeof_struct_fp_slot
)

func (ct *ConnTable) record(idx int) *C.struct_fp_conn {
	return (*C.struct_fp_conn)(unsafe.Add(unsafe.Pointer(ct.t.conns), idx*C.sizeof_struct_fp_conn))
}

// Record is record idx (< HighWater) and whether it is in the table.
func (ct *ConnTable) Record(idx int) (c Conn, used bool) {
	r := ct.record(idx)
	return goConn(r), r.flags&C.FP_CONN_F_USED != 0
}

// HighWater is how many records have ever been handed out.
func (ct *ConnTable) HighWater() int { return int(ct.t.hw) }

// TagOf is the tag of k's slot; HomeOfTag the slot where probes for a tag
// start; HomeOf both.
func (ct *ConnTable) TagOf(k ConnKey) uint32 {
	ck := cKey(k)
	return uint32(C.fp_conn_tag_of(&ct.t, &ck))
}

func (ct *ConnTable) HomeOfTag(tag uint32) int {
	return int(C.fp_conn_home_of_tag(&ct.t, C.uint32_t(tag)))
}

func (ct *ConnTable) HomeOf(k ConnKey) int { return ct.HomeOfTag(ct.TagOf(k)) }

// RecordAddr is where record idx is (or would be), for RemoveRecord.
func (ct *ConnTable) RecordAddr(idx int) unsafe.Pointer { return unsafe.Pointer(ct.record(idx)) }

// RemoveRecord hands p to fp_conn_remove as it is: p need not be a record
// of this table, nor aligned, nor in the table.
func (ct *ConnTable) RemoveRecord(p unsafe.Pointer) {
	C.fp_conn_remove(&ct.t, (*C.struct_fp_conn)(p))
}

// ExpireReport is what fp_conn_expire's callback saw during one call.
type ExpireReport struct {
	Expired    int    // fp_conn_expire's result
	Seen       []Conn // the conns passed to the callback, as they were then
	NotInTable int    // callbacks on a conn the table had already freed
}

// ExpireWithCallback is Expire with a callback that records each conn; with
// removeInCallback, the callback also removes it itself.
func (ct *ConnTable) ExpireWithCallback(now uint32, budget int, removeInCallback bool) ExpireReport {
	capacity := max(min(budget, ct.HighWater()), 1)
	seen := C.calloc(C.size_t(capacity), C.sizeof_struct_fp_conn)
	defer C.free(seen)
	log := C.struct_fp_conn_expire_log{seen: (*C.struct_fp_conn)(seen), cap: C.uint32_t(capacity)}
	if removeInCallback {
		log.remove = 1
	}
	n := C.fp_conn_expire_logged(&ct.t, C.uint32_t(now), C.uint32_t(budget), &log)
	r := ExpireReport{Expired: int(n), NotInTable: int(log.not_in_table)}
	for i := range min(int(log.n), capacity) {
		r.Seen = append(r.Seen, goConn((*C.struct_fp_conn)(unsafe.Add(seen, i*C.sizeof_struct_fp_conn))))
	}
	return r
}
