package dataplane

import (
	"testing"
	"time"
)

// newConnTime is the lcore's time for n new connections (schedule and
// create, in bursts of 32) under scheduler c: SYNs from distinct clients
// into an empty table.
func newConnTime(b *testing.B, c schedCase, frames [][]byte) time.Duration {
	r := newSchedRig(b, len(frames)+len(frames)/4, c)
	sent, elapsed := r.h.Bench(frames, 0, 32, 1)
	if sent != uint64(len(frames)) {
		b.Fatalf("%s: %d of %d SYNs sent", c.scheduler, sent, len(frames))
	}
	return elapsed
}

// BenchmarkNewConnSchedulers measures rr, wlc, sh and mh in one run over
// eight servers, interleaved (the best of several rounds each, so that
// noise from a shared machine hits them alike), and reports each one's
// rate as a ratio of rr's (the target: >= 0.8).
func BenchmarkNewConnSchedulers(b *testing.B) {
	const n, rounds = 1 << 16, 7
	weights := []uint32{1, 2, 3, 4, 1, 2, 3, 4}
	names := []string{"rr", "wlc", "sh", "mh"}
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = tcpFrame(b, macClient, macWAN, schedClient(i), 1000, vip, 80, true, false, "")
	}
	for range b.N {
		best := make([]time.Duration, len(names))
		for range rounds {
			for i, name := range names {
				d := newConnTime(b, schedCase{scheduler: name, weights: weights}, frames)
				if best[i] == 0 || d < best[i] {
					best[i] = d
				}
			}
		}
		for i, name := range names {
			b.ReportMetric(float64(best[i].Nanoseconds())/n, name+"-ns/conn")
			if i > 0 {
				b.ReportMetric(float64(best[0])/float64(best[i]), name+"/rr")
			}
		}
	}
}
