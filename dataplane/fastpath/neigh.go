package fastpath

/*
#include <errno.h>
#include "fp_control.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// Neigh is the fast path's mirror of the neighbour table: the lcores read
// it lock-free, the Go slow path (its only writer) keeps it in step with
// its own neighbour state. A full table is rebuilt without its deleted
// entries and swapped in (the old one retired through the Publisher).
type Neigh struct {
	pub      *Publisher
	mem      Memory
	capacity int

	mu sync.Mutex
	t  *C.struct_fp_neigh_table
}

// NewNeigh allocates a mirror for capacity neighbours and publishes it.
func NewNeigh(pub *Publisher, mem Memory, capacity int) (*Neigh, error) {
	n := &Neigh{pub: pub, mem: mem, capacity: capacity}
	t, err := n.alloc()
	if err != nil {
		return nil, err
	}
	n.t = t
	pub.neigh(t, nil)
	return n, nil
}

func (n *Neigh) alloc() (*C.struct_fp_neigh_table, error) {
	size := uintptr(C.fp_neigh_footprint(C.uint32_t(n.capacity)))
	p, err := n.mem.Alloc("govs_neigh", size, -1)
	if err != nil {
		return nil, fmt.Errorf("neighbour table for %d entries: %w", n.capacity, err)
	}
	t := (*C.struct_fp_neigh_table)(p)
	C.fp_neigh_init(t, C.uint32_t(n.capacity))
	return t, nil
}

func (n *Neigh) free(t *C.struct_fp_neigh_table) func() {
	return func() { n.mem.Free(unsafe.Pointer(t)) }
}

// Set records that ip is at mac on port.
func (n *Neigh) Set(ip uint32, port int, mac [6]byte) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.t == nil {
		return fmt.Errorf("neighbour table closed")
	}
	m := (*C.uint8_t)(unsafe.Pointer(&mac[0]))
	r := C.fp_neigh_set(n.t, C.uint32_t(ip), C.uint8_t(port), m)
	if r == -C.ENOSPC {
		if err := n.rebuild(); err != nil {
			return err
		}
		r = C.fp_neigh_set(n.t, C.uint32_t(ip), C.uint8_t(port), m)
	}
	if r != 0 {
		return fmt.Errorf("neighbour table full (%d entries)", n.capacity)
	}
	return nil
}

// Delete forgets ip.
func (n *Neigh) Delete(ip uint32) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.t != nil {
		C.fp_neigh_clear(n.t, C.uint32_t(ip))
	}
}

// rebuild copies the live entries into a fresh table and publishes it.
func (n *Neigh) rebuild() error {
	t, err := n.alloc()
	if err != nil {
		return err
	}
	if C.fp_neigh_copy(t, n.t) != 0 {
		n.mem.Free(unsafe.Pointer(t))
		return fmt.Errorf("neighbour table full (%d entries)", n.capacity)
	}
	old := n.t
	n.t = t
	n.pub.neigh(t, n.free(old))
	return nil
}

// Close unpublishes and frees the table; the workers must have stopped.
func (n *Neigh) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.t != nil {
		n.pub.sh.publishNeigh(nil)
		n.mem.Free(unsafe.Pointer(n.t))
		n.t = nil
	}
}
