package e2e

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/packet"
	"github.com/govs-project/govs/internal/netlab"
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
	return netlab.ForgeIPv4(netip.MustParseAddr(src), netip.MustParseAddr(dst), proto)
}

// tcpSeg is a TCP header with flags as netlab.ForgeTCP reads them.
func tcpSeg(sport, dport uint16, flags string, seq uint32) *layers.TCP {
	return netlab.ForgeTCP(sport, dport, flags, seq)
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

// serialize builds a frame of ls (netlab.Serialize), failing t if it
// cannot.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	f, err := netlab.Serialize(ls...)
	if err != nil {
		t.Fatalf("building a frame: %v", err)
	}
	return f
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
	binary.BigEndian.PutUint16(h[10:], packet.Checksum(h, 0))
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
