package slowpath

import (
	"cmp"
	"slices"
	"time"
)

// Stats are the slow path's counters since New, plus two gauges (Entries,
// Holding). Every packet that is freed rather than sent is counted under
// one reason.
type Stats struct {
	ARPReceived      uint64  `json:"arp_received"`      // frames given to HandleARP
	ARPInvalid       uint64  `json:"arp_invalid"`       // not untagged Ethernet/IPv4 request/reply, or unknown port
	RequestsAnswered uint64  `json:"requests_answered"` // replies sent for our addresses and VIPs
	RepliesReceived  uint64  `json:"replies_received"`  // valid ARP replies
	NotForUs         uint64  `json:"not_for_us"`        // valid requests for an address not ours on the port (gratuitous ARP aside)
	RequestsSent     uint64  `json:"requests_sent"`     // requests and probes we sent
	GARPSent         uint64  `json:"garp_sent"`         // gratuitous ARPs sent
	Learned          uint64  `json:"learned"`           // first binding of an entry
	Updated          uint64  `json:"updated"`           // binding of a resolved entry changed
	Refused          Refused `json:"refused"`           // bindings and next hops refused, by reason
	MirrorFull       uint64  `json:"mirror_full"`       // Mirror.Set failed
	EntriesDeleted   uint64  `json:"entries_deleted"`   // aged out, given up, evicted or unconfigured
	Evicted          uint64  `json:"evicted"`           // deleted to make room (also in entries_deleted)
	Held             uint64  `json:"held"`              // packets put on hold
	HoldSent         uint64  `json:"hold_sent"`         // held packets sent once resolved
	HoldOverflow     uint64  `json:"hold_overflow"`     // packets freed: hold queue full
	HoldTimeout      uint64  `json:"hold_timeout"`      // held packets freed: too old, or their entry deleted
	SentKnown        uint64  `json:"sent_known"`        // punted as unresolved but the MAC was known: sent at once
	PuntInvalid      uint64  `json:"punt_invalid"`      // unresolved punts with a bad port or a runt frame
	SendFailed       uint64  `json:"send_failed"`       // Wire.Send or Packet.Send failed
	Entries          uint64  `json:"entries"`           // gauge: entries in the table
	Holding          uint64  `json:"holding"`           // gauge: packets held now
}

// Refused counts bindings not learned (and punted next hops not resolved).
type Refused struct {
	NotInSubnet uint64 `json:"not_in_subnet"` // outside the receiving port's subnet, or known on another port
	OwnAddress  uint64 `json:"own_address"`   // a port address or VIP
	BadMAC      uint64 `json:"bad_mac"`       // broadcast, multicast or zero MAC
	BadAddress  uint64 `json:"bad_address"`   // 0.0.0.0, broadcast, the subnet's network or broadcast address
	TableFull   uint64 `json:"table_full"`    // no room and nothing stale to evict
	Unsolicited uint64 `json:"unsolicited"`   // ARP that may not bind that MAC: see accept.go
}

// State is an entry's neighbour state, as Linux's NUD states simplified.
type State uint8

// States.
const (
	StateIncomplete State = iota // asked, no answer yet
	StateReachable               // confirmed within ReachableTime
	StateStale                   // not confirmed since
	StatePermanent               // static, from the configuration
)

var stateNames = [...]string{"incomplete", "reachable", "stale", "permanent"}

func (st State) String() string {
	if int(st) < len(stateNames) {
		return stateNames[st]
	}
	return "unknown"
}

// MarshalText makes the state its name in JSON.
func (st State) MarshalText() ([]byte, error) { return []byte(st.String()), nil }

// Entry is one neighbour, for status output.
type Entry struct {
	IP     uint32        `json:"ip"`
	MAC    [6]byte       `json:"mac"` // zero while incomplete
	Port   int           `json:"port"`
	State  State         `json:"state"`
	Wanted bool          `json:"wanted"` // a configured next hop
	Age    time.Duration `json:"age"`    // since the last confirmation (incomplete: since created)
	Probes int           `json:"probes"` // requests unanswered since the last confirmation
	Held   int           `json:"held"`   // packets waiting for it
}

// Entries lists the table by address, as of the last time passed to the
// slow path.
func (s *SlowPath) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, 0, len(s.table.byIP))
	for _, n := range s.table.byIP {
		since := n.confirmed
		if !n.resolved {
			since = n.created
		}
		out = append(out, Entry{
			IP: n.ip, MAC: n.mac, Port: n.port, State: s.state(n, s.now), Wanted: n.wanted,
			Age: s.now.Sub(since), Probes: n.probes, Held: len(n.held),
		})
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.IP, b.IP) })
	return out
}

// Stats returns a copy of the counters.
func (s *SlowPath) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Entries = uint64(len(s.table.byIP))
	st.Holding = uint64(s.holding)
	return st
}
