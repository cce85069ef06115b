package vrrp

// SetTracking reports the instance's own tracking level, computed by the
// caller (see Effective): fault when a weight-0 tracked object is down,
// priority the effective priority. It never blocks; only the latest level
// matters, so nothing is lost when calls come faster than the instance
// applies them. The instance is in FAULT while its own fault or its sync
// group's fault (another member's) is set.
func (in *Instance) SetTracking(fault bool, priority int) {
	in.setPending(func(l *levels) {
		l.fault, l.tracked, l.priority = fault, true, priority
	})
}

// setGroupFault is the sync group's level: another member is faulted by
// its own tracking.
func (in *Instance) setGroupFault(fault bool) {
	in.setPending(func(l *levels) { l.groupFault = fault })
}

// applyPending brings the machine to the pending levels, on the instance
// goroutine: a reload first, then the fault and priority in the order that
// sends no needless advert (into FAULT before the new priority, out of it
// after).
func (in *Instance) applyPending() {
	in.mu.Lock()
	p := in.pending
	in.pending.cfg = nil
	in.mu.Unlock()
	prio := int(in.cfg.Machine.Priority)
	if p.cfg != nil {
		prio = int(p.cfg.Machine.Priority)
	}
	if p.tracked {
		prio = p.priority
	}
	if p.cfg != nil {
		in.reconfigure(*p.cfg, prio)
	}
	was, now := in.applied.fault || in.applied.groupFault, p.fault || p.groupFault
	ownChanged := p.fault != in.applied.fault
	// A change of level the group's fault alone explains is forced.
	forced := !ownChanged
	if ownChanged && in.group != nil {
		// First, so that the group sees this member's own level when
		// the steps below report the transition.
		in.group.ownFault(in, p.fault)
	}
	if now && !was {
		in.step(FaultDown{}, forced)
	}
	in.step(PriorityChanged{Priority: prio}, false)
	if was && !now {
		in.step(FaultUp{}, forced)
	}
	p.cfg = nil
	in.applied = p
	in.mu.Lock()
	in.s.Fault, in.s.GroupFault = p.fault, p.groupFault
	in.mu.Unlock()
}
