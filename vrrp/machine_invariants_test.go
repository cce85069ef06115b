package vrrp

import (
	"math/rand"
	"net/netip"
	"testing"
	"time"
)

// entryAction is the action announcing entry into each state.
var entryAction = map[State]Action{
	StateBackup: BecomeBackup{},
	StateMaster: BecomeMaster{},
	StateFault:  EnterFault{},
	StateInit:   EnterInit{},
}

// Random event sequences on random configurations: Step must keep its
// invariants whatever arrives in whatever order.
func TestMachineInvariantsUnderRandomEvents(t *testing.T) {
	rng := rand.New(rand.NewSource(10))
	srcs := []netip.Addr{machLowAddr, machOurAddr, machHighAddr}
	for run := 0; run < 300; run++ {
		cfg := machRandomConfig(rng)
		m := mustMachine(t, cfg)
		s := m.Initial()
		now := machEpoch
		for i := 0; i < 200; i++ {
			var ev Event
			switch rng.Intn(11) {
			case 0:
				ev = Startup{}
			case 1:
				ev = Shutdown{}
			case 2:
				ev = FaultDown{}
			case 3:
				ev = FaultUp{}
			case 4:
				ev = PriorityChanged{Priority: rng.Intn(350) - 50}
			case 8:
				ev = ForceMaster{}
			case 9:
				ev = ForceBackup{}
			case 10:
				ev = holdBackup{}
			case 5, 6:
				ev = AdvertReceived{Priority: uint8(rng.Intn(256)), Src: srcs[rng.Intn(len(srcs))],
					Interval: time.Duration(rng.Intn(300)) * 10 * time.Millisecond}
			default:
				ev = Timer{}
				if !s.Deadline.IsZero() && rng.Intn(3) > 0 {
					now = s.Deadline // most timers fire on time
				}
			}
			now = now.Add(time.Duration(rng.Intn(500)) * time.Millisecond)
			prev := s
			var acts []Action
			s, acts = m.Step(s, ev, now)
			machCheckInvariants(t, cfg, prev, s, acts, now)
			if t.Failed() {
				t.Fatalf("run %d step %d: config %+v event %#v", run, i, cfg, ev)
			}
		}
	}
}

func machRandomConfig(rng *rand.Rand) Config {
	cfg := machBaseConfig()
	if rng.Intn(2) == 0 {
		cfg.Version = 3
		cfg.AdvertInterval = time.Duration(1+rng.Intn(200)) * 10 * time.Millisecond
	}
	cfg.Priority = []uint8{1, 50, 100, 254, 255}[rng.Intn(5)]
	if rng.Intn(3) == 0 {
		cfg.PreemptDelay = time.Duration(rng.Intn(30)) * time.Second
	}
	switch rng.Intn(3) {
	case 0:
		cfg.Nopreempt = true
	case 1:
		cfg.InitialState = StateMaster
	}
	return cfg
}

func machCheckInvariants(t *testing.T, cfg Config, prev, s MachineState, acts []Action, now time.Time) {
	t.Helper()
	running := s.State == StateBackup || s.State == StateMaster
	if running == s.Deadline.IsZero() {
		t.Errorf("state %v with deadline %v", s.State, s.Deadline)
	}
	if s.State == StateFault && !s.Faulted {
		t.Errorf("in fault without Faulted")
	}
	if s.Priority == 0 {
		t.Errorf("effective priority 0")
	}
	if s.State == StateMaster && s.Deadline.After(now.Add(cfg.AdvertInterval)) {
		t.Errorf("master's next advert %v later than one interval after %v", s.Deadline, now)
	}
	entries := 0
	for _, a := range acts {
		switch a := a.(type) {
		case BecomeBackup, BecomeMaster, EnterFault, EnterInit:
			entries++
			if a != entryAction[s.State] {
				t.Errorf("action %#v but the new state is %v", a, s.State)
			}
		case SendAdvert:
			leaving := prev.State == StateMaster && s.State != StateMaster
			if a.Priority == 0 && !leaving {
				t.Errorf("priority 0 advert without leaving master (%v -> %v)", prev.State, s.State)
			}
			if a.Priority != 0 && (a.Priority != s.Priority || s.State != StateMaster) {
				t.Errorf("advert with priority %d in %v (effective %d)", a.Priority, s.State, s.Priority)
			}
		case SetTimer:
			if a.At.Before(now) {
				t.Errorf("timer set in the past: %v < %v", a.At, now)
			}
		}
	}
	if changed := s.State != prev.State; (entries == 1) != changed || entries > 1 {
		t.Errorf("%v -> %v with %d entry actions: %#v", prev.State, s.State, entries, acts)
	}
	// The last timer action must describe the deadline the state holds.
	for i := len(acts) - 1; i >= 0; i-- {
		switch a := acts[i].(type) {
		case SetTimer:
			if a.At != s.Deadline {
				t.Errorf("SetTimer %v but deadline %v", a.At, s.Deadline)
			}
			return
		case StopTimer:
			if !s.Deadline.IsZero() {
				t.Errorf("StopTimer but deadline %v", s.Deadline)
			}
			return
		}
	}
	if s.Deadline != prev.Deadline {
		t.Errorf("deadline moved %v -> %v without a timer action", prev.Deadline, s.Deadline)
	}
}
