package dataplane

import (
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Announce sends one gratuitous ARP ("who-has addr tell addr") for each
// of addrs from the port that owns it, counted as the slow path's
// garp_sent: what a VRRP instance does on becoming MASTER. Each address
// must be a port address or an active (not standby) VIP of the running
// configuration; otherwise nothing is sent. An address with a virtual MAC
// (Spec.VirtualMACs) is announced with it, others with their port's MAC.
func (dp *Dataplane) Announce(addrs []netip.Addr) error {
	return dp.AnnounceTimes(addrs, 1)
}

// MaxAnnounceTimes bounds AnnounceTimes' repeat count.
const MaxAnnounceTimes = 100

// AnnounceTimes sends times gratuitous ARPs for each of addrs, back to back
// (keepalived's garp_master_repeat), with the same rules as Announce.
func (dp *Dataplane) AnnounceTimes(addrs []netip.Addr, times int) error {
	if times < 1 || times > MaxAnnounceTimes {
		return fmt.Errorf("announce: %d gratuitous ARPs per address, want 1..%d", times, MaxAnnounceTimes)
	}
	ips, err := announceIPs(addrs)
	if err != nil {
		return err
	}
	return dp.slow.sp.Announce(ips, times, time.Now())
}

func announceIPs(addrs []netip.Addr) ([]uint32, error) {
	ips := make([]uint32, len(addrs))
	for i, a := range addrs {
		if !a.Is4() {
			return nil, fmt.Errorf("announce %v: not an IPv4 address", a)
		}
		ips[i] = addrU32(a)
	}
	return ips, nil
}

// GARPSchedule is keepalived's gratuitous ARP timing on becoming master.
type GARPSchedule struct {
	Repeat int           // garp_master_repeat: gratuitous ARPs per address in a burst (keepalived: 5)
	Delay  time.Duration // garp_master_delay: a second burst this long after the first (keepalived: 5s); 0: none
}

// Announcer sends gratuitous ARPs (the Dataplane).
type Announcer interface {
	Announce(addrs []netip.Addr) error
}

// AnnounceMaster sends a burst of sched.Repeat gratuitous ARPs for addrs
// now and, unless cancelled first, another after sched.Delay. The caller
// cancels on leaving MASTER; the second burst's error (the addresses went
// standby meanwhile) goes to onLateError, which may be nil.
func AnnounceMaster(a Announcer, addrs []netip.Addr, sched GARPSchedule, onLateError func(error)) (cancel func(), err error) {
	burst := func() error {
		for range max(sched.Repeat, 1) {
			if err := a.Announce(addrs); err != nil {
				return err
			}
		}
		return nil
	}
	if err := burst(); err != nil {
		return func() {}, err
	}
	if sched.Delay <= 0 {
		return func() {}, nil
	}
	var mu sync.Mutex
	cancelled := false
	t := time.AfterFunc(sched.Delay, func() {
		mu.Lock()
		defer mu.Unlock()
		if cancelled {
			return
		}
		if err := burst(); err != nil && onLateError != nil {
			onLateError(err)
		}
	})
	return func() {
		mu.Lock()
		defer mu.Unlock()
		cancelled = true
		t.Stop()
	}, nil
}
