package health

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
)

// An operator's maintenance, drain or weight counts in the quorum as the
// dataplane's weight does: losing the quorum by maintenance publishes
// quorum_down, clearing it quorum_up; a checked-down server counts 0
// whatever its override; overrides survive an Apply.
func TestOverridesInQuorum(t *testing.T) {
	const a, b = "10.0.0.1:80", "10.0.0.2:80"
	ov := func(server string, w uint32) WeightOverride {
		ap := netip.MustParseAddrPort(server)
		return WeightOverride{Service: svcKey, Addr: ap.Addr(), Port: ap.Port(), Weight: w}
	}
	type step struct {
		overrides []WeightOverride
		down      string // server whose check fails before this step
		reapply   bool   // Apply the same spec again (a reload)
		events    []string
		quorum    bool
		alive     uint64
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"maintenance loses quorum, clearing regains it", []step{
			{overrides: []WeightOverride{ov(a, 0)}, events: []string{"quorum_down " + svcKey}, quorum: false, alive: 2},
			{overrides: nil, events: []string{"quorum_up " + svcKey}, quorum: true, alive: 6},
		}},
		{"drain of the small server keeps quorum", []step{
			{overrides: []WeightOverride{ov(b, 0)}, events: nil, quorum: true, alive: 4},
		}},
		{"operator weight counts instead of configured", []step{
			{overrides: []WeightOverride{ov(a, 1)}, events: []string{"quorum_down " + svcKey}, quorum: false, alive: 3},
			{overrides: []WeightOverride{ov(a, 10)}, events: []string{"quorum_up " + svcKey}, quorum: true, alive: 12},
		}},
		{"override kept across a reload", []step{
			{overrides: []WeightOverride{ov(a, 0)}, events: []string{"quorum_down " + svcKey}, quorum: false, alive: 2},
			{overrides: []WeightOverride{ov(a, 0)}, reapply: true, events: nil, quorum: false, alive: 2},
		}},
		{"checked-down server counts nothing even with a weight override", []step{
			{overrides: []WeightOverride{ov(b, 50)}, events: nil, quorum: true, alive: 54},
			{overrides: []WeightOverride{ov(b, 50)}, down: b, events: []string{"server_down " + svcKey + " " + b}, quorum: true, alive: 4},
		}},
		{"override for another service changes nothing", []step{
			{overrides: []WeightOverride{{Service: "udp/10.0.0.10:53", Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}}, events: nil, quorum: true, alive: 6},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			chk := tcpCheck(time.Second, 1, 1)
			spec := oneService(false, 4, 0, srv("10.0.0.1", 80, 4, chk), srv("10.0.0.2", 80, 2, chk))
			h.m.Apply(spec)
			if q := h.service(svcKey); !q.QuorumUp || q.AliveWeight != 6 {
				t.Fatalf("start: quorum %v alive %d", q.QuorumUp, q.AliveWeight)
			}
			h.drain()
			for i, s := range tc.steps {
				changes := h.changes
				if s.down != "" {
					h.probers.set(s.down, failure("refused"))
					h.clock.Advance(time.Second)
				}
				h.m.SetOverrides(s.overrides)
				if s.reapply {
					h.m.Apply(spec)
				}
				got := h.drain()
				if !reflect.DeepEqual(got, s.events) {
					t.Errorf("step %d: events %q, want %q", i, got, s.events)
				}
				if q := h.service(svcKey); q.QuorumUp != s.quorum || q.AliveWeight != s.alive {
					t.Errorf("step %d: quorum %v alive %d, want %v %d", i, q.QuorumUp, q.AliveWeight, s.quorum, s.alive)
				}
				if len(s.events) > 0 && h.changes == changes {
					t.Errorf("step %d: events but no OnChange", i)
				}
			}
		})
	}
}
