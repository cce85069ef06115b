// Package config loads the govs YAML configuration into a validated model.
//
// Decoding is strict (unknown keys and wrong types are errors) and every
// problem is reported with the path of the field it concerns, so an operator
// can fix a file in one pass instead of one error per restart.
package config

import (
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/govs-project/govs/lb"
)

// Config is the whole configuration of one govsd process.
type Config struct {
	EAL       EAL
	Dataplane Dataplane
	Timeouts  Timeouts
	Security  Security
	Ports     []Port
	Services  []Service
	VRRP      VRRP
	Sync      Sync
	Admin     Admin
	Metrics   Metrics
}

// EAL holds the DPDK Environment Abstraction Layer settings.
type EAL struct {
	// Lcores is the EAL -l list ("0-1", "0,2-3"). As in DPDK, the lowest
	// lcore is the main (control) lcore and the others run the packet loop.
	Lcores     string
	MemoryMB   int // -m; 0 leaves the EAL default
	InMemory   bool
	FilePrefix string
	HugeDir    string
	NoPCI      bool
	ExtraArgs  []string // appended verbatim, last
}

// Dataplane holds start-time sizing of the packet path.
type Dataplane struct {
	ConnTableSize int // entries per worker lcore
	// NeighborTableSize bounds the ARP table (learned entries; configured
	// next hops and static neighbours always fit).
	NeighborTableSize int
	Mbufs             int
	// MbufDataRoom is each mbuf's buffer: 128 bytes of headroom (TUN
	// prepends its outer header there) plus the largest frame.
	MbufDataRoom int
	Burst        int
	RxDesc       int
	TxDesc       int
	// IdleBackoff makes idle lcores sleep (up to IdleSleepMax) instead of
	// busy-polling, so two directors can share a small test host.
	IdleBackoff  bool
	IdleSleepMax time.Duration
	// FlowAffinity is what the worker lcore that owns a flow is chosen
	// by: AffinityAddressPort (the client's address and port),
	// AffinityAddress (its address alone, so persistence templates, which
	// are per lcore, see every connection of a client) or AffinityPrefix
	// (its network of FlowAffinityPrefix bits; written {prefix: N}).
	// Start-time.
	FlowAffinity       string
	FlowAffinityPrefix int
}

// Flow affinities (dataplane.flow_affinity).
const (
	AffinityAddressPort = "address_port"
	AffinityAddress     = "address"
	AffinityPrefix      = "prefix"
)

// Timeouts are the connection-state timeouts, named as in IPVS.
type Timeouts struct {
	TCPEstablished time.Duration
	TCPSynSent     time.Duration
	TCPSynRecv     time.Duration
	TCPFinWait     time.Duration
	TCPTimeWait    time.Duration
	TCPClose       time.Duration
	TCPCloseWait   time.Duration
	TCPLastAck     time.Duration
	TCPListen      time.Duration
	TCPSynAck      time.Duration
	UDP            time.Duration
}

// timeoutField pairs a YAML key with its field so decoding, defaults and
// validation walk one list instead of eleven copies of the same code.
type timeoutField struct {
	key string
	d   *time.Duration
}

func (t *Timeouts) fields() []timeoutField {
	return []timeoutField{
		{"tcp_established", &t.TCPEstablished},
		{"tcp_syn_sent", &t.TCPSynSent},
		{"tcp_syn_recv", &t.TCPSynRecv},
		{"tcp_fin_wait", &t.TCPFinWait},
		{"tcp_time_wait", &t.TCPTimeWait},
		{"tcp_close", &t.TCPClose},
		{"tcp_close_wait", &t.TCPCloseWait},
		{"tcp_last_ack", &t.TCPLastAck},
		{"tcp_listen", &t.TCPListen},
		{"tcp_synack", &t.TCPSynAck},
		{"udp", &t.UDP},
	}
}

// Port is one DPDK port and the director's own address on it.
type Port struct {
	Name    string
	Device  string       // vdev devargs ("net_tap0,iface=x") or PCI address
	Address netip.Prefix // the director's address; its subnet is connected
	Gateway netip.Addr   // optional; zero when unset
	MTU     int
	// StaticNeighbors are permanent ARP entries (as `ip neigh add ...
	// nud permanent`): never asked for, never replaced by ARP.
	StaticNeighbors []StaticNeighbor
	// Kernel is the port's kernel-side interface (the exception path):
	// what the fast path does not forward reaches the director's kernel
	// through it, and what the kernel sends on it leaves by the port.
	Kernel KernelInterface
}

// KernelInterface names the kernel network interface govsd creates for a
// port. Enabled by default; Name defaults to "govs-" + the port's name.
type KernelInterface struct {
	Enabled bool
	Name    string
}

// StaticNeighbor is a fixed IPv4-to-MAC mapping on a port's subnet.
type StaticNeighbor struct {
	Address netip.Addr
	MAC     net.HardwareAddr
}

// DeviceName is the device without its devargs: what DPDK keys devices by.
func (p Port) DeviceName() string {
	name, _, _ := strings.Cut(p.Device, ",")
	return name
}

// IsPCI reports whether the device is a PCI address rather than a vdev.
func (p Port) IsPCI() bool { return isPCIAddr(p.DeviceName()) }

// Service is one virtual service, keyed by (VIP, protocol, port). Port 0
// is every port of the VIP no other service has (a persistent service
// only, as IPVS's); its real servers' port 0 is the client's destination
// port.
type Service struct {
	Name      string // optional label
	VIP       netip.Addr
	Protocol  Protocol
	Port      uint16
	Scheduler string
	// SchedulerFlags are IPVS's scheduler flags (ipvsadm -b): sh-fallback
	// and sh-port for sh, mh-fallback and mh-port for mh.
	SchedulerFlags []string
	// MHTableSize is mh's lookup table size, a prime (0: 251, IPVS's).
	MHTableSize uint32
	RealServers []RealServer

	// ExpireNodestConn drops a connection's packets (and the connection)
	// once its real server is gone, as IPVS's expire_nodest_conn; off, they
	// stay until they time out. Default false, as IPVS.
	ExpireNodestConn bool
	// PersistenceTimeout pins a client network to the server its first
	// connection got (ipvsadm -p, keepalived persistence_timeout): a
	// template lasts this long after the last connection it made. 0: off
	// (ipvsadm's -p alone means 300s).
	PersistenceTimeout time.Duration
	// PersistenceGranularity is the client network's prefix length
	// (ipvsadm -M, keepalived persistence_granularity); default 32.
	PersistenceGranularity int
	// ExpireQuiescentTemplate: a template whose server has weight 0 is
	// rescheduled instead of followed (IPVS's sysctl of that name).
	ExpireQuiescentTemplate bool
	// OnePacket schedules every datagram anew and keeps no connection
	// (ipvsadm -o, keepalived ops); UDP only.
	OnePacket bool
	// PersistenceGroup shares templates between the persistent services
	// of one VIP and protocol (as IPVS's fwmark services): a client
	// network is pinned to one server address across them. "": none.
	PersistenceGroup string
	// Quorum is the least sum of the weights of healthy servers the
	// service needs; below it the sorry server takes over. Hysteresis
	// widens the band (up at Quorum+Hysteresis, down below
	// Quorum-Hysteresis), as keepalived. Defaults 1 and 0.
	Quorum     uint32
	Hysteresis uint32
	// Alpha starts every checked server down until its first success.
	Alpha bool
	// InhibitOnFailure is the default of every real server's: a failed
	// server gets weight 0 (its connections drain) instead of removal.
	InhibitOnFailure bool
	// QuorumUp and QuorumDown are commands (/bin/sh -c) run when the
	// quorum is gained or lost.
	QuorumUp, QuorumDown string
	// SorryServer serves while the quorum is lost; nil: none.
	SorryServer *RealServer
	// Check is the service's own check, the base every real server's
	// check is merged over; nil: servers are not checked by default.
	Check *Check
}

// RealServer is one destination of a service.
type RealServer struct {
	Address netip.Addr
	Port    uint16
	Weight  uint32 // 0..65535; 0 quiesces (no new connections)
	Method  Method
	// UpperThreshold and LowerThreshold are connection thresholds
	// (ipvsadm -x/-y, keepalived uthreshold/lthreshold) on each worker
	// lcore's own count: at the upper the server gets no new connections
	// until it is below the lower. 0: none; lower 0: 3/4 of the upper.
	UpperThreshold, LowerThreshold uint32

	// Check is the server's health check, the service's check with the
	// server's own keys merged over it (the loader merges); nil: not
	// checked, always up.
	Check *Check
	// InhibitOnFailure is resolved by the loader: the server's own value,
	// else the service's.
	InhibitOnFailure bool
	// NotifyUp and NotifyDown are commands (/bin/sh -c) run when the
	// server's health changes.
	NotifyUp, NotifyDown string
}

// Admin configures the admin API socket used by govsctl.
type Admin struct {
	Socket string
	// StateFile keeps the operator's runtime overrides (govsctl server
	// ...) across reloads and restarts; "" is DefaultStateFile.
	StateFile string
}

// StatePath is the state file govsd uses.
func (a Admin) StatePath() string {
	if a.StateFile == "" {
		return DefaultStateFile
	}
	return a.StateFile
}

// Metrics configures the optional TCP listener for Prometheus.
type Metrics struct {
	Listen string // host:port; empty means only on the admin socket
}

// Protocol and Method are shared with the dataplane (package lb).
type (
	Protocol = lb.Protocol
	Method   = lb.Method
)

const (
	ProtoTCP  = lb.ProtoTCP
	ProtoUDP  = lb.ProtoUDP
	MethodNAT = lb.MethodNAT
	MethodDR  = lb.MethodDR
	MethodTUN = lb.MethodTUN
)

var (
	ParseProtocol = lb.ParseProtocol
	ParseMethod   = lb.ParseMethod
)
