package daemon

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/dataplane"
	"github.com/govs-project/govs/vrrp"
)

var (
	vip100 = netip.MustParseAddr("10.0.0.100")
	flt101 = netip.MustParseAddr("10.0.0.101")
	gw253  = netip.MustParseAddr("10.1.0.253")
)

// vrrpYAML is base with the instances given (one YAML flow mapping each)
// and the extra vrrp keys.
func vrrpYAML(extra string, instances ...string) string {
	y := base + "vrrp:\n" + extra + "  instances:\n"
	for _, in := range instances {
		y += "    - " + in + "\n"
	}
	return y
}

// vi1 is a v3 instance that becomes MASTER alone in about 340ms.
const vi1 = `{name: VI_1, vrid: 51, port: wan, version: 3, advert_interval: 100ms, priority: 150, track_dataplane: false, garp_master_delay: 0s, virtual_addresses: [10.0.0.100]}`

func TestSetVRRP(t *testing.T) {
	c := parse(t, vrrpYAML("",
		`{name: VI_1, vrid: 51, port: wan, use_vmac: true, virtual_addresses: [10.0.0.100]}`,
		`{name: VI_LAN, vrid: 52, port: lan, virtual_addresses: [10.1.0.253]}`))
	for _, tc := range []struct {
		name     string
		master   map[string]bool
		standby  []netip.Addr
		vmacs    []dataplane.VirtualMAC
		floating []netip.Addr
	}{
		{"before any election", nil, []netip.Addr{vip100, gw253}, nil, []netip.Addr{gw253}},
		{"VI_1 master", map[string]bool{"VI_1": true}, []netip.Addr{gw253},
			[]dataplane.VirtualMAC{{Addr: vip100, MAC: [6]byte{0, 0, 0x5e, 0, 1, 51}}}, []netip.Addr{gw253}},
		{"VI_LAN master", map[string]bool{"VI_LAN": true}, []netip.Addr{vip100}, nil, []netip.Addr{gw253}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &dataplane.Spec{}
			var isMaster func(config.VRRPInstance) bool
			if tc.master != nil {
				isMaster = func(in config.VRRPInstance) bool { return tc.master[in.Name] }
			}
			setVRRP(c, s, isMaster)
			if !slices.Equal(s.Standby, tc.standby) || !slices.Equal(s.VirtualMACs, tc.vmacs) || !slices.Equal(s.Floating, tc.floating) {
				t.Errorf("standby %v, vmacs %v, floating %v; want %v, %v, %v", s.Standby, s.VirtualMACs, s.Floating, tc.standby, tc.vmacs, tc.floating)
			}
		})
	}
}

func TestInstanceConfigMaps(t *testing.T) {
	c := parse(t, vrrpYAML("",
		`{name: VI_1, vrid: 51, port: wan, priority: 150, auth_pass: secret, virtual_addresses: [10.0.0.100], notify_master: "m", notify: "g"}`,
		`{name: VI_2, vrid: 52, port: wan, version: 3, advert_interval: 100ms, state: MASTER, virtual_addresses: [10.0.0.101]}`))
	ic, ifname, err := instanceConfig(c, c.VRRP.Instances[0])
	if err != nil || ifname != "govs-wan" || ic.VRID != 51 || ic.Machine.Priority != 150 || ic.Machine.Version != 2 ||
		ic.AuthType != vrrp.AuthPass || ic.AuthData != vrrp.PasswordData("secret") || ic.Machine.PrimaryAddr.String() != "10.0.0.1" ||
		ic.Machine.InitialState != vrrp.StateBackup || ic.Notify != (vrrp.Notify{Master: "m", Generic: "g"}) {
		t.Fatalf("VI_1 mapped to %+v on %q, %v", ic, ifname, err)
	}
	ic, _, _ = instanceConfig(c, c.VRRP.Instances[1])
	if ic.Machine.Version != 3 || ic.Machine.InitialState != vrrp.StateMaster || ic.AuthType != 0 {
		t.Fatalf("VI_2 mapped to %+v", ic)
	}
}

// A new master takes its addresses out of standby, announces them
// (garp_master_repeat), again after garp_master_delay and every
// garp_master_refresh; leaving MASTER puts them back and ends the batches.
func TestVRRPMasterAnnouncesAndReleases(t *testing.T) {
	inst := `{name: VI_1, vrid: 51, port: wan, version: 3, advert_interval: 100ms, priority: 150, track_dataplane: false,
      garp_master_repeat: 3, garp_master_delay: 60ms, garp_master_refresh: 1s, garp_master_refresh_repeat: 2,
      track_port: [{port: wan}], virtual_addresses: [10.0.0.100]}`
	l := startVRRPLab(t, vrrpYAML("", inst), func(l *vrrpLab) { l.dp.setLink("wan", true) })
	l.awaitState(t, "VI_1", "MASTER")
	if s := l.dp.spec(); slices.Contains(s.Standby, vip100) {
		t.Errorf("as master, standby = %v", s.Standby)
	}
	await(t, "the delayed batch", func() bool { return len(l.dp.announceCalls()) >= 2 })
	calls := l.dp.announceCalls()
	if calls[0].times != 3 || !slices.Equal(calls[0].addrs, []netip.Addr{vip100}) || calls[1].times != 3 {
		t.Errorf("batches %+v, want 3 then 3 for %v", calls, vip100)
	}
	await(t, "a refresh batch", func() bool { return len(l.dp.announceCalls()) >= 3 })
	if c := l.dp.announceCalls()[2]; c.times != 2 {
		t.Errorf("refresh batch %+v, want 2 per address", c)
	}

	l.dp.setLink("wan", false) // weight 0: FAULT
	in := l.awaitState(t, "VI_1", "FAULT")
	if !in.Fault || len(in.Tracking) != 1 || in.Tracking[0].Object != "port:wan" || in.Tracking[0].Up {
		t.Errorf("in FAULT: %+v", in)
	}
	await(t, "the release", func() bool { return slices.Contains(l.dp.spec().Standby, vip100) })
	n := len(l.dp.announceCalls())
	ri := l.d.vrrp.Load().running(l.d.cfg.Load().VRRP.Instances[0])
	if p := ri.hooks.garp.pending(); p != 0 {
		t.Errorf("%d gratuitous ARP timers still armed after leaving MASTER", p)
	}
	time.Sleep(1200 * time.Millisecond)
	if got := len(l.dp.announceCalls()); got != n {
		t.Errorf("%d batches sent after leaving MASTER", got-n)
	}
}

// A reload that changes only the priority or the addresses makes no
// transition; the dataplane serves the new addresses at once and the
// master announces the one it gained.
func TestVRRPReloadWithoutTransition(t *testing.T) {
	l := startVRRPLab(t, vrrpYAML("", vi1))
	before := l.awaitState(t, "VI_1", "MASTER")

	l.reload(t, vrrpYAML("", strings.Replace(vi1, "priority: 150", "priority: 120", 1)))
	await(t, "the new priority", func() bool { return l.instance(t, "VI_1").Priority == 120 })
	in := l.instance(t, "VI_1")
	if in.State != "MASTER" || in.Transitions != before.Transitions || in.ConfiguredPriority != 120 {
		t.Errorf("after a priority reload: %+v (before %d transitions)", in, before.Transitions)
	}

	l.reload(t, vrrpYAML("", strings.Replace(vi1, "[10.0.0.100]", "[10.0.0.100, 10.0.0.101]", 1)))
	in = l.instance(t, "VI_1")
	if in.State != "MASTER" || in.Transitions != before.Transitions || len(in.Addresses) != 2 {
		t.Errorf("after an address reload: %+v", in)
	}
	s := l.dp.spec()
	if !slices.Contains(s.Floating, flt101) || slices.Contains(s.Standby, flt101) || slices.Contains(s.Standby, vip100) {
		t.Errorf("snapshot after the reload: floating %v, standby %v", s.Floating, s.Standby)
	}
	if !slices.ContainsFunc(l.dp.announceCalls(), func(c announceCall) bool { return slices.Equal(c.addrs, []netip.Addr{flt101}) }) {
		t.Errorf("the gained address was not announced: %+v", l.dp.announceCalls())
	}
	if l.openedCount("govs-wan") != 1 {
		t.Errorf("transport opened %d times: the instance was restarted", l.openedCount("govs-wan"))
	}
}

// Added instances start, removed ones stop (their VIP is then served as
// any VIP without an instance), and a new VRID is a new instance.
func TestVRRPReloadAddsRemovesReplaces(t *testing.T) {
	vi2 := `{name: VI_2, vrid: 52, port: lan, version: 3, advert_interval: 100ms, track_dataplane: false, garp_master_delay: 0s, virtual_addresses: [10.1.0.253]}`
	l := startVRRPLab(t, vrrpYAML("", vi1))
	l.awaitState(t, "VI_1", "MASTER")

	l.reload(t, vrrpYAML("", vi1, vi2))
	l.awaitState(t, "VI_2", "MASTER")

	l.reload(t, vrrpYAML("", vi2))
	if ins := l.d.VRRP(); len(ins) != 1 || ins[0].Name != "VI_2" {
		t.Fatalf("after removing VI_1: %+v", ins)
	}
	if s := l.dp.spec(); slices.Contains(s.Standby, vip100) || slices.Contains(s.Standby, gw253) {
		t.Errorf("standby %v: VI_1's VIP should be served as before VRRP, VI_2 is master", s.Standby)
	}

	l.reload(t, vrrpYAML("", strings.Replace(vi2, "vrid: 52", "vrid: 53", 1)))
	in := l.instance(t, "VI_2")
	if in.VRID != 53 || l.openedCount("govs-lan") != 2 {
		t.Errorf("VRID change: %+v, lan transport opened %d times", in, l.openedCount("govs-lan"))
	}
	if in.State == "MASTER" && slices.Contains(l.dp.spec().Standby, gw253) {
		t.Errorf("new VI_2 master but its address standby")
	}
	if in.State != "MASTER" && !slices.Contains(l.dp.spec().Standby, gw253) {
		t.Errorf("new VI_2 %s but its address served: the old one's MASTER state carried over", in.State)
	}
}

// track_port and track_script weights move the effective priority; a
// stalled worker lcore puts a track_dataplane instance in FAULT.
func TestVRRPTracking(t *testing.T) {
	extra := "  scripts:\n    - {name: chk, script: chk-web, interval: 100ms, weight: -20}\n"
	inst := `{name: VI_1, vrid: 51, port: wan, version: 3, advert_interval: 100ms, priority: 150, garp_master_delay: 0s,
      track_port: [{port: lan, weight: -30}], track_script: [{name: chk}], virtual_addresses: [10.0.0.100]}`
	l := startVRRPLab(t, vrrpYAML(extra, inst), func(l *vrrpLab) {
		l.dp.setLink("wan", true)
		l.dp.setLink("lan", true)
	})
	in := l.awaitState(t, "VI_1", "MASTER")
	if in.Priority != 150 || len(in.Tracking) != 3 {
		t.Fatalf("all up: %+v", in)
	}
	l.dp.setLink("lan", false)
	await(t, "priority 120", func() bool { return l.instance(t, "VI_1").Priority == 120 })
	l.setScript("chk-web", false)
	await(t, "priority 100", func() bool { return l.instance(t, "VI_1").Priority == 100 })
	in = l.instance(t, "VI_1")
	want := []string{"port:lan down (-30)", "script:chk down (-20)", "dataplane up"}
	for i, tr := range in.Tracking {
		state := "down"
		if tr.Up {
			state = "up"
		}
		got := tr.Object + " " + state
		if tr.Weight != 0 {
			got += fmt.Sprintf(" (%+d)", tr.Weight)
		}
		if i >= len(want) || got != want[i] {
			t.Errorf("tracking[%d] = %q, want %q", i, got, want)
		}
	}

	l.dp.mu.Lock()
	l.dp.stalled = true
	l.dp.mu.Unlock()
	in = l.awaitState(t, "VI_1", "FAULT")
	if !in.Fault {
		t.Errorf("a stalled lcore: %+v", in)
	}
	l.dp.mu.Lock()
	l.dp.stalled = false
	l.dp.mu.Unlock()
	await(t, "leaving FAULT", func() bool { return l.instance(t, "VI_1").State != "FAULT" })
}
