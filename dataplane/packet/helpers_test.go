package packet

import (
	"encoding/binary"
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Reference packets are built with gopacket so the expectations do not share
// code (or bugs) with the package under test.

var (
	macA = MAC{0x02, 0, 0, 0, 0, 0x0a}
	macB = MAC{0x02, 0, 0, 0, 0, 0x0b}
	macC = MAC{0x02, 0, 0, 0, 0, 0x0c}

	ipClient = ip4(10, 0, 0, 2)
	ipVIP    = ip4(10, 0, 0, 100)
	ipRS     = ip4(192, 168, 1, 11)
	ipRouter = ip4(172, 16, 0, 1)
)

func ip4(a, b, c, d byte) uint32 { return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d) }

func netIP(a uint32) net.IP {
	return net.IPv4(byte(a>>24), byte(a>>16), byte(a>>8), byte(a)).To4()
}

func hwAddr(m MAC) net.HardwareAddr { return net.HardwareAddr(append([]byte(nil), m[:]...)) }

// spec describes a reference packet; zero values give sensible defaults.
type spec struct {
	vlans      int // 0..3 tags (outer 802.1ad, inner 802.1Q)
	src, dst   uint32
	sport      uint16
	dport      uint16
	proto      layers.IPProtocol
	ttl        uint8
	tos        uint8
	df         bool
	id         uint16
	options    bool // add a 4-byte Router Alert option
	payload    []byte
	tcpFlags   string // subset of "SAFRP"
	tcpOptions bool
	icmpType   uint8
	icmpCode   uint8
	icmpID     uint16
	icmpSeq    uint16
}

var serOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

func l2Layers(vlans int, et layers.EthernetType) []gopacket.SerializableLayer {
	eth := &layers.Ethernet{SrcMAC: hwAddr(macA), DstMAC: hwAddr(macB), EthernetType: et}
	out := []gopacket.SerializableLayer{eth}
	if vlans == 0 {
		return out
	}
	eth.EthernetType = layers.EthernetTypeDot1Q
	if vlans > 1 {
		eth.EthernetType = layers.EthernetTypeQinQ
	}
	for i := 0; i < vlans; i++ {
		next := layers.EthernetTypeDot1Q
		if i == vlans-1 {
			next = et
		}
		out = append(out, &layers.Dot1Q{VLANIdentifier: uint16(100 + i), Type: next})
	}
	return out
}

// ipv4Layers returns the IPv4 layer and everything above it for s.
func ipv4Layers(s spec) []gopacket.SerializableLayer {
	ttl := s.ttl
	if ttl == 0 {
		ttl = 64
	}
	ip := &layers.IPv4{Version: 4, TTL: ttl, TOS: s.tos, Id: s.id, Protocol: s.proto,
		SrcIP: netIP(s.src), DstIP: netIP(s.dst)}
	if s.df {
		ip.Flags = layers.IPv4DontFragment
	}
	if s.options {
		ip.Options = []layers.IPv4Option{{OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}}}
	}
	out := []gopacket.SerializableLayer{ip}
	switch s.proto {
	case layers.IPProtocolTCP:
		tcp := &layers.TCP{SrcPort: layers.TCPPort(s.sport), DstPort: layers.TCPPort(s.dport),
			Seq: 0x01020304, Ack: 0x0a0b0c0d, Window: 65535}
		for _, f := range s.tcpFlags {
			switch f {
			case 'S':
				tcp.SYN = true
			case 'A':
				tcp.ACK = true
			case 'F':
				tcp.FIN = true
			case 'R':
				tcp.RST = true
			case 'P':
				tcp.PSH = true
			}
		}
		if s.tcpOptions {
			tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}
		}
		_ = tcp.SetNetworkLayerForChecksum(ip)
		out = append(out, tcp)
	case layers.IPProtocolUDP:
		udp := &layers.UDP{SrcPort: layers.UDPPort(s.sport), DstPort: layers.UDPPort(s.dport)}
		_ = udp.SetNetworkLayerForChecksum(ip)
		out = append(out, udp)
	case layers.IPProtocolICMPv4:
		out = append(out, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(s.icmpType, s.icmpCode),
			Id: s.icmpID, Seq: s.icmpSeq})
	}
	if len(s.payload) > 0 {
		out = append(out, gopacket.Payload(s.payload))
	}
	return out
}

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, serOpts, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// buildFrame returns an Ethernet frame (padded to 60 by gopacket) for s.
func buildFrame(t testing.TB, s spec) []byte {
	t.Helper()
	return serialize(t, append(l2Layers(s.vlans, layers.EthernetTypeIPv4), ipv4Layers(s)...)...)
}

// buildIP returns just the IPv4 datagram for s (no L2, no padding).
func buildIP(t testing.TB, s spec) []byte {
	t.Helper()
	return serialize(t, ipv4Layers(s)...)
}

// buildICMPErrorFrame wraps quote (an IP datagram, possibly truncated) in an
// ICMP error from src to dst.
func buildICMPErrorFrame(t testing.TB, vlans int, src, dst uint32, typ, code uint8, seq uint16, quote []byte) []byte {
	t.Helper()
	s := spec{vlans: vlans, src: src, dst: dst, proto: layers.IPProtocolICMPv4, icmpType: typ, icmpCode: code, icmpSeq: seq, payload: quote}
	return buildFrame(t, s)
}

// refSum is a deliberately naive RFC 1071 checksum used as the oracle.
func refSum(chunks ...[]byte) uint16 {
	var s uint32
	var all []byte
	for _, c := range chunks {
		all = append(all, c...)
	}
	for i := 0; i < len(all); i += 2 {
		w := uint32(all[i]) << 8
		if i+1 < len(all) {
			w |= uint32(all[i+1])
		}
		s += w
		for s > 0xffff {
			s = s&0xffff + s>>16
		}
	}
	return ^uint16(s)
}

func pseudo(src, dst uint32, proto uint8, n int) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b[0:], src)
	binary.BigEndian.PutUint32(b[4:], dst)
	b[9] = proto
	binary.BigEndian.PutUint16(b[10:], uint16(n))
	return b
}

// ipHdrValid checks the IPv4 header checksum at off with the oracle.
func ipHdrValid(b []byte, off int) bool {
	if off < 0 || off+20 > len(b) {
		return false
	}
	ihl := int(b[off]&0x0f) * 4
	if ihl < 20 || off+ihl > len(b) {
		return false
	}
	return refSum(b[off:off+ihl]) == 0
}

// l4Valid checks the TCP/UDP checksum of the segment seg carried between
// src and dst. A zero UDP checksum counts as valid ("none").
func l4Valid(src, dst uint32, proto uint8, seg []byte) bool {
	if proto == ProtoUDP && len(seg) >= 8 && binary.BigEndian.Uint16(seg[6:]) == 0 {
		return true
	}
	return refSum(pseudo(src, dst, proto, len(seg)), seg) == 0
}

// checkFrame asserts every checksum of a parsed IPv4 frame with the oracle.
func checkFrame(t testing.TB, frame []byte) Parsed {
	t.Helper()
	var p Parsed
	if e := Parse(frame, &p); e != OK {
		t.Fatalf("re-parse: %v", e)
	}
	if !ipHdrValid(frame, p.L3Off) {
		t.Fatalf("IP header checksum invalid")
	}
	seg := frame[p.L4Off:p.IPEnd]
	switch p.Proto {
	case ProtoTCP, ProtoUDP:
		if !l4Valid(p.Src, p.Dst, p.Proto, seg) {
			t.Fatalf("L4 checksum invalid")
		}
	case ProtoICMP:
		if refSum(seg) != 0 {
			t.Fatalf("ICMP checksum invalid")
		}
	}
	return p
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// fixIPCsum recomputes the IPv4 header checksum at off (after a test mutated
// the header on purpose).
func fixIPCsum(b []byte, off int) {
	ihl := int(b[off]&0x0f) * 4
	if ihl < 20 || off+ihl > len(b) {
		ihl = 20
	}
	b[off+10], b[off+11] = 0, 0
	binary.BigEndian.PutUint16(b[off+10:], refSum(b[off:off+ihl]))
}

func decode(frame []byte) gopacket.Packet {
	return gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
}
