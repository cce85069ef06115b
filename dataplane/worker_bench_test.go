package dataplane

import (
	"net/netip"
	"testing"
)

// benchFlows builds n established NAT flows and one 64-byte ACK frame per
// flow, each in its own buffer with headroom, as mbufs would hold them.
func benchFlows(b *testing.B, n int, spec *Spec) (*rig, [][]byte) {
	t := &testing.T{}
	r := newRig(t, n+n/4, spec)
	r.t = t
	frames := make([][]byte, n)
	for i := 0; i < n; i++ {
		// distinct flows: 60000 source ports per client address
		client := netip.AddrFrom4([4]byte{10, 0, 1 + byte(i/60000), 2})
		sport := uint16(1024 + i%60000)
		syn := tcpFrame(b, macClient, macWAN, client, sport, vip, 80, true, false, "")
		if v := r.run(syn, 0); v != vForward {
			b.Fatalf("flow %d SYN: verdict %d drop %v", i, v, r.w.drop)
		}
		ack := tcpFrame(b, macClient, macWAN, client, sport, vip, 80, false, true, "")
		f := make([]byte, testHeadroom+len(ack))
		copy(f[testHeadroom:], ack)
		frames[i] = f
	}
	return r, frames
}

func benchmarkNATIn(b *testing.B, n int) {
	r, frames := benchFlows(b, n, testSpec())
	orig := make([][]byte, len(frames))
	for i := range frames {
		orig[i] = append([]byte(nil), frames[i]...)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(frames)
		copy(frames[k], orig[k]) // the rewrite is in place: restore
		if r.w.process(frames[k], testHeadroom, 0) != vForward {
			b.Fatalf("drop %v", r.w.drop)
		}
	}
}

func BenchmarkProcessNATIn64k(b *testing.B) { benchmarkNATIn(b, 1<<16) }

// 1k flows stay in cache: this measures the instructions, not the misses.
func BenchmarkProcessNATIn1k(b *testing.B) { benchmarkNATIn(b, 1<<10) }
