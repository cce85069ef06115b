package daemon

import (
	"net"
	"sort"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/dataplane"
	"github.com/govs-project/govs/dataplane/slowpath"
)

// The Daemon is the admin API's and the metrics' Source. Each method reads
// the dataplane inside withDataplane and converts outside it; once the
// dataplane is stopped it reports only what the daemon itself knows.

// Status reports readiness, ports and neighbours.
func (d *Daemon) Status() admin.Status {
	st := admin.Status{ConfigFile: d.path}
	for _, w := range d.cfg.Load().EAL.Workers() {
		st.Workers = append(st.Workers, uint(w))
	}
	var ports []dataplane.PortStatus
	var neighbors []dataplane.NeighborStatus
	var kernel []dataplane.KernelStatus
	d.withDataplane(func() {
		st.Ready, st.Generation = d.ready.Load(), d.dp.Generation()
		ports, neighbors, kernel = d.dp.Ports(), d.dp.Neighbors(), d.dp.KernelInterfaces()
	})
	for _, k := range kernel {
		st.Kernel = append(st.Kernel, admin.KernelInterface{Name: k.Name, Port: k.Port,
			ToKernel:   admin.KernelTraffic{Packets: k.ToKernel.Packets, Bytes: k.ToKernel.Bytes, Drops: k.ToKernel.Drops},
			FromKernel: admin.KernelTraffic{Packets: k.FromKernel.Packets, Bytes: k.FromKernel.Bytes, Drops: k.FromKernel.Drops}})
	}
	for _, p := range ports {
		st.Ports = append(st.Ports, admin.PortStatus{
			Name: p.Name, Device: p.Device, Address: p.Addr.String(), MAC: net.HardwareAddr(p.MAC[:]).String(), LinkUp: p.LinkUp,
			RxPackets: p.Stats.IPackets, TxPackets: p.Stats.OPackets, RxBytes: p.Stats.IBytes, TxBytes: p.Stats.OBytes,
			RxMissed: p.Stats.IMissed, RxErrors: p.Stats.IErrors, TxErrors: p.Stats.OErrors, RxNoMbuf: p.Stats.RxNoMbuf,
		})
	}
	for _, n := range neighbors {
		an := admin.Neighbor{IP: n.IP.String(), Port: n.Port, State: n.State.String(), Held: n.Held}
		if n.State != slowpath.StateIncomplete {
			an.MAC = net.HardwareAddr(n.MAC[:]).String()
		}
		st.Neighbors = append(st.Neighbors, an)
	}
	sort.Slice(st.Neighbors, func(i, j int) bool { return st.Neighbors[i].IP < st.Neighbors[j].IP })
	return st
}

func counters(t dataplane.TrafficStats) admin.Counters {
	return admin.Counters{Conns: t.Conns, InPkts: t.InPkts, OutPkts: t.OutPkts, InBytes: t.InBytes, OutBytes: t.OutBytes}
}

// Services reports the virtual services with their counters.
func (d *Daemon) Services() []admin.Service {
	var services []dataplane.ServiceStatus
	d.withDataplane(func() { services = d.dp.Services() })
	var out []admin.Service
	for _, s := range services {
		as := admin.Service{Name: s.Name, VIP: s.VIP.String(), Protocol: config.Protocol(s.Proto).String(), Port: s.Port, Scheduler: s.Scheduler, Stats: counters(s.Stats)}
		for _, ds := range s.Dests {
			as.RealServers = append(as.RealServers, admin.RealServer{
				Address: ds.Addr.String(), Port: ds.Port, Method: ds.Method.String(), Weight: ds.Weight,
				ActiveConns: ds.Stats.Active, InactiveConns: ds.Stats.Inactive, Stats: counters(ds.Stats),
			})
		}
		out = append(out, as)
	}
	if d.health != nil {
		out = withHealth(out, d.cfg.Load(), d.health.Servers(), d.log)
	}
	out = withOptions(out, d.cfg.Load())
	return withOverrides(out, d.overrides.snapshot())
}

// Stats reports per-lcore counters and drops by reason.
func (d *Daemon) Stats() admin.Stats {
	var lcores []dataplane.LcoreStatus
	var slow slowpath.Stats
	d.withDataplane(func() { lcores, slow = d.dp.Lcores(), d.dp.SlowPath() })
	st := admin.Stats{Drops: map[string]uint64{}, SlowPath: slow}
	for _, l := range lcores {
		ls := admin.LcoreStats{Lcore: l.Lcore, RxPackets: l.RxPkts, TxPackets: l.TxPkts, Conns: l.Live, Templates: l.Templates, ConnsCreated: l.Created, Drops: map[string]uint64{},
			Methods: map[string]admin.MethodStats{}, Encapsulated: l.Encapsulated, FragNeededSent: l.FragNeededSent, MaxPollGapUs: l.MaxPollGapNs / 1000,
			Reused: l.Reused, Injected: l.Injected, Punted: map[string]uint64{},
			InboxPackets: l.InboxPkts, Forwarded: l.Forwarded, Answered: l.Answered, Redirected: l.Redirected,
			TimeExceededSent: l.TimeExceededSent, ICMPRateLimited: l.ICMPRateLimited, InjectFailed: l.InjectFailed,
			Evicted: l.Evicted, NodestExpired: l.NodestExpired, FloodActive: l.FloodActive}
		for r, n := range l.Punted {
			ls.Punted[dataplane.Punt(r).String()] = n
		}
		ls.PollGapsOver = map[string]uint64{}
		for i, t := range dataplane.PollGapThresholds {
			ls.PollGapsOver[time.Duration(t).String()] = l.PollGaps[i]
		}
		for m := range l.MethodPkts {
			ls.Methods[dataplane.Method(m).String()] = admin.MethodStats{Packets: l.MethodPkts[m], Bytes: l.MethodBytes[m]}
		}
		for r, n := range l.Drops {
			if n == 0 || dataplane.Drop(r) == 0 {
				continue
			}
			name := dataplane.Drop(r).String()
			ls.Drops[name] = n
			st.Drops[name] += n
		}
		st.Lcores = append(st.Lcores, ls)
	}
	return st
}
