package dataplane

import (
	"net/netip"

	dpdk "github.com/govs-project/govs/cgo"
	"github.com/govs-project/govs/dataplane/conntrack"
)

// PortStatus is a port as the control plane reports it.
type PortStatus struct {
	Name, Device string
	Addr         netip.Prefix
	MAC          [6]byte
	LinkUp       bool
	Stats        dpdk.PortStats
}

// Ports reports the ports with their link state and hardware counters.
func (dp *Dataplane) Ports() []PortStatus {
	out := make([]PortStatus, len(dp.ports))
	for i, p := range dp.ports {
		up, _, _ := dpdk.LinkStatus(p.dpdk)
		st, _ := dpdk.Stats(p.dpdk)
		out[i] = PortStatus{Name: p.name, Device: dp.specs[i].Device, Addr: dp.specs[i].Addr, MAC: p.mac, LinkUp: up, Stats: st}
	}
	return out
}

// NeighborStatus is one neighbour table entry.
type NeighborStatus struct {
	IP       netip.Addr
	MAC      [6]byte
	Port     string
	Resolved bool
	Static   bool
}

// Neighbors lists the neighbour table.
func (dp *Dataplane) Neighbors() []NeighborStatus {
	var out []NeighborStatus
	for _, e := range dp.neigh.Entries() {
		ns := NeighborStatus{IP: u32Addr(e.IP), MAC: e.MAC, Resolved: e.Resolved, Static: e.Static}
		if e.Port >= 0 && e.Port < len(dp.ports) {
			ns.Port = dp.ports[e.Port].name
		}
		out = append(out, ns)
	}
	return out
}

// DestStatus is a real server with its counters summed over lcores.
type DestStatus struct {
	Addr   netip.Addr
	Port   uint16
	Method Method
	Weight uint32
	Stats  TrafficStats
}

// ServiceStatus is a virtual service with its counters summed over lcores.
type ServiceStatus struct {
	Name      string
	VIP       netip.Addr
	Proto     uint8
	Port      uint16
	Scheduler string
	Stats     TrafficStats
	Dests     []DestStatus
}

// Services reports the services of the running snapshot.
func (dp *Dataplane) Services() []ServiceStatus {
	s := dp.snap.Load()
	if s == nil {
		return nil
	}
	out := make([]ServiceStatus, 0, len(s.services))
	for _, sv := range s.services {
		st := ServiceStatus{Name: sv.name, VIP: u32Addr(sv.vip), Proto: sv.proto, Port: sv.port, Scheduler: sv.scheduler.Name()}
		for _, l := range dp.loops {
			st.Stats.addFrom(&l.w.cnt.svc[sv.id])
		}
		for _, d := range sv.dests {
			ds := DestStatus{Addr: u32Addr(d.ip), Port: d.port, Method: d.method, Weight: d.weight}
			for _, l := range dp.loops {
				ds.Stats.addFrom(&l.w.cnt.rs[d.id])
			}
			st.Dests = append(st.Dests, ds)
		}
		out = append(out, st)
	}
	return out
}

// LcoreStatus is one worker's counters.
type LcoreStatus struct {
	Lcore                                      uint
	RxPkts, TxPkts, Created, Redirected, Conns uint64
	Encapsulated, FragNeededSent, MaxLoopGapNs uint64
	MethodPkts, MethodBytes                    [numMethods]uint64 // indexed by Method
	PollGaps                                   [len(PollGapThresholds)]uint64
	Drops                                      [NumDrops]uint64
}

// Lcores reports per-worker counters.
func (dp *Dataplane) Lcores() []LcoreStatus {
	out := make([]LcoreStatus, len(dp.loops))
	for i, l := range dp.loops {
		c := l.w.cnt
		ls := LcoreStatus{Lcore: dp.workers[i], RxPkts: load(&c.rxPkts), TxPkts: load(&c.txPkts), Created: load(&c.created), Redirected: load(&c.redirected), Conns: load(&c.live),
			Encapsulated: load(&c.encapsulated), FragNeededSent: load(&c.fragNeededSent), MaxLoopGapNs: load(&c.maxLoopGapNs)}
		for i := range c.pollGaps {
			ls.PollGaps[i] = load(&c.pollGaps[i])
		}
		for m := range c.method {
			ls.MethodPkts[m] = load(&c.method[m].pkts)
			ls.MethodBytes[m] = load(&c.method[m].bytes)
		}
		for d := range c.drops {
			ls.Drops[d] = load(&c.drops[d])
		}
		out[i] = ls
	}
	return out
}

// StateName is the IPVS name of a connection state, for listings.
func StateName(s uint8) string { return conntrack.StateName(s) }
