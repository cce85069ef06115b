package dataplane

import (
	"net/netip"

	dpdk "github.com/govs-project/govs/cgo"
	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/slowpath"
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
	IP    netip.Addr
	MAC   [6]byte
	Port  string
	State slowpath.State
	Held  int // packets waiting for its MAC
}

// Neighbors lists the neighbour table.
func (dp *Dataplane) Neighbors() []NeighborStatus {
	var out []NeighborStatus
	for _, e := range dp.slow.sp.Entries() {
		ns := NeighborStatus{IP: u32Addr(e.IP), MAC: e.MAC, State: e.State, Held: e.Held}
		if e.Port >= 0 && e.Port < len(dp.ports) {
			ns.Port = dp.ports[e.Port].name
		}
		out = append(out, ns)
	}
	return out
}

// SlowPath reports the slow path's counters (ARP, neighbours, held packets).
func (dp *Dataplane) SlowPath() slowpath.Stats { return dp.slow.sp.Stats() }

// TrafficStats is a read-out of a service's or real server's counters,
// summed over lcores.
type TrafficStats = fastpath.Traffic

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

// Services reports the services of the running configuration.
func (dp *Dataplane) Services() []ServiceStatus {
	c := dp.cur.Load()
	if c == nil {
		return nil
	}
	out := make([]ServiceStatus, 0, len(c.services))
	for _, sv := range c.services {
		st := ServiceStatus{Name: sv.name, VIP: u32Addr(sv.vip), Proto: sv.proto, Port: sv.port, Scheduler: sv.scheduler}
		for _, w := range dp.workers {
			st.Stats.Add(w.Counters().Service(sv.id))
		}
		for _, d := range sv.dests {
			ds := DestStatus{Addr: u32Addr(d.ip), Port: d.port, Method: d.method, Weight: d.weight}
			for _, w := range dp.workers {
				ds.Stats.Add(w.Counters().RealServer(d.id))
			}
			st.Dests = append(st.Dests, ds)
		}
		out = append(out, st)
	}
	return out
}

// LcoreStatus is one worker's counters.
type LcoreStatus struct {
	Lcore uint
	fastpath.LcoreStats
}

// Lcores reports per-worker counters.
func (dp *Dataplane) Lcores() []LcoreStatus {
	out := make([]LcoreStatus, len(dp.workers))
	for i, w := range dp.workers {
		out[i] = LcoreStatus{Lcore: dp.lcores[i], LcoreStats: w.Counters().Lcore()}
	}
	return out
}
