package dataplane

import (
	"net/netip"
	"testing"

	"github.com/govs-project/govs/dataplane/fastpath"
)

var wanGateway = netip.MustParseAddr("10.0.0.254")

// benchFlows builds n established NAT flows and one 64-byte ACK per flow
// (a reply from the server when out is set).
func benchFlows(b *testing.B, n int, out bool) (*rig, [][]byte) {
	spec := testSpec()
	spec.Ports[0].Gateway = wanGateway // the clients are beyond it
	r := newRig(b, n+n/10, spec)
	r.learn(wanGateway, macClient, 0)
	frames := make([][]byte, n)
	for i := 0; i < n; i++ {
		// distinct flows: 60000 source ports per client address
		c := netip.AddrFrom4([4]byte{10, 0, 1 + byte(i/60000), 2})
		sport := uint16(1024 + i%60000)
		o := r.run(tcpFrame(b, macClient, macWAN, c, sport, vip, 80, true, false, ""), 0)
		if o.Verdict != fastpath.VerdictSent {
			b.Fatalf("flow %d SYN: %v %v", i, o.Verdict, o.Drop)
		}
		if out {
			frames[i] = tcpFrame(b, macRS[0], macLAN, dstAddr(o.Frame), 8080, c, sport, false, true, "")
		} else {
			frames[i] = tcpFrame(b, macClient, macWAN, c, sport, vip, 80, false, true, "")
		}
	}
	return r, frames
}

// The fast path's own cost per packet, in C, bursts of 32 over every flow
// in turn (no PMD: each frame is restored by a 60-byte copy, as a PMD
// copies it in). make bench measures the whole loop against testpmd.
func benchmarkFastPath(b *testing.B, n int, out bool) {
	r, frames := benchFlows(b, n, out)
	port := 0
	if out {
		port = 1
	}
	rounds := max(1, b.N/len(frames))
	b.ResetTimer()
	sent, elapsed := r.h.Bench(frames, port, 32, rounds)
	b.StopTimer()
	if want := uint64(rounds * (len(frames) / 32 * 32)); sent != want {
		b.Fatalf("sent %d of %d", sent, want)
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(sent), "ns/pkt")
}

func BenchmarkFastPathNATIn1k(b *testing.B)   { benchmarkFastPath(b, 1<<10, false) }
func BenchmarkFastPathNATIn64k(b *testing.B)  { benchmarkFastPath(b, 1<<16, false) }
func BenchmarkFastPathNATIn1M(b *testing.B)   { benchmarkFastPath(b, 1<<20, false) }
func BenchmarkFastPathNATOut64k(b *testing.B) { benchmarkFastPath(b, 1<<16, true) }
