package netlab_test

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/dataplane/packet"
	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// kernelDirector stands in for a DPDK director in an HALab: in director
// i's namespace, a veth pair per port, one end named like a tap
// (tag+"x<i><w|l>") for AttachDirector, the other ("wan", "lan") holding
// the director's address; the kernel forwards between them. It returns
// the tap names.
func kernelDirector(t *testing.T, lab *netlab.HALab, i int, cidrs ...string) []string {
	t.Helper()
	ns := lab.Directors[i]
	var taps []string
	for j, cidr := range cidrs {
		tap, port := fmt.Sprintf("%sx%d%c", tag, i+1, "wl"[j]), []string{"wan", "lan"}[j]
		if out, err := ns.IP("link", "add", tap, "type", "veth", "peer", "name", port); err != nil {
			t.Fatal(out, err)
		}
		if err := ns.ConfigureLink(port, cidr, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := ns.IP("link", "set", tap, "up"); err != nil {
			t.Fatal(err)
		}
		taps = append(taps, tap)
	}
	if err := ns.Do(func() error { return writeSysctl("net/ipv4/ip_forward", "1") }); err != nil {
		t.Fatal(err)
	}
	return taps
}

func newHALab(t *testing.T, spec netlab.HASpec) *netlab.HALab {
	t.Helper()
	lab, err := netlab.NewHALab(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lab.Close() })
	return lab
}

// TestHALabNATFloatingGateway builds the NAT topology with two kernel
// routers as directors: traffic from the client to a server flows
// through whichever director holds the floating addresses (the client's
// route and the servers' default gateway); with director 1's cables
// pulled and the addresses moved to director 2, it flows through 2. The
// peer is on the client's segment. Close leaves nothing behind.
func TestHALabNATFloatingGateway(t *testing.T) {
	netlabtest.Require(t, 0)
	prefix := tag + "q"
	lab := newHALab(t, netlab.HASpec{
		Prefix: prefix, NAT: true,
		ClientCIDR: "10.0.0.2/24", PeerCIDR: "10.0.0.5/24",
		ServerCIDRs: []string{"10.1.0.11/24", "10.1.0.12/24"}, ServerGW: "10.1.0.254",
		Services: netlab.Services{HTTPPort: 8080},
	})
	var taps [2][]string
	for i, cidrs := range [][]string{{"10.0.0.1/24", "10.1.0.1/24"}, {"10.0.0.9/24", "10.1.0.9/24"}} {
		taps[i] = kernelDirector(t, lab, i, cidrs...)
		if err := lab.AttachDirector(i, taps[i][0], "", time.Second); err == nil {
			t.Errorf("AttachDirector without a LAN tap in a NAT lab: no error")
		}
		if err := lab.AttachDirector(i, taps[i][0], taps[i][1], time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lab.Client.IP("route", "add", "10.1.0.0/24", "via", "10.0.0.100"); err != nil {
		t.Fatal(err)
	}
	hold := func(d *netlab.NS, add bool) {
		t.Helper()
		op := "del"
		if add {
			op = "add"
		}
		for _, a := range [][2]string{{"10.0.0.100/24", "wan"}, {"10.1.0.254/24", "lan"}} {
			if _, err := d.IP("addr", op, a[0], "dev", a[1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	get := func(when string) {
		t.Helper()
		if body, err := netlab.HTTPGetNewConn(lab.Client, "http://10.1.0.12:8080/", 5*time.Second); err != nil || body != "rs2" {
			t.Fatalf("%s: GET rs2 through the floating addresses: %q %v\n%s", when, body, err, lab.Describe())
		}
	}
	hold(lab.Directors[0], true)
	get("director 1 holding")

	// Director 1 cut off; 2 takes the addresses (a kernel router sends no
	// gratuitous ARP: forget the old MACs).
	for _, tap := range taps[0] {
		if err := lab.SetDirectorLink(0, tap, false); err != nil {
			t.Fatal(err)
		}
	}
	hold(lab.Directors[0], false)
	hold(lab.Directors[1], true)
	for _, ns := range []*netlab.NS{lab.Client, lab.Servers[0].NS, lab.Servers[1].NS} {
		ns.IP("neigh", "flush", "all")
	}
	get("director 1 cut off, director 2 holding")
	if err := lab.SetDirectorLink(1, "nosuchtap", false); err == nil {
		t.Error("SetDirectorLink of a tap director 2 does not have: no error")
	}
	// Director 1 restarted: new taps (the old ones went with the process;
	// deleting a veth end takes the other), attached through the same
	// bridges.
	for _, tap := range taps[0] {
		if _, err := lab.Directors[0].IP("link", "del", tap); err != nil {
			t.Fatal(err)
		}
	}
	hold(lab.Directors[1], false)
	taps[0] = kernelDirector(t, lab, 0, "10.0.0.1/24", "10.1.0.1/24")
	if err := lab.AttachDirector(0, taps[0][0], taps[0][1], time.Second); err != nil {
		t.Fatal(err)
	}
	hold(lab.Directors[0], true)
	for _, ns := range []*netlab.NS{lab.Client, lab.Servers[0].NS, lab.Servers[1].NS} {
		ns.IP("neigh", "flush", "all")
	}
	get("director 1 restarted and holding again")

	stop, err := netlab.ServeHTTP(lab.Peer, ":80", "peer")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if body, err := netlab.HTTPGetNewConn(lab.Client, "http://10.0.0.5/", 5*time.Second); err != nil || body != "peer" {
		t.Errorf("GET the peer from the client: %q %v", body, err)
	}
	d := lab.Describe()
	for _, ns := range []string{"d1", "d2", "c", "k", "w", "s", "r1", "r2"} {
		if !strings.Contains(d, "--- netns "+prefix+ns+"\n") {
			t.Errorf("Describe lacks netns %s", prefix+ns)
		}
	}
	if len(lab.Namespaces()) != 8 {
		t.Errorf("%d namespaces, want 8", len(lab.Namespaces()))
	}
	stop()
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	if l := leftovers(prefix); len(l) > 0 {
		t.Errorf("left behind after Close: %v", l)
	}
}

// TestHALabDRSegmentBlock builds the one-segment (DR) topology and checks
// the VRRP partition: a forged advert from the client reaches the peer
// and both directors; with protocol 112 blocked on the bridge it reaches
// none of them (an echo request sent right after it still arrives), and
// after Remove it arrives again.
func TestHALabDRSegmentBlock(t *testing.T) {
	netlabtest.Require(t, 0)
	if why := netlab.MissingNft(); why != "" {
		netlabtest.Missing(t, why)
	}
	prefix := tag + "p"
	if _, err := netlab.NewHALab(netlab.HASpec{Prefix: prefix, ServerGW: "10.0.0.254"}); err == nil {
		t.Error("a DR lab with a servers' gateway: no error")
	}
	lab := newHALab(t, netlab.HASpec{
		Prefix: prefix, ClientCIDR: "10.0.0.2/24", PeerCIDR: "10.0.0.5/24",
		ServerCIDRs: []string{"10.0.0.11/24"},
	})
	for i, cidr := range []string{"10.0.0.1/24", "10.0.0.9/24"} {
		taps := kernelDirector(t, lab, i, cidr)
		if err := lab.AttachDirector(i, taps[0], "lan", time.Second); err == nil {
			t.Errorf("AttachDirector with a LAN tap in a DR lab: no error")
		}
		if err := lab.AttachDirector(i, taps[0], "", time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if len(lab.Namespaces()) != 6 { // d1 d2 c k s r1
		t.Errorf("namespaces %d, want 6", len(lab.Namespaces()))
	}
	clientMAC, err := lab.Client.HardwareAddr("eth0")
	if err != nil {
		t.Fatal(err)
	}
	client := netip.MustParseAddr("10.0.0.2")
	advert, err := netlab.ForgeVRRP(clientMAC, client, 255, []byte{0x31, 51, 200, 1, 0, 10, 0, 0, 10, 0, 0, 100})
	if err != nil {
		t.Fatal(err)
	}
	// The marker is a broadcast echo request: every port gets it, after
	// the adverts sent before it (a bridge keeps one sender's order).
	marker, err := netlab.Serialize(&layers.Ethernet{SrcMAC: clientMAC, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeIPv4},
		netlab.ForgeIPv4(client, netip.MustParseAddr("10.0.0.255"), layers.IPProtocolICMPv4),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 7, Seq: 1})
	if err != nil {
		t.Fatal(err)
	}
	// send sends two adverts and the marker, and returns how many adverts
	// the peer and each director got by the time each has the marker.
	send := func() (peer int, dirs [2]int) {
		t.Helper()
		var caps []*netlab.Capture
		for _, at := range []struct {
			ns     *netlab.NS
			ifname string
		}{{lab.Peer, "eth0"}, {lab.Directors[0], "wan"}, {lab.Directors[1], "wan"}} {
			c, err := netlab.StartCapture(at.ns, at.ifname, netlab.ProtoVRRP, netlab.ProtoICMP)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Stop()
			caps = append(caps, c)
		}
		if err := lab.Client.SendFrames("eth0", [][]byte{advert, advert, marker}); err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, c := range caps {
			for deadline := time.Now().Add(5 * time.Second); countProto(c.Frames(), netlab.ProtoICMP) == 0; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the marker never arrived\n%s", lab.Describe())
				}
			}
			frames, _ := c.Stop()
			for _, f := range frames {
				if f.Proto == netlab.ProtoVRRP && (f.Dst != netlab.VRRPGroup || f.EthDst.String() != "01:00:5e:00:00:12" || f.TotalLen != 32) {
					t.Errorf("advert as received: %v", f)
				}
			}
			got = append(got, countProto(frames, netlab.ProtoVRRP))
		}
		return got[0], [2]int{got[1], got[2]}
	}
	if peer, dirs := send(); peer != 2 || dirs != [2]int{2, 2} {
		t.Errorf("unblocked: the peer got %d adverts, the directors %v; want 2 each", peer, dirs)
	}
	block, err := netlab.BlockIPProtocol(lab.WAN, netlab.ProtoVRRP)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := netlab.BlockIPProtocol(lab.WAN, netlab.ProtoVRRP); err == nil {
		t.Error("blocking VRRP twice: no error")
	}
	if peer, dirs := send(); peer != 0 || dirs != [2]int{0, 0} {
		t.Errorf("blocked: the peer got %d adverts, the directors %v; want none", peer, dirs)
	}
	// Each advert is dropped once per port it would have left by: peer,
	// two directors, one server.
	if n, err := block.Dropped(); err != nil || n != 2*4 {
		t.Errorf("block counted %d drops (%v), want 8", n, err)
	}
	if err := block.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := block.Remove(); err != nil {
		t.Errorf("second Remove: %v", err)
	}
	if peer, dirs := send(); peer != 2 || dirs != [2]int{2, 2} {
		t.Errorf("after Remove: the peer got %d adverts, the directors %v; want 2 each", peer, dirs)
	}
	if err := lab.Close(); err != nil {
		t.Fatal(err)
	}
	if l := leftovers(prefix); len(l) > 0 {
		t.Errorf("left behind after Close: %v", l)
	}
}

func countProto(frames []netlab.Frame, proto uint8) int {
	n := 0
	for _, f := range frames {
		if f.Proto == proto {
			n++
		}
	}
	return n
}

// TestForgeVRRP: the frame is what a router sends to the group, with the
// caller's TTL and message untouched (even a corrupt one).
func TestForgeVRRP(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 2}
	msg := []byte{0x21, 51, 254, 1, 1, 1, 0xde, 0xad, 10, 0, 0, 100, 'n', 'o', 'p', 'e', 0, 0, 0, 0}
	for _, ttl := range []uint8{255, 64} {
		f, err := netlab.ForgeVRRP(mac, netip.MustParseAddr("10.0.0.2"), ttl, msg)
		if err != nil {
			t.Fatal(err)
		}
		pkt := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
		eth, _ := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if eth == nil || ip == nil {
			t.Fatalf("ttl %d: does not decode as Ethernet/IPv4: %v", ttl, pkt)
		}
		if eth.DstMAC.String() != "01:00:5e:00:00:12" || eth.SrcMAC.String() != mac.String() {
			t.Errorf("ttl %d: Ethernet %v > %v", ttl, eth.SrcMAC, eth.DstMAC)
		}
		if ip.TTL != ttl || ip.TOS != 0xC0 || ip.Protocol != 112 || ip.DstIP.String() != "224.0.0.18" ||
			ip.SrcIP.String() != "10.0.0.2" || int(ip.Length) != 20+len(msg) {
			t.Errorf("ttl %d: IPv4 header %+v", ttl, ip)
		}
		if string(ip.Payload) != string(msg) {
			t.Errorf("ttl %d: payload % x, want % x", ttl, ip.Payload, msg)
		}
		if sum := packet.Checksum(f[14:34], 0); sum != 0 {
			t.Errorf("ttl %d: IPv4 header checksum does not verify (%#x)", ttl, sum)
		}
	}
}

// writeSysctl sets a sysctl (key relative to /proc/sys) in the calling
// thread's namespace.
func writeSysctl(key, value string) error {
	return os.WriteFile(filepath.Join("/proc/sys", key), []byte(value), 0o644)
}
