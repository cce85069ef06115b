package vrrp

import "fmt"

// Reconfigure applies cfg, a reload of the same instance (same Name and
// VRID, and the same primary address, which the transport is bound to),
// on the instance goroutine. The state is kept: there is a transition
// only when the new settings demand one (a priority that now preempts, or
// 255); a new priority is advertised at once by a master; a new advert
// interval re-arms the timer; new virtual addresses are simply the ones
// advertised from now on. When tracking was set, the effective priority
// moves with the configured one until the next SetTracking (which the
// caller computes from the new base) corrects it.
func (in *Instance) Reconfigure(cfg InstanceConfig) error {
	if cfg.Name != in.name || cfg.VRID != in.vrid {
		return fmt.Errorf("vrrp instance %s (VRID %d): reload as %s (VRID %d): name and VRID cannot change", in.name, in.vrid, cfg.Name, cfg.VRID)
	}
	if cfg.Machine.PrimaryAddr != in.primary {
		return fmt.Errorf("vrrp instance %s: primary address %v -> %v: needs a new instance (the transport is bound to it)", in.name, in.primary, cfg.Machine.PrimaryAddr)
	}
	if _, err := cfg.validate(); err != nil {
		return err
	}
	in.setPending(func(l *levels) {
		if l.tracked {
			old := in.basePriority(l)
			l.priority += int(cfg.Machine.Priority) - int(old)
		}
		c := cfg
		l.cfg = &c
	})
	return nil
}

// basePriority is the configured priority the pending levels refer to:
// a pending reload's, else the one applied (s.BasePriority, under mu).
func (in *Instance) basePriority(l *levels) uint8 {
	if l.cfg != nil {
		return l.cfg.Machine.Priority
	}
	return in.s.BasePriority
}

// reconfigure swaps the configuration on the instance goroutine and steps
// the machine through the change with prio as the effective priority.
func (in *Instance) reconfigure(cfg InstanceConfig, prio int) {
	m, err := cfg.validate()
	if err != nil { // validated by Reconfigure; cannot happen
		in.log.Error("vrrp: reload rejected", "vrrp_instance", in.name, "err", err)
		return
	}
	old := in.cfg.Machine
	in.cfg, in.m = cfg, m
	in.mu.Lock()
	in.s.BasePriority = cfg.Machine.Priority
	in.mu.Unlock()
	in.step(reconfigured{old: old, Priority: prio}, false)
	in.log.Info("vrrp: reloaded", "vrrp_instance", in.name, "priority", cfg.Machine.Priority,
		"interval", cfg.Machine.AdvertInterval, "addresses", cfg.Addrs)
}
