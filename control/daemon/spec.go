package daemon

import (
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/dataplane"
	"github.com/govs-project/govs/dataplane/conntrack"
)

// options maps the start-time part of the configuration to the dataplane.
func options(c *config.Config) dataplane.Options {
	d := c.Dataplane
	return dataplane.Options{
		EALArgs:       c.EALArgs(),
		ConnTableSize: d.ConnTableSize,
		Mbufs:         d.Mbufs,
		MbufDataRoom:  d.MbufDataRoom,
		Burst:         d.Burst,
		RxDesc:        d.RxDesc,
		TxDesc:        d.TxDesc,
		IdleBackoff:   d.IdleBackoff,
		IdleSleepMax:  d.IdleSleepMax,
	}
}

// spec maps ports, services and timeouts to the dataplane's model.
func spec(c *config.Config) *dataplane.Spec {
	s := &dataplane.Spec{Timeouts: timeouts(c.Timeouts)}
	for _, p := range c.Ports {
		ps := dataplane.PortSpec{Name: p.Name, Device: p.Device, Addr: p.Address, Gateway: p.Gateway, MTU: p.MTU}
		for _, n := range p.StaticNeighbors {
			ps.Static = append(ps.Static, dataplane.StaticNeighbor{Addr: n.Address, MAC: [6]byte(n.MAC)})
		}
		s.Ports = append(s.Ports, ps)
	}
	for _, sv := range c.Services {
		ss := dataplane.ServiceSpec{Name: sv.Name, VIP: sv.VIP, Proto: uint8(sv.Protocol), Port: sv.Port, Scheduler: sv.Scheduler}
		for _, rs := range sv.RealServers {
			ss.Dests = append(ss.Dests, dataplane.DestSpec{Addr: rs.Address, Port: rs.Port, Weight: rs.Weight, Method: rs.Method})
		}
		s.Services = append(s.Services, ss)
	}
	return s
}

func timeouts(t config.Timeouts) conntrack.Timeouts {
	out := conntrack.DefaultTimeouts
	set := func(state uint8, d time.Duration) {
		if d > 0 {
			out[state] = uint32(d / time.Millisecond)
		}
	}
	set(conntrack.StateEstablished, t.TCPEstablished)
	set(conntrack.StateSynSent, t.TCPSynSent)
	set(conntrack.StateSynRecv, t.TCPSynRecv)
	set(conntrack.StateFinWait, t.TCPFinWait)
	set(conntrack.StateTimeWait, t.TCPTimeWait)
	set(conntrack.StateClose, t.TCPClose)
	set(conntrack.StateCloseWait, t.TCPCloseWait)
	set(conntrack.StateLastAck, t.TCPLastAck)
	set(conntrack.StateListen, t.TCPListen)
	set(conntrack.StateSynAck, t.TCPSynAck)
	set(conntrack.StateUDP, t.UDP)
	return out
}
