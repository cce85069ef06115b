package e2e

import (
	"encoding/binary"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// The frames the adversarial tests (adv_*_test.go) forge: gopacket layers
// serialized with lengths and checksums right, then, where a test needs a
// lie gopacket will not tell (a length, a checksum, IP options), patched
// byte by byte.

// eth is an Ethernet header carrying IPv4.
func eth(src, dst net.HardwareAddr) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
}

// ip4 is an IPv4 header from src to dst with DF set and TTL 64.
func ip4(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: proto,
		SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
}

// tcpSeg is a TCP header; flags are letters as tcpdump writes them (S, F,
// R, P, A for ACK, U, E for ECE, C for CWR), "" for none.
func tcpSeg(sport, dport uint16, flags string, seq uint32) *layers.TCP {
	return &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: seq, Window: 64240,
		SYN: strings.Contains(flags, "S"), FIN: strings.Contains(flags, "F"), RST: strings.Contains(flags, "R"),
		PSH: strings.Contains(flags, "P"), ACK: strings.Contains(flags, "A"), URG: strings.Contains(flags, "U"),
		ECE: strings.Contains(flags, "E"), CWR: strings.Contains(flags, "C")}
}

// payload is application data after the headers.
func payload(s string) gopacket.Payload { return gopacket.Payload(s) }

func udpDgram(sport, dport uint16) *layers.UDP {
	return &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
}

func icmpMsg(typ, code uint8, id, seq uint16) *layers.ICMPv4 {
	return &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: id, Seq: seq}
}

// arpMsg is an ARP request (op 1) or reply (op 2) body.
func arpMsg(op uint16, senderMAC net.HardwareAddr, senderIP string, targetMAC net.HardwareAddr, targetIP string) *layers.ARP {
	return &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: op, SourceHwAddress: senderMAC, SourceProtAddress: net.ParseIP(senderIP).To4(),
		DstHwAddress: targetMAC, DstProtAddress: net.ParseIP(targetIP).To4()}
}

// arpFrame is an ARP message in an Ethernet frame from src to dst.
func arpFrame(t testing.TB, src, dst net.HardwareAddr, body *layers.ARP) []byte {
	return serialize(t, &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeARP}, body)
}

// serialize builds a frame of ls, TCP and UDP checksums over the IPv4
// header among them.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	var ip *layers.IPv4
	for _, l := range ls {
		switch l := l.(type) {
		case *layers.IPv4:
			ip = l
		case *layers.TCP:
			l.SetNetworkLayerForChecksum(ip)
		case *layers.UDP:
			l.SetNetworkLayerForChecksum(ip)
		}
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("building a frame: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// Offsets in an untagged Ethernet/IPv4 frame.
const (
	ethLen   = 14
	ipTotLen = ethLen + 2
	ipFrag   = ethLen + 6
	ipTTL    = ethLen + 8
	ipCsum   = ethLen + 10
)

// ihl is the IPv4 header length of frame in bytes.
func ihl(frame []byte) int { return int(frame[ethLen]&0x0f) * 4 }

// fixIPChecksum recomputes the IPv4 header checksum after a patch.
func fixIPChecksum(frame []byte) {
	h := frame[ethLen : ethLen+ihl(frame)]
	h[10], h[11] = 0, 0
	binary.BigEndian.PutUint16(h[10:], ^onesSum(h))
}

func onesSum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// withIPOptions inserts opts (a multiple of 4 bytes) after frame's 20-byte
// IPv4 header, fixing IHL, total length and header checksum; the L4
// checksum does not cover options.
func withIPOptions(frame, opts []byte) []byte {
	out := append(append(append([]byte(nil), frame[:ethLen+20]...), opts...), frame[ethLen+20:]...)
	out[ethLen] = 0x40 | byte((20+len(opts))/4)
	binary.BigEndian.PutUint16(out[ipTotLen:], binary.BigEndian.Uint16(out[ipTotLen:])+uint16(len(opts)))
	fixIPChecksum(out)
	return out
}

// setIP16 writes v at off in the IPv4 header and fixes its checksum.
func setIP16(frame []byte, off int, v uint16) []byte {
	binary.BigEndian.PutUint16(frame[off:], v)
	fixIPChecksum(frame)
	return frame
}

// quoteOf is what an ICMP error quotes of frame: its IP header and the
// first 8 bytes after it.
func quoteOf(frame []byte) []byte {
	return append([]byte(nil), frame[ethLen:ethLen+ihl(frame)+8]...)
}

// Forged client ports come from above the client kernel's ephemeral range
// (32768-60999), so they never meet a real socket's; each test takes its
// own.
var nextForgedPort atomic.Uint32

func init() { nextForgedPort.Store(61000) }

// forgedPorts returns n consecutive unused client ports.
func forgedPorts(n int) uint16 {
	p := nextForgedPort.Add(uint32(n)) - uint32(n)
	if p+uint32(n) > 65535 {
		panic("forged client ports exhausted")
	}
	return uint16(p)
}

// Addresses no lab host uses, one on each segment: the sources of forged
// frames that must not be mistaken for a real host's.
const (
	strangerClient = "10.0.0.77"
	strangerServer = "10.1.0.77"
)

var (
	broadcastMAC = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	zeroMAC      = net.HardwareAddr{0, 0, 0, 0, 0, 0}
	// an IPv4 multicast group's MAC (224.0.0.1)
	multicastMAC = net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}
	// an attacker's unicast MAC, also "another host's" destination
	attackerMAC = net.HardwareAddr{0x02, 0xad, 0xad, 0xad, 0xad, 0x01}
)
