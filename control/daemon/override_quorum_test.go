package daemon

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/health"
)

var _ overrideCounter = (*health.Manager)(nil)

// quorumYAML: web needs weight 5 of its unchecked servers .11 (2), .12
// (3), .13 (4); while it is lost, the sorry server .99 serves alone.
const quorumYAML = `
eal: {lcores: "0-1"}
ports:
  - {name: wan, device: "net_tap0,iface=x0", address: 10.0.0.1/24}
  - {name: lan, device: "net_tap1,iface=x1", address: 10.1.0.1/24}
services:
  - name: web
    vip: 10.0.0.100
    protocol: tcp
    port: 80
    quorum: 5
    sorry_server: {address: 10.1.0.99, port: 8080}
    real_servers:
      - {address: 10.1.0.11, port: 8080, weight: 2}
      - {address: 10.1.0.12, port: 8080, weight: 3}
      - {address: 10.1.0.13, port: 8080, weight: 4}
`

func TestQuorumOverridesWeights(t *testing.T) {
	k := func(last byte) serverKey { return serverKey{webKey, netip.AddrFrom4([4]byte{10, 1, 0, last}), 8080} }
	set := map[serverKey]serverOverride{
		k(11): {state: admin.OverrideMaint, weight: w(7)},
		k(12): {state: admin.OverrideDrain},
		k(13): {state: admin.OverrideReady, weight: w(9)},
		k(14): {state: admin.OverrideReady}, // empty: not counted as an override
	}
	got := map[byte]uint32{}
	for _, o := range quorumOverrides(set) {
		got[o.Addr.As4()[3]] = o.Weight
	}
	if want := map[byte]uint32{11: 0, 12: 0, 13: 9}; !mapsEqual(got, want) {
		t.Errorf("quorum weights %v, want %v", got, want)
	}
}

// quorumDaemon runs a real health manager (nothing to check: no probes)
// under a daemon whose overrides were restored as restored says.
func quorumDaemon(t *testing.T, restored map[serverKey]serverOverride) (*Daemon, *fakeDataplane, <-chan health.Event) {
	t.Helper()
	d, dp, _ := testDaemon(t, quorumYAML)
	if _, err := d.overrides.update(func(m map[serverKey]serverOverride) {
		for k, o := range restored {
			m[k] = o
		}
	}); err != nil {
		t.Fatal(err)
	}
	m, err := health.New(health.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.health = m
	events, _ := m.Subscribe(100)
	if err := d.startHealth(nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.stopHealth)
	return d, dp, events
}

func quorumEvents(ch <-chan health.Event) []string {
	var out []string
	for {
		select {
		case e := <-ch:
			out = append(out, e.Type)
		case <-time.After(50 * time.Millisecond):
			return out
		}
	}
}

func destsOf(t *testing.T, dp *fakeDataplane) []byte {
	t.Helper()
	var out []byte
	for _, d := range dp.spec().Services[0].Dests {
		if d.Weight > 0 {
			out = append(out, d.Addr.As4()[3])
		}
	}
	slices.Sort(out)
	return out
}

// An operator's maintenance or drain that leaves less than the quorum
// loses it as failed checks would: quorum_down, the sorry server alone;
// ready/clear regains it.
func TestOverridesLoseQuorum(t *testing.T) {
	d, dp, events := quorumDaemon(t, nil)
	if got := quorumEvents(events); len(got) != 0 {
		t.Fatalf("start: events %q", got)
	}
	for i, step := range []struct {
		name   string
		do     func()
		events []string
		dests  []byte // servers with weight > 0
		alive  uint64
	}{
		{"maint of .13 leaves 5: kept", func() { setOverride(t, d, "10.1.0.13:8080", admin.ActionMaint, nil) },
			nil, []byte{11, 12}, 5},
		{"drain of .11 leaves 3: lost, sorry serves", func() { setOverride(t, d, "10.1.0.11:8080", admin.ActionDrain, nil) },
			[]string{health.EventQuorumDown}, []byte{99}, 3},
		{"weight 1 on .11 ready: 4, still lost", func() {
			setOverride(t, d, "10.1.0.11:8080", admin.ActionWeight, w(1))
			setOverride(t, d, "10.1.0.11:8080", admin.ActionReady, nil)
		}, nil, []byte{99}, 4},
		{"clear all: regained", func() {
			if _, err := d.ClearOverrides(); err != nil {
				t.Fatal(err)
			}
		}, []string{health.EventQuorumUp}, []byte{11, 12, 13}, 9},
	} {
		step.do()
		if got := quorumEvents(events); !slices.Equal(got, step.events) {
			t.Errorf("step %d %s: events %q, want %q", i, step.name, got, step.events)
		}
		if got := destsOf(t, dp); !slices.Equal(got, step.dests) {
			t.Errorf("step %d %s: serving %v, want %v", i, step.name, got, step.dests)
		}
		if h := d.Health(); len(h.Services) != 1 || h.Services[0].AliveWeight != step.alive {
			t.Errorf("step %d %s: health %+v, want alive weight %d", i, step.name, h.Services, step.alive)
		}
	}
}

// Overrides restored from the state file count from the start: the
// quorum starts lost, with no quorum_down (nothing changed).
func TestRestoredMaintenanceStartsWithoutQuorum(t *testing.T) {
	k := func(last byte) serverKey { return serverKey{webKey, netip.AddrFrom4([4]byte{10, 1, 0, last}), 8080} }
	d, dp, events := quorumDaemon(t, map[serverKey]serverOverride{
		k(13): {state: admin.OverrideMaint}, k(12): {state: admin.OverrideDrain}})
	if got := quorumEvents(events); len(got) != 0 {
		t.Errorf("start: events %q", got)
	}
	if err := d.applyCurrent(); err != nil {
		t.Fatal(err)
	}
	if got := destsOf(t, dp); !slices.Equal(got, []byte{99}) {
		t.Errorf("serving %v, want the sorry server", got)
	}
	if h := d.Health(); h.Services[0].QuorumUp || !h.Services[0].SorryActive {
		t.Errorf("health %+v, want quorum lost, sorry active", h.Services[0])
	}
}
