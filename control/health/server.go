package health

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// server is one real server of one service; every field is guarded by
// the manager's lock.
type server struct {
	svc     *service
	key     serverKey
	label   string     // addr:port, the metrics' server label
	spec    ServerSpec // Check is nil here: see checked and check
	checked bool
	check   Check
	run     *runner // nil when not checked

	up    bool
	since time.Time
	m     machine
	dyn   int // dynamic weight; -1 none

	lastErr, lastOutcome string
	lastCheck            time.Time
	lastDur              time.Duration
	succ, fail           uint64
	met                  serverMetrics
}

// runner is one checker: a timer that runs a probe and arms itself again.
// Its check is a copy fixed for its life; a changed check gets a new runner.
type runner struct {
	srv     *server
	prober  Prober
	check   Check
	ctx     context.Context // ends when the runner stops
	cancel  context.CancelFunc
	timer   Timer
	stopped bool
	dur     prometheus.Observer
}

// Floors that keep a check built in code from spinning; configurations
// are validated long before.
const (
	minInterval = 10 * time.Millisecond
	minTimeout  = time.Millisecond
)

func (m *Manager) newServer(svc *service, k serverKey, sp ServerSpec, now time.Time) *server {
	s := &server{svc: svc, key: k, label: netip.AddrPortFrom(k.addr, k.port).String(),
		spec: sp, since: now, dyn: -1, up: true}
	s.spec.Check = nil
	s.met = m.met.forServer(svc.spec.Key, s.label)
	if sp.Check != nil {
		s.checked, s.check = true, *sp.Check
		s.m = newMachine(&s.check, svc.spec.Alpha)
		s.up = s.m.up
		m.startRunner(s)
	}
	s.met.up.Set(b2f(s.up))
	return s
}

func (s *server) sameCheck(c *Check) bool {
	if c == nil {
		return !s.checked
	}
	return s.checked && s.check == *c
}

func (s *server) status(service string) ServerStatus {
	return ServerStatus{
		Service: service, Addr: s.key.addr, Port: s.key.port, Checked: s.checked, Kind: s.check.Kind,
		Up: s.up, Since: s.since, LastError: s.lastErr, LastCheck: s.lastCheck, LastDuration: s.lastDur,
		LastOutcome: s.lastOutcome, Successes: s.succ, Failures: s.fail, DynamicWeight: s.dyn,
	}
}

func (m *Manager) startRunner(s *server) {
	c := s.check
	c.Interval = max(c.Interval, minInterval)
	c.Timeout = max(c.Timeout, minTimeout)
	c.RetryDelay = max(c.RetryDelay, 0)
	t := Target{Service: s.svc.spec.Key, Addr: s.key.addr, Port: s.key.port, Check: c}
	p, err := m.makeProber(t)
	if err != nil {
		m.o.Log.Warn("health: check cannot run", "service", t.Service, "server", s.label, "err", err)
		p = brokenProber{fmt.Sprintf("invalid check: %v", err)}
	}
	r := &runner{srv: s, prober: p, check: c, dur: m.met.duration.WithLabelValues(string(c.Kind))}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	s.run = r
	m.arm(r, m.o.Jitter(c.Warmup))
}

// arm schedules r's next check after d. Called with the lock held.
func (m *Manager) arm(r *runner, d time.Duration) {
	m.wg.Add(1)
	r.timer = m.o.Clock.AfterFunc(d, func() { m.runCheck(r) })
}

// stopRunner stops s's checker; a check in flight is cancelled and its
// result discarded. Called with the lock held.
func (m *Manager) stopRunner(s *server) {
	r := s.run
	if r == nil || r.stopped {
		return
	}
	r.stopped = true
	if r.timer.Stop() {
		m.wg.Done() // the check it would have run will never run
	}
	r.cancel()
}

// runCheck runs one check of r and arms the next: interval after this
// one's start (retry delay while failing but not yet down), at once if the
// check took longer.
func (m *Manager) runCheck(r *runner) {
	defer m.wg.Done()
	m.mu.Lock()
	stopped := r.stopped
	m.mu.Unlock()
	if stopped {
		return
	}
	start := m.o.Clock.Now()
	ctx, cancel := context.WithTimeout(r.ctx, r.check.Timeout)
	res := r.prober.Probe(ctx)
	timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
	cancel()
	end := m.o.Clock.Now()
	took := end.Sub(start)
	r.dur.Observe(took.Seconds())
	if !res.OK && timedOut {
		res.Timeout = true
		if res.Err == "" {
			res.Err = fmt.Sprintf("timeout after %v", r.check.Timeout)
		}
	}

	m.mu.Lock()
	if r.stopped {
		m.mu.Unlock()
		return
	}
	changed := m.record(r.srv, res, start, took)
	next := r.check.Interval
	if r.srv.m.failing() {
		next = r.check.RetryDelay
	}
	m.arm(r, max(next-took, 0))
	m.mu.Unlock()
	if changed && m.o.OnChange != nil {
		m.o.OnChange()
	}
}

// record applies one result to s; it reports whether s's state or weight
// changed. Called with the lock held.
func (m *Manager) record(s *server, res Result, start time.Time, took time.Duration) bool {
	s.lastCheck, s.lastDur, s.lastOutcome = start, took, res.outcome()
	s.met.count(s.lastOutcome)
	if res.OK {
		s.succ++
		s.lastErr = ""
	} else {
		s.fail++
		s.lastErr = res.Err
	}
	weightChanged := res.OK && res.Weight >= 0 && res.Weight != s.dyn
	if weightChanged {
		s.dyn = res.Weight
	}
	wasNeverUp := s.m.neverUp
	var events []Event
	now := start.Add(took)
	if s.m.observe(res.OK) {
		s.up = s.m.up
		reason := s.lastErr
		if s.m.up {
			reason = fmt.Sprintf("%d consecutive successful checks", s.m.rise)
			if wasNeverUp {
				reason = "first successful check (alpha)"
			}
		}
		events = m.serverChanged(s, now, reason, events)
	}
	if len(events) > 0 || weightChanged {
		m.updateQuorum(s.svc, now, events)
		return true
	}
	return false
}

// serverChanged publishes s's new state (s.up). Called with the lock held.
func (m *Manager) serverChanged(s *server, now time.Time, reason string, events []Event) []Event {
	s.since = now
	s.met.up.Set(b2f(s.up))
	typ, state, cmd, counter := EventServerDown, "DOWN", s.spec.NotifyDown, s.met.toDown
	if s.up {
		typ, state, cmd, counter = EventServerUp, "UP", s.spec.NotifyUp, s.met.toUp
	}
	counter.Inc()
	e := Event{Time: now, Type: typ, Service: s.svc.spec.Key, Addr: s.key.addr, Port: s.key.port, Reason: reason}
	m.o.Log.Info("health: real server "+state, "service", e.Service, "server", s.label, "reason", reason)
	m.events.Publish(e)
	m.notes.notify(cmd, "GOVS_SERVICE="+e.Service, "GOVS_SERVER="+s.label, "GOVS_STATE="+state)
	return append(events, e)
}

// updateQuorum re-evaluates svc's quorum. Called with the lock held.
func (m *Manager) updateQuorum(svc *service, now time.Time, events []Event) []Event {
	sp := svc.spec
	alive := svc.aliveWeight()
	up := quorumAfter(svc.quorumUp, alive, sp.Quorum, sp.Hysteresis)
	if up == svc.quorumUp {
		return events
	}
	svc.quorumUp, svc.since = up, now
	m.met.quorum.WithLabelValues(sp.Key).Set(b2f(up))
	typ, state, cmd := EventQuorumDown, "DOWN", sp.QuorumDown
	reason := fmt.Sprintf("alive weight %d below quorum %d - hysteresis %d", alive, sp.Quorum, sp.Hysteresis)
	if up {
		typ, state, cmd = EventQuorumUp, "UP", sp.QuorumUp
		reason = fmt.Sprintf("alive weight %d reached quorum %d + hysteresis %d", alive, sp.Quorum, sp.Hysteresis)
	}
	e := Event{Time: now, Type: typ, Service: sp.Key, Reason: reason}
	m.o.Log.Info("health: quorum "+state, "service", sp.Key, "reason", reason)
	m.events.Publish(e)
	m.notes.notify(cmd, "GOVS_SERVICE="+sp.Key, "GOVS_STATE="+state)
	return append(events, e)
}

// brokenProber fails every check with why: a check that cannot be built
// keeps its server down rather than up unchecked.
type brokenProber struct{ why string }

func (b brokenProber) Probe(context.Context) Result { return failure("%s", b.why) }
