package dataplane

import (
	"fmt"
	"net/netip"

	"github.com/govs-project/govs/dataplane/conntrack"
	"github.com/govs-project/govs/dataplane/packet"
	"github.com/govs-project/govs/dataplane/sched"
)

// Limits of the per-lcore counter arrays (ids are never reused while the
// process lives, so a reload cannot mix the counters of two servers).
const (
	MaxServices    = 1024
	MaxRealServers = 8192
	maxPorts       = 16
)

// portInfo is a port as the lcores see it.
type portInfo struct {
	name    string
	dpdk    uint16 // DPDK port id
	mac     packet.MAC
	ip      uint32
	net     uint32
	mask    uint32
	gateway uint32 // 0 = none
	mtu     int
}

// dest is one real server inside a snapshot, with its route precomputed.
type dest struct {
	id      uint16 // stable counter id
	ip      uint32
	port    uint16
	weight  uint32
	method  Method
	outPort uint8  // port index towards the server
	nextHop uint32 // the server itself or a gateway
}

// service is one virtual service inside a snapshot.
type service struct {
	index     int    // position in Snapshot.services (per-lcore scheduler state)
	id        uint16 // stable counter id
	name      string
	vip       uint32
	proto     uint8
	port      uint16
	scheduler sched.Scheduler
	dests     []dest
	vipPort   uint8 // port that owns the VIP (answers ARP for it)
}

// Snapshot is an immutable view of the configuration, built by the control
// plane and swapped atomically; lcores load it once per burst.
type Snapshot struct {
	gen      uint64
	ports    []portInfo
	services []service
	timeouts conntrack.Timeouts

	// open-addressing indexes (no Go map on the hot path)
	svcSlots []int32 // index+1 into services, keyed by (vip, proto, port)
	svcMask  uint32
	vipSlots []uint64 // vip<<32 | portIndex+1, keyed by vip
	vipMask  uint32

	// addresses the dataplane keeps resolved: servers and gateways
	wanted []wantedNeigh
}

type wantedNeigh struct {
	ip   uint32
	port uint8
}

func addrU32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func u32Addr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func svcKeyHash(vip uint32, proto uint8, port uint16) uint32 {
	h := (uint64(vip)<<24 | uint64(proto)<<16 | uint64(port)) * 0x9E3779B97F4A7C15
	return uint32(h >> 32)
}

func vipHash(vip uint32) uint32 {
	return uint32((uint64(vip) * 0x9E3779B97F4A7C15) >> 32)
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

// buildSnapshot validates spec against the running ports and compiles it.
// Errors name the service and server they are about.
func buildSnapshot(gen uint64, spec *Spec, ports []portInfo, ids *idAllocator) (*Snapshot, error) {
	s := &Snapshot{gen: gen, ports: ports, timeouts: spec.Timeouts}
	if len(spec.Services) > MaxServices {
		return nil, fmt.Errorf("services: %d configured, at most %d", len(spec.Services), MaxServices)
	}
	wanted := map[uint32]uint8{}
	for _, p := range ports {
		if p.gateway != 0 {
			wanted[p.gateway] = portIndexFor(ports, p.gateway)
		}
	}
	for i := range spec.Services {
		ss := &spec.Services[i]
		field := fmt.Sprintf("services[%d]", i)
		if !ss.VIP.Is4() {
			return nil, fmt.Errorf("%s.vip: %v is not an IPv4 address", field, ss.VIP)
		}
		vip := addrU32(ss.VIP)
		vipPort, ok := connectedPort(ports, vip)
		if !ok {
			return nil, fmt.Errorf("%s.vip: %v is not inside any port's subnet, so no port would answer ARP for it", field, ss.VIP)
		}
		key := fmt.Sprintf("%d/%v:%d", ss.Proto, ss.VIP, ss.Port)
		id, err := ids.svc.id(key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		weights := make([]uint32, len(ss.Dests))
		for j, d := range ss.Dests {
			weights[j] = d.Weight
		}
		name := ss.Scheduler
		if name == "" {
			name = "wrr"
		}
		sc, err := sched.New(name, weights)
		if err != nil {
			return nil, fmt.Errorf("%s.scheduler: %w", field, err)
		}
		svc := service{index: i, id: id, name: ss.Name, vip: vip, proto: ss.Proto, port: ss.Port, scheduler: sc, vipPort: uint8(vipPort)}
		for j, d := range ss.Dests {
			dfield := fmt.Sprintf("%s.real_servers[%d]", field, j)
			if !d.Addr.Is4() {
				return nil, fmt.Errorf("%s.address: %v is not an IPv4 address", dfield, d.Addr)
			}
			ip := addrU32(d.Addr)
			out, hop, ok := route(ports, ip)
			if !ok {
				return nil, fmt.Errorf("%s.address: %v is not in a connected subnet and no port has a gateway", dfield, d.Addr)
			}
			if d.Method == MethodDR && hop != ip {
				return nil, fmt.Errorf("%s.address: %v is not on a connected subnet; direct routing only rewrites the MAC, so the real server must share a segment with a port", dfield, d.Addr)
			}
			rid, err := ids.rs.id(fmt.Sprintf("%s/%v:%d", key, d.Addr, d.Port))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", dfield, err)
			}
			svc.dests = append(svc.dests, dest{id: rid, ip: ip, port: d.Port, weight: d.Weight, method: d.Method, outPort: uint8(out), nextHop: hop})
			wanted[hop] = uint8(out)
		}
		s.services = append(s.services, svc)
	}
	s.index()
	for ip, port := range wanted {
		s.wanted = append(s.wanted, wantedNeigh{ip: ip, port: port})
	}
	return s, nil
}

// index builds the service and VIP lookup tables at load factor <= 1/2.
func (s *Snapshot) index() {
	n := 16
	for n < 2*len(s.services) {
		n <<= 1
	}
	s.svcSlots = make([]int32, n)
	s.svcMask = uint32(n - 1)
	s.vipSlots = make([]uint64, n)
	s.vipMask = uint32(n - 1)
	for i := range s.services {
		sv := &s.services[i]
		h := svcKeyHash(sv.vip, sv.proto, sv.port) & s.svcMask
		for s.svcSlots[h] != 0 {
			h = (h + 1) & s.svcMask
		}
		s.svcSlots[h] = int32(i + 1)
		if _, ok := s.vipOwner(sv.vip); !ok {
			v := vipHash(sv.vip) & s.vipMask
			for s.vipSlots[v] != 0 {
				v = (v + 1) & s.vipMask
			}
			s.vipSlots[v] = uint64(sv.vip)<<32 | (uint64(sv.vipPort) + 1)
		}
	}
}

// lookupService finds the service for (vip, proto, port), or nil.
func (s *Snapshot) lookupService(vip uint32, proto uint8, port uint16) *service {
	h := svcKeyHash(vip, proto, port) & s.svcMask
	for {
		i := s.svcSlots[h]
		if i == 0 {
			return nil
		}
		sv := &s.services[i-1]
		if sv.vip == vip && sv.proto == proto && sv.port == port {
			return sv
		}
		h = (h + 1) & s.svcMask
	}
}

// vipOwner reports whether ip is a VIP and which port answers ARP for it.
func (s *Snapshot) vipOwner(ip uint32) (int, bool) {
	h := vipHash(ip) & s.vipMask
	for {
		v := s.vipSlots[h]
		if v == 0 {
			return 0, false
		}
		if uint32(v>>32) == ip {
			return int(uint32(v)) - 1, true
		}
		h = (h + 1) & s.vipMask
	}
}

// ownAddress reports whether ip is one of the director's port addresses.
func (s *Snapshot) ownAddress(ip uint32) (int, bool) {
	for i := range s.ports {
		if s.ports[i].ip == ip {
			return i, true
		}
	}
	return 0, false
}

// route returns the port and next hop for dst: a connected subnet first, then
// the first port with a gateway.
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

func portIndexFor(ports []portInfo, ip uint32) uint8 {
	p, _ := connectedPort(ports, ip)
	return uint8(p)
}

// newPortInfo compiles a port spec; mac and dpdk id come from the started port.
func newPortInfo(ps PortSpec, dpdkID uint16, mac packet.MAC) portInfo {
	bits := ps.Addr.Bits()
	mask := uint32(0)
	if bits > 0 {
		mask = ^uint32(0) << (32 - bits)
	}
	ip := addrU32(ps.Addr.Addr())
	p := portInfo{name: ps.Name, dpdk: dpdkID, mac: mac, ip: ip, net: ip & mask, mask: mask, mtu: ps.MTU}
	if ps.Gateway.IsValid() {
		p.gateway = addrU32(ps.Gateway)
	}
	if p.mtu == 0 {
		p.mtu = 1500
	}
	return p
}
