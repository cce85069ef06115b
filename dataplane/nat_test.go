package dataplane

import (
	"net/netip"
	"testing"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

func TestNATRoundTrip(t *testing.T) {
	r := newRig(t, 1024, testSpec())
	syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	if o := r.expectSent(syn, 0); o.Port != 1 {
		t.Fatalf("SYN left on port %d, want lan", o.Port)
	}
	d := decode(t, syn)
	rs := addrOf(d.ip.DstIP)
	idx := -1
	for i, a := range rsAddrs {
		if a == rs {
			idx = i
		}
	}
	if idx < 0 || d.tcp.DstPort != 8080 || d.ip.TTL != 63 {
		t.Fatalf("DNAT to %v:%d ttl %d", rs, d.tcp.DstPort, d.ip.TTL)
	}
	if packet.MAC(d.eth.DstMAC) != macRS[idx] || packet.MAC(d.eth.SrcMAC) != macLAN {
		t.Fatalf("eth %v -> %v", d.eth.SrcMAC, d.eth.DstMAC)
	}
	// the reply comes back with the VIP as source
	synack := tcpFrame(t, macRS[idx], macLAN, rs, 8080, client, 40000, true, true, "")
	o := r.expectSent(synack, 1)
	d = decode(t, synack)
	if o.Port != 0 || addrOf(d.ip.SrcIP) != vip || d.tcp.SrcPort != 80 || packet.MAC(d.eth.DstMAC) != macClient {
		t.Fatalf("SNAT: port %d src %v:%d eth dst %v", o.Port, d.ip.SrcIP, d.tcp.SrcPort, d.eth.DstMAC)
	}
	// the ACK of the handshake establishes the connection
	ack := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, false, true, "GET /")
	r.expectSent(ack, 0)
	c, ok := r.conn(client, 40000, vip, 80, packet.ProtoTCP)
	if !ok || c.State != StateEstablished {
		t.Fatalf("conn after handshake: found %v state %s", ok, StateName(c.State))
	}
	rc := r.rs(0, idx)
	if rc.Conns != 1 || rc.InPkts != 2 || rc.OutPkts != 1 || rc.Active != 1 || rc.Inactive != 0 {
		t.Fatalf("rs counters %+v", rc)
	}
	if want := ipTotalLen(syn) + ipTotalLen(ack); r.svc(0).InBytes != want {
		t.Fatalf("svc in bytes %d, want %d", r.svc(0).InBytes, want)
	}
}

func TestNATUDPZeroChecksumStaysZero(t *testing.T) {
	r := newRig(t, 1024, testSpec())
	f := udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "query")
	f[14+20+6], f[14+20+7] = 0, 0 // no UDP checksum
	r.expectSent(f, 0)
	d := decode(t, f)
	if d.udp.Checksum != 0 || d.udp.DstPort != 5353 {
		t.Fatalf("udp csum %x dport %d", d.udp.Checksum, d.udp.DstPort)
	}
}

func TestWeightedShares(t *testing.T) {
	r := newRig(t, 4096, testSpec(1, 2, 3))
	got := map[netip.Addr]int{}
	for i := 0; i < 600; i++ {
		syn := tcpFrame(t, macClient, macWAN, client, uint16(10000+i), vip, 80, true, false, "")
		r.expectSent(syn, 0)
		got[dstAddr(syn)]++
	}
	for i, want := range []int{100, 200, 300} {
		if got[rsAddrs[i]] != want {
			t.Fatalf("shares %v, want 100/200/300", got)
		}
	}
}

func TestDropReasons(t *testing.T) {
	r := newRig(t, 2, testSpec())
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, vip, 80, false, true, ""), 0, fastpath.DropNoConn)
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, vip, 81, true, false, ""), 0, fastpath.DropNoService)
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, netip.MustParseAddr("10.0.0.1"), 22, true, false, ""), 0, fastpath.DropLocalProto)
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, netip.MustParseAddr("10.9.9.9"), 22, true, false, ""), 0, fastpath.DropNotLocal)
	r.expectDrop([]byte{1, 2, 3}, 0, fastpath.DropTruncated)
	// two established connections fill the table: nothing gives way to a third
	for _, port := range []uint16{2, 3} {
		syn := tcpFrame(t, macClient, macWAN, client, port, vip, 80, true, false, "")
		r.expectSent(syn, 0)
		r.expectSent(tcpSeg(t, macRS[0], macLAN, dstAddr(syn), 8080, client, port, flSYNACK, ""), 1)
		r.expectSent(tcpSeg(t, macClient, macWAN, client, port, vip, 80, flACK, ""), 0)
	}
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 4, vip, 80, true, false, ""), 0, fastpath.DropConnTableFull)
	ttl := tcpFrame(t, macClient, macWAN, client, 2, vip, 80, false, true, "")
	setTTL(ttl, 1)
	vlan := append(append([]byte(nil), ttl[:12]...), 0x81, 0, 0, 1)
	r.expectDrop(append(vlan, ttl[12:]...), 0, fastpath.DropVLAN)
	r.expectDrop(append(ttl[:12:12], 0x86, 0xdd, 0x60, 0), 0, fastpath.DropNotIPv4)
	bad := tcpFrame(t, macClient, macWAN, client, 2, vip, 80, false, true, "")
	bad[14+10] ^= 0xff
	r.expectDrop(bad, 0, fastpath.DropBadChecksum)
}

// setTTL rewrites a frame's TTL and its IP header checksum.
func setTTL(f []byte, ttl byte) {
	f[14+8] = ttl
	f[14+10], f[14+11] = 0, 0
	csum := packet.Checksum(f[14:34], 0)
	f[14+10], f[14+11] = byte(csum>>8), byte(csum)
}

func TestQuiescedServiceDrops(t *testing.T) {
	r := newRig(t, 16, testSpec(0, 0, 0))
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, vip, 80, true, false, ""), 0, fastpath.DropNoDest)
}

// A packet whose next hop's MAC is unknown is punted whole, rewritten and
// ready but for the MAC, with the port and next hop the slow path needs.
func TestUnresolvedNextHopPunted(t *testing.T) {
	spec := testSpec()
	r := newRig(t, 16, spec)
	r.h.Neigh().Delete(addrU32(rsAddrs[0]))
	r.h.Neigh().Delete(addrU32(rsAddrs[1]))
	r.h.Neigh().Delete(addrU32(rsAddrs[2]))
	syn := tcpFrame(t, macClient, macWAN, client, 1, vip, 80, true, false, "")
	o := r.expect(syn, 0, fastpath.VerdictPunted)
	if o.Punt != fastpath.PuntNeigh || o.Port != 1 {
		t.Fatalf("punted %v on port %d", o.Punt, o.Port)
	}
	d := decode(t, o.Frame)
	if addrU32(addrOf(d.ip.DstIP)) != o.Hop || d.ip.TTL != 63 || d.tcp.DstPort != 8080 {
		t.Fatalf("punted frame to %v:%d ttl %d, hop %x", d.ip.DstIP, d.tcp.DstPort, d.ip.TTL, o.Hop)
	}
	if got := r.h.Counters().Lcore().Punted[fastpath.PuntNeigh]; got != 1 {
		t.Fatalf("punted[neigh] = %d", got)
	}
	// a full punt ring costs the packet, counted
	r.h.LimitPunt(0)
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, vip, 80, true, false, ""), 0, fastpath.DropNeighUnresolved)
}

func TestARPIsPunted(t *testing.T) {
	r := newRig(t, 16, testSpec())
	req := arpFrame(arpReq(client, vip))
	o := r.expect(req, 0, fastpath.VerdictPunted)
	if o.Punt != fastpath.PuntARP || string(o.Frame) != string(req) {
		t.Fatalf("ARP punted as %v, frame changed: %v", o.Punt, string(o.Frame) != string(req))
	}
	r.h.LimitPunt(0)
	r.expectDrop(req, 0, fastpath.DropPuntFull)
}

func arpReq(from, target netip.Addr) packet.ARP {
	return packet.ARP{Op: packet.ARPRequest, SHA: macClient, SPA: addrU32(from), TPA: addrU32(target)}
}

func arpFrame(a packet.ARP) []byte {
	b := make([]byte, 60)
	copy(b[0:6], packet.BroadcastMAC[:])
	copy(b[6:12], a.SHA[:])
	b[12], b[13] = 0x08, 0x06
	b[14], b[15], b[16], b[17], b[18], b[19] = 0, 1, 8, 0, 6, 4
	b[20], b[21] = 0, byte(a.Op)
	copy(b[22:28], a.SHA[:])
	put32(b[28:], a.SPA)
	copy(b[32:38], a.THA[:])
	put32(b[38:], a.TPA)
	return b
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

func TestExpiryFreesConnections(t *testing.T) {
	r := newRig(t, 64, testSpec())
	r.expectSent(udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "q"), 0)
	if l := r.h.Counters().Lcore().Live; l != 1 {
		t.Fatalf("live %d", l)
	}
	r.h.SetNow(r.h.Now() + testTimeouts[StateUDP] - 1)
	r.h.Housekeep(true)
	if r.h.Conns() != 1 {
		t.Fatal("expired before its timeout")
	}
	r.h.SetNow(r.h.Now() + 1)
	r.h.Housekeep(true)
	if l := r.h.Counters().Lcore().Live; l != 0 || r.h.Conns() != 0 {
		t.Fatalf("live %d conns %d after expiry", l, r.h.Conns())
	}
	if r.svc(1).Inactive != 0 {
		t.Fatalf("inactive gauge %d after expiry", r.svc(1).Inactive)
	}
}

func TestRedirectToOwner(t *testing.T) {
	const workers = 4
	r := newRigWith(t, fastpath.HarnessConfig{ConnCapacity: 256, Workers: workers}, testSpec())
	seen := map[int]bool{}
	for port := uint16(1); port < 200; port++ {
		f := udpFrame(t, macClient, macWAN, client, port, vip, 53, "q")
		o := r.run(f, 0)
		switch o.Verdict {
		case fastpath.VerdictRedirected:
			seen[o.Port] = true
			if o.Port == 0 || o.Port >= workers {
				t.Fatalf("port %d redirected to worker %d", port, o.Port)
			}
			// the owner receives it from its inbox with the port it came in on
		case fastpath.VerdictSent:
			seen[0] = true
			rs := dstAddr(f)
			reply := udpFrame(t, macRS[0], macLAN, rs, 5353, client, port, "a")
			if o := r.run(reply, 1); o.Verdict != fastpath.VerdictSent {
				t.Fatalf("reply of a flow of worker 0 went %v", o.Verdict)
			}
		default:
			t.Fatalf("port %d: %v %v", port, o.Verdict, o.Drop)
		}
	}
	if len(seen) != workers {
		t.Fatalf("flows spread over %d of %d workers", len(seen), workers)
	}
	if got := r.h.Counters().Lcore().Redirected; got == 0 {
		t.Fatal("redirects not counted")
	}
}

// Packets another worker hands over carry the port they arrived on.
func TestInboxKeepsInPort(t *testing.T) {
	r := newRig(t, 64, testSpec())
	ping := echoFrame(t, vip)
	out := r.h.FromInbox([][]byte{ping}, 0)
	if out[0].Verdict != fastpath.VerdictSent || out[0].Port != 0 {
		t.Fatalf("inbox echo: %v on port %d", out[0].Verdict, out[0].Port)
	}
}

func TestNewNeighbourMACTakesEffect(t *testing.T) {
	r := newRig(t, 64, methodSpec(1500, MethodDR))
	r.expectSent(tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, ""), 0)
	moved := packet.MAC{0x02, 0, 0, 0, 0, 0x99}
	r.learn(rsAddrs[0], moved, 1) // the server's NIC was replaced
	f := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, false, true, "x")
	r.expectSent(f, 0)
	if packet.MAC(f[0:6]) != moved {
		t.Fatalf("frame still sent to %x after the neighbour's MAC changed", f[0:6])
	}
}

// Ethernet padding (or trailing bytes) after the IP datagram is not
// forwarded.
func TestForwardedFramesTrimmed(t *testing.T) {
	r := newRig(t, 64, testSpec())
	f := append(udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "q"), make([]byte, 20)...)
	o := r.expectSent(f, 0)
	if want := 14 + int(ipTotalLen(f)); len(o.Frame) != want {
		t.Fatalf("forwarded %d bytes, want %d", len(o.Frame), want)
	}
}

// A full tx queue costs the packets it refused, counted.
func TestTxFullCounted(t *testing.T) {
	r := newRig(t, 64, testSpec())
	r.h.LimitTx(1)
	frames := [][]byte{udpFrame(t, macClient, macWAN, client, 1, vip, 53, "a"), udpFrame(t, macClient, macWAN, client, 2, vip, 53, "b")}
	out := r.h.Burst(frames, 0)
	if out[0].Verdict != fastpath.VerdictSent || out[1].Verdict != fastpath.VerdictDropped {
		t.Fatalf("verdicts %v %v", out[0].Verdict, out[1].Verdict)
	}
	st := r.h.Counters().Lcore()
	if st.TxPkts != 1 || st.Drops[fastpath.DropTxFull] != 1 {
		t.Fatalf("tx %d tx_full %d", st.TxPkts, st.Drops[fastpath.DropTxFull])
	}
}

// Frames the slow path injects go out of the port it asked for.
func TestInjectedFramesSent(t *testing.T) {
	r := newRig(t, 64, testSpec())
	f := arpFrame(packet.ARP{Op: packet.ARPRequest, SHA: macLAN, SPA: addrU32(netip.MustParseAddr("10.1.0.1")), TPA: addrU32(rsAddrs[0])})
	out := r.h.Inject([][]byte{f, f}, 1)
	for _, o := range out {
		if o.Verdict != fastpath.VerdictSent || o.Port != 1 || string(o.Frame) != string(f) {
			t.Fatalf("injected frame %v on port %d", o.Verdict, o.Port)
		}
	}
	if bad := r.h.Inject([][]byte{f}, 9); bad[0].Verdict != fastpath.VerdictDropped {
		t.Fatalf("frame injected for port 9 went %v", bad[0].Verdict)
	}
	if st := r.h.Counters().Lcore(); st.Injected != 2 || st.InjectFailed != 1 || st.Drops[fastpath.DropNoRoute] != 0 {
		t.Fatalf("injected %d, failed %d, no_route drops %d", st.Injected, st.InjectFailed, st.Drops[fastpath.DropNoRoute])
	}
}
