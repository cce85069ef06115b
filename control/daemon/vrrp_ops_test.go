package daemon

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/vrrp"
)

// Transitions reach the admin event stream as vrrp_state events.
func TestVRRPEvents(t *testing.T) {
	inst := strings.Replace(vi1, "track_dataplane: false", "track_dataplane: false, track_port: [{port: wan}]", 1)
	l := startVRRPLab(t, vrrpYAML("", inst), func(l *vrrpLab) { l.dp.setLink("wan", true) })
	events, cancel := l.d.Subscribe(16)
	defer cancel()
	l.awaitState(t, "VI_1", "MASTER")
	l.dp.setLink("wan", false)
	var got []admin.Event
	timeout := time.After(3 * time.Second)
	for len(got) < 2 {
		select {
		case ev := <-events:
			if ev.From != "INIT" { // INIT->BACKUP may come before Subscribe
				got = append(got, ev)
			}
		case <-timeout:
			t.Fatalf("events %+v, want BACKUP->MASTER and MASTER->FAULT", got)
		}
	}
	want := []admin.Event{
		{Type: admin.EventVRRPState, Instance: "VI_1", From: "BACKUP", To: "MASTER", Priority: 150, Master: "10.0.0.1"},
		{Type: admin.EventVRRPState, Instance: "VI_1", From: "MASTER", To: "FAULT", Priority: 150},
	}
	for i, w := range want {
		g := got[i]
		if g.Time.IsZero() || g.Type != w.Type || g.Instance != w.Instance || g.From != w.From || g.To != w.To || g.Priority != w.Priority {
			t.Errorf("event %d = %+v, want %+v", i, g, w)
		}
	}
	// The stream ends when VRRP stops (and health has none to give).
	l.d.stopVRRP()
	for range events {
	}
}

// One notifier runs every VRRP notify command; each is counted by result.
func TestVRRPNotifyCounted(t *testing.T) {
	inst := strings.Replace(vi1, "garp_master_delay: 0s", `garp_master_delay: 0s, notify_backup: "sleep 5", notify_master: "true", notify: "exit 3"`, 1)
	l := startVRRPLab(t, vrrpYAML("  notify_timeout: 200ms\n", inst))
	l.awaitState(t, "VI_1", "MASTER")
	counts := func() map[string]float64 {
		out := map[string]float64{}
		mfs, err := l.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "govs_vrrp_notify_total" {
				for _, m := range mf.GetMetric() {
					out[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
		return out
	}
	// BACKUP at start, then MASTER: notify_backup killed at the timeout,
	// notify run twice (exit 3 = failed), notify_master once, in order.
	await(t, "the notify commands", func() bool { c := counts(); return c["ok"] >= 1 && c["failed"] >= 2 })
	if c := counts(); c["timeout"] != 1 || c["dropped"] != 0 {
		t.Errorf("notify counts %v", c)
	}
}

// Sync group members move together and show their group; a reload that
// changes the group restarts its members, one that does not keeps them.
func TestVRRPSyncGroup(t *testing.T) {
	vi2 := `{name: VI_2, vrid: 52, port: lan, version: 3, advert_interval: 100ms, priority: 150, track_dataplane: false, garp_master_delay: 0s, virtual_addresses: [10.1.0.253]}`
	groups := "  sync_groups:\n    - {name: G, instances: [VI_1, VI_2]}\n"
	y := vrrpYAML("", vi1, vi2) + groups
	l := startVRRPLab(t, y)
	for _, name := range []string{"VI_1", "VI_2"} {
		in := l.awaitState(t, name, "MASTER")
		if in.Group != "G" {
			t.Errorf("%s: group %q", name, in.Group)
		}
	}
	await(t, "the group MASTER", func() bool { return l.instance(t, "VI_1").GroupState == "MASTER" })

	l.reload(t, y)
	if l.openedCount("govs-wan") != 1 || l.openedCount("govs-lan") != 1 {
		t.Errorf("an unchanged reload restarted members: %v", l.opened)
	}
	l.reload(t, strings.Replace(y, "{name: G, instances: [VI_1, VI_2]}", `{name: G, instances: [VI_1, VI_2], notify_master: "true"}`, 1))
	if l.openedCount("govs-wan") != 2 || l.openedCount("govs-lan") != 2 {
		t.Errorf("a changed group did not restart its members: %v", l.opened)
	}
	l.reload(t, vrrpYAML("", vi1, vi2))
	if in := l.instance(t, "VI_1"); in.Group != "" {
		t.Errorf("group %q after its removal", in.Group)
	}
}

// At stop every instance releases its addresses and ends its gratuitous
// ARP schedule.
func TestVRRPStopReleases(t *testing.T) {
	inst := strings.Replace(vi1, "garp_master_delay: 0s", "garp_master_delay: 10s, garp_master_refresh: 10s", 1)
	l := startVRRPLab(t, vrrpYAML("", inst))
	l.awaitState(t, "VI_1", "MASTER")
	ri := l.d.vrrp.Load().running(l.d.cfg.Load().VRRP.Instances[0])
	if ri.hooks.garp.pending() != 2 {
		t.Errorf("%d gratuitous ARP timers armed, want the delayed batch and the refresh", ri.hooks.garp.pending())
	}
	l.d.stopVRRP()
	if !slices.Contains(l.dp.spec().Standby, vip100) || ri.hooks.garp.pending() != 0 {
		t.Errorf("after stop: standby %v, %d timers", l.dp.spec().Standby, ri.hooks.garp.pending())
	}
}

// What a reload restarts, reconfigures or leaves alone.
func TestVRRPPlan(t *testing.T) {
	a := `{name: A, vrid: 51, port: wan, virtual_addresses: [10.0.0.100]}`
	b := `{name: B, vrid: 52, port: lan, virtual_addresses: [10.1.0.253]}`
	c := `{name: C, vrid: 53, port: wan, virtual_addresses: [10.0.0.102]}`
	group := "  sync_groups:\n    - {name: G, instances: [A, B]}\n"
	running := parse(t, vrrpYAML("", a, b, c)+group)
	r := &vrrpRunner{instances: map[string]*runningInstance{}, groups: map[string]*runningGroup{}}
	for _, in := range running.VRRP.Instances {
		r.instances[in.Name] = &runningInstance{cfg: in}
	}
	r.groups["G"] = &runningGroup{cfg: running.VRRP.SyncGroups[0]}
	names := func(p vrrpPlan) (remove, add, reconf []string) {
		for _, ri := range p.remove {
			remove = append(remove, ri.cfg.Name)
		}
		for _, in := range p.add {
			add = append(add, in.Name)
		}
		for _, in := range p.reconfigure {
			reconf = append(reconf, in.Name)
		}
		slices.Sort(remove)
		slices.Sort(add)
		slices.Sort(reconf)
		return
	}
	for _, tc := range []struct {
		name                string
		next                string
		remove, add, reconf []string
	}{
		{"unchanged", vrrpYAML("", a, b, c) + group, nil, nil, nil},
		{"priority of a member", vrrpYAML("", strings.Replace(a, "vrid: 51", "vrid: 51, priority: 120", 1), b, c) + group, nil, nil, []string{"A"}},
		{"VRID of a member restarts the group", vrrpYAML("", strings.Replace(a, "vrid: 51", "vrid: 61", 1), b, c) + group, []string{"A", "B"}, []string{"A", "B"}, nil},
		{"port of a loner", vrrpYAML("", a, b, strings.Replace(c, "port: wan, virtual_addresses: [10.0.0.102]", "port: lan, virtual_addresses: [10.1.0.102]", 1)) + group, []string{"C"}, []string{"C"}, nil},
		{"group notify", vrrpYAML("", a, b, c) + strings.Replace(group, "[A, B]}", `[A, B], notify: "x"}`, 1), []string{"A", "B"}, []string{"A", "B"}, nil},
		{"group removed", vrrpYAML("", a, b, c), []string{"A", "B"}, []string{"A", "B"}, nil},
		{"C joins the group", vrrpYAML("", a, b, c) + strings.Replace(group, "[A, B]", "[A, B, C]", 1), []string{"A", "B", "C"}, []string{"A", "B", "C"}, nil},
		{"instance removed, one added", vrrpYAML("", a, b, strings.Replace(c, "name: C", "name: D", 1)) + group, []string{"C"}, []string{"D"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			remove, add, reconf := names(r.plan(parse(t, tc.next)))
			if !slices.Equal(remove, tc.remove) || !slices.Equal(add, tc.add) || !slices.Equal(reconf, tc.reconf) {
				t.Errorf("remove %v, add %v, reconfigure %v; want %v, %v, %v", remove, add, reconf, tc.remove, tc.add, tc.reconf)
			}
		})
	}
}

func TestTransitionEvent(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		in   vrrp.Transition
		want admin.Event
	}{
		{vrrp.Transition{Instance: "VI_1", From: vrrp.StateBackup, To: vrrp.StateMaster, Priority: 150, Master: netip.MustParseAddr("10.0.0.1"), Time: now},
			admin.Event{Time: now, Type: "vrrp_state", Instance: "VI_1", From: "BACKUP", To: "MASTER", Priority: 150, Master: "10.0.0.1"}},
		{vrrp.Transition{Instance: "VI_2", Group: "G", From: vrrp.StateBackup, To: vrrp.StateMaster, Priority: 100, Time: now, Forced: true},
			admin.Event{Time: now, Type: "vrrp_state", Instance: "VI_2", Group: "G", From: "BACKUP", To: "MASTER", Priority: 100, Reason: "sync group G"}},
		{vrrp.Transition{Group: "G", From: vrrp.StateMaster, To: vrrp.StateInit, Time: now},
			admin.Event{Time: now, Type: "vrrp_state", Group: "G", From: "MASTER", To: "INIT"}},
	} {
		if got := transitionEvent(tc.in); got != tc.want {
			t.Errorf("transitionEvent(%+v) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
