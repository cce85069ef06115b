// Package admin is govsd's admin API: JSON over HTTP on a unix socket,
// the client govsctl uses, and the ipvsadm-like text formatting of replies.
package admin

import (
	"time"

	"github.com/govs-project/govs/dataplane/slowpath"
)

// Counters are traffic totals since the object was created.
type Counters struct {
	Conns    uint64 `json:"conns"`
	InPkts   uint64 `json:"in_pkts"`
	OutPkts  uint64 `json:"out_pkts"`
	InBytes  uint64 `json:"in_bytes"`
	OutBytes uint64 `json:"out_bytes"`
}

// RealServer is one destination of a service as the dataplane sees it now.
type RealServer struct {
	Address       string   `json:"address"`
	Port          uint16   `json:"port"`
	Method        string   `json:"method"` // nat | dr | tun
	Weight        uint32   `json:"weight"`
	ActiveConns   uint64   `json:"active_conns"`
	InactiveConns uint64   `json:"inactive_conns"`
	Stats         Counters `json:"stats"`
	// Health is the checker's verdict (HealthUp...); empty when the
	// service has no checks. A server that is down is listed although the
	// dataplane no longer schedules it (weight 0).
	Health      string    `json:"health,omitempty"`
	HealthSince time.Time `json:"health_since,omitzero"`
	HealthError string    `json:"health_error,omitempty"`
	Sorry       bool      `json:"sorry,omitempty"` // the service's sorry server, serving while quorum is lost

	// Override is the operator's runtime override (govsctl server ...).
	Override *Override `json:"override,omitempty"`
	Rate     *Rates    `json:"rate,omitempty"` // in /v1/services, once estimated

	// Connection thresholds as configured (ipvsadm -x/-y); 0: none.
	UpperThreshold uint32 `json:"upper_threshold,omitempty"`
	LowerThreshold uint32 `json:"lower_threshold,omitempty"`
}

// Service is one virtual service and its real servers.
type Service struct {
	Name      string `json:"name"`
	VIP       string `json:"vip"`
	Protocol  string `json:"protocol"` // tcp | udp
	Port      uint16 `json:"port"`
	Scheduler string `json:"scheduler"`
	// The IPVS options of the service, as configured: what ipvsadm -Ln
	// shows after the scheduler.
	SchedulerFlags     []string     `json:"scheduler_flags,omitempty"`
	PersistenceTimeout float64      `json:"persistence_timeout_s,omitempty"` // 0: not persistent
	PersistenceMask    string       `json:"persistence_mask,omitempty"`      // a netmask; empty: /32
	PersistenceGroup   string       `json:"persistence_group,omitempty"`
	OnePacket          bool         `json:"one_packet,omitempty"`
	Stats              Counters     `json:"stats"`
	RealServers        []RealServer `json:"real_servers"`

	Rate *Rates `json:"rate,omitempty"` // in /v1/services, once estimated
}

// PortStatus is one DPDK port with its ethdev counters.
type PortStatus struct {
	Name      string `json:"name"`
	Device    string `json:"device"`
	Address   string `json:"address"`
	MAC       string `json:"mac"`
	LinkUp    bool   `json:"link_up"`
	RxPackets uint64 `json:"rx_packets"`
	TxPackets uint64 `json:"tx_packets"`
	RxBytes   uint64 `json:"rx_bytes"`
	TxBytes   uint64 `json:"tx_bytes"`
	RxMissed  uint64 `json:"rx_missed"`
	RxErrors  uint64 `json:"rx_errors"`
	TxErrors  uint64 `json:"tx_errors"`
	RxNoMbuf  uint64 `json:"rx_nombuf"`
}

// Neighbour states (Linux's NUD states, simplified).
const (
	NeighReachable  = "reachable"  // confirmed recently
	NeighStale      = "stale"      // resolved, not confirmed lately (still used)
	NeighIncomplete = "incomplete" // asked, no answer yet
	NeighPermanent  = "permanent"  // configured static_neighbors
)

// Neighbor is one ARP table entry of the dataplane.
type Neighbor struct {
	IP    string `json:"ip"`
	MAC   string `json:"mac"`
	State string `json:"state"` // NeighReachable | NeighStale | NeighIncomplete | NeighPermanent
	Port  string `json:"port"`
	Held  int    `json:"held,omitempty"` // packets waiting for its MAC
}

// Resolved reports whether the neighbour's MAC is known.
func (n Neighbor) Resolved() bool { return n.State != NeighIncomplete && n.MAC != "" }

// KernelTraffic is one direction of a kernel interface.
type KernelTraffic struct {
	Packets uint64            `json:"packets"`
	Bytes   uint64            `json:"bytes"`
	Drops   map[string]uint64 `json:"drops"` // by reason
}

// KernelInterface is a port's kernel-side interface (the exception path):
// ToKernel is what the fast path handed the kernel from the port (drops:
// kernel_full, tap_full, no_mbuf), FromKernel what the kernel sent out of
// it (drops: inject_full, multi_segment, no_mbuf).
type KernelInterface struct {
	Name       string        `json:"name"`
	Port       string        `json:"port"`
	ToKernel   KernelTraffic `json:"to_kernel"`
	FromKernel KernelTraffic `json:"from_kernel"`
}

// Status is the daemon's overall state.
type Status struct {
	Ready      bool              `json:"ready"`
	Generation uint64            `json:"generation"` // config snapshots applied
	ConfigFile string            `json:"config_file"`
	Workers    []uint            `json:"workers"`
	Ports      []PortStatus      `json:"ports"`
	Kernel     []KernelInterface `json:"kernel_interfaces,omitempty"`
	Neighbors  []Neighbor        `json:"neighbors"`
}

// LcoreStats are one worker lcore's counters.
type LcoreStats struct {
	Lcore        uint              `json:"lcore"`
	RxPackets    uint64            `json:"rx_packets"`
	TxPackets    uint64            `json:"tx_packets"`
	Conns        uint64            `json:"conns"`               // current
	Templates    uint64            `json:"templates,omitempty"` // persistence templates in the table now
	ConnsCreated uint64            `json:"conns_created"`
	Drops        map[string]uint64 `json:"drops"` // by reason
	// Packets and bytes forwarded to real servers by method ("nat", "dr",
	// "tun"); NAT also counts the replies it translates.
	Methods        map[string]MethodStats `json:"methods"`
	Encapsulated   uint64                 `json:"encapsulated"`     // IPIP headers added (TUN)
	FragNeededSent uint64                 `json:"frag_needed_sent"` // ICMP fragmentation-needed sent (TUN, PMTU)
	MaxPollGapUs   uint64                 `json:"max_poll_gap_us"`  // longest time between two polls
	// PollGapsOver counts gaps between two polls longer than each
	// threshold ("50us", "200us", "1ms", "10ms").
	PollGapsOver map[string]uint64 `json:"poll_gaps_over"`
	// Reused counts SYNs that replaced a TIME_WAIT/CLOSE connection of the
	// same client port (IPVS conn_reuse_mode 1): scheduled anew.
	Reused uint64 `json:"reused"`
	// Punted counts packets handed to the slow path, by reason ("arp",
	// "neigh_unresolved"); Injected the frames it gave back to send.
	Punted   map[string]uint64 `json:"punted"`
	Injected uint64            `json:"injected"`
	// The outcomes of what the lcore received: rx_packets + inbox_packets =
	// forwarded + answered + punted + redirected + the drops.
	InboxPackets     uint64 `json:"inbox_packets"` // flows other lcores handed over
	Forwarded        uint64 `json:"forwarded"`
	Answered         uint64 `json:"answered"` // turned into our ICMP reply in place (echo, errors)
	Redirected       uint64 `json:"redirected"`
	TimeExceededSent uint64 `json:"time_exceeded_sent"`
	ICMPRateLimited  uint64 `json:"icmp_rate_limited"` // ICMP errors not sent: over security.icmp_rate
	InjectFailed     uint64 `json:"inject_failed"`
	Evicted          uint64 `json:"evicted"`        // half-open entries evicted for new connections
	NodestExpired    uint64 `json:"nodest_expired"` // connections removed because their server left (expire_nodest_conn)
	FloodActive      bool   `json:"flood_active"`   // table over security.flood_threshold
}

// MethodStats count what one forwarding method carried.
type MethodStats struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// Stats are the per-lcore counters, the drops summed over lcores, and the
// slow path's counters (ARP, neighbours, packets held for a MAC).
type Stats struct {
	Lcores   []LcoreStats      `json:"lcores"`
	Drops    map[string]uint64 `json:"drops"`
	SlowPath slowpath.Stats    `json:"slow_path"`
}

// Source is what the daemon provides to the admin API. Its methods are
// called from HTTP handler goroutines, concurrently.
type Source interface {
	Status() Status
	Services() []Service
	Stats() Stats
	// Reload re-reads the configuration file and applies it. An error that
	// wraps a *ReloadRefusedError is reported to the client as a bad request.
	Reload() error
	HealthSource
}
