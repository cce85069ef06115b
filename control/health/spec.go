package health

import (
	"net/netip"
	"time"
)

// Kind is the type of a check.
type Kind string

const (
	KindTCP    Kind = "tcp"    // a TCP connect (TCP_CHECK)
	KindHTTP   Kind = "http"   // an HTTP/1.1 request (HTTP_GET)
	KindHTTPS  Kind = "https"  // the same over TLS (SSL_GET)
	KindUDP    Kind = "udp"    // a datagram; ICMP port unreachable is down (UDP_CHECK)
	KindDNS    Kind = "dns"    // a DNS query over UDP (DNS_CHECK)
	KindPing   Kind = "ping"   // an ICMP echo (PING_CHECK)
	KindScript Kind = "script" // an external command (MISC_CHECK)
)

// Check is everything a checker needs. It is comparable with ==, so a
// reload can tell an unchanged check (state kept) from a changed one.
type Check struct {
	Kind Kind
	// Interval separates the starts of two checks; after a failure of a
	// server that is not yet down the next comes after RetryDelay. The
	// first check comes after a random delay in [0, Warmup).
	Interval, Timeout, RetryDelay, Warmup time.Duration
	Rise, Fall                            uint32 // consecutive results to go up, down; 0 counts as 1

	// ConnectAddr and ConnectPort replace the server's; SourceAddr is the
	// local address checks are sent from. Zero: unset.
	ConnectAddr netip.Addr
	ConnectPort uint16
	SourceAddr  netip.Addr

	// http and https.
	Method    string    // "" is GET
	Path      string    // "" is /
	Host      string    // Host header; "" is the address (and port) connected to
	Status    StatusSet // codes that are up; empty is 200-299
	BodyRegex string    // RE2; the body must match
	Digest    string    // hex MD5 of the whole body
	TLSSNI    string    // https: server name sent
	TLSVerify bool      // https: verify the chain and the name

	// udp.
	Payload      string // the datagram's bytes
	RequireReply bool   // a reply must arrive; else only an ICMP error is down

	// dns.
	QueryName     string // "" is the root
	QueryType     string // A, AAAA, NS, SOA, MX, TXT, CNAME or PTR; "" is SOA
	RequireAnswer bool   // the reply must hold a record of QueryType (or a CNAME)

	// script.
	Command string // run with /bin/sh -c
	Dynamic bool   // exit 2..255 is up with weight code-2 (misc_dynamic)
}

// StatusSet is a set of HTTP status codes 0..639, as a bitmap so that a
// Check stays comparable.
type StatusSet [10]uint64

// Add puts the codes lo..hi (inclusive) in the set; codes outside 0..639
// are ignored.
func (s *StatusSet) Add(lo, hi int) {
	for c := max(lo, 0); c <= hi && c < 640; c++ {
		s[c/64] |= 1 << (c % 64)
	}
}

// Has reports whether code is in the set.
func (s *StatusSet) Has(code int) bool {
	return code >= 0 && code < 640 && s[code/64]&(1<<(code%64)) != 0
}

// IsZero reports whether the set is empty.
func (s *StatusSet) IsZero() bool { return *s == StatusSet{} }

// ServerSpec is one real server of a service.
type ServerSpec struct {
	Addr   netip.Addr
	Port   uint16
	Weight uint32
	// Check is nil for a server that is not checked: always up.
	Check *Check
	// NotifyUp and NotifyDown run (with /bin/sh -c) when the server goes
	// up or down.
	NotifyUp, NotifyDown string
}

// ServiceSpec is one virtual service: its quorum and its servers.
type ServiceSpec struct {
	Key string // unique, e.g. "tcp/10.0.0.10:80"
	// The quorum is gained when the weights of the up servers add up to
	// Quorum+Hysteresis and lost below Quorum-Hysteresis (or at 0).
	Quorum, Hysteresis uint32
	// Alpha starts checked servers down until their first success.
	Alpha                bool
	QuorumUp, QuorumDown string // commands run when the quorum is gained, lost
	Servers              []ServerSpec
}

// Spec is the whole set of services to check.
type Spec struct {
	Services []ServiceSpec
}
