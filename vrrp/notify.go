package vrrp

import (
	"net/netip"
	"time"
)

// Notify are the shell commands run on state changes (keepalived's
// notify_master, notify_backup, notify_fault, notify_stop and notify).
// Master, Backup, Fault and Stop run as given; Generic gets keepalived's
// arguments: INSTANCE|GROUP, the name, MASTER|BACKUP|FAULT|STOP and the
// priority. Empty: nothing is run.
type Notify struct {
	Master, Backup, Fault, Stop, Generic string
}

// Transition is one state change of an instance (Instance set) or of a
// sync group (Group set, Instance empty).
type Transition struct {
	Instance, Group string
	From, To        State
	Priority        uint8
	Master          netip.Addr
	Time            time.Time
	// Forced is set when the sync group caused the change (another
	// member's transition or its fault), not the instance's own machine.
	Forced bool
}

// of is the state's own command: Stop for INIT (after a stop).
func (n Notify) of(s State) string {
	switch s {
	case StateMaster:
		return n.Master
	case StateBackup:
		return n.Backup
	case StateFault:
		return n.Fault
	case StateInit:
		return n.Stop
	}
	return ""
}
