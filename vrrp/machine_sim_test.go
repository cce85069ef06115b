package vrrp

import (
	"net/netip"
	"sort"
	"testing"
	"time"
)

// A small discrete-event simulation of routers sharing one segment, used to
// check the timings the end-to-end tests will measure on real directors.

// Simulation-only inputs, handled by the simulator instead of the machine.
type (
	simKill    struct{}          // SIGKILL: the process vanishes, no priority-0 advert
	simRestart struct{}          // the process starts again from INIT
	simCut     struct{ on bool } // partition the segment (drop every advert)
)

func (simKill) isEvent()    {}
func (simRestart) isEvent() {}
func (simCut) isEvent()     {}

type simRouter struct {
	m        Machine
	s        MachineState
	up       bool
	timerGen int
}

type simEvent struct {
	at  time.Duration
	seq int
	r   int
	ev  Event
	gen int // for Timer: the SetTimer it answers
}

type simTransition struct {
	at    time.Duration
	r     int
	state State
}

type sim struct {
	t          *testing.T
	now        time.Duration
	latency    time.Duration
	routers    []*simRouter
	queue      []simEvent
	seq        int
	cut        bool
	log        []simTransition
	lastAdvert map[int]time.Duration // last advert each router sent (with priority > 0)
}

func newSim(t *testing.T, latency time.Duration, cfgs ...Config) *sim {
	s := &sim{t: t, latency: latency, lastAdvert: map[int]time.Duration{}}
	for _, c := range cfgs {
		s.routers = append(s.routers, &simRouter{m: mustMachine(t, c)})
	}
	return s
}

func (s *sim) inject(at time.Duration, r int, ev Event) {
	s.seq++
	s.queue = append(s.queue, simEvent{at: at, seq: s.seq, r: r, ev: ev})
}

func (s *sim) runUntil(end time.Duration) {
	for {
		sort.Slice(s.queue, func(i, j int) bool {
			if s.queue[i].at != s.queue[j].at {
				return s.queue[i].at < s.queue[j].at
			}
			return s.queue[i].seq < s.queue[j].seq
		})
		if len(s.queue) == 0 || s.queue[0].at > end {
			s.now = end
			return
		}
		e := s.queue[0]
		s.queue = s.queue[1:]
		s.now = e.at
		s.deliver(e)
	}
}

func (s *sim) deliver(e simEvent) {
	r := s.routers[e.r]
	switch ev := e.ev.(type) {
	case simKill:
		r.up = false
		r.timerGen++
		s.log = append(s.log, simTransition{s.now, e.r, StateInit})
		return
	case simRestart:
		r.up = true
		r.s = r.m.Initial()
		s.apply(e.r, Startup{})
		return
	case simCut:
		s.cut = ev.on
		return
	case Timer:
		if e.gen != r.timerGen {
			return // replaced or cancelled
		}
	}
	if !r.up {
		return
	}
	s.apply(e.r, e.ev)
}

func (s *sim) apply(i int, ev Event) {
	r := s.routers[i]
	var acts []Action
	r.s, acts = r.m.Step(r.s, ev, machEpoch.Add(s.now))
	for _, a := range acts {
		switch a := a.(type) {
		case SendAdvert:
			s.broadcast(i, a.Priority)
		case SetTimer:
			r.timerGen++
			s.seq++
			s.queue = append(s.queue, simEvent{at: a.At.Sub(machEpoch), seq: s.seq, r: i, ev: Timer{}, gen: r.timerGen})
		case StopTimer:
			r.timerGen++
		case BecomeMaster:
			s.log = append(s.log, simTransition{s.now, i, StateMaster})
		case BecomeBackup:
			s.log = append(s.log, simTransition{s.now, i, StateBackup})
		case EnterFault:
			s.log = append(s.log, simTransition{s.now, i, StateFault})
		case EnterInit:
			s.log = append(s.log, simTransition{s.now, i, StateInit})
		}
	}
}

func (s *sim) broadcast(from int, prio uint8) {
	if prio > 0 {
		s.lastAdvert[from] = s.now
	}
	if s.cut {
		return
	}
	cfg := s.routers[from].m.Config()
	for j := range s.routers {
		if j != from {
			s.inject(s.now+s.latency, j, AdvertReceived{Priority: prio, Src: cfg.PrimaryAddr, Interval: cfg.AdvertInterval})
		}
	}
}

// masters lists the running routers that are MASTER now.
func (s *sim) masters() []int {
	var out []int
	for i, r := range s.routers {
		if r.up && r.s.State == StateMaster {
			out = append(out, i)
		}
	}
	return out
}

// becameMaster is when router r last became master at or after since, or -1.
func (s *sim) becameMaster(r int, since time.Duration) time.Duration {
	got := time.Duration(-1)
	for _, tr := range s.log {
		if tr.r == r && tr.state == StateMaster && tr.at >= since {
			got = tr.at
		}
	}
	return got
}

func (s *sim) wantOnlyMaster(r int) {
	s.t.Helper()
	if m := s.masters(); len(m) != 1 || m[0] != r {
		s.t.Fatalf("at %v masters are %v, want only router %d", s.now, m, r)
	}
}

func simConfig(version uint8, prio uint8, interval time.Duration, addr string) Config {
	return Config{Version: version, Priority: prio, AdvertInterval: interval, PrimaryAddr: netip.MustParseAddr(addr)}
}

func simStartAll(s *sim, at time.Duration) {
	for i := range s.routers {
		s.inject(at, i, simRestart{})
	}
}

const simLatency = time.Millisecond

// Master killed: the backup takes over exactly Master_Down_Interval after the
// last advert it heard (3 x advert + skew), for v2 1 s and v3 100 ms adverts.
func TestMachineSimKilledMasterTakeover(t *testing.T) {
	cases := []struct {
		name     string
		version  uint8
		interval time.Duration
	}{
		{"v2 1s", 2, time.Second},
		{"v3 100ms", 3, machMs(100)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := settledPair(t, c.version, c.interval)

			kill := 20*c.interval + c.interval/3
			s.inject(kill, 0, simKill{})
			s.runUntil(kill + 10*c.interval)
			s.wantOnlyMaster(1)

			heard := s.lastAdvert[0] + simLatency
			got := s.becameMaster(1, kill) - heard
			if want := MasterDownInterval(c.version, 100, c.interval); got != want {
				t.Errorf("takeover %v after the last advert, want 3 x advert + skew = %v", got, want)
			}
			if bound := 3*c.interval + SkewTime(c.version, 100, c.interval); got > bound {
				t.Errorf("takeover %v exceeds the e2e bound %v", got, bound)
			}
		})
	}
}

// Graceful stop: the priority-0 advert lets the backup take over after only
// Skew_Time.
func TestMachineSimGracefulStop(t *testing.T) {
	for _, v := range []struct {
		version  uint8
		interval time.Duration
	}{{2, time.Second}, {3, machMs(100)}} {
		s := settledPair(t, v.version, v.interval)

		stop := 20*v.interval + v.interval/3
		s.inject(stop, 0, Shutdown{})
		s.runUntil(stop + 10*v.interval)
		s.wantOnlyMaster(1)
		if got, want := s.becameMaster(1, stop)-stop, simLatency+SkewTime(v.version, 100, v.interval); got != want {
			t.Errorf("v%d: takeover %v after the stop, want latency + skew = %v", v.version, got, want)
		}
	}
}

// Recovery: with preempt the higher priority router takes the addresses back
// one master-down interval after it restarts; with nopreempt it stays backup.
func TestMachineSimRecovery(t *testing.T) {
	cases := []struct {
		name       string
		nopreempt  bool
		wantMaster int
	}{
		{"preempt takes back", false, 0},
		{"nopreempt stays backup", true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			high := simConfig(2, 150, time.Second, "10.0.0.1")
			high.Nopreempt = c.nopreempt
			s := newSim(t, simLatency, high, simConfig(2, 100, time.Second, "10.0.0.2"))
			simStartAll(s, 0)
			s.inject(10*time.Second, 0, simKill{})
			s.runUntil(20 * time.Second)
			s.wantOnlyMaster(1)

			restart := 20*time.Second + machMs(300)
			s.inject(restart, 0, simRestart{})
			s.runUntil(restart + time.Minute)
			s.wantOnlyMaster(c.wantMaster)
			if !c.nopreempt {
				if got, want := s.becameMaster(0, restart)-restart, MasterDownInterval(2, 150, time.Second); got != want {
					t.Errorf("took back %v after restart, want master-down %v", got, want)
				}
			}
		})
	}
}

// Equal priorities started together: both time out at once, and the higher
// primary address keeps the addresses within one advert's flight.
func TestMachineSimTieBreak(t *testing.T) {
	s := newSim(t, simLatency,
		simConfig(2, 100, time.Second, "10.0.0.2"),
		simConfig(2, 100, time.Second, "10.0.0.9"))
	simStartAll(s, 0)
	s.runUntil(30 * time.Second)
	s.wantOnlyMaster(1)
	mdi := MasterDownInterval(2, 100, time.Second)
	want := []simTransition{
		{0, 0, StateBackup}, {0, 1, StateBackup},
		{mdi, 0, StateMaster}, {mdi, 1, StateMaster},
		{mdi + simLatency, 0, StateBackup},
	}
	if len(s.log) != len(want) {
		t.Fatalf("transitions %v, want %v", s.log, want)
	}
	for i := range want {
		if s.log[i] != want[i] {
			t.Errorf("transition %d: %+v, want %+v", i, s.log[i], want[i])
		}
	}
}

// After a partition heals with two masters, the higher priority one answers
// the lower's advert at once (keepalived), so the split ends one round trip
// after the lower one's next advert instead of at the higher one's.
func TestMachineSimPartitionHeals(t *testing.T) {
	s := newSim(t, simLatency,
		simConfig(2, 150, time.Second, "10.0.0.1"),
		simConfig(2, 100, time.Second, "10.0.0.2"))
	simStartAll(s, 0)
	s.runUntil(10 * time.Second)
	s.inject(10*time.Second, 0, simCut{on: true})
	s.runUntil(20 * time.Second)
	if m := s.masters(); len(m) != 2 {
		t.Fatalf("masters during the partition %v, want both", m)
	}
	nextHigh, nextLow := s.lastAdvert[0]+time.Second, s.lastAdvert[1]+time.Second
	if nextLow >= nextHigh {
		t.Fatalf("scenario: lower's next advert %v not before higher's %v", nextLow, nextHigh)
	}
	s.inject(s.now, 0, simCut{on: false})
	s.runUntil(nextLow + 2*simLatency)
	s.wantOnlyMaster(0)
	if got, want := s.lastAdvert[0], nextLow+simLatency; got != want {
		t.Errorf("higher priority answered at %v, want at once on hearing the lower one (%v)", got, want)
	}
}

// Three routers: the best remaining backup takes over, because a higher
// priority means a shorter skew.
func TestMachineSimBestBackupWins(t *testing.T) {
	s := newSim(t, simLatency,
		simConfig(3, 200, machMs(100), "10.0.0.1"),
		simConfig(3, 100, machMs(100), "10.0.0.2"),
		simConfig(3, 150, machMs(100), "10.0.0.3"))
	simStartAll(s, 0)
	s.runUntil(5 * time.Second)
	s.wantOnlyMaster(0)
	s.inject(5*time.Second+machMs(30), 0, simKill{})
	s.runUntil(10 * time.Second)
	s.wantOnlyMaster(2)
	if got := s.becameMaster(1, 0); got >= 0 {
		t.Errorf("priority 100 router became master at %v, want never", got)
	}
}

// settledPair is a master of priority 150 (10.0.0.1) and a backup of 100
// (10.0.0.2), 20 intervals after they started together.
func settledPair(t *testing.T, version uint8, interval time.Duration) *sim {
	t.Helper()
	s := newSim(t, simLatency,
		simConfig(version, 150, interval, "10.0.0.1"),
		simConfig(version, 100, interval, "10.0.0.2"))
	simStartAll(s, 0)
	s.runUntil(20 * interval)
	s.wantOnlyMaster(0)
	return s
}
