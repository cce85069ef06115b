package health

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const svcKey = "tcp/10.0.0.10:80"

func oneService(alpha bool, quorum, hys uint32, servers ...ServerSpec) Spec {
	return Spec{Services: []ServiceSpec{{Key: svcKey, Quorum: quorum, Hysteresis: hys, Alpha: alpha,
		QuorumUp: "qup", QuorumDown: "qdown", Servers: servers}}}
}

// Timing: warmup jitter, the interval after a success, the retry delay
// after a failure while still up, the interval again once down, and the
// next check at once when one overran its interval.
func TestScheduling(t *testing.T) {
	h := newHarness(t, Options{Jitter: func(max time.Duration) time.Duration { return max / 2 }})
	c := &Check{Kind: KindTCP, Interval: time.Second, Timeout: 500 * time.Millisecond,
		RetryDelay: 200 * time.Millisecond, Warmup: 600 * time.Millisecond, Rise: 1, Fall: 3}
	h.m.Apply(oneService(false, 1, 0, srv("10.0.0.1", 80, 1, c)))
	const s = "10.0.0.1:80"
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	h.clock.Advance(2300 * time.Millisecond) // warmup/2 = 300ms, then every second
	if got, want := h.probers.callTimes(s), ms(300, 1300, 2300); !reflect.DeepEqual(got, want) {
		t.Fatalf("checks at %v, want %v", got, want)
	}
	h.probers.down(s)
	h.clock.Advance(3700 * time.Millisecond)
	// fails at 3300 (up, failing: retry 200ms later), 3500, 3700 -> down
	// (fall 3), then every interval: 4700, 5700, 6700.
	want := ms(300, 1300, 2300, 3300, 3500, 3700, 4700, 5700)
	h.clock.Advance(0)
	if got := h.probers.callTimes(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("checks at %v, want %v", got, want)
	}
	st := h.server(svcKey, s)
	if st.Up || st.LastError != "refused" || st.LastOutcome != OutcomeFailure || st.Successes != 3 || st.Failures != 5 {
		t.Errorf("status %+v", st)
	}
	if st.Since != epoch.Add(3700*time.Millisecond) {
		t.Errorf("since %v, want the third failure", st.Since.Sub(epoch))
	}
	if h.clock.pending() != 1 {
		t.Errorf("%d timers pending, want 1 per checker", h.clock.pending())
	}
}

func TestWarmupSpreadsFirstChecks(t *testing.T) {
	var asked []time.Duration
	h := newHarness(t, Options{Jitter: func(max time.Duration) time.Duration {
		asked = append(asked, max)
		return time.Duration(len(asked)) * 100 * time.Millisecond
	}})
	c := &Check{Kind: KindTCP, Interval: time.Second, Timeout: time.Second, Warmup: 750 * time.Millisecond, Rise: 1, Fall: 1}
	h.m.Apply(oneService(false, 1, 0, srv("10.0.0.1", 80, 1, c), srv("10.0.0.2", 80, 1, c), srv("10.0.0.3", 80, 1, c)))
	h.clock.Advance(350 * time.Millisecond)
	var first []time.Duration
	for _, s := range []string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"} {
		first = append(first, h.probers.callTimes(s)...)
	}
	slices.Sort(first)
	if !reflect.DeepEqual(first, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}) ||
		!reflect.DeepEqual(asked, []time.Duration{750 * time.Millisecond, 750 * time.Millisecond, 750 * time.Millisecond}) {
		t.Errorf("first checks at %v, jitter asked for %v", first, asked)
	}
}

func TestEventsAndQuorum(t *testing.T) {
	type step struct {
		set     map[string]bool // server -> result from now on
		advance time.Duration
		events  []string
		quorum  bool
		alive   uint64
	}
	a, b, c := "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"
	cases := []struct {
		name        string
		alpha       bool
		quorum, hys uint32
		steps       []step
	}{
		{"server down and up", false, 1, 0, []step{
			{nil, time.Second, nil, true, 6},
			{map[string]bool{a: false}, time.Second, []string{"server_down " + svcKey + " " + a}, true, 5},
			{map[string]bool{a: true}, time.Second, []string{"server_up " + svcKey + " " + a}, true, 6},
		}},
		{"quorum lost and regained", false, 4, 0, []step{
			{nil, time.Second, nil, true, 6},
			{map[string]bool{c: false}, time.Second, []string{"server_down " + svcKey + " " + c, "quorum_down " + svcKey}, false, 3},
			{map[string]bool{c: true}, time.Second, []string{"server_up " + svcKey + " " + c, "quorum_up " + svcKey}, true, 6},
		}},
		{"hysteresis damps", false, 4, 1, []step{
			{nil, time.Second, nil, true, 6},
			// 5 >= 4-1: kept; 2 < 3: lost.
			{map[string]bool{a: false}, time.Second, []string{"server_down " + svcKey + " " + a}, true, 5},
			{map[string]bool{c: false, a: true}, time.Second, []string{"server_up " + svcKey + " " + a, "server_down " + svcKey + " " + c}, true, 3},
			{map[string]bool{b: false}, time.Second, []string{"server_down " + svcKey + " " + b, "quorum_down " + svcKey}, false, 1},
			// 4 < 4+1: not regained; 6: regained.
			{map[string]bool{c: true}, time.Second, []string{"server_up " + svcKey + " " + c}, false, 4},
			{map[string]bool{b: true}, time.Second, []string{"server_up " + svcKey + " " + b, "quorum_up " + svcKey}, true, 6},
		}},
		{"alpha starts down", true, 1, 0, []step{
			{map[string]bool{a: false, b: false, c: false}, 0, nil, false, 0},
			{map[string]bool{b: true}, time.Second, []string{"server_up " + svcKey + " " + b, "quorum_up " + svcKey}, true, 2},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			chk := tcpCheck(time.Second, 1, 1)
			// Servers are checked in the order they were started, every second.
			h.m.Apply(oneService(tc.alpha, tc.quorum, tc.hys,
				srv("10.0.0.1", 80, 1, chk), srv("10.0.0.2", 80, 2, chk), srv("10.0.0.3", 80, 3, chk)))
			for i, s := range tc.steps {
				for server, ok := range s.set {
					if ok {
						h.probers.up(server)
					} else {
						h.probers.down(server)
					}
				}
				h.clock.Advance(s.advance)
				got := h.drain()
				sortServerEvents(got)
				want := slices.Clone(s.events)
				sortServerEvents(want)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("step %d: events %q, want %q", i, got, want)
				}
				if q := h.service(svcKey); q.QuorumUp != s.quorum || q.AliveWeight != s.alive {
					t.Errorf("step %d: quorum %v alive %d, want %v %d", i, q.QuorumUp, q.AliveWeight, s.quorum, s.alive)
				}
			}
		})
	}
}

// sortServerEvents orders server events among themselves, keeping quorum
// events after the server events that caused them.
func sortServerEvents(ev []string) {
	slices.SortStableFunc(ev, func(x, y string) int {
		qx, qy := strings.HasPrefix(x, "quorum"), strings.HasPrefix(y, "quorum")
		switch {
		case qx == qy && !qx:
			return strings.Compare(x[strings.LastIndexByte(x, ' '):], y[strings.LastIndexByte(y, ' '):])
		case qx == qy:
			return 0
		case qx:
			return 1
		}
		return -1
	})
}

func TestDynamicWeight(t *testing.T) {
	h := newHarness(t, Options{})
	chk := &Check{Kind: KindScript, Interval: time.Second, Timeout: time.Second, Rise: 1, Fall: 1, Command: "x", Dynamic: true}
	h.m.Apply(oneService(false, 5, 0, srv("10.0.0.1", 80, 10, chk)))
	const s = "10.0.0.1:80"
	if st := h.server(svcKey, s); st.DynamicWeight != -1 || h.service(svcKey).AliveWeight != 10 {
		t.Fatalf("before: dynamic %d alive %d", st.DynamicWeight, h.service(svcKey).AliveWeight)
	}
	h.probers.set(s, Result{OK: true, Weight: 3})
	h.clock.Advance(time.Second)
	if st, q := h.server(svcKey, s), h.service(svcKey); st.DynamicWeight != 3 || q.AliveWeight != 3 || q.QuorumUp {
		t.Errorf("weight 3: dynamic %d alive %d quorum %v", st.DynamicWeight, q.AliveWeight, q.QuorumUp)
	}
	if got := h.drain(); !reflect.DeepEqual(got, []string{"quorum_down " + svcKey}) {
		t.Errorf("events %q", got)
	}
	changes := h.changes
	h.probers.set(s, success()) // exit 0: weight unchanged, as keepalived
	h.clock.Advance(time.Second)
	if st := h.server(svcKey, s); st.DynamicWeight != 3 || h.changes != changes {
		t.Errorf("exit 0 changed the weight to %d (changes %d -> %d)", st.DynamicWeight, changes, h.changes)
	}
	h.probers.set(s, Result{OK: true, Weight: 8})
	h.clock.Advance(time.Second)
	if h.changes != changes+1 || !h.service(svcKey).QuorumUp {
		t.Errorf("weight 8: changes %d, quorum %v", h.changes-changes, h.service(svcKey).QuorumUp)
	}
}

func TestReload(t *testing.T) {
	h := newHarness(t, Options{})
	chk := tcpCheck(time.Second, 1, 2)
	a, b, c := "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"
	spec := oneService(false, 1, 0, srv("10.0.0.1", 80, 1, chk), srv("10.0.0.2", 80, 1, chk), srv("10.0.0.3", 80, 1, chk))
	h.m.Apply(spec)
	h.probers.down(a)
	h.probers.down(b)
	h.clock.Advance(2 * time.Second) // a and b down (fall 2)
	h.drain()
	before := h.server(svcKey, a)
	if before.Up {
		t.Fatal("a not down")
	}

	// The same spec again (a fresh copy of the check): nothing restarts.
	chk2 := *chk
	same := oneService(false, 1, 0, srv("10.0.0.1", 80, 1, &chk2), srv("10.0.0.2", 80, 1, &chk2), srv("10.0.0.3", 80, 1, &chk2))
	h.m.Apply(same)
	if st := h.server(svcKey, a); st.Up || st.Since != before.Since || st.Failures != before.Failures || h.probers.builds(a) != 1 {
		t.Errorf("unchanged reload touched a: %+v, built %d", st, h.probers.builds(a))
	}

	// b's check changes: it starts over (up, not alpha); c's weight
	// changes in place; a is removed.
	changed := *chk
	changed.Interval = 2 * time.Second
	next := oneService(false, 1, 0, srv("10.0.0.2", 80, 1, &changed), srv("10.0.0.3", 80, 7, &chk2))
	h.m.Apply(next)
	if got := h.drain(); !reflect.DeepEqual(got, []string{"server_up " + svcKey + " " + b}) {
		t.Errorf("events %q", got)
	}
	sts := h.m.Servers()
	if len(sts) != 2 || sts[0].Addr.String() != "10.0.0.2" || !sts[0].Up || sts[0].Failures != 0 || h.probers.builds(b) != 2 {
		t.Errorf("after reload %+v, b built %d", sts, h.probers.builds(b))
	}
	if h.probers.builds(c) != 1 || h.service(svcKey).AliveWeight != 8 {
		t.Errorf("c rebuilt (%d) or weight not taken (%d)", h.probers.builds(c), h.service(svcKey).AliveWeight)
	}
	// The removed server's checker is gone: one timer per remaining server.
	calls := len(h.probers.callTimes(a))
	h.clock.Advance(5 * time.Second)
	if len(h.probers.callTimes(a)) != calls || h.clock.pending() != 2 {
		t.Errorf("removed server still checked (%d -> %d), %d timers", calls, len(h.probers.callTimes(a)), h.clock.pending())
	}
	// Unchecked servers are always up, and a service removed is gone.
	h.m.Apply(Spec{Services: []ServiceSpec{{Key: "udp/10.0.0.10:53", Quorum: 1, Servers: []ServerSpec{srv("10.0.0.9", 53, 1, nil)}}}})
	if sts := h.m.Servers(); len(sts) != 1 || !sts[0].Up || sts[0].Checked || h.clock.pending() != 0 {
		t.Errorf("unchecked: %+v, %d timers", sts, h.clock.pending())
	}
}

// A reload under alpha starts a changed check down, and says so.
func TestReloadAlphaResets(t *testing.T) {
	h := newHarness(t, Options{})
	chk := tcpCheck(time.Second, 1, 1)
	h.m.Apply(oneService(true, 1, 0, srv("10.0.0.1", 80, 1, chk)))
	h.clock.Advance(time.Second)
	if !h.server(svcKey, "10.0.0.1:80").Up {
		t.Fatal("not up after its first success")
	}
	h.drain()
	other := *chk
	other.Kind = KindPing
	h.m.Apply(oneService(true, 1, 0, srv("10.0.0.1", 80, 1, &other)))
	got := h.drain()
	want := []string{"server_down " + svcKey + " 10.0.0.1:80", "quorum_down " + svcKey}
	if !reflect.DeepEqual(got, want) || h.server(svcKey, "10.0.0.1:80").Up {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestNotifyCommands(t *testing.T) {
	r := &fakeRunner{done: make(chan struct{}, 10)}
	h := newHarness(t, Options{RunCommand: r.run})
	sp := srv("10.0.0.1", 8080, 1, tcpCheck(time.Second, 1, 1))
	sp.NotifyUp, sp.NotifyDown = "/bin/up.sh arg", "/bin/down.sh"
	h.m.Apply(oneService(false, 1, 0, sp))
	h.probers.down("10.0.0.1:8080")
	h.clock.Advance(time.Second)
	h.probers.up("10.0.0.1:8080")
	h.clock.Advance(time.Second)
	for range 4 {
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("commands run: %q", r.list())
		}
	}
	got := r.list()
	slices.Sort(got)
	// As keepalived: the command as written, nothing appended; the
	// environment says what changed.
	want := []string{
		"/bin/down.sh [GOVS_SERVICE=" + svcKey + " GOVS_SERVER=10.0.0.1:8080 GOVS_STATE=DOWN]",
		"/bin/up.sh arg [GOVS_SERVICE=" + svcKey + " GOVS_SERVER=10.0.0.1:8080 GOVS_STATE=UP]",
		"qdown [GOVS_SERVICE=" + svcKey + " GOVS_STATE=DOWN]",
		"qup [GOVS_SERVICE=" + svcKey + " GOVS_STATE=UP]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("commands\n%q\nwant\n%q", got, want)
	}
}

// Notify commands never hold a checker: with every worker busy and the
// queue full, the rest are dropped and counted.
func TestNotifyBounded(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	block := func(ctx context.Context, command string, env []string) CommandResult {
		started <- struct{}{}
		<-release
		return CommandResult{}
	}
	reg := prometheus.NewRegistry()
	h := newHarness(t, Options{RunCommand: block, NotifyWorkers: 2, NotifyQueue: 1, Registerer: reg})
	wait := func() {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("notify command not started")
		}
	}
	h.m.notes.notify("cmd")
	wait()
	h.m.notes.notify("cmd")
	wait() // both workers busy
	for range 4 {
		h.m.notes.notify("cmd") // one queued, three dropped
	}
	if dropped := gather(t, reg)[`govs_health_notify_commands_total{result="dropped"}`]; dropped != 3 {
		t.Errorf("dropped %v, want 3", dropped)
	}
	close(release)
}

func TestSubscribe(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, Options{Registerer: reg})
	slow, cancelSlow := h.m.Subscribe(1)
	h.m.Apply(oneService(false, 1, 0, srv("10.0.0.1", 80, 1, tcpCheck(time.Second, 1, 1)),
		srv("10.0.0.2", 80, 1, tcpCheck(time.Second, 1, 1))))
	h.probers.down("10.0.0.1:80")
	h.probers.down("10.0.0.2:80")
	h.clock.Advance(time.Second) // two server_down and a quorum_down
	if n := len(h.drain()); n != 3 {
		t.Errorf("fast subscriber got %d events, want 3", n)
	}
	if e := <-slow; e.Type != EventServerDown {
		t.Errorf("slow subscriber's first event %+v", e)
	}
	if d := gather(t, reg)["govs_health_events_dropped_total"]; d != 2 {
		t.Errorf("dropped %v, want 2", d)
	}
	cancelSlow()
	cancelSlow() // twice is harmless
	if _, open := <-slow; open {
		t.Error("cancelled subscription still open")
	}
	h.m.Stop()
	if _, open := <-h.events; open {
		t.Error("Stop left a subscription open")
	}
	if ch, _ := h.m.Subscribe(1); ch != nil {
		if _, open := <-ch; open {
			t.Error("subscription after Stop is open")
		}
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newHarness(t, Options{Registerer: reg})
	h.m.Apply(oneService(false, 1, 0, srv("10.0.0.1", 80, 1, tcpCheck(time.Second, 1, 1)), srv("10.0.0.2", 80, 1, nil)))
	h.clock.Advance(time.Second) // checks at 0 and 1s
	h.probers.set("10.0.0.1:80", Result{Timeout: true, Err: "timeout", Weight: -1})
	h.clock.Advance(time.Second)
	got := gather(t, reg)
	for series, v := range map[string]float64{
		`govs_health_checks_total{outcome="failure",server="10.0.0.1:80",service="tcp/10.0.0.10:80"}`: 0,
		`govs_health_checks_total{outcome="success",server="10.0.0.1:80",service="tcp/10.0.0.10:80"}`: 2,
		`govs_health_checks_total{outcome="timeout",server="10.0.0.1:80",service="tcp/10.0.0.10:80"}`: 1,
		`govs_health_transitions_total{server="10.0.0.1:80",service="tcp/10.0.0.10:80",to="down"}`:    1,
		`govs_health_transitions_total{server="10.0.0.1:80",service="tcp/10.0.0.10:80",to="up"}`:      0,
		`govs_realserver_up{server="10.0.0.1:80",service="tcp/10.0.0.10:80"}`:                         0,
		`govs_realserver_up{server="10.0.0.2:80",service="tcp/10.0.0.10:80"}`:                         1,
		`govs_service_quorum_up{service="tcp/10.0.0.10:80"}`:                                          1,
		`govs_health_check_duration_seconds_count{type="tcp"}`:                                        3,
	} {
		if g, ok := got[series]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", series, g, ok, v)
		}
	}
	// A removed server's series go; a removed service's quorum too.
	h.m.Apply(oneService(false, 1, 0, srv("10.0.0.2", 80, 1, nil)))
	got = gather(t, reg)
	for series := range got {
		if strings.Contains(series, "10.0.0.1:80") {
			t.Errorf("series of a removed server left: %s", series)
		}
	}
	if _, ok := got[`govs_realserver_up{server="10.0.0.2:80",service="tcp/10.0.0.10:80"}`]; !ok {
		t.Error("a kept server's series went")
	}
	h.m.Apply(Spec{})
	for series := range gather(t, reg) {
		if strings.HasPrefix(series, "govs_service_quorum_up") || strings.HasPrefix(series, "govs_realserver_up") {
			t.Errorf("series of a removed service left: %s", series)
		}
	}
	// Registering twice into one registry is an error, not a panic.
	if _, err := New(Options{Registerer: reg}); err == nil {
		t.Error("second manager on the same registry registered")
	}
}

// A check that cannot be built keeps its server down with the reason.
func TestBrokenCheck(t *testing.T) {
	m, err := New(Options{Clock: newFakeClock(), Jitter: func(time.Duration) time.Duration { return 0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	clock := m.o.Clock.(*fakeClock)
	bad := &Check{Kind: KindHTTP, Interval: time.Second, Timeout: time.Second, Fall: 1, BodyRegex: "("}
	m.Apply(oneService(false, 1, 0, srv("127.0.0.1", 1, 1, bad)))
	clock.Advance(0)
	st := m.Servers()[0]
	if st.Up || !strings.HasPrefix(st.LastError, "invalid check: body regex") {
		t.Errorf("status %+v", st)
	}
}

func TestStopWaitsAndIgnoresApply(t *testing.T) {
	h := newHarness(t, Options{})
	h.m.Apply(oneService(false, 1, 0, srv("10.0.0.1", 80, 1, tcpCheck(time.Second, 1, 1))))
	h.m.Stop()
	if h.clock.pending() != 0 {
		t.Errorf("%d timers left after Stop", h.clock.pending())
	}
	h.m.Apply(oneService(false, 1, 0, srv("10.0.0.2", 80, 1, tcpCheck(time.Second, 1, 1))))
	if h.clock.pending() != 0 {
		t.Error("Apply after Stop started a checker")
	}
	h.m.Stop() // twice is harmless
}

// gather returns every sample of reg as name{label="value",...} -> value
// (histograms as their _count).
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := f.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[name] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[name] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[strings.Replace(name, "{", "_count{", 1)] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}
