package vrrp

import "time"

// Machine is the VRRP state machine of RFC 3768 / RFC 5798 section 6.4 with
// keepalived 2.2.7's choices where they differ. It holds only the validated
// configuration: Step is a pure function of (state, event, time), with no
// goroutines and no clock reads, so every transition can be tested with fake
// times.
type Machine struct {
	cfg Config
}

// NewMachine validates cfg and returns the machine for it.
func NewMachine(cfg Config) (Machine, error) {
	if err := cfg.Validate(); err != nil {
		return Machine{}, err
	}
	if cfg.InitialState == StateInit {
		cfg.InitialState = StateBackup
	}
	return Machine{cfg: cfg}, nil
}

// Config returns the machine's configuration.
func (m Machine) Config() Config { return m.cfg }

// Initial is the state before Startup.
func (m Machine) Initial() MachineState {
	return MachineState{
		State:               StateInit,
		Priority:            m.cfg.Priority,
		MasterAdverInterval: m.cfg.AdvertInterval,
	}
}

// Step applies one event at time now and returns the new state and the
// actions to carry out, in order. Events that do not apply in the current
// state (an advert in INIT, a stale Timer) return the state unchanged and no
// actions. The caller re-arms its one timer on SetTimer/StopTimer and feeds
// Timer back when it fires.
func (m Machine) Step(s MachineState, ev Event, now time.Time) (MachineState, []Action) {
	st := &step{cfg: m.cfg, s: s, now: now}
	switch e := ev.(type) {
	case Startup:
		st.startup()
	case Shutdown:
		st.shutdown()
	case AdvertReceived:
		st.advert(e)
	case Timer:
		st.timer()
	case FaultDown:
		st.faultDown()
	case FaultUp:
		st.faultUp()
	case PriorityChanged:
		st.priorityChanged(e.Priority)
	case ForceMaster:
		st.forceMaster()
	case ForceBackup:
		st.forceBackup()
	case holdBackup:
		st.holdBackup()
	case reconfigured:
		st.reconfigured(e)
	}
	return st.s, st.acts
}

// step is one Step in progress: the state being changed and the actions so far.
type step struct {
	cfg  Config
	s    MachineState
	now  time.Time
	acts []Action
}

func (st *step) emit(a ...Action) { st.acts = append(st.acts, a...) }

func (st *step) enter(s State) {
	st.s.State = s
	st.s.Since = st.now
}

func (st *step) arm(after time.Duration) {
	st.s.Deadline = st.now.Add(after)
	st.emit(SetTimer{At: st.s.Deadline})
}

func (st *step) disarm() {
	if st.s.Deadline.IsZero() {
		return
	}
	st.s.Deadline = time.Time{}
	st.emit(StopTimer{})
}

func (st *step) masterDown() time.Duration {
	return MasterDownInterval(st.cfg.Version, st.s.Priority, st.s.MasterAdverInterval)
}

// startup leaves INIT: to FAULT if tracking is down, to MASTER at once for the
// address owner, else to BACKUP with the master-down timer running.
func (st *step) startup() {
	if st.s.State != StateInit {
		return
	}
	st.s.MasterAdverInterval = st.cfg.AdvertInterval
	st.s.PreemptAt = time.Time{}
	switch {
	case st.s.Faulted:
		st.enter(StateFault)
		st.emit(EnterFault{})
	case st.s.Priority == OwnerPriority:
		st.becomeMaster()
	case st.cfg.InitialState == StateMaster:
		// keepalived: "state MASTER" claims the addresses after one
		// interval of silence instead of three.
		st.becomeBackup(st.s.MasterAdverInterval + minimalSkew(st.cfg.Version, st.s.MasterAdverInterval))
	default:
		st.becomeBackup(st.masterDown())
	}
}

// shutdown returns to INIT; a master first says priority 0.
func (st *step) shutdown() {
	if st.s.State == StateInit {
		return
	}
	if st.s.State == StateMaster {
		st.emit(SendAdvert{Priority: 0})
	}
	st.enter(StateInit)
	st.emit(EnterInit{})
	st.disarm()
}

func (st *step) becomeMaster() {
	st.s.MasterAdverInterval = st.cfg.AdvertInterval
	st.s.MasterAddr = st.cfg.PrimaryAddr
	st.s.MasterPriority = st.s.Priority
	st.enter(StateMaster)
	st.emit(SendAdvert{Priority: st.s.Priority}, BecomeMaster{})
	st.arm(st.cfg.AdvertInterval)
}

func (st *step) becomeBackup(wait time.Duration) {
	st.enter(StateBackup)
	st.emit(BecomeBackup{})
	st.arm(wait)
}

// timer handles a passed deadline: a backup declares the master down, a
// master sends its periodic advert.
func (st *step) timer() {
	if st.s.Deadline.IsZero() || st.now.Before(st.s.Deadline) {
		return
	}
	switch st.s.State {
	case StateBackup:
		st.becomeMaster()
	case StateMaster:
		st.emit(SendAdvert{Priority: st.s.Priority})
		st.arm(st.cfg.AdvertInterval)
	}
}

func (st *step) advert(a AdvertReceived) {
	switch st.s.State {
	case StateBackup:
		st.backupAdvert(a)
	case StateMaster:
		st.masterAdvert(a)
	}
}

// backupAdvert is RFC 3768 6.4.2 with keepalived's preempt_delay: priority 0
// shortens the wait to Skew_Time; an advert we do not preempt restarts the
// master-down timer; a lower priority one we preempt is ignored, so the timer
// runs out and we take over.
func (st *step) backupAdvert(a AdvertReceived) {
	if a.Priority == 0 {
		st.arm(SkewTime(st.cfg.Version, st.s.Priority, st.s.MasterAdverInterval))
		return
	}
	st.s.MasterAddr, st.s.MasterPriority = a.Src, a.Priority
	if !st.accepts(a.Priority) {
		return
	}
	if st.cfg.Version == 3 && a.Interval > 0 {
		st.s.MasterAdverInterval = a.Interval
	}
	st.trackPreemptDelay(a.Priority)
	st.arm(st.masterDown())
}

// accepts reports whether a backup keeps deferring to a master of priority p.
func (st *step) accepts(p uint8) bool {
	if st.cfg.Nopreempt || p >= st.s.Priority {
		return true
	}
	return st.cfg.PreemptDelay > 0 && (st.s.PreemptAt.IsZero() || st.now.Before(st.s.PreemptAt))
}

// trackPreemptDelay starts the delay at the first lower priority advert and
// forgets it when a master at least as good as us appears.
func (st *step) trackPreemptDelay(p uint8) {
	if st.cfg.PreemptDelay == 0 {
		return
	}
	if p >= st.s.Priority {
		st.s.PreemptAt = time.Time{}
	} else if st.s.PreemptAt.IsZero() {
		st.s.PreemptAt = st.now.Add(st.cfg.PreemptDelay)
	}
}

// masterAdvert is RFC 3768 6.4.3 plus keepalived's answer to a lower
// priority master: an advert at once ("forcing new election") so that the
// other side, which must have missed ours, steps down quickly.
func (st *step) masterAdvert(a AdvertReceived) {
	if a.Priority == 0 {
		st.emit(SendAdvert{Priority: st.s.Priority})
		st.arm(st.cfg.AdvertInterval)
		return
	}
	cmp := a.Src.Compare(st.cfg.PrimaryAddr)
	switch {
	case a.Priority > st.s.Priority || (a.Priority == st.s.Priority && cmp > 0):
		if st.cfg.Version == 3 && a.Interval > 0 {
			st.s.MasterAdverInterval = a.Interval
		}
		st.s.MasterAddr, st.s.MasterPriority = a.Src, a.Priority
		st.s.PreemptAt = time.Time{}
		st.becomeBackup(st.masterDown())
	case a.Priority < st.s.Priority || cmp < 0:
		st.emit(SendAdvert{Priority: st.s.Priority})
	}
	// Equal priority from our own address: our advert looped back; ignore.
}

// faultDown enters FAULT; a master hands over at once with priority 0, as
// keepalived does.
func (st *step) faultDown() {
	st.s.Faulted = true
	switch st.s.State {
	case StateMaster:
		st.emit(SendAdvert{Priority: 0})
	case StateBackup:
	default:
		return
	}
	st.enter(StateFault)
	st.emit(EnterFault{})
	st.disarm()
}

// faultUp leaves FAULT as a fresh start would, except that "state MASTER"
// gets no shortcut (keepalived only applies it at start).
func (st *step) faultUp() {
	st.s.Faulted = false
	if st.s.State != StateFault {
		return
	}
	st.s.MasterAdverInterval = st.cfg.AdvertInterval
	st.s.PreemptAt = time.Time{}
	if st.s.Priority == OwnerPriority {
		st.becomeMaster()
		return
	}
	st.becomeBackup(st.masterDown())
}

// priorityChanged sets the effective priority. A master advertises the new
// value at once so that a better backup can preempt without waiting for the
// next interval; a backup's new skew applies from the next timer restart.
func (st *step) priorityChanged(p int) {
	np := st.clampPriority(p)
	if np == st.s.Priority {
		return
	}
	st.s.Priority = np
	if st.s.State == StateMaster {
		st.s.MasterPriority = np
		st.emit(SendAdvert{Priority: np})
		st.arm(st.cfg.AdvertInterval)
	}
}

func (st *step) clampPriority(p int) uint8 {
	switch {
	case p == int(st.cfg.Priority):
		return st.cfg.Priority
	case p < 1:
		return 1
	case p >= OwnerPriority:
		return OwnerPriority - 1
	}
	return uint8(p)
}
