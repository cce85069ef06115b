package dpdk

/*
#include <stdlib.h>
#include "govs_dpdk.h"
*/
import "C"

import "unsafe"

// Zmalloc allocates size zeroed bytes of DPDK (hugepage) memory aligned to
// align (0 = cache line) on socket (-1 = any). The memory is outside the Go
// heap: the GC neither scans nor moves it, which is what large tables want.
// Release it with Free.
func Zmalloc(name string, size uintptr, align uint, socket int) (unsafe.Pointer, error) {
	if size == 0 {
		return nil, newError(int(C.EINVAL), "rte_zmalloc_socket(%q, size 0)", name)
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	p := C.rte_zmalloc_socket(cname, C.size_t(size), C.uint(align), C.int(socket))
	if p == nil {
		// rte_malloc does not reliably set rte_errno.
		return nil, newError(int(C.ENOMEM), "rte_zmalloc_socket(%q, size %d, align %d, socket %d)", name, size, align, socket)
	}
	return p, nil
}

// Free releases memory from Zmalloc (rte_free); nil is a no-op.
func Free(p unsafe.Pointer) { C.rte_free(p) }
