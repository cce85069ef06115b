package daemon

import (
	"strings"
	"time"

	"github.com/govs-project/govs/control/admin"
)

// wantMaster: the role the configuration gives now. Following an
// instance, master while it is MASTER; following a sync group, while
// every member is (the group moves as one, so this is the group's
// state); a fixed role is what it says.
func (s *syncRunner) wantMaster() bool {
	switch {
	case s.cfg.VRRPInstance != "":
		for _, in := range s.d.VRRP() {
			if in.Name == s.cfg.VRRPInstance {
				return in.State == "MASTER"
			}
		}
		return false
	case s.cfg.VRRPSyncGroup != "":
		members := 0
		for _, in := range s.d.VRRP() {
			if in.Group != s.cfg.VRRPSyncGroup {
				continue
			}
			if in.State != "MASTER" {
				return false
			}
			members++
		}
		return members > 0
	}
	return strings.EqualFold(s.cfg.Role, "master")
}

// followVRRP re-reads the role at every VRRP transition (and every
// second, in case a transition's event was dropped).
func (s *syncRunner) followVRRP() {
	if s.follows() == "role" {
		return
	}
	r := s.d.vrrp.Load()
	if r == nil {
		return
	}
	events, cancel := r.events.Subscribe(64)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer cancel()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				if ev.Type != admin.EventVRRPState {
					continue
				}
				s.setMaster(s.wantMaster(), "vrrp "+ev.Instance+" "+ev.To)
			case <-t.C:
				s.setMaster(s.wantMaster(), "vrrp state")
			}
		}
	}()
}

// publishSyncRole reports a role change in the event stream.
func (d *Daemon) publishSyncRole(role, follows string) {
	if r := d.vrrp.Load(); r != nil {
		r.events.Publish(admin.Event{Time: time.Now(), Type: admin.EventSyncRole, To: strings.ToUpper(role), Reason: follows})
	}
}
