// Package connsync carries connection state from the master director to
// its backups (IPVS's connection synchronisation): the wire format (IPVS
// sync protocol version 1, with an optional govs authentication trailer),
// the sender that batches and paces the records the lcores emit, the
// full-table resync, and the receiver that validates messages and hands
// their connections to the dataplane.
package connsync

import "net/netip"

// Conn is one synchronised connection or persistence template, in the
// terms of IPVS's version 1 sync record. Addresses are IPv4 in host byte
// order (a.b.c.d is a<<24|b<<16|c<<8|d).
type Conn struct {
	Proto   uint8  // 6 TCP, 17 UDP
	Flags   uint32 // IPVS conn flags: forwarding method (FlagFwd*), FlagTemplate, ...
	State   uint16 // IPVS state number (TCP: IP_VS_TCP_S_*; UDP: 0)
	Client  uint32 // client address (a template's: the client network)
	VIP     uint32
	Dest    uint32 // the real server
	CPort   uint16 // client port; 0 in a template
	VPort   uint16
	DPort   uint16
	Fwmark  uint32
	Timeout uint32 // seconds the receiver's copy lives without a refresh
}

// Addr is a Conn address as a netip.Addr.
func Addr(ip uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(ip >> 24), byte(ip >> 16), byte(ip >> 8), byte(ip)})
}

// IPv4 is a's Conn form (a must be IPv4).
func IPv4(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
