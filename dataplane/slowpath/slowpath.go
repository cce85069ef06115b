// Package slowpath is the director's neighbour (ARP) slow path. The C lcores
// punt to it every ARP frame and every packet whose next hop's MAC they do
// not know; it answers ARP for the ports and VIPs, learns neighbours with the
// hygiene of a Linux router (hygiene.go: which addresses and MACs may be
// learned at all; accept.go: which ARP may create, update or refresh an
// entry, by default only replies to our own requests and requests aimed at
// us), keeps configured next hops resolved, ages learned entries, holds
// packets while their next hop is resolved (the kernel's unres_qlen), and
// writes every binding into the Mirror the lcores read.
//
// Nothing here is per packet on the fast path, so it favours clarity: one
// mutex, Go maps, time.Time. Apply, HandleARP, HandleUnresolved and Tick are
// meant to be called from one goroutine; Entries and Stats may be called
// from any. The implementations of Mirror, Wire and Packet are called with
// the lock held and must not call back into the SlowPath.
//
// Time is whatever the callers pass as now (tests use a fake clock). Entries
// reports ages and states as of the last now seen.
//
// What the caller (the glue between the punt rings and this package) does:
// Apply every configuration snapshot, the first before the lcores punt
// anything; call Tick every 50-100 ms (timers are only as precise as that);
// hand each punted ARP frame to HandleARP and each packet punted for an
// unknown next hop to HandleUnresolved. Apply never transmits: the
// gratuitous ARPs and first requests of a new view go out on the next Tick.
package slowpath

import (
	"sync"
	"time"

	"github.com/govs-project/govs/dataplane/packet"
)

// Port is one DPDK port as the slow path sees it. Addresses are IPv4 in host
// byte order.
type Port struct {
	Name string
	MAC  [6]byte
	IP   uint32 // the port's own address; 0 = none
	Net  uint32 // connected subnet
	Mask uint32
}

// StaticNeighbor is a permanent binding from the configuration.
type StaticNeighbor struct {
	IP   uint32
	MAC  [6]byte
	Port int
}

// View is the configuration the slow path acts on; a new one comes with
// every configuration snapshot.
type View struct {
	Gen   uint64         // snapshot generation; a new Gen triggers gratuitous ARPs
	Ports []Port         // indexed by DPDK port index
	VIPs  map[uint32]int // VIPs and floating addresses -> index of the port that answers ARP for them
	// Standby VIPs (keys of VIPs) belong to a VRRP instance that is not
	// MASTER here: their ARP is not answered nor announced (the master
	// does both); they stay our addresses, so nothing learns them.
	Standby map[uint32]bool
	// MACs are the MACs that VIPs (keys of VIPs, none standby) answer and
	// announce their ARP with, as sender and Ethernet source, instead of
	// their port's: VRRP's virtual router MAC.
	MACs   map[uint32][6]byte
	Wanted map[uint32]int // next hops to keep resolved (real servers, gateways) -> port index
	Static []StaticNeighbor

	// ARPAccept lets ARP that answers no request of ours bind a MAC, as
	// Linux's arp_accept (security.arp_accept): an unsolicited reply may
	// then create or update an entry, and a gratuitous ARP update an
	// existing one (a VRRP pair of gateways or real servers announcing a
	// takeover). Off, the default, a reply binds only if it answers a
	// request we sent, and gratuitous ARP changes nothing; the rules are
	// in accept.go.
	ARPAccept bool
}

// Mirror is the fast path's read-only copy of the neighbour table. The slow
// path is its only writer: it either holds an entry's current binding or
// nothing for it.
type Mirror interface {
	Set(ip uint32, port int, mac [6]byte) error // error: mirror full
	Delete(ip uint32)
}

// Wire transmits frames the slow path originates. Send copies frame (the
// slow path reuses its buffer); false means it could not (no mbuf, ring full).
type Wire interface {
	Send(port int, frame []byte) bool
}

// Packet is a frame the fast path punted. The slow path owns it until it
// calls exactly one of Send or Free.
type Packet interface {
	Frame() []byte      // the frame bytes, writable in place
	Send(port int) bool // transmit it as it now is; false = failed (it is freed then)
	Free()
}

// Config holds limits and timers; zero fields take the defaults below.
type Config struct {
	MaxEntries    int           // bound on the table (default 4096); configured entries always fit
	ReachableTime time.Duration // a confirmation keeps an entry REACHABLE this long (default 30 s)
	RetryTime     time.Duration // between two requests for one neighbour (default 1 s)
	MaxProbes     int           // requests before giving up a learned entry; also unicast probes of a stale wanted one, GARP attempts (default 3)
	GCStale       time.Duration // unconfirmed learned entries are deleted after (default 5 min)
	HoldPerNeigh  int           // packets held per unresolved neighbour (default 16)
	HoldTotal     int           // packets held overall (default 1024)
	HoldTimeout   time.Duration // a held packet is dropped after (default 3 s)
}

// Defaults follow Linux's neighbour table (base_reachable_time 30 s,
// retrans_time 1 s, ucast/mcast_probes 3, unres_qlen of the order of 16
// packets) and the worker's former behaviour (refresh every 30 s, retry 1 s).
// GCStale is longer than Linux's gc_stale_time (60 s) because Linux only
// collects once a table passes gc_thresh1 (128 entries), so small tables keep
// stale entries for a long time; 5 minutes bridges a quiet client's pauses
// and still bounds what a departed host leaves behind. 4096 entries is the
// old shared table's size; 3 s of hold covers the 3 probes of a resolution.
const (
	DefaultMaxEntries    = 4096
	DefaultReachableTime = 30 * time.Second
	DefaultRetryTime     = time.Second
	DefaultMaxProbes     = 3
	DefaultGCStale       = 5 * time.Minute
	DefaultHoldPerNeigh  = 16
	DefaultHoldTotal     = 1024
	DefaultHoldTimeout   = 3 * time.Second
)

func (c Config) withDefaults() Config {
	orInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	orDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	orInt(&c.MaxEntries, DefaultMaxEntries)
	orDur(&c.ReachableTime, DefaultReachableTime)
	orDur(&c.RetryTime, DefaultRetryTime)
	orInt(&c.MaxProbes, DefaultMaxProbes)
	orDur(&c.GCStale, DefaultGCStale)
	orInt(&c.HoldPerNeigh, DefaultHoldPerNeigh)
	orInt(&c.HoldTotal, DefaultHoldTotal)
	orDur(&c.HoldTimeout, DefaultHoldTimeout)
	return c
}

// SlowPath is the neighbour slow path. Create it with New.
type SlowPath struct {
	mu     sync.Mutex
	cfg    Config
	mirror Mirror
	wire   Wire

	applied bool // a View has been applied (the first one always announces)
	view    View
	own     map[uint32]bool // port addresses and VIPs: never learned

	table   table
	holding int // packets held over all neighbours

	garps []announcement // gratuitous ARPs the next Tick sends
	stats Stats
	now   time.Time // the latest now passed in, the clock of Entries

	// scratch space, reused: nothing here is retained past a call
	parsed packet.Parsed
	arp    packet.ARP
	frame  [packet.MinFrameLen]byte
}

// New returns a slow path with no ports; nothing happens until Apply.
func New(cfg Config, mirror Mirror, wire Wire) *SlowPath {
	return &SlowPath{cfg: cfg.withDefaults(), mirror: mirror, wire: wire, table: newTable()}
}

// Tick does everything that is due by time: gratuitous ARPs after a new
// generation, requests for unresolved and stale next hops, aging and hold
// timeouts. Call it every 50-100 ms; timers are only as precise as that.
func (s *SlowPath) Tick(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
	s.announce()
	for _, n := range s.table.byIP {
		s.maintain(n, now)
	}
}
