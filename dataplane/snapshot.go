package dataplane

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
	"github.com/govs-project/govs/dataplane/sched"
)

// Limits of the per-lcore counter arrays (ids are never reused while the
// process lives, so a reload cannot mix the counters of two servers).
const (
	MaxServices    = fastpath.MaxServices
	MaxRealServers = fastpath.MaxRealServers
	maxPorts       = fastpath.MaxPorts
)

// portInfo is a port as the dataplane knows it once started.
type portInfo struct {
	name    string
	dpdk    uint16 // DPDK port id
	mac     [6]byte
	ip      uint32
	net     uint32
	mask    uint32
	gateway uint32 // 0 = none
	mtu     int
	kernel  bool // has a kernel interface
}

// destInfo is one real server of a compiled service, for status.
type destInfo struct {
	id     uint16
	ip     uint32
	port   uint16
	weight uint32
	method Method
}

// serviceInfo is one compiled service, for status.
type serviceInfo struct {
	id        uint16
	name      string
	vip       uint32
	proto     uint8
	port      uint16
	scheduler string
	dests     []destInfo
}

// compiled is a validated configuration: what the lcores get
// (fastpath.SnapshotSpec), what the slow path acts on, and what status
// reports.
type compiled struct {
	gen      uint64
	services []serviceInfo
	fp       fastpath.SnapshotSpec
	vips     map[uint32]int     // VIP -> port that owns it
	standby  map[uint32]bool    // VIPs whose VRRP instance is not MASTER
	macs     map[uint32][6]byte // VIPs answered with a virtual MAC
	wanted   map[uint32]int     // next hops to keep resolved -> port
}

func addrU32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func u32Addr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// idAllocator hands out stable counter ids for services and real servers.
type idAllocator struct {
	svc, rs idSpace
}

// idSpace maps a key to a small id that is never reused in the process.
type idSpace struct {
	ids  map[string]uint16
	max  int
	what string
}

func newIDAllocator() *idAllocator {
	return &idAllocator{
		svc: idSpace{ids: map[string]uint16{}, max: MaxServices, what: "services"},
		rs:  idSpace{ids: map[string]uint16{}, max: MaxRealServers, what: "real servers"},
	}
}

func (s *idSpace) id(key string) (uint16, error) {
	if id, ok := s.ids[key]; ok {
		return id, nil
	}
	if len(s.ids) >= s.max {
		return 0, fmt.Errorf("more than %d distinct %s since start; restart govsd", s.max, s.what)
	}
	id := uint16(len(s.ids))
	s.ids[key] = id
	return id, nil
}

// compile validates spec against the running ports and compiles it.
// Errors name the service and server they are about.
func compile(gen uint64, spec *Spec, ports []portInfo, ids *idAllocator) (*compiled, error) {
	c := &compiled{gen: gen, vips: map[uint32]int{}, wanted: map[uint32]int{}}
	c.fp = fastpath.SnapshotSpec{Gen: gen, Timeouts: spec.Timeouts, Security: spec.Security, Sync: spec.Sync}
	if err := validateSecurity(&spec.Security); err != nil {
		return nil, err
	}
	if len(spec.Services) > MaxServices {
		return nil, fmt.Errorf("services: %d configured, at most %d", len(spec.Services), MaxServices)
	}
	for _, p := range ports {
		c.fp.Ports = append(c.fp.Ports, fastpath.Port{IP: p.ip, Net: p.net, Mask: p.mask, Gateway: p.gateway, DPDKID: p.dpdk, MTU: uint16(p.mtu), MAC: p.mac, Kernel: p.kernel})
		if p.gateway != 0 {
			gp, _ := connectedPort(ports, p.gateway)
			c.wanted[p.gateway] = gp
		}
	}
	groups, err := persistenceGroups(spec.Services)
	if err != nil {
		return nil, err
	}
	for i := range spec.Services {
		if err := c.addService(i, &spec.Services[i], ports, ids); err != nil {
			return nil, err
		}
		c.fp.Services[i].PersistGroup = groups[i]
	}
	if err := c.addFloating(spec.Floating, ports); err != nil {
		return nil, err
	}
	if err := c.markStandby(spec.Standby); err != nil {
		return nil, err
	}
	if err := c.addVirtualMACs(spec.VirtualMACs, ports); err != nil {
		return nil, err
	}
	return c, nil
}

// addFloating adds the floating addresses to what the slow path answers
// ARP for, each on the port whose subnet holds it.
func (c *compiled) addFloating(addrs []netip.Addr, ports []portInfo) error {
	for i, a := range addrs {
		field := fmt.Sprintf("floating[%d]", i)
		if !a.Is4() {
			return fmt.Errorf("%s: %v is not an IPv4 address", field, a)
		}
		ip := addrU32(a)
		port, ok := connectedPort(ports, ip)
		switch {
		case !ok:
			return fmt.Errorf("%s: %v is not inside any port's subnet, so no port would answer ARP for it", field, a)
		case ip == ports[port].ip:
			return fmt.Errorf("%s: %v is port %s's own address", field, a, ports[port].name)
		}
		if _, dup := c.vips[ip]; dup {
			return fmt.Errorf("%s: %v is a service VIP or listed twice", field, a)
		}
		c.vips[ip] = port
	}
	return nil
}

// markStandby flags every service of each standby VIP; an address that is
// neither a service VIP nor floating is refused.
func (c *compiled) markStandby(addrs []netip.Addr) error {
	c.standby = make(map[uint32]bool, len(addrs))
	for i, a := range addrs {
		if !a.Is4() {
			return fmt.Errorf("standby[%d]: %v is not an IPv4 address", i, a)
		}
		ip := addrU32(a)
		if _, ok := c.vips[ip]; !ok {
			return fmt.Errorf("standby[%d]: %v is neither a service's VIP nor a floating address", i, a)
		}
		c.standby[ip] = true
	}
	for i := range c.fp.Services {
		c.fp.Services[i].Standby = c.standby[c.fp.Services[i].VIP]
	}
	return nil
}

func (c *compiled) addService(i int, ss *ServiceSpec, ports []portInfo, ids *idAllocator) error {
	field := fmt.Sprintf("services[%d]", i)
	if !ss.VIP.Is4() {
		return fmt.Errorf("%s.vip: %v is not an IPv4 address", field, ss.VIP)
	}
	vip := addrU32(ss.VIP)
	vipPort, ok := connectedPort(ports, vip)
	if !ok {
		return fmt.Errorf("%s.vip: %v is not inside any port's subnet, so no port would answer ARP for it", field, ss.VIP)
	}
	key := fmt.Sprintf("%d/%v:%d", ss.Proto, ss.VIP, ss.Port)
	id, err := ids.svc.id(key)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	table, err := compileScheduler(ss)
	if err != nil {
		return fmt.Errorf("%s.scheduler: %w", field, err)
	}
	info := serviceInfo{id: id, name: ss.Name, vip: vip, proto: ss.Proto, port: ss.Port, scheduler: table.Name}
	fs := fastpath.Service{VIP: vip, Port: ss.Port, Proto: ss.Proto, ID: id, VIPPort: uint8(vipPort), Table: table.Entries, WRRMax: table.Max,
		SchedKind: schedKinds[table.Kind], SchedFallback: table.Fallback, SchedPort: table.Port,
		ExpireNodestConn: ss.ExpireNodestConn}
	if err := compilePersistence(field, ss, &fs); err != nil {
		return err
	}
	for j, d := range ss.Dests {
		dfield := fmt.Sprintf("%s.real_servers[%d]", field, j)
		if !d.Addr.Is4() {
			return fmt.Errorf("%s.address: %v is not an IPv4 address", dfield, d.Addr)
		}
		ip := addrU32(d.Addr)
		out, hop, ok := route(ports, ip)
		if !ok {
			return fmt.Errorf("%s.address: %v is not in a connected subnet and no port has a gateway", dfield, d.Addr)
		}
		if d.Method == MethodDR && hop != ip {
			return fmt.Errorf("%s.address: %v is not on a connected subnet; direct routing only rewrites the MAC, so the real server must share a segment with a port", dfield, d.Addr)
		}
		rid, err := ids.rs.id(fmt.Sprintf("%s/%v:%d", key, d.Addr, d.Port))
		if err != nil {
			return fmt.Errorf("%s: %w", dfield, err)
		}
		upper, lower, err := thresholds(d)
		if err != nil {
			return fmt.Errorf("%s.%w", dfield, err)
		}
		if ss.OnePacket && d.Method == MethodNAT {
			return fmt.Errorf("%s.method: one-packet scheduling keeps no connection, so NAT replies could not be translated back; use dr or tun", dfield)
		}
		fs.Dests = append(fs.Dests, fastpath.Dest{IP: ip, NextHop: hop, Weight: d.Weight, Port: d.Port, ID: rid, Method: uint8(d.Method), OutPort: uint8(out),
			Upper: upper, Lower: lower})
		info.dests = append(info.dests, destInfo{id: rid, ip: ip, port: d.Port, weight: d.Weight, method: d.Method})
		c.wanted[hop] = out
	}
	c.fp.Services = append(c.fp.Services, fs)
	c.services = append(c.services, info)
	if _, dup := c.vips[vip]; !dup {
		c.vips[vip] = vipPort
	}
	return nil
}

// maxPersistence keeps a template's deadline within the lcores' wrapping
// millisecond clock (deadlines are compared as int32 differences).
const maxPersistence = 10 * 24 * time.Hour

// compilePersistence sets fs's persistence and one-packet scheduling.
func compilePersistence(field string, ss *ServiceSpec, fs *fastpath.Service) error {
	if ss.Persistence < 0 || ss.Persistence > maxPersistence {
		return fmt.Errorf("%s.persistence_timeout: %v is outside 0..%v", field, ss.Persistence, maxPersistence)
	}
	if ss.Persistence > 0 && ss.Persistence < time.Millisecond {
		return fmt.Errorf("%s.persistence_timeout: %v is shorter than 1ms", field, ss.Persistence)
	}
	bits := bitsOr32(ss.PersistenceBits)
	if bits < 1 || bits > 32 {
		return fmt.Errorf("%s.persistence_granularity: /%d is outside /1../32", field, bits)
	}
	if ss.Port == 0 && ss.Persistence == 0 {
		return fmt.Errorf("%s.port: 0 (every port of the VIP) is for persistent services only, as in IPVS", field)
	}
	if ss.OnePacket && ss.Proto != packet.ProtoUDP {
		return fmt.Errorf("%s.one_packet: only UDP services can be scheduled per datagram", field)
	}
	fs.PersistMs = uint32(ss.Persistence / time.Millisecond)
	fs.PersistMask = ^uint32(0) << (32 - bits)
	fs.ExpireQuiescent = ss.ExpireQuiescentTemplate
	fs.OnePacket = ss.OnePacket
	return nil
}

// persistenceGroups numbers the services' persistence groups (0: none),
// per VIP and protocol; the services of a group must agree on what their
// shared templates are (timeout and granularity).
func persistenceGroups(svcs []ServiceSpec) ([]uint16, error) {
	ids := make([]uint16, len(svcs))
	first := map[string]int{}
	for i, ss := range svcs {
		if ss.PersistenceGroup == "" {
			continue
		}
		field := fmt.Sprintf("services[%d].persistence_group", i)
		if ss.Persistence == 0 {
			return nil, fmt.Errorf("%s: %q needs a persistence_timeout", field, ss.PersistenceGroup)
		}
		key := fmt.Sprintf("%v/%d/%s", ss.VIP, ss.Proto, ss.PersistenceGroup)
		j, seen := first[key]
		if !seen {
			if len(first) >= 0xffff {
				return nil, fmt.Errorf("%s: more than 65535 groups", field)
			}
			first[key] = i
			ids[i] = uint16(len(first))
			continue
		}
		if o := svcs[j]; o.Persistence != ss.Persistence || bitsOr32(o.PersistenceBits) != bitsOr32(ss.PersistenceBits) {
			return nil, fmt.Errorf("%s: %q is shared with services[%d], whose persistence_timeout and persistence_granularity differ", field, ss.PersistenceGroup, j)
		}
		ids[i] = ids[j]
	}
	return ids, nil
}

func bitsOr32(bits int) int {
	if bits == 0 {
		return 32
	}
	return bits
}

// thresholds are d's upper and lower connection thresholds as the lcores
// take them: lower 0 is 3/4 of the upper (IPVS's default).
func thresholds(d DestSpec) (upper, lower uint32, err error) {
	upper, lower = d.UpperThreshold, d.LowerThreshold
	switch {
	case upper == 0 && lower != 0:
		return 0, 0, fmt.Errorf("lower_threshold: %d without an upper_threshold", lower)
	case lower > upper:
		return 0, 0, fmt.Errorf("lower_threshold: %d is above the upper_threshold %d", lower, upper)
	case upper != 0 && lower == 0:
		lower = upper * 3 / 4
	}
	return upper, lower, nil
}

// schedKinds maps the scheduler package's table kinds to the fast path's.
var schedKinds = map[sched.Kind]fastpath.SchedKind{
	sched.Seq: fastpath.SchedSeq, sched.WRRStep: fastpath.SchedWRRStep,
	sched.LeastConn: fastpath.SchedLC, sched.WeightedLeastConn: fastpath.SchedWLC,
	sched.ShortestDelay: fastpath.SchedSED, sched.NeverQueue: fastpath.SchedNQ,
	sched.Failover: fastpath.SchedFO, sched.Overflow: fastpath.SchedOVF, sched.TwoChoices: fastpath.SchedTwoS,
	sched.SourceHash: fastpath.SchedSH, sched.DestHash: fastpath.SchedDH, sched.Maglev: fastpath.SchedMH,
	sched.Locality: fastpath.SchedLBLC, sched.LocalityReplicated: fastpath.SchedLBLCR,
}

// compileScheduler builds ss's scheduler table from its real servers
// (mh hashes their addresses, so an invalid one hashes as 0: the address
// check that follows refuses it anyway).
func compileScheduler(ss *ServiceSpec) (sched.Table, error) {
	dests := make([]sched.Dest, len(ss.Dests))
	for j, d := range ss.Dests {
		dests[j] = sched.Dest{Port: d.Port, Weight: d.Weight}
		if d.Addr.Is4() {
			dests[j].Addr = addrU32(d.Addr)
		}
	}
	return sched.Compile(ss.Scheduler, dests, sched.Options{Flags: ss.SchedulerFlags, MHTableSize: ss.MHTableSize})
}

// route returns the port and next hop for dst: a connected subnet first,
// then the first port with a gateway (the fast path routes the same way).
func route(ports []portInfo, dst uint32) (port int, nextHop uint32, ok bool) {
	if p, ok := connectedPort(ports, dst); ok {
		return p, dst, true
	}
	for i := range ports {
		if ports[i].gateway != 0 {
			return i, ports[i].gateway, true
		}
	}
	return 0, 0, false
}

func connectedPort(ports []portInfo, ip uint32) (int, bool) {
	for i := range ports {
		if ip&ports[i].mask == ports[i].net {
			return i, true
		}
	}
	return 0, false
}

// newPortInfo compiles a port spec; mac and dpdk id come from the started port.
func newPortInfo(ps PortSpec, dpdkID uint16, mac [6]byte) portInfo {
	bits := ps.Addr.Bits()
	mask := uint32(0)
	if bits > 0 {
		mask = ^uint32(0) << (32 - bits)
	}
	ip := addrU32(ps.Addr.Addr())
	p := portInfo{name: ps.Name, dpdk: dpdkID, mac: mac, ip: ip, net: ip & mask, mask: mask, mtu: ps.MTU, kernel: ps.Kernel.Enabled}
	if ps.Gateway.IsValid() {
		p.gateway = addrU32(ps.Gateway)
	}
	return p
}

// validateSecurity refuses what the fast path cannot apply (control/config
// reports the same in the operator's terms; this guards other callers).
func validateSecurity(sec *Security) error {
	switch {
	case sec.RPFilter > RPOff:
		return fmt.Errorf("security.rp_filter: mode %d is none of strict, loose, off", sec.RPFilter)
	case sec.FloodPct < 1 || sec.FloodPct > 100:
		return fmt.Errorf("security.flood_threshold: %d%% is outside 1..100", sec.FloodPct)
	case sec.SrcPrefixBits > 32:
		return fmt.Errorf("security.source_prefix: /%d is longer than /32", sec.SrcPrefixBits)
	}
	return nil
}
