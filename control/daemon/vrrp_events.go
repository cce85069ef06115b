package daemon

import (
	"strings"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/vrrp"
)

// onTransition is every instance's and sync group's OnTransition: it runs
// on their goroutines and never blocks.
func (r *vrrpRunner) onTransition(t vrrp.Transition) {
	r.events.Publish(transitionEvent(t))
}

func transitionEvent(t vrrp.Transition) admin.Event {
	ev := admin.Event{Time: t.Time, Type: admin.EventVRRPState, Instance: t.Instance, Group: t.Group,
		From: strings.ToUpper(t.From.String()), To: strings.ToUpper(t.To.String()), Priority: int(t.Priority)}
	if t.Master.IsValid() {
		ev.Master = t.Master.String()
	}
	if t.Forced {
		ev.Reason = strings.TrimSpace("sync group " + t.Group)
	}
	return ev
}
