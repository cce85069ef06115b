package slowpath

import (
	"strings"
	"testing"

	"github.com/govs-project/govs/dataplane/packet"
)

var macVRID51 = [6]byte{0x00, 0x00, 0x5e, 0x00, 0x01, 51}

// announced is one gratuitous ARP as it left: port, address and the MAC
// it carried as Ethernet source and sender.
type announced struct {
	port int
	ip   uint32
	mac  [6]byte
}

func announcedIn(t *testing.T, frames []wireFrame) []announced {
	t.Helper()
	var out []announced
	for _, w := range frames {
		dst, src, a := parseARP(t, w.frame)
		if a.SPA != a.TPA {
			continue // a request for a neighbour
		}
		if dst != packet.BroadcastMAC || src != a.SHA || a.Op != packet.ARPRequest || a.THA != packet.BroadcastMAC {
			t.Fatalf("gratuitous ARP on port %d: eth %x<-%x %+v", w.port, dst, src, a)
		}
		out = append(out, announced{w.port, a.SPA, src})
	}
	return out
}

// A VIP with a virtual MAC answers and announces its ARP with that MAC
// (sender and Ethernet source, so switches learn where it is); the port
// address and the other VIPs keep the port's MAC.
func TestVirtualMACARP(t *testing.T) {
	f := newFixture(t, Config{})
	v := testView(2)
	v.MACs = map[uint32][6]byte{ipVIP: macVRID51}
	if err := f.sp.Apply(v, f.now); err != nil {
		t.Fatal(err)
	}
	want := map[uint32][6]byte{ipWAN: macWAN, ipLAN: macLAN, ipP2P: macP2P, ipVIP: macVRID51, ipLANVIP: macLAN}
	got := announcedIn(t, f.tick(0))
	if len(got) != len(want) {
		t.Fatalf("announced %+v, want one each of %v", got, want)
	}
	for _, g := range got {
		if g.mac != want[g.ip] {
			t.Errorf("%v announced with %x, want %x", ipString(g.ip), g.mac, want[g.ip])
		}
	}

	for _, c := range []struct {
		port int
		ip   uint32
		mac  [6]byte
	}{
		{portWAN, ipVIP, macVRID51},
		{portWAN, ipWAN, macWAN},
		{portLAN, ipLANVIP, macLAN},
	} {
		p := f.arp(c.port, packet.ARPRequest, macHost, ipHost, [6]byte{}, c.ip)
		if !p.sent() {
			t.Fatalf("request for %v not answered", ipString(c.ip))
		}
		dst, src, a := parseARP(t, p.frame)
		if a.Op != packet.ARPReply || src != c.mac || a.SHA != c.mac || a.SPA != c.ip || dst != macHost || a.THA != macHost {
			t.Errorf("reply for %v: eth %x<-%x %+v, want from %x", ipString(c.ip), dst, src, a, c.mac)
		}
	}

	// the next view without it: the port's MAC again
	f.reconfigure(func(v *View) {})
	p := f.arp(portWAN, packet.ARPRequest, macHost, ipHost, [6]byte{}, ipVIP)
	if _, src, a := parseARP(t, p.frame); src != macWAN || a.SHA != macWAN {
		t.Errorf("after the virtual MAC went: reply from %x (sender %x), want %x", src, a.SHA, macWAN)
	}
}

func TestVirtualMACRefused(t *testing.T) {
	for _, c := range []struct {
		name    string
		macs    map[uint32][6]byte
		standby map[uint32]bool
		want    string
	}{
		{"not a VIP", map[uint32][6]byte{ipHost: macVRID51}, nil, "not a VIP"},
		{"port address", map[uint32][6]byte{ipWAN: macVRID51}, nil, "not a VIP"},
		{"standby", map[uint32][6]byte{ipVIP: macVRID51}, map[uint32]bool{ipVIP: true}, "standby"},
		{"multicast", map[uint32][6]byte{ipVIP: {0x01, 0, 0x5e, 0, 0, 1}}, nil, "not a unicast MAC"},
		{"zero", map[uint32][6]byte{ipVIP: {}}, nil, "not a unicast MAC"},
	} {
		sp := New(Config{}, newFakeMirror(), &fakeWire{})
		v := testView(1)
		v.MACs, v.Standby = c.macs, c.standby
		if err := sp.Apply(v, t0); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// Announce with times sends that many rounds over the addresses, back to
// back, each with the address's MAC.
func TestAnnounceTimes(t *testing.T) {
	f := newFixture(t, Config{})
	f.reconfigure(func(v *View) { v.MACs = map[uint32][6]byte{ipVIP: macVRID51} })
	f.tick(0)
	if err := f.sp.Announce([]uint32{ipVIP, ipLANVIP}, 3, f.now); err != nil {
		t.Fatal(err)
	}
	got := announcedIn(t, f.wire.take())
	round := []announced{{portWAN, ipVIP, macVRID51}, {portLAN, ipLANVIP, macLAN}}
	if len(got) != 3*len(round) {
		t.Fatalf("sent %+v, want 3 rounds of %+v", got, round)
	}
	for i, g := range got {
		if g != round[i%len(round)] {
			t.Fatalf("gratuitous ARP %d: %+v, want %+v", i, g, round[i%len(round)])
		}
	}
	for _, times := range []int{0, -1} {
		if err := f.sp.Announce([]uint32{ipVIP}, times, f.now); err == nil {
			t.Errorf("times %d accepted", times)
		}
	}
	if n := len(f.wire.take()); n != 0 {
		t.Fatalf("a refused Announce sent %d frames", n)
	}
}
