package vrrp

import (
	"net/netip"
	"time"
)

// State is an instance's VRRP state.
type State uint8

// The four states. INIT is before Startup and after Shutdown.
const (
	StateInit State = iota
	StateBackup
	StateMaster
	StateFault
)

// String gives the stable lowercase name used in metrics and logs.
func (s State) String() string {
	switch s {
	case StateInit:
		return "init"
	case StateBackup:
		return "backup"
	case StateMaster:
		return "master"
	case StateFault:
		return "fault"
	}
	return "unknown"
}

// MachineState is everything the machine remembers between events. It is a
// plain value: the caller keeps it and passes it back to Machine.Step.
type MachineState struct {
	State State
	// Since is when State was entered.
	Since time.Time
	// Priority is the effective priority (configured priority after tracking
	// weights), the one advertised and used for elections and skew.
	Priority uint8
	// MasterAdverInterval is the interval the master-down timer is computed
	// from: ours, or in v3 the one learned from the master's adverts.
	MasterAdverInterval time.Duration
	// Deadline is when the machine wants a Timer event; zero means none.
	Deadline time.Time
	// PreemptAt is when a preempt_delay runs out; zero while not running.
	PreemptAt time.Time
	// Faulted is set while tracking reports a failure (FaultDown without a
	// later FaultUp), even before Startup.
	Faulted bool
	// MasterAddr and MasterPriority describe the last master heard from, for
	// the operator's view; they do not steer the machine.
	MasterAddr     netip.Addr
	MasterPriority uint8
}

// Event is an input to the state machine.
type Event interface{ isEvent() }

// Startup starts the instance (leaves INIT).
type Startup struct{}

// Shutdown stops the instance gracefully: a master announces priority 0 so
// that the backup takes over after only Skew_Time.
type Shutdown struct{}

// AdvertReceived is a validated advertisement for our VRID from another
// router.
type AdvertReceived struct {
	Priority uint8
	// Src is the sender's primary address (the IPv4 source).
	Src netip.Addr
	// Interval is the advert's Max Adver Int; v3 backups learn it as
	// Master_Adver_Interval. Ignored in v2, where a differing interval is a
	// rejected advert. Zero or negative means unknown.
	Interval time.Duration
}

// Timer says that the last deadline the machine asked for has passed. A Timer
// arriving before the current deadline (a stale one) is ignored.
type Timer struct{}

// FaultDown says that tracking found a failure (a port link down, a failed
// lcore): the instance goes to FAULT until FaultUp. The caller aggregates
// several tracked objects into this one level.
type FaultDown struct{}

// FaultUp says that everything tracked is healthy again.
type FaultUp struct{}

// PriorityChanged carries a new effective priority computed from tracking
// weights. Like keepalived, values outside 1..254 are clamped into it unless
// the value is the configured priority itself (an owner stays 255).
type PriorityChanged struct{ Priority int }

func (Startup) isEvent()         {}
func (Shutdown) isEvent()        {}
func (AdvertReceived) isEvent()  {}
func (Timer) isEvent()           {}
func (FaultDown) isEvent()       {}
func (FaultUp) isEvent()         {}
func (PriorityChanged) isEvent() {}

// Action is an output of the state machine, to be carried out in order.
// BecomeBackup, EnterFault and EnterInit all mean "do not hold the virtual
// addresses": release them if held.
type Action interface{ isAction() }

// SendAdvert sends one advertisement with the given priority (0 = leaving).
type SendAdvert struct{ Priority uint8 }

// BecomeMaster takes the virtual addresses and sends gratuitous ARPs. It
// always follows a SendAdvert, so the old master hears us before the ARPs.
type BecomeMaster struct{}

// BecomeBackup releases the virtual addresses (if held) and enters BACKUP.
type BecomeBackup struct{}

// EnterFault releases the virtual addresses (if held) and enters FAULT.
type EnterFault struct{}

// EnterInit releases the virtual addresses (if held): the instance stopped.
type EnterInit struct{}

// SetTimer asks for a Timer event at At, replacing any earlier request.
type SetTimer struct{ At time.Time }

// StopTimer cancels the pending timer request.
type StopTimer struct{}

func (SendAdvert) isAction()   {}
func (BecomeMaster) isAction() {}
func (BecomeBackup) isAction() {}
func (EnterFault) isAction()   {}
func (EnterInit) isAction()    {}
func (SetTimer) isAction()     {}
func (StopTimer) isAction()    {}

// ForceMaster says that another member of our sync group became MASTER by
// itself: a BACKUP follows at once (advert, BecomeMaster, advert timer).
// Ignored in other states.
type ForceMaster struct{}

// ForceBackup says that another member of our sync group went from MASTER
// to BACKUP by itself: a MASTER follows at once (BecomeBackup, master-down
// timer). Ignored in other states.
type ForceBackup struct{}

func (ForceMaster) isEvent() {}
func (ForceBackup) isEvent() {}
