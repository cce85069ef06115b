package slowpath

import (
	"testing"

	"github.com/govs-project/govs/dataplane/packet"
)

// A standby VIP's ARP is not answered and it is not announced; made
// active again by the next view, it is answered and announced at once.
func TestStandbyVIPARP(t *testing.T) {
	f := newFixture(t, Config{})
	ask := func() bool {
		req := arpFrame(t, packet.ARPRequest, macHost, ipHost, [6]byte{}, ipVIP)
		p := &fakePacket{frame: req}
		f.sp.HandleARP(p, portWAN, f.now)
		return p.sent()
	}
	steps := []struct {
		name     string
		standby  map[uint32]bool
		answered bool
	}{
		{"active", nil, true},
		{"standby", map[uint32]bool{ipVIP: true}, false},
		{"active again", map[uint32]bool{}, true},
	}
	for i, s := range steps {
		v := testView(uint64(2 + i)) // a new generation announces
		v.Standby = s.standby
		if err := f.sp.Apply(v, f.now); err != nil {
			t.Fatal(err)
		}
		announced := false
		for _, g := range garps(t, f.tick(0)) {
			announced = announced || g.ip == ipVIP
		}
		if announced != s.answered {
			t.Errorf("%s: announced %v after the view", s.name, announced)
		}
		if got := ask(); got != s.answered {
			t.Errorf("%s: answered %v, want %v", s.name, got, s.answered)
		}
	}
	// a standby VIP is still ours: a claim for it is not learnt
	f.reconfigure(func(v *View) { v.Standby = map[uint32]bool{ipVIP: true}; v.ARPAccept = true })
	f.sp.HandleARP(f.reply(portWAN, macHost, ipVIP), portWAN, f.now)
	if _, ok := f.entry(ipVIP); ok {
		t.Error("learnt a neighbour for a standby VIP")
	}
}

func TestStandbyMustBeVIP(t *testing.T) {
	sp := New(Config{}, newFakeMirror(), &fakeWire{})
	v := testView(1)
	v.Standby = map[uint32]bool{ipHost: true}
	if err := sp.Apply(v, t0); err == nil {
		t.Fatal("a standby address that is no VIP was accepted")
	}
}

func TestAnnounce(t *testing.T) {
	cases := []struct {
		name    string
		ips     []uint32
		standby map[uint32]bool
		want    []garp
		fails   bool
	}{
		{"VIPs on their ports", []uint32{ipLANVIP, ipVIP}, nil, []garp{{portLAN, ipLANVIP}, {portWAN, ipVIP}}, false},
		{"port address", []uint32{ipLAN}, nil, []garp{{portLAN, ipLAN}}, false},
		{"repeated", []uint32{ipVIP, ipVIP}, nil, []garp{{portWAN, ipVIP}, {portWAN, ipVIP}}, false},
		{"standby VIP", []uint32{ipLANVIP, ipVIP}, map[uint32]bool{ipVIP: true}, nil, true},
		{"unknown address", []uint32{ipHost}, nil, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{})
			f.reconfigure(func(v *View) { v.Standby = c.standby })
			f.tick(0) // the view's own announcements
			before := f.sp.Stats().GARPSent
			err := f.sp.Announce(c.ips, 1, f.now)
			if (err != nil) != c.fails {
				t.Fatalf("err %v, fails %v", err, c.fails)
			}
			got := garps(t, f.wire.take())
			if len(got) != len(c.want) {
				t.Fatalf("sent %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("sent %v, want %v", got, c.want)
				}
			}
			if n := f.sp.Stats().GARPSent - before; n != uint64(len(c.want)) {
				t.Fatalf("garp_sent +%d, want +%d", n, len(c.want))
			}
		})
	}
}

// A gratuitous ARP the wire refuses is retried by the next Tick.
func TestAnnounceRetried(t *testing.T) {
	f := newFixture(t, Config{})
	f.tick(0)
	f.wire.fail = true
	if err := f.sp.Announce([]uint32{ipVIP}, 1, f.now); err != nil {
		t.Fatal(err)
	}
	f.wire.fail = false
	if got := garps(t, f.tick(0)); len(got) != 1 || got[0] != (garp{portWAN, ipVIP}) {
		t.Fatalf("retried %v", got)
	}
}
