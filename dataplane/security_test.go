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

// The ingress rules and flood defence of the security block, one at a
// time, each against the frame that breaks it and one that does not.

func rigWith(t *testing.T, capacity int, edit func(*Spec)) *rig {
	spec := testSpec()
	edit(spec)
	return newRig(t, capacity, spec)
}

// segment is a TCP segment from the client with any header edit applied.
func segment(t *testing.T, src netip.Addr, sport, dport uint16, edit func(*layers.TCP)) []byte {
	ip := ip4(src, vip, layers.IPProtocolTCP)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), Seq: 1, Window: 1000}
	edit(tcp)
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip, tcp)
}

func synFrom(t *testing.T, src netip.Addr, sport uint16) []byte {
	return segment(t, src, sport, 80, func(tcp *layers.TCP) { tcp.SYN = true })
}

func TestMACFilter(t *testing.T) {
	r := newRig(t, 64, testSpec())
	syn := func(srcMAC, dstMAC packet.MAC) []byte {
		return tcpFrame(t, srcMAC, dstMAC, client, 1000, vip, 80, true, false, "")
	}
	someoneElse := packet.MAC{0x02, 0, 0, 0, 0, 0x77}
	r.expectDrop(syn(macClient, someoneElse), 0, fastpath.DropBadDstMAC)
	r.expectDrop(syn(macClient, packet.BroadcastMAC), 0, fastpath.DropBadDstMAC)
	r.expectDrop(syn(macClient, macLAN), 0, fastpath.DropBadDstMAC) // the other port's MAC
	r.expectDrop(syn(packet.MAC{0x01, 0, 0x5e, 0, 0, 1}, macWAN), 0, fastpath.DropBadSrcMAC)
	r.expectDrop(syn(packet.MAC{}, macWAN), 0, fastpath.DropBadSrcMAC)
	r.expectDrop(syn(packet.BroadcastMAC, macWAN), 0, fastpath.DropBadSrcMAC)
	r.expect(arpFrame(arpReq(client, vip)), 0, fastpath.VerdictPunted) // broadcast ARP is for us
	r.expectSent(syn(macClient, macWAN), 0)

	open := rigWith(t, 64, func(s *Spec) { s.Security.MACFilter = false })
	open.expectSent(syn(macClient, someoneElse), 0) // a port in promiscuous mode
	open.expectDrop(syn(packet.MAC{}, macWAN), 0, fastpath.DropBadSrcMAC)
}

func TestMartianAddresses(t *testing.T) {
	r := newRig(t, 64, testSpec())
	for _, src := range []string{"0.1.2.3", "127.0.0.1", "224.0.0.5", "240.0.0.1", "255.255.255.255", "10.0.0.255", "10.0.0.0", "10.1.0.255"} {
		r.expectDrop(tcpFrame(t, macClient, macWAN, netip.MustParseAddr(src), 1000, vip, 80, true, false, ""), 0, fastpath.DropMartianSrc)
	}
	for _, dst := range []string{"0.0.0.0", "127.0.0.1", "224.0.0.1", "239.1.1.1", "255.255.255.255", "10.0.0.255", "10.1.0.0"} {
		r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1000, netip.MustParseAddr(dst), 80, true, false, ""), 0, fastpath.DropMartianDst)
	}
	// a /31 has no broadcast address: both are hosts (RFC 3021)
	p2p := rigWith(t, 64, func(s *Spec) { s.Ports[0].Addr = netip.MustParsePrefix("10.0.0.100/31") })
	p2p.learn(netip.MustParseAddr("10.0.0.101"), macClient, 0)
	p2p.expectSent(tcpFrame(t, macClient, macWAN, netip.MustParseAddr("10.0.0.101"), 1000, vip, 80, true, false, ""), 0)
}

func TestSpoofedSources(t *testing.T) {
	r := newRig(t, 64, testSpec())
	for _, src := range []netip.Addr{vip, netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.1.0.1")} {
		r.expectDrop(tcpFrame(t, macClient, macWAN, src, 1000, vip, 80, true, false, ""), 0, fastpath.DropSpoofedSrc)
	}
}

func TestReversePathFilter(t *testing.T) {
	lanHost := netip.MustParseAddr("10.1.0.50") // routes out of lan, arrives on wan
	far := netip.MustParseAddr("192.0.2.7")     // routes nowhere: no gateway
	for _, tc := range []struct {
		mode           RPFilter
		lanHost, farOK bool
	}{
		{RPStrict, false, false},
		{RPLoose, true, false},
		{RPOff, true, true},
	} {
		r := rigWith(t, 64, func(s *Spec) { s.Security.RPFilter = tc.mode })
		for _, c := range []struct {
			src netip.Addr
			ok  bool
		}{{lanHost, tc.lanHost}, {far, tc.farOK}, {client, true}} {
			r.learn(c.src, macClient, 0) // only where the reply goes matters here
			f := tcpFrame(t, macClient, macWAN, c.src, 1000, vip, 80, true, false, "")
			if !c.ok {
				r.expectDrop(f, 0, fastpath.DropRPFilter)
				continue
			}
			if o := r.run(f, 0); o.Verdict == fastpath.VerdictDropped && o.Drop == fastpath.DropRPFilter {
				t.Fatalf("rp_filter %v refused %v", tc.mode, c.src)
			}
		}
	}
	// a server's reply must come in on the port that routes to it (strict)
	r := newRig(t, 64, testSpec())
	syn := tcpFrame(t, macClient, macWAN, client, 2000, vip, 80, true, false, "")
	r.expectSent(syn, 0)
	rs := dstAddr(syn)
	r.expectDrop(tcpSeg(t, macClient, macWAN, rs, 8080, client, 2000, flSYNACK, ""), 0, fastpath.DropRPFilter)
	r.expectSent(tcpSeg(t, macRS[0], macLAN, rs, 8080, client, 2000, flSYNACK, ""), 1)
}

func TestTCPFlagCombinations(t *testing.T) {
	r := newRig(t, 64, testSpec())
	for name, edit := range map[string]func(*layers.TCP){
		"none":        func(*layers.TCP) {},
		"syn+fin":     func(tcp *layers.TCP) { tcp.SYN, tcp.FIN = true, true },
		"syn+rst":     func(tcp *layers.TCP) { tcp.SYN, tcp.RST = true, true },
		"fin":         func(tcp *layers.TCP) { tcp.FIN = true },
		"psh":         func(tcp *layers.TCP) { tcp.PSH = true },
		"xmas":        func(tcp *layers.TCP) { tcp.FIN, tcp.PSH, tcp.URG = true, true, true },
		"syn+ack+urg": func(tcp *layers.TCP) { tcp.SYN, tcp.ACK, tcp.URG = true, true, true },
		"rst+urg":     func(tcp *layers.TCP) { tcp.RST, tcp.URG = true, true },
		"all": func(tcp *layers.TCP) {
			tcp.FIN, tcp.SYN, tcp.RST, tcp.PSH, tcp.ACK, tcp.URG = true, true, true, true, true, true
		},
	} {
		before := r.drops(fastpath.DropBadTCPFlags)
		if o := r.run(segment(t, client, 1000, 80, edit), 0); o.Drop != fastpath.DropBadTCPFlags || r.drops(fastpath.DropBadTCPFlags) != before+1 {
			t.Fatalf("%s: verdict %v drop %v, want bad_tcp_flags", name, o.Verdict, o.Drop)
		}
	}
	// what endpoints send passes the check (ECN-setup SYN included; PSH
	// is not looked at, as conntrack does not)
	r.expectSent(segment(t, client, 1001, 80, func(tcp *layers.TCP) { tcp.SYN, tcp.ECE, tcp.CWR = true, true, true }), 0)
	r.expectSent(segment(t, client, 1002, 80, func(tcp *layers.TCP) { tcp.SYN, tcp.PSH = true, true }), 0)
	r.expectSent(segment(t, client, 1001, 80, func(tcp *layers.TCP) { tcp.ACK, tcp.PSH = true, true }), 0)
	r.expectSent(segment(t, client, 1001, 80, func(tcp *layers.TCP) { tcp.ACK, tcp.FIN, tcp.PSH = true, true, true }), 0)
}

func TestPortZero(t *testing.T) {
	r := newRig(t, 64, testSpec())
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 0, vip, 80, true, false, ""), 0, fastpath.DropPortZero)
	r.expectDrop(udpFrame(t, macClient, macWAN, client, 5000, vip, 0, "x"), 0, fastpath.DropPortZero)
	r.expectDrop(udpFrame(t, macClient, macWAN, client, 0, vip, 53, "x"), 0, fastpath.DropPortZero)
}

// A client RST far from the sequence numbers the connection has seen is
// a blind reset attempt: dropped, the connection stays.
func TestRSTOutOfWindow(t *testing.T) {
	seg := func(seq uint32, rst bool) []byte {
		return segment(t, client, 3000, 80, func(tcp *layers.TCP) {
			tcp.Seq = seq
			tcp.SYN, tcp.RST = !rst, rst
		})
	}
	for _, check := range []bool{true, false} {
		r := rigWith(t, 64, func(s *Spec) { s.Security.RSTCheck = check })
		r.expectSent(seg(1_000_000, false), 0)
		r.expectSent(segment(t, client, 3000, 80, func(tcp *layers.TCP) { tcp.Seq, tcp.ACK = 1_000_001, true }), 0)
		blind := seg(1_000_000+3<<16, true)
		if check {
			r.expectDrop(blind, 0, fastpath.DropRSTOutOfWindow)
			r.expectDrop(seg(1_000_000-3<<16, true), 0, fastpath.DropRSTOutOfWindow)
			if c, ok := r.conn(client, 3000, vip, 80, packet.ProtoTCP); !ok || c.State != StateEstablished {
				t.Fatalf("conn after a blind RST: found %v state %s", ok, StateName(c.State))
			}
			blind = seg(1_000_000+1000, true)
		}
		r.expectSent(blind, 0)
		if c, _ := r.conn(client, 3000, vip, 80, packet.ProtoTCP); c.State != StateClose {
			t.Fatalf("rst_check %v: state %s after an accepted RST", check, StateName(c.State))
		}
	}
}

// Before the client has acknowledged anything its RST is not checked: a
// server whose TIME_WAIT holds the reused tuple answers the new SYN with
// an ACK of the old connection, the client resets with that ACK's number
// (RFC 793, SYN-SENT), and the RST must reach the server so that the
// client's next SYN is accepted.
func TestRSTBeforeTheClientAcked(t *testing.T) {
	r := rigWith(t, 64, func(s *Spec) { s.Security.RSTCheck = true })
	syn := func() []byte {
		return segment(t, client, 3001, 80, func(tcp *layers.TCP) { tcp.Seq, tcp.SYN = 1_000_000, true })
	}
	o := r.expectSent(syn(), 0)
	rs := dstAddr(o.Frame)
	r.expectSent(tcpSeg(t, macRS[0], macLAN, rs, 8080, client, 3001, flACK, ""), 1) // the challenge ACK
	r.expectSent(segment(t, client, 3001, 80, func(tcp *layers.TCP) { tcp.Seq, tcp.RST = 77_000_000, true }), 0)
	if c, _ := r.conn(client, 3001, vip, 80, packet.ProtoTCP); c.State != StateClose {
		t.Fatalf("state %s after the client's RST, want CLOSE", StateName(c.State))
	}
	reused := r.h.Counters().Lcore().Reused
	r.expectSent(syn(), 0) // the retransmitted SYN opens the connection anew
	if got := r.h.Counters().Lcore().Reused; got != reused+1 {
		t.Errorf("reused %d -> %d after the retransmitted SYN, want one more", reused, got)
	}
}

// An oversized datagram with DF gets fragmentation-needed before any
// connection is made for it; one of a connection gets it and the
// connection stays as it was. Without DF it is dropped: we do not fragment.
func TestTooBigForTheServerSide(t *testing.T) {
	for _, m := range []Method{MethodNAT, MethodDR} {
		r := newRig(t, 64, methodSpec(1400, m))
		o := r.expectSent(tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, strings.Repeat("x", 1400)), 0)
		d := decode(t, o.Frame)
		if d.icm == nil || d.icm.TypeCode != layers.CreateICMPv4TypeCode(3, 4) || addrOf(d.ip.SrcIP) != vip ||
			binary.BigEndian.Uint16(o.Frame[34+6:]) != 1400 || o.Port != 0 {
			t.Fatalf("%v: SYN too big got %+v from %v on port %d", m, d.icm, d.ip.SrcIP, o.Port)
		}
		if _, ok := r.conn(client, 40000, vip, 80, packet.ProtoTCP); ok || r.h.Counters().Lcore().Created != 0 {
			t.Fatalf("%v: a connection was made for a datagram that cannot reach the server", m)
		}
		r.expectSent(tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, ""), 0)
		o = r.expectSent(bigFrame(t, true, 1400-40+1), 0)
		if d = decode(t, o.Frame); d.icm == nil || binary.BigEndian.Uint16(o.Frame[34+6:]) != 1400 {
			t.Fatalf("%v: in-connection datagram too big: %+v", m, d.icm)
		}
		r.expectSent(bigFrame(t, true, 1400-40), 0)
		r.expectDrop(bigFrame(t, false, 1400-40+1), 0, fastpath.DropTooBigNoDF)
		if st := r.h.Counters().Lcore(); st.FragNeededSent != 2 || st.Answered != 2 || st.Created != 1 {
			t.Fatalf("%v: frag_needed_sent %d answered %d created %d", m, st.FragNeededSent, st.Answered, st.Created)
		}
	}
}

// TTL 1 to a VIP: we are the router that would have to decrement it, so
// the sender hears time exceeded from our address, and no connection is made.
func TestTimeExceeded(t *testing.T) {
	r := newRig(t, 64, testSpec())
	syn := tcpFrame(t, macClient, macWAN, client, 5000, vip, 80, true, false, "")
	setTTL(syn, 1)
	orig := append([]byte(nil), syn...)
	o := r.expectSent(syn, 0)
	d := decode(t, o.Frame)
	if d.icm == nil || d.icm.TypeCode != layers.CreateICMPv4TypeCode(11, 0) || addrOf(d.ip.SrcIP) != netip.MustParseAddr("10.0.0.1") ||
		addrOf(d.ip.DstIP) != client || o.Port != 0 || string(o.Frame[42:]) != string(orig[14:14+ipTotalLen(orig)]) {
		t.Fatalf("time exceeded %+v from %v to %v on port %d", d.icm, d.ip.SrcIP, d.ip.DstIP, o.Port)
	}
	if st := r.h.Counters().Lcore(); st.TimeExceededSent != 1 || st.Answered != 1 || st.Created != 0 {
		t.Fatalf("time_exceeded_sent %d answered %d created %d", st.TimeExceededSent, st.Answered, st.Created)
	}
	// an error that waits for its neighbour counts once it is held, not
	// when the punt ring refuses it
	stranger := netip.MustParseAddr("10.0.0.9") // no MAC known
	far := tcpFrame(t, macClient, macWAN, stranger, 5001, vip, 80, true, false, "")
	setTTL(far, 1)
	r.h.LimitPunt(0)
	r.expectDrop(append([]byte(nil), far...), 0, fastpath.DropNeighUnresolved)
	r.h.LimitPunt(1 << 30)
	if o := r.expect(far, 0, fastpath.VerdictPunted); o.Punt != fastpath.PuntNeigh {
		t.Fatalf("time exceeded for an unknown neighbour punted as %v", o.Punt)
	}
	if st := r.h.Counters().Lcore(); st.TimeExceededSent != 2 || st.Answered != 1 {
		t.Fatalf("after one refused and one held: time_exceeded_sent %d answered %d, want 2 and 1", st.TimeExceededSent, st.Answered)
	}
	// an ICMP error is never answered with one
	q := udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "query")
	r.expectSent(q, 0)
	reply := udpFrame(t, macWAN, macClient, vip, 53, client, 5000, "answer")
	icmpErr := serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip4(client, vip, layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(reply[14:]))
	setTTL(icmpErr, 1)
	r.expectDrop(icmpErr, 0, fastpath.DropTTLExceeded)
}

// ICMP errors we originate are limited per lcore: a burst, then a rate.
func TestICMPErrorsRateLimited(t *testing.T) {
	r := rigWith(t, 64, func(s *Spec) { s.Security.ICMPRate, s.Security.ICMPBurst = 10, 3 })
	ttl1 := func() []byte {
		f := tcpFrame(t, macClient, macWAN, client, 5000, vip, 80, true, false, "")
		setTTL(f, 1)
		return f
	}
	for i := 0; i < 3; i++ {
		r.expectSent(ttl1(), 0)
	}
	r.expectDrop(ttl1(), 0, fastpath.DropTTLExceeded)
	r.expectDrop(ttl1(), 0, fastpath.DropTTLExceeded)
	r.h.SetNow(r.h.Now() + 100) // one token per 100 ms
	r.expectSent(ttl1(), 0)
	r.expectDrop(ttl1(), 0, fastpath.DropTTLExceeded)
	if st := r.h.Counters().Lcore(); st.TimeExceededSent != 4 || st.ICMPRateLimited != 3 {
		t.Fatalf("time_exceeded_sent %d icmp_rate_limited %d", st.TimeExceededSent, st.ICMPRateLimited)
	}
	// credit accrues between close calls: three 30 ms steps make no
	// token, the 10 ms after them the one 100 ms owe
	for i := 0; i < 3; i++ {
		r.h.SetNow(r.h.Now() + 30)
		r.expectDrop(ttl1(), 0, fastpath.DropTTLExceeded)
	}
	r.h.SetNow(r.h.Now() + 10)
	r.expectSent(ttl1(), 0)
}

func TestEchoWithBadChecksumIgnored(t *testing.T) {
	r := newRig(t, 16, testSpec())
	f := echoFrame(t, vip)
	f[14+20+2] ^= 0x55
	r.expectDrop(f, 0, fastpath.DropBadICMPChecksum)
}

// Only unreachable, source quench and time exceeded are relayed along
// connections (IPVS's choice); redirects and parameter problems are not.
func TestICMPErrorsNotRelayed(t *testing.T) {
	r := newRig(t, 16, testSpec())
	q := udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "query")
	r.expectSent(q, 0)
	inner := append([]byte(nil), q[14:]...)
	rs := dstAddr(q)
	for _, typ := range []uint8{5, 12} {
		f := serialize(t, eth(macRS[0], macLAN, layers.EthernetTypeIPv4), ip4(rs, client, layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0)}, gopacket.Payload(inner))
		r.expectDrop(f, 1, fastpath.DropICMPNotRelayed)
		toVIP := serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip4(client, vip, layers.IPProtocolICMPv4),
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0)}, gopacket.Payload(inner))
		r.expectDrop(toVIP, 0, fastpath.DropICMPNotRelayed)
	}
}

// A full table of half-open connections gives way to new ones (IPVS's
// drop_entry); established connections never do. Over flood_pct the
// half-open ones get the short SYN_RECV timeout.
func TestFloodEvictsHalfOpen(t *testing.T) {
	r := newRig(t, 4, testSpec())
	for port := uint16(1); port <= 4; port++ {
		r.expectSent(synFrom(t, client, port), 0)
	}
	c, _ := r.conn(client, 4, vip, 80, packet.ProtoTCP)
	if st := r.h.Counters().Lcore(); !st.FloodActive || c.Expire != r.h.Now()+testSecurity.FloodSynMs {
		t.Fatalf("flood active %v, SYN_RECV expires in %d ms", st.FloodActive, c.Expire-r.h.Now())
	}
	first, _ := r.conn(client, 1, vip, 80, packet.ProtoTCP)
	if first.Expire != r.h.Now()+testTimeouts[StateSynRecv] {
		t.Fatalf("SYN_RECV before the flood expires in %d ms", first.Expire-r.h.Now())
	}
	r.expectSent(synFrom(t, client, 5), 0)
	if st := r.h.Counters().Lcore(); st.Evicted != 1 || st.Live != 4 {
		t.Fatalf("evicted %d live %d", st.Evicted, st.Live)
	}
	if _, ok := r.conn(client, 5, vip, 80, packet.ProtoTCP); !ok {
		t.Fatal("the new SYN has no connection")
	}
	// established connections hold their place
	e := newRig(t, 2, testSpec())
	for _, port := range []uint16{2, 3} {
		syn := synFrom(t, client, port)
		e.expectSent(syn, 0)
		e.expectSent(tcpSeg(t, macClient, macWAN, client, port, vip, 80, flACK, ""), 0)
	}
	e.expectDrop(synFrom(t, client, 4), 0, fastpath.DropConnTableFull)
	if st := e.h.Counters().Lcore(); st.Evicted != 0 {
		t.Fatalf("evicted %d established connections", st.Evicted)
	}
}

func TestNewConnectionsPerSourceLimited(t *testing.T) {
	r := rigWith(t, 64, func(s *Spec) { s.Security.SrcLimit, s.Security.SrcPrefixBits = 3, 32 })
	other := netip.MustParseAddr("10.0.0.3")
	r.learn(other, macClient, 0)
	for port := uint16(1); port <= 3; port++ {
		r.expectSent(synFrom(t, client, port), 0)
	}
	r.expectDrop(synFrom(t, client, 4), 0, fastpath.DropNewConnLimit)
	r.expectSent(synFrom(t, other, 4), 0) // another source has its own budget
	r.expectSent(tcpSeg(t, macClient, macWAN, client, 1, vip, 80, flACK, ""), 0)
	r.h.SetNow(r.h.Now() + 1000)
	r.expectSent(synFrom(t, client, 4), 0)

	wide := rigWith(t, 64, func(s *Spec) { s.Security.SrcLimit, s.Security.SrcPrefixBits = 1, 24 })
	wide.learn(other, macClient, 0)
	wide.expectSent(synFrom(t, client, 1), 0)
	wide.expectDrop(synFrom(t, other, 1), 0, fastpath.DropNewConnLimit) // the same /24
}

func TestSecurityValidated(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Security)
		want string
	}{
		{func(s *Security) { s.RPFilter = 7 }, "rp_filter"},
		{func(s *Security) { s.FloodPct = 0 }, "flood_threshold"},
		{func(s *Security) { s.FloodPct = 101 }, "flood_threshold"},
		{func(s *Security) { s.SrcPrefixBits = 33 }, "source_prefix"},
	} {
		spec := testSpec()
		tc.edit(&spec.Security)
		ports := []portInfo{newPortInfo(spec.Ports[0], 0, macWAN), newPortInfo(spec.Ports[1], 1, macLAN)}
		if _, err := compile(1, spec, ports, newIDAllocator()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("want an error about %s, got %v", tc.want, err)
		}
	}
}

// withOptions puts raw IPv4 options (a multiple of 4 bytes) into frame's
// IP header, fixing the header length, total length and checksum (the TCP
// checksum does not cover the IP header).
func withOptions(frame, opts []byte) []byte {
	const l3 = 14
	out := append(append(append([]byte{}, frame[:l3+20]...), opts...), frame[l3+20:]...)
	out[l3] = 0x40 | byte((20+len(opts))/4)
	binary.BigEndian.PutUint16(out[l3+2:], binary.BigEndian.Uint16(frame[l3+2:])+uint16(len(opts)))
	binary.BigEndian.PutUint16(out[l3+10:], 0)
	binary.BigEndian.PutUint16(out[l3+10:], packet.Checksum(out[l3:l3+20+len(opts)], 0))
	return out
}

// Well-formed options other than source routes pass untouched; a source
// route, or an option whose length leaves the header, is dropped.
func TestIPOptions(t *testing.T) {
	r := newRig(t, 64, testSpec())
	for i, tc := range []struct {
		name string
		opts []byte
		drop fastpath.Drop // DropNone: forwarded with the options
	}{
		{"record route", []byte{7, 7, 4, 0, 0, 0, 0, 0}, fastpath.DropNone},
		{"nops and end", []byte{1, 1, 1, 0}, fastpath.DropNone},
		{"router alert", []byte{148, 4, 0, 0}, fastpath.DropNone},
		{"loose source route", []byte{131, 7, 4, 10, 1, 0, 11, 0}, fastpath.DropSourceRoute},
		{"strict source route after a nop", []byte{1, 137, 7, 4, 10, 1, 0, 11}, fastpath.DropSourceRoute},
		{"length 0", []byte{7, 0, 0, 0}, fastpath.DropBadIPOptions},
		{"length 1", []byte{1, 1, 68, 1}, fastpath.DropBadIPOptions},
		{"length past the header", []byte{68, 12, 5, 0}, fastpath.DropBadIPOptions},
		{"type without a length byte", []byte{1, 1, 1, 68}, fastpath.DropBadIPOptions},
	} {
		f := withOptions(tcpFrame(t, macClient, macWAN, client, uint16(4000+i), vip, 80, true, false, ""), tc.opts)
		if tc.drop != fastpath.DropNone {
			r.expectDrop(f, 0, tc.drop)
			continue
		}
		o := r.run(f, 0)
		if o.Verdict != fastpath.VerdictSent || len(o.Frame) < 34+len(tc.opts) {
			t.Fatalf("%s: verdict %v drop %v, want forwarded", tc.name, o.Verdict, o.Drop)
		}
		if got := o.Frame[34 : 34+len(tc.opts)]; string(got) != string(tc.opts) {
			t.Errorf("%s: options forwarded as % x, want % x", tc.name, got, tc.opts)
		}
	}
}
