package vrrp

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	machEpoch    = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	machOurAddr  = netip.MustParseAddr("10.0.0.5")
	machLowAddr  = netip.MustParseAddr("10.0.0.2")
	machHighAddr = netip.MustParseAddr("10.0.0.9")
)

// at is a fake time: machEpoch plus d.
func machAt(d time.Duration) time.Time { return machEpoch.Add(d) }

func machMs(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func machBaseConfig() Config {
	return Config{Version: 2, Priority: 100, AdvertInterval: time.Second, PrimaryAddr: machOurAddr}
}

func mustMachine(t *testing.T, cfg Config) Machine {
	t.Helper()
	m, err := NewMachine(cfg)
	if err != nil {
		t.Fatalf("NewMachine(%+v): %v", cfg, err)
	}
	return m
}

// machTick is one event at a fake time.
type machTick struct {
	at time.Duration
	ev Event
}

// machRun applies ticks from the initial state and returns the final state and
// the actions of the last tick.
func machRun(m Machine, ticks []machTick) (MachineState, []Action) {
	s := m.Initial()
	var acts []Action
	for _, tk := range ticks {
		s, acts = m.Step(s, tk.ev, machAt(tk.at))
	}
	return s, acts
}

func TestMachineStateNames(t *testing.T) {
	want := map[State]string{StateInit: "init", StateBackup: "backup", StateMaster: "master", StateFault: "fault", State(9): "unknown"}
	for s, name := range want {
		if s.String() != name {
			t.Errorf("State(%d).String() = %q, want %q", s, s.String(), name)
		}
	}
}

func TestMachineConfigValidation(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"defaults ok", func(*Config) {}, ""},
		{"owner ok", func(c *Config) { c.Priority = 255 }, ""},
		{"v3 centiseconds ok", func(c *Config) { c.Version = 3; c.AdvertInterval = machMs(100) }, ""},
		{"initial master ok", func(c *Config) { c.InitialState = StateMaster }, ""},
		{"version 1", func(c *Config) { c.Version = 1 }, "version 1"},
		{"priority 0", func(c *Config) { c.Priority = 0 }, "priority 0"},
		{"v2 sub-second", func(c *Config) { c.AdvertInterval = machMs(500) }, "whole seconds"},
		{"v2 256s", func(c *Config) { c.AdvertInterval = 256 * time.Second }, "whole seconds"},
		{"v3 5ms", func(c *Config) { c.Version = 3; c.AdvertInterval = machMs(5) }, "centiseconds"},
		{"v3 not centis", func(c *Config) { c.Version = 3; c.AdvertInterval = machMs(105) }, "centiseconds"},
		{"v3 41s", func(c *Config) { c.Version = 3; c.AdvertInterval = 41 * time.Second }, "centiseconds"},
		{"negative preempt delay", func(c *Config) { c.PreemptDelay = -time.Second }, "preempt_delay"},
		{"huge preempt delay", func(c *Config) { c.PreemptDelay = 1001 * time.Second }, "preempt_delay"},
		{"no address", func(c *Config) { c.PrimaryAddr = netip.Addr{} }, "IPv4"},
		{"ipv6 address", func(c *Config) { c.PrimaryAddr = netip.MustParseAddr("fe80::1") }, "IPv4"},
		{"nopreempt with master", func(c *Config) { c.Nopreempt = true; c.InitialState = StateMaster }, "nopreempt"},
		{"initial fault", func(c *Config) { c.InitialState = StateFault }, "initial state"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := machBaseConfig()
			c.edit(&cfg)
			_, err := NewMachine(cfg)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error %v, want one mentioning %q", err, c.wantErr)
			}
		})
	}
}

// Every transition and timer, one row each: the ticks bring the machine to
// the case, the last tick's actions and the final state are checked.
func TestMachineTransitions(t *testing.T) {
	mdi := MasterDownInterval(2, 100, time.Second) // 3.609375s
	skew := SkewTime(2, 100, time.Second)          // 0.609375s
	startBackup := machTick{0, Startup{}}
	// becomeMaster: the backup's master-down timer fires at mdi.
	becomeMaster := []machTick{startBackup, {mdi, Timer{}}}
	adv := func(p uint8, src netip.Addr) AdvertReceived { return AdvertReceived{Priority: p, Src: src} }

	cases := []struct {
		name      string
		edit      func(*Config)
		ticks     []machTick
		wantState State
		wantActs  []Action
		check     func(*testing.T, MachineState)
	}{
		// INIT
		{name: "startup to backup arms master-down", ticks: []machTick{startBackup},
			wantState: StateBackup, wantActs: []Action{BecomeBackup{}, SetTimer{machAt(mdi)}}},
		{name: "owner startup is master at once", edit: func(c *Config) { c.Priority = 255 }, ticks: []machTick{startBackup},
			wantState: StateMaster, wantActs: []Action{SendAdvert{255}, BecomeMaster{}, SetTimer{machAt(time.Second)}}},
		{name: "initial state master waits one interval plus minimal skew", edit: func(c *Config) { c.InitialState = StateMaster },
			ticks: []machTick{startBackup}, wantState: StateBackup,
			wantActs: []Action{BecomeBackup{}, SetTimer{machAt(time.Second + 3906250*time.Nanosecond)}}},
		{name: "startup while faulted goes to fault", ticks: []machTick{{0, FaultDown{}}, startBackup},
			wantState: StateFault, wantActs: []Action{EnterFault{}}},
		{name: "fault cleared before startup", ticks: []machTick{{0, FaultDown{}}, {0, FaultUp{}}, startBackup},
			wantState: StateBackup, wantActs: []Action{BecomeBackup{}, SetTimer{machAt(mdi)}}},
		{name: "advert in init ignored", ticks: []machTick{{0, adv(200, machHighAddr)}}, wantState: StateInit},
		{name: "timer in init ignored", ticks: []machTick{{0, Timer{}}}, wantState: StateInit},
		{name: "shutdown in init ignored", ticks: []machTick{{0, Shutdown{}}}, wantState: StateInit},
		{name: "second startup ignored", ticks: []machTick{startBackup, {machMs(10), Startup{}}}, wantState: StateBackup},

		// BACKUP
		{name: "backup master-down timeout becomes master", ticks: becomeMaster,
			wantState: StateMaster, wantActs: []Action{SendAdvert{100}, BecomeMaster{}, SetTimer{machAt(mdi + time.Second)}}},
		{name: "backup stale timer ignored", ticks: []machTick{startBackup, {mdi - time.Millisecond, Timer{}}}, wantState: StateBackup},
		{name: "backup higher priority resets master-down", ticks: []machTick{startBackup, {machMs(500), adv(150, machLowAddr)}},
			wantState: StateBackup, wantActs: []Action{SetTimer{machAt(machMs(500) + mdi)}},
			check: func(t *testing.T, s MachineState) {
				if s.MasterAddr != machLowAddr || s.MasterPriority != 150 {
					t.Errorf("master %v/%d, want %v/150", s.MasterAddr, s.MasterPriority, machLowAddr)
				}
			}},
		{name: "backup equal priority from lower address still resets", ticks: []machTick{startBackup, {machMs(500), adv(100, machLowAddr)}},
			wantState: StateBackup, wantActs: []Action{SetTimer{machAt(machMs(500) + mdi)}}},
		{name: "backup lower priority ignored with preempt", ticks: []machTick{startBackup, {machMs(500), adv(50, machHighAddr)}},
			wantState: StateBackup, wantActs: nil,
			check: func(t *testing.T, s MachineState) {
				if s.Deadline != machAt(mdi) {
					t.Errorf("deadline %v, want unchanged %v", s.Deadline, machAt(mdi))
				}
			}},
		{name: "backup lower priority resets with nopreempt", edit: func(c *Config) { c.Nopreempt = true },
			ticks: []machTick{startBackup, {machMs(500), adv(50, machHighAddr)}}, wantState: StateBackup,
			wantActs: []Action{SetTimer{machAt(machMs(500) + mdi)}}},
		{name: "backup priority 0 waits skew only", ticks: []machTick{startBackup, {machMs(500), adv(0, machHighAddr)}},
			wantState: StateBackup, wantActs: []Action{SetTimer{machAt(machMs(500) + skew)}}},
		{name: "backup v2 ignores advert interval", ticks: []machTick{startBackup, {machMs(500), AdvertReceived{Priority: 150, Src: machLowAddr, Interval: 5 * time.Second}}},
			wantState: StateBackup, wantActs: []Action{SetTimer{machAt(machMs(500) + mdi)}}},
		{name: "backup v3 learns master interval", edit: func(c *Config) { c.Version = 3; c.AdvertInterval = machMs(100) },
			ticks:     []machTick{startBackup, {machMs(50), AdvertReceived{Priority: 150, Src: machLowAddr, Interval: machMs(200)}}},
			wantState: StateBackup, wantActs: []Action{SetTimer{machAt(machMs(50) + MasterDownInterval(3, 100, machMs(200)))}},
			check: func(t *testing.T, s MachineState) {
				if s.MasterAdverInterval != machMs(200) {
					t.Errorf("MasterAdverInterval %v, want 200ms", s.MasterAdverInterval)
				}
			}},
		{name: "backup v3 priority 0 skew from learned interval", edit: func(c *Config) { c.Version = 3; c.AdvertInterval = machMs(100) },
			ticks: []machTick{startBackup, {machMs(50), AdvertReceived{Priority: 150, Src: machLowAddr, Interval: machMs(200)}},
				{machMs(100), AdvertReceived{Priority: 0, Src: machLowAddr, Interval: machMs(200)}}},
			wantState: StateBackup, wantActs: []Action{SetTimer{machAt(machMs(100) + SkewTime(3, 100, machMs(200)))}}},
		{name: "backup shutdown stops", ticks: []machTick{startBackup, {machMs(10), Shutdown{}}},
			wantState: StateInit, wantActs: []Action{EnterInit{}, StopTimer{}}},
		{name: "backup fault down", ticks: []machTick{startBackup, {machMs(10), FaultDown{}}},
			wantState: StateFault, wantActs: []Action{EnterFault{}, StopTimer{}}},
		{name: "backup priority change keeps deadline", ticks: []machTick{startBackup, {machMs(10), PriorityChanged{120}}},
			wantState: StateBackup, wantActs: nil,
			check: func(t *testing.T, s MachineState) {
				if s.Priority != 120 || s.Deadline != machAt(mdi) {
					t.Errorf("priority %d deadline %v, want 120 and %v", s.Priority, s.Deadline, machAt(mdi))
				}
			}},
		{name: "backup raised above master preempts at next timeout",
			ticks: []machTick{startBackup, {machMs(100), adv(110, machLowAddr)}, {machMs(200), PriorityChanged{120}},
				{machMs(1100), adv(110, machLowAddr)}, {machMs(100) + mdi, Timer{}}},
			wantState: StateMaster, wantActs: []Action{SendAdvert{120}, BecomeMaster{}, SetTimer{machAt(machMs(100) + mdi + time.Second)}}},

		// MASTER
		{name: "master advert timer", ticks: append(becomeMaster, machTick{mdi + time.Second, Timer{}}),
			wantState: StateMaster, wantActs: []Action{SendAdvert{100}, SetTimer{machAt(mdi + 2*time.Second)}}},
		{name: "master stale timer ignored", ticks: append(becomeMaster, machTick{mdi + machMs(900), Timer{}}), wantState: StateMaster},
		{name: "master higher priority becomes backup", ticks: append(becomeMaster, machTick{mdi + machMs(100), adv(150, machLowAddr)}),
			wantState: StateBackup, wantActs: []Action{BecomeBackup{}, SetTimer{machAt(2*mdi + machMs(100))}}},
		{name: "master equal priority from higher address becomes backup", ticks: append(becomeMaster, machTick{mdi + machMs(100), adv(100, machHighAddr)}),
			wantState: StateBackup, wantActs: []Action{BecomeBackup{}, SetTimer{machAt(2*mdi + machMs(100))}}},
		{name: "master equal priority from lower address answers", ticks: append(becomeMaster, machTick{mdi + machMs(100), adv(100, machLowAddr)}),
			wantState: StateMaster, wantActs: []Action{SendAdvert{100}},
			check: func(t *testing.T, s MachineState) {
				if s.Deadline != machAt(mdi+time.Second) {
					t.Errorf("deadline %v, want unchanged %v", s.Deadline, machAt(mdi+time.Second))
				}
			}},
		{name: "master lower priority answers at once", ticks: append(becomeMaster, machTick{mdi + machMs(100), adv(50, machHighAddr)}),
			wantState: StateMaster, wantActs: []Action{SendAdvert{100}}},
		{name: "master priority 0 answers and resets advert timer", ticks: append(becomeMaster, machTick{mdi + machMs(100), adv(0, machHighAddr)}),
			wantState: StateMaster, wantActs: []Action{SendAdvert{100}, SetTimer{machAt(mdi + machMs(1100))}}},
		{name: "master own looped advert ignored", ticks: append(becomeMaster, machTick{mdi + machMs(100), adv(100, machOurAddr)}),
			wantState: StateMaster, wantActs: nil},
		{name: "master v3 learns interval when yielding", edit: func(c *Config) { c.Version = 3; c.AdvertInterval = machMs(100) },
			ticks: []machTick{startBackup, {MasterDownInterval(3, 100, machMs(100)), Timer{}},
				{machMs(500), AdvertReceived{Priority: 200, Src: machLowAddr, Interval: machMs(300)}}},
			wantState: StateBackup, wantActs: []Action{BecomeBackup{}, SetTimer{machAt(machMs(500) + MasterDownInterval(3, 100, machMs(300)))}}},
		{name: "master shutdown sends priority 0", ticks: append(becomeMaster, machTick{mdi + machMs(100), Shutdown{}}),
			wantState: StateInit, wantActs: []Action{SendAdvert{0}, EnterInit{}, StopTimer{}}},
		{name: "master fault hands over with priority 0", ticks: append(becomeMaster, machTick{mdi + machMs(100), FaultDown{}}),
			wantState: StateFault, wantActs: []Action{SendAdvert{0}, EnterFault{}, StopTimer{}}},
		{name: "master priority change advertised at once", ticks: append(becomeMaster, machTick{mdi + machMs(100), PriorityChanged{80}}),
			wantState: StateMaster, wantActs: []Action{SendAdvert{80}, SetTimer{machAt(mdi + machMs(1100))}}},
		{name: "master unchanged priority is silent", ticks: append(becomeMaster, machTick{mdi + machMs(100), PriorityChanged{100}}),
			wantState: StateMaster, wantActs: nil},
		{name: "priority clamped below", ticks: append(becomeMaster, machTick{mdi + machMs(100), PriorityChanged{-30}}),
			wantState: StateMaster, wantActs: []Action{SendAdvert{1}, SetTimer{machAt(mdi + machMs(1100))}}},
		{name: "priority clamped below owner", ticks: append(becomeMaster, machTick{mdi + machMs(100), PriorityChanged{300}}),
			wantState: StateMaster, wantActs: []Action{SendAdvert{254}, SetTimer{machAt(mdi + machMs(1100))}}},
		{name: "owner keeps 255", edit: func(c *Config) { c.Priority = 255 },
			ticks:     []machTick{startBackup, {machMs(10), PriorityChanged{200}}, {machMs(20), PriorityChanged{255}}},
			wantState: StateMaster, wantActs: []Action{SendAdvert{255}, SetTimer{machAt(machMs(1020))}}},

		// Sync group
		{name: "backup forced master", ticks: []machTick{startBackup, {machMs(300), ForceMaster{}}},
			wantState: StateMaster, wantActs: []Action{SendAdvert{100}, BecomeMaster{}, SetTimer{machAt(machMs(1300))}}},
		{name: "master ignores force master", ticks: append(becomeMaster, machTick{mdi + machMs(100), ForceMaster{}}),
			wantState: StateMaster, wantActs: nil},
		{name: "fault ignores force master", ticks: []machTick{startBackup, {machMs(10), FaultDown{}}, {machMs(20), ForceMaster{}}},
			wantState: StateFault, wantActs: nil},
		{name: "init ignores force master", ticks: []machTick{{0, ForceMaster{}}}, wantState: StateInit},
		{name: "master forced backup arms master-down without priority 0",
			ticks:     append(becomeMaster, machTick{mdi + machMs(100), ForceBackup{}}),
			wantState: StateBackup, wantActs: []Action{BecomeBackup{}, SetTimer{machAt(2*mdi + machMs(100))}}},
		{name: "v3 forced backup uses own interval", edit: func(c *Config) { c.Version = 3; c.AdvertInterval = machMs(100) },
			ticks: []machTick{startBackup, {MasterDownInterval(3, 100, machMs(100)), Timer{}},
				{machMs(500), ForceBackup{}}},
			wantState: StateBackup, wantActs: []Action{BecomeBackup{}, SetTimer{machAt(machMs(500) + MasterDownInterval(3, 100, machMs(100)))}}},
		{name: "backup ignores force backup", ticks: []machTick{startBackup, {machMs(10), ForceBackup{}}},
			wantState: StateBackup, wantActs: nil},
		{name: "fault ignores force backup", ticks: []machTick{startBackup, {machMs(10), FaultDown{}}, {machMs(20), ForceBackup{}}},
			wantState: StateFault, wantActs: nil},
		{name: "held backup waits another master-down", ticks: []machTick{startBackup, {mdi, holdBackup{}}},
			wantState: StateBackup, wantActs: []Action{SetTimer{machAt(2 * mdi)}}},
		{name: "master ignores hold", ticks: append(becomeMaster, machTick{mdi + machMs(100), holdBackup{}}),
			wantState: StateMaster, wantActs: nil},
		{name: "forced master after held backup", ticks: []machTick{startBackup, {mdi, holdBackup{}}, {mdi + machMs(5), ForceMaster{}}},
			wantState: StateMaster, wantActs: []Action{SendAdvert{100}, BecomeMaster{}, SetTimer{machAt(mdi + machMs(1005))}}},

		// FAULT
		{name: "fault ignores adverts", ticks: []machTick{startBackup, {machMs(10), FaultDown{}}, {machMs(20), adv(200, machHighAddr)}},
			wantState: StateFault, wantActs: nil},
		{name: "fault ignores repeated fault down", ticks: []machTick{startBackup, {machMs(10), FaultDown{}}, {machMs(20), FaultDown{}}},
			wantState: StateFault, wantActs: nil},
		{name: "fault up returns to backup", ticks: []machTick{startBackup, {machMs(10), FaultDown{}}, {machMs(20), FaultUp{}}},
			wantState: StateBackup, wantActs: []Action{BecomeBackup{}, SetTimer{machAt(machMs(20) + mdi)}}},
		{name: "fault up no shortcut for initial master", edit: func(c *Config) { c.InitialState = StateMaster },
			ticks:     []machTick{startBackup, {machMs(10), FaultDown{}}, {machMs(20), FaultUp{}}},
			wantState: StateBackup, wantActs: []Action{BecomeBackup{}, SetTimer{machAt(machMs(20) + mdi)}}},
		{name: "owner fault up is master at once", edit: func(c *Config) { c.Priority = 255 },
			ticks:     []machTick{startBackup, {machMs(10), FaultDown{}}, {machMs(20), FaultUp{}}},
			wantState: StateMaster, wantActs: []Action{SendAdvert{255}, BecomeMaster{}, SetTimer{machAt(machMs(1020))}}},
		{name: "fault up forgets learned v3 interval", edit: func(c *Config) { c.Version = 3; c.AdvertInterval = machMs(100) },
			ticks: []machTick{startBackup, {machMs(10), AdvertReceived{Priority: 200, Src: machLowAddr, Interval: machMs(500)}},
				{machMs(20), FaultDown{}}, {machMs(30), FaultUp{}}},
			wantState: StateBackup, wantActs: []Action{BecomeBackup{}, SetTimer{machAt(machMs(30) + MasterDownInterval(3, 100, machMs(100)))}}},
		{name: "fault shutdown", ticks: []machTick{startBackup, {machMs(10), FaultDown{}}, {machMs(20), Shutdown{}}},
			wantState: StateInit, wantActs: []Action{EnterInit{}}},
		{name: "fault timer ignored", ticks: []machTick{startBackup, {machMs(10), FaultDown{}}, {mdi, Timer{}}},
			wantState: StateFault, wantActs: nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := machBaseConfig()
			if c.edit != nil {
				c.edit(&cfg)
			}
			s, acts := machRun(mustMachine(t, cfg), c.ticks)
			if s.State != c.wantState {
				t.Errorf("state %v, want %v", s.State, c.wantState)
			}
			if !reflect.DeepEqual(acts, c.wantActs) {
				t.Errorf("actions\n got %#v\nwant %#v", acts, c.wantActs)
			}
			if c.check != nil {
				c.check(t, s)
			}
		})
	}
}

// Since records the time of the last transition only.
func TestMachineSince(t *testing.T) {
	m := mustMachine(t, machBaseConfig())
	s, _ := m.Step(m.Initial(), Startup{}, machAt(machMs(5)))
	s, _ = m.Step(s, AdvertReceived{Priority: 200, Src: machLowAddr}, machAt(machMs(700)))
	if s.Since != machAt(machMs(5)) {
		t.Errorf("Since %v after an advert, want the startup time %v", s.Since, machAt(machMs(5)))
	}
}

func TestMachinePreemptDelay(t *testing.T) {
	cfg := machBaseConfig()
	cfg.PreemptDelay = 10 * time.Second
	m := mustMachine(t, cfg)
	mdi := MasterDownInterval(2, 100, time.Second)
	lower := AdvertReceived{Priority: 50, Src: machLowAddr}

	s, _ := m.Step(m.Initial(), Startup{}, machAt(0))
	// A lower priority master heard every second: the delay starts at the
	// first advert (t=0.5s) and we defer until it runs out at 10.5s.
	var acts []Action
	for ti := machMs(500); ti < machMs(10500); ti += time.Second {
		s, acts = m.Step(s, lower, machAt(ti))
		if want := []Action{SetTimer{machAt(ti + mdi)}}; !reflect.DeepEqual(acts, want) {
			t.Fatalf("advert at %v: actions %#v, want %#v", ti, acts, want)
		}
	}
	if s.PreemptAt != machAt(machMs(10500)) {
		t.Fatalf("PreemptAt %v, want %v", s.PreemptAt, machAt(machMs(10500)))
	}
	// From 10.5s on the lower adverts are ignored: the timer armed at 9.5s
	// runs out and we preempt.
	s, acts = m.Step(s, lower, machAt(machMs(10500)))
	if acts != nil {
		t.Fatalf("advert after the delay: actions %#v, want none", acts)
	}
	s, _ = m.Step(s, Timer{}, machAt(machMs(9500)+mdi))
	if s.State != StateMaster {
		t.Fatalf("state %v after the delay and master-down, want master", s.State)
	}

	// A master at least as good as us cancels a running delay.
	s, _ = m.Step(m.Initial(), Startup{}, machAt(0))
	s, _ = m.Step(s, lower, machAt(machMs(500)))
	s, _ = m.Step(s, AdvertReceived{Priority: 150, Src: machLowAddr}, machAt(machMs(1500)))
	if !s.PreemptAt.IsZero() {
		t.Errorf("PreemptAt %v after a higher priority advert, want cleared", s.PreemptAt)
	}
}

func TestMachineStepDoesNotMutateInput(t *testing.T) {
	m := mustMachine(t, machBaseConfig())
	before, _ := m.Step(m.Initial(), Startup{}, machAt(0))
	copyBefore := before
	m.Step(before, Timer{}, machAt(time.Hour))
	if before != copyBefore {
		t.Errorf("Step changed its input state: %+v -> %+v", copyBefore, before)
	}
}

// A reload changes the state only where the new settings demand it.
func TestMachineReconfigured(t *testing.T) {
	mdi := MasterDownInterval(2, 100, time.Second)
	atMaster := []machTick{{0, Startup{}}, {mdi, Timer{}}}
	atBackup := []machTick{{0, Startup{}}}
	cases := []struct {
		name      string
		ticks     []machTick // on the old configuration
		edit      func(*Config)
		priority  int // new effective priority; 0: the new configured one
		wantState State
		wantActs  []Action
		check     func(*testing.T, MachineState)
	}{
		{name: "unchanged master is silent", ticks: atMaster, edit: func(*Config) {}, wantState: StateMaster},
		{name: "unchanged backup is silent", ticks: atBackup, edit: func(*Config) {}, wantState: StateBackup},
		{name: "master new priority advertised", ticks: atMaster, edit: func(c *Config) { c.Priority = 90 },
			wantState: StateMaster, wantActs: []Action{SendAdvert{90}, SetTimer{machAt(mdi + time.Second)}}},
		{name: "backup new priority keeps timer", ticks: atBackup, edit: func(c *Config) { c.Priority = 150 },
			wantState: StateBackup, wantActs: nil,
			check: func(t *testing.T, s MachineState) {
				if s.Priority != 150 || s.Deadline != machAt(mdi) {
					t.Errorf("priority %d deadline %v, want 150 and %v", s.Priority, s.Deadline, machAt(mdi))
				}
			}},
		{name: "backup becoming owner takes over", ticks: atBackup, edit: func(c *Config) { c.Priority = 255 },
			wantState: StateMaster, wantActs: []Action{SendAdvert{255}, BecomeMaster{}, SetTimer{machAt(mdi + time.Second)}}},
		{name: "owner losing 255 stays master", ticks: []machTick{{0, Startup{}}}, priority: 100,
			edit: func(c *Config) { c.Priority = 100 }, wantState: StateMaster,
			wantActs: []Action{SendAdvert{100}, SetTimer{machAt(mdi + time.Second)}}},
		{name: "master new interval re-arms", ticks: atMaster, edit: func(c *Config) { c.AdvertInterval = 3 * time.Second },
			wantState: StateMaster, wantActs: []Action{SetTimer{machAt(mdi + 3*time.Second)}}},
		{name: "backup new interval re-arms master-down", ticks: atBackup, edit: func(c *Config) { c.AdvertInterval = 2 * time.Second },
			wantState: StateBackup, wantActs: []Action{SetTimer{machAt(mdi + MasterDownInterval(2, 100, 2*time.Second))}},
			check: func(t *testing.T, s MachineState) {
				if s.MasterAdverInterval != 2*time.Second {
					t.Errorf("MasterAdverInterval %v, want 2s", s.MasterAdverInterval)
				}
			}},
		{name: "fault keeps fault with new priority", ticks: []machTick{{0, Startup{}}, {machMs(10), FaultDown{}}},
			edit: func(c *Config) { c.Priority = 200; c.AdvertInterval = 2 * time.Second }, wantState: StateFault, wantActs: nil,
			check: func(t *testing.T, s MachineState) {
				if s.Priority != 200 || !s.Deadline.IsZero() {
					t.Errorf("priority %d deadline %v, want 200 and none", s.Priority, s.Deadline)
				}
			}},
		{name: "preempt change forgets delay", ticks: []machTick{{0, Startup{}}, {machMs(500), AdvertReceived{Priority: 50, Src: machLowAddr}}},
			edit: func(c *Config) { c.PreemptDelay = 0 }, wantState: StateBackup, wantActs: nil,
			check: func(t *testing.T, s MachineState) {
				if !s.PreemptAt.IsZero() {
					t.Errorf("PreemptAt %v, want cleared", s.PreemptAt)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			oldCfg := machBaseConfig()
			oldCfg.PreemptDelay = 5 * time.Second
			if c.name == "owner losing 255 stays master" {
				oldCfg.Priority = 255
			}
			newCfg := oldCfg
			c.edit(&newCfg)
			s, _ := machRun(mustMachine(t, oldCfg), c.ticks)
			prio := c.priority
			if prio == 0 {
				prio = int(newCfg.Priority)
			}
			now := machAt(mdi)
			s, acts := mustMachine(t, newCfg).Step(s, reconfigured{old: oldCfg, Priority: prio}, now)
			if s.State != c.wantState {
				t.Errorf("state %v, want %v", s.State, c.wantState)
			}
			if !reflect.DeepEqual(acts, c.wantActs) {
				t.Errorf("actions\n got %#v\nwant %#v", acts, c.wantActs)
			}
			if c.check != nil {
				c.check(t, s)
			}
		})
	}
}
