package config

import "time"

// Security is how strictly the packet path checks what it receives (the
// rules are in README "Security"; each refusal is a counted drop reason).
// The defaults are those of a careful router: everything on.
type Security struct {
	// RPFilter is the reverse-path check, as Linux's rp_filter:
	// "strict" (the source must route back out of the receiving port),
	// "loose" (out of some port) or "off".
	RPFilter string
	// MACFilter forwards only frames sent to the port's own MAC
	// (broadcast is for ARP); off accepts frames to any MAC.
	MACFilter bool
	// RSTCheck refuses a client's RST whose sequence number is far from
	// the one its connection last carried (RFC 5961's blind-reset idea).
	RSTCheck bool
	// ARPAccept lets an unsolicited ARP reply or a gratuitous ARP update
	// a neighbour, as Linux's arp_accept; off, only answers to our
	// requests do.
	ARPAccept bool
	// ICMPRate and ICMPBurst bound the ICMP errors the director sends
	// (time exceeded, fragmentation needed), per second per lcore.
	ICMPRate  int
	ICMPBurst int
	// FloodThreshold is the share of a connection table (percent) above
	// which half-open entries expire after FloodSynRecv instead of their
	// timeout; a full table evicts half-open and closed entries for new
	// ones, never established ones (IPVS's secure_tcp and drop_entry).
	// FloodSynRecv defaults to the smaller of 3s and timeouts.tcp_syn_recv.
	FloodThreshold int
	FloodSynRecv   time.Duration
	// SourceLimit bounds the new connections per second from one source
	// prefix (SourcePrefix bits), per lcore; 0 is no limit.
	SourceLimit  int
	SourcePrefix int
}

// Reverse-path check modes.
const (
	RPStrict = "strict"
	RPLoose  = "loose"
	RPOff    = "off"
)

func defaultSecurity() Security {
	return Security{
		RPFilter: RPStrict, MACFilter: true, RSTCheck: true,
		ICMPRate: 1000, ICMPBurst: 50,
		FloodThreshold: 75, FloodSynRecv: defaultFloodSynRecv,
		SourcePrefix: 24,
	}
}

const defaultFloodSynRecv = 3 * time.Second

// decodeSecurity reads the security section; synRecv is the decoded
// timeouts.tcp_syn_recv, the bound of flood_syn_recv's default.
func decodeSecurity(o *object, s *Security, synRecv time.Duration) {
	s.FloodSynRecv = min(defaultFloodSynRecv, synRecv)
	o.str("rp_filter", &s.RPFilter)
	o.boolean("mac_filter", &s.MACFilter)
	o.boolean("rst_check", &s.RSTCheck)
	o.boolean("arp_accept", &s.ARPAccept)
	o.int("icmp_rate", &s.ICMPRate, 0, maxICMPRate)
	o.int("icmp_burst", &s.ICMPBurst, 1, maxICMPRate)
	o.int("flood_threshold", &s.FloodThreshold, 1, 100)
	o.duration("flood_syn_recv", &s.FloodSynRecv)
	o.int("source_limit", &s.SourceLimit, 0, maxICMPRate*1000)
	o.int("source_prefix", &s.SourcePrefix, 1, 32)
	o.close()
}

const maxICMPRate = 1 << 20

func (c *Config) validateSecurity(p *problems) {
	s := c.Security
	switch s.RPFilter {
	case RPStrict, RPLoose, RPOff:
	default:
		p.add("security.rp_filter", "must be strict, loose or off, got %q", s.RPFilter)
	}
	checkInt(p, "security.icmp_rate", s.ICMPRate, 0, maxICMPRate)
	checkInt(p, "security.icmp_burst", s.ICMPBurst, 1, maxICMPRate)
	checkInt(p, "security.flood_threshold", s.FloodThreshold, 1, 100)
	if s.FloodSynRecv < 100*time.Millisecond || s.FloodSynRecv > c.Timeouts.TCPSynRecv {
		p.add("security.flood_syn_recv", "must be between 100ms and timeouts.tcp_syn_recv (%v), got %v", c.Timeouts.TCPSynRecv, s.FloodSynRecv)
	}
	checkInt(p, "security.source_limit", s.SourceLimit, 0, maxICMPRate*1000)
	checkInt(p, "security.source_prefix", s.SourcePrefix, 1, 32)
}
