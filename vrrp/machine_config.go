package vrrp

import (
	"fmt"
	"net/netip"
	"time"
)

// OwnerPriority is the priority of the router that owns the virtual
// addresses: it takes over at once instead of waiting for Master_Down.
const OwnerPriority = 255

// maxPreemptDelay is keepalived's upper bound for preempt_delay.
const maxPreemptDelay = 1000 * time.Second

// Config is what the state machine needs from one vrrp_instance. The zero
// values of Nopreempt, PreemptDelay and InitialState give keepalived's
// defaults: preempt, no delay, start as BACKUP.
type Config struct {
	// Version is 2 (RFC 3768) or 3 (RFC 5798).
	Version uint8
	// Priority is the configured priority, 1..255 (255 = address owner).
	Priority uint8
	// AdvertInterval is our Advertisement_Interval: whole seconds 1..255 in
	// v2, centiseconds 10 ms..40.95 s in v3.
	AdvertInterval time.Duration
	// Nopreempt keeps a backup in BACKUP even when it hears a lower priority
	// master (keepalived's nopreempt; needs initial state BACKUP).
	Nopreempt bool
	// PreemptDelay postpones preemption of a lower priority master: the clock
	// starts at the first such advert heard after start (keepalived's
	// preempt_delay, 0..1000 s).
	PreemptDelay time.Duration
	// PrimaryAddr is our source address, compared with the sender's when
	// priorities are equal (the higher address wins).
	PrimaryAddr netip.Addr
	// InitialState is StateBackup (or StateInit, meaning the same) or
	// StateMaster: keepalived's "state MASTER" waits only one advert interval
	// before claiming the addresses.
	InitialState State
}

// Validate reports the first setting the state machine cannot work with.
func (c Config) Validate() error {
	if c.Version != 2 && c.Version != 3 {
		return fmt.Errorf("vrrp: version %d: want 2 or 3", c.Version)
	}
	if c.Priority == 0 {
		return fmt.Errorf("vrrp: priority 0 is reserved for the leaving master: want 1..255")
	}
	if err := validateInterval(c.Version, c.AdvertInterval); err != nil {
		return err
	}
	if c.PreemptDelay < 0 || c.PreemptDelay > maxPreemptDelay {
		return fmt.Errorf("vrrp: preempt_delay %v: want 0..%v", c.PreemptDelay, maxPreemptDelay)
	}
	if !c.PrimaryAddr.Is4() {
		return fmt.Errorf("vrrp: primary address %v: want an IPv4 address", c.PrimaryAddr)
	}
	switch c.InitialState {
	case StateInit, StateBackup:
	case StateMaster:
		if c.Nopreempt {
			return fmt.Errorf("vrrp: nopreempt needs initial state BACKUP, not MASTER")
		}
	default:
		return fmt.Errorf("vrrp: initial state %v: want backup or master", c.InitialState)
	}
	return nil
}

// validateInterval checks the interval fits the version's advert field: an
// 8-bit count of seconds (v2) or a 12-bit count of centiseconds (v3).
func validateInterval(version uint8, d time.Duration) error {
	if version == 2 {
		if d < time.Second || d > maxIntervalV2 || d%time.Second != 0 {
			return fmt.Errorf("vrrp: v2 advert interval %v: want whole seconds 1..255", d)
		}
		return nil
	}
	const centi = 10 * time.Millisecond
	if d < centi || d > maxIntervalV3 || d%centi != 0 {
		return fmt.Errorf("vrrp: v3 advert interval %v: want centiseconds 10ms..40.95s", d)
	}
	return nil
}
