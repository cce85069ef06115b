package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// The traffic model shared by the pcap generator and the govsd configs.
//
//	director port 10.0.0.1/16, VIP 10.0.0.100 tcp/80, gateway 10.0.0.254
//	real servers 10.0.1.11..14 (port 8080 for NAT, 80 for DR/TUN)
//	clients 172.16.0.0/12, outside the port's subnet: reached via the gateway
//
// Every frame is frameLen bytes as stored in the pcap (what the PMD hands
// over): Ethernet 14 + IPv4 20 + TCP 20 + payload 10.
const (
	frameLen   = 64
	ethLen     = 14
	ipLen      = 20
	tcpLen     = 20
	payloadLen = frameLen - ethLen - ipLen - tcpLen

	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpPSH = 0x08
	tcpACK = 0x10

	vipPort        = 80
	natRSPort      = 8080
	numRS          = 4
	clientsPerIP   = 1000 // client ports per client address
	clientPortBase = 20000
)

var (
	portAddr   = netip.MustParsePrefix("10.0.0.1/16")
	gatewayIP  = netip.MustParseAddr("10.0.0.254")
	vipIP      = netip.MustParseAddr("10.0.0.100")
	rsBase     = netip.MustParseAddr("10.0.1.11") // rsBase + i, i < numRS
	clientBase = netip.MustParseAddr("172.16.0.0")

	gatewayMAC = [6]byte{0x02, 0, 0, 0, 0, 0xfe}
	// net_pcap's MAC for its first interface; frames are not filtered on it.
	portMAC = [6]byte{0x02, 0x70, 0x63, 0x61, 0x70, 0x00}
)

func u32(a netip.Addr) uint32 { b := a.As4(); return binary.BigEndian.Uint32(b[:]) }

func addrOf(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// client is the address and port of flow i (distinct for every i < 2^20·clientsPerIP).
func client(i int) (ip uint32, port uint16) {
	return u32(clientBase) + 1 + uint32(i/clientsPerIP), clientPortBase + uint16(i%clientsPerIP)
}

// rsIP is real server r (0-based).
func rsIP(r int) uint32 { return u32(rsBase) + uint32(r) }

// rsMAC is the static neighbour MAC of real server r.
func rsMAC(r int) [6]byte { return [6]byte{0x02, 0, 0, 0, 0x01, byte(0x11 + r)} }

func macString(m [6]byte) string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// tcpFrame describes one 64-byte Ethernet/IPv4/TCP frame.
type tcpFrame struct {
	srcMAC, dstMAC   [6]byte
	src, dst         uint32
	srcPort, dstPort uint16
	flags            uint8
	seq, ack         uint32
}

// encode writes the frame into b[:frameLen] with valid IPv4 and TCP checksums.
func (f *tcpFrame) encode(b []byte) {
	b = b[:frameLen]
	copy(b[0:6], f.dstMAC[:])
	copy(b[6:12], f.srcMAC[:])
	binary.BigEndian.PutUint16(b[12:], 0x0800)

	ip := b[ethLen : ethLen+ipLen]
	ip[0], ip[1] = 0x45, 0
	binary.BigEndian.PutUint16(ip[2:], ipLen+tcpLen+payloadLen)
	binary.BigEndian.PutUint16(ip[4:], 0)      // id
	binary.BigEndian.PutUint16(ip[6:], 0x4000) // DF
	ip[8], ip[9] = 64, 6
	binary.BigEndian.PutUint16(ip[10:], 0)
	binary.BigEndian.PutUint32(ip[12:], f.src)
	binary.BigEndian.PutUint32(ip[16:], f.dst)
	binary.BigEndian.PutUint16(ip[10:], ^fold(sum16(ip, 0)))

	tcp := b[ethLen+ipLen:]
	binary.BigEndian.PutUint16(tcp[0:], f.srcPort)
	binary.BigEndian.PutUint16(tcp[2:], f.dstPort)
	binary.BigEndian.PutUint32(tcp[4:], f.seq)
	binary.BigEndian.PutUint32(tcp[8:], f.ack)
	tcp[12], tcp[13] = (tcpLen/4)<<4, f.flags
	binary.BigEndian.PutUint16(tcp[14:], 65535) // window
	binary.BigEndian.PutUint16(tcp[16:], 0)
	binary.BigEndian.PutUint16(tcp[18:], 0) // urgent
	for i := range payloadLen {
		tcp[tcpLen+i] = byte('a' + i)
	}
	// pseudo header: src, dst, zero+proto, TCP length
	s := sum16(ip[12:20], 0) + 6 + uint32(tcpLen+payloadLen)
	binary.BigEndian.PutUint16(tcp[16:], ^fold(sum16(tcp, s)))
}

// sum16 adds b as big-endian 16-bit words (odd length padded) to s.
func sum16(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}
