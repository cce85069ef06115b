package vrrp

import (
	"strconv"
	"strings"
	"time"

	"github.com/govs-project/govs/internal/command"
)

// step runs one event through the machine and carries out its actions;
// forced marks an event the sync group caused. It runs on the instance
// goroutine only.
func (in *Instance) step(ev Event, forced bool) {
	now := time.Now()
	in.mu.Lock()
	before := in.st.State
	st, acts := in.m.Step(in.st, ev, now)
	in.st = st
	in.mu.Unlock()
	rearmed := false
	for _, a := range acts {
		switch a := a.(type) {
		case SendAdvert:
			in.send(a.Priority)
		case BecomeMaster:
			in.hooks.BecomeMaster()
		case BecomeBackup:
			in.hooks.Release(StateBackup)
		case EnterFault:
			in.hooks.Release(StateFault)
		case EnterInit:
			in.hooks.Release(StateInit)
		case SetTimer:
			rearmed = true
			in.timer.Stop()
			in.timer.Reset(max(a.At.Sub(now), 0))
		case StopTimer:
			in.timer.Stop()
		}
	}
	in.mu.Lock()
	if st.State != before {
		in.s.Transitions++
	}
	in.s.State, in.s.Since, in.s.Priority, in.s.MasterAddr = st.State, st.Since, st.Priority, st.MasterAddr
	in.mu.Unlock()

	_, advert := ev.(AdvertReceived)
	switch {
	case st.State == StateMaster:
		in.setWant(true)
	case st.State != StateBackup || before == StateMaster:
		in.setWant(false)
	case advert && rearmed:
		in.setWant(false) // a master we defer to is alive
	}
	if st.State != before {
		in.transitioned(Transition{Instance: in.name, From: before, To: st.State, Priority: st.Priority,
			Master: st.MasterAddr, Time: now, Forced: forced})
	}
}

// onTimer feeds the machine's deadline. A backup in a sync group takes
// over only when every other member wants MASTER too (keepalived's
// vrrp_sync_can_goto_master); else it waits another master-down interval.
func (in *Instance) onTimer() {
	in.mu.Lock()
	st := in.st
	in.mu.Unlock()
	due := !st.Deadline.IsZero() && !time.Now().Before(st.Deadline)
	if in.group != nil && st.State == StateBackup && due && !in.group.mayTakeOver(in) {
		in.want = true
		in.step(holdBackup{}, false)
		return
	}
	in.step(Timer{}, false)
}

// setWant tells the sync group whether this member wants MASTER.
func (in *Instance) setWant(w bool) {
	if in.want == w {
		return
	}
	in.want = w
	if in.group != nil {
		in.group.setWant(in, w)
	}
}

// transitioned logs a state change, runs its notify commands, reports it
// and lets the sync group follow.
func (in *Instance) transitioned(t Transition) {
	in.log.Info("vrrp: state changed", "vrrp_instance", in.name, "from", t.From.String(), "to", t.To.String(),
		"priority", t.Priority, "master", t.Master, "forced", t.Forced)
	runNotify(in.cfg.Notifier, in.cfg.Notify, "INSTANCE", in.name, t.To, t.Priority)
	if in.cfg.OnTransition != nil {
		in.cfg.OnTransition(t)
	}
	if in.group != nil {
		in.group.memberTransition(in, t)
	}
}

// notifyState is keepalived's name of a state in notify arguments: INIT
// after a stop is STOP.
func notifyState(s State) string {
	if s == StateInit {
		return "STOP"
	}
	return strings.ToUpper(s.String())
}

// runNotify queues the notify commands of a transition to state to: the
// state's own command first, then the generic one with keepalived's
// arguments (keepalived runs "notify" after the notify_* script).
func runNotify(n *command.Notifier, cmds Notify, kind, name string, to State, prio uint8) {
	state, p := notifyState(to), strconv.Itoa(int(prio))
	nameVar := "GOVS_VRRP_INSTANCE="
	if kind == "GROUP" {
		nameVar = "GOVS_VRRP_GROUP="
	}
	env := []string{nameVar + name, "GOVS_VRRP_STATE=" + state, "GOVS_VRRP_PRIORITY=" + p}
	n.Notify(cmds.of(to), env)
	n.Notify(cmds.Generic, env, kind, name, state, p)
}
