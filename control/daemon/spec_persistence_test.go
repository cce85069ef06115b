package daemon

import (
	"strings"
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane"
)

// Persistence, thresholds and one-packet scheduling reach the dataplane,
// through the health checks' effective spec too.
func TestSpecMapsPersistenceAndThresholds(t *testing.T) {
	y := base + `  - {vip: 10.0.0.100, protocol: tcp, port: 80, persistence_timeout: 300s, persistence_granularity: 255.255.255.0,
     expire_quiescent_template: true, persistence_group: site,
     real_servers: [{address: 10.1.0.11, upper_threshold: 100, lower_threshold: 10}]}
  - {vip: 10.0.0.100, protocol: udp, port: 514, one_packet: true, real_servers: [{address: 10.1.0.12, method: dr}]}
dataplane: {flow_affinity: address}
`
	c := parse(t, y)
	for _, s := range []*dataplane.Spec{spec(c), effectiveSpec(c, healthView{})} {
		web, syslog := s.Services[1], s.Services[2]
		if web.Persistence != 300*time.Second || web.PersistenceBits != 24 || !web.ExpireQuiescentTemplate || !syslog.OnePacket ||
			web.PersistenceGroup != "site" {
			t.Fatalf("service keys not mapped: %+v %+v", web, syslog)
		}
		if d := web.Dests[0]; d.UpperThreshold != 100 || d.LowerThreshold != 10 {
			t.Fatalf("thresholds not mapped: %+v", d)
		}
	}
	if a := options(c).FlowAffinity; a != dataplane.AffinityAddress {
		t.Fatalf("flow affinity %v", a)
	}
	if o := options(parse(t, base+"dataplane: {flow_affinity: {prefix: 24}}\n")); o.FlowAffinity != dataplane.AffinityPrefix || o.FlowAffinityBits != 24 {
		t.Fatalf("prefix flow affinity %v /%d", o.FlowAffinity, o.FlowAffinityBits)
	}
	if a := options(parse(t, base)).FlowAffinity; a != dataplane.AffinityAddressPort {
		t.Fatalf("default flow affinity %v", a)
	}
	changed := base + "dataplane: {flow_affinity: address}\n"
	if err := startTimeUnchanged(parse(t, base), parse(t, changed)); err == nil || !strings.Contains(err.Error(), "dataplane") {
		t.Fatalf("a reload changing flow_affinity: %v", err)
	}
}
