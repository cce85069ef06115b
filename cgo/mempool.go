package dpdk

/*
#cgo noescape govs_pktmbuf_alloc_bulk
#cgo nocallback govs_pktmbuf_alloc_bulk
#include <stdlib.h>
#include "govs_dpdk.h"
*/
import "C"

import "unsafe"

// Mempool is a DPDK packet-mbuf pool (struct rte_mempool).
type Mempool struct {
	p    *C.struct_rte_mempool
	name string
}

// NewPktMbufPool creates a pool of n mbufs with a per-lcore cache of cache
// mbufs and dataRoom bytes of buffer each, headroom included (0 = DPDK's
// default, 2048 + RTE_PKTMBUF_HEADROOM). socket -1 = any. n is best
// 2^k - 1 (DPDK's ring sizing); cache must be <= n/1.5 and <= 512.
func NewPktMbufPool(name string, n, cache uint32, dataRoom uint16, socket int) (*Mempool, error) {
	if dataRoom == 0 {
		dataRoom = C.GOVS_MBUF_DEFAULT_BUF_SIZE
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var e C.int
	p := C.govs_pktmbuf_pool_create(cname, C.uint(n), C.uint(cache), C.uint16_t(dataRoom), C.int(socket), &e)
	if p == nil {
		return nil, newError(int(e), "rte_pktmbuf_pool_create(%q, n %d, cache %d, data room %d, socket %d)", name, n, cache, dataRoom, socket)
	}
	return &Mempool{p: p, name: name}, nil
}

// Name is the pool's name.
func (p *Mempool) Name() string { return p.name }

// Ptr is the struct rte_mempool *, for C code that allocates from it.
func (p *Mempool) Ptr() unsafe.Pointer { return unsafe.Pointer(p.p) }

// Free releases the pool (rte_mempool_free). All its mbufs must have been
// returned and no port may still use it. Calling Free twice is harmless.
func (p *Mempool) Free() {
	if p.p != nil {
		C.rte_mempool_free(p.p)
		p.p = nil
	}
}

// Avail is the number of mbufs free in the pool, per-lcore caches included.
func (p *Mempool) Avail() uint32 { return uint32(C.rte_mempool_avail_count(p.p)) }

// InUse is the number of mbufs allocated from the pool.
func (p *Mempool) InUse() uint32 { return uint32(C.rte_mempool_in_use_count(p.p)) }

// AllocBulk fills out with freshly reset mbufs, all or nothing, in one cgo
// call (rte_pktmbuf_alloc_bulk). An empty out is a no-op.
func (p *Mempool) AllocBulk(out []*Mbuf) error {
	if len(out) == 0 {
		return nil
	}
	if r := C.govs_pktmbuf_alloc_bulk(p.p, mbufArray(out), C.uint(len(out))); r != 0 {
		return newError(int(r), "rte_pktmbuf_alloc_bulk(pool %q, %d mbufs)", p.name, len(out))
	}
	return nil
}

// mbufArray is the C view of a non-empty Go slice of mbuf pointers. The
// slice holds only C pointers, so handing it to C obeys the cgo rules; the
// noescape directives keep callers' arrays on their stacks.
func mbufArray(ms []*Mbuf) **C.struct_rte_mbuf {
	return (**C.struct_rte_mbuf)(unsafe.Pointer(&ms[0]))
}

// MbufArray returns room for n mbuf pointers in C memory, for the arrays a
// poll loop hands to RxBurst, TxBurst, FreeBulk and the rings. A Go array
// works too, but cgo's pointer check then scans the whole Go object on every
// call (measured: ~45 % of a poll loop's time); C memory is not checked. It
// is never freed: a loop keeps its arrays for the life of the process.
func MbufArray(n int) ([]*Mbuf, error) {
	if n <= 0 {
		return nil, newError(int(C.EINVAL), "MbufArray(%d)", n)
	}
	p := C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(uintptr(0))))
	if p == nil {
		return nil, newError(int(C.ENOMEM), "MbufArray(%d)", n)
	}
	return unsafe.Slice((**Mbuf)(p), n), nil
}
