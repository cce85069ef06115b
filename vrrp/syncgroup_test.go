package vrrp

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/command"
)

// director is one govs director of a NAT pair: a WAN and a LAN instance in
// one sync group, as the client-side VIP and the servers' gateway.
type director struct {
	wan, lan *fakeRouter
	group    *SyncGroup
	trans    *transitions // the group's
	notes    *notifyLog
	notifier *command.Notifier
}

// newDirector builds director number n (its addresses end in n) with
// priority prio on both segments, and starts it.
func newDirector(t *testing.T, wanSeg, lanSeg *segment, n int, prio uint8) *director {
	t.Helper()
	d := &director{trans: &transitions{}, notes: &notifyLog{}}
	d.notifier = command.NewNotifier(nil, d.notes.run, time.Second, 256, 1, nil)
	wan := fakeConfig("VI_WAN", 51, fmt.Sprintf("192.0.2.%d", n), prio, "192.0.2.100")
	lan := fakeConfig("VI_LAN", 52, fmt.Sprintf("10.1.0.%d", n), prio, "10.1.0.254")
	d.wan, d.lan = newFakeRouter(t, wanSeg, wan), newFakeRouter(t, lanSeg, lan)
	var err error
	d.group, err = NewSyncGroup("G_NAT", []*Instance{d.wan.in, d.lan.in},
		Notify{Master: "g-master", Backup: "g-backup", Fault: "g-fault", Stop: "g-stop", Generic: "g"}, d.notifier, d.trans.record)
	if err != nil {
		t.Fatal(err)
	}
	d.wan.start()
	d.lan.start()
	t.Cleanup(d.stop)
	return d
}

func (d *director) stop() {
	d.wan.stop()
	d.lan.stop()
	d.notifier.Close()
}

func (d *director) kill() {
	d.wan.kill()
	d.lan.kill()
}

// both reports whether both members are in s and the group agrees.
func (d *director) both(s State) bool {
	return d.wan.state() == s && d.lan.state() == s && d.group.Status().State == s
}

func (d *director) waitBoth(t *testing.T, s State, within time.Duration, who string) time.Time {
	t.Helper()
	eventually(t, within, who+" "+s.String()+" on both members", func() bool { return d.both(s) })
	return time.Now()
}

func (d *director) memberTransitions() uint64 {
	return d.wan.in.Status().Transitions + d.lan.in.Status().Transitions
}

// settle checks that nothing moves for a while: no ping-pong.
func settle(t *testing.T, what string, ds ...*director) {
	t.Helper()
	var before []uint64
	for _, d := range ds {
		before = append(before, d.memberTransitions())
	}
	time.Sleep(8 * fakeInterval)
	for i, d := range ds {
		if got := d.memberTransitions(); got != before[i] {
			t.Errorf("%s: director %d made %d transitions while it should be stable", what, i, got-before[i])
		}
	}
}

// The NAT pair: the members of a group always move together, on a
// failure of the director (killed), of one of its members (own tracking)
// and on recovery, without loops, and the group notifies once per change.
func TestSyncGroupMovesMembersTogether(t *testing.T) {
	wanSeg, lanSeg := &segment{}, &segment{}
	a := newDirector(t, wanSeg, lanSeg, 1, 150)
	b := newDirector(t, wanSeg, lanSeg, 2, 100)
	a.waitBoth(t, StateMaster, 3*time.Second, "a")
	b.waitBoth(t, StateBackup, time.Second, "b")
	settle(t, "elected", a, b)

	// Director A dies: B takes both members together.
	killed := time.Now()
	a.kill()
	took := b.waitBoth(t, StateMaster, 2*time.Second, "b").Sub(killed)
	bound := MasterDownInterval(3, 100, fakeInterval)
	t.Logf("group takeover after A went silent: %v (one member's bound %v)", took.Round(time.Millisecond), bound)
	if took > bound+fakeInterval {
		t.Errorf("takeover took %v, want about %v", took, bound)
	}
	if !b.wan.hooks.isMaster() || !b.lan.hooks.isMaster() {
		t.Errorf("b's hooks not master")
	}
	settle(t, "b master alone", b)
	forced := 0
	for _, r := range []*fakeRouter{b.wan, b.lan} {
		for _, tr := range r.trans.list() {
			if tr.To == StateMaster && tr.Forced {
				forced++
			}
		}
	}
	if forced > 1 {
		t.Errorf("%d forced master transitions, want at most one (the member that held back)", forced)
	}

	// A comes back (preempt): it takes both back.
	a = newDirector(t, wanSeg, lanSeg, 1, 150)
	a.waitBoth(t, StateMaster, 3*time.Second, "a back")
	b.waitBoth(t, StateBackup, time.Second, "b")
	settle(t, "a back", a, b)

	// A member's own fault on the master: the whole group goes FAULT
	// there and the other director takes both.
	faulted := time.Now()
	a.lan.in.SetTracking(true, 150)
	a.waitBoth(t, StateFault, time.Second, "a")
	took = b.waitBoth(t, StateMaster, 2*time.Second, "b").Sub(faulted)
	t.Logf("group takeover after a member's fault: %v (priority-0 skew %v)", took.Round(time.Millisecond), SkewTime(3, 100, fakeInterval))
	if st := a.wan.in.Status(); st.Fault || !st.GroupFault || st.Group != "G_NAT" {
		t.Errorf("a's WAN: %+v, want group fault only", st)
	}
	if st := a.lan.in.Status(); !st.Fault || st.GroupFault {
		t.Errorf("a's LAN: %+v, want own fault only", st)
	}
	settle(t, "a faulted", a, b)

	// Recovery: A leaves FAULT and takes both back.
	a.lan.in.SetTracking(false, 150)
	a.waitBoth(t, StateMaster, 3*time.Second, "a recovered")
	b.waitBoth(t, StateBackup, time.Second, "b")
	settle(t, "a recovered", a, b)
	for _, r := range []*fakeRouter{a.wan, a.lan} {
		if st := r.in.Status(); st.Fault || st.GroupFault {
			t.Errorf("%s after recovery: %+v", st.Name, st)
		}
	}

	a.stop()
	b.waitBoth(t, StateMaster, time.Second, "b after a's graceful stop")
	b.stop()

	// Once per group change, notify and OnTransition alike.
	if p := b.trans.path(); p != "init>backup>master>backup>master>backup>master>init" {
		t.Errorf("b's group went %s", p)
	}
	if p := a.trans.path(); p != "init>backup>master>fault>backup>master>init" {
		t.Errorf("a's group went %s", p)
	}
	for _, tr := range a.trans.list() {
		if tr.Group != "G_NAT" || tr.Instance != "" || tr.Forced {
			t.Errorf("group transition %+v", tr)
		}
	}
	var groupNotes []string
	for _, s := range a.notes.got() {
		if strings.HasPrefix(s, "g") {
			groupNotes = append(groupNotes, s)
		}
	}
	env := func(s string) string { return "[GOVS_VRRP_GROUP=G_NAT GOVS_VRRP_STATE=" + s + " GOVS_VRRP_PRIORITY=0]" }
	var want []string
	for _, s := range []string{"BACKUP", "MASTER", "FAULT", "BACKUP", "MASTER", "STOP"} {
		want = append(want, "g-"+strings.ToLower(s)+" "+env(s), "g GROUP G_NAT "+s+" 0 "+env(s))
	}
	if !reflect.DeepEqual(groupNotes, want) {
		t.Errorf("group notify\n%s\nwant\n%s", strings.Join(groupNotes, "\n"), strings.Join(want, "\n"))
	}
	// The members' own notify commands ran too (none configured here),
	// and group status names the members.
	if s := a.group.Status(); s.Name != "G_NAT" || !reflect.DeepEqual(s.Members, []string{"VI_WAN", "VI_LAN"}) || s.State != StateInit {
		t.Errorf("group status %+v", s)
	}
}

// Only one segment loses its master (A's WAN adverts are lost, A's LAN is
// fine): B's WAN wants MASTER but its LAN hears A, so B's group stays
// BACKUP instead of thrashing between the two.
func TestSyncGroupPrefersBackupToThrashing(t *testing.T) {
	wanSeg, lanSeg := &segment{}, &segment{}
	a := newDirector(t, wanSeg, lanSeg, 1, 150)
	b := newDirector(t, wanSeg, lanSeg, 2, 100)
	a.waitBoth(t, StateMaster, 3*time.Second, "a")
	b.waitBoth(t, StateBackup, time.Second, "b")
	a.wan.conn.muted.Store(true)
	time.Sleep(2 * MasterDownInterval(3, 100, fakeInterval))
	if !b.both(StateBackup) {
		t.Fatalf("b moved: wan %v lan %v group %v", b.wan.state(), b.lan.state(), b.group.Status().State)
	}
	settle(t, "one segment silent", a, b)
	// The WAN master comes back: nothing to do.
	a.wan.conn.muted.Store(false)
	settle(t, "segment back", a, b)
	// Then the LAN one goes too: now every member of B wants MASTER.
	a.kill()
	b.waitBoth(t, StateMaster, 2*time.Second, "b")
}

// A three-director group: the best survivor takes both members, the
// third stays backup.
func TestSyncGroupThreeDirectors(t *testing.T) {
	wanSeg, lanSeg := &segment{}, &segment{}
	a := newDirector(t, wanSeg, lanSeg, 1, 150)
	b := newDirector(t, wanSeg, lanSeg, 2, 100)
	c := newDirector(t, wanSeg, lanSeg, 3, 50)
	a.waitBoth(t, StateMaster, 3*time.Second, "a")
	b.waitBoth(t, StateBackup, time.Second, "b")
	c.waitBoth(t, StateBackup, time.Second, "c")
	a.kill()
	b.waitBoth(t, StateMaster, 2*time.Second, "b")
	settle(t, "b master", b, c)
	if !c.both(StateBackup) {
		t.Errorf("c not backup on both")
	}
}

func TestNewSyncGroupErrors(t *testing.T) {
	seg := &segment{}
	mk := func(name string, vrid uint8, addr string) *Instance {
		in, err := NewInstance(fakeConfig(name, vrid, addr, 100, "10.0.0.100"), seg.attach(addr), &recordHooks{}, quietLog())
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	x, y, z := mk("X", 1, "10.0.0.1"), mk("Y", 2, "10.0.0.2"), mk("Z", 3, "10.0.0.3")
	for _, c := range []struct {
		name    string
		group   string
		members []*Instance
		want    string
	}{
		{"no name", "", []*Instance{x, y}, "name"},
		{"one member", "G", []*Instance{x}, "at least two"},
		{"twice", "G", []*Instance{x, x}, "twice"},
		{"nil", "G", []*Instance{x, nil}, "nil"},
	} {
		if _, err := NewSyncGroup(c.group, c.members, Notify{}, nil, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := NewSyncGroup("G1", []*Instance{x, y}, Notify{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := NewSyncGroup("G2", []*Instance{y, z}, Notify{}, nil, nil); err == nil || !strings.Contains(err.Error(), "already in sync group G1") {
		t.Errorf("second group: %v", err)
	}
}
