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
	Kernel  KernelSpec       // start-time: a change needs a restart
}

// KernelSpec is a port's kernel interface (the exception path): a net_tap
// device govsd creates with the port's MAC, MTU and address, through
// which the kernel stack uses the data port as its own NIC. What the fast
// path does not serve itself on the port's address (and IPv4 multicast,
// and a copy of ARP) goes to it; what the kernel sends on it leaves the
// data port.
type KernelSpec struct {
	Enabled bool
	Name    string // the kernel interface's name (IFNAMSIZ: at most 15 bytes)
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
	// UpperThreshold and LowerThreshold are IPVS's connection thresholds
	// (ipvsadm -x, -y), applied on each worker lcore to its own count
	// (active + inactive): at the upper the server gets no new
	// connections there until it is below the lower. Upper 0: none;
	// lower 0: 3/4 of the upper, as IPVS.
	UpperThreshold, LowerThreshold uint32
}

// ServiceSpec is one virtual service (VIP, protocol, port).
type ServiceSpec struct {
	Name      string
	VIP       netip.Addr
	Proto     uint8 // 6 or 17
	Port      uint16
	Scheduler string
	// SchedulerFlags are IPVS's flags of the scheduler (sh-fallback,
	// sh-port, mh-fallback, mh-port) and MHTableSize mh's table size
	// (a prime of sched.MHTableSizes; 0: the default, 251).
	SchedulerFlags []string
	MHTableSize    uint32
	Dests          []DestSpec
	// ExpireNodestConn removes a connection whose real server left the
	// configuration at its next client packet, so that the client's next
	// SYN is scheduled anew (IPVS's expire_nodest_conn). Without it such
	// packets are dropped until the connection times out. Either way a
	// server of weight 0 keeps its connections (drain).
	ExpireNodestConn bool
	// Persistence pins a client network to a server across connections
	// (ipvsadm -p): a template outlives the last connection it gave a
	// server by this long. 0: off. PersistenceBits is the network's
	// prefix length (ipvsadm -M as a prefix; 0 is taken as 32).
	Persistence     time.Duration
	PersistenceBits int
	// ExpireQuiescentTemplate: a template whose server has weight 0 is
	// rescheduled instead of followed (IPVS's sysctl of that name).
	ExpireQuiescentTemplate bool
	// OnePacket schedules every datagram anew and keeps no connection
	// entry (ipvsadm -o; UDP only).
	OnePacket bool
	// PersistenceGroup names templates shared by the persistent services
	// of one VIP and protocol (what fwmark services give IPVS): a client
	// network pinned to a server address on one is pinned on all. "":
	// the service's own. Port 0 serves every port of the VIP no other
	// service has (IPVS's port-0 persistent service).
	PersistenceGroup string
}

// Spec is what can change on a reload: services, timeouts and the security
// rules. Ports are fixed for the life of the process (changing them needs a
// restart).
type Spec struct {
	Ports    []PortSpec
	Services []ServiceSpec
	Timeouts Timeouts
	Security Security
	// Sync is when an lcore emits a connection's sync record while this
	// director is the sync master (IPVS's sync_threshold, sync_period).
	Sync SyncRules
	// ARPAccept lets unsolicited ARP replies and gratuitous ARP update
	// neighbours (Linux's arp_accept).
	ARPAccept bool
	// Floating are addresses of ours that are no service VIP and no port
	// address, such as the real servers' NAT gateway that moves with a
	// VRRP instance: the port whose subnet holds one answers and
	// announces its ARP. The fast path does not serve them (replies
	// routed through the gateway are transit anyway): echo to one is
	// dropped not_local.
	Floating []netip.Addr
	// Standby are service VIPs or floating addresses whose VRRP instance
	// is not MASTER here: the fast path drops everything to a VIP
	// (vip_standby: no echo, no new or established connection) and the
	// slow path neither answers nor announces their ARP. Addresses not
	// listed are served as always.
	Standby []netip.Addr
	// VirtualMACs give some of those addresses a MAC of their own (VRRP's
	// virtual router MAC, use_vmac): the slow path answers and announces
	// their ARP with it, and the port whose subnet holds the address
	// accepts frames to it under security.mac_filter. Only addresses
	// served here (not standby) may be listed; everything else keeps the
	// port's MAC.
	VirtualMACs []VirtualMAC
}

// VirtualMAC is the MAC an address answers ARP with instead of its port's.
type VirtualMAC struct {
	Addr netip.Addr
	MAC  [6]byte
}

// VirtualRouterMAC is VRRP's virtual router MAC for vrid,
// 00:00:5e:00:01:VRID (RFC 5798 section 7.3).
func VirtualRouterMAC(vrid uint8) [6]byte {
	return [6]byte{0x00, 0x00, 0x5e, 0x00, 0x01, vrid}
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

// SyncRules are IPVS's sync_threshold and sync_period.
type SyncRules = fastpath.SyncRules

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
	// FlowAffinity is what the worker owning a flow is chosen by: the
	// client's address and port (the zero value), its address alone, or
	// its network of FlowAffinityBits, which persistence across workers
	// needs.
	FlowAffinity     FlowAffinity
	FlowAffinityBits int
	// SyncRing is the records each worker's two connection sync rings
	// hold (a power of two); 0: no connection sync.
	SyncRing int
}

// FlowAffinity is how flows are given to worker lcores.
type FlowAffinity = fastpath.FlowAffinity

const (
	AffinityAddressPort = fastpath.AffinityAddressPort
	AffinityAddress     = fastpath.AffinityAddress
	AffinityPrefix      = fastpath.AffinityPrefix
)
