// Package dpdk is govs's thin cgo binding to the system DPDK (22.11): EAL,
// lcores, hugepage memory, mempools, mbufs, ethdev ports and rings.
//
// Rules the binding follows: failures come back as *Error values naming the
// operation and its subject (nothing calls rte_exit or panics); the packet
// path costs one cgo call per burst, and mbuf fields are read from Go with
// plain loads at offsets exported by C.
package dpdk

/*
#cgo pkg-config: libdpdk
#include <stdlib.h>
#include "govs_dpdk.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// eal tracks the one EAL of this process. The OS thread that ran
// rte_eal_init is DPDK's main lcore (its thread-local lcore id says so); a
// goroutine stays locked to it until EALCleanup so that no other goroutine
// ever runs there as "the main lcore", and cleanup runs on it too.
var eal struct {
	mu      sync.Mutex
	called  bool        // EALInit was attempted (EAL cannot be re-initialised)
	running bool        // EAL is up and mainFn is served
	mainFn  chan func() // work for the main-lcore thread
}

// EALInit initialises DPDK's EAL with args (without the program name;
// "govs" is prepended). It may be called once per process; later calls
// fail, whatever the outcome of the first.
//
// rte_eal_init pins the calling thread to the main lcore's CPU. The thread
// is then given back the CPU set the process had before, because threads Go
// creates from it would otherwise inherit the pin.
func EALInit(args []string) error {
	eal.mu.Lock()
	defer eal.mu.Unlock()
	if eal.called {
		return errors.New("dpdk: EALInit: EAL already initialised in this process (it can be initialised only once)")
	}
	eal.called = true

	errc := make(chan error, 1)
	mainFn := make(chan func())
	go func() {
		// Never unlocked: when this goroutine returns, the thread exits
		// with it, taking the main-lcore identity along.
		runtime.LockOSThread()
		if err := ealInitHere(args); err != nil {
			errc <- err
			return
		}
		errc <- nil
		for fn := range mainFn {
			fn()
		}
	}()
	if err := <-errc; err != nil {
		return err
	}
	eal.running = true
	eal.mainFn = mainFn
	return nil
}

// ealInitHere runs rte_eal_init on the current (locked) thread and then
// restores the thread's CPU affinity.
func ealInitHere(args []string) error {
	var cpus unix.CPUSet
	if err := unix.SchedGetaffinity(0, &cpus); err != nil {
		return fmt.Errorf("dpdk: EALInit: sched_getaffinity: %w", err)
	}

	// argv stays allocated for the life of the process: EAL may keep
	// pointers into it (getopt permutes it; some options are kept by
	// reference).
	all := append([]string{"govs"}, args...)
	argv := (**C.char)(C.calloc(C.size_t(len(all)+1), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	av := unsafe.Slice(argv, len(all)+1)
	for i, a := range all {
		av[i] = C.CString(a)
	}
	if r := C.govs_eal_init(C.int(len(all)), argv); r < 0 {
		return newError(int(r), "rte_eal_init(%q)", args)
	}

	if err := unix.SchedSetaffinity(0, &cpus); err != nil {
		return fmt.Errorf("dpdk: EALInit: restoring CPU affinity after rte_eal_init: %w", err)
	}
	return nil
}

// EALCleanup releases EAL resources (rte_eal_cleanup) on the main-lcore
// thread and ends that thread. No DPDK call may follow.
func EALCleanup() error {
	eal.mu.Lock()
	defer eal.mu.Unlock()
	if !eal.running {
		return errors.New("dpdk: EALCleanup: EAL is not running")
	}
	var ret C.int
	done := make(chan struct{})
	eal.mainFn <- func() {
		ret = C.rte_eal_cleanup()
		close(done)
	}
	<-done
	close(eal.mainFn)
	eal.running = false
	eal.mainFn = nil
	if ret < 0 {
		return newError(int(ret), "rte_eal_cleanup")
	}
	return nil
}

// TSCHz is the TSC frequency EAL measured (rte_get_tsc_hz).
func TSCHz() uint64 { return uint64(C.rte_get_tsc_hz()) }

// RDTSC reads the TSC. It costs a cgo call: use it on slow paths only; the
// packet path gets its timestamp from RxBurst.
func RDTSC() uint64 { return uint64(C.govs_rdtsc()) }
