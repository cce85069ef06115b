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
	State            State
	Since            time.Time
	Priority         uint8 // effective
	MasterAddr       netip.Addr
	Transitions      uint64
	AdvertsSent      uint64
	AdvertsReceived  uint64 // valid ones, for our VRID
	Rejected         map[string]uint64
	SendErrors       uint64
	OtherVRIDAdverts uint64
	LastSendError    string
}

// Instance runs a Machine over a Transport: received adverts, its timer
// and tracking become events; the actions become adverts and hooks.
type Instance struct {
	cfg     InstanceConfig
	m       Machine
	tr      *Transport
	hooks   Hooks
	rejects *RejectLog
	log     *slog.Logger
	events  chan Event

	mu sync.Mutex // guards st and status for Status
	st MachineState
	s  InstanceStatus
}

// NewInstance validates cfg and builds an instance; Run starts it.
func NewInstance(cfg InstanceConfig, tr *Transport, hooks Hooks, log *slog.Logger) (*Instance, error) {
	m, err := NewMachine(cfg.Machine)
	if err != nil {
		return nil, fmt.Errorf("vrrp instance %s: %w", cfg.Name, err)
	}
	if cfg.VRID == 0 || len(cfg.Addrs) == 0 {
		return nil, fmt.Errorf("vrrp instance %s: needs a VRID (1..255) and at least one virtual address", cfg.Name)
	}
	// An advert we could not marshal is a configuration error, found now.
	if _, err := cfg.advert(1).Marshal(cfg.Machine.PrimaryAddr, Group); err != nil {
		return nil, fmt.Errorf("vrrp instance %s: %w", cfg.Name, err)
	}
	in := &Instance{cfg: cfg, m: m, tr: tr, hooks: hooks, log: log, events: make(chan Event, 16),
		rejects: NewRejectLog(log.With("vrrp_instance", cfg.Name), time.Now)}
	in.st = m.Initial()
	in.s = InstanceStatus{Name: cfg.Name, State: in.st.State, Priority: in.st.Priority}
	return in, nil
}

func (c InstanceConfig) advert(prio uint8) Advert {
	return Advert{Version: c.Machine.Version, VRID: c.VRID, Priority: prio, Interval: c.Machine.AdvertInterval,
		Addrs: c.Addrs, AuthType: c.AuthType, AuthData: c.AuthData}
}

func (c InstanceConfig) expect() Expect {
	return Expect{Version: c.Machine.Version, VRID: c.VRID, Interval: c.Machine.AdvertInterval, Addrs: c.Addrs,
		AuthType: c.AuthType, AuthData: c.AuthData}
}

// Fault and Recovered report tracking (a port link, a failed lcore);
// SetPriority a new effective priority. They never block: an instance
// that is this far behind drops the event and logs it.
func (in *Instance) Fault()            { in.post(FaultDown{}) }
func (in *Instance) Recovered()        { in.post(FaultUp{}) }
func (in *Instance) SetPriority(p int) { in.post(PriorityChanged{Priority: p}) }
func (in *Instance) post(ev Event) {
	select {
	case in.events <- ev:
	default:
		in.log.Warn("vrrp: event queue full, event dropped", "vrrp_instance", in.cfg.Name, "event", fmt.Sprintf("%T", ev))
	}
}

// Run starts the instance and runs it until ctx is done; then it stops
// gracefully (a master sends priority 0 and releases) and returns.
func (in *Instance) Run(ctx context.Context) error {
	packets := make(chan Packet, 16)
	readErr := make(chan error, 1)
	go in.read(ctx, packets, readErr)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	in.step(Startup{}, timer)
	for {
		select {
		case <-ctx.Done():
			in.step(Shutdown{}, timer)
			return nil
		case err := <-readErr:
			in.step(Shutdown{}, timer)
			return fmt.Errorf("vrrp instance %s: receive: %w", in.cfg.Name, err)
		case p := <-packets:
			if ev, ok := in.accept(p); ok {
				in.step(ev, timer)
			}
		case ev := <-in.events:
			in.step(ev, timer)
		case <-timer.C:
			in.step(Timer{}, timer)
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

// step runs one event through the machine and carries out its actions.
func (in *Instance) step(ev Event, timer *time.Timer) {
	now := time.Now()
	in.mu.Lock()
	before := in.st.State
	st, acts := in.m.Step(in.st, ev, now)
	in.st = st
	in.mu.Unlock()
	for _, a := range acts {
		switch a := a.(type) {
		case SendAdvert:
			in.send(a.Priority)
		case BecomeMaster:
			in.hooks.BecomeMaster()
		case BecomeBackup:
			in.hooks.Release(StateBackup)
		case EnterFault:
			in.hooks.Release(StateFault)
		case EnterInit:
			in.hooks.Release(StateInit)
		case SetTimer:
			timer.Stop()
			timer.Reset(max(a.At.Sub(now), 0))
		case StopTimer:
			timer.Stop()
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if st.State != before {
		in.s.Transitions++
		in.log.Info("vrrp: state changed", "vrrp_instance", in.cfg.Name, "from", before.String(), "to", st.State.String(),
			"priority", st.Priority, "master", st.MasterAddr)
	}
	in.s.State, in.s.Since, in.s.Priority, in.s.MasterAddr = st.State, st.Since, st.Priority, st.MasterAddr
}

func (in *Instance) send(prio uint8) {
	dsts := in.cfg.Peers
	if len(dsts) == 0 {
		dsts = []netip.Addr{Group}
	}
	for _, dst := range dsts {
		msg, err := in.cfg.advert(prio).Marshal(in.cfg.Machine.PrimaryAddr, dst)
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
