package daemon

import (
	"net/netip"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/dataplane"
)

// setVRRP fills the VRRP part of a snapshot: every virtual address that
// is no service VIP is Floating (answered on its port like a VIP); the
// addresses of an instance that is not MASTER here are Standby (neither
// answered nor forwarded); a MASTER's addresses with use_vmac answer with
// its virtual router MAC. isMaster nil means no instance is MASTER (the
// first snapshot, before any election).
func setVRRP(c *config.Config, s *dataplane.Spec, isMaster func(config.VRRPInstance) bool) {
	vips := make(map[netip.Addr]bool, len(c.Services))
	for _, sv := range c.Services {
		vips[sv.VIP] = true
	}
	s.Floating, s.Standby, s.VirtualMACs = nil, nil, nil
	for _, in := range c.VRRP.Instances {
		master := isMaster != nil && isMaster(in)
		for _, a := range in.VirtualAddresses {
			if !vips[a] {
				s.Floating = append(s.Floating, a)
			}
			switch {
			case !master:
				s.Standby = append(s.Standby, a)
			case in.UseVMAC:
				s.VirtualMACs = append(s.VirtualMACs, dataplane.VirtualMAC{Addr: a, MAC: dataplane.VirtualRouterMAC(uint8(in.VRID))})
			}
		}
	}
}

// setVRRP is the package function over the instances running now: an
// instance counts as MASTER only if the one running under its name has
// its VRID and port (a replaced one's state is not the new one's).
func (d *Daemon) setVRRP(c *config.Config, s *dataplane.Spec) {
	r := d.vrrp.Load()
	if r == nil {
		setVRRP(c, s, nil)
		return
	}
	setVRRP(c, s, func(in config.VRRPInstance) bool {
		ri := r.running(in)
		return ri != nil && ri.hooks.master.Load()
	})
}
