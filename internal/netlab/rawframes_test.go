package netlab_test

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// TestSendFramesCrossesVeth: frames SendFrames writes in one namespace
// arrive on the other end of a veth pair exactly as built, in order, even
// those no socket would send (a multicast source MAC, a source of 0.0.0.0);
// a RawCapture on each end keeps them whole, ARP included, with their
// direction.
func TestSendFramesCrossesVeth(t *testing.T) {
	netlabtest.Require(t, 0)
	a, b := newNS(t, "sa"), newNS(t, "sb")
	if out, err := a.IP("link", "add", "va", "type", "veth", "peer", "name", "vb", "netns", b.Name); err != nil {
		t.Fatalf("veth: %v\n%s", err, out)
	}
	for _, side := range []struct {
		ns   *netlab.NS
		link string
	}{{a, "va"}, {b, "vb"}} {
		if err := side.ns.ConfigureLink(side.link, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	dstMAC, err := b.HardwareAddr("vb")
	if err != nil {
		t.Fatal(err)
	}
	srcMAC := net.HardwareAddr{0x01, 0x00, 0x5e, 0, 0, 1} // a group address: the kernel sends it anyway
	const n = 64
	var frames [][]byte
	for i := range n {
		frames = append(frames, udpFrame(t, srcMAC, dstMAC, "0.0.0.0", "192.0.2.9", uint16(1000+i)))
	}

	// not IPv4: only the raw captures keep it
	arp := append([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06}, make([]byte, 28)...)

	capt, err := netlab.StartCapture(b, "vb", netlab.ProtoUDP)
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Stop()
	rawOut, err := netlab.StartRawCapture(a, "va")
	if err != nil {
		t.Fatal(err)
	}
	rawIn, err := netlab.StartRawCapture(b, "vb")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.SendFrames("va", append(frames, arp)); err != nil {
		t.Fatal(err)
	}
	var got []netlab.Frame
	for deadline := time.Now().Add(2 * time.Second); len(got) < n && time.Now().Before(deadline); got = capt.Frames() {
		time.Sleep(10 * time.Millisecond)
	}
	got, err = capt.Stop()
	if err != nil {
		t.Error(err)
	}
	if len(got) != n {
		t.Fatalf("captured %d frames, sent %d:\n%s", len(got), n, netlab.FormatFrames(got, 10))
	}
	for i, f := range got {
		if f.EthSrc.String() != srcMAC.String() || f.EthDst.String() != dstMAC.String() ||
			f.Src != netip.MustParseAddr("0.0.0.0") || f.SrcPort != uint16(1000+i) || f.DstPort != 53 {
			t.Errorf("frame %d arrived as %v, want %v > %v 0.0.0.0:%d > 192.0.2.9:53", i, f, srcMAC, dstMAC, 1000+i)
		}
	}
	want := append(frames, arp)
	checkRaw(t, "sender", rawOut, want, true)
	checkRaw(t, "receiver", rawIn, want, false)
}

// checkRaw drains c and checks it holds exactly want, in order, in the
// direction given.
func checkRaw(t *testing.T, side string, c *netlab.RawCapture, want [][]byte, outgoing bool) {
	t.Helper()
	got, err := c.Drain()
	if err != nil {
		t.Error(err)
	}
	if len(got) != len(want) {
		t.Fatalf("raw capture at the %s: %d frames, want %d", side, len(got), len(want))
	}
	for i, f := range got {
		if !bytes.Equal(f.Data, want[i]) || f.Len != len(want[i]) || f.Outgoing != outgoing {
			t.Errorf("raw capture at the %s, frame %d: %d bytes (outgoing %v) % x, want %d bytes (outgoing %v) % x",
				side, i, f.Len, f.Outgoing, f.Data, len(want[i]), outgoing, want[i])
		}
	}
	if _, err := c.Drain(); err == nil {
		t.Errorf("a second Drain at the %s: no error", side)
	}
}

// TestSendFramesRefuses: too many frames, an unknown interface and a
// frame longer than the link's MTU are errors that say what was wrong.
func TestSendFramesRefuses(t *testing.T) {
	netlabtest.Require(t, 0)
	ns := newNS(t, "sr")
	if err := ns.SendFrames("lo", make([][]byte, netlab.MaxSendFrames+1)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("%d frames: err %v, want a refusal naming the bound", netlab.MaxSendFrames+1, err)
	}
	if err := ns.SendFrames("nosuch0", [][]byte{make([]byte, 60)}); err == nil || !strings.Contains(err.Error(), "nosuch0") {
		t.Errorf("unknown interface: err %v", err)
	}
	if out, err := ns.IP("link", "add", "small0", "mtu", "1000", "type", "veth", "peer", "name", "small1", "mtu", "1000"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if err := ns.ConfigureLink("small0", "", ""); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 14+2000)
	big[12] = 0x08
	if err := ns.SendFrames("small0", [][]byte{make([]byte, 60), big}); err == nil || !strings.Contains(err.Error(), "frame 1 of 2") {
		t.Errorf("a frame over the MTU: err %v, want it named (frame 1 of 2)", err)
	}
}

func udpFrame(t *testing.T, src, dst net.HardwareAddr, srcIP, dstIP string, sport uint16) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.ParseIP(srcIP).To4(), DstIP: net.ParseIP(dstIP).To4()}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 53}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, udp, gopacket.Payload("hello")); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
