package fastpath

/*
#include "fp_control.h"
*/
import "C"

import (
	"unsafe"
)

// The slow path's side of the exception path: frames between the punt
// and inject rings and the kernel interfaces (net_tap ports no lcore
// polls). One cgo call per burst each way.

// ToKernel writes pkts (at most MaxBurst) to the kernel interface behind
// DPDK port tap and reports how many it took and their bytes. Every
// packet is consumed: the ones the tap refused are freed.
func ToKernel(tap uint16, pkts []Punted) (sent int, bytes uint64) {
	pkts = pkts[:min(len(pkts), MaxBurst)]
	var ms [MaxBurst]*C.struct_rte_mbuf
	n := 0
	for i := range pkts {
		if pkts[i].mbuf != nil {
			ms[n] = (*C.struct_rte_mbuf)(pkts[i].mbuf)
			n++
		}
		pkts[i].mbuf, pkts[i].Frame = nil, nil
	}
	if n == 0 {
		return 0, 0
	}
	var b C.uint64_t
	sent = int(C.fp_kernel_tx(C.uint16_t(tap), &ms[0], C.uint32_t(n), &b))
	return sent, uint64(b)
}

// CopyFrame is a packet holding a copy of frame in a new mbuf from pool
// (struct rte_mempool *), marked for the kernel interface of port: what
// the kernel gets of the ARP the slow path handles.
func CopyFrame(pool unsafe.Pointer, frame []byte, port int) (Punted, error) {
	if len(frame) == 0 || len(frame) > 0xffff {
		return Punted{}, ErrNoMbuf
	}
	m := C.fp_frame_alloc((*C.struct_rte_mempool)(pool), (*C.uint8_t)(unsafe.Pointer(&frame[0])), C.uint16_t(len(frame)))
	if m == nil {
		return Punted{}, ErrNoMbuf
	}
	data := unsafe.Slice((*byte)(unsafe.Pointer(C.fp_mbuf_frame(m))), len(frame))
	return Punted{mbuf: unsafe.Pointer(m), Frame: data, Reason: PuntKernel, InPort: port}, nil
}

// FromKernelResult is what one FromKernel call moved.
type FromKernelResult struct {
	Pkts     int    // frames handed to the lcore to send
	Bytes    uint64 // of those
	RingFull int    // refused by the inject ring (freed)
	MultiSeg int    // chained frames the lcores cannot send (freed)
}

// FromKernel takes up to max (<= MaxBurst) frames the kernel sent on the
// interface behind DPDK port tap and hands them to the lcore behind
// inject (struct rte_ring *) to send out of port (a port index).
func FromKernel(tap uint16, inject unsafe.Pointer, port, max int) FromKernelResult {
	var r C.struct_fp_kernel_rx
	C.fp_kernel_rx(C.uint16_t(tap), (*C.struct_rte_ring)(inject), C.uint8_t(port), C.uint16_t(min(max, MaxBurst)), &r)
	return FromKernelResult{Pkts: int(r.pkts), Bytes: uint64(r.bytes), RingFull: int(r.ring_full), MultiSeg: int(r.multi_seg)}
}
