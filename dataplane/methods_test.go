package dataplane

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/fastpath"
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
	o := r.expectSent(syn, 0)
	if o.Port != 1 || packet.MAC(syn[0:6]) != macRS[0] || packet.MAC(syn[6:12]) != macLAN {
		t.Fatalf("DR frame to %x from %x on port %d", syn[0:6], syn[6:12], o.Port)
	}
	if string(syn[12:]) != string(orig[12:]) {
		t.Fatal("DR changed the IP packet")
	}
	ack := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, false, true, "x")
	r.expectSent(ack, 0)
	c, _ := r.conn(client, 40000, vip, 80, packet.ProtoTCP)
	if c.State != StateEstablished {
		t.Fatalf("DR conn state %s after SYN, ACK (input-only table)", StateName(c.State))
	}
	st := r.h.Counters().Lcore()
	if st.MethodPkts[MethodDR] != 2 || st.MethodBytes[MethodDR] != ipTotalLen(orig)+ipTotalLen(ack) {
		t.Fatalf("dr method counters %d pkts %d bytes", st.MethodPkts[MethodDR], st.MethodBytes[MethodDR])
	}
}

func TestDRNeedsConnectedServer(t *testing.T) {
	spec := methodSpec(1500, MethodDR)
	spec.Ports[1].Gateway = netip.MustParseAddr("10.1.0.254")
	spec.Services[0].Dests[0].Addr = netip.MustParseAddr("192.0.2.10")
	ports := []portInfo{newPortInfo(spec.Ports[0], 0, macWAN), newPortInfo(spec.Ports[1], 1, macLAN)}
	_, err := compile(1, spec, ports, newIDAllocator())
	if err == nil || !strings.Contains(err.Error(), "services[0].real_servers[0].address") || !strings.Contains(err.Error(), "direct routing") {
		t.Fatalf("DR server behind a gateway: %v", err)
	}
	spec.Services[0].Dests[0].Method = MethodTUN // a tunnel may cross a router
	if _, err := compile(1, spec, ports, newIDAllocator()); err != nil {
		t.Fatalf("TUN server behind a gateway refused: %v", err)
	}
}

func TestTUNEncapsulates(t *testing.T) {
	r := newRig(t, 64, methodSpec(1500, MethodTUN))
	syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	inner := append([]byte(nil), syn[14:14+ipTotalLen(syn)]...)
	o := r.expectSent(syn, 0)
	out := o.Frame
	if len(out) != 14+20+len(inner) || o.Port != 1 {
		t.Fatalf("TUN frame len %d port %d", len(out), o.Port)
	}
	d := decode(t, out)
	if d.ip.Protocol != layers.IPProtocolIPv4 || addrOf(d.ip.SrcIP) != netip.MustParseAddr("10.1.0.1") ||
		addrOf(d.ip.DstIP) != rsAddrs[0] || packet.MAC(d.eth.DstMAC) != macRS[0] {
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
	if st := r.h.Counters().Lcore(); st.Encapsulated != 1 {
		t.Fatalf("encapsulated = %d", st.Encapsulated)
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
	r.expectSent(tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, ""), 0)
	// 1280 bytes of IP fit with the outer header, 1281 do not
	r.expectSent(bigFrame(t, true, 1280-40), 0)
	big := bigFrame(t, true, 1281-40)
	orig := append([]byte(nil), big...)
	o := r.expectSent(big, 0) // its mbuf carries the ICMP error back
	if o.Port != 0 {
		t.Fatalf("ICMP left on port %d, want wan", o.Port)
	}
	d := decode(t, o.Frame)
	if d.icm == nil || d.icm.TypeCode != layers.CreateICMPv4TypeCode(3, 4) || addrOf(d.ip.SrcIP) != vip ||
		addrOf(d.ip.DstIP) != client || packet.MAC(d.eth.DstMAC) != macClient || packet.MAC(d.eth.SrcMAC) != macWAN {
		t.Fatalf("frag-needed %+v from %v to %v", d.icm, d.ip.SrcIP, d.ip.DstIP)
	}
	if mtu := binary.BigEndian.Uint16(o.Frame[34+6:]); mtu != 1280 {
		t.Fatalf("next-hop MTU %d, want 1280", mtu)
	}
	if quoted := o.Frame[42:]; len(quoted) != 548 || string(quoted) != string(orig[14:14+548]) {
		t.Fatalf("quoted %d bytes, want the first 548 of the datagram", len(quoted))
	}
	st := r.h.Counters().Lcore()
	if st.FragNeededSent != 1 || st.Answered != 1 || st.Drops[fastpath.DropTooBig] != 0 {
		t.Fatalf("frag_needed_sent %d, answered %d, too_big %d", st.FragNeededSent, st.Answered, st.Drops[fastpath.DropTooBig])
	}
	r.expectDrop(bigFrame(t, false, 1281-40), 0, fastpath.DropTooBigNoDF)
}

func TestMixedMethodsInOneService(t *testing.T) {
	r := newRig(t, 64, methodSpec(1500, MethodNAT, MethodDR, MethodTUN))
	for i := 0; i < 3; i++ {
		r.expectSent(tcpFrame(t, macClient, macWAN, client, uint16(1000+i), vip, 80, true, false, ""), 0)
	}
	st := r.h.Counters().Lcore()
	for m := 0; m < fastpath.NumMethods; m++ {
		if st.MethodPkts[m] != 1 {
			t.Fatalf("method %v forwarded %d packets, want 1 each", Method(m), st.MethodPkts[m])
		}
	}
}

func TestICMPErrorFromClientFollowsTunnel(t *testing.T) {
	r := newRig(t, 64, methodSpec(1500, MethodTUN))
	r.expectSent(tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, ""), 0)
	// the client complains about a reply the server sent from the VIP
	reply := tcpFrame(t, macRS[0], macClient, vip, 80, client, 40000, true, true, "")
	ip := ip4(client, vip, layers.IPProtocolICMPv4)
	f := serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 4)}, gopacket.Payload(reply[14:]))
	o := r.expectSent(f, 0)
	if len(o.Frame) <= len(f) || o.Frame[14+9] != packet.ProtoIPIP {
		t.Fatalf("ICMP error not tunnelled to the server (len %d)", len(o.Frame))
	}
}

// The fast path's route for a method matches what the snapshot compiler
// computed (the server's own address as next hop on the lan port).
func TestTUNServerBehindGateway(t *testing.T) {
	spec := methodSpec(1500, MethodTUN)
	spec.Ports[1].Gateway = netip.MustParseAddr("10.1.0.254")
	far := netip.MustParseAddr("192.0.2.10")
	spec.Services[0].Dests[0].Addr = far
	r := newRig(t, 64, spec)
	gw := packet.MAC{0x02, 0, 0, 0, 0, 0xfe}
	r.learn(netip.MustParseAddr("10.1.0.254"), gw, 1)
	o := r.expectSent(tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, ""), 0)
	d := decode(t, o.Frame)
	if addrOf(d.ip.DstIP) != far || packet.MAC(d.eth.DstMAC) != gw || o.Port != 1 {
		t.Fatalf("tunnel to %v via %v on port %d", d.ip.DstIP, d.eth.DstMAC, o.Port)
	}
}
