package config

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Limits of the vrrp section. Weights are keepalived 2.2.7's for
// track_interface and vrrp_script (it turns +/-254 into +/-253); repeats are
// what the dataplane sends back to back (dataplane.MaxAnnounceTimes).
const (
	maxTrackWeight    = 253
	maxGARPRepeat     = 100
	maxGARPDelay      = time.Hour
	minGARPRefresh    = time.Second
	maxGARPRefresh    = 24 * time.Hour
	minScriptInterval = 100 * time.Millisecond
	maxScriptInterval = time.Hour
	minScriptTimeout  = 10 * time.Millisecond
	minNotifyTimeout  = 100 * time.Millisecond
	maxNotifyTimeout  = time.Hour
)

func (c *Config) validateVRRP(p *problems) {
	v := c.VRRP
	if v.NotifyTimeout < minNotifyTimeout || v.NotifyTimeout > maxNotifyTimeout {
		p.add("vrrp.notify_timeout", "must be between %v and %v, got %v", minNotifyTimeout, maxNotifyTimeout, v.NotifyTimeout)
	}
	for i := range v.Scripts {
		validateVRRPScript(p, idx("vrrp.scripts", i), v.Scripts, i)
	}
	vrids := map[[2]any]string{}
	owner := map[netip.Addr]string{}
	for i, in := range v.Instances {
		path := idx("vrrp.instances", i)
		c.validateVRRPInstance(p, path, i)
		if in.Port != "" {
			key := [2]any{in.Port, in.VRID}
			if other, dup := vrids[key]; dup {
				p.add(join(path, "vrid"), "VRID %d is already used on port %s by instance %s", in.VRID, in.Port, other)
			}
			vrids[key] = in.Name
		}
		for j, a := range in.VirtualAddresses {
			apath := idx(join(path, "virtual_addresses"), j)
			switch other, dup := owner[a]; {
			case dup && other == in.Name && slices.Index(in.VirtualAddresses, a) < j:
				p.add(apath, "%v is listed twice", a)
			case dup:
				p.add(apath, "%v already belongs to instance %s", a, other)
			}
			owner[a] = in.Name
		}
	}
	c.validateSyncGroups(p)
}

func validateVRRPScript(p *problems, path string, scripts []VRRPScript, i int) {
	s := scripts[i]
	switch {
	case s.Name == "":
		p.add(join(path, "name"), "required: the name track_script refers to")
	case slices.IndexFunc(scripts[:i], func(o VRRPScript) bool { return o.Name == s.Name }) >= 0:
		p.add(join(path, "name"), "%q is already the name of another script", s.Name)
	}
	if strings.TrimSpace(s.Command) == "" {
		p.add(join(path, "script"), "required: the command to run (/bin/sh -c; exit 0 is success)")
	}
	if s.Interval < minScriptInterval || s.Interval > maxScriptInterval {
		p.add(join(path, "interval"), "must be between %v and %v, got %v", minScriptInterval, maxScriptInterval, s.Interval)
	}
	if s.Timeout < minScriptTimeout || s.Timeout > maxScriptInterval {
		p.add(join(path, "timeout"), "must be between %v and %v, got %v", minScriptTimeout, maxScriptInterval, s.Timeout)
	}
	checkInt(p, join(path, "weight"), s.Weight, -maxTrackWeight, maxTrackWeight)
	checkInt(p, join(path, "rise"), s.Rise, 1, maxRiseFall)
	checkInt(p, join(path, "fall"), s.Fall, 1, maxRiseFall)
}

func (c *Config) validateVRRPInstance(p *problems, path string, i int) {
	in := c.VRRP.Instances[i]
	switch {
	case in.Name == "":
		p.add(join(path, "name"), "required")
	case slices.IndexFunc(c.VRRP.Instances[:i], func(o VRRPInstance) bool { return o.Name == in.Name }) >= 0:
		p.add(join(path, "name"), "%q is already the name of another instance", in.Name)
	}
	port := slices.IndexFunc(c.Ports, func(pt Port) bool { return pt.Name == in.Port })
	switch {
	case in.Port == "":
		p.add(join(path, "port"), "required: the name of the port whose kernel interface carries the adverts")
	case port < 0:
		p.add(join(path, "port"), "no port named %q", in.Port)
	case !c.Ports[port].Kernel.Enabled:
		p.add(join(path, "port"), "port %q has no kernel interface (kernel_interface.enabled: false); VRRP needs it", in.Port)
	}
	validateVRRPTiming(p, path, in)
	if len(in.VirtualAddresses) == 0 {
		p.add(join(path, "virtual_addresses"), "required: at least one address")
	}
	for j, a := range in.VirtualAddresses {
		c.validateVirtualAddress(p, idx(join(path, "virtual_addresses"), j), in, port, a)
	}
	validateGARP(p, path, in.GARP)
	c.validateTracking(p, path, in)
}

// validateVRRPTiming checks version, interval, state, preemption and auth.
func validateVRRPTiming(p *problems, path string, in VRRPInstance) {
	switch in.Version {
	case 2:
		if in.AdvertInterval < time.Second || in.AdvertInterval > 255*time.Second || in.AdvertInterval%time.Second != 0 {
			p.add(join(path, "advert_interval"), "version 2 takes whole seconds 1s..255s, got %v", in.AdvertInterval)
		}
	case 3:
		if in.AdvertInterval < 10*time.Millisecond || in.AdvertInterval > 40950*time.Millisecond || in.AdvertInterval%(10*time.Millisecond) != 0 {
			p.add(join(path, "advert_interval"), "version 3 takes 10ms steps 10ms..40.95s, got %v", in.AdvertInterval)
		}
		if in.AuthPass != "" {
			p.add(join(path, "auth_pass"), "version 3 has no authentication (RFC 5798)")
		}
	default:
		p.add(join(path, "version"), "must be 2 or 3, got %d", in.Version)
	}
	if in.VRID < 1 || in.VRID > 255 {
		p.add(join(path, "vrid"), "must be between 1 and 255 (keepalived's virtual_router_id), got %d", in.VRID)
	}
	if in.Priority < 1 || in.Priority > 255 {
		p.add(join(path, "priority"), "must be between 1 and 255, got %d", in.Priority)
	}
	state := strings.ToUpper(in.State)
	if state != "BACKUP" && state != "MASTER" {
		p.add(join(path, "state"), "must be BACKUP or MASTER, got %q", in.State)
	}
	if in.Nopreempt && state == "MASTER" {
		p.add(join(path, "nopreempt"), "needs state BACKUP (as keepalived: a MASTER would preempt at start)")
	}
	if in.PreemptDelay < 0 || in.PreemptDelay > 1000*time.Second {
		p.add(join(path, "preempt_delay"), "must be between 0s and 1000s, got %v", in.PreemptDelay)
	}
	if len(in.AuthPass) > 8 {
		p.add(join(path, "auth_pass"), "at most 8 characters are sent (keepalived truncates silently); got %d", len(in.AuthPass))
	}
}

// validateVirtualAddress: a service VIP or a floating address of the
// instance port's subnet, never an address the director or its gateway
// already has.
func (c *Config) validateVirtualAddress(p *problems, path string, in VRRPInstance, port int, a netip.Addr) {
	if i, ok := c.portWithAddress(a); ok {
		p.add(path, "%v is the address of port %s; a virtual address must be an address of its own", a, c.Ports[i].Name)
		return
	}
	if port < 0 {
		return
	}
	pt := c.Ports[port]
	switch {
	case !pt.Address.Masked().Contains(a):
		p.add(path, "%v is not in port %s's subnet %v", a, in.Port, pt.Address.Masked())
	case pt.Gateway == a:
		p.add(path, "%v is port %s's gateway", a, in.Port)
	}
}

func validateGARP(p *problems, path string, g GARP) {
	if g.Delay < 0 || g.Delay > maxGARPDelay {
		p.add(join(path, "garp_master_delay"), "must be between 0s (no second batch) and %v, got %v", maxGARPDelay, g.Delay)
	}
	checkInt(p, join(path, "garp_master_repeat"), g.Repeat, 1, maxGARPRepeat)
	if g.Refresh != 0 && (g.Refresh < minGARPRefresh || g.Refresh > maxGARPRefresh) {
		p.add(join(path, "garp_master_refresh"), "must be 0s (off) or between %v and %v, got %v", minGARPRefresh, maxGARPRefresh, g.Refresh)
	}
	checkInt(p, join(path, "garp_master_refresh_repeat"), g.RefreshRepeat, 1, maxGARPRepeat)
}

func (c *Config) validateTracking(p *problems, path string, in VRRPInstance) {
	for j, t := range in.TrackPorts {
		tpath := idx(join(path, "track_port"), j)
		switch {
		case t.Port == "":
			p.add(join(tpath, "port"), "required: the name of a port")
		case !slices.ContainsFunc(c.Ports, func(pt Port) bool { return pt.Name == t.Port }):
			p.add(join(tpath, "port"), "no port named %q", t.Port)
		case slices.IndexFunc(in.TrackPorts[:j], func(o TrackPort) bool { return o.Port == t.Port }) >= 0:
			p.add(join(tpath, "port"), "port %s is already tracked", t.Port)
		}
		checkInt(p, join(tpath, "weight"), t.Weight, -maxTrackWeight, maxTrackWeight)
	}
	for j, t := range in.TrackScripts {
		tpath := idx(join(path, "track_script"), j)
		switch {
		case t.Name == "":
			p.add(join(tpath, "name"), "required: the name of a vrrp.scripts entry")
		case !slices.ContainsFunc(c.VRRP.Scripts, func(s VRRPScript) bool { return s.Name == t.Name }):
			p.add(join(tpath, "name"), "no script named %q in vrrp.scripts", t.Name)
		case slices.IndexFunc(in.TrackScripts[:j], func(o TrackScript) bool { return o.Name == t.Name }) >= 0:
			p.add(join(tpath, "name"), "script %s is already tracked", t.Name)
		}
		checkInt(p, join(tpath, "weight"), t.Weight, -maxTrackWeight, maxTrackWeight)
	}
}

// validateSyncGroups: members exist and belong to one group at most. A
// member's tracking must not move its priority: keepalived forces such
// weights to 0, because members whose priorities differ between directors
// elect apart and the group flaps; govs asks for the 0 explicitly.
func (c *Config) validateSyncGroups(p *problems) {
	member := map[string]string{}
	for i, g := range c.VRRP.SyncGroups {
		path := idx("vrrp.sync_groups", i)
		switch {
		case g.Name == "":
			p.add(join(path, "name"), "required")
		case slices.IndexFunc(c.VRRP.SyncGroups[:i], func(o VRRPSyncGroup) bool { return o.Name == g.Name }) >= 0:
			p.add(join(path, "name"), "%q is already the name of another sync group", g.Name)
		}
		if len(g.Instances) == 0 {
			p.add(join(path, "instances"), "required: the instances that move together")
		}
		for j, name := range g.Instances {
			mpath := idx(join(path, "instances"), j)
			k := slices.IndexFunc(c.VRRP.Instances, func(in VRRPInstance) bool { return in.Name == name })
			if k < 0 {
				p.add(mpath, "no instance named %q in vrrp.instances", name)
				continue
			}
			if other, dup := member[name]; dup {
				if other == g.Name {
					p.add(mpath, "instance %s is listed twice", name)
				} else {
					p.add(mpath, "instance %s is already in sync group %s (an instance belongs to one group at most)", name, other)
				}
				continue
			}
			member[name] = g.Name
			checkUnweighted(p, idx("vrrp.instances", k), c.VRRP.Instances[k], g.Name)
		}
	}
}

func checkUnweighted(p *problems, path string, in VRRPInstance, group string) {
	const why = "must be 0 in a member of sync group %s, got %d (a priority change would elect the members apart; keepalived sets it to 0)"
	for j, t := range in.TrackPorts {
		if t.Weight != 0 {
			p.add(join(idx(join(path, "track_port"), j), "weight"), why, group, t.Weight)
		}
	}
	for j, t := range in.TrackScripts {
		if t.Weight != 0 {
			p.add(join(idx(join(path, "track_script"), j), "weight"), why+"; the script's own weight applies unless set here", group, t.Weight)
		}
	}
}
