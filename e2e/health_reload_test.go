package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// TestHealthReloadKeepsState: with one server down, a reload that leaves
// its check alone (another server's weight changes) keeps it down: same
// state since the same moment, its checker still counting failures, no
// event at all, the clients still kept away from it. A reload that
// changes its check (a new interval) starts that checker over: up at
// first (the service has no alpha) with an event saying so, then down
// again after fall checks.
func TestHealthReloadKeepsState(t *testing.T) {
	env := healthLab(t)
	env.requireHealthy(t)
	t.Cleanup(func() { env.reload(t, env.conf) })
	events := watchEvents(t, env.d)
	victim := env.realServers()[2]
	ip := victim.IP.String()
	server := fmt.Sprintf("%s:%d", ip, rsHTTPPort)

	from := events.mark()
	victim.HTTP.Stop()
	// Down in every service (they all check its HTTP service) before the
	// reload, so no event of this failure comes after it.
	for _, key := range []string{webKey, heldKey, cutKey} {
		events.wait(t, from, "server_down of "+ip+" in "+key, serverEvent("server_down", key, ip), 5*time.Second)
	}
	before := env.serverHealth(t, webKey, ip)

	// Unchanged check: nothing moves.
	same := env.conf.clone()
	same.service("web").Weights = []int{2, 1, 1}
	from = events.mark()
	env.reload(t, same)
	if w := webWeight(t, env, serverIPs[0]); w != 2 {
		t.Fatalf("after the reload %s has weight %d in the dataplane, want 2", serverIPs[0], w)
	}
	// Three more failed checks show the checker kept running through it.
	var now admin.ServerHealth
	deadline := time.Now().Add(5 * time.Second)
	for now = env.serverHealth(t, webKey, ip); now.Failures < before.Failures+3; now = env.serverHealth(t, webKey, ip) {
		if time.Now().After(deadline) {
			t.Fatalf("checker of %s: failures %d -> %d within 5s of a reload", server, before.Failures, now.Failures)
		}
		time.Sleep(checkInterval / 4)
	}
	if now.State != admin.HealthDown || !now.Since.Equal(before.Since) {
		t.Errorf("after a reload that kept its check, %s is %s since %v, was %s since %v", server, now.State, now.Since, before.State, before.Since)
	}
	if evs := events.since(from); len(evs) > 0 {
		t.Errorf("a reload that changed no check streamed events:\n%s", formatEvents(evs))
	}
	if res := getMany(env.lab.Client, "http://"+vip+"/", 9, 1, 20*time.Second); len(res.errs) > 0 || res.perServer[victim.Ident] > 0 {
		t.Errorf("after the reload: %d of 9 requests failed, answers %v (%s is down):%s", len(res.errs), res.perServer, victim.Ident, res.firstErrors())
	}
	t.Logf("unchanged check: %s down since %v across the reload, failures %d -> %d, no event", server, now.Since.Format("15:04:05.000"), before.Failures, now.Failures)

	// Changed check: its checker starts over.
	changed := same.clone()
	changed.service("web").Overrides[ip] = "{interval: 300ms}"
	from = events.mark()
	two := eventsN(t, env.d, 2, 10*time.Second) // this restart's two events, in text
	t0 := time.Now()
	env.reload(t, changed)
	up := events.wait(t, from, "server_up of "+server+" (check changed)", serverEvent("server_up", webKey, ip), 5*time.Second)
	if up.Reason != "check changed" {
		t.Errorf("server_up after the check changed says %q, want \"check changed\"", up.Reason)
	}
	down := events.wait(t, from, "server_down of "+server+" after the restart", serverEvent("server_down", webKey, ip), 5*time.Second)
	// The new interval is 300ms: fall x interval + timeout from the reload.
	bound := checkFall*300*time.Millisecond + checkTimeout
	t.Logf("changed check: up (%q) %s after the reload, down again %s after it (bound %s + margin %s)",
		up.Reason, ms(up.Time.Sub(t0)), ms(down.Time.Sub(t0)), ms(bound), ms(schedMargin))
	if d := down.Time.Sub(t0); d > bound+schedMargin {
		t.Errorf("restarted checker took %s to find %s down again, bound %s + margin %s", ms(d), server, ms(bound), ms(schedMargin))
	}
	if again := env.serverHealth(t, webKey, ip); again.Failures >= now.Failures {
		t.Errorf("restarted checker has %d failures, the old one had %d: not started over", again.Failures, now.Failures)
	}
	for _, ev := range events.since(from) {
		if ev.Address != ip {
			t.Errorf("changing %s's check streamed an event of another server: %+v", ip, ev)
		}
	}
	// govsctl events -n 2 ended after them, one line each.
	if lines := strings.Split(strings.TrimSpace(two()), "\n"); len(lines) != 2 ||
		!strings.Contains(lines[0], "server_up") || !strings.Contains(lines[1], "server_down") || !strings.Contains(lines[0], server) {
		t.Errorf("govsctl events -n 2 printed %q, want %s's server_up then server_down", lines, server)
	}
}

// webWeight is ip's weight in the web service as the dataplane has it.
func webWeight(t *testing.T, env *healthEnv, ip string) uint32 {
	t.Helper()
	svcs, err := env.d.admin.Services()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range svcs {
		if s.Port != 80 {
			continue
		}
		for _, rs := range s.RealServers {
			if rs.Address == ip {
				return rs.Weight
			}
		}
	}
	t.Fatalf("no %s in the web service: %+v", ip, svcs)
	return 0
}
