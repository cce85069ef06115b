package daemon

import (
	"net/netip"
	"testing"

	"github.com/govs-project/govs/control/config"
	"github.com/govs-project/govs/control/health"
	"github.com/govs-project/govs/dataplane"
)

func TestEffectiveSpec(t *testing.T) {
	rs := func(last byte, w uint32, checked bool) config.RealServer {
		r := config.RealServer{Address: netip.AddrFrom4([4]byte{10, 1, 0, last}), Port: 80, Weight: w, Method: config.MethodNAT}
		if checked {
			r.Check = &config.Check{Type: "tcp"}
		}
		return r
	}
	base := func(mod func(*config.Service)) *config.Config {
		sv := config.Service{VIP: netip.MustParseAddr("10.0.0.10"), Protocol: config.ProtoTCP, Port: 80, Scheduler: "rr",
			RealServers: []config.RealServer{rs(11, 1, true), rs(12, 2, true), rs(13, 3, false)}}
		if mod != nil {
			mod(&sv)
		}
		return &config.Config{Services: []config.Service{sv}}
	}
	const key = "tcp/10.0.0.10:80"
	status := func(last byte, up bool, dyn int) health.ServerStatus {
		return health.ServerStatus{Service: key, Addr: netip.AddrFrom4([4]byte{10, 1, 0, last}), Port: 80, Checked: true, Up: up, DynamicWeight: dyn}
	}
	view := func(q *bool, ss ...health.ServerStatus) healthView {
		v := healthView{servers: map[serverKey]health.ServerStatus{}, quorum: map[string]health.ServiceStatus{}}
		for _, s := range ss {
			v.servers[serverKey{s.Service, s.Addr, s.Port}] = s
		}
		if q != nil {
			v.quorum[key] = health.ServiceStatus{Key: key, QuorumUp: *q}
		}
		return v
	}
	lost, kept := false, true
	sorry := &config.RealServer{Address: netip.MustParseAddr("10.1.0.99"), Port: 8080, Weight: 1, Method: config.MethodNAT}
	type dest struct {
		last   byte
		weight uint32
	}
	for _, tc := range []struct {
		name string
		cfg  *config.Config
		view healthView
		want []dest
	}{
		{"before the first check every server is up", base(nil), view(nil), []dest{{11, 1}, {12, 2}, {13, 3}}},
		{"alpha: checked servers start down", base(func(s *config.Service) { s.Alpha = true }), view(nil), []dest{{13, 3}}},
		{"a failed server is removed", base(nil), view(&kept, status(11, true, -1), status(12, false, -1)), []dest{{11, 1}, {13, 3}}},
		{"inhibit_on_failure keeps it at weight 0", base(func(s *config.Service) { s.RealServers[1].InhibitOnFailure = true }),
			view(&kept, status(11, true, -1), status(12, false, -1)), []dest{{11, 1}, {12, 0}, {13, 3}}},
		{"a dynamic weight replaces the configured one", base(nil), view(&kept, status(11, true, 7), status(12, true, -1)), []dest{{11, 7}, {12, 2}, {13, 3}}},
		{"quorum lost: the sorry server serves alone", base(func(s *config.Service) { s.SorryServer = sorry }),
			view(&lost, status(11, false, -1), status(12, false, -1)), []dest{{99, 1}}},
		{"quorum lost without a sorry server: what is up stays", base(nil),
			view(&lost, status(11, false, -1), status(12, false, -1)), []dest{{13, 3}}},
		{"quorum kept: the sorry server is not used", base(func(s *config.Service) { s.SorryServer = sorry }),
			view(&kept, status(11, true, -1), status(12, true, -1)), []dest{{11, 1}, {12, 2}, {13, 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := effectiveSpec(tc.cfg, tc.view).Services[0].Dests
			var want []dataplane.DestSpec
			for _, d := range tc.want {
				port := uint16(80)
				if d.last == 99 {
					port = 8080
				}
				want = append(want, dataplane.DestSpec{Addr: netip.AddrFrom4([4]byte{10, 1, 0, d.last}), Port: port, Weight: d.weight, Method: config.MethodNAT})
			}
			if len(got) != len(want) {
				t.Fatalf("dests = %+v, want %+v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("dest %d = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}
