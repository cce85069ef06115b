package dpdk

/*
#cgo noescape govs_ring_enqueue_burst
#cgo nocallback govs_ring_enqueue_burst
#cgo noescape govs_ring_dequeue_burst
#cgo nocallback govs_ring_dequeue_burst
#include <stdlib.h>
#include "govs_dpdk.h"
*/
import "C"

import "unsafe"

// Ring is a DPDK ring of mbuf pointers (struct rte_ring), for handing
// packets between lcores without locks.
type Ring struct {
	r    *C.struct_rte_ring
	name string
}

// NewRing creates a ring that holds exactly count mbufs (RING_F_EXACT_SZ,
// so count need not be a power of two). singleProducer/singleConsumer
// select the cheaper single-thread enqueue/dequeue; use them only when one
// lcore at a time enqueues (dequeues).
func NewRing(name string, count uint32, socket int, singleProducer, singleConsumer bool) (*Ring, error) {
	flags := C.uint(C.RING_F_EXACT_SZ)
	if singleProducer {
		flags |= C.RING_F_SP_ENQ
	}
	if singleConsumer {
		flags |= C.RING_F_SC_DEQ
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var e C.int
	r := C.govs_ring_create(cname, C.uint(count), C.int(socket), flags, &e)
	if r == nil {
		return nil, newError(int(e), "rte_ring_create(%q, count %d, socket %d)", name, count, socket)
	}
	return &Ring{r: r, name: name}, nil
}

// Name is the ring's name.
func (r *Ring) Name() string { return r.name }

// Ptr is the struct rte_ring *, for C code that uses the ring itself (the
// fast path's lcores).
func (r *Ring) Ptr() unsafe.Pointer { return unsafe.Pointer(r.r) }

// Enqueue adds as many of ms as fit, in order, in one cgo call, and returns
// how many; the caller still owns (and must free or retry) ms[n:].
func (r *Ring) Enqueue(ms []*Mbuf) int {
	if len(ms) == 0 {
		return 0
	}
	return int(C.govs_ring_enqueue_burst(r.r, mbufArray(ms), C.uint(len(ms))))
}

// Dequeue takes up to len(ms) mbufs, oldest first, in one cgo call and
// returns how many.
func (r *Ring) Dequeue(ms []*Mbuf) int {
	if len(ms) == 0 {
		return 0
	}
	return int(C.govs_ring_dequeue_burst(r.r, mbufArray(ms), C.uint(len(ms))))
}

// Count is the number of mbufs in the ring.
func (r *Ring) Count() uint32 { return uint32(C.govs_ring_count(r.r)) }

// Free releases the ring (rte_ring_free); mbufs still in it are not freed.
// Calling Free twice is harmless.
func (r *Ring) Free() {
	if r.r != nil {
		C.rte_ring_free(r.r)
		r.r = nil
	}
}
