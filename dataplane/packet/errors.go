package packet

// Error is the outcome of Parse. It is a small integer rather than an error
// value so the dataplane can index per-reason drop counters with it.
type Error uint8

// Parse outcomes; OK is zero.
const (
	OK              Error = iota
	ErrTruncated          // frame shorter than the Ethernet/VLAN/IPv4 header
	ErrNotIPv4            // ethertype is neither IPv4 nor ARP (IPv6, LLDP, >2 VLAN tags, ...)
	ErrBadVersion         // IP version field is not 4
	ErrBadIHL             // IHL < 5, or the header runs past the frame
	ErrBadTotalLen        // total length < header length or > bytes present
	ErrBadChecksum        // IPv4 header checksum wrong
	ErrFragment           // MF set or fragment offset != 0
	ErrL4Truncated        // TCP/UDP/ICMP header runs past IPEnd, or UDP length inconsistent
	ErrBadTCPOffset       // TCP data offset < 5 or past IPEnd
	NumErrors
)

// errorNames are metric labels: short, stable, snake_case.
var errorNames = [NumErrors]string{
	OK:              "ok",
	ErrTruncated:    "truncated",
	ErrNotIPv4:      "not_ipv4",
	ErrBadVersion:   "bad_version",
	ErrBadIHL:       "bad_ihl",
	ErrBadTotalLen:  "bad_total_len",
	ErrBadChecksum:  "bad_checksum",
	ErrFragment:     "fragment",
	ErrL4Truncated:  "l4_truncated",
	ErrBadTCPOffset: "bad_tcp_offset",
}

// String returns the metric label of e, or "unknown" for out-of-range values.
func (e Error) String() string {
	if e >= NumErrors {
		return "unknown"
	}
	return errorNames[e]
}
