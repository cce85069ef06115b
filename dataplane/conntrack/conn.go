package conntrack

import "unsafe"

// Key identifies one direction of a connection. Addresses are IPv4 in host
// byte order.
type Key struct {
	SrcIP, DstIP     uint32
	SrcPort, DstPort uint16
	Proto            uint8
}

// Conn is a tracked connection (IPVS's ip_vs_conn for NAT/DR/TUN). It is
// pointer-free and exactly 32 bytes, two per cache line.
//
// The key fields (ClientIP, VIP, RSIP, ClientPort, VPort, RSPort, Proto)
// must not change while the Conn is in a table: the index is keyed on them.
// To move a connection to another real server, Delete and Insert it.
type Conn struct {
	ClientIP, VIP, RSIP       uint32
	ClientPort, VPort, RSPort uint16
	Proto                     uint8
	State                     uint8 // TCP state or StateUDP
	Method                    uint8 // opaque: forwarding method chosen by the caller
	Flags                     uint8 // opaque to this package
	SvcID, RSID               uint16
	used                      uint8  // 1 while the Conn is in the table
	Expire                    uint32 // absolute ms on the wrapping clock; free-list link when unused
}

// ConnSize is the size of a Conn in bytes.
const ConnSize = unsafe.Sizeof(Conn{})

// Compile-time check that Conn stays 32 bytes: the index and the cache-line
// argument in doc.go depend on it.
var _ [32 - ConnSize]struct{}
var _ [ConnSize - 32]struct{}

// InKey is the client->VIP key.
func (c *Conn) InKey() Key {
	return Key{SrcIP: c.ClientIP, DstIP: c.VIP, SrcPort: c.ClientPort, DstPort: c.VPort, Proto: c.Proto}
}

// OutKey is the reply key, real server -> client.
func (c *Conn) OutKey() Key {
	return Key{SrcIP: c.RSIP, DstIP: c.ClientIP, SrcPort: c.RSPort, DstPort: c.ClientPort, Proto: c.Proto}
}

// matches reports whether k is c's key in direction dir.
func (c *Conn) matches(k Key, dir uint32) bool {
	if dir == dirIn {
		return c.ClientIP == k.SrcIP && c.VIP == k.DstIP && c.ClientPort == k.SrcPort &&
			c.VPort == k.DstPort && c.Proto == k.Proto
	}
	return c.RSIP == k.SrcIP && c.ClientIP == k.DstIP && c.RSPort == k.SrcPort &&
		c.ClientPort == k.DstPort && c.Proto == k.Proto
}
