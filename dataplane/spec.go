package dataplane

import (
	"net/netip"
	"time"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/lb"
)

// Method is how packets reach a real server, chosen per real server as in IPVS.
type Method = lb.Method

const (
	MethodNAT = lb.MethodNAT
	MethodDR  = lb.MethodDR
	MethodTUN = lb.MethodTUN
)

// PortSpec describes one DPDK port and the director's address on it.
type PortSpec struct {
	Name    string
	Device  string       // vdev devargs ("net_tap0,iface=x") or PCI address
	Addr    netip.Prefix // the director's own address and the connected subnet
	Gateway netip.Addr   // optional next hop for destinations outside every subnet
	MTU     int
	Static  []StaticNeighbor // permanent ARP entries
}

// StaticNeighbor is a permanent neighbour entry on a port.
type StaticNeighbor struct {
	Addr netip.Addr
	MAC  [6]byte
}

// DestSpec is one real server of a service.
type DestSpec struct {
	Addr   netip.Addr
	Port   uint16
	Weight uint32
	Method Method
}

// ServiceSpec is one virtual service (VIP, protocol, port).
type ServiceSpec struct {
	Name      string
	VIP       netip.Addr
	Proto     uint8 // 6 or 17
	Port      uint16
	Scheduler string
	Dests     []DestSpec
}

// Spec is what can change on a reload: services, timeouts and the security
// rules. Ports are fixed for the life of the process (changing them needs a
// restart).
type Spec struct {
	Ports    []PortSpec
	Services []ServiceSpec
	Timeouts Timeouts
	Security Security
	// ARPAccept lets unsolicited ARP replies and gratuitous ARP update
	// neighbours (Linux's arp_accept).
	ARPAccept bool
}

// Security is the fast path's ingress rules and flood defence.
type Security = fastpath.Security

// Reverse-path check modes.
const (
	RPStrict = fastpath.RPStrict
	RPLoose  = fastpath.RPLoose
	RPOff    = fastpath.RPOff
)

// Timeouts are the idle timeouts of connection states in milliseconds,
// indexed by the State constants.
type Timeouts = fastpath.Timeouts

// Options are start-time settings of the dataplane. Every field must be
// set: the configuration's defaults are the only ones (control/config).
type Options struct {
	EALArgs       []string
	ConnTableSize int // per worker lcore
	Mbufs         int
	MbufDataRoom  int // headroom (128) + the largest frame
	Burst         int
	RxDesc        int
	TxDesc        int
	IdleBackoff   bool
	IdleSleepMax  time.Duration
	// NeighCapacity bounds the neighbour table (entries).
	NeighCapacity int
}
