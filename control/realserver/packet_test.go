package realserver

import (
	"encoding/binary"
	"net/netip"
)

// Hand-built packets for the tests.

// ipv4 builds an IPv4 header (IHL 5, DF, TTL 64) with a correct checksum
// followed by payload.
func ipv4(src, dst netip.Addr, proto byte, payload []byte) []byte {
	p := make([]byte, 20+len(payload))
	p[0] = 0x45
	binary.BigEndian.PutUint16(p[2:4], uint16(len(p)))
	binary.BigEndian.PutUint16(p[6:8], 0x4000) // DF
	p[8] = 64
	p[9] = proto
	s, d := src.As4(), dst.As4()
	copy(p[12:16], s[:])
	copy(p[16:20], d[:])
	binary.BigEndian.PutUint16(p[10:12], ipChecksum(p[:20]))
	copy(p[20:], payload)
	return p
}

// udp builds a UDP datagram with its checksum over the pseudo-header.
func udp(src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	u := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint16(u[0:2], sport)
	binary.BigEndian.PutUint16(u[2:4], dport)
	binary.BigEndian.PutUint16(u[4:6], uint16(len(u)))
	copy(u[8:], payload)
	s, d := src.As4(), dst.As4()
	pseudo := append(append(append([]byte{}, s[:]...), d[:]...), 0, 17, byte(len(u)>>8), byte(len(u)))
	sum := ipChecksum(append(pseudo, u...))
	if sum == 0 {
		sum = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:8], sum)
	return u
}

// ipip wraps inner in an outer IPv4 header of protocol 4.
func ipip(outerSrc, outerDst netip.Addr, inner []byte) []byte {
	return ipv4(outerSrc, outerDst, 4, inner)
}
