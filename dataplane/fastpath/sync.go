package fastpath

/*
#cgo noescape fp_sync_take
#cgo nocallback fp_sync_take
#cgo noescape fp_sync_put
#cgo nocallback fp_sync_put
#cgo noescape fp_sync_route
#cgo nocallback fp_sync_route
#include "fp_control.h"
#include "fp_sync.h"

// The owner of each record (fp_sync_owner), in one call.
static void fp_sync_route(const struct fp_shared *sh, const struct fp_sync_rec *recs, uint32_t n, uint16_t *owner)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		owner[i] = fp_sync_owner(sh, &recs[i]);
}

static void fp_set_sync_send(struct fp_shared *sh, uint8_t on)
{
	__atomic_store_n(&sh->sync_send, on, __ATOMIC_RELAXED);
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// SyncRecord is one connection or persistence template on its way between
// an lcore and the sync daemon (struct fp_sync_rec).
type SyncRecord struct {
	ClientIP, VIP, RSIP       uint32
	ClientPort, VPort, RSPort uint16
	Proto, State, Method      uint8
	Template                  bool
	TimeoutMs                 uint32
}

// SyncedTCPState: a TCP connection in state s is worth a sync record
// (FP_SYNC_TCP_STATES, what the lcores emit).
func SyncedTCPState(s uint8) bool { return s < 32 && C.FP_SYNC_TCP_STATES>>s&1 != 0 }

// MaxSyncRing bounds a sync ring's records.
const MaxSyncRing = C.FP_SYNC_RING_MAX

// AllWorkers is SyncOwners's answer for a template every worker keeps.
const AllWorkers = C.FP_SYNC_ALL_WORKERS

// SyncRejectName names reason i of LcoreStats.SyncRejected.
func SyncRejectName(i int) string { return C.GoString(C.fp_sync_reject_name(C.uint(i))) }

// SyncRing is a single-producer single-consumer ring of sync records in
// memory the lcores reach: an lcore's emitted records (it produces, the
// daemon consumes) or the records a backup received for it (the daemon
// produces, it consumes). Each side must be one goroutine at a time.
type SyncRing struct {
	ptr *C.struct_fp_sync_ring
	mem Memory
	buf []C.struct_fp_sync_rec
}

// NewSyncRing allocates a ring of size records (a power of two).
func NewSyncRing(mem Memory, name string, size, socket int) (*SyncRing, error) {
	bytes := uintptr(C.fp_sync_ring_bytes(C.uint32_t(size)))
	if bytes == 0 || size < 0 {
		return nil, fmt.Errorf("sync ring %s: %d records, want a power of two in [2, %d]", name, size, C.FP_SYNC_RING_MAX)
	}
	p, err := mem.Alloc(name, bytes, socket)
	if err != nil {
		return nil, fmt.Errorf("sync ring %s: %w", name, err)
	}
	r := &SyncRing{ptr: (*C.struct_fp_sync_ring)(p), mem: mem}
	C.fp_sync_ring_init(r.ptr, C.uint32_t(size))
	return r, nil
}

// Free releases the ring; no lcore may use it any more.
func (r *SyncRing) Free() {
	if r != nil && r.ptr != nil {
		r.mem.Free(unsafe.Pointer(r.ptr))
		r.ptr = nil
	}
}

// Pending is how many records wait in the ring.
func (r *SyncRing) Pending() int { return int(C.fp_sync_pending(r.ptr)) }

func (r *SyncRing) scratch(n int) []C.struct_fp_sync_rec {
	if cap(r.buf) < n {
		r.buf = make([]C.struct_fp_sync_rec, n)
	}
	return r.buf[:n]
}

// Take moves up to len(out) records out of the ring (the consumer side)
// and returns how many.
func (r *SyncRing) Take(out []SyncRecord) int {
	if len(out) == 0 {
		return 0
	}
	buf := r.scratch(len(out))
	n := int(C.fp_sync_take(r.ptr, &buf[0], C.uint32_t(len(out))))
	for i := range n {
		out[i] = goSyncRecord(&buf[i])
	}
	return n
}

// Put copies as many of in as fit into the ring (the producer side) and
// returns how many.
func (r *SyncRing) Put(in []SyncRecord) int {
	if len(in) == 0 {
		return 0
	}
	buf := r.scratch(len(in))
	for i := range in {
		buf[i] = cSyncRecord(&in[i])
	}
	return int(C.fp_sync_put(r.ptr, &buf[0], C.uint32_t(len(in))))
}

func goSyncRecord(c *C.struct_fp_sync_rec) SyncRecord {
	return SyncRecord{ClientIP: uint32(c.client_ip), VIP: uint32(c.vip), RSIP: uint32(c.rs_ip),
		ClientPort: uint16(c.client_port), VPort: uint16(c.vport), RSPort: uint16(c.rs_port),
		Proto: uint8(c.proto), State: uint8(c.state), Method: uint8(c.method),
		Template: c.flags&C.FP_SYNC_F_TEMPLATE != 0, TimeoutMs: uint32(c.timeout_ms)}
}

func cSyncRecord(r *SyncRecord) C.struct_fp_sync_rec {
	c := C.struct_fp_sync_rec{client_ip: C.uint32_t(r.ClientIP), vip: C.uint32_t(r.VIP), rs_ip: C.uint32_t(r.RSIP),
		client_port: C.uint16_t(r.ClientPort), vport: C.uint16_t(r.VPort), rs_port: C.uint16_t(r.RSPort),
		proto: C.uint8_t(r.Proto), state: C.uint8_t(r.State), method: C.uint8_t(r.Method), timeout_ms: C.uint32_t(r.TimeoutMs)}
	if r.Template {
		c.flags = C.FP_SYNC_F_TEMPLATE
	}
	return c
}

// SetSyncSend turns the workers' emission of sync records on (this
// director is the sync master) or off, from their next burst.
func (sh *Shared) SetSyncSend(on bool) { C.fp_set_sync_send(sh.ptr, cbool(on)) }

// SyncOwners fills owner[i] with the index of the worker whose table
// recs[i] belongs in (AllWorkers: every worker's).
func (sh *Shared) SyncOwners(recs []SyncRecord, owner []uint16) {
	n := min(len(recs), len(owner))
	if n == 0 {
		return
	}
	buf := make([]C.struct_fp_sync_rec, n)
	for i := range n {
		buf[i] = cSyncRecord(&recs[i])
	}
	C.fp_sync_route(sh.ptr, &buf[0], C.uint32_t(n), (*C.uint16_t)(unsafe.Pointer(&owner[0])))
}
