package dataplane

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/conntrack"
	"github.com/govs-project/govs/dataplane/neigh"
	"github.com/govs-project/govs/dataplane/packet"
)

var (
	macWAN    = packet.MAC{0x02, 0, 0, 0, 0, 0x01}
	macLAN    = packet.MAC{0x02, 0, 0, 0, 0, 0x02}
	macClient = packet.MAC{0x02, 0, 0, 0, 0, 0xc1}
	macRS     = []packet.MAC{{0x02, 0, 0, 0, 0, 0x11}, {0x02, 0, 0, 0, 0, 0x12}, {0x02, 0, 0, 0, 0, 0x13}}
	client    = netip.MustParseAddr("10.0.0.2")
	vip       = netip.MustParseAddr("10.0.0.100")
	rsAddrs   = []netip.Addr{netip.MustParseAddr("10.1.0.11"), netip.MustParseAddr("10.1.0.12"), netip.MustParseAddr("10.1.0.13")}
)

// fakeOut records frames a worker originates.
type fakeOut struct {
	buf  []byte
	sent []sentFrame
}

type sentFrame struct {
	port  int
	frame []byte
}

func (f *fakeOut) alloc() []byte {
	f.buf = make([]byte, 2048)
	return f.buf
}

func (f *fakeOut) send(port, n int) {
	f.sent = append(f.sent, sentFrame{port, append([]byte(nil), f.buf[:n]...)})
}

func testPorts() []PortSpec {
	return []PortSpec{
		{Name: "wan", Device: "net_null0", Addr: netip.MustParsePrefix("10.0.0.1/24"), MTU: 1500},
		{Name: "lan", Device: "net_null1", Addr: netip.MustParsePrefix("10.1.0.1/24"), MTU: 1500},
	}
}

func testSpec(weights ...uint32) *Spec {
	if len(weights) == 0 {
		weights = []uint32{1, 2, 3}
	}
	web := ServiceSpec{Name: "web", VIP: vip, Proto: packet.ProtoTCP, Port: 80, Scheduler: "wrr"}
	dns := ServiceSpec{Name: "dns", VIP: vip, Proto: packet.ProtoUDP, Port: 53, Scheduler: "rr"}
	for i, a := range rsAddrs {
		web.Dests = append(web.Dests, DestSpec{Addr: a, Port: 8080, Weight: weights[i]})
		dns.Dests = append(dns.Dests, DestSpec{Addr: a, Port: 5353, Weight: 1})
	}
	return &Spec{Ports: testPorts(), Services: []ServiceSpec{web, dns}, Timeouts: conntrack.DefaultTimeouts}
}

type rig struct {
	t     *testing.T
	last  []byte // the frame process left to send
	w     *worker
	out   *fakeOut
	ports []portInfo
	ids   *idAllocator
	gen   uint64
}

func newRig(t *testing.T, capacity int, spec *Spec) *rig {
	t.Helper()
	specs := spec.Ports
	ports := []portInfo{newPortInfo(specs[0], 0, macWAN), newPortInfo(specs[1], 1, macLAN)}
	r := &rig{t: t, out: &fakeOut{}, ports: ports, ids: newIDAllocator()}
	r.w = newWorker(0, 1, conntrack.NewInGoMemory(capacity), neigh.New(64), r.out)
	r.apply(spec)
	r.w.now = 1000
	r.w.neigh.Learn(addrU32(client), macClient, 0, 1)
	for i, a := range rsAddrs {
		r.w.neigh.Learn(addrU32(a), macRS[i], 1, 1)
	}
	return r
}

func (r *rig) apply(spec *Spec) {
	r.t.Helper()
	r.gen++
	s, err := buildSnapshot(r.gen, spec, r.ports, r.ids)
	if err != nil {
		r.t.Fatalf("buildSnapshot: %v", err)
	}
	r.w.setSnapshot(s)
}

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("serialize: %v", err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func eth(src, dst packet.MAC, typ layers.EthernetType) *layers.Ethernet {
	return &layers.Ethernet{SrcMAC: net.HardwareAddr(src[:]), DstMAC: net.HardwareAddr(dst[:]), EthernetType: typ}
}

func ip4(src, dst netip.Addr, proto layers.IPProtocol) *layers.IPv4 {
	return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}
}

func tcpFrame(t testing.TB, srcMAC, dstMAC packet.MAC, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, syn, ack bool, payload string) []byte {
	ip := ip4(src, dst, layers.IPProtocolTCP)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: syn, ACK: ack, Seq: 1, Window: 1000}
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, eth(srcMAC, dstMAC, layers.EthernetTypeIPv4), ip, tcp, gopacket.Payload(payload))
}

func udpFrame(t testing.TB, srcMAC, dstMAC packet.MAC, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, payload string) []byte {
	ip := ip4(src, dst, layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	udp.SetNetworkLayerForChecksum(ip)
	return serialize(t, eth(srcMAC, dstMAC, layers.EthernetTypeIPv4), ip, udp, gopacket.Payload(payload))
}

// decoded checks the frame's checksums by re-serialising it with gopacket.
type decoded struct {
	eth *layers.Ethernet
	ip  *layers.IPv4
	tcp *layers.TCP
	udp *layers.UDP
	icm *layers.ICMPv4
}

func decode(t *testing.T, frame []byte) decoded {
	t.Helper()
	pk := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	var d decoded
	d.eth, _ = pk.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	d.ip, _ = pk.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	d.tcp, _ = pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
	d.udp, _ = pk.Layer(layers.LayerTypeUDP).(*layers.UDP)
	d.icm, _ = pk.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if d.ip == nil {
		t.Fatalf("no IPv4 layer in %x", frame)
	}
	var p packet.Parsed
	if e := packet.Parse(frame, &p); e != packet.OK {
		t.Fatalf("rewritten frame does not parse: %v", e)
	}
	if !packet.VerifyIPv4Header(frame, &p) {
		t.Fatalf("IP header checksum wrong after rewrite")
	}
	if p.Proto == packet.ProtoTCP || (p.Proto == packet.ProtoUDP && d.udp.Checksum != 0) {
		if l4Checksum(frame, &p) != 0 {
			t.Fatalf("L4 checksum wrong after rewrite")
		}
	}
	return d
}

// l4Checksum sums the pseudo-header and segment: 0 means the checksum is valid.
func l4Checksum(frame []byte, p *packet.Parsed) uint16 {
	seg := frame[p.L4Off:p.IPEnd]
	var ph [12]byte
	copy(ph[0:8], frame[p.L3Off+12:p.L3Off+20])
	ph[9] = p.Proto
	ph[10], ph[11] = byte(len(seg)>>8), byte(len(seg))
	var sum uint32
	for i := 0; i < 12; i += 2 {
		sum += uint32(ph[i])<<8 | uint32(ph[i+1])
	}
	return packet.Checksum(seg, sum)
}

const testHeadroom = 128

// run processes frame as the loop would, from an mbuf-like buffer with
// headroom. The output frame is r.last; when it has the input's length it
// is also copied back into frame, so tests can inspect frame.
func (r *rig) run(frame []byte, inPort int) verdict {
	buf := make([]byte, testHeadroom+len(frame))
	copy(buf[testHeadroom:], frame)
	v := r.w.process(buf, testHeadroom, inPort)
	r.last = buf[r.w.outOff : r.w.outOff+r.w.outLen]
	if len(r.last) == len(frame) {
		copy(frame, r.last)
	}
	return v
}

func (r *rig) expect(frame []byte, inPort int, want verdict) {
	r.t.Helper()
	if got := r.run(frame, inPort); got != want {
		r.t.Fatalf("verdict %d (drop %v), want %d", got, r.w.drop, want)
	}
}

func (r *rig) expectDrop(frame []byte, inPort int, want Drop) {
	r.t.Helper()
	before := r.w.cnt.drops[want]
	if got := r.run(frame, inPort); got != vDrop || r.w.drop != want {
		r.t.Fatalf("verdict %d drop %v, want drop %v", got, r.w.drop, want)
	}
	if r.w.cnt.drops[want] != before+1 {
		r.t.Fatalf("drop %v not counted", want)
	}
}

func TestNATRoundTrip(t *testing.T) {
	r := newRig(t, 1024, testSpec())
	syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	r.expect(syn, 0, vForward)
	if r.w.outPort != 1 {
		t.Fatalf("SYN left on port %d, want lan", r.w.outPort)
	}
	d := decode(t, syn)
	rs := netip.AddrFrom4([4]byte(d.ip.DstIP.To4()))
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
	r.expect(synack, 1, vForward)
	d = decode(t, synack)
	if r.w.outPort != 0 || netip.AddrFrom4([4]byte(d.ip.SrcIP.To4())) != vip || d.tcp.SrcPort != 80 || packet.MAC(d.eth.DstMAC) != macClient {
		t.Fatalf("SNAT: port %d src %v:%d eth dst %v", r.w.outPort, d.ip.SrcIP, d.tcp.SrcPort, d.eth.DstMAC)
	}
	// the ACK of the handshake establishes the connection
	ack := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, false, true, "GET /")
	r.expect(ack, 0, vForward)
	c, ok := r.w.conns.LookupIn(conntrack.Key{SrcIP: addrU32(client), DstIP: addrU32(vip), SrcPort: 40000, DstPort: 80, Proto: packet.ProtoTCP})
	if !ok || c.State != conntrack.StateEstablished {
		t.Fatalf("conn state after handshake: %v %v", ok, ok && c.State == conntrack.StateEstablished)
	}
	s := r.w.snap.services[0]
	rc := &r.w.cnt.rs[s.dests[idx].id]
	if rc.conns != 1 || rc.dir[dirIn].pkts != 2 || rc.dir[dirOut].pkts != 1 || rc.active != 1 || rc.inactive != 0 {
		t.Fatalf("rs counters %+v", *rc)
	}
	if want := ipTotalLen(syn) + ipTotalLen(ack); r.w.cnt.svc[s.id].dir[dirIn].bytes != want {
		t.Fatalf("svc in bytes %d", r.w.cnt.svc[s.id].dir[dirIn].bytes)
	}
}

func ipTotalLen(f []byte) uint64 { return uint64(f[16])<<8 | uint64(f[17]) }

func TestNATUDPZeroChecksumStaysZero(t *testing.T) {
	r := newRig(t, 1024, testSpec())
	f := udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "query")
	f[14+20+6], f[14+20+7] = 0, 0 // no UDP checksum
	r.expect(f, 0, vForward)
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
		r.expect(syn, 0, vForward)
		got[netip.AddrFrom4([4]byte(syn[30:34]))]++
	}
	for i, want := range []int{100, 200, 300} {
		if got[rsAddrs[i]] != want {
			t.Fatalf("shares %v, want 100/200/300", got)
		}
	}
}

func TestDropReasons(t *testing.T) {
	r := newRig(t, 2, testSpec())
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, vip, 80, false, true, ""), 0, DropNoConn)
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, vip, 81, true, false, ""), 0, DropNoService)
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, netip.MustParseAddr("10.0.0.1"), 22, true, false, ""), 0, DropLocalProto)
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, netip.MustParseAddr("10.9.9.9"), 22, true, false, ""), 0, DropNotLocal)
	r.expectDrop([]byte{1, 2, 3}, 0, DropTruncated)
	r.expect(tcpFrame(t, macClient, macWAN, client, 2, vip, 80, true, false, ""), 0, vForward)
	r.expect(tcpFrame(t, macClient, macWAN, client, 3, vip, 80, true, false, ""), 0, vForward)
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 4, vip, 80, true, false, ""), 0, DropConnTableFull)
	ttl := tcpFrame(t, macClient, macWAN, client, 2, vip, 80, false, true, "")
	ttl[14+8] = 1
	ttl[14+10], ttl[14+11] = 0, 0
	csum := packet.Checksum(ttl[14:34], 0)
	ttl[14+10], ttl[14+11] = byte(csum>>8), byte(csum)
	r.expectDrop(ttl, 0, DropTTLExceeded)
}

func TestQuiescedServiceDrops(t *testing.T) {
	r := newRig(t, 16, testSpec(0, 0, 0))
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, vip, 80, true, false, ""), 0, DropNoDest)
}

func TestUnresolvedNextHopAsksARP(t *testing.T) {
	r := newRig(t, 16, testSpec())
	r.w.neigh = neigh.New(64) // forget everything
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, vip, 80, true, false, ""), 0, DropNeighUnresolved)
	if len(r.out.sent) != 1 || r.out.sent[0].port != 1 {
		t.Fatalf("want one ARP request on lan, got %d", len(r.out.sent))
	}
	var p packet.Parsed
	var a packet.ARP
	f := r.out.sent[0].frame
	if packet.Parse(f, &p) != packet.OK || !packet.ParseARP(f, &p, &a) || a.Op != arpRequest || a.SPA != addrU32(netip.MustParseAddr("10.1.0.1")) {
		t.Fatalf("bad ARP request %x", f)
	}
	// the retransmitted SYN finds its connection but no second request goes out within the retry time
	r.expectDrop(tcpFrame(t, macClient, macWAN, client, 1, vip, 80, true, false, ""), 0, DropNeighUnresolved)
	if len(r.out.sent) != 1 {
		t.Fatalf("ARP request repeated within %d ms", arpRetryMs)
	}
	// the reply resolves it
	reply := make([]byte, 60)
	req := packet.ARP{Op: arpReply, SHA: macRS[0], SPA: a.TPA, THA: macLAN, TPA: a.SPA}
	buildARP(reply, req)
	r.expect(reply, 1, vConsumed)
	if _, ok := r.w.neigh.Lookup(a.TPA); !ok {
		t.Fatal("ARP reply not learned")
	}
}

func buildARP(b []byte, a packet.ARP) {
	copy(b[0:6], a.THA[:])
	copy(b[6:12], a.SHA[:])
	b[12], b[13] = 0x08, 0x06
	b[14], b[15], b[16], b[17], b[18], b[19] = 0, 1, 8, 0, 6, 4
	b[20], b[21] = 0, byte(a.Op)
	copy(b[22:28], a.SHA[:])
	put32(b[28:], a.SPA)
	copy(b[32:38], a.THA[:])
	put32(b[38:], a.TPA)
}

func put32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

func TestARPForVIPAnsweredOnlyOnItsPort(t *testing.T) {
	r := newRig(t, 16, testSpec())
	req := make([]byte, 60)
	buildARP(req, packet.ARP{Op: arpRequest, SHA: macClient, SPA: addrU32(client), TPA: addrU32(vip)})
	copy(req[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	r.expect(req, 0, vForward)
	var p packet.Parsed
	var a packet.ARP
	if packet.Parse(req, &p) != packet.OK || !packet.ParseARP(req, &p, &a) || a.Op != arpReply || a.SHA != macWAN || a.SPA != addrU32(vip) || a.THA != macClient {
		t.Fatalf("bad ARP reply %+v", a)
	}
	req2 := make([]byte, 60)
	buildARP(req2, packet.ARP{Op: arpRequest, SHA: macRS[0], SPA: addrU32(rsAddrs[0]), TPA: addrU32(vip)})
	r.expect(req2, 1, vConsumed)
}

func TestEchoToVIPAndOwnAddress(t *testing.T) {
	r := newRig(t, 16, testSpec())
	for _, dst := range []netip.Addr{vip, netip.MustParseAddr("10.0.0.1")} {
		ip := ip4(client, dst, layers.IPProtocolICMPv4)
		f := serialize(t, eth(macClient, macWAN, layers.EthernetTypeIPv4), ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 7, Seq: 1}, gopacket.Payload("ping"))
		r.expect(f, 0, vForward)
		d := decode(t, f)
		if d.icm.TypeCode.Type() != 0 || netip.AddrFrom4([4]byte(d.ip.SrcIP.To4())) != dst || packet.MAC(d.eth.DstMAC) != macClient {
			t.Fatalf("echo reply from %v: %+v", dst, d.icm.TypeCode)
		}
	}
}

func TestICMPErrorFromServerTranslated(t *testing.T) {
	r := newRig(t, 16, testSpec())
	q := udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "query")
	r.expect(q, 0, vForward)
	inner := append([]byte(nil), q[14:]...) // as the server received it
	rs := netip.AddrFrom4([4]byte(inner[16:20]))
	ip := ip4(rs, client, layers.IPProtocolICMPv4)
	f := serialize(t, eth(macRS[0], macLAN, layers.EthernetTypeIPv4), ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(inner))
	r.expect(f, 1, vForward)
	d := decode(t, f)
	if netip.AddrFrom4([4]byte(d.ip.SrcIP.To4())) != vip || r.w.outPort != 0 {
		t.Fatalf("outer src %v port %d", d.ip.SrcIP, r.w.outPort)
	}
	quoted := d.icm.Payload
	if netip.AddrFrom4([4]byte(quoted[16:20])) != vip || uint16(quoted[22])<<8|uint16(quoted[23]) != 53 {
		t.Fatalf("quoted dst %v:%d", quoted[16:20], uint16(quoted[22])<<8|uint16(quoted[23]))
	}
	if packet.Checksum(f[34:], 0) != 0 {
		t.Fatal("ICMP checksum wrong")
	}
}

func TestEstablishedSurvivesReload(t *testing.T) {
	r := newRig(t, 16, testSpec())
	syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	r.expect(syn, 0, vForward)
	first := netip.AddrFrom4([4]byte(syn[30:34]))
	// new config: only one server, and not the one in use
	spec := testSpec()
	other := rsAddrs[0]
	if other == first {
		other = rsAddrs[1]
	}
	spec.Services[0].Dests = []DestSpec{{Addr: other, Port: 8080, Weight: 1}}
	r.apply(spec)
	data := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, false, true, "more")
	r.expect(data, 0, vForward)
	if got := netip.AddrFrom4([4]byte(data[30:34])); got != first {
		t.Fatalf("established flow moved from %v to %v on reload", first, got)
	}
	syn2 := tcpFrame(t, macClient, macWAN, client, 40001, vip, 80, true, false, "")
	r.expect(syn2, 0, vForward)
	if got := netip.AddrFrom4([4]byte(syn2[30:34])); got != other {
		t.Fatalf("new flow went to %v, want %v", got, other)
	}
}

func TestExpiryFreesConnections(t *testing.T) {
	r := newRig(t, 64, testSpec())
	r.expect(udpFrame(t, macClient, macWAN, client, 5000, vip, 53, "q"), 0, vForward)
	if r.w.cnt.live != 1 {
		t.Fatalf("live %d", r.w.cnt.live)
	}
	r.w.now += conntrack.DefaultTimeouts[conntrack.StateUDP] + 1
	for i := 0; i < 4; i++ {
		r.w.housekeep(true)
	}
	if r.w.cnt.live != 0 || r.w.conns.Len() != 0 {
		t.Fatalf("live %d len %d after expiry", r.w.cnt.live, r.w.conns.Len())
	}
	svc := r.w.snap.services[1]
	if r.w.cnt.svc[svc.id].inactive != 0 {
		t.Fatalf("inactive gauge %d after expiry", r.w.cnt.svc[svc.id].inactive)
	}
}

func TestRedirectToOwner(t *testing.T) {
	r := newRig(t, 64, testSpec())
	r.w.nWorkers = 4
	seen := map[int]bool{}
	for port := uint16(1); port < 200; port++ {
		owner := r.w.ownerOf(addrU32(client), port)
		seen[owner] = true
		f := udpFrame(t, macClient, macWAN, client, port, vip, 53, "q")
		v := r.run(f, 0)
		if owner == 0 && v != vForward || owner != 0 && (v != vRedirect || r.w.owner != owner) {
			t.Fatalf("port %d owner %d verdict %d", port, owner, v)
		}
		if v == vForward { // the reply must belong to the same worker
			rs := netip.AddrFrom4([4]byte(f[30:34]))
			reply := udpFrame(t, macRS[0], macLAN, rs, 5353, client, port, "a")
			r.expect(reply, 1, vForward)
		}
	}
	if len(seen) != 4 {
		t.Fatalf("flows spread over %d of 4 workers", len(seen))
	}
}

func TestProcessDoesNotAllocate(t *testing.T) {
	r := newRig(t, 64, testSpec())
	syn := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, "")
	r.expect(syn, 0, vForward)
	f := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, false, true, "x")
	work := make([]byte, testHeadroom+len(f))
	allocs := testing.AllocsPerRun(100, func() {
		copy(work[testHeadroom:], f)
		r.w.process(work, testHeadroom, 0)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per packet", allocs)
	}
}

func TestDropReasonsMirrorParseErrors(t *testing.T) {
	for e := packet.Error(1); e < packet.NumErrors; e++ {
		if d := dropForParse(e); uint8(d) != uint8(e) || d >= DropVLAN {
			t.Fatalf("parse error %v maps to %v", e, d)
		}
	}
	for d := Drop(1); d < NumDrops; d++ {
		if dropNames[d] == "" {
			t.Fatalf("drop %d has no name", d)
		}
	}
}

func FuzzProcess(f *testing.F) {
	f.Add(tcpFrame(f, macClient, macWAN, client, 1, vip, 80, true, false, ""))
	f.Add(udpFrame(f, macClient, macWAN, client, 1, vip, 53, "x"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		r := newRig(t, 64, testSpec())
		for port := 0; port < 2; port++ {
			r.run(append([]byte(nil), frame...), port)
		}
	})
}

func TestNewNeighbourMACTakesEffect(t *testing.T) {
	r := newRig(t, 64, methodSpec(1500, MethodDR))
	r.expect(tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, true, false, ""), 0, vForward)
	moved := packet.MAC{0x02, 0, 0, 0, 0, 0x99}
	r.w.neigh.Learn(addrU32(rsAddrs[0]), moved, 1, 5) // the server's NIC was replaced
	f := tcpFrame(t, macClient, macWAN, client, 40000, vip, 80, false, true, "x")
	r.expect(f, 0, vForward)
	if packet.MAC(f[0:6]) != moved {
		t.Fatalf("frame still sent to %x after the neighbour's MAC changed", f[0:6])
	}
}
