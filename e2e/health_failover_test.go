package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/netlab"
)

// serverFailure is one way a real server fails its check while the
// client loop runs, and how it comes back.
type serverFailure struct {
	name string
	// reason is what the check's error (event, govsctl list) must say.
	reason string
	// fail breaks s's HTTP service and returns what brings it back.
	fail func(t *testing.T, s *netlab.Server) (restore func() error)
}

var serverFailures = []serverFailure{
	{name: "process gone", reason: "connection refused",
		fail: func(t *testing.T, s *netlab.Server) func() error { s.HTTP.Stop(); return s.HTTP.Start }},
	{name: "drops SYNs", reason: "timeout",
		fail: func(t *testing.T, s *netlab.Server) func() error {
			d, err := netlab.DropSYN(s.NS, rsHTTPPort)
			if err != nil {
				t.Fatal(err)
			}
			return d.Remove
		}},
	{name: "answers 500", reason: "HTTP status 500",
		fail: func(t *testing.T, s *netlab.Server) func() error {
			if err := s.HTTP.SetStatus(500); err != nil {
				t.Fatal(err)
			}
			return func() error { return s.HTTP.SetStatus(200) }
		}},
}

// TestHealthFailover: under a client loop (a request every 20 ms through
// the VIP), a real server that fails its check in each way is out within
// fall x interval + timeout (plus schedMargin): no request started after
// that fails or reaches it; govsctl events streamed its server_down,
// govsctl list shows it down with the check's error and the metrics say
// govs_realserver_up 0. Back, it serves again after rise checks.
func TestHealthFailover(t *testing.T) {
	for i, c := range serverFailures {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			env := healthLab(t)
			env.requireHealthy(t)
			victim := env.realServers()[i]
			ip, server := victim.IP.String(), fmt.Sprintf("%s:%d", victim.IP, rsHTTPPort)
			events := watchEvents(t, env.d)
			loop := env.clientLoop(t)
			begin := time.Now()
			awaitAttempts(t, loop, "answered by every server", answeredBy(begin, idents(env.realServers())...), 5*time.Second)
			if failed := loop.Attempts().Failed(); len(failed) > 0 {
				t.Fatalf("requests failed before any server did: %v", loop.Attempts())
			}

			from := events.mark()
			t0 := time.Now()
			restore := c.fail(t, victim)
			restored := false
			t.Cleanup(func() {
				if !restored {
					restore()
				}
			})
			down := events.wait(t, from, "server_down of "+server, serverEvent("server_down", webKey, ip), 5*time.Second)
			detection := down.Time.Sub(t0)
			t.Logf("detection: %s (bound %s + margin %s), reason %q", ms(detection), ms(detectBound), ms(schedMargin), down.Reason)
			if detection > detectBound+schedMargin {
				t.Errorf("%s detected down %s after it failed, bound %s + margin %s", server, ms(detection), ms(detectBound), ms(schedMargin))
			}
			if !strings.Contains(down.Reason, c.reason) {
				t.Errorf("server_down reason %q does not say %q", down.Reason, c.reason)
			}

			// Out: nothing started past the bound fails or reaches it.
			point := t0.Add(detectBound + schedMargin)
			until := point.Add(500 * time.Millisecond)
			as := awaitAttempts(t, loop, "settled past the bound", settledUntil(until), 5*time.Second)
			after := between(as, point, until)
			if f := after.Failed(); len(f) > 0 {
				t.Errorf("%d of %d requests started %s..%s after the failure failed: %v", len(f), len(after), ms(point.Sub(t0)), ms(until.Sub(t0)), f)
			}
			if n := after.ByServer()[victim.Ident]; n > 0 {
				t.Errorf("%s answered %d requests started past the bound", victim.Ident, n)
			}
			t.Logf("out: last failed request started %s after the failure (%d of %d failed since)",
				ms(lastFailure(as, t0)), len(as.Since(t0).Failed()), len(as.Since(t0)))

			if line := listLine(t, env.d, "TCP  "+vip+":80 ", server); !strings.Contains(line, "down") || !strings.Contains(line, c.reason) {
				t.Errorf("govsctl list shows %s as %q, want down with %q", server, line, c.reason)
			}
			if v, ok := metricValue(metrics(t, env.d), "govs_realserver_up", map[string]string{"service": webKey, "server": server}); !ok || v != 0 {
				t.Errorf("govs_realserver_up of %s: %v (found %v), want 0", server, v, ok)
			}

			// Back: up after rise checks, and serving.
			from = events.mark()
			t1 := time.Now()
			restored = true
			if err := restore(); err != nil {
				t.Fatal(err)
			}
			up := events.wait(t, from, "server_up of "+server, serverEvent("server_up", webKey, ip), 5*time.Second)
			recovery := up.Time.Sub(t1)
			t.Logf("recovery: %s (bound %s + margin %s), reason %q", ms(recovery), ms(recoverBound), ms(schedMargin), up.Reason)
			// rise successes one interval apart: never sooner than this (less
			// a check's own time: one under way as it came back may count).
			if minimum := (checkRise-1)*checkInterval - 50*time.Millisecond; recovery < minimum || recovery > recoverBound+schedMargin {
				t.Errorf("%s back up %s after it recovered, want %s..%s + margin %s", server, ms(recovery), ms(minimum), ms(recoverBound), ms(schedMargin))
			}
			as = awaitAttempts(t, loop, "answered by "+victim.Ident+" again", answeredBy(up.Time, victim.Ident), 5*time.Second)
			if f := as.Since(t1).Failed(); len(f) > 0 {
				t.Errorf("%d requests failed after %s recovered: %v", len(f), victim.Ident, f)
			}
		})
	}
}
