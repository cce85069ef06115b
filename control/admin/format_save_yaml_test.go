package admin

import (
	"strings"
	"testing"

	"github.com/govs-project/govs/control/config"
)

// The YAML govsctl save prints loads as a configuration's services with
// the same options and weights.
func TestFormatServicesYAMLLoads(t *testing.T) {
	svcs := []Service{
		{Name: "web: main", VIP: "10.0.0.100", Protocol: "tcp", Port: 443, Scheduler: "sh", SchedulerFlags: []string{"sh-fallback", "sh-port"},
			PersistenceTimeout: 300, PersistenceMask: "255.255.255.0", RealServers: []RealServer{
				{Address: "10.1.0.11", Port: 443, Method: "nat", Weight: 0, UpperThreshold: 100, LowerThreshold: 50},
				{Address: "10.1.0.12", Port: 443, Method: "nat", Weight: 3},
				{Address: "10.1.0.99", Port: 443, Method: "nat", Weight: 1, Sorry: true},
			}},
		{VIP: "10.0.0.100", Protocol: "udp", Port: 53, Scheduler: "rr", OnePacket: true, RealServers: []RealServer{
			{Address: "10.0.0.53", Port: 53, Method: "dr", Weight: 1},
		}},
	}
	var b strings.Builder
	if err := FormatServicesYAML(&b, svcs); err != nil {
		t.Fatal(err)
	}
	doc := "eal: {lcores: \"0-1\"}\nports:\n  - {name: wan, device: \"net_tap0,iface=x0\", address: 10.0.0.1/24}\n  - {name: lan, device: \"net_tap1,iface=x1\", address: 10.1.0.1/24}\n" + b.String()
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("the saved YAML does not load: %v\n%s", err, b.String())
	}
	if len(cfg.Services) != 2 {
		t.Fatalf("%d services loaded, want 2:\n%s", len(cfg.Services), b.String())
	}
	web := cfg.Services[0]
	if web.Name != "web: main" || web.Scheduler != "sh" || len(web.SchedulerFlags) != 2 || web.PersistenceTimeout.Seconds() != 300 ||
		web.PersistenceGranularity != 24 || len(web.RealServers) != 2 {
		t.Errorf("web loaded as %+v", web)
	}
	if rs := web.RealServers[0]; rs.Weight != 0 || rs.UpperThreshold != 100 || rs.LowerThreshold != 50 {
		t.Errorf("the drained server loaded as %+v", rs)
	}
	if dns := cfg.Services[1]; !dns.OnePacket || dns.RealServers[0].Method.String() != "dr" {
		t.Errorf("dns loaded as %+v", dns)
	}
}
