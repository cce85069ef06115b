package fastpath

/*
#include <errno.h>
#include "fp_control.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Punted is a packet a worker handed to the slow path. Its Frame aliases
// the mbuf: it is valid, and writable, until the packet is sent or freed
// (exactly once).
type Punted struct {
	mbuf    unsafe.Pointer
	Frame   []byte
	Reason  Punt
	InPort  int
	OutPort int    // PuntNeigh: where to send it once resolved
	Hop     uint32 // PuntNeigh: the next hop to resolve
}

// PuntReader takes punted packets off workers' punt rings in bursts.
type PuntReader struct {
	buf *[MaxBurst]C.struct_fp_punted // in C memory: it holds C pointers
}

// NewPuntReader allocates the reader's C-side burst array.
func NewPuntReader(mem Memory) (*PuntReader, error) {
	p, err := mem.Alloc("govs_punt_burst", unsafe.Sizeof([MaxBurst]C.struct_fp_punted{}), -1)
	if err != nil {
		return nil, err
	}
	return &PuntReader{buf: (*[MaxBurst]C.struct_fp_punted)(p)}, nil
}

// Read dequeues up to len(out) packets from ring (struct rte_ring *).
func (r *PuntReader) Read(ring unsafe.Pointer, out []Punted) int {
	n := min(len(out), MaxBurst)
	got := int(C.fp_punt_dequeue((*C.struct_rte_ring)(ring), &r.buf[0], C.uint32_t(n)))
	for i := range got {
		c := &r.buf[i]
		out[i] = Punted{
			mbuf: c.mbuf, Frame: unsafe.Slice((*byte)(unsafe.Pointer(c.data)), int(c.len)),
			Reason: Punt(c.reason), InPort: int(c.in_port), OutPort: int(c.out_port), Hop: uint32(c.hop),
		}
	}
	return got
}

// Free releases the reader's array.
func (r *PuntReader) Free(mem Memory) {
	if r.buf != nil {
		mem.Free(unsafe.Pointer(r.buf))
		r.buf = nil
	}
}

// ErrRingFull is returned when a worker's inject ring has no room.
var ErrRingFull = errors.New("inject ring full")

// Send hands the punted packet, as its Frame now is, to a worker to
// transmit on port (inject ring, struct rte_ring *). On error it is freed.
func (p *Punted) Send(ring unsafe.Pointer, port int) error {
	m := (*C.struct_rte_mbuf)(p.mbuf)
	p.mbuf, p.Frame = nil, nil
	if m == nil {
		return errors.New("packet already sent or freed")
	}
	if C.fp_inject((*C.struct_rte_ring)(ring), m, C.uint8_t(port)) != 0 {
		C.fp_mbuf_free(m)
		return ErrRingFull
	}
	return nil
}

// Free releases the punted packet.
func (p *Punted) Free() {
	if p.mbuf != nil {
		C.fp_mbuf_free((*C.struct_rte_mbuf)(p.mbuf))
		p.mbuf, p.Frame = nil, nil
	}
}

// ErrNoMbuf is returned when the pool has no mbuf for a frame.
var ErrNoMbuf = errors.New("no mbuf for the frame")

// SendFrame copies frame into a new mbuf from pool (struct rte_mempool *)
// and hands it to a worker to transmit on port.
func SendFrame(ring, pool unsafe.Pointer, port int, frame []byte) error {
	if len(frame) == 0 || len(frame) > 0xffff {
		return errors.New("frame length out of range")
	}
	m := C.fp_frame_alloc((*C.struct_rte_mempool)(pool), (*C.uint8_t)(unsafe.Pointer(&frame[0])), C.uint16_t(len(frame)))
	if m == nil {
		return ErrNoMbuf
	}
	if C.fp_inject((*C.struct_rte_ring)(ring), m, C.uint8_t(port)) != 0 {
		C.fp_mbuf_free(m)
		return ErrRingFull
	}
	return nil
}

// DrainRing frees every mbuf left in ring (at stop, lcores stopped).
func DrainRing(ring unsafe.Pointer) {
	if ring != nil {
		C.fp_ring_drain((*C.struct_rte_ring)(ring))
	}
}
