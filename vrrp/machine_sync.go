package vrrp

// Sync group events: the group, not the wire, moves the instance.

// forceMaster follows another member that became MASTER: the same steps as
// a master-down timeout, at once.
func (st *step) forceMaster() {
	if st.s.State == StateBackup {
		st.becomeMaster()
	}
}

// forceBackup follows another member that went from MASTER to BACKUP. No
// priority-0 advert (keepalived neither): the other director takes over
// because the member that stepped down heard a better master, and this
// one's peer hears the same master's adverts on its own segment.
func (st *step) forceBackup() {
	if st.s.State != StateMaster {
		return
	}
	st.s.MasterAdverInterval = st.cfg.AdvertInterval
	st.becomeBackup(st.masterDown())
}

// holdBackup is the sync group's veto of a take-over: the master-down
// timer ran out, but not every member of the group wants MASTER yet
// (keepalived prefers BACKUP to thrashing). The backup waits another
// master-down interval.
type holdBackup struct{}

func (holdBackup) isEvent() {}

func (st *step) holdBackup() {
	if st.s.State == StateBackup {
		st.arm(st.masterDown())
	}
}
