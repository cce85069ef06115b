package dataplane

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/fastpath"
	"github.com/govs-project/govs/dataplane/packet"
	"github.com/govs-project/govs/dataplane/slowpath"
)

var (
	gateway = netip.MustParseAddr("10.1.0.254") // the real servers' NAT gateway, floating
	vmac51  = VirtualRouterMAC(51)              // the VIP's instance, on wan
	vmac52  = VirtualRouterMAC(52)              // the gateway's, on lan
)

// vmacSpec is testSpec with the gateway floating, both addresses MASTER
// here with their virtual MACs, or none listed (standby lists them).
func vmacSpec(listed bool, standby ...netip.Addr) *Spec {
	s := testSpec(1, 1, 1)
	s.Floating = []netip.Addr{gateway}
	s.Standby = standby
	if listed {
		s.VirtualMACs = []VirtualMAC{{Addr: vip, MAC: vmac51}, {Addr: gateway, MAC: vmac52}}
	}
	return s
}

func TestVirtualRouterMAC(t *testing.T) {
	if got, want := VirtualRouterMAC(51), [6]byte{0x00, 0x00, 0x5e, 0x00, 0x01, 0x33}; got != want {
		t.Fatalf("VirtualRouterMAC(51) = %x, want %x", got, want)
	}
	if got := VirtualRouterMAC(255); got[5] != 255 || got[4] != 1 {
		t.Fatalf("VirtualRouterMAC(255) = %x", got)
	}
}

// sentFrames records what the slow path sends: originated frames and
// punted packets it sends back out.
type sentFrames struct{ frames []sentFrame }

type sentFrame struct {
	port  int
	frame []byte
}

func (w *sentFrames) Send(port int, frame []byte) bool {
	w.frames = append(w.frames, sentFrame{port, slices.Clone(frame)})
	return true
}

func (w *sentFrames) take() []sentFrame {
	f := w.frames
	w.frames = nil
	return f
}

type noMirror struct{}

func (noMirror) Set(uint32, int, [6]byte) error { return nil }
func (noMirror) Delete(uint32)                  {}

// puntedFrame is a frame the harness punted, handed to the slow path.
type puntedFrame struct {
	frame []byte
	out   *sentFrames
}

func (p *puntedFrame) Frame() []byte { return p.frame }
func (p *puntedFrame) Send(port int) bool {
	return p.out.Send(port, p.frame)
}
func (p *puntedFrame) Free() {}

// slowFor is a slow path serving r's configuration, as the running
// dataplane's (slowView), its first announcements taken.
func slowFor(t *testing.T, r *rig, spec *Spec) (*slowpath.SlowPath, *sentFrames) {
	t.Helper()
	w := &sentFrames{}
	sp := slowpath.New(slowpath.Config{}, noMirror{}, w)
	if err := sp.Apply(slowView(r.c, spec, r.ports), time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	return sp, w
}

// arpOf parses an ARP frame: Ethernet destination and source, the ARP.
func arpOf(t *testing.T, frame []byte) (dst, src packet.MAC, a packet.ARP) {
	t.Helper()
	var p packet.Parsed
	if packet.Parse(frame, &p) != packet.OK || !packet.ParseARP(frame, &p, &a) {
		t.Fatalf("not an ARP frame: %x", frame)
	}
	return packet.EthDst(frame), packet.EthSrc(frame), a
}

// A MASTER address with a virtual MAC: its ARP request goes through the
// fast path to the slow path and is answered with the virtual MAC, and its
// gratuitous ARPs carry it; the port's own address keeps the port's MAC.
func TestVirtualMACAnswersAndAnnounces(t *testing.T) {
	spec := vmacSpec(true)
	r := newRig(t, 16, spec)
	sp, wire := slowFor(t, r, spec)
	now := time.Unix(1000, 0)
	sp.Tick(now)
	want := map[netip.Addr]packet.MAC{vip: vmac51, gateway: vmac52, netip.MustParseAddr("10.0.0.1"): macWAN, netip.MustParseAddr("10.1.0.1"): macLAN}
	seen := map[netip.Addr]bool{}
	for _, f := range wire.take() {
		dst, src, a := arpOf(t, f.frame)
		addr := u32Addr(a.SPA)
		if a.SPA != a.TPA {
			continue // a request for a real server
		}
		if dst != packet.BroadcastMAC {
			t.Fatalf("gratuitous ARP to %x", dst)
		}
		if src != want[addr] || a.SHA != want[addr] {
			t.Errorf("gratuitous ARP for %v from %x (sender %x), want %x", addr, src, a.SHA, want[addr])
		}
		seen[addr] = true
	}
	if len(seen) != len(want) {
		t.Fatalf("announced %v, want %v", seen, want)
	}

	for _, c := range []struct {
		target netip.Addr
		port   int
		mac    packet.MAC
	}{
		{vip, 0, vmac51},
		{gateway, 1, vmac52},
		{netip.MustParseAddr("10.0.0.1"), 0, macWAN},
	} {
		req := arpFrame(arpReq(client, c.target))
		o := r.expect(req, c.port, fastpath.VerdictPunted)
		sp.HandleARP(&puntedFrame{frame: slices.Clone(o.Frame), out: wire}, c.port, now)
		sent := wire.take()
		if len(sent) != 1 || sent[0].port != c.port {
			t.Fatalf("ARP for %v: answers %+v", c.target, sent)
		}
		dst, src, a := arpOf(t, sent[0].frame)
		if a.Op != packet.ARPReply || src != c.mac || a.SHA != c.mac || u32Addr(a.SPA) != c.target || dst != macClient {
			t.Errorf("reply for %v: eth %x<-%x %+v, want from %x", c.target, dst, src, a, c.mac)
		}
	}
}

// With mac_filter, the port of a MASTER address with a virtual MAC takes
// frames to that MAC and forwards them (the egress source stays the port's
// MAC); the other port does not, and once the address is no longer listed
// (standby, or use_vmac off) the frame is dropped bad_dst_mac.
func TestVirtualMACAccepted(t *testing.T) {
	r := newRig(t, 16, vmacSpec(true))
	syn := tcpFrame(t, macClient, vmac51, client, 40000, vip, 80, true, false, "")
	if o := r.expectSent(syn, 0); o.Port != 1 {
		t.Fatalf("SYN to the virtual MAC left on port %d, want lan", o.Port)
	}
	d := decode(t, syn)
	rs := addrOf(d.ip.DstIP)
	idx := slices.Index(rsAddrs, rs)
	if idx < 0 || packet.MAC(d.eth.SrcMAC) != macLAN || packet.MAC(d.eth.DstMAC) != macRS[idx] {
		t.Fatalf("SYN to the virtual MAC forwarded to %v, eth %v -> %v", rs, d.eth.SrcMAC, d.eth.DstMAC)
	}
	// the server's reply to its gateway's virtual MAC
	synack := tcpFrame(t, macRS[idx], vmac52, rs, 8080, client, 40000, true, true, "")
	if o := r.expectSent(synack, 1); o.Port != 0 {
		t.Fatalf("reply to the gateway's virtual MAC left on port %d", o.Port)
	}
	if d := decode(t, synack); addrOf(d.ip.SrcIP) != vip || packet.MAC(d.eth.SrcMAC) != macWAN || packet.MAC(d.eth.DstMAC) != macClient {
		t.Fatalf("reply forwarded from %v, eth %v -> %v", d.ip.SrcIP, d.eth.SrcMAC, d.eth.DstMAC)
	}
	// each virtual MAC only on the port of its address
	r.expectDrop(tcpFrame(t, macClient, vmac52, client, 40001, vip, 80, true, false, ""), 0, fastpath.DropBadDstMAC)
	r.expectDrop(tcpFrame(t, macRS[0], vmac51, rsAddrs[0], 8080, client, 40000, true, true, ""), 1, fastpath.DropBadDstMAC)
	// the port's own MAC still works
	r.expectSent(tcpFrame(t, macClient, macWAN, client, 40002, vip, 80, true, false, ""), 0)

	for name, spec := range map[string]*Spec{"standby": vmacSpec(false, vip, gateway), "not listed": vmacSpec(false)} {
		r.apply(spec)
		r.expectDrop(tcpFrame(t, macClient, vmac51, client, 40003, vip, 80, true, false, ""), 0, fastpath.DropBadDstMAC)
		r.expectDrop(tcpFrame(t, macRS[idx], vmac52, rs, 8080, client, 40000, false, true, ""), 1, fastpath.DropBadDstMAC)
		if t.Failed() {
			t.Fatalf("%s: accepted", name)
		}
	}
	// without mac_filter the NIC's filter is all there is
	open := vmacSpec(false)
	open.Security.MACFilter = false
	r.apply(open)
	r.expectSent(tcpFrame(t, macClient, vmac51, client, 40004, vip, 80, true, false, ""), 0)
}

func TestVirtualMACRefused(t *testing.T) {
	r := newRig(t, 16, vmacSpec(true))
	var many []VirtualMAC
	var floating []netip.Addr
	for i := range MaxVirtualMACs + 1 {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(200 + i)})
		floating = append(floating, a)
		many = append(many, VirtualMAC{Addr: a, MAC: VirtualRouterMAC(uint8(i + 1))})
	}
	for _, c := range []struct {
		name     string
		vmacs    []VirtualMAC
		standby  []netip.Addr
		floating []netip.Addr
		want     string
	}{
		{"IPv6", []VirtualMAC{{Addr: netip.MustParseAddr("::1"), MAC: vmac51}}, nil, nil, "not an IPv4"},
		{"port address", []VirtualMAC{{Addr: netip.MustParseAddr("10.0.0.1"), MAC: vmac51}}, nil, nil, "neither a service's VIP nor a floating"},
		{"unknown", []VirtualMAC{{Addr: netip.MustParseAddr("10.0.0.77"), MAC: vmac51}}, nil, nil, "neither a service's VIP nor a floating"},
		{"standby", []VirtualMAC{{Addr: vip, MAC: vmac51}}, []netip.Addr{vip}, nil, "standby"},
		{"multicast", []VirtualMAC{{Addr: vip, MAC: [6]byte{0x01, 0, 0x5e, 0, 0, 1}}}, nil, nil, "not a unicast MAC"},
		{"zero", []VirtualMAC{{Addr: vip}}, nil, nil, "not a unicast MAC"},
		{"the port's MAC", []VirtualMAC{{Addr: vip, MAC: macWAN}}, nil, nil, "port wan's own MAC"},
		{"twice", []VirtualMAC{{Addr: vip, MAC: vmac51}, {Addr: vip, MAC: vmac52}}, nil, nil, "listed twice"},
		{"too many on a port", many, nil, floating, fmt.Sprintf("more than %d virtual MACs", MaxVirtualMACs)},
	} {
		spec := testSpec()
		spec.VirtualMACs, spec.Standby, spec.Floating = c.vmacs, c.standby, c.floating
		_, err := compile(9, spec, r.ports, r.ids)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}

	// one MAC for several addresses (one instance) takes one slot
	spec := testSpec()
	spec.Floating = floating
	for _, a := range floating {
		spec.VirtualMACs = append(spec.VirtualMACs, VirtualMAC{Addr: a, MAC: vmac51})
	}
	c, err := compile(10, spec, r.ports, r.ids)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.fp.Ports[0].VirtualMACs; !slices.Equal(got, [][6]byte{vmac51}) {
		t.Fatalf("wan's virtual MACs %x, want only %x", got, vmac51)
	}

	// the snapshot refuses a port over the limit by itself
	fs := c.fp
	fs.Ports = slices.Clone(fs.Ports)
	for _, m := range many {
		fs.Ports[0].VirtualMACs = append(fs.Ports[0].VirtualMACs, m.MAC)
	}
	if s, err := fastpath.BuildSnapshot(&fs, fastpath.Heap{}, 0); err == nil || !strings.Contains(err.Error(), "virtual MACs") {
		if s != nil {
			s.Free()
		}
		t.Fatalf("snapshot with %d virtual MACs on a port: %v", len(fs.Ports[0].VirtualMACs), err)
	}
}

func TestAnnounceTimesBounds(t *testing.T) {
	dp := &Dataplane{} // refused before anything is sent
	for _, times := range []int{0, -1, MaxAnnounceTimes + 1} {
		if err := dp.AnnounceTimes([]netip.Addr{vip}, times); err == nil || !strings.Contains(err.Error(), "1..100") {
			t.Errorf("times %d: error %v", times, err)
		}
	}
	if err := dp.AnnounceTimes([]netip.Addr{netip.MustParseAddr("::1")}, 1); err == nil {
		t.Error("an IPv6 address was accepted")
	}
}

// fakeNIC is the ports' unicast filters.
type fakeNIC struct {
	filters    map[uint16][][6]byte
	addErr     map[[6]byte]error // Add of this MAC fails so
	removeFail bool
	calls      int
}

func (n *fakeNIC) add(port uint16, mac [6]byte) error {
	n.calls++
	if err := n.addErr[mac]; err != nil {
		return err
	}
	n.filters[port] = append(n.filters[port], mac)
	return nil
}

func (n *fakeNIC) remove(port uint16, mac [6]byte) error {
	n.calls++
	if n.removeFail {
		return errors.New("busy")
	}
	n.filters[port] = slices.DeleteFunc(n.filters[port], func(m [6]byte) bool { return m == mac })
	return nil
}

// A port that is not promiscuous gets the virtual MACs in its NIC's
// filter before they are used and loses them after; a promiscuous port
// needs none.
func TestNICFilters(t *testing.T) {
	r := newRig(t, 16, vmacSpec(true))
	nic := &fakeNIC{filters: map[uint16][][6]byte{}, addErr: map[[6]byte]error{}}
	n := newNICMACs(r.ports, []bool{true, false}) // wan promiscuous, lan not
	n.add, n.remove = nic.add, nic.remove
	compiled := func(spec *Spec) *compiled {
		c, err := compile(r.gen+1, spec, r.ports, r.ids)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	master, backup := compiled(vmacSpec(true)), compiled(vmacSpec(false, vip, gateway))
	if err := n.admit(master); err != nil {
		t.Fatal(err)
	}
	if len(nic.filters[0]) != 0 || !slices.Equal(nic.filters[1], [][6]byte{vmac52}) {
		t.Fatalf("filters %x, want only lan with %x", nic.filters, vmac52)
	}
	n.prune(master)
	if err := n.admit(master); err != nil || len(nic.filters[1]) != 1 {
		t.Fatalf("admitted twice: %v, lan's filter %x", err, nic.filters[1])
	}
	n.prune(backup)
	if len(nic.filters[1]) != 0 {
		t.Fatalf("lan's filter %x after the address went standby", nic.filters[1])
	}

	// a device that does not filter (ENOTSUP) is fine; a refusal is not
	nic.addErr[vmac52] = fmt.Errorf("add: %w", syscall.ENOTSUP)
	if err := n.admit(master); err != nil {
		t.Fatalf("ENOTSUP: %v", err)
	}
	nic.addErr[vmac52] = syscall.ENOSPC
	if err := n.admit(master); err == nil || !strings.Contains(err.Error(), "port lan") {
		t.Fatalf("a full filter: %v", err)
	}
	// a failed removal is retried with the next configuration
	delete(nic.addErr, vmac52)
	if err := n.admit(master); err != nil {
		t.Fatal(err)
	}
	nic.removeFail = true
	n.prune(backup)
	nic.removeFail = false
	n.prune(backup)
	if len(nic.filters[1]) != 0 {
		t.Fatalf("lan's filter %x after a failed then a good removal", nic.filters[1])
	}
}
