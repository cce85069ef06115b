package daemon

import (
	"errors"
	"net/netip"
	"sync"
	"testing"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/health"
)

// overrideYAML is base's ports with a named TCP service of three
// servers: .11 checked, .12 checked and inhibit_on_failure, .13 unchecked;
// and a UDP service on the same VIP:port.
const overrideYAML = `
eal: {lcores: "0-1"}
ports:
  - {name: wan, device: "net_tap0,iface=x0", address: 10.0.0.1/24}
  - {name: lan, device: "net_tap1,iface=x1", address: 10.1.0.1/24}
services:
  - name: web
    vip: 10.0.0.100
    protocol: tcp
    port: 80
    real_servers:
      - {address: 10.1.0.11, port: 8080, weight: 2, check: {type: tcp}}
      - {address: 10.1.0.12, port: 8080, weight: 3, check: {type: tcp}, inhibit_on_failure: true}
      - {address: 10.1.0.13, port: 8080, weight: 4}
  - {vip: 10.0.0.100, protocol: udp, port: 80, real_servers: [{address: 10.1.0.11, port: 8080}]}
`

const webKey = "tcp/10.0.0.100:80"

// fakeHealth is a health manager whose verdicts the test sets.
type fakeHealth struct {
	mu      sync.Mutex
	servers []health.ServerStatus
}

func (f *fakeHealth) Apply(health.Spec) {}
func (f *fakeHealth) Stop()             {}
func (f *fakeHealth) Services() []health.ServiceStatus {
	return nil
}
func (f *fakeHealth) Subscribe(int) (<-chan health.Event, func()) {
	return make(chan health.Event), func() {}
}
func (f *fakeHealth) Servers() []health.ServerStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]health.ServerStatus(nil), f.servers...)
}

// set gives 10.1.0.last:8080 of web the verdict up (dyn -1: no dynamic weight).
func (f *fakeHealth) set(last byte, up bool, dyn int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	addr := netip.AddrFrom4([4]byte{10, 1, 0, last})
	for i := range f.servers {
		if f.servers[i].Addr == addr {
			f.servers[i].Up, f.servers[i].DynamicWeight = up, dyn
			return
		}
	}
	f.servers = append(f.servers, health.ServerStatus{Service: webKey, Addr: addr, Port: 8080, Checked: true, Up: up, DynamicWeight: dyn})
}

// weights is the applied spec's web dests: last octet -> weight.
func weights(t *testing.T, dp *fakeDataplane) map[byte]uint32 {
	t.Helper()
	s := dp.spec()
	if s == nil {
		t.Fatal("nothing applied")
	}
	out := map[byte]uint32{}
	for _, d := range s.Services[0].Dests {
		out[d.Addr.As4()[3]] = d.Weight
	}
	return out
}

func w(n uint32) *uint32 { return &n }

func overrideDaemon(t *testing.T) (*Daemon, *fakeDataplane, *fakeHealth) {
	t.Helper()
	d, dp, _ := testDaemon(t, overrideYAML)
	fh := &fakeHealth{}
	fh.set(11, true, -1)
	fh.set(12, true, -1)
	d.health = fh
	return d, dp, fh
}

func setOverride(t *testing.T, d *Daemon, server, action string, weight *uint32) {
	t.Helper()
	if _, err := d.SetOverride(admin.OverrideRequest{Service: "web", Server: server, Action: action, Weight: weight}); err != nil {
		t.Fatalf("%s %s: %v", action, server, err)
	}
}

// Each override, in sequence, as the dataplane gets it.
func TestOverridesApplied(t *testing.T) {
	d, dp, _ := overrideDaemon(t)
	for _, step := range []struct {
		name   string
		do     func()
		weight map[byte]uint32
	}{
		{"set-weight replaces the configured weight", func() { setOverride(t, d, "10.1.0.11:8080", admin.ActionWeight, w(9)) },
			map[byte]uint32{11: 9, 12: 3, 13: 4}},
		{"drain: weight 0, kept", func() { setOverride(t, d, "10.1.0.13:8080", admin.ActionDrain, nil) },
			map[byte]uint32{11: 9, 12: 3, 13: 0}},
		{"maint over a weight override", func() { setOverride(t, d, "10.1.0.11:8080", admin.ActionMaint, nil) },
			map[byte]uint32{11: 0, 12: 3, 13: 0}},
		{"ready keeps the operator's weight", func() { setOverride(t, d, "10.1.0.11:8080", admin.ActionReady, nil) },
			map[byte]uint32{11: 9, 12: 3, 13: 0}},
		{"clear one: the configured weight again", func() {
			if err := d.ClearOverride("web", "10.1.0.11:8080"); err != nil {
				t.Fatal(err)
			}
		}, map[byte]uint32{11: 2, 12: 3, 13: 0}},
		{"clear all", func() {
			if n, err := d.ClearOverrides(); err != nil || n != 1 {
				t.Fatalf("ClearOverrides = %d, %v; want 1 cleared", n, err)
			}
		}, map[byte]uint32{11: 2, 12: 3, 13: 4}},
	} {
		step.do()
		if got := weights(t, dp); !mapsEqual(got, step.weight) {
			t.Errorf("%s: weights %v, want %v", step.name, got, step.weight)
		}
	}
	if n := len(d.Overrides()); n != 0 {
		t.Errorf("%d overrides left after clear", n)
	}
}

// Maintenance wins over a check's "up"; a check's "down" wins over an
// operator's weight (removed, or weight 0 with inhibit_on_failure).
func TestOverridesCombineWithHealth(t *testing.T) {
	d, dp, fh := overrideDaemon(t)
	setOverride(t, d, "10.1.0.11:8080", admin.ActionWeight, w(8))
	setOverride(t, d, "10.1.0.12:8080", admin.ActionWeight, w(8))
	fh.set(11, false, -1)
	fh.set(12, false, -1)
	if err := d.applyCurrent(); err != nil {
		t.Fatal(err)
	}
	if got, want := weights(t, dp), map[byte]uint32{12: 0, 13: 4}; !mapsEqual(got, want) {
		t.Errorf("down with an operator weight: %v, want %v (.11 removed, .12 inhibited)", got, want)
	}
	fh.set(11, true, 6) // a dynamic weight loses to the operator's
	setOverride(t, d, "10.1.0.12:8080", admin.ActionMaint, nil)
	fh.set(12, true, -1)
	if err := d.applyCurrent(); err != nil {
		t.Fatal(err)
	}
	if got, want := weights(t, dp), map[byte]uint32{11: 8, 12: 0, 13: 4}; !mapsEqual(got, want) {
		t.Errorf("up again: %v, want %v (maint beats up)", got, want)
	}
	// The listing carries the override next to the health.
	for _, rs := range withOverrides(listingOf(dp), d.overrides.snapshot())[0].RealServers {
		if rs.Address == "10.1.0.12" && (rs.Override == nil || rs.Override.State != admin.OverrideMaint) {
			t.Errorf("listing of .12: override %+v, want maint", rs.Override)
		}
	}
}

// listingOf is the applied spec as the dataplane would list it.
func listingOf(dp *fakeDataplane) []admin.Service {
	s := dp.spec().Services[0]
	as := admin.Service{VIP: s.VIP.String(), Protocol: "tcp", Port: s.Port}
	for _, d := range s.Dests {
		as.RealServers = append(as.RealServers, admin.RealServer{Address: d.Addr.String(), Port: d.Port, Weight: d.Weight})
	}
	return []admin.Service{as}
}

func mapsEqual(a, b map[byte]uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func TestSetOverrideRefusals(t *testing.T) {
	d, dp, _ := overrideDaemon(t)
	var notFound *admin.NotFoundError
	var bad *admin.BadRequestError
	for _, tc := range []struct {
		name string
		req  admin.OverrideRequest
		want any
	}{
		{"unknown service", admin.OverrideRequest{Service: "mail", Server: "10.1.0.11:8080", Action: admin.ActionDrain}, &notFound},
		{"unknown key", admin.OverrideRequest{Service: "tcp/10.0.0.100:443", Server: "10.1.0.11:8080", Action: admin.ActionDrain}, &notFound},
		{"unknown server", admin.OverrideRequest{Service: "web", Server: "10.1.0.99:8080", Action: admin.ActionDrain}, &notFound},
		{"server without port", admin.OverrideRequest{Service: "web", Server: "10.1.0.11", Action: admin.ActionDrain}, &bad},
		{"weight too big", admin.OverrideRequest{Service: "web", Server: "10.1.0.11:8080", Action: admin.ActionWeight, Weight: w(65536)}, &bad},
		{"weight missing", admin.OverrideRequest{Service: "web", Server: "10.1.0.11:8080", Action: admin.ActionWeight}, &bad},
		{"unknown action", admin.OverrideRequest{Service: "web", Server: "10.1.0.11:8080", Action: "disable"}, &bad},
		{"ambiguous VIP:port", admin.OverrideRequest{Service: "10.0.0.100:80", Server: "10.1.0.11:8080", Action: admin.ActionDrain}, &bad},
	} {
		_, err := d.SetOverride(tc.req)
		var ok bool
		switch target := tc.want.(type) {
		case **admin.NotFoundError:
			ok = errors.As(err, target)
		case **admin.BadRequestError:
			ok = errors.As(err, target)
		}
		if !ok {
			t.Errorf("%s: err %v (%T), want %T", tc.name, err, err, tc.want)
		}
	}
	if dp.spec() != nil || len(d.Overrides()) != 0 {
		t.Error("a refused override changed something")
	}
	// The key forms that name one service work.
	for _, svc := range []string{webKey, "TCP/10.0.0.100:80", "TCP  10.0.0.100:80", "udp/10.0.0.100:80"} {
		if _, err := d.SetOverride(admin.OverrideRequest{Service: svc, Server: "10.1.0.11:8080", Action: admin.ActionDrain}); err != nil {
			t.Errorf("service %q: %v", svc, err)
		}
	}
	if n := len(d.Overrides()); n != 2 {
		t.Errorf("%d overrides, want 2 (tcp and udp)", n)
	}
}

// A refused apply puts the overrides back as they were.
func TestOverrideUndoneWhenApplyRefused(t *testing.T) {
	d, dp, _ := overrideDaemon(t)
	dp.applyErr = errApply
	if _, err := d.SetOverride(admin.OverrideRequest{Service: "web", Server: "10.1.0.11:8080", Action: admin.ActionDrain}); err == nil {
		t.Fatal("SetOverride succeeded over a refusing dataplane")
	}
	if n := len(d.Overrides()); n != 0 {
		t.Errorf("%d overrides kept after the dataplane refused", n)
	}
}
