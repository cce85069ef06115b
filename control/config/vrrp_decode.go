package config

import (
	"math"
	"net/netip"
	"slices"
)

// decodeVRRP reads the vrrp section. Scripts come first: an instance's
// track_script without a weight takes the script's.
func decodeVRRP(o *object, v *VRRP) {
	v.NotifyTimeout = defaultVRRPNotifyTimeout
	o.duration("notify_timeout", &v.NotifyTimeout)
	path, list := o.list("scripts")
	for i, e := range list {
		s := defaultVRRPScript()
		decodeVRRPScript(newObject(o.p, idx(path, i), e), &s)
		v.Scripts = append(v.Scripts, s)
	}
	path, list = o.list("instances")
	for i, e := range list {
		in := defaultVRRPInstance()
		decodeVRRPInstance(newObject(o.p, idx(path, i), e), &in, v.Scripts)
		v.Instances = append(v.Instances, in)
	}
	path, list = o.list("sync_groups")
	for i, e := range list {
		var g VRRPSyncGroup
		gobj := newObject(o.p, idx(path, i), e)
		gobj.str("name", &g.Name)
		gobj.strings("instances", &g.Instances)
		decodeVRRPNotify(gobj, &g.Notify)
		gobj.close()
		v.SyncGroups = append(v.SyncGroups, g)
	}
	o.close()
}

// wide bounds only what an int holds; Validate checks the real ranges, so
// that a configuration built in code is checked the same way.
const wideMin, wideMax = math.MinInt32, math.MaxInt32

func decodeVRRPScript(o *object, s *VRRPScript) {
	o.str("name", &s.Name)
	o.str("script", &s.Command)
	o.duration("interval", &s.Interval)
	if v, set := o.m["timeout"]; !set || v == nil {
		s.Timeout = s.Interval // keepalived: a script without a timeout gets its interval
	}
	o.duration("timeout", &s.Timeout)
	o.int("weight", &s.Weight, wideMin, wideMax)
	o.int("rise", &s.Rise, wideMin, wideMax)
	o.int("fall", &s.Fall, wideMin, wideMax)
	o.boolean("init_fail", &s.InitFail)
	o.close()
}

func decodeVRRPInstance(io *object, in *VRRPInstance, scripts []VRRPScript) {
	io.str("name", &in.Name)
	io.int("vrid", &in.VRID, wideMin, wideMax)
	io.str("port", &in.Port)
	io.int("version", &in.Version, wideMin, wideMax)
	io.int("priority", &in.Priority, wideMin, wideMax)
	io.duration("advert_interval", &in.AdvertInterval)
	io.str("state", &in.State)
	io.boolean("nopreempt", &in.Nopreempt)
	io.duration("preempt_delay", &in.PreemptDelay)
	io.str("auth_pass", &in.AuthPass)
	in.UnicastPeers = io.addrs("unicast_peers")
	in.VirtualAddresses = io.addrs("virtual_addresses")
	io.boolean("use_vmac", &in.UseVMAC)
	io.duration("garp_master_delay", &in.GARP.Delay)
	io.int("garp_master_repeat", &in.GARP.Repeat, wideMin, wideMax)
	io.duration("garp_master_refresh", &in.GARP.Refresh)
	io.int("garp_master_refresh_repeat", &in.GARP.RefreshRepeat, wideMin, wideMax)
	path, list := io.list("track_port")
	for i, e := range list {
		var t TrackPort
		to := newObject(io.p, idx(path, i), e)
		to.str("port", &t.Port)
		to.int("weight", &t.Weight, wideMin, wideMax)
		to.close()
		in.TrackPorts = append(in.TrackPorts, t)
	}
	path, list = io.list("track_script")
	for i, e := range list {
		var t TrackScript
		to := newObject(io.p, idx(path, i), e)
		to.str("name", &t.Name)
		if j := slices.IndexFunc(scripts, func(s VRRPScript) bool { return s.Name == t.Name }); j >= 0 {
			t.Weight = scripts[j].Weight
		}
		to.int("weight", &t.Weight, wideMin, wideMax)
		to.close()
		in.TrackScripts = append(in.TrackScripts, t)
	}
	io.boolean("track_dataplane", &in.TrackDataplane)
	decodeVRRPNotify(io, &in.Notify)
	io.close()
}

func decodeVRRPNotify(o *object, n *VRRPNotify) {
	o.str("notify_master", &n.Master)
	o.str("notify_backup", &n.Backup)
	o.str("notify_fault", &n.Fault)
	o.str("notify_stop", &n.Stop)
	o.str("notify", &n.Generic)
}

// addrs reads a list of IPv4 addresses.
func (o *object) addrs(key string) []netip.Addr {
	path, list := o.list(key)
	var out []netip.Addr
	for i, e := range list {
		s, _ := e.(string)
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			o.p.add(idx(path, i), "%s is not an IPv4 address like 10.0.0.1", quoteValue(e))
			continue
		}
		out = append(out, a)
	}
	return out
}
