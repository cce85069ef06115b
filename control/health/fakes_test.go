package health

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock runs AfterFunc callbacks synchronously from Advance, in time
// order, so a test steps checkers deterministically.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*fakeTimer
}

type fakeTimer struct {
	c    *fakeClock
	when time.Time
	seq  int
	f    func()
}

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func newFakeClock() *fakeClock { return &fakeClock{now: epoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, when: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	i := slices.Index(t.c.timers, t)
	if i < 0 {
		return false
	}
	t.c.timers = slices.Delete(t.c.timers, i, i+1)
	return true
}

// Advance moves time forward by d, running every timer due on the way.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var next *fakeTimer
		for _, t := range c.timers {
			if !t.when.After(target) && (next == nil || t.when.Before(next.when) || t.when.Equal(next.when) && t.seq < next.seq) {
				next = t
			}
		}
		if next == nil {
			c.now = target
			c.mu.Unlock()
			return
		}
		c.timers = slices.DeleteFunc(c.timers, func(t *fakeTimer) bool { return t == next })
		c.now = next.when
		c.mu.Unlock()
		next.f()
	}
}

func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// fakeProbers answer every server with the result the test set for it
// (success by default) and record when each was probed.
type fakeProbers struct {
	mu      sync.Mutex
	results map[string]Result
	calls   map[string][]time.Time
	built   map[string]int // probers built per server
	clock   Clock
}

func newFakeProbers(c Clock) *fakeProbers {
	return &fakeProbers{results: map[string]Result{}, calls: map[string][]time.Time{}, built: map[string]int{}, clock: c}
}

func (f *fakeProbers) factory(t Target) (Prober, error) {
	key := netip.AddrPortFrom(t.Addr, t.Port).String()
	f.mu.Lock()
	f.built[key]++
	f.mu.Unlock()
	return fakeProber{f, key}, nil
}

func (f *fakeProbers) set(server string, r Result) {
	f.mu.Lock()
	f.results[server] = r
	f.mu.Unlock()
}

func (f *fakeProbers) up(server string)   { f.set(server, success()) }
func (f *fakeProbers) down(server string) { f.set(server, failure("refused")) }

func (f *fakeProbers) callTimes(server string) []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Duration
	for _, t := range f.calls[server] {
		out = append(out, t.Sub(epoch))
	}
	return out
}

func (f *fakeProbers) builds(server string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.built[server]
}

type fakeProber struct {
	f   *fakeProbers
	key string
}

func (p fakeProber) Probe(context.Context) Result {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	p.f.calls[p.key] = append(p.f.calls[p.key], p.f.clock.Now())
	if r, ok := p.f.results[p.key]; ok {
		return r
	}
	return success()
}

// fakeRunner records the commands it is asked to run.
type fakeRunner struct {
	mu   sync.Mutex
	runs []string // command, then env, joined
	done chan struct{}
}

func (r *fakeRunner) run(_ context.Context, command string, env []string) CommandResult {
	r.mu.Lock()
	r.runs = append(r.runs, fmt.Sprint(command, " ", env))
	r.mu.Unlock()
	if r.done != nil {
		r.done <- struct{}{}
	}
	return CommandResult{}
}

func (r *fakeRunner) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.runs)
}

// harness is a manager on a fake clock with fake probers.
type harness struct {
	t       *testing.T
	m       *Manager
	clock   *fakeClock
	probers *fakeProbers
	changes int
	mu      sync.Mutex
	events  <-chan Event
}

func newHarness(t *testing.T, o Options) *harness {
	t.Helper()
	h := &harness{t: t, clock: newFakeClock()}
	h.probers = newFakeProbers(h.clock)
	o.Clock = h.clock
	o.NewProber = h.probers.factory
	if o.Jitter == nil {
		o.Jitter = func(time.Duration) time.Duration { return 0 }
	}
	o.OnChange = func() { h.mu.Lock(); h.changes++; h.mu.Unlock() }
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	h.events, _ = m.Subscribe(1000)
	t.Cleanup(m.Stop)
	return h
}

// drain returns the events published so far as "type service server reason"
// strings (server omitted for quorum events).
func (h *harness) drain() []string {
	var out []string
	for {
		select {
		case e := <-h.events:
			s := e.Type + " " + e.Service
			if e.Addr.IsValid() {
				s += " " + netip.AddrPortFrom(e.Addr, e.Port).String()
			}
			out = append(out, s)
		default:
			return out
		}
	}
}

func (h *harness) server(service, server string) ServerStatus {
	h.t.Helper()
	for _, s := range h.m.Servers() {
		if s.Service == service && netip.AddrPortFrom(s.Addr, s.Port).String() == server {
			return s
		}
	}
	h.t.Fatalf("no server %s %s", service, server)
	return ServerStatus{}
}

func (h *harness) service(key string) ServiceStatus {
	h.t.Helper()
	for _, s := range h.m.Services() {
		if s.Key == key {
			return s
		}
	}
	h.t.Fatalf("no service %s", key)
	return ServiceStatus{}
}

func srv(addr string, port uint16, weight uint32, c *Check) ServerSpec {
	return ServerSpec{Addr: netip.MustParseAddr(addr), Port: port, Weight: weight, Check: c}
}

func tcpCheck(interval time.Duration, rise, fall uint32) *Check {
	return &Check{Kind: KindTCP, Interval: interval, Timeout: interval / 2, RetryDelay: interval / 4, Rise: rise, Fall: fall}
}
