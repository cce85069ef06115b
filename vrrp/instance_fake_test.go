package vrrp

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/internal/command"
)

// Election and failover over the in-memory segment, with the notify
// commands and OnTransition of every transition, in order.
func TestInstanceNotifyAndTransitions(t *testing.T) {
	seg := &segment{}
	log := &notifyLog{}
	n := command.NewNotifier(nil, log.run, time.Second, 64, 1, nil)
	cfg := fakeConfig("VI_1", 51, "10.0.0.1", 150, "10.0.0.100")
	cfg.Notify = Notify{Master: "to-master", Backup: "to-backup", Fault: "to-fault", Stop: "to-stop", Generic: "generic"}
	cfg.Notifier = n
	hi := newFakeRouter(t, seg, cfg).start()
	lo := newFakeRouter(t, seg, fakeConfig("VI_1", 51, "10.0.0.2", 100, "10.0.0.100")).start()
	eventually(t, 2*time.Second, "hi master", func() bool { return hi.state() == StateMaster })
	eventually(t, time.Second, "lo backup", func() bool { return lo.state() == StateBackup })
	hi.in.SetTracking(true, 150)
	eventually(t, time.Second, "hi fault", func() bool { return hi.state() == StateFault })
	eventually(t, time.Second, "lo master", func() bool { return lo.state() == StateMaster })
	hi.stop()
	n.Close()

	env := func(state, prio string) string {
		return "[GOVS_VRRP_INSTANCE=VI_1 GOVS_VRRP_STATE=" + state + " GOVS_VRRP_PRIORITY=" + prio + "]"
	}
	want := []string{
		"to-backup " + env("BACKUP", "150"), "generic INSTANCE VI_1 BACKUP 150 " + env("BACKUP", "150"),
		"to-master " + env("MASTER", "150"), "generic INSTANCE VI_1 MASTER 150 " + env("MASTER", "150"),
		"to-fault " + env("FAULT", "150"), "generic INSTANCE VI_1 FAULT 150 " + env("FAULT", "150"),
		"to-stop " + env("STOP", "150"), "generic INSTANCE VI_1 STOP 150 " + env("STOP", "150"),
	}
	if got := log.got(); !reflect.DeepEqual(got, want) {
		t.Errorf("notify commands\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p := hi.trans.path(); p != "init>backup>master>fault>init" {
		t.Errorf("transitions %s", p)
	}
	for _, tr := range hi.trans.list() {
		if tr.Instance != "VI_1" || tr.Group != "" || tr.Forced || tr.Time.IsZero() {
			t.Errorf("transition %+v", tr)
		}
	}
	if l := hi.trans.list(); len(l) > 1 && l[1].Master != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("master of the master transition %v, want ourselves", l[1].Master)
	}
	// Hooks run before OnTransition: the release of the FAULT step
	// precedes its record, so the hook log has one entry per transition.
	if calls := hi.hooks.calls; !reflect.DeepEqual(calls, []string{"release:backup", "master", "release:fault", "release:init"}) {
		t.Errorf("hooks %v", calls)
	}
}

// SetTracking: the effective priority is advertised, own fault is FAULT
// and reported in the status, recovery returns to service.
func TestInstanceSetTracking(t *testing.T) {
	seg := &segment{}
	sniff := seg.attach("10.0.0.9")
	r := newFakeRouter(t, seg, fakeConfig("VI_1", 51, "10.0.0.1", 150, "10.0.0.100"))
	r.in.SetTracking(false, 130) // before Run: applied at startup
	r.start()
	eventually(t, 2*time.Second, "master", func() bool { return r.state() == StateMaster })
	if a, _ := sniff.nextAdvert(t, 51, time.Second); a.Priority != 130 {
		t.Errorf("advert priority %d, want 130", a.Priority)
	}
	st := r.in.Status()
	if st.Priority != 130 || st.BasePriority != 150 || st.Fault {
		t.Errorf("status %+v", st)
	}
	r.in.SetTracking(true, 130)
	eventually(t, time.Second, "fault", func() bool { return r.state() == StateFault })
	if st := r.in.Status(); !st.Fault || st.GroupFault {
		t.Errorf("fault status %+v", st)
	}
	sniff.drain()
	r.in.SetTracking(false, 200)
	eventually(t, 2*time.Second, "master again", func() bool { return r.state() == StateMaster })
	if a, _ := sniff.nextAdvert(t, 51, time.Second); a.Priority != 200 {
		t.Errorf("advert priority %d after recovery, want 200", a.Priority)
	}
}

// A reload changes no state unless the new settings demand it.
func TestInstanceReconfigure(t *testing.T) {
	seg := &segment{}
	sniff := seg.attach("10.0.0.9")
	cfg := fakeConfig("VI_1", 51, "10.0.0.1", 150, "10.0.0.100")
	hi := newFakeRouter(t, seg, cfg).start()
	lo := newFakeRouter(t, seg, fakeConfig("VI_1", 51, "10.0.0.2", 100, "10.0.0.100")).start()
	eventually(t, 2*time.Second, "hi master", func() bool { return hi.state() == StateMaster })
	eventually(t, time.Second, "lo backup", func() bool { return lo.state() == StateBackup })

	for _, bad := range []struct {
		name string
		edit func(*InstanceConfig)
		want string
	}{
		{"name", func(c *InstanceConfig) { c.Name = "VI_2" }, "cannot change"},
		{"vrid", func(c *InstanceConfig) { c.VRID = 52 }, "cannot change"},
		{"primary", func(c *InstanceConfig) { c.Machine.PrimaryAddr = netip.MustParseAddr("10.0.0.3") }, "primary address"},
		{"no addresses", func(c *InstanceConfig) { c.Addrs = nil }, "virtual address"},
		{"bad interval", func(c *InstanceConfig) { c.Machine.AdvertInterval = 5 * time.Millisecond }, "centiseconds"},
	} {
		c := cfg
		bad.edit(&c)
		if err := hi.in.Reconfigure(c); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("reload with a changed %s: %v, want an error mentioning %q", bad.name, err, bad.want)
		}
	}

	// New addresses (the backup gets them too, as a reload of both
	// directors would do): advertised, no transition of the master. (The
	// backup may reject the master's adverts in the instant between the
	// two reloads, as a keepalived pair would.)
	before := hi.in.Status().Transitions
	next := cfg
	next.Addrs = []netip.Addr{netip.MustParseAddr("10.0.0.100"), netip.MustParseAddr("10.0.0.101")}
	loNext := fakeConfig("VI_1", 51, "10.0.0.2", 100, "10.0.0.100")
	loNext.Addrs = next.Addrs
	if err := lo.in.Reconfigure(loNext); err != nil {
		t.Fatal(err)
	}
	if err := hi.in.Reconfigure(next); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "new addresses advertised", func() bool {
		a, _ := sniff.nextAdvert(t, 51, time.Second)
		return len(a.Addrs) == 2
	})
	// A faster interval: the master's adverts carry it and come faster
	// (the v3 backup learns it from them).
	next.Machine.AdvertInterval = 50 * time.Millisecond
	loNext.Machine.AdvertInterval = 50 * time.Millisecond
	hi.in.Reconfigure(next)
	lo.in.Reconfigure(loNext)
	eventually(t, time.Second, "new interval advertised", func() bool {
		a, _ := sniff.nextAdvert(t, 51, time.Second)
		return a.Interval == 50*time.Millisecond
	})
	sniff.drain()
	start := time.Now()
	for range 10 {
		sniff.nextAdvert(t, 51, time.Second)
	}
	if took := time.Since(start); took > 800*time.Millisecond {
		t.Errorf("10 adverts took %v at a 50ms interval", took)
	}
	time.Sleep(3 * fakeInterval)
	if after := hi.in.Status().Transitions; after != before {
		t.Errorf("reloads without a needed change made %d transitions of the master", after-before)
	}
	eventually(t, time.Second, "lo backup after the reloads", func() bool { return lo.state() == StateBackup })

	// A priority now below the backup's: it preempts, as for
	// PriorityChanged.
	next.Machine.Priority = 90
	if err := hi.in.Reconfigure(next); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "lo master after hi's priority dropped", func() bool { return lo.state() == StateMaster })
	eventually(t, time.Second, "hi backup", func() bool { return hi.state() == StateBackup })
	if st := hi.in.Status(); st.BasePriority != 90 || st.Priority != 90 {
		t.Errorf("status after reload %+v", st)
	}
	// 255 takes over at once.
	next.Machine.Priority = 255
	hi.in.Reconfigure(next)
	eventually(t, time.Second, "owner master", func() bool { return hi.state() == StateMaster })
}

// With tracking, a reload's new base moves the effective priority until
// the caller's next SetTracking.
func TestInstanceReconfigureKeepsTrackingOffset(t *testing.T) {
	seg := &segment{}
	sniff := seg.attach("10.0.0.9")
	cfg := fakeConfig("VI_1", 51, "10.0.0.1", 150, "10.0.0.100")
	r := newFakeRouter(t, seg, cfg)
	r.in.SetTracking(false, 130) // -20
	r.start()
	eventually(t, 2*time.Second, "master", func() bool { return r.state() == StateMaster })
	cfg.Machine.Priority = 160
	r.in.Reconfigure(cfg)
	eventually(t, time.Second, "priority 140", func() bool { return r.in.Status().Priority == 140 })
	sniff.drain()
	if a, _ := sniff.nextAdvert(t, 51, time.Second); a.Priority != 140 {
		t.Errorf("advert priority %d, want 140", a.Priority)
	}
}
