package daemon

import (
	"net/netip"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/connsync"
)

func newSyncServices(cfg *config.Config) *syncServices {
	ss := &syncServices{cfg: cfg, dests: map[svcKey]map[netip.AddrPort]bool{}, groups: map[netip.Addr]bool{}}
	for _, sv := range cfg.Services {
		k := svcKey{vip: sv.VIP, proto: uint8(sv.Protocol), port: sv.Port}
		ds := map[netip.AddrPort]bool{}
		for _, rs := range sv.RealServers {
			ds[netip.AddrPortFrom(rs.Address, rs.Port)] = true
		}
		if sv.SorryServer != nil {
			ds[netip.AddrPortFrom(sv.SorryServer.Address, sv.SorryServer.Port)] = true
		}
		ss.dests[k] = ds
		if sv.PersistenceGroup != "" {
			ss.groups[sv.VIP] = true
		}
	}
	return ss
}

// check: "" when c names a configured service (its port's, else the VIP's
// port-0 one) and one of its real servers (a port-0 server takes any
// port); else why not. A persistence group's template (client port = the
// group) is left to the lcore, which knows the groups' numbers.
func (ss *syncServices) check(c *connsync.Conn) string {
	vip := connsync.Addr(c.VIP)
	if c.Flags&connsync.FlagTemplate != 0 && c.CPort != 0 {
		if ss.groups[vip] {
			return ""
		}
		return "no_service"
	}
	ds, ok := ss.dests[svcKey{vip, c.Proto, c.VPort}]
	if !ok {
		if ds, ok = ss.dests[svcKey{vip, c.Proto, 0}]; !ok {
			return "no_service"
		}
	}
	d := connsync.Addr(c.Dest)
	if ds[netip.AddrPortFrom(d, c.DPort)] || ds[netip.AddrPortFrom(d, 0)] {
		return ""
	}
	return "no_dest"
}
