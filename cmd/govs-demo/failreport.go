package main

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// failWindow is the client loop's requests over one phase of the failover.
type failWindow struct {
	name     string
	span     time.Duration // 0: not shown
	attempts netlab.HTTPAttempts
}

// splitFailover sorts the requests into the phases: those that ended
// before the kill, those started until the server was seen out of the
// lcores' snapshot (detection: a request in flight at the kill belongs
// here), those started while it was out, and those started once govsd
// said it was up (the snapshot with it comes a few ms after the event: a
// request started in between still went to the others).
func splitFailover(as netlab.HTTPAttempts, t failoverTimes, victim string) [4]failWindow {
	w := [4]failWindow{
		{name: "before " + victim + " failed"},
		{name: "while govsd detected it", span: t.out.Sub(t.kill)},
		{name: "while " + victim + " was out", span: t.up.Sub(t.out)},
		{name: "since " + victim + " is back"},
	}
	for _, a := range as {
		switch {
		case a.End.Before(t.kill):
			w[0].attempts = append(w[0].attempts, a)
		case a.Start.Before(t.out):
			w[1].attempts = append(w[1].attempts, a)
		case a.Start.Before(t.up):
			w[2].attempts = append(w[2].attempts, a)
		default:
			w[3].attempts = append(w[3].attempts, a)
		}
	}
	return w
}

// reportFailover prints what the client loop saw in each phase and checks
// it: no failure before the kill, some while govsd detected it (the
// server was really gone), none once it was out, and the server serving
// again once back.
func reportFailover(as netlab.HTTPAttempts, t failoverTimes, victim string) error {
	w := splitFailover(as, t, victim)
	step("%d requests of the client loop, by phase", len(as))
	for _, p := range w {
		name := p.name
		if p.span > 0 {
			name += fmt.Sprintf(" (%v)", p.span.Round(time.Millisecond))
		}
		failed := p.attempts.Failed()
		fmt.Printf("    %-36s %4d requests, %3d failed   %s\n", name, len(p.attempts), len(failed), phaseDetail(p.attempts))
	}
	var errs []error
	if n := len(w[0].attempts.Failed()); n > 0 {
		errs = append(errs, fmt.Errorf("%d requests failed before the kill: %v", n, w[0].attempts))
	}
	if len(w[1].attempts.Failed()) == 0 {
		errs = append(errs, fmt.Errorf("no request failed while %s was gone: did it stop? %v", victim, w[1].attempts))
	}
	for _, p := range w[2:] {
		if n := len(p.attempts.Failed()); n > 0 {
			errs = append(errs, fmt.Errorf("%d requests failed %s: %v", n, p.name, p.attempts))
		}
	}
	if w[3].attempts.ByServer()[victim] == 0 {
		errs = append(errs, fmt.Errorf("%s answered nothing since it is back: %v", victim, w[3].attempts))
	}
	return errors.Join(errs...)
}

// phaseDetail is why the requests of a phase failed, or who answered them.
func phaseDetail(as netlab.HTTPAttempts) string {
	if failed := as.Failed(); len(failed) > 0 {
		causes := map[string]int{}
		for _, a := range failed {
			causes[shortError(a.Err)]++
		}
		return "why: " + countsText(causes)
	}
	if by := as.ByServer(); len(by) > 0 {
		return "answered by " + countsText(by)
	}
	return ""
}

// countsText is "a 3, b 5", sorted by key.
func countsText(n map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, n[k]))
	}
	return strings.Join(parts, ", ")
}

// shortError is a failed request's cause without the URL and addresses
// around it: "connect: connection refused", "EOF" (a connection the
// server's end closed while the request was in flight).
func shortError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		err = oe.Err
	}
	return err.Error()
}
