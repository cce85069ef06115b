package daemon

import (
	"slices"
	"testing"

	"github.com/govs-project/govs/control/admin"
)

// The listing carries each service's IPVS options from the configuration
// and each real server's thresholds; a service the configuration lacks
// (it left with a reload) is listed without them.
func TestListingCarriesOptions(t *testing.T) {
	cfg := parse(t, base+`  - {vip: 10.0.0.100, protocol: tcp, port: 80, scheduler: sh, scheduler_flags: [sh-fallback, sh-port],
     persistence_timeout: 300s, persistence_granularity: /24,
     real_servers: [{address: 10.1.0.11, port: 80, upper_threshold: 100, lower_threshold: 50}, {address: 10.1.0.12, port: 80}]}
`)
	out := withOptions([]admin.Service{
		{VIP: "10.0.0.100", Protocol: "tcp", Port: 80, RealServers: []admin.RealServer{{Address: "10.1.0.11", Port: 80}, {Address: "10.1.0.12", Port: 80}}},
		{VIP: "10.0.0.100", Protocol: "udp", Port: 53},
		{VIP: "10.0.0.200", Protocol: "tcp", Port: 80},
	}, cfg)
	web := out[0]
	if !slices.Equal(web.SchedulerFlags, []string{"sh-fallback", "sh-port"}) || web.PersistenceTimeout != 300 || web.PersistenceMask != "255.255.255.0" {
		t.Errorf("web listed with %+v", web)
	}
	if rs := web.RealServers; rs[0].UpperThreshold != 100 || rs[0].LowerThreshold != 50 || rs[1].UpperThreshold != 0 {
		t.Errorf("thresholds listed: %+v", rs)
	}
	if dns := out[1]; dns.PersistenceTimeout != 0 || dns.PersistenceMask != "" || len(dns.SchedulerFlags) != 0 {
		t.Errorf("dns, with no options, listed with %+v", dns)
	}
	if gone := out[2]; gone.PersistenceTimeout != 0 {
		t.Errorf("a service not configured listed with %+v", gone)
	}
}
