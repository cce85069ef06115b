package daemon

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
)

const extraService = "  - {vip: 10.0.0.101, protocol: tcp, port: 80, real_servers: [{address: 10.1.0.12}]}\n"

// Every way a reload is refused is an *admin.ReloadRefusedError (the API
// answers 400), and the running configuration stays.
func TestReloadRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		applyErr   error
		want       string
	}{
		{"invalid", strings.Replace(base, "port: 5353", "port: 0", 1), nil, "services[0].real_servers[0].port: must be between 1 and 65535"},
		{"yaml syntax", "eal: [\n", nil, "govsd.yaml"},
		{"start-time section", base + "admin: {socket: /tmp/other.sock}\n", nil, "admin: changed"},
		{"dataplane refuses", base + extraService, errApply, errApply.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, dp, path := testDaemon(t, base)
			running := d.cfg.Load()
			dp.applyErr = tc.applyErr
			writeConfig(t, path, tc.yaml)
			err := d.Reload()
			var refused *admin.ReloadRefusedError
			if !errors.As(err, &refused) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Reload() = %v (%T), want an *admin.ReloadRefusedError containing %q", err, err, tc.want)
			}
			if d.cfg.Load() != running || dp.Generation() != 0 {
				t.Errorf("refused reload replaced the running configuration")
			}
		})
	}
	// A validation error keeps its detail for callers that want fields.
	d, _, path := testDaemon(t, base)
	writeConfig(t, path, strings.Replace(base, "port: 53,", "port: 0,", 1))
	var cfgErr *config.Error
	if err := d.Reload(); !errors.As(err, &cfgErr) {
		t.Errorf("validation error lost: %v", err)
	}
}

func TestReloadApplies(t *testing.T) {
	d, dp, path := testDaemon(t, base)
	writeConfig(t, path, base+extraService)
	if err := d.Reload(); err != nil {
		t.Fatal(err)
	}
	if len(d.cfg.Load().Services) != 2 || dp.Generation() != 1 {
		t.Errorf("reload not applied: %d services, generation %d", len(d.cfg.Load().Services), dp.Generation())
	}
}

// Once the dataplane is stopped a reload fails without touching it, and
// that is not the operator's error.
func TestReloadAfterStop(t *testing.T) {
	d, dp, _ := testDaemon(t, base)
	if err := d.stopDataplane(); err != nil {
		t.Fatal(err)
	}
	var refused *admin.ReloadRefusedError
	if err := d.Reload(); err == nil || errors.As(err, &refused) {
		t.Errorf("Reload() after stop = %v, want an internal error", err)
	}
	if _, after := dp.record(); len(after) > 0 {
		t.Errorf("dataplane used after Stop: %v", after)
	}
}

// Run with -race: the admin API and metrics read while SIGHUP reloads.
func TestSourceConcurrentWithReload(t *testing.T) {
	d, _, path := testDaemon(t, base)
	const rounds = 50
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for range rounds {
				if st := d.Status(); len(st.Workers) != 1 || st.ConfigFile != path {
					t.Errorf("status %+v", st)
				}
				d.Services()
				d.Stats()
			}
		})
	}
	for i := range rounds {
		y := base
		if i%2 == 0 {
			y += extraService
		}
		writeConfig(t, path, y)
		if err := d.Reload(); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
	}
	wg.Wait()
}
