package dataplane

import (
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// What the fast path gives the kernel interfaces (the exception path):
// on a port that has one, what is for the director itself (its port
// address, IPv4 multicast to the group's MAC) once the ingress checks
// passed; ports without one keep serving echo and dropping the rest.

var (
	wanAddr = netip.MustParseAddr("10.0.0.1")
	lanAddr = netip.MustParseAddr("10.1.0.1")
	vrrp    = netip.MustParseAddr("224.0.0.18")
	peer    = netip.MustParseAddr("10.0.0.5") // another director on the wan subnet
)

// kernelSpec is testSpec with a kernel interface on every port.
func kernelSpec() *Spec {
	spec := testSpec()
	for i := range spec.Ports {
		spec.Ports[i].Kernel = KernelSpec{Enabled: true, Name: "govs-" + spec.Ports[i].Name}
	}
	return spec
}

// groupMAC is the Ethernet address of IPv4 multicast group g (RFC 1112).
func groupMAC(g netip.Addr) packet.MAC {
	b := g.As4()
	return packet.MAC{0x01, 0x00, 0x5e, b[1] & 0x7f, b[2], b[3]}
}

// ipFrame is an IPv4 datagram of protocol proto with a payload.
func ipFrame(t testing.TB, srcMAC, dstMAC packet.MAC, src, dst netip.Addr, proto layers.IPProtocol, payload string) []byte {
	ip := ip4(src, dst, proto)
	ip.TTL = 255
	return serialize(t, eth(srcMAC, dstMAC, layers.EthernetTypeIPv4), ip, gopacket.Payload(payload))
}

func icmpFrame(t testing.TB, src, dst netip.Addr, typ, code uint8, payload []byte) []byte {
	return serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, code), Id: 9, Seq: 2}, gopacket.Payload(payload))
}

// expectKernel checks the frame is punted for the kernel unchanged and
// counted as such.
func (r *rig) expectKernel(frame []byte, inPort int) {
	r.t.Helper()
	in := string(frame)
	before := r.h.Counters().Lcore().Punted[fastpath.PuntKernel]
	o := r.expect(frame, inPort, fastpath.VerdictPunted)
	if o.Punt != fastpath.PuntKernel || string(o.Frame) != in {
		r.t.Fatalf("punted as %v (frame changed: %v), want for the kernel unchanged", o.Punt, string(o.Frame) != in)
	}
	if got := r.h.Counters().Lcore().Punted[fastpath.PuntKernel]; got != before+1 {
		r.t.Fatalf("kernel punts %d -> %d, want +1", before, got)
	}
}

func TestKernelGetsWhatIsForTheDirector(t *testing.T) {
	r := newRig(t, 64, kernelSpec())
	lanHost := rsAddrs[0] // a health check's peer
	for _, tc := range []struct {
		name  string
		frame []byte
		port  int
	}{
		{"tcp to the port address (ssh)", tcpFrame(t, macClient, macWAN, client, 40000, wanAddr, 22, true, false, ""), 0},
		{"udp to the port address", udpFrame(t, macClient, macWAN, client, 5000, wanAddr, 53, "q"), 0},
		{"echo to the port address (ping)", echoFrame(t, wanAddr), 0},
		{"icmp error to the port address", icmpFrame(t, client, wanAddr, 3, 3, make([]byte, 28)), 0},
		{"gre to the port address", ipFrame(t, macClient, macWAN, client, wanAddr, layers.IPProtocolGRE, "gre"), 0},
		{"ospf to the port address", ipFrame(t, macClient, macWAN, client, wanAddr, layers.IPProtocolOSPF, "ospf"), 0},
		{"health check reply on lan", tcpSeg(t, macRS[0], macLAN, lanHost, 80, lanAddr, 40001, flSYNACK, ""), 1},
		{"the other port's address", tcpFrame(t, macClient, macWAN, client, 40002, lanAddr, 22, true, false, ""), 0},
		{"vrrp advert", ipFrame(t, macClient, groupMAC(vrrp), peer, vrrp, layers.IPProtocol(112), "vrrp"), 0},
		{"sync group", udpFrame(t, macClient, groupMAC(netip.MustParseAddr("224.0.0.81")), peer, 8848, netip.MustParseAddr("224.0.0.81"), 8848, "sync"), 0},
		{"ospf hello", ipFrame(t, macRS[1], groupMAC(netip.MustParseAddr("224.0.0.5")), rsAddrs[1], netip.MustParseAddr("224.0.0.5"), layers.IPProtocolOSPF, "hello"), 1},
		{"admin-scoped group", udpFrame(t, macClient, groupMAC(netip.MustParseAddr("239.129.1.2")), peer, 9, netip.MustParseAddr("239.129.1.2"), 9, "x"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(outer testing.TB) { r.t = outer }(r.t)
			r.t = t
			r.expectKernel(tc.frame, tc.port)
		})
	}
}

func TestKernelDoesNotGetTheRest(t *testing.T) {
	r := newRig(t, 64, kernelSpec())
	// load-balanced traffic and VIP echo stay in the fast path
	r.expectSent(tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, ""), 0)
	echo := echoFrame(t, vip)
	if o := r.expectSent(echo, 0); decode(t, o.Frame).icm.TypeCode.Type() != layers.ICMPv4TypeEchoReply {
		t.Fatal("echo to the VIP not answered in place")
	}
	r.expect(arpFrame(arpReq(client, wanAddr)), 0, fastpath.VerdictPunted) // as before: the slow path copies it
	if o := r.last; o.Punt != fastpath.PuntARP {
		t.Fatalf("ARP punted as %v", o.Punt)
	}
	for _, tc := range []struct {
		name  string
		frame []byte
		port  int
		drop  Drop
	}{
		{"martian source", tcpFrame(t, macClient, macWAN, netip.MustParseAddr("127.0.0.1"), 1000, wanAddr, 22, true, false, ""), 0, fastpath.DropMartianSrc},
		{"spoofed source (the VIP)", tcpFrame(t, macClient, macWAN, vip, 1000, wanAddr, 22, true, false, ""), 0, fastpath.DropSpoofedSrc},
		{"spoofed source (our address)", echoFrameFrom(t, lanAddr, wanAddr), 0, fastpath.DropSpoofedSrc},
		{"source on the other port", tcpFrame(t, macClient, macWAN, netip.MustParseAddr("10.1.0.50"), 1000, wanAddr, 22, true, false, ""), 0, fastpath.DropRPFilter},
		{"not our MAC", tcpFrame(t, macClient, packet.MAC{2, 0, 0, 0, 0, 0x77}, client, 1000, wanAddr, 22, true, false, ""), 0, fastpath.DropBadDstMAC},
		{"port 0", tcpFrame(t, macClient, macWAN, client, 0, wanAddr, 22, true, false, ""), 0, fastpath.DropPortZero},
		{"fragment", fragment(t, tcpFrame(t, macClient, macWAN, client, 1000, wanAddr, 22, true, false, "")), 0, fastpath.DropFragment},
		{"limited broadcast", udpFrame(t, macClient, packet.BroadcastMAC, client, 68, netip.MustParseAddr("255.255.255.255"), 67, "dhcp"), 0, fastpath.DropBadDstMAC},
		{"multicast to our unicast MAC", ipFrame(t, macClient, macWAN, peer, vrrp, layers.IPProtocol(112), "vrrp"), 0, fastpath.DropMartianDst},
		{"multicast to another group's MAC", ipFrame(t, macClient, groupMAC(netip.MustParseAddr("224.0.0.19")), peer, vrrp, layers.IPProtocol(112), "vrrp"), 0, fastpath.DropBadDstMAC},
		{"multicast from a martian", ipFrame(t, macClient, groupMAC(vrrp), netip.MustParseAddr("0.0.0.0"), vrrp, layers.IPProtocol(112), "vrrp"), 0, fastpath.DropMartianSrc},
		{"multicast from the VIP", ipFrame(t, macClient, groupMAC(vrrp), vip, vrrp, layers.IPProtocol(112), "vrrp"), 0, fastpath.DropSpoofedSrc},
		{"multicast from the other port's subnet", ipFrame(t, macClient, groupMAC(vrrp), netip.MustParseAddr("10.1.0.50"), vrrp, layers.IPProtocol(112), "vrrp"), 0, fastpath.DropRPFilter},
		{"multicast from a group MAC", ipFrame(t, groupMAC(vrrp), groupMAC(vrrp), peer, vrrp, layers.IPProtocol(112), "vrrp"), 0, fastpath.DropBadSrcMAC},
		{"class E", ipFrame(t, macClient, groupMAC(netip.MustParseAddr("240.0.0.18")), peer, netip.MustParseAddr("240.0.0.18"), layers.IPProtocol(112), "x"), 0, fastpath.DropBadDstMAC},
		{"multicast with a bad udp port", udpFrame(t, macClient, groupMAC(netip.MustParseAddr("224.0.0.81")), peer, 0, netip.MustParseAddr("224.0.0.81"), 8848, "x"), 0, fastpath.DropPortZero},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(outer testing.TB) { r.t = outer }(r.t)
			r.t = t
			r.expectDrop(tc.frame, tc.port, tc.drop)
		})
	}
}

// Multicast needs its group MAC even where the MAC filter is off.
func TestKernelMulticastWithoutMACFilter(t *testing.T) {
	spec := kernelSpec()
	spec.Security.MACFilter = false
	r := newRig(t, 64, spec)
	r.expectKernel(ipFrame(t, macClient, groupMAC(vrrp), peer, vrrp, layers.IPProtocol(112), "vrrp"), 0)
	r.expectDrop(ipFrame(t, macClient, macWAN, peer, vrrp, layers.IPProtocol(112), "vrrp"), 0, fastpath.DropMartianDst)
}

// Ports without a kernel interface behave as before: echo answered on the
// port address, the rest dropped, multicast refused; with one on the
// other port only, that port's traffic goes to the kernel.
func TestNoKernelInterfaceKeepsBehaviour(t *testing.T) {
	spec := kernelSpec()
	spec.Ports[0].Kernel = KernelSpec{} // wan has none, lan has one
	r := newRig(t, 64, spec)
	echo := echoFrame(t, wanAddr)
	if o := r.expectSent(echo, 0); decode(t, o.Frame).icm.TypeCode.Type() != layers.ICMPv4TypeEchoReply {
		t.Fatal("echo to the port address not answered")
	}
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 40000, wanAddr, 22, true, false, ""), 0, fastpath.DropLocalProto)
	r.expectDrop(icmpFrame(t, client, wanAddr, 3, 3, make([]byte, 28)), 0, fastpath.DropICMPUnhandled)
	r.expectDrop(ipFrame(t, macClient, groupMAC(vrrp), peer, vrrp, layers.IPProtocol(112), "vrrp"), 0, fastpath.DropBadDstMAC)
	r.expectKernel(tcpSeg(t, macRS[0], macLAN, rsAddrs[0], 80, lanAddr, 40001, flSYNACK, ""), 1)
}

// Kernel-bound packets may take the punt ring only down to its reserve:
// ARP and packets waiting for a MAC keep it. What does not fit is
// kernel_full, counted by port.
func TestKernelPuntsKeepTheReserve(t *testing.T) {
	const reserve = 4
	r := newRigWith(t, fastpath.HarnessConfig{ConnCapacity: 64, PuntReserve: reserve}, kernelSpec())
	r.h.SetPuntFree(reserve + 3) // the burst's ARP goes first and takes one
	ssh := func(sport uint16) []byte {
		return tcpFrame(t, macClient, macWAN, client, sport, wanAddr, 22, true, false, "")
	}
	out := r.h.Burst([][]byte{ssh(1), ssh(2), ssh(3), arpFrame(arpReq(client, vip))}, 0)
	r.balanced()
	want := []struct {
		v fastpath.Verdict
		d Drop
	}{{fastpath.VerdictPunted, 0}, {fastpath.VerdictPunted, 0}, {fastpath.VerdictDropped, fastpath.DropKernelFull}, {fastpath.VerdictPunted, 0}}
	for i, o := range out {
		if o.Verdict != want[i].v || (o.Verdict == fastpath.VerdictDropped && o.Drop != want[i].d) {
			t.Fatalf("packet %d: %v (drop %v), want %v (drop %v)", i, o.Verdict, o.Drop, want[i].v, want[i].d)
		}
	}
	if out[3].Punt != fastpath.PuntARP {
		t.Fatalf("the ARP was punted as %v", out[3].Punt)
	}
	// the ring is below its reserve now: the kernel waits, ARP does not
	r.expectDrop(ssh(4), 0, fastpath.DropKernelFull)
	r.expect(arpFrame(arpReq(client, vip)), 0, fastpath.VerdictPunted)
	st := r.h.Counters().Lcore()
	if st.KernelFull[0] != 2 || st.KernelFull[1] != 0 || st.Drops[fastpath.DropKernelFull] != 2 || st.Punted[fastpath.PuntKernel] != 2 {
		t.Fatalf("kernel_full by port %v, drops %d, kernel punts %d; want 2 on port 0, 2, 2",
			st.KernelFull[:2], st.Drops[fastpath.DropKernelFull], st.Punted[fastpath.PuntKernel])
	}
}

func echoFrameFrom(t testing.TB, src, dst netip.Addr) []byte {
	return serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip4(src, dst, layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 7, Seq: 1}, gopacket.Payload("ping"))
}

// fragment marks the datagram in frame as a first fragment (MF set).
func fragment(t testing.TB, frame []byte) []byte {
	var p packet.Parsed
	if e := packet.Parse(frame, &p); e != packet.OK {
		t.Fatalf("parse: %v", e)
	}
	ip := frame[14:p.L4Off]
	ip[6] |= 0x20
	ip[10], ip[11] = 0, 0
	sum := packet.Checksum(ip, 0)
	ip[10], ip[11] = byte(sum>>8), byte(sum)
	return frame
}
