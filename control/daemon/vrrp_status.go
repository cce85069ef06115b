package daemon

import (
	"net"
	"strings"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/dataplane"
)

// VRRP reports every running instance in the configuration's order: its
// state and counters, its sync group, what it tracks and its virtual MAC.
func (d *Daemon) VRRP() []admin.VRRPInstance {
	out := []admin.VRRPInstance{}
	r := d.vrrp.Load()
	if r == nil {
		return out
	}
	groupOf := map[string]string{}
	groupState := map[string]string{}
	r.mu.Lock()
	for name, rg := range r.groups {
		for _, m := range rg.cfg.Instances {
			groupOf[m] = name
		}
		if rg.g != nil {
			groupState[name] = strings.ToUpper(rg.g.Status().State.String())
		}
	}
	r.mu.Unlock()
	for _, in := range d.cfg.Load().VRRP.Instances {
		ri := r.running(in)
		if ri == nil {
			continue
		}
		c := r.current(ri)
		st := ri.inst.Status()
		ai := admin.VRRPInstance{Name: st.Name, VRID: c.VRID, Port: c.Port, Version: c.Version, State: strings.ToUpper(st.State.String()),
			Since: st.Since, Priority: int(st.Priority), ConfiguredPriority: c.Priority, Transitions: st.Transitions,
			AdvertsSent: st.AdvertsSent, AdvertsReceived: st.AdvertsReceived, OtherVRID: st.OtherVRIDAdverts,
			SendErrors: st.SendErrors, Rejected: st.Rejected, Fault: st.Fault, GroupFault: st.GroupFault,
			Group: groupOf[c.Name], Tracking: r.track.tracked(c)}
		if ai.Group != "" {
			ai.GroupState = groupState[ai.Group]
			if ai.GroupState == "" { // a group of one moves nothing: it is its member
				ai.GroupState = ai.State
			}
		}
		if st.MasterAddr.IsValid() {
			ai.Master = st.MasterAddr.String()
		}
		if c.UseVMAC {
			mac := dataplane.VirtualRouterMAC(uint8(c.VRID))
			ai.VMAC = net.HardwareAddr(mac[:]).String()
		}
		for _, a := range c.VirtualAddresses {
			ai.Addresses = append(ai.Addresses, a.String())
		}
		out = append(out, ai)
	}
	return out
}
