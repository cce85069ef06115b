package daemon

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
)

func TestStateFileRoundTrip(t *testing.T) {
	d, _, _ := overrideDaemon(t)
	path := filepath.Join(t.TempDir(), "lib", "state.json")
	d.overrides = newOverrideStore(path)
	setOverride(t, d, "10.1.0.11:8080", admin.ActionWeight, w(0))
	setOverride(t, d, "10.1.0.11:8080", admin.ActionDrain, nil)
	setOverride(t, d, "10.1.0.13:8080", admin.ActionMaint, nil)
	got, err := readStateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := d.overrides.snapshot(); len(want) != 2 || stateJSON(got) != stateJSON(want) {
		t.Errorf("state file holds %s, want %s", stateJSON(got), stateJSON(want))
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("state directory holds %d files, want only state.json (no temporary left)", len(entries))
	}
	// A weight of 0 is an override, not the absence of one.
	if o := got[serverKey{webKey, netip.MustParseAddr("10.1.0.11"), 8080}]; o.weight == nil || *o.weight != 0 || o.state != admin.OverrideDrain {
		t.Errorf(".11 read back as %+v, want weight 0 drain", o)
	}
}

// Overrides survive reloads (a server that leaves the configuration keeps
// its override, stale) and restarts (the state file is read at start).
func TestOverridesKeptAcrossReloadAndRestart(t *testing.T) {
	d, dp, path := testDaemon(t, overrideYAML)
	state := filepath.Join(t.TempDir(), "state.json")
	d.overrides = openOverrides(state, d.log)
	setOverride(t, d, "10.1.0.13:8080", admin.ActionDrain, nil)

	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := weights(t, dp)[13]; got != 0 {
		t.Errorf("after a reload .13 has weight %d, want 0 (drained)", got)
	}
	writeConfig(t, path, strings.Replace(overrideYAML, "      - {address: 10.1.0.13, port: 8080, weight: 4}\n", "", 1))
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if list := d.Overrides(); len(list) != 1 || !list[0].Stale {
		t.Errorf("override of a removed server: %+v, want one, stale", list)
	}
	writeConfig(t, path, overrideYAML)
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if list := d.Overrides(); len(list) != 1 || list[0].Stale || weights(t, dp)[13] != 0 {
		t.Errorf("server back: overrides %+v, weight %d; want the drain applied again", list, weights(t, dp)[13])
	}

	// Restart: a new govsd reads the file before its first snapshot.
	restarted := openOverrides(state, d.log)
	first := effectiveSpec(d.cfg.Load(), healthView{overrides: restarted.snapshot()})
	for _, dest := range first.Services[0].Dests {
		if dest.Addr == netip.MustParseAddr("10.1.0.13") && dest.Weight != 0 {
			t.Errorf("after a restart .13 has weight %d, want 0", dest.Weight)
		}
	}
	if n := len(restarted.snapshot()); n != 1 {
		t.Errorf("restart read %d overrides, want 1", n)
	}

	// A stale override is cleared by its service's key.
	writeConfig(t, path, strings.Replace(overrideYAML, "  - name: web\n", "  - name: www\n", 1)+
		"  - {vip: 10.0.0.101, protocol: tcp, port: 80, real_servers: [{address: 10.1.0.11, port: 8080}]}\n")
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := d.ClearOverride("web", "10.1.0.13:8080"); err == nil {
		t.Error("cleared by a name no service has")
	}
	writeConfig(t, path, strings.Replace(overrideYAML, "    vip: 10.0.0.100\n", "    vip: 10.0.0.102\n", 1))
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if list := d.Overrides(); len(list) != 1 || !list[0].Stale {
		t.Fatalf("after web moved VIP: %+v, want its override stale", list)
	}
	if err := d.ClearOverride(webKey, "10.1.0.13:8080"); err != nil || len(d.Overrides()) != 0 {
		t.Errorf("clearing the stale override by key: %v, %d left", err, len(d.Overrides()))
	}
}

func TestStateFileUnreadableIsSetAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte(`{"version":1,"overrides":[{"service":"tcp/x"`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := openOverrides(path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if n := len(s.snapshot()); n != 0 {
		t.Errorf("%d overrides from a corrupt file", n)
	}
	if _, err := os.Stat(path + ".corrupt"); err != nil {
		t.Errorf("corrupt file not set aside: %v", err)
	}
}

func TestParseStateRefuses(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"version", `{"version":2,"overrides":[]}`, "version 2"},
		{"unknown key", `{"version":1,"overrides":[],"extra":1}`, "unknown field"},
		{"service", `{"version":1,"overrides":[{"service":"sctp/10.0.0.1:80","server":"10.1.0.1:80"}]}`, "protocol/VIP:port"},
		{"server", `{"version":1,"overrides":[{"service":"tcp/10.0.0.1:80","server":"10.1.0.1"}]}`, "server"},
		{"state", `{"version":1,"overrides":[{"service":"tcp/10.0.0.1:80","server":"10.1.0.1:80","state":"off"}]}`, "state"},
		{"weight", `{"version":1,"overrides":[{"service":"tcp/10.0.0.1:80","server":"10.1.0.1:80","weight":70000}]}`, "out of range"},
		{"twice", `{"version":1,"overrides":[{"service":"tcp/10.0.0.1:80","server":"10.1.0.1:80","state":"drain"},` +
			`{"service":"TCP/10.0.0.1:80","server":"10.1.0.1:80","state":"maint"}]}`, "twice"},
	} {
		if _, err := parseState([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// FuzzParseState: no input crashes the parser, and what it accepts
// writes back to a file it reads the same.
func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"version":1,"overrides":[{"service":"tcp/10.0.0.1:80","server":"10.1.0.1:80","weight":5,"state":"drain","since":"2026-01-02T03:04:05Z"}]}`))
	f.Add([]byte(`{"version":1,"overrides":[]}`))
	f.Add([]byte(`{"version":1,"overrides":[{"service":"udp/[2001:db8::1]:53","server":"[2001:db8::2]:53","state":"maint"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		set, err := parseState(body)
		if err != nil {
			return
		}
		path := filepath.Join(t.TempDir(), "state.json")
		if err := writeStateFile(path, set); err != nil {
			t.Fatal(err)
		}
		again, err := readStateFile(path)
		if err != nil {
			t.Fatalf("rewritten file refused: %v", err)
		}
		if a, b := stateJSON(set), stateJSON(again); a != b {
			t.Errorf("round trip changed the overrides: %s -> %s", a, b)
		}
	})
}

func stateJSON(set map[serverKey]serverOverride) string {
	b, _ := json.Marshal(encodeState(set))
	return string(b)
}

// BenchmarkSetOverride is one govsctl server drain/ready: the state file
// written and synced, then the snapshot composed and applied (to the fake).
func BenchmarkSetOverride(b *testing.B) {
	cfg, err := config.Parse([]byte(overrideYAML))
	if err != nil {
		b.Fatal(err)
	}
	d := newDaemon("", cfg, &fakeDataplane{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	d.overrides = newOverrideStore(filepath.Join(b.TempDir(), "state.json"))
	actions := []string{admin.ActionDrain, admin.ActionReady}
	i := 0
	for b.Loop() {
		if _, err := d.SetOverride(admin.OverrideRequest{Service: "web", Server: "10.1.0.13:8080", Action: actions[i%2]}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
