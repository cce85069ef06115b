package fastpath

/*
#include "fp_layout.h"
*/
import "C"

import (
	"sync/atomic"
	"unsafe"
)

// Counters is one lcore's counter block (struct fp_lcore_counters). The
// lcore is its only writer and uses plain stores (aligned 8-byte stores
// are atomic on amd64); readers load atomically and see whole values,
// possibly a few packets old.
type Counters struct{ c *C.struct_fp_lcore_counters }

func ld(p *C.uint64_t) uint64 { return atomic.LoadUint64((*uint64)(unsafe.Pointer(p))) }

// LcoreStats is a read-out of an lcore's own counters.
type LcoreStats struct {
	RxPkts, TxPkts, Created, Redirected, Live uint64
	Encapsulated, FragNeededSent              uint64
	MaxPollGapNs                              uint64
	Reused, Injected, Iterations              uint64
	InboxPkts                                 uint64 // received from other lcores
	// outcomes of what was received (with Punted, Redirected and Drops:
	// RxPkts + InboxPkts = Forwarded + Answered + punted + Redirected + drops)
	Forwarded, Answered               uint64
	TimeExceededSent, ICMPRateLimited uint64
	InjectFailed, Evicted             uint64
	FloodActive                       bool
	PollGaps                          [NumGapThresholds]uint64
	MethodPkts, MethodBytes           [NumMethods]uint64
	Punted                            [NumPunts]uint64
	Drops                             [NumDrops]uint64

	// NodestExpired counts connections removed because their real server
	// left the configuration (a service's expire_nodest_conn).
	NodestExpired uint64
	// Templates is the persistence templates in the table now (not
	// counted in Live).
	Templates uint64
	// KernelFull is Drops[DropKernelFull] by the port the packets came in
	// on: for its kernel interface, refused to keep the punt ring's reserve.
	KernelFull [MaxPorts]uint64
	// Connection synchronisation: records this lcore put on its sync
	// ring (master) and those the full ring refused; received records it
	// entered as new connections, used to refresh one, or refused (by
	// reason, SyncRejects).
	SyncEmitted, SyncRingFull, SyncInserted, SyncUpdated uint64
	SyncRejected                                         [NumSyncRejects]uint64
}

// Lcore reads the lcore-wide counters.
func (k Counters) Lcore() LcoreStats {
	c := k.c
	s := LcoreStats{
		RxPkts: ld(&c.rx_pkts), TxPkts: ld(&c.tx_pkts), Created: ld(&c.created), Redirected: ld(&c.redirected),
		Live: ld(&c.live), Encapsulated: ld(&c.encapsulated), FragNeededSent: ld(&c.frag_needed_sent),
		MaxPollGapNs: ld(&c.max_poll_gap_ns), Reused: ld(&c.reused), Injected: ld(&c.injected), Iterations: ld(&c.iterations),
		InboxPkts: ld(&c.inbox_pkts), Forwarded: ld(&c.forwarded), Answered: ld(&c.answered),
		TimeExceededSent: ld(&c.time_exceeded_sent), ICMPRateLimited: ld(&c.icmp_rate_limited),
		InjectFailed: ld(&c.inject_failed), Evicted: ld(&c.evicted), FloodActive: ld(&c.flood_active) != 0,
		NodestExpired: ld(&c.nodest_expired), Templates: ld(&c.templates),
		SyncEmitted: ld(&c.sync_emitted), SyncRingFull: ld(&c.sync_ring_full),
		SyncInserted: ld(&c.sync_inserted), SyncUpdated: ld(&c.sync_updated),
	}
	for i := range s.KernelFull {
		s.KernelFull[i] = ld(&c.kernel_full[i])
	}
	for i := range s.SyncRejected {
		s.SyncRejected[i] = ld(&c.sync_rejected[i])
	}
	for i := range s.PollGaps {
		s.PollGaps[i] = ld(&c.poll_gaps[i])
	}
	for i := range s.MethodPkts {
		s.MethodPkts[i] = ld(&c.method[i].pkts)
		s.MethodBytes[i] = ld(&c.method[i].bytes)
	}
	for i := range s.Punted {
		s.Punted[i] = ld(&c.punted[i])
	}
	for i := range s.Drops {
		s.Drops[i] = ld(&c.drops[i])
	}
	return s
}

// Traffic is a read-out of a service's or a real server's counters.
type Traffic struct {
	Conns, InPkts, OutPkts, InBytes, OutBytes, Active, Inactive uint64
}

// Add sums o into t.
func (t *Traffic) Add(o Traffic) {
	t.Conns += o.Conns
	t.InPkts += o.InPkts
	t.OutPkts += o.OutPkts
	t.InBytes += o.InBytes
	t.OutBytes += o.OutBytes
	t.Active += o.Active
	t.Inactive += o.Inactive
}

func readTraffic(c *C.struct_fp_traffic) Traffic {
	return Traffic{
		Conns: ld(&c.conns), InPkts: ld(&c.pkts[0]), OutPkts: ld(&c.pkts[1]),
		InBytes: ld(&c.bytes[0]), OutBytes: ld(&c.bytes[1]), Active: ld(&c.active), Inactive: ld(&c.inactive),
	}
}

// Service reads the counters of the service with counter id id.
func (k Counters) Service(id uint16) Traffic {
	if int(id) >= MaxServices {
		return Traffic{}
	}
	return readTraffic(&k.c.svc[id])
}

// RealServer reads the counters of the real server with counter id id.
func (k Counters) RealServer(id uint16) Traffic {
	if int(id) >= MaxRealServers {
		return Traffic{}
	}
	return readTraffic(&k.c.rs[id])
}
