package dataplane

import "sync/atomic"

// Counters are written by one lcore only and read by the control plane.
// The writer uses plain loads and stores: on amd64 an aligned 8-byte store
// is atomic, while sync/atomic's Store is an implicitly locked XCHG that cost
// ~10 % of the per-packet time with six counters per packet. Readers use
// atomic loads, so they see whole values, possibly a few packets old.

// Directions of a connection's packets, indexing trafficCounters.dir.
const (
	dirIn  = 0 // client -> server
	dirOut = 1 // server -> client (NAT replies)
)

// trafficCounters are per service or per real server.
type trafficCounters struct {
	conns            uint64
	dir              [2]packetCounters // by dirIn / dirOut
	active, inactive uint64            // current connections by state (ipvsadm ActiveConn/InActConn)
	_                uint64            // pad to 64 bytes
}

// packetCounters count packets and their IP bytes.
type packetCounters struct{ pkts, bytes uint64 }

// methodCounters count client->server packets forwarded by one method (and,
// for NAT, the replies too).
type methodCounters = packetCounters

const numMethods = 3

type lcoreCounters struct {
	rxPkts, txPkts, created, redirected uint64
	live                                uint64 // connections in the table now
	encapsulated                        uint64 // IPIP headers added (TUN)
	fragNeededSent                      uint64 // ICMP fragmentation-needed we originated
	maxLoopGapNs                        uint64 // longest time between two polls (runtime stalls show here)
	method                              [numMethods]methodCounters
	pollGaps                            [len(PollGapThresholds)]uint64 // gaps longer than each threshold
	_                                   [6]uint64
	drops                               [NumDrops]uint64
	_                                   [8]uint64
	svc                                 [MaxServices]trafficCounters
	rs                                  [MaxRealServers]trafficCounters
}

// PollGapThresholds are the gap lengths (ns) whose exceedances are counted:
// a gap longer than an rx ring's worth of traffic (1024 descriptors at 5
// Mpps: 205 µs) drops packets on a real NIC.
var PollGapThresholds = [4]uint64{50_000, 200_000, 1_000_000, 10_000_000}

func add(p *uint64, n uint64) { *p += n }
func sub(p *uint64, n uint64) { *p -= n }
func load(p *uint64) uint64   { return atomic.LoadUint64(p) }

// TrafficStats is a summed read-out of trafficCounters.
type TrafficStats struct {
	Conns, InPkts, OutPkts, InBytes, OutBytes uint64
	Active, Inactive                          uint64
}

func (t *TrafficStats) addFrom(c *trafficCounters) {
	t.Conns += load(&c.conns)
	t.InPkts += load(&c.dir[dirIn].pkts)
	t.OutPkts += load(&c.dir[dirOut].pkts)
	t.InBytes += load(&c.dir[dirIn].bytes)
	t.OutBytes += load(&c.dir[dirOut].bytes)
	t.Active += load(&c.active)
	t.Inactive += load(&c.inactive)
}
