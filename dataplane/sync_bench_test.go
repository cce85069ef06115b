package dataplane

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/fastpath"
)

// The fast path's cost of connection sync: 64k established NAT flows, one
// ACK each per round, as BenchmarkFastPathNATIn64k, with the lcore
// emitting records while a goroutine drains its ring as the daemon's pump
// does. make bench (-only sync) runs these and reports the ratios.

func benchmarkSync(b *testing.B, rules *SyncRules) {
	const n = 1 << 16
	spec := testSpec()
	spec.Ports[0].Gateway = wanGateway
	if rules != nil {
		spec.Sync = *rules
	}
	r := newRigWith(b, fastpath.HarnessConfig{ConnCapacity: n + n/10, SyncRing: 1 << 16}, spec)
	r.learn(wanGateway, macClient, 0)
	frames := make([][]byte, n)
	for i := range n {
		c := netip.AddrFrom4([4]byte{10, 0, 1 + byte(i/60000), 2})
		sport := uint16(1024 + i%60000)
		if o := r.run(tcpFrame(b, macClient, macWAN, c, sport, vip, 80, true, false, ""), 0); o.Verdict != fastpath.VerdictSent {
			b.Fatalf("flow %d SYN: %v %v", i, o.Verdict, o.Drop)
		}
		frames[i] = tcpFrame(b, macClient, macWAN, c, sport, vip, 80, false, true, "")
	}
	r.h.SetSyncSend(rules != nil)
	var taken atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the daemon's pump: drain every 2 ms
		defer wg.Done()
		buf := make([]fastpath.SyncRecord, 4096)
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			for {
				k := r.h.SyncTake(buf)
				taken.Add(uint64(k))
				if k < len(buf) {
					break
				}
			}
		}
	}()
	before := r.h.Counters().Lcore()
	rounds := max(1, b.N/len(frames))
	b.ResetTimer()
	sent, elapsed := r.h.Bench(frames, 0, 32, rounds)
	b.StopTimer()
	close(stop)
	wg.Wait()
	after := r.h.Counters().Lcore()
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(sent), "ns/pkt")
	b.ReportMetric(float64(after.SyncEmitted-before.SyncEmitted)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(after.SyncRingFull-before.SyncRingFull)/elapsed.Seconds(), "ringfull/s")
}

func BenchmarkFastPathSyncOff64k(b *testing.B) { benchmarkSync(b, nil) }

// IPVS's default: a record every 50 client packets of a flow.
func BenchmarkFastPathSyncIPVS64k(b *testing.B) {
	benchmarkSync(b, &SyncRules{Threshold: 3, Period: 50})
}

// Every client packet: what one lcore can emit at most.
func BenchmarkFastPathSyncEvery64k(b *testing.B) {
	benchmarkSync(b, &SyncRules{Threshold: 0, Period: 1})
}
