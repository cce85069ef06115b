package daemon

import (
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/dataplane"
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
		NeighCapacity: d.NeighborTableSize,
		FlowAffinity:  flowAffinity(d.FlowAffinity),
		// only AffinityPrefix reads it
		FlowAffinityBits: d.FlowAffinityPrefix,
		SyncRing:         syncRing(c),
	}
}

// syncRingRecords is each worker's sync ring (both ways): 2 MiB each, at
// the lcore's emit rate tens of milliseconds of the pump being late.
const syncRingRecords = 1 << 16

func syncRing(c *config.Config) int {
	if c.Sync.Enabled {
		return syncRingRecords
	}
	return 0
}

// spec maps ports, services and timeouts to the dataplane's model.
func spec(c *config.Config) *dataplane.Spec {
	s := &dataplane.Spec{Timeouts: timeouts(c.Timeouts), Security: security(c.Security), ARPAccept: c.Security.ARPAccept,
		Sync: dataplane.SyncRules{Threshold: uint8(c.Sync.Threshold), Period: uint8(c.Sync.Period)}}
	for _, p := range c.Ports {
		ps := dataplane.PortSpec{Name: p.Name, Device: p.Device, Addr: p.Address, Gateway: p.Gateway, MTU: p.MTU,
			Kernel: dataplane.KernelSpec{Enabled: p.Kernel.Enabled, Name: p.Kernel.Name}}
		for _, n := range p.StaticNeighbors {
			ps.Static = append(ps.Static, dataplane.StaticNeighbor{Addr: n.Address, MAC: [6]byte(n.MAC)})
		}
		s.Ports = append(s.Ports, ps)
	}
	for _, sv := range c.Services {
		ss := dataplane.ServiceSpec{Name: sv.Name, VIP: sv.VIP, Proto: uint8(sv.Protocol), Port: sv.Port, Scheduler: sv.Scheduler,
			SchedulerFlags: sv.SchedulerFlags, MHTableSize: sv.MHTableSize, ExpireNodestConn: sv.ExpireNodestConn,
			Persistence: sv.PersistenceTimeout, PersistenceBits: sv.PersistenceGranularity,
			ExpireQuiescentTemplate: sv.ExpireQuiescentTemplate, OnePacket: sv.OnePacket, PersistenceGroup: sv.PersistenceGroup}
		for _, rs := range sv.RealServers {
			ss.Dests = append(ss.Dests, destSpec(rs))
		}
		s.Services = append(s.Services, ss)
	}
	return s
}

// flowAffinity maps dataplane.flow_affinity (validated) to the dataplane's.
func flowAffinity(a string) dataplane.FlowAffinity {
	switch a {
	case config.AffinityAddress:
		return dataplane.AffinityAddress
	case config.AffinityPrefix:
		return dataplane.AffinityPrefix
	}
	return dataplane.AffinityAddressPort
}

// timeouts takes every state's timeout from the configuration, which fills
// all eleven (defaults included), so none silently comes from the dataplane;
// NONE is IPVS's fixed value, defined with the other defaults.
func timeouts(t config.Timeouts) dataplane.Timeouts {
	ms := func(d time.Duration) uint32 { return uint32(d / time.Millisecond) }
	return dataplane.Timeouts{
		dataplane.StateNone:        ms(config.NoneTimeout),
		dataplane.StateEstablished: ms(t.TCPEstablished),
		dataplane.StateSynSent:     ms(t.TCPSynSent),
		dataplane.StateSynRecv:     ms(t.TCPSynRecv),
		dataplane.StateFinWait:     ms(t.TCPFinWait),
		dataplane.StateTimeWait:    ms(t.TCPTimeWait),
		dataplane.StateClose:       ms(t.TCPClose),
		dataplane.StateCloseWait:   ms(t.TCPCloseWait),
		dataplane.StateLastAck:     ms(t.TCPLastAck),
		dataplane.StateListen:      ms(t.TCPListen),
		dataplane.StateSynAck:      ms(t.TCPSynAck),
		dataplane.StateUDP:         ms(t.UDP),
	}
}

// security maps the configuration's security section to the fast path's.
func security(s config.Security) dataplane.Security {
	rp := map[string]dataplane.RPFilter{config.RPStrict: dataplane.RPStrict, config.RPLoose: dataplane.RPLoose, config.RPOff: dataplane.RPOff}
	return dataplane.Security{
		RPFilter: rp[s.RPFilter], MACFilter: s.MACFilter, RSTCheck: s.RSTCheck,
		ICMPRate: uint32(s.ICMPRate), ICMPBurst: uint32(s.ICMPBurst),
		FloodPct: uint32(s.FloodThreshold), FloodSynMs: uint32(s.FloodSynRecv / time.Millisecond),
		SrcLimit: uint32(s.SourceLimit), SrcPrefixBits: uint8(s.SourcePrefix),
	}
}
