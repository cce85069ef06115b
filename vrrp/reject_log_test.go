package vrrp

import (
	"bytes"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// advFakeClock is a settable clock for RejectLog.
type advFakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *advFakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *advFakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestRejectLog() (*RejectLog, *advFakeClock, *bytes.Buffer) {
	var buf bytes.Buffer
	clk := &advFakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return NewRejectLog(log, clk.now), clk, &buf
}

func TestRejectLogRateLimitsPerReason(t *testing.T) {
	l, clk, buf := newTestRejectLog()
	peer := netip.MustParseAddr("10.51.0.2")
	ttl := reject(ReasonTTL, "got 64, want 255")
	sum := reject(ReasonChecksum, "bad")

	lines := func() int { return strings.Count(buf.String(), "\n") }
	steps := []struct {
		advance time.Duration
		err     error
		logged  bool
	}{
		{0, ttl, true},                          // first of its reason
		{time.Second, ttl, false},               // within the minute
		{time.Second, sum, true},                // another reason has its own minute
		{57 * time.Second, ttl, false},          // 59 s after the first ttl
		{time.Second, ttl, true},                // 60 s: logged again, with 2 suppressed
		{0, sum, false},                         // 58 s after the first checksum
		{10 * time.Minute, sum, true},           // long quiet: logged
		{0, errors.New("socket closed"), false}, // not a rejection: neither counted nor logged
		{0, nil, false},
	}
	for i, s := range steps {
		clk.advance(s.advance)
		before := lines()
		rec := l.Record(peer, s.err)
		if wantRec := s.err != nil && !strings.Contains(s.err.Error(), "socket"); rec != wantRec {
			t.Errorf("step %d: Record = %v, want %v", i, rec, wantRec)
		}
		if got := lines() > before; got != s.logged {
			t.Errorf("step %d: logged = %v, want %v; log:\n%s", i, got, s.logged, buf.String())
		}
	}
	if got := l.Count(ReasonTTL); got != 4 {
		t.Errorf("ttl count %d, want 4", got)
	}
	if got := l.Count(ReasonChecksum); got != 3 {
		t.Errorf("checksum count %d, want 3", got)
	}
	if got := l.Counts(); len(got) != 2 || got["ttl"] != 4 || got["checksum"] != 3 {
		t.Errorf("Counts = %v, want ttl:4 checksum:3", got)
	}
	out := buf.String()
	for _, want := range []string{"reason=ttl", "src=10.51.0.2", "suppressed=2", "suppressed=1", "level=WARN", "time=2026-01-01T00:01:00.000Z", "got 64, want 255"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func TestRejectLogVRIDMismatchAtDebug(t *testing.T) {
	l, _, buf := newTestRejectLog()
	l.Record(netip.MustParseAddr("10.51.0.9"), reject(ReasonVRIDMismatch, "VRID 52"))
	if out := buf.String(); !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "reason=vrid_mismatch") {
		t.Errorf("want one debug line for vrid_mismatch, got:\n%s", out)
	}
	if l.Count(ReasonVRIDMismatch) != 1 {
		t.Errorf("vrid_mismatch count %d, want 1", l.Count(ReasonVRIDMismatch))
	}
}

func TestRejectLogConcurrent(t *testing.T) {
	l, _, _ := newTestRejectLog()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 250; i++ {
				l.Record(netip.Addr{}, reject(Reason(i%int(numReasons)), "x"))
			}
		}()
	}
	wg.Wait()
	var total uint64
	for _, r := range Reasons() {
		total += l.Count(r)
	}
	if total != 1000 {
		t.Errorf("total count %d, want 1000", total)
	}
}

func TestReasonNames(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Reasons() {
		name := r.String()
		if name == "" || name == "unknown" || strings.ToLower(name) != name || strings.ContainsAny(name, " -") {
			t.Errorf("reason %d has name %q, want snake_case", r, name)
		}
		if seen[name] {
			t.Errorf("name %q used twice", name)
		}
		seen[name] = true
	}
	for _, want := range []string{"ttl", "version", "type", "truncated", "length", "checksum",
		"vrid_mismatch", "interval_mismatch", "addr_count", "addr_mismatch", "auth_type", "auth_data"} {
		if !seen[want] {
			t.Errorf("no reason named %q", want)
		}
	}
	if got := Reason(200).String(); got != "unknown" {
		t.Errorf("out of range reason = %q", got)
	}
	if _, ok := ReasonOf(errors.New("other")); ok {
		t.Error("ReasonOf accepted a plain error")
	}
	if r, ok := ReasonOf(reject(ReasonAuthData, "x")); !ok || r != ReasonAuthData {
		t.Errorf("ReasonOf = %v, %v", r, ok)
	}
}
