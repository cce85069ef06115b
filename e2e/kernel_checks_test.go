package e2e

import (
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// TestKernelChecksUseDataPort: the health checks travel over the DPDK LAN
// port through its kernel interface: the interface's counters in govsctl
// status -json (and the metrics) grow with the checks, and a capture on a
// real server's interface sees the checks' SYNs come from the director's
// LAN port address and MAC. (The director's namespace reaches the servers
// by no other way: its only link to their bridge is the DPDK port.)
func TestKernelChecksUseDataPort(t *testing.T) {
	env := healthLab(t)
	env.requireHealthy(t)
	rs := env.realServers()[0]
	checks := func() int {
		n := 0
		for _, s := range env.realServers() {
			n += s.HTTP.Requests(healthPath)
		}
		return n
	}
	capture, err := netlab.StartCapture(rs.NS, "eth0", netlab.ProtoTCP)
	if err != nil {
		t.Fatal(err)
	}
	st0 := status(t, env.d)
	checks0 := checks()
	// 9 checkers, 5 checks a second each: 30 take under a second.
	const want = 30
	deadline := time.Now().Add(5 * time.Second)
	for checks() < checks0+want {
		if time.Now().After(deadline) {
			t.Fatalf("only %d checks reached the servers within 5s", checks()-checks0)
		}
		time.Sleep(20 * time.Millisecond)
	}
	n := checks() - checks0
	st1 := status(t, env.d)
	frames, err := capture.Stop()
	if err != nil {
		t.Error(err)
	}

	k0, ok := kernelOf(t, st0, "lan")
	var k1 admin.KernelInterface
	if ok {
		k1, ok = kernelOf(t, st1, "lan")
	}
	if ok {
		checkKernelCounters(t, k0, k1, n)
	}
	m := metrics(t, env.d)
	if v, found := metricValue(m, "govs_kernel_packets_total", map[string]string{"port": "lan", "direction": "from_kernel"}); !found || v < float64(k1.FromKernel.Packets) {
		t.Errorf("metrics: govs_kernel_packets_total{port=\"lan\",direction=\"from_kernel\"} = %v (found %v), govsctl status said %d before", v, found, k1.FromKernel.Packets)
	}

	mac := portMAC(t, st1, "lan")
	syns := 0
	for _, f := range frames {
		if f.Outgoing || f.Proto != netlab.ProtoTCP || f.TCPFlags != "S" || f.DstPort != rsHTTPPort || f.Dst != rs.IP {
			continue
		}
		syns++
		if f.Src.String() != lanAddr || f.EthSrc.String() != mac {
			t.Errorf("check SYN from %v (MAC %v), want the LAN port's %s (%s): %v", f.Src, f.EthSrc, lanAddr, mac, f)
		}
	}
	// rs has three checkers (one per service), each a SYN per check.
	if syns == 0 {
		t.Errorf("the capture on %s's eth0 saw no check SYN to :%d among %d frames:\n%s", rs.Ident, rsHTTPPort, len(frames), netlab.FormatFrames(frames, 20))
	}
	t.Logf("capture on %s: %d check SYNs to :%d, all from %s (%s)", rs.Ident, syns, rsHTTPPort, lanAddr, mac)
}

// checkKernelCounters checks that n checks moved the LAN kernel
// interface's counters from k0 to k1, and dropped nothing.
func checkKernelCounters(t *testing.T, k0, k1 admin.KernelInterface, n int) {
	t.Helper()
	from, to := k1.FromKernel.Packets-k0.FromKernel.Packets, k1.ToKernel.Packets-k0.ToKernel.Packets
	t.Logf("%d checks: %s sent %d packets (%d bytes) out of the port, got %d (%d bytes)",
		n, k1.Name, from, k1.FromKernel.Bytes-k0.FromKernel.Bytes, to, k1.ToKernel.Bytes-k0.ToKernel.Bytes)
	// Each check sends at least a SYN, an ACK and its request, and gets a
	// SYN-ACK and an answer; the 9 checks under way at the first reading
	// may have sent theirs before it.
	if from < uint64(3*(n-9)) || to < uint64(n-9) {
		t.Errorf("%d checks moved the LAN kernel interface's counters by only %d out, %d in", n, from, to)
	}
	if k1.Name != "govs-lan" {
		t.Errorf("LAN kernel interface named %q, want the default govs-lan", k1.Name)
	}
	for dir, pair := range map[string][2]admin.KernelTraffic{"to_kernel": {k0.ToKernel, k1.ToKernel}, "from_kernel": {k0.FromKernel, k1.FromKernel}} {
		for reason, v := range pair[1].Drops {
			if v != pair[0].Drops[reason] {
				t.Errorf("%s %s drops %s grew %d -> %d in a quiet lab", k1.Name, dir, reason, pair[0].Drops[reason], v)
			}
		}
	}
}
