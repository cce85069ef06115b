package vrrp

import "time"

// reconfigured is a reload of the instance: the machine stepping it holds
// the new configuration, old is the previous one and Priority the new
// effective priority. It changes the state only where the new settings
// demand it.
type reconfigured struct {
	old      Config
	Priority int
}

func (reconfigured) isEvent() {}

// reconfigured applies a reload without a needless transition: a new
// priority behaves as PriorityChanged (a master advertises it at once) and
// a new owner (255) takes over at once as at startup; a new advert
// interval (or version) re-arms the running timer with it; a changed
// preempt setting forgets a running preempt_delay.
func (st *step) reconfigured(e reconfigured) {
	old, cfg := e.old, st.cfg
	if old.PreemptDelay != cfg.PreemptDelay || old.Nopreempt != cfg.Nopreempt {
		st.s.PreemptAt = time.Time{}
	}
	before := len(st.acts)
	st.priorityChanged(e.Priority)
	armed := len(st.acts) > before
	if old.AdvertInterval != cfg.AdvertInterval || old.Version != cfg.Version {
		st.s.MasterAdverInterval = cfg.AdvertInterval
		switch {
		case st.s.State == StateMaster && !armed:
			st.arm(cfg.AdvertInterval)
		case st.s.State == StateBackup:
			st.arm(st.masterDown())
		}
	}
	if st.s.State == StateBackup && st.s.Priority == OwnerPriority {
		st.becomeMaster()
	}
}
