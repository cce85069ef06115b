package config

import (
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

// Persistence, connection thresholds, one-packet scheduling and the flow
// affinity they depend on across worker lcores.

// ParseGranularity reads a persistence granularity as keepalived and
// ipvsadm -M write it (a netmask like 255.255.255.0) or as a prefix
// length ("/24" or "24"), and returns the prefix length.
func ParseGranularity(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(strings.TrimPrefix(s, "/")); err == nil {
		return n, n >= 1 && n <= 32
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	b := a.As4()
	m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := bits.LeadingZeros32(^m)
	if n == 0 || m<<n != 0 { // not contiguous ones, or 0.0.0.0
		return 0, false
	}
	return n, true
}

func decodeGranularity(o *object, dst *int) {
	path, v, ok := o.get("persistence_granularity")
	if !ok {
		return
	}
	if n, isInt := toInt64(v); isInt {
		if n < 1 || n > 32 {
			o.p.add(path, "must be a prefix length 1..32 or a netmask like 255.255.255.0, got %d", n)
			return
		}
		*dst = int(n)
		return
	}
	s, _ := v.(string)
	n, valid := ParseGranularity(s)
	if !valid {
		o.p.add(path, "must be a netmask like 255.255.255.0 or a prefix length like /24, got %s", quoteValue(v))
		return
	}
	*dst = n
}

// decodeFlowAffinity reads address_port, address, or {prefix: N}.
func decodeFlowAffinity(o *object, d *Dataplane) {
	path, v, ok := o.get("flow_affinity")
	if !ok {
		return
	}
	if m, isMap := v.(map[string]any); isMap {
		po := newObject(o.p, path, m)
		d.FlowAffinity = AffinityPrefix
		po.int("prefix", &d.FlowAffinityPrefix, 1, 32)
		po.close()
		if d.FlowAffinityPrefix == 0 {
			o.p.add(path+".prefix", "required: a prefix length 1..32")
		}
		return
	}
	s, isStr := v.(string)
	if !isStr {
		o.p.add(path, "must be %s, %s or {prefix: N}, got %s", AffinityAddressPort, AffinityAddress, describe(v))
		return
	}
	d.FlowAffinity = s
}

func (c *Config) validateFlowAffinity(p *problems) {
	d := c.Dataplane
	switch d.FlowAffinity {
	case AffinityAddressPort, AffinityAddress, "": // "": a config built in code, the default
	case AffinityPrefix:
		if d.FlowAffinityPrefix < 1 || d.FlowAffinityPrefix > 32 {
			p.add("dataplane.flow_affinity.prefix", "must be between 1 and 32, got %d", d.FlowAffinityPrefix)
		}
	default:
		p.add("dataplane.flow_affinity", "must be %s, %s or {prefix: N}, got %q", AffinityAddressPort, AffinityAddress, d.FlowAffinity)
	}
}

// validatePersistence checks a service's persistence and one-packet keys.
// Templates live in each worker lcore's own table, so with more than one
// worker every connection of a client network must reach one worker:
// flow_affinity address does that for single addresses (/32), {prefix: N}
// for networks of N bits or longer prefixes.
func (c *Config) validatePersistence(p *problems, path string, svc Service) {
	if t := svc.PersistenceTimeout; t != 0 && (t < minTimeout || t > maxPersistence) {
		p.add(path+".persistence_timeout", "must be 0 (off) or between %v and %v, got %v", minTimeout, maxPersistence, t)
	}
	granularity := svc.PersistenceGranularity
	if granularity == 0 { // a config built in code: the default
		granularity = 32
	}
	if granularity < 1 || granularity > 32 {
		p.add(path+".persistence_granularity", "must be a prefix length 1..32, got %d", granularity)
	}
	if svc.OnePacket && svc.Protocol != ProtoUDP {
		p.add(path+".one_packet", "one-packet scheduling is for UDP services only (protocol is %s)", svc.Protocol)
	}
	if svc.OnePacket {
		for j, rs := range svc.RealServers {
			if rs.Method == MethodNAT {
				p.add(idx(path+".real_servers", j)+".method", "nat cannot serve a one_packet service: no connection is kept to translate the replies back; use dr or tun")
			}
		}
	}
	c.validatePersistenceGroup(p, path, svc)
	validatePortZeroChecks(p, path, svc)
	workers := len(c.EAL.Workers())
	if svc.PersistenceTimeout == 0 || workers <= 1 {
		return
	}
	switch d := c.Dataplane; d.FlowAffinity {
	case AffinityAddress:
		if granularity != 32 {
			p.add(path+".persistence_granularity", "/%d with %d worker lcores: dataplane.flow_affinity address keeps each client address on one lcore, not each network; use /32, dataplane.flow_affinity {prefix: %d} or one worker", granularity, workers, granularity)
		}
	case AffinityPrefix:
		if granularity < d.FlowAffinityPrefix {
			p.add(path+".persistence_granularity", "/%d with %d worker lcores: dataplane.flow_affinity {prefix: %d} keeps each /%d on one lcore, not each /%d; use a granularity of at least /%d", granularity, workers, d.FlowAffinityPrefix, d.FlowAffinityPrefix, granularity, d.FlowAffinityPrefix)
		}
	default:
		p.add(path+".persistence_timeout", "persistence with %d worker lcores needs dataplane.flow_affinity address or {prefix: N} (templates are per lcore; %s spreads one client's connections over them)", workers, d.FlowAffinity)
	}
}

// validatePersistenceGroup: a group's services share templates, so they
// must be persistent and agree on the templates' timeout and network.
func (c *Config) validatePersistenceGroup(p *problems, path string, svc Service) {
	if svc.PersistenceGroup == "" {
		return
	}
	if svc.PersistenceTimeout == 0 {
		p.add(path+".persistence_group", "%q needs persistence_timeout: only persistent services share templates", svc.PersistenceGroup)
		return
	}
	for j, o := range c.Services {
		if o.PersistenceGroup != svc.PersistenceGroup || o.VIP != svc.VIP || o.Protocol != svc.Protocol {
			continue
		}
		if o.PersistenceTimeout != svc.PersistenceTimeout || o.PersistenceGranularity != svc.PersistenceGranularity {
			p.add(path+".persistence_group", "%q is shared with services[%d], whose persistence_timeout and persistence_granularity differ", svc.PersistenceGroup, j)
		}
		return // the first service of the group is the reference
	}
}

// validatePortZeroChecks: a real server of port 0 (a port-0 service's: the
// client's port) has no port of its own a check could connect to.
func validatePortZeroChecks(p *problems, path string, svc Service) {
	for j, rs := range svc.RealServers {
		ck := rs.Check
		if rs.Port != 0 || ck == nil || ck.ConnectPort != 0 {
			continue
		}
		switch ck.Type {
		case CheckNone, CheckScript, CheckPing:
			continue
		}
		p.add(idx(path+".real_servers", j)+".check.connect_port", "required: the server's port is 0 (the client's port), so a %s check needs a port to connect to", ck.Type)
	}
}

// validateThresholds checks a real server's connection thresholds.
func validateThresholds(p *problems, path string, rs RealServer) {
	switch {
	case rs.UpperThreshold > maxThreshold:
		p.add(path+".upper_threshold", "must be between 0 and %d, got %d", maxThreshold, rs.UpperThreshold)
	case rs.LowerThreshold != 0 && rs.UpperThreshold == 0:
		p.add(path+".lower_threshold", "%d without an upper_threshold", rs.LowerThreshold)
	case rs.LowerThreshold > rs.UpperThreshold:
		p.add(path+".lower_threshold", "%d is above the upper_threshold %d", rs.LowerThreshold, rs.UpperThreshold)
	}
}
