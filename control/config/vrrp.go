package config

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// VRRPInstance is one VRRP instance (keepalived's vrrp_instance): the
// director holds its virtual addresses only while it is MASTER.
type VRRPInstance struct {
	Name     string
	VRID     int
	Port     string // the port whose kernel-side interface carries the adverts
	Version  int    // 2 (RFC 3768) or 3 (RFC 5798)
	Priority int    // 1..255; 255 = address owner
	// AdvertInterval: whole seconds in version 2, 10ms steps in 3.
	AdvertInterval time.Duration
	State          string // initial: BACKUP or MASTER
	Nopreempt      bool
	PreemptDelay   time.Duration
	AuthPass       string // version 2 PASS authentication; empty: none
	UnicastPeers   []netip.Addr
	// VirtualAddresses are the addresses it moves: service VIPs, each in
	// the port's subnet.
	VirtualAddresses []netip.Addr
}

// VRRP is the failover section.
type VRRP struct {
	Instances []VRRPInstance
}

func defaultVRRPInstance() VRRPInstance {
	return VRRPInstance{Version: 2, Priority: 100, AdvertInterval: time.Second, State: "BACKUP"}
}

func decodeVRRP(o *object, v *VRRP) {
	path, list := o.list("instances")
	for i, e := range list {
		in := defaultVRRPInstance()
		io := newObject(o.p, idx(path, i), e)
		io.str("name", &in.Name)
		io.int("vrid", &in.VRID, 1, 255)
		io.str("port", &in.Port)
		io.int("version", &in.Version, 2, 3)
		io.int("priority", &in.Priority, 1, 255)
		io.duration("advert_interval", &in.AdvertInterval)
		io.str("state", &in.State)
		io.boolean("nopreempt", &in.Nopreempt)
		io.duration("preempt_delay", &in.PreemptDelay)
		io.str("auth_pass", &in.AuthPass)
		in.UnicastPeers = io.addrs("unicast_peers")
		in.VirtualAddresses = io.addrs("virtual_addresses")
		io.close()
		v.Instances = append(v.Instances, in)
	}
	o.close()
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

func (c *Config) validateVRRP(p *problems) {
	vrids := map[[2]any]string{}
	owner := map[netip.Addr]string{}
	for i, in := range c.VRRP.Instances {
		path := idx("vrrp.instances", i)
		if in.Name == "" {
			p.add(join(path, "name"), "required")
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
		key := [2]any{in.Port, in.VRID}
		if other, dup := vrids[key]; dup {
			p.add(join(path, "vrid"), "VRID %d is already used on port %s by instance %s", in.VRID, in.Port, other)
		}
		vrids[key] = in.Name
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
		if len(in.VirtualAddresses) == 0 {
			p.add(join(path, "virtual_addresses"), "required: at least one address")
		}
		for j, a := range in.VirtualAddresses {
			apath := idx(join(path, "virtual_addresses"), j)
			if port >= 0 && !c.Ports[port].Address.Masked().Contains(a) {
				p.add(apath, "%v is not in port %s's subnet %v", a, in.Port, c.Ports[port].Address.Masked())
			}
			if !slices.ContainsFunc(c.Services, func(s Service) bool { return s.VIP == a }) {
				p.add(apath, "%v is not a service VIP (floating addresses that are not VIPs are not supported yet)", a)
			}
			if other, dup := owner[a]; dup {
				p.add(apath, "%v already belongs to instance %s", a, other)
			}
			owner[a] = in.Name
		}
	}
}
