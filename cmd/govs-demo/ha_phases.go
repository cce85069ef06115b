package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// haTimes are the moments of the HA demo the client loop's requests are
// sorted by.
type haTimes struct {
	kill     time.Time // director 1 SIGKILLed
	takeover time.Time // director 2 MASTER of every instance (govsd's own record)
	served   time.Time // the first of haSettle requests in a row served after the takeover
	restart  time.Time // director 1 started again
	preempt  time.Time // director 1 MASTER of every instance again
	back     time.Time // the first of haSettle requests in a row served after the preemption
}

// haSettle is how many requests in a row must succeed for the client loop
// to count as served again.
const haSettle = 10

// servedAgain returns the start of the first run of n answered requests
// in a row among those that started at or after since. It only reads the
// attempts up to the first missing sequence number: a request still in
// flight may yet fail and break the run.
func servedAgain(as netlab.HTTPAttempts, since time.Time, n int) (time.Time, bool) {
	var runStart time.Time
	run := 0
	for i, a := range as {
		if a.Seq != i+as[0].Seq {
			break
		}
		if a.Start.Before(since) {
			continue
		}
		if !a.OK() {
			run = 0
			continue
		}
		if run == 0 {
			runStart = a.Start
		}
		if run++; run >= n {
			return runStart, true
		}
	}
	return time.Time{}, false
}

// outage is how long the clients went unserved in a failover window:
// from the start of its first failed request to served, when the run of
// answered requests that ended it began (0 if none failed).
func outage(w failWindow, served time.Time) time.Duration {
	for _, a := range w.attempts {
		if !a.OK() {
			return served.Sub(a.Start)
		}
	}
	return 0
}

// haWindow numbers the phases splitHA returns.
const (
	haBefore = iota
	haFailover
	haOnBackup
	haPreemption
	haBack
	haWindows
)

// splitHA sorts the requests into the demo's phases: those that ended
// before the kill; those started until the loop was served again through
// director 2 (a request in flight at the kill belongs here); those started
// until director 1 was restarted; those started until the loop was served
// again after director 1 took the addresses back; and the rest.
func splitHA(as netlab.HTTPAttempts, t haTimes) [haWindows]failWindow {
	w := [haWindows]failWindow{
		{name: "before director 1 was killed"},
		{name: "kill -> served by director 2", span: t.served.Sub(t.kill)},
		{name: "through director 2", span: t.restart.Sub(t.served)},
		{name: "restart -> served by director 1", span: t.back.Sub(t.restart)},
		{name: "since director 1 is back"},
	}
	for _, a := range as {
		i := haBack
		switch {
		case a.End.Before(t.kill):
			i = haBefore
		case a.Start.Before(t.served):
			i = haFailover
		case a.Start.Before(t.restart):
			i = haOnBackup
		case a.Start.Before(t.back):
			i = haPreemption
		}
		w[i].attempts = append(w[i].attempts, a)
	}
	return w
}

// checkHAWindows: no request fails while one director serves steadily
// (before the kill, once director 2 serves, once director 1 is back), and
// each director answered some.
func checkHAWindows(w [haWindows]failWindow) error {
	var errs []error
	for _, i := range []int{haBefore, haOnBackup, haBack} {
		if len(w[i].attempts) == 0 {
			errs = append(errs, fmt.Errorf("no request %s", w[i].name))
		}
		if n := len(w[i].attempts.Failed()); n > 0 {
			errs = append(errs, fmt.Errorf("%d requests failed %s: %v", n, w[i].name, w[i].attempts))
		}
	}
	return errors.Join(errs...)
}
