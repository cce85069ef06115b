package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// TestHealthQuorumSorryServer: with every real server of the web service
// down (quorum 1), its quorum is lost within the detection bound and the
// sorry server (rs4) alone answers; govsctl checks shows the quorum down
// with the sorry server serving. One server back brings the quorum back
// and the real servers answer again, the sorry server no more.
func TestHealthQuorumSorryServer(t *testing.T) {
	env := healthLab(t)
	env.requireHealthy(t)
	events := watchEvents(t, env.d)
	loop := env.clientLoop(t)
	sorry := env.sorry().Ident
	begin := time.Now()
	as := awaitAttempts(t, loop, "answered by every server", answeredBy(begin, idents(env.realServers())...), 5*time.Second)
	if n := as.ByServer()[sorry]; n > 0 || len(as.Failed()) > 0 {
		t.Fatalf("with quorum, the sorry server answered %d requests, %d failed: %v", n, len(as.Failed()), as)
	}

	from := events.mark()
	t0 := time.Now()
	for _, s := range env.realServers() {
		s.HTTP.Stop()
	}
	lost := events.wait(t, from, "quorum_down of "+webKey, func(ev admin.Event) bool { return ev.Type == "quorum_down" && ev.Service == webKey }, 5*time.Second)
	detection := lost.Time.Sub(t0)
	t.Logf("detection: %s (bound %s + margin %s), quorum lost: %s", ms(detection), ms(detectBound), ms(schedMargin), lost.Reason)
	if detection > detectBound+schedMargin {
		t.Errorf("quorum lost %s after every server failed, bound %s + margin %s", ms(detection), ms(detectBound), ms(schedMargin))
	}
	point := t0.Add(detectBound + schedMargin)
	until := point.Add(500 * time.Millisecond)
	as = awaitAttempts(t, loop, "settled past the bound", settledUntil(until), 5*time.Second)
	after := between(as, point, until)
	if by := after.ByServer(); len(after.Failed()) > 0 || by[sorry] != len(after) {
		t.Errorf("requests started %s..%s after every server failed: %d of %d failed, answers %v, want all from %s: %v",
			ms(point.Sub(t0)), ms(until.Sub(t0)), len(after.Failed()), len(after), by, sorry, after.Failed())
	}
	t.Logf("out: last failed request started %s after the failure", ms(lastFailure(as, t0)))

	h, err := env.d.admin.Health()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(h.Services, func(s admin.ServiceHealth) bool { return s.Service == webKey })
	if i < 0 || h.Services[i].QuorumUp || !h.Services[i].SorryActive {
		t.Errorf("health of %s without servers: %+v, want quorum down, sorry server active", webKey, h.Services)
	}
	checks := govsctl(t, env.d, "checks")
	if row := quorumRow(checks, webKey); !strings.Contains(row, " lost ") || !strings.HasSuffix(row, "serving") {
		t.Errorf("govsctl checks shows %s's quorum as %q, want lost with the sorry server serving:\n%s", webKey, row, checks)
	}

	from = events.mark()
	t1 := time.Now()
	for _, s := range env.realServers() {
		if err := s.HTTP.Start(); err != nil {
			t.Fatal(err)
		}
	}
	back := events.wait(t, from, "quorum_up of "+webKey, func(ev admin.Event) bool { return ev.Type == "quorum_up" && ev.Service == webKey }, 5*time.Second)
	recovery := back.Time.Sub(t1)
	t.Logf("recovery: %s (bound %s + margin %s), quorum back: %s", ms(recovery), ms(recoverBound), ms(schedMargin), back.Reason)
	if recovery > recoverBound+schedMargin {
		t.Errorf("quorum back %s after the servers, bound %s + margin %s", ms(recovery), ms(recoverBound), ms(schedMargin))
	}
	point = back.Time.Add(schedMargin)
	until = point.Add(500 * time.Millisecond)
	as = awaitAttempts(t, loop, "settled after the quorum is back", settledUntil(until), 5*time.Second)
	after = between(as, point, until)
	if by := after.ByServer(); len(after.Failed()) > 0 || by[sorry] > 0 || len(by) == 0 {
		t.Errorf("requests started %s..%s after quorum_up: %d of %d failed, answers %v, want none from %s",
			ms(point.Sub(back.Time)), ms(until.Sub(back.Time)), len(after.Failed()), len(after), by, sorry)
	}
}

// quorumRow is service's row of govsctl checks' quorum table, "" if none.
func quorumRow(checks, service string) string {
	_, table, ok := strings.Cut(checks, "QUORUM")
	if !ok {
		return ""
	}
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == service {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
