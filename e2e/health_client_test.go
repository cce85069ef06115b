package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/internal/netlab"
)

// clientLoop starts the client: a GET of the web service through
// the VIP every 20 ms, each on a new connection. It stops with the test.
func (e *healthEnv) clientLoop(t *testing.T) *netlab.HTTPLoop {
	t.Helper()
	loop, err := netlab.StartHTTPLoop(e.lab.Client, netlab.HTTPLoopSpec{URL: "http://" + vip + "/", For: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		as := loop.Stop()
		if t.Failed() {
			t.Logf("client loop: %v", as)
		}
	})
	return loop
}

// awaitAttempts waits until done holds for the attempts the loop has
// finished and returns them; the test fails at timeout.
func awaitAttempts(t *testing.T, loop *netlab.HTTPLoop, what string, done func(netlab.HTTPAttempts) bool, timeout time.Duration) netlab.HTTPAttempts {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		as := loop.Attempts()
		if done(as) {
			return as
		}
		if time.Now().After(deadline) {
			t.Fatalf("client loop: not %s within %v: %v", what, timeout, as)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answeredBy holds once each ident answered a request started at or after
// from.
func answeredBy(from time.Time, idents ...string) func(netlab.HTTPAttempts) bool {
	return func(as netlab.HTTPAttempts) bool {
		by := as.Since(from).ByServer()
		for _, id := range idents {
			if by[id] == 0 {
				return false
			}
		}
		return true
	}
}

// settledUntil holds once every request started before until has
// finished (one that hangs, as against a server that drops SYNs, only
// when its timeout ends it) and a later one has too.
func settledUntil(until time.Time) func(netlab.HTTPAttempts) bool {
	return func(as netlab.HTTPAttempts) bool {
		for i, a := range as {
			if a.Seq != i {
				return false // an earlier request is still running
			}
			if !a.Start.Before(until) {
				return true
			}
		}
		return false
	}
}

// between are the attempts started in [from, until).
func between(as netlab.HTTPAttempts, from, until time.Time) netlab.HTTPAttempts {
	var out netlab.HTTPAttempts
	for _, a := range as.Since(from) {
		if a.Start.Before(until) {
			out = append(out, a)
		}
	}
	return out
}

// lastFailure is the start of the last failed attempt, relative to t0
// (negative if none failed after t0).
func lastFailure(as netlab.HTTPAttempts, t0 time.Time) time.Duration {
	last := time.Duration(-1)
	for _, a := range as.Since(t0).Failed() {
		last = max(last, a.Start.Sub(t0))
	}
	return last
}

func idents(servers []*netlab.Server) []string {
	var out []string
	for _, s := range servers {
		out = append(out, s.Ident)
	}
	return out
}

// listLine returns govsctl list's line for server (addr:port) under the
// service whose header starts with header ("TCP  10.0.0.100:80 ").
func listLine(t *testing.T, d *govsd, header, server string) string {
	t.Helper()
	out := govsctl(t, d, "list")
	in := false
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, " ") {
			in = strings.HasPrefix(l, header)
			continue
		}
		if f := strings.Fields(l); in && len(f) > 1 && f[0] == "->" && f[1] == server {
			return l
		}
	}
	t.Fatalf("govsctl list has no line for %s under %q:\n%s", server, header, out)
	return ""
}

// drops returns the drop counters summed over lcores, read by govsctl
// lcores -json.
func drops(t *testing.T, d *govsd) map[string]uint64 {
	t.Helper()
	var st admin.Stats
	out := govsctl(t, d, "-json", "lcores")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("govsctl -json lcores: %v\n%s", err, out)
	}
	return st.Drops
}

// status is govsctl -json status.
func status(t *testing.T, d *govsd) admin.Status {
	t.Helper()
	var st admin.Status
	out := govsctl(t, d, "-json", "status")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("govsctl -json status: %v\n%s", err, out)
	}
	return st
}

// kernelOf is port's kernel interface in st; without one the test
// fails, and goes on to what does not need its counters.
func kernelOf(t *testing.T, st admin.Status, port string) (admin.KernelInterface, bool) {
	t.Helper()
	for _, k := range st.Kernel {
		if k.Port == port {
			return k, true
		}
	}
	t.Errorf("govsctl -json status has no kernel interface for port %s (kernel_interfaces: %+v)", port, st.Kernel)
	return admin.KernelInterface{}, false
}

// metrics is the Prometheus text govsd serves on its admin socket.
func metrics(t *testing.T, d *govsd) string {
	t.Helper()
	body, err := d.admin.Do(http.MethodGet, "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics on the admin socket: %v", err)
	}
	return string(body)
}

var metricLabel = regexp.MustCompile(`(\w+)="([^"]*)"`)

// metricValue is the value of the sample of name whose labels include
// every one of labels; ok is false if there is none.
func metricValue(text, name string, labels map[string]string) (v float64, ok bool) {
	for _, line := range strings.Split(text, "\n") {
		rest, found := strings.CutPrefix(line, name+"{")
		if !found {
			continue
		}
		ls, val, found := strings.Cut(rest, "} ")
		if !found {
			continue
		}
		have := map[string]string{}
		for _, m := range metricLabel.FindAllStringSubmatch(ls, -1) {
			have[m[1]] = m[2]
		}
		match := true
		for k, want := range labels {
			match = match && have[k] == want
		}
		if match {
			f, err := strconv.ParseFloat(strings.Fields(val)[0], 64)
			return f, err == nil
		}
	}
	return 0, false
}

// ms formats a duration for the detection logs.
func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }
