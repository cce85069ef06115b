package vrrp

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/govs-project/govs/internal/command"
)

// SyncGroup moves several instances together (keepalived's
// vrrp_sync_group), e.g. a NAT pair's client-side VIP and the real
// servers' gateway address, which must always be on the same director.
//
// A member's own transition (its machine's, not one the group caused)
// leads: to MASTER the others follow with ForceMaster, from MASTER to
// BACKUP with ForceBackup, and a member faulted by its own tracking puts
// the others in FAULT (the group fault) until no member is. Forced
// transitions never propagate, so members cannot bounce the group between
// them. As in keepalived, a backup whose master-down timer runs out takes
// over only once every other member wants MASTER too (its timer ran out
// as well, or it is MASTER): the group prefers BACKUP to thrashing when
// only some segments lost their master.
type SyncGroup struct {
	name         string
	members      []*Instance
	notify       Notify
	notifier     *command.Notifier
	onTransition func(Transition)

	mu       sync.Mutex
	state    State
	since    time.Time
	memberSt map[*Instance]State
	want     map[*Instance]bool // member wants MASTER (or is)
	faulted  map[*Instance]bool // member's own tracking fault
}

// SyncGroupStatus is the operator's view of a sync group.
type SyncGroupStatus struct {
	Name    string
	State   State
	Since   time.Time
	Members []string
}

// NewSyncGroup ties members together; call it before they Run. notify are
// the group's commands (run by notifier; nil: none) and onTransition, if
// set, is told of every group state change (Group set, Instance empty);
// both run on a member's goroutine and must not block. An instance can be
// in one group only.
func NewSyncGroup(name string, members []*Instance, notify Notify, notifier *command.Notifier, onTransition func(Transition)) (*SyncGroup, error) {
	if name == "" {
		return nil, errors.New("vrrp sync group: needs a name")
	}
	if len(members) < 2 {
		return nil, fmt.Errorf("vrrp sync group %s: needs at least two instances, has %d", name, len(members))
	}
	g := &SyncGroup{name: name, members: members, notify: notify, notifier: notifier, onTransition: onTransition,
		state: StateInit, memberSt: map[*Instance]State{}, want: map[*Instance]bool{}, faulted: map[*Instance]bool{}}
	for _, in := range members {
		switch {
		case in == nil:
			return nil, fmt.Errorf("vrrp sync group %s: nil instance", name)
		case in.group != nil:
			return nil, fmt.Errorf("vrrp sync group %s: instance %s is already in sync group %s", name, in.name, in.group.name)
		}
		if _, dup := g.memberSt[in]; dup {
			return nil, fmt.Errorf("vrrp sync group %s: instance %s listed twice", name, in.name)
		}
		g.memberSt[in] = StateInit
	}
	for _, in := range members {
		in.group = g
		in.mu.Lock()
		in.s.Group = name
		in.mu.Unlock()
	}
	return g, nil
}

// Status is the group's state now.
func (g *SyncGroup) Status() SyncGroupStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := SyncGroupStatus{Name: g.name, State: g.state, Since: g.since}
	for _, in := range g.members {
		s.Members = append(s.Members, in.name)
	}
	return s
}

// mayTakeOver records that in wants MASTER and reports whether it may go:
// the group is MASTER already, or every other member wants it too.
func (g *SyncGroup) mayTakeOver(in *Instance) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.want[in] = true
	if g.state == StateMaster {
		return true
	}
	for _, o := range g.members {
		if o != in && !g.want[o] {
			return false
		}
	}
	return true
}

func (g *SyncGroup) setWant(in *Instance, w bool) {
	g.mu.Lock()
	g.want[in] = w
	g.mu.Unlock()
}

// ownFault records a member's own tracking level and sets the group fault
// of every member on which another member is faulted.
func (g *SyncGroup) ownFault(in *Instance, fault bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faulted[in] = fault
	for _, m := range g.members {
		other := false
		for _, o := range g.members {
			other = other || (o != m && g.faulted[o])
		}
		m.setGroupFault(other)
	}
}

func (g *SyncGroup) anyFaulted() bool {
	for _, f := range g.faulted {
		if f {
			return true
		}
	}
	return false
}

// memberTransition follows a member's transition: an own one leads the
// others, a forced one only completes the group's move.
func (g *SyncGroup) memberTransition(in *Instance, t Transition) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.memberSt[in] = t.To
	next := g.state
	switch {
	case g.allIn(StateInit):
		next = StateInit
	case t.To == StateBackup && t.From != StateMaster:
		// Leaving INIT or FAULT: the group is BACKUP unless a member is
		// still faulted; a member joining a MASTER group follows it.
		if g.state == StateMaster {
			in.post(ForceMaster{})
		} else if !g.anyFaulted() {
			next = StateBackup
		}
	case t.Forced:
	case t.To == StateMaster:
		next = StateMaster
		g.postOthers(in, ForceMaster{})
	case t.To == StateBackup: // from MASTER
		next = StateBackup
		g.postOthers(in, ForceBackup{})
	case t.To == StateFault:
		next = StateFault
	}
	if next == g.state {
		return
	}
	gt := Transition{Group: g.name, From: g.state, To: next, Time: t.Time}
	g.state, g.since = next, t.Time
	in.log.Info("vrrp: sync group state changed", "vrrp_sync_group", g.name, "from", gt.From.String(), "to", gt.To.String(),
		"by", in.name)
	runNotify(g.notifier, g.notify, "GROUP", g.name, next, 0)
	if g.onTransition != nil {
		g.onTransition(gt)
	}
}

func (g *SyncGroup) allIn(s State) bool {
	for _, st := range g.memberSt {
		if st != s {
			return false
		}
	}
	return true
}

func (g *SyncGroup) postOthers(in *Instance, ev Event) {
	for _, o := range g.members {
		if o != in {
			o.post(ev)
		}
	}
}
