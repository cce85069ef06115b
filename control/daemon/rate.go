package daemon

import (
	"math"
	"sync"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// rateInterval is IPVS's estimator period.
const rateInterval = 2 * time.Second

// rateEstimator turns counter deltas into rates as IPVS's estimator does:
// each 2-second sample moves the average a quarter of the way to the
// sample's rate (avg += (rate - avg) / 4), so a steady load reads fully
// after about 10 s and a short burst is smoothed.
type rateEstimator struct {
	mu     sync.Mutex
	last   map[serverKey]admin.Counters
	lastAt time.Time
	avg    map[serverKey]rateAvg
}

type rateAvg [5]float64 // cps, in pps, out pps, in Bps, out Bps

func counterFields(c admin.Counters) [5]uint64 {
	return [5]uint64{c.Conns, c.InPkts, c.OutPkts, c.InBytes, c.OutBytes}
}

// sample takes the raw counters of svcs at now. Objects that are gone
// are forgotten; a counter that went back (its service made anew)
// restarts its estimate.
func (e *rateEstimator) sample(svcs []admin.Service, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	dt := now.Sub(e.lastAt).Seconds()
	next := map[serverKey]admin.Counters{}
	avg := map[serverKey]rateAvg{}
	step := func(k serverKey, c admin.Counters) {
		next[k] = c
		prev, seen := e.last[k]
		if !seen || dt <= 0 {
			avg[k] = rateAvg{}
			return
		}
		a, cur, old := e.avg[k], counterFields(c), counterFields(prev)
		for i := range a {
			if cur[i] < old[i] {
				a = rateAvg{}
				break
			}
			a[i] += (float64(cur[i]-old[i])/dt - a[i]) / 4
		}
		avg[k] = a
	}
	for _, as := range svcs {
		key, ok := listedKey(as)
		if !ok {
			continue
		}
		step(serviceTotals(key), as.Stats)
		for _, ar := range as.RealServers {
			if k, ok := listedServer(key, ar); ok {
				step(k, ar.Stats)
			}
		}
	}
	e.last, e.avg, e.lastAt = next, avg, now
}

// attach sets each listed object's rates.
func (e *rateEstimator) attach(svcs []admin.Service) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range svcs {
		as := &svcs[i]
		key, ok := listedKey(*as)
		if !ok {
			continue
		}
		as.Rate = e.rates(serviceTotals(key))
		for j := range as.RealServers {
			if k, ok := listedServer(key, as.RealServers[j]); ok {
				as.RealServers[j].Rate = e.rates(k)
			}
		}
	}
}

func (e *rateEstimator) rates(k serverKey) *admin.Rates {
	a, ok := e.avg[k]
	if !ok {
		return nil
	}
	r := func(f float64) uint64 { return uint64(math.Round(f)) }
	return &admin.Rates{CPS: r(a[0]), InPPS: r(a[1]), OutPPS: r(a[2]), InBPS: r(a[3]), OutBPS: r(a[4])}
}

// startRates samples the counters every rateInterval until stop is called.
func (d *Daemon) startRates() (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		// The first tick takes the first sample: rates show from the
		// second, 4 s after start, as IPVS's estimator.
		t := time.NewTicker(rateInterval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				d.listing.rates.sample(d.Services(), now)
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}
