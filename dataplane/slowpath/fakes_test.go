package slowpath

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/packet"
)

// fakeMirror is the lcores' table: a map, optionally refusing writes.
type fakeMirror struct {
	entries   map[uint32]mirrored
	capacity  int  // > 0: Set of a new address fails once this many are held
	failAll   bool // every Set fails
	sets      int
	deletes   int
	badDelete int // Delete of an address the mirror did not hold
}

type mirrored struct {
	port int
	mac  [6]byte
}

var errFull = errors.New("mirror full")

func newFakeMirror() *fakeMirror { return &fakeMirror{entries: map[uint32]mirrored{}} }

func (m *fakeMirror) Set(ip uint32, port int, mac [6]byte) error {
	_, known := m.entries[ip]
	if m.failAll || (!known && m.capacity > 0 && len(m.entries) >= m.capacity) {
		return errFull
	}
	m.sets++
	m.entries[ip] = mirrored{port, mac}
	return nil
}

func (m *fakeMirror) Delete(ip uint32) {
	if _, ok := m.entries[ip]; !ok {
		m.badDelete++
	}
	m.deletes++
	delete(m.entries, ip)
}

// fakeWire records what the slow path originates.
type fakeWire struct {
	fail bool
	sent []wireFrame
}

type wireFrame struct {
	port  int
	frame []byte
}

func (w *fakeWire) Send(port int, frame []byte) bool {
	if w.fail {
		return false
	}
	w.sent = append(w.sent, wireFrame{port, append([]byte(nil), frame...)})
	return true
}

// take returns and forgets what was sent so far.
func (w *fakeWire) take() []wireFrame {
	s := w.sent
	w.sent = nil
	return s
}

// fakePacket is a punted mbuf; it remembers how it ended.
type fakePacket struct {
	frame    []byte
	failSend bool
	sends    int
	frees    int
	port     int            // where Send put it
	log      *[]*fakePacket // if set, Send appends p: the order packets left in
}

func (p *fakePacket) Frame() []byte { return p.frame }

func (p *fakePacket) Send(port int) bool {
	p.sends++
	p.port = port
	if p.log != nil {
		*p.log = append(*p.log, p)
	}
	return !p.failSend
}

func (p *fakePacket) Free() { p.frees++ }

func (p *fakePacket) sent() bool  { return p.sends == 1 && p.frees == 0 }
func (p *fakePacket) freed() bool { return p.frees == 1 && p.sends == 0 }
func (p *fakePacket) open() bool  { return p.frees == 0 && p.sends == 0 }

// The test network: a /24 towards clients, a /24 towards real servers and
// a /31 point-to-point link.
const (
	portWAN = 0
	portLAN = 1
	portP2P = 2
)

var (
	macWAN   = [6]byte{0x02, 0, 0, 0, 0, 0x01}
	macLAN   = [6]byte{0x02, 0, 0, 0, 1, 0x01}
	macP2P   = [6]byte{0x02, 0, 0, 0, 2, 0x01}
	macHost  = [6]byte{0x52, 0x54, 0, 0, 0, 0x07}
	macOther = [6]byte{0x52, 0x54, 0, 0, 0, 0x08}
	macRS    = [6]byte{0x52, 0x54, 0, 0, 1, 0x0b}
	macGW    = [6]byte{0x52, 0x54, 0, 0, 0, 0xfe}
	macStat  = [6]byte{0x52, 0x54, 0, 0, 1, 0x32}

	ipWAN     = ip4(10, 0, 0, 1)
	ipLAN     = ip4(192, 168, 1, 1)
	ipP2P     = ip4(172, 16, 0, 0)
	ipP2PPeer = ip4(172, 16, 0, 1)
	ipVIP     = ip4(10, 0, 0, 100)
	ipLANVIP  = ip4(192, 168, 1, 100) // owned by the LAN port
	ipHost    = ip4(10, 0, 0, 7)
	ipHost2   = ip4(10, 0, 0, 8)
	ipGW      = ip4(10, 0, 0, 254)
	ipRS      = ip4(192, 168, 1, 11)
	ipStatic  = ip4(192, 168, 1, 50)

	t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

func ip4(a, b, c, d byte) uint32 { return uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d) }

func testView(gen uint64) View {
	return View{
		Gen: gen,
		Ports: []Port{
			{Name: "wan", MAC: macWAN, IP: ipWAN, Net: ip4(10, 0, 0, 0), Mask: 0xffffff00},
			{Name: "lan", MAC: macLAN, IP: ipLAN, Net: ip4(192, 168, 1, 0), Mask: 0xffffff00},
			{Name: "p2p", MAC: macP2P, IP: ipP2P, Net: ipP2P, Mask: 0xfffffffe},
		},
		VIPs:   map[uint32]int{ipVIP: portWAN, ipLANVIP: portLAN},
		Wanted: map[uint32]int{ipRS: portLAN, ipGW: portWAN},
		Static: []StaticNeighbor{{IP: ipStatic, MAC: macStat, Port: portLAN}},
	}
}

// sender is who an ARP frame comes from, and on which port.
type sender struct {
	port int
	mac  [6]byte
	ip   uint32
}

// fixture is a slow path with the test view applied, on a fake clock.
type fixture struct {
	t      *testing.T
	sp     *SlowPath
	mirror *fakeMirror
	wire   *fakeWire
	now    time.Time

	sendOrder []*fakePacket // punted packets, as they were sent
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	f := &fixture{t: t, mirror: newFakeMirror(), wire: &fakeWire{}, now: t0}
	f.sp = New(cfg, f.mirror, f.wire)
	if err := f.sp.Apply(testView(1), f.now); err != nil {
		t.Fatal(err)
	}
	f.sp.Tick(f.now) // the announcements and first requests of the view
	f.wire.take()
	return f
}

func (f *fixture) advance(d time.Duration) { f.now = f.now.Add(d) }

// reconfigure applies the test view of generation 1 as change edits it.
func (f *fixture) reconfigure(change func(v *View)) {
	f.t.Helper()
	v := testView(1)
	change(&v)
	if err := f.sp.Apply(v, f.now); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) tick(d time.Duration) []wireFrame {
	f.advance(d)
	f.sp.Tick(f.now)
	return f.wire.take()
}

// arp hands an ARP frame to HandleARP and returns the packet.
func (f *fixture) arp(inPort int, op uint16, sha [6]byte, spa uint32, tha [6]byte, tpa uint32) *fakePacket {
	p := &fakePacket{frame: arpFrame(f.t, op, sha, spa, tha, tpa)}
	f.sp.HandleARP(p, inPort, f.now)
	return p
}

// reply is "spa is-at sha", addressed to the port's address.
func (f *fixture) reply(inPort int, sha [6]byte, spa uint32) *fakePacket {
	return f.arp(inPort, packet.ARPReply, sha, spa, testView(0).Ports[inPort].MAC, testView(0).Ports[inPort].IP)
}

// learn has host ip at mac ask for the port's address, as a client about to
// talk to us does: by default the one ARP that creates a learned entry.
func (f *fixture) learn(inPort int, mac [6]byte, ip uint32) *fakePacket {
	return f.arp(inPort, packet.ARPRequest, mac, ip, [6]byte{}, testView(0).Ports[inPort].IP)
}

// setARPAccept reconfigures the test view (same generation) with ARPAccept.
func (f *fixture) setARPAccept(on bool) {
	f.t.Helper()
	f.reconfigure(func(v *View) { v.ARPAccept = on })
}

func (f *fixture) unresolved(outPort int, hop uint32, marker byte) *fakePacket {
	p := &fakePacket{frame: ipv4Frame(marker), log: &f.sendOrder}
	f.sp.HandleUnresolved(p, outPort, hop, f.now)
	return p
}

func (f *fixture) entry(ip uint32) (Entry, bool) {
	for _, e := range f.sp.Entries() {
		if e.IP == ip {
			return e, true
		}
	}
	return Entry{}, false
}

func (f *fixture) mustEntry(ip uint32) Entry {
	f.t.Helper()
	e, ok := f.entry(ip)
	if !ok {
		f.t.Fatalf("no entry for %v", ipString(ip))
	}
	return e
}

// arpFrame builds an untagged Ethernet/IPv4 ARP frame with gopacket, so the
// test frames share no code with the package under test. Requests go to
// the broadcast MAC, replies to tha.
func arpFrame(t testing.TB, op uint16, sha [6]byte, spa uint32, tha [6]byte, tpa uint32) []byte {
	t.Helper()
	dst := packet.BroadcastMAC
	if op == packet.ARPReply {
		dst = tha
	}
	eth := &layers.Ethernet{SrcMAC: hw(sha), DstMAC: hw(dst), EthernetType: layers.EthernetTypeARP}
	a := &layers.ARP{
		AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: op, SourceHwAddress: hw(sha), SourceProtAddress: netIP(spa),
		DstHwAddress: hw(tha), DstProtAddress: netIP(tpa),
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, eth, a); err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), buf.Bytes()...)
	for len(out) < packet.MinFrameLen { // padding, as on the wire
		out = append(out, 0)
	}
	return out
}

// ipv4Frame is a packet the lcores finished but for its MACs; marker tells
// packets apart.
func ipv4Frame(marker byte) []byte {
	b := make([]byte, 64)
	b[12], b[13] = 0x08, 0x00
	b[14] = 0x45
	b[63] = marker
	return b
}

func hw(m [6]byte) net.HardwareAddr { return append(net.HardwareAddr(nil), m[:]...) }

func netIP(a uint32) net.IP {
	return net.IPv4(byte(a>>24), byte(a>>16), byte(a>>8), byte(a)).To4()
}

// parseARP decodes a frame the slow path produced.
func parseARP(t testing.TB, frame []byte) (dst, src packet.MAC, a packet.ARP) {
	t.Helper()
	var p packet.Parsed
	if packet.Parse(frame, &p) != packet.OK || !packet.ParseARP(frame, &p, &a) {
		t.Fatalf("not an ARP frame: %x", frame)
	}
	return packet.EthDst(frame), packet.EthSrc(frame), a
}
