package netlab_test

import (
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
	"github.com/govs-project/govs/internal/netlab/netlabtest"
)

// TestDSRLabDirectReturn builds a DSRLab whose servers hold a VIP on lo
// (as LVS/DR real servers do) and whose client routes the VIP via rs1, a
// director in miniature. Requests to the VIP reach rs1's services (bound to
// the VIP), replies leave rs1 from the VIP straight to the client's MAC,
// which a capture on rs1 shows; an upload is counted exactly; Close runs
// Cleanup, kills and reports a process left in a namespace, and leaves
// nothing behind.
func TestDSRLabDirectReturn(t *testing.T) {
	netlabtest.Require(t, 0)
	const vip = "10.9.0.100"
	prefix := tag + "d"
	var mu sync.Mutex
	var prepared, cleaned []string
	var leftover *exec.Cmd
	lab, err := netlab.NewDSRLab(netlab.DSRSpec{
		Prefix:      prefix,
		ClientCIDR:  "10.9.0.2/24",
		ServerCIDRs: []string{"10.9.0.11/24", "10.9.0.12/24"},
		Prepare: func(s *netlab.Server) error {
			mu.Lock()
			prepared = append(prepared, s.Ident)
			mu.Unlock()
			if s.Ident == "rs2" { // a helper process that Cleanup forgets
				leftover = s.NS.Command("sleep", "60")
				if err := leftover.Start(); err != nil {
					return err
				}
				go leftover.Wait()
			}
			_, err := s.NS.IP("addr", "add", vip+"/32", "dev", "lo")
			return err
		},
		Cleanup: func(s *netlab.Server) error {
			mu.Lock()
			cleaned = append(cleaned, s.Ident)
			mu.Unlock()
			_, err := s.NS.IP("addr", "del", vip+"/32", "dev", "lo")
			return err
		},
		Services: netlab.Services{HTTPPort: 80, UDPPort: 53, SinkPort: 9000, ListenIP: vip},
	})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			lab.Close()
		}
	})
	if !slices.Equal(prepared, []string{"rs1", "rs2"}) {
		t.Errorf("Prepare ran for %v, want [rs1 rs2]", prepared)
	}
	rs1 := lab.Server("rs1")
	if _, err := lab.Client.IP("route", "add", vip+"/32", "via", rs1.IP.String()); err != nil {
		t.Fatal(err)
	}
	clientMAC, err := lab.Client.HardwareAddr("eth0")
	if err != nil {
		t.Fatal(err)
	}
	rsMAC, err := rs1.NS.HardwareAddr("eth0")
	if err != nil {
		t.Fatal(err)
	}
	capt, err := netlab.StartCapture(rs1.NS, "eth0", netlab.ProtoTCP, netlab.ProtoUDP)
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Stop()

	if body, err := netlab.HTTPGetNewConn(lab.Client, "http://"+vip+"/", 5*time.Second); err != nil || body != "rs1" {
		t.Fatalf("GET via rs1: %q %v\n%s", body, err, lab.Describe())
	}
	reply, peer, err := netlab.UDPRequest(lab.Client, vip+":53", "q", 5*time.Second)
	if err != nil || reply != "rs1:q" || peer.String() != vip+":53" {
		t.Errorf("UDP via rs1: %q from %v: %v", reply, peer, err)
	}
	const size = 3<<20 + 7
	if got, err := netlab.UploadTCP(lab.Client, vip+":9000", size, 20*time.Second); err != nil || got != fmt.Sprintf("rs1 %d", size) {
		t.Errorf("upload: %q %v", got, err)
	}

	frames, err := capt.Stop()
	if err != nil {
		t.Logf("capture: %v", err)
	}
	v := netip.MustParseAddr(vip)
	var in, out, udpOut int
	for _, f := range frames {
		switch {
		case !f.Outgoing && f.Dst == v && f.EthDst.String() == rsMAC.String():
			in++
		case f.Outgoing && f.Src == v && f.Dst == netip.MustParseAddr("10.9.0.2"):
			if f.EthDst.String() != clientMAC.String() {
				t.Errorf("reply to the client's MAC %v went to %v: %v", clientMAC, f.EthDst, f)
			}
			out++
			if f.Proto == netlab.ProtoUDP {
				udpOut++
			}
		}
	}
	if in == 0 || out == 0 || udpOut != 1 {
		t.Errorf("capture on rs1: %d frames to the VIP in, %d from the VIP out (%d UDP), of %d:\n%v", in, out, udpOut, len(frames), sample(frames))
	}
	for _, f := range frames {
		if f.Proto != netlab.ProtoTCP && f.Proto != netlab.ProtoUDP {
			t.Fatalf("filter let through %v", f)
		}
	}

	err = lab.Close()
	closed = true
	if err == nil || !strings.Contains(err.Error(), "still had processes") {
		t.Errorf("Close with a helper process left in rs2's namespace: %v, want it reported", err)
	}
	if !slices.Equal(cleaned, []string{"rs2", "rs1"}) {
		t.Errorf("Cleanup ran for %v, want [rs2 rs1]", cleaned)
	}
	if l := leftovers(prefix); len(l) > 0 {
		t.Errorf("left behind after Close: %v", l)
	}
	if leftover != nil && leftover.Process != nil {
		done := make(chan struct{})
		go func() { leftover.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	}
}

func sample(frames []netlab.Frame) string { return netlab.FormatFrames(frames, 20) }

// TestParseFrameICMPAndIPIP checks the frame decoding that the e2e tests
// rely on: ICMP fragmentation-needed with its MTU, and IPIP with its inner
// header.
func TestParseFrameICMPAndIPIP(t *testing.T) {
	// 14 Ethernet + 20 IPv4 (ICMP) + 8 ICMP dest-unreach/frag-needed, MTU 1280.
	icmp := []byte{
		2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
		0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 100, 10, 0, 0, 2,
		3, 4, 0, 0, 0, 0, 0x05, 0x00,
	}
	f, ok := netlab.ParseFrame(icmp)
	if !ok || f.Proto != 1 || f.ICMPType != 3 || f.ICMPCode != 4 || f.NextHopMTU != 1280 ||
		f.Src.String() != "10.0.0.100" || f.EthSrc.String() != "02:00:00:00:00:02" {
		t.Errorf("ICMP frame decoded as %+v (ok %v)", f, ok)
	}
	ipip := []byte{
		2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00,
		0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 4, 0, 0, 10, 0, 0, 1, 10, 0, 0, 11,
		0x45, 0, 0, 20, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 100,
	}
	f, ok = netlab.ParseFrame(ipip)
	if !ok || f.Proto != 4 || f.Inner == nil || f.Inner.Src.String() != "10.0.0.2" || f.Inner.Dst.String() != "10.0.0.100" || f.Inner.Proto != 6 {
		t.Errorf("IPIP frame decoded as %v (ok %v)", f, ok)
	}
	if _, ok := netlab.ParseFrame(icmp[:20]); ok {
		t.Error("truncated frame accepted")
	}
}
