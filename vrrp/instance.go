package vrrp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/govs-project/govs/internal/command"
)

// InstanceConfig is one VRRP instance (keepalived's vrrp_instance) on one
// transport.
type InstanceConfig struct {
	Name    string
	VRID    uint8
	Machine Config       // version, priority, interval, preempt, primary address
	Addrs   []netip.Addr // the virtual addresses
	// AuthType and AuthData are v2's authentication (AuthNone, or AuthPass
	// with PasswordData(password)).
	AuthType uint8
	AuthData [8]byte
	// Peers are unicast peers (keepalived's unicast_peer); none: adverts go
	// to Group.
	Peers []netip.Addr
	// Notify are the commands run on this instance's state changes, by
	// Notifier (nil: none are run).
	Notify   Notify
	Notifier *command.Notifier
	// OnTransition, if set, is called on the instance goroutine after the
	// hooks for every state change; it must not block.
	OnTransition func(Transition)
}

// Hooks are what an instance does besides sending adverts: hold the
// virtual addresses while MASTER (answer ARP for them, send gratuitous
// ARPs, forward their traffic) and let them go in any other state. They are
// called from the instance's goroutine, in order, and must not block long.
type Hooks interface {
	BecomeMaster()
	Release(to State) // BACKUP, FAULT or INIT
}

// InstanceStatus is the operator's view of an instance.
type InstanceStatus struct {
	Name             string
	Group            string // the sync group, if any
	State            State
	Since            time.Time
	BasePriority     uint8 // configured
	Priority         uint8 // effective
	Fault            bool  // own tracking reports a failure
	GroupFault       bool  // another member of the sync group is faulted
	MasterAddr       netip.Addr
	Transitions      uint64
	AdvertsSent      uint64
	AdvertsReceived  uint64 // valid ones, for our VRID
	Rejected         map[string]uint64
	SendErrors       uint64
	OtherVRIDAdverts uint64
	LastSendError    string
}

// Instance runs a Machine over a Conn: received adverts, its timer,
// tracking and its sync group become events; the actions become adverts,
// hooks and notifications.
type Instance struct {
	// Fixed at NewInstance: a reload cannot change them.
	name    string
	vrid    uint8
	primary netip.Addr

	tr      Conn
	hooks   Hooks
	rejects *RejectLog
	log     *slog.Logger
	group   *SyncGroup // set by NewSyncGroup before Run

	// events carries the sync group's ForceMaster/ForceBackup; kick says
	// that pending levels (tracking, group fault, a reload) changed.
	events chan Event
	kick   chan struct{}
	timer  *time.Timer

	// Owned by the instance goroutine (Run).
	cfg     InstanceConfig
	m       Machine
	applied levels
	want    bool // told the group we want MASTER

	mu      sync.Mutex // guards st, s and pending
	st      MachineState
	s       InstanceStatus
	pending levels
}

// levels are the inputs an instance takes as a level, not an edge: only
// the latest value matters, so they are never dropped, only coalesced.
type levels struct {
	fault      bool // own tracking
	groupFault bool // another member's own tracking
	tracked    bool // SetTracking was called: priority is set
	priority   int  // effective priority from tracking
	cfg        *InstanceConfig
}

// eventQueue bounds the sync group's pending edge events per instance.
const eventQueue = 64

// NewInstance validates cfg and builds an instance; Run starts it.
func NewInstance(cfg InstanceConfig, tr Conn, hooks Hooks, log *slog.Logger) (*Instance, error) {
	m, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	in := &Instance{name: cfg.Name, vrid: cfg.VRID, primary: cfg.Machine.PrimaryAddr,
		cfg: cfg, m: m, tr: tr, hooks: hooks, log: log,
		events: make(chan Event, eventQueue), kick: make(chan struct{}, 1),
		rejects: NewRejectLog(log.With("vrrp_instance", cfg.Name), time.Now)}
	in.st = m.Initial()
	in.s = InstanceStatus{Name: cfg.Name, State: in.st.State, Priority: in.st.Priority, BasePriority: cfg.Machine.Priority}
	return in, nil
}

// validate checks what NewInstance and Reconfigure need and returns the
// machine for cfg.
func (c InstanceConfig) validate() (Machine, error) {
	m, err := NewMachine(c.Machine)
	if err != nil {
		return Machine{}, fmt.Errorf("vrrp instance %s: %w", c.Name, err)
	}
	if c.VRID == 0 || len(c.Addrs) == 0 {
		return Machine{}, fmt.Errorf("vrrp instance %s: needs a VRID (1..255) and at least one virtual address", c.Name)
	}
	// An advert we could not marshal is a configuration error, found now.
	if _, err := c.advert(1).Marshal(c.Machine.PrimaryAddr, Group); err != nil {
		return Machine{}, fmt.Errorf("vrrp instance %s: %w", c.Name, err)
	}
	return m, nil
}

func (c InstanceConfig) advert(prio uint8) Advert {
	return Advert{Version: c.Machine.Version, VRID: c.VRID, Priority: prio, Interval: c.Machine.AdvertInterval,
		Addrs: c.Addrs, AuthType: c.AuthType, AuthData: c.AuthData}
}

func (c InstanceConfig) expect() Expect {
	return Expect{Version: c.Machine.Version, VRID: c.VRID, Interval: c.Machine.AdvertInterval, Addrs: c.Addrs,
		AuthType: c.AuthType, AuthData: c.AuthData}
}

// Name is the instance's name.
func (in *Instance) Name() string { return in.name }

// post queues an edge event from the sync group; it never blocks. An
// instance this far behind drops the event and logs it.
func (in *Instance) post(ev Event) {
	select {
	case in.events <- ev:
	default:
		in.log.Warn("vrrp: event queue full, event dropped", "vrrp_instance", in.name, "event", fmt.Sprintf("%T", ev))
	}
}

// setPending changes the pending levels and wakes the instance goroutine.
func (in *Instance) setPending(change func(*levels)) {
	in.mu.Lock()
	change(&in.pending)
	in.mu.Unlock()
	select {
	case in.kick <- struct{}{}:
	default: // a wake-up is already pending; it will see this change too
	}
}

// Run starts the instance and runs it until ctx is done; then it stops
// gracefully (a master sends priority 0 and releases) and returns.
func (in *Instance) Run(ctx context.Context) error {
	packets := make(chan Packet, 16)
	readErr := make(chan error, 1)
	readCtx, stopRead := context.WithCancel(ctx)
	defer stopRead()
	go in.read(readCtx, packets, readErr)
	in.timer = time.NewTimer(time.Hour)
	in.timer.Stop()
	in.applyPending() // tracking and reloads from before Run
	in.step(Startup{}, false)
	for {
		select {
		case <-ctx.Done():
			in.step(Shutdown{}, false)
			return nil
		case err := <-readErr:
			in.step(Shutdown{}, false)
			return fmt.Errorf("vrrp instance %s: receive: %w", in.name, err)
		case p := <-packets:
			if ev, ok := in.accept(p); ok {
				in.step(ev, false)
			}
		case ev := <-in.events:
			in.step(ev, true)
		case <-in.kick:
			in.applyPending()
		case <-in.timer.C:
			in.onTimer()
		}
	}
}

// read hands received datagrams to Run until ctx is done. The buffer is
// copied per packet: Run may still hold the previous one.
func (in *Instance) read(ctx context.Context, out chan<- Packet, errs chan<- error) {
	buf := make([]byte, 1500)
	for ctx.Err() == nil {
		in.tr.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		p, err := in.tr.Recv(buf)
		if errors.Is(err, errBadIPv4) {
			continue
		}
		if err != nil {
			if isTimeout(err) {
				continue
			}
			errs <- err
			return
		}
		p.Msg = slices.Clone(p.Msg)
		select {
		case out <- p:
		case <-ctx.Done():
			return
		}
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// accept validates a datagram as keepalived does; a rejection is counted
// (and logged once a minute per reason) and is silence to the machine.
func (in *Instance) accept(p Packet) (Event, bool) {
	a, err := Parse(p.Msg, p.Src, p.Dst, p.TTL)
	if err == nil {
		err = a.Check(in.cfg.expect())
	}
	if r, ok := ReasonOf(err); ok && r == ReasonVRIDMismatch {
		in.mu.Lock()
		in.s.OtherVRIDAdverts++
		in.mu.Unlock()
		return nil, false
	}
	if err != nil {
		in.rejects.Record(p.Src, err)
		return nil, false
	}
	in.mu.Lock()
	in.s.AdvertsReceived++
	in.mu.Unlock()
	return AdvertReceived{Priority: a.Priority, Src: p.Src, Interval: a.Interval}, true
}

func (in *Instance) send(prio uint8) {
	dsts := in.cfg.Peers
	if len(dsts) == 0 {
		dsts = []netip.Addr{Group}
	}
	for _, dst := range dsts {
		msg, err := in.cfg.advert(prio).Marshal(in.primary, dst)
		if err == nil {
			err = in.tr.Send(msg, dst)
		}
		in.mu.Lock()
		if err != nil {
			in.s.SendErrors++
			in.s.LastSendError = err.Error()
		} else {
			in.s.AdvertsSent++
		}
		in.mu.Unlock()
	}
}

// Status is the instance's state and counters now.
func (in *Instance) Status() InstanceStatus {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.s
	s.Rejected = in.rejects.Counts()
	return s
}
