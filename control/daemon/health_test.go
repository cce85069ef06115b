package daemon

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/govs-project/govs/control/admin"
	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/health"
)

// listingConfig is one service of n checked servers 10.1.x.y:80 (the
// second inhibited) and a sorry server.
func listingConfig(n int) *config.Config {
	sv := config.Service{VIP: netip.MustParseAddr("10.0.0.10"), Protocol: config.ProtoTCP, Port: 80, Scheduler: "rr",
		SorryServer: &config.RealServer{Address: netip.MustParseAddr("10.1.0.99"), Port: 8080, Weight: 1, Method: config.MethodNAT}}
	for i := range n {
		rs := config.RealServer{Address: netip.AddrFrom4([4]byte{10, 1, byte(i / 250), byte(i%250 + 1)}), Port: 80, Weight: 1,
			Method: config.MethodNAT, Check: &config.Check{Type: config.CheckHTTP}}
		rs.InhibitOnFailure = i == 1
		sv.RealServers = append(sv.RealServers, rs)
	}
	return &config.Config{Services: []config.Service{sv}}
}

func TestWithHealthListsWhatTheChecksTookOut(t *testing.T) {
	cfg := listingConfig(3)
	key := serviceKey(cfg.Services[0])
	rs := cfg.Services[0].RealServers
	st := func(i int, up bool) health.ServerStatus {
		return health.ServerStatus{Service: key, Addr: rs[i].Address, Port: 80, Checked: true, Up: up, LastError: fmt.Sprint("err", i)}
	}
	// rs[0] up, rs[1] down and inhibited (listed at weight 0 by the
	// dataplane), rs[2] down and removed (not in the dataplane's listing).
	listing := []admin.Service{{VIP: "10.0.0.10", Protocol: "tcp", Port: 80, RealServers: []admin.RealServer{
		{Address: rs[0].Address.String(), Port: 80, Weight: 1}, {Address: rs[1].Address.String(), Port: 80, Weight: 0},
	}}}
	got := withHealth(listing, cfg, []health.ServerStatus{st(0, true), st(1, false), st(2, false)}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	want := map[string]string{rs[0].Address.String(): admin.HealthUp, rs[1].Address.String(): admin.HealthDraining, rs[2].Address.String(): admin.HealthDown}
	if n := len(got[0].RealServers); n != 3 {
		t.Fatalf("%d servers listed, want 3: %+v", n, got[0].RealServers)
	}
	for _, ar := range got[0].RealServers {
		if ar.Health != want[ar.Address] {
			t.Errorf("%s: health %q, want %q", ar.Address, ar.Health, want[ar.Address])
		}
		if ar.Health != admin.HealthUp && ar.HealthError == "" {
			t.Errorf("%s: no error shown for a failed server", ar.Address)
		}
	}

	// Quorum lost: the dataplane lists only the sorry server.
	listing = []admin.Service{{VIP: "10.0.0.10", Protocol: "tcp", Port: 80, RealServers: []admin.RealServer{{Address: "10.1.0.99", Port: 8080, Weight: 1}}}}
	got = withHealth(listing, cfg, []health.ServerStatus{st(0, false), st(1, false), st(2, false)}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if ar := got[0].RealServers[0]; !ar.Sorry || ar.Health != "" {
		t.Errorf("sorry server listed as %+v", ar)
	}
	if n := len(got[0].RealServers); n != 4 {
		t.Errorf("%d servers listed while the sorry server serves, want 4 (the three failed ones too)", n)
	}
}

// BenchmarkWithHealth2000 is the listing of /v1/services and of every
// metrics scrape with 2000 checked servers.
func BenchmarkWithHealth2000(b *testing.B) {
	cfg := listingConfig(2000)
	key := serviceKey(cfg.Services[0])
	var sts []health.ServerStatus
	var rss []admin.RealServer
	for _, rs := range cfg.Services[0].RealServers {
		sts = append(sts, health.ServerStatus{Service: key, Addr: rs.Address, Port: rs.Port, Checked: true, Up: true})
		rss = append(rss, admin.RealServer{Address: rs.Address.String(), Port: rs.Port, Weight: 1})
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for b.Loop() {
		listing := []admin.Service{{VIP: "10.0.0.10", Protocol: "tcp", Port: 80, RealServers: append([]admin.RealServer(nil), rss...)}}
		withHealth(listing, cfg, sts, log)
	}
}
