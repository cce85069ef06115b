package fastpath

/*
#include "fp_control.h"
*/
import "C"

import "sync"

// Publisher swaps in new snapshots and neighbour tables for the workers of
// one Shared and frees what they replace once every worker has passed a
// quiescent point (DPDK's rte_rcu_qsbr: a worker reports one at the end
// of each loop iteration, holding nothing it read). Without RCU (no lcore
// runs: tests) replaced memory is freed at once.
type Publisher struct {
	sh *Shared

	mu      sync.Mutex
	snap    *Snapshot
	retired []retiree
}

type retiree struct {
	token uint64
	free  func()
}

// NewPublisher publishes for the workers of sh.
func NewPublisher(sh *Shared) *Publisher { return &Publisher{sh: sh} }

// Snapshot publishes s; the snapshot it replaces is retired.
func (p *Publisher) Snapshot(s *Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sh.publishSnapshot(s.ptr)
	if old := p.snap; old != nil {
		p.retire(old.Free)
	}
	p.snap = s
}

// Current is the published snapshot (nil before the first).
func (p *Publisher) Current() *Snapshot {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snap
}

func (p *Publisher) neigh(t *C.struct_fp_neigh_table, free func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.sh.publishNeigh(t)
	if old != nil && free != nil {
		p.retire(free)
	}
}

// retire frees now without RCU, else after the grace period that starts now.
func (p *Publisher) retire(free func()) {
	if p.sh.rcu == nil {
		free()
		return
	}
	p.retired = append(p.retired, retiree{token: uint64(C.fp_rcu_start(p.sh.rcu)), free: free})
}

// Reclaim frees what no worker can see any more and reports how much is
// still waiting. Call it periodically; it never blocks on the lcores.
func (p *Publisher) Reclaim() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	keep := p.retired[:0]
	for _, r := range p.retired {
		if C.fp_rcu_done(p.sh.rcu, C.uint64_t(r.token)) != 0 {
			r.free()
		} else {
			keep = append(keep, r)
		}
	}
	clear(p.retired[len(keep):])
	p.retired = keep
	return len(keep)
}

// Close frees everything, the current snapshot included. The workers must
// have stopped.
func (p *Publisher) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.retired {
		r.free()
	}
	p.retired = nil
	if p.snap != nil {
		p.sh.publishSnapshot(nil)
		p.snap.Free()
		p.snap = nil
	}
}
