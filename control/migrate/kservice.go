package migrate

import (
	"fmt"
	"net/netip"
	"strings"
)

// serviceKeys and serverKeys are the orders configs/example.yaml writes
// a service's and a real server's keys in.
var (
	serviceKeys = []string{"name", "vip", "protocol", "port", "fwmark", "scheduler", "scheduler_flags",
		"persistence_timeout", "persistence_granularity", "one_packet", "quorum", "hysteresis", "alpha",
		"inhibit_on_failure", "quorum_up", "quorum_down", "sorry_server", "check", "real_servers"}
	serverKeys = []string{"address", "port", "weight", "method", "upper_threshold", "lower_threshold",
		"inhibit_on_failure", "notify_up", "notify_down", "check"}
)

// defaultPersistence is keepalived's persistence_timeout without a value.
const defaultPersistence = plain("360s")

// vsTarget is one (VIP, port) a virtual_server stands for, or its fwmark.
type vsTarget struct {
	vip    string
	port   int // -1: none written
	fwmark int
	at     origin
}

// virtualServer converts one virtual_server block into one service per
// address it names (several for a group).
func (c *kconv) virtualServer(s *stmt) {
	targets := c.vsTargets(s)
	if len(targets) == 0 {
		return
	}
	body := c.serviceBody(s)
	for _, t := range targets {
		svc := newMap(s.at)
		if t.fwmark > 0 {
			svc.set("fwmark", t.fwmark, t.at)
		} else {
			svc.set("vip", plain(t.vip), t.at)
		}
		for i, k := range body.keys {
			svc.set(k, body.vals[i].clone(), body.vals[i].at)
		}
		if t.fwmark == 0 {
			port := t.port
			if port < 0 {
				port = 0 // all ports: what a persistent service without a port is
			}
			svc.set("port", port, t.at)
		}
		orderKeys(svc, serviceKeys)
		c.doc.list("services", s.at).push(svc, s.at)
	}
}

// vsTargets reads "IP [PORT]", "fwmark N" or "group NAME".
func (c *kconv) vsTargets(s *stmt) []vsTarget {
	if !c.needArgs(s, 1) {
		return nil
	}
	switch s.arg(0) {
	case "fwmark":
		mark, ok := c.intArg(s, 1, 1, 1<<32-1)
		if !ok {
			return nil
		}
		c.ws.unsupported(s.at, "govs has no firewall-mark services: write one service per VIP and port (with the same persistence, when persistence is what the mark was for)")
		return []vsTarget{{fwmark: mark, at: s.at}}
	case "group":
		g, ok := c.groups[s.arg(1)]
		if !ok {
			c.ws.add(s.at, "virtual_server_group %q is not defined: virtual server skipped", s.arg(1))
			return nil
		}
		return c.groupTargets(g)
	}
	t, ok := c.target(s, s.args)
	if !ok {
		return nil
	}
	return []vsTarget{t}
}

func (c *kconv) target(s *stmt, args []string) (vsTarget, bool) {
	if _, err := netip.ParseAddr(args[0]); err != nil {
		c.ws.add(s.at, "%q is not an IP address: skipped", args[0])
		return vsTarget{}, false
	}
	t := vsTarget{vip: args[0], port: -1, at: s.at}
	if len(args) > 1 {
		p, err := integer(args[1], 0, 65535)
		if err != nil {
			c.ws.add(s.at, "port %v: skipped", err)
			return vsTarget{}, false
		}
		t.port = p
	}
	return t, true
}

// maxGroupAddresses bounds the services groups expand to, in all: more
// than a director holds, and what keeps a conversion quick.
const maxGroupAddresses = 1024

// groupTargets expands a virtual_server_group's members: addresses,
// ranges (a.b.c.d-e, a.b.c.d-e.f.g.h, a.b.c.d/nn) and fwmarks.
func (c *kconv) groupTargets(g *stmt) []vsTarget {
	var out []vsTarget
	for _, m := range g.kids {
		if m.name == "fwmark" {
			c.ws.unsupported(m.at, "govs has no firewall-mark services")
			continue
		}
		addrs, err := expandRange(m.name)
		if err != nil {
			c.ws.add(m.at, "%v: skipped", err)
			continue
		}
		if left := maxGroupAddresses - c.expanded; len(addrs) > left {
			c.ws.add(m.at, "groups expand to more than %d services: only the first %d addresses of this member are converted", maxGroupAddresses, max(left, 0))
			addrs = addrs[:max(left, 0)]
		}
		c.expanded += len(addrs)
		for _, a := range addrs {
			if t, ok := c.target(m, append([]string{a.String()}, m.args...)); ok {
				out = append(out, t)
			}
		}
	}
	return out
}

func expandRange(s string) ([]netip.Addr, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return addrsBetween(p.Masked().Addr(), lastOf(p)), nil
	}
	lo, hi, isRange := strings.Cut(s, "-")
	first, err := netip.ParseAddr(lo)
	if err != nil {
		return nil, fmt.Errorf("%q is not an address or range", s)
	}
	if !isRange {
		return []netip.Addr{first}, nil
	}
	last, err := netip.ParseAddr(hi)
	if err != nil && first.Is4() {
		// a.b.c.d-e: e replaces the last byte
		b := first.As4()
		n, nerr := integer(hi, 0, 255)
		if nerr != nil {
			return nil, fmt.Errorf("%q is not an address range", s)
		}
		b[3] = byte(n)
		last, err = netip.AddrFrom4(b), nil
	}
	if err != nil || last.Less(first) || last.BitLen() != first.BitLen() {
		return nil, fmt.Errorf("%q is not an address range, low end first", s)
	}
	return addrsBetween(first, last), nil
}

func lastOf(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for bit := p.Bits(); bit < len(b)*8; bit++ {
		b[bit/8] |= 0x80 >> (bit % 8)
	}
	last, _ := netip.AddrFromSlice(b)
	return last
}

// addrsBetween lists first..last, stopping one past the group limit.
func addrsBetween(first, last netip.Addr) []netip.Addr {
	var out []netip.Addr
	for a := first; a.IsValid() && !last.Less(a); a = a.Next() {
		out = append(out, a)
		if len(out) > maxGroupAddresses {
			break
		}
	}
	return out
}

// serviceBody converts the directives of a virtual_server block into the
// keys its services share.
func (c *kconv) serviceBody(s *stmt) *node {
	body := newMap(s.at)
	body.set("protocol", "tcp", s.at) // keepalived's default
	d := newCheckDefaults()
	method := "nat" // keepalived's default lvs_method
	var flags []*stmt
	var servers []*stmt
	var sorry *node
	for _, k := range s.kids {
		switch k.name {
		case "lvs_sched", "lb_algo":
			c.word(body, "scheduler", k, asString)
		case "flag-1", "flag-2", "flag-3", "sh-port", "sh-fallback", "mh-port", "mh-fallback":
			flags = append(flags, k)
		case "ops":
			body.set("one_packet", true, k.at)
		case "lvs_method", "lb_kind":
			if m, ok := c.method(k); ok {
				method = m
			}
		case "persistence_timeout":
			c.persistence(body, k)
		case "persistence_granularity":
			c.word(body, "persistence_granularity", k, asPlain)
		case "protocol":
			c.word(body, "protocol", k, asLower)
		case "snmp_name":
			c.word(body, "name", k, asString)
		case "alpha":
			if v, ok := c.boolArg(k); ok {
				body.set("alpha", v, k.at)
			}
		case "inhibit_on_failure":
			if v, ok := c.boolArg(k); ok {
				body.set("inhibit_on_failure", v, k.at)
			}
		case "quorum", "hysteresis":
			if n, ok := c.intArg(k, 0, 0, 1<<31-1); ok {
				body.set(k.name, n, k.at)
			}
		case "quorum_up", "quorum_down":
			if cmd, ok := c.notifyCommand(k); ok {
				body.set(k.name, cmd, k.at)
			}
		case "sorry_server":
			sorry = c.sorryServer(k, sorry)
		case "sorry_server_lvs_method":
			if m, ok := c.method(k); ok {
				sorry = c.sorryMethod(k, sorry, m)
			}
		case "virtualhost":
			if c.needArgs(k, 1) {
				d.host = k.arg(0)
			}
		case "real_server":
			servers = append(servers, k)
		case "ip_family":
			if k.arg(0) != "inet" {
				c.ws.unsupported(k.at, "govs balances IPv4 only")
			}
		case "omega":
			c.ws.unsupported(k.at, "no notify commands run when govsd stops")
		case "ha_suspend":
			c.ws.unsupported(k.at, "govs always answers for a service's VIP")
		case "sorry_server_inhibit":
			c.ws.unsupported(k.at, "the sorry server is not checked")
		case "persistence_engine":
			c.ws.unsupported(k.at, "persistence engines (sip) are not implemented")
		case "smtp_alert":
			c.ws.unsupported(k.at, "govs sends no e-mail; govsctl events streams the transitions")
		default:
			if !d.take(k) {
				c.ws.unsupported(k.at, "not a virtual_server option govs has")
			}
		}
	}
	if len(flags) > 0 {
		c.schedulerFlags(body, flags)
	}
	if sorry != nil {
		if sorry.get("method") == nil && method != "nat" {
			sorry.set("method", method, sorry.at)
		}
		body.set("sorry_server", sorry, sorry.at)
	}
	var list []*node
	for _, k := range servers {
		if rs := c.realServer(k, d, method); rs != nil {
			list = append(list, rs)
		}
	}
	d.reportUnused(&c.ws)
	hoistCommonCheck(body, list, s.at)
	seq := newSeq(s.at)
	for _, rs := range list {
		seq.push(rs, rs.at)
	}
	body.set("real_servers", seq, s.at)
	return body
}

func (c *kconv) persistence(body *node, k *stmt) {
	t := defaultPersistence
	if len(k.args) > 0 {
		var ok bool
		if t, ok = c.secondsArg(k); !ok {
			return
		}
	}
	if t == "0s" {
		return // keepalived's way to say not persistent, as govs without the key
	}
	body.set("persistence_timeout", t, k.at)
}

// schedulerFlags names flag-1 and flag-2 after the scheduler's flags, as
// ipvsadm's -b does (flag-1 is *-fallback, flag-2 *-port).
func (c *kconv) schedulerFlags(body *node, flags []*stmt) {
	sched := "wlc"
	if n := body.get("scheduler"); n != nil {
		sched, _ = n.scalar.(string)
	}
	seq := body.list("scheduler_flags", flags[0].at)
	for _, f := range flags {
		name := f.name
		switch name {
		case "flag-1":
			name = sched + "-fallback"
		case "flag-2":
			name = sched + "-port"
		case "flag-3":
			c.ws.unsupported(f.at, "no IPVS scheduler defines flag-3")
			continue
		}
		seq.push(name, f.at)
	}
}

// method reads lvs_method NAT|DR|TUN [type ...].
func (c *kconv) method(k *stmt) (string, bool) {
	if !c.needArgs(k, 1) {
		return "", false
	}
	m := strings.ToLower(k.arg(0))
	switch m {
	case "nat", "dr", "tun":
	default:
		c.ws.add(k.at, "%q is not NAT, DR or TUN: ignored", k.arg(0))
		return "", false
	}
	if len(k.args) > 1 && !(len(k.args) == 3 && k.arg(1) == "type" && k.arg(2) == "ipip") {
		c.ws.unsupported(k.at, "govs tunnels are IPIP only: "+strings.Join(k.args[1:], " ")+" is not translated")
	}
	return m, true
}

func (c *kconv) sorryServer(k *stmt, sorry *node) *node {
	if !c.needArgs(k, 1) {
		return sorry
	}
	if sorry == nil {
		sorry = newMap(k.at)
	}
	sorry.set("address", plain(k.arg(0)), k.at)
	if len(k.args) > 1 {
		if p, ok := c.intArg(k, 1, 0, 65535); ok {
			sorry.set("port", p, k.at)
		}
	}
	return sorry
}

func (c *kconv) sorryMethod(k *stmt, sorry *node, m string) *node {
	if sorry == nil {
		sorry = newMap(k.at)
	}
	sorry.set("method", m, k.at)
	return sorry
}

// realServer converts a real_server block; method is its virtual
// server's.
func (c *kconv) realServer(s *stmt, vsDefaults *checkDefaults, method string) *node {
	if !c.needArgs(s, 1) {
		return nil
	}
	if _, err := netip.ParseAddr(s.arg(0)); err != nil {
		c.ws.add(s.at, "%q is not an IP address: real server skipped", s.arg(0))
		return nil
	}
	rs := newMap(s.at)
	rs.set("address", plain(s.arg(0)), s.at)
	if len(s.args) > 1 {
		if p, ok := c.intArg(s, 1, 0, 65535); ok {
			rs.set("port", p, s.at)
		}
	}
	rs.set("weight", 1, s.at) // keepalived's default, written out
	rs.set("method", method, s.at)
	d := vsDefaults.inherit()
	var checkers []*stmt
	for _, k := range s.kids {
		switch k.name {
		case "weight":
			if n, ok := c.intArg(k, 0, 0, 1<<31-1); ok {
				rs.set("weight", n, k.at)
			}
		case "lvs_method", "lb_kind":
			if m, ok := c.method(k); ok {
				rs.set("method", m, k.at)
			}
		case "notify_up", "notify_down":
			if cmd, ok := c.notifyCommand(k); ok {
				rs.set(k.name, cmd, k.at)
			}
		case "uthreshold", "lthreshold":
			if n, ok := c.intArg(k, 0, 0, 1<<31-1); ok {
				rs.set(map[string]string{"uthreshold": "upper_threshold", "lthreshold": "lower_threshold"}[k.name], n, k.at)
			}
		case "inhibit_on_failure":
			if v, ok := c.boolArg(k); ok {
				rs.set("inhibit_on_failure", v, k.at)
			}
		case "virtualhost":
			if c.needArgs(k, 1) {
				d.host = k.arg(0)
			}
		case "alpha":
			c.ws.unsupported(k.at, "alpha is a service option in govs (alpha: true on the service)")
		case "smtp_alert", "snmp_name":
			c.ws.unsupported(k.at, "govs has no per-server e-mail or SNMP")
		default:
			if isChecker(k.name) {
				checkers = append(checkers, k)
			} else if !d.take(k) {
				c.ws.unsupported(k.at, "not a real_server option govs has")
			}
		}
	}
	for i, k := range checkers {
		if i > 0 {
			c.ws.unsupported(k.at, "govs runs one check per real server; the first one, line "+fmt.Sprint(checkers[0].at.line)+", is converted")
			continue
		}
		if chk := c.checker(k, d); chk != nil {
			rs.set("check", chk, k.at)
		}
	}
	d.reportUnused(&c.ws)
	orderKeys(rs, serverKeys)
	return rs
}

// hoistCommonCheck moves the check every real server has, identically, to
// the service: one check written once, as an operator would.
func hoistCommonCheck(body *node, servers []*node, at origin) {
	if len(servers) == 0 {
		return
	}
	first := servers[0].get("check")
	for _, rs := range servers {
		if chk := rs.get("check"); chk == nil || first == nil || !chk.equal(first) {
			return
		}
	}
	for _, rs := range servers {
		rs.del("check")
	}
	body.set("check", first, first.at)
}
