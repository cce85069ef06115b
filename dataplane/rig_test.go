package dataplane

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
)

// The frame-level tests run the C fast path through fastpath.Harness:
// frames in as fake mbufs, frames and verdicts out, without EAL.

var (
	macWAN    = packet.MAC{0x02, 0, 0, 0, 0, 0x01}
	macLAN    = packet.MAC{0x02, 0, 0, 0, 0, 0x02}
	macClient = packet.MAC{0x02, 0, 0, 0, 0, 0xc1}
	macRS     = []packet.MAC{{0x02, 0, 0, 0, 0, 0x11}, {0x02, 0, 0, 0, 0, 0x12}, {0x02, 0, 0, 0, 0, 0x13}}
	client    = netip.MustParseAddr("10.0.0.2")
	vip       = netip.MustParseAddr("10.0.0.100")
	rsAddrs   = []netip.Addr{netip.MustParseAddr("10.1.0.11"), netip.MustParseAddr("10.1.0.12"), netip.MustParseAddr("10.1.0.13")}
)

// testTimeouts are IPVS's defaults, as control/config sets them.
var testTimeouts = func() (t Timeouts) {
	for s, sec := range map[int]uint32{
		StateNone: 2, StateEstablished: 900, StateSynSent: 120, StateSynRecv: 60, StateFinWait: 120, StateTimeWait: 120,
		StateClose: 10, StateCloseWait: 60, StateLastAck: 30, StateListen: 120, StateSynAck: 120, StateUDP: 300,
	} {
		t[s] = sec * 1000
	}
	return t
}()

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
	return &Spec{Ports: testPorts(), Services: []ServiceSpec{web, dns}, Timeouts: testTimeouts, Security: testSecurity}
}

// testSecurity is what control/config defaults to: every rule on.
var testSecurity = Security{
	RPFilter: RPStrict, MACFilter: true, RSTCheck: true, ICMPRate: 1000, ICMPBurst: 50,
	FloodPct: 75, FloodSynMs: 3000, SrcPrefixBits: 24,
}

type rig struct {
	t     testing.TB
	h     *fastpath.Harness
	ports []portInfo
	ids   *idAllocator
	gen   uint64
	c     *compiled
	last  fastpath.Output
}

func newRigWith(t testing.TB, cfg fastpath.HarnessConfig, spec *Spec) *rig {
	t.Helper()
	h, err := fastpath.NewHarness(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	var ports []portInfo
	for i, ps := range spec.Ports {
		ports = append(ports, newPortInfo(ps, uint16(i), []packet.MAC{macWAN, macLAN}[i]))
	}
	r := &rig{t: t, h: h, ports: ports, ids: newIDAllocator()}
	r.apply(spec)
	h.SetNow(1000)
	r.learn(client, macClient, 0)
	for i, a := range rsAddrs {
		r.learn(a, macRS[i], len(ports)-1)
	}
	return r
}

func newRig(t testing.TB, capacity int, spec *Spec) *rig {
	return newRigWith(t, fastpath.HarnessConfig{ConnCapacity: capacity}, spec)
}

func (r *rig) learn(a netip.Addr, mac packet.MAC, port int) {
	r.t.Helper()
	if err := r.h.Neigh().Set(addrU32(a), port, mac); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) apply(spec *Spec) {
	r.t.Helper()
	r.gen++
	c, err := compile(r.gen, spec, r.ports, r.ids)
	if err != nil {
		r.t.Fatalf("compile: %v", err)
	}
	if err := r.h.Apply(&c.fp); err != nil {
		r.t.Fatalf("snapshot: %v", err)
	}
	r.c = c
}

// run handles frame received on inPort. When the frame leaves no longer
// than it came (trimmed of Ethernet padding at most) it is also copied
// back into frame, so tests can look at the rewrite in place.
func (r *rig) run(frame []byte, inPort int) fastpath.Output {
	r.t.Helper()
	r.last = r.h.Process(frame, inPort)
	if r.last.Frame != nil && len(r.last.Frame) <= len(frame) {
		copy(frame, r.last.Frame)
	}
	r.balanced()
	return r.last
}

// balanced checks the counting identity: every packet received (or
// handed over by another lcore) was forwarded, answered, punted,
// redirected or dropped for a counted reason, exactly once.
func (r *rig) balanced() {
	r.t.Helper()
	if in, out := accounted(r.h.Counters().Lcore()); in != out {
		r.t.Fatalf("%d packets received, %d accounted for", in, out)
	}
}

func accounted(st fastpath.LcoreStats) (in, out uint64) {
	out = st.Forwarded + st.Answered + st.Redirected
	for _, n := range st.Punted {
		out += n
	}
	for _, n := range st.Drops {
		out += n
	}
	return st.RxPkts + st.InboxPkts, out
}

func (r *rig) expect(frame []byte, inPort int, want fastpath.Verdict) fastpath.Output {
	r.t.Helper()
	o := r.run(frame, inPort)
	if o.Verdict != want {
		r.t.Fatalf("verdict %v (drop %v), want %v", o.Verdict, o.Drop, want)
	}
	return o
}

func (r *rig) expectSent(frame []byte, inPort int) fastpath.Output {
	r.t.Helper()
	return r.expect(frame, inPort, fastpath.VerdictSent)
}

func (r *rig) drops(d Drop) uint64 { return r.h.Counters().Lcore().Drops[d] }

func (r *rig) expectDrop(frame []byte, inPort int, want Drop) {
	r.t.Helper()
	before := r.drops(want)
	if o := r.run(frame, inPort); o.Verdict != fastpath.VerdictDropped || o.Drop != want {
		r.t.Fatalf("verdict %v drop %v, want drop %v", o.Verdict, o.Drop, want)
	}
	if r.drops(want) != before+1 {
		r.t.Fatalf("drop %v not counted", want)
	}
}

// rs reads the counters of dest d of service s of the running config.
func (r *rig) rs(s, d int) TrafficStats {
	return r.h.Counters().RealServer(r.c.services[s].dests[d].id)
}

func (r *rig) svc(s int) TrafficStats { return r.h.Counters().Service(r.c.services[s].id) }

func (r *rig) conn(src netip.Addr, sport uint16, dst netip.Addr, dport uint16, proto uint8) (fastpath.Conn, bool) {
	return r.h.Lookup(fastpath.ConnKey{SrcIP: addrU32(src), DstIP: addrU32(dst), SrcPort: sport, DstPort: dport, Proto: proto})
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

// tcpFlags are the flags of a test segment.
type tcpFlags struct{ syn, ack, fin, rst bool }

var (
	flSYN    = tcpFlags{syn: true}
	flSYNACK = tcpFlags{syn: true, ack: true}
	flACK    = tcpFlags{ack: true}
	flFINACK = tcpFlags{fin: true, ack: true}
	flRST    = tcpFlags{rst: true}
)

func tcpSeg(t testing.TB, srcMAC, dstMAC packet.MAC, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, f tcpFlags, payload string) []byte {
	ip := ip4(src, dst, layers.IPProtocolTCP)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: layers.TCPPort(dport), SYN: f.syn, ACK: f.ack, FIN: f.fin, RST: f.rst, Seq: 1, Window: 1000}
	tcp.SetNetworkLayerForChecksum(ip)
	return serialize(t, eth(srcMAC, dstMAC, layers.EthernetTypeIPv4), ip, tcp, gopacket.Payload(payload))
}

func tcpFrame(t testing.TB, srcMAC, dstMAC packet.MAC, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, syn, ack bool, payload string) []byte {
	return tcpSeg(t, srcMAC, dstMAC, src, sport, dst, dport, tcpFlags{syn: syn, ack: ack}, payload)
}

func udpFrame(t testing.TB, srcMAC, dstMAC packet.MAC, src netip.Addr, sport uint16, dst netip.Addr, dport uint16, payload string) []byte {
	ip := ip4(src, dst, layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	udp.SetNetworkLayerForChecksum(ip)
	return serialize(t, eth(srcMAC, dstMAC, layers.EthernetTypeIPv4), ip, udp, gopacket.Payload(payload))
}

// decoded is a frame taken apart by gopacket, its checksums verified.
type decoded struct {
	eth *layers.Ethernet
	ip  *layers.IPv4
	tcp *layers.TCP
	udp *layers.UDP
	icm *layers.ICMPv4
}

func decode(t testing.TB, frame []byte) decoded {
	t.Helper()
	d, err := decodeChecked(frame)
	if err != "" {
		t.Fatal(err)
	}
	return d
}

// decodeChecked parses frame and verifies its IP and L4 checksums; the
// error is empty when it is a well-formed IPv4 frame.
func decodeChecked(frame []byte) (decoded, string) {
	pk := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	var d decoded
	d.eth, _ = pk.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	d.ip, _ = pk.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	d.tcp, _ = pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
	d.udp, _ = pk.Layer(layers.LayerTypeUDP).(*layers.UDP)
	d.icm, _ = pk.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if d.ip == nil {
		return d, "no IPv4 layer in " + string(frame)
	}
	var p packet.Parsed
	if e := packet.Parse(frame, &p); e != packet.OK {
		return d, "frame does not parse: " + e.String()
	}
	if !packet.VerifyIPv4Header(frame, &p) {
		return d, "IP header checksum wrong"
	}
	switch {
	case p.Proto == packet.ProtoTCP || (p.Proto == packet.ProtoUDP && d.udp != nil && d.udp.Checksum != 0):
		if l4Checksum(frame, &p) != 0 {
			return d, "L4 checksum wrong"
		}
	case p.Proto == packet.ProtoICMP:
		if packet.Checksum(frame[p.L4Off:p.IPEnd], 0) != 0 {
			return d, "ICMP checksum wrong"
		}
	}
	return d, ""
}

// l4Checksum sums the pseudo-header and segment: 0 means the checksum is valid.
func l4Checksum(frame []byte, p *packet.Parsed) uint16 {
	seg := frame[p.L4Off:p.IPEnd]
	sum := packet.PseudoHeaderSum(p.Src, p.Dst, p.Proto, uint16(len(seg)))
	return packet.Checksum(seg, sum)
}

func ipTotalLen(f []byte) uint64 { return uint64(f[16])<<8 | uint64(f[17]) }

func dstAddr(f []byte) netip.Addr { return netip.AddrFrom4([4]byte(f[30:34])) }

func addrOf(ip net.IP) netip.Addr { return netip.AddrFrom4([4]byte(ip.To4())) }
