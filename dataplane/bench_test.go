package dataplane

import (
	"net/netip"
	"testing"

	"github.com/govs-project/govs/dataplane/fastpath"
)

// benchFlows builds n established NAT flows and one 64-byte ACK per flow.
func benchFlows(b *testing.B, n int) (*rig, [][]byte) {
	r := newRig(b, n+n/4, testSpec())
	frames := make([][]byte, n)
	for i := 0; i < n; i++ {
		// distinct flows: 60000 source ports per client address
		c := netip.AddrFrom4([4]byte{10, 0, 1 + byte(i/60000), 2})
		sport := uint16(1024 + i%60000)
		if o := r.run(tcpFrame(b, macClient, macWAN, c, sport, vip, 80, true, false, ""), 0); o.Verdict != fastpath.VerdictSent {
			b.Fatalf("flow %d SYN: %v %v", i, o.Verdict, o.Drop)
		}
		frames[i] = tcpFrame(b, macClient, macWAN, c, sport, vip, 80, false, true, "")
	}
	return r, frames
}

// The C fast path in process, bursts of 32 through the harness (fake mbufs
// are allocated and copied per packet, so this is an upper bound on the
// per-packet cost; make bench measures the real loop).
func benchmarkNATIn(b *testing.B, n int) {
	r, frames := benchFlows(b, n)
	b.ResetTimer()
	for i := 0; i < b.N; i += 32 {
		k := i % (len(frames) - 32)
		for _, o := range r.h.Burst(frames[k:k+32], 0) {
			if o.Verdict != fastpath.VerdictSent {
				b.Fatalf("%v %v", o.Verdict, o.Drop)
			}
		}
	}
}

func BenchmarkProcessNATIn64k(b *testing.B) { benchmarkNATIn(b, 1<<16) }
func BenchmarkProcessNATIn1k(b *testing.B)  { benchmarkNATIn(b, 1<<10) }
