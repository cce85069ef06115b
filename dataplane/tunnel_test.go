package dataplane

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/conntrack"
	"github.com/govs-project/govs/dataplane/packet"
)

// methodSpec is a web service on port 80 whose servers (also on port 80, as
// DR and TUN require) use the given methods.
func methodSpec(lanMTU int, methods ...Method) *Spec {
	spec := testSpec()
	spec.Ports[1].MTU = lanMTU
	web := ServiceSpec{Name: "web", VIP: vip, Proto: packet.ProtoTCP, Port: 80, Scheduler: "rr"}
	for i, m := range methods {
		web.Dests = append(web.Dests, DestSpec{Addr: rsAddrs[i], Port: 80, Weight: 1, Method: m})
	}
	spec.Services = []ServiceSpec{web}
	return spec
}

func TestDRRewritesOnlyMAC(t *testing.T) {
	r := newRig(t, 64, methodSpec(1500, MethodDR))
	syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	orig := append([]byte(nil), syn...)
	r.expect(syn, 0, vForward)
	if r.w.outPort != 1 || packet.MAC(syn[0:6]) != macRS[0] || packet.MAC(syn[6:12]) != macLAN {
		t.Fatalf("DR frame to %x from %x on port %d", syn[0:6], syn[6:12], r.w.outPort)
	}
	if string(syn[12:]) != string(orig[12:]) {
		t.Fatal("DR changed the IP packet")
	}
	ack := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, false, true, "x")
	r.expect(ack, 0, vForward)
	c, _ := r.w.conns.LookupIn(conntrack.Key{SrcIP: addrU32(client), DstIP: addrU32(vip), SrcPort: 40000, DstPort: 80, Proto: packet.ProtoTCP})
	if c.State != conntrack.StateEstablished {
		t.Fatalf("DR conn state %s after SYN, ACK (input-only table)", conntrack.StateName(c.State))
	}
	if m := r.w.cnt.method[MethodDR]; m.pkts != 2 || m.bytes != ipTotalLen(orig)+ipTotalLen(ack) {
		t.Fatalf("dr method counters %+v", m)
	}
}

func TestDRNeedsConnectedServer(t *testing.T) {
	spec := methodSpec(1500, MethodDR)
	spec.Ports[1].Gateway = netip.MustParseAddr("10.1.0.254")
	spec.Services[0].Dests[0].Addr = netip.MustParseAddr("192.0.2.10")
	ports := []portInfo{newPortInfo(spec.Ports[0], 0, macWAN), newPortInfo(spec.Ports[1], 1, macLAN)}
	_, err := buildSnapshot(1, spec, ports, newIDAllocator())
	if err == nil || !strings.Contains(err.Error(), "services[0].real_servers[0].address") || !strings.Contains(err.Error(), "direct routing") {
		t.Fatalf("DR server behind a gateway: %v", err)
	}
	spec.Services[0].Dests[0].Method = MethodTUN // a tunnel may cross a router
	if _, err := buildSnapshot(1, spec, ports, newIDAllocator()); err != nil {
		t.Fatalf("TUN server behind a gateway refused: %v", err)
	}
}

func TestTUNEncapsulates(t *testing.T) {
	r := newRig(t, 64, methodSpec(1500, MethodTUN))
	syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	inner := append([]byte(nil), syn[14:14+ipTotalLen(syn)]...)
	r.expect(syn, 0, vForward)
	out := r.last
	if len(out) != 14+20+len(inner) || r.w.outOff != testHeadroom-20 || r.w.outPort != 1 {
		t.Fatalf("TUN frame len %d off %d port %d", len(out), r.w.outOff, r.w.outPort)
	}
	d := decode(t, out)
	if d.ip.Protocol != layers.IPProtocolIPv4 || netip.AddrFrom4([4]byte(d.ip.SrcIP.To4())) != netip.MustParseAddr("10.1.0.1") ||
		netip.AddrFrom4([4]byte(d.ip.DstIP.To4())) != rsAddrs[0] || packet.MAC(d.eth.DstMAC) != macRS[0] {
		t.Fatalf("outer %v -> %v proto %v eth %v", d.ip.SrcIP, d.ip.DstIP, d.ip.Protocol, d.eth.DstMAC)
	}
	gotInner := out[34:]
	if gotInner[8] != inner[8]-1 || d.ip.TTL != inner[8]-1 {
		t.Fatalf("inner TTL %d outer %d, sent %d", gotInner[8], d.ip.TTL, inner[8])
	}
	if d.ip.Flags&layers.IPv4DontFragment == 0 {
		t.Fatal("outer DF not copied from the inner packet")
	}
	if string(gotInner[12:]) != string(inner[12:]) || packet.Checksum(gotInner[:20], 0) != 0 {
		t.Fatal("inner packet changed beyond its TTL, or its checksum is wrong")
	}
	if r.w.cnt.encapsulated != 1 {
		t.Fatalf("encapsulated = %d", r.w.cnt.encapsulated)
	}
}

func bigFrame(t *testing.T, df bool, size int) []byte {
	f := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, false, true, strings.Repeat("x", size))
	if !df {
		f[14+6] &^= 0x40
		f[14+10], f[14+11] = 0, 0
		binary.BigEndian.PutUint16(f[14+10:], packet.Checksum(f[14:34], 0))
	}
	return f
}

func TestTUNTooBigSendsFragNeeded(t *testing.T) {
	r := newRig(t, 64, methodSpec(1300, MethodTUN))
	r.expect(tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, ""), 0, vForward)
	// 1280 bytes of IP fit with the outer header, 1281 do not
	r.expect(bigFrame(t, true, 1280-40), 0, vForward)
	big := bigFrame(t, true, 1281-40)
	r.expectDrop(big, 0, DropTooBig)
	if len(r.out.sent) != 1 || r.out.sent[0].port != 0 {
		t.Fatalf("want one ICMP on wan, got %d", len(r.out.sent))
	}
	d := decode(t, r.out.sent[0].frame)
	if d.icm == nil || d.icm.TypeCode != layers.CreateICMPv4TypeCode(3, 4) || netip.AddrFrom4([4]byte(d.ip.SrcIP.To4())) != vip ||
		netip.AddrFrom4([4]byte(d.ip.DstIP.To4())) != client || packet.MAC(d.eth.DstMAC) != macClient {
		t.Fatalf("frag-needed %+v from %v to %v", d.icm, d.ip.SrcIP, d.ip.DstIP)
	}
	if mtu := binary.BigEndian.Uint16(r.out.sent[0].frame[34+6:]); mtu != 1280 {
		t.Fatalf("next-hop MTU %d, want 1280", mtu)
	}
	if r.w.cnt.fragNeededSent != 1 {
		t.Fatalf("fragNeededSent = %d", r.w.cnt.fragNeededSent)
	}
	r.expectDrop(bigFrame(t, false, 1281-40), 0, DropTooBigNoDF)
	if len(r.out.sent) != 1 {
		t.Fatal("ICMP sent for a packet without DF")
	}
}

func TestMixedMethodsInOneService(t *testing.T) {
	r := newRig(t, 64, methodSpec(1500, MethodNAT, MethodDR, MethodTUN))
	for i := 0; i < 3; i++ {
		r.expect(tcpFrame(t, macClient, macWAN, client, uint16(1000+i), vip, 80, true, false, ""), 0, vForward)
	}
	for m := Method(0); m < numMethods; m++ {
		if r.w.cnt.method[m].pkts != 1 {
			t.Fatalf("method %v forwarded %d packets, want 1 each", m, r.w.cnt.method[m].pkts)
		}
	}
}

func TestICMPErrorFromClientFollowsTunnel(t *testing.T) {
	r := newRig(t, 64, methodSpec(1500, MethodTUN))
	syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	r.expect(syn, 0, vForward)
	// the client complains about a reply the server sent from the VIP
	reply := tcpFrame(t, macRS[0], macClient, vip, 80, client, 40000, true, true, "")
	ip := ip4(client, vip, layers.IPProtocolICMPv4)
	f := serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 4)}, gopacket.Payload(reply[14:]))
	r.expect(f, 0, vForward)
	if len(r.last) <= len(f) || r.last[14+9] != packet.ProtoIPIP {
		t.Fatalf("ICMP error not tunnelled to the server (len %d)", len(r.last))
	}
}
