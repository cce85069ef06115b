package daemon

import (
	"net"
	"net/netip"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
)

// withOptions adds to the listed services the IPVS options they were
// configured with (scheduler flags, persistence, one-packet scheduling,
// thresholds): what ipvsadm -Ln and -Sn show, which the dataplane's
// status does not carry.
func withOptions(out []admin.Service, cfg *config.Config) []admin.Service {
	type key struct {
		proto, vip string
		port       uint16
	}
	byKey := make(map[key]*config.Service, len(cfg.Services))
	for i := range cfg.Services {
		s := &cfg.Services[i]
		byKey[key{s.Protocol.String(), s.VIP.String(), s.Port}] = s
	}
	for i := range out {
		as := &out[i]
		cs := byKey[key{as.Protocol, as.VIP, as.Port}]
		if cs == nil {
			continue
		}
		as.SchedulerFlags = cs.SchedulerFlags
		as.OnePacket = cs.OnePacket
		as.PersistenceGroup = cs.PersistenceGroup
		if cs.PersistenceTimeout > 0 {
			as.PersistenceTimeout = cs.PersistenceTimeout.Seconds()
			if g := cs.PersistenceGranularity; g > 0 && g < 32 {
				as.PersistenceMask = net.IP(net.CIDRMask(g, 32)).String()
			}
		}
		thresholds := map[netip.AddrPort]config.RealServer{}
		for _, rs := range cs.RealServers {
			thresholds[netip.AddrPortFrom(rs.Address, rs.Port)] = rs
		}
		for j := range as.RealServers {
			ar := &as.RealServers[j]
			addr, err := netip.ParseAddr(ar.Address)
			if err != nil {
				continue
			}
			if rs, ok := thresholds[netip.AddrPortFrom(addr, ar.Port)]; ok {
				ar.UpperThreshold, ar.LowerThreshold = rs.UpperThreshold, rs.LowerThreshold
			}
		}
	}
	return out
}
