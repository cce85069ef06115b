package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// loadCounts is what a busy phase's control-plane load did.
type loadCounts struct {
	Reloads, ReloadErrs int64
	StatsCalls          int64
	// whole connection listings (govsctl conns) and the connections they
	// returned
	Listings, Listed int64
}

// controlLoad is the busy phase of the stall measurements: two goroutines
// call reload as fast as the admin API answers (each reload re-reads and
// validates the YAML and builds a snapshot: CPU and garbage for the GC) and
// one polls stats and status every 10 ms, as monitoring would, and one
// lists every connection (govsctl conns, page after page) over and over:
// the listing reads the lcores' tables while they forward. The bench
// is pinned to CPU 0, so this load and the server's work stay on the
// control CPU.
type controlLoad struct {
	reloads, reloadErrs, statsCalls atomic.Int64
	listings, listed                atomic.Int64
	stop                            atomic.Bool
	wg                              sync.WaitGroup
}

// startControlLoad starts the load against the admin API at adm.
func startControlLoad(adm *admin.Client) *controlLoad {
	l := &controlLoad{}
	for range 2 {
		l.loop(func() {
			if err := adm.Reload(); err != nil {
				l.reloadErrs.Add(1)
			} else {
				l.reloads.Add(1)
			}
		})
	}
	l.loop(func() {
		if _, err := adm.Stats(); err == nil {
			l.statsCalls.Add(1)
		}
		if _, err := adm.Status(); err == nil {
			l.statsCalls.Add(1)
		}
		time.Sleep(10 * time.Millisecond)
	})
	l.loop(func() {
		n := int64(0)
		err := adm.EachConnPage(admin.ConnFilter{}, func(p admin.ConnPage) error {
			n += int64(len(p.Conns))
			return nil
		})
		if err != nil { // a stand-in without a listing: do not spin on its errors
			time.Sleep(10 * time.Millisecond)
			return
		}
		l.listings.Add(1)
		l.listed.Add(n)
	})
	return l
}

func (l *controlLoad) loop(step func()) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for !l.stop.Load() {
			step()
		}
	}()
}

// finish stops the load and reports what it did.
func (l *controlLoad) finish() loadCounts {
	l.stop.Store(true)
	l.wg.Wait()
	return loadCounts{Reloads: l.reloads.Load(), ReloadErrs: l.reloadErrs.Load(), StatsCalls: l.statsCalls.Load(),
		Listings: l.listings.Load(), Listed: l.listed.Load()}
}
