package config

import (
	"net/netip"
	"time"
)

// CheckType is the kind of health check (keepalived's checker blocks).
type CheckType string

const (
	CheckNone   CheckType = "none" // a real server's way to opt out of its service's check
	CheckTCP    CheckType = "tcp"
	CheckHTTP   CheckType = "http"
	CheckHTTPS  CheckType = "https"
	CheckUDP    CheckType = "udp"
	CheckDNS    CheckType = "dns"
	CheckPing   CheckType = "ping"
	CheckScript CheckType = "script"
)

// checkTypes lists the accepted types in the order error messages show them.
var checkTypes = []CheckType{CheckTCP, CheckHTTP, CheckHTTPS, CheckUDP, CheckDNS, CheckPing, CheckScript, CheckNone}

// Check is one health check of a real server. The timing fields apply to
// every type; each type-specific group is zero unless Type is its type.
type Check struct {
	Type CheckType
	// Interval is the time between the starts of two checks (keepalived's
	// delay_loop); RetryDelay replaces it after a failure while the server
	// is not yet down (delay_before_retry).
	Interval   time.Duration
	Timeout    time.Duration // bounds one check (connect_timeout; a script's misc_timeout)
	RetryDelay time.Duration
	// Warmup spreads first checks: the first runs after a random delay in
	// [0, Warmup). 0 starts at once.
	Warmup time.Duration
	// Rise consecutive successes bring a server up, Fall consecutive
	// failures take it down.
	Rise, Fall int
	// ConnectAddress and ConnectPort replace the server's address and port
	// (connect_ip, connect_port); SourceAddress is bound as the local
	// address (bindto). Zero: unset.
	ConnectAddress netip.Addr
	ConnectPort    uint16
	SourceAddress  netip.Addr

	HTTP   HTTPCheck
	UDP    UDPCheck
	DNS    DNSCheck
	Script ScriptCheck
}

// HTTPCheck is the request and the expected answer of an http or https
// check (keepalived's HTTP_GET and SSL_GET url block).
type HTTPCheck struct {
	Method string // GET
	Path   string // /
	Host   string // Host header; empty: the address (and port) connected to
	Status []StatusRange
	// BodyRegex must match the body (RE2 syntax); Digest is the MD5 of the
	// whole body in hex (keepalived's digest, as genhash prints it).
	BodyRegex string
	Digest    string
	TLSSNI    string // https: server name sent; defaults to Host
	TLSVerify bool   // https: verify the certificate chain and name
}

// StatusRange is an inclusive range of HTTP status codes; one code is
// Lo == Hi.
type StatusRange struct{ Lo, Hi int }

// UDPCheck is a udp check's datagram and what counts as an answer.
type UDPCheck struct {
	Payload []byte
	// RequireReply: a reply must arrive within the timeout. Without it,
	// only an ICMP error (port unreachable) within the timeout is down.
	RequireReply bool
}

// DNSCheck is the query of a dns check.
type DNSCheck struct {
	Name string // the name asked for; "." by default
	Type string // record type: A, AAAA, NS, SOA, MX, TXT, CNAME or PTR
	// RequireAnswer: the reply must hold a record of Type (or a CNAME);
	// otherwise any NOERROR reply is up.
	RequireAnswer bool
}

// ScriptCheck is an external command run by a script check (MISC_CHECK).
type ScriptCheck struct {
	Command string // run with /bin/sh -c
	// Dynamic is keepalived's misc_dynamic: exit 2..255 is up with weight
	// code-2.
	Dynamic bool
}

// dnsTypes are the record types a dns check may ask for.
var dnsTypes = []string{"A", "AAAA", "NS", "SOA", "MX", "TXT", "CNAME", "PTR"}

// Check keys that belong to one type group, for the decoder's "only with
// type X" errors and for the merge (a server that changes the type keeps
// only the service's generic keys).
var (
	httpKeys   = []string{"method", "path", "host", "status", "body_regex", "digest", "tls_sni", "tls_verify"}
	udpKeys    = []string{"payload", "payload_hex", "require_reply"}
	dnsKeys    = []string{"query_name", "query_type", "require_answer"}
	scriptKeys = []string{"command", "dynamic"}
	// addressKeys make no sense for a script (it is not connected anywhere).
	addressKeys = []string{"connect_address", "connect_port", "source_address"}
)

// typeKeys returns the type-specific keys that t accepts.
func typeKeys(t CheckType) []string {
	switch t {
	case CheckHTTP, CheckHTTPS:
		return httpKeys
	case CheckUDP:
		return udpKeys
	case CheckDNS:
		return dnsKeys
	case CheckScript:
		return scriptKeys
	}
	return nil
}
