package dpdk

/*
#include "govs_dpdk.h"
*/
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"
)

// Error is the error returned by every failing call of this package. Op
// names the DPDK operation and what it was applied to (port, queue, name).
type Error struct {
	Op   string // e.g. "rte_eth_rx_queue_setup(port 0, queue 1)"
	Code int    // positive rte_errno / errno value
	Msg  string // rte_strerror(Code)
}

func (e *Error) Error() string {
	return fmt.Sprintf("dpdk: %s: %s (errno %d)", e.Op, e.Msg, e.Code)
}

// Unwrap exposes plain errno values as syscall.Errno, so callers can test
// errors.Is(err, unix.ENODEV). DPDK's own codes (>= RTE_MIN_ERRNO) have no
// errno equivalent.
func (e *Error) Unwrap() error {
	if e.Code > 0 && e.Code < C.GOVS_RTE_MIN_ERRNO {
		return syscall.Errno(e.Code)
	}
	return nil
}

// newError builds an Error from an errno value of either sign (DPDK returns
// -errno from most calls and sets positive rte_errno in others); the
// operation is described by format and args.
func newError(code int, format string, args ...any) error {
	op := fmt.Sprintf(format, args...)
	if code < 0 {
		code = -code
	}
	var buf [128]C.char
	C.govs_strerror(C.int(code), &buf[0], C.size_t(len(buf)))
	return &Error{Op: op, Code: code, Msg: C.GoString((*C.char)(unsafe.Pointer(&buf[0])))}
}
