package slowpath

import (
	"testing"
	"time"

	"github.com/govs-project/govs/dataplane/packet"
)

type garp struct {
	port int
	ip   uint32
}

// garps returns the gratuitous ARPs among frames, checking their contents.
func garps(t *testing.T, frames []wireFrame) []garp {
	t.Helper()
	var out []garp
	for _, w := range frames {
		dst, src, a := parseARP(t, w.frame)
		if a.SPA != a.TPA {
			continue
		}
		mac := testView(0).Ports[w.port].MAC
		if dst != packet.BroadcastMAC || src != mac || a.Op != packet.ARPRequest || a.SHA != mac || a.THA != packet.BroadcastMAC || len(w.frame) != packet.MinFrameLen {
			t.Fatalf("gratuitous ARP on port %d: eth %x<-%x %+v", w.port, dst, src, a)
		}
		out = append(out, garp{w.port, a.SPA})
	}
	return out
}

func TestGratuitousARPOnNewGeneration(t *testing.T) {
	all := []garp{{portWAN, ipWAN}, {portLAN, ipLAN}, {portP2P, ipP2P}, {portWAN, ipVIP}, {portLAN, ipLANVIP}}
	mirror, wire := newFakeMirror(), &fakeWire{}
	sp := New(Config{}, mirror, wire)
	now := t0
	steps := []struct {
		name  string
		apply bool
		gen   uint64
		want  []garp
	}{
		{"first view", true, 1, all},
		{"next tick", false, 0, nil},
		{"same generation again", true, 1, nil},
		{"reload", true, 2, all},
		{"tick after reload", false, 0, nil},
	}
	for _, s := range steps {
		if s.apply {
			v := testView(s.gen)
			v.Wanted = nil // keep the wire to announcements
			if err := sp.Apply(v, now); err != nil {
				t.Fatal(err)
			}
			if len(wire.sent) != 0 {
				t.Fatalf("%s: Apply transmitted; Tick should", s.name)
			}
		}
		now = now.Add(100 * time.Millisecond)
		sp.Tick(now)
		got := garps(t, wire.take())
		if len(got) != len(s.want) {
			t.Fatalf("%s: %v, want %v", s.name, got, s.want)
		}
		for i := range got {
			if got[i] != s.want[i] {
				t.Fatalf("%s: %v, want %v", s.name, got, s.want)
			}
		}
	}
	if sp.Stats().GARPSent != uint64(2*len(all)) {
		t.Fatalf("garp_sent %d", sp.Stats().GARPSent)
	}
}

func TestGratuitousARPRetried(t *testing.T) {
	mirror, wire := newFakeMirror(), &fakeWire{fail: true}
	sp := New(Config{}, mirror, wire)
	v := testView(1)
	v.Wanted = nil
	if err := sp.Apply(v, t0); err != nil {
		t.Fatal(err)
	}
	sp.Tick(t0)
	wire.fail = false
	sp.Tick(t0.Add(100 * time.Millisecond))
	if n := len(garps(t, wire.take())); n != 5 || sp.Stats().SendFailed != 5 {
		t.Fatalf("%d retried, %d failures", n, sp.Stats().SendFailed)
	}

	// A wire that never works: given up after MaxProbes attempts.
	wire.fail = true
	v.Gen = 2
	if err := sp.Apply(v, t0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		sp.Tick(t0.Add(time.Duration(i) * time.Second))
	}
	if got := sp.Stats().SendFailed; got != 5+5*DefaultMaxProbes {
		t.Fatalf("send_failed %d", got)
	}
}

func TestConfigDefaults(t *testing.T) {
	want := Config{
		MaxEntries: 4096, ReachableTime: 30 * time.Second, RetryTime: time.Second, MaxProbes: 3,
		GCStale: 5 * time.Minute, HoldPerNeigh: 16, HoldTotal: 1024, HoldTimeout: 3 * time.Second,
	}
	if got := (Config{}).withDefaults(); got != want {
		t.Fatalf("defaults %+v", got)
	}
	if got := (Config{MaxEntries: -1, HoldTimeout: -time.Second}).withDefaults(); got != want {
		t.Fatalf("negative values kept: %+v", got)
	}
	custom := Config{MaxEntries: 10, ReachableTime: time.Second, RetryTime: time.Millisecond, MaxProbes: 1,
		GCStale: time.Minute, HoldPerNeigh: 1, HoldTotal: 2, HoldTimeout: time.Second}
	if got := custom.withDefaults(); got != custom {
		t.Fatalf("custom values changed: %+v", got)
	}
}
