package dataplane

import (
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

func echoFrame(t testing.TB, dst netip.Addr) []byte {
	ip := ip4(client, dst, layers.IPProtocolICMPv4)
	return serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 7, Seq: 1}, gopacket.Payload("ping"))
}

func TestEchoToVIPAndOwnAddress(t *testing.T) {
	r := newRig(t, 16, testSpec())
	for _, dst := range []netip.Addr{vip, netip.MustParseAddr("10.0.0.1")} {
		f := echoFrame(t, dst)
		if o := r.expectSent(f, 0); o.Port != 0 {
			t.Fatalf("echo reply on port %d", o.Port)
		}
		d := decode(t, f)
		if d.icm.TypeCode.Type() != 0 || addrOf(d.ip.SrcIP) != dst || addrOf(d.ip.DstIP) != client ||
			packet.MAC(d.eth.DstMAC) != macClient || packet.MAC(d.eth.SrcMAC) != macWAN || d.ip.TTL != 64 {
			t.Fatalf("echo reply from %v: %+v", dst, d.icm.TypeCode)
		}
	}
	other := echoFrame(t, vip)
	other[34] = 13 // timestamp request: not served
	other[36], other[37] = 0, 0
	r.expectDrop(other, 0, fastpath.DropICMPUnhandled)
}

func TestICMPErrorFromServerTranslated(t *testing.T) {
	r := newRig(t, 16, testSpec())
	q := udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "query")
	r.expectSent(q, 0)
	inner := append([]byte(nil), q[14:]...) // as the server received it
	rs := netip.AddrFrom4([4]byte(inner[16:20]))
	ip := ip4(rs, client, layers.IPProtocolICMPv4)
	f := serialize(t, eth(macRS[0], macLAN, layers.EthernetTypeIPv4), ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(inner))
	o := r.expectSent(f, 1)
	d := decode(t, f)
	if addrOf(d.ip.SrcIP) != vip || o.Port != 0 {
		t.Fatalf("outer src %v port %d", d.ip.SrcIP, o.Port)
	}
	quoted := d.icm.Payload
	if netip.AddrFrom4([4]byte(quoted[16:20])) != vip || uint16(quoted[22])<<8|uint16(quoted[23]) != 53 {
		t.Fatalf("quoted dst %v:%d", quoted[16:20], uint16(quoted[22])<<8|uint16(quoted[23]))
	}
	if packet.Checksum(quoted[:20], 0) != 0 {
		t.Fatal("quoted IP checksum wrong")
	}
	if r.rs(1, 0).OutPkts+r.rs(1, 1).OutPkts+r.rs(1, 2).OutPkts != 1 {
		t.Fatal("ICMP error not counted as a packet of the connection")
	}
}

// A client's ICMP error about a NAT reply reaches the server translated:
// outer destination and quoted source become the server's.
func TestICMPErrorFromClientTranslatedForNAT(t *testing.T) {
	r := newRig(t, 16, testSpec())
	q := udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "query")
	r.expectSent(q, 0)
	rs := dstAddr(q)
	reply := udpFrame(t, macWAN, macClient, vip, 53, client, 5000, "answer") // as the client got it
	ip := ip4(client, vip, layers.IPProtocolICMPv4)
	f := serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(reply[14:]))
	o := r.expectSent(f, 0)
	d := decode(t, o.Frame)
	quoted := d.icm.Payload
	if addrOf(d.ip.DstIP) != rs || netip.AddrFrom4([4]byte(quoted[12:16])) != rs || uint16(quoted[20])<<8|uint16(quoted[21]) != 5353 || o.Port != 1 {
		t.Fatalf("to %v, quoted src %v:%d, port %d", d.ip.DstIP, quoted[12:16], uint16(quoted[20])<<8|uint16(quoted[21]), o.Port)
	}
}

func TestICMPErrorWithoutConnectionDropped(t *testing.T) {
	r := newRig(t, 16, testSpec())
	stray := udpFrame(t, macWAN, macClient, vip, 53, client, 5999, "x")
	ip := ip4(client, vip, layers.IPProtocolICMPv4)
	f := serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(stray[14:]))
	r.expectDrop(f, 0, fastpath.DropICMPUnhandled)
	fromServer := serialize(t, eth(macRS[0], macLAN, layers.EthernetTypeIPv4), ip4(rsAddrs[0], client, layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(stray[14:]))
	r.expectDrop(fromServer, 1, fastpath.DropNotLocal)
}
