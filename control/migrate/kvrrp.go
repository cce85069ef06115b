package migrate

import (
	"net/netip"
	"slices"
	"strings"
)

var (
	vrrpKeys     = []string{"notify_timeout", "scripts", "instances", "sync_groups"}
	instanceKeys = []string{"name", "vrid", "port", "version", "priority", "advert_interval", "state",
		"nopreempt", "preempt_delay", "auth_pass", "unicast_peers", "virtual_addresses", "use_vmac",
		"garp_master_delay", "garp_master_repeat", "garp_master_refresh", "garp_master_refresh_repeat",
		"track_port", "track_script", "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify"}
	notifyKeys = []string{"notify_master", "notify_backup", "notify_fault", "notify_stop", "notify"}
)

func (c *kconv) vrrp(at origin) *node { return c.doc.child("vrrp", at) }

func (c *kconv) orderVRRP() {
	if v := c.doc.get("vrrp"); v != nil {
		orderKeys(v, vrrpKeys)
	}
}

// named starts the mapping of a vrrp_* block from its name; nil without.
func (c *kconv) named(s *stmt) *node {
	if !c.needArgs(s, 1) {
		return nil
	}
	n := newMap(s.at)
	n.set("name", s.arg(0), s.at)
	return n
}

func (c *kconv) vrrpScript(s *stmt) {
	sc := c.named(s)
	if sc == nil {
		return
	}
	for _, k := range s.kids {
		switch k.name {
		case "script":
			if cmd, ok := c.script(k); ok {
				sc.set("script", cmd, k.at)
			}
		case "interval", "timeout":
			if d, ok := c.secondsArg(k); ok {
				sc.set(k.name, d, k.at)
			}
		case "weight":
			if n, ok := c.intArg(k, 0, -253, 253); ok {
				sc.set("weight", n, k.at)
			}
			if len(k.args) > 1 {
				c.ws.unsupported(k.at, "reverse weights: write the weight with the other sign")
			}
		case "rise", "fall":
			if n, ok := c.intArg(k, 0, 1, 1<<31-1); ok {
				sc.set(k.name, n, k.at)
			}
		case "init_fail":
			sc.set("init_fail", true, k.at)
		case "user":
			c.ws.unsupported(k.at, "commands run as govsd's user")
		default:
			c.ws.unsupported(k.at, "not a vrrp_script option govs has")
		}
	}
	orderKeys(sc, []string{"name", "script", "interval", "timeout", "weight", "rise", "fall", "init_fail"})
	c.vrrp(s.at).list("scripts", s.at).push(sc, s.at)
}

func (c *kconv) vrrpInstance(s *stmt) {
	in := c.named(s)
	if in == nil {
		return
	}
	if c.vrrpVersion != 0 {
		in.set("version", c.vrrpVersion, s.at)
	}
	for _, k := range s.kids {
		c.instanceOption(in, k)
	}
	if np := in.get("nopreempt"); np != nil && in.get("state") != nil && in.get("state").scalar == "MASTER" {
		in.del("nopreempt")
		c.ws.add(np.at, "not written: keepalived clears nopreempt on an instance that starts as MASTER (it would preempt at start)")
	}
	orderKeys(in, instanceKeys)
	c.vrrp(s.at).list("instances", s.at).push(in, s.at)
}

func (c *kconv) instanceOption(in *node, k *stmt) {
	switch k.name {
	case "state":
		c.word(in, "state", k, asUpper)
	case "interface":
		if c.needArgs(k, 1) {
			in.set("port", k.arg(0), k.at)
			c.portNote(k, k.arg(0))
		}
	case "virtual_router_id":
		c.intKey(in, "vrid", k, 0, 255)
	case "priority":
		c.intKey(in, "priority", k, 0, 255)
	case "version", "vrrp_version":
		c.intKey(in, "version", k, 2, 3)
	case "garp_master_repeat", "garp_master_refresh_repeat":
		c.intKey(in, k.name, k, 0, 1<<31-1)
	case "advert_int", "preempt_delay", "garp_master_delay", "garp_master_refresh":
		key := k.name
		if key == "advert_int" {
			key = "advert_interval"
		}
		if d, ok := c.secondsArg(k); ok {
			in.set(key, d, k.at)
		}
	case "nopreempt":
		in.set("nopreempt", true, k.at)
	case "authentication":
		c.authentication(in, k)
	case "virtual_ipaddress", "virtual_ipaddress_excluded":
		c.virtualAddresses(in, k)
	case "unicast_peer":
		peers := in.list("unicast_peers", k.at)
		for _, p := range k.kids {
			peers.push(plain(p.name), p.at)
			if len(p.args) > 0 {
				c.ws.unsupported(p.at, "per-peer options ("+strings.Join(p.args, " ")+")")
			}
		}
	case "track_interface":
		c.tracked(in, k, "track_port", "port")
	case "track_script":
		c.tracked(in, k, "track_script", "name")
	case "use_vmac":
		in.set("use_vmac", true, k.at)
		if len(k.args) > 0 {
			c.ws.unsupported(k.at, "no macvlan interface is created, so it has no name")
		}
	case "vmac_xmit_base":
		c.ws.unsupported(k.at, "not needed: with use_vmac, frames always leave with the port's MAC")
	default:
		if slices.Contains(notifyKeys, k.name) {
			if cmd, ok := c.notifyCommand(k); ok {
				in.set(k.name, cmd, k.at)
			}
			return
		}
		why, known := instanceUnsupported[k.name]
		if !known {
			why = "not a vrrp_instance option govs has"
		}
		c.ws.unsupported(k.at, why)
	}
}

// instanceUnsupported says why govs has no equivalent of these.
var instanceUnsupported = map[string]string{
	"unicast_src_ip":            "adverts leave from the port's own address",
	"mcast_src_ip":              "adverts leave from the port's own address",
	"smtp_alert":                "govs sends no e-mail; govsctl events streams the transitions",
	"lvs_sync_daemon_interface": "connection synchronisation is issue 12",
	"dont_track_primary":        "the port's link is always tracked (track_dataplane)",
	"virtual_routes":            "govs installs no routes for an instance",
	"virtual_rules":             "govs installs no rules for an instance",
	"native_ipv6":               "govs's VRRP is IPv4",
}

func (c *kconv) intKey(n *node, key string, k *stmt, min, max int) {
	if v, ok := c.intArg(k, 0, min, max); ok {
		n.set(key, v, k.at)
	}
}

// portNote says an interface became a port name, which must be defined.
func (c *kconv) portNote(k *stmt, name string) {
	c.ws.add(k.at, "interface %s is written as port %s: define a port of that name in ports: (its kernel interface carries the adverts)", name, name)
}

func (c *kconv) authentication(in *node, k *stmt) {
	for _, a := range k.kids {
		switch a.name {
		case "auth_type":
			if !strings.EqualFold(a.arg(0), "PASS") {
				c.ws.unsupported(a.at, "only PASS authentication (AH is deprecated by keepalived)")
			}
		case "auth_pass":
			c.word(in, "auth_pass", a, asString)
		default:
			c.ws.unsupported(a.at, "not an authentication option")
		}
	}
}

// virtualAddresses reads "ADDR[/LEN] [dev IF] [label L] ...": the
// address moves; the rest is the kernel's business, not govs's.
func (c *kconv) virtualAddresses(in *node, k *stmt) {
	if k.name == "virtual_ipaddress_excluded" {
		c.ws.add(k.at, "converted as virtual_addresses: govs advertises them like the others")
	}
	list := in.list("virtual_addresses", k.at)
	for _, a := range k.kids {
		addr := a.name
		if p, err := netip.ParsePrefix(addr); err == nil {
			addr = p.Addr().String()
		}
		list.push(plain(addr), a.at)
		if len(a.args) > 0 {
			c.ws.unsupported(a.at, "address options ("+strings.Join(a.args, " ")+"): the address is answered on the instance's port")
		}
	}
}

// tracked reads track_interface (into track_port, key port) and
// track_script (key name): one "NAME [weight W]" a line.
func (c *kconv) tracked(in *node, k *stmt, listKey, nameKey string) {
	list := in.list(listKey, k.at)
	for _, t := range k.kids {
		e := newMap(t.at)
		e.set(nameKey, t.name, t.at)
		c.trackWeight(e, t)
		list.push(e, t.at)
		if nameKey == "port" {
			c.portNote(t, t.name)
		}
	}
}

// trackWeight reads "NAME weight W [reverse]" of a tracked interface or
// script.
func (c *kconv) trackWeight(e *node, t *stmt) {
	switch t.arg(0) {
	case "":
		return
	case "weight":
	default:
		c.ws.unsupported(t.at, "only a weight may follow the name")
		return
	}
	if n, err := integer(t.arg(1), -253, 253); err == nil {
		e.set("weight", n, t.at)
	} else {
		c.ws.add(t.at, "weight %v: ignored", err)
	}
	if t.arg(2) == "reverse" {
		c.ws.unsupported(t.at, "reverse weights: write the weight with the other sign")
	}
}

func (c *kconv) vrrpSyncGroup(s *stmt) {
	g := c.named(s)
	if g == nil {
		return
	}
	for _, k := range s.kids {
		switch {
		case k.name == "group":
			members := g.list("instances", k.at)
			for _, m := range k.kids {
				members.push(m.name, m.at)
			}
		case slices.Contains(notifyKeys, k.name):
			if cmd, ok := c.notifyCommand(k); ok {
				g.set(k.name, cmd, k.at)
			}
		default:
			c.ws.unsupported(k.at, "a sync group follows its instances' tracking; track in the instances")
		}
	}
	orderKeys(g, append([]string{"name", "instances"}, notifyKeys...))
	c.vrrp(s.at).list("sync_groups", s.at).push(g, s.at)
}
