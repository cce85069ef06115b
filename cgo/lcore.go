package dpdk

/*
#include "govs_dpdk.h"
*/
import "C"

import (
	"fmt"
	"os"
	"runtime/cgo"
	"runtime/debug"
	"time"
)

// MainLcore is the id of EAL's main lcore.
func MainLcore() uint { return uint(C.rte_get_main_lcore()) }

// WorkerLcores lists the enabled lcores other than the main one, in order.
func WorkerLcores() []uint {
	var ids []uint
	for i := C.rte_get_next_lcore(^C.uint(0), 1, 0); i < C.RTE_MAX_LCORE; i = C.rte_get_next_lcore(i, 1, 0) {
		ids = append(ids, uint(i))
	}
	return ids
}

// LcoreSocket is the NUMA socket of lcore, or -1 if lcore is not enabled.
func LcoreSocket(lcore uint) int {
	if !lcoreEnabled(lcore) {
		return -1
	}
	return int(C.rte_lcore_to_socket_id(C.uint(lcore)))
}

// LcoreID is the lcore id of the calling OS thread (rte_lcore_id). It is
// meaningful inside a function run by LaunchOnLcore; elsewhere Go may move
// the goroutine between threads and the answer is usually LCORE_ID_ANY.
func LcoreID() uint { return uint(C.govs_lcore_id()) }

// lcoreEnabled guards the lcore_config[] indexing done by DPDK, which does
// not check bounds itself.
func lcoreEnabled(lcore uint) bool {
	return lcore < C.RTE_MAX_LCORE && C.rte_lcore_is_enabled(C.uint(lcore)) != 0
}

// LaunchOnLcore runs fn on the EAL thread of worker lcore (which is pinned
// to its CPU) and returns at once; WaitLcore collects fn's result. The Go
// code runs on that thread for the whole call, so a poll loop in fn owns
// the lcore. A panic in fn is printed and turned into the result -1 rather
// than crashing the process from a C thread.
func LaunchOnLcore(lcore uint, fn func() int) error {
	if !lcoreEnabled(lcore) || lcore == MainLcore() {
		return newError(int(C.EINVAL), "rte_eal_remote_launch(lcore %d): not an enabled worker lcore", lcore)
	}
	h := cgo.NewHandle(fn)
	if r := C.govs_remote_launch(C.uintptr_t(h), C.uint(lcore)); r < 0 {
		h.Delete()
		return newError(int(r), "rte_eal_remote_launch(lcore %d)", lcore)
	}
	return nil
}

//export govsLcoreEntry
func govsLcoreEntry(h C.uintptr_t) (ret C.int) {
	handle := cgo.Handle(h)
	fn := handle.Value().(func() int)
	handle.Delete()
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "dpdk: panic in function launched on lcore %d: %v\n%s", LcoreID(), p, debug.Stack())
			ret = -1
		}
	}()
	return C.int(fn())
}

// LcoreRunning reports whether a function launched on lcore is still
// running (rte_eal_get_lcore_state is RUNNING).
func LcoreRunning(lcore uint) bool {
	return lcoreEnabled(lcore) && C.rte_eal_get_lcore_state(C.uint(lcore)) == C.RUNNING
}

// WaitLcore waits until the function launched on lcore has returned and
// gives its result (rte_eal_wait_lcore). rte_eal_wait_lcore busy-spins, so
// this first polls the lcore state with sleeps to leave the CPU to others.
// It returns -EINVAL for an lcore that is not an enabled worker.
func WaitLcore(lcore uint) int {
	if !lcoreEnabled(lcore) || lcore == MainLcore() {
		return -int(C.EINVAL)
	}
	for d := 10 * time.Microsecond; C.rte_eal_get_lcore_state(C.uint(lcore)) == C.RUNNING; d = min(2*d, 10*time.Millisecond) {
		time.Sleep(d)
	}
	return int(C.rte_eal_wait_lcore(C.uint(lcore)))
}
