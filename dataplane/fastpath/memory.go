package fastpath

/*
#include <stdlib.h>
#include <string.h>
*/
import "C"

import (
	"fmt"
	"unsafe"

	dpdk "github.com/govs-project/govs/cgo"
)

// Memory is where the fast path's structures live: hugepages in govsd, the
// C heap in tests (no EAL). Either way the Go garbage collector never sees
// it. Alloc returns zeroed, 64-byte aligned memory.
type Memory interface {
	Alloc(name string, size uintptr, socket int) (unsafe.Pointer, error)
	Free(p unsafe.Pointer)
}

// Hugepages allocates DPDK memory (rte_zmalloc_socket); it needs EAL.
type Hugepages struct{}

func (Hugepages) Alloc(name string, size uintptr, socket int) (unsafe.Pointer, error) {
	return dpdk.Zmalloc(name, size, 64, socket)
}

func (Hugepages) Free(p unsafe.Pointer) { dpdk.Free(p) }

// Heap allocates from the C heap, for running the fast path without EAL.
type Heap struct{}

func (Heap) Alloc(name string, size uintptr, _ int) (unsafe.Pointer, error) {
	if size == 0 {
		return nil, fmt.Errorf("%s: zero-sized allocation", name)
	}
	size = (size + 63) &^ 63
	p := C.aligned_alloc(64, C.size_t(size))
	if p == nil {
		return nil, fmt.Errorf("%s: out of memory allocating %d bytes", name, size)
	}
	C.memset(p, 0, C.size_t(size))
	return p, nil
}

func (Heap) Free(p unsafe.Pointer) { C.free(p) }
