package fastpath

/*
#include "fp_control.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// Shared is what every worker of one dataplane reads: the published
// snapshot and neighbour table, the stop flag, the RCU state and the
// workers' inboxes.
type Shared struct {
	ptr *C.struct_fp_shared
	rcu *C.struct_rte_rcu_qsbr
	mem Memory
}

// NewShared allocates the shared block for workers lcores. With rcu, old
// snapshots and tables are reclaimed only after every worker has passed a
// quiescent point (rte_rcu_qsbr); without, the caller frees them itself
// (tests, where no lcore runs).
func NewShared(mem Memory, workers int, rcu bool) (*Shared, error) {
	if workers < 1 || workers > MaxWorkers {
		return nil, fmt.Errorf("workers: %d, want 1..%d", workers, MaxWorkers)
	}
	p, err := mem.Alloc("govs_fp_shared", unsafe.Sizeof(C.struct_fp_shared{}), -1)
	if err != nil {
		return nil, err
	}
	sh := &Shared{ptr: (*C.struct_fp_shared)(p), mem: mem}
	sh.ptr.n_workers = C.uint16_t(workers)
	if rcu {
		size := uintptr(C.fp_rcu_memsize(C.uint32_t(workers)))
		q, err := mem.Alloc("govs_fp_rcu", size, -1)
		if err != nil || size == 0 {
			sh.Free()
			return nil, errors.Join(errors.New("rcu state"), err)
		}
		sh.rcu = (*C.struct_rte_rcu_qsbr)(q)
		if C.fp_rcu_init(sh.rcu, C.uint32_t(workers)) != 0 {
			sh.Free()
			return nil, errors.New("rte_rcu_qsbr_init failed")
		}
		sh.ptr.rcu = sh.rcu
	}
	return sh, nil
}

// FlowAffinity is what the worker that owns a flow is chosen by.
type FlowAffinity uint8

const (
	// AffinityAddressPort hashes the client's address and port.
	AffinityAddressPort FlowAffinity = C.FP_AFFINITY_ADDRESS_PORT
	// AffinityAddress hashes the address alone: every flow of a client
	// reaches one worker, and its persistence templates there.
	AffinityAddress FlowAffinity = C.FP_AFFINITY_ADDRESS
	// AffinityPrefix hashes the client's network (a prefix length).
	AffinityPrefix FlowAffinity = C.FP_AFFINITY_PREFIX
)

// SetFlowAffinity chooses how flows are given to workers: a, and for
// AffinityPrefix the network's prefix length (1..32). Call it before any
// worker runs (it is start-time).
func (sh *Shared) SetFlowAffinity(a FlowAffinity, prefixBits int) {
	mask := ^uint32(0)
	if a == AffinityPrefix && prefixBits >= 1 && prefixBits < 32 {
		mask <<= 32 - prefixBits
	}
	sh.ptr.flow_affinity, sh.ptr.affinity_mask = C.uint8_t(a), C.uint32_t(mask)
}

// SetInbox registers worker i's hand-off ring (struct rte_ring *).
func (sh *Shared) SetInbox(i int, ring unsafe.Pointer) {
	sh.ptr.inbox[i] = (*C.struct_rte_ring)(ring)
}

// publishSnapshot makes s the snapshot lcores read from their next burst
// on and returns the one it replaced (nil at first).
func (sh *Shared) publishSnapshot(s *C.struct_fp_snapshot) *C.struct_fp_snapshot {
	return C.fp_publish_snapshot(sh.ptr, s)
}

func (sh *Shared) publishNeigh(t *C.struct_fp_neigh_table) *C.struct_fp_neigh_table {
	return C.fp_publish_neigh(sh.ptr, t)
}

// Stop asks every worker's loop to return.
func (sh *Shared) Stop() { C.fp_request_stop(sh.ptr) }

// Free releases the block; the workers must have stopped.
func (sh *Shared) Free() {
	if sh.rcu != nil {
		sh.mem.Free(unsafe.Pointer(sh.rcu))
		sh.rcu = nil
	}
	if sh.ptr != nil {
		sh.mem.Free(unsafe.Pointer(sh.ptr))
		sh.ptr = nil
	}
}

// WorkerConfig is one worker's start-time settings.
type WorkerConfig struct {
	Index, Queue int // worker index (also its RCU id) and its queue on every port
	Burst        int
	ConnCapacity int
	HashSeed     uint64
	IdleBackoff  bool
	IdleSleepMax time.Duration
	TSCHz        uint64
	Socket       int            // NUMA socket for its memory
	Punt, Inject unsafe.Pointer // struct rte_ring *, or nil
	// PuntReserve is how many punt ring slots packets for the kernel
	// interfaces leave free for ARP and packets waiting for a MAC.
	PuntReserve int
	// SyncOut and SyncIn are the worker's connection sync rings (emitted
	// records, received records to enter), or nil without sync.
	SyncOut, SyncIn *SyncRing
}

// Worker is one worker lcore's state in C memory: its connection table,
// counters and queues.
type Worker struct {
	ptr   *C.struct_fp_worker
	cnt   Counters
	conns unsafe.Pointer
	mem   Memory
	index int
}

// NewWorker allocates and initialises a worker of sh.
func NewWorker(mem Memory, sh *Shared, cfg WorkerConfig) (_ *Worker, err error) {
	fp := ConnFootprint(cfg.ConnCapacity)
	if fp == 0 {
		return nil, fmt.Errorf("connection table capacity %d out of range [1, %d]", cfg.ConnCapacity, MaxConnCapacity)
	}
	if cfg.Index < 0 || cfg.Index >= int(sh.ptr.n_workers) {
		return nil, fmt.Errorf("worker index %d out of range", cfg.Index)
	}
	w := &Worker{mem: mem, index: cfg.Index}
	defer func() {
		if err != nil {
			w.Free()
		}
	}()
	p, err := mem.Alloc(fmt.Sprintf("govs_worker_%d", cfg.Index), uintptr(C.fp_worker_size()), cfg.Socket)
	if err != nil {
		return nil, fmt.Errorf("worker %d state: %w", cfg.Index, err)
	}
	w.ptr = (*C.struct_fp_worker)(p)
	c, err := mem.Alloc(fmt.Sprintf("govs_counters_%d", cfg.Index), unsafe.Sizeof(C.struct_fp_lcore_counters{}), cfg.Socket)
	if err != nil {
		return nil, fmt.Errorf("worker %d counters: %w", cfg.Index, err)
	}
	w.cnt = Counters{(*C.struct_fp_lcore_counters)(c)}
	if w.conns, err = mem.Alloc(fmt.Sprintf("govs_conns_%d", cfg.Index), fp, cfg.Socket); err != nil {
		return nil, fmt.Errorf("connection table of worker %d (%d entries, %d MiB): %w", cfg.Index, cfg.ConnCapacity, fp>>20, err)
	}
	prm := C.struct_fp_worker_params{
		shared: sh.ptr, counters: w.cnt.c, conn_mem: w.conns, conn_mem_size: C.uint64_t(fp),
		conn_capacity: C.uint32_t(cfg.ConnCapacity), index: C.uint16_t(cfg.Index), queue: C.uint16_t(cfg.Queue),
		burst: C.uint16_t(cfg.Burst), idle_sleep_max_us: C.uint32_t(cfg.IdleSleepMax / time.Microsecond),
		hash_seed: C.uint64_t(cfg.HashSeed), tsc_hz: C.uint64_t(cfg.TSCHz),
		punt: (*C.struct_rte_ring)(cfg.Punt), inject: (*C.struct_rte_ring)(cfg.Inject),
		punt_reserve: C.uint32_t(max(cfg.PuntReserve, 0)),
	}
	if cfg.SyncOut != nil {
		prm.sync_out = cfg.SyncOut.ptr
	}
	if cfg.SyncIn != nil {
		prm.sync_in = cfg.SyncIn.ptr
	}
	if cfg.IdleBackoff {
		prm.idle_backoff = 1
	}
	if C.fp_worker_init(w.ptr, &prm) != 0 {
		return nil, fmt.Errorf("worker %d: invalid parameters (burst %d must be 1..%d)", cfg.Index, cfg.Burst, MaxBurst)
	}
	return w, nil
}

// Counters are the worker's counters.
func (w *Worker) Counters() Counters { return w.cnt }

// Index is the worker's index.
func (w *Worker) Index() int { return w.index }

// Launch runs the worker's C poll loop on lcore; it returns at once.
func (w *Worker) Launch(lcore uint) error {
	if r := C.fp_launch(w.ptr, C.uint(lcore)); r != 0 {
		return fmt.Errorf("rte_eal_remote_launch on lcore %d: error %d", lcore, int(r))
	}
	return nil
}

// TID is the thread id of the worker's lcore once its loop runs (0 before).
func (w *Worker) TID() int { return int(C.fp_worker_tid(w.ptr)) }

// Free releases the worker's memory; its loop must have returned.
func (w *Worker) Free() {
	if w.conns != nil {
		w.mem.Free(w.conns)
		w.conns = nil
	}
	if w.cnt.c != nil {
		w.mem.Free(unsafe.Pointer(w.cnt.c))
		w.cnt.c = nil
	}
	if w.ptr != nil {
		w.mem.Free(unsafe.Pointer(w.ptr))
		w.ptr = nil
	}
}
