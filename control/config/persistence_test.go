package config

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestParseGranularity(t *testing.T) {
	for _, tc := range []struct {
		in   string
		bits int
		ok   bool
	}{
		{"255.255.255.0", 24, true}, {"255.255.255.255", 32, true}, {"128.0.0.0", 1, true},
		{"/24", 24, true}, {"16", 16, true}, {"255.0.255.0", 0, false}, {"0.0.0.0", 0, false},
		{"/0", 0, false}, {"/33", 33, false}, {"mask", 0, false}, {"::ffff", 0, false},
	} {
		bits, ok := ParseGranularity(tc.in)
		if ok != tc.ok || ok && bits != tc.bits {
			t.Errorf("%q: %d %v, want %d %v", tc.in, bits, ok, tc.bits, tc.ok)
		}
	}
}

func TestPersistenceKeys(t *testing.T) {
	c, err := parseWith(t, set{"services[0].persistence_timeout", "300s"}, set{"services[0].persistence_granularity", "255.255.255.0"},
		set{"services[0].expire_quiescent_template", true}, set{"services[1].one_packet", true},
		set{"services[1].real_servers[0].method", "dr"}, set{"services[1].real_servers[0].port", 53},
		set{"services[0].real_servers[0].upper_threshold", 100}, set{"services[0].real_servers[0].lower_threshold", 50})
	if err != nil {
		t.Fatal(err)
	}
	s, u := c.Services[0], c.Services[1]
	if s.PersistenceTimeout != 300*time.Second || s.PersistenceGranularity != 24 || !s.ExpireQuiescentTemplate || !u.OnePacket {
		t.Fatalf("service keys not read: %+v", s)
	}
	if rs := s.RealServers[0]; rs.UpperThreshold != 100 || rs.LowerThreshold != 50 {
		t.Fatalf("thresholds %d %d", rs.UpperThreshold, rs.LowerThreshold)
	}
	if c.Services[1].PersistenceGranularity != 32 || c.Services[1].PersistenceTimeout != 0 || c.Dataplane.FlowAffinity != AffinityAddressPort {
		t.Fatalf("defaults: granularity %d timeout %v affinity %q", c.Services[1].PersistenceGranularity, c.Services[1].PersistenceTimeout, c.Dataplane.FlowAffinity)
	}
	if c, err := parseWith(t, set{"services[0].persistence_granularity", "/16"}); err != nil || c.Services[0].PersistenceGranularity != 16 {
		t.Fatalf("/16: %v", err)
	}
}

func TestPersistenceErrors(t *testing.T) {
	twoWorkers := set{"eal.lcores", "0-2"}
	persistent := set{"services[0].persistence_timeout", "300s"}
	for _, tc := range []struct {
		name string
		sets []set
		want string
	}{
		{"timeout unit", []set{{"services[0].persistence_timeout", 300}}, `services[0].persistence_timeout: must be a duration with a unit like 900s or 200us, got`},
		{"timeout short", []set{{"services[0].persistence_timeout", "10ms"}}, `services[0].persistence_timeout: must be 0 (off) or between 1s and 240h0m0s, got 10ms`},
		{"timeout long", []set{{"services[0].persistence_timeout", "300h"}}, `services[0].persistence_timeout: must be 0 (off) or between 1s and 240h0m0s, got 300h0m0s`},
		{"granularity mask", []set{{"services[0].persistence_granularity", "255.0.255.0"}}, `services[0].persistence_granularity: must be a netmask like 255.255.255.0 or a prefix length like /24, got "255.0.255.0"`},
		{"granularity int", []set{{"services[0].persistence_granularity", 40}}, `services[0].persistence_granularity: must be a prefix length 1..32 or a netmask like 255.255.255.0, got 40`},
		{"one packet tcp", []set{{"services[0].one_packet", true}}, `services[0].one_packet: one-packet scheduling is for UDP services only (protocol is tcp)`},
		{"one packet nat", []set{{"services[1].one_packet", true}}, `services[1].real_servers[0].method: nat cannot serve a one_packet service`},
		{"lower without upper", []set{{"services[0].real_servers[1].lower_threshold", 5}}, `services[0].real_servers[1].lower_threshold: 5 without an upper_threshold`},
		{"lower above upper", []set{{"services[0].real_servers[1].upper_threshold", 5}, {"services[0].real_servers[1].lower_threshold", 6}}, `services[0].real_servers[1].lower_threshold: 6 is above the upper_threshold 5`},
		{"upper big", []set{{"services[0].real_servers[1].upper_threshold", 1 << 31}}, `services[0].real_servers[1].upper_threshold: must be between 0 and 1073741824, got 2147483648`},
		{"group without persistence", []set{{"services[0].persistence_group", "site"}}, `services[0].persistence_group: "site" needs persistence_timeout`},
		{"group differs", []set{persistent, {"services[0].persistence_group", "site"},
			{"services", []any{
				map[string]any{"vip": "10.0.0.100", "protocol": "tcp", "port": 80, "persistence_timeout": "300s", "persistence_group": "site", "real_servers": []any{map[string]any{"address": "10.1.0.11"}}},
				map[string]any{"vip": "10.0.0.100", "protocol": "tcp", "port": 443, "persistence_timeout": "60s", "persistence_group": "site", "real_servers": []any{map[string]any{"address": "10.1.0.11"}}},
			}}}, `services[1].persistence_group: "site" is shared with services[0], whose persistence_timeout and persistence_granularity differ`},
		{"port zero needs persistence", []set{{"services[0].port", 0}}, `services[0].port: required: 1..65535 (0, every port of the VIP`},
		{"port zero check", []set{persistent, {"services[0].port", 0}, {"services[0].real_servers[0].port", del}, {"services[0].check", map[string]any{"type": "tcp"}}},
			`services[0].real_servers[0].check.connect_port: required: the server's port is 0 (the client's port), so a tcp check needs a port to connect to`},
		{"affinity bad", []set{{"dataplane.flow_affinity", "client"}}, `dataplane.flow_affinity: must be address_port, address or {prefix: N}, got "client"`},
		{"affinity prefix", []set{{"dataplane.flow_affinity", map[string]any{"prefix": 40}}}, `dataplane.flow_affinity.prefix: must be between 1 and 32, got 40`},
		{"affinity prefix missing", []set{{"dataplane.flow_affinity", map[string]any{"prefx": 24}}}, `dataplane.flow_affinity.prefix: required: a prefix length 1..32`},
		{"workers need affinity", []set{twoWorkers, persistent}, `services[0].persistence_timeout: persistence with 2 worker lcores needs dataplane.flow_affinity address or {prefix: N}`},
		{"prefix finer than granularity", []set{twoWorkers, persistent, {"dataplane.flow_affinity", map[string]any{"prefix": 24}}, {"services[0].persistence_granularity", 16}},
			`services[0].persistence_granularity: /16 with 2 worker lcores: dataplane.flow_affinity {prefix: 24} keeps each /24 on one lcore, not each /16`},
		{"workers need /32", []set{twoWorkers, persistent, {"dataplane.flow_affinity", "address"}, {"services[0].persistence_granularity", 24}},
			`services[0].persistence_granularity: /24 with 2 worker lcores: dataplane.flow_affinity address keeps each client address on one lcore`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseWith(t, tc.sets...)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if !hasLine(err.Error(), tc.want) {
				t.Errorf("error\n%v\nhas no line starting %q", err, tc.want)
			}
		})
	}
	if c, err := parseWith(t, persistent, set{"services[0].port", 0}); err != nil || c.Services[0].Port != 0 || c.Services[0].RealServers[0].Port != 8080 {
		t.Fatalf("a persistent port-0 service: %v", err)
	}
	if _, err := parseWith(t, twoWorkers, persistent, set{"dataplane.flow_affinity", "address"}); err != nil {
		t.Fatalf("/32 with flow_affinity address on 2 workers: %v", err)
	}
	c, err := parseWith(t, twoWorkers, persistent, set{"dataplane.flow_affinity", map[string]any{"prefix": 16}}, set{"services[0].persistence_granularity", "/24"})
	if err != nil || c.Dataplane.FlowAffinity != AffinityPrefix || c.Dataplane.FlowAffinityPrefix != 16 {
		t.Fatalf("/24 with flow_affinity {prefix: 16} on 2 workers: %v", err)
	}
}

// FuzzParseGranularity: whatever is accepted is a prefix length 1..32,
// and a netmask spelling is the mask of the length returned.
func FuzzParseGranularity(f *testing.F) {
	for _, s := range []string{"255.255.255.0", "/24", "32", "255.255.0.255", "0.0.0.0", "-1", " /8 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bits, ok := ParseGranularity(s)
		if !ok {
			return
		}
		if bits < 1 || bits > 32 {
			t.Fatalf("%q gave /%d", s, bits)
		}
		if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
			b := a.As4()
			m := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			if m != ^uint32(0)<<(32-bits) {
				t.Fatalf("%q is mask %08x, returned /%d", s, m, bits)
			}
		}
	})
}
