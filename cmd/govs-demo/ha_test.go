package main

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/internal/netlab"
)

// haLoop makes attempts every 20 ms from t0, one per character of pattern:
// 'o' answered, 'x' failed, '.' still in flight (left out).
func haLoop(t0 time.Time, pattern string) netlab.HTTPAttempts {
	var as netlab.HTTPAttempts
	for i, c := range pattern {
		start := t0.Add(time.Duration(i) * 20 * time.Millisecond)
		a := netlab.HTTPAttempt{Seq: i, Start: start, End: start.Add(5 * time.Millisecond), Server: "rs1"}
		switch c {
		case '.':
			continue
		case 'x':
			a.Err, a.Server = errors.New("connect: no route to host"), ""
		}
		as = append(as, a)
	}
	return as
}

func TestServedAgain(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * 20 * time.Millisecond) }
	for _, tc := range []struct {
		pattern string
		since   int
		n       int
		want    int // index of the run's first request; -1: not served
	}{
		{"ooo", 0, 3, 0},
		{"oo", 0, 3, -1},
		{"ooxxooo", 0, 3, 4},
		{"ooxxoox", 0, 3, -1},
		{"oooooxo", 3, 3, -1},    // the run must start at or after since
		{"xxoooooo", 4, 3, 4},    // requests before since do not count
		{"xx.oooo", 0, 3, -1},    // one still in flight may yet fail
		{"xxoo.ooo", 2, 2, 2},    // a run before the gap is enough
		{"", 0, 1, -1},           // nothing yet
		{"xxxxxxxxxx", 0, 1, -1}, // never served
	} {
		got, ok := servedAgain(haLoop(t0, tc.pattern), at(tc.since), tc.n)
		if tc.want < 0 {
			if ok {
				t.Errorf("servedAgain(%q, since #%d, %d) = %v, want not served", tc.pattern, tc.since, tc.n, got)
			}
			continue
		}
		if !ok || !got.Equal(at(tc.want)) {
			t.Errorf("servedAgain(%q, since #%d, %d) = %v %v, want request #%d's start %v", tc.pattern, tc.since, tc.n, got, ok, tc.want, at(tc.want))
		}
	}
}

func TestOutage(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		pattern string
		served  time.Duration
		want    time.Duration
	}{
		{"oooo", 80 * time.Millisecond, 0},
		{"oxxxoo", 80 * time.Millisecond, 60 * time.Millisecond}, // first failure at 20 ms
		{"xoxo", 60 * time.Millisecond, 60 * time.Millisecond},
	} {
		w := failWindow{attempts: haLoop(t0, tc.pattern)}
		if got := outage(w, t0.Add(tc.served)); got != tc.want {
			t.Errorf("outage(%q, served at %v) = %v, want %v", tc.pattern, tc.served, got, tc.want)
		}
	}
}

func TestSplitHA(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	// 20 requests every 20 ms: 0..380 ms, each 5 ms long
	as := haLoop(t0, "oooxxoooooxooooooooo")
	tm := haTimes{kill: ms(50), takeover: ms(70), served: ms(100), restart: ms(200), preempt: ms(210), back: ms(240)}
	w := splitHA(as, tm)
	var got []int
	for _, p := range w {
		got = append(got, len(p.attempts))
	}
	// before: 0,20,40 (40+5 < 50); failover: 60,80; on backup: 100..180;
	// preemption: 200,220; back: 240..380
	if want := []int{3, 2, 5, 2, 8}; !slices.Equal(got, want) {
		t.Errorf("windows hold %v requests, want %v", got, want)
	}
	if w[haFailover].span != 50*time.Millisecond || w[haPreemption].span != 40*time.Millisecond {
		t.Errorf("spans %v %v, want 50ms 40ms", w[haFailover].span, w[haPreemption].span)
	}
	if err := checkHAWindows(w); err != nil {
		t.Errorf("failures only in the failover windows: %v", err)
	}

	// a request in flight at the kill belongs to the failover
	as[2].End = ms(55)
	if w := splitHA(as, tm); len(w[haBefore].attempts) != 2 || len(w[haFailover].attempts) != 3 {
		t.Errorf("request ending after the kill: windows %d and %d, want 2 and 3", len(w[haBefore].attempts), len(w[haFailover].attempts))
	}

	// a failure while director 2 serves steadily is an error
	as = haLoop(t0, "oooxxoooxoxooooooooo")
	err := checkHAWindows(splitHA(as, tm))
	if err == nil || !strings.Contains(err.Error(), "1 requests failed through director 2") {
		t.Errorf("a failure through director 2: %v", err)
	}
	// and so is a phase without requests
	if err := checkHAWindows(splitHA(haLoop(t0, "ooo"), tm)); err == nil || !strings.Contains(err.Error(), "no request since director 1 is back") {
		t.Errorf("no request after the preemption: %v", err)
	}
}

func TestVRRPMetricLines(t *testing.T) {
	body := `# HELP govs_vrrp_state 1 for the VRRP instance's current state
govs_vrrp_state{instance="VI_WAN",state="BACKUP"} 0
govs_vrrp_state{instance="VI_WAN",state="MASTER"} 1
govs_vrrp_priority{instance="VI_WAN"} 150
govs_vrrp_effective_priority{instance="VI_WAN"} 150
govs_vrrp_transitions_total{instance="VI_WAN"} 2
govs_vrrp_adverts_sent_total{instance="VI_WAN"} 31
govs_vrrp_adverts_received_total{instance="VI_WAN"} 0
govs_vrrp_adverts_rejected_total{instance="VI_WAN",reason="lower_priority"} 4
govs_conns 3
`
	want := []string{
		`govs_vrrp_state{instance="VI_WAN",state="MASTER"} 1`,
		`govs_vrrp_effective_priority{instance="VI_WAN"} 150`,
		`govs_vrrp_transitions_total{instance="VI_WAN"} 2`,
		`govs_vrrp_adverts_sent_total{instance="VI_WAN"} 31`,
		`govs_vrrp_adverts_received_total{instance="VI_WAN"} 0`,
	}
	if got := vrrpMetricLines(body); !slices.Equal(got, want) {
		t.Errorf("vrrpMetricLines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The shipped HA configurations make a valid lab: the same VIP and
// servers, the gateway on VI_LAN, distinct taps, sockets and EAL prefixes.
func TestHAConfigs(t *testing.T) {
	var dirs [2]*haDirector
	for i, path := range []string{"../../configs/demo-ha-1.yaml", "../../configs/demo-ha-2.yaml"} {
		h, err := loadDirector(i, path)
		if err != nil {
			t.Fatal(err)
		}
		dirs[i] = h
	}
	spec, err := haSpec(dirs)
	if err != nil {
		t.Fatal(err)
	}
	if !spec.NAT || spec.ServerGW != "10.1.0.254" || spec.ClientCIDR != "10.0.0.2/24" || len(spec.ServerCIDRs) != 3 || spec.HTTPPort != 8080 {
		t.Errorf("HA lab %+v", spec)
	}
	a, b := dirs[0], dirs[1]
	if a.topo.wanTap == b.topo.wanTap || a.topo.lanTap == b.topo.lanTap || a.topo.socket == b.topo.socket || a.cfg.EAL.FilePrefix == b.cfg.EAL.FilePrefix {
		t.Errorf("the directors share taps, socket or EAL prefix: %+v %+v", a.topo, b.topo)
	}
	if a.cfg.VRRP.Instances[0].Priority <= b.cfg.VRRP.Instances[0].Priority || a.cfg.VRRP.Instances[0].Nopreempt {
		t.Errorf("director 1 must have the higher priority and preempt")
	}
	if d := masterDown(b.cfg); d < 300*time.Millisecond || d > 400*time.Millisecond {
		t.Errorf("director 2's master-down interval %v, want 3 x 100ms + skew", d)
	}
	if d := preemptDelay(a.cfg); d != 1500*time.Millisecond {
		t.Errorf("director 1's preempt_delay %v, want 1.5s: time to resolve its servers before it takes over", d)
	}
}

func TestHASpecMismatch(t *testing.T) {
	mk := func(vip, gw string) *haDirector {
		return &haDirector{config: vip, topo: demoTopo{httpVIP: netip.MustParseAddrPort(vip + ":80")}, cfg: &config.Config{VRRP: config.VRRP{Instances: []config.VRRPInstance{
			{Name: "VI_WAN", Port: "wan", VirtualAddresses: []netip.Addr{netip.MustParseAddr("10.0.0.100")}},
			{Name: "VI_LAN", Port: "lan", VirtualAddresses: []netip.Addr{netip.MustParseAddr(gw)}},
		}}}}
	}
	for _, tc := range []struct {
		dirs   [2]*haDirector
		errSub string
	}{
		{[2]*haDirector{mk("10.0.0.100", "10.1.0.254"), mk("10.0.0.100", "10.1.0.254")}, ""},
		{[2]*haDirector{mk("10.0.0.100", "10.1.0.254"), mk("10.0.0.101", "10.1.0.254")}, "same VIP"},
		{[2]*haDirector{mk("10.0.0.101", "10.1.0.254"), mk("10.0.0.101", "10.1.0.254")}, "no virtual address"},
		{[2]*haDirector{mk("10.0.0.100", "10.1.0.254"), mk("10.0.0.100", "10.1.0.253")}, "gateway 10.1.0.254"},
	} {
		_, err := haSpec(tc.dirs)
		if (tc.errSub == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.errSub) {
			t.Errorf("haSpec(%s, %s): %v, want error %q", tc.dirs[0].config, tc.dirs[1].config, err, tc.errSub)
		}
	}
}
