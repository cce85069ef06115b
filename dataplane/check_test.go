package dataplane

import (
	"net/netip"
	"strings"
	"testing"
)

func checkTestOptions() Options {
	return Options{ConnTableSize: 1024, Mbufs: 1023, MbufDataRoom: 2176, Burst: 32, RxDesc: 256, TxDesc: 256, NeighCapacity: 256}
}

// Check refuses, without EAL, what Start or Apply would: each case is a
// refusal the snapshot compiler or the start-time checks make.
func TestCheckWithoutEAL(t *testing.T) {
	if err := Check(checkTestOptions(), testSpec()); err != nil {
		t.Fatalf("Check(valid spec) = %v", err)
	}
	for _, c := range []struct {
		name, want string
		change     func(*Spec, *Options)
	}{
		{"no ports", "no port configured", func(s *Spec, _ *Options) { s.Ports = nil }},
		{"burst", "burst", func(_ *Spec, o *Options) { o.Burst = 0 }},
		{"scheduler", `unknown scheduler "bogus"`, func(s *Spec, _ *Options) { s.Services[0].Scheduler = "bogus" }},
		{"unreachable server", "10.9.9.9", func(s *Spec, _ *Options) { s.Services[1].Dests[0].Addr = netip.MustParseAddr("10.9.9.9") }},
		{"virtual MAC of a standby VIP", "standby", func(s *Spec, _ *Options) {
			*s = *vmacSpec(true, vip)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, o := testSpec(), checkTestOptions()
			c.change(s, &o)
			err := Check(o, s)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Check = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
