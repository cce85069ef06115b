package fastpath

/*
#include "fp_snapshot.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Port is one port of a snapshot. Addresses are IPv4 in host byte order.
type Port struct {
	IP, Net, Mask, Gateway uint32
	DPDKID                 uint16
	MTU                    uint16
	MAC                    [6]byte
	Kernel                 bool // a kernel interface takes what is for the director itself
	// VirtualMACs are accepted as destination besides MAC under
	// mac_filter (VRRP's virtual router MACs), at most MaxVirtualMACs.
	VirtualMACs [][6]byte
}

// Dest is one real server of a service, its route already computed.
type Dest struct {
	IP, NextHop, Weight uint32
	Port                uint16
	ID                  uint16 // stable counter id, < MaxRealServers
	Method              uint8  // lb.Method values
	OutPort             uint8
	// Upper and Lower are the connection thresholds on each lcore (IPVS's
	// -x and -y): at Upper connections the server gets no new ones until
	// it has fewer than Lower. Upper 0: none; Lower <= Upper.
	Upper, Lower uint32
}

// SchedKind says how the lcores read a service's scheduler table.
type SchedKind uint8

const (
	// SchedSeq replays Table, a precomputed cycle of dest indices.
	SchedSeq SchedKind = C.FP_SCHED_SEQ
	// SchedWRRStep steps IPVS's wrr at pick time over Table, the
	// gcd-normalised weights (one per dest), whose largest is WRRMax.
	SchedWRRStep SchedKind = C.FP_SCHED_WRR_STEP
	// The least-connection family and fo, ovf, twos: no Table, picked
	// from the weights and the lcore's own connection counts.
	SchedLC   SchedKind = C.FP_SCHED_LC
	SchedWLC  SchedKind = C.FP_SCHED_WLC
	SchedSED  SchedKind = C.FP_SCHED_SED
	SchedNQ   SchedKind = C.FP_SCHED_NQ
	SchedFO   SchedKind = C.FP_SCHED_FO
	SchedOVF  SchedKind = C.FP_SCHED_OVF
	SchedTwoS SchedKind = C.FP_SCHED_TWOS
	// Hash tables of dest indices (SchedNoDest: none): SchedSH and SchedDH
	// have SchedHashBuckets entries, SchedMH a prime number.
	SchedSH SchedKind = C.FP_SCHED_SH
	SchedDH SchedKind = C.FP_SCHED_DH
	SchedMH SchedKind = C.FP_SCHED_MH
	// Locality-based: per-lcore caches of a destination's server(s).
	SchedLBLC  SchedKind = C.FP_SCHED_LBLC
	SchedLBLCR SchedKind = C.FP_SCHED_LBLCR
)

// Sizes and markers of the hash schedulers' tables.
const (
	SchedHashBuckets = C.FP_SCHED_HASH_BUCKETS
	SchedMHMax       = C.FP_SCHED_MH_MAX
	SchedNoDest      = C.FP_SCHED_NO_DEST
)

// Service is one virtual service of a snapshot.
type Service struct {
	VIP       uint32
	Port      uint16
	Proto     uint8
	ID        uint16 // stable counter id, < MaxServices
	VIPPort   uint8  // port that owns the VIP
	Dests     []Dest
	SchedKind SchedKind
	Table     []uint32
	WRRMax    uint32
	// SchedFallback: a hash bucket whose dest has weight 0 gives way to
	// the next one (sh-fallback, mh-fallback); SchedPort: the client's
	// port is hashed too (sh-port, mh-port).
	SchedFallback, SchedPort bool
	// ExpireNodestConn removes a connection whose real server is no
	// longer in the snapshot at its next client packet (IPVS's
	// expire_nodest_conn); without it such packets are only dropped.
	ExpireNodestConn bool
	// Standby: the VIP's VRRP instance is not MASTER here, so nothing to
	// the VIP is answered or forwarded (drop vip_standby). Set on every
	// service of the VIP.
	Standby bool
	// PersistMs is how long a persistence template outlives the last
	// connection it gave a server (0: not persistent); PersistMask the
	// client network a template is for (client & mask).
	PersistMs, PersistMask uint32
	// ExpireQuiescent: a template whose server has weight 0 is replaced
	// rather than followed (IPVS's expire_quiescent_template).
	ExpireQuiescent bool
	// OnePacket schedules every datagram anew and keeps no connection
	// (UDP only).
	OnePacket bool
	// PersistGroup > 0: the services of the VIP with the same group share
	// their templates, which pin a server address.
	PersistGroup uint16
}

// RPFilter is the reverse-path check on ingress (enum fp_rp_filter).
type RPFilter uint8

const (
	RPStrict RPFilter = C.FP_RP_STRICT // the source routes back out of the receiving port
	RPLoose  RPFilter = C.FP_RP_LOOSE  // ... out of some port
	RPOff    RPFilter = C.FP_RP_OFF
)

// Security is the snapshot's ingress rules and flood defence (struct
// fp_security); its defaults are the configuration's.
type Security struct {
	RPFilter      RPFilter
	MACFilter     bool   // only frames to our unicast MAC (broadcast: ARP)
	RSTCheck      bool   // client RSTs must be near the sequence seen
	ICMPRate      uint32 // ICMP errors we originate, per second per lcore
	ICMPBurst     uint32
	FloodPct      uint32 // table use (%) above which half-open entries give way
	FloodSynMs    uint32 // SYN_RECV timeout then
	SrcLimit      uint32 // new connections per second per source prefix per lcore; 0: off
	SrcPrefixBits uint8
}

// SnapshotSpec is everything a snapshot holds.
type SnapshotSpec struct {
	Gen      uint64
	Ports    []Port
	Services []Service
	Timeouts Timeouts
	Security Security
	Sync     SyncRules
}

// SyncRules are IPVS's sync_threshold and sync_period: a connection is
// synced when its client packets % Period == Threshold (Period 0: once,
// when they reach Threshold).
type SyncRules struct {
	Threshold, Period uint8
}

// Snapshot is a compiled configuration in C memory, as the lcores read it.
// It is immutable once built; Free it only after no lcore can see it.
type Snapshot struct {
	ptr *C.struct_fp_snapshot
	mem Memory
}

// Gen is the generation the snapshot was built for.
func (s *Snapshot) Gen() uint64 { return uint64(s.ptr.gen) }

// Free releases the snapshot's memory.
func (s *Snapshot) Free() {
	if s.ptr != nil {
		s.mem.Free(unsafe.Pointer(s.ptr))
		s.ptr = nil
	}
}

func align(n, a uintptr) uintptr { return (n + a - 1) &^ (a - 1) }

func cbool(b bool) C.uint8_t {
	if b {
		return 1
	}
	return 0
}

// snapshotLayout is where each array goes in the block.
type snapshotLayout struct {
	services, dests, sched, svcSlots, vipSlots, size uintptr
	nDests, nSched, nSlots                           int
}

func layoutFor(spec *SnapshotSpec) snapshotLayout {
	var l snapshotLayout
	for _, sv := range spec.Services {
		l.nDests += len(sv.Dests)
		l.nSched += len(sv.Table)
	}
	l.nSlots = 16
	for l.nSlots < 2*len(spec.Services) {
		l.nSlots <<= 1
	}
	off := align(unsafe.Sizeof(C.struct_fp_snapshot{}), 8)
	next := func(n uintptr) uintptr {
		at := off
		off = align(off+n, 8)
		return at
	}
	l.services = next(uintptr(len(spec.Services)) * unsafe.Sizeof(C.struct_fp_service{}))
	l.dests = next(uintptr(l.nDests) * unsafe.Sizeof(C.struct_fp_dest{}))
	l.sched = next(uintptr(l.nSched) * 4)
	l.svcSlots = next(uintptr(l.nSlots) * 4)
	l.vipSlots = next(uintptr(l.nSlots) * 8)
	l.size = off
	return l
}

// BuildSnapshot lays spec out as C structs in memory from mem and builds
// its lookup indexes. Errors are layout problems the caller's validation
// should have caught first (they name the limit).
func BuildSnapshot(spec *SnapshotSpec, mem Memory, socket int) (*Snapshot, error) {
	if len(spec.Ports) == 0 || len(spec.Ports) > MaxPorts {
		return nil, fmt.Errorf("snapshot: %d ports, want 1..%d", len(spec.Ports), MaxPorts)
	}
	if len(spec.Services) > MaxServices {
		return nil, fmt.Errorf("snapshot: %d services, at most %d", len(spec.Services), MaxServices)
	}
	for i, p := range spec.Ports {
		if len(p.VirtualMACs) > MaxVirtualMACs {
			return nil, fmt.Errorf("snapshot: port %d has %d virtual MACs, at most %d", i, len(p.VirtualMACs), MaxVirtualMACs)
		}
	}
	l := layoutFor(spec)
	if l.size > 1<<31 {
		return nil, fmt.Errorf("snapshot: %d bytes is too large", l.size)
	}
	p, err := mem.Alloc(fmt.Sprintf("govs_snap_%d", spec.Gen), l.size, socket)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %d bytes: %w", l.size, err)
	}
	s := &Snapshot{ptr: (*C.struct_fp_snapshot)(p), mem: mem}
	fill(s.ptr, spec, &l)
	if r := C.fp_snapshot_index(s.ptr); r != 0 {
		s.Free()
		return nil, fmt.Errorf("snapshot: inconsistent layout (a scheduler table, counter id or port index out of range, or a duplicate service)")
	}
	return s, nil
}

func fill(h *C.struct_fp_snapshot, spec *SnapshotSpec, l *snapshotLayout) {
	base := unsafe.Pointer(h)
	h.gen = C.uint64_t(spec.Gen)
	h.size = C.uint32_t(l.size)
	h.n_ports = C.uint16_t(len(spec.Ports))
	h.n_services = C.uint32_t(len(spec.Services))
	h.n_dests = C.uint32_t(l.nDests)
	h.n_sched = C.uint32_t(l.nSched)
	h.n_slots = C.uint32_t(l.nSlots)
	for i, t := range spec.Timeouts {
		h.timeouts_ms[i] = C.uint32_t(t)
	}
	h.sync_threshold, h.sync_period = C.uint8_t(spec.Sync.Threshold), C.uint8_t(spec.Sync.Period)
	sec := &spec.Security
	h.sec.rp_filter, h.sec.mac_filter, h.sec.rst_check = C.uint8_t(sec.RPFilter), cbool(sec.MACFilter), cbool(sec.RSTCheck)
	h.sec.icmp_rate, h.sec.icmp_burst = C.uint32_t(sec.ICMPRate), C.uint32_t(sec.ICMPBurst)
	h.sec.flood_pct, h.sec.flood_syn_ms = C.uint32_t(sec.FloodPct), C.uint32_t(sec.FloodSynMs)
	h.sec.src_limit, h.sec.src_prefix = C.uint32_t(sec.SrcLimit), C.uint8_t(sec.SrcPrefixBits)
	h.off_services = C.uint32_t(l.services)
	h.off_dests = C.uint32_t(l.dests)
	h.off_sched = C.uint32_t(l.sched)
	h.off_svc_slots = C.uint32_t(l.svcSlots)
	h.off_vip_slots = C.uint32_t(l.vipSlots)
	for i, p := range spec.Ports {
		cp := &h.ports[i]
		cp.ip, cp.net, cp.mask, cp.gateway = C.uint32_t(p.IP), C.uint32_t(p.Net), C.uint32_t(p.Mask), C.uint32_t(p.Gateway)
		cp.dpdk_id, cp.mtu, cp.kernel = C.uint16_t(p.DPDKID), C.uint16_t(p.MTU), cbool(p.Kernel)
		for j, b := range p.MAC {
			cp.mac[j] = C.uint8_t(b)
		}
		vm := &h.vmacs[i]
		vm.n = C.uint8_t(len(p.VirtualMACs))
		for j, mac := range p.VirtualMACs {
			for k, b := range mac {
				vm.mac[j][k] = C.uint8_t(b)
			}
		}
	}
	svcs := unsafe.Slice((*C.struct_fp_service)(unsafe.Add(base, l.services)), len(spec.Services))
	dests := unsafe.Slice((*C.struct_fp_dest)(unsafe.Add(base, l.dests)), l.nDests)
	sched := unsafe.Slice((*C.uint32_t)(unsafe.Add(base, l.sched)), l.nSched)
	nd, ns := 0, 0
	for i, sv := range spec.Services {
		c := &svcs[i]
		c.vip, c.port, c.proto = C.uint32_t(sv.VIP), C.uint16_t(sv.Port), C.uint8_t(sv.Proto)
		c.sched_kind, c.id, c.vip_port = C.uint8_t(sv.SchedKind), C.uint16_t(sv.ID), C.uint8_t(sv.VIPPort)
		c.first_dest, c.n_dests = C.uint32_t(nd), C.uint32_t(len(sv.Dests))
		c.sched_off, c.sched_len, c.wrr_max = C.uint32_t(ns), C.uint32_t(len(sv.Table)), C.uint32_t(sv.WRRMax)
		c.flags = 0
		if sv.ExpireNodestConn {
			c.flags |= C.FP_SVC_F_EXPIRE_NODEST
		}
		if sv.Standby {
			c.flags |= C.FP_SVC_F_STANDBY
		}
		if sv.SchedFallback {
			c.flags |= C.FP_SVC_F_SCHED_FALLBACK
		}
		if sv.SchedPort {
			c.flags |= C.FP_SVC_F_SCHED_PORT
		}
		if sv.ExpireQuiescent {
			c.flags |= C.FP_SVC_F_EXPIRE_QUIESCENT
		}
		if sv.OnePacket {
			c.flags |= C.FP_SVC_F_ONE_PACKET
		}
		c.persist_ms, c.persist_mask, c.persist_group = C.uint32_t(sv.PersistMs), C.uint32_t(sv.PersistMask), C.uint16_t(sv.PersistGroup)
		for _, d := range sv.Dests {
			cd := &dests[nd]
			cd.ip, cd.next_hop, cd.weight = C.uint32_t(d.IP), C.uint32_t(d.NextHop), C.uint32_t(d.Weight)
			cd.port, cd.id, cd.method, cd.out_port = C.uint16_t(d.Port), C.uint16_t(d.ID), C.uint8_t(d.Method), C.uint8_t(d.OutPort)
			cd.upper, cd.lower = C.uint32_t(d.Upper), C.uint32_t(d.Lower)
			if d.Upper != 0 {
				c.flags |= C.FP_SVC_F_THRESHOLDS
			}
			nd++
		}
		for _, e := range sv.Table {
			sched[ns] = C.uint32_t(e)
			ns++
		}
	}
}
